/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver.h"
#include <fcntl.h>

#include "jit.h"
#include "ledger.h"
#include "lock.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"

static int release_mdev(const struct gpuhook_config *cfg, const char *mdevctl, const struct ledger_entry *e) {
        struct mdev_parent_probe probe;
        const struct mdev_driver *drv = &mdev_driver_generic;
        struct mdev_op op = {
                .uuid = e->id,
                .parent = *e->parent ? e->parent : "(defined)",
                .type = e->type,
                .timeout_ms = cfg->remove_timeout_ms,
                .mdevctl = mdevctl,
        };

        if (*e->parent && mdev_parent_probe_read(e->parent, &probe) >= 0)
                drv = mdev_driver_for(&probe);
        return drv->destroy(&op);
}

int jit_release(const struct gpuhook_config *cfg, const char *domain_uuid, const char *domain_name) {
        _cleanup_ledger_ struct ledger *l = NULL;
        _cleanup_free_ char *mdevctl = NULL;
        int lock_fd, r, first = 0;

        /* No ledger, nothing of ours: exit without taking the lock. */
        _cleanup_free_ char *path = strdup_printf("%s/domains/%s.xml", cfg->state_dir, domain_uuid);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;

        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0)
                return lock_fd;
        r = ledger_open(cfg->state_dir, domain_uuid, domain_name, &l);
        if (r < 0)
                goto out;

        for (size_t i = l->n; i-- > 0;) {
                const struct ledger_entry *e = &l->entries[i];
                if (e->kind != LEDGER_MDEV)
                        continue;
                if (!mdev_exists(e->id)) {
                        ledger_drop(l, i);
                        continue;
                }
                if (!mdevctl && (r = mdevctl_resolve(cfg->mdevctl_path, &mdevctl)) < 0) {
                        first = first ? first : r;
                        break;
                }
                r = release_mdev(cfg, mdevctl, e);
                if (r < 0) {
                        first = first ? first : r;
                        continue;
                }
                log_info("released mdev %s", e->id);
                ledger_drop(l, i);
                jit_fault_point("mdev-released");
        }
        r = ledger_commit(l);
        if (first < 0)
                r = first;
out:
        host_lock_release(lock_fd);
        return r;
}
