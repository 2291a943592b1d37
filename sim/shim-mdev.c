/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdev core ABI: <parent>/mdev_supported_types/<type>/create and
 * <mdev>/remove (drivers/vfio/mdev/mdev_sysfs.c). */
#include <ctype.h>
#include <limits.h>

#include "mdev.h"
#include "shim.h"
#include "sim-util.h"
#include "state.h"

int shim_mdev_create(const struct shim_write *w) {
        _cleanup_free_ char *tdir = tb_dirname(w->path);
        _cleanup_free_ char *types = tdir ? tb_dirname(tdir) : NULL;
        _cleanup_free_ char *parent = types ? tb_dirname(types) : NULL;
        if (!parent)
                return -EIO;
        if (!streq(tb_basename(types), "mdev_supported_types"))
                return SHIM_PASS;
        const char *type = tb_basename(tdir);

        /* create_store(): 36 bytes, or 37 with the newline echo adds. */
        if (!(w->len == 36 || (w->len == 37 && w->buf[36] == '\n')) || !sim_uuid_valid(w->buf, 36))
                return -EINVAL;
        char uuid[37];
        for (size_t i = 0; i < 36; i++)
                uuid[i] = (char)tolower((unsigned char)w->buf[i]);
        uuid[36] = '\0';

        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (sim_state_load(w->tb, &st) < 0)
                return -EIO;
        const struct sim_mdev_parent *p = sim_state_find_parent(st, parent);
        if (!p || !sim_parent_find_type(p, type))
                return -ENODEV; /* not registered with the mdev core */
        if (p->unregistering)
                return -ENODEV;

        _cleanup_free_ char *bus = sim_strdup_printf("/sys/bus/mdev/devices/%s", uuid);
        if (!bus)
                return -EIO;
        if (tb_exists(w->tb, bus))
                return -EEXIST;

        unsigned avail;
        if (sim_mdev_available(w->tb, p, type, &avail) < 0)
                return -EIO;
        if (avail == 0)
                return -p->exhausted_errno;

        if (sim_mdev_create(w->tb, p, type, uuid) < 0)
                return -EIO;
        return 0;
}

int shim_mdev_remove(const struct shim_write *w) {
        _cleanup_free_ char *dir = tb_dirname(w->path);
        _cleanup_free_ char *type_link = dir ? sim_strdup_printf("%s/mdev_type", dir) : NULL;
        _cleanup_free_ char *parent = dir ? tb_dirname(dir) : NULL;
        if (!type_link || !parent)
                return -EIO;
        if (!tb_exists(w->tb, type_link))
                return SHIM_PASS; /* not an mdev: PCI remove etc. */

        unsigned long val;
        int r = shim_parse_kstrtoul(w, ULONG_MAX, &val);
        if (r < 0)
                return r;
        if (val == 0)
                return 0;

        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (sim_state_load(w->tb, &st) < 0)
                return -EIO;
        const struct sim_mdev_parent *p = sim_state_find_parent(st, parent);
        if (!p)
                return -EIO;
        if (sim_mdev_remove(w->tb, p, dir) < 0)
                return -EIO;
        return 0;
}
