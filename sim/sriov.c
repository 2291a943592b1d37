/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SR-IOV: what pci_enable_sriov()/pci_disable_sriov() do to sysfs
 * (drivers/pci/iov.c): VF devices at the PF's routing id + offset + i*stride,
 * physfn/virtfnN links, a fresh IOMMU group per VF, the bus link, the driver
 * core's probe of each VF when sriov_drivers_autoprobe is 1. */

#include "driver.h"
#include "mdev.h"
#include "sim-util.h"
#include "vendor.h"

int sim_pci_path(const struct testbed *tb, const char *name, char **ret) {
        _cleanup_free_ char *link = sim_strdup_printf("/sys/bus/pci/devices/%s", name);
        if (!link)
                return -ENOMEM;
        return tb_readlink(tb, link, ret);
}

static int read_uint(const struct testbed *tb, const char *dev, const char *attr, unsigned *ret) {
        _cleanup_free_ char *file = tb_join(dev, attr);
        return file ? tb_read_uint(tb, file, ret) : -ENOMEM;
}

/* The last component of the target of DEV's link NAME, NULL if none. */
static char *link_name(const struct testbed *tb, const char *dev, const char *name) {
        _cleanup_free_ char *link = tb_join(dev, name), *target = NULL;
        if (!link || tb_readlink(tb, link, &target) < 0)
                return NULL;
        return strdup(tb_basename(target));
}

char *sim_pci_driver(const struct testbed *tb, const char *dev) { return link_name(tb, dev, "driver"); }

char *sim_sriov_physfn(const struct testbed *tb, const char *dev) { return link_name(tb, dev, "physfn"); }

static int cmp_virtfn(const void *a, const void *b) {
        unsigned x = (unsigned)strtoul(*(char *const *)a + strlen("virtfn"), NULL, 10);
        unsigned y = (unsigned)strtoul(*(char *const *)b + strlen("virtfn"), NULL, 10);
        return x < y ? -1 : x > y;
}

int sim_sriov_vfs(const struct testbed *tb, const char *dev, char ***ret_paths, size_t *ret_n) {
        char **names = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, dev, &names, &n);
        if (r < 0)
                return r;
        char **links = calloc(n + 1, sizeof(char *));
        size_t k = 0;
        for (size_t i = 0; links && i < n; i++) {
                unsigned u;
                if (startswith(names[i], "virtfn") && sim_safe_atou(names[i] + strlen("virtfn"), &u) >= 0)
                        links[k++] = TAKE_PTR(names[i]);
        }
        tb_strv_free(names);
        if (!links)
                return -ENOMEM;
        qsort(links, k, sizeof(char *), cmp_virtfn);
        char **paths = calloc(k + 1, sizeof(char *));
        for (size_t i = 0; paths && r >= 0 && i < k; i++) {
                _cleanup_free_ char *l = tb_join(dev, links[i]);
                r = l ? tb_readlink(tb, l, &paths[i]) : -ENOMEM;
        }
        tb_strv_free(links);
        if (!paths)
                return -ENOMEM;
        if (r < 0) {
                tb_strv_free(paths);
                return r;
        }
        *ret_paths = paths;
        if (ret_n)
                *ret_n = k;
        return 0;
}

/* The driver that matches a VF of a PF bound to the first name. */
static const struct {
        const char *pf, *vf;
} vf_drivers[] = {
        { "nvidia", "nvidia" },     /* NVIDIA vGPU VFs stay on nvidia */
        { "xe", "xe" },             /* Intel xe and i915 drive their VFs too */
        { "i915", "i915" },
        { "ice", "iavf" },          /* NICs, for completeness */
        { "i40e", "iavf" },
        { "ixgbe", "ixgbevf" },
        { "igb", "igbvf" },
        { "mlx5_core", "mlx5_core" },
        { "vfio-pci", "vfio-pci" }, /* through driver_override, see below */
        { "gim", NULL },            /* AMD MxGPU: VFs are for vfio-pci */
        { "amdgpu", NULL },
};

