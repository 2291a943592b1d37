/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The AP (crypto) matrix of a vfio_ap mdev from <gpuhook:ap> children: bit N
 * of apm/aqm/adm is adapter, usage domain, control domain N. The kernel's
 * masks hold AP_DEVICES = AP_DOMAINS = 256 bits (drivers/s390/crypto/ap_bus.h);
 * the APQNs are every adapter x every usage domain (vfio_ap_ops.c,
 * vfio_ap_mdev_matrix_show()). */
#define AP_ID_COUNT 256
struct ap_matrix {
        uint64_t apm[AP_ID_COUNT / 64], aqm[AP_ID_COUNT / 64], adm[AP_ID_COUNT / 64];
};
static inline bool ap_bit(const uint64_t *m, unsigned n) { return n < AP_ID_COUNT && (m[n / 64] >> (n % 64) & 1); }
static inline void ap_bit_set(uint64_t *m, unsigned n) { m[n / 64] |= UINT64_C(1) << (n % 64); }
static inline bool ap_map_empty(const uint64_t *m) { return !(m[0] | m[1] | m[2] | m[3]); }
static inline bool ap_matrix_empty(const struct ap_matrix *m) {
        return ap_map_empty(m->apm) && ap_map_empty(m->aqm) && ap_map_empty(m->adm);
}

/* <gpuhook:mdev uuid= type= parent= placement=> from the domain metadata. */
struct mdev_request {
        char uuid[UUID_STRING_LEN + 1];
        char *type;                         /* a type id or one type's name */
        char parent[MDEV_NAME_MAX + 1];     /* "" = any */
        enum placement_policy placement;    /* PLACEMENT_DEFAULT = host config */
        struct mdev_param *params;
        size_t n_params;
        struct ap_matrix ap;                /* empty unless <gpuhook:ap> children */
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

/* <gpuhook:vf address= family= profile= placement=>: the PCI hostdev at
 * address is a VF of an SR-IOV vGPU family (Intel SR-IOV, AMD MxGPU) chosen
 * by placement (gpuhookctl xml/attach pick it); where that VF is taken, a
 * migration or restore moves the hostdev to a free one of the family. */
struct vf_request {
        char bdf[PCI_ADDR_LEN + 1];
        char family[32];
        char *profile;                 /* "key=value,..." or NULL */
        enum placement_policy placement; /* PLACEMENT_DEFAULT = host config */
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
        struct vf_request *vf_requests;
        size_t n_vf_requests;
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
/* A PCI hostdev to point at another host function. */
struct hostdev_move {
        char from[PCI_ADDR_LEN + 1], to[PCI_ADDR_LEN + 1];
};
/* XML with the PCI hostdev of each move pointed at its TO (its source
 * address and the gpuhook metadata naming it): what a migrate or restore
 * hook hands back to libvirt. The result is the whole <domain>. */
int domain_xml_move_hostdevs(const char *xml, size_t len, const struct hostdev_move *moves, size_t n, char **ret);
const struct vf_request *domain_find_vf(const struct domain_spec *d, const char *bdf);
const struct vgpu_request *domain_find_vgpu(const struct domain_spec *d, const char *bdf);
