/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* AMD: amdgpu and radeon; MxGPU SR-IOV through gim (sriov-gpu.c). */
#include "vendor-private.h"

static bool amd_check(const struct pci_list *l, check_add_fn add) {
        bool amd = false;
        for (size_t i = 0; i < l->n; i++) {
                const struct pci_device *d = &l->devs[i];
                if (pci_is_display(d) && !*d->physfn)
                        amd = amd || d->vendor == PCI_VENDOR_AMD;
        }
        if (amd)
                add("amd-vgpu", CHECK_INFO, "AMD MxGPU needs AMD's gim host driver (VFs from vf_num=)",
                    "AMD: vGPU only with SR-IOV (MxGPU) cards; passthrough works with any AMD GPU (mind the reset bug: vendor-reset)");
        return amd;
}

static const char *const amd_host_drivers[] = { "amdgpu", "radeon", "snd_hda_intel", NULL };
static const char *const amd_drm[] = { "amdgpu", "radeon", NULL };

const struct gpu_vendor gpu_vendor_amd = {
        .name = "amd",
        .pci_vendor = PCI_VENDOR_AMD,
        .host_drivers = amd_host_drivers,
        .modeset_drivers = amd_drm,
        .drm_drivers = amd_drm,
        .sriov = &sriov_driver_amd_gim,
        .check = amd_check,
};