char *sim_sriov_vf_driver(const struct sim_pf *pf, const char *pf_driver) {
        if (pf && pf->vf_driver)
                return streq(pf->vf_driver, "none") ? NULL : strdup(pf->vf_driver);
        if (!pf_driver)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(vf_drivers); i++)
                if (streq(vf_drivers[i].pf, pf_driver))
                        return vf_drivers[i].vf ? strdup(vf_drivers[i].vf) : NULL;
        return strdup(pf_driver);
}

bool sim_sriov_configurable(const struct sim_pf *pf, const char *pf_driver) {
        if (pf && pf->sriov_configure != SIM_AUTO)
                return pf->sriov_configure == SIM_YES;
        /* Drivers without a sriov_configure callback; and vfio-pci, whose
         * callback refuses with ENOENT unless vfio-pci was loaded with
         * enable_sriov=1 (drivers/vfio/pci/vfio_pci.c
         * vfio_pci_sriov_configure; default off; setting
         * sriov-configure=yes stands for it). */
        static const char *const without[] = { "gim", "amdgpu", "pci-stub", "pcieport", "vfio-pci" };
        for (size_t i = 0; pf_driver && i < ELEMENTSOF(without); i++)
                if (streq(without[i], pf_driver))
                        return false;
        return true;
}

int sim_sriov_sync_numvfs(const struct testbed *tb, const char *dev) {
        char **vfs = NULL;
        size_t n = 0;
        int r = sim_sriov_vfs(tb, dev, &vfs, &n);
        tb_strv_free(vfs);
        if (r < 0)
                return r;
        _cleanup_free_ char *file = tb_join(dev, "sriov_numvfs");
        char num[16];
        snprintf(num, sizeof(num), "%zu\n", n);
        return file ? tb_write_file(tb, file, num, 0644) : -ENOMEM;
}

