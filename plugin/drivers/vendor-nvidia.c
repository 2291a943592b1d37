/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA: the host drivers, the vGPU manager's checks, /dev/nvidia<N>, the
 * mdev drivers (time-sliced PF, mdev-on-VF), SR-IOV through sriov-manage and
 * vGPU on a VF through the vendor-specific VFIO (nvidia-vgpu.c). */
#include <dirent.h>
#include <unistd.h>

#include "holders.h"
#include "nvidia-vgpu.h"
#include "sysfs.h"
#include "vendor-private.h"

static bool has_vendor_vfio_vf(const struct pci_list *l, const struct pci_device *pf) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->devs[i].physfn, pf->bdf) && nvidia_vgpu_supported(l->devs[i].bdf))
                        return true;
        return false;
}

static bool unit_file_exists(const char *unit) {
        static const char *const dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", dirs[i], unit);
                if (p && access(p, F_OK) == 0)
                        return true;
        }
        return false;
}

static bool nvidia_check(const struct pci_list *l, check_add_fn add) {
        bool nvidia = false, nvidia_host = false, nvidia_vgpu = false;
        for (size_t i = 0; i < l->n; i++) {
                const struct pci_device *d = &l->devs[i];
                if (!pci_is_display(d) || *d->physfn)
                        continue;
                nvidia = nvidia || d->vendor == PCI_VENDOR_NVIDIA;
                nvidia_host = nvidia_host || (d->vendor == PCI_VENDOR_NVIDIA && streq(d->driver, "nvidia"));
                nvidia_vgpu = nvidia_vgpu || nvidia_gpu_offers_vgpu(l, d);
        }
        /* The vGPU manager matters only where the nvidia driver itself says
         * a GPU supports vGPU (nvidia_gpu_offers_vgpu()): on a GeForce its
         * absence is no blocker. */
        if (nvidia_vgpu) {
                bool mgr = process_running("nvidia-vgpu-mgr"), vgpud = process_running("nvidia-vgpud");
                bool unit = unit_file_exists("nvidia-vgpu-mgr.service");
                if (mgr)
                        add("nvidia-vgpu-mgr", CHECK_OK, NULL, "NVIDIA vGPU: nvidia-vgpu-mgr is running%s",
                            vgpud ? " (with nvidia-vgpud)" : "");
                else
                        add("nvidia-vgpu-mgr", CHECK_FAIL,
                            unit ? "systemctl enable --now nvidia-vgpu-mgr.service (and nvidia-vgpud.service on older releases)"
                                 : "install NVIDIA's vGPU host driver (the nvidia-vgpu-ubuntu/-debian package), then systemctl enable --now nvidia-vgpu-mgr",
                            "NVIDIA vGPU: nvidia-vgpu-mgr is not running%s: vGPUs cannot start",
                            unit ? "" : " (no nvidia-vgpu-mgr.service installed)");
                if (kernel_module_loaded("nvidia_vgpu_vfio"))
                        add("nvidia-vgpu-vfio", CHECK_OK, NULL, "NVIDIA vGPU: nvidia_vgpu_vfio is loaded (mdev-based vGPU)");
        } else if (nvidia_host)
                add("nvidia-vgpu", CHECK_INFO, NULL,
                    "NVIDIA vGPU: the nvidia driver offers no vGPU on these GPUs (no mdev types, no SR-IOV: consumer cards have none); whole-GPU passthrough works");
        else if (nvidia)
                add("nvidia-vgpu", CHECK_INFO, "for vGPU install NVIDIA's vGPU host driver; for passthrough nothing more is needed",
                    "NVIDIA vGPU: no GPU is on the nvidia host driver; whole-GPU passthrough works without it");
        return nvidia;
}

#define MGR_CHECKED 1u

