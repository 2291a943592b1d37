/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>

#include "driver.h"
#include "jit.h"
#include "ledger.h"
#include "lock.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"
#include "plan.h"

void jit_fault_point(const char *step) {
        const char *at = getenv("GPUHOOK_FAULT_KILL_AT");
        if (at && streq(at, step)) {
                log_info("fault injection: killing at %s", step);
                raise(SIGKILL);
        }
}

struct prepare_state {
        const struct gpuhook_config *cfg;
        const struct domain_spec *domain;
        struct ledger *ledger;
        char *mdevctl;
        /* ledger indexes of the entries this run added, for rollback */
        size_t *added;
        size_t n_added;
};

static struct mdev_op op_for_entry(const struct prepare_state *s, const struct ledger_entry *e, const char *model) {
        return (struct mdev_op){
                .uuid = e->id,
                .parent = *e->parent ? e->parent : "(defined)",
                .type = e->type,
                .model = model,
                .timeout_ms = s->cfg->remove_timeout_ms,
                .mdevctl = s->mdevctl,
        };
}

/* The driver of the parent an entry lives on (the generic one if the
 * parent has gone: its instances went with it). */
static const struct mdev_driver *driver_for_entry(const struct ledger_entry *e) {
        struct mdev_parent_probe probe;
        if (*e->parent && mdev_parent_probe_read(e->parent, &probe) >= 0)
                return mdev_driver_for(&probe);
        return &mdev_driver_generic;
}

/* Bring pending entries left by a killed prepare in line with the host:
 * a device that exists is ours (done), one that does not never was. */
static int settle_pending(struct ledger *l) {
        bool changed = false;
        for (size_t i = l->n; i-- > 0;) {
                struct ledger_entry *e = &l->entries[i];
                if (e->kind != LEDGER_MDEV || e->state != LEDGER_PENDING)
                        continue;
                if (mdev_exists(e->id))
                        e->state = LEDGER_DONE;
                else
                        ledger_drop(l, i);
                changed = true;
        }
        return changed ? ledger_commit(l) : 0;
}