/* "0000:c1:00.0" -> domain 0, routing id 0xc100 */
static int parse_bdf(const char *name, unsigned *ret_domain, unsigned *ret_rid) {
        unsigned dom, bus, dev, fn;
        char tail;
        if (sscanf(name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 || bus > 0xff || dev > 0x1f ||
            fn > 7)
                return -EINVAL;
        *ret_domain = dom;
        *ret_rid = bus << 8 | dev << 3 | fn;
        return 0;
}

/* What a VF copies from its PF. */
struct pf_info {
        const char *dev, *name;
        unsigned domain, rid, offset, stride, vf_device, vendor, sub_vendor, sub_device, class;
        char *revision, *numa_node, *local_cpus, *local_cpulist, *type_dir; /* type_dir: mdev template */
        char *vf_driver;   /* probe candidate (the native driver of the VFs) */
        bool autoprobe, override_vfio;
};

static void pf_info_done(struct pf_info *p) {
        free(p->revision);
        free(p->numa_node);
        free(p->local_cpus);
        free(p->local_cpulist);
        free(p->type_dir);
        free(p->vf_driver);
}

static char *read_attr_or(const struct testbed *tb, const char *dev, const char *attr, const char *dflt) {
        _cleanup_free_ char *file = tb_join(dev, attr);
        char *s = NULL;
        if (!file || tb_read_file(tb, file, &s) < 0)
                return strdup(dflt);
        return s;
}

static int pf_info_load(const struct testbed *tb, const struct sim_pf *pf, const char *dev, struct pf_info *p) {
        *p = (struct pf_info){ .dev = dev, .name = tb_basename(dev), .stride = 1, .autoprobe = true };
        int r = parse_bdf(p->name, &p->domain, &p->rid);
        if (r < 0)
                return r;
        if ((r = read_uint(tb, dev, "sriov_offset", &p->offset)) < 0 ||
            (r = read_uint(tb, dev, "sriov_stride", &p->stride)) < 0 ||
            (r = sim_pci_read_hex(tb, dev, "sriov_vf_device", &p->vf_device)) < 0 ||
            (r = sim_pci_read_hex(tb, dev, "vendor", &p->vendor)) < 0 ||
            (r = sim_pci_read_hex(tb, dev, "class", &p->class)) < 0)
                return r;
        if (sim_pci_read_hex(tb, dev, "subsystem_vendor", &p->sub_vendor) < 0)
                p->sub_vendor = p->vendor;
        if (sim_pci_read_hex(tb, dev, "subsystem_device", &p->sub_device) < 0)
                p->sub_device = 0;
        unsigned ap = 1;
        if (read_uint(tb, dev, "sriov_drivers_autoprobe", &ap) >= 0)
                p->autoprobe = ap != 0;
        p->revision = read_attr_or(tb, dev, "revision", "0x00");
        p->numa_node = read_attr_or(tb, dev, "numa_node", "-1");
        p->local_cpus = read_attr_or(tb, dev, "local_cpus", "0");
        p->local_cpulist = read_attr_or(tb, dev, "local_cpulist", "");
        _cleanup_free_ char *drv = sim_pci_driver(tb, dev);
        p->vf_driver = sim_sriov_vf_driver(pf, drv);
        /* vfio_pci_core's bus notifier: VFs of a PF on vfio-pci get
         * driver_override "vfio-pci". */
        p->override_vfio = drv && streq(drv, SIM_VFIO_PCI);
        p->type_dir = sim_strdup_printf("/.sim/vf-template/%s/mdev_supported_types", p->name);
        if (!p->revision || !p->numa_node || !p->local_cpus || !p->local_cpulist || !p->type_dir)
                return -ENOMEM;
        return 0;
}

/* Copy the readable files of the template type dirs (name, description,
 * device_api, available_instances) into DEV/mdev_supported_types and
 * register DEV as an mdev parent of the card PF. */
static int register_mdev_parent(const struct testbed *tb, struct sim_state *st, const struct pf_info *pf,
                                const char *dev) {
        char **names = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, pf->type_dir, &names, &n);
        if (r < 0)
                return r;
        (void)sim_state_remove_parent(st, tb_basename(dev)); /* a stale one */
        _cleanup_free_ char *driver = sim_mdev_types_driver(names);
        struct sim_mdev_type *types = calloc(n + 1, sizeof(*types));
        if (!types)
                r = -ENOMEM;
        else if (!driver)
                r = -EINVAL;
        static const char *const files[] = { "name", "description", "device_api", "available_instances" };
        for (size_t k = 0; r >= 0 && k < n; k++) {
                _cleanup_free_ char *src = tb_join(pf->type_dir, names[k]);
                _cleanup_free_ char *dst = sim_strdup_printf("%s/mdev_supported_types/%s", dev, names[k]);
                if (!src || !dst) {
                        r = -ENOMEM;
                        break;
                }
                if ((r = tb_mkdir_p(tb, dst, 0755)) < 0)
                        break;
                types[k].id = names[k];
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++) {
                        _cleanup_free_ char *from = tb_join(src, files[i]), *to = tb_join(dst, files[i]), *text = NULL;
                        if (!from || !to) {
                                r = -ENOMEM;
                                break;
                        }
                        if (tb_read_file(tb, from, &text) < 0)
                                continue;
                        _cleanup_free_ char *line = sim_strdup_printf("%s\n", text);
                        r = line ? tb_write_file(tb, to, line, 0444) : -ENOMEM;
                        if (streq(files[i], "available_instances"))
                                (void)sim_safe_atou(text, &types[k].capacity);
                        const char *mi = streq(files[i], "description") ? strstr(text, "max_instance=") : NULL;
                        if (mi)
                                types[k].card_capacity = (unsigned)strtoul(mi + strlen("max_instance="), NULL, 10);
                }
        }
        struct sim_mdev_parent *p = NULL;
        if (r >= 0)
                r = sim_mdev_register_parent(tb, st, dev, driver, types, n, &p);
        if (r >= 0)
                r = sim_parent_set(p, "card", pf->name);
        free(types);
        tb_strv_free(names);
        return r;
}

