/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Any mdev_bus parent: kernel samples (mtty, mdpy, mbochs), vfio_ccw,
 * vfio_ap, Intel GVT-g, and the base every vendor driver builds on. */
#include "driver.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"
#include "vendor-private.h"

int mdev_generic_check_params(const struct mdev_op *op) {
        if (op->n_params > 0)
                return log_fail(-EINVAL, "mdev %s: type %s on %s takes no <gpuhook:param> (only NVIDIA vGPU types do); remove them",
                                op->uuid, op->type, op->parent);
        return 0;
}

/* The mdev core's answers to a create write (drivers/vfio/mdev/mdev_core.c,
 * mdev_device_create(): EEXIST for a UUID in use, EUSERS when the type's
 * available_instances is 0; vendor drivers return their own, e.g. ENOSPC)
 * and what each means for the user. */
static const char *create_hint(int r) {
        switch (r) {
        case -EUSERS:
        case -ENOSPC:
        case -EDQUOT:
                return "the parent has no free instance of it; stop a VM that uses one, or choose another type or parent (`gpuhookctl types`)";
        case -EEXIST:
                return "an mdev with this UUID was created meanwhile; give the domain another UUID or find who made it (`mdevctl list`)";
        case -ENODEV:
        case -ENOENT:
                return "the parent or type is gone (its driver unloading?); check `gpuhookctl types`";
        default:
                return "check the vendor driver's log (dmesg)";
        }
}

int mdev_generic_create(const struct mdev_op *op) {
        const char *err = NULL;
        int r;

        if (op->mdevctl) {
                r = mdevctl_start_transient(op->mdevctl, op->uuid, op->parent, op->type, &err);
                if (r < 0)
                        return log_fail(r, "cannot create mdev %s (type %s) on %s: %s; see `mdevctl types` for what is free",
                                        op->uuid, op->type, op->parent, err);
        } else if ((r = mdev_sysfs_create(op->parent, op->type, op->uuid)) < 0)
                return log_fail(r, "cannot create mdev %s (type %s) on %s: %s; %s", op->uuid, op->type, op->parent,
                                strerror(-r), create_hint(r));
        r = mdev_wait_present(op->uuid, op->model, op->timeout_ms);
        if (r == -ETIMEDOUT)
                return log_fail(r, "mdev %s (type %s) on %s did not appear in %s within %us; check the vendor driver's log (dmesg)",
                                op->uuid, op->type, op->parent, "/sys/bus/mdev/devices", op->timeout_ms / 1000);
        if (r == -EMEDIUMTYPE) {
                char api[32] = "?";
                (void)mdev_device_api(op->uuid, api, sizeof(api));
                return log_fail(r, "mdev %s (type %s) has device_api %s but the <hostdev> says model='%s'; set model='%s'",
                                op->uuid, op->type, api, op->model, api);
        }
        return r;
}

int mdev_generic_destroy(const struct mdev_op *op) {
        const char *err = NULL;
        int r;

        if (!mdev_exists(op->uuid))
                return 0;
        if (op->mdevctl)
                r = mdevctl_stop(op->mdevctl, op->uuid, &err);
        else if ((r = mdev_sysfs_remove(op->uuid, op->timeout_ms)) < 0)
                err = r == -ETIMEDOUT ? "the remove write did not return (the device is still open?)" : strerror(-r);
        if (r < 0 && mdev_exists(op->uuid))
                return log_fail(r, "cannot remove mdev %s from %s: %s; is a VM still using it? retry with `gpuhookctl reconcile`",
                                op->uuid, op->parent, err);
        r = mdev_wait_gone(op->uuid, op->timeout_ms);
        if (r < 0)
                return log_fail(r, "mdev %s on %s is still present %us after removal; retry with `gpuhookctl reconcile`",
                                op->uuid, op->parent, op->timeout_ms / 1000);
        return 0;
}

static bool generic_claims(const struct mdev_parent_probe *p) { return true; }

const struct mdev_driver mdev_driver_generic = {
        .name = "generic-mdev",
        .claims = generic_claims,
        .check_params = mdev_generic_check_params,
        .create = mdev_generic_create,
        .destroy = mdev_generic_destroy,
};

/* What no vendor family owns: other DRM drivers with modeset= (server
 * BMCs, emulated GPUs) and the mdev driver that claims every parent left. */
static const char *const generic_modeset[] = { "ast", "mgag200", "qxl", "bochs", "virtio_gpu", "virtio-gpu", NULL };
static const struct mdev_driver *const generic_mdev_drivers[] = { &mdev_driver_generic, NULL };

const struct gpu_vendor gpu_vendor_generic = {
        .name = "generic",
        .modeset_drivers = generic_modeset,
        .mdev_drivers = generic_mdev_drivers,
};
