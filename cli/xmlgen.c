/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/random.h>
#include <sys/utsname.h>

#include "log.h"
#include "placement.h"
#include "template.h"
#include "xmlgen.h"

const char *const domain_styles[] = { "virtio-gl", "qxl-spice", "vnc", "none", NULL };

static const char *shown(const char *s) {
        static char buf[4][100];
        static unsigned i;
        return sanitize_for_message(s, buf[i++ % 4], sizeof(buf[0]));
}

int uuid_generate(char ret[UUID_STRING_LEN + 1]) {
        uint8_t b[16];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t k = getrandom(b + got, sizeof(b) - got, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_fail(-errno, "cannot generate a UUID: getrandom: %m");
                }
                got += (size_t)k;
        }
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        snprintf(ret, UUID_STRING_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}

int parse_bdf(const char *s, struct pci_addr *ret_addr, char ret_bdf[PCI_ADDR_LEN + 1]) {
        struct pci_addr a;
        if (pci_addr_parse(s, &a) < 0)
                return log_fail(-EINVAL, "'%s' is not a PCI address: expected dddd:bb:ss.f or bb:ss.f in hex, like 0000:41:00.0 (see gpuhookctl list)",
                                shown(s));
        if (ret_addr)
                *ret_addr = a;
        if (ret_bdf)
                pci_addr_format(&a, ret_bdf);
        return 0;
}

static int check_param(const char *p) {
        const char *eq = strchr(p, '=');
        char name[MDEV_NAME_MAX + 1];
        if (!eq || (size_t)(eq - p) > MDEV_NAME_MAX)
                return log_fail(-EINVAL, "--param '%s' is not NAME=VALUE with a short NAME", shown(p));
        snprintf(name, sizeof(name), "%.*s", (int)(eq - p), p);
        if (!driver_name_valid(name))
                return log_fail(-EINVAL, "--param name '%s' is not a plain identifier (letters, digits, '_', '-')", shown(name));
        if (strlen(eq + 1) > 256)
                return log_fail(-EINVAL, "--param %s: the value is over 256 characters", name);
        for (const char *s = eq + 1; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == ',' || *s == '=' || *s == 0x7f)
                        return log_fail(-EINVAL, "--param %s: the value has a control character, ',' or '='; give each parameter its own --param",
                                        name);
        return 0;
}

int mdev_spec_init(struct mdev_spec *spec, const char *uuid, const char *type, const char *parent,
                   const char *placement, char *const *params, const char *model, bool display, bool ramfb) {
        int r;

        *spec = (struct mdev_spec){ .type = type, .placement = placement, .params = params, .display = display,
                                    .ramfb = ramfb, .model = model ? model : "vfio-pci" };
        if (uuid) {
                if (uuid_normalize(uuid, spec->uuid) < 0)
                        return log_fail(-EINVAL, "'%s' is not a UUID: expected 8-4-4-4-12 hex digits", shown(uuid));
        } else if ((r = uuid_generate(spec->uuid)) < 0)
                return r;
        if (!streq(spec->model, "vfio-pci") && !streq(spec->model, "vfio-ccw") && !streq(spec->model, "vfio-ap"))
                return log_fail(-EINVAL, "mdev model '%s' is unknown: use vfio-pci (GPUs), vfio-ccw or vfio-ap", shown(spec->model));
        if ((display || ramfb) && !streq(spec->model, "vfio-pci"))
                return log_fail(-EINVAL, "--display and --ramfb need model vfio-pci, not %s", spec->model);
        if (!type && (parent || placement || (params && *params)))
                return log_fail(-EINVAL, "--parent, --placement and --param describe an mdev request: give its --type too");
        if (type && !(mdev_type_id_valid(type) || mdev_type_name_valid(type)))
                return log_fail(-EINVAL, "mdev type '%s' is neither a type id nor a type name; see gpuhookctl types", shown(type));
        if (parent) {
                struct pci_addr a;
                if (pci_addr_parse(parent, &a) == 0)
                        pci_addr_format(&a, spec->parent);
                else if (mdev_parent_name_valid(parent))
                        snprintf(spec->parent, sizeof(spec->parent), "%s", parent);
                else
                        return log_fail(-EINVAL, "mdev parent '%s' is not a device name; use a PCI address like 0000:41:00.0 (see gpuhookctl types)",
                                        shown(parent));
        }
        if (placement && placement_policy_from_string(placement) < 0)
                return log_fail(-EINVAL, "placement '%s' is unknown: use compact or spread", shown(placement));
        for (size_t i = 0; params && params[i]; i++)
                if ((r = check_param(params[i])) < 0)
                        return r;
        return 0;
}

