/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "sysfs.h"
#include "util.h"

bool sysfs_component_safe(const char *c) {
        size_t n;
        if (isempty(c))
                return false;
        n = strlen(c);
        if (n > 255 || streq(c, ".") || streq(c, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (c[i] == '/' || (unsigned char)c[i] < 0x20 || c[i] == 0x7f)
                        return false;
        return true;
}

char *sysfs_path(const char *base, ...) {
        struct strbuf sb = { 0 };
        const char *c;
        va_list ap;

        if (strbuf_appendf(&sb, "%s", base) < 0)
                return NULL;
        va_start(ap, base);
        while ((c = va_arg(ap, const char *))) {
                if (!sysfs_component_safe(c)) {
                        va_end(ap);
                        strbuf_free(&sb);
                        errno = EINVAL;
                        return NULL;
                }
                if (strbuf_appendf(&sb, "/%s", c) < 0) {
                        va_end(ap);
                        strbuf_free(&sb);
                        errno = ENOMEM;
                        return NULL;
                }
        }
        va_end(ap);
        return sb.buf;
}

char *sysfs_mdev_parent_attr(const char *parent, const char *attr) {
        return sysfs_path(SYSFS_MDEV_BUS, parent, attr, NULL);
}

char *sysfs_mdev_type_attr(const char *parent, const char *type, const char *attr) {
        return sysfs_path(SYSFS_MDEV_BUS, parent, "mdev_supported_types", type, attr, NULL);
}

char *sysfs_mdev_attr(const char *uuid, const char *attr) {
        return sysfs_path(SYSFS_MDEV_DEVICES, uuid, attr, NULL);
}

char *sysfs_pci_attr(const char *bdf, const char *attr) { return sysfs_path(SYSFS_PCI_DEVICES, bdf, attr, NULL); }

bool sysfs_exists(const char *path) {
        struct stat st;
        return path && stat(path, &st) == 0;
}

int sysfs_link_basename(const char *path, char *buf, size_t size) {
        char link[PATH_MAX];
        ssize_t n = readlink(path, link, sizeof(link) - 1);

        *buf = 0;
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        link[n] = 0;
        const char *base = strrchr(link, '/');
        snprintf(buf, size, "%s", base ? base + 1 : link);
        return 0;
}
