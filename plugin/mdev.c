/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>

#include "driver.h"
#include "log.h"
#include "mdev.h"
#include "pci-bind.h"
#include "sysfs.h"

static int count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static int load_type(const char *parent, const char *type, struct mdev_type_info *ret) {
        _cleanup_free_ char *avail = sysfs_mdev_type_attr(parent, type, "available_instances"),
                            *name = sysfs_mdev_type_attr(parent, type, "name"),
                            *api = sysfs_mdev_type_attr(parent, type, "device_api"),
                            *devices = sysfs_mdev_type_attr(parent, type, "devices"), *api_s = NULL;
        int r;

        if (!avail || !name || !api || !devices)
                return -ENOMEM;
        *ret = (struct mdev_type_info){ 0 };
        snprintf(ret->id, sizeof(ret->id), "%s", type);
        r = read_uint_file(avail, &ret->available);
        if (r < 0)
                return r;
        if (read_text_file(name, 256, &ret->name) >= 0 && !mdev_type_name_valid(ret->name)) {
                free(ret->name);
                ret->name = NULL;
        }
        if (read_text_file(api, 32, &api_s) >= 0)
                snprintf(ret->device_api, sizeof(ret->device_api), "%s", api_s);
        ret->in_use = (unsigned)count_entries(devices);
        return 0;
}

static int load_parent(const char *name, struct mdev_parent_info *ret) {
        _cleanup_free_ char *types_dir = sysfs_mdev_parent_attr(name, "mdev_supported_types"),
                            *numa = sysfs_mdev_parent_attr(name, "numa_node");
        struct mdev_parent_probe probe;
        DIR *d;
        struct dirent *de;
        size_t cap = 0;

        if (!types_dir || !numa)
                return -ENOMEM;
        *ret = (struct mdev_parent_info){ .numa_node = -1 };
        snprintf(ret->name, sizeof(ret->name), "%s", name);
        (void)read_int_file(numa, &ret->numa_node);
        d = opendir(types_dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!mdev_type_id_valid(de->d_name)) {
                        log_debug("skipping mdev type with unexpected name on %s", name);
                        continue;
                }
                if (ret->n_types == cap) {
                        cap = cap ? cap * 2 : 8;
                        struct mdev_type_info *n = reallocarray(ret->types, cap, sizeof(*n));
                        if (!n) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        ret->types = n;
                }
                if (load_type(name, de->d_name, &ret->types[ret->n_types]) >= 0)
                        ret->n_types++;
        }
        closedir(d);
        if (mdev_parent_probe_read(name, &probe) >= 0) {
                const struct mdev_driver *drv = mdev_driver_for(&probe);
                ret->driver = drv;
                if (drv->annotate)
                        drv->annotate(&probe, ret);
        } else
                ret->driver = &mdev_driver_generic;
        return 0;
}

static int cmp_parent(const void *a, const void *b) {
        return strcmp(((const struct mdev_parent_info *)a)->name, ((const struct mdev_parent_info *)b)->name);
}

int mdev_host_view_load(struct host_view *ret) {
        struct host_view v = { 0 };
        size_t cap = 0;
        DIR *d = opendir(SYSFS_MDEV_BUS);
        struct dirent *de;
        int r = 0;

        if (!d) {
                *ret = v;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!mdev_parent_name_valid(de->d_name)) {
                        log_debug("skipping mdev parent with unexpected name");
                        continue;
                }
                if (v.n_parents == cap) {
                        cap = cap ? cap * 2 : 8;
                        struct mdev_parent_info *n = reallocarray(v.parents, cap, sizeof(*n));
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        v.parents = n;
                }
                if (load_parent(de->d_name, &v.parents[v.n_parents]) >= 0)
                        v.n_parents++;
        }
        closedir(d);
        if (r < 0) {
                host_view_free(&v);
                return r;
        }
        if (v.n_parents)
                qsort(v.parents, v.n_parents, sizeof(v.parents[0]), cmp_parent);
        host_view_settle_type_rule(&v);
        *ret = v;
        return 0;
}

int mdev_existing_load(struct strset *ret) {
        DIR *d = opendir(SYSFS_MDEV_DEVICES);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (uuid_valid(de->d_name) && (r = strset_add(ret, de->d_name)) < 0)
                        break;
        closedir(d);
        return r < 0 ? r : 0;
}

bool mdev_exists(const char *uuid) {
        _cleanup_free_ char *p = sysfs_mdev_attr(uuid, NULL);
        return sysfs_exists(p);
}

int mdev_device_api(const char *uuid, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_path(SYSFS_MDEV_DEVICES, uuid, "mdev_type", "device_api", NULL), *s = NULL;
        int r;
        if (!p)
                return -errno;
        r = read_text_file(p, 64, &s);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", s);
        return 0;
}

int mdev_parent_of(const char *uuid, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_mdev_attr(uuid, NULL);
        char real[PATH_MAX];
        if (!p)
                return -errno;
        if (!realpath(p, real))
                return -errno;
        char *slash = strrchr(real, '/');
        if (!slash)
                return -EINVAL;
        *slash = 0;
        slash = strrchr(real, '/');
        snprintf(buf, size, "%s", slash ? slash + 1 : real);
        return 0;
}

int mdev_type_of(const char *uuid, char *buf, size_t size) {
        _cleanup_free_ char *p = sysfs_mdev_attr(uuid, "mdev_type");
        if (!p)
                return -errno;
        int r = sysfs_link_basename(p, buf, size);
        return r < 0 ? r : *buf ? 0 : -ENOENT;
}

int mdev_wait_present(const char *uuid, const char *model, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000, delay = 500;
        char api[32] = "";
        for (;;) {
                if (mdev_exists(uuid) && mdev_device_api(uuid, api, sizeof(api)) >= 0) {
                        if (!model || streq(api, model))
                                return 0;
                        return -EMEDIUMTYPE;
                }
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(delay);
                if (delay < 100000)
                        delay *= 2;
        }
}

int mdev_sysfs_create(const char *parent, const char *type, const char *uuid) {
        _cleanup_free_ char *p = sysfs_mdev_type_attr(parent, type, "create");
        if (!p)
                return -errno;
        log_info("creating mdev %s type %s on %s", uuid, type, parent);
        return write_text_file(p, uuid);
}

int mdev_sysfs_remove(const char *uuid, unsigned timeout_ms) {
        _cleanup_free_ char *p = sysfs_mdev_attr(uuid, "remove");
        if (!p)
                return -errno;
        log_info("removing mdev %s", uuid);
        return sysfs_write_bounded(p, "1", timeout_ms);
}

int mdev_wait_gone(const char *uuid, unsigned timeout_ms) {
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000, delay = 500;
        while (mdev_exists(uuid)) {
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                sleep_usec(delay);
                if (delay < 100000)
                        delay *= 2;
        }
        return 0;
}
