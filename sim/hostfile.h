/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host files: umockdev-record's device format, plus "#" comment lines, which
 * umockdev's parser rejects, and "# gpuhook-sim: <parent> key=value..."
 * setting lines. */
#pragma once

#include <stddef.h>

struct sim_setting {
        char *parent; /* name, sysfs path, or "*" */
        char *key;
        char *value;
        unsigned line;
};

struct sim_hostfile {
        char *devices; /* the text for umockdev_testbed_add_from_string() */
        struct sim_setting *settings;
        size_t n_settings;
};

/* Returns 0, or a negative errno with *ret_line set for a bad setting line. */
int sim_hostfile_load(const char *path, struct sim_hostfile **ret, unsigned *ret_line);
struct sim_hostfile *sim_hostfile_free(struct sim_hostfile *h);
