/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hookbench: wall-clock latency of libvirt QEMU hooks, measured the way
 * libvirt runs them, with every variant interleaved in the same run.
 *
 *   hookbench [-n ROUNDS] [-w WARMUP] [-e KEY=VALUE]... -x XMLFILE -d DOMAIN
 *             [-p 'OP SUBOP']... NAME=PATH [NAME=PATH...]
 *
 * Each run: pipe, fork, child: stdin = the pipe's read end, stdout = /dev/null,
 * environment replaced (LC_ALL=C, PATH, plus each -e), exec PATH DOMAIN OP
 * SUBOP -; parent: writes the whole XML into the pipe, closes it, waitpid.
 * The time is taken from before pipe() to after waitpid() (CLOCK_MONOTONIC).
 * A run that exits non-zero aborts the benchmark.
 *
 * Rounds interleave: round r runs every op, and for each op every variant,
 * starting at variant r % N, so slow drift of the machine hits every variant
 * alike. The first variant is the baseline of the ratio column.
 *
 * Prints a Markdown table: op, variant, median, p10, p90 (microseconds) and
 * median / baseline median of the same op. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VARIANTS 8
#define MAX_OPS 16
#define MAX_ENV 16

struct variant {
        const char *name, *path;
};

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *fmt, const char *arg) {
        fprintf(stderr, "hookbench: error: ");
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
        exit(1);
}

static char *read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        if (!f)
                die("cannot open %s", path);
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);
        for (size_t k; buf && (k = fread(buf + len, 1, cap - len, f)) > 0;) {
                len += k;
                if (len == cap)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        if (!buf)
                die("out of memory reading %s", path);
        *ret_len = len;
        return buf;
}

/* One hook run, as libvirt does it. Returns microseconds. */
static double run_once(const struct variant *v, const char *domain, const char *op, const char *subop,
                       const char *xml, size_t xml_len, char **envp, int devnull) {
        double t0 = now_us();
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                die("pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0)
                die("fork: %s", strerror(errno));
        if (pid == 0) {
                char *argv[] = { (char *)v->path, (char *)domain, (char *)op, (char *)subop, (char *)"-", NULL };
                if (dup2(p[0], STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0)
                        _exit(126);
                execve(v->path, argv, envp);
                _exit(127);
        }
        close(p[0]);
        /* Like libvirt: write everything; a hook that does not read (the bash
         * dispatcher) leaves it in the pipe buffer and we see EPIPE. */
        for (size_t off = 0; off < xml_len;) {
                ssize_t k = write(p[1], xml + off, xml_len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                off += (size_t)k;
        }
        close(p[1]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        die("waitpid: %s", strerror(errno));
        double t = now_us() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char what[512];
                snprintf(what, sizeof(what), "%s %s %s %s exited with status %d", v->path, domain, op, subop,
                         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                die("%s", what);
        }
        return t;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double quantile(double *sorted, int n, double q) {
        double pos = q * (n - 1);
        int i = (int)pos;
        double frac = pos - i;
        return i + 1 < n ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
}

static void usage(void) {
        fprintf(stderr, "usage: hookbench [-n ROUNDS] [-w WARMUP] [-e KEY=VALUE]... -x XMLFILE -d DOMAIN "
                        "[-p 'OP SUBOP']... NAME=PATH [NAME=PATH...]\n");
        exit(2);
}

int main(int argc, char **argv) {
        int rounds = 200, warmup = 10, opt, n_ops = 0, n_env = 0;
        const char *xml_path = NULL, *domain = NULL;
        char *ops[MAX_OPS][2];
        char *envp[MAX_ENV + 3];
        struct variant variants[MAX_VARIANTS];
        int n_variants = 0;

        while ((opt = getopt(argc, argv, "n:w:e:x:d:p:")) != -1) {
                switch (opt) {
                case 'n': rounds = atoi(optarg); break;
                case 'w': warmup = atoi(optarg); break;
                case 'x': xml_path = optarg; break;
                case 'd': domain = optarg; break;
                case 'e':
                        if (n_env == MAX_ENV || !strchr(optarg, '='))
                                usage();
                        envp[n_env++] = optarg;
                        break;
                case 'p': {
                        if (n_ops == MAX_OPS)
                                usage();
                        char *s = strdup(optarg), *sp = strchr(s, ' ');
                        if (!sp)
                                usage();
                        *sp = 0;
                        ops[n_ops][0] = s;
                        ops[n_ops][1] = sp + 1;
                        n_ops++;
                        break;
                }
                default: usage();
                }
        }
        if (!xml_path || !domain || rounds < 1 || warmup < 0 || optind >= argc)
                usage();
        for (int i = optind; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq || n_variants == MAX_VARIANTS)
                        usage();
                *eq = 0;
                variants[n_variants].name = argv[i];
                variants[n_variants].path = eq + 1;
                if (access(eq + 1, X_OK) < 0)
                        die("%s is not executable", eq + 1);
                n_variants++;
        }
        if (n_ops == 0) {
                static char *def[][2] = { { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" },
                                          { "stopped", "end" },   { "release", "end" } };
                for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++) {
                        ops[n_ops][0] = def[i][0];
                        ops[n_ops][1] = def[i][1];
                        n_ops++;
                }
        }
        /* libvirt replaces the environment: LC_ALL=C plus PATH & co. */
        static char path_env[4096];
        snprintf(path_env, sizeof(path_env), "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/sbin:/usr/bin");
        envp[n_env++] = (char *)"LC_ALL=C";
        envp[n_env++] = path_env;
        envp[n_env] = NULL;

        size_t xml_len;
        char *xml = read_file(xml_path, &xml_len);
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull < 0)
                die("cannot open /dev/null: %s", strerror(errno));
        signal(SIGPIPE, SIG_IGN);

        double *samples = calloc((size_t)rounds * n_ops * n_variants, sizeof(double));
        if (!samples)
                die("%s", "out of memory");
#define SAMPLE(o, v, r) samples[((size_t)(o) * n_variants + (v)) * rounds + (r)]
        for (int r = -warmup; r < rounds; r++)
                for (int o = 0; o < n_ops; o++)
                        for (int k = 0; k < n_variants; k++) {
                                int v = (k + (r < 0 ? 0 : r)) % n_variants;
                                double t = run_once(&variants[v], domain, ops[o][0], ops[o][1], xml, xml_len, envp,
                                                    devnull);
                                if (r >= 0)
                                        SAMPLE(o, v, r) = t;
                        }

        printf("| op | variant | median µs | p10 µs | p90 µs | × %s |\n", variants[0].name);
        printf("|---|---|---:|---:|---:|---:|\n");
        for (int o = 0; o < n_ops; o++) {
                double base = 0;
                for (int v = 0; v < n_variants; v++) {
                        double *s = &SAMPLE(o, v, 0);
                        qsort(s, rounds, sizeof(double), cmp_double);
                        double med = quantile(s, rounds, 0.5);
                        if (v == 0)
                                base = med;
                        printf("| %s %s | %s | %.0f | %.0f | %.0f | %.2f |\n", ops[o][0], ops[o][1], variants[v].name,
                               med, quantile(s, rounds, 0.1), quantile(s, rounds, 0.9), med / base);
                }
        }
        printf("\n%d rounds (+%d warm-up) per op and variant, interleaved; XML %s (%zu bytes), domain '%s'\n",
               rounds, warmup, xml_path, xml_len, domain);
        return 0;
}
