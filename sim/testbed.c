/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "sim-util.h"
#include "testbed.h"

struct testbed {
        char *root;
        size_t root_len;
};

int testbed_new(const char *root, struct testbed **ret) {
        _cleanup_free_ char *canon = realpath(root, NULL);
        if (!canon)
                return -errno;
        struct testbed *tb = calloc(1, sizeof(*tb));
        if (!tb)
                return -ENOMEM;
        tb->root_len = strlen(canon);
        tb->root = TAKE_PTR(canon);
        *ret = tb;
        return 0;
}

struct testbed *testbed_free(struct testbed *tb) {
        if (tb) {
                free(tb->root);
                free(tb);
        }
        return NULL;
}

const char *testbed_root(const struct testbed *tb) { return tb->root; }

char *tb_path(const struct testbed *tb, const char *rel) {
        return sim_strdup_printf("%s%s%s", tb->root, rel[0] == '/' ? "" : "/", rel);
}

const char *tb_relative(const struct testbed *tb, const char *host_path) {
        if (strncmp(host_path, tb->root, tb->root_len) != 0)
                return NULL;
        const char *rel = host_path + tb->root_len;
        return rel[0] == '/' ? rel : NULL;
}

bool tb_exists(const struct testbed *tb, const char *rel) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        struct stat st;
        return p && lstat(p, &st) == 0;
}

bool tb_is_dir(const struct testbed *tb, const char *rel) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        struct stat st;
        return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int tb_mkdir_p(const struct testbed *tb, const char *rel, mode_t mode) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        for (char *s = p + tb->root_len + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

static int write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

int tb_write_file(const struct testbed *tb, const char *rel, const char *data, mode_t mode) {
        return tb_write_data(tb, rel, data, strlen(data), mode);
}

int tb_write_data(const struct testbed *tb, const char *rel, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        _cleanup_free_ char *dir = tb_dirname(rel);
        _cleanup_free_ char *tmp = NULL;
        if (!p || !dir)
                return -ENOMEM;
        tmp = sim_strdup_printf("%s%s/.%s.sim-XXXXXX", tb->root, dir, tb_basename(rel));
        if (!tmp)
                return -ENOMEM;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, p) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int tb_touch(const struct testbed *tb, const char *rel, mode_t mode) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0)
                return errno == EEXIST ? 0 : -errno;
        if (fchmod(fd, mode) < 0)
                return -errno;
        return 0;
}

int tb_read_file(const struct testbed *tb, const char *rel, char **ret) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t cap = 256, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= 1 << 20)
                                return -EFBIG;
                        char *n = realloc(buf, cap * 2);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int tb_read_uint(const struct testbed *tb, const char *rel, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r = tb_read_file(tb, rel, &s);
        if (r < 0)
                return r;
        return sim_safe_atou(s, ret);
}

void tb_path_normalize(char *path) {
        /* Split on '/', drop "" and ".", pop on "..", never above the root. */
        size_t n = strlen(path);
        char *out = path;
        size_t o = 0;
        const char *s = path;
        char tmp[n + 2];
        memcpy(tmp, path, n + 1);
        s = tmp;
        out[o++] = '/';
        while (*s) {
                while (*s == '/')
                        s++;
                if (!*s)
                        break;
                const char *e = strchrnul(s, '/');
                size_t l = (size_t)(e - s);
                if (l == 1 && s[0] == '.') {
                        /* skip */
                } else if (l == 2 && s[0] == '.' && s[1] == '.') {
                        if (o > 1) {
                                o--; /* the trailing '/' */
                                while (o > 1 && out[o - 1] != '/')
                                        o--;
                        }
                } else {
                        memcpy(out + o, s, l);
                        o += l;
                        out[o++] = '/';
                }
                s = e;
        }
        if (o > 1)
                o--;
        out[o] = '\0';
}

char *tb_dirname(const char *rel) {
        const char *slash = strrchr(rel, '/');
        if (!slash || slash == rel)
                return strdup("/");
        return strndup(rel, (size_t)(slash - rel));
}

const char *tb_basename(const char *rel) {
        const char *slash = strrchr(rel, '/');
        return slash ? slash + 1 : rel;
}

char *tb_join(const char *rel, const char *name) { return sim_strdup_printf("%s/%s", rel, name); }

/* Number of leading path components A and B share ("/sys/bus" and
 * "/sys/devices/x" share 1). */
static size_t common_components(const char *a, const char *b, const char **ret_rest_b) {
        size_t k = 0;
        *ret_rest_b = b;
        for (;;) {
                while (*a == '/')
                        a++;
                while (*b == '/')
                        b++;
                if (!*a || !*b)
                        return k;
                size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
                if (la != lb || strncmp(a, b, la) != 0)
                        return k;
                a += la;
                b += lb;
                k++;
                *ret_rest_b = b;
        }
}

static size_t count_components(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                if (*s != '/' && (s[1] == '/' || s[1] == '\0'))
                        n++;
        return n;
}

