/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "console.h"
#include "driver.h"
#include "internal.h"
#include "log.h"
#include "mdev.h"
#include "nvidia-vgpu.h"
#include "sriov.h"
#include "pci-bind.h"

static int undo_mdev(struct jit_state *s, const struct ledger_entry *e) {
        struct mdev_parent_probe probe;
        const struct mdev_driver *drv = &mdev_driver_generic;
        const char *mdevctl = NULL;
        int r;

        if (!mdev_exists(e->id))
                return 0;
        /* A pending entry (killed before the create finished) claims only a
         * device on the parent and type it recorded: anything else with
         * that UUID was made by someone else meanwhile. */
        if (e->state == LEDGER_PENDING && *e->parent) {
                char parent[MDEV_NAME_MAX + 1] = "";
                if (mdev_parent_of(e->id, parent, sizeof(parent)) < 0 || !streq(parent, e->parent)) {
                        log_info("mdev %s is not on %s as recorded: not gpuhook's, left alone", e->id, e->parent);
                        return 0;
                }
        }
        r = jit_mdevctl(s, &mdevctl);
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

int jit_undo_entry(struct jit_state *s, const struct ledger_entry *e) {
        switch (e->kind) {
        case LEDGER_MDEV:
                return undo_mdev(s, e);
        case LEDGER_PCI:
                return pci_restore(e->id, e->driver, e->override, s->cfg->bind_timeout_ms);
        case LEDGER_CONSOLE:
                return undo_console(s, e);
        case LEDGER_VGPU:
                return nvidia_vgpu_clear(e->id, s->cfg->remove_timeout_ms);
        case LEDGER_SRIOV:
                return sriov_restore(e->id, e->type, s->cfg->bind_timeout_ms);
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
                        ledger_drop(s->ledger, idx);
        }
        s->n_added = 0;
        (void)ledger_commit(s->ledger);
}
