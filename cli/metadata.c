/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "domain.h"
#include "gpuhookctl.h"
#include "driver.h"
#include "log.h"
#include "mdev.h"
#include "metadata.h"
#include "virt.h"
#include "xmlsafe.h"
#include "xmlgen.h"

int gh_metadata_get(virDomainPtr d, unsigned scope, char **ret) {
        char *xml = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, GPUHOOK_XML_NS, scope);
        if (!xml) {
                virErrorPtr e = virGetLastError();
                if (e && e->code == VIR_ERR_NO_DOMAIN_METADATA) {
                        *ret = NULL;
                        return 0;
                }
                return log_fail(-EIO, "cannot read the gpuhook metadata of domain '%s': %s", virDomainGetName(d),
                                virt_last_error());
        }
        *ret = xml;
        return 0;
}

int gh_metadata_set(virDomainPtr d, unsigned scope, const char *xml) {
        if (virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, xml, xml ? "gpuhook" : NULL, GPUHOOK_XML_NS, scope) < 0)
                return log_fail(-EIO, "cannot %s the gpuhook metadata of domain '%s' (%s): %s", xml ? "write" : "remove",
                                virDomainGetName(d), scope == VIR_DOMAIN_AFFECT_LIVE ? "live" : "persistent",
                                virt_last_error());
        return 0;
}

/* Drop namespaces from N and below: libvirt applies its own. */
static void strip_ns(xmlNodePtr n) {
        for (; n; n = n->next) {
                if (n->type != XML_ELEMENT_NODE)
                        continue;
                n->ns = NULL;
                if (n->nsDef) {
                        xmlFreeNsList(n->nsDef);
                        n->nsDef = NULL;
                }
                for (xmlAttrPtr a = n->properties; a; a = a->next)
                        a->ns = NULL;
                strip_ns(n->children);
        }
}

static bool name_in(xmlNodePtr n, const char *const *names) {
        for (; names && *names; names++)
                if (xml_name_is(n, *names))
                        return true;
        return false;
}

int gh_metadata_edit(const char *old, const char *const *elems, const char *attr, const char *value, const char *add,
                     char **ret) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL, add_doc = NULL;
        const char *err = NULL;
        xmlNodePtr root;
        int r;

        if (old) {
                r = xml_parse_hostile(old, strlen(old), &doc, &err);
                if (r < 0)
                        return log_fail(r, "the domain's gpuhook metadata is not XML (%s); fix it with `virsh edit`", err);
                root = xmlDocGetRootElement(doc);
        } else {
                doc = xmlNewDoc((const xmlChar *)"1.0");
                if (!doc)
                        return -ENOMEM;
                root = xmlNewDocNode(doc, NULL, (const xmlChar *)"devices", NULL);
                xmlDocSetRootElement(doc, root);
        }
        if (!root)
                return -ENOMEM;
        strip_ns(root);
        if (elems)
                for (xmlNodePtr c = root->children, next; c; c = next) {
                        next = c->next;
                        if (c->type != XML_ELEMENT_NODE || !name_in(c, elems))
                                continue;
                        _cleanup_free_ char *v = xml_prop(c, attr);
                        if (v && !strcasecmp(v, value)) {
                                xmlUnlinkNode(c);
                                xmlFreeNode(c);
                        }
                }
        if (add) {
                r = xml_parse_hostile(add, strlen(add), &add_doc, &err);
                if (r < 0)
                        return log_fail(r, "cannot parse the rendered metadata (%s); the built-in templates are broken", err);
                for (xmlNodePtr c = xmlDocGetRootElement(add_doc)->children; c; c = c->next) {
                        if (c->type != XML_ELEMENT_NODE)
                                continue;
                        xmlNodePtr copy = xmlDocCopyNode(c, doc, 1);
                        if (!copy || !xmlAddChild(root, copy))
                                return -ENOMEM;
                        strip_ns(copy);
                }
        }
        bool empty = true;
        for (xmlNodePtr c = root->children; c; c = c->next)
                empty = empty && c->type != XML_ELEMENT_NODE;
        if (empty) {
                *ret = NULL;
                return 0;
        }
        /* Whitespace-only text between elements: let libvirt indent. */
        for (xmlNodePtr c = root->children, next; c; c = next) {
                next = c->next;
                if (xmlIsBlankNode(c)) {
                        xmlUnlinkNode(c);
                        xmlFreeNode(c);
                }
        }
        xmlBufferPtr buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        xmlNodeDump(buf, doc, root, 0, 0);
        *ret = strdup((const char *)xmlBufferContent(buf));
        xmlBufferFree(buf);
        return *ret ? 0 : -ENOMEM;
}

/* Drivers already asked: the NVIDIA rules are the same on every card. */
#define PARAM_DRIVERS_MAX 8

int gh_params_check(const struct mdev_spec *m, bool *ret_checked) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        struct mdev_param *params = NULL;
        const void *asked[PARAM_DRIVERS_MAX];
        size_t n_params = 0, n_asked = 0;
        const char *id = NULL;
        int r = 0;

        *ret_checked = false;
        if (!m->type || !m->params || !m->params[0])
                return 0;
        n_params = strv_length(m->params);
        params = calloc(n_params, sizeof(*params));
        if (!params)
                return -ENOMEM;
        /* NAME=VALUE was checked by mdev_spec_init(); split a copy. */
        for (size_t i = 0; i < n_params && r >= 0; i++) {
                params[i].name = strdup(m->params[i]);
                char *eq = params[i].name ? strchr(params[i].name, '=') : NULL;
                if (!eq)
                        r = -ENOMEM;
                else {
                        *eq = 0;
                        params[i].value = eq + 1;
                }
        }
        if (r >= 0 && mdev_host_view_load(&v) >= 0 && placement_resolve_type(&v, m->type, &id, &why) >= 0)
                for (size_t i = 0; i < v.n_parents && r >= 0; i++) {
                        const struct mdev_parent_info *p = &v.parents[i];
                        const struct mdev_driver *drv = p->driver;
                        bool seen = false;
                        if ((*m->parent && !streq(p->name, m->parent)) || !mdev_parent_find_type(p, id) || !drv)
                                continue;
                        *ret_checked = true;
                        for (size_t k = 0; k < n_asked; k++)
                                seen = seen || asked[k] == drv;
                        if (seen || !drv->check_params)
                                continue;
                        if (n_asked < PARAM_DRIVERS_MAX)
                                asked[n_asked++] = drv;
                        struct mdev_op op = { .uuid = m->uuid, .parent = p->name, .type = id, .params = params,
                                              .n_params = n_params };
                        r = drv->check_params(&op);
                }
        for (size_t i = 0; i < n_params; i++)
                free(params[i].name);
        free(params);
        strbuf_free(&why);
        host_view_free(&v);
        return r;
}

int gh_params_check_or_warn(const struct mdev_spec *m) {
        bool checked;
        int r = gh_params_check(m, &checked);
        if (r >= 0 && !checked && m->type && m->params && m->params[0])
                ctl_warn("no mdev parent on this host offers '%s', so its vendor driver could not check the --param values; the hook checks them when the domain starts",
                         m->type);
        return r;
}
