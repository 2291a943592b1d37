/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libvirt-vfio.h"
#include "log.h"
#include "nvidia-vgpu.h"
#include "pci-bind.h"
#include "pci.h"
#include "sysfs.h"

static char *current_path(const char *bdf) {
        return sysfs_path(SYSFS_PCI_DEVICES, bdf, "nvidia", "current_vgpu_type", NULL);
}

bool nvidia_vgpu_supported(const char *bdf) {
        _cleanup_free_ char *p = current_path(bdf);
        return sysfs_exists(p);
}

int nvidia_vgpu_resolve(const char *bdf, const char *type, unsigned *ret_id, struct strbuf *why) {
        struct vgpu_type *types = NULL;
        size_t n = 0;
        unsigned want = 0;
        bool numeric = safe_atou(type, &want) == 0;
        int r = pci_vgpu_creatable_types(bdf, &types, &n);

        if (r < 0) {
                strbuf_appendf(why, "cannot read %s's nvidia/creatable_vgpu_types: %s", bdf, strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n; i++)
                if (numeric ? types[i].id == want : streq(types[i].name, type)) {
                        *ret_id = types[i].id;
                        free(types);
                        return 0;
                }
        if (n == 0)
                strbuf_appendf(why, "no vGPU type can be created on VF %s now (the card is full, or it already hosts another type); stop a VM on that card or choose another card",
                               bdf);
        else {
                strbuf_appendf(why, "type '%s' cannot be created on VF %s now; it can create:", type, bdf);
                for (size_t i = 0; i < n && i < 16; i++)
                        strbuf_appendf(why, "%s %u (%s)", i ? "," : "", types[i].id, types[i].name);
        }
        free(types);
        return n == 0 ? -ENOSPC : -ENOENT;
}

int nvidia_vgpu_set(const char *bdf, unsigned id, unsigned timeout_ms) {
        _cleanup_free_ char *p = current_path(bdf);
        char text[16];
        if (!p)
                return -errno;
        snprintf(text, sizeof(text), "%u", id);
        log_info("creating vGPU type %u on VF %s", id, bdf);
        int r = sysfs_write_bounded(p, text, timeout_ms);
        if (r < 0)
                return log_fail(r, "cannot create vGPU type %u on VF %s: %s; check `nvidia-smi vgpu` and dmesg", id, bdf,
                                strerror(-r));
        return 0;
}

int nvidia_vgpu_clear(const char *bdf, unsigned timeout_ms) {
        _cleanup_free_ char *p = current_path(bdf);
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;
        unsigned cur = 0;
        int r;

        if (!p)
                return -errno;
        if (pci_vgpu_current_type(bdf, &cur) >= 0 && cur == 0)
                return 0;
        for (;;) {
                r = sysfs_write_bounded(p, "0", timeout_ms);
                if (r >= 0) {
                        log_info("destroyed the vGPU on VF %s", bdf);
                        return 0;
                }
                if (r != -EBUSY || now_usec() >= deadline)
                        break;
                sleep_usec(1000000); /* the driver finishes its teardown */
        }
        return log_fail(r, "cannot destroy the vGPU on VF %s (writing 0 to current_vgpu_type: %s); stop what uses it, then run `gpuhookctl reconcile`",
                        bdf, strerror(-r));
}

int nvidia_vgpu_libvirt_gate(const char *bdf) {
        unsigned long v = 0;
        char what[64];
        /* Not such a VF: prepare refuses it with its own reason. */
        if (!nvidia_vgpu_supported(bdf))
                return 0;
        (void)libvirt_installed_version(&v); /* unknown: 0, warned about, not blocked */
        snprintf(what, sizeof(what), "VF %s", bdf);
        return libvirt_vendor_vfio_check(v, what);
}

/* What NVIDIA's own host driver shows on a GPU that supports vGPU (NVIDIA
 * Virtual GPU Software User Guide, "Installing and Configuring the NVIDIA
 * Virtual GPU Manager for ... KVM": with the vGPU manager, a GPU that
 * supports vGPU gets mdev_supported_types, and on SR-IOV GPUs (Ampere and
 * newer) each VF gets nvidia/creatable_vgpu_types; NVIDIA GPUs expose SR-IOV
 * only for vGPU). A GeForce/consumer card shows none of it: no vGPU there,
 * so nothing about the vGPU manager applies to it. */
bool nvidia_gpu_offers_vgpu(const struct pci_list *l, const struct pci_device *d) {
        if (d->vendor != 0x10de || !streq(d->driver, "nvidia") || *d->physfn)
                return false;
        if (d->mdev_parent || d->sriov_totalvfs > 0)
                return true;
        /* The mdev types of a time-sliced GPU appear only once the vGPU
         * manager's nvidia_vgpu_vfio is loaded; that module ships only with
         * the vGPU manager (NVIDIA-Linux-*-vgpu-kvm), never with the desktop
         * driver: installed but not loaded still means "vGPU expected". */
        if (kernel_module_available("nvidia_vgpu_vfio") == 1)
                return true;
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->devs[i].physfn, d->bdf) && nvidia_vgpu_supported(l->devs[i].bdf))
                        return true;
        return false;
}
