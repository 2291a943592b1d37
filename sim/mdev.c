/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "capacity.h"
#include "mdev.h"
#include "s390.h"
#include "sim-util.h"

static char *type_dir(const struct sim_mdev_parent *p, const char *type) {
        return sim_strdup_printf("%s/mdev_supported_types/%s", p->path, type);
}

int sim_mdev_count(const struct testbed *tb, const struct sim_mdev_parent *p,
                   const char *type, unsigned *ret) {
        _cleanup_free_ char *dir = type_dir(p, type);
        _cleanup_free_ char *devs = dir ? sim_strdup_printf("%s/devices", dir) : NULL;
        if (!devs)
                return -ENOMEM;
        char **v = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, devs, &v, &n);
        tb_strv_free(v);
        if (r == -ENOENT)
                n = 0;
        else if (r < 0)
                return r;
        *ret = (unsigned)n;
        return 0;
}

/* Instances of TYPE on the other parents of P's card (the VFs of one PF). */
static int card_count(const struct testbed *tb, const struct sim_mdev_parent *p, const char *type,
                      unsigned *ret_same, unsigned *ret_other) {
        unsigned same = 0, other = 0;
        const struct sim_state *st = p->state;
        for (size_t i = 0; p->card && st && i < st->n_parents; i++) {
                const struct sim_mdev_parent *q = &st->parents[i];
                if (q == p || !q->card || !streq(q->card, p->card))
                        continue;
                for (size_t j = 0; j < q->n_types; j++) {
                        unsigned c;
                        int r = sim_mdev_count(tb, q, q->types[j].id, &c);
                        if (r < 0)
                                return r;
                        if (streq(q->types[j].id, type))
                                same += c;
                        else
                                other += c;
                }
        }
        *ret_same = same;
        *ret_other = other;
        return 0;
}

int sim_mdev_available(const struct testbed *tb, const struct sim_mdev_parent *p,
                       const char *type, unsigned *ret) {
        const struct sim_mdev_type *t = sim_parent_find_type(p, type);
        if (!t)
                return -ENOENT;
        size_t n = p->n_types;
        unsigned caps[n ? n : 1], counts[n ? n : 1];
        for (size_t i = 0; i < n; i++) {
                int r = sim_mdev_count(tb, p, p->types[i].id, &counts[i]);
                if (r < 0)
                        return r;
                caps[i] = p->types[i].capacity;
        }
        unsigned avail = sim_capacity_available(caps, counts, n, (size_t)(t - p->types), p->one_type,
                                                p->capacity == SIM_CAPACITY_SHARED);
        /* A VF of a card: one type at a time spans the card, and a type's
         * max_instance counts every VF's instances. */
        unsigned same = 0, other = 0;
        int r = card_count(tb, p, type, &same, &other);
        if (r < 0)
                return r;
        if (p->one_type && other > 0)
                avail = 0;
        if (t->card_capacity > 0) {
                unsigned on_card = same + counts[t - p->types];
                unsigned left = on_card >= t->card_capacity ? 0 : t->card_capacity - on_card;
                if (avail > left)
                        avail = left;
        }
        *ret = avail;
        return 0;
}

