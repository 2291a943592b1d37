/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simtest.h"

bool sim_ok;
bool mdevctl_ok;
const char *self_exe;

char *xprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

const char *sim_exe(void) {
        const char *e = getenv("GPUHOOK_SIM");
        return e && *e ? e : GPUHOOK_SIM_EXE;
}

char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        size_t n;
        while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
                len += n;
                if (len + 1 >= cap)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        if (!buf)
                abort();
        buf[len] = '\0';
        return buf;
}

struct host *host_new_file(const char *file) {
        struct host *h = calloc(1, sizeof(*h));
        const char *tmpdir = getenv("TMPDIR");
        h->tmp = xprintf("%s/gpuhook-sim-test-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(h->tmp))
                abort();
        h->dir = xprintf("%s/tb", h->tmp);
        h->file = strdup(file);
        return h;
}

struct host *host_new(const char *name) {
        char *file = xprintf("%s/%s.umockdev", GPUHOOK_HOSTS_DIR, name);
        struct host *h = host_new_file(file);
        free(file);
        return h;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st, (void)flag, (void)ftw;
        remove(path);
        return 0;
}

void host_free(struct host *h) {
        if (!h)
                return;
        if (!getenv("GPUHOOK_SIM_TEST_KEEP"))
                nftw(h->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(h->tmp);
        free(h->dir);
        free(h->file);
        free(h->out);
        free(h->err);
        free(h);
}

/* Start gpuhook-sim --testbed DIR --host FILE -- ARGV, output to files
 * tmp/out.TAG / tmp/err.TAG. */
pid_t spawn_in(struct host *h, int tag, const char *const argv[]) {
        size_t n = 0;
        while (argv[n])
                n++;
        const char **full = calloc(n + 8, sizeof(char *));
        size_t k = 0;
        full[k++] = sim_exe();
        full[k++] = "--testbed";
        full[k++] = h->dir;
        full[k++] = "--host";
        full[k++] = h->file;
        full[k++] = "--";
        for (size_t i = 0; i < n; i++)
                full[k++] = argv[i];
        char *out = xprintf("%s/out.%d", h->tmp, tag), *err = xprintf("%s/err.%d", h->tmp, tag);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(in, 0) < 0)
                        _exit(125);
                execv(full[0], (char *const *)full);
                _exit(127);
        }
        free(full);
        free(out);
        free(err);
        return pid;
}

