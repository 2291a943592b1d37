/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sim-util.h"
#include "state.h"

#define STATE_FILE "/.sim/state"

static void parent_done(struct sim_mdev_parent *p) {
        free(p->name);
        free(p->path);
        free(p->driver);
        free(p->vendor_dir);
        free(p->mdev_driver);
        free(p->card);
        for (size_t i = 0; i < p->n_types; i++)
                free(p->types[i].id);
        free(p->types);
}

static void device_done(struct sim_device *d) {
        free(d->name);
        free(d->path);
        free(d->bus);
        free(d->native);
}

struct sim_state *sim_state_free(struct sim_state *st) {
        if (!st)
                return NULL;
        for (size_t i = 0; i < st->n_parents; i++)
                parent_done(&st->parents[i]);
        free(st->parents);
        for (size_t i = 0; i < st->n_devices; i++)
                device_done(&st->devices[i]);
        free(st->devices);
        for (size_t i = 0; i < st->n_dynids; i++)
                free(st->dynids[i].driver);
        free(st->dynids);
        for (size_t i = 0; i < st->n_busy; i++) {
                free(st->busy[i].name);
                free(st->busy[i].driver);
        }
        free(st->busy);
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
                .mdev_driver = strdup("vfio_mdev"),
                .state = st,
        };
        if (!p->name || !p->path || !p->driver || !p->mdev_driver) {
                parent_done(p);
                return -ENOMEM;
        }
        sim_parent_apply_defaults(p);
        st->n_parents++;
        if (ret)
                *ret = p;
        return 0;
}

int sim_state_remove_parent(struct sim_state *st, const char *name) {
        struct sim_mdev_parent *p = sim_state_find_parent(st, name);
        if (!p)
                return -ENOENT;
        size_t i = (size_t)(p - st->parents);
        parent_done(p);
        memmove(p, p + 1, (st->n_parents - i - 1) * sizeof(*p));
        st->n_parents--;
        return 0;
}

