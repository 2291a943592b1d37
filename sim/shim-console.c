/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual terminal consoles: /sys/class/vtconsole/vtconN/bind
 * (drivers/tty/vt/vt.c store_bind()). The framebuffer console's platform
 * device (efi-framebuffer.0, simple-framebuffer.0) is bound and unbound
 * through the driver core (shim-driver.c). */
#include <ctype.h>

#include "shim.h"
#include "sim-util.h"

/* simple_strtoul(buf, NULL, 0): base from the prefix, digits until the
 * first non-digit, no sign, no blanks; garbage reads as 0. */
static unsigned long long simple_strtoull(const char *s) {
        unsigned base = 10;
        if (s[0] == '0') {
                base = 8;
                if (tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2])) {
                        base = 16;
                        s += 2;
                }
        }
        unsigned long long v = 0;
        for (;; s++) {
                unsigned d;
                if (isdigit((unsigned char)*s))
                        d = (unsigned)(*s - '0');
                else if (isxdigit((unsigned char)*s))
                        d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
                else
                        break;
                if (d >= base)
                        break;
                v = v * base + d;
        }
        return v;
}

int shim_vtcon_bind(const struct shim_write *w) {
        _cleanup_free_ char *dev = tb_dirname(w->path);
        _cleanup_free_ char *cls = dev ? tb_dirname(dev) : NULL;
        if (!cls)
                return -EIO;
        if (!streq(tb_basename(cls), "vtconsole") || !startswith(tb_basename(dev), "vtcon"))
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        /* int bind = simple_strtoul(...): vt_bind() or vt_unbind(); the
         * store always reports success. The sim keeps the value the
         * console would then show. */
        int bind = (int)simple_strtoull(s);
        return tb_write_file(w->tb, w->path, bind ? "1\n" : "0\n", 0644) < 0 ? -EIO : 0;
}
