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

const char *mdev_parent_card(const struct mdev_parent_info *p) { return *p->card ? p->card : p->name; }

static bool same_card(const struct mdev_parent_info *a, const struct mdev_parent_info *b) {
        return streq(mdev_parent_card(a), mdev_parent_card(b));
}

/* Does CARD (a parent's card) host one type and still offer another? */
static bool card_offers_mix(const struct host_view *v, const struct mdev_parent_info *card) {
        const char *hosted = NULL;
        for (size_t i = 0; i < v->n_parents; i++)
                for (size_t t = 0; same_card(&v->parents[i], card) && t < v->parents[i].n_types; t++)
                        if (v->parents[i].types[t].in_use > 0)
                                hosted = v->parents[i].types[t].id;
        if (!hosted)
                return false;
        for (size_t i = 0; i < v->n_parents; i++)
                for (size_t t = 0; same_card(&v->parents[i], card) && t < v->parents[i].n_types; t++)
                        if (v->parents[i].types[t].available > 0 && !streq(v->parents[i].types[t].id, hosted))
                                return true;
        return false;
}

void host_view_settle_type_rule(struct host_view *v) {
        bool mixed[v->n_parents ? v->n_parents : 1];
        for (size_t i = 0; i < v->n_parents; i++)
                mixed[i] = v->parents[i].one_type_at_a_time && card_offers_mix(v, &v->parents[i]);
        for (size_t i = 0; i < v->n_parents; i++)
                if (mixed[i])
                        v->parents[i].one_type_at_a_time = false;
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

/* Instances in use on each parent's card, indexed like the parents:
 * linear in the number of parents. */
static unsigned *card_loads(const struct host_view *v) {
        unsigned *per_card = calloc(v->n_parents + 1, sizeof(unsigned));
        size_t *card_of = calloc(v->n_parents + 1, sizeof(size_t));
        unsigned *load = calloc(v->n_parents + 1, sizeof(unsigned));
        struct strset cards = { 0 };
        size_t next = 0;

        if (!per_card || !card_of || !load)
                goto fail;
        for (size_t i = 0; i < v->n_parents; i++) {
                const char *card = mdev_parent_card(&v->parents[i]);
                if (!strset_get(&cards, card, &card_of[i])) {
                        if (strset_put(&cards, card, next) < 0)
                                goto fail;
                        card_of[i] = next++;
                }
                per_card[card_of[i]] += mdev_parent_in_use(&v->parents[i]);
        }
        for (size_t i = 0; i < v->n_parents; i++)
                load[i] = per_card[card_of[i]];
        strset_free(&cards);
        free(per_card);
        free(card_of);
        return load;
fail:
        strset_free(&cards);
        free(per_card);
        free(card_of);
        free(load);
        return NULL;
}

/* Better candidate first: NUMA match, then policy (by card load), then
 * capacity, then name so that the choice is deterministic. */
static bool better(const struct host_view *v, const struct placement_request *req, const unsigned *load, size_t a,
                   size_t ta, size_t b, size_t tb) {
        const struct mdev_parent_info *pa = &v->parents[a], *pb = &v->parents[b];
        bool numa_pref = req->numa && req->numa->any;
        if (numa_pref) {
                bool ina = nodeset_contains(req->numa, pa->numa_node), inb = nodeset_contains(req->numa, pb->numa_node);
                if (ina != inb)
                        return ina;
        }
        unsigned ua = load ? load[a] : mdev_parent_in_use(pa);
        unsigned ub = load ? load[b] : mdev_parent_in_use(pb);
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

/* Which other type holds P's card, if the one-type rule is why TI is 0. */
static const char *type_blocking(const struct host_view *v, const struct mdev_parent_info *p,
                                 const struct mdev_type_info *ti) {
        for (size_t i = 0; i < v->n_parents; i++) {
                const struct mdev_parent_info *q = &v->parents[i];
                if (!same_card(q, p))
                        continue;
                for (size_t t = 0; t < q->n_types; t++)
                        if (q->types[t].in_use > 0 && !streq(q->types[t].id, ti->id))
                                return q->types[t].id;
        }
        return NULL;
}

static void explain_parent(const struct host_view *v, const struct mdev_parent_info *p,
                           const struct mdev_type_info *ti, struct strbuf *why) {
        strbuf_appendf(why, " %s has %u left", p->name, ti->available);
        if (ti->available == 0 && p->one_type_at_a_time) {
                const char *other = type_blocking(v, p, ti);
                if (other) {
                        if (!*p->card || streq(p->card, p->name))
                                strbuf_appendf(why, " (%s already hosts %s; %s cannot be added until it is empty)", p->name,
                                               other, ti->id);
                        else
                                strbuf_appendf(why, " (its card %s already hosts %s; %s cannot be added until the card is empty)",
                                               p->card, other, ti->id);
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
        _cleanup_free_ unsigned *load = card_loads(v);

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
                        if (!found_best || better(v, req, load, i, t, best, best_t)) {
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
                explain_parent(v, p, ti, why);
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
        if (p->one_instance)
                for (size_t t = 0; t < p->n_types; t++)
                        p->types[t].available = 0;
        if (!p->one_type_at_a_time)
                return;
        /* The rule holds for the whole card (every VF of it). */
        for (size_t i = 0; i < v->n_parents; i++) {
                struct mdev_parent_info *q = &v->parents[i];
                if (!same_card(q, p))
                        continue;
                for (size_t t = 0; t < q->n_types; t++)
                        if (!streq(q->types[t].id, ti->id))
                                q->types[t].available = 0;
        }
}
