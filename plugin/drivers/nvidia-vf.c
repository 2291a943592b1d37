/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA SR-IOV GPUs on the mdev path (A100, A30, A10 with
 * `sriov-manage -e`): every VF is an mdev parent with one instance, and a
 * card hosts one type at a time across all its VFs. */
#include "driver.h"
#include "nvidia.h"
#include "vendor-private.h"

static bool nvidia_vf_claims(const struct mdev_parent_probe *p) {
        return p->vendor == PCI_VENDOR_NVIDIA && streq(p->driver, "nvidia") && *p->physfn;
}

static void nvidia_vf_annotate(const struct mdev_parent_probe *p, struct mdev_parent_info *info) {
        info->one_type_at_a_time = true;
        info->one_instance = true;
        snprintf(info->card, sizeof(info->card), "%s", p->physfn);
}

const struct mdev_driver mdev_driver_nvidia_vf = {
        .name = "nvidia-mdev-vf",
        .claims = nvidia_vf_claims,
        .annotate = nvidia_vf_annotate,
        .check_params = nvidia_check_params,
        .create = mdev_generic_create,
        .post_create = nvidia_post_create,
        .destroy = nvidia_destroy,
};
