/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libgpuhook-sim-shim.so: LD_PRELOADed before libumockdev-preload.so.0 into
 * every process of the simulated host. umockdev's preload has already
 * redirected the open() of /sys/... into $UMOCKDEV_DIR/sys/...; this shim gives
 * write(2) on such files the kernel's effects and errnos, synchronously, under
 * the testbed lock, and logs every write to .sim/writes.log.
 *
 * Intercepted: write, writev, pwrite, pwrite64, and stdio streams that reach
 * a testbed sysfs file through fopen()/fopen64() or as the inherited stdout
 * (`/usr/bin/printf X > /sys/...`): those are re-opened as fopencookie()
 * streams that write through write(). Other stdio streams (e.g. bash's builtin
 * echo after a redirection) use glibc's internal write and bypass the shim.
 *
 * Also intercepted: open/open64/openat/openat64/creat/creat64 and fopen with
 * O_CREAT for a file that does not exist under the testbed's /sys: EACCES,
 * as sysfs has no file creation (a typo'd attribute must not become a file).
 *
 * And open/open64/openat/openat64/fopen/fopen64 of an absolute "/dev/..."
 * path that exists in the testbed: opened here, directly. umockdev's preload
 * would connect such an fd to the testbed's ioctl socket, served by the
 * process that made the testbed, long gone: it exits the program ("Failed to
 * connect to ioctl socket"). Opened here, the node is a plain file (ioctls
 * fail with ENOTTY); stat() still shows the char device. */

/* Both pwrite/pwrite64 and fopen/fopen64 are defined here; with 64-bit
 * off_t the headers would alias one to the other. */
#undef _FILE_OFFSET_BITS
#define _LARGEFILE64_SOURCE 1

#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "driver.h"
#include "shim.h"
#include "sim-util.h"
#include "testbed.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* One handler per attribute file name; several may share a name (the mdev
 * "remove" vs. a PCI device's "remove", the driver core's "bind" vs. a
 * vtconsole's): the first that does not pass wins. Later: sriov_numvfs,
 * current_vgpu_type, each in its own shim-*.c. */
static const struct {
        const char *name;
        shim_handler_fn fn;
} handlers[] = {
        { "create", shim_mdev_create },
        { "remove", shim_mdev_remove },
        { "driver_override", shim_driver_override },
        { "bind", shim_driver_bind },
        { "bind", shim_vtcon_bind },
        { "unbind", shim_driver_unbind },
        { "drivers_probe", shim_drivers_probe },
        { "new_id", shim_pci_new_id },
        { "remove_id", shim_pci_remove_id },
        { ".gpuhook-sim-control", shim_control },
        { "sriov_numvfs", shim_sriov_numvfs },
        { "sriov_drivers_autoprobe", shim_sriov_drivers_autoprobe },
        { "current_vgpu_type", shim_nvidia_current_vgpu_type },
        { "vgpu_params", shim_nvidia_vgpu_params },
        { "assign_adapter", shim_s390_assign_adapter },
        { "assign_domain", shim_s390_assign_domain },
        { "assign_control_domain", shim_s390_assign_control_domain },
        { "unassign_adapter", shim_s390_unassign_adapter },
        { "unassign_domain", shim_s390_unassign_domain },
        { "unassign_control_domain", shim_s390_unassign_control_domain },
        { "apmask", shim_s390_apmask },
        { "aqmask", shim_s390_aqmask },
};

static __thread int shim_busy; /* re-entrancy: the shim's own file I/O */

static void *next_fn(const char *name) { return dlsym(RTLD_NEXT, name); }

static ssize_t real_write(int fd, const void *buf, size_t n) {
        static ssize_t (*fn)(int, const void *, size_t);
        if (!fn)
                fn = (ssize_t(*)(int, const void *, size_t))next_fn("write");
        return fn ? fn(fd, buf, n) : syscall(SYS_write, fd, buf, n);
}

static ssize_t real_writev(int fd, const struct iovec *iov, int cnt) {
        static ssize_t (*fn)(int, const struct iovec *, int);
        if (!fn)
                fn = (ssize_t(*)(int, const struct iovec *, int))next_fn("writev");
        return fn ? fn(fd, iov, cnt) : syscall(SYS_writev, fd, iov, cnt);
}

static ssize_t real_pwrite(int fd, const void *buf, size_t n, off_t off) {
        static ssize_t (*fn)(int, const void *, size_t, off_t);
        if (!fn)
                fn = (ssize_t(*)(int, const void *, size_t, off_t))next_fn("pwrite64");
        return fn ? fn(fd, buf, n, off) : syscall(SYS_pwrite64, fd, buf, n, off);
}

/* The testbed of $UMOCKDEV_DIR, cached per value of the variable. Replaced
 * testbeds are leaked on purpose: another thread may still use them. */
static const struct testbed *shim_testbed(void) {
        static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
        static char *cached_env;
        static struct testbed *cached;
        const char *env = getenv("UMOCKDEV_DIR");
        if (!env || !*env)
                return NULL;
        pthread_mutex_lock(&mutex);
        if (!cached_env || !streq(cached_env, env)) {
                struct testbed *tb = NULL;
                char *e = strdup(env);
                if (e && testbed_new(env, &tb) < 0)
                        tb = NULL;
                if (e) {
                        free(cached_env);
                        cached_env = e;
                        cached = tb;
                }
        }
        const struct testbed *tb = cached;
        pthread_mutex_unlock(&mutex);
        return tb;
}

/* Testbed-relative path of FD if it is a file under the testbed's /sys. */
static const char *fd_sys_path(const struct testbed *tb, int fd, char *buf, size_t size) {
        char proc[40];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        long n = syscall(SYS_readlinkat, AT_FDCWD, proc, buf, size - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        const char *rel = tb_relative(tb, buf);
        return rel && startswith(rel, "/sys/") ? rel : NULL;
}

int shim_wait_unlocked(const struct shim_write *w, unsigned long long deadline) {
        (void)tb_log_write_result(w->tb, getpid(), w->path, w->buf, w->len, "BLOCKED");
        tb_unlock(*w->lock);
        *w->lock = -1;
        for (unsigned long long now; (now = sim_now_usec()) < deadline;) {
                unsigned long long left = deadline - now;
                struct timespec ts = { .tv_sec = (time_t)(left / 1000000ULL),
                                       .tv_nsec = (long)(left % 1000000ULL) * 1000L };
                (void)nanosleep(&ts, NULL); /* EINTR: go on sleeping, as in D state */
        }
        int fd = tb_lock(w->tb);
        if (fd < 0)
                return -EIO;
        *w->lock = fd;
        return 0;
}

int shim_write_string(const struct shim_write *w, char *buf, size_t size) {
        size_t len = w->len;
        if (len > 0 && w->buf[len - 1] == '\n')
                len--;
        if (len == 0 || len >= size)
                return -EINVAL;
        memcpy(buf, w->buf, len);
        buf[len] = '\0';
        return 0;
}

int shim_parse_kstrtoul(const struct shim_write *w, unsigned long max, unsigned long *ret) {
        char tmp[32];
        int r = shim_write_string(w, tmp, sizeof(tmp));
        if (r < 0)
                return r;
        const char *s = tmp[0] == '+' ? tmp + 1 : tmp;
        if (!isdigit((unsigned char)s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        if (*end != '\0')
                return -EINVAL;
        if (errno != 0 || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int shim_state_load(const struct testbed *tb, struct sim_state **ret) {
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        int r = sim_state_load(tb, &st);
        if (r < 0)
                return r;
        r = sim_busy_settle(tb, st);
        if (r > 0)
                r = sim_state_save(tb, st);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(st);
        return 0;
}

enum write_kind { WRITE_PLAIN, WRITE_POSITIONAL };

static ssize_t real_write_kind(int fd, const void *buf, size_t n, enum write_kind kind, off_t off) {
        return kind == WRITE_POSITIONAL ? real_pwrite(fd, buf, n, off) : real_write(fd, buf, n);
}

static int run_handlers_here(struct shim_write *w, const char *name) {
        int r = SHIM_PASS;
        for (size_t i = 0; r == SHIM_PASS && i < ELEMENTSOF(handlers); i++)
                if (streq(handlers[i].name, name))
                        r = handlers[i].fn(w);
        return r;
}

/* A write(2) to sysfs runs to its end in the kernel even when the writer is
 * SIGKILLed meanwhile (the signal acts on the return to user space): no
 * kernel shows half a device. So the handlers run in a child that finishes
 * them whatever happens to the writer, which waits for its answer. The child
 * shares the writer's testbed lock (one open file) and its process group. */
static int run_handlers(struct shim_write *w, const char *name) {
        bool handled = false;
        for (size_t i = 0; !handled && i < ELEMENTSOF(handlers); i++)
                handled = streq(handlers[i].name, name);
        if (!handled)
                return SHIM_PASS;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return run_handlers_here(w, name);
        pid_t pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return run_handlers_here(w, name);
        }
        if (pid == 0) {
                /* Only the lock and the answer: a writer's pipes must reach
                 * EOF when the writer dies, whatever the child still does. */
                int keep_lo = p[1] < *w->lock ? p[1] : *w->lock, keep_hi = p[1] < *w->lock ? *w->lock : p[1];
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                for (int fd = 0; fd <= 2; fd++)
                        if (null >= 0 && fd != keep_lo && fd != keep_hi)
                                (void)dup2(null, fd);
                (void)close_range(3, keep_lo - 1, 0);
                (void)close_range(keep_lo + 1, keep_hi - 1, 0);
                (void)close_range(keep_hi + 1, ~0U, 0);
                int r = run_handlers_here(w, name);
                _exit(real_write(p[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
        }
        close(p[1]);
        int r = -EIO;
        ssize_t k;
        while ((k = read(p[0], &r, sizeof(r))) < 0 && errno == EINTR)
                ;
        if (k != (ssize_t)sizeof(r))
                r = -EIO;
        close(p[0]);
        /* A SIGCHLD handler of the writer may reap it first: the answer came
         * through the pipe. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        /* The child may have let go of the shared lock while it waited
         * (shim_wait_unlocked()): hold it again for the log and the rest. */
        while (flock(*w->lock, LOCK_EX) < 0 && errno == EINTR)
                ;
        return r;
}

/* Run the handlers for a write to REL, or the real write; log; set errno. */
static ssize_t sys_write(const struct testbed *tb, const char *rel, int fd, const void *buf,
                         size_t n, enum write_kind kind, off_t off, int saved_errno) {
        ssize_t res;
        int err = 0;
        int lock = tb_lock(tb);
        if (lock < 0) {
                errno = EIO;
                return -1;
        }
        const char *name = tb_basename(rel);
        struct shim_write w = { .tb = tb, .path = rel, .buf = buf, .len = n, .lock = &lock };
        int r = run_handlers(&w, name);
        if (r == SHIM_PASS) {
                /* A store replaces the attribute's value (opens do not
                 * truncate, see sys_trunc_ignored()). */
                if (ftruncate(fd, 0) == 0 && kind == WRITE_PLAIN)
                        (void)lseek(fd, 0, SEEK_SET);
                errno = saved_errno;
                res = real_write_kind(fd, buf, n, kind, kind == WRITE_POSITIONAL ? 0 : off);
                err = res < 0 ? errno : 0;
        } else if (r < 0) {
                res = -1;
                err = -r;
        } else if (r == 0) {
                res = (ssize_t)n;
        } else {
                res = -1;
                err = EIO;
        }
        (void)tb_log_write(tb, getpid(), rel, buf, n, err);
        tb_unlock(lock);
        errno = res < 0 ? err : saved_errno;
        return res;
}

/* write(2) and pwrite(2): to a testbed sysfs file through the handlers. */
static ssize_t intercept_write(int fd, const void *buf, size_t n, enum write_kind kind, off_t off) {
        if (shim_busy)
                return real_write_kind(fd, buf, n, kind, off);
        int saved = errno;
        shim_busy++;
        char path[PATH_MAX];
        const struct testbed *tb = shim_testbed();
        const char *rel = tb ? fd_sys_path(tb, fd, path, sizeof(path)) : NULL;
        ssize_t res;
        if (rel)
                res = sys_write(tb, rel, fd, buf, n, kind, off, saved);
        else {
                errno = saved;
                res = real_write_kind(fd, buf, n, kind, off);
        }
        shim_busy--;
        return res;
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n) { return intercept_write(fd, buf, n, WRITE_PLAIN, 0); }

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
        return intercept_write(fd, buf, n, WRITE_POSITIONAL, off);
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
        return intercept_write(fd, buf, n, WRITE_POSITIONAL, off);
}

/* sysfs stores see one buffer: gather the vector. */
SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt) {
        if (shim_busy)
                return real_writev(fd, iov, cnt);
        int saved = errno;
        shim_busy++;
        char path[PATH_MAX];
        const struct testbed *tb = shim_testbed();
        const char *rel = tb ? fd_sys_path(tb, fd, path, sizeof(path)) : NULL;
        ssize_t res;
        if (!rel) {
                errno = saved;
                res = real_writev(fd, iov, cnt);
        } else {
                size_t total = 0;
                for (int i = 0; i < cnt; i++)
                        total += iov[i].iov_len;
                char *buf = malloc(total ? total : 1);
                if (!buf) {
                        errno = EIO;
                        res = -1;
                } else {
                        size_t o = 0;
                        for (int i = 0; i < cnt; i++) {
                                memcpy(buf + o, iov[i].iov_base, iov[i].iov_len);
                                o += iov[i].iov_len;
                        }
                        res = sys_write(tb, rel, fd, buf, total, WRITE_PLAIN, 0, saved);
                        int e = errno;
                        free(buf);
                        errno = e;
                }
        }
        shim_busy--;
        return res;
}

/* PATH (relative to DIRFD), either as "/sys/..." (umockdev redirects it) or
 * already as "<testbed>/sys/...": under the testbed's /sys? *EXISTS: whether
 * the file exists there. */
static bool sys_file_lookup(int dirfd, const char *path, bool *exists) {
        if (!path || shim_busy)
                return false;
        int saved = errno;
        bool under = false;
        shim_busy++;
        const struct testbed *tb = shim_testbed();
        char base[PATH_MAX], full[PATH_MAX * 2];
        const char *abs = path;
        if (tb && path[0] != '/') {
                char proc[40];
                long n = -1;
                if (dirfd == AT_FDCWD) {
                        if (getcwd(base, sizeof(base)))
                                n = (long)strlen(base);
                } else {
                        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dirfd);
                        n = syscall(SYS_readlinkat, AT_FDCWD, proc, base, sizeof(base) - 1);
                }
                if (n > 0) {
                        base[n] = '\0';
                        snprintf(full, sizeof(full), "%s/%s", base, path);
                        abs = full;
                } else
                        abs = NULL;
        }
        if (tb && abs) {
                const char *rel = tb_relative(tb, abs);
                if (!rel)
                        rel = abs;
                if (startswith(rel, "/sys/")) {
                        char *host = tb_path(tb, rel);
                        if (host) {
                                struct stat st;
                                under = true;
                                *exists = stat(host, &st) == 0 && S_ISREG(st.st_mode);
                                char *slash = strrchr(host, '/');
                                if (!*exists && access(host, F_OK) == 0)
                                        under = false; /* a directory: not ours */
                                else if (!*exists && slash && slash != host) {
                                        /* no such directory: the real open's ENOENT */
                                        *slash = '\0';
                                        if (access(host, F_OK) < 0)
                                                under = false;
                                }
                        }
                        free(host);
                }
        }
        shim_busy--;
        errno = saved;
        return under;
}

/* O_CREAT for PATH names a missing file under the testbed's /sys. */
static bool sys_create_denied(int dirfd, const char *path, bool creat) {
        bool exists = false;
        return creat && sys_file_lookup(dirfd, path, &exists) && !exists;
}

/* O_TRUNC for PATH names an existing file under the testbed's /sys: sysfs
 * ignores truncation (a store replaces the value, a rejected one leaves it;
 * sys_write() gives plain files that meaning), so it is dropped. */
static bool sys_trunc_ignored(int dirfd, const char *path, int flags) {
        bool exists = false;
        return (flags & O_TRUNC) && sys_file_lookup(dirfd, path, &exists) && exists;
}

/* The testbed's file for an absolute /dev path, if it has one: BUF. */
static bool dev_node_path(const char *path, char *buf, size_t size) {
        if (!path || shim_busy || strncmp(path, "/dev/", 5) != 0)
                return false;
        int saved = errno;
        shim_busy++;
        const struct testbed *tb = shim_testbed();
        bool r = false;
        if (tb && (size_t)snprintf(buf, size, "%s%s", testbed_root(tb), path) < size) {
                struct stat st;
                r = lstat(buf, &st) == 0 && !S_ISDIR(st.st_mode);
        }
        shim_busy--;
        errno = saved;
        return r;
}

#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE)

/* The open wrappers' own part: EACCES for a file created under the
 * testbed's /sys, the testbed's file for a /dev node. True when that
 * decided the open (*ret: the fd, or -1 with errno); false: the real one. */
static bool intercept_open(int dirfd, const char *path, int *flagsp, mode_t mode, int *ret) {
        int flags = *flagsp;
        if (sys_trunc_ignored(dirfd, path, flags))
                *flagsp = flags & ~O_TRUNC;
        if (sys_create_denied(dirfd, path, flags & O_CREAT)) {
                errno = EACCES;
                *ret = -1;
                return true;
        }
        char node[PATH_MAX];
        if (!dev_node_path(path, node, sizeof(node)))
                return false;
        *ret = (int)syscall(SYS_openat, AT_FDCWD, node, flags, mode);
        return true;
}

#define OPEN_WRAPPER(name)                                                          \
        SHIM_EXPORT int name(const char *path, int flags, ...) {                    \
                static int (*fn)(const char *, int, ...);                           \
                mode_t mode = 0;                                                    \
                if (NEEDS_MODE(flags)) {                                            \
                        va_list ap;                                                 \
                        va_start(ap, flags);                                        \
                        mode = va_arg(ap, mode_t);                                  \
                        va_end(ap);                                                 \
                }                                                                   \
                int fd;                                                             \
                if (intercept_open(AT_FDCWD, path, &flags, mode, &fd))               \
                        return fd;                                                  \
                if (!fn)                                                            \
                        fn = (int (*)(const char *, int, ...))next_fn(#name);      \
                if (!fn) {                                                          \
                        errno = ENOSYS;                                             \
                        return -1;                                                  \
                }                                                                   \
                return fn(path, flags, mode);                                       \
        }

#define OPENAT_WRAPPER(name)                                                        \
        SHIM_EXPORT int name(int dirfd, const char *path, int flags, ...) {         \
                static int (*fn)(int, const char *, int, ...);                      \
                mode_t mode = 0;                                                    \
                if (NEEDS_MODE(flags)) {                                            \
                        va_list ap;                                                 \
                        va_start(ap, flags);                                        \
                        mode = va_arg(ap, mode_t);                                  \
                        va_end(ap);                                                 \
                }                                                                   \
                int fd;                                                             \
                if (intercept_open(dirfd, path, &flags, mode, &fd))                  \
                        return fd;                                                  \
                if (!fn)                                                            \
                        fn = (int (*)(int, const char *, int, ...))next_fn(#name); \
                if (!fn) {                                                          \
                        errno = ENOSYS;                                             \
                        return -1;                                                  \
                }                                                                   \
                return fn(dirfd, path, flags, mode);                                \
        }

#define CREAT_WRAPPER(name)                                                \
        SHIM_EXPORT int name(const char *path, mode_t mode) {              \
                static int (*fn)(const char *, mode_t);                    \
                if (sys_create_denied(AT_FDCWD, path, true)) {             \
                        errno = EACCES;                                    \
                        return -1;                                         \
                }                                                          \
                if (!fn)                                                   \
                        fn = (int (*)(const char *, mode_t))next_fn(#name); \
                if (!fn) {                                                 \
                        errno = ENOSYS;                                    \
                        return -1;                                         \
                }                                                          \
                return fn(path, mode);                                     \
        }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)
CREAT_WRAPPER(creat)
CREAT_WRAPPER(creat64)

/* stdio streams on testbed sysfs files: fopencookie() over the fd, so that
 * flushes go through write() above. */
static ssize_t cookie_read(void *c, char *buf, size_t n) { return read(*(int *)c, buf, n); }

static ssize_t cookie_write(void *c, const char *buf, size_t n) {
        ssize_t r = write(*(int *)c, buf, n);
        return r < 0 ? -1 : r;
}

static int cookie_seek(void *c, off64_t *off, int whence) {
        off_t r = lseek(*(int *)c, (off_t)*off, whence);
        if (r < 0)
                return -1;
        *off = r;
        return 0;
}

static int cookie_close(void *c) {
        int fd = *(int *)c;
        free(c);
        return close(fd);
}

static FILE *cookie_stream(int fd, const char *mode) {
        int *c = malloc(sizeof(int));
        if (!c)
                return NULL;
        *c = fd;
        FILE *f = fopencookie(c, mode, (cookie_io_functions_t){
                                               .read = cookie_read,
                                               .write = cookie_write,
                                               .seek = cookie_seek,
                                               .close = cookie_close,
                                       });
        if (!f)
                free(c);
        return f;
}

static FILE *maybe_wrap(FILE *f, const char *mode) {
        if (!f || shim_busy || !strpbrk(mode, "wa+"))
                return f;
        int saved = errno;
        char path[PATH_MAX];
        const struct testbed *tb = shim_testbed();
        if (!tb || !fd_sys_path(tb, fileno(f), path, sizeof(path))) {
                errno = saved;
                return f;
        }
        int fd = fcntl(fileno(f), strchr(mode, 'e') ? F_DUPFD_CLOEXEC : F_DUPFD, 3);
        FILE *c = fd >= 0 ? cookie_stream(fd, mode) : NULL;
        if (!c) {
                if (fd >= 0)
                        close(fd);
                errno = saved;
                return f; /* degrade: plain stream */
        }
        fclose(f); /* nothing buffered yet */
        errno = saved;
        return c;
}

typedef FILE *(*fopen_fn)(const char *, const char *);

/* fopen() or fopen64() through FN, the real one. */
static FILE *intercept_fopen(fopen_fn fn, const char *path, const char *mode) {
        if (!fn) {
                errno = ENOSYS;
                return NULL;
        }
        if (sys_create_denied(AT_FDCWD, path, strpbrk(mode, "wa"))) {
                errno = EACCES;
                return NULL;
        }
        char node[PATH_MAX];
        if (dev_node_path(path, node, sizeof(node)))
                return fn(node, mode); /* umockdev leaves a non-/dev path alone */
        if (mode[0] == 'w' && sys_trunc_ignored(AT_FDCWD, path, O_TRUNC)) {
                /* "w" without its O_TRUNC (sysfs ignores it): open() below
                 * and umockdev's redirect it, fdopen() does not truncate. */
                int fd = open(path, (strchr(mode, '+') ? O_RDWR : O_WRONLY) | (strchr(mode, 'e') ? O_CLOEXEC : 0));
                FILE *f = fd >= 0 ? fdopen(fd, mode) : NULL;
                if (fd >= 0 && !f) {
                        int e = errno;
                        close(fd);
                        errno = e;
                }
                return maybe_wrap(f, mode);
        }
        return maybe_wrap(fn(path, mode), mode);
}

SHIM_EXPORT FILE *fopen(const char *path, const char *mode) {
        static fopen_fn fn;
        if (!fn)
                fn = (fopen_fn)next_fn("fopen");
        return intercept_fopen(fn, path, mode);
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode) {
        static fopen_fn fn;
        if (!fn)
                fn = (fopen_fn)next_fn("fopen64");
        return intercept_fopen(fn, path, mode);
}

/* `/usr/bin/printf X > /sys/...`: the inherited stdout is a testbed sysfs
 * file; give the program a stream that writes through write(). */
__attribute__((constructor)) static void shim_init(void) {
        int saved = errno;
        char path[PATH_MAX];
        /* Cheap test first: this runs in every process of the host. */
        long n = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/fd/1", path, sizeof(path) - 1);
        if (n <= 0 || (path[n] = '\0', !strstr(path, "/sys/"))) {
                errno = saved;
                return;
        }
        const struct testbed *tb = shim_testbed();
        if (tb && fd_sys_path(tb, STDOUT_FILENO, path, sizeof(path))) {
                int fl = fcntl(STDOUT_FILENO, F_GETFL);
                if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY) {
                        FILE *f = cookie_stream(STDOUT_FILENO, (fl & O_APPEND) ? "a" : "w");
                        if (f)
                                stdout = f;
                }
        }
        errno = saved;
}
