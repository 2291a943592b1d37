/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "placement.h"
#include "strset.h"

int placement_policy_from_string(const char *s) {
        if (streq_ptr(s, "compact"))
                return PLACEMENT_COMPACT;
        if (streq_ptr(s, "spread"))
                return PLACEMENT_SPREAD;
        return -EINVAL;
}

const char *placement_policy_to_string(enum placement_policy p) {
        return p == PLACEMENT_SPREAD ? "spread" : "compact";
}

void host_view_free(struct host_view *v) {
        for (size_t i = 0; i < v->n_parents; i++) {
                for (size_t t = 0; t < v->parents[i].n_types; t++)
                        free(v->parents[i].types[t].name);
                free(v->parents[i].types);
        }
        free(v->parents);
        *v = (struct host_view){ 0 };
}

unsigned mdev_parent_in_use(const struct mdev_parent_info *p) {
        unsigned n = 0;
        for (size_t t = 0; t < p->n_types; t++)
                n += p->types[t].in_use;
        return n;
}

struct mdev_type_info *mdev_parent_find_type(const struct mdev_parent_info *p, const char *type_id) {
        for (size_t t = 0; t < p->n_types; t++)
                if (streq(p->types[t].id, type_id))
                        return &p->types[t];
        return NULL;
}

struct mdev_parent_info *host_view_find_parent(const struct host_view *v, const char *name) {
        for (size_t i = 0; i < v->n_parents; i++)
                if (streq(v->parents[i].name, name))
                        return &v->parents[i];
        return NULL;
}

int placement_resolve_type(const struct host_view *v, const char *type, const char **ret_id, struct strbuf *why) {
        const char *by_name = NULL;
        bool ambiguous = false;
        char shown[80];

        for (size_t i = 0; i < v->n_parents; i++)
                for (size_t t = 0; t < v->parents[i].n_types; t++) {
                        const struct mdev_type_info *ti = &v->parents[i].types[t];
                        if (streq(ti->id, type)) {
                                *ret_id = ti->id;
                                return 0;
                        }
                        if (ti->name && streq(ti->name, type)) {
                                if (by_name && !streq(by_name, ti->id))
                                        ambiguous = true;
                                if (!by_name)
                                        by_name = ti->id;
                        }
                }
        if (by_name && !ambiguous) {
                *ret_id = by_name;
                return 0;
        }

        sanitize_for_message(type, shown, sizeof(shown));
        if (ambiguous) {
                strbuf_appendf(why, "type name '%s' matches several type ids (", shown);
                struct strset seen = { 0 };
                bool first = true;
                for (size_t i = 0; i < v->n_parents; i++)
                        for (size_t t = 0; t < v->parents[i].n_types; t++) {
                                const struct mdev_type_info *ti = &v->parents[i].types[t];
                                if (ti->name && streq(ti->name, type) && strset_add(&seen, ti->id) > 0) {
                                        strbuf_appendf(why, "%s%s", first ? "" : ", ", ti->id);
                                        first = false;
                                }
                        }
                strset_free(&seen);
                strbuf_appendf(why, "); name the type id instead");
                return -EINVAL;
        }
        strbuf_appendf(why, "no mdev parent on this host offers type '%s'", shown);
        if (v->n_parents == 0) {
                strbuf_appendf(why, " (there are no mdev parents at all: is the vendor vGPU driver loaded?)");
                return -ENOENT;
        }
        strbuf_appendf(why, "; types here:");
        struct strset seen = { 0 };
        unsigned listed = 0;
        for (size_t i = 0; i < v->n_parents && listed < 16; i++)
                for (size_t t = 0; t < v->parents[i].n_types && listed < 16; t++) {
                        const struct mdev_type_info *ti = &v->parents[i].types[t];
                        if (strset_add(&seen, ti->id) > 0) {
                                strbuf_appendf(why, "%s %s%s%s%s", listed ? "," : "", ti->id, ti->name ? " (" : "",
                                               ti->name ? ti->name : "", ti->name ? ")" : "");
                                listed++;
                        }
                }
        strset_free(&seen);
        return -ENOENT;
}

/* Better candidate first: NUMA match, then policy, then capacity, then name
 * so that the choice is deterministic. */
