/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/tree.h>

#include "gpuhookctl.h"
#include "hotplug.h"
#include "log.h"
#include "metadata.h"
#include "virt.h"
#include "xmlsafe.h"

const char *scope_text(const struct scope *s) {
        return s->live && s->config ? "live and persistent" : s->live ? "live" : "persistent";
}

unsigned scope_flags(bool live) { return live ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG; }

int resolve_scope(virDomainPtr d, struct scope *ret) {
        int active = virDomainIsActive(d), persistent = virDomainIsPersistent(d);
        const char *name = virDomainGetName(d);
        if (active < 0 || persistent < 0)
                return log_fail(-EIO, "cannot read the state of domain '%s': %s", name, virt_last_error());
        if (!arg.live && !arg.config)
                *ret = (struct scope){ .live = active, .config = !active };
        else
                *ret = (struct scope){ .live = arg.live, .config = arg.config };
        if (ret->live && !active)
                return log_fail(-EINVAL, "domain '%s' is not running, so nothing can be hot-plugged; use --config to change its definition (the hook prepares the device when it starts)",
                                name);
        if (ret->config && !persistent)
                return log_fail(-EINVAL, "domain '%s' is transient and has no persistent definition; use --live", name);
        return 0;
}

/* ---- finding hostdevs in domain XML ---- */

static int parse_field(const char *s, unsigned max, unsigned *ret) {
        char *end = NULL;
        unsigned long v;
        if (isempty(s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static bool hostdev_matches(xmlNodePtr h, const struct device *dev) {
        _cleanup_free_ char *type = xml_prop(h, "type");
        xmlNodePtr addr = xml_child(xml_child(h, "source"), "address");
        if (!type || !addr)
                return false;
        if (dev->kind == DEV_MDEV) {
                _cleanup_free_ char *uuid = xml_prop(addr, "uuid");
                return streq(type, "mdev") && uuid && !strcasecmp(uuid, dev->id);
        }
        if (!streq(type, "pci"))
                return false;
        _cleanup_free_ char *dom = xml_prop(addr, "domain"), *bus = xml_prop(addr, "bus"), *slot = xml_prop(addr, "slot"),
                            *fn = xml_prop(addr, "function");
        struct pci_addr a = { 0 };
        if ((dom && parse_field(dom, 0xffff, &a.domain) < 0) || parse_field(bus, 0xff, &a.bus) < 0 ||
            parse_field(slot, 0x1f, &a.slot) < 0 || parse_field(fn, 7, &a.function) < 0)
                return false;
        return a.domain == dev->addr.domain && a.bus == dev->addr.bus && a.slot == dev->addr.slot &&
               a.function == dev->addr.function;
}

/* 1 and the <hostdev> element's XML when DEV is in DOMXML, else 0. */
int find_hostdev(const char *domxml, const struct device *dev, char **ret_xml) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;
        int r = xml_parse_hostile(domxml, strlen(domxml), &doc, &err);
        if (r < 0)
                return log_fail(r, "cannot parse the domain XML libvirt returned: %s", err);
        xmlNodePtr devices = xml_child(xmlDocGetRootElement(doc), "devices");
        for (xmlNodePtr h = devices ? devices->children : NULL; h; h = h->next) {
                if (!xml_name_is(h, "hostdev") || h->ns || !hostdev_matches(h, dev))
                        continue;
                if (ret_xml) {
                        xmlBufferPtr buf = xmlBufferCreate();
                        if (!buf)
                                return -ENOMEM;
                        xmlNodeDump(buf, doc, h, 0, 0);
                        *ret_xml = strdup((const char *)xmlBufferContent(buf));
                        xmlBufferFree(buf);
                        if (!*ret_xml)
                                return -ENOMEM;
                }
                return 1;
        }
        return 0;
}

int fetch_xml(virDomainPtr d, bool live, char **ret) { return virt_domain_xml(d, live, ret); }

/* The metadata elements that carry a KIND device's request, and their key:
 * <gpuhook:mdev uuid=> for an mdev; for a PCI function (detach cannot tell
 * which it was attached as) <gpuhook:vgpu address=> (an NVIDIA vGPU VF)
 * and <gpuhook:vf address=> (a VF of a family, on vfio-pci). */
static const char *const *request_elements(enum dev_kind kind, const char **key) {
        static const char *const mdev[] = { "mdev", NULL }, *const pci[] = { "vgpu", "vf", NULL };
        *key = kind == DEV_MDEV ? "uuid" : "address";
        return kind == DEV_MDEV ? mdev : pci;
}

int edit_metadata(virDomainPtr d, bool live, enum dev_kind kind, const char *id, const char *add, char **ret_old,
                  bool *ret_changed) {
        _cleanup_free_ char *old = NULL, *new = NULL;
        const char *key;
        const char *const *elems = request_elements(kind, &key);
        unsigned flags = scope_flags(live);
        int r = gh_metadata_get(d, flags, &old);
        if (r >= 0)
                r = gh_metadata_edit(old, elems, key, id, add, &new);
        if (r < 0)
                return r;
        *ret_changed = !streq_ptr(old, new);
        if (*ret_changed && (r = gh_metadata_set(d, flags, new)) < 0)
                return r;
        if (ret_old)
                *ret_old = TAKE_PTR(old);
        return 0;
}

