/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "domain.h"
#include "owners.h"
#include "placement.h"

/* One mdev ops table per vendor driver, listed by its vendor's table
 * (drivers/vendor.h). The core asks "whose parent is this?"
 * and calls the answer's ops; it never switches on vendor names. */

struct mdev_parent_probe {
        const char *name;   /* as in /sys/class/mdev_bus */
        unsigned vendor;    /* PCI vendor id, 0 if not a PCI device */
        unsigned device;    /* PCI device id */
        char driver[64];    /* bound driver, "" if none */
        char physfn[64];    /* the PF when the parent is an SR-IOV VF, else "" */
};

struct mdev_op {
        const char *uuid, *parent, *type, *model;
        const struct mdev_param *params;
        size_t n_params;
        unsigned timeout_ms;
        const char *mdevctl; /* run mdevctl (this path) for it; NULL: sysfs directly */
        const struct ap_matrix *ap;   /* <gpuhook:ap>: the vfio_ap matrix, NULL or empty for none */
        const struct owners *owners;  /* the host's owner record, to name who holds a resource; may be NULL */
};

struct mdev_driver {
        const char *name;
        bool takes_ap_matrix; /* its mdevs get <gpuhook:ap> (vfio_ap); the core refuses it for others */
        /* probe: mine / not mine */
        bool (*claims)(const struct mdev_parent_probe *p);
        /* Add vendor rules the sysfs counters do not show to the view. */
        void (*annotate)(const struct mdev_parent_probe *p, struct mdev_parent_info *info);
        /* Vet per-device parameters before anything is created. */
        int (*check_params)(const struct mdev_op *op);
        /* Create the instance and wait (bounded) until it is usable. */
        int (*create)(const struct mdev_op *op);
        /* Vendor attributes after creation, before QEMU starts. */
        int (*post_create)(const struct mdev_op *op);
        /* Destroy the instance and wait (bounded) until it is gone. */
        int (*destroy)(const struct mdev_op *op);
};

/* The vendor drivers are listed by their vendors' tables (drivers/vendor.h). */
extern const struct mdev_driver mdev_driver_generic;

/* The driver that claims PARENT (the generic one claims every mdev parent). */
const struct mdev_driver *mdev_driver_for(const struct mdev_parent_probe *p);
/* Read what a driver's probe looks at for parent NAME. */
int mdev_parent_probe_read(const char *name, struct mdev_parent_probe *ret);

/* Building blocks the vendor drivers share. */
int mdev_generic_create(const struct mdev_op *op);
int mdev_generic_destroy(const struct mdev_op *op);
int mdev_generic_check_params(const struct mdev_op *op);
