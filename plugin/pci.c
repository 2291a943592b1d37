/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fnmatch.h>
#include <libudev.h>
#include <limits.h>
#include <sys/utsname.h>

#include "iommu.h"
#include "log.h"
#include "pci.h"
#include "sysfs.h"

#define SYSFS_MODULES "/sys/module"

void strv_free_null(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static int read_hex_attr(const char *bdf, const char *attr, unsigned *ret) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, attr), *s = NULL;
        char *end = NULL;
        unsigned long v;
        int r;

        if (!p)
                return -errno;
        r = read_text_file(p, 64, &s);
        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (errno || end == s || *end || v > UINT_MAX)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static int read_int_attr(const char *bdf, const char *attr, int *ret) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, attr);
        return p ? read_int_file(p, ret) : -errno;
}

/* Last component of the symlink BDF/ATTR into buf ("" when absent). */
static int read_link_base(const char *bdf, const char *attr, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, attr);
        *buf = 0;
        if (!p)
                return -errno;
        int r = sysfs_link_basename(p, buf, size);
        return r < 0 ? r : *buf ? 0 : -ENOENT;
}

static char *dup_prop(struct udev_device *u, const char *key) {
        const char *v = udev_device_get_property_value(u, key);
        char shown[160];
        return v ? strdup(sanitize_for_message(v, shown, sizeof(shown))) : NULL;
}

static void pci_device_done(struct pci_device *d) {
        free(d->vendor_name);
        free(d->model_name);
        free(d->modalias);
}

static int pci_device_read(struct udev_device *u, const char *bdf, struct pci_device *d) {
        char buf[MDEV_NAME_MAX + 1];
        _cleanup_free_ char *types = sysfs_pci_attr(bdf, "mdev_supported_types"), *override_path = NULL,
                            *override = NULL;

        *d = (struct pci_device){ .iommu_group = -1, .numa_node = -1, .boot_vga = -1 };
        snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
        if (pci_addr_parse(bdf, &d->addr) < 0)
                return -EINVAL;
        if (read_hex_attr(bdf, "vendor", &d->vendor) < 0 || read_hex_attr(bdf, "device", &d->device) < 0)
                return -ENODEV; /* vanished while we looked */
        (void)read_hex_attr(bdf, "subsystem_vendor", &d->subsystem_vendor);
        (void)read_hex_attr(bdf, "subsystem_device", &d->subsystem_device);
        (void)read_hex_attr(bdf, "class", &d->class);
        (void)read_int_attr(bdf, "numa_node", &d->numa_node);
        (void)read_int_attr(bdf, "boot_vga", &d->boot_vga);

        if (read_link_base(bdf, "driver", buf, sizeof(buf)) >= 0 && driver_name_valid(buf))
                snprintf(d->driver, sizeof(d->driver), "%s", buf);
        else if (u && udev_device_get_driver(u) && driver_name_valid(udev_device_get_driver(u)))
                snprintf(d->driver, sizeof(d->driver), "%s", udev_device_get_driver(u));
        override_path = sysfs_pci_attr(bdf, "driver_override");
        if (override_path && read_text_file(override_path, 128, &override) >= 0 && !streq(override, "(null)") &&
            driver_name_valid(override))
                snprintf(d->driver_override, sizeof(d->driver_override), "%s", override);

        int group = iommu_group_of(bdf);
        if (group >= 0)
                d->iommu_group = group;
        if (read_link_base(bdf, "physfn", buf, sizeof(buf)) >= 0 && pci_addr_valid(buf))
                snprintf(d->physfn, sizeof(d->physfn), "%s", buf);
        _cleanup_free_ char *total = sysfs_pci_attr(bdf, "sriov_totalvfs"), *num = sysfs_pci_attr(bdf, "sriov_numvfs");
        if (total)
                (void)read_uint_file(total, &d->sriov_totalvfs);
        if (num)
                (void)read_uint_file(num, &d->sriov_numvfs);
        d->mdev_parent = sysfs_exists(types);

        if (u) {
                d->vendor_name = dup_prop(u, "ID_VENDOR_FROM_DATABASE");
                d->model_name = dup_prop(u, "ID_MODEL_FROM_DATABASE");
                d->modalias = dup_prop(u, "MODALIAS");
        }
        if (!d->modalias) {
                _cleanup_free_ char *p = sysfs_pci_attr(bdf, "modalias"), *s = NULL;
                if (p && read_text_file(p, 256, &s) >= 0) {
                        char shown[160];
                        d->modalias = strdup(sanitize_for_message(s, shown, sizeof(shown)));
                }
        }
        return 0;
}

