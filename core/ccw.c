/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* s390 I/O subchannels for vfio-ccw mdevs, just in time: a <gpuhook:mdev
 * parent='0.0.0314'> that names a subchannel still on the host's
 * io_subchannel driver moves it to vfio_ccw, whose probe registers it as an
 * mdev parent (vfio_ccw-io). The sequence is Documentation/arch/s390/
 * vfio-ccw.rst's ("unbind the subchannel from the standard I/O subchannel
 * driver and bind it to the vfio-ccw driver"), with driver_override so
 * that io_subchannel cannot take it back (its driverctl example,
 * `driverctl -b css set-override 0.0.0313 vfio_ccw`; css_bus_match() honours
 * the override), written ahead in the ledger with the original driver and
 * given back at release only from the state gpuhook left it in.
 *
 * A subchannel whose ccw device is online is refused: unbinding
 * io_subchannel unregisters that device from under the host (a mounted DASD,
 * a network device); libvirt's docs unbind the ccw device first
 * (libvirt docs/drvnodedev.rst, "Before creating a mediated device, unbind
 * the device from the respective device driver"), and IBM's "Managing
 * mediated devices for DASD with libvirt" frees the DASD from its driver
 * first. gpuhook never sets a device offline for the user. */
#include <dirent.h>

#include "internal.h"
#include "jit.h"
#include "log.h"
#include "mdev.h"
#include "sysfs.h"

#define CSS_DEVICES "/sys/bus/css/devices"
#define CSS_DRIVERS "/sys/bus/css/drivers"
#define VFIO_CCW "vfio_ccw"

static char *css_attr(const char *sch, const char *attr) { return sysfs_path(CSS_DEVICES, sch, attr, NULL); }

static int css_driver(const char *sch, char *buf, size_t size) {
        _cleanup_free_ char *p = css_attr(sch, "driver");
        return p ? sysfs_link_basename(p, buf, size) : -errno;
}

/* driver_override, "" when unset ("(null)"). */
static int css_override(const char *sch, char *buf, size_t size) {
        _cleanup_free_ char *p = css_attr(sch, "driver_override"), *text = NULL;
        if (!p)
                return -errno;
        int r = read_text_file(p, 4096, &text);
        if (r == -ENOENT) {
                *buf = 0;
                return 0;
        }
        if (r < 0)
                return r;
        strstrip_end(text);
        snprintf(buf, size, "%s", streq(text, "(null)") ? "" : text);
        return 0;
}

static int css_write(const char *path, const char *text, const char *what, const char *sch) {
        int r = path ? write_text_file(path, text) : -errno;
        if (r < 0)
                return log_fail(r, "subchannel %s: cannot write %s: %s; check the kernel log (dmesg)", sch, what, strerror(-r));
        return 0;
}

/* A ccw device below SCH that is online (its `online` attribute,
 * drivers/s390/cio/device.c online_show()): its bus id in RET. */
static bool online_device(const char *sch, char *ret, size_t size) {
        _cleanup_free_ char *dir = css_attr(sch, NULL);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        bool found = false;
        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                unsigned online = 0;
                if (!ledger_css_id_valid(de->d_name))
                        continue;
                _cleanup_free_ char *p = sysfs_path(dir, de->d_name, "online", NULL);
                if (p && read_uint_file(p, &online) >= 0 && online) {
                        snprintf(ret, size, "%s", de->d_name);
                        found = true;
                }
        }
        closedir(d);
        return found;
}

/* Poll (bounded) until SCH is on WANT ("" = unbound is not waited for). */
static int wait_driver(const char *sch, const char *want, unsigned timeout_ms) {
        char drv[MDEV_NAME_MAX + 1] = "";
        for (uint64_t end = now_usec() + (uint64_t)timeout_ms * 1000;;) {
                if (css_driver(sch, drv, sizeof(drv)) >= 0 && streq(drv, want))
                        return 0;
                if (now_usec() >= end)
                        return -ETIMEDOUT;
                sleep_usec(10000);
        }
}

/* driver_override, unbind, drivers_probe: the sequence of vfio-ccw.rst. */
static int move_to_vfio_ccw(const char *sch, const char *drv) {
        _cleanup_free_ char *ov = css_attr(sch, "driver_override");
        _cleanup_free_ char *unbind = *drv ? sysfs_path(CSS_DRIVERS, drv, "unbind", NULL) : NULL;
        int r;
        if ((r = css_write(ov, VFIO_CCW, "driver_override", sch)) < 0 ||
            (*drv && (r = css_write(unbind, sch, "its driver's unbind", sch)) < 0))
                return r;
        return css_write("/sys/bus/css/drivers_probe", sch, "/sys/bus/css/drivers_probe", sch);
}

