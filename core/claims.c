/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who owns what, before anything is changed: the owner record's side of
 * prepare (claim before the ledger, refuse what another domain holds, wait a
 * bounded time for a stopping domain to let go). Release's side (undo only
 * what this domain still owns) is in release.c. */
#include "holders.h"
#include "internal.h"
#include "iommu.h"
#include "jit.h"
#include "lock.h"
#include "log.h"
#include "pci.h"
#include "strset.h"

static void claim_from_entry(const struct jit_state *s, const struct ledger_entry *e, struct owner_claim *c) {
        *c = (struct owner_claim){ .kind = e->kind };
        snprintf(c->id, sizeof(c->id), "%s", e->id);
        if (e->kind == LEDGER_MDEV)
                snprintf(c->on, sizeof(c->on), "%s", e->parent);
        snprintf(c->domain_uuid, sizeof(c->domain_uuid), "%s", s->domain_uuid);
        snprintf(c->domain_name, sizeof(c->domain_name), "%s", s->domain_name);
}

int jit_claim(struct jit_state *s, const struct ledger_entry *e) {
        struct owner_claim c;
        claim_from_entry(s, e, &c);
        int r = owners_claim(s->owners, &c);
        if (r == -EBUSY) {
                const struct owner_claim *held = owners_find(s->owners, e->kind, e->id);
                char shown[OWNER_SHOWN_MAX];
                return log_fail(-EBUSY, "%s %s is in use by domain '%s' (gpuhook changed it for that VM); stop that VM first, or give this domain another device",
                                ledger_kind_to_string(e->kind), e->id, held ? owner_claim_shown(held, shown, sizeof(shown)) : "?");
        }
        return r < 0 ? r : 0;
}

/* Everything a start of D would touch that another domain could own: the
 * mdev UUIDs and every PCI function of the IOMMU groups of its PCI hostdevs
 * (a group goes to one VM or none), as a set of PCI addresses. The PF of a
 * VF that does not exist yet is not waited for: gpuhook changes only a count
 * of 0, which no one owns. */
static int touched_load(const struct domain_spec *d, struct strset *t) {
        int r = 0;

        for (size_t i = 0; i < d->n_pcis && r >= 0; i++) {
                const char *bdf = d->pcis[i].bdf;
                int group = iommu_group_of(bdf);
                char **members = NULL;
                size_t n = 0;
                r = strset_add(t, bdf);
                /* No group, or unreadable: prepare reports it with the whole story. */
                if (r < 0 || group < 0 || iommu_group_members(group, &members, &n) < 0)
                        continue;
                for (size_t m = 0; m < n && r >= 0; m++)
                        r = strset_add(t, members[m]);
                strv_free_null(members);
        }
        return r < 0 ? r : 0;
}

/* The first claim another domain holds on what D touches, backed by that
 * domain's ledger. Orphaned claims met on the way are dropped. */
static int find_conflict(struct jit_state *s, const struct strset *t, struct owner_claim *ret) {
        const struct domain_spec *d = s->domain;
        for (;;) {
                const struct owner_claim *c = NULL;
                for (size_t i = 0; i < d->n_mdevs && !c; i++) {
                        c = owners_find(s->owners, LEDGER_MDEV, d->mdevs[i].uuid);
                        if (c && streq(c->domain_uuid, d->uuid))
                                c = NULL;
                }
                for (size_t i = 0; i < t->cap && !c; i++)
                        if (t->slots[i].key)
                                c = owners_find_on_device(s->owners, t->slots[i].key, d->uuid);
                if (!c)
                        return 0;
                int backed = owners_claim_backed(s->cfg->state_dir, c);
                if (backed != 0) {
                        *ret = *c;
                        return 1;
                }
                /* A kill between the claim and the ledger write: no effect behind it. */
                int r = owners_drop(s->owners, c->kind, c->id, c->domain_uuid);
                if (r < 0)
                        return r;
        }
}

/* Is the claimed resource open right now (its VFIO group node held by a
 * process, i.e. the owner's QEMU runs)? Appends who to WHY. */
static bool claim_in_use(const struct owner_claim *c, struct strbuf *why) {
        if (c->kind == LEDGER_MDEV)
                return mdev_holders(c->id, why) > 0;
        const char *bdf = c->kind == LEDGER_PCI || c->kind == LEDGER_VGPU ? c->id : NULL;
        if (!bdf)
                return false;
        int group = iommu_group_of(bdf);
        char num[16];
        if (group < 0)
                return false;
        snprintf(num, sizeof(num), "%d", group);
        return vfio_group_holders(num, why) > 0;
}

int jit_lock_unowned(struct jit_state *s, int *ret_lock_fd) {
        const struct gpuhook_config *cfg = s->cfg;
        uint64_t deadline = now_usec() + (uint64_t)cfg->handover_timeout_ms * 1000;
        struct strset t = { 0 };
        bool announced = false, loaded = false;
        int r;

        for (;;) {
                struct owner_claim c;
                int lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
                if (lock_fd < 0) {
                        strset_free(&t);
                        return lock_fd;
                }
                r = owners_open(cfg->state_dir, &s->owners);
                /* The groups are read under the lock: another start may be moving them. */
                if (r >= 0 && !loaded) {
                        r = touched_load(s->domain, &t);
                        loaded = true;
                }
                if (r >= 0)
                        r = find_conflict(s, &t, &c);
                if (r <= 0) {
                        strset_free(&t);
                        if (r < 0) {
                                s->owners = owners_free(s->owners);
                                host_lock_release(lock_fd);
                                return r;
                        }
                        *ret_lock_fd = lock_fd;
                        return 0;
                }
                s->owners = owners_free(s->owners);
                host_lock_release(lock_fd);

                struct strbuf who = { 0 };
                char shown[OWNER_SHOWN_MAX];
                const char *owner = owner_claim_shown(&c, shown, sizeof(shown));
                bool live = claim_in_use(&c, &who);
                const char *what = ledger_kind_to_string(c.kind);
                if (live) {
                        r = log_fail(-EBUSY, "%s %s is in use by domain '%s' (%s has it open); stop that VM first, or give this domain another device",
                                     what, c.id, owner, strbuf_str(&who));
                        strbuf_free(&who);
                        break;
                }
                strbuf_free(&who);
                if (now_usec() >= deadline) {
                        r = log_fail(-EBUSY, "%s %s is held by domain '%s', which has not released it within %us; if that VM is not running, `gpuhookctl reconcile` gives it back",
                                     what, c.id, owner, cfg->handover_timeout_ms / 1000);
                        break;
                }
                if (!announced)
                        log_info("waiting for domain '%s' to release %s %s", owner, what, c.id);
                announced = true;
                /* The owner is stopping: libvirt frees its hostdevs before its release hook runs. */
                sleep_usec(100000);
        }
        strset_free(&t);
        return r;
}
