/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "validate.h"

/* The owner record: one host-wide list of every resource gpuhook changed and
 * the one domain it changed it for (STATE_DIR/owners.xml, 0600, root's).
 * It keeps libvirt's promise ("device X is in use by domain Y") for what
 * libvirt does not track: companions, VF counts, vendor vGPU types, mdevs
 * gpuhook made, the console.
 *
 * Read and written only under the host lock. The order of writes makes every
 * crash point recoverable:
 *   prepare: claim (owners.xml) -> ledger entry "pending" -> effect -> "done"
 *   release: undo -> drop the ledger entry -> drop the claim
 * So a claim whose domain's ledger has no matching entry carries no effect
 * (a kill between the first two writes, or after the last two): it is an
 * orphan, and anyone holding the lock may drop it. A ledger entry without a
 * claim (written before the owner record existed) belongs to its ledger's
 * domain unless another domain claims the resource. */

#define OWNER_NAME_MAX 200 /* domain names are cut to this in the record */

struct owner_claim {
        enum ledger_kind kind;
        char id[MDEV_NAME_MAX + 1];   /* mdev UUID, PCI address, console name */
        char on[MDEV_NAME_MAX + 1];   /* the device the resource lives on (an mdev's parent), "" if none */
        char domain_uuid[UUID_STRING_LEN + 1];
        char domain_name[OWNER_NAME_MAX + 1];
        uint64_t since;
};

struct owners {
        char *path;
        struct owner_claim *claims;
        size_t n, cap;
};

/* Load STATE_DIR/owners.xml (empty when absent). A record that cannot be
 * parsed or is not root's is an error naming the file: nothing is decided
 * on state gpuhook cannot vouch for. */
int owners_open(const char *state_dir, struct owners **ret);
struct owners *owners_free(struct owners *o);
static inline void owners_freep(struct owners **o) { owners_free(*o); }
#define _cleanup_owners_ _cleanup_(owners_freep)

/* The claim on (KIND, ID), or NULL. */
const struct owner_claim *owners_find(const struct owners *o, enum ledger_kind kind, const char *id);
/* A claim by another domain than DOMAIN_UUID on a PCI-addressed resource at
 * BDF (the function itself, its vGPU type, its VF count) or on an mdev whose
 * parent is BDF. */
const struct owner_claim *owners_find_on_device(const struct owners *o, const char *bdf, const char *domain_uuid);

/* Claim (C->kind, C->id) for C->domain_uuid and persist the record:
 * 0 when added, 1 when this domain held it already, -EBUSY when another
 * domain holds it (nothing written). */
int owners_claim(struct owners *o, const struct owner_claim *c);
/* Drop the claim on (KIND, ID) if DOMAIN_UUID holds it, and persist:
 * 1 dropped, 0 not this domain's (or none). */
int owners_drop(struct owners *o, enum ledger_kind kind, const char *id, const char *domain_uuid);
/* Drop DOMAIN_UUID's claims that its ledger L no longer backs (orphans of a
 * kill between writes), and persist when anything changed. */
int owners_drop_unbacked(struct owners *o, const char *domain_uuid, const struct ledger *l);
int owners_commit(struct owners *o);

/* The owner's domain name as a message may show it (control characters
 * replaced, cut), or its UUID when the name is unknown. */
const char *owner_claim_shown(const struct owner_claim *c, char *buf, size_t size);
#define OWNER_SHOWN_MAX 80

/* Does the claim still carry an effect, i.e. does its domain's ledger hold
 * the same (kind, id)? 1 yes, 0 no (an orphan), <0 the ledger is unreadable
 * (treated as yes by callers: never take what may be in use). */
int owners_claim_backed(const char *state_dir, const struct owner_claim *c);