static void nvidia_preflight(const struct pci_list *l, const struct pci_device *d, unsigned *state, struct preflight_report *rep) {
        if (!streq(d->driver, "nvidia"))
                preflight_clause(rep, "NVIDIA GPU %s is on driver '%s', not the NVIDIA vGPU manager's nvidia driver: install the vGPU manager for KVM (NVIDIA-Linux-x86_64-*-vgpu-kvm.run)",
                                 d->bdf, *d->driver ? d->driver : "none");
        else if (has_vendor_vfio_vf(l, d))
                preflight_clause(rep, "%s%s uses NVIDIA's SR-IOV vGPU interface (vGPU 17+, no mdev bus): pass a VF as <hostdev type='pci' managed='no'> with <gpuhook:vgpu address='VF' type='NAME'/>",
                                 d->bdf, "");
        else if (d->sriov_totalvfs > 0 && d->sriov_numvfs == 0 && !d->mdev_parent)
                preflight_clause(rep, "the VFs of NVIDIA GPU %s are not enabled: run `/usr/lib/nvidia/sriov-manage -e %s`", d->bdf,
                                 d->bdf);
        else if (!nvidia_gpu_offers_vgpu(l, d))
                return; /* a consumer GPU: no vGPU, nothing to set up */
        else if (!d->mdev_parent && !kernel_module_loaded("nvidia_vgpu_vfio"))
                preflight_clause(rep, "%s%s: nvidia_vgpu_vfio is not loaded: run `modprobe nvidia_vgpu_vfio` (part of the NVIDIA vGPU manager)",
                                 d->bdf, "");
        if (!(*state & MGR_CHECKED) && streq(d->driver, "nvidia")) {
                *state |= MGR_CHECKED;
                if (!process_running("nvidia-vgpu-mgr"))
                        preflight_clause(rep, "%s%sthe NVIDIA vGPU manager daemon is not running: run `systemctl enable --now nvidia-vgpu-mgr`",
                                         "", "");
        }
}

/* Every /dev/nvidia<N>: the driver's minor numbering is not in sysfs. */
static int nvidia_in_use_nodes(const char *bdf, const char *driver, node_add_fn add, void *ctx) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        (void)bdf;
        if (!streq(driver, "nvidia") || !(d = opendir("/dev")))
                return 0;
        while ((de = readdir(d)) && r >= 0) {
                unsigned num;
                if (strncmp(de->d_name, "nvidia", 6) || safe_atou(de->d_name + 6, &num) < 0)
                        continue;
                _cleanup_free_ char *node = sysfs_path("/dev", de->d_name, NULL);
                if (node)
                        r = add(ctx, node);
        }
        closedir(d);
        return r;
}

static const struct vgpu_vf_ops nvidia_vgpu_vf = {
        .supported = nvidia_vgpu_supported,
        .libvirt_gate = nvidia_vgpu_libvirt_gate,
        .resolve = nvidia_vgpu_resolve,
        .set_type = nvidia_vgpu_set,
        .clear_type = nvidia_vgpu_clear,
        .current_type = nvidia_vgpu_current_type,
        .creatable_types = nvidia_vgpu_creatable_types,
};

static const char *const nvidia_host_drivers[] = { "nouveau", "nvidia", "snd_hda_intel", NULL };
static const char *const nvidia_modeset[] = { "nouveau", "nvidia_drm", "nvidia-drm", NULL };
static const char *const nvidia_drm[] = { "nouveau", NULL };
static const struct mdev_driver *const nvidia_mdev_drivers[] = { &mdev_driver_nvidia_vf, &mdev_driver_nvidia_legacy, NULL };

const struct gpu_vendor gpu_vendor_nvidia = {
        .name = "nvidia",
        .pci_vendor = PCI_VENDOR_NVIDIA,
        .host_drivers = nvidia_host_drivers,
        .modeset_drivers = nvidia_modeset,
        .drm_drivers = nvidia_drm,
        .mdev_drivers = nvidia_mdev_drivers,
        .sriov = &sriov_driver_nvidia,
        .vgpu_vf = &nvidia_vgpu_vf,
        .check = nvidia_check,
        .preflight = nvidia_preflight,
        .in_use_nodes = nvidia_in_use_nodes,
};