static int render(const char *name, const struct tmpl_var *vars, size_t n, char **ret) {
        const char *err = NULL;
        int r = template_render(name, vars, n, ret, &err);
        if (r < 0)
                return log_fail(r, "cannot render %s: %s; the built-in templates are broken, rebuild gpuhookctl", name, err);
        return 0;
}

static int render_address(const char *template, const struct pci_addr *a, const char *managed, char **ret) {
        char d[8], b[8], s[8], f[8];
        snprintf(d, sizeof(d), "0x%04x", a->domain);
        snprintf(b, sizeof(b), "0x%02x", a->bus);
        snprintf(s, sizeof(s), "0x%02x", a->slot);
        snprintf(f, sizeof(f), "0x%x", a->function);
        const struct tmpl_var vars[] = {
                { "domain", d }, { "bus", b }, { "slot", s }, { "function", f }, { "managed", managed },
        };
        return render(template, vars, ELEMENTSOF(vars), ret);
}

int xmlgen_pci_hostdev(const struct pci_addr *a, bool managed, char **ret) {
        return render_address("hostdev-pci", a, managed ? "yes" : "no", ret);
}

int xmlgen_vf_hostdev(const struct pci_addr *a, char **ret) { return render_address("hostdev-vgpu-vf", a, "no", ret); }

int xmlgen_mdev_hostdev(const struct mdev_spec *m, char **ret) {
        const struct tmpl_var vars[] = {
                { "uuid", m->uuid },
                { "model", m->model },
                { "display", m->display || m->ramfb ? "on" : NULL },
                { "ramfb", m->ramfb ? "on" : NULL },
        };
        return render("hostdev-mdev", vars, ELEMENTSOF(vars), ret);
}

int xmlgen_mdev_request(const struct mdev_spec *m, char **ret) {
        struct strbuf params = { 0 };
        int r = 0;

        if (!m->type)
                return log_fail(-EINVAL, "mdev %s has no type: give --type (see gpuhookctl types)", m->uuid);
        for (size_t i = 0; m->params && m->params[i] && r >= 0; i++) {
                const char *eq = strchr(m->params[i], '=');
                _cleanup_free_ char *name = strndup(m->params[i], (size_t)(eq - m->params[i])), *one = NULL;
                if (!name) {
                        r = -ENOMEM;
                        break;
                }
                const struct tmpl_var pv[] = { { "name", name }, { "value", eq + 1 } };
                r = render("metadata-param", pv, ELEMENTSOF(pv), &one);
                if (r >= 0)
                        r = strbuf_appendf(&params, "%s", one);
        }
        if (r >= 0) {
                const struct tmpl_var vars[] = {
                        { "uuid", m->uuid },
                        { "type", m->type },
                        { "parent", *m->parent ? m->parent : NULL },
                        { "placement", m->placement },
                        { "params", params.buf },
                };
                r = render("metadata-mdev", vars, ELEMENTSOF(vars), ret);
        }
        strbuf_free(&params);
        return r;
}

int xmlgen_vgpu_request(const struct pci_addr *a, const char *type, char **ret) {
        char bdf[PCI_ADDR_LEN + 1];
        if (!type || !(mdev_type_id_valid(type) || mdev_type_name_valid(type)))
                return log_fail(-EINVAL, "vGPU type '%s' is neither a type id nor a type name; see gpuhookctl types",
                                type ? shown(type) : "(missing)");
        pci_addr_format(a, bdf);
        const struct tmpl_var vars[] = { { "address", bdf }, { "type", type } };
        return render("metadata-vgpu", vars, ELEMENTSOF(vars), ret);
}

