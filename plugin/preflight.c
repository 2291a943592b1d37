/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "holders.h"
#include "nvidia-vgpu.h"
#include "pci.h"
#include "preflight.h"

#define PCI_VENDOR_NVIDIA 0x10de
#define PCI_VENDOR_INTEL 0x8086

static bool has_vendor_vfio_vf(const struct pci_list *l, const struct pci_device *pf) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->devs[i].physfn, pf->bdf) && nvidia_vgpu_supported(l->devs[i].bdf))
                        return true;
        return false;
}

static void clause(struct strbuf *why, int *n, const char *fmt, const char *a, const char *b) {
        strbuf_appendf(why, "%s", *n ? "; " : "");
        strbuf_appendf(why, fmt, a, b);
        (*n)++;
}

int vendor_preflight(struct strbuf *why) {
        struct pci_list l = { 0 };
        int n = 0;
        bool nvidia_mgr_checked = false;

        if (pci_list_load(&l) < 0)
                return 0;
        for (size_t i = 0; i < l.n; i++) {
                const struct pci_device *d = &l.devs[i];
                if (!pci_is_display(d) || *d->physfn)
                        continue;
                if (d->vendor == PCI_VENDOR_NVIDIA) {
                        if (!streq(d->driver, "nvidia"))
                                clause(why, &n, "NVIDIA GPU %s is on driver '%s', not the NVIDIA vGPU manager's nvidia driver: install the vGPU manager for KVM (NVIDIA-Linux-x86_64-*-vgpu-kvm.run)",
                                       d->bdf, *d->driver ? d->driver : "none");
                        else if (has_vendor_vfio_vf(&l, d))
                                clause(why, &n, "%s%s uses NVIDIA's SR-IOV vGPU interface (vGPU 17+, no mdev bus): pass a VF as <hostdev type='pci' managed='no'> with <gpuhook:vgpu address='VF' type='NAME'/>",
                                       d->bdf, "");
                        else if (d->sriov_totalvfs > 0 && d->sriov_numvfs == 0 && !d->mdev_parent)
                                clause(why, &n, "the VFs of NVIDIA GPU %s are not enabled: run `/usr/lib/nvidia/sriov-manage -e %s`", d->bdf,
                                       d->bdf);
                        else if (!nvidia_gpu_offers_vgpu(&l, d))
                                continue; /* a consumer GPU: no vGPU, nothing to set up */
                        else if (!d->mdev_parent && !kernel_module_loaded("nvidia_vgpu_vfio"))
                                clause(why, &n, "%s%s: nvidia_vgpu_vfio is not loaded: run `modprobe nvidia_vgpu_vfio` (part of the NVIDIA vGPU manager)",
                                       d->bdf, "");
                        if (!nvidia_mgr_checked && streq(d->driver, "nvidia")) {
                                nvidia_mgr_checked = true;
                                if (!process_running("nvidia-vgpu-mgr"))
                                        clause(why, &n, "%s%sthe NVIDIA vGPU manager daemon is not running: run `systemctl enable --now nvidia-vgpu-mgr`",
                                               "", "");
                        }
                } else if (d->vendor == PCI_VENDOR_INTEL && streq(d->driver, "i915") && !d->mdev_parent && d->sriov_totalvfs == 0)
                        clause(why, &n, "GVT-g is off on Intel GPU %s%s: boot with i915.enable_gvt=1 and run `modprobe kvmgt`", d->bdf, "");
        }
        pci_list_free(&l);
        return n;
}
