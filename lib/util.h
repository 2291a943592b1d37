/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_ __attribute__((warn_unused_result))
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

/* Hand ownership over: the cleanup attribute of the source sees NULL / -EBADF. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -EBADF; _fd; })

static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? streq(a, b) : a == b;
}
static inline bool isempty(const char *s) { return !s || !*s; }

/* Safe number parsers: whole string, no sign surprises, range checked. */
int safe_atou(const char *s, unsigned *ret);
int safe_atoi(const char *s, int *ret);
int safe_atou64(const char *s, uint64_t *ret);

/* Strip trailing whitespace/newlines in place. */
char *strstrip_end(char *s);

/* Read a small text file (sysfs attribute) into a NUL-terminated string with
 * trailing newlines removed. Returns 0 or a negative errno. */
int read_text_file(const char *path, size_t max, char **ret);
/* Read a sysfs attribute as an unsigned/int. */
int read_uint_file(const char *path, unsigned *ret);
int read_int_file(const char *path, int *ret);
/* write(2) the whole buffer to an existing file (sysfs attribute): returns
 * 0 or -errno from the kernel, which is what users need to see. */
int write_text_file(const char *path, const char *text);

/* Atomically replace PATH with DATA: temp file in the same dir, fsync,
 * rename, fsync dir. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

int mkdir_p(const char *path, mode_t mode);

/* Read all of FD up to MAX bytes. -EFBIG when larger (the rest is drained so
 * the writer does not see EPIPE). */
int read_fd_limited(int fd, size_t max, char **ret, size_t *ret_len);

/* getenv(NAME) in a test build (meson -Dtest_hooks=true), NULL in the default
 * and packaged builds. The one way product code reads GPUHOOK_* variables:
 * gpuhook runs as root from libvirt, its environment must not steer it. */
const char *test_getenv(const char *name);

/* Monotonic clock in microseconds. */
uint64_t now_usec(void);
void sleep_usec(uint64_t usec);

/* asprintf that returns NULL on failure. */
char *strdup_printf(const char *fmt, ...) _printf_(1, 2);

/* Append to a growing string buffer (for building one-line messages). */
struct strbuf {
        char *buf;
        size_t len, cap;
};
int strbuf_appendf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_free(struct strbuf *sb);
static inline const char *strbuf_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }
