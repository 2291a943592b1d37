/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/tree.h>

#include "domain.h"
#include "vf-pick.h"
#include "log.h"
#include "strset.h"
#include "xmlsafe.h"

struct domain_spec *domain_spec_free(struct domain_spec *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_requests; i++) {
                free(d->requests[i].type);
                for (size_t p = 0; p < d->requests[i].n_params; p++) {
                        free(d->requests[i].params[p].name);
                        free(d->requests[i].params[p].value);
                }
                free(d->requests[i].params);
        }
        free(d->requests);
        free(d->pci_requests);
        for (size_t i = 0; i < d->n_vgpu_requests; i++)
                free(d->vgpu_requests[i].type);
        free(d->vgpu_requests);
        for (size_t i = 0; i < d->n_vf_requests; i++)
                free(d->vf_requests[i].profile);
        free(d->vf_requests);
        free(d->mdevs);
        free(d->pcis);
        free(d->name);
        free(d);
        return NULL;
}

/* Grow *arr (of elements of SIZE) to hold one more; doubling keeps 10 000
 * hostdevs linear. */
static int grow_one(void **arr, size_t n, size_t *cap, size_t size) {
        if (n < *cap)
                return 0;
        size_t ncap = *cap ? *cap * 2 : 8;
        void *p = reallocarray(*arr, ncap, size);
        if (!p)
                return -ENOMEM;
        *arr = p;
        *cap = ncap;
        return 0;
}

static const char *shown(const char *s) {
        static char buf[4][80];
        static unsigned i;
        return sanitize_for_message(s, buf[i++ % 4], sizeof(buf[0]));
}

/* libvirt writes PCI address fields as 0x-prefixed hex; it also accepts
 * decimal. Anything else is refused. */
static int parse_addr_field(const char *s, unsigned max, unsigned *ret) {
        uint64_t v = 0;
        if (isempty(s))
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                if (!*s || strlen(s) > 8)
                        return -EINVAL;
                for (; *s; s++) {
                        char c = *s;
                        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                          : 99;
                        if (d > 15)
                                return -EINVAL;
                        v = v * 16 + d;
                }
        } else if (safe_atou64(s, &v) < 0)
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

static int parse_mdev_hostdev(xmlNodePtr h, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *model = xml_prop(h, "model"), *uuid = NULL;
        xmlNodePtr src = xml_child(h, "source"), addr = xml_child(src, "address");
        struct mdev_hostdev m = { 0 };

        uuid = addr ? xml_prop(addr, "uuid") : NULL;
        if (!uuid)
                return log_fail(-EINVAL, "mdev hostdev without <source><address uuid='...'/>; add the mdev's UUID");
        if (uuid_normalize(uuid, m.uuid) < 0)
                return log_fail(-EINVAL, "mdev hostdev has an invalid UUID '%s'; expected 8-4-4-4-12 hex digits",
                                shown(uuid));
        if (!model)
                model = strdup("vfio-pci");
        if (!model)
                return -ENOMEM;
        if (!streq(model, "vfio-pci") && !streq(model, "vfio-ccw") && !streq(model, "vfio-ap"))
                return log_fail(-EINVAL, "mdev %s has unknown model '%s'; use vfio-pci, vfio-ccw or vfio-ap", m.uuid,
                                shown(model));
        snprintf(m.model, sizeof(m.model), "%s", model);
        int r = strset_add(seen, m.uuid);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "mdev %s is listed twice in this domain; give each <hostdev> its own UUID",
                                m.uuid);
        if (grow_one((void **)&d->mdevs, d->n_mdevs, cap, sizeof(m)) < 0)
                return -ENOMEM;
        d->mdevs[d->n_mdevs++] = m;
        return 0;
}

