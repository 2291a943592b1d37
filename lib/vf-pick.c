/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "vf-pick.h"

const char *vf_state_to_string(enum vf_state s) {
        switch (s) {
        case VF_FREE: return "free";
        case VF_NOT_ENABLED: return "not-enabled";
        case VF_HELD: return "held";
        case VF_IN_USE: return "in-use";
        }
        return "?";
}

void vf_pool_free(struct vf_pool *p) {
        for (size_t i = 0; p && i < p->n; i++)
                free(p->pfs[i].vfs);
        if (p) {
                free(p->pfs);
                *p = (struct vf_pool){ 0 };
        }
}

unsigned vf_pf_count(const struct vf_pf *pf, enum vf_state s) {
        unsigned n = 0;
        for (size_t i = 0; i < pf->n_vfs; i++)
                n += pf->vfs[i].state == s;
        return n;
}

static unsigned busy(const struct vf_pf *pf) { return vf_pf_count(pf, VF_HELD) + vf_pf_count(pf, VF_IN_USE); }

bool vf_slot_available(const struct vf_pf *pf, const struct vf_slot *slot) {
        if (slot->state == VF_FREE)
                return true;
        return slot->state == VF_NOT_ENABLED && pf->can_enable && pf->numvfs == 0;
}

unsigned vf_pf_available(const struct vf_pf *pf) {
        unsigned n = 0;
        for (size_t i = 0; i < pf->n_vfs; i++)
                n += vf_slot_available(pf, &pf->vfs[i]);
        return n;
}

static bool profile_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
}

bool vf_profile_valid(const char *profile) {
        if (!profile || !*profile || strlen(profile) >= VF_PROFILE_MAX)
                return false;
        for (const char *s = profile;;) {
                size_t k = 0, v = 0;
                while (profile_char(s[k]))
                        k++;
                if (k == 0 || s[k] != '=')
                        return false;
                while (profile_char(s[k + 1 + v]))
                        v++;
                if (v == 0)
                        return false;
                s += k + 1 + v;
                if (!*s)
                        return true;
                if (*s++ != ',')
                        return false;
        }
}

/* Is the pair PAIR (LEN bytes, "key=value") one of HAVE's? */
static bool has_pair(const char *have, const char *pair, size_t len) {
        for (const char *s = have; s && *s;) {
                size_t n = strcspn(s, ",");
                if (n == len && strncmp(s, pair, len) == 0)
                        return true;
                s += n + (s[n] == ',');
        }
        return false;
}

bool vf_profile_matches(const char *have, const char *profile) {
        if (!profile || !*profile)
                return true;
        for (const char *s = profile; *s;) {
                size_t n = strcspn(s, ",");
                if (!has_pair(have, s, n))
                        return false;
                s += n + (s[n] == ',');
        }
        return true;
}

static bool candidate(const struct vf_pf *pf, const struct vf_slot *slot, const struct vf_want *w) {
        return vf_slot_available(pf, slot) && vf_profile_matches(slot->profile, w->profile) &&
               !(w->taken && strset_contains(w->taken, slot->bdf));
}

/* Counting what this pick already took on PF, as the kernel will see it. */
static unsigned taken_on(const struct vf_pf *pf, const struct vf_want *w) {
        unsigned n = 0;
        for (size_t i = 0; w->taken && i < pf->n_vfs; i++)
                n += strset_contains(w->taken, pf->vfs[i].bdf);
        return n;
}

/* Better PF first: NUMA match, then the policy by load, then name. */
static bool better(const struct vf_pf *a, const struct vf_pf *b, const struct vf_want *w) {
        if (w->numa && w->numa->any) {
                bool ina = nodeset_contains(w->numa, a->numa_node), inb = nodeset_contains(w->numa, b->numa_node);
                if (ina != inb)
                        return ina;
        }
        unsigned ua = busy(a) + taken_on(a, w), ub = busy(b) + taken_on(b, w);
        if (ua != ub)
                return w->policy == PLACEMENT_SPREAD ? ua < ub : ua > ub;
        return strcmp(a->bdf, b->bdf) < 0;
}

/* On one PF: an existing free VF before one that must be created (creating
 * one re-creates them all), lowest number first. */