int sim_parent_add_type(struct sim_mdev_parent *p, const char *id, unsigned capacity) {
        if (sim_parent_find_type(p, id))
                return -EEXIST;
        struct sim_mdev_type *n = realloc(p->types, (p->n_types + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->types = n;
        p->types[p->n_types] = (struct sim_mdev_type){ .id = strdup(id), .capacity = capacity };
        if (!p->types[p->n_types].id)
                return -ENOMEM;
        p->n_types++;
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

bool sim_parent_key(const char *key) {
        static const char *const keys[] = { "exhausted-errno", "one-type-at-a-time", "unregistering",
                                            "capacity",        "vendor-dir",         "driver",
                                            "card",            "mdev-driver",        "params-errno" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i], key))
                        return true;
        return false;
}

int sim_parent_set(struct sim_mdev_parent *p, const char *key, const char *value) {
        if (streq(key, "exhausted-errno")) {
                int e = sim_errno_from_name(value);
                if (e < 0)
                        return e;
                p->exhausted_errno = e;
                return 0;
        }
        if (streq(key, "params-errno")) {
                int e = streq(value, "none") ? 0 : sim_errno_from_name(value);
                if (e < 0)
                        return e;
                p->params_errno = e;
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
        if (streq(key, "mdev-driver")) {
                if (!*value || strchr(value, '/') || strchr(value, ' ') || streq(value, ".") || streq(value, ".."))
                        return -EINVAL;
                char *v = strdup(value);
                if (!v)
                        return -ENOMEM;
                free(p->mdev_driver);
                p->mdev_driver = v;
                return 0;
        }
        if (streq(key, "card")) {
                if (!*value || strchr(value, '/'))
                        return -EINVAL;
                char *v = streq(value, "none") ? NULL : strdup(value);
                if (!streq(value, "none") && !v)
                        return -ENOMEM;
                free(p->card);
                p->card = v;
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

bool sim_device_key(const char *key) {
        return streq(key, "native-driver") || streq(key, "unbind-hangs") || streq(key, "rebind-fails");
}

int sim_device_set(struct sim_device *d, const char *key, const char *value) {
        if (streq(key, "native-driver") || streq(key, "bus")) {
                bool none = streq(key, "native-driver") && streq(value, "none");
                if (!none && !sim_driver_name_ok(value))
                        return -EINVAL;
                char *v = none ? NULL : strdup(value);
                if (!none && !v)
                        return -ENOMEM;
                char **field = streq(key, "bus") ? &d->bus : &d->native;
                free(*field);
                *field = v;
                return 0;
        }
        if (streq(key, "unbind-hangs")) {
                unsigned u;
                if (sim_safe_atou(value, &u) < 0 || u > 3600)
                        return -EINVAL;
                d->unbind_hangs = u;
                return 0;
        }
        if (streq(key, "rebind-fails"))
                return parse_bool(value, &d->rebind_fails);
        return -EINVAL;
}

struct sim_device *sim_state_find_device(const struct sim_state *st, const char *bus, const char *key) {
        for (size_t i = 0; i < st->n_devices; i++)
                if ((!bus || streq(st->devices[i].bus, bus)) &&
                    (streq(st->devices[i].name, key) || streq(st->devices[i].path, key)))
                        return &st->devices[i];
        return NULL;
}

int sim_state_add_device(struct sim_state *st, const char *name, const char *path, const char *bus,
                         const char *native, struct sim_device **ret) {
        if (sim_state_find_device(st, bus, name))
                return -EEXIST;
        struct sim_device *n = realloc(st->devices, (st->n_devices + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        st->devices = n;
        struct sim_device *d = &st->devices[st->n_devices];
        *d = (struct sim_device){
                .name = strdup(name),
                .path = strdup(path),
                .bus = strdup(bus),
                .native = native ? strdup(native) : NULL,
        };
        if (!d->name || !d->path || !d->bus || (native && !d->native)) {
                device_done(d);
                return -ENOMEM;
        }
        st->n_devices++;
        if (ret)
                *ret = d;
        return 0;
}

int sim_state_add_dynid(struct sim_state *st, const struct sim_dynid *id) {
        if (!sim_driver_name_ok(id->driver))
                return -EINVAL;
        struct sim_dynid *n = realloc(st->dynids, (st->n_dynids + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        st->dynids = n;
        n[st->n_dynids] = *id;
        if (!(n[st->n_dynids].driver = strdup(id->driver)))
                return -ENOMEM;
        st->n_dynids++;
        return 0;
}

int sim_state_remove_device(struct sim_state *st, const char *bus, const char *name) {
        struct sim_device *d = sim_state_find_device(st, bus, name);
        if (!d)
                return -ENOENT;
        size_t i = (size_t)(d - st->devices);
        device_done(d);
        memmove(d, d + 1, (st->n_devices - i - 1) * sizeof(*d));
        st->n_devices--;
        return 0;
}

void sim_state_remove_dynid(struct sim_state *st, size_t i) {
        free(st->dynids[i].driver);
        memmove(&st->dynids[i], &st->dynids[i + 1], (st->n_dynids - i - 1) * sizeof(st->dynids[0]));
        st->n_dynids--;
}

struct sim_busy *sim_state_find_busy(const struct sim_state *st, const char *name) {
        for (size_t i = 0; i < st->n_busy; i++)
                if (streq(st->busy[i].name, name))
                        return &st->busy[i];
        return NULL;
}

int sim_state_add_busy(struct sim_state *st, const char *name, const char *driver, unsigned long long until) {
        if (!sim_driver_name_ok(driver))
                return -EINVAL;
        struct sim_busy *n = realloc(st->busy, (st->n_busy + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        st->busy = n;
        n[st->n_busy] = (struct sim_busy){ .name = strdup(name), .driver = strdup(driver), .until = until };
        if (!n[st->n_busy].name || !n[st->n_busy].driver) {
                free(n[st->n_busy].name);
                free(n[st->n_busy].driver);
                return -ENOMEM;
        }
        st->n_busy++;
        return 0;
}

void sim_state_remove_busy(struct sim_state *st, size_t i) {
        free(st->busy[i].name);
        free(st->busy[i].driver);
        memmove(&st->busy[i], &st->busy[i + 1], (st->n_busy - i - 1) * sizeof(st->busy[0]));
        st->n_busy--;
}

int sim_state_save(const struct testbed *tb, const struct sim_state *st) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# gpuhook-sim state v1: mdev parents and original capacity per type; bus devices,\n"
              "# dynamic ids and blocked driver removals (see sim/README.md)\n", f);
        for (size_t i = 0; i < st->n_parents; i++) {
                const struct sim_mdev_parent *p = &st->parents[i];
                fprintf(f,
                        "parent %s %s driver=%s exhausted-errno=%s one-type-at-a-time=%s "
                        "capacity=%s vendor-dir=%s unregistering=%s mdev-driver=%s",
                        p->name, p->path, p->driver, sim_errno_name(p->exhausted_errno),
                        p->one_type ? "yes" : "no", p->capacity == SIM_CAPACITY_SHARED ? "shared" : "per-type",
                        p->vendor_dir ? p->vendor_dir : "none", p->unregistering ? "yes" : "no", p->mdev_driver);
                if (p->card) /* a VF of a card */
                        fprintf(f, " card=%s", p->card);
                if (p->params_errno)
                        fprintf(f, " params-errno=%s", sim_errno_name(p->params_errno));
                fputc('\n', f);
                for (size_t j = 0; j < p->n_types; j++) {
                        fprintf(f, "type %s %s %u", p->name, p->types[j].id, p->types[j].capacity);
                        if (p->types[j].card_capacity > 0)
                                fprintf(f, " card-capacity=%u", p->types[j].card_capacity);
                        fputc('\n', f);
                }
        }
        for (size_t i = 0; i < st->n_devices; i++) {
                const struct sim_device *d = &st->devices[i];
                fprintf(f, "device %s %s bus=%s native-driver=%s unbind-hangs=%u rebind-fails=%s\n", d->name,
                        d->path, d->bus, d->native ? d->native : "none", d->unbind_hangs,
                        d->rebind_fails ? "yes" : "no");
        }
        for (size_t i = 0; i < st->n_dynids; i++) {
                const struct sim_dynid *id = &st->dynids[i];
                fprintf(f, "dynid %s %x %x %x %x %x %x\n", id->driver, id->vendor, id->device, id->subvendor,
                        id->subdevice, id->class, id->class_mask);
        }
        for (size_t i = 0; i < st->n_busy; i++)
                fprintf(f, "busy %s %s %llu\n", st->busy[i].name, st->busy[i].driver, st->busy[i].until);
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
                        for (char *k, *v; r >= 0 && (r = sim_next_setting(&save, &k, &v)) > 0;)
                                r = sim_parent_set(p, k, v);
                } else if (streq(kind, "type")) {
                        const char *cap = strtok_r(NULL, " ", &save);
                        const char *card_cap = strtok_r(NULL, " ", &save);
                        struct sim_mdev_parent *p = sim_state_find_parent(st, a);
                        unsigned c, cc = 0;
                        if (!p || !cap || sim_safe_atou(cap, &c) < 0 ||
                            (card_cap && (!startswith(card_cap, "card-capacity=") ||
                                          sim_safe_atou(card_cap + strlen("card-capacity="), &cc) < 0)))
                                r = -EBADMSG;
                        else if ((r = sim_parent_add_type(p, b, c)) >= 0)
                                p->types[p->n_types - 1].card_capacity = cc;
                } else if (streq(kind, "device")) {
                        struct sim_device *d;
                        r = sim_state_add_device(st, a, b, "", NULL, &d);
                        for (char *k, *v; r >= 0 && (r = sim_next_setting(&save, &k, &v)) > 0;)
                                r = sim_device_set(d, k, v);
                        if (r >= 0 && !*d->bus)
                                r = -EBADMSG;
                } else if (streq(kind, "dynid")) {
                        struct sim_dynid id = { .driver = (char *)a };
                        unsigned *f[] = { &id.vendor, &id.device, &id.subvendor, &id.subdevice, &id.class, &id.class_mask };
                        const char *v = b;
                        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(f); i++, v = strtok_r(NULL, " ", &save)) {
                                char *end;
                                unsigned long x;
                                errno = 0;
                                x = v ? strtoul(v, &end, 16) : 0;
                                if (!v || errno || *end || x > 0xffffffffUL)
                                        r = -EBADMSG;
                                else
                                        *f[i] = (unsigned)x;
                        }
                        if (r >= 0)
                                r = sim_state_add_dynid(st, &id);
                } else if (streq(kind, "busy")) {
                        const char *until = strtok_r(NULL, " ", &save);
                        char *end;
                        unsigned long long u = 0;
                        errno = 0;
                        if (until)
                                u = strtoull(until, &end, 10);
                        if (!until || errno || *end)
                                r = -EBADMSG;
                        else
                                r = sim_state_add_busy(st, a, b, u);
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
