/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "complete.h"
#include "driver.h"
#include "mdev.h"
#include "pciconf.h"
#include "s390.h"
#include "sim-util.h"
#include "state.h"
#include "vendor.h"

/* <dev>/driver -> /sys/bus/<bus>/drivers/<drv>: the driver dir with bind and
 * unbind, and its link back to the device. */
static int complete_driver(const struct testbed *tb, const char *dev, char **ret_msg) {
        _cleanup_free_ char *link = tb_join(dev, "driver"), *drv = NULL;
        if (!link)
                return -ENOMEM;
        int r = tb_readlink(tb, link, &drv);
        if (r < 0)
                return FAIL(r, "cannot read %s: %s", link, strerror(-r));
        /* /sys/bus/<bus>/drivers/<drv> */
        _cleanup_free_ char *drivers = tb_dirname(drv);
        _cleanup_free_ char *busdir = drivers ? tb_dirname(drivers) : NULL;
        if (!busdir)
                return -ENOMEM;
        if (!startswith(drv, "/sys/bus/") || !streq(tb_basename(drivers), "drivers"))
                return FAIL(-EINVAL, "%s points to '%s', not to /sys/bus/<bus>/drivers/<driver>", link, drv);
        if ((r = tb_mkdir_p(tb, drv, 0755)) < 0)
                return FAIL(r, "cannot create %s: %s", drv, strerror(-r));
        const char *files[] = { "bind", "unbind", "new_id", "remove_id" };
        size_t nfiles = streq(tb_basename(busdir), "pci") ? 4 : 2;
        for (size_t i = 0; i < nfiles; i++) {
                _cleanup_free_ char *f = tb_join(drv, files[i]);
                if (!f)
                        return -ENOMEM;
                if ((r = tb_touch(tb, f, 0200)) < 0)
                        return FAIL(r, "cannot create %s: %s", f, strerror(-r));
        }
        _cleanup_free_ char *back = tb_join(drv, tb_basename(dev));
        if (!back)
                return -ENOMEM;
        if ((r = tb_symlink(tb, back, dev)) < 0)
                return FAIL(r, "cannot link %s: %s", back, strerror(-r));
        /* A device already on vfio-pci has its group's VFIO node. */
        _cleanup_free_ char *glink = tb_join(dev, "iommu_group"), *group = NULL;
        if (glink && streq(tb_basename(drv), "vfio-pci") && tb_readlink(tb, glink, &group) >= 0) {
                _cleanup_free_ char *node = sim_strdup_printf("/dev/vfio/%s", tb_basename(group));
                if (!node)
                        return -ENOMEM;
                if ((r = tb_touch(tb, node, 0666)) < 0)
                        return FAIL(r, "cannot create %s: %s", node, strerror(-r));
        }
        return 0;
}

/* <dev>/subsystem -> /sys/bus/<bus> of a bus whose binding is modelled: the
 * device, its native driver (the recorded one; none when it was recorded on
 * vfio-pci or pci-stub, which bind only through driver_override or new_id),
 * the bus's devices/ link and drivers_probe. */
