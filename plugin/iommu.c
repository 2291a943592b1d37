/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>

#include "iommu.h"
#include "sysfs.h"
#include "util.h"

int iommu_group_count(void) {
        DIR *d = opendir(SYSFS_IOMMU_GROUPS);
        struct dirent *de;
        int n = 0;
        unsigned g;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (safe_atou(de->d_name, &g) >= 0)
                        n++;
        closedir(d);
        return n;
}

int iommu_group_of(const char *bdf) {
        _cleanup_free_ char *link = sysfs_pci_attr(bdf, "iommu_group");
        char name[32];
        unsigned g;
        int r;

        if (!link)
                return -errno;
        if ((r = sysfs_link_basename(link, name, sizeof(name))) < 0)
                return r;
        if (!*name || safe_atou(name, &g) < 0 || g > INT_MAX)
                return -ENOENT;
        return (int)g;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *group_path(int group, const char *attr) {
        char num[16];
        if (group < 0) {
                errno = EINVAL;
                return NULL;
        }
        snprintf(num, sizeof(num), "%d", group);
        return sysfs_path(SYSFS_IOMMU_GROUPS, num, attr, NULL);
}

int iommu_group_members(int group, char ***ret, size_t *ret_n) {
        _cleanup_free_ char *path = group_path(group, "devices");
        char **v = NULL;
        size_t n = 0;
        DIR *d;
        struct dirent *de;

        if (!path)
                return -errno;
        d = opendir(path);
        if (!d)
                return -errno;
        v = calloc(1, sizeof(char *));
        if (!v) {
                closedir(d);
                return -ENOMEM;
        }
        while ((de = readdir(d))) {
                if (!pci_addr_valid(de->d_name))
                        continue;
                char **nv = reallocarray(v, n + 2, sizeof(char *));
                if (!nv)
                        goto oom;
                v = nv;
                if (!(v[n] = strdup(de->d_name)))
                        goto oom;
                v[++n] = NULL;
        }
        closedir(d);
        qsort(v, n, sizeof(char *), cmp_str);
        *ret = v;
        if (ret_n)
                *ret_n = n;
        return 0;
oom:
        closedir(d);
        strv_free_null(v);
        return -ENOMEM;
}

int iommu_group_type(int group, char *buf, size_t size) {
        _cleanup_free_ char *path = group_path(group, "type"), *s = NULL;
        int r;
        if (!path)
                return -errno;
        r = read_text_file(path, 64, &s);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", s);
        return 0;
}