int xmlgen_vf_request(const char *bdf, const char *family, const char *profile, const char *placement, char **ret) {
        const struct tmpl_var vars[] = {
                { "address", bdf }, { "family", family }, { "profile", profile }, { "placement", placement },
        };
        return render("metadata-vf", vars, ELEMENTSOF(vars), ret);
}

int xmlgen_metadata(const char *entries, char **ret) {
        const struct tmpl_var vars[] = { { "entries", entries ? entries : "" } };
        return render("metadata-devices", vars, ELEMENTSOF(vars), ret);
}

static bool host_is_s390x(void) {
        struct utsname u;
        return uname(&u) == 0 && streq(u.machine, "s390x");
}

bool mdev_model_is_s390(const char *model) { return model && (streq(model, "vfio-ccw") || streq(model, "vfio-ap")); }

int xmlgen_domain_check(const char *style, const char *model, bool display, bool ramfb, char *const *pcis,
                        char *const *mdevs) {
        bool none = streq(style, "none");
        size_t n_mdevs = 0;
        while (mdevs && mdevs[n_mdevs])
                n_mdevs++;

        /* libvirt src/qemu/qemu_validate.c qemuValidateDomainMdevDefVFIOPCI:
         * "graphics device is needed for attribute value 'display=on' in <hostdev>". */
        if ((display || ramfb) && none)
                return log_fail(-EINVAL, "--display%s shows the vGPU through the domain's graphics, and style none has none: use virtio-gl, qxl-spice or vnc, or drop --display%s",
                                ramfb ? " and --ramfb" : "", ramfb ? " and --ramfb" : "");
        /* vfio-ccw and vfio-ap exist only on IBM Z (s390x), whose QEMU has
         * no VGA, qxl or virtio-vga-gl: only the serial-console style fits. */
        if (mdev_model_is_s390(model) && !none)
                return log_fail(-EINVAL, "%s devices are IBM Z (s390x) channel/crypto devices and an s390x domain has no %s display: use style none (an s390x domain with an SCLP console)",
                                model, style);
        /* qemu_validate.c qemuValidateDomainMdevDefVFIOAP: "Only one hostdev
         * of model vfio-ap is supported". */
        if (model && streq(model, "vfio-ap") && n_mdevs > 1)
                return log_fail(-EINVAL, "a domain takes one vfio-ap device (libvirt: only one hostdev of model vfio-ap), not %zu: give one --mdev",
                                n_mdevs);
        /* src/conf/domain_validate.c virDomainDefHostdevValidate: "Only one
         * vgpu device can have 'ramfb' enabled"; --ramfb applies to every --mdev. */
        if (ramfb && n_mdevs > 1)
                return log_fail(-EINVAL, "--ramfb applies to every --mdev and libvirt allows ramfb on one vGPU only: render the domain with one --mdev and --ramfb, then add the others with `gpuhookctl attach` (without --ramfb)");
        /* The same file, "Hostdev already exists in the domain configuration". */
        for (size_t i = 0; mdevs && mdevs[i]; i++) {
                char a[UUID_STRING_LEN + 1], b[UUID_STRING_LEN + 1];
                if (uuid_normalize(mdevs[i], a) < 0)
                        continue; /* refused with its reason when rendered */
                for (size_t k = 0; k < i; k++)
                        if (uuid_normalize(mdevs[k], b) == 0 && streq(a, b))
                                return log_fail(-EINVAL, "--mdev %s is given twice: one mdev can back one hostdev", a);
        }
        for (size_t i = 0; pcis && pcis[i]; i++) {
                struct pci_addr a, b;
                if (pci_addr_parse(pcis[i], &a) < 0)
                        continue;
                for (size_t k = 0; k < i; k++)
                        if (pci_addr_parse(pcis[k], &b) == 0 && a.domain == b.domain && a.bus == b.bus && a.slot == b.slot &&
                            a.function == b.function) {
                                char bdf[PCI_ADDR_LEN + 1];
                                pci_addr_format(&a, bdf);
                                return log_fail(-EINVAL, "--pci %s is given twice: a host function can be passed once", bdf);
                        }
        }
        return 0;
}

