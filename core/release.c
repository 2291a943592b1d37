/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "internal.h"
#include "jit.h"
#include "lock.h"
#include "log.h"

bool jit_match_all(const struct ledger_entry *e, void *userdata) { return true; }

int jit_release_held(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match, void *userdata) {
        struct jit_state s = { .cfg = cfg, .domain_uuid = domain_uuid };
        int r, first = 0, n = 0;

        ledger_remove_stale_temps(cfg->state_dir);
        r = ledger_open(cfg->state_dir, domain_uuid, NULL, &s.ledger);
        if (r >= 0)
                r = owners_open(cfg->state_dir, &s.owners);
        if (r < 0)
                goto out;
        s.domain_name = s.ledger->domain_name;
        /* Newest first: instances, then devices, then the console. */
        for (size_t i = s.ledger->n; i-- > 0;) {
                struct ledger_entry e = s.ledger->entries[i];
                if (!match(&e, userdata))
                        continue;
                const struct owner_claim *c = owners_find(s.owners, e.kind, e.id);
                char shown[OWNER_SHOWN_MAX];
                if (c && !streq(c->domain_uuid, domain_uuid))
                        /* Not ours any more: touching it would undo another VM's device. */
                        log_warning("left %s %s alone: the owner record gives it to domain '%s'", ledger_kind_to_string(e.kind),
                                    e.id, owner_claim_shown(c, shown, sizeof(shown)));
                else if ((r = jit_undo_entry(&s, &e)) < 0) {
                        first = first ? first : r;
                        continue; /* kept for the next release or reconcile */
                } else
                        log_info("released %s %s", ledger_kind_to_string(e.kind), e.id);
                n++;
                if ((r = jit_forget(&s, i)) < 0) {
                        first = first ? first : r;
                        break;
                }
                jit_fault_point("released-one");
        }
        /* Claims no ledger entry backs: a kill between the two writes. Only
         * for a whole release: a partial one (detach) keeps the rest. */
        if (first == 0 && match == jit_match_all && (r = owners_drop_unbacked(s.owners, domain_uuid, s.ledger)) < 0)
                first = r;
        r = first < 0 ? first : n;
out:
        jit_state_done(&s);
        return r;
}

int jit_release_matching(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match,
                         void *userdata) {
        int lock_fd, r;

        /* No ledger, nothing of ours: done without taking the lock. */
        _cleanup_free_ char *path = strdup_printf("%s/domains/%s.xml", cfg->state_dir, domain_uuid);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;

        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0)
                return lock_fd;
        r = jit_release_held(cfg, domain_uuid, match, userdata);
        host_lock_release(lock_fd);
        return r;
}

int jit_release(const struct gpuhook_config *cfg, const char *domain_uuid, const char *domain_name) {
        int r = jit_release_matching(cfg, domain_uuid, jit_match_all, NULL);
        return r < 0 ? r : 0;
}
