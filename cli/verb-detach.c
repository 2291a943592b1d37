/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl detach DOMAIN DEVICE...
 *
 * libvirt unplugs the device (virDomainDetachDeviceFlags); for the running
 * domain gpuhookctl waits until the guest has let go of it (QEMU still holds
 * a device the guest did not release, and removing an mdev then blocks), and
 * only then releases exactly what gpuhook's ledger holds for that device:
 * the mdev, or the PCI companions and console taken with a PCI function.
 * gpuhook's metadata request goes too, so the hook does not recreate it. */
#include "domain.h"
#include "gpuhookctl.h"
#include "hotplug.h"
#include "iommu.h"
#include "ledger.h"
#include "jit.h"
#include "log.h"
#include "pci.h"
#include "virt.h"
#include "xmlgen.h"

/* ---- detach ---- */

static const char *fmt_released(unsigned n) {
        static char buf[64];
        snprintf(buf, sizeof(buf), "; released %u gpuhook-held device%s", n, n == 1 ? "" : "s");
        return buf;
}

struct pci_set {
        const char *bdf; /* the detached function */
        char **bdfs;     /* it, its slot and its IOMMU group */
        char pf[PCI_ADDR_LEN + 1]; /* its PF when it is a VF whose PF the domain no longer uses, else "" */
        bool console;
};

static bool match_mdev(const struct ledger_entry *e, void *userdata) {
        return e->kind == LEDGER_MDEV && streq(e->id, (const char *)userdata);
}

static bool match_pci(const struct ledger_entry *e, void *userdata) {
        const struct pci_set *s = userdata;
        switch (e->kind) {
        case LEDGER_PCI: return strv_has(s->bdfs, e->id);
        case LEDGER_VGPU: return streq(e->id, s->bdf);
        case LEDGER_SRIOV: return *s->pf && streq(e->id, s->pf);
        case LEDGER_CONSOLE: return s->console;
        default: return false;
        }
}

/* The functions released with BDF: its slot and its IOMMU group. */
static int pci_related(const struct pci_list *l, const char *bdf, char ***ret) {
        const struct pci_device *p = pci_list_find(l, bdf);
        int r = strv_push(ret, bdf);
        if (!p || r < 0)
                return r;
        for (size_t i = 0; i < l->n && r >= 0; i++)
                if (pci_same_slot(&l->devs[i], p) && !strv_has(*ret, l->devs[i].bdf))
                        r = strv_push(ret, l->devs[i].bdf);
        if (p->iommu_group >= 0 && r >= 0) {
                char **members = NULL;
                if (iommu_group_members(p->iommu_group, &members, NULL) >= 0)
                        for (size_t i = 0; members[i] && r >= 0; i++)
                                if (!strv_has(*ret, members[i]))
                                        r = strv_push(ret, members[i]);
                strv_free_null(members);
        }
        return r;
}

/* Release what gpuhook holds for DEV, unless the domain still uses it. */
static int release_device(virDomainPtr d, const struct gpuhook_config *cfg, const char *uuid, const struct device *dev,
                          bool still_running, unsigned *ret_released) {
        int r;
        if (dev->kind == DEV_MDEV)
                r = jit_release_matching(cfg, uuid, match_mdev, (void *)dev->id);
        else {
                struct pci_list l = { 0 };
                struct pci_set s = { 0 };
                _cleanup_domain_spec_ struct domain_spec *left = NULL;
                _cleanup_free_ char *xml = NULL;
                r = pci_list_load(&l);
                if (r >= 0)
                        r = pci_related(&l, dev->id, &s.bdfs);
                /* What the running domain still has keeps its group. */
                if (r >= 0 && still_running && (r = fetch_xml(d, true, &xml)) >= 0)
                        r = domain_parse(xml, strlen(xml), &left);
                bool shared = false;
                for (size_t i = 0; r >= 0 && left && i < left->n_pcis; i++)
                        shared = shared || strv_has(s.bdfs, left->pcis[i].bdf);
                s.bdf = dev->id;
                s.console = !left || left->n_pcis == 0;
                /* VFs gpuhook enabled go back when no VF of that PF is left in the domain. */
                const struct pci_device *p = pci_list_find(&l, dev->id);
                if (p && *p->physfn) {
                        bool pf_used = false;
                        for (size_t i = 0; left && i < left->n_pcis; i++) {
                                const struct pci_device *o = pci_list_find(&l, left->pcis[i].bdf);
                                pf_used = pf_used || (o && streq(o->physfn, p->physfn));
                        }
                        if (!pf_used)
                                snprintf(s.pf, sizeof(s.pf), "%s", p->physfn);
                }
                if (r >= 0 && !shared)
                        r = jit_release_matching(cfg, uuid, match_pci, &s);
                strv_free_null(s.bdfs);
                pci_list_free(&l);
        }
        if (r > 0)
                *ret_released += (unsigned)r;
        return r < 0 ? r : 0;
}

