/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libvirt-vfio.h"
#include "log.h"
#include "nvidia-vgpu.h"
#include "pci-bind.h"
#include "pci.h"
#include "sriov.h"
#include "sysfs.h"
#include "validate.h"
#include "vendor-private.h"

static char *current_path(const char *bdf) {
        return sysfs_path(SYSFS_PCI_DEVICES, bdf, "nvidia", "current_vgpu_type", NULL);
}

bool nvidia_vgpu_supported(const char *bdf) {
        _cleanup_free_ char *p = current_path(bdf);
        return sysfs_exists(p);
}

int nvidia_vgpu_creatable_types(const char *bdf, struct vgpu_type **ret, size_t *ret_n) {
        _cleanup_free_ char *p = sysfs_path(SYSFS_PCI_DEVICES, bdf, "nvidia", "creatable_vgpu_types", NULL), *text = NULL;
        struct vgpu_type *v = NULL;
        size_t n = 0;
        int r;

        if (!p)
                return -errno;
        r = read_text_file(p, 64 * 1024, &text);
        if (r < 0)
                return r;
        /* "ID    : vGPU Name" header, then "<id> : <name>" lines. */
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = 0;
                char *id = line, *name = colon + 1;
                while (*id == ' ' || *id == '\t')
                        id++;
                strstrip_end(id);
                while (*name == ' ' || *name == '\t')
                        name++;
                strstrip_end(name);
                unsigned idv;
                if (safe_atou(id, &idv) < 0 || idv == 0 || !mdev_type_name_valid(name))
                        continue; /* the header line, or garbage */
                struct vgpu_type *nv = reallocarray(v, n + 1, sizeof(*v));
                if (!nv) {
                        free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[n].id = idv;
                snprintf(v[n].name, sizeof(v[n].name), "%s", name);
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int nvidia_vgpu_current_type(const char *bdf, unsigned *ret) {
        _cleanup_free_ char *p = current_path(bdf);
        return p ? read_uint_file(p, ret) : -errno;
}

/* The PF of VF BDF into pf ("" when BDF is no VF). */
static void physfn_of(const char *bdf, char *pf, size_t size) {
        _cleanup_free_ char *link = sysfs_pci_attr(bdf, "physfn");
        *pf = '\0';
        if (!link || sysfs_link_basename(link, pf, size) < 0 || !pci_addr_valid(pf))
                *pf = '\0';
}

/* What the other VFs of BDF's GPU carry ("VF 0000:c1:00.5 has type 1148, ..."),
 * the reason a type is missing from creatable_vgpu_types in equal-size mode. */
static void explain_card(const char *bdf, struct strbuf *why) {
        char pf[64];
        char **vfs = NULL;
        bool any = false;

        physfn_of(bdf, pf, sizeof(pf));
        if (!*pf || sriov_vfs_list(pf, &vfs) < 0)
                return;
        for (char **vf = vfs; *vf; vf++) {
                unsigned cur = 0;
                if (streq(*vf, bdf) || nvidia_vgpu_current_type(*vf, &cur) < 0 || cur == 0)
                        continue;
                strbuf_appendf(why, "%s VF %s has type %u", any ? "," : "; on its GPU", *vf, cur);
                any = true;
        }
        strv_free_null(vfs);
        /* NVIDIA vGPU User Guide (vGPU 17+, "Valid Virtual GPU Configurations
         * on a Single GPU"): a GPU is in equal-size mode by default and then
         * hosts only vGPUs with one framebuffer size; mixed-size mode lifts
         * that. Which mode a GPU is in is not in sysfs: the driver's
         * creatable_vgpu_types is the answer either way. */
        if (any)
                strbuf_appendf(why, " (in equal-size mode, NVIDIA's default, a GPU hosts one vGPU size at a time: choose that size, another GPU, or put the GPU in mixed-size mode)");
}

int nvidia_vgpu_resolve(const char *bdf, const char *type, unsigned *ret_id, struct strbuf *why) {
        struct vgpu_type *types = NULL;
        size_t n = 0;
        unsigned want = 0;
        bool numeric = safe_atou(type, &want) == 0;
        int r = nvidia_vgpu_creatable_types(bdf, &types, &n);

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
                strbuf_appendf(why, "no vGPU type can be created on VF %s now (the GPU is full, or hosts another size)", bdf);
        else {
                strbuf_appendf(why, "type '%s' cannot be created on VF %s now; it can create:", type, bdf);
                for (size_t i = 0; i < n && i < 16; i++)
                        strbuf_appendf(why, "%s %u (%s)", i ? "," : "", types[i].id, types[i].name);
        }
        explain_card(bdf, why);
        if (n == 0)
                strbuf_appendf(why, "; stop a VM on that GPU or give this domain a VF of another GPU");
        free(types);
        return n == 0 ? -ENOSPC : -ENOENT;
}

/* The nvidia driver's errnos for current_vgpu_type are in no public
 * document or source (the vGPU manager's kernel module ships only with the
 * vGPU software): every errno gets a message, the common ones a specific one,
 * and the state is re-read so that the message says what the driver left. */
static int set_failed(const char *bdf, unsigned id, int r, unsigned timeout_ms) {
        unsigned cur = 0;
        bool still_creatable = false;
        struct vgpu_type *types = NULL;
        size_t n = 0;

        if (nvidia_vgpu_creatable_types(bdf, &types, &n) >= 0)
                for (size_t i = 0; i < n; i++)
                        still_creatable |= types[i].id == id;
        free(types);

        switch (r) {
        case -EBUSY:
                if (nvidia_vgpu_current_type(bdf, &cur) >= 0 && cur != 0 && cur != id)
                        return log_fail(r, "cannot create vGPU type %u on VF %s: it got type %u from someone else meanwhile; give this domain another VF",
                                        id, bdf, cur);
                return log_fail(r, "cannot create vGPU type %u on VF %s: the nvidia driver says it is busy (EBUSY; its VFIO device open, or the GPU resetting?); retry, and check dmesg and `nvidia-smi vgpu`",
                                id, bdf);
        case -EINVAL:
                if (!still_creatable)
                        return log_fail(r, "cannot create vGPU type %u on VF %s: its GPU can no longer create it (another VF took the room meanwhile); start the domain again, or give it another VF",
                                        id, bdf);
                return log_fail(r, "cannot create vGPU type %u on VF %s: the nvidia driver refused it (EINVAL) although creatable_vgpu_types lists it; check dmesg for nvidia errors",
                                id, bdf);
        case -ENOSPC:
        case -EUSERS:
        case -EDQUOT:
                return log_fail(r, "cannot create vGPU type %u on VF %s: no room left on its GPU (%s); stop a VM on that GPU or choose a smaller type",
                                id, bdf, strerror(-r));
        case -ENODEV:
        case -ENXIO:
        case -ENOENT:
                return log_fail(r, "cannot create vGPU type %u on VF %s: the VF or its vGPU interface is gone (%s); is nvidia-vgpu-mgr running (`systemctl status nvidia-vgpu-mgr`) and are the VFs still enabled?",
                                id, bdf, strerror(-r));
        case -EPERM:
        case -EACCES:
                return log_fail(r, "cannot create vGPU type %u on VF %s: the nvidia driver refused it (%s); check that nvidia-vgpu-mgr runs and dmesg for nvidia errors",
                                id, bdf, strerror(-r));
        case -ETIMEDOUT:
                return log_fail(r, "cannot create vGPU type %u on VF %s: the nvidia driver did not answer within %us; check dmesg for nvidia errors",
                                id, bdf, timeout_ms / 1000);
        default:
                return log_fail(r, "cannot create vGPU type %u on VF %s: %s; check dmesg for nvidia errors and `nvidia-smi vgpu`",
                                id, bdf, strerror(-r));
        }
}

int nvidia_vgpu_set(const char *bdf, unsigned id, unsigned timeout_ms) {
        _cleanup_free_ char *p = current_path(bdf);
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;
        unsigned cur = 0;
        char text[16];
        int r;

        if (!p)
                return -errno;
        snprintf(text, sizeof(text), "%u", id);
        log_info("creating vGPU type %u on VF %s", id, bdf);
        /* EAGAIN/EINTR say "again" by definition; nothing else is retried. */
        while ((r = sysfs_write_bounded(p, text, timeout_ms)) == -EAGAIN || r == -EINTR) {
                if (now_usec() >= deadline)
                        break;
                sleep_usec(100000);
        }
        if (r < 0)
                return set_failed(bdf, id, r, timeout_ms);
        /* The write's success is the driver's word; the file is its state. */
        r = nvidia_vgpu_current_type(bdf, &cur);
        if (r >= 0 && cur != id)
                return log_fail(-EIO, "VF %s: the nvidia driver accepted vGPU type %u but current_vgpu_type reads %u; check dmesg for nvidia errors",
                                bdf, id, cur);
        return 0;
}

int nvidia_vgpu_clear(const char *bdf, unsigned timeout_ms) {
        _cleanup_free_ char *p = current_path(bdf);
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;
        unsigned cur = 0;
        int r;

        if (!p)
                return -errno;
        if (nvidia_vgpu_current_type(bdf, &cur) >= 0 && cur == 0)
                return 0;
        for (;;) {
                r = sysfs_write_bounded(p, "0", timeout_ms);
                if (r >= 0) {
                        log_info("destroyed the vGPU on VF %s", bdf);
                        return 0;
                }
                /* The driver tears a vGPU down itself when the VM stops, and
                 * a 0 written after that may fail (a user saw EPERM): what
                 * counts is that the VF is free. */
                if (nvidia_vgpu_current_type(bdf, &cur) >= 0 && cur == 0) {
                        log_info("the vGPU on VF %s is gone (the 0 write said: %s)", bdf, strerror(-r));
                        return 0;
                }
                /* Busy while the driver finishes its teardown (peers retry
                 * 10 x 1 s); EAGAIN/EINTR by definition. */
                if ((r != -EBUSY && r != -EAGAIN && r != -EINTR) || now_usec() >= deadline)
                        break;
                sleep_usec(r == -EBUSY ? 1000000 : 100000);
        }
        if (r == -EBUSY)
                return log_fail(r, "cannot destroy the vGPU on VF %s: the nvidia driver stayed busy for %us; stop what uses it (QEMU, nvidia-vgpu-mgr), then run `gpuhookctl reconcile`",
                                bdf, timeout_ms / 1000);
        return log_fail(r, "cannot destroy the vGPU on VF %s (writing 0 to current_vgpu_type: %s); check dmesg for nvidia errors, then run `gpuhookctl reconcile`",
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
        if (d->vendor != PCI_VENDOR_NVIDIA || !streq(d->driver, "nvidia") || *d->physfn)
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