static int parse_pci_hostdev(xmlNodePtr h, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *managed = xml_prop(h, "managed");
        xmlNodePtr src = xml_child(h, "source"), addr = xml_child(src, "address");
        struct pci_hostdev p = { 0 };
        const char *names[] = { "domain", "bus", "slot", "function" };
        unsigned *fields[] = { &p.addr.domain, &p.addr.bus, &p.addr.slot, &p.addr.function };
        const unsigned max[] = { 0xffff, 0xff, 0x1f, 7 };

        if (!addr)
                return log_fail(-EINVAL, "PCI hostdev without <source><address .../>; add the device's PCI address");
        for (size_t i = 0; i < 4; i++) {
                _cleanup_free_ char *v = xml_prop(addr, names[i]);
                if (!v && i == 0) { /* domain defaults to 0 */
                        p.addr.domain = 0;
                        continue;
                }
                if (parse_addr_field(v, max[i], fields[i]) < 0)
                        return log_fail(-EINVAL, "PCI hostdev has an invalid %s '%s'; expected hex like 0x41", names[i],
                                        v ? shown(v) : "(missing)");
        }
        pci_addr_format(&p.addr, p.bdf);
        if (managed && !streq(managed, "yes") && !streq(managed, "no"))
                return log_fail(-EINVAL, "PCI hostdev %s has managed='%s'; use 'yes' or 'no'", p.bdf, shown(managed));
        p.managed = managed && streq(managed, "yes");
        int r = strset_add(seen, p.bdf);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "PCI device %s is listed twice in this domain; remove the duplicate <hostdev>",
                                p.bdf);
        if (grow_one((void **)&d->pcis, d->n_pcis, cap, sizeof(p)) < 0)
                return -ENOMEM;
        d->pcis[d->n_pcis++] = p;
        return 0;
}

/* One AP number: 0x-prefixed hex or decimal, 0..255 (AP_DEVICES/AP_DOMAINS). */
static int parse_ap_number(const char *s, size_t len, unsigned *ret) {
        char buf[16];
        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        return parse_addr_field(buf, AP_ID_COUNT - 1, ret);
}

/* A list "5,6,0x47" (LIST true) or one number into MAP. */
static int parse_ap_ids(const char *uuid, const char *attr, const char *v, bool list, uint64_t *map) {
        size_t n = 0;
        for (const char *s = v;; s += n + 1) {
                unsigned id;
                n = strcspn(s, ",");
                if ((!list && s[n]) || parse_ap_number(s, n, &id) < 0)
                        return log_fail(-EINVAL, "mdev %s: <gpuhook:ap %s='%s'> is not %s 0-255 (hex like 0x05 or decimal)",
                                        uuid, attr, shown(v), list ? "a comma-separated list of numbers" : "a number");
                ap_bit_set(map, id);
                if (!s[n])
                        return 0;
        }
}

/* <gpuhook:ap adapter= domain= adapters= domains= control-domain= control-domains=>.
 * An element naming adapters and domains asks for their pairs (APQNs); one
 * with only adapters (or only domains) for those with every domain (adapter). */
struct ap_parse {
        struct ap_matrix only; /* apm: adapters with every domain; aqm: domains with every adapter */
        struct ap_matrix *pairs; /* per element with both: its adapters x domains */
        size_t n_pairs;
};