static int wait_gone(virDomainPtr d, const struct device *dev) {
        uint64_t deadline = now_usec() + (uint64_t)arg.timeout_s * 1000000;
        for (;;) {
                _cleanup_free_ char *xml = NULL;
                int r = fetch_xml(d, true, &xml);
                if (r < 0)
                        return r;
                if (find_hostdev(xml, dev, NULL) == 0)
                        return 0;
                if (now_usec() >= deadline)
                        return log_fail(-ETIMEDOUT, "the guest of domain '%s' has not released %s after %us; libvirt's unplug request is pending and gpuhook keeps the device: run `gpuhookctl detach` again later, or stop the domain (its release frees it)",
                                        virDomainGetName(d), dev->id, arg.timeout_s);
                sleep_usec(200000);
        }
}

static int detach_one(virDomainPtr d, const struct gpuhook_config *cfg, const char *uuid, const struct scope *sc,
                      struct device *dev, struct json_object *arr) {
        const char *name = virDomainGetName(d);
        bool found_any = false;
        unsigned released = 0;
        int r = 0;

        for (int live = 1; live >= 0 && r >= 0; live--) {
                _cleanup_free_ char *xml = NULL, *hostdev = NULL;
                if (!(live ? sc->live : sc->config))
                        continue;
                r = fetch_xml(d, live, &xml);
                if (r < 0)
                        break;
                r = find_hostdev(xml, dev, &hostdev);
                if (r <= 0)
                        continue;
                found_any = true;
                if (arg.dry_run) {
                        printf("Would detach from domain '%s' (%s):\n%s\n", name, live ? "live" : "persistent", hostdev);
                        continue;
                }
                if (virDomainDetachDeviceFlags(d, hostdev, scope_flags(live)) < 0) {
                        r = log_fail(-EIO, "libvirt refused to detach %s from domain '%s' (%s): %s", dev->id, name,
                                     live ? "live" : "persistent", virt_last_error());
                        break;
                }
                if (live)
                        r = wait_gone(d, dev);
                dev->attached[live ? 0 : 1] = r >= 0;
        }
        if (r < 0)
                return r;
        if (!found_any)
                return log_fail(-ENOENT, "%s is not attached to domain '%s' (%s); `virsh dumpxml %s` shows its hostdevs", dev->id,
                                name, scope_text(sc), name);
        if (arg.dry_run)
                return 0;

        /* The request goes with the device, so the hook does not recreate it. */
        for (int live = 1; live >= 0 && r >= 0; live--)
                if (dev->attached[live ? 0 : 1]) {
                        bool changed;
                        r = edit_metadata(d, live, dev->kind, dev->id, NULL, NULL, &changed);
                }
        /* Release when the VM no longer uses it: unplugged live, or not running. */
        int active = virDomainIsActive(d);
        if (r >= 0 && (dev->attached[0] || active == 0))
                r = release_device(d, cfg, uuid, dev, active == 1, &released);
        if (r < 0)
                return r;
        log_info("detached %s from domain %s", dev->id, uuid);
        if (arr) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "id", json_str(dev->id));
                json_object_object_add(o, "live", json_object_new_boolean(dev->attached[0]));
                json_object_object_add(o, "config", json_object_new_boolean(dev->attached[1]));
                json_object_object_add(o, "released", json_object_new_int((int)released));
                json_object_array_add(arr, o);
        } else
                printf("Detached %s from domain '%s' (%s%s%s)%s\n", dev->id, name, dev->attached[0] ? "live" : "",
                       dev->attached[0] && dev->attached[1] ? " and " : "", dev->attached[1] ? "persistent" : "",
                       released ? fmt_released(released) : "");
        return 0;
}

int verb_detach(int argc, char **argv) {
        const struct gpuhook_config *cfg;
        _cleanup_virconn_ virConnectPtr conn = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct device *devs = calloc((size_t)argc, sizeof(*devs));
        struct scope sc;
        int r = devs ? 0 : -ENOMEM;

        for (int i = 1; i < argc && r >= 0; i++) {
                struct device *dev = &devs[i - 1];
                if (uuid_valid(argv[i])) {
                        dev->kind = DEV_MDEV;
                        (void)uuid_normalize(argv[i], dev->id);
                } else if (pci_addr_parse(argv[i], &dev->addr) == 0) {
                        dev->kind = DEV_PCI;
                        pci_addr_format(&dev->addr, dev->id);
                } else {
                        char shown[80];
                        r = log_fail(-EINVAL, "'%s' is neither an mdev UUID nor a PCI address (dddd:bb:ss.f); `virsh dumpxml %s` shows the domain's hostdevs",
                                     sanitize_for_message(argv[i], shown, sizeof(shown)), argv[0]);
                }
        }
        if (r >= 0)
                r = ctl_config(&cfg);
        if (r >= 0)
                r = virt_open(false, &conn);
        if (r >= 0)
                r = virt_lookup(conn, argv[0], &d);
        if (r >= 0 && virDomainGetUUIDString(d, uuid) < 0)
                r = log_fail(-EIO, "cannot read the UUID of domain '%s': %s", argv[0], virt_last_error());
        if (r >= 0)
                r = resolve_scope(d, &sc);
        struct json_object *arr = arg.json && !arg.dry_run ? json_object_new_array() : NULL;
        for (int i = 1; i < argc && r >= 0; i++)
                r = detach_one(d, cfg, uuid, &sc, &devs[i - 1], arr);
        free(devs);
        if (arr) {
                if (r >= 0)
                        json_print(arr);
                else
                        json_object_put(arr);
        }
        if (r < 0)
                return ctl_fail_recorded(r, "cannot detach");
        return 0;
}
