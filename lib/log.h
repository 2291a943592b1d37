/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "util.h"

/* Logging for the hook and the tools.
 *
 * Everything goes to syslog (ident given at setup). A failure a user must see
 * is recorded with log_fail(): the first one recorded wins, because the
 * innermost failure is the most specific, and the binary prints exactly that
 * one line on stderr when it exits non-zero (libvirt shows the hook's whole
 * stderr to the `virsh start` user). */

enum log_level {
        LOG_LEVEL_ERROR = LOG_ERR,
        LOG_LEVEL_WARNING = LOG_WARNING,
        LOG_LEVEL_INFO = LOG_INFO,
        LOG_LEVEL_DEBUG = LOG_DEBUG,
};

void log_setup(const char *ident, bool to_syslog);
void log_set_level(int level);
int log_get_level(void);
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);
/* Also echo every log line to stderr (gpuhookctl -v, tests). */
void log_set_stderr(bool on);

/* Prefix for user-facing failures, e.g. "domain 'vm1'". */
void log_set_context(const char *fmt, ...) _printf_(1, 2);

void log_msg(int level, const char *fmt, ...) _printf_(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)

/* Record a user-facing failure (what failed, where, what to do), log it at
 * error level and return R (a negative errno) so callers can
 * `return log_fail(r, ...)`. */
int log_fail(int r, const char *fmt, ...) _printf_(2, 3);
/* The recorded failure line (with context prefix) or NULL. */
const char *log_failure(void);
void log_failure_clear(void);