static int parse_ap(xmlNodePtr c, struct mdev_request *req, struct ap_parse *ps) {
        static const struct {
                const char *name;
                bool list;
                int map; /* 0 adapters, 1 domains, 2 control domains */
        } attrs[] = {
                { "adapter", false, 0 },        { "adapters", true, 0 },        { "domain", false, 1 },
                { "domains", true, 1 },         { "control-domain", false, 2 }, { "control-domains", true, 2 },
        };
        struct ap_matrix el = { 0 };
        for (xmlAttrPtr a = c->properties; a; a = a->next) {
                const char *n = (const char *)a->name;
                size_t i = 0;
                while (i < ELEMENTSOF(attrs) && !streq(n, attrs[i].name))
                        i++;
                if (a->ns || i == ELEMENTSOF(attrs))
                        return log_fail(-EINVAL, "mdev %s: <gpuhook:ap> has unknown attribute '%s'; allowed: adapter(s), domain(s), control-domain(s)",
                                        req->uuid, shown(n));
                _cleanup_free_ char *v = xml_prop(c, n);
                uint64_t *map = attrs[i].map == 0 ? el.apm : attrs[i].map == 1 ? el.aqm : el.adm;
                int r = parse_ap_ids(req->uuid, n, v ? v : "", attrs[i].list, map);
                if (r < 0)
                        return r;
        }
        if (ap_matrix_empty(&el))
                return log_fail(-EINVAL, "mdev %s: <gpuhook:ap/> names nothing; give adapter= and domain= (an APQN) or control-domain=",
                                req->uuid);
        for (size_t w = 0; w < AP_ID_COUNT / 64; w++) {
                req->ap.apm[w] |= el.apm[w];
                req->ap.aqm[w] |= el.aqm[w];
                req->ap.adm[w] |= el.adm[w];
        }
        if (ap_map_empty(el.apm) || ap_map_empty(el.aqm)) {
                for (size_t w = 0; w < AP_ID_COUNT / 64; w++) {
                        ps->only.apm[w] |= ap_map_empty(el.aqm) ? el.apm[w] : 0;
                        ps->only.aqm[w] |= ap_map_empty(el.apm) ? el.aqm[w] : 0;
                }
                return 0;
        }
        struct ap_matrix *p = reallocarray(ps->pairs, ps->n_pairs + 1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        ps->pairs = p;
        ps->pairs[ps->n_pairs++] = el;
        return 0;
}

/* The kernel assigns adapters and domains, not APQNs: the mdev gets every
 * adapter x every domain. Refuse pairs that would bring in APQNs nobody
 * asked for (05.0004 and 06.0007 give 05.0007 and 06.0004 too). */
static int check_ap_cross_product(const struct mdev_request *req, const struct ap_parse *ps) {
        if (ps->n_pairs == 0)
                return 0;
        for (unsigned a = 0; a < AP_ID_COUNT; a++) {
                if (!ap_bit(req->ap.apm, a) || ap_bit(ps->only.apm, a))
                        continue;
                for (unsigned d = 0; d < AP_ID_COUNT; d++) {
                        if (!ap_bit(req->ap.aqm, d) || ap_bit(ps->only.aqm, d))
                                continue;
                        bool asked = false;
                        for (size_t i = 0; i < ps->n_pairs && !asked; i++)
                                asked = ap_bit(ps->pairs[i].apm, a) && ap_bit(ps->pairs[i].aqm, d);
                        if (!asked)
                                return log_fail(-EINVAL, "mdev %s: an AP matrix is every adapter x every domain, so these <gpuhook:ap> pairs also give it APQN %02x.%04x; add that pair, or put the other pairs in another mdev",
                                                req->uuid, a, d);
                }
        }
        return 0;
}

static void ap_parse_done(struct ap_parse *ps) { free(ps->pairs); }

static int parse_params(xmlNodePtr m, struct mdev_request *req) {
        _cleanup_(ap_parse_done) struct ap_parse ps = { 0 };
        size_t cap = 0;
        int r;
        for (xmlNodePtr c = m->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xml_name_is(c, "ap") && xml_ns_is(c, GPUHOOK_XML_NS)) {
                        if ((r = parse_ap(c, req, &ps)) < 0)
                                return r;
                        continue;
                }
                if (!xml_name_is(c, "param") || !xml_ns_is(c, GPUHOOK_XML_NS))
                        return log_fail(-EINVAL, "mdev %s: unexpected element <%s> in <gpuhook:mdev>; only <gpuhook:param> and <gpuhook:ap> are allowed",
                                        req->uuid, shown((const char *)c->name));
                _cleanup_free_ char *name = xml_prop(c, "name"), *value = xml_prop(c, "value");
                if (!name || !value)
                        return log_fail(-EINVAL, "mdev %s: <gpuhook:param> needs name= and value=", req->uuid);
                if (!driver_name_valid(name) || strlen(value) > 256)
                        return log_fail(-EINVAL, "mdev %s: parameter name '%s' is not a plain identifier (or its value is over 256 characters)",
                                        req->uuid, shown(name));
                for (const char *s = value; *s; s++)
                        if ((unsigned char)*s < 0x20 || *s == ',' || *s == '=' || *s == 0x7f)
                                return log_fail(-EINVAL, "mdev %s: parameter %s has a value with a control character, ',' or '='",
                                                req->uuid, name);
                if (grow_one((void **)&req->params, req->n_params, &cap, sizeof(struct mdev_param)) < 0)
                        return -ENOMEM;
                req->params[req->n_params++] = (struct mdev_param){ .name = TAKE_PTR(name), .value = TAKE_PTR(value) };
        }
        return check_ap_cross_product(req, &ps);
}

