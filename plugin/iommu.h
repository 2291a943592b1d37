/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* IOMMU groups, read-only: /sys/kernel/iommu_groups/N/devices/ and the
 * kernel's viability rule (every endpoint in a group must be unbound or on
 * vfio-pci / pci-stub before any of it can be opened; bridges are exempt). */

/* Number of IOMMU groups (0: no IOMMU is active), or a negative errno. */
int iommu_group_count(void);
/* The group's PCI members, canonical addresses, sorted, NULL-terminated.
 * Names that are not PCI addresses are skipped. */
int iommu_group_members(int group, char ***ret, size_t *ret_n);
/* The group's default domain type ("DMA", "DMA-FQ", "identity", ...) into buf. */
int iommu_group_type(int group, char *buf, size_t size);

/* Does driver D leave a group viable (unbound, vfio-pci, pci-stub, pcieport)? */
bool iommu_driver_harmless(const char *driver);

/* Members of DEV's group that keep it from being opened by vfio when the
 * functions in PASSING (N_PASSING addresses; DEV itself need not be listed)
 * go to one VM: endpoints outside PASSING that are bound to a host driver.
 * PCI-to-PCI bridges are exempt. Returns the count (>= 0) and, if RET is
 * non-NULL, the list (NULL-terminated, caller frees with strv_free_null). */
int iommu_group_blockers(const struct pci_list *l, const struct pci_device *dev, char *const *passing,
                         size_t n_passing, char ***ret);