/* pci_iov_add_virtfn() + pci_bus_add_device() for VF I. */
static int add_vf(const struct testbed *tb, struct sim_state *st, const struct sim_vendor *v,
                  const struct pf_info *pf, unsigned i, bool *ret_vgpu) {
        unsigned rid = pf->rid + pf->offset + i * pf->stride;
        if (rid > 0xffff)
                return -ERANGE;
        char name[32];
        snprintf(name, sizeof(name), "%04x:%02x:%02x.%u", pf->domain, rid >> 8, rid >> 3 & 0x1f, rid & 7);
        _cleanup_free_ char *parent = tb_dirname(pf->dev);
        _cleanup_free_ char *dev = parent ? tb_join(parent, name) : NULL;
        _cleanup_free_ char *virtfn = sim_strdup_printf("%s/virtfn%u", pf->dev, i);
        _cleanup_free_ char *bus = sim_strdup_printf("/sys/bus/pci/devices/%s", name);
        if (!dev || !virtfn || !bus)
                return -ENOMEM;
        if (tb_exists(tb, dev) || tb_exists(tb, bus))
                return -EEXIST;
        unsigned group;
        int r = tb_fresh_iommu_group(tb, &group);
        if (r < 0)
                return r;
        _cleanup_free_ char *gdir = sim_strdup_printf("/sys/kernel/iommu_groups/%u", group);
        _cleanup_free_ char *gdevs = gdir ? tb_join(gdir, "devices") : NULL;
        if (!gdevs)
                return -ENOMEM;

        unsigned cc = pf->class >> 16 & 0xff, sc = pf->class >> 8 & 0xff, pi = pf->class & 0xff;
        _cleanup_free_ char *modalias = sim_strdup_printf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                                                          pf->vendor, pf->vf_device, pf->sub_vendor,
                                                          pf->sub_device, cc, sc, pi);
        if (!modalias)
                return -ENOMEM;
        if ((r = tb_mkdir_p(tb, dev, 0755)) < 0)
                return r;
        struct {
                const char *attr;
                mode_t mode;
                char *text;
        } attrs[] = {
                { "vendor", 0444, sim_strdup_printf("0x%04x\n", pf->vendor) },
                { "device", 0444, sim_strdup_printf("0x%04x\n", pf->vf_device) },
                { "subsystem_vendor", 0444, sim_strdup_printf("0x%04x\n", pf->sub_vendor) },
                { "subsystem_device", 0444, sim_strdup_printf("0x%04x\n", pf->sub_device) },
                { "class", 0444, sim_strdup_printf("0x%06x\n", pf->class) },
                { "revision", 0444, sim_strdup_printf("%s\n", pf->revision) },
                { "numa_node", 0644, sim_strdup_printf("%s\n", pf->numa_node) },
                { "local_cpus", 0444, sim_strdup_printf("%s\n", pf->local_cpus) },
                { "local_cpulist", 0444, sim_strdup_printf("%s\n", pf->local_cpulist) },
                { "modalias", 0444, sim_strdup_printf("%s\n", modalias) },
                { "driver_override", 0644, strdup(pf->override_vfio ? SIM_VFIO_PCI "\n" : "(null)\n") },
                { "enable", 0644, strdup("0\n") },
                { "irq", 0444, strdup("0\n") },
                { "msi_bus", 0644, strdup("1\n") },
                { "broken_parity_status", 0644, strdup("0\n") },
                { "d3cold_allowed", 0644, strdup("1\n") },
                { "power_state", 0444, strdup("D0\n") },
                { "reset_method", 0644, strdup("flr\n") },
                { "ari_enabled", 0444, strdup("0\n") },
                { "uevent", 0644,
                  sim_strdup_printf("PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\n"
                                    "MODALIAS=%s\n",
                                    pf->class, pf->vendor, pf->vf_device, pf->sub_vendor, pf->sub_device, name,
                                    modalias) },
                { "remove", 0200, strdup("") },
                { "reset", 0200, strdup("") },
                { "rescan", 0200, strdup("") },
        };
        for (size_t k = 0; k < ELEMENTSOF(attrs); k++) {
                _cleanup_free_ char *file = tb_join(dev, attrs[k].attr);
                if (r >= 0)
                        r = attrs[k].text && file ? tb_write_file(tb, file, attrs[k].text, attrs[k].mode) : -ENOMEM;
                free(attrs[k].text);
        }
        _cleanup_free_ char *physfn = tb_join(dev, "physfn"), *subsys = tb_join(dev, "subsystem");
        _cleanup_free_ char *glink = tb_join(dev, "iommu_group"), *gback = tb_join(gdevs, name);
        _cleanup_free_ char *gtype = tb_join(gdir, "type"), *regions = tb_join(gdir, "reserved_regions");
        if (!physfn || !subsys || !glink || !gback || !gtype || !regions)
                return -ENOMEM;
        if (r >= 0)
                r = tb_symlink(tb, physfn, pf->dev);
        if (r >= 0)
                r = tb_symlink(tb, subsys, "/sys/bus/pci");
        if (r >= 0)
                r = tb_mkdir_p(tb, gdevs, 0755);
        if (r >= 0)
                r = tb_write_file(tb, gtype, "DMA-FQ\n", 0644);
        if (r >= 0)
                r = tb_touch(tb, regions, 0444);
        if (r >= 0)
                r = tb_symlink(tb, gback, dev);
        if (r >= 0)
                r = tb_symlink(tb, glink, gdir);
        if (r >= 0)
                r = tb_symlink(tb, virtfn, dev);
        /* The driver core's bookkeeping; the VF's native driver is the one
         * its PF's driver implies. */
        if (r >= 0) {
                (void)sim_state_remove_device(st, "pci", name); /* a stale one */
                r = sim_state_add_device(st, name, dev, "pci", pf->vf_driver, NULL);
        }
        /* pci_bus_add_device(): the bus link, then (autoprobe) device_attach. */
        if (r >= 0)
                r = tb_symlink(tb, bus, dev);
        if (r >= 0 && pf->autoprobe)
                r = sim_device_attach(tb, st, "pci", name, dev);
        _cleanup_free_ char *drv = r >= 0 ? sim_pci_driver(tb, dev) : NULL;
        if (r >= 0 && drv && streq(drv, "nvidia")) {
                /* nvidia's probe of a VF: vendor VFIO (vGPU 17+) or mdev parent */
                const char *pfname = pf->name;
                struct sim_pf *card = sim_vendor_find_pf(v, pfname);
                if (card && card->n_types > 0) {
                        r = sim_vgpu_setup_vf(tb, dev);
                        *ret_vgpu = true;
                } else if (tb_is_dir(tb, pf->type_dir))
                        r = register_mdev_parent(tb, st, pf, dev);
        }
        return r;
}

