/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "sim-util.h"

char *sim_strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static const struct {
        int err;
        const char *name;
} errno_names[] = {
        { EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { EIO, "EIO" },       { ENXIO, "ENXIO" },
        { E2BIG, "E2BIG" },   { EBADF, "EBADF" },   { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
        { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },
        { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
        { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { EFBIG, "EFBIG" },   { ENOSPC, "ENOSPC" },
        { EROFS, "EROFS" },   { ERANGE, "ERANGE" }, { EDEADLK, "EDEADLK" }, { ENAMETOOLONG, "ENAMETOOLONG" },
        { ENOSYS, "ENOSYS" }, { ENOTSUP, "EOPNOTSUPP" }, { EUSERS, "EUSERS" }, { EDQUOT, "EDQUOT" },
        { ETIMEDOUT, "ETIMEDOUT" }, { EALREADY, "EALREADY" }, { EINPROGRESS, "EINPROGRESS" },
        { ENOTEMPTY, "ENOTEMPTY" }, { EOVERFLOW, "EOVERFLOW" }, { EINTR, "EINTR" }, { ESRCH, "ESRCH" },
        { ENOTBLK, "ENOTBLK" }, { EXDEV, "EXDEV" }, { ENOTTY, "ENOTTY" }, { ETXTBSY, "ETXTBSY" },
        { ESPIPE, "ESPIPE" }, { EMLINK, "EMLINK" }, { EPIPE, "EPIPE" }, { EDOM, "EDOM" },
        { ENODATA, "ENODATA" }, { ENOLINK, "ENOLINK" }, { EPROTO, "EPROTO" }, { EBADMSG, "EBADMSG" },
        { EREMOTEIO, "EREMOTEIO" }, { ECANCELED, "ECANCELED" }, { ENOMEDIUM, "ENOMEDIUM" },
        { EADDRINUSE, "EADDRINUSE" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
};

const char *sim_errno_name(int err) {
        static __thread char buf[16];
        if (err < 0)
                err = -err;
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (errno_names[i].err == err)
                        return errno_names[i].name;
        snprintf(buf, sizeof(buf), "E%d", err);
        return buf;
}

int sim_errno_from_name(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (strcasecmp(errno_names[i].name, name) == 0)
                        return errno_names[i].err;
        unsigned u;
        if (sim_safe_atou(name, &u) >= 0 && u > 0 && u < 4096)
                return (int)u;
        return -EINVAL;
}

int sim_safe_atou(const char *s, unsigned *ret) {
        if (!s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno != 0 || v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

bool sim_uuid_valid(const char *s, size_t len) {
        if (len != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char)s[i]))
                        return false;
        }
        return true;
}

bool sim_driver_name_ok(const char *s) {
        if (!*s || strlen(s) > 64 || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c <= ' ' || *c >= 0x7f)
                        return false;
        return true;
}

int sim_next_setting(char **save, char **ret_key, char **ret_value) {
        char *kv = strtok_r(NULL, " ", save);
        if (!kv)
                return 0;
        char *eq = strchr(kv, '=');
        if (!eq)
                return -EBADMSG;
        *eq = '\0';
        *ret_key = kv;
        *ret_value = eq + 1;
        return 1;
}
