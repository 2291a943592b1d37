/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

#include "log.h"
#include "pci-bind.h"
#include "spawn.h"
#include "sysfs.h"
#include "validate.h"

int pci_driver_get(const char *bdf, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, "driver");
        if (!p)
                return -errno;
        return sysfs_link_basename(p, buf, size);
}

bool pci_is_vfio_device(const char *bdf) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, "vfio-dev");
        return p && sysfs_exists(p);
}

int pci_override_get(const char *bdf, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, "driver_override"), *s = NULL;
        int r;
        if (!p)
                return -errno;
        r = read_text_file(p, 256, &s);
        if (r == -ENOENT) {
                *buf = 0;
                return 0;
        }
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", streq(s, "(null)") ? "" : s);
        return 0;
}

int sysfs_write_bounded(const char *path, const char *text, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000, delay = 200;
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int r = write_text_file(path, text);
                _exit(r < 0 ? -r : 0);
        }
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (now_usec() >= deadline) {
                        /* Stuck in the kernel: it cannot be killed, only left. */
                        kill(pid, SIGKILL);
                        return -ETIMEDOUT;
                }
                sleep_usec(delay);
                if (delay < 20000)
                        delay *= 2;
        }
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
}

static int wait_driver(const char *bdf, const char *want, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000, delay = 500;
        char cur[64];
        for (;;) {
                if (pci_driver_get(bdf, cur, sizeof(cur)) >= 0 && streq(cur, want))
                        return 0;
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(delay);
                if (delay < 50000)
                        delay *= 2;
        }
}

int pci_vfio_ensure_loaded(unsigned timeout_ms) {
        _cleanup_free_ char *drv = sysfs_path(SYSFS_PCI_DRIVERS, "vfio-pci", NULL), *modprobe = NULL, *err = NULL;
        if (sysfs_exists(drv))
                return 0;
        modprobe = find_program("modprobe");
        if (!modprobe)
                return log_fail(-ENOENT, "vfio-pci is not loaded and modprobe was not found; install kmod or load vfio-pci at boot");
        char *const argv[] = { modprobe, (char *)"vfio-pci", NULL };
        int r = spawn_run(argv, timeout_ms, NULL, &err);
        if (r != 0 || !sysfs_exists(drv))
                return log_fail(r < 0 ? r : -ENOENT, "cannot load vfio-pci (%s); check that the kernel has VFIO (CONFIG_VFIO_PCI) and the IOMMU is on",
                                r == 0 ? "no driver appeared" : (r < 0 ? strerror(-r) : first_line(err)));
        return 0;
}

static int write_step(const char *bdf, const char *what, const char *path, const char *text, unsigned timeout_ms) {
        int r = sysfs_write_bounded(path, text, timeout_ms);
        if (r == -ETIMEDOUT)
                return log_fail(r, "%s: %s did not finish within %us (the driver is stuck); check dmesg, the device may need a host reboot",
                                bdf, what, timeout_ms / 1000);
        if (r < 0)
                return log_fail(r, "%s: %s failed: %s", bdf, what, strerror(-r));
        return 0;
}

static int unbind_current(const char *bdf, unsigned timeout_ms) {
        char drv[64];
        int r = pci_driver_get(bdf, drv, sizeof(drv));
        if (r < 0 || !*drv)
                return r;
        _cleanup_free_ char *unbind = sysfs_path(SYSFS_PCI_DEVICES, bdf, "driver", "unbind", NULL);
        if (!unbind)
                return -errno;
        return write_step(bdf, "unbind from its driver", unbind, bdf, timeout_ms);
}

static int probe(const char *bdf, unsigned timeout_ms) {
        _cleanup_free_ char *probe_path = sysfs_path("/sys/bus/pci", "drivers_probe", NULL);
        if (!probe_path)
                return -errno;
        return write_step(bdf, "drivers_probe", probe_path, bdf, timeout_ms);
}

int pci_bind_vfio(const char *bdf, unsigned timeout_ms) {
        _cleanup_free_ char *override = sysfs_pci_attr(bdf, "driver_override");
        char drv[64] = "";
        int r;

        if (!override)
                return -errno;
        if (pci_driver_get(bdf, drv, sizeof(drv)) >= 0 && streq(drv, "vfio-pci"))
                return 0;
        r = pci_vfio_ensure_loaded(timeout_ms);
        if (r < 0)
                return r;
        log_info("binding %s (driver %s) to vfio-pci", bdf, *drv ? drv : "none");
        r = write_step(bdf, "setting driver_override", override, "vfio-pci", timeout_ms);
        if (r < 0)
                return r;
        r = unbind_current(bdf, timeout_ms);
        if (r < 0)
                return r;
        r = probe(bdf, timeout_ms);
        if (r < 0)
                return r;
        r = wait_driver(bdf, "vfio-pci", timeout_ms);
        if (r < 0)
                return log_fail(r, "%s did not bind to vfio-pci; check dmesg for vfio-pci errors", bdf);
        return 0;
}

int pci_restore(const char *bdf, const char *driver, const char *override, unsigned timeout_ms) {
        _cleanup_free_ char *override_path = sysfs_pci_attr(bdf, "driver_override");
        char cur[64] = "";
        int r;

        if (!override_path)
                return -errno;
        if (pci_driver_get(bdf, cur, sizeof(cur)) >= 0 && streq(cur, driver) && *driver) {
                /* Killed between setting the override and the unbind: the
                 * driver never changed, but the override did. */
                char now[MDEV_NAME_MAX + 1] = "";
                if (pci_override_get(bdf, now, sizeof(now)) >= 0 && !streq(now, override))
                        return write_step(bdf, "restoring driver_override", override_path, *override ? override : "\n",
                                          timeout_ms);
                return 0;
        }
        log_info("returning %s to %s", bdf, *driver ? driver : "no driver");
        /* "\n" clears the override, as libvirt's reattach does. */
        r = write_step(bdf, "restoring driver_override", override_path, *override ? override : "\n", timeout_ms);
        if (r < 0)
                return r;
        r = unbind_current(bdf, timeout_ms);
        if (r < 0)
                return r;
        if (!*driver)
                return 0;
        /* Failures from here on are not final: no log_fail until the end. */
        _cleanup_free_ char *probe_path = sysfs_path("/sys/bus/pci", "drivers_probe", NULL);
        if (probe_path && sysfs_write_bounded(probe_path, bdf, timeout_ms) >= 0 && wait_driver(bdf, driver, timeout_ms) >= 0)
                return 0;
        /* Explicit bind when probing picked nothing (e.g. autoprobe off). */
        if (pci_driver_get(bdf, cur, sizeof(cur)) >= 0 && !*cur) {
                _cleanup_free_ char *bind = sysfs_path(SYSFS_PCI_DRIVERS, driver, "bind", NULL);
                if (bind && sysfs_write_bounded(bind, bdf, timeout_ms) >= 0 && wait_driver(bdf, driver, timeout_ms) >= 0)
                        return 0;
        }
        /* Never leave it unbound: back to vfio-pci, kept in the ledger. */
        (void)sysfs_write_bounded(override_path, "vfio-pci", timeout_ms);
        if (probe_path)
                (void)sysfs_write_bounded(probe_path, bdf, timeout_ms);
        return log_fail(-EIO, "%s did not return to %s and was put back on vfio-pci; check dmesg, then retry with `gpuhookctl reconcile`",
                        bdf, driver);
}
