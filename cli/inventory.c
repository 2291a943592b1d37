/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gpuhookctl.h"
#include "inventory.h"
#include "iommu.h"
#include "log.h"
#include "pci-policy.h"
#include "sriov.h"
#include "strset.h"

const char *companion_relation_to_string(enum companion_relation r) {
        switch (r) {
        case COMPANION_FUNCTION: return "function";
        case COMPANION_GROUP: return "group";
        case COMPANION_VF: return "vf";
        }
        return "?";
}

static int push(struct companion **v, size_t *n, const struct pci_device *d, enum companion_relation rel) {
        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].dev == d)
                        return 0;
        struct companion *nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[(*n)++] = (struct companion){ d, rel };
        return 0;
}

int gpu_companions(const struct pci_list *l, const struct pci_device *gpu, struct companion **ret, size_t *ret_n) {
        struct companion *v = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < l->n && r >= 0; i++) {
                const struct pci_device *d = &l->devs[i];
                if (d != gpu && pci_same_slot(d, gpu) && !*d->physfn)
                        r = push(&v, &n, d, COMPANION_FUNCTION);
        }
        if (r >= 0 && gpu->iommu_group >= 0) {
                char **members = NULL;
                r = iommu_group_members(gpu->iommu_group, &members, NULL);
                for (size_t i = 0; r >= 0 && members && members[i]; i++) {
                        const struct pci_device *d = pci_list_find(l, members[i]);
                        if (d && d != gpu && (d->class >> 8) != PCI_CLASS_BRIDGE_PCI)
                                r = push(&v, &n, d, pci_same_slot(d, gpu) ? COMPANION_FUNCTION : COMPANION_GROUP);
                }
                strv_free_null(members);
        }
        for (size_t i = 0; i < l->n && r >= 0; i++)
                if (streq(l->devs[i].physfn, gpu->bdf))
                        r = push(&v, &n, &l->devs[i], COMPANION_VF);
        if (r < 0) {
                free(v);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

struct json_object *pci_device_json(const struct pci_device *d) {
        struct json_object *o = json_object_new_object();
        char buf[16];
        char **modules = NULL;

        json_object_object_add(o, "address", json_str(d->bdf));
        snprintf(buf, sizeof(buf), "%04x", d->vendor);
        json_object_object_add(o, "vendor_id", json_str(buf));
        snprintf(buf, sizeof(buf), "%04x", d->device);
        json_object_object_add(o, "device_id", json_str(buf));
        snprintf(buf, sizeof(buf), "0x%06x", d->class);
        json_object_object_add(o, "class", json_str(buf));
        json_object_object_add(o, "class_name", json_str(pci_class_name(d->class)));
        json_object_object_add(o, "vendor_name", json_str(d->vendor_name));
        json_object_object_add(o, "model_name", json_str(d->model_name));
        json_object_object_add(o, "driver", json_str(*d->driver ? d->driver : NULL));
        json_object_object_add(o, "driver_override", json_str(*d->driver_override ? d->driver_override : NULL));
        json_object_object_add(o, "iommu_group", d->iommu_group >= 0 ? json_object_new_int(d->iommu_group) : NULL);
        json_object_object_add(o, "numa_node", d->numa_node >= 0 ? json_object_new_int(d->numa_node) : NULL);
        json_object_object_add(o, "boot_vga", d->boot_vga >= 0 ? json_object_new_boolean(d->boot_vga == 1) : NULL);
        json_object_object_add(o, "physfn", json_str(*d->physfn ? d->physfn : NULL));
        if (d->sriov_totalvfs) {
                struct json_object *s = json_object_new_object();
                json_object_object_add(s, "total_vfs", json_object_new_int((int)d->sriov_totalvfs));
                json_object_object_add(s, "enabled_vfs", json_object_new_int((int)d->sriov_numvfs));
                json_object_object_add(o, "sriov", s);
        }
        json_object_object_add(o, "mdev_parent", json_object_new_boolean(d->mdev_parent));
        struct json_object *m = json_object_new_array();
        if (d->modalias && pci_modules_for_modalias(d->modalias, &modules) >= 0)
                for (size_t i = 0; modules[i]; i++)
                        json_object_array_add(m, json_str(modules[i]));
        strv_free_null(modules);
        json_object_object_add(o, "kernel_modules", m);
        return o;
}

int passthrough_verdict(const struct gpuhook_config *cfg, const struct pci_list *l, const struct pci_device *dev,
                        bool managed, struct strbuf *taken, bool *ret_console_only) {
        _cleanup_free_ struct group_member *gm = NULL;
        _cleanup_free_ struct member_decision *dec = NULL;
        struct strset allowed = { 0 };
        char **members = NULL;
        size_t n = 0, n_gm = 0;
        int r;

        *ret_console_only = false;
        if (dev->iommu_group < 0)
                return log_fail(-ENODEV, "%s is in no IOMMU group: the IOMMU is off, so passthrough is impossible (see `gpuhookctl check`)",
                                dev->bdf);
        r = iommu_group_members(dev->iommu_group, &members, &n);
        if (r < 0)
                return log_fail(r, "cannot read IOMMU group %d of %s: %s", dev->iommu_group, dev->bdf, strerror(-r));
        gm = calloc(n ? n : 1, sizeof(*gm));
        for (size_t i = 0; gm && i < n; i++) {
                const struct pci_device *m = pci_list_find(l, members[i]);
                if (!m)
                        continue;
                struct group_member *x = &gm[n_gm++];
                *x = (struct group_member){ .pci_class = m->class, .boot_vga = m->boot_vga == 1, .group = m->iommu_group };
                snprintf(x->bdf, sizeof(x->bdf), "%s", m->bdf);
                snprintf(x->driver, sizeof(x->driver), "%s", m->driver);
                sriov_member_facts(x, m->sriov_numvfs, NULL, NULL); /* the kernel's PF rule */
        }
        strv_free_null(members);
        if (!gm)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->n_allow_devices && r >= 0; i++)
                r = strset_add(&allowed, cfg->allow_devices[i]);
        struct pci_policy policy = { .companion_classes = cfg->companion_classes, .allowed = &allowed,
                                     .allow_boot_console = cfg->allow_boot_console };
        struct pci_listed listed = { .managed = managed };
        snprintf(listed.bdf, sizeof(listed.bdf), "%s", dev->bdf);
        if (r >= 0)
                r = pci_policy_decide(&policy, &listed, 1, gm, n_gm, &dec);
        if (r == -EPERM) {
                /* Refused only for the console? Ask again with it allowed, quietly. */
                struct member_decision *again = NULL;
                _cleanup_free_ char *why = log_failure() ? strdup(log_failure()) : NULL;
                policy.allow_boot_console = true;
                *ret_console_only = pci_policy_decide(&policy, &listed, 1, gm, n_gm, &again) >= 0;
                free(again);
                log_failure_clear();
                if (why)
                        (void)log_fail(r, "%s", why);
        }
        for (size_t i = 0; r >= 0 && i < n_gm; i++)
                if (dec[i].fate == FATE_TAKE && !streq(gm[i].bdf, dev->bdf))
                        r = strbuf_appendf(taken, "%s%s", taken->len ? ", " : "", gm[i].bdf);
        strset_free(&allowed);
        return r;
}
