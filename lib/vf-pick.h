/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nodeset.h"
#include "placement.h"
#include "strset.h"
#include "util.h"
#include "validate.h"

/* SR-IOV vGPU families whose VFs go to a VM as plain PCI functions on
 * vfio-pci (Intel xe / i915 SR-IOV, AMD MxGPU): which VF a domain that names
 * only a family (and a profile) gets. Pure: works on a snapshot of the host
 * that plugin/vf-pool.c reads, so every rule is unit-tested without a device. */

#define VF_FAMILY_MAX 32
#define VF_PROFILE_MAX 192
#define VF_OWNER_MAX 96

enum vf_state {
        VF_FREE,        /* exists, on no VM's driver, claimed by no domain */
        VF_NOT_ENABLED, /* not created yet; gpuhook can raise sriov_numvfs */
        VF_HELD,        /* claimed by a domain in gpuhook's owner record (owner) */
        VF_IN_USE,      /* on vfio-pci (or a vGPU) without a gpuhook claim: someone's VM */
};

const char *vf_state_to_string(enum vf_state s);

struct vf_slot {
        char bdf[PCI_ADDR_LEN + 1];
        unsigned index;                /* virtfn<index>; VF number index + 1 */
        enum vf_state state;
        char owner[VF_OWNER_MAX];      /* VF_HELD: the domain's name (or UUID) */
        char driver[MDEV_NAME_MAX + 1];/* "" when unbound or not created */
        char profile[VF_PROFILE_MAX];  /* "key=value,..." as the PF driver shows it, "" when it shows none */
};

struct vf_pf {
        char bdf[PCI_ADDR_LEN + 1];
        char family[VF_FAMILY_MAX];
        char driver[MDEV_NAME_MAX + 1];
        int numa_node;           /* -1 unknown */
        unsigned totalvfs, numvfs;
        bool can_enable;         /* the PF driver takes sriov_numvfs writes (sriov_configure) */
        struct vf_slot *vfs;     /* every VF that exists, then (can_enable) those that could */
        size_t n_vfs;
};

struct vf_pool {
        struct vf_pf *pfs;
        size_t n;
};

void vf_pool_free(struct vf_pool *p);
static inline void vf_pool_freep(struct vf_pool *p) { vf_pool_free(p); }
#define _cleanup_vf_pool_ _cleanup_(vf_pool_freep)

unsigned vf_pf_count(const struct vf_pf *pf, enum vf_state s);
/* VFs a domain could get on PF now: the free ones, and the ones gpuhook may
 * still create (vf_slot_available()). */
unsigned vf_pf_available(const struct vf_pf *pf);
/* Whether SLOT of PF can go to a domain now. A VF that does not exist yet
 * can be created only on a PF without VFs: the kernel changes a non-zero VF
 * count only through 0, which removes every VF (drivers/pci/iov.c,
 * sriov_numvfs_store(): -EBUSY for non-zero to non-zero), so gpuhook enables
 * VFs only on a PF that has none (core/sriov.c). */
bool vf_slot_available(const struct vf_pf *pf, const struct vf_slot *slot);
/* Whether PROFILE (the domain's "key=value,..." wish, NULL or "" = any)
 * is met by HAVE (the VF's): every wished pair is among the VF's. */
bool vf_profile_matches(const char *have, const char *profile);
/* A valid profile wish: key=value pairs of [A-Za-z0-9_.-], comma-separated. */
bool vf_profile_valid(const char *profile);

struct vf_want {
        const char *family;           /* required */
        const char *profile;          /* NULL: any */
        enum placement_policy policy; /* compact: the busiest PF with room first; spread: the idlest */
        const struct nodeset *numa;   /* NULL or !any: no preference; else those nodes first */
        const struct strset *taken;   /* VFs already picked (or NULL) */
};

/* Choose a VF for WANT. -ENOENT when no PF of the family exists (why: the
 * families there are), -ENOSPC when none has a VF left (why: each PF with
 * what holds its VFs). */
int vf_pick(const struct vf_pool *p, const struct vf_want *want, const struct vf_pf **ret_pf,
            const struct vf_slot **ret_vf, struct strbuf *why);

/* The PF and slot of address BDF in the pool, or NULL. */
const struct vf_slot *vf_pool_find(const struct vf_pool *p, const char *bdf, const struct vf_pf **ret_pf);