static int cmp_dev(const void *a, const void *b) {
        return strcmp(((const struct pci_device *)a)->bdf, ((const struct pci_device *)b)->bdf);
}

int pci_list_load(struct pci_list *ret) {
        struct udev *udev = udev_new();
        struct udev_enumerate *e = NULL;
        struct udev_list_entry *item;
        struct pci_list l = { 0 };
        size_t cap = 0;
        int r = 0;

        if (!udev)
                return -ENOMEM;
        e = udev_enumerate_new(udev);
        if (!e) {
                r = -ENOMEM;
                goto out;
        }
        r = udev_enumerate_add_match_subsystem(e, "pci");
        if (r >= 0)
                r = udev_enumerate_scan_devices(e);
        if (r < 0)
                goto out;
        udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
                struct udev_device *u = udev_device_new_from_syspath(udev, udev_list_entry_get_name(item));
                const char *name = u ? udev_device_get_sysname(u) : NULL;
                if (!name || !pci_addr_valid(name)) {
                        if (name)
                                log_debug("skipping PCI device with unexpected name");
                        udev_device_unref(u);
                        continue;
                }
                if (l.n == cap) {
                        size_t ncap = cap ? cap * 2 : 32;
                        struct pci_device *n = reallocarray(l.devs, ncap, sizeof(*n));
                        if (!n) {
                                udev_device_unref(u);
                                r = -ENOMEM;
                                goto out;
                        }
                        l.devs = n;
                        cap = ncap;
                }
                if (pci_device_read(u, name, &l.devs[l.n]) >= 0)
                        l.n++;
                else
                        pci_device_done(&l.devs[l.n]);
                udev_device_unref(u);
        }
        if (l.n)
                qsort(l.devs, l.n, sizeof(l.devs[0]), cmp_dev);
        *ret = l;
        l = (struct pci_list){ 0 };
        r = 0;
out:
        pci_list_free(&l);
        udev_enumerate_unref(e);
        udev_unref(udev);
        return r;
}

void pci_list_free(struct pci_list *l) {
        for (size_t i = 0; i < l->n; i++)
                pci_device_done(&l->devs[i]);
        free(l->devs);
        *l = (struct pci_list){ 0 };
}

const struct pci_device *pci_list_find(const struct pci_list *l, const char *bdf) {
        struct pci_device key;
        if (!bdf || strlen(bdf) > PCI_ADDR_LEN)
                return NULL;
        snprintf(key.bdf, sizeof(key.bdf), "%s", bdf);
        return l->n ? bsearch(&key, l->devs, l->n, sizeof(l->devs[0]), cmp_dev) : NULL;
}

bool pci_same_slot(const struct pci_device *a, const struct pci_device *b) {
        return a->addr.domain == b->addr.domain && a->addr.bus == b->addr.bus && a->addr.slot == b->addr.slot;
}

/* The classes a GPU host meets; the rest by base class. */
static const struct {
        unsigned class; /* base+sub (16 bits) */
        const char *name;
} class_names[] = {
        { 0x0300, "VGA compatible controller" },
        { 0x0301, "XGA compatible controller" },
        { 0x0302, "3D controller" },
        { 0x0380, "Display controller" },
        { 0x0403, "Audio device" },
        { 0x0401, "Multimedia audio controller" },
        { 0x0c03, "USB controller" },
        { 0x0c80, "Serial bus controller" },
        { 0x0600, "Host bridge" },
        { 0x0601, "ISA bridge" },
        { 0x0604, "PCI bridge" },
        { 0x0200, "Ethernet controller" },
        { 0x0108, "Non-Volatile memory controller" },
        { 0x0106, "SATA controller" },
        { 0x0100, "SCSI storage controller" },
        { 0x0180, "Mass storage controller" },
        { 0x0c05, "SMBus" },
        { 0x0880, "System peripheral" },
        { 0x1180, "Signal processing controller" },
        { 0x0b40, "Co-processor" },
        { 0x1200, "Processing accelerators" },
};

static const char *const base_class_names[] = {
        [0x00] = "Unclassified device",    [0x01] = "Mass storage controller", [0x02] = "Network controller",
        [0x03] = "Display controller",     [0x04] = "Multimedia controller",   [0x05] = "Memory controller",
        [0x06] = "Bridge",                 [0x07] = "Communication controller", [0x08] = "Generic system peripheral",
        [0x09] = "Input device controller", [0x0a] = "Docking station",       [0x0b] = "Processor",
        [0x0c] = "Serial bus controller",  [0x0d] = "Wireless controller",     [0x0e] = "Intelligent controller",
        [0x0f] = "Satellite communications controller", [0x10] = "Encryption controller",
        [0x11] = "Signal processing controller", [0x12] = "Processing accelerators",
        [0x13] = "Non-Essential Instrumentation",
};

