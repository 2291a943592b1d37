/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Helpers for the gpuhookctl suites: every test runs the REAL built
 * gpuhookctl (and virt-xml-validate, gpuhook-sim, libvirtd) as a child and
 * asserts on its exit status, output and the files it left. */

struct run {
        int status;
        char *out, *err;
};

const char *cli_build_root(void);
const char *cli_source_root(void);
/* Path of the built gpuhookctl. */
const char *cli_binary(void);
/* Fill ARGV (SIZE entries) with gpuhookctl and the NULL-terminated ARGS
 * (cut to fit), NULL-terminated. */
void cli_argv(const char **argv, size_t size, va_list args);

/* Run ARGV (argv[0] is an absolute path) with INPUT on stdin. Prints the
 * output when the status is not EXPECT (-1: do not care). */
int run_argv(struct run *r, const char *input, const char *const argv[], int expect);
/* gpuhookctl ARGS... (NULL-terminated). */
int run_ctl(struct run *r, int expect, ...) __attribute__((sentinel));
/* bash -c SCRIPT. */
int run_sh(struct run *r, int expect, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void run_free(struct run *r);

/* A fresh temp dir (removed by tmpdir_free). */
char *tmpdir_new(void);
void tmpdir_free(char *dir);
/* Write TEXT to DIR/NAME; returns the path. */
char *write_tmp(const char *dir, const char *name, const char *text);
char *read_all(const char *path);

/* Parse JSON text; NULL (and a printed reason) when it is not JSON. */
struct json_object *json_parse(const char *text);
/* o[key] (NULL when absent). */
struct json_object *jget(struct json_object *o, const char *key);
const char *jstr(struct json_object *o, const char *key);

/* Count lines of TEXT containing NEEDLE. */
int count_lines(const char *text, const char *needle);
bool have_program(const char *name);