static bool better(const struct host_view *v, const struct placement_request *req, size_t a, size_t ta, size_t b,
                   size_t tb) {
        const struct mdev_parent_info *pa = &v->parents[a], *pb = &v->parents[b];
        bool numa_pref = req->numa && req->numa->any;
        if (numa_pref) {
                bool ina = nodeset_contains(req->numa, pa->numa_node), inb = nodeset_contains(req->numa, pb->numa_node);
                if (ina != inb)
                        return ina;
        }
        unsigned ua = mdev_parent_in_use(pa), ub = mdev_parent_in_use(pb);
        unsigned fa = pa->types[ta].available, fb = pb->types[tb].available;
        if (req->policy == PLACEMENT_SPREAD) {
                if (ua != ub)
                        return ua < ub;
                if (fa != fb)
                        return fa > fb;
        } else {
                if (ua != ub)
                        return ua > ub;
                if (fa != fb)
                        return fa < fb;
        }
        return strcmp(pa->name, pb->name) < 0;
}

static void explain_parent(const struct mdev_parent_info *p, const struct mdev_type_info *ti, struct strbuf *why) {
        strbuf_appendf(why, " %s has %u left", p->name, ti->available);
        if (ti->available == 0 && p->one_type_at_a_time) {
                for (size_t t = 0; t < p->n_types; t++)
                        if (p->types[t].in_use > 0 && &p->types[t] != ti) {
                                strbuf_appendf(why, " (it already hosts %s; %s cannot be added until it is empty)",
                                               p->types[t].id, ti->id);
                                return;
                        }
        }
        if (ti->in_use)
                strbuf_appendf(why, " (%u in use)", ti->in_use);
}

int placement_choose(const struct host_view *v, const struct placement_request *req,
                     struct placement_choice *ret, struct strbuf *why) {
        bool found_best = false, offered = false;
        size_t best = 0, best_t = 0;

        for (size_t i = 0; i < v->n_parents; i++) {
                const struct mdev_parent_info *p = &v->parents[i];
                if (req->parent && !streq(p->name, req->parent))
                        continue;
                for (size_t t = 0; t < p->n_types; t++) {
                        if (!streq(p->types[t].id, req->type_id))
                                continue;
                        offered = true;
                        if (p->types[t].available == 0)
                                continue;
                        if (!found_best || better(v, req, i, t, best, best_t)) {
                                best = i;
                                best_t = t;
                                found_best = true;
                        }
                }
        }
        if (found_best) {
                *ret = (struct placement_choice){ .parent = best, .type = best_t };
                return 0;
        }

        if (!offered) {
                if (req->parent && !host_view_find_parent(v, req->parent)) {
                        strbuf_appendf(why, "parent %s is not an mdev parent on this host (is its vGPU driver loaded and are its VFs enabled?)",
                                       req->parent);
                        return -ENOENT;
                }
                strbuf_appendf(why, "parent %s does not offer type %s", req->parent ? req->parent : "(any)",
                               req->type_id);
                return -ENOENT;
        }
        strbuf_appendf(why, "no free instance of %s:", req->type_id);
        bool first = true;
        for (size_t i = 0; i < v->n_parents; i++) {
                const struct mdev_parent_info *p = &v->parents[i];
                if (req->parent && !streq(p->name, req->parent))
                        continue;
                const struct mdev_type_info *ti = mdev_parent_find_type(p, req->type_id);
                if (!ti)
                        continue;
                if (!first)
                        strbuf_appendf(why, ";");
                explain_parent(p, ti, why);
                first = false;
        }
        strbuf_appendf(why, "; stop a VM that uses one, or choose another type or parent");
        return -ENOSPC;
}

void host_view_consume(struct host_view *v, const struct placement_choice *c) {
        struct mdev_parent_info *p = &v->parents[c->parent];
        struct mdev_type_info *ti = &p->types[c->type];
        if (ti->available > 0)
                ti->available--;
        ti->in_use++;
        if (p->one_type_at_a_time)
                for (size_t t = 0; t < p->n_types; t++)
                        if (t != c->type)
                                p->types[t].available = 0;
}
