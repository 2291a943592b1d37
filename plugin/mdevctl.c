/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "mdevctl.h"
#include "spawn.h"
#include "validate.h"

#define MDEVCTL_TIMEOUT_MS 30000

int mdevctl_resolve(const char *configured, char **ret) {
        if (configured && configured[0] != '/')
                return log_fail(-EINVAL, "mdevctl = %s in gpuhook.conf is not an absolute path; set the full path (e.g. %s)",
                                configured, GPUHOOK_MDEVCTL_PATH);
        /* Never through PATH: the gpuhook.conf key, else the path fixed at build time. */
        char *p = configured ? strdup(configured) : find_program("mdevctl");
        if (!p)
                return log_fail(-ENOENT, "mdevctl is not installed (no %s); install the mdevctl package (apt-get install mdevctl) or set its path as mdevctl in gpuhook.conf",
                                GPUHOOK_MDEVCTL_PATH);
        if (access(p, X_OK) < 0) {
                int r = -errno;
                log_fail(r, "mdevctl at %s cannot be run: %s; fix the mdevctl path in gpuhook.conf", p, strerror(-r));
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

static int run(char *const argv[], const char **ret_error) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        int r = spawn_run(argv, MDEVCTL_TIMEOUT_MS, &out, &err);
        if (r == 0)
                return 0;
        if (r == -ETIMEDOUT)
                *ret_error = "mdevctl did not finish within 30s";
        else if (r < 0)
                *ret_error = strerror(-r);
        else
                *ret_error = *first_line(err) ? first_line(err) : "mdevctl failed without a message";
        log_debug("%s %s %s: %s", argv[0], argv[1], argv[2] ? argv[2] : "", *ret_error);
        return r < 0 ? r : -EIO;
}

/* mdevctl's layout (src/environment.rs: config_base() is etc/mdevctl.d,
 * get_defined_devices() reads one JSON file per definition at
 * <config_base>/<parent>/<uuid> and skips scripts.d; callout_dirs() and
 * notification_dirs() are scripts.d/callouts|notifiers under its build-time
 * script dir, /usr/lib/mdevctl/scripts.d in 1.3+, and under etc/mdevctl.d). */
#define MDEVCTL_CONFIG_DIR "/etc/mdevctl.d"

static bool is_dir_at(int dfd, const char *name) {
        struct stat st;
        return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int defined_in(int parent_fd, struct strset *ret) {
        DIR *d = fdopendir(parent_fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                r = -errno;
                close(parent_fd);
                return r;
        }
        while (r >= 0 && (de = readdir(d))) {
                char canon[UUID_STRING_LEN + 1];
                struct stat st;
                if (uuid_normalize(de->d_name, canon) < 0 || fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                r = strset_add(ret, canon);
        }
        closedir(d);
        return r;
}

int mdevctl_defined_load(struct strset *ret) {
        _cleanup_close_ int fd = open(MDEVCTL_CONFIG_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : log_fail(-errno, "cannot read mdevctl's definitions in %s: %s; check the directory",
                                                      MDEVCTL_CONFIG_DIR, strerror(errno));
        if (!(d = fdopendir(fd)))
                return -errno;
        fd = -EBADF; /* the DIR has it */
        while (r >= 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.' || streq(de->d_name, "scripts.d") || !is_dir_at(dirfd(d), de->d_name))
                        continue;
                int pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (pfd >= 0)
                        r = defined_in(pfd, ret);
        }
        closedir(d);
        return r;
}

/* gpuhook's own callout: installed as "gpuhook", a link to gpuhook-callout. */
static bool is_gpuhook_callout(const char *dir, const char *name) {
        char path[PATH_MAX], target[PATH_MAX];
        if (!streq(name, "gpuhook"))
                return false;
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) || !realpath(path, target))
                return false;
        const char *slash = strrchr(target, '/');
        return streq(slash ? slash + 1 : target, "gpuhook-callout");
}

/* Any entry but gpuhook's own callout in DIR (a missing DIR has none;
 * one that cannot be read might: true). */
static bool others_in(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        bool other = false;
        if (!d)
                return errno != ENOENT;
        while (!other && (de = readdir(d)))
                other = de->d_name[0] != '.' && !is_gpuhook_callout(dir, de->d_name);
        closedir(d);
        return other;
}

bool mdevctl_others_installed(void) {
        static const char *const callout_dirs[] = { GPUHOOK_MDEVCTL_CALLOUTDIR, GPUHOOK_MDEVCTL_LIBCALLOUTDIR };
        for (size_t i = 0; i < ELEMENTSOF(callout_dirs); i++) {
                const char *slash = strrchr(callout_dirs[i], '/');
                _cleanup_free_ char *notifiers =
                        slash ? strdup_printf("%.*s/notifiers", (int)(slash - callout_dirs[i]), callout_dirs[i]) : NULL;
                if (!notifiers || others_in(callout_dirs[i]) || others_in(notifiers))
                        return true; /* when in doubt, let mdevctl run whatever is there */
        }
        return false;
}

int mdevctl_start_transient(const char *mdevctl, const char *uuid, const char *parent, const char *type,
                            const char **ret_error) {
        char *const argv[] = { (char *)mdevctl, (char *)"start", (char *)"-u", (char *)uuid, (char *)"-p",
                               (char *)parent, (char *)"-t", (char *)type, NULL };
        log_info("creating mdev %s type %s on %s", uuid, type, parent);
        return run(argv, ret_error);
}

int mdevctl_start_defined(const char *mdevctl, const char *uuid, const char **ret_error) {
        char *const argv[] = { (char *)mdevctl, (char *)"start", (char *)"-u", (char *)uuid, NULL };
        log_info("starting mdevctl-defined mdev %s", uuid);
        return run(argv, ret_error);
}

int mdevctl_stop(const char *mdevctl, const char *uuid, const char **ret_error) {
        char *const argv[] = { (char *)mdevctl, (char *)"stop", (char *)"-u", (char *)uuid, NULL };
        log_info("stopping mdev %s", uuid);
        return run(argv, ret_error);
}
