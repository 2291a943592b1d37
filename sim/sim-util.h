/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers for the simulated host. The cleanup macros and inline
 * helpers are lib/util.h's; its functions are not linked here (sim/ links
 * nothing from lib/, the shim stays libc-only): poisoned, so that a call
 * fails to compile rather than to load. */
#pragma once

#include "../lib/util.h"

#pragma GCC poison safe_atou safe_atoi safe_atou64 strstrip_end read_text_file read_uint_file read_int_file
#pragma GCC poison write_text_file write_file_atomic mkdir_p read_fd_limited now_usec sleep_usec
#pragma GCC poison strdup_printf strbuf_appendf strbuf_free

static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* asprintf that returns NULL on failure. */
char *sim_strdup_printf(const char *fmt, ...) _printf_(1, 2);

/* errno <-> "EUSERS" names, for the settings and the writes log. */
const char *sim_errno_name(int err);
int sim_errno_from_name(const char *name); /* -EINVAL if unknown */

/* Whole-string unsigned parser (decimal), no sign, range checked. */
int sim_safe_atou(const char *s, unsigned *ret);

/* Lower-case canonical UUID check: 8-4-4-4-12 hex digits. */
bool sim_uuid_valid(const char *s, size_t len);

/* A driver name as sysfs shows it: no '/', no blanks, not "." or "..". */
bool sim_driver_name_ok(const char *s);

/* The next word of a strtok_r(..., " ", SAVE) scan as KEY=VALUE (split in
 * place): 1, or 0 when there are no more words, or -EBADMSG for a word
 * without '='. */
int sim_next_setting(char **save, char **ret_key, char **ret_value);
