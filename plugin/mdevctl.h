/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strset.h"

/* mdevctl: its definitions, its callouts, and running it. gpuhook starts
 * mdevctl-defined devices through mdevctl; it creates its own transient ones
 * through sysfs, except when a callout or notifier other than gpuhook's is
 * installed, which then must see them too (mdevctl_others_installed()). */

/* Resolve the mdevctl binary: CONFIGURED (an absolute path) if set, else the
 * path fixed at build time (meson -Dmdevctl_path, Debian 12: /usr/bin/mdevctl),
 * never PATH. Records a failure naming the package when absent. */
int mdevctl_resolve(const char *configured, char **ret);

/* UUIDs mdevctl has a persistent definition for, read from its config
 * directory as mdevctl reads it (no mdevctl process). */
int mdevctl_defined_load(struct strset *ret);

/* Is a callout or notifier other than gpuhook's own installed where mdevctl
 * looks for them? Then gpuhook creates and removes through mdevctl, so that
 * it runs them. */
bool mdevctl_others_installed(void);

/* Each returns 0, or a negative errno with *ret_error set to mdevctl's own
 * one-line complaint (static storage). */
int mdevctl_start_transient(const char *mdevctl, const char *uuid, const char *parent, const char *type,
                            const char **ret_error);
int mdevctl_start_defined(const char *mdevctl, const char *uuid, const char **ret_error);
int mdevctl_stop(const char *mdevctl, const char *uuid, const char **ret_error);