static int complete_device(const struct testbed *tb, struct sim_state *st, const char *dev, char **ret_msg) {
        _cleanup_free_ char *link = tb_join(dev, "subsystem"), *target = NULL;
        if (!link)
                return -ENOMEM;
        if (tb_readlink(tb, link, &target) < 0)
                return 0;
        _cleanup_free_ char *parent = tb_dirname(target);
        if (!parent)
                return -ENOMEM;
        const char *bus = tb_basename(target);
        if (!streq(parent, "/sys/bus") || !sim_bus_modelled(bus))
                return 0;
        _cleanup_free_ char *drvlink = tb_join(dev, "driver"), *drv = NULL;
        if (!drvlink)
                return -ENOMEM;
        const char *native = NULL;
        if (tb_readlink(tb, drvlink, &drv) >= 0) {
                native = tb_basename(drv);
                if (streq(native, SIM_VFIO_PCI) || streq(native, "pci-stub"))
                        native = NULL;
        }
        const char *name = tb_basename(dev);
        int r = sim_state_add_device(st, name, dev, bus, native, NULL);
        if (r == -EEXIST)
                return FAIL(-EINVAL, "two devices named '%s' on bus '%s'", name, bus);
        if (r < 0)
                return r;
        _cleanup_free_ char *buslink = sim_strdup_printf("/sys/bus/%s/devices/%s", bus, name);
        _cleanup_free_ char *devices = sim_strdup_printf("/sys/bus/%s/devices", bus);
        _cleanup_free_ char *drivers = sim_strdup_printf("/sys/bus/%s/drivers", bus);
        _cleanup_free_ char *probe = sim_strdup_printf("/sys/bus/%s/drivers_probe", bus);
        if (!buslink || !devices || !drivers || !probe)
                return -ENOMEM;
        if ((r = tb_mkdir_p(tb, devices, 0755)) < 0 || (r = tb_mkdir_p(tb, drivers, 0755)) < 0 ||
            (r = tb_touch(tb, probe, 0200)) < 0)
                return FAIL(r, "cannot complete /sys/bus/%s: %s", bus, strerror(-r));
        if (!tb_exists(tb, buslink) && (r = tb_symlink(tb, buslink, dev)) < 0)
                return FAIL(r, "cannot link %s: %s", buslink, strerror(-r));
        return 0;
}

/* <dev>/iommu_group -> /sys/kernel/iommu_groups/N: N/devices/<dev>. */
static int complete_group(const struct testbed *tb, const char *dev, char **ret_msg) {
        _cleanup_free_ char *link = tb_join(dev, "iommu_group"), *group = NULL;
        if (!link)
                return -ENOMEM;
        int r = tb_readlink(tb, link, &group);
        if (r < 0)
                return FAIL(r, "cannot read %s: %s", link, strerror(-r));
        _cleanup_free_ char *parent = tb_dirname(group);
        unsigned n;
        if (!parent)
                return -ENOMEM;
        if (!streq(parent, "/sys/kernel/iommu_groups") || sim_safe_atou(tb_basename(group), &n) < 0)
                return FAIL(-EINVAL, "%s points to '%s', not to /sys/kernel/iommu_groups/<N>", link, group);
        _cleanup_free_ char *devs = tb_join(group, "devices");
        _cleanup_free_ char *back = devs ? tb_join(devs, tb_basename(dev)) : NULL;
        _cleanup_free_ char *type = tb_join(group, "type");
        _cleanup_free_ char *regions = tb_join(group, "reserved_regions");
        if (!back || !type || !regions)
                return -ENOMEM;
        if ((r = tb_mkdir_p(tb, devs, 0755)) < 0)
                return FAIL(r, "cannot create %s: %s", devs, strerror(-r));
        if ((r = tb_symlink(tb, back, dev)) < 0)
                return FAIL(r, "cannot link %s: %s", back, strerror(-r));
        if (!tb_exists(tb, type) && (r = tb_write_file(tb, type, "DMA-FQ\n", 0644)) < 0)
                return FAIL(r, "cannot create %s: %s", type, strerror(-r));
        if ((r = tb_touch(tb, regions, 0444)) < 0)
                return FAIL(r, "cannot create %s: %s", regions, strerror(-r));
        return 0;
}

/* <dev>/mdev_supported_types/<type>/: create, devices/; the mdev_bus class
 * link; the parent's bookkeeping, each type's original capacity its
 * recorded available_instances. */
