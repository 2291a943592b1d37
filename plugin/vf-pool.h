/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "owners.h"
#include "pci.h"
#include "vf-pick.h"

/* The snapshot lib/vf-pick.h decides on: every SR-IOV GPU PF whose vendor
 * driver (plugin/drivers/sriov-gpu.c) names a VF family, with each VF that
 * exists or that gpuhook may still create, and who holds it: a claim in
 * OWNERS (may be NULL: nothing is known held), else what the device shows. */
int vf_pool_load(const struct pci_list *l, const struct owners *owners, struct vf_pool *ret);
/* The same for a PCI list it reads itself. */
int vf_pool_load_host(const struct owners *owners, struct vf_pool *ret);
