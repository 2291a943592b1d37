/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Intel: i915 and xe, GVT-g (mdev, i915 enable_gvt + kvmgt) and SR-IOV
 * (sriov-gpu.c). */
#include "vendor-private.h"

static bool intel_check(const struct pci_list *l, check_add_fn add) {
        bool intel = false;
        for (size_t i = 0; i < l->n; i++) {
                const struct pci_device *d = &l->devs[i];
                if (!pci_is_display(d) || *d->physfn)
                        continue;
                intel = intel || (d->vendor == PCI_VENDOR_INTEL && streq(d->driver, "i915"));
        }
        if (!intel)
                return false;
        _cleanup_free_ char *gvt = NULL;
        (void)read_text_file("/sys/module/i915/parameters/enable_gvt", 16, &gvt);
        if (gvt && streq(gvt, "Y"))
                add("intel-gvt", kernel_module_loaded("kvmgt") ? CHECK_OK : CHECK_WARN,
                    kernel_module_loaded("kvmgt") ? NULL : "`modprobe kvmgt` (and add it to /etc/modules-load.d)",
                    "Intel GVT-g: i915 enable_gvt=Y%s", kernel_module_loaded("kvmgt") ? ", kvmgt loaded" : ", kvmgt not loaded");
        else
                add("intel-gvt", CHECK_INFO, "add i915.enable_gvt=1 to the kernel command line and load kvmgt (GVT-g: Broadwell to Comet Lake); newer iGPUs use SR-IOV (xe/i915 max_vfs)",
                    "Intel GVT-g: not enabled (i915 enable_gvt is %s)", gvt ? gvt : "unavailable");
        return true;
}

static void intel_preflight(const struct pci_list *l, const struct pci_device *d, unsigned *state, struct preflight_report *rep) {
        (void)l;
        (void)state;
        if (streq(d->driver, "i915") && !d->mdev_parent && d->sriov_totalvfs == 0)
                preflight_clause(rep, "GVT-g is off on Intel GPU %s%s: boot with i915.enable_gvt=1 and run `modprobe kvmgt`", d->bdf, "");
}

static const char *const intel_host_drivers[] = { "i915", "xe", "snd_hda_intel", NULL };
static const char *const intel_modeset[] = { "i915", NULL };
static const char *const intel_drm[] = { "i915", "xe", NULL };

const struct gpu_vendor gpu_vendor_intel = {
        .name = "intel",
        .pci_vendor = PCI_VENDOR_INTEL,
        .host_drivers = intel_host_drivers,
        .modeset_drivers = intel_modeset,
        .drm_drivers = intel_drm,
        .sriov = &sriov_driver_intel,
        .check = intel_check,
        .preflight = intel_preflight,
};
