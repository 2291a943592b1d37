/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Build a host_view by hand, as the plugin layer would read it from sysfs.
 * Parents and types are referred to by index (the arrays move as they grow).
 * host_view_free() releases everything. */

#include "placement.h"

static inline size_t hv_parent(struct host_view *v, const char *name, int numa_node, bool one_type) {
        struct mdev_parent_info *p = reallocarray(v->parents, v->n_parents + 1, sizeof(*p));
        if (!p)
                abort();
        v->parents = p;
        p[v->n_parents] = (struct mdev_parent_info){ .numa_node = numa_node, .one_type_at_a_time = one_type };
        snprintf(p[v->n_parents].name, sizeof(p[v->n_parents].name), "%s", name);
        return v->n_parents++;
}

static inline void hv_type(struct host_view *v, size_t parent, const char *id, const char *name, const char *api,
                           unsigned available, unsigned in_use) {
        struct mdev_parent_info *p = &v->parents[parent];
        struct mdev_type_info *t = reallocarray(p->types, p->n_types + 1, sizeof(*t));
        if (!t)
                abort();
        p->types = t;
        t[p->n_types] = (struct mdev_type_info){ .available = available, .in_use = in_use };
        snprintf(t[p->n_types].id, sizeof(t[p->n_types].id), "%s", id);
        snprintf(t[p->n_types].device_api, sizeof(t[p->n_types].device_api), "%s", api);
        t[p->n_types].name = name ? strdup(name) : NULL;
        p->n_types++;
}

/* A V100-like card: nvidia-299 (4C, 8 instances), nvidia-300 (8C, 4 instances),
 * nvidia-301 (16C, 2 instances), one type at a time. */
static inline size_t hv_v100(struct host_view *v, const char *name, int numa_node, const char *used_type,
                             unsigned used) {
        static const struct {
                const char *id, *name;
                unsigned max;
        } types[] = {
                { "nvidia-299", "GRID V100-4C", 8 },
                { "nvidia-300", "GRID V100-8C", 4 },
                { "nvidia-301", "GRID V100-16C", 2 },
        };
        size_t p = hv_parent(v, name, numa_node, true);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                bool this = used_type && streq(types[i].id, used_type);
                unsigned avail = !used ? types[i].max : this ? types[i].max - used : 0;
                hv_type(v, p, types[i].id, types[i].name, "vfio-pci", avail, this ? used : 0);
        }
        return p;
}
