/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "internal.h"
#include "jit.h"
#include "log.h"
#include "mdevctl.h"

void jit_fault_point(const char *step) {
        const char *at = test_getenv("GPUHOOK_FAULT_KILL_AT");
        if (at && streq(at, step)) {
                log_info("fault injection: killing at %s", step);
                raise(SIGKILL);
        }
}

void jit_state_done(struct jit_state *s) {
        free(s->added);
        free(s->mdevctl);
        ledger_free(s->ledger);
        owners_free(s->owners);
        *s = (struct jit_state){ 0 };
}

int jit_record(struct jit_state *s, const struct ledger_entry *e, size_t *ret_idx) {
        size_t *n = reallocarray(s->added, s->n_added + 1, sizeof(size_t));
        if (!n)
                return -ENOMEM;
        s->added = n;
        int r = jit_claim(s, e);
        if (r < 0)
                return r;
        jit_fault_point("claimed");
        int idx = ledger_append(s->ledger, e);
        if (idx < 0)
                return idx;
        s->added[s->n_added++] = (size_t)idx;
        *ret_idx = (size_t)idx;
        return ledger_commit(s->ledger);
}

int jit_forget(struct jit_state *s, size_t idx) {
        struct ledger_entry e = s->ledger->entries[idx];
        ledger_drop(s->ledger, idx);
        int r = ledger_commit(s->ledger);
        if (r >= 0 && s->owners)
                r = owners_drop(s->owners, e.kind, e.id, s->domain_uuid);
        return r < 0 ? r : 0;
}

int jit_mark_done(struct jit_state *s, size_t idx) {
        s->ledger->entries[idx].state = LEDGER_DONE;
        return ledger_commit(s->ledger);
}

int jit_mdevctl(struct jit_state *s, const char **ret) {
        int r = 0;
        if (!s->mdevctl)
                r = mdevctl_resolve(s->cfg->mdevctl_path, &s->mdevctl);
        *ret = s->mdevctl;
        return r;
}

int jit_mdev_tool(struct jit_state *s, const char **ret) {
        if (s->others_installed == 0)
                s->others_installed = mdevctl_others_installed() ? 1 : -1;
        *ret = NULL;
        return s->others_installed > 0 ? jit_mdevctl(s, ret) : 0;
}
