/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA vGPU on SR-IOV VFs with the vendor-specific VFIO framework (vGPU
 * 17+, kernel >= 6.8): per VF nvidia/creatable_vgpu_types and
 * nvidia/current_vgpu_type; capacity per physical card. */
#include "capacity.h"
#include "sim-util.h"
#include "vendor.h"

#define VFIO_DEV_MAJOR 511 /* dynamic in the kernel; any value will do */

struct sim_pf *sim_vgpu_card(const struct testbed *tb, const struct sim_vendor *v, const char *dev) {
        _cleanup_free_ char *pf = sim_sriov_physfn(tb, dev);
        struct sim_pf *card = pf ? sim_vendor_find_pf(v, pf) : NULL;
        return card && card->n_types > 0 ? card : NULL;
}

/* Instances per type on CARD (the types set on its VFs). */
static int card_counts(const struct testbed *tb, const struct sim_vendor *v, const struct sim_pf *card,
                       unsigned *counts) {
        _cleanup_free_ char *pf_dev = NULL;
        int r = sim_pci_path(tb, card->name, &pf_dev);
        if (r < 0)
                return r;
        char **vfs = NULL;
        if ((r = sim_sriov_vfs(tb, pf_dev, &vfs, NULL)) < 0)
                return r;
        for (size_t i = 0; i < card->n_types; i++)
                counts[i] = 0;
        for (char **vf = vfs; *vf; vf++) {
                unsigned t = sim_vendor_vgpu(v, tb_basename(*vf));
                for (size_t i = 0; t && i < card->n_types; i++)
                        if (card->types[i].id == t)
                                counts[i]++;
        }
        tb_strv_free(vfs);
        return 0;
}

static bool creatable(const struct sim_pf *card, const unsigned *counts, size_t idx) {
        unsigned caps[card->n_types];
        for (size_t i = 0; i < card->n_types; i++)
                caps[i] = card->types[i].max;
        /* Equal-size mode, NVIDIA's default: the vGPUs on a GPU all have one
         * framebuffer size (NVIDIA vGPU User Guide 17+, "Valid Virtual GPU
         * Configurations on a Single GPU"); a type's size is the card's
         * framebuffer / its max. Mixed-size mode lifts that. Either way the
         * framebuffer is the pool; a type with max m takes 1/m of it. */
        for (size_t i = 0; !card->mixed && i < card->n_types; i++)
                if (counts[i] > 0 && caps[i] != caps[idx])
                        return false;
        return sim_capacity_available(caps, counts, card->n_types, idx, false, true) > 0;
}

bool sim_vgpu_creatable(const struct testbed *tb, const struct sim_vendor *v, const struct sim_pf *card,
                        const char *vf, unsigned type) {
        if (card->n_types == 0 || sim_vendor_vgpu(v, vf) != 0)
                return false;
        unsigned counts[card->n_types];
        if (card_counts(tb, v, card, counts) < 0)
                return false;
        for (size_t i = 0; i < card->n_types; i++)
                if (card->types[i].id == type)
                        return creatable(card, counts, i);
        return false;
}

int sim_vgpu_refresh(const struct testbed *tb, const struct sim_vendor *v, const struct sim_pf *card,
                     const char *pf_dev) {
        if (card->n_types == 0)
                return 0;
        unsigned counts[card->n_types];
        int r = card_counts(tb, v, card, counts);
        if (r < 0)
                return r;
        /* One list for every free VF of the card. */
        _cleanup_free_ char *list = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&list, &size);
        if (!f)
                return -ENOMEM;
        fputs("ID    : vGPU Name\n", f);
        for (size_t i = 0; i < card->n_types; i++)
                if (creatable(card, counts, i))
                        fprintf(f, "%-5u : %s\n", card->types[i].id, card->types[i].name);
        if (fclose(f) != 0)
                return -ENOMEM;
        char **vfs = NULL;
        if ((r = sim_sriov_vfs(tb, pf_dev, &vfs, NULL)) < 0)
                return r;
        for (char **vf = vfs; r >= 0 && *vf; vf++) {
                _cleanup_free_ char *dir = tb_join(*vf, "nvidia");
                _cleanup_free_ char *cre = dir ? tb_join(dir, "creatable_vgpu_types") : NULL;
                _cleanup_free_ char *cur = dir ? tb_join(dir, "current_vgpu_type") : NULL;
                if (!cre || !cur) {
                        r = -ENOMEM;
                        break;
                }
                if (!tb_is_dir(tb, dir))
                        continue; /* not (or no longer) on nvidia */
                unsigned type = sim_vendor_vgpu(v, tb_basename(*vf));
                char num[16];
                snprintf(num, sizeof(num), "%u\n", type);
                r = tb_write_file(tb, cre, type ? "ID    : vGPU Name\n" : list, 0444);
                if (r >= 0)
                        r = tb_write_file(tb, cur, num, 0644);
        }
        tb_strv_free(vfs);
        return r;
}