/* placement= of a request WHO names, when given. */
static int parse_placement(const char *who, const char *placement, enum placement_policy *ret) {
        if (!placement)
                return 0;
        if (!who)
                return -ENOMEM;
        int r = placement_policy_from_string(placement);
        if (r < 0)
                return log_fail(-EINVAL, "%s placement '%s' is unknown; use 'compact' or 'spread'", who, shown(placement));
        *ret = (enum placement_policy)r;
        return 0;
}

static int parse_mdev_request(xmlNodePtr m, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *uuid = xml_prop(m, "uuid"), *type = xml_prop(m, "type"), *parent = xml_prop(m, "parent"),
                            *placement = xml_prop(m, "placement");
        struct mdev_request req = { .placement = PLACEMENT_DEFAULT };
        int r;

        for (xmlAttrPtr a = m->properties; a; a = a->next) {
                const char *n = (const char *)a->name;
                if (a->ns || (!streq(n, "uuid") && !streq(n, "type") && !streq(n, "parent") && !streq(n, "placement")))
                        return log_fail(-EINVAL, "<gpuhook:mdev> has unknown attribute '%s'; allowed: uuid, type, parent, placement",
                                        shown(n));
        }
        if (!uuid || uuid_normalize(uuid, req.uuid) < 0)
                return log_fail(-EINVAL, "<gpuhook:mdev> has %s UUID '%s'; expected 8-4-4-4-12 hex digits",
                                uuid ? "an invalid" : "no", uuid ? shown(uuid) : "");
        if (!type || !(mdev_type_id_valid(type) || mdev_type_name_valid(type)))
                return log_fail(-EINVAL, "mdev %s: type '%s' is not a valid type id or name; see `mdevctl types`",
                                req.uuid, type ? shown(type) : "(missing)");
        if (parent) {
                struct pci_addr a;
                /* Accept a PCI address in any case/short form, store the canonical one. */
                if (pci_addr_parse(parent, &a) == 0) {
                        char canon[PCI_ADDR_LEN + 1];
                        pci_addr_format(&a, canon);
                        snprintf(req.parent, sizeof(req.parent), "%s", canon);
                } else if (mdev_parent_name_valid(parent))
                        snprintf(req.parent, sizeof(req.parent), "%s", parent);
                else
                        return log_fail(-EINVAL, "mdev %s: parent '%s' is not a valid device name; use a PCI address like 0000:41:00.0",
                                        req.uuid, shown(parent));
        }
        _cleanup_free_ char *who = strdup_printf("mdev %s:", req.uuid);
        if ((r = parse_placement(who, placement, &req.placement)) < 0)
                return r;
        r = strset_add(seen, req.uuid);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "mdev %s is described twice in the gpuhook metadata; keep one <gpuhook:mdev>",
                                req.uuid);
        req.type = TAKE_PTR(type);
        r = parse_params(m, &req);
        if (r >= 0)
                r = grow_one((void **)&d->requests, d->n_requests, cap, sizeof(req));
        if (r < 0) {
                for (size_t i = 0; i < req.n_params; i++) {
                        free(req.params[i].name);
                        free(req.params[i].value);
                }
                free(req.params);
                free(req.type);
                return r;
        }
        d->requests[d->n_requests++] = req;
        return 0;
}

static int parse_yes_no(const char *what, const char *v, bool *ret) {
        if (!v)
                return 0;
        if (streq(v, "yes") || streq(v, "no")) {
                *ret = streq(v, "yes");
                return 0;
        }
        return log_fail(-EINVAL, "<gpuhook:pci> %s='%s'; use 'yes' or 'no'", what, shown(v));
}

