/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "util.h"

/* gpuhookctl: the administrator's tool. One file per verb (verb-*.c); the
 * verb table and the option parser live in gpuhookctl.c. Verbs return the
 * process exit status: 0 success, 1 failure, 2 usage error. Every failure is
 * one line "gpuhookctl: error: what failed: why" (plus "hint:" lines) on
 * stderr; stdout carries only the result (a listing, JSON, XML). */

#define PROG "gpuhookctl"
#define EXIT_USAGE 2

/* Option bits: which verb accepts which option. */
enum {
        OPT_JSON = 1u << 0,
        OPT_DRY_RUN = 1u << 1,
        OPT_UNDO = 1u << 2,
        OPT_VFIO = 1u << 3,
        OPT_ROOT = 1u << 4,
        OPT_ALL = 1u << 5,
        OPT_LIVE = 1u << 6,
        OPT_CONFIG = 1u << 7,
        OPT_UUID = 1u << 8,
        OPT_PARENT = 1u << 9,
        OPT_PLACEMENT = 1u << 10,
        OPT_PARAM = 1u << 11,
        OPT_MODEL = 1u << 12,
        OPT_DISPLAY = 1u << 13,
        OPT_RAMFB = 1u << 14,
        OPT_UNMANAGED = 1u << 15,
        OPT_NAME = 1u << 16,
        OPT_MEMORY = 1u << 17,
        OPT_VCPUS = 1u << 18,
        OPT_PCI = 1u << 19,
        OPT_MDEV = 1u << 20,
        OPT_TIMEOUT = 1u << 21,
        OPT_MIN_AGE = 1u << 22,
        OPT_TYPE = 1u << 23,
        OPT_REASON = 1u << 24,
        OPT_TEXTFILE = 1u << 25,
        OPT_QUIET = 1u << 26,
        OPT_FORCE = 1u << 27,
        OPT_FAMILY = 1u << 28,
        OPT_PROFILE = 1u << 29,
};

struct ctl_args {
        uint32_t given; /* OPT_* bits seen on the command line */
        bool json, color, color_err, verbose;
        bool dry_run, undo, vfio, all, live, config, display, ramfb, unmanaged, quiet;
        bool force; /* blacklist: the boot console's driver, or a driver no module index lists */
        const char *uri;
        const char *root;
        const char *uuid, *type, *parent, *placement, *model, *name;
        const char *family, *profile; /* SR-IOV vGPU family and profile wish (xml metadata, vf) */
        const char *reason;   /* disable --reason */
        const char *textfile; /* metrics --textfile DIR */
        unsigned memory_mib, vcpus, timeout_s, min_age_s;
        char **params; /* NAME=VALUE, NULL-terminated */
        char **pcis;   /* --pci, NULL-terminated */
        char **mdevs;  /* --mdev, NULL-terminated */
};
extern struct ctl_args arg;

/* ---- output (output.c) ---- */

/* Print "gpuhookctl: error: MSG" (and "gpuhookctl: hint: HINT" when HINT is
 * non-NULL) and return 1. */
int ctl_fail(const char *hint, const char *fmt, ...) _printf_(2, 3);
/* The failure core code recorded with log_fail() (or strerror(-R)). */
int ctl_fail_recorded(int r, const char *what);
/* Usage error: message plus a pointer to --help; returns 2. */
int ctl_usage(const char *fmt, ...) _printf_(1, 2);
void ctl_warn(const char *fmt, ...) _printf_(1, 2);

/* ANSI colour for F when colour is on for it, else "". */
const char *ansi_green(FILE *f);
const char *ansi_red(FILE *f);
const char *ansi_yellow(FILE *f);
const char *ansi_bold(FILE *f);
const char *ansi_grey(FILE *f);
const char *ansi_reset(FILE *f);

/* Print O pretty to stdout, newline, and drop the reference. Returns 0. */
int json_print(struct json_object *o);
/* json_object_new_string that maps NULL to JSON null. */
struct json_object *json_str(const char *s);

/* A column-aligned text table; cells are copied. NULL cells print "-". */
struct table;
struct table *table_new(size_t n_cols, const char *const *headers);
int table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
struct table *table_free(struct table *t);
static inline void table_freep(struct table **t) { table_free(*t); }
#define _cleanup_table_ _cleanup_(table_freep)

/* "2024-05-01 12:00:00" local time for wall-clock seconds. */
const char *format_time(uint64_t since, char buf[32]);

/* NULL-terminated string vectors. */
int strv_push(char ***v, const char *s);
size_t strv_length(char *const *v);
bool strv_has(char *const *v, const char *s);
char *strv_join(char *const *v, const char *sep);

/* ---- configuration ---- */

/* Load gpuhook.conf once ($GPUHOOK_CONFIG, $GPUHOOK_STATE_DIR honoured in a
 * test build only). */
int ctl_config(const struct gpuhook_config **ret);
/* The configuration and the UUIDs of the domains with a ledger, sorted
 * (free with strv_free(uuids, n)). 0, or on failure the exit status after
 * saying why. */
int ctl_ledger_domains(const struct gpuhook_config **ret_cfg, char ***ret_uuids, size_t *ret_n);

/* ---- the host-wide switch (verb-disable.c) ---- */

struct ctl_switch {
        char *path;           /* the marker: gpuhook.conf's directory/disabled */
        bool off;             /* the hook prepares nothing */
        bool untrusted;       /* a marker is there, but not root's: ignored */
        char *by, *at, *reason; /* from the marker, NULL when absent */
};
int ctl_switch_read(struct ctl_switch *ret);
void ctl_switch_free(struct ctl_switch *s);
#define _cleanup_switch_ _cleanup_(ctl_switch_free)
/* One line: "gpuhook is on" or who switched it off, when, why. */
void ctl_switch_describe(const struct ctl_switch *s, struct strbuf *out);
struct json_object *ctl_switch_json(const struct ctl_switch *s);

/* ---- verbs ---- */
int verb_check(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_types(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_blacklist(int argc, char **argv);
int verb_xml(int argc, char **argv);
int verb_attach(int argc, char **argv);
int verb_detach(int argc, char **argv);
int verb_reconcile(int argc, char **argv);
int verb_disable(int argc, char **argv);
int verb_enable(int argc, char **argv);
int verb_metrics(int argc, char **argv);
int verb_held(int argc, char **argv);
int verb_repick(int argc, char **argv);