static int take(struct jit_state *s, const char *sch) {
        char drv[MDEV_NAME_MAX + 1] = "", override[MDEV_NAME_MAX + 1] = "", dev[MDEV_NAME_MAX + 1];
        size_t idx;
        int r;

        if ((r = css_driver(sch, drv, sizeof(drv))) < 0 || (r = css_override(sch, override, sizeof(override))) < 0)
                return log_fail(r, "subchannel %s: cannot read its driver: %s; check that sysfs is mounted", sch, strerror(-r));
        if (streq(drv, VFIO_CCW))
                return 0; /* an mdev parent already: nothing to take */
        if (online_device(sch, dev, sizeof(dev)))
                return log_fail(-EBUSY, "subchannel %s: its device %s is online on this host; set it offline with `chccwdev -d %s` (and stop what uses it) before the domain takes the subchannel",
                                sch, dev, dev);
        _cleanup_free_ char *vfio = sysfs_path(CSS_DRIVERS, VFIO_CCW, NULL);
        if (!vfio || !sysfs_exists(vfio))
                return log_fail(-ENODEV, "subchannel %s: vfio_ccw is not loaded; `modprobe vfio_ccw`, then start the domain again", sch);

        struct ledger_entry e = { .kind = LEDGER_CCW, .state = LEDGER_PENDING };
        snprintf(e.id, sizeof(e.id), "%s", sch);
        snprintf(e.driver, sizeof(e.driver), "%s", drv);
        snprintf(e.override, sizeof(e.override), "%s", override);
        snprintf(e.left, sizeof(e.left), "%s", VFIO_CCW);
        if ((r = jit_record(s, &e, &idx)) < 0)
                return r;
        jit_fault_point("ccw-recorded");
        if ((r = move_to_vfio_ccw(sch, drv)) < 0)
                return r;
        if (wait_driver(sch, VFIO_CCW, s->cfg->bind_timeout_ms) < 0) {
                (void)css_driver(sch, drv, sizeof(drv));
                return log_fail(-EIO, "subchannel %s did not bind to vfio_ccw within %u ms (it is on %s); check the kernel log (dmesg)", sch,
                                s->cfg->bind_timeout_ms, *drv ? drv : "no driver");
        }
        jit_fault_point("ccw-bound");
        return jit_mark_done(s, idx);
}

int jit_prepare_ccw(struct jit_state *s) {
        const struct domain_spec *d = s->domain;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < d->n_requests; i++) {
                const char *sch = d->requests[i].parent;
                _cleanup_free_ char *dir = NULL;
                if (!ledger_css_id_valid(sch) || mdev_exists(d->requests[i].uuid))
                        continue;
                dir = css_attr(sch, NULL);
                if (dir && sysfs_exists(dir))
                        r = take(s, sch);
        }
        return r;
}

/* An mdev still on the subchannel would go with vfio_ccw's unbind
 * (mdev_unregister_parent()): not gpuhook's to destroy. */
static bool hosts_mdev(const char *sch, char *ret, size_t size) {
        _cleanup_free_ char *dir = sysfs_path(SYSFS_MDEV_BUS, sch, NULL);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        bool found = false;
        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                if (uuid_valid(de->d_name)) {
                        snprintf(ret, size, "%s", de->d_name);
                        found = true;
                }
        closedir(d);
        return found;
}

int jit_undo_ccw(struct jit_state *s, const struct ledger_entry *e) {
        char drv[MDEV_NAME_MAX + 1] = "", override[MDEV_NAME_MAX + 1] = "", mdev[MDEV_NAME_MAX + 1];
        _cleanup_free_ char *dir = css_attr(e->id, NULL);
        int r;

        if (!dir)
                return -errno;
        if (!sysfs_exists(dir))
                return 0; /* the subchannel is gone (channel path varied off) */
        if ((r = css_driver(e->id, drv, sizeof(drv))) < 0 || (r = css_override(e->id, override, sizeof(override))) < 0)
                return log_fail(-EIO, "cannot read the driver of subchannel %s; check that sysfs is mounted", e->id);
        if (streq(drv, e->driver) && streq(override, e->override))
                return 0; /* already back */
        if (!streq(override, e->left) || (*drv && !streq(drv, e->left) && !streq(drv, e->driver))) {
                log_warning("left subchannel %s alone: it is on %s with driver_override '%s', not as gpuhook left it (%s); whoever moved it owns it now",
                            e->id, *drv ? drv : "no driver", *override ? override : "(none)", e->left);
                return 0;
        }
        if (streq(drv, e->left) && hosts_mdev(e->id, mdev, sizeof(mdev)))
                return log_fail(-EBUSY, "subchannel %s still hosts mdev %s, which gpuhook did not make; remove it (`mdevctl stop -u %s`), then `gpuhookctl reconcile`",
                                e->id, mdev, mdev);
        _cleanup_free_ char *ov = css_attr(e->id, "driver_override");
        _cleanup_free_ char *unbind = sysfs_path(CSS_DRIVERS, e->left, "unbind", NULL);
        /* "\n" clears an override (driver_set_override()) */
        if ((r = css_write(ov, *e->override ? e->override : "\n", "driver_override", e->id)) < 0 ||
            (streq(drv, e->left) && (r = css_write(unbind, e->id, "vfio_ccw's unbind", e->id)) < 0))
                return r;
        if (!*e->driver)
                return 0;
        if ((r = css_write("/sys/bus/css/drivers_probe", e->id, "/sys/bus/css/drivers_probe", e->id)) < 0)
                return r;
        if (wait_driver(e->id, e->driver, s->cfg->bind_timeout_ms) < 0) {
                (void)css_driver(e->id, drv, sizeof(drv));
                return log_fail(-EIO, "subchannel %s did not go back to %s within %u ms (it is on %s); check the kernel log (dmesg), then `gpuhookctl reconcile`",
                                e->id, e->driver, s->cfg->bind_timeout_ms, *drv ? drv : "no driver");
        }
        return 0;
}
