/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sriov.h"

/* Which SR-IOV physical functions are GPUs whose VFs gpuhook may create, and
 * how. gpuhook writes sriov_numvfs only on a PF one of these claims: on any
 * other PF (a host NIC, an NVMe controller) the VFs belong to the host, and
 * a domain naming a VF that does not exist is refused. */

enum sriov_enable {
        SRIOV_ENABLE_SYSFS,       /* the PF driver implements sriov_configure: sriov_numvfs works */
        SRIOV_ENABLE_AT_LOAD,     /* VFs exist only as the driver creates them at load */
        SRIOV_ENABLE_VENDOR_TOOL, /* the vendor's tool must enable them (it sets more than the count) */
};

struct sriov_driver {
        const char *name;
        /* The family a domain names in <gpuhook:vf family=>, or NULL when
         * this vendor's VFs are not plain vfio-pci functions (NVIDIA's carry
         * a vGPU type: <gpuhook:vgpu>). */
        const char *family;
        bool (*claims)(const struct sriov_pf *pf);
        enum sriov_enable enable;
        /* Refuse a missing VF the way this vendor's set-up fixes it (log_fail). */
        int (*explain_missing)(const char *vf, const struct sriov_pf *pf, unsigned need);
        /* How this vendor's set-up enables the VFs of PF (for `check`). */
        void (*enable_hint)(const struct sriov_pf *pf, char *buf, size_t size);
        /* The VF number INDEX + 1's profile as the PF driver shows it,
         * "key=value,..." in BUF ("" when it shows none); may be NULL. */
        void (*vf_profile)(const struct sriov_pf *pf, unsigned index, char *buf, size_t size);
};

/* The driver that claims PF, or NULL: not a GPU gpuhook enables VFs on. */
const struct sriov_driver *sriov_driver_for(const struct sriov_pf *pf);
/* The driver whose family is NAME, or NULL. */
const struct sriov_driver *sriov_driver_of_family(const char *name);
/* The families, space-separated, for messages. */
const char *sriov_families(void);
