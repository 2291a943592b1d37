/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Event counters for monitoring (`gpuhookctl metrics`): STATE_DIR/counters,
 * "NAME VALUE" lines. The hook bumps one under the host lock and replaces
 * the file atomically, so a crash may lose an increment but never leaves a
 * torn file. The state directory is on /run: the counters start at zero at
 * boot, as Prometheus counters may (a reset is a drop to zero). */

enum counter {
        COUNTER_PREPARE_FAILURES,
        COUNTER_RELEASE_FAILURES,
        _COUNTER_MAX,
};

struct counters {
        uint64_t value[_COUNTER_MAX];
};

const char *counter_name(enum counter c);
/* Parse the file's text; unknown lines are skipped (a newer gpuhook's). */
void counters_parse(const char *text, struct counters *ret);
/* Read STATE_DIR/counters (missing: all zero). */
int counters_read(const char *state_dir, struct counters *ret);
/* Add one to C, under the host lock (waits at most TIMEOUT_MS). Failures are
 * returned, never recorded as the user-facing failure: a counter must not
 * replace the reason a start failed. */
int counters_bump(const char *state_dir, enum counter c, unsigned timeout_ms);
