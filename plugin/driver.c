/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "driver.h"
#include "sysfs.h"
#include "validate.h"
#include "vendor.h"

/* In the vendors' order, each vendor's most specific first; the generic
 * vendor comes last and its driver claims anything left. */
const struct mdev_driver *mdev_driver_for(const struct mdev_parent_probe *p) {
        FOREACH_GPU_VENDOR(v)
                for (const struct mdev_driver *const *d = v->mdev_drivers; d && *d; d++)
                        if ((*d)->claims(p))
                                return *d;
        return &mdev_driver_generic;
}

static unsigned read_hex_id(const char *path) {
        _cleanup_free_ char *s = NULL;
        if (read_text_file(path, 32, &s) < 0)
                return 0;
        return (unsigned)strtoul(s, NULL, 16);
}

int mdev_parent_probe_read(const char *name, struct mdev_parent_probe *ret) {
        _cleanup_free_ char *vendor = sysfs_mdev_parent_attr(name, "vendor"), *device = sysfs_mdev_parent_attr(name, "device"),
                            *driver = sysfs_mdev_parent_attr(name, "driver"), *physfn = sysfs_mdev_parent_attr(name, "physfn");
        char link[PATH_MAX];
        ssize_t n;

        if (!vendor || !device || !driver || !physfn)
                return -errno;
        *ret = (struct mdev_parent_probe){ .name = name };
        ret->vendor = read_hex_id(vendor);
        ret->device = read_hex_id(device);
        n = readlink(driver, link, sizeof(link) - 1);
        if (n > 0) {
                link[n] = 0;
                const char *base = strrchr(link, '/');
                snprintf(ret->driver, sizeof(ret->driver), "%s", base ? base + 1 : link);
        }
        n = readlink(physfn, link, sizeof(link) - 1);
        if (n > 0) {
                link[n] = 0;
                const char *base = strrchr(link, '/');
                base = base ? base + 1 : link;
                if (pci_addr_valid(base))
                        snprintf(ret->physfn, sizeof(ret->physfn), "%s", base);
        }
        return 0;
}
