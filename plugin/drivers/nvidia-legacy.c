/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA vGPU on the mdev bus (nvidia_vgpu_vfio, up to Ampere, kernels < 6.8). */
#include "driver.h"

#define PCI_VENDOR_NVIDIA 0x10de

static bool nvidia_legacy_claims(const struct mdev_parent_probe *p) {
        return p->vendor == PCI_VENDOR_NVIDIA && streq(p->driver, "nvidia");
}

/* Time-sliced GPUs host one type at a time; the kernel shows it only as
 * available_instances 0 on the other types, so the view says why. */
static void nvidia_legacy_annotate(const struct mdev_parent_probe *p, struct mdev_parent_info *info) {
        info->one_type_at_a_time = true;
}

const struct mdev_driver mdev_driver_nvidia_legacy = {
        .name = "nvidia-mdev",
        .claims = nvidia_legacy_claims,
        .annotate = nvidia_legacy_annotate,
        .check_params = mdev_generic_check_params,
        .create = mdev_generic_create,
        .destroy = mdev_generic_destroy,
};