/* pci_iov_remove_virtfn() of the VF at DEV (link virtfnI of PF_DEV). */
static int remove_vf(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, const char *pf_dev,
                     const char *virtfn, const char *dev) {
        const char *name = tb_basename(dev);
        _cleanup_free_ char *bus = sim_strdup_printf("/sys/bus/pci/devices/%s", name);
        _cleanup_free_ char *vlink = tb_join(pf_dev, virtfn);
        _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/mdev_bus/%s", name);
        _cleanup_free_ char *glink = tb_join(dev, "iommu_group"), *gdir = NULL;
        _cleanup_free_ char *drv = sim_pci_driver(tb, dev);
        if (!bus || !vlink || !cls || !glink)
                return -ENOMEM;
        int ret = 0, r;
#define KEEP(expr) ((r = (expr)) < 0 && ret == 0 ? (void)(ret = r) : (void)0)
        KEEP(tb_unlink(tb, bus)); /* gone for readers first */
        if (drv)
                KEEP(sim_driver_unlink(tb, st, "pci", drv, name, dev));
        if (tb_exists(tb, cls)) {
                KEEP(tb_unlink(tb, cls));
                (void)sim_state_remove_parent(st, name);
        }
        KEEP(sim_vgpu_teardown_vf(tb, dev));
        KEEP(sim_vendor_set_vgpu(v, name, 0));
        if (tb_readlink(tb, glink, &gdir) >= 0 && startswith(gdir, "/sys/kernel/iommu_groups/")) {
                _cleanup_free_ char *gdevs = tb_join(gdir, "devices");
                _cleanup_free_ char *back = gdevs ? tb_join(gdevs, name) : NULL;
                _cleanup_free_ char *node = sim_strdup_printf("/dev/vfio/%s", tb_basename(gdir));
                char **members = NULL;
                size_t n = 0;
                if (!back || !node)
                        return -ENOMEM;
                KEEP(tb_unlink(tb, back));
                if (tb_list_dir(tb, gdevs, &members, &n) >= 0 && n == 0) {
                        KEEP(tb_rm_rf(tb, gdir)); /* the group goes with its last device */
                        KEEP(tb_unlink(tb, node));
                }
                tb_strv_free(members);
        }
        KEEP(tb_unlink(tb, vlink));
        KEEP(tb_rm_rf(tb, dev));
        (void)sim_state_remove_device(st, "pci", name);
        struct sim_busy *b = sim_state_find_busy(st, name);
        if (b)
                sim_state_remove_busy(st, (size_t)(b - st->busy));
#undef KEEP
        return ret;
}

