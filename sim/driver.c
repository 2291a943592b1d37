/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "driver.h"
#include "s390.h"
#include "sim-util.h"
#include "vendor.h"

unsigned long long sim_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
}

bool sim_bus_modelled(const char *bus) { return streq(bus, "pci") || streq(bus, "platform") || streq(bus, "css"); }

static bool name_ok(const char *s) {
        return *s && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

int sim_bus_find_device(const struct testbed *tb, const char *bus, const char *name, char **ret_path,
                        char **ret_name) {
        /* sysfs_streq(): one trailing newline does not count. */
        size_t len = strlen(name);
        if (len > 0 && name[len - 1] == '\n')
                len--;
        _cleanup_free_ char *n = strndup(name, len);
        if (!n)
                return -ENOMEM;
        if (!name_ok(n))
                return -ENODEV;
        _cleanup_free_ char *link = sim_strdup_printf("/sys/bus/%s/devices/%s", bus, n);
        if (!link)
                return -ENOMEM;
        if (!tb_exists(tb, link))
                return -ENODEV;
        char *path = NULL;
        int r = tb_readlink(tb, link, &path);
        if (r == -EINVAL) /* a directory, not a link */
                path = strdup(link);
        else if (r < 0)
                return r;
        if (!path)
                return -ENOMEM;
        *ret_path = path;
        if (ret_name)
                *ret_name = TAKE_PTR(n);
        return 0;
}

int sim_dev_driver(const struct testbed *tb, const char *dev, char **ret) {
        _cleanup_free_ char *link = tb_join(dev, "driver"), *target = NULL;
        if (!link)
                return -ENOMEM;
        int r = tb_readlink(tb, link, &target);
        if (r == -ENOENT) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = strdup(tb_basename(target));
        return *ret ? 0 : -ENOMEM;
}

int sim_dev_override(const struct testbed *tb, const char *dev, char **ret) {
        _cleanup_free_ char *file = tb_join(dev, "driver_override"), *s = NULL;
        if (!file)
                return -ENOMEM;
        int r = tb_read_file(tb, file, &s);
        if (r == -ENOENT || (r >= 0 && (streq(s, "(null)") || !*s))) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

bool sim_driver_loaded(const struct testbed *tb, const char *bus, const char *drv) {
        if (!name_ok(drv))
                return false;
        _cleanup_free_ char *dir = sim_strdup_printf("/sys/bus/%s/drivers/%s", bus, drv);
        return dir && tb_is_dir(tb, dir);
}

const struct sim_busy *sim_dev_busy(const struct sim_state *st, const char *name) {
        const struct sim_busy *b = sim_state_find_busy(st, name);
        return b && b->until > sim_now_usec() ? b : NULL;
}

int sim_pci_read_hex(const struct testbed *tb, const char *dev, const char *attr, unsigned *ret) {
        _cleanup_free_ char *file = tb_join(dev, attr), *s = NULL;
        if (!file)
                return -ENOMEM;
        int r = tb_read_file(tb, file, &s);
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 16);
        if (errno || end == s || *end || v > 0xffffffffUL)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

bool sim_dynid_matches(const struct sim_dynid *id, const unsigned ids[5]) {
        return (id->vendor == SIM_PCI_ANY_ID || id->vendor == ids[0]) &&
               (id->device == SIM_PCI_ANY_ID || id->device == ids[1]) &&
               (id->subvendor == SIM_PCI_ANY_ID || id->subvendor == ids[2]) &&
               (id->subdevice == SIM_PCI_ANY_ID || id->subdevice == ids[3]) &&
               !((id->class ^ ids[4]) & id->class_mask);
}

static bool dynid_match_device(const struct testbed *tb, const struct sim_state *st, const char *drv,
                               const char *dev) {
        static const char *const attrs[] = { "vendor", "device", "subsystem_vendor", "subsystem_device", "class" };
        unsigned ids[5];
        bool any = false;
        for (size_t i = 0; i < st->n_dynids; i++)
                any = any || streq(st->dynids[i].driver, drv);
        if (!any)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
                if (sim_pci_read_hex(tb, dev, attrs[i], &ids[i]) < 0)
                        return false;
        for (size_t i = 0; i < st->n_dynids; i++)
                if (streq(st->dynids[i].driver, drv) && sim_dynid_matches(&st->dynids[i], ids))
                        return true;
        return false;
}

bool sim_driver_match(const struct testbed *tb, const struct sim_state *st, const char *bus, const char *drv,
                      const char *name, const char *dev) {
        _cleanup_free_ char *override = NULL;
        if (sim_dev_override(tb, dev, &override) < 0)
                return false;
        /* pci_match_device() / platform_match(): with driver_override set,
         * only that driver matches, and it always does. */
        if (override)
                return streq(override, drv);
        if (streq(bus, "pci") && dynid_match_device(tb, st, drv, dev))
                return true;
        const struct sim_device *d = sim_state_find_device(st, bus, name);
        return d && d->native && streq(d->native, drv);
}

/* uevent: DRIVER=<drv> first while bound (dev_uevent()), none when not. */
static int uevent_set_driver(const struct testbed *tb, const char *dev, const char *drv) {
        _cleanup_free_ char *file = tb_join(dev, "uevent"), *old = NULL;
        if (!file)
                return -ENOMEM;
        int r = tb_read_file(tb, file, &old);
        if (r == -ENOENT && !drv)
                return 0;
        if (r < 0 && r != -ENOENT)
                return r;
        size_t cap = (old ? strlen(old) : 0) + (drv ? strlen(drv) : 0) + 16;
        _cleanup_free_ char *text = malloc(cap);
        if (!text)
                return -ENOMEM;
        char *o = text;
        if (drv)
                o += sprintf(o, "DRIVER=%s\n", drv);
        for (char *s = old; s && *s;) {
                char *e = strchrnul(s, '\n');
                size_t l = (size_t)(e - s);
                if (!startswith(s, "DRIVER=") && l > 0) {
                        memcpy(o, s, l);
                        o += l;
                        *o++ = '\n';
                }
                s = *e ? e + 1 : e;
        }
        *o = '\0';
        return tb_write_file(tb, file, text, 0644);
}

/* The group dir of DEV ("/sys/kernel/iommu_groups/N"), or NULL (no group). */
static char *dev_group(const struct testbed *tb, const char *dev) {
        _cleanup_free_ char *link = tb_join(dev, "iommu_group");
        char *group = NULL;
        if (!link || tb_readlink(tb, link, &group) < 0)
                return NULL;
        unsigned n;
        if (!startswith(group, "/sys/kernel/iommu_groups/") || sim_safe_atou(tb_basename(group), &n) < 0) {
                free(group);
                return NULL;
        }
        return group;
}

int sim_vfio_sync_group(const struct testbed *tb, const struct sim_state *st, const char *dev) {
        _cleanup_free_ char *group = dev_group(tb, dev);
        if (!group)
                return 0;
        _cleanup_free_ char *devs = tb_join(group, "devices");
        _cleanup_free_ char *node = sim_strdup_printf("/dev/vfio/%s", tb_basename(group));
        if (!devs || !node)
                return -ENOMEM;
        char **members = NULL;
        int r = tb_list_dir(tb, devs, &members, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        bool keep = false;
        for (char **m = members; m && *m && !keep; m++) {
                _cleanup_free_ char *link = tb_join(devs, *m), *path = NULL, *drv = NULL;
                const struct sim_busy *b = sim_dev_busy(st, *m);
                if (b && streq(b->driver, SIM_VFIO_PCI))
                        keep = true;
                else if (link && tb_readlink(tb, link, &path) >= 0 && sim_dev_driver(tb, path, &drv) >= 0)
                        keep = streq(drv, SIM_VFIO_PCI);
        }
        tb_strv_free(members);
        if (!keep)
                return tb_unlink(tb, node);
        if ((r = tb_mkdir_p(tb, "/dev/vfio", 0755)) < 0)
                return r;
        return tb_touch(tb, node, 0666);
}

/* Bridges have a type 1/2 config header: vfio-pci refuses them. */
static bool pci_is_bridge(const struct testbed *tb, const char *dev) {
        unsigned class;
        if (sim_pci_read_hex(tb, dev, "class", &class) < 0)
                return false;
        unsigned sub = class >> 8;
        return sub == 0x0604 || sub == 0x0607 || sub == 0x0609;
}

int sim_driver_probe(const struct testbed *tb, struct sim_state *st, const char *bus, const char *drv,
                     const char *name, const char *dev) {
        _cleanup_free_ char *cur = NULL;
        int r = sim_dev_driver(tb, dev, &cur);
        if (r < 0)
                return r;
        if (*cur || sim_dev_busy(st, name))
                return -EBUSY; /* dev->driver is set */
        if (!sim_driver_loaded(tb, bus, drv))
                return -ENODEV;

        /* The driver's probe() */
        bool vfio = streq(bus, "pci") && streq(drv, SIM_VFIO_PCI);
        if (vfio) {
                _cleanup_free_ char *group = dev_group(tb, dev);
                if (pci_is_bridge(tb, dev) || !group)
                        return -EINVAL; /* vfio_pci_core_register_device() */
                /* vfio_pci_core_register_device(): "Cannot bind to PF with
                 * SR-IOV enabled" (6.1, drivers/vfio/pci/vfio_pci_core.c):
                 * the VFs might be in use, vfio cannot capture them. */
                char **vfs = NULL;
                size_t nvfs = 0;
                r = sim_sriov_vfs(tb, dev, &vfs, &nvfs);
                tb_strv_free(vfs);
                if (r < 0)
                        return r;
                if (nvfs > 0)
                        return -EBUSY;
        }
        const struct sim_device *d = sim_state_find_device(st, bus, name);
        if (d && d->rebind_fails && d->native && streq(d->native, drv))
                return -EIO;

        /* Bound: the VFIO group exists once the device is registered with
         * vfio (during probe), the links last (driver_sysfs_add, driver_bound). */
        _cleanup_free_ char *drvdir = sim_strdup_printf("/sys/bus/%s/drivers/%s", bus, drv);
        _cleanup_free_ char *back = drvdir ? tb_join(drvdir, name) : NULL;
        _cleanup_free_ char *link = tb_join(dev, "driver");
        if (!back || !link)
                return -ENOMEM;
        if ((r = uevent_set_driver(tb, dev, drv)) < 0)
                return r;
        if (vfio) {
                _cleanup_free_ char *group = dev_group(tb, dev);
                _cleanup_free_ char *node = group ? sim_strdup_printf("/dev/vfio/%s", tb_basename(group)) : NULL;
                if (!node)
                        return -ENOMEM;
                if ((r = tb_mkdir_p(tb, "/dev/vfio", 0755)) < 0 || (r = tb_touch(tb, node, 0666)) < 0)
                        return r;
        }
        if ((r = tb_symlink(tb, back, dev)) < 0 || (r = tb_symlink(tb, link, drvdir)) < 0)
                return r;
        if (streq(bus, "css") && streq(drv, "vfio_ccw"))
                return sim_s390_ccw_bound(tb, st, dev); /* an mdev parent now */
        return 0;
}

static int add_candidate(char ***v, size_t *n, const char *drv) {
        for (size_t i = 0; i < *n; i++)
                if (streq((*v)[i], drv))
                        return 0;
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strdup(drv)))
                return -ENOMEM;
        nv[++*n] = NULL;
        return 0;
}

int sim_device_attach(const struct testbed *tb, struct sim_state *st, const char *bus, const char *name,
                      const char *dev) {
        _cleanup_free_ char *override = NULL, *cur = NULL;
        int r = sim_dev_driver(tb, dev, &cur);
        if (r < 0)
                return r;
        if (*cur || sim_dev_busy(st, name))
                return 0;
        if ((r = sim_dev_override(tb, dev, &override)) < 0)
                return r;
        /* bus_for_each_drv(): the drivers that can match, native (loaded at
         * boot) before the ones holding dynamic ids. */
        char **cand = calloc(1, sizeof(char *));
        size_t n = 0;
        const struct sim_device *d = sim_state_find_device(st, bus, name);
        if (!cand)
                return -ENOMEM;
        if (override)
                r = add_candidate(&cand, &n, override);
        else {
                if (d && d->native)
                        r = add_candidate(&cand, &n, d->native);
                for (size_t i = 0; r >= 0 && streq(bus, "pci") && i < st->n_dynids; i++)
                        r = add_candidate(&cand, &n, st->dynids[i].driver);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (!sim_driver_loaded(tb, bus, cand[i]) || !sim_driver_match(tb, st, bus, cand[i], name, dev))
                        continue;
                if (sim_driver_probe(tb, st, bus, cand[i], name, dev) == 0)
                        break; /* a failed probe lets the next driver try */
        }
        tb_strv_free(cand);
        return r < 0 ? r : 0;
}

int sim_driver_attach(const struct testbed *tb, struct sim_state *st, const char *bus, const char *drv) {
        _cleanup_free_ char *devs = sim_strdup_printf("/sys/bus/%s/devices", bus);
        if (!devs)
                return -ENOMEM;
        char **names = NULL;
        int r = tb_list_dir(tb, devs, &names, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char **n = names; r >= 0 && *n; n++) {
                _cleanup_free_ char *path = NULL, *cur = NULL;
                if (sim_bus_find_device(tb, bus, *n, &path, NULL) < 0 || sim_dev_driver(tb, path, &cur) < 0)
                        continue;
                if (*cur || sim_dev_busy(st, *n) || !sim_driver_match(tb, st, bus, drv, *n, path))
                        continue;
                (void)sim_driver_probe(tb, st, bus, drv, *n, path);
        }
        tb_strv_free(names);
        return r;
}

int sim_driver_unlink(const struct testbed *tb, const struct sim_state *st, const char *bus, const char *drv,
                      const char *name, const char *dev) {
        _cleanup_free_ char *back = sim_strdup_printf("/sys/bus/%s/drivers/%s/%s", bus, drv, name);
        _cleanup_free_ char *link = tb_join(dev, "driver");
        if (!back || !link)
                return -ENOMEM;
        int r = tb_unlink(tb, back);
        if (r >= 0)
                r = tb_unlink(tb, link);
        if (r >= 0 && streq(bus, "css") && streq(drv, "vfio_ccw"))
                r = sim_s390_ccw_unbound(tb, st, dev); /* its remove(): no mdev parent any more */
        return r;
}

int sim_driver_unbound(const struct testbed *tb, const struct sim_state *st, const char *dev) {
        int r = uevent_set_driver(tb, dev, NULL);
        int k = sim_vfio_sync_group(tb, st, dev);
        return r < 0 ? r : k;
}

int sim_driver_register(const struct testbed *tb, const char *bus, const char *drv) {
        if (!name_ok(bus) || !name_ok(drv))
                return -EINVAL;
        _cleanup_free_ char *dir = sim_strdup_printf("/sys/bus/%s/drivers/%s", bus, drv);
        if (!dir)
                return -ENOMEM;
        int r = tb_mkdir_p(tb, dir, 0755);
        const char *files[] = { "bind", "unbind", "new_id", "remove_id" };
        size_t nfiles = streq(bus, "pci") ? 4 : 2;
        for (size_t i = 0; r >= 0 && i < nfiles; i++) {
                _cleanup_free_ char *f = tb_join(dir, files[i]);
                r = f ? tb_touch(tb, f, 0200) : -ENOMEM;
        }
        return r;
}

int sim_module_load(const struct testbed *tb, struct sim_state *st, const char *module) {
        if (!streq(module, "vfio-pci") && !streq(module, "vfio_pci"))
                return -ENOENT;
        if (sim_driver_loaded(tb, "pci", SIM_VFIO_PCI) && tb_is_dir(tb, "/sys/module/vfio_pci"))
                return 0;
        /* vfio_pci and what modprobe loads with it. */
        static const char *const mods[] = { "vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci" };
        int r = 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(mods); i++) {
                _cleanup_free_ char *m = sim_strdup_printf("/sys/module/%s", mods[i]);
                r = m ? tb_mkdir_p(tb, m, 0755) : -ENOMEM;
        }
        if (r >= 0)
                r = tb_mkdir_p(tb, "/sys/module/vfio_pci/drivers", 0755);
        if (r >= 0)
                r = sim_driver_register(tb, "pci", SIM_VFIO_PCI);
        if (r >= 0)
                r = tb_symlink(tb, "/sys/module/vfio_pci/drivers/pci:" SIM_VFIO_PCI,
                               "/sys/bus/pci/drivers/" SIM_VFIO_PCI);
        if (r >= 0)
                r = tb_symlink(tb, "/sys/bus/pci/drivers/" SIM_VFIO_PCI "/module", "/sys/module/vfio_pci");
        if (r >= 0)
                r = sim_driver_attach(tb, st, "pci", SIM_VFIO_PCI);
        return r;
}

int sim_busy_settle(const struct testbed *tb, struct sim_state *st) {
        unsigned long long now = sim_now_usec();
        int changed = 0, ret = 0;
        for (size_t i = 0; i < st->n_busy;) {
                if (st->busy[i].until > now) {
                        i++;
                        continue;
                }
                _cleanup_free_ char *name = strdup(st->busy[i].name);
                if (!name)
                        return -ENOMEM;
                sim_state_remove_busy(st, i);
                changed = 1;
                const struct sim_device *d = sim_state_find_device(st, NULL, name);
                int r = d ? sim_driver_unbound(tb, st, d->path) : 0;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret < 0 ? ret : changed;
}
