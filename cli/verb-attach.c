/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl attach DOMAIN mdev TYPE | pci BDF... | vgpu-vf BDF
 *
 * Hot-plug with the hook's own just-in-time preparation: attach builds a
 * domain_spec holding just the new device (and its <gpuhook:mdev> request)
 * and runs jit_prepare() for the domain's UUID, so what it creates lands in
 * the domain's ledger and is released by the hook when the domain stops.
 * Then libvirt attaches the device (virDomainAttachDeviceFlags). Any failure
 * undoes both.
 *
 * A change to the persistent definition only (--config, or a domain that is
 * not running) prepares nothing: the hook creates the device just in time
 * when the domain starts, from the metadata request written here. */
#include "domain.h"
#include "gpuhookctl.h"
#include "libvirt-vfio.h"
#include "hotplug.h"
#include "inventory.h"
#include "jit.h"
#include "ledger.h"
#include "mdev.h"
#include "placement.h"
#include "log.h"
#include "metadata.h"
#include "pci.h"
#include "sriov.h"
#include "vendor.h"
#include "vf-family.h"
#include "virt.h"
#include "xmlgen.h"

/* ---- ledger bookkeeping for rollback ---- */

static int ledger_keys(const struct gpuhook_config *cfg, const char *uuid, char ***ret) {
        _cleanup_ledger_ struct ledger *l = NULL;
        int r = ledger_open(cfg->state_dir, uuid, NULL, &l);
        *ret = NULL;
        for (size_t i = 0; r >= 0 && i < l->n; i++) {
                _cleanup_free_ char *k = strdup_printf("%s:%s", ledger_kind_to_string(l->entries[i].kind), l->entries[i].id);
                r = k ? strv_push(ret, k) : -ENOMEM;
        }
        return r < 0 ? r : 0;
}

static bool match_not_in(const struct ledger_entry *e, void *userdata) {
        char *const *before = userdata;
        _cleanup_free_ char *k = strdup_printf("%s:%s", ledger_kind_to_string(e->kind), e->id);
        return k && !strv_has(before, k);
}

/* ---- attach ---- */

