/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci-policy.h"
#include "placement.h"

/* /etc/gpuhook/gpuhook.conf: "key = value" lines, '#' comments. A missing
 * file means all defaults. Unknown keys and bad values are errors, each
 * recorded as "FILE:LINE: what is wrong"; every valid line still applies and
 * a bad one leaves that key's default. Only what needs the policy refuses to
 * run with errors (the hook's prepare of a domain with GPU hostdevs); release
 * and reconcile follow the ledger and go on. */

struct gpuhook_config {
        enum placement_policy placement;
        unsigned lock_timeout_ms;
        unsigned create_timeout_ms;
        unsigned remove_timeout_ms;
        int log_level;
        char *state_dir;
        char *mdevctl_path; /* absolute; NULL: the path fixed at build time (never PATH) */
        size_t max_xml_bytes;
        /* PCI passthrough policy */
        unsigned companion_classes; /* enum companion_class bits */
        char **allow_devices;       /* BDFs that may be taken from a shared IOMMU group */
        size_t n_allow_devices;
        bool allow_boot_console;
        bool stop_display_manager; /* single-GPU passthrough: stop display-manager.service with the console */
        unsigned bind_timeout_ms;   /* each driver (un)bind step */
        /* How long a start waits for a stopping domain to release what it
         * needs (libvirt frees a stopping domain's hostdevs before its
         * release hook runs, so a start can come in between). */
        unsigned handover_timeout_ms;
        /* What was wrong, in file order: "FILE:LINE: what" ("FILE: what"
         * when not a line: unreadable file, a bad test override). */
        char **errors;
        /* fixes[i]: what to do about errors[i] ("did you mean 'placement'?",
         * "expected whole seconds from 1 to 3600"); check prints
         * "FILE:LINE: what; fix". */
        char **fixes;
        size_t n_errors;
        /* Errors past CONFIG_MAX_ERRORS are counted, not kept: a file that
         * is not a gpuhook.conf at all (a binary, a pasted log) stays one
         * bounded report. */
        size_t n_errors_dropped;
        char *errors_in; /* the file of the first error */
};

#define CONFIG_MAX_ERRORS 100

void config_init_defaults(struct gpuhook_config *c);
void config_done(struct gpuhook_config *c);

/* Parse TEXT (named PATH in messages): every line; each bad one is added to
 * C's errors, each good one applied. With errors returns -EINVAL and records
 * one failure line naming them all (config_errors_summary()) through
 * log_fail(); -ENOMEM; else 0. */
int config_parse_text(struct gpuhook_config *c, const char *path, const char *text);
/* Load PATH (-ENOENT is not an error: defaults stay). An unreadable file is
 * an error (in C's errors) and -errno. */
int config_load(struct gpuhook_config *c, const char *path);
/* Load the host's config: the built-in path (a test build: $GPUHOOK_CONFIG
 * when set), then in a test build $GPUHOOK_STATE_DIR over state_dir. Errors
 * in it do not fail: they are in C's errors (config_has_errors()), logged as
 * a warning, and not recorded as the failure; C holds the valid values and
 * defaults. Returns 0, or -ENOMEM. */
int config_load_default(struct gpuhook_config *c);
const char *config_default_path(void);

bool config_has_errors(const struct gpuhook_config *c);
/* "FILE:LINE: what; fix" for error I (malloc'd). */
char *config_error_with_fix(const struct gpuhook_config *c, size_t i);
/* One line, malloc'd: the error itself when there is one, else
 * "FILE has N errors: FILE:3: ...; FILE:7: ..." (the first ten). */
char *config_errors_summary(const struct gpuhook_config *c);
