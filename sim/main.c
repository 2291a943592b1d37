/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-sim --testbed DIR [--host FILE] [--] CMD [ARGS...]
 *
 * Creates (or reuses) the simulated host DIR and runs CMD inside it: a private
 * mount namespace with DIR/etc/mdevctl.d over /etc/mdevctl.d, umockdev's
 * preload plus the kernel-behaviour shim in LD_PRELOAD. See sim/README.md. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <umockdev.h>

#include "complete.h"
#include "config.h"
#include "driver.h"
#include "hostfile.h"
#include "sim-util.h"
#include "testbed.h"

#define PROG "gpuhook-sim"
#define UMOCKDEV_PRELOAD "libumockdev-preload.so.0"
#define SHIM_NAME "libgpuhook-sim-shim.so"

#define EXIT_USAGE 2

static _printf_(1, 2) int error(const char *fmt, ...) {
        va_list ap;
        fputs(PROG ": error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

static void help(void) {
        printf("Usage: " PROG " --testbed DIR [--host FILE] [--] CMD [ARGS...]\n"
               "\n"
               "Run CMD inside a simulated host. If DIR does not exist, it is created from\n"
               "FILE (umockdev-record format); an existing DIR is reused as it is.\n"
               "\n"
               "  -t, --testbed DIR   the simulated host's directory\n"
               "  -H, --host FILE     device description to create DIR from\n"
               "  -h, --help          show this help\n"
               "      --version       show the version\n");
}

static void testbed_freep(struct testbed **tb) { testbed_free(*tb); }
static void hostfile_freep(struct sim_hostfile **h) { sim_hostfile_free(*h); }

/* Load FILE with libumockdev into a fresh umockdev testbed next to DIR,
 * complete it, then rename it to DIR (the publication is atomic). umockdev's
 * finalizer removes its root dir recursively, so an empty dir is put back in
 * its place before the testbed object is released. */
static int create_testbed(const char *dir, const char *host) {
        _cleanup_(hostfile_freep) struct sim_hostfile *h = NULL;
        unsigned line = 0;
        int r = sim_hostfile_load(host, &h, &line);
        if (r < 0) {
                if (line > 0)
                        return error("%s:%u: invalid '# gpuhook-sim:' setting line", host, line);
                return error("cannot read host file '%s': %s", host, strerror(-r));
        }

        _cleanup_free_ char *copy = strdup(dir);
        if (!copy)
                return error("out of memory");
        char *slash = strrchr(copy, '/');
        const char *parent = slash == copy ? "/" : slash ? copy : ".";
        if (slash && slash != copy)
                *slash = '\0';
        _cleanup_free_ char *parent_abs = realpath(parent, NULL);
        if (!parent_abs)
                return error("cannot create testbed '%s': %s", dir, strerror(errno));

        /* umockdev makes its root with g_dir_make_tmp() under $TMPDIR: put it
         * on DIR's file system so that rename() works. */
        _cleanup_free_ char *old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
        setenv("TMPDIR", parent_abs, 1);
        UMockdevTestbed *umd = umockdev_testbed_new();
        if (old_tmpdir)
                setenv("TMPDIR", old_tmpdir, 1);
        else
                unsetenv("TMPDIR");
        unsetenv("UMOCKDEV_DIR"); /* set by the library for its own process */
        _cleanup_free_ char *root = umockdev_testbed_get_root_dir(umd);

        GError *gerr = NULL;
        int ret = EXIT_SUCCESS;
        if (!umockdev_testbed_add_from_string(umd, h->devices, &gerr)) {
                ret = error("host file '%s': %s", host, gerr ? gerr->message : "invalid");
                g_clear_error(&gerr);
        }

        _cleanup_(testbed_freep) struct testbed *tb = NULL;
        if (ret == EXIT_SUCCESS && (r = testbed_new(root, &tb)) < 0)
                ret = error("cannot open testbed '%s': %s", root, strerror(-r));
        if (ret == EXIT_SUCCESS) {
                _cleanup_free_ char *msg = NULL;
                r = sim_complete(tb, h->settings, h->n_settings, &msg);
                if (r < 0)
                        ret = error("host file '%s': %s", host, msg ? msg : strerror(-r));
        }
        if (ret == EXIT_SUCCESS && chmod(root, 0755) < 0)
                ret = error("cannot chmod '%s': %s", root, strerror(errno));
        if (ret == EXIT_SUCCESS && rename(root, dir) < 0) {
                /* Somebody else created DIR meanwhile: use theirs. */
                if (errno != EEXIST && errno != ENOTEMPTY)
                        ret = error("cannot create testbed '%s': %s", dir, strerror(errno));
        } else if (ret == EXIT_SUCCESS)
                (void)mkdir(root, 0700);
        g_object_unref(umd); /* removes ROOT: either the empty dir, or our failed attempt */
        return ret;
}

/* libumockdev (GLib) may start threads, and a threaded process cannot enter a
 * user namespace: load the host in a child. */
static int create_testbed_in_child(const char *dir, const char *host) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return error("cannot fork: %s", strerror(errno));
        if (pid == 0)
                _exit(create_testbed(dir, host));
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return error("cannot wait for the testbed creation: %s", strerror(errno));
        if (WIFSIGNALED(st))
                return error("creating testbed '%s' failed: killed by signal %d", dir, WTERMSIG(st));
        return WEXITSTATUS(st);
}

static bool file_exists(const char *p) { return p && access(p, F_OK) == 0; }

/* Finish driver removals whose hang ended while no process of the host
 * wrote to sysfs (the writer may have been killed meanwhile). */
static int settle_testbed(const struct testbed *tb) {
        int lock = tb_lock(tb);
        if (lock < 0)
                return lock;
        struct sim_state *st = NULL;
        int r = sim_state_load(tb, &st);
        if (r >= 0)
                r = sim_busy_settle(tb, st);
        if (r > 0)
                r = sim_state_save(tb, st);
        sim_state_free(st);
        tb_unlock(lock);
        return r;
}

/* DIR/.sim/bin (the modprobe stand-in) first in PATH. */
static int prepend_path(const char *root) {
        const char *old = getenv("PATH");
        _cleanup_free_ char *bin = sim_strdup_printf("%s/.sim/bin", root);
        if (!bin)
                return -ENOMEM;
        if (old && startswith(old, bin) && (old[strlen(bin)] == ':' || old[strlen(bin)] == '\0'))
                return 0;
        _cleanup_free_ char *path = sim_strdup_printf("%s:%s", bin,
                                                      old && *old ? old : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (!path)
                return -ENOMEM;
        return setenv("PATH", path, 1) < 0 ? -errno : 0;
}

/* $GPUHOOK_SIM_SHIM; else the build tree's shim when this binary runs from
 * the build tree; else the installed one; else the build tree's. */
static char *find_shim(void) {
        const char *env = getenv("GPUHOOK_SIM_SHIM");
        if (env && *env)
                return file_exists(env) ? realpath(env, NULL) : NULL;
        _cleanup_free_ char *built = sim_strdup_printf("%s/sim/" SHIM_NAME, GPUHOOK_BUILD_ROOT);
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = '\0';
                if (startswith(exe, GPUHOOK_BUILD_ROOT "/") && file_exists(built))
                        return TAKE_PTR(built);
        }
        if (file_exists(GPUHOOK_SIM_SHIM_INSTALLED))
                return strdup(GPUHOOK_SIM_SHIM_INSTALLED);
        if (file_exists(built))
                return TAKE_PTR(built);
        return NULL;
}

/* SHIM:umockdev-preload, then what LD_PRELOAD had (minus those two). */
static char *compose_preload(const char *shim) {
        const char *old = getenv("LD_PRELOAD");
        size_t cap = strlen(shim) + strlen(UMOCKDEV_PRELOAD) + (old ? strlen(old) : 0) + 3;
        char *out = malloc(cap);
        if (!out)
                return NULL;
        int o = snprintf(out, cap, "%s:%s", shim, UMOCKDEV_PRELOAD);
        _cleanup_free_ char *copy = old ? strdup(old) : NULL;
        char *save = NULL;
        for (char *e = copy ? strtok_r(copy, ": ", &save) : NULL; e; e = strtok_r(NULL, ": ", &save)) {
                if (streq(e, shim) || streq(e, UMOCKDEV_PRELOAD) || streq(e, "libumockdev-preload.so") ||
                    streq(strrchr(e, '/') ? strrchr(e, '/') + 1 : e, SHIM_NAME))
                        continue;
                o += snprintf(out + o, cap - (size_t)o, ":%s", e);
        }
        return out;
}

static int write_string(const char *path, const char *s) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = strlen(s);
        return write(fd, s, len) == (ssize_t)len ? 0 : -errno;
}

