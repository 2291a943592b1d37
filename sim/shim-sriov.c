/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SR-IOV ABI: <pf>/sriov_numvfs (drivers/pci/iov.c, sriov_numvfs_store()). */
#include "shim.h"
#include "sim-util.h"
#include "state.h"
#include "vendor.h"

int shim_sriov_numvfs(const struct shim_write *w) {
        _cleanup_free_ char *dev = tb_dirname(w->path);
        _cleanup_free_ char *total_file = dev ? sim_strdup_printf("%s/sriov_totalvfs", dev) : NULL;
        if (!total_file)
                return -EIO;
        if (!tb_exists(w->tb, total_file))
                return SHIM_PASS; /* not an SR-IOV capable PF */
        if (w->len == 0)
                return 0;

        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        _cleanup_(sim_vendor_freep) struct sim_vendor *v = NULL;
        if (shim_state_load(w->tb, &st) < 0 || sim_vendor_load(w->tb, &v) < 0)
                return -EIO;
        unsigned long n;
        unsigned total;
        char **vfs = NULL;
        size_t cur = 0;
        int r = shim_parse_kstrtoul(w, 0xffff, &n); /* kstrtou16() */
        if (r >= 0 && (tb_read_uint(w->tb, total_file, &total) < 0 || sim_sriov_vfs(w->tb, dev, &vfs, &cur) < 0))
                r = -EIO;
        tb_strv_free(vfs);
        const struct sim_pf *pf = sim_vendor_find_pf(v, tb_basename(dev));
        _cleanup_free_ char *drv = sim_pci_driver(w->tb, dev);
        bool changed = false;
        if (r < 0)
                ;
        else if (n > total)
                r = -ERANGE;
        else if (n == cur)
                r = 0; /* nothing to do */
        else if (!drv)
                r = -ENOENT; /* "no driver bound to device; cannot configure SR-IOV" */
        else if (!sim_sriov_configurable(pf, drv))
                r = -ENOENT; /* "driver does not support SR-IOV configuration via sysfs" */
        else if (n == 0) {
                r = sim_sriov_disable_check(w->tb, v, dev);
                if (r >= 0) {
                        changed = true;
                        r = sim_sriov_disable(w->tb, st, v, dev) < 0 ? -EIO : 0;
                }
        } else if (cur > 0)
                r = -EBUSY; /* "%d VFs already enabled. Disable before enabling %d VFs" */
        else {
                changed = true;
                r = sim_sriov_enable(w->tb, st, v, dev, (unsigned)n) < 0 ? -EIO : 0;
        }
        if (changed && (sim_state_save(w->tb, st) < 0 || sim_vendor_save(w->tb, v) < 0) && r >= 0)
                r = -EIO;
        /* Also after a failure: a shell redirection truncated the file. */
        if (sim_sriov_sync_numvfs(w->tb, dev) < 0 && r >= 0)
                r = -EIO;
        return r;
}

/* <pf>/sriov_drivers_autoprobe (drivers/pci/iov.c,
 * sriov_drivers_autoprobe_store()): kstrtobool() (lib/kstrtox.c: y/Y/t/T/1
 * or "on" true, n/N/f/F/0 or "off" false, by the first one or two
 * characters), else EINVAL; reads back as 0/1. */
int shim_sriov_drivers_autoprobe(const struct shim_write *w) {
        _cleanup_free_ char *dev = tb_dirname(w->path);
        _cleanup_free_ char *total_file = dev ? sim_strdup_printf("%s/sriov_totalvfs", dev) : NULL;
        if (!total_file)
                return -EIO;
        if (!tb_exists(w->tb, total_file))
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        char c0 = w->buf[0], c1 = w->len > 1 ? w->buf[1] : '\0';
        int v;
        if (strchr("yYtT1", c0))
                v = 1;
        else if (strchr("nNfF0", c0))
                v = 0;
        else if ((c0 == 'o' || c0 == 'O') && (c1 == 'n' || c1 == 'N'))
                v = 1;
        else if ((c0 == 'o' || c0 == 'O') && (c1 == 'f' || c1 == 'F'))
                v = 0;
        else
                v = -1;
        if (c0 == '\0')
                v = -1;
        /* A rejected value leaves the file as the writer's open left it (a
         * truncating open empties it; read back empty, sriov.c takes it
         * as the default 1). */
        if (v < 0)
                return -EINVAL;
        return tb_write_file(w->tb, w->path, v ? "1\n" : "0\n", 0644) < 0 ? -EIO : 0;
}
