/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "util.h"

int safe_atou64(const char *s, uint64_t *ret) {
        char *end = NULL;
        unsigned long long v;

        if (isempty(s) || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        uint64_t v;
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int safe_atoi(const char *s, int *ret) {
        char *end = NULL;
        long v;

        /* strtol would skip leading blanks and take a '+': not here. */
        if (isempty(s) || !(*s == '-' || (*s >= '0' && *s <= '9')) || (*s == '-' && !(s[1] >= '0' && s[1] <= '9')))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno)
                return -errno;
        if (*end || end == s)
                return -EINVAL;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *ret = (int)v;
        return 0;
}

char *strstrip_end(char *s) {
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                s[--n] = 0;
        return s;
}

int read_fd_limited(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        bool too_big = false;

        for (;;) {
                if (len + 4096 + 1 > cap) {
                        size_t ncap = cap ? cap * 2 : 8192;
                        char *n = realloc(buf, ncap);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                if (too_big)
                        continue; /* drain so the writer sees no EPIPE */
                len += (size_t)k;
                if (len > max) {
                        too_big = true;
                        len = 0;
                }
        }
        if (too_big)
                return -EFBIG;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_text_file(const char *path, size_t max, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char *buf = NULL;
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        r = read_fd_limited(fd, max, &buf, &len);
        if (r < 0)
                return r;
        strstrip_end(buf);
        *ret = buf;
        return 0;
}

int read_uint_file(const char *path, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_text_file(path, 64, &s);
        if (r < 0)
                return r;
        return safe_atou(s, ret);
}

int read_int_file(const char *path, int *ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_text_file(path, 64, &s);
        if (r < 0)
                return r;
        return safe_atoi(s, ret);
}

int write_text_file(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        size_t len = strlen(text);
        ssize_t k;

        if (fd < 0)
                return -errno;
        do
                k = write(fd, text, len);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        if ((size_t)k != len)
                return -EIO;
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        const char *slash = strrchr(path, '/');
        const char *p = data;
        int r;

        dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
        if (!dir)
                return -ENOMEM;
        if (isempty(dir)) {
                free(dir);
                dir = strdup("/");
                if (!dir)
                        return -ENOMEM;
        }
        tmp = strdup_printf("%s.tmp.%ld", path, (long)getpid());
        if (!tmp)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += k;
                len -= (size_t)k;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void)fsync(dfd);
        return 0;
fail:
        (void)unlink(tmp);
        return r;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t)(usec / 1000000ULL), .tv_nsec = (long)(usec % 1000000ULL) * 1000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int strbuf_appendf(struct strbuf *sb, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if (sb->len + (size_t)n + 1 > sb->cap) {
                size_t ncap = sb->cap ? sb->cap : 128;
                while (sb->len + (size_t)n + 1 > ncap)
                        ncap *= 2;
                char *b = realloc(sb->buf, ncap);
                if (!b)
                        return -ENOMEM;
                sb->buf = b;
                sb->cap = ncap;
        }
        va_start(ap, fmt);
        vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
        sb->len += (size_t)n;
        return 0;
}

void strbuf_free(struct strbuf *sb) {
        free(sb->buf);
        *sb = (struct strbuf){ 0 };
}

const char *test_getenv(const char *name) {
#if GPUHOOK_TEST_HOOKS
        return getenv(name);
#else
        (void)name;
        return NULL;
#endif
}