static int parse_pci_request(xmlNodePtr m, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *address = xml_prop(m, "address"), *allow = xml_prop(m, "allow"),
                            *console = xml_prop(m, "allow-boot-console");
        struct pci_request req = { 0 };
        struct pci_addr a;
        int r;

        for (xmlAttrPtr at = m->properties; at; at = at->next) {
                const char *n = (const char *)at->name;
                if (at->ns || (!streq(n, "address") && !streq(n, "allow") && !streq(n, "allow-boot-console")))
                        return log_fail(-EINVAL, "<gpuhook:pci> has unknown attribute '%s'; allowed: address, allow, allow-boot-console",
                                        shown(n));
        }
        if (!address || pci_addr_parse(address, &a) < 0)
                return log_fail(-EINVAL, "<gpuhook:pci> has %s address '%s'; expected a PCI address like 0000:01:00.0",
                                address ? "an invalid" : "no", address ? shown(address) : "");
        pci_addr_format(&a, req.bdf);
        if ((r = parse_yes_no("allow", allow, &req.allow)) < 0 ||
            (r = parse_yes_no("allow-boot-console", console, &req.allow_boot_console)) < 0)
                return r;
        r = strset_add(seen, req.bdf);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "PCI device %s is described twice in the gpuhook metadata; keep one <gpuhook:pci>", req.bdf);
        if (grow_one((void **)&d->pci_requests, d->n_pci_requests, cap, sizeof(req)) < 0)
                return -ENOMEM;
        d->pci_requests[d->n_pci_requests++] = req;
        return 0;
}

static int parse_vgpu_request(xmlNodePtr m, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *address = xml_prop(m, "address"), *type = xml_prop(m, "type");
        struct vgpu_request req = { 0 };
        struct pci_addr a;
        int r;

        for (xmlAttrPtr at = m->properties; at; at = at->next) {
                const char *n = (const char *)at->name;
                if (at->ns || (!streq(n, "address") && !streq(n, "type")))
                        return log_fail(-EINVAL, "<gpuhook:vgpu> has unknown attribute '%s'; allowed: address, type", shown(n));
        }
        if (!address || pci_addr_parse(address, &a) < 0)
                return log_fail(-EINVAL, "<gpuhook:vgpu> has %s address '%s'; expected the VF's PCI address like 0000:c1:00.4",
                                address ? "an invalid" : "no", address ? shown(address) : "");
        pci_addr_format(&a, req.bdf);
        if (!type || !mdev_type_name_valid(type))
                return log_fail(-EINVAL, "<gpuhook:vgpu address='%s'> needs type= (an id or name from the VF's nvidia/creatable_vgpu_types)",
                                req.bdf);
        r = strset_add(seen, req.bdf);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "VF %s has two <gpuhook:vgpu> lines; keep one", req.bdf);
        if (grow_one((void **)&d->vgpu_requests, d->n_vgpu_requests, cap, sizeof(req)) < 0)
                return -ENOMEM;
        req.type = TAKE_PTR(type);
        d->vgpu_requests[d->n_vgpu_requests++] = req;
        return 0;
}

/* A family name as plugin/drivers/sriov-gpu.c spells them: [a-z0-9-]. */
static bool family_valid(const char *s) {
        size_t n = 0;
        for (; s[n]; n++)
                if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
                        return false;
        return n > 0 && n < sizeof(((struct vf_request *)0)->family);
}