static int complete_mdev_parent(const struct testbed *tb, struct sim_state *st, const char *dev,
                                char **ret_msg) {
        _cleanup_free_ char *types_dir = tb_join(dev, "mdev_supported_types");
        if (!types_dir)
                return -ENOMEM;
        char **names = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, types_dir, &names, &n);
        if (r < 0)
                return FAIL(r, "cannot read %s: %s", types_dir, strerror(-r));

        /* The vendor driver: type ids are "<driver>-<name>"; else the bound one. */
        _cleanup_free_ char *driver = sim_mdev_types_driver(names);
        if (!driver) {
                _cleanup_free_ char *link = tb_join(dev, "driver"), *drv = NULL;
                driver = link && tb_readlink(tb, link, &drv) >= 0 ? strdup(tb_basename(drv)) : strdup("unknown");
        }
        struct sim_mdev_type *types = calloc(n + 1, sizeof(*types));
        size_t k = 0;
        if (!driver || !types)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *tdir = tb_join(types_dir, names[i]);
                _cleanup_free_ char *avail = tdir ? tb_join(tdir, "available_instances") : NULL;
                if (!avail) {
                        r = -ENOMEM;
                        break;
                }
                if (!tb_is_dir(tb, tdir))
                        continue;
                unsigned cap = 0;
                if (tb_exists(tb, avail) && tb_read_uint(tb, avail, &cap) < 0) {
                        r = FAIL(-EINVAL, "%s is not a number", avail);
                        break;
                }
                types[k++] = (struct sim_mdev_type){ .id = names[i], .capacity = cap };
        }
        if (r >= 0 && (r = sim_mdev_register_parent(tb, st, dev, driver, types, k, NULL)) < 0)
                r = FAIL(r, "mdev parent %s: %s", dev,
                         r == -EEXIST ? "a parent of the same name exists" : strerror(-r));
        free(types);
        tb_strv_free(names);
        return r;
}

static int walk(const struct testbed *tb, struct sim_state *st, const char *dir, unsigned depth,
                char **ret_msg) {
        if (depth > 64)
                return FAIL(-ELOOP, "%s: too deep", dir);
        char **names = NULL;
        int r = tb_list_dir(tb, dir, &names, NULL);
        if (r < 0)
                return FAIL(r, "cannot read %s: %s", dir, strerror(-r));
        for (char **n = names; r >= 0 && *n; n++) {
                _cleanup_free_ char *path = tb_join(dir, *n);
                _cleanup_free_ char *host = path ? tb_path(tb, path) : NULL;
                struct stat st_;
                if (!host) {
                        r = -ENOMEM;
                        break;
                }
                if (lstat(host, &st_) < 0)
                        continue;
                if (S_ISLNK(st_.st_mode)) {
                        if (streq(*n, "driver"))
                                r = complete_driver(tb, dir, ret_msg);
                        else if (streq(*n, "iommu_group"))
                                r = complete_group(tb, dir, ret_msg);
                        else if (streq(*n, "subsystem"))
                                r = complete_device(tb, st, dir, ret_msg);
                } else if (S_ISDIR(st_.st_mode)) {
                        if (streq(*n, "mdev_supported_types"))
                                r = complete_mdev_parent(tb, st, dir, ret_msg);
                        else
                                r = walk(tb, st, path, depth + 1, ret_msg);
                }
        }
        tb_strv_free(names);
        return r;
}

/* Host-wide settings ("# gpuhook-sim: * key=value"). */
struct host_settings {
        bool vfio_pci_loaded;
        char **char_nodes; /* "nvidia0:195:0" */
        size_t n_char_nodes;
        struct sim_ap_settings ap; /* IBM Z, applied by sim_s390_complete() */
};

static void host_settings_done(struct host_settings *h) {
        for (size_t i = 0; i < h->n_char_nodes; i++)
                free(h->char_nodes[i]);
        free(h->char_nodes);
}

