/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nodeset.h"
#include "util.h"
#include "validate.h"

/* Deciding where an mdev goes. Pure: works on a snapshot of the host (the
 * host view) that the plugin layer reads from sysfs, so every rule here is
 * unit-tested without a device. */

enum placement_policy {
        PLACEMENT_COMPACT, /* fullest parent with room first: keeps whole cards free */
        PLACEMENT_SPREAD,  /* least loaded parent first: best performance per VM */
        PLACEMENT_DEFAULT = -1,
};

int placement_policy_from_string(const char *s);
const char *placement_policy_to_string(enum placement_policy p);

struct mdev_type_info {
        char id[MDEV_NAME_MAX + 1];
        char *name;        /* human name, e.g. "GRID V100-8C"; may be NULL */
        char device_api[16];
        unsigned available; /* available_instances */
        unsigned in_use;    /* entries in devices/ */
};

struct mdev_parent_info {
        char name[MDEV_NAME_MAX + 1];
        int numa_node; /* -1 unknown */
        /* Vendor rule (NVIDIA time-sliced GPUs): once one type has an
         * instance, no other type can be created until the parent is empty. */
        bool one_type_at_a_time;
        /* SR-IOV VFs on the mdev path (A100/A30/A10): one instance in all. */
        bool one_instance;
        /* The physical card: the PF of a VF, else the parent itself. Load
         * (compact/spread) and the one-type rule count per card. */
        char card[MDEV_NAME_MAX + 1]; /* "" = the parent itself */
        const void *driver; /* plugin driver that claimed the parent */
        struct mdev_type_info *types;
        size_t n_types;
};

struct host_view {
        struct mdev_parent_info *parents;
        size_t n_parents;
};

void host_view_free(struct host_view *v);
/* The one-type rule is NVIDIA's for a time-sliced GPU in equal-size mode, its
 * default; in mixed-size mode the GPU hosts types of several sizes (NVIDIA
 * vGPU User Guide, "Valid Virtual GPU Configurations on a Single GPU").
 * sysfs does not say which mode a GPU is in, but its counters show it once
 * it hosts a vGPU: a card that hosts one type and still offers another
 * (available_instances > 0) is mixed, and the rule is dropped there. An empty
 * card keeps the rule: a refusal that explains beats a plan of two types
 * that the driver of an equal-size GPU would refuse half-way. */
void host_view_settle_type_rule(struct host_view *v);
/* The card a parent belongs to (its own name when it has none). */
const char *mdev_parent_card(const struct mdev_parent_info *p);
unsigned mdev_parent_in_use(const struct mdev_parent_info *p);
struct mdev_type_info *mdev_parent_find_type(const struct mdev_parent_info *p, const char *type_id);
struct mdev_parent_info *host_view_find_parent(const struct host_view *v, const char *name);

/* Turn the user's `type` (a type id, or exactly one type's human name) into
 * a type id. On failure, explains in *why (what exists instead). */
int placement_resolve_type(const struct host_view *v, const char *type, const char **ret_id, struct strbuf *why);

struct placement_request {
        const char *type_id;  /* resolved */
        const char *parent;   /* NULL: any */
        enum placement_policy policy;
        const struct nodeset *numa; /* NULL or !any: no preference */
};

struct placement_choice {
        size_t parent, type; /* indexes into the view */
};

/* Choose a parent. -ENOSPC when none has room (why lists every parent that
 * offers the type with what it has left and why), -ENOENT when the named
 * parent does not exist or does not offer the type. */
int placement_choose(const struct host_view *v, const struct placement_request *req,
                     struct placement_choice *ret, struct strbuf *why);

/* Account for one instance created at CHOICE, as the kernel would. */
void host_view_consume(struct host_view *v, const struct placement_choice *choice);