static int parse_vf_request(xmlNodePtr m, struct domain_spec *d, size_t *cap, struct strset *seen) {
        _cleanup_free_ char *address = xml_prop(m, "address"), *family = xml_prop(m, "family"),
                            *profile = xml_prop(m, "profile"), *placement = xml_prop(m, "placement");
        struct vf_request req = { .placement = PLACEMENT_DEFAULT };
        struct pci_addr a;
        int r;

        for (xmlAttrPtr at = m->properties; at; at = at->next) {
                const char *n = (const char *)at->name;
                if (at->ns || (!streq(n, "address") && !streq(n, "family") && !streq(n, "profile") && !streq(n, "placement")))
                        return log_fail(-EINVAL, "<gpuhook:vf> has unknown attribute '%s'; allowed: address, family, profile, placement",
                                        shown(n));
        }
        if (!address || pci_addr_parse(address, &a) < 0)
                return log_fail(-EINVAL, "<gpuhook:vf> has %s address '%s'; expected the VF's PCI address like 0000:03:00.1 (gpuhookctl xml vf FAMILY picks one)",
                                address ? "an invalid" : "no", address ? shown(address) : "");
        pci_addr_format(&a, req.bdf);
        if (!family || !family_valid(family))
                return log_fail(-EINVAL, "<gpuhook:vf address='%s'> needs family= (intel-sriov or amd-mxgpu, see gpuhookctl types)", req.bdf);
        snprintf(req.family, sizeof(req.family), "%s", family);
        if (profile && !vf_profile_valid(profile))
                return log_fail(-EINVAL, "<gpuhook:vf address='%s'> profile='%s' is not key=value[,key=value] (letters, digits, _ . -)",
                                req.bdf, shown(profile));
        _cleanup_free_ char *who = strdup_printf("<gpuhook:vf address='%s'>", req.bdf);
        if ((r = parse_placement(who, placement, &req.placement)) < 0)
                return r;
        r = strset_add(seen, req.bdf);
        if (r < 0)
                return r;
        if (r == 0)
                return log_fail(-EINVAL, "VF %s has two <gpuhook:vf> lines; keep one", req.bdf);
        if (grow_one((void **)&d->vf_requests, d->n_vf_requests, cap, sizeof(req)) < 0)
                return -ENOMEM;
        req.profile = TAKE_PTR(profile);
        d->vf_requests[d->n_vf_requests++] = req;
        return 0;
}

/* <gpuhook:devices manage='yes|no'>: its only attribute. Two elements
 * (libvirt keeps one per namespace, a hand-written XML may have more) must
 * not disagree. */
static int parse_devices_attrs(xmlNodePtr c, int *manage) {
        for (xmlAttrPtr a = c->properties; a; a = a->next) {
                const char *n = (const char *)a->name;
                if (a->ns || !streq(n, "manage"))
                        return log_fail(-EINVAL, "<gpuhook:devices> has unknown attribute '%s'; allowed: manage",
                                        shown(n));
        }
        _cleanup_free_ char *v = xml_prop(c, "manage");
        if (!v)
                return 0;
        if (!streq(v, "yes") && !streq(v, "no"))
                return log_fail(-EINVAL, "<gpuhook:devices> manage='%s'; use 'no' (gpuhook leaves this domain's devices alone) or 'yes'",
                                shown(v));
        int want = streq(v, "yes");
        if (*manage >= 0 && *manage != want)
                return log_fail(-EINVAL, "two <gpuhook:devices> elements disagree on manage=; keep one");
        *manage = want;
        return 0;
}

static int parse_metadata(xmlNodePtr meta, struct domain_spec *d) {
        struct strset seen = { 0 }, seen_pci = { 0 }, seen_vgpu = { 0 }, seen_vf = { 0 };
        size_t cap = 0, cap_pci = 0, cap_vgpu = 0, cap_vf = 0;
        int r = 0, manage = -1;

        for (xmlNodePtr c = meta ? meta->children : NULL; c && r >= 0; c = c->next) {
                if (!xml_name_is(c, "devices") || !xml_ns_is(c, GPUHOOK_XML_NS))
                        continue;
                r = parse_devices_attrs(c, &manage);
                if (r < 0)
                        break;
                for (xmlNodePtr m = c->children; m && r >= 0; m = m->next) {
                        if (m->type != XML_ELEMENT_NODE)
                                continue;
                        if (!xml_ns_is(m, GPUHOOK_XML_NS))
                                continue;
                        if (xml_name_is(m, "mdev"))
                                r = parse_mdev_request(m, d, &cap, &seen);
                        else if (xml_name_is(m, "pci"))
                                r = parse_pci_request(m, d, &cap_pci, &seen_pci);
                        else if (xml_name_is(m, "vgpu"))
                                r = parse_vgpu_request(m, d, &cap_vgpu, &seen_vgpu);
                        else if (xml_name_is(m, "vf"))
                                r = parse_vf_request(m, d, &cap_vf, &seen_vf);
                }
        }
        strset_free(&seen);
        strset_free(&seen_pci);
        strset_free(&seen_vgpu);
        strset_free(&seen_vf);
        d->hands_off = manage == 0;
        return r;
}

