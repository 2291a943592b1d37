/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "domain.h"
#include "ledger.h"

/* Just-in-time preparation and release of a domain's devices: the one
 * sequence the hook and `gpuhookctl attach/detach/reconcile` share.
 * decide (plan, pure) -> do (driver ops on sysfs) -> record (ledger). */

/* Create/start what the domain needs. All or nothing. */
int jit_prepare(const struct gpuhook_config *cfg, const struct domain_spec *d);

/* Undo exactly what the ledger of DOMAIN_UUID records; without a ledger,
 * nothing. Every entry is tried; the first failure is returned and failed
 * entries stay in the ledger for the next release or reconcile. */
int jit_release(const struct gpuhook_config *cfg, const char *domain_uuid, const char *domain_name);

/* Release only the entries MATCH selects, exactly as jit_release() would
 * (same lock, same undo per kind, newest first): what `gpuhookctl detach`
 * needs once libvirt let go of a hot-plugged device. Returns how many were
 * released (0: none of them is gpuhook's) or the first negative errno;
 * failed entries stay for the next release or reconcile. */
typedef bool (*ledger_match_fn)(const struct ledger_entry *e, void *userdata);
int jit_release_matching(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match,
                         void *userdata);

/* jit_release_matching() for a caller that already holds the host lock
 * (host_lock_acquire()), so that it can decide what to release under the
 * same lock (reconcile asks libvirt whether the domain runs, then releases). */
int jit_release_held(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match, void *userdata);
/* Match every entry. */
bool jit_match_all(const struct ledger_entry *e, void *userdata);

/* <gpuhook:vf> hostdevs whose VF is taken here (or absent, or not of the
 * family): the free VF of the family each moves to, by the placement
 * policy (lib/vf-pick.h), and XML (D's, LEN bytes) with them moved, NULL
 * with none to move. 0, or a negative errno, recorded (log_fail), when a
 * VF is taken and no other is free. */
int jit_vf_moves(const struct gpuhook_config *cfg, const struct domain_spec *d, const char *xml, size_t len,
                 struct hostdev_move **ret, size_t *ret_n, char **ret_xml);

/* Crash-injection points for the fault tests: in a test build
 * (-Dtest_hooks=true), when $GPUHOOK_FAULT_KILL_AT names STEP, the process
 * SIGKILLs itself there. Default and packaged builds ignore it. */
void jit_fault_point(const char *step);
