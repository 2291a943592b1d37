/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "domain.h"
#include "ledger.h"
#include "owners.h"

/* What one prepare or release works with: the config, the domain, its
 * ledger and the host's owner record (both held under the host lock) and the
 * entries this run added. */
struct jit_state {
        const struct gpuhook_config *cfg;
        const struct domain_spec *domain; /* NULL for release */
        const char *domain_uuid, *domain_name;
        struct ledger *ledger;
        struct owners *owners;
        char *mdevctl; /* resolved on first use */
        int others_installed; /* mdevctl_others_installed(): 0 not asked yet, 1 yes, -1 no */
        size_t *added; /* ledger indexes added by this run, for rollback */
        size_t n_added;
};

void jit_state_done(struct jit_state *s);

/* Take the host lock once nothing D needs is held by another domain: a
 * domain that is stopping is waited for (bounded); one whose QEMU still has
 * the device open, or that does not let go in time, is named in the refusal.
 * On success s->owners is loaded and *RET_LOCK_FD holds the lock. */
int jit_lock_unowned(struct jit_state *s, int *ret_lock_fd);
/* Claim E's resource for this domain in the owner record (persisted), or
 * refuse naming the domain that holds it. */
int jit_claim(struct jit_state *s, const struct ledger_entry *e);
/* Forget ledger entry IDX (its effect is undone or was never made): drop it
 * from the ledger, then its claim. */
int jit_forget(struct jit_state *s, size_t idx);

/* Claim E's resource, then append E to the ledger and persist it, before
 * the effect happens. */
int jit_record(struct jit_state *s, const struct ledger_entry *e, size_t *ret_idx);
/* Persist entry IDX as done. */
int jit_mark_done(struct jit_state *s, size_t idx);
int jit_mdevctl(struct jit_state *s, const char **ret);
/* How to create or remove a transient mdev: *RET the mdevctl to run when a
 * callout or notifier other than gpuhook's is installed (it must see the
 * device; mdevctl_others_installed()), NULL for sysfs directly. */
int jit_mdev_tool(struct jit_state *s, const char **ret);

/* Undo one ledger entry, whatever its kind, if the resource is still in the
 * state gpuhook left it in; otherwise leave it alone and say so in the log.
 * 0 when nothing of ours is left on it, <0 when the undo failed (the entry
 * stays for the next release or reconcile). */
int jit_undo_entry(struct jit_state *s, const struct ledger_entry *e);
/* Undo this run's entries, newest first; failed ones stay in the ledger. */
void jit_rollback(struct jit_state *s);

int jit_prepare_pci(struct jit_state *s);
int jit_prepare_vgpus(struct jit_state *s);
/* Enable the VFs a domain names before they exist (sriov_numvfs). */
int jit_prepare_sriov(struct jit_state *s);
int jit_undo_sriov(struct jit_state *s, const struct ledger_entry *e);
/* s390: move the I/O subchannels the domain's vfio-ccw mdevs name (parent=)
 * from io_subchannel to vfio_ccw (core/ccw.c), and back. */
int jit_prepare_ccw(struct jit_state *s);
/* <gpuhook:vf> requests: refuse a VF that is taken or not of its family,
 * naming the holder and the free VF placement would give (core/vf.c). */
int jit_check_vfs(struct jit_state *s);
int jit_undo_ccw(struct jit_state *s, const struct ledger_entry *e);
/* DRY_RUN: plan only (every refusal, no effect), so a domain that cannot get
 * its vGPUs is refused before its PCI devices are touched. */
int jit_prepare_mdevs(struct jit_state *s, bool dry_run);
/* Pending entries left by a killed prepare: an mdev that exists is ours,
 * one that does not never was. PCI and console entries stay pending: their
 * undo is safe either way. */
int jit_settle_pending(struct jit_state *s);
