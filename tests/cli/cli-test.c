/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli-test.h"
#include "config.h"
#include "spawn.h"
#include "util.h"

const char *cli_build_root(void) {
        const char *e = getenv("GPUHOOK_BUILD_ROOT");
        return e ? e : GPUHOOK_BUILD_ROOT;
}

const char *cli_source_root(void) {
        const char *e = getenv("GPUHOOK_SOURCE_ROOT");
        return e ? e : GPUHOOK_SOURCE_ROOT;
}

const char *cli_binary(void) {
        static char *path;
        if (!path && !(path = strdup_printf("%s/cli/gpuhookctl", cli_build_root())))
                abort();
        return path;
}

void run_free(struct run *r) {
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

int run_argv(struct run *r, const char *input, const char *const argv[], int expect) {
        run_free(r);
        r->status = spawn_run_input((char *const *)argv, input, input ? strlen(input) : 0, 600000, &r->out, &r->err);
        if (expect >= 0 && r->status != expect) {
                fprintf(stderr, "\n--- ");
                for (size_t i = 0; argv[i]; i++)
                        fprintf(stderr, "%s ", argv[i]);
                fprintf(stderr, "exited %d, expected %d\nstdout:\n%s\nstderr:\n%s\n", r->status, expect, r->out, r->err);
        }
        return r->status;
}

void cli_argv(const char **argv, size_t size, va_list args) {
        size_t n = 0;
        argv[n++] = cli_binary();
        for (const char *a; n < size - 1 && (a = va_arg(args, const char *));)
                argv[n++] = a;
        argv[n] = NULL;
}

int run_ctl(struct run *r, int expect, ...) {
        const char *argv[64];
        va_list ap;
        va_start(ap, expect);
        cli_argv(argv, ELEMENTSOF(argv), ap);
        va_end(ap);
        return run_argv(r, NULL, argv, expect);
}

int run_sh(struct run *r, int expect, const char *fmt, ...) {
        _cleanup_free_ char *script = NULL, *bash = find_program("bash");
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&script, fmt, ap) < 0)
                abort();
        va_end(ap);
        const char *argv[] = { bash ? bash : "/bin/bash", "-c", script, NULL };
        return run_argv(r, NULL, argv, expect);
}

char *tmpdir_new(void) {
        const char *t = getenv("TMPDIR");
        char *d = strdup_printf("%s/gpuhookctl-test-XXXXXX", t ? t : "/tmp");
        if (!d || !mkdtemp(d))
                abort();
        return d;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)remove(path);
        return 0;
}

void tmpdir_free(char *dir) {
        if (dir && !getenv("GPUHOOK_TEST_KEEP"))
                nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
}

char *write_tmp(const char *dir, const char *name, const char *text) {
        char *p = strdup_printf("%s/%s", dir, name);
        if (!p || write_file_atomic(p, text, strlen(text), 0644) < 0)
                abort();
        return p;
}

char *read_all(const char *path) {
        char *s = NULL;
        return read_text_file(path, 64 << 20, &s) < 0 ? NULL : s;
}

struct json_object *json_parse(const char *text) {
        enum json_tokener_error e;
        struct json_object *o = json_tokener_parse_verbose(text ? text : "", &e);
        if (!o)
                fprintf(stderr, "not JSON (%s):\n%s\n", json_tokener_error_desc(e), text ? text : "(null)");
        return o;
}

struct json_object *jget(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *jstr(struct json_object *o, const char *key) {
        struct json_object *v = jget(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int count_lines(const char *text, const char *needle) {
        int n = 0;
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (memmem(p, len, needle, strlen(needle)))
                        n++;
                p += len + (nl ? 1 : 0);
        }
        return n;
}

bool have_program(const char *name) {
        _cleanup_free_ char *p = find_program(name);
        return p != NULL;
}
