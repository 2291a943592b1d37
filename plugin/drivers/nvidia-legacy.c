/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA vGPU on the mdev bus: time-sliced GPUs (nvidia_vgpu_vfio, up to
 * Ampere on kernels < 6.8) and, in nvidia-vf.c, SR-IOV GPUs whose VFs are
 * mdev parents (A100/A30/A10). */
#include "driver.h"
#include "holders.h"
#include "log.h"
#include "nvidia.h"
#include "sysfs.h"
#include "vendor-private.h"

/* The plugin parameters NVIDIA documents for KVM (vGPU user guide,
 * "Setting vGPU Plugin Parameters"); each takes 0 or 1. */
static const char *const documented_params[] = {
        "frame_rate_limiter", "disable_vnc", "enable_uvm", "enable_debugging", "enable_profiling",
};

bool nvidia_param_documented(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(documented_params); i++)
                if (streq(name, documented_params[i]))
                        return true;
        return false;
}

int nvidia_check_params(const struct mdev_op *op) {
        for (size_t i = 0; i < op->n_params; i++) {
                const struct mdev_param *p = &op->params[i];
                if (!nvidia_param_documented(p->name))
                        return log_fail(-EINVAL, "mdev %s: '%s' is not a vGPU plugin parameter NVIDIA documents; use frame_rate_limiter, disable_vnc, enable_uvm, enable_debugging or enable_profiling",
                                        op->uuid, p->name);
                if (!streq(p->value, "0") && !streq(p->value, "1"))
                        return log_fail(-EINVAL, "mdev %s: parameter %s='%s' must be 0 or 1", op->uuid, p->name, p->value);
                for (size_t j = 0; j < i; j++)
                        if (streq(op->params[j].name, p->name))
                                return log_fail(-EINVAL, "mdev %s: parameter %s is given twice; keep one", op->uuid, p->name);
        }
        return 0;
}

int nvidia_format_params(const struct mdev_param *params, size_t n, struct strbuf *out) {
        for (size_t i = 0; i < n; i++)
                if (strbuf_appendf(out, "%s%s=%s", i ? "," : "", params[i].name, params[i].value) < 0)
                        return -ENOMEM;
        /* The driver drops the last byte of every write: end with "\n". */
        return strbuf_appendf(out, "\n");
}

/* NVIDIA documents the parameters and that they are set before the VM
 * starts (vGPU User Guide, "Setting vGPU Plugin Parameters on a Linux with
 * KVM Hypervisor"), not the errnos of a refused write: every errno gets a
 * message, the likely ones (the vGPU already open, a parameter this manager
 * does not know, text too long) a specific one. TEXT ends in the "\n" the
 * driver drops. */
static int params_failed(const struct mdev_op *op, const char *text, int r) {
        int len = (int)strlen(text) - 1;
        struct strbuf who = { 0 };
        int held = mdev_holders(op->uuid, &who);
        if (held > 0) {
                r = log_fail(r, "mdev %s: cannot write nvidia/vgpu_params (%s): the vGPU is already open in %s, and the driver reads them only before it is opened; stop that process, then start the domain again",
                             op->uuid, strerror(-r), strbuf_str(&who));
                strbuf_free(&who);
                return r;
        }
        strbuf_free(&who);
        switch (r) {
        case -EBUSY:
        case -EPERM:
        case -EACCES:
                return log_fail(r, "mdev %s: the nvidia driver refused vgpu_params '%.*s' (%s): the vGPU is in use or not ready; stop what uses it and check dmesg for nvidia errors",
                                op->uuid, len, text, strerror(-r));
        case -EINVAL:
                return log_fail(r, "mdev %s: the nvidia driver refused vgpu_params '%.*s' (EINVAL): this vGPU manager does not take one of them; remove them one by one to find it, and check dmesg",
                                op->uuid, len, text);
        case -E2BIG:
        case -EFBIG:
        case -ENOSPC:
        case -ENAMETOOLONG:
                return log_fail(r, "mdev %s: the nvidia driver refused vgpu_params '%.*s' as too long (%s); set fewer parameters",
                                op->uuid, len, text, strerror(-r));
        default:
                return log_fail(r, "mdev %s: cannot write nvidia/vgpu_params '%.*s': %s; check dmesg for nvidia errors",
                                op->uuid, len, text, strerror(-r));
        }
}

/* Before QEMU opens the vGPU: nvidia-vgpu-mgr reads vgpu_params at open. */
int nvidia_post_create(const struct mdev_op *op) {
        struct strbuf text = { 0 };
        int r;

        if (op->n_params == 0)
                return 0;
        _cleanup_free_ char *path = sysfs_path(SYSFS_MDEV_DEVICES, op->uuid, "nvidia", "vgpu_params", NULL);
        if (!path)
                return -errno;
        if (!sysfs_exists(path))
                return log_fail(-ENOENT, "mdev %s (type %s) on %s has no nvidia/vgpu_params: this vGPU manager takes no plugin parameters; remove the <gpuhook:param> elements or upgrade the NVIDIA vGPU manager",
                                op->uuid, op->type, op->parent);
        r = nvidia_format_params(op->params, op->n_params, &text);
        if (r >= 0)
                r = write_text_file(path, strbuf_str(&text));
        if (r < 0)
                r = params_failed(op, strbuf_str(&text), r);
        strbuf_free(&text);
        if (r < 0)
                return r;
        log_info("mdev %s: vgpu_params set", op->uuid);
        return 0;
}

/* The driver tears a vGPU down itself once QEMU and nvidia-vgpu-mgr let go
 * of it; removing it earlier blocks. Wait (bounded) for the VFIO group to
 * be closed, then remove whatever is left. */
int nvidia_destroy(const struct mdev_op *op) {
        uint64_t deadline = now_usec() + (uint64_t)op->timeout_ms * 1000;
        for (;;) {
                struct strbuf who = { 0 };
                int n = mdev_holders(op->uuid, &who);
                if (n <= 0) {
                        strbuf_free(&who);
                        break;
                }
                if (now_usec() >= deadline) {
                        int r = log_fail(-EBUSY, "mdev %s on %s is still open in %s after %us; stop those processes, then run `gpuhookctl reconcile`",
                                         op->uuid, op->parent, strbuf_str(&who), op->timeout_ms / 1000);
                        strbuf_free(&who);
                        return r;
                }
                strbuf_free(&who);
                sleep_usec(100000);
        }
        return mdev_generic_destroy(op);
}

static bool nvidia_legacy_claims(const struct mdev_parent_probe *p) {
        return p->vendor == PCI_VENDOR_NVIDIA && streq(p->driver, "nvidia") && !*p->physfn;
}

/* Time-sliced GPUs host one type at a time (NVIDIA vGPU User Guide <= 16,
 * "Valid Virtual GPU Configurations on a Single GPU"); the kernel shows it
 * only as available_instances 0 on the other types, so the view says why. A
 * GPU in mixed-size mode (vGPU 17+) shows other types while it hosts one:
 * host_view_settle_type_rule() then drops the rule for that card. */
static void nvidia_legacy_annotate(const struct mdev_parent_probe *p, struct mdev_parent_info *info) {
        info->one_type_at_a_time = true;
}

const struct mdev_driver mdev_driver_nvidia_legacy = {
        .name = "nvidia-mdev",
        .claims = nvidia_legacy_claims,
        .annotate = nvidia_legacy_annotate,
        .check_params = nvidia_check_params,
        .create = mdev_generic_create,
        .post_create = nvidia_post_create,
        .destroy = nvidia_destroy,
};
