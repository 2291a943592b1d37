/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sim's control file, /sys/.gpuhook-sim-control: requests to the
 * simulated kernel that have no sysfs file of their own, one per write:
 *   modprobe <module>   load a kernel module (vfio-pci / vfio_pci; others
 *                       fail with ENOENT), written by the modprobe stand-in
 *                       in .sim/bin. */
#include "driver.h"
#include "shim.h"
#include "sim-util.h"

int shim_control(const struct shim_write *w) {
        if (!streq(w->path, SIM_CONTROL_FILE))
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        size_t len = strlen(s);
        if (len > 0 && s[len - 1] == '\n')
                s[--len] = '\0';
        if (!startswith(s, "modprobe ") || !s[9] || strchr(s + 9, ' '))
                return -EINVAL;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (shim_state_load(w->tb, &st) < 0)
                return -EIO;
        int r = sim_module_load(w->tb, st, s + 9);
        if (r >= 0 && sim_state_save(w->tb, st) < 0)
                r = -EIO;
        return r == -ENOENT ? -ENOENT : r < 0 ? -EIO : 0;
}
