/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdbench: wall-clock time of shell commands, variants interleaved.
 *
 *   cmdbench [-n RUNS] [-w WARMUP] [-l LABEL] [-a AFTER] NAME CMD [NAME CMD...]
 *
 * Each sample runs `/bin/sh -c CMD` and takes the time from fork() to
 * waitpid() (CLOCK_MONOTONIC); then, untimed, `/bin/sh -c AFTER` with
 * $BENCH_VARIANT set to NAME (to check the result and reset the host). A
 * non-zero exit of either aborts. Round r runs every variant once, starting
 * at variant r % N, so drift hits every variant alike; the first variant is
 * the baseline of the ratio column.
 *
 * Prints one Markdown table row per variant:
 *   | LABEL | NAME | median ms | p10 ms | p90 ms | × first | runs |
 * (cmdbench -H prints the header). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VARIANTS 8

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int sh(const char *cmd, const char *variant) {
        pid_t pid = fork();
        if (pid < 0) {
                perror("cmdbench: fork");
                exit(1);
        }
        if (pid == 0) {
                if (variant)
                        setenv("BENCH_VARIANT", variant, 1);
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        perror("cmdbench: waitpid");
                        exit(1);
                }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double quantile(const double *sorted, int n, double q) {
        double pos = q * (n - 1);
        int i = (int)pos;
        double frac = pos - i;
        return i + 1 < n ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
}

static void usage(void) {
        fprintf(stderr, "usage: cmdbench [-n RUNS] [-w WARMUP] [-l LABEL] [-a AFTER] NAME CMD [NAME CMD...]\n"
                        "       cmdbench -H\n");
        exit(2);
}

int main(int argc, char **argv) {
        int runs = 30, warmup = 2, opt;
        const char *label = "", *after = NULL;
        const char *names[MAX_VARIANTS], *cmds[MAX_VARIANTS];
        int n = 0;

        while ((opt = getopt(argc, argv, "n:w:l:a:H")) != -1) {
                switch (opt) {
                case 'n': runs = atoi(optarg); break;
                case 'w': warmup = atoi(optarg); break;
                case 'l': label = optarg; break;
                case 'a': after = optarg; break;
                case 'H':
                        printf("| case | variant | median ms | p10 ms | p90 ms | × first | runs |\n");
                        printf("|---|---|---:|---:|---:|---:|---:|\n");
                        return 0;
                default: usage();
                }
        }
        if (runs < 1 || warmup < 0 || optind >= argc || (argc - optind) % 2 || (argc - optind) / 2 > MAX_VARIANTS)
                usage();
        for (int i = optind; i < argc; i += 2) {
                names[n] = argv[i];
                cmds[n] = argv[i + 1];
                n++;
        }
        double *s = calloc((size_t)runs * n, sizeof(double));
        if (!s)
                return 1;
        for (int r = -warmup; r < runs; r++)
                for (int k = 0; k < n; k++) {
                        int v = (k + (r < 0 ? 0 : r)) % n;
                        double t0 = now_ms();
                        int st = sh(cmds[v], names[v]);
                        double t = now_ms() - t0;
                        if (st != 0) {
                                fprintf(stderr, "cmdbench: error: %s: `%s` exited with status %d\n", names[v], cmds[v], st);
                                return 1;
                        }
                        if (after && (st = sh(after, names[v])) != 0) {
                                fprintf(stderr, "cmdbench: error: %s: after-command `%s` exited with status %d\n",
                                        names[v], after, st);
                                return 1;
                        }
                        if (r >= 0)
                                s[v * runs + r] = t;
                }
        double base = 0;
        for (int v = 0; v < n; v++) {
                double *x = &s[v * runs];
                qsort(x, runs, sizeof(double), cmp_double);
                double med = quantile(x, runs, 0.5);
                if (v == 0)
                        base = med;
                printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %d |\n", label, names[v], med, quantile(x, runs, 0.1),
                       quantile(x, runs, 0.9), med / base, runs);
                fflush(stdout);
        }
        return 0;
}
