/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

int mdevctl_defined_load(const char *mdevctl, struct strset *ret) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        char *const argv[] = { (char *)mdevctl, (char *)"list", (char *)"--defined", NULL };
        int r = spawn_run(argv, MDEVCTL_TIMEOUT_MS, &out, &err);
        if (r != 0)
                return log_fail(r < 0 ? r : -EIO, "`mdevctl list --defined` failed: %s; check that mdevctl works",
                                r < 0 ? strerror(-r) : first_line(err));
        /* One definition per line, the UUID first; anything else is not ours to parse. */
        for (char *line = out, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                while (*line == ' ')
                        line++;
                if (strlen(line) >= UUID_STRING_LEN) {
                        char uuid[UUID_STRING_LEN + 1], canon[UUID_STRING_LEN + 1];
                        memcpy(uuid, line, UUID_STRING_LEN);
                        uuid[UUID_STRING_LEN] = 0;
                        if (uuid_normalize(uuid, canon) == 0 && (r = strset_add(ret, canon)) < 0)
                                return r;
                }
        }
        return 0;
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
