/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "internal.h"
#include "jit.h"
#include "log.h"
#include "mdevctl.h"

void jit_fault_point(const char *step) {
        const char *at = getenv("GPUHOOK_FAULT_KILL_AT");
        if (at && streq(at, step)) {
                log_info("fault injection: killing at %s", step);
                raise(SIGKILL);
        }
}

void jit_state_done(struct jit_state *s) {
        free(s->added);
        free(s->mdevctl);
        ledger_free(s->ledger);
        *s = (struct jit_state){ 0 };
}

int jit_record(struct jit_state *s, const struct ledger_entry *e, size_t *ret_idx) {
        size_t *n = reallocarray(s->added, s->n_added + 1, sizeof(size_t));
        if (!n)
                return -ENOMEM;
        s->added = n;
        int idx = ledger_append(s->ledger, e);
        if (idx < 0)
                return idx;
        s->added[s->n_added++] = (size_t)idx;
        *ret_idx = (size_t)idx;
        return ledger_commit(s->ledger);
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
