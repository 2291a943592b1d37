/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <time.h>

#include "gpuhookctl.h"
#include "log.h"

/* "gpuhookctl: LEVEL: MESSAGE" on stderr, LEVEL in COLOR; no newline. */
static _printf_(3, 0) void vreport(const char *color, const char *level, const char *fmt, va_list ap) {
        fprintf(stderr, "%s%s: %s:%s ", color, PROG, level, ansi_reset(stderr));
        vfprintf(stderr, fmt, ap);
}

int ctl_fail(const char *hint, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vreport(ansi_red(stderr), "error", fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (hint)
                fprintf(stderr, "%s: hint: %s\n", PROG, hint);
        return EXIT_FAILURE;
}

int ctl_fail_recorded(int r, const char *what) {
        const char *msg = log_failure();
        if (msg)
                return ctl_fail(NULL, "%s", msg);
        return ctl_fail(NULL, "%s: %s", what, strerror(r < 0 ? -r : r));
}

int ctl_usage(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vreport(ansi_red(stderr), "error", fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n%s: hint: see '%s --help' or gpuhookctl(8)\n", PROG, PROG);
        return EXIT_USAGE;
}

void ctl_warn(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vreport(ansi_yellow(stderr), "warning", fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static bool color_for(FILE *f) { return f == stderr ? arg.color_err : f == stdout ? arg.color : false; }

const char *ansi_green(FILE *f) { return color_for(f) ? "\033[32m" : ""; }
const char *ansi_red(FILE *f) { return color_for(f) ? "\033[1;31m" : ""; }
const char *ansi_yellow(FILE *f) { return color_for(f) ? "\033[33m" : ""; }
const char *ansi_bold(FILE *f) { return color_for(f) ? "\033[1m" : ""; }
const char *ansi_grey(FILE *f) { return color_for(f) ? "\033[2m" : ""; }
const char *ansi_reset(FILE *f) { return color_for(f) ? "\033[0m" : ""; }

int json_print(struct json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
        puts(s ? s : "null");
        json_object_put(o);
        return 0;
}

struct json_object *json_str(const char *s) { return s ? json_object_new_string(s) : NULL; }

struct table {
        size_t n_cols, n_rows, cap;
        char **cells; /* row-major, row 0 = headers */
};

struct table *table_new(size_t n_cols, const char *const *headers) {
        struct table *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->n_cols = n_cols;
        if (table_add(t, headers) < 0)
                return table_free(t);
        return t;
}

int table_add(struct table *t, const char *const *cells) {
        if (t->n_rows == t->cap) {
                size_t ncap = t->cap ? t->cap * 2 : 16;
                char **n = reallocarray(t->cells, ncap * t->n_cols, sizeof(char *));
                if (!n)
                        return -ENOMEM;
                t->cells = n;
                t->cap = ncap;
        }
        char **row = &t->cells[t->n_rows * t->n_cols];
        for (size_t c = 0; c < t->n_cols; c++) {
                row[c] = strdup(cells[c] ? cells[c] : "-");
                if (!row[c]) {
                        for (size_t k = 0; k < c; k++)
                                free(row[k]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

void table_print(const struct table *t, FILE *f) {
        size_t *w = calloc(t->n_cols, sizeof(size_t));
        if (!w)
                return;
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_cols; c++) {
                        size_t k = width(t->cells[r * t->n_cols + c]);
                        if (k > w[c])
                                w[c] = k;
                }
        for (size_t r = 0; r < t->n_rows; r++) {
                if (r == 0)
                        fputs(ansi_bold(f), f);
                for (size_t c = 0; c < t->n_cols; c++) {
                        const char *s = t->cells[r * t->n_cols + c];
                        bool last = c + 1 == t->n_cols;
                        fputs(s, f);
                        if (!last)
                                for (size_t pad = width(s); pad < w[c] + 2; pad++)
                                        fputc(' ', f);
                }
                if (r == 0)
                        fputs(ansi_reset(f), f);
                fputc('\n', f);
        }
        free(w);
}

struct table *table_free(struct table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

const char *format_time(uint64_t since, char buf[32]) {
        time_t tt = (time_t)since;
        struct tm tm;
        if (!since || !localtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, 32, "-");
        return buf;
}

int strv_push(char ***v, const char *s) {
        size_t n = strv_length(*v);
        char **nv = reallocarray(*v, n + 2, sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[n] = strdup(s))) {
                nv[n] = NULL;
                return -ENOMEM;
        }
        nv[n + 1] = NULL;
        return 0;
}

size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

bool strv_has(char *const *v, const char *s) {
        for (size_t i = 0; v && v[i]; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

char *strv_join(char *const *v, const char *sep) {
        struct strbuf sb = { 0 };
        for (size_t i = 0; v && v[i]; i++)
                if (strbuf_appendf(&sb, "%s%s", i ? sep : "", v[i]) < 0) {
                        strbuf_free(&sb);
                        return NULL;
                }
        return sb.buf ? sb.buf : strdup("");
}
