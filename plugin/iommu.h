/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* IOMMU groups, read-only: /sys/kernel/iommu_groups/N/. Which members may
 * or must go along with a device is the PCI policy's decision
 * (lib/pci-policy.h), made on the members read here. */

/* Number of IOMMU groups (0: no IOMMU is active), or a negative errno. */
int iommu_group_count(void);
/* The IOMMU group of PCI function BDF (its iommu_group link): the group
 * number, or -ENOENT when it is in none (no IOMMU) or does not exist. */
int iommu_group_of(const char *bdf);
/* The group's PCI members, canonical addresses, sorted, NULL-terminated.
 * Names that are not PCI addresses are skipped. */
int iommu_group_members(int group, char ***ret, size_t *ret_n);
/* The group's default domain type ("DMA", "DMA-FQ", "identity", ...) into buf. */
int iommu_group_type(int group, char *buf, size_t size);