static int refresh_one(const struct testbed *tb, const struct sim_mdev_parent *p) {
        int ret = 0;
        for (size_t i = 0; i < p->n_types; i++) {
                unsigned avail;
                int r = sim_mdev_available(tb, p, p->types[i].id, &avail);
                _cleanup_free_ char *dir = type_dir(p, p->types[i].id);
                _cleanup_free_ char *file = dir ? sim_strdup_printf("%s/available_instances", dir) : NULL;
                char num[16];
                if (r >= 0 && !file)
                        r = -ENOMEM;
                if (r >= 0 && tb_is_dir(tb, dir)) {
                        snprintf(num, sizeof(num), "%u\n", avail);
                        r = tb_write_file(tb, file, num, 0444);
                }
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int sim_mdev_refresh(const struct testbed *tb, const struct sim_mdev_parent *p) {
        int ret = refresh_one(tb, p);
        const struct sim_state *st = p->state;
        for (size_t i = 0; p->card && st && i < st->n_parents; i++) {
                const struct sim_mdev_parent *q = &st->parents[i];
                int r = q != p && q->card && streq(q->card, p->card) ? refresh_one(tb, q) : 0;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int sim_mdev_create(const struct testbed *tb, const struct sim_mdev_parent *p,
                    const char *type, const char *uuid) {
        unsigned group;
        int r = tb_fresh_iommu_group(tb, &group);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = tb_join(p->path, uuid);
        _cleanup_free_ char *tdir = type_dir(p, type);
        _cleanup_free_ char *gdir = sim_strdup_printf("/sys/kernel/iommu_groups/%u", group);
        _cleanup_free_ char *gdevs = gdir ? tb_join(gdir, "devices") : NULL;
        _cleanup_free_ char *vfio = sim_strdup_printf("/dev/vfio/%u", group);
        _cleanup_free_ char *uevent = sim_strdup_printf("DRIVER=%s\nMDEV_TYPE=%s\n", p->mdev_driver, type);
        _cleanup_free_ char *drvdir = sim_strdup_printf("/sys/bus/mdev/drivers/%s", p->mdev_driver);
        if (!dir || !tdir || !gdevs || !vfio || !uevent || !drvdir)
                return -ENOMEM;

        struct {
                char *link, *target;
        } links[] = {
                { tb_join(dir, "mdev_type"), tb_join(p->path, "mdev_supported_types") },
                { tb_join(dir, "iommu_group"), strdup(gdir) },
                { tb_join(gdevs, uuid), strdup(dir) },
                { tb_join(dir, "driver"), strdup(drvdir) },
                { tb_join(dir, "subsystem"), strdup("/sys/bus/mdev") },
                { tb_join(drvdir, uuid), strdup(dir) },
                { sim_strdup_printf("/sys/bus/mdev/devices/%s", uuid), strdup(dir) },
                { sim_strdup_printf("%s/devices/%s", tdir, uuid), strdup(dir) },
        };
        /* mdev_type -> ../mdev_supported_types/<type> */
        char *mt = links[0].target ? tb_join(links[0].target, type) : NULL;
        free(links[0].target);
        links[0].target = mt;

        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (!links[i].link || !links[i].target)
                        r = -ENOMEM;
        if (r >= 0)
                r = tb_mkdir_p(tb, dir, 0755);
        if (r >= 0)
                r = tb_mkdir_p(tb, gdevs, 0755);
        if (r >= 0)
                r = tb_mkdir_p(tb, "/dev/vfio", 0755);
        if (r >= 0)
                r = tb_mkdir_p(tb, drvdir, 0755);
        if (r >= 0)
                r = tb_mkdir_p(tb, "/sys/bus/mdev/devices", 0755);
        if (r >= 0) {
                _cleanup_free_ char *d = tb_join(tdir, "devices");
                r = d ? tb_mkdir_p(tb, d, 0755) : -ENOMEM;
        }
        if (r >= 0) {
                _cleanup_free_ char *f = tb_join(dir, "remove");
                r = f ? tb_touch(tb, f, 0200) : -ENOMEM;
        }
        if (r >= 0) {
                _cleanup_free_ char *f = tb_join(dir, "uevent");
                r = f ? tb_write_file(tb, f, uevent, 0644) : -ENOMEM;
        }
        if (r >= 0)
                r = tb_touch(tb, vfio, 0666);
        if (r >= 0 && p->vendor_dir) {
                _cleanup_free_ char *vd = tb_join(dir, p->vendor_dir);
                r = vd ? tb_mkdir_p(tb, vd, 0755) : -ENOMEM;
                if (r >= 0 && streq(p->vendor_dir, "nvidia")) {
                        _cleanup_free_ char *f = tb_join(vd, "vgpu_params");
                        r = f ? tb_touch(tb, f, 0644) : -ENOMEM;
                }
        }
        if (r >= 0 && streq(p->driver, "vfio_ap"))
                r = sim_s390_ap_mdev_created(tb, dir); /* its matrix files */
        /* The bus link last: whoever sees /sys/bus/mdev/devices/<uuid> sees a
         * complete device. */
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(links); i++)
                r = tb_symlink(tb, links[i].link, links[i].target);
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                free(links[i].link);
                free(links[i].target);
        }
        if (r < 0) {
                (void)sim_mdev_remove(tb, p, dir);
                return r;
        }
        return sim_mdev_refresh(tb, p);
}

int sim_mdev_remove(const struct testbed *tb, const struct sim_mdev_parent *p, const char *mdev_dir) {
        const char *uuid = tb_basename(mdev_dir);
        _cleanup_free_ char *type_link = tb_join(mdev_dir, "mdev_type");
        _cleanup_free_ char *group_link = tb_join(mdev_dir, "iommu_group");
        _cleanup_free_ char *bus = sim_strdup_printf("/sys/bus/mdev/devices/%s", uuid);
        /* the driver it is bound to (its link, else the parent's) */
        _cleanup_free_ char *drv_link = tb_join(mdev_dir, "driver"), *drvdir = NULL;
        if (drv_link && tb_readlink(tb, drv_link, &drvdir) < 0)
                drvdir = sim_strdup_printf("/sys/bus/mdev/drivers/%s", p->mdev_driver);
        _cleanup_free_ char *drv = drvdir ? tb_join(drvdir, uuid) : NULL;
        _cleanup_free_ char *tdir = NULL, *gdir = NULL;
        if (!type_link || !group_link || !bus || !drv)
                return -ENOMEM;
        int ret = 0, r;

        /* Bus link first: the device disappears for readers before its parts. */
        if ((r = tb_unlink(tb, bus)) < 0 && ret == 0)
                ret = r;
        if ((r = tb_unlink(tb, drv)) < 0 && ret == 0)
                ret = r;
        if (tb_readlink(tb, type_link, &tdir) >= 0) {
                _cleanup_free_ char *l = sim_strdup_printf("%s/devices/%s", tdir, uuid);
                if ((r = l ? tb_unlink(tb, l) : -ENOMEM) < 0 && ret == 0)
                        ret = r;
        }
        if (tb_readlink(tb, group_link, &gdir) >= 0 && startswith(gdir, "/sys/kernel/iommu_groups/") &&
            sim_safe_atou(tb_basename(gdir), &(unsigned){ 0 }) >= 0) {
                const char *n = tb_basename(gdir);
                _cleanup_free_ char *vfio = sim_strdup_printf("/dev/vfio/%s", n);
                if ((r = tb_rm_rf(tb, gdir)) < 0 && ret == 0)
                        ret = r;
                if ((r = vfio ? tb_unlink(tb, vfio) : -ENOMEM) < 0 && ret == 0)
                        ret = r;
        }
        if ((r = tb_rm_rf(tb, mdev_dir)) < 0 && ret == 0)
                ret = r;
        if ((r = sim_mdev_refresh(tb, p)) < 0 && ret == 0)
                ret = r;
        return ret;
}

char *sim_mdev_types_driver(char *const *types) {
        for (char *const *t = types; t && *t; t++) {
                const char *dash = strchr(*t, '-');
                if (dash && dash != *t)
                        return strndup(*t, (size_t)(dash - *t));
        }
        return NULL;
}

int sim_mdev_register_parent(const struct testbed *tb, struct sim_state *st, const char *dev, const char *driver,
                             const struct sim_mdev_type *types, size_t n, struct sim_mdev_parent **ret) {
        const char *name = tb_basename(dev);
        struct sim_mdev_parent *p = sim_state_find_parent(st, name);
        int r = 0;
        if (p && !streq(p->path, dev))
                return -EEXIST; /* another device of that name */
        /* a parent registering again (vfio_ccw bound anew) keeps its settings */
        if (!p && (r = sim_state_add_parent(st, name, dev, driver, &p)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *tdir = type_dir(p, types[i].id);
                _cleanup_free_ char *create = tdir ? tb_join(tdir, "create") : NULL;
                _cleanup_free_ char *devices = tdir ? tb_join(tdir, "devices") : NULL;
                if (!create || !devices)
                        return -ENOMEM;
                if ((r = tb_mkdir_p(tb, devices, 0755)) < 0 || (r = tb_touch(tb, create, 0200)) < 0)
                        return r;
                if (sim_parent_find_type(p, types[i].id))
                        continue;
                if ((r = sim_parent_add_type(p, types[i].id, types[i].capacity)) < 0)
                        return r;
                p->types[p->n_types - 1].card_capacity = types[i].card_capacity;
        }
        /* mdev_bus class link (class_compat_create_link()) */
        _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/mdev_bus/%s", name);
        if (!cls)
                return -ENOMEM;
        if ((r = tb_symlink(tb, cls, dev)) < 0)
                return r;
        if (ret)
                *ret = p;
        return 0;
}
