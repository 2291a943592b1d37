/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "ledger.h"

/* Release SOME devices of a domain's ledger, exactly as jit_release() would
 * release them at "release end" (same host lock, same undo per kind, newest
 * first), leaving the domain's other entries alone: what `gpuhookctl detach`
 * needs once libvirt let go of a hot-plugged device.
 * MATCH selects the entries. Returns how many were released and dropped
 * (0: the ledger holds none of them, nothing of gpuhook's to undo), or the
 * first negative errno with the failure recorded; failed entries stay for
 * the next release or reconcile. */
typedef bool (*ledger_match_fn)(const struct ledger_entry *e, void *userdata);
int jit_release_matching(const struct gpuhook_config *cfg, const char *domain_uuid, ledger_match_fn match,
                         void *userdata);

/* Does DOMAIN_UUID's ledger hold (KIND, ID)? 1 yes, 0 no, <0 error. */
int ledger_holds(const struct gpuhook_config *cfg, const char *domain_uuid, enum ledger_kind kind, const char *id);