int sim_sriov_enable(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, const char *dev,
                     unsigned n) {
        struct pf_info pf;
        const struct sim_pf *entry = sim_vendor_find_pf(v, tb_basename(dev));
        int r = pf_info_load(tb, entry, dev, &pf);
        bool vgpu = false;
        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = add_vf(tb, st, v, &pf, i, &vgpu);
        pf_info_done(&pf);
        if (r < 0) {
                (void)sim_sriov_disable(tb, st, v, dev);
                return r;
        }
        if ((r = sim_sriov_sync_numvfs(tb, dev)) < 0)
                return r;
        entry = sim_vendor_find_pf(v, tb_basename(dev));
        if (vgpu && entry)
                r = sim_vgpu_refresh(tb, v, entry, dev);
        for (size_t i = 0; r >= 0 && i < st->n_parents; i++)
                if (st->parents[i].card && streq(st->parents[i].card, tb_basename(dev)))
                        r = sim_mdev_refresh(tb, &st->parents[i]);
        return r;
}

int sim_sriov_disable(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, const char *dev) {
        char **links = NULL, **vfs = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, dev, &links, NULL);
        if (r < 0)
                return r;
        r = sim_sriov_vfs(tb, dev, &vfs, &n);
        if (r < 0) {
                tb_strv_free(links);
                return r;
        }
        /* virtfn links sorted by index, like sim_sriov_vfs(); removed last first */
        size_t k = 0;
        for (size_t i = 0; links[i]; i++) {
                unsigned u;
                if (startswith(links[i], "virtfn") && sim_safe_atou(links[i] + strlen("virtfn"), &u) >= 0)
                        links[k++] = links[i];
                else
                        free(links[i]);
        }
        links[k] = NULL;
        qsort(links, k, sizeof(char *), cmp_virtfn);
        int ret = 0;
        for (size_t i = k; i > 0; i--)
                if ((r = remove_vf(tb, st, v, dev, links[i - 1], vfs[i - 1])) < 0 && ret == 0)
                        ret = r;
        tb_strv_free(links);
        tb_strv_free(vfs);
        if ((r = sim_sriov_sync_numvfs(tb, dev)) < 0 && ret == 0)
                ret = r;
        return ret;
}

int sim_sriov_disable_check(const struct testbed *tb, const struct sim_vendor *v, const char *dev) {
        char **vfs = NULL;
        int r = sim_sriov_vfs(tb, dev, &vfs, NULL);
        if (r < 0)
                return r;
        for (char **vf = vfs; r >= 0 && *vf; vf++) {
                _cleanup_free_ char *drv = sim_pci_driver(tb, *vf);
                /* assigned to a VM (or about to be): vfio-pci; a vGPU set */
                if ((drv && streq(drv, SIM_VFIO_PCI)) || sim_vendor_vgpu(v, tb_basename(*vf)) != 0)
                        r = -EBUSY;
                /* mdevs on an mdev-parent VF */
                _cleanup_free_ char *types = tb_join(*vf, "mdev_supported_types");
                char **tv = NULL;
                if (r >= 0 && types && tb_list_dir(tb, types, &tv, NULL) >= 0)
                        for (char **t = tv; r >= 0 && *t; t++) {
                                _cleanup_free_ char *devs = sim_strdup_printf("%s/%s/devices", types, *t);
                                char **dv = NULL;
                                size_t nd = 0;
                                if (devs && tb_list_dir(tb, devs, &dv, &nd) >= 0 && nd > 0)
                                        r = -EBUSY;
                                tb_strv_free(dv);
                        }
                tb_strv_free(tv);
        }
        tb_strv_free(vfs);
        return r;
}