/* A private mount namespace; as non-root, inside a user namespace that maps
 * the caller to itself. */
static int enter_namespace(const char *root) {
        if (unshare(CLONE_NEWNS) < 0) {
                if (errno != EPERM)
                        return error("cannot create a mount namespace: %s", strerror(errno));
                uid_t uid = geteuid();
                gid_t gid = getegid();
                char map[64];
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        return error("cannot create a mount namespace: %s (needs root, CAP_SYS_ADMIN, "
                                     "or unprivileged user namespaces)", strerror(errno));
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
                int r = write_string("/proc/self/uid_map", map);
                if (r >= 0)
                        r = write_string("/proc/self/setgroups", "deny\n");
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
                if (r >= 0)
                        r = write_string("/proc/self/gid_map", map);
                if (r < 0)
                        return error("cannot set up the user namespace: %s", strerror(-r));
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return error("cannot make / private in the mount namespace: %s", strerror(errno));
        /* mdevctl 1.2.0 has no root override: its definitions go to the
         * testbed through a bind mount. Without /etc/mdevctl.d there is no
         * mdevctl to serve. */
        _cleanup_free_ char *src = sim_strdup_printf("%s/etc/mdevctl.d", root);
        if (!src)
                return error("out of memory");
        struct stat st;
        if (stat("/etc/mdevctl.d", &st) == 0 && S_ISDIR(st.st_mode) &&
            mount(src, "/etc/mdevctl.d", NULL, MS_BIND | MS_REC, NULL) < 0)
                return error("cannot bind-mount '%s' over /etc/mdevctl.d: %s", src, strerror(errno));
        return EXIT_SUCCESS;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "testbed", required_argument, NULL, 't' },
                { "host", required_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        const char *dir = NULL, *host = NULL;
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+t:H:h", options, NULL)) >= 0) {
                switch (c) {
                case 't':
                        dir = optarg;
                        break;
                case 'H':
                        host = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        puts(PROG " " GPUHOOK_VERSION);
                        return EXIT_SUCCESS;
                case '?':
                        if (optopt)
                                error("option '-%c' %s (see --help)", optopt,
                                      strchr("tH", optopt) ? "needs an argument" : "is unknown");
                        else
                                error("unknown option '%s' (see --help)", argv[optind - 1]);
                        return EXIT_USAGE;
                }
        }
        if (!dir || !*dir) {
                error("--testbed DIR is required (see --help)");
                return EXIT_USAGE;
        }
        if (optind >= argc) {
                error("no command given (see --help)");
                return EXIT_USAGE;
        }

        struct stat st;
        if (stat(dir, &st) < 0) {
                if (errno != ENOENT)
                        return error("cannot access testbed '%s': %s", dir, strerror(errno));
                if (!host) {
                        error("testbed '%s' does not exist and no --host FILE was given", dir);
                        return EXIT_USAGE;
                }
                int r = create_testbed_in_child(dir, host);
                if (r != EXIT_SUCCESS)
                        return r;
        }
        _cleanup_(testbed_freep) struct testbed *tb = NULL;
        int r = testbed_new(dir, &tb);
        if (r < 0)
                return error("cannot open testbed '%s': %s", dir, strerror(-r));
        if (!tb_exists(tb, "/.sim/state"))
                return error("'%s' is not a gpuhook-sim testbed (no .sim/state)", dir);
        const char *root = testbed_root(tb);
        if ((r = settle_testbed(tb)) < 0)
                return error("cannot read the state of testbed '%s': %s", dir, strerror(-r));

        _cleanup_free_ char *shim = find_shim();
        if (!shim)
                return error("cannot find " SHIM_NAME " (set GPUHOOK_SIM_SHIM)");
        _cleanup_free_ char *preload = compose_preload(shim);
        _cleanup_free_ char *state = sim_strdup_printf("%s/run/gpuhook", root);
        _cleanup_free_ char *conf = sim_strdup_printf("%s/etc/gpuhook/gpuhook.conf", root);
        if (!preload || !state || !conf)
                return error("out of memory");

        r = enter_namespace(root);
        if (r != EXIT_SUCCESS)
                return r;

        if (setenv("UMOCKDEV_DIR", root, 1) < 0 || setenv("LD_PRELOAD", preload, 1) < 0 ||
            setenv("GPUHOOK_STATE_DIR", state, 0) < 0 || setenv("GPUHOOK_CONFIG", conf, 0) < 0 ||
            setenv("GPUHOOK_SIM_DIR", root, 1) < 0 || (r = prepend_path(root)) < 0)
                return error("cannot set the environment: %s", strerror(r < 0 ? -r : errno));

        execvp(argv[optind], argv + optind);
        int e = errno;
        error("cannot run '%s': %s", argv[optind], strerror(e));
        return e == ENOENT ? 127 : 126;
}
