/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver core ABI of the pci and platform buses: <dev>/driver_override,
 * /sys/bus/<bus>/drivers/<drv>/{bind,unbind}, /sys/bus/<bus>/drivers_probe
 * (drivers/base/bus.c, dd.c, driver.c; drivers/pci/pci-sysfs.c). Writes of
 * zero bytes never reach a store (sysfs_kf_write): success, no effect. */
#include "driver.h"
#include "shim.h"
#include "sim-util.h"

#define SYSFS_PAGE_SIZE 4096

/* "/sys/bus/<bus>/drivers/<drv>/<file>": bus and driver (malloc'd), or
 * SHIM_PASS for any other path or a bus the sim does not model. */
static int parse_driver_path(const char *path, char **ret_bus, char **ret_drv) {
        if (!startswith(path, "/sys/bus/"))
                return SHIM_PASS;
        const char *bus = path + strlen("/sys/bus/");
        const char *e = strchr(bus, '/');
        if (!e || !startswith(e, "/drivers/"))
                return SHIM_PASS;
        const char *drv = e + strlen("/drivers/");
        const char *f = strchr(drv, '/');
        if (!f || f == drv || strchr(f + 1, '/'))
                return SHIM_PASS;
        _cleanup_free_ char *b = strndup(bus, (size_t)(e - bus));
        _cleanup_free_ char *d = strndup(drv, (size_t)(f - drv));
        if (!b || !d)
                return -EIO;
        if (!sim_bus_modelled(b))
                return SHIM_PASS;
        *ret_bus = TAKE_PTR(b);
        *ret_drv = TAKE_PTR(d);
        return 0;
}

/* The bus of device dir DEV from its subsystem link, if modelled. */
static char *dev_bus(const struct testbed *tb, const char *dev) {
        _cleanup_free_ char *link = sim_strdup_printf("%s/subsystem", dev), *target = NULL;
        if (!link || tb_readlink(tb, link, &target) < 0)
                return NULL;
        _cleanup_free_ char *parent = tb_dirname(target);
        if (!parent || !streq(parent, "/sys/bus") || !sim_bus_modelled(tb_basename(target)))
                return NULL;
        return strdup(tb_basename(target));
}

/* device_lock(): while the device's driver is stuck in remove(), wait for
 * it (without the testbed lock). 1 waited (the caller starts over: the
 * state was reloaded), 0 not busy, or -EIO. */
static int wait_device(const struct shim_write *w, struct sim_state **st, const char *name) {
        const struct sim_busy *b = sim_dev_busy(*st, name);
        if (!b)
                return 0;
        if (shim_wait_unlocked(w, b->until) < 0)
                return -EIO;
        *st = sim_state_free(*st);
        return shim_state_load(w->tb, st) < 0 ? -EIO : 1;
}

/* Load the state (*ST) and find the device named by the bytes written
 * (bus_find_device_by_name), waiting for it while busy. */
static int find_device(const struct shim_write *w, struct sim_state **st, const char *bus, char **ret_dev,
                       char **ret_name) {
        if (shim_state_load(w->tb, st) < 0)
                return -EIO;
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        for (;;) {
                _cleanup_free_ char *dev = NULL, *name = NULL;
                int r = sim_bus_find_device(w->tb, bus, s, &dev, &name);
                if (r < 0)
                        return r == -ENODEV ? -ENODEV : -EIO;
                r = wait_device(w, st, name);
                if (r < 0)
                        return r;
                if (r == 0) {
                        *ret_dev = TAKE_PTR(dev);
                        *ret_name = TAKE_PTR(name);
                        return 0;
                }
        }
}

