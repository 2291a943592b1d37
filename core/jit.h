/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "conf.h"
#include "domain.h"

/* Just-in-time preparation and release of a domain's devices: the one
 * sequence the hook and `gpuhookctl attach/detach/reconcile` share.
 * decide (plan, pure) -> do (driver ops on sysfs) -> record (ledger). */

/* Create/start what the domain needs. All or nothing. */
int jit_prepare(const struct gpuhook_config *cfg, const struct domain_spec *d);

/* Undo exactly what the ledger of DOMAIN_UUID records; without a ledger,
 * nothing. Every entry is tried; the first failure is returned and failed
 * entries stay in the ledger for the next release or reconcile. */
int jit_release(const struct gpuhook_config *cfg, const char *domain_uuid, const char *domain_name);

/* Crash-injection points for the fault tests: when $GPUHOOK_FAULT_KILL_AT
 * names STEP, the process SIGKILLs itself there. */
void jit_fault_point(const char *step);
