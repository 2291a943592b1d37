/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Complete a freshly loaded testbed with what umockdev-record cannot carry
 * (write-only files, bus/class/group back links, /dev/vfio) and write the
 * mdev bookkeeping to .sim/state. See sim/README.md, "Completion rules". */
#pragma once

#include "hostfile.h"
#include "testbed.h"

/* For the completion steps (complete*.c), which take char **ret_msg: keep
 * the first message; evaluates to R if negative (an errno), else -EINVAL. */
#define FAIL(r, ...)                                               \
        ({                                                         \
                if (ret_msg && !*ret_msg)                           \
                        *ret_msg = sim_strdup_printf(__VA_ARGS__); \
                (r) < 0 ? (r) : -EINVAL;                            \
        })

/* On failure, *ret_msg (malloc'd) says what failed. */
int sim_complete(const struct testbed *tb, const struct sim_setting *settings, size_t n_settings,
                 char **ret_msg);
