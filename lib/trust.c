/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <sys/stat.h>

#include "log.h"
#include "trust.h"
#include "util.h"

static bool owner_ok(uid_t uid) { return uid == 0 || uid == geteuid(); }

static int check_dir_stat(const char *path, const struct stat *st, bool final) {
        if (!S_ISDIR(st->st_mode))
                return log_fail(-ENOTDIR, "state path %s is not a directory; remove it or set state_dir in gpuhook.conf", path);
        if (!owner_ok(st->st_uid))
                return log_fail(-EPERM, "state directory %s is owned by uid %u, not root: gpuhook does not act on state another user controls; `chown root: %s` (or remove it) and try again",
                                path, (unsigned)st->st_uid, path);
        bool sticky_shared = !final && st->st_uid == 0 && (st->st_mode & S_ISVTX);
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky_shared)
                return log_fail(-EPERM, "state directory %s is writable by %s (mode %04o): gpuhook does not act on state others can change; `chmod go-w %s` and try again",
                                path, st->st_mode & S_IWOTH ? "everyone" : "its group", (unsigned)(st->st_mode & 07777), path);
        return 0;
}

int trust_dir(const char *dir) {
        struct stat st;
        if (lstat(dir, &st) < 0)
                return log_fail(-errno, "cannot check state directory %s: %m", dir);
        return check_dir_stat(dir, &st, true);
}

int trust_dir_chain(const char *dir) {
        char real[PATH_MAX];
        struct stat st;
        int r;

        if (!realpath(dir, real))
                return log_fail(-errno, "cannot resolve state directory %s: %m; check state_dir in gpuhook.conf", dir);
        /* Walk "/", "/run", "/run/gpuhook": each must be trusted. */
        for (char *p = real;; p++) {
                bool end = *p == 0;
                if (*p == '/' || end) {
                        char saved = *p;
                        const char *prefix = p == real ? "/" : real;
                        if (p != real)
                                *p = 0;
                        if (lstat(prefix, &st) < 0)
                                r = log_fail(-errno, "cannot check state directory %s: %m", prefix);
                        else
                                r = check_dir_stat(prefix, &st, end);
                        *p = saved;
                        if (r < 0)
                                return r;
                }
                if (end)
                        break;
        }
        return 0;
}

int trust_fd(int fd, const char *path, const char *what) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return log_fail(-errno, "cannot check %s %s: %m", what, path);
        if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
                return log_fail(-EPERM, "%s %s is not a plain file with one link: gpuhook does not act on it; inspect and remove it, then run `gpuhookctl reconcile`",
                                what, path);
        if (!owner_ok(st.st_uid))
                return log_fail(-EPERM, "%s %s is owned by uid %u, not root: gpuhook did not write it and does not act on it; inspect and remove it, then run `gpuhookctl reconcile`",
                                what, path, (unsigned)st.st_uid);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return log_fail(-EPERM, "%s %s is writable by others (mode %04o): gpuhook does not act on it; inspect it, `chmod 600 %s`, then run `gpuhookctl reconcile`",
                                what, path, (unsigned)(st.st_mode & 07777), path);
        return 0;
}
