/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "spawn.h"
#include "util.h"

#define CAPTURE_MAX (64u << 10)

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
        size_t written = 0;
        struct capture cap[2] = { { .fd = -1 }, { .fd = -1 } };
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;
        bool timed_out = false;
        int status = 0, r;
        pid_t pid;

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
                execv(argv[0], argv);
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
        if (timed_out)
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (timed_out)
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

char *find_program(const char *prog) {
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path ? path : "");
        char *save = NULL;

        if (!copy)
                return NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                if (dir[0] != '/')
                        continue; /* never a relative PATH entry as root */
                char *p = strdup_printf("%s/%s", dir, prog);
                if (p && is_executable(p))
                        return p;
                free(p);
        }
        static const char *const fallback[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
        for (size_t i = 0; i < ELEMENTSOF(fallback); i++) {
                char *p = strdup_printf("%s/%s", fallback[i], prog);
                if (p && is_executable(p))
                        return p;
                free(p);
        }
        return NULL;
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
