/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "spawn.h"
#include "util.h"

#define CAPTURE_MAX (64u << 10)
/* How long a killed child may take to be reaped before we stop waiting (one
 * stuck in the kernel, D state, is left to init as a zombie). */
#define REAP_AFTER_KILL_MS 2000

extern char **environ;

/* The child's whole environment: fixed, never the caller's (libvirt's, a
 * root shell's). */
static const char *const clean_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

/* Test builds only: what gpuhook-sim needs to reach the helpers it runs, the
 * real mdevctl included: its preload (LD_PRELOAD: the kernel-behaviour shim
 * and umockdev), UMOCKDEV_* (the testbed), PATH (its stand-ins, e.g. modprobe,
 * in DIR/.sim/bin come first), GPUHOOK_* (test overrides for the callout that
 * mdevctl runs) and the sanitizers' options of the ASan build. */
static bool test_passes_through(const char *entry) {
        static const char *const prefixes[] = { "LD_PRELOAD=", "UMOCKDEV_", "PATH=", "GPUHOOK_",
                                                "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (!strncmp(entry, prefixes[i], strlen(prefixes[i])))
                        return true;
        return false;
}

/* NULL-terminated, malloc'd array of pointers into static/environ strings. */
static char **child_env(void) {
        size_t n = ELEMENTSOF(clean_env), k = 0;
        bool test = GPUHOOK_TEST_HOOKS; /* compile-time: the default build never copies environ */
        if (test)
                for (char **e = environ; e && *e; e++)
                        n++;
        char **env = calloc(n, sizeof(char *));
        if (!env)
                return NULL;
        if (test)
                for (char **e = environ; e && *e; e++)
                        if (test_passes_through(*e))
                                env[k++] = *e;
        for (size_t i = 0; clean_env[i]; i++) {
                bool have = false;
                for (size_t j = 0; j < k && !have; j++)
                        have = !strncmp(env[j], clean_env[i], (size_t)(strchr(clean_env[i], '=') - clean_env[i] + 1));
                if (!have)
                        env[k++] = (char *)clean_env[i];
        }
        env[k] = NULL;
        return env;
}

/* Wait for PID until DEADLINE (then kill it) and at most REAP_AFTER_KILL_MS
 * more. Returns 1 with *STATUS set, 0 when it could not be reaped in time. */
static int reap_bounded(pid_t pid, uint64_t deadline, bool *timed_out, int *status) {
        uint64_t delay = 1000;
        bool killed = *timed_out;
        if (killed) {
                kill(pid, SIGKILL);
                deadline = now_usec() + (uint64_t)REAP_AFTER_KILL_MS * 1000;
        }
        for (;;) {
                pid_t w = waitpid(pid, status, WNOHANG);
                if (w == pid)
                        return 1;
                if (w < 0 && errno != EINTR)
                        return 0;
                if (now_usec() >= deadline) {
                        if (killed)
                                return 0;
                        /* It closed its output but did not exit. */
                        *timed_out = killed = true;
                        kill(pid, SIGKILL);
                        deadline = now_usec() + (uint64_t)REAP_AFTER_KILL_MS * 1000;
                }
                sleep_usec(delay);
                if (delay < 50000)
                        delay *= 2;
        }
}

struct capture {
        int fd;
        struct strbuf sb;
};

static void drain(struct capture *c) {
        char buf[4096];
        ssize_t k = read(c->fd, buf, sizeof(buf));
        if (k > 0) {
                if (c->sb.len + (size_t)k <= CAPTURE_MAX)
                        strbuf_appendf(&c->sb, "%.*s", (int)k, buf);
                return;
        }
        if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(c->fd);
                c->fd = -1;
        }
}

int spawn_run(char *const argv[], unsigned timeout_ms, char **ret_stdout, char **ret_stderr) {
        return spawn_run_input(argv, NULL, 0, timeout_ms, ret_stdout, ret_stderr);
}