static int build_devices(const char *kind, char **args, struct device **ret, size_t *ret_n, struct mdev_spec *mdev,
                         char **ret_request) {
        struct device *v = NULL;
        size_t n = 0;
        int r = 0;

        if (streq(kind, "mdev")) {
                v = calloc(1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                n = 1;
                v[0].kind = DEV_MDEV;
                r = mdev_spec_init(mdev, arg.uuid, args[0], arg.parent, arg.placement, arg.params, arg.model, arg.display,
                                   arg.ramfb);
                /* Stored in the metadata: vetted now, not first at start. */
                if (r >= 0)
                        r = gh_params_check_or_warn(mdev);
                if (r >= 0) {
                        snprintf(v[0].id, sizeof(v[0].id), "%s", mdev->uuid);
                        r = xmlgen_mdev_hostdev(mdev, &v[0].hostdev);
                }
                _cleanup_free_ char *entry = NULL;
                if (r >= 0)
                        r = xmlgen_mdev_request(mdev, &entry);
                if (r >= 0)
                        r = xmlgen_metadata(entry, ret_request);
        } else if (streq(kind, "vf")) {
                /* A free VF of the family, by placement; the request keeps the family. */
                char bdf[PCI_ADDR_LEN + 1];
                _cleanup_free_ char *entry = NULL;
                v = calloc(1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                n = 1;
                v[0].kind = DEV_PCI;
                r = cli_vf_pick(args[0], arg.profile, arg.placement, bdf);
                if (r >= 0)
                        r = parse_bdf(bdf, &v[0].addr, v[0].id);
                if (r >= 0)
                        r = xmlgen_pci_hostdev(&v[0].addr, true, &v[0].hostdev);
                if (r >= 0)
                        r = xmlgen_vf_request(v[0].id, args[0], arg.profile, arg.placement, &entry);
                if (r >= 0)
                        r = xmlgen_metadata(entry, ret_request);
        } else {
                for (size_t i = 0; args[i] && r >= 0; i++) {
                        struct device *nv = reallocarray(v, n + 1, sizeof(*v));
                        if (!nv) {
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        struct device *d = &v[n++];
                        *d = (struct device){ .kind = streq(kind, "pci") ? DEV_PCI : DEV_VF };
                        r = parse_bdf(args[i], &d->addr, d->id);
                        for (size_t k = 0; r >= 0 && k + 1 < n; k++)
                                if (streq(v[k].id, d->id))
                                        r = log_fail(-EINVAL, "PCI device %s is named twice", d->id);
                        if (r >= 0)
                                r = d->kind == DEV_PCI ? xmlgen_pci_hostdev(&d->addr, !arg.unmanaged, &d->hostdev)
                                                       : xmlgen_vf_hostdev(&d->addr, &d->hostdev);
                }
                /* The VF's vGPU type: set just in time, cleared at release. */
                _cleanup_free_ char *entry = NULL;
                if (r >= 0 && n == 1 && v[0].kind == DEV_VF)
                        r = xmlgen_vgpu_request(&v[0].addr, arg.type, &entry);
                if (r >= 0 && entry)
                        r = xmlgen_metadata(entry, ret_request);
        }
        *ret = v;
        *ret_n = n;
        return r;
}

static void devices_free(struct device *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].hostdev);
        free(v);
}

/* What the host must look like before libvirt is asked. */
static int preflight_pci(const struct gpuhook_config *cfg, const struct device *devs, size_t n, bool live) {
        struct pci_list l = { 0 };
        int r = pci_list_load(&l);
        if (r < 0)
                return log_fail(r, "cannot enumerate PCI devices through udev: %s", strerror(-r));
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct device *d = &devs[i];
                const struct pci_device *p = pci_list_find(&l, d->id);
                struct sriov_pf pf;
                if (!p && d->kind == DEV_PCI && sriov_pf_for_vf(&l, d->id, &pf) >= 0)
                        continue; /* a VF to come: the preparation enables it */
                if (!p) {
                        r = log_fail(-ENODEV, "PCI device %s is not on this host; `gpuhookctl list --all` shows what is", d->id);
                        break;
                }
                if (d->kind == DEV_VF) {
                        if (!*p->physfn)
                                r = log_fail(-EINVAL, "%s is not an SR-IOV virtual function; attach a whole GPU with `gpuhookctl attach DOMAIN pci %s`",
                                             d->id, d->id);
                        else if (!vgpu_vf_for(d->id))
                                r = log_fail(-EINVAL, "VF %s has no NVIDIA vGPU interface (nvidia/current_vgpu_type); a VF that goes to vfio-pci is attached with `gpuhookctl attach DOMAIN pci %s`",
                                             d->id, d->id);
                        else {
                                /* Before anything changes: libvirt must take the
                                 * VF unmanaged on the nvidia driver (libvirt-vfio.h). */
                                char what[64], why[256];
                                unsigned long lv = virt_libvirt_version();
                                enum libvirt_vfio_support sup = libvirt_vendor_vfio_support(lv);
                                snprintf(what, sizeof(what), "VF %s", d->id);
                                if (sup == LIBVIRT_VFIO_UNKNOWN)
                                        ctl_warn("%s: %s", what, libvirt_vendor_vfio_why(lv, why, sizeof(why)));
                                r = libvirt_vendor_vfio_check(lv, what);
                        }
                } else if (arg.unmanaged && live && !streq(p->driver, "vfio-pci"))
                        r = log_fail(-EINVAL, "%s is on %s, but --unmanaged needs it on vfio-pci already; drop --unmanaged (libvirt then moves it) or bind it with `gpuhookctl blacklist --vfio %04x:%04x` and a reboot",
                                     d->id, *p->driver ? p->driver : "no driver", p->vendor, p->device);
                else if (p->iommu_group < 0 && live)
                        r = log_fail(-ENODEV, "%s is in no IOMMU group: the IOMMU is off, so passthrough is impossible (see `gpuhookctl check`)",
                                     d->id);
                else if (!live) {
                        /* Only the definition changes now: say what the hook will say at start. */
                        struct strbuf taken = { 0 };
                        bool console_only, had = log_failure() != NULL;
                        if (passthrough_verdict(cfg, &l, p, !arg.unmanaged, &taken, &console_only) < 0)
                                ctl_warn("the hook will refuse %s when the domain starts: %s", d->id, log_failure());
                        if (!had)
                                log_failure_clear();
                        strbuf_free(&taken);
                }
        }
        pci_list_free(&l);
        return r;
}