/* "<path under /dev>:<major>:<minor>" */
static bool char_node_valid(const char *v) {
        const char *minor = strrchr(v, ':');
        const char *major = minor ? memrchr(v, ':', (size_t)(minor - v)) : NULL;
        if (!major || major == v)
                return false;
        unsigned u;
        _cleanup_free_ char *maj = strndup(major + 1, (size_t)(minor - major - 1));
        _cleanup_free_ char *path = strndup(v, (size_t)(major - v));
        if (!maj || !path || sim_safe_atou(maj, &u) < 0 || sim_safe_atou(minor + 1, &u) < 0)
                return false;
        if (path[0] == '/' || strstr(path, "//") || path[strlen(path) - 1] == '/')
                return false;
        char *save = NULL;
        for (char *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (streq(c, ".") || streq(c, "..") || c[0] == '.')
                        return false;
        return true;
}

static int host_set(struct host_settings *h, struct sim_state *st, const char *key, const char *value) {
        if (sim_s390_key(key))
                return sim_s390_set(&h->ap, st, key, value);
        if (streq(key, "vfio-pci-loaded")) {
                if (streq(value, "yes"))
                        h->vfio_pci_loaded = true;
                else if (streq(value, "no"))
                        h->vfio_pci_loaded = false;
                else
                        return -EINVAL;
                return 0;
        }
        if (streq(key, "char-node")) {
                if (!char_node_valid(value))
                        return -EINVAL;
                char **n = realloc(h->char_nodes, (h->n_char_nodes + 1) * sizeof(char *));
                if (!n)
                        return -ENOMEM;
                h->char_nodes = n;
                if (!(n[h->n_char_nodes] = strdup(value)))
                        return -ENOMEM;
                h->n_char_nodes++;
                return 0;
        }
        return -EINVAL;
}

static bool host_key(const char *key) {
        return streq(key, "vfio-pci-loaded") || streq(key, "char-node") || sim_s390_key(key);
}

static int apply_settings(struct sim_state *st, struct host_settings *host, const struct sim_setting *settings,
                          size_t n, char **ret_msg) {
        for (size_t i = 0; i < n; i++) {
                const struct sim_setting *s = &settings[i];
                bool all = streq(s->parent, "*");
                const char *key = s->parent;
                _cleanup_free_ char *sys = NULL;
                if (startswith(key, "/devices/")) /* umockdev's "P:" spelling */
                        key = sys = sim_strdup_printf("/sys%s", s->parent);
                if (!key)
                        return -ENOMEM;
                int r = 0;
                if (host_key(s->key)) {
                        if (!all)
                                return FAIL(-EINVAL, "line %u: %s is a host-wide setting: write '* %s=%s'", s->line,
                                            s->key, s->key, s->value);
                        r = host_set(host, st, s->key, s->value);
                } else if (sim_device_key(s->key)) {
                        struct sim_device *d = all ? NULL : sim_state_find_device(st, NULL, key);
                        if (!all && !d)
                                return FAIL(-ENOENT, "line %u: no PCI or platform device '%s' in the host", s->line,
                                            s->parent);
                        for (size_t j = 0; r >= 0 && j < st->n_devices; j++)
                                if (all || &st->devices[j] == d)
                                        r = sim_device_set(&st->devices[j], s->key, s->value);
                } else if (sim_parent_key(s->key)) {
                        struct sim_mdev_parent *p = all ? NULL : sim_state_find_parent(st, key);
                        if (!all && !p)
                                return FAIL(-ENOENT, "line %u: no mdev parent '%s' in the host", s->line, s->parent);
                        for (size_t j = 0; r >= 0 && j < st->n_parents; j++) {
                                if (!all && &st->parents[j] != p)
                                        continue;
                                /* driver= re-derives the defaults before later keys */
                                r = sim_parent_set(&st->parents[j], s->key, s->value);
                                if (r >= 0 && streq(s->key, "driver"))
                                        sim_parent_apply_defaults(&st->parents[j]);
                        }
                } else if (sim_vendor_key(s->key)) {
                        /* applied by sim_vendor_complete() */
                } else
                        r = -EINVAL;
                if (r < 0)
                        return FAIL(r, "line %u: invalid setting %s=%s", s->line, s->key, s->value);
        }
        return 0;
}

/* umockdev makes a node without contents ("N: dri/card0") a symlink to a
 * pty of the creating process, which is gone once the testbed exists: an
 * empty file instead (umockdev's preload still reports the char device). */
static int complete_dev_nodes(const struct testbed *tb, const char *dir, unsigned depth) {
        char **names = NULL;
        int r = tb_list_dir(tb, dir, &names, NULL);
        if (r == -ENOENT)
                return 0;
        for (char **n = names; r >= 0 && *n && depth < 16; n++) {
                if ((*n)[0] == '.')
                        continue; /* umockdev's .node, .ptymap */
                _cleanup_free_ char *path = tb_join(dir, *n), *target = NULL;
                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                if (tb_readlink(tb, path, &target) >= 0) {
                        if (startswith(target, "/dev/pts/") && (r = tb_unlink(tb, path)) >= 0)
                                r = tb_touch(tb, path, 0644);
                } else if (tb_is_dir(tb, path))
                        r = complete_dev_nodes(tb, path, depth + 1);
        }
        tb_strv_free(names);
        return r;
}

/* char-node=<path>:<major>:<minor>: DIR/dev/<path> and umockdev's
 * .node/<path with '/' as '_'> -> "major:minor" that makes its preload
 * report a char device. */
static int complete_char_node(const struct testbed *tb, const char *spec) {
        const char *minor = strrchr(spec, ':');
        const char *major = memrchr(spec, ':', (size_t)(minor - spec));
        _cleanup_free_ char *rel = strndup(spec, (size_t)(major - spec));
        _cleanup_free_ char *node = rel ? sim_strdup_printf("/dev/%s", rel) : NULL;
        _cleanup_free_ char *dir = node ? tb_dirname(node) : NULL;
        _cleanup_free_ char *escaped = rel ? strdup(rel) : NULL;
        if (!dir || !escaped)
                return -ENOMEM;
        for (char *c = escaped; *c; c++)
                if (*c == '/')
                        *c = '_';
        _cleanup_free_ char *map = sim_strdup_printf("%s/dev/.node/%s", testbed_root(tb), escaped);
        if (!map)
                return -ENOMEM;
        int r = tb_mkdir_p(tb, dir, 0755);
        if (r >= 0)
                r = tb_touch(tb, node, 0666);
        if (r >= 0)
                r = tb_mkdir_p(tb, "/dev/.node", 0755);
        if (r >= 0) {
                (void)unlink(map);
                if (symlink(major + 1, map) < 0)
                        r = -errno;
        }
        return r;
}

/* The modprobe stand-in gpuhook-sim puts first in PATH. */
static const char modprobe_script[] =
        "#!/bin/sh\n"
        "# gpuhook-sim's modprobe stand-in (see sim/README.md): \"modprobe vfio-pci\"\n"
        "# (or vfio_pci) loads the simulated vfio-pci driver through the control file;\n"
        "# any other module, and -r, exit 0 without effect. Every call is logged\n"
        "# to .sim/modprobe.log.\n"
        "tb=${0%/*}/../..\n"
        "printf '%s modprobe %s\\n' \"$$\" \"$*\" >> \"$tb/.sim/modprobe.log\"\n"
        "remove=no all=no mods=\n"
        "while [ $# -gt 0 ]; do\n"
        "        case $1 in\n"
        "        -r|--remove) remove=yes ;;\n"
        "        -a|--all) all=yes ;;\n"
        "        -C|--config|-d|--dirname|-S|--set-version|-o|--name) shift ;;\n"
        "        --) ;;\n"
        "        -*) ;;\n"
        "        *) mods=\"$mods $1\"; [ $all = yes ] || break ;;\n"
        "        esac\n"
        "        shift\n"
        "done\n"
        "[ $remove = no ] || exit 0\n"
        "for m in $mods; do\n"
        "        case $m in\n"
        "        vfio-pci|vfio_pci)\n"
        "                printf 'modprobe %s\\n' \"$m\" > \"$tb/sys/.gpuhook-sim-control\" || exit 1\n"
        "                if [ ! -d \"$tb/sys/bus/pci/drivers/vfio-pci\" ]; then\n"
        "                        echo \"modprobe: ERROR: could not insert '$m': the gpuhook-sim shim is not preloaded\" >&2\n"
        "                        exit 1\n"
        "                fi ;;\n"
        "        esac\n"
        "done\n"
        "exit 0\n";

/* /sys/bus/mdev/drivers/<drv>/{bind,unbind} for each parent's mdev driver,
 * and vfio_mdev unless every parent names another (a host without parents
 * keeps it, as before). */
static int complete_mdev_drivers(const struct testbed *tb, const struct sim_state *st) {
        bool vfio_mdev = st->n_parents == 0;
        int r = 0;
        for (size_t i = 0; i < st->n_parents; i++)
                if (streq(st->parents[i].mdev_driver, "vfio_mdev"))
                        vfio_mdev = true;
        for (size_t i = 0; r >= 0 && i <= st->n_parents; i++) {
                const char *drv = i < st->n_parents ? st->parents[i].mdev_driver : (vfio_mdev ? "vfio_mdev" : NULL);
                if (!drv)
                        continue;
                _cleanup_free_ char *dir = sim_strdup_printf("/sys/bus/mdev/drivers/%s", drv);
                _cleanup_free_ char *bind = dir ? tb_join(dir, "bind") : NULL;
                _cleanup_free_ char *unbind = dir ? tb_join(dir, "unbind") : NULL;
                if (!bind || !unbind)
                        return -ENOMEM;
                if ((r = tb_mkdir_p(tb, dir, 0755)) >= 0 && (r = tb_touch(tb, bind, 0200)) >= 0)
                        r = tb_touch(tb, unbind, 0200);
        }
        return r;
}

int sim_complete(const struct testbed *tb, const struct sim_setting *settings, size_t n_settings,
                 char **ret_msg) {
        static const char *const dirs[] = {
                "/.sim",
                "/sys/bus/mdev/devices",
                "/sys/bus/pci/devices",
                "/sys/bus/pci/drivers",
                "/sys/class/mdev_bus",
                "/sys/kernel/iommu_groups",
                "/dev/vfio",
                "/etc/mdevctl.d/scripts.d/callouts",
                "/etc/mdevctl.d/scripts.d/notifiers",
                "/etc/gpuhook",
                "/run/gpuhook",
                "/.sim/bin",
        };
        static const struct {
                const char *path;
                mode_t mode;
        } files[] = {
                { "/sys/bus/pci/drivers_probe", 0200 },
                { "/sys/bus/pci/rescan", 0200 },
                { "/dev/vfio/vfio", 0666 },
                { "/.sim/lock", 0644 },
                { "/.sim/writes.log", 0644 },
                { "/.sim/modprobe.log", 0644 },
                { SIM_CONTROL_FILE, 0200 },
        };
        int r;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if ((r = tb_mkdir_p(tb, dirs[i], 0755)) < 0)
                        return FAIL(r, "cannot create %s: %s", dirs[i], strerror(-r));
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if ((r = tb_touch(tb, files[i].path, files[i].mode)) < 0)
                        return FAIL(r, "cannot create %s: %s", files[i].path, strerror(-r));

        _cleanup_(sim_state_freep) struct sim_state *st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        if (tb_is_dir(tb, "/sys/devices") && (r = walk(tb, st, "/sys/devices", 0, ret_msg)) < 0)
                return r;
        if ((r = sim_vendor_complete(tb, st, settings, n_settings, ret_msg)) < 0)
                return r;
        if ((r = sim_pci_config_complete(tb, ret_msg)) < 0)
                return r;
        _cleanup_(host_settings_done) struct host_settings host = { .vfio_pci_loaded = true };
        sim_ap_settings_init(&host.ap);
        if ((r = apply_settings(st, &host, settings, n_settings, ret_msg)) < 0)
                return r;
        if ((r = sim_s390_complete(tb, &host.ap, ret_msg)) < 0)
                return r;
        if ((r = complete_mdev_drivers(tb, st)) < 0)
                return FAIL(r, "cannot create the mdev drivers: %s", strerror(-r));
        if (host.vfio_pci_loaded) {
                if ((r = sim_module_load(tb, st, "vfio-pci")) < 0)
                        return FAIL(r, "cannot load vfio-pci: %s", strerror(-r));
        } else if (sim_driver_loaded(tb, "pci", SIM_VFIO_PCI))
                return FAIL(-EINVAL, "vfio-pci-loaded=no, but a device is bound to vfio-pci");
        if ((r = complete_dev_nodes(tb, "/dev", 0)) < 0)
                return FAIL(r, "cannot complete /dev: %s", strerror(-r));
        for (size_t i = 0; i < host.n_char_nodes; i++)
                if ((r = complete_char_node(tb, host.char_nodes[i])) < 0)
                        return FAIL(r, "cannot create the node of char-node='%s': %s", host.char_nodes[i], strerror(-r));
        if ((r = tb_write_file(tb, "/.sim/bin/modprobe", modprobe_script, 0755)) < 0)
                return FAIL(r, "cannot write .sim/bin/modprobe: %s", strerror(-r));
        for (size_t i = 0; i < st->n_parents; i++)
                if ((r = sim_mdev_refresh(tb, &st->parents[i])) < 0)
                        return FAIL(r, "cannot write available_instances of %s: %s", st->parents[i].path,
                                    strerror(-r));
        if ((r = sim_state_save(tb, st)) < 0)
                return FAIL(r, "cannot write .sim/state: %s", strerror(-r));
        return 0;
}
