/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fastpath.h"
#include "nodeset.h"
#include "placement.h"
#include "validate.h"

/* What gpuhook needs from a libvirt domain XML, validated. */

/* Far above any real name, far below what a ledger attribute can hold. */
#define DOMAIN_NAME_MAX 65536


struct mdev_hostdev {
        char uuid[UUID_STRING_LEN + 1]; /* lowercase */
        char model[16];                 /* vfio-pci, vfio-ccw, vfio-ap */
};

struct pci_hostdev {
        struct pci_addr addr;
        char bdf[PCI_ADDR_LEN + 1];
        bool managed;
};

struct mdev_param {
        char *name, *value;
};

/* <gpuhook:mdev uuid= type= parent= placement=> from the domain metadata. */
struct mdev_request {
        char uuid[UUID_STRING_LEN + 1];
        char *type;                         /* a type id or one type's name */
        char parent[MDEV_NAME_MAX + 1];     /* "" = any */
        enum placement_policy placement;    /* PLACEMENT_DEFAULT = host config */
        struct mdev_param *params;
        size_t n_params;
};

/* <gpuhook:pci address= allow= allow-boot-console=> from the metadata. */
struct pci_request {
        char bdf[PCI_ADDR_LEN + 1];
        bool allow;              /* may be taken from a shared IOMMU group */
        bool allow_boot_console; /* may be detached although it drives the console */
};

/* <gpuhook:vgpu address= type=>: an NVIDIA SR-IOV vGPU (vendor-specific
 * VFIO, vGPU 17+) on the VF passed as <hostdev type='pci' managed='no'>. */
struct vgpu_request {
        char bdf[PCI_ADDR_LEN + 1];
        char *type; /* a type id from creatable_vgpu_types, or its name */
};

struct domain_spec {
        char *name;
        char uuid[UUID_STRING_LEN + 1];
        struct mdev_hostdev *mdevs;
        size_t n_mdevs;
        struct pci_hostdev *pcis;
        size_t n_pcis;
        struct mdev_request *requests;
        size_t n_requests;
        struct pci_request *pci_requests;
        size_t n_pci_requests;
        struct vgpu_request *vgpu_requests;
        size_t n_vgpu_requests;
        struct nodeset numa;
        /* <gpuhook:devices manage='no'>: the domain's devices are someone
         * else's (a cloud's); prepare does nothing, release still gives back
         * what the ledger records. */
        bool hands_off;
};

/* Parse and validate. On failure returns a negative errno and records one
 * user-facing line through log_fail(). */
int domain_parse(const char *xml, size_t len, struct domain_spec **ret);
struct domain_spec *domain_spec_free(struct domain_spec *d);
static inline void domain_spec_freep(struct domain_spec **d) { domain_spec_free(*d); }
#define _cleanup_domain_spec_ _cleanup_(domain_spec_freep)

const struct mdev_request *domain_find_request(const struct domain_spec *d, const char *uuid);
const struct vgpu_request *domain_find_vgpu(const struct domain_spec *d, const char *bdf);