int tb_symlink(const struct testbed *tb, const char *link, const char *target) {
        _cleanup_free_ char *dir = tb_dirname(link);
        _cleanup_free_ char *p = tb_path(tb, link);
        if (!dir || !p)
                return -ENOMEM;
        const char *rest;
        size_t k = common_components(dir, target, &rest);
        size_t ups = count_components(dir) - k;
        while (*rest == '/')
                rest++;
        size_t rl = strlen(rest);
        _cleanup_free_ char *rel = malloc(ups * 3 + rl + 2);
        if (!rel)
                return -ENOMEM;
        char *o = rel;
        for (size_t i = 0; i < ups; i++) {
                memcpy(o, "../", 3);
                o += 3;
        }
        if (rl == 0 && o == rel)
                *o++ = '.';
        else if (rl == 0)
                o--; /* drop the last '/' */
        memcpy(o, rest, rl + 1);
        if (symlink(rel, p) < 0) {
                if (errno != EEXIST)
                        return -errno;
                if (unlink(p) < 0 || symlink(rel, p) < 0)
                        return -errno;
        }
        return 0;
}

int tb_readlink(const struct testbed *tb, const char *link, char **ret) {
        _cleanup_free_ char *p = tb_path(tb, link);
        if (!p)
                return -ENOMEM;
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        char *res;
        if (buf[0] == '/') {
                const char *rel = tb_relative(tb, buf);
                res = strdup(rel ? rel : buf);
        } else {
                _cleanup_free_ char *dir = tb_dirname(link);
                res = dir ? tb_join(dir, buf) : NULL;
        }
        if (!res)
                return -ENOMEM;
        tb_path_normalize(res);
        *ret = res;
        return 0;
}

int tb_unlink(const struct testbed *tb, const char *rel) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        if (unlink(p) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int rm_rf_at(int dfd, const char *name) {
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                int k = rm_rf_at(dirfd(d), de->d_name);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int tb_rm_rf(const struct testbed *tb, const char *rel) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        return rm_rf_at(AT_FDCWD, p);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void tb_strv_free(char **v) {
        if (!v)
                return;
        for (char **s = v; *s; s++)
                free(*s);
        free(v);
}

int tb_list_dir(const struct testbed *tb, const char *rel, char ***ret, size_t *ret_n) {
        _cleanup_free_ char *p = tb_path(tb, rel);
        if (!p)
                return -ENOMEM;
        DIR *d = opendir(p);
        if (!d)
                return -errno;
        size_t n = 0, cap = 8;
        char **v = calloc(cap, sizeof(char *));
        int r = v ? 0 : -ENOMEM;
        struct dirent *de;
        while (r == 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n + 1 >= cap) {
                        char **nv = realloc(v, cap * 2 * sizeof(char *));
                        if (!nv) {
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap *= 2;
                }
                if (!(v[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                v[++n] = NULL;
        }
        closedir(d);
        if (r < 0) {
                tb_strv_free(v);
                return r;
        }
        qsort(v, n, sizeof(char *), cmp_str);
        *ret = v;
        if (ret_n)
                *ret_n = n;
        return 0;
}

int tb_fresh_iommu_group(const struct testbed *tb, unsigned *ret) {
        char **v = NULL;
        int r = tb_list_dir(tb, "/sys/kernel/iommu_groups", &v, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        unsigned max = 0;
        bool any = false;
        for (char **s = v; s && *s; s++) {
                unsigned u;
                if (sim_safe_atou(*s, &u) >= 0 && (!any || u > max)) {
                        max = u;
                        any = true;
                }
        }
        tb_strv_free(v);
        *ret = any ? max + 1 : 0;
        return 0;
}

int tb_lock(const struct testbed *tb) {
        _cleanup_free_ char *p = tb_path(tb, "/.sim/lock");
        if (!p)
                return -ENOMEM;
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
        }
        return fd;
}

void tb_unlock(int fd) {
        if (fd < 0)
                return;
        /* Explicitly: a forked child of the shim (shim.c, run_handlers())
         * shares the open file, whose lock a close() alone would keep. */
        (void)flock(fd, LOCK_UN);
        close(fd);
}

static void escape_into(char **o, const unsigned char *s, size_t len, bool quote_space) {
        static const char hex[] = "0123456789abcdef";
        char *p = *o;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = s[i];
                switch (c) {
                case '\n': *p++ = '\\'; *p++ = 'n'; break;
                case '\t': *p++ = '\\'; *p++ = 't'; break;
                case '\r': *p++ = '\\'; *p++ = 'r'; break;
                case '\\': *p++ = '\\'; *p++ = '\\'; break;
                case '"': *p++ = '\\'; *p++ = '"'; break;
                default:
                        if (c < 0x20 || c >= 0x7f || (quote_space && c == ' ')) {
                                *p++ = '\\';
                                *p++ = 'x';
                                *p++ = hex[c >> 4];
                                *p++ = hex[c & 15];
                        } else
                                *p++ = (char)c;
                }
        }
        *o = p;
}

int tb_log_write(const struct testbed *tb, pid_t pid, const char *rel,
                 const void *buf, size_t len, int err) {
        return tb_log_write_result(tb, pid, rel, buf, len, err == 0 ? "0" : sim_errno_name(err));
}

int tb_log_write_result(const struct testbed *tb, pid_t pid, const char *rel,
                        const void *buf, size_t len, const char *result) {
        _cleanup_free_ char *p = tb_path(tb, "/.sim/writes.log");
        size_t rl = strlen(rel);
        _cleanup_free_ char *line = malloc(64 + rl * 4 + len * 4 + strlen(result));
        if (!p || !line)
                return -ENOMEM;
        char *o = line + sprintf(line, "%d ", (int)pid);
        escape_into(&o, (const unsigned char *)rel, rl, true);
        *o++ = ' ';
        *o++ = '"';
        escape_into(&o, buf, len, false);
        *o++ = '"';
        o += sprintf(o, " %s\n", result);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        return write_all(fd, line, (size_t)(o - line));
}
