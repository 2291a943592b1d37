/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cmdbench: wall-clock time of shell commands, variants interleaved.
 *
 *   cmdbench [-n RUNS] [-w WARMUP] [-l LABEL] [-a AFTER] [-o RAW] NAME CMD [NAME CMD...]
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
 * (cmdbench -H prints the header). -o RAW appends every timed sample to the
 * file RAW as "NAME MS" lines (for aggregating several invocations);
 * `cmdbench [-l LABEL] -s RAW` prints the rows for such a file (variants in
 * the order first seen, the first the baseline). */
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

static void row(const char *label, const char *name, double *x, int runs, double *base) {
        qsort(x, runs, sizeof(double), cmp_double);
        double med = quantile(x, runs, 0.5);
        if (*base == 0)
                *base = med;
        printf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %d |\n", label, name, med, quantile(x, runs, 0.1),
               quantile(x, runs, 0.9), med / *base, runs);
        fflush(stdout);
}

static int summarize(const char *label, const char *raw) {
        FILE *f = fopen(raw, "re");
        char *names[MAX_VARIANTS] = { 0 };
        double *x[MAX_VARIANTS] = { 0 };
        int count[MAX_VARIANTS] = { 0 }, cap[MAX_VARIANTS] = { 0 }, n = 0;
        char name[256];
        double ms, base = 0;
        if (!f) {
                perror("cmdbench: raw file");
                return 1;
        }
        while (fscanf(f, "%255s %lf", name, &ms) == 2) {
                int v = 0;
                while (v < n && strcmp(names[v], name))
                        v++;
                if (v == n) {
                        if (n == MAX_VARIANTS)
                                return 1;
                        names[n++] = strdup(name);
                }
                if (count[v] == cap[v])
                        x[v] = realloc(x[v], (size_t)(cap[v] = cap[v] ? cap[v] * 2 : 64) * sizeof(double));
                x[v][count[v]++] = ms;
        }
        fclose(f);
        for (int v = 0; v < n; v++)
                row(label, names[v], x[v], count[v], &base);
        return n ? 0 : 1;
}

static void usage(void) {
        fprintf(stderr, "usage: cmdbench [-n RUNS] [-w WARMUP] [-l LABEL] [-a AFTER] [-o RAW] NAME CMD [NAME CMD...]\n"
                        "       cmdbench [-l LABEL] -s RAW\n       cmdbench -H\n");
        exit(2);
}

int main(int argc, char **argv) {
        int runs = 30, warmup = 2, opt;
        const char *label = "", *after = NULL, *raw = NULL, *sum = NULL;
        const char *names[MAX_VARIANTS], *cmds[MAX_VARIANTS];
        int n = 0;

        while ((opt = getopt(argc, argv, "n:w:l:a:o:s:H")) != -1) {
                switch (opt) {
                case 'n': runs = atoi(optarg); break;
                case 'w': warmup = atoi(optarg); break;
                case 'l': label = optarg; break;
                case 'a': after = optarg; break;
                case 'o': raw = optarg; break;
                case 's': sum = optarg; break;
                case 'H':
                        printf("| case | variant | median ms | p10 ms | p90 ms | × first | runs |\n");
                        printf("|---|---|---:|---:|---:|---:|---:|\n");
                        return 0;
                default: usage();
                }
        }
        if (sum)
                return summarize(label, sum);
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
        if (raw) {
                FILE *f = fopen(raw, "ae");
                if (!f) {
                        perror("cmdbench: raw file");
                        return 1;
                }
                for (int v = 0; v < n; v++)
                        for (int r = 0; r < runs; r++)
                                fprintf(f, "%s %.3f\n", names[v], s[v * runs + r]);
                fclose(f);
        }
        double base = 0;
        for (int v = 0; v < n; v++)
                row(label, names[v], &s[v * runs], runs, &base);
        return 0;
}
