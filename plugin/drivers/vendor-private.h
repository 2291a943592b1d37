/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the vendor drivers in plugin/drivers/ only: the one place each
 * PCI vendor id is defined, and the tables the registry (vendor.c) lists. */

#include "vendor.h"

#define PCI_VENDOR_NVIDIA 0x10de
#define PCI_VENDOR_AMD 0x1002
#define PCI_VENDOR_INTEL 0x8086

extern const struct gpu_vendor gpu_vendor_nvidia;
extern const struct gpu_vendor gpu_vendor_intel;
extern const struct gpu_vendor gpu_vendor_amd;
extern const struct gpu_vendor gpu_vendor_s390;
extern const struct gpu_vendor gpu_vendor_generic;

extern const struct mdev_driver mdev_driver_nvidia_legacy;
extern const struct mdev_driver mdev_driver_nvidia_vf;
extern const struct mdev_driver mdev_driver_s390_ap;
extern const struct mdev_driver mdev_driver_s390_ccw;

extern const struct sriov_driver sriov_driver_intel;
extern const struct sriov_driver sriov_driver_amd_gim;
extern const struct sriov_driver sriov_driver_nvidia;