int wait_status(pid_t pid) {
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        abort();
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void collect(struct host *h, int tag, int status) {
        char *out = xprintf("%s/out.%d", h->tmp, tag), *err = xprintf("%s/err.%d", h->tmp, tag);
        free(h->out);
        free(h->err);
        h->out = read_file(out);
        h->err = read_file(err);
        if (!h->out)
                h->out = strdup("");
        if (!h->err)
                h->err = strdup("");
        h->status = status;
        free(out);
        free(err);
}

int run(struct host *h, const char *const argv[]) {
        pid_t pid = spawn_in(h, 0, argv);
        collect(h, 0, wait_status(pid));
        return h->status;
}

int sh(struct host *h, const char *fmt, ...) {
        va_list ap;
        char *cmd;
        va_start(ap, fmt);
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        int r = run(h, argv);
        free(cmd);
        return r;
}

/* write(2) from C inside the host: this binary in helper mode. Returns the
 * errno name printed by the helper ("0" on success). */
const char *cwrite(struct host *h, const char *path, const char *data) {
        const char *argv[] = { self_exe, "--write", path, data, NULL };
        run(h, argv);
        char *nl = strchr(h->out, '\n');
        if (nl)
                *nl = '\0';
        return h->out;
}

void mdevctl_start(struct host *h, const char *uuid, const char *parent, const char *type) {
        const char *argv[] = { MDEVCTL, "start", "-u", uuid, "-p", parent, "-t", type, NULL };
        run(h, argv);
}

void mdevctl_stop(struct host *h, const char *uuid) {
        const char *argv[] = { MDEVCTL, "stop", "-u", uuid, NULL };
        run(h, argv);
}

char *host_path(struct host *h, const char *rel) { return xprintf("%s%s", h->dir, rel); }

char *read_rel(struct host *h, const char *rel) {
        char *p = host_path(h, rel);
        char *s = read_file(p);
        free(p);
        return s;
}

bool exists(struct host *h, const char *rel) {
        char *p = host_path(h, rel);
        struct stat st;
        bool r = lstat(p, &st) == 0;
        free(p);
        return r;
}

char *readlink_rel(struct host *h, const char *rel) {
        char *p = host_path(h, rel);
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        free(p);
        if (n < 0)
                return strdup("(none)");
        buf[n] = '\0';
        return strdup(buf);
}

/* realpath of REL inside the testbed, as a testbed-relative path */
char *resolve_rel(struct host *h, const char *rel) {
        char *p = host_path(h, rel);
        char *r = realpath(p, NULL);
        char *root = realpath(h->dir, NULL);
        free(p);
        char *res = r && root && strncmp(r, root, strlen(root)) == 0 ? strdup(r + strlen(root)) : strdup("(none)");
        free(r);
        free(root);
        return res;
}

int count_dir(struct host *h, const char *rel) {
        char *p = host_path(h, rel);
        DIR *d = opendir(p);
        free(p);
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

int count_lines_matching(const char *text, const char *needle) {
        int n = 0;
        for (const char *s = text; s && *s;) {
                const char *e = strchrnul(s, '\n');
                char *line = strndup(s, (size_t)(e - s));
                if (strstr(line, needle))
                        n++;
                free(line);
                s = *e ? e + 1 : e;
        }
        return n;
}

char *writes_log(struct host *h) {
        char *s = read_rel(h, "/.sim/writes.log");
        return s ? s : strdup("");
}

struct host *host_with_text(const char *text) {
        struct host *h = host_new_file("/dev/null");
        free(h->file);
        h->file = xprintf("%s/host.umockdev", h->tmp);
        FILE *f = fopen(h->file, "we");
        fputs(text, f);
        fclose(f);
        return h;
}

/* Helper mode, run inside the host: write(2) DATA to PATH in one call and
 * print "0" or the errno name. */
int helper_write(const char *path, const char *data) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                printf("open-failed:%s\n", strerror(errno));
                return 1;
        }
        ssize_t n = write(fd, data, strlen(data));
        int e = errno;
        close(fd);
        if (n == (ssize_t)strlen(data)) {
                printf("0\n");
                return 0;
        }
        if (n >= 0) {
                printf("short-write\n");
                return 1;
        }
        const char *name = strerrorname_np(e);
        if (name)
                printf("%s\n", name);
        else
                printf("E%d\n", e);
        return 1;
}

bool probe_namespace(void) {
        pid_t pid = fork();
        if (pid < 0)
                return false;
        if (pid == 0)
                _exit(unshare(CLONE_NEWNS) == 0 || unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : 1);
        return wait_status(pid) == 0;
}

int simtest_main(int argc, char *argv[], const char *suite, const struct simtest *tests, size_t n) {
        if (argc == 4 && strcmp(argv[1], "--write") == 0)
                return helper_write(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "--fopen") == 0) {
                FILE *f = fopen(argv[2], "re");
                printf("%s\n", f ? "0" : strerrorname_np(errno));
                return f && fclose(f) == 0 ? 0 : 1;
        }

        self_exe = realpath("/proc/self/exe", NULL);
        sim_ok = probe_namespace();
        if (!sim_ok)
                printf("note: cannot create a private mount namespace here: the sim tests are skipped\n");
        mdevctl_ok = access(MDEVCTL, X_OK) == 0;

        if (CU_initialize_registry() != CUE_SUCCESS)
                return CU_get_error();
        CU_pSuite s = CU_add_suite(suite, NULL, NULL);
        for (size_t i = 0; i < n; i++)
                if (!s || !CU_add_test(s, tests[i].name, tests[i].fn)) {
                        CU_cleanup_registry();
                        return CU_get_error();
                }
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
        unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
        CU_cleanup_registry();
        return failed ? 1 : 0;
}
