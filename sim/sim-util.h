/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers for the simulated host. Copied from lib/util.h (header-only
 * parts) so that sim/ builds without lib/ and the shim stays libc-only. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -EBADF; _fd; })

static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* asprintf that returns NULL on failure. */
char *sim_strdup_printf(const char *fmt, ...) _printf_(1, 2);

/* errno <-> "EUSERS" names, for the settings and the writes log. */
const char *sim_errno_name(int err);
int sim_errno_from_name(const char *name); /* -EINVAL if unknown */

/* Whole-string unsigned parser (decimal), no sign, range checked. */
int sim_safe_atou(const char *s, unsigned *ret);

/* Lower-case canonical UUID check: 8-4-4-4-12 hex digits. */
bool sim_uuid_valid(const char *s, size_t len);