static int load_others(const struct gpuhook_config *cfg, const char *self, struct strset *others, char ***names,
                       size_t *n_names) {
        char **uuids = NULL;
        size_t n = 0;
        int r = ledger_list_domains(cfg->state_dir, &uuids, &n);
        if (r < 0)
                return r;
        *names = calloc(n + 1, sizeof(char *));
        *n_names = 0;
        if (!*names) {
                strv_free(uuids, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                if (streq(uuids[i], self))
                        continue;
                bool had_failure = log_failure() != NULL;
                if (ledger_open(cfg->state_dir, uuids[i], NULL, &l) < 0) {
                        if (!had_failure)
                                log_failure_clear();
                        continue;
                }
                size_t idx = (*n_names)++;
                (*names)[idx] = strdup(*l->domain_name ? l->domain_name : l->domain_uuid);
                if (!(*names)[idx])
                        r = -ENOMEM;
                for (size_t e = 0; e < l->n && r >= 0; e++)
                        if (l->entries[e].kind == LEDGER_MDEV)
                                r = strset_put(others, l->entries[e].id, idx);
        }
        strv_free(uuids, n);
        return r < 0 ? r : 0;
}

static int record(struct prepare_state *s, const struct ledger_entry *e, size_t *ret_idx) {
        int idx = ledger_append(s->ledger, e);
        if (idx < 0)
                return idx;
        size_t *n = reallocarray(s->added, s->n_added + 1, sizeof(size_t));
        if (!n)
                return -ENOMEM;
        s->added = n;
        s->added[s->n_added++] = (size_t)idx;
        *ret_idx = (size_t)idx;
        return ledger_commit(s->ledger);
}

static int apply_mdev(struct prepare_state *s, const struct mdev_action *a) {
        const struct mdev_hostdev *h = a->hostdev;
        struct ledger_entry e = { .kind = LEDGER_MDEV, .state = LEDGER_PENDING };
        const char *err = NULL;
        size_t idx;
        int r;

        snprintf(e.id, sizeof(e.id), "%s", h->uuid);
        if (a->kind == MDEV_ACTION_START_DEFINED) {
                e.defined = true;
                r = record(s, &e, &idx);
                if (r < 0)
                        return r;
                jit_fault_point("mdev-recorded");
                r = mdevctl_start_defined(s->mdevctl, h->uuid, &err);
                if (r < 0)
                        return log_fail(r, "cannot start mdevctl-defined mdev %s: %s; check `mdevctl list -d -u %s` and `mdevctl types`",
                                        h->uuid, err, h->uuid);
                jit_fault_point("mdev-started");
                r = mdev_wait_present(h->uuid, h->model, s->cfg->create_timeout_ms);
                if (r < 0) {
                        char api[32] = "?";
                        (void)mdev_device_api(h->uuid, api, sizeof(api));
                        return log_fail(r, r == -EMEDIUMTYPE
                                                   ? "mdevctl-defined mdev %s has device_api %s, not the <hostdev> model; fix model= in the domain"
                                                   : "mdevctl-defined mdev %s did not appear (%s); check the vendor driver's log (dmesg)",
                                        h->uuid, api);
                }
                struct ledger_entry *le = &s->ledger->entries[idx];
                (void)mdev_parent_of(h->uuid, le->parent, sizeof(le->parent));
                if (!mdev_parent_name_valid(le->parent))
                        *le->parent = 0;
                le->state = LEDGER_DONE;
                return ledger_commit(s->ledger);
        }

        /* CREATE */
        const struct mdev_driver *drv = a->driver;
        struct mdev_op op = {
                .uuid = h->uuid,
                .parent = a->parent,
                .type = a->type,
                .model = h->model,
                .params = a->request->params,
                .n_params = a->request->n_params,
                .timeout_ms = s->cfg->create_timeout_ms,
                .mdevctl = s->mdevctl,
        };
        snprintf(e.parent, sizeof(e.parent), "%s", a->parent);
        snprintf(e.type, sizeof(e.type), "%s", a->type);
        r = record(s, &e, &idx);
        if (r < 0)
                return r;
        jit_fault_point("mdev-recorded");
        r = drv->create(&op);
        if (r < 0)
                return r;
        jit_fault_point("mdev-created");
        if (drv->post_create) {
                r = drv->post_create(&op);
                if (r < 0)
                        return r;
        }
        s->ledger->entries[idx].state = LEDGER_DONE;
        r = ledger_commit(s->ledger);
        jit_fault_point("mdev-committed");
        return r;
}

/* Undo this run's entries, newest first. Failures stay in the ledger. */
static void rollback(struct prepare_state *s) {
        for (size_t k = s->n_added; k-- > 0;) {
                size_t idx = s->added[k];
                struct ledger_entry *e = &s->ledger->entries[idx];
                const struct mdev_driver *drv = driver_for_entry(e);
                struct mdev_op op = op_for_entry(s, e, NULL);
                log_info("rolling back mdev %s", e->id);
                if (drv->destroy(&op) >= 0)
                        ledger_drop(s->ledger, idx);
        }
        (void)ledger_commit(s->ledger);
}

static int check_params(const struct plan *p) {
        for (size_t i = 0; i < p->n_mdev; i++) {
                const struct mdev_action *a = &p->mdev[i];
                if (a->kind != MDEV_ACTION_CREATE)
                        continue;
                const struct mdev_driver *drv = a->driver;
                struct mdev_op op = { .uuid = a->hostdev->uuid, .parent = a->parent, .type = a->type,
                                      .params = a->request->params, .n_params = a->request->n_params };
                int r = drv->check_params ? drv->check_params(&op) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

int jit_prepare(const struct gpuhook_config *cfg, const struct domain_spec *d) {
        struct prepare_state s = { .cfg = cfg, .domain = d };
        struct strset existing = { 0 }, ours = { 0 }, defined = { 0 }, others = { 0 };
        struct host_view view = { 0 };
        struct plan plan = { 0 };
        char **other_names = NULL;
        size_t n_other_names = 0;
        bool need_defined = false, need_view = false;
        int lock_fd = -EBADF, r;

        if (d->n_mdevs == 0)
                return 0;

        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0)
                return lock_fd;
        jit_fault_point("locked");

        r = ledger_open(cfg->state_dir, d->uuid, d->name, &s.ledger);
        if (r < 0)
                goto out;
        r = settle_pending(s.ledger);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < s.ledger->n && r >= 0; i++)
                if (s.ledger->entries[i].kind == LEDGER_MDEV)
                        r = strset_add(&ours, s.ledger->entries[i].id);
        if (r >= 0)
                r = mdev_existing_load(&existing);
        if (r >= 0)
                r = load_others(cfg, d->uuid, &others, &other_names, &n_other_names);
        if (r < 0)
                goto out;

        for (size_t i = 0; i < d->n_mdevs; i++)
                if (!strset_contains(&existing, d->mdevs[i].uuid)) {
                        need_defined = true;
                        need_view = need_view || domain_find_request(d, d->mdevs[i].uuid);
                }
        if (need_defined) {
                r = mdevctl_resolve(cfg->mdevctl_path, &s.mdevctl);
                if (r >= 0)
                        r = mdevctl_defined_load(s.mdevctl, &defined);
                if (r < 0)
                        goto out;
        }
        if (need_view) {
                r = mdev_host_view_load(&view);
                if (r < 0) {
                        r = log_fail(r, "cannot read mdev parents in /sys/class/mdev_bus: %s", strerror(-r));
                        goto out;
                }
        }

        struct plan_input in = {
                .domain = d,
                .existing = &existing,
                .ours = &ours,
                .defined = &defined,
                .others = &others,
                .other_names = other_names,
                .view = &view,
                .default_policy = cfg->placement,
        };
        r = plan_mdevs(&in, &plan);
        if (r < 0)
                goto out;
        r = check_params(&plan);
        if (r < 0)
                goto out;

        for (size_t i = 0; i < plan.n_mdev && r >= 0; i++) {
                const struct mdev_action *a = &plan.mdev[i];
                log_debug("mdev %s: %s%s%s", a->hostdev->uuid, mdev_action_kind_to_string(a->kind),
                          a->kind == MDEV_ACTION_CREATE ? " on " : "", a->kind == MDEV_ACTION_CREATE ? a->parent : "");
                if (a->kind == MDEV_ACTION_START_DEFINED || a->kind == MDEV_ACTION_CREATE)
                        r = apply_mdev(&s, a);
        }
        if (r < 0)
                rollback(&s);
        else
                log_info("prepared %zu mdev(s)", plan.n_mdev);

out:
        plan_free(&plan);
        host_view_free(&view);
        strset_free(&existing);
        strset_free(&ours);
        strset_free(&defined);
        strset_free(&others);
        strv_free(other_names, n_other_names);
        free(s.added);
        free(s.mdevctl);
        ledger_free(s.ledger);
        host_lock_release(lock_fd);
        return r;
}
