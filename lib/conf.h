/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci-policy.h"
#include "placement.h"

/* /etc/gpuhook/gpuhook.conf: "key = value" lines, '#' comments. Unknown keys
 * and bad values are errors reported as file:line. A missing file means all
 * defaults. */

struct gpuhook_config {
        enum placement_policy placement;
        unsigned lock_timeout_ms;
        unsigned create_timeout_ms;
        unsigned remove_timeout_ms;
        int log_level;
        char *state_dir;
        char *mdevctl_path; /* NULL: search PATH, then /usr/bin, /usr/sbin */
        size_t max_xml_bytes;
        /* PCI passthrough policy */
        unsigned companion_classes; /* enum companion_class bits */
        char **allow_devices;       /* BDFs that may be taken from a shared IOMMU group */
        size_t n_allow_devices;
        bool allow_boot_console;
        unsigned bind_timeout_ms;   /* each driver (un)bind step */
};

void config_init_defaults(struct gpuhook_config *c);
void config_done(struct gpuhook_config *c);

/* Parse TEXT (named PATH in messages). On error, returns -EINVAL and records
 * a failure "PATH:LINE: ..." through log_fail(). */
int config_parse_text(struct gpuhook_config *c, const char *path, const char *text);
/* Load PATH (-ENOENT is not an error: defaults stay). */
int config_load(struct gpuhook_config *c, const char *path);
/* Which file to load: $GPUHOOK_CONFIG, else the built-in path. Then apply
 * $GPUHOOK_STATE_DIR over the file's state_dir. */
int config_load_default(struct gpuhook_config *c);
const char *config_default_path(void);
