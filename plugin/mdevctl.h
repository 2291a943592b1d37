/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strset.h"

/* mdevctl as the one way gpuhook creates, starts and stops mdevs, so that
 * mdevctl's own checks and callouts (and gpuhook's callout) always run. */

/* Resolve the mdevctl binary: CONFIGURED (an absolute path) if set, else the
 * path fixed at build time (meson -Dmdevctl_path, Debian 12: /usr/bin/mdevctl),
 * never PATH. Records a failure naming the package when absent. */
int mdevctl_resolve(const char *configured, char **ret);

/* UUIDs mdevctl has a persistent definition for. */
int mdevctl_defined_load(const char *mdevctl, struct strset *ret);

/* Each returns 0, or a negative errno with *ret_error set to mdevctl's own
 * one-line complaint (static storage). */
int mdevctl_start_transient(const char *mdevctl, const char *uuid, const char *parent, const char *type,
                            const char **ret_error);
int mdevctl_start_defined(const char *mdevctl, const char *uuid, const char **ret_error);
int mdevctl_stop(const char *mdevctl, const char *uuid, const char **ret_error);
