/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "owners.h"
#include "pci-policy.h"
#include "pci.h"

/* SR-IOV physical functions: which PF a not-yet-existing VF address belongs
 * to (from the PF's sriov_offset and sriov_stride), and changing numvfs the
 * way the kernel allows (0 first when changing a non-zero count). */

struct sriov_pf {
        char bdf[PCI_ADDR_LEN + 1];
        unsigned vendor;
        unsigned class; /* 24 bits, e.g. 0x038000 */
        char driver[64];
        unsigned totalvfs, numvfs;
        unsigned vf_index; /* the VF asked about is virtfn<vf_index> */
};

/* The PF whose VF number i (< totalvfs) would have address VF. 0 and *ret
 * filled, or -ENOENT. */
int sriov_pf_for_vf(const struct pci_list *l, const char *vf, struct sriov_pf *ret);
/* Is VF in use by a VM as far as the device shows (bound to vfio-pci, or
 * carrying an NVIDIA vGPU)? */
bool sriov_vf_in_use(const char *vf);
/* The PF's VFs (its virtfn links), canonical addresses, NULL-terminated. */
int sriov_vfs_list(const char *pf, char ***ret);
int sriov_numvfs_get(const char *pf, unsigned *ret);
int sriov_set_numvfs(const char *pf, unsigned n, unsigned timeout_ms);
/* Give PF back PREVIOUS VFs (through 0, as the kernel wants). */
int sriov_restore(const char *pf, unsigned previous, unsigned timeout_ms);
/* Fill M's SR-IOV facts for the policy: NUMVFS (the PF's sriov_numvfs) and,
 * when it has VFs, each VF with who holds it: a claim in OWNERS (may be NULL)
 * by a domain other than SELF_UUID (may be NULL), else what the device shows
 * (vfio-pci or a vGPU type), else "free". */
void sriov_member_facts(struct group_member *m, unsigned numvfs, const struct owners *owners, const char *self_uuid);
