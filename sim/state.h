/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a recording cannot carry about mdev parents: original capacity per type
 * and the vendor driver's behaviour. Stored as text in <testbed>/.sim/state:
 *   parent <name> <sysfs path> driver=<key> exhausted-errno=<E...> one-type-at-a-time=yes|no
 *          capacity=shared|per-type vendor-dir=<name>|none unregistering=yes|no
 *   type <parent name> <type id> <capacity>
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "testbed.h"

enum sim_capacity {
        SIM_CAPACITY_SHARED,   /* one pool per parent; a type costs pool/capacity */
        SIM_CAPACITY_PER_TYPE, /* independent counter per type (mdev core) */
};

struct sim_mdev_type {
        char *id;          /* "nvidia-300" */
        unsigned capacity; /* available_instances of the empty parent */
};

struct sim_mdev_parent {
        char *name;   /* "0000:41:00.0", as in /sys/class/mdev_bus */
        char *path;   /* "/sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0" */
        char *driver; /* mdev vendor driver: type id prefix ("nvidia", "mtty") */
        int exhausted_errno;
        bool one_type;
        enum sim_capacity capacity;
        char *vendor_dir; /* per-mdev vendor subdir, NULL for none */
        bool unregistering;
        struct sim_mdev_type *types;
        size_t n_types;
};

struct sim_state {
        struct sim_mdev_parent *parents;
        size_t n_parents;
};

int sim_state_load(const struct testbed *tb, struct sim_state **ret);
int sim_state_save(const struct testbed *tb, const struct sim_state *st);
struct sim_state *sim_state_free(struct sim_state *st);

/* By name ("0000:41:00.0") or sysfs path. */
struct sim_mdev_parent *sim_state_find_parent(const struct sim_state *st, const char *key);
const struct sim_mdev_type *sim_parent_find_type(const struct sim_mdev_parent *p, const char *id);

int sim_state_add_parent(struct sim_state *st, const char *name, const char *path,
                         const char *driver, struct sim_mdev_parent **ret);
int sim_parent_add_type(struct sim_mdev_parent *p, const char *id, unsigned capacity);

/* Behaviour inferred from the vendor driver (see sim/README.md). */
void sim_parent_apply_defaults(struct sim_mdev_parent *p);
/* One "key=value" setting; -EINVAL for an unknown key or bad value. */
int sim_parent_set(struct sim_mdev_parent *p, const char *key, const char *value);
