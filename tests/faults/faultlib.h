/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the fault suites (crash injection, concurrency): run the
 * real hook with a crash point, snapshot everything gpuhook may change on a
 * simulated host, and check that a ledger is sound. */

#include <stdbool.h>
#include <stddef.h>

#include "testhost.h"

/* Run the hook; KILL_AT (NULL: none) becomes $GPUHOOK_FAULT_KILL_AT. Returns
 * the exit status, or -EPROTO when the hook died by a signal. */
int fault_hook(struct testhost *t, const char *xml, const char *domain, const char *op, const char *subop,
               const char *kill_at);

/* One line per fact, sorted: every mdev, every type's available_instances,
 * every PCI function's driver and driver_override, every /dev/vfio node.
 * Two snapshots are equal when the host is back where it was. */
char *fault_snapshot(struct testhost *t);
/* Print the lines that differ; returns true when equal. */
bool fault_snapshot_same(const char *before, const char *after, const char *what);

/* The domain's ledger is absent, or ledger_open() reads it. Fills *ret_n
 * with its entries (0 when absent). Prints why when it is not. */
bool fault_ledger_sound(struct testhost *t, const char *domain_uuid, size_t *ret_n);
bool fault_ledger_exists(struct testhost *t, const char *domain_uuid);
/* Temp files a killed atomic write left in the state dir's domains/. */
unsigned fault_stray_temp_files(struct testhost *t);

/* Known, unfixed bugs are asserted only with GPUHOOK_KNOWN_BUGS=1. */
bool fault_known_bugs(void);

/* A domain with one mdev hostdev per UUID, each described as TYPE (NULL:
 * no metadata for it), EXTRA inside <gpuhook:devices>. */
char *fault_domain(const char *name, const char *dom_uuid, const char *type, const char *const *uuids, size_t n,
                   const char *extra_meta);