/* The lowest free vfio cdev index (an ida in the kernel). */
static int fresh_vfio_dev(const struct testbed *tb, unsigned *ret) {
        for (unsigned i = 0; i < 65536; i++) {
                _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/vfio-dev/vfio%u", i);
                if (!cls)
                        return -ENOMEM;
                if (!tb_exists(tb, cls)) {
                        *ret = i;
                        return 0;
                }
        }
        return -ENOSPC;
}

static int vfio_dev_name(const struct testbed *tb, const char *dev, char **ret) {
        _cleanup_free_ char *dir = tb_join(dev, "vfio-dev");
        char **v = NULL;
        size_t n = 0;
        if (!dir)
                return -ENOMEM;
        int r = tb_list_dir(tb, dir, &v, &n);
        if (r < 0)
                return r;
        *ret = n > 0 ? strdup(v[0]) : NULL;
        tb_strv_free(v);
        return n > 0 && !*ret ? -ENOMEM : n > 0 ? 0 : -ENOENT;
}

int sim_vgpu_setup_vf(const struct testbed *tb, const char *dev) {
        _cleanup_free_ char *dir = tb_join(dev, "nvidia");
        _cleanup_free_ char *cre = dir ? tb_join(dir, "creatable_vgpu_types") : NULL;
        _cleanup_free_ char *cur = dir ? tb_join(dir, "current_vgpu_type") : NULL;
        _cleanup_free_ char *params = dir ? tb_join(dir, "vgpu_params") : NULL;
        if (!cre || !cur || !params)
                return -ENOMEM;
        int r = tb_mkdir_p(tb, dir, 0755);
        if (r >= 0 && !tb_exists(tb, cre))
                r = tb_write_file(tb, cre, "ID    : vGPU Name\n", 0444);
        if (r >= 0 && !tb_exists(tb, cur))
                r = tb_write_file(tb, cur, "0\n", 0644);
        if (r >= 0 && !tb_exists(tb, params))
                r = tb_write_file(tb, params, "", 0644);
        if (r < 0)
                return r;

        /* The VFIO device: vfio-dev/vfioN (cdev), and the group's node. */
        _cleanup_free_ char *name = NULL;
        r = vfio_dev_name(tb, dev, &name);
        if (r == -ENOENT) {
                unsigned idx;
                if ((r = fresh_vfio_dev(tb, &idx)) < 0)
                        return r;
                name = sim_strdup_printf("vfio%u", idx);
                if (!name)
                        return -ENOMEM;
                _cleanup_free_ char *vd = sim_strdup_printf("%s/vfio-dev/%s", dev, name);
                _cleanup_free_ char *devf = vd ? tb_join(vd, "dev") : NULL;
                _cleanup_free_ char *uevent = vd ? tb_join(vd, "uevent") : NULL;
                _cleanup_free_ char *subsys = vd ? tb_join(vd, "subsystem") : NULL;
                _cleanup_free_ char *text = sim_strdup_printf("%u:%u\n", VFIO_DEV_MAJOR, idx);
                _cleanup_free_ char *ue = sim_strdup_printf("MAJOR=%u\nMINOR=%u\nDEVNAME=vfio/devices/%s\n",
                                                            VFIO_DEV_MAJOR, idx, name);
                if (!devf || !uevent || !subsys || !text || !ue)
                        return -ENOMEM;
                if ((r = tb_mkdir_p(tb, vd, 0755)) < 0 || (r = tb_write_file(tb, devf, text, 0444)) < 0 ||
                    (r = tb_write_file(tb, uevent, ue, 0644)) < 0 ||
                    (r = tb_symlink(tb, subsys, "/sys/class/vfio-dev")) < 0)
                        return r;
        } else if (r < 0)
                return r;
        _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/vfio-dev/%s", name);
        _cleanup_free_ char *vd = sim_strdup_printf("%s/vfio-dev/%s", dev, name);
        _cleanup_free_ char *node = sim_strdup_printf("/dev/vfio/devices/%s", name);
        _cleanup_free_ char *glink = tb_join(dev, "iommu_group"), *group = NULL;
        if (!cls || !vd || !node || !glink)
                return -ENOMEM;
        if ((r = tb_mkdir_p(tb, "/sys/class/vfio-dev", 0755)) < 0 || (r = tb_symlink(tb, cls, vd)) < 0 ||
            (r = tb_mkdir_p(tb, "/dev/vfio/devices", 0755)) < 0 || (r = tb_touch(tb, node, 0666)) < 0)
                return r;
        if (tb_readlink(tb, glink, &group) >= 0) {
                _cleanup_free_ char *gnode = sim_strdup_printf("/dev/vfio/%s", tb_basename(group));
                if (!gnode)
                        return -ENOMEM;
                r = tb_touch(tb, gnode, 0666);
        }
        return r;
}

int sim_vgpu_teardown_vf(const struct testbed *tb, const char *dev) {
        _cleanup_free_ char *name = NULL;
        int r = vfio_dev_name(tb, dev, &name);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/vfio-dev/%s", name);
        _cleanup_free_ char *node = sim_strdup_printf("/dev/vfio/devices/%s", name);
        if (!cls || !node)
                return -ENOMEM;
        r = tb_unlink(tb, cls);
        int k = tb_unlink(tb, node);
        return r < 0 ? r : k;
}
