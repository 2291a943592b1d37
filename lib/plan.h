/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "domain.h"
#include "placement.h"
#include "strset.h"

/* Deciding what prepare will do, without touching the host: every input is
 * a snapshot the caller took (sysfs, mdevctl, ledgers). */

enum mdev_action_kind {
        MDEV_ACTION_KEEP_FOREIGN,  /* exists, not gpuhook's: never touched */
        MDEV_ACTION_KEEP_OURS,     /* exists, in this domain's ledger: prepare ran before */
        MDEV_ACTION_START_DEFINED, /* mdevctl has a definition: start it, stop at release */
        MDEV_ACTION_CREATE,        /* metadata describes it: create on a chosen parent */
};

const char *mdev_action_kind_to_string(enum mdev_action_kind k);

struct mdev_action {
        enum mdev_action_kind kind;
        const struct mdev_hostdev *hostdev;
        const struct mdev_request *request; /* CREATE only */
        char parent[MDEV_NAME_MAX + 1];     /* CREATE only */
        char type[MDEV_NAME_MAX + 1];       /* CREATE only: the resolved type id */
        const void *driver;                 /* CREATE only: the parent's driver */
};

struct plan {
        struct mdev_action *mdev;
        size_t n_mdev;
};

struct plan_input {
        const struct domain_spec *domain;
        const struct strset *existing; /* UUIDs in /sys/bus/mdev/devices */
        const struct strset *ours;     /* UUIDs in this domain's ledger */
        const struct strset *defined;  /* UUIDs mdevctl has definitions for */
        const struct strset *others;   /* UUIDs in other domains' ledgers; value indexes other_names */
        char *const *other_names;
        struct host_view *view;        /* consumed as instances are planned */
        enum placement_policy default_policy;
};

/* All or nothing: on failure nothing is planned and one user-facing line is
 * recorded (log_fail) naming the device and the fix. */
int plan_mdevs(const struct plan_input *in, struct plan *ret);
void plan_free(struct plan *p);
