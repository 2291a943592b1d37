/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mdev model: capacity bookkeeping and the sysfs effects of creating and
 * removing a mediated device. Callers hold the testbed lock. */
#pragma once

#include "state.h"
#include "testbed.h"

/* Instances of TYPE that exist on P (entries of the type's devices/ dir). */
int sim_mdev_count(const struct testbed *tb, const struct sim_mdev_parent *p,
                   const char *type, unsigned *ret);
/* What the driver would report as available_instances for TYPE right now. */
int sim_mdev_available(const struct testbed *tb, const struct sim_mdev_parent *p,
                       const char *type, unsigned *ret);
/* Rewrite available_instances of every type on P, and on the other parents
 * of its card (VFs of one PF: state.h, "card"). */
int sim_mdev_refresh(const struct testbed *tb, const struct sim_mdev_parent *p);

/* Create the mdev UUID (lower case) of TYPE on P: every link, a fresh IOMMU
 * group with its /dev/vfio/N, vendor subdirs, counts. No capacity checks. */
int sim_mdev_create(const struct testbed *tb, const struct sim_mdev_parent *p,
                    const char *type, const char *uuid);
/* Undo sim_mdev_create for the mdev directory MDEV_DIR. */
int sim_mdev_remove(const struct testbed *tb, const struct sim_mdev_parent *p, const char *mdev_dir);

/* The vendor driver of a parent from its type ids ("<driver>-<name>", the
 * mdev core's type dir names, mdev_sysfs.c): malloc'd, NULL if none has one. */
char *sim_mdev_types_driver(char *const *types);
/* mdev_register_parent() (drivers/vfio/mdev/mdev_core.c, Linux 6.1) with the
 * type dirs of parent_create_sysfs_files() (mdev_sysfs.c): for each of the N
 * TYPES, DEV/mdev_supported_types/<id>/create (write-only) and devices/; the
 * link /sys/class/mdev_bus/<name> (name: DEV's last component); in ST a
 * parent of vendor driver DRIVER with those types (*RET, if not NULL). The
 * types' readable files (name, description, device_api,
 * available_instances) are the vendor driver's: the caller writes them. A
 * parent of DEV already in ST is registering again: it keeps its settings
 * and gains the types it lacks. -EEXIST if ST has another device's parent
 * of that name. */
int sim_mdev_register_parent(const struct testbed *tb, struct sim_state *st, const char *dev, const char *driver,
                             const struct sim_mdev_type *types, size_t n, struct sim_mdev_parent **ret);