int xmlgen_domain(const char *style, bool s390x, const char *name, const char *uuid, unsigned memory_mib,
                  unsigned vcpus, const char *hostdevs, const char *metadata, char **ret) {
        char u[UUID_STRING_LEN + 1], mem[16], cpus[16], template[64];
        _cleanup_free_ char *hd = NULL, *md = NULL;
        bool known = false;
        int r;

        for (size_t i = 0; domain_styles[i]; i++)
                known = known || streq(domain_styles[i], style);
        if (!known)
                return log_fail(-EINVAL, "domain style '%s' is unknown: use virtio-gl, qxl-spice, vnc or none", shown(style));
        if (uuid) {
                if (uuid_normalize(uuid, u) < 0)
                        return log_fail(-EINVAL, "'%s' is not a UUID: expected 8-4-4-4-12 hex digits", shown(uuid));
        } else if ((r = uuid_generate(u)) < 0)
                return r;
        if (name && (isempty(name) || strlen(name) > 200 || strchr(name, '/')))
                return log_fail(-EINVAL, "domain name '%s' is empty, too long or has a '/'", shown(name));
        for (const char *p = name; p && *p; p++)
                if ((unsigned char)*p < 0x20)
                        return log_fail(-EINVAL, "domain name '%s' has a control character", shown(name));
        snprintf(mem, sizeof(mem), "%u", memory_mib);
        snprintf(cpus, sizeof(cpus), "%u", vcpus);
        snprintf(template, sizeof(template), "domain-%s", style);
        hd = text_indent(hostdevs ? hostdevs : "", "    ");
        md = text_indent(metadata ? metadata : "", "    ");
        if (!hd || !md)
                return -ENOMEM;
        const struct tmpl_var vars[] = {
                { "name", name ? name : "gpuhook-vm" },
                { "uuid", u },
                { "memory", mem },
                { "vcpus", cpus },
                { "hostdevs", hd },
                { "metadata", *md ? md : NULL },
                /* s390-ccw-virtio is QEMU's (only) s390x machine type. */
                { "arch", s390x ? "s390x" : "x86_64" },
                /* libvirt refuses type='kvm' for another architecture's QEMU
                 * ("Emulator '/usr/bin/qemu-system-s390x' does not support virt
                 * type 'kvm'", libvirt 9.0 on x86_64): such a domain is emulated. */
                { "virt_type", s390x && !host_is_s390x() ? "qemu" : "kvm" },
                { "machine", s390x ? "s390-ccw-virtio" : "q35" },
                { "x86", s390x ? NULL : "yes" },
        };
        if (s390x && !streq(style, "none"))
                return log_fail(-EINVAL, "an s390x domain has no %s display: use style none", style);
        return render(template, vars, ELEMENTSOF(vars), ret);
}

char *xml_escape(const char *s) {
        struct strbuf sb = { 0 };
        int r = 0;
        for (; s && *s && r >= 0; s++)
                switch (*s) {
                case '&': r = strbuf_appendf(&sb, "&amp;"); break;
                case '<': r = strbuf_appendf(&sb, "&lt;"); break;
                case '>': r = strbuf_appendf(&sb, "&gt;"); break;
                case '\'': r = strbuf_appendf(&sb, "&apos;"); break;
                case '"': r = strbuf_appendf(&sb, "&quot;"); break;
                default: r = strbuf_appendf(&sb, "%c", *s);
                }
        if (r < 0) {
                strbuf_free(&sb);
                return NULL;
        }
        return sb.buf ? sb.buf : strdup("");
}