static const struct vf_slot *best_slot(const struct vf_pf *pf, const struct vf_want *w) {
        const struct vf_slot *best = NULL;
        for (size_t i = 0; i < pf->n_vfs; i++) {
                const struct vf_slot *s = &pf->vfs[i];
                if (!candidate(pf, s, w))
                        continue;
                if (!best || (best->state != VF_FREE && s->state == VF_FREE) ||
                    (best->state == s->state && s->index < best->index))
                        best = s;
        }
        return best;
}

static void explain_pf(const struct vf_pf *pf, const struct vf_want *w, struct strbuf *why) {
        unsigned held = vf_pf_count(pf, VF_HELD), used = vf_pf_count(pf, VF_IN_USE);
        unsigned not_enabled = vf_pf_count(pf, VF_NOT_ENABLED), profile_miss = 0;
        const char *owner = NULL;
        for (size_t i = 0; i < pf->n_vfs; i++) {
                if (pf->vfs[i].state == VF_HELD && !owner)
                        owner = pf->vfs[i].owner;
                if (vf_slot_available(pf, &pf->vfs[i]) && !vf_profile_matches(pf->vfs[i].profile, w->profile))
                        profile_miss++;
        }
        strbuf_appendf(why, "; %s: %u of %u VFs enabled", pf->bdf, pf->numvfs, pf->totalvfs);
        if (held)
                strbuf_appendf(why, ", %u held by domains (first: '%s')", held, owner);
        if (used)
                strbuf_appendf(why, ", %u on vfio-pci outside gpuhook", used);
        if (profile_miss)
                strbuf_appendf(why, ", %u free without profile %s", profile_miss, w->profile);
        if (not_enabled && pf->can_enable && pf->numvfs > 0)
                strbuf_appendf(why, ", %u more only with its VFs off (the count changes through 0; enable them all at boot for several VMs)",
                               not_enabled);
        else if (!pf->can_enable && pf->numvfs < pf->totalvfs)
                strbuf_appendf(why, ", its driver %s creates no more at run time", pf->driver);
}

int vf_pick(const struct vf_pool *p, const struct vf_want *w, const struct vf_pf **ret_pf, const struct vf_slot **ret_vf,
            struct strbuf *why) {
        const struct vf_pf *best_pf = NULL;
        const struct vf_slot *best = NULL;
        size_t n_family = 0;

        for (size_t i = 0; i < p->n; i++) {
                const struct vf_pf *pf = &p->pfs[i];
                if (!streq(pf->family, w->family))
                        continue;
                n_family++;
                const struct vf_slot *s = best_slot(pf, w);
                if (s && (!best_pf || better(pf, best_pf, w))) {
                        best_pf = pf;
                        best = s;
                }
        }
        if (best) {
                *ret_pf = best_pf;
                *ret_vf = best;
                return 0;
        }
        if (n_family == 0) {
                struct strset seen = { 0 };
                strbuf_appendf(why, "no SR-IOV GPU of family '%s' on this host (families here:", w->family);
                for (size_t i = 0; i < p->n; i++)
                        if (strset_add(&seen, p->pfs[i].family) > 0)
                                strbuf_appendf(why, " %s", p->pfs[i].family);
                strbuf_appendf(why, "%s)", seen.n ? "" : " none");
                strset_free(&seen);
                return -ENOENT;
        }
        strbuf_appendf(why, "no free VF of family '%s'%s%s", w->family, w->profile ? " with profile " : "",
                       w->profile ? w->profile : "");
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->pfs[i].family, w->family))
                        explain_pf(&p->pfs[i], w, why);
        return -ENOSPC;
}

const struct vf_slot *vf_pool_find(const struct vf_pool *p, const char *bdf, const struct vf_pf **ret_pf) {
        for (size_t i = 0; i < p->n; i++)
                for (size_t k = 0; k < p->pfs[i].n_vfs; k++)
                        if (streq(p->pfs[i].vfs[k].bdf, bdf)) {
                                if (ret_pf)
                                        *ret_pf = &p->pfs[i];
                                return &p->pfs[i].vfs[k];
                        }
        return NULL;
}
