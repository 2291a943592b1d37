/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Every sysfs path gpuhook touches is built here, from components that are
 * re-checked (no '/', no "." or "..", bounded) even though callers validated
 * them already: no text from domain XML can name another file. Under
 * gpuhook-sim, umockdev's preload redirects /sys into the testbed. */

#define SYSFS_MDEV_BUS "/sys/class/mdev_bus"
#define SYSFS_MDEV_DEVICES "/sys/bus/mdev/devices"
#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define SYSFS_PCI_DRIVERS "/sys/bus/pci/drivers"
#define SYSFS_IOMMU_GROUPS "/sys/kernel/iommu_groups"

bool sysfs_component_safe(const char *c);

/* BASE + "/" + each component (NULL-terminated). NULL when a component is
 * unsafe or on allocation failure (errno says which). */
char *sysfs_path(const char *base, ...) __attribute__((sentinel));

/* Shorthands. */
char *sysfs_mdev_parent_attr(const char *parent, const char *attr);
char *sysfs_mdev_type_attr(const char *parent, const char *type, const char *attr);
char *sysfs_mdev_attr(const char *uuid, const char *attr);
char *sysfs_pci_attr(const char *bdf, const char *attr);

bool sysfs_exists(const char *path);
/* The last component of the symlink PATH (a driver, an IOMMU group, an mdev
 * type) into buf: 0, "" and 0 when PATH does not exist, or -errno. */
int sysfs_link_basename(const char *path, char *buf, size_t size);
