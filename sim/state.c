/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sim-util.h"
#include "state.h"

#define STATE_FILE "/.sim/state"

static void parent_done(struct sim_mdev_parent *p) {
        free(p->name);
        free(p->path);
        free(p->driver);
        free(p->vendor_dir);
        for (size_t i = 0; i < p->n_types; i++)
                free(p->types[i].id);
        free(p->types);
}

struct sim_state *sim_state_free(struct sim_state *st) {
        if (!st)
                return NULL;
        for (size_t i = 0; i < st->n_parents; i++)
                parent_done(&st->parents[i]);
        free(st->parents);
        free(st);
        return NULL;
}

struct sim_mdev_parent *sim_state_find_parent(const struct sim_state *st, const char *key) {
        for (size_t i = 0; i < st->n_parents; i++)
                if (streq(st->parents[i].name, key) || streq(st->parents[i].path, key))
                        return &st->parents[i];
        return NULL;
}

const struct sim_mdev_type *sim_parent_find_type(const struct sim_mdev_parent *p, const char *id) {
        for (size_t i = 0; i < p->n_types; i++)
                if (streq(p->types[i].id, id))
                        return &p->types[i];
        return NULL;
}

int sim_state_add_parent(struct sim_state *st, const char *name, const char *path,
                         const char *driver, struct sim_mdev_parent **ret) {
        if (sim_state_find_parent(st, name))
                return -EEXIST;
        struct sim_mdev_parent *n = realloc(st->parents, (st->n_parents + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        st->parents = n;
        struct sim_mdev_parent *p = &st->parents[st->n_parents];
        *p = (struct sim_mdev_parent){
                .name = strdup(name),
                .path = strdup(path),
                .driver = strdup(driver),
        };
        if (!p->name || !p->path || !p->driver) {
                parent_done(p);
                return -ENOMEM;
        }
        sim_parent_apply_defaults(p);
        st->n_parents++;
        if (ret)
                *ret = p;
        return 0;
}

int sim_parent_add_type(struct sim_mdev_parent *p, const char *id, unsigned capacity) {
        if (sim_parent_find_type(p, id))
                return -EEXIST;
        struct sim_mdev_type *n = realloc(p->types, (p->n_types + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->types = n;
        if (!(p->types[p->n_types].id = strdup(id)))
                return -ENOMEM;
        p->types[p->n_types++].capacity = capacity;
        return 0;
}

static const struct {
        const char *driver;
        int err;
        bool one_type;
        enum sim_capacity capacity;
        const char *vendor_dir;
} driver_defaults[] = {
        /* NVIDIA legacy vGPU (nvidia_vgpu_vfio): time-sliced GPUs host one
         * type at a time; the framebuffer is shared. */
        { "nvidia", EUSERS, true, SIM_CAPACITY_SHARED, "nvidia" },
        /* Intel GVT-g: aperture/hidden GM shared, users see ENOSPC. */
        { "i915", ENOSPC, false, SIM_CAPACITY_SHARED, "intel_vgpu" },
        /* Kernel samples: mtty shares 24 ports, mbochs 256 MB, mdpy 4 devices. */
        { "mtty", ENOSPC, false, SIM_CAPACITY_SHARED, NULL },
        { "mbochs", ENOSPC, false, SIM_CAPACITY_SHARED, NULL },
        { "mdpy", EUSERS, false, SIM_CAPACITY_SHARED, NULL },
};

void sim_parent_apply_defaults(struct sim_mdev_parent *p) {
        /* mdev core counter: EUSERS, independent per type. */
        p->exhausted_errno = EUSERS;
        p->one_type = false;
        p->capacity = SIM_CAPACITY_PER_TYPE;
        free(p->vendor_dir);
        p->vendor_dir = NULL;
        for (size_t i = 0; i < ELEMENTSOF(driver_defaults); i++) {
                if (!streq(p->driver, driver_defaults[i].driver))
                        continue;
                p->exhausted_errno = driver_defaults[i].err;
                p->one_type = driver_defaults[i].one_type;
                p->capacity = driver_defaults[i].capacity;
                if (driver_defaults[i].vendor_dir)
                        p->vendor_dir = strdup(driver_defaults[i].vendor_dir);
        }
}

static int parse_bool(const char *v, bool *ret) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                *ret = true;
        else if (streq(v, "no") || streq(v, "false") || streq(v, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

int sim_parent_set(struct sim_mdev_parent *p, const char *key, const char *value) {
        if (streq(key, "exhausted-errno")) {
                int e = sim_errno_from_name(value);
                if (e < 0)
                        return e;
                p->exhausted_errno = e;
                return 0;
        }
        if (streq(key, "one-type-at-a-time"))
                return parse_bool(value, &p->one_type);
        if (streq(key, "unregistering"))
                return parse_bool(value, &p->unregistering);
        if (streq(key, "capacity")) {
                if (streq(value, "shared"))
                        p->capacity = SIM_CAPACITY_SHARED;
                else if (streq(value, "per-type"))
                        p->capacity = SIM_CAPACITY_PER_TYPE;
                else
                        return -EINVAL;
                return 0;
        }
        if (streq(key, "vendor-dir")) {
                if (!*value || strchr(value, '/') || streq(value, ".") || streq(value, ".."))
                        return -EINVAL;
                char *v = streq(value, "none") ? NULL : strdup(value);
                if (!streq(value, "none") && !v)
                        return -ENOMEM;
                free(p->vendor_dir);
                p->vendor_dir = v;
                return 0;
        }
        if (streq(key, "driver")) {
                char *v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(p->driver);
                p->driver = v;
                return 0;
        }
        return -EINVAL;
}

int sim_state_save(const struct testbed *tb, const struct sim_state *st) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# gpuhook-sim state v1: mdev parents and original capacity per type\n", f);
        for (size_t i = 0; i < st->n_parents; i++) {
                const struct sim_mdev_parent *p = &st->parents[i];
                fprintf(f,
                        "parent %s %s driver=%s exhausted-errno=%s one-type-at-a-time=%s "
                        "capacity=%s vendor-dir=%s unregistering=%s\n",
                        p->name, p->path, p->driver, sim_errno_name(p->exhausted_errno),
                        p->one_type ? "yes" : "no", p->capacity == SIM_CAPACITY_SHARED ? "shared" : "per-type",
                        p->vendor_dir ? p->vendor_dir : "none", p->unregistering ? "yes" : "no");
                for (size_t j = 0; j < p->n_types; j++)
                        fprintf(f, "type %s %s %u\n", p->name, p->types[j].id, p->types[j].capacity);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return tb_write_file(tb, STATE_FILE, buf, 0644);
}

int sim_state_load(const struct testbed *tb, struct sim_state **ret) {
        _cleanup_free_ char *text = NULL;
        int r = tb_read_file(tb, STATE_FILE, &text);
        if (r < 0)
                return r;
        struct sim_state *st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        char *save_line = NULL;
        for (char *line = strtok_r(text, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                char *save = NULL;
                const char *kind = strtok_r(line, " ", &save);
                const char *a = strtok_r(NULL, " ", &save);
                const char *b = strtok_r(NULL, " ", &save);
                if (!kind || !a || !b) {
                        r = -EBADMSG;
                        break;
                }
                if (streq(kind, "parent")) {
                        struct sim_mdev_parent *p;
                        r = sim_state_add_parent(st, a, b, "", &p);
                        if (r < 0)
                                break;
                        for (char *kv; r >= 0 && (kv = strtok_r(NULL, " ", &save));) {
                                char *eq = strchr(kv, '=');
                                if (!eq) {
                                        r = -EBADMSG;
                                        break;
                                }
                                *eq = '\0';
                                r = sim_parent_set(p, kv, eq + 1);
                        }
                } else if (streq(kind, "type")) {
                        const char *cap = strtok_r(NULL, " ", &save);
                        struct sim_mdev_parent *p = sim_state_find_parent(st, a);
                        unsigned c;
                        if (!p || !cap || sim_safe_atou(cap, &c) < 0)
                                r = -EBADMSG;
                        else
                                r = sim_parent_add_type(p, b, c);
                } else
                        r = -EBADMSG;
                if (r < 0)
                        break;
        }
        if (r < 0) {
                sim_state_free(st);
                return r;
        }
        *ret = st;
        return 0;
}