int domain_parse(const char *xml, size_t len, struct domain_spec **ret) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        struct strset seen_mdev = { 0 }, seen_pci = { 0 };
        size_t cap_m = 0, cap_p = 0;
        const char *err = NULL;
        xmlNodePtr root;
        int r;

        r = xml_parse_hostile(xml, len, &doc, &err);
        if (r < 0)
                return log_fail(r, "cannot parse the domain XML: %s; pass libvirt's domain XML on stdin", err);
        root = xmlDocGetRootElement(doc);
        if (!xml_name_is(root, "domain") || root->ns)
                return log_fail(-EINVAL, "stdin is not a libvirt <domain> (root element <%s>)", shown((const char *)root->name));

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;

        xmlNodePtr name = xml_child(root, "name"), uuid = xml_child(root, "uuid");
        _cleanup_free_ char *name_s = name ? (char *)xmlNodeGetContent(name) : NULL;
        _cleanup_free_ char *uuid_s = uuid ? (char *)xmlNodeGetContent(uuid) : NULL;
        if (!uuid_s || uuid_normalize(uuid_s, d->uuid) < 0)
                return log_fail(-EINVAL, "the domain XML has %s <uuid> '%s'; libvirt always writes one",
                                uuid_s ? "an invalid" : "no", uuid_s ? shown(uuid_s) : "");
        /* The name goes into the ledger: keep it to what a ledger reads back. */
        if (name_s && strlen(name_s) > DOMAIN_NAME_MAX)
                return log_fail(-EINVAL, "the domain name is %zu bytes long; gpuhook accepts at most %d", strlen(name_s),
                                DOMAIN_NAME_MAX);
        d->name = strdup(name_s ? name_s : "");
        if (!d->name)
                return -ENOMEM;

        xmlNodePtr numatune = xml_child(root, "numatune"), memory = xml_child(numatune, "memory");
        _cleanup_free_ char *nodeset = memory ? xml_prop(memory, "nodeset") : NULL;
        if (nodeset && nodeset_parse(nodeset, &d->numa) < 0)
                return log_fail(-EINVAL, "<numatune><memory nodeset='%s'> is not a valid nodeset", shown(nodeset));

        xmlNodePtr devices = xml_child(root, "devices");
        for (xmlNodePtr h = devices ? devices->children : NULL; h; h = h->next) {
                if (!xml_name_is(h, "hostdev") || h->ns)
                        continue;
                _cleanup_free_ char *mode = xml_prop(h, "mode"), *type = xml_prop(h, "type");
                if (!mode || !streq(mode, "subsystem") || !type)
                        continue;
                if (streq(type, "mdev"))
                        r = parse_mdev_hostdev(h, d, &cap_m, &seen_mdev);
                else if (streq(type, "pci"))
                        r = parse_pci_hostdev(h, d, &cap_p, &seen_pci);
                else
                        continue;
                if (r < 0)
                        break;
        }
        strset_free(&seen_mdev);
        strset_free(&seen_pci);
        if (r < 0)
                return r;

        r = parse_metadata(xml_child(root, "metadata"), d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

const struct vf_request *domain_find_vf(const struct domain_spec *d, const char *bdf) {
        for (size_t i = 0; i < d->n_vf_requests; i++)
                if (streq(d->vf_requests[i].bdf, bdf))
                        return &d->vf_requests[i];
        return NULL;
}

const struct vgpu_request *domain_find_vgpu(const struct domain_spec *d, const char *bdf) {
        for (size_t i = 0; i < d->n_vgpu_requests; i++)
                if (streq(d->vgpu_requests[i].bdf, bdf))
                        return &d->vgpu_requests[i];
        return NULL;
}

const struct mdev_request *domain_find_request(const struct domain_spec *d, const char *uuid) {
        for (size_t i = 0; i < d->n_requests; i++)
                if (streq(d->requests[i].uuid, uuid))
                        return &d->requests[i];
        return NULL;
}

/* Point the hostdev at FROM to TO: its <source><address>, in libvirt's
 * 0x-prefixed hex, and the metadata that names FROM (<gpuhook:vf>,
 * <gpuhook:pci>). */
static int move_hostdev(xmlNodePtr root, const char *from, const char *to) {
        struct pci_addr t;
        char v[4][8];
        const char *names[] = { "domain", "bus", "slot", "function" };
        bool moved = false;
        if (pci_addr_parse(to, &t) < 0)
                return -EINVAL;
        snprintf(v[0], sizeof(v[0]), "0x%04x", t.domain);
        snprintf(v[1], sizeof(v[1]), "0x%02x", t.bus);
        snprintf(v[2], sizeof(v[2]), "0x%02x", t.slot);
        snprintf(v[3], sizeof(v[3]), "0x%x", t.function);
        xmlNodePtr devices = xml_child(root, "devices"), meta = xml_child(root, "metadata");
        for (xmlNodePtr h = devices ? devices->children : NULL; h; h = h->next) {
                _cleanup_free_ char *type = h->type == XML_ELEMENT_NODE && xml_name_is(h, "hostdev") ? xml_prop(h, "type") : NULL;
                if (!type || !streq(type, "pci"))
                        continue;
                xmlNodePtr addr = xml_child(xml_child(h, "source"), "address");
                struct domain_spec one = { 0 };
                size_t cap = 0;
                struct strset seen = { 0 };
                int r = parse_pci_hostdev(h, &one, &cap, &seen);
                strset_free(&seen);
                bool match = r >= 0 && one.n_pcis == 1 && streq(one.pcis[0].bdf, from);
                free(one.pcis);
                if (!match)
                        continue;
                for (size_t i = 0; i < 4; i++)
                        if (!xmlSetProp(addr, (const xmlChar *)names[i], (const xmlChar *)v[i]))
                                return -ENOMEM;
                moved = true;
        }
        for (xmlNodePtr c = meta ? meta->children : NULL; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !xml_name_is(c, "devices") || !xml_ns_is(c, GPUHOOK_XML_NS))
                        continue;
                for (xmlNodePtr m = c->children; m; m = m->next) {
                        if (m->type != XML_ELEMENT_NODE || !xml_ns_is(m, GPUHOOK_XML_NS) ||
                            !(xml_name_is(m, "vf") || xml_name_is(m, "pci")))
                                continue;
                        _cleanup_free_ char *a = xml_prop(m, "address");
                        struct pci_addr pa;
                        char bdf[PCI_ADDR_LEN + 1];
                        if (!a || pci_addr_parse(a, &pa) < 0)
                                continue;
                        pci_addr_format(&pa, bdf);
                        if (streq(bdf, from) && !xmlSetProp(m, (const xmlChar *)"address", (const xmlChar *)to))
                                return -ENOMEM;
                }
        }
        return moved ? 0 : -ENOENT;
}

int domain_xml_move_hostdevs(const char *xml, size_t len, const struct hostdev_move *moves, size_t n, char **ret) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;
        xmlChar *out = NULL;
        int size = 0, r;

        r = xml_parse_hostile(xml, len, &doc, &err);
        if (r < 0)
                return log_fail(r, "cannot parse the domain XML: %s; pass libvirt's domain XML on stdin", err);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        for (size_t i = 0; i < n; i++)
                if ((r = move_hostdev(root, moves[i].from, moves[i].to)) < 0)
                        return r == -ENOENT ? log_fail(r, "the domain XML has no <hostdev type='pci'> at %s to move to %s", moves[i].from,
                                                       moves[i].to)
                                            : r;
        xmlDocDumpFormatMemoryEnc(doc, &out, &size, "UTF-8", 0);
        if (!out)
                return -ENOMEM;
        /* No XML declaration: libvirt's own domain XML has none. */
        const char *body = (const char *)out;
        if (strncmp(body, "<?xml", 5) == 0 && strchr(body, '\n'))
                body = strchr(body, '\n') + 1;
        *ret = strdup(body);
        xmlFree(out);
        return *ret ? 0 : -ENOMEM;
}