/* Only the definition changes now: warn when no parent on this host offers
 * TYPE, which the hook would report at start. */
static void preflight_mdev_type(const char *type) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        const char *id = NULL;
        if (mdev_host_view_load(&v) >= 0 && placement_resolve_type(&v, type, &id, &why) < 0)
                ctl_warn("no mdev parent on this host offers '%s' now (%s); the hook will fail at start until one does (see gpuhookctl types)",
                         type, strbuf_str(&why));
        strbuf_free(&why);
        host_view_free(&v);
}

/* A domain_spec for jit_prepare with just DEVS (and REQUEST), for domain
 * NAME/UUID, validated by the hook's own parser. */
static int attach_spec(const char *name, const char *uuid, const struct device *devs, size_t n, const char *request,
                       const struct domain_spec *current, struct domain_spec **ret) {
        struct strbuf xml = { 0 };
        _cleanup_free_ char *ename = xml_escape(name);
        int r = ename ? 0 : -ENOMEM;
        if (r >= 0)
                r = strbuf_appendf(&xml, "<domain type='kvm'><name>%s</name><uuid>%s</uuid><devices>", ename, uuid);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = strbuf_appendf(&xml, "%s", devs[i].hostdev);
        if (r >= 0)
                r = strbuf_appendf(&xml, "</devices>%s%s%s</domain>", request ? "<metadata>" : "", request ? request : "",
                                   request ? "</metadata>" : "");
        if (r >= 0)
                r = domain_parse(strbuf_str(&xml), xml.len, ret);
        strbuf_free(&xml);
        if (r >= 0 && current)
                (*ret)->numa = current->numa; /* NUMA-aware placement as at start */
        return r;
}

