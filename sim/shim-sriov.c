/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SR-IOV ABI: <pf>/sriov_numvfs (drivers/pci/iov.c, sriov_numvfs_store()). */
#include <ctype.h>

#include "shim.h"
#include "sim-util.h"
#include "state.h"
#include "vendor.h"

static void state_freep(struct sim_state **st) { sim_state_free(*st); }
static void vendor_freep(struct sim_vendor **v) { sim_vendor_free(*v); }

/* kstrtou16(buf, 0, &n): optional '+', base prefix (0x, 0), one trailing
 * newline; -EINVAL if not a number, -ERANGE above 65535. */
static int parse_kstrtou16(const char *buf, size_t len, unsigned *ret) {
        char tmp[32];
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len == 0 || len >= sizeof(tmp))
                return -EINVAL;
        memcpy(tmp, buf, len);
        tmp[len] = '\0';
        const char *s = tmp[0] == '+' ? tmp + 1 : tmp;
        if (!isdigit((unsigned char)s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        if (*end != '\0')
                return -EINVAL;
        if (errno != 0 || v > 0xffff)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int shim_sriov_numvfs(const struct shim_write *w) {
        _cleanup_free_ char *dev = tb_dirname(w->path);
        _cleanup_free_ char *total_file = dev ? sim_strdup_printf("%s/sriov_totalvfs", dev) : NULL;
        if (!total_file)
                return -EIO;
        if (!tb_exists(w->tb, total_file))
                return SHIM_PASS; /* not an SR-IOV capable PF */
        if (w->len == 0)
                return 0;

        _cleanup_(state_freep) struct sim_state *st = NULL;
        _cleanup_(vendor_freep) struct sim_vendor *v = NULL;
        if (shim_state_load(w->tb, &st) < 0 || sim_vendor_load(w->tb, &v) < 0)
                return -EIO;
        unsigned n, total;
        char **vfs = NULL;
        size_t cur = 0;
        int r = parse_kstrtou16(w->buf, w->len, &n);
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
                r = sim_sriov_enable(w->tb, st, v, dev, n) < 0 ? -EIO : 0;
        }
        if (changed && (sim_state_save(w->tb, st) < 0 || sim_vendor_save(w->tb, v) < 0) && r >= 0)
                r = -EIO;
        /* Also after a failure: a shell redirection truncated the file. */
        if (sim_sriov_sync_numvfs(w->tb, dev) < 0 && r >= 0)
                r = -EIO;
        return r;
}