int spawn_run_input(char *const argv[], const char *input, size_t input_len, unsigned timeout_ms, char **ret_stdout,
                    char **ret_stderr) {
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 };
        _cleanup_free_ char **env = NULL;
        size_t written = 0;
        struct capture cap[2] = { { .fd = -1 }, { .fd = -1 } };
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;
        bool timed_out = false;
        int status = 0, r;
        pid_t pid;

        /* Every child runs by an absolute path and with a bounded time. */
        if (!argv || !argv[0] || argv[0][0] != '/' || timeout_ms == 0)
                return -EINVAL;
        env = child_env();
        if (!env)
                return -ENOMEM;
        /* A child that exits before reading all its input must not kill us. */
        if (input)
                signal(SIGPIPE, SIG_IGN);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || (input && pipe2(in, O_CLOEXEC) < 0)) {
                r = -errno;
                goto fail_pipes;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail_pipes;
        }
        if (pid == 0) {
                int src = input ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (src < 0 || dup2(src, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
                        _exit(127);
                signal(SIGPIPE, SIG_DFL);
                execve(argv[0], argv, env);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        if (input) {
                close(in[0]);
                in[0] = -1;
                if (input_len == 0) {
                        close(in[1]);
                        in[1] = -1;
                } else
                        (void)fcntl(in[1], F_SETFL, O_NONBLOCK);
        }
        cap[0].fd = out[0];
        cap[1].fd = err[0];
        while (cap[0].fd >= 0 || cap[1].fd >= 0) {
                struct pollfd p[3];
                nfds_t n = 0;
                for (int i = 0; i < 2; i++)
                        if (cap[i].fd >= 0)
                                p[n++] = (struct pollfd){ .fd = cap[i].fd, .events = POLLIN };
                if (in[1] >= 0)
                        p[n++] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
                uint64_t now = now_usec();
                if (now >= deadline) {
                        timed_out = true;
                        break;
                }
                int k = poll(p, n, (int)((deadline - now) / 1000) + 1);
                if (k < 0 && errno != EINTR)
                        break;
                for (nfds_t j = 0; j < n; j++) {
                        if (!p[j].revents)
                                continue;
                        if (p[j].fd == in[1]) {
                                ssize_t w = write(in[1], input + written, input_len - written);
                                if (w > 0)
                                        written += (size_t)w;
                                if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
                                        close(in[1]); /* EPIPE: the child did not want it all */
                                        in[1] = -1;
                                }
                                continue;
                        }
                        for (int i = 0; i < 2; i++)
                                if (cap[i].fd == p[j].fd)
                                        drain(&cap[i]);
                }
        }
        if (in[1] >= 0)
                close(in[1]);
        for (int i = 0; i < 2; i++)
                if (cap[i].fd >= 0)
                        close(cap[i].fd);
        bool reaped = reap_bounded(pid, deadline, &timed_out, &status) > 0;
        if (timed_out || !reaped)
                r = -ETIMEDOUT;
        else if (WIFEXITED(status))
                r = WEXITSTATUS(status) == 127 && cap[1].sb.len == 0 ? -ENOEXEC : WEXITSTATUS(status);
        else
                r = -EPROTO;
        if (ret_stdout)
                *ret_stdout = cap[0].sb.buf ? cap[0].sb.buf : strdup("");
        else
                strbuf_free(&cap[0].sb);
        if (ret_stderr)
                *ret_stderr = cap[1].sb.buf ? cap[1].sb.buf : strdup("");
        else
                strbuf_free(&cap[1].sb);
        return r;

fail_pipes:
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
                if (in[i] >= 0)
                        close(in[i]);
        }
        return r;
}

static bool is_executable(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static const struct {
        const char *name, *path;
} helpers[] = {
        { "mdevctl", GPUHOOK_MDEVCTL_PATH },
        { "modprobe", GPUHOOK_MODPROBE_PATH },
        { "update-initramfs", GPUHOOK_UPDATE_INITRAMFS_PATH },
        { "dracut", GPUHOOK_DRACUT_PATH },
        { "chroot", GPUHOOK_CHROOT_PATH },
        { "systemctl", GPUHOOK_SYSTEMCTL_PATH },
};

const char *helper_path(const char *prog) {
        for (size_t i = 0; i < ELEMENTSOF(helpers); i++)
                if (streq(prog, helpers[i].name))
                        return helpers[i].path;
        return NULL;
}

/* Test builds: the first PATH entry holding PROG (gpuhook-sim's stand-ins). */
static char *find_on_test_path(const char *prog) {
        const char *path = test_getenv("PATH");
        _cleanup_free_ char *copy = path ? strdup(path) : NULL;
        char *save = NULL;

        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                if (dir[0] != '/')
                        continue; /* never a relative PATH entry */
                char *p = strdup_printf("%s/%s", dir, prog);
                if (p && is_executable(p))
                        return p;
                free(p);
        }
        return NULL;
}

char *find_program(const char *prog) {
        const char *fixed = helper_path(prog);
        /* A test build: PATH first (for the tests' own tools, any name). */
        char *p = strchr(prog, '/') ? NULL : find_on_test_path(prog);
        if (p || !fixed)
                return p;
        return is_executable(fixed) ? strdup(fixed) : NULL;
}

const char *first_line(const char *text) {
        static char line[512];
        const char *s = text ? text : "";

        while (*s == '\n' || *s == ' ')
                s++;
        if (!strncmp(s, "Error: ", 7))
                s += 7;
        size_t n = strcspn(s, "\n");
        if (n >= sizeof(line))
                n = sizeof(line) - 1;
        memcpy(line, s, n);
        line[n] = 0;
        for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20)
                        *p = ' ';
        return line;
}