static int verb_attach_do(virDomainPtr d, const struct gpuhook_config *cfg, const char *kind, char **args) {
        const char *name = virDomainGetName(d);
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct scope sc;
        struct device *devs = NULL;
        size_t n = 0;
        struct mdev_spec mdev;
        _cleanup_free_ char *request = NULL, *old_meta[2] = { NULL, NULL };
        _cleanup_domain_spec_ struct domain_spec *live_spec = NULL, *spec = NULL;
        bool meta_changed[2] = { false, false }, prepared = false;
        char **before = NULL;
        int r;

        if (virDomainGetUUIDString(d, uuid) < 0)
                return log_fail(-EIO, "cannot read the UUID of domain '%s': %s", name, virt_last_error());
        r = resolve_scope(d, &sc);
        if (r >= 0)
                r = build_devices(kind, args, &devs, &n, &mdev, &request);
        /* Not attached already, in any scope asked for. */
        for (int live = 1; live >= 0 && r >= 0; live--) {
                _cleanup_free_ char *xml = NULL;
                if (!(live ? sc.live : sc.config))
                        continue;
                r = fetch_xml(d, live, &xml);
                for (size_t i = 0; i < n && r >= 0; i++) {
                        int k = find_hostdev(xml, &devs[i], NULL);
                        if (k > 0)
                                r = log_fail(-EEXIST, "%s %s is already attached to domain '%s' (%s); detach it first",
                                             devs[i].kind == DEV_MDEV ? "mdev" : "PCI device", devs[i].id, name,
                                             live ? "live" : "persistent");
                        else
                                r = k;
                }
                if (r >= 0 && live)
                        r = domain_parse(xml, strlen(xml), &live_spec);
        }
        /* Switched off, host-wide or for this domain: gpuhook prepares nothing,
         * and attach would be the one exception. */
        if (r >= 0 && sc.live) {
                struct ctl_switch sw = { 0 };
                if (ctl_switch_read(&sw) >= 0 && sw.off)
                        r = log_fail(-EPERM, "gpuhook is switched off on this host (%s), so it prepares nothing for domain '%s'; `gpuhookctl enable` first, or attach with --config for the next start",
                                     sw.path, name);
                ctl_switch_free(&sw);
        }
        if (r >= 0 && live_spec && live_spec->hands_off)
                r = log_fail(-EPERM, "domain '%s' says manage='no' in its gpuhook metadata: its devices are not gpuhook's; attach with `virsh attach-device`, or drop manage='no'",
                             name);
        if (r >= 0 && kind[0] != 'm')
                r = preflight_pci(cfg, devs, n, sc.live);
        if (r >= 0 && kind[0] == 'm' && !sc.live)
                preflight_mdev_type(mdev.type);
        if (r >= 0 && devs[0].kind == DEV_MDEV) {
                char *owner = NULL;
                int k = ledger_find_owner(cfg->state_dir, uuid, LEDGER_MDEV, devs[0].id, &owner);
                if (k > 0)
                        r = log_fail(-EBUSY, "mdev %s belongs to domain '%s' (gpuhook's ledger); give this one its own --uuid",
                                     devs[0].id, owner);
                free(owner);
        }
        if (r < 0)
                goto out;

        if (arg.dry_run) {
                printf("Would attach to domain '%s' (%s):\n", name, scope_text(&sc));
                for (size_t i = 0; i < n; i++)
                        fputs(devs[i].hostdev, stdout);
                if (request)
                        printf("with this request in its metadata:\n%s", request);
                if (sc.live)
                        printf("after gpuhook prepared %s just in time, as the hook does at start.\n",
                               devs[0].kind == DEV_MDEV ? "the mdev" : devs[0].kind == DEV_VF ? "the VF's vGPU type" : "the IOMMU group (companions, console)");
                goto out;
        }

        r = ledger_keys(cfg, uuid, &before);
        /* The request first: with it, the hook recreates the device at every start. */
        for (int live = 1; live >= 0 && r >= 0 && request; live--)
                if (live ? sc.live : sc.config)
                        r = edit_metadata(d, live, devs[0].kind, devs[0].id, request,
                                          &old_meta[live], &meta_changed[live]);
        /* Just-in-time preparation, the hook's sequence, into this domain's ledger. */
        if (r >= 0 && sc.live) {
                r = attach_spec(name, uuid, devs, n, request, live_spec, &spec);
                if (r >= 0)
                        r = jit_prepare(cfg, spec);
                prepared = r >= 0;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                unsigned flags = (sc.live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (sc.config ? VIR_DOMAIN_AFFECT_CONFIG : 0);
                if (virDomainAttachDeviceFlags(d, devs[i].hostdev, flags) < 0)
                        r = log_fail(-EIO, "libvirt refused to attach %s to domain '%s' (%s): %s", devs[i].id, name,
                                     scope_text(&sc), virt_last_error());
                else
                        devs[i].attached[0] = sc.live, devs[i].attached[1] = sc.config;
        }

        if (r < 0) {
                /* Undo, newest first: devices, preparation, metadata. */
                for (size_t i = n; i-- > 0;)
                        for (int live = 1; live >= 0; live--)
                                if (devs[i].attached[live ? 0 : 1] &&
                                    virDomainDetachDeviceFlags(d, devs[i].hostdev, scope_flags(live)) < 0)
                                        log_warning("rollback: cannot detach %s again: %s", devs[i].id, virt_last_error());
                if (prepared || sc.live) {
                        int k = jit_release_matching(cfg, uuid, match_not_in, before);
                        if (k < 0)
                                log_warning("rollback: releasing what was prepared failed; `gpuhookctl reconcile` retries");
                }
                for (int live = 1; live >= 0; live--)
                        if (meta_changed[live])
                                (void)gh_metadata_set(d, scope_flags(live), old_meta[live]);
                goto out;
        }

        log_info("attached %s to domain %s (%s)", devs[0].id, uuid, scope_text(&sc));
        if (arg.json) {
                struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
                json_object_object_add(o, "domain", json_str(name));
                json_object_object_add(o, "uuid", json_str(uuid));
                json_object_object_add(o, "live", json_object_new_boolean(sc.live));
                json_object_object_add(o, "config", json_object_new_boolean(sc.config));
                for (size_t i = 0; i < n; i++) {
                        struct json_object *dj = json_object_new_object();
                        json_object_object_add(dj, "kind", json_str(kind));
                        json_object_object_add(dj, "id", json_str(devs[i].id));
                        json_object_object_add(dj, "hostdev", json_str(devs[i].hostdev));
                        json_object_array_add(arr, dj);
                }
                json_object_object_add(o, "devices", arr);
                json_object_object_add(o, "metadata", json_str(request));
                json_print(o);
        } else
                for (size_t i = 0; i < n; i++)
                        printf("Attached %s %s to domain '%s' (%s)%s\n", devs[i].kind == DEV_MDEV ? "mdev" : devs[i].kind == DEV_VF ? "vGPU VF" : "PCI device",
                               devs[i].id, name, scope_text(&sc),
                               devs[i].kind != DEV_PCI && !sc.live ? "; the hook prepares it when the domain starts" : "");
out:
        strv_free_null(before);
        devices_free(devs, n);
        return r;
}

int verb_attach(int argc, char **argv) {
        const char *kind = argv[1];
        const struct gpuhook_config *cfg;
        _cleanup_virconn_ virConnectPtr conn = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;
        int r;

        if (!streq(kind, "mdev") && !streq(kind, "pci") && !streq(kind, "vgpu-vf") && !streq(kind, "vf"))
                return ctl_usage("attach: unknown device kind '%s'; use mdev, pci, vgpu-vf or vf", kind);
        if (!streq(kind, "pci") && argc != 3)
                return ctl_usage("attach %s takes exactly one %s", kind,
                                 streq(kind, "mdev") ? "TYPE" : streq(kind, "vf") ? "FAMILY" : "BDF");
        if (!streq(kind, "vf") && arg.profile)
                return ctl_usage("--profile applies to 'attach DOMAIN vf FAMILY' only");
        if (streq(kind, "vgpu-vf") && !arg.type)
                return ctl_usage("attach DOMAIN vgpu-vf BDF needs --type TYPE (a vGPU type id or name, see gpuhookctl types)");
        if (!streq(kind, "vgpu-vf") && arg.type)
                return ctl_usage("--type applies to 'attach DOMAIN vgpu-vf' only; for an mdev the type is the argument after 'mdev'");
        if (!streq(kind, "mdev") &&
            (arg.given & (OPT_UUID | OPT_PARENT | (streq(kind, "vf") ? 0 : OPT_PLACEMENT) | OPT_PARAM | OPT_MODEL | OPT_DISPLAY | OPT_RAMFB)))
                return ctl_usage("--uuid, --parent, --placement, --param, --model, --display and --ramfb apply to 'attach DOMAIN mdev' only");
        if (!streq(kind, "pci") && arg.unmanaged)
                return ctl_usage("--unmanaged applies to 'attach DOMAIN pci' only");

        r = ctl_config(&cfg);
        if (r >= 0)
                r = virt_open(false, &conn);
        if (r >= 0)
                r = virt_lookup(conn, argv[0], &d);
        if (r >= 0)
                r = verb_attach_do(d, cfg, kind, argv + 2);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot attach");
        return 0;
}

