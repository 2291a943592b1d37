/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "internal.h"
#include "jit.h"
#include "lock.h"
#include "log.h"

static bool match_all(const struct ledger_entry *e, void *userdata) { return true; }

int jit_release_matching(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match,
                         void *userdata) {
        struct jit_state s = { .cfg = cfg };
        int lock_fd, r, first = 0, n = 0;

        /* No ledger, nothing of ours: done without taking the lock. */
        _cleanup_free_ char *path = strdup_printf("%s/domains/%s.xml", cfg->state_dir, domain_uuid);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;

        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0)
                return lock_fd;
        ledger_remove_stale_temps(cfg->state_dir);
        r = ledger_open(cfg->state_dir, domain_uuid, NULL, &s.ledger);
        if (r < 0)
                goto out;
        /* Newest first: instances, then devices, then the console. */
        for (size_t i = s.ledger->n; i-- > 0;) {
                struct ledger_entry e = s.ledger->entries[i];
                if (!match(&e, userdata))
                        continue;
                r = jit_undo_entry(&s, &e);
                if (r < 0) {
                        first = first ? first : r;
                        continue; /* kept for the next release or reconcile */
                }
                log_info("released %s %s", ledger_kind_to_string(e.kind), e.id);
                ledger_drop(s.ledger, i);
                n++;
                r = ledger_commit(s.ledger);
                if (r < 0) {
                        first = first ? first : r;
                        break;
                }
                jit_fault_point("released-one");
        }
        r = first < 0 ? first : n;
out:
        jit_state_done(&s);
        host_lock_release(lock_fd);
        return r;
}

int jit_release(const struct gpuhook_config *cfg, const char *domain_uuid, const char *domain_name) {
        int r = jit_release_matching(cfg, domain_uuid, match_all, NULL);
        return r < 0 ? r : 0;
}

int jit_ledger_holds(const struct gpuhook_config *cfg, const char *domain_uuid, enum ledger_kind kind, const char *id) {
        _cleanup_ledger_ struct ledger *l = NULL;
        int r = ledger_open(cfg->state_dir, domain_uuid, NULL, &l);
        if (r < 0)
                return r;
        return ledger_find(l, kind, id) ? 1 : 0;
}
