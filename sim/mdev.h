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