int shim_driver_override(const struct shim_write *w) {
        _cleanup_free_ char *dev = tb_dirname(w->path);
        if (!dev)
                return -EIO;
        _cleanup_free_ char *bus = dev_bus(w->tb, dev);
        if (!bus)
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        /* driver_set_override() */
        if (w->len >= SYSFS_PAGE_SIZE - 1)
                return -EINVAL;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (shim_state_load(w->tb, &st) < 0)
                return -EIO;
        for (int r; (r = wait_device(w, &st, tb_basename(dev))) != 0;)
                if (r < 0)
                        return r;
        /* Up to the first newline; "" or "\n..." clears. */
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        s[strcspn(s, "\n")] = '\0';
        _cleanup_free_ char *file = sim_strdup_printf("%s/driver_override", dev);
        _cleanup_free_ char *text = sim_strdup_printf("%s\n", *s ? s : "(null)");
        if (!file || !text || tb_write_file(w->tb, file, text, 0644) < 0)
                return -EIO;
        return 0;
}

int shim_driver_bind(const struct shim_write *w) {
        _cleanup_free_ char *bus = NULL, *drv = NULL;
        int r = parse_driver_path(w->path, &bus, &drv);
        if (r != 0)
                return r;
        if (w->len == 0)
                return 0;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        _cleanup_free_ char *dev = NULL, *name = NULL;
        if ((r = find_device(w, &st, bus, &dev, &name)) < 0)
                return r;
        /* bind_store(): ENODEV unless the driver matches; then
         * device_driver_attach(): EBUSY if bound, else the probe's errno. */
        if (!sim_driver_match(w->tb, st, bus, drv, name, dev))
                return -ENODEV;
        r = sim_driver_probe(w->tb, st, bus, drv, name, dev);
        if (r >= 0 && sim_state_save(w->tb, st) < 0)
                return -EIO;
        return r == -ENOMEM ? -EIO : r;
}

int shim_driver_unbind(const struct shim_write *w) {
        _cleanup_free_ char *bus = NULL, *drv = NULL;
        int r = parse_driver_path(w->path, &bus, &drv);
        if (r != 0)
                return r;
        if (w->len == 0)
                return 0;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        _cleanup_free_ char *dev = NULL, *name = NULL, *cur = NULL;
        if ((r = find_device(w, &st, bus, &dev, &name)) < 0)
                return r;
        /* unbind_store(): ENODEV unless bound to this driver. */
        if (sim_dev_driver(w->tb, dev, &cur) < 0)
                return -EIO;
        if (!streq(cur, drv))
                return -ENODEV;
        /* __device_release_driver(): the links go, then the driver's
         * remove() runs (and may hang), then dev->driver is cleared. */
        if (sim_driver_unlink(w->tb, st, bus, drv, name, dev) < 0)
                return -EIO;
        const struct sim_device *d = sim_state_find_device(st, bus, name);
        if (!d || d->unbind_hangs == 0)
                return sim_driver_unbound(w->tb, st, dev) < 0 ? -EIO : 0;

        unsigned long long until = sim_now_usec() + (unsigned long long)d->unbind_hangs * 1000000ULL;
        if (sim_state_add_busy(st, name, drv, until) < 0 || sim_state_save(w->tb, st) < 0)
                return -EIO;
        if (shim_wait_unlocked(w, until) < 0)
                return -EIO;
        /* Reloading settles it: uevent, /dev/vfio/N. */
        st = sim_state_free(st);
        return shim_state_load(w->tb, &st) < 0 ? -EIO : 0;
}

int shim_drivers_probe(const struct shim_write *w) {
        if (!startswith(w->path, "/sys/bus/"))
                return SHIM_PASS;
        _cleanup_free_ char *busdir = tb_dirname(w->path);
        _cleanup_free_ char *parent = busdir ? tb_dirname(busdir) : NULL;
        if (!parent)
                return -EIO;
        const char *bus = tb_basename(busdir);
        if (!streq(parent, "/sys/bus") || !sim_bus_modelled(bus))
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        _cleanup_free_ char *dev = NULL, *name = NULL;
        int r = find_device(w, &st, bus, &dev, &name);
        if (r < 0)
                return r;
        /* drivers_probe_store(): a bound device stays as it is; probe
         * failures leave it unbound and the write still succeeds. */
        return sim_device_attach(w->tb, st, bus, name, dev) < 0 || sim_state_save(w->tb, st) < 0 ? -EIO : 0;
}
