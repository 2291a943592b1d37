/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "console.h"
#include "driver.h"
#include "internal.h"
#include "log.h"
#include "mdev.h"
#include "sriov.h"
#include "pci-bind.h"
#include "pci.h"
#include "sysfs.h"
#include "vendor.h"

static int undo_mdev(struct jit_state *s, const struct ledger_entry *e) {
        struct mdev_parent_probe probe;
        const struct mdev_driver *drv = &mdev_driver_generic;
        const char *mdevctl = NULL;
        int r;

        char parent[MDEV_NAME_MAX + 1] = "", type[MDEV_NAME_MAX + 1] = "";

        if (!mdev_exists(e->id))
                return 0;
        /* Only the instance gpuhook left: on the parent and of the type it
         * recorded. Anything else with that UUID was made by someone else
         * meanwhile (or after a kill before the create finished). */
        if (*e->parent && (mdev_parent_of(e->id, parent, sizeof(parent)) < 0 || !streq(parent, e->parent))) {
                log_warning("left mdev %s alone: it is on %s, not on %s where gpuhook made it", e->id, *parent ? parent : "?",
                            e->parent);
                return 0;
        }
        if (*e->type && (mdev_type_of(e->id, type, sizeof(type)) < 0 || !streq(type, e->type))) {
                log_warning("left mdev %s alone: it is of type %s, not %s as gpuhook made it", e->id, *type ? type : "?", e->type);
                return 0;
        }
        /* mdevctl's own devices go back through mdevctl (stop, never undefine). */
        r = e->defined ? jit_mdevctl(s, &mdevctl) : jit_mdev_tool(s, &mdevctl);
        if (r < 0)
                return r;
        if (*e->parent && mdev_parent_probe_read(e->parent, &probe) >= 0)
                drv = mdev_driver_for(&probe);
        struct mdev_op op = {
                .uuid = e->id,
                .parent = *e->parent ? e->parent : "(defined)",
                .type = e->type,
                .timeout_ms = s->cfg->remove_timeout_ms,
                .mdevctl = mdevctl,
        };
        return drv->destroy(&op);
}

static int undo_console(struct jit_state *s, const struct ledger_entry *e) {
        struct console_binding b = { 0 };
        snprintf(b.kind, sizeof(b.kind), "%s", e->type);
        snprintf(b.name, sizeof(b.name), "%s", e->id);
        snprintf(b.driver, sizeof(b.driver), "%s", e->driver);
        return console_restore(&b, s->cfg->bind_timeout_ms);
}

/* Give a function back only from the state gpuhook left it in (or libvirt's
 * detach of a managed='yes' function, pci.c watch()): its driver_override
 * still the one set then (vfio-pci), and on that driver or none.
 * A function that went back to a host driver (an NVMe, say) is not touched. */
static int undo_pci(struct jit_state *s, const struct ledger_entry *e) {
        _cleanup_free_ char *dir = sysfs_pci_attr(e->id, NULL);
        char drv[MDEV_NAME_MAX + 1] = "", override[MDEV_NAME_MAX + 1] = "";
        const char *left = *e->left ? e->left : "vfio-pci";

        if (!dir)
                return -errno;
        if (!sysfs_exists(dir))
                return 0; /* gone (a VF whose PF went back to 0): nothing to give back */
        if (pci_driver_get(e->id, drv, sizeof(drv)) < 0 || pci_override_get(e->id, override, sizeof(override)) < 0)
                return log_fail(-EIO, "cannot read the driver of %s; check that sysfs is mounted", e->id);
        if (streq(drv, e->driver) && streq(override, e->override))
                return 0; /* already back */
        /* Back on its driver with driver_override cleared: what libvirt's
         * reattach of a managed='yes' function leaves, whatever override the
         * host had (src/util/virpci.c: virPCIDeviceUnbindFromStub writes
         * "\n"). Only the override is put back; the driver is right. */
        if (*e->driver && streq(drv, e->driver) && !*override && *e->override)
                return pci_restore(e->id, e->driver, e->override, s->cfg->bind_timeout_ms);
        if (!streq(override, left) || (*drv && !streq(drv, left) && !streq(drv, e->driver))) {
                log_warning("left %s alone: it is on %s with driver_override '%s', not as gpuhook left it (%s); whoever moved it owns it now",
                            e->id, *drv ? drv : "no driver", *override ? override : "(none)", left);
                return 0;
        }
        return pci_restore(e->id, e->driver, e->override, s->cfg->bind_timeout_ms);
}

/* Clear a vendor vGPU only while the VF still carries the type gpuhook set. */
static int undo_vgpu(struct jit_state *s, const struct ledger_entry *e) {
        const struct vgpu_vf_ops *ops = vgpu_vf_for(e->id);
        unsigned cur = 0, set = 0;
        if (!ops || ops->current_type(e->id, &cur) < 0 || cur == 0)
                return 0;
        if (safe_atou(e->type, &set) >= 0 && cur != set) {
                log_warning("left VF %s alone: it carries vGPU type %u, not %u as gpuhook set it", e->id, cur, set);
                return 0;
        }
        return ops->clear_type(e->id, s->cfg->remove_timeout_ms);
}

int jit_undo_entry(struct jit_state *s, const struct ledger_entry *e) {
        switch (e->kind) {
        case LEDGER_MDEV:
                return undo_mdev(s, e);
        case LEDGER_PCI:
                return undo_pci(s, e);
        case LEDGER_CONSOLE:
                return undo_console(s, e);
        case LEDGER_VGPU:
                return undo_vgpu(s, e);
        case LEDGER_SRIOV:
                return jit_undo_sriov(s, e);
        case LEDGER_CCW:
                return jit_undo_ccw(s, e);
        default:
                return -EINVAL;
        }
}

void jit_rollback(struct jit_state *s) {
        for (size_t k = s->n_added; k-- > 0;) {
                size_t idx = s->added[k];
                struct ledger_entry e = s->ledger->entries[idx];
                log_info("rolling back %s %s", ledger_kind_to_string(e.kind), e.id);
                if (jit_undo_entry(s, &e) >= 0)
                        (void)jit_forget(s, idx);
        }
        s->n_added = 0;
}