const char *pci_class_name(unsigned class) {
        unsigned sub = class >> 8, base = class >> 16;
        for (size_t i = 0; i < ELEMENTSOF(class_names); i++)
                if (class_names[i].class == sub)
                        return class_names[i].name;
        if (base < ELEMENTSOF(base_class_names) && base_class_names[base])
                return base_class_names[base];
        return "Unknown class";
}

/* ---- kernel module index ---- */

struct alias {
        char *pattern, *module;
};

static struct {
        bool loaded;
        bool present; /* /lib/modules/<release> exists */
        struct alias *aliases;
        size_t n, cap;
} module_index;

static char *modules_dir_file(const char *file) {
        struct utsname u;
        if (uname(&u) < 0 || !sysfs_component_safe(u.release))
                return NULL;
        return sysfs_path("/lib/modules", u.release, file, NULL);
}

static void alias_file_load(const char *file) {
        _cleanup_free_ char *path = modules_dir_file(file);
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char *line = NULL;
        size_t size = 0;

        if (!f)
                return;
        module_index.present = true;
        while (getline(&line, &size, f) > 0) {
                char *save = NULL, *kw = strtok_r(line, " \t\n", &save);
                char *pattern = strtok_r(NULL, " \t\n", &save), *module = strtok_r(NULL, " \t\n", &save);
                if (!kw || !streq(kw, "alias") || !pattern || !module || strncmp(pattern, "pci:", 4) != 0)
                        continue;
                if (module_index.n == module_index.cap) {
                        size_t ncap = module_index.cap ? module_index.cap * 2 : 1024;
                        struct alias *n = reallocarray(module_index.aliases, ncap, sizeof(*n));
                        if (!n)
                                break;
                        module_index.aliases = n;
                        module_index.cap = ncap;
                }
                struct alias a = { strdup(pattern), strdup(module) };
                if (!a.pattern || !a.module) {
                        free(a.pattern);
                        free(a.module);
                        break;
                }
                module_index.aliases[module_index.n++] = a;
        }
        free(line);
}

static void module_index_load(void) {
        if (module_index.loaded)
                return;
        module_index.loaded = true;
        alias_file_load("modules.alias");
        alias_file_load("modules.builtin.alias");
}

static bool strv_contains(char *const *v, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

int pci_modules_for_modalias(const char *modalias, char ***ret) {
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        module_index_load();
        for (size_t i = 0; modalias && i < module_index.n; i++) {
                const struct alias *a = &module_index.aliases[i];
                if (fnmatch(a->pattern, modalias, 0) != 0 || strv_contains(v, n, a->module))
                        continue;
                char **nv = reallocarray(v, n + 2, sizeof(char *));
                if (!nv)
                        goto oom;
                v = nv;
                if (!(v[n] = strdup(a->module)))
                        goto oom;
                v[++n] = NULL;
        }
        *ret = v;
        return 0;
oom:
        strv_free_null(v);
        return -ENOMEM;
}

/* "kernel/drivers/vfio/pci/vfio-pci.ko.xz" -> matches "vfio_pci". */
static bool module_path_is(const char *path, const char *module) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strcspn(base, ".");
        if (n != strlen(module))
                return false;
        for (size_t i = 0; i < n; i++) {
                char a = base[i] == '-' ? '_' : base[i], b = module[i] == '-' ? '_' : module[i];
                if (a != b)
                        return false;
        }
        return true;
}

static int module_listed_in(const char *file, const char *module) {
        _cleanup_free_ char *path = modules_dir_file(file);
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char *line = NULL;
        size_t size = 0;
        int found = 0;

        if (!f)
                return -ENOENT;
        while (!found && getline(&line, &size, f) > 0) {
                line[strcspn(line, ":\n")] = 0;
                found = module_path_is(line, module);
        }
        free(line);
        return found;
}

int kernel_module_available(const char *module) {
        int a = module_listed_in("modules.dep", module), b = module_listed_in("modules.builtin", module);
        if (a > 0 || b > 0)
                return 1;
        if (a == -ENOENT && b == -ENOENT)
                return kernel_module_loaded(module) ? 1 : -ENOENT;
        return kernel_module_loaded(module) ? 1 : 0;
}

bool kernel_module_loaded(const char *module) {
        char name[MDEV_NAME_MAX + 1];
        if (!driver_name_valid(module))
                return false;
        snprintf(name, sizeof(name), "%s", module);
        for (char *p = name; *p; p++)
                if (*p == '-')
                        *p = '_';
        _cleanup_free_ char *p = sysfs_path(SYSFS_MODULES, name, NULL);
        return sysfs_exists(p);
}
