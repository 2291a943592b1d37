/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "domain.h"
#include "ledger.h"

/* What one prepare or release works with: the config, the domain, its
 * ledger (held under the host lock) and the entries this run added. */
struct jit_state {
        const struct gpuhook_config *cfg;
        const struct domain_spec *domain; /* NULL for release */
        struct ledger *ledger;
        char *mdevctl; /* resolved on first use */
        size_t *added; /* ledger indexes added by this run, for rollback */
        size_t n_added;
};

void jit_state_done(struct jit_state *s);

/* Append E to the ledger and persist it before the effect happens. */
int jit_record(struct jit_state *s, const struct ledger_entry *e, size_t *ret_idx);
/* Persist entry IDX as done. */
int jit_mark_done(struct jit_state *s, size_t idx);
int jit_mdevctl(struct jit_state *s, const char **ret);

/* Undo one ledger entry, whatever its kind. */
int jit_undo_entry(struct jit_state *s, const struct ledger_entry *e);
/* Undo this run's entries, newest first; failed ones stay in the ledger. */
void jit_rollback(struct jit_state *s);

int jit_prepare_pci(struct jit_state *s);
int jit_prepare_vgpus(struct jit_state *s);
/* Enable the VFs a domain names before they exist (sriov_numvfs). */
int jit_prepare_sriov(struct jit_state *s);
/* DRY_RUN: plan only (every refusal, no effect), so a domain that cannot get
 * its vGPUs is refused before its PCI devices are touched. */
int jit_prepare_mdevs(struct jit_state *s, bool dry_run);
/* Pending entries left by a killed prepare: an mdev that exists is ours,
 * one that does not never was. PCI and console entries stay pending: their
 * undo is safe either way. */
int jit_settle_pending(struct jit_state *s);
