/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "domain.h"
#include "log.h"
#include "metadata.h"
#include "virt.h"
#include "xmlsafe.h"

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

int gh_metadata_edit(const char *old, const char *elem, const char *attr, const char *value, const char *add, char **ret) {
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
        if (elem)
                for (xmlNodePtr c = root->children, next; c; c = next) {
                        next = c->next;
                        if (c->type != XML_ELEMENT_NODE || !xml_name_is(c, elem))
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
