/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver.h"
#include "internal.h"
#include "jit.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"
#include "plan.h"
#include "preflight.h"

int jit_settle_pending(struct jit_state *s) {
        struct ledger *l = s->ledger;
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

/* mdev UUIDs other domains own (the owner record), each mapped to its
 * domain's name. jit_lock_unowned() has already waited for or refused a
 * claim on one of this domain's UUIDs; the plan states the refusal for a
 * claim that appeared since. */
static int load_others(struct jit_state *s, struct strset *others, char ***names, size_t *n_names) {
        const struct owners *o = s->owners;
        int r = 0;

        *n_names = 0;
        *names = calloc(o->n + 1, sizeof(char *));
        if (!*names)
                return -ENOMEM;
        for (size_t i = 0; i < o->n && r >= 0; i++) {
                const struct owner_claim *c = &o->claims[i];
                if (c->kind != LEDGER_MDEV || streq(c->domain_uuid, s->domain_uuid))
                        continue;
                size_t idx = (*n_names)++;
                if (!((*names)[idx] = strdup(*c->domain_name ? c->domain_name : c->domain_uuid)))
                        return -ENOMEM;
                r = strset_put(others, c->id, idx);
        }
        return r < 0 ? r : 0;
}

static int start_defined(struct jit_state *s, const struct mdev_hostdev *h) {
        struct ledger_entry e = { .kind = LEDGER_MDEV, .state = LEDGER_PENDING, .defined = true };
        const char *err = NULL, *mdevctl = NULL;
        size_t idx;
        int r;

        snprintf(e.id, sizeof(e.id), "%s", h->uuid);
        if ((r = jit_mdevctl(s, &mdevctl)) < 0 || (r = jit_record(s, &e, &idx)) < 0)
                return r;
        jit_fault_point("mdev-recorded");
        r = mdevctl_start_defined(mdevctl, h->uuid, &err);
        if (r < 0)
                return log_fail(r, "cannot start mdevctl-defined mdev %s: %s; check `mdevctl list -d -u %s` and `mdevctl types`",
                                h->uuid, err, h->uuid);
        jit_fault_point("mdev-created");
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
        if (mdev_parent_of(h->uuid, le->parent, sizeof(le->parent)) < 0 || !mdev_parent_name_valid(le->parent))
                *le->parent = 0;
        return jit_mark_done(s, idx);
}

static int create(struct jit_state *s, const struct mdev_action *a) {
        const struct mdev_hostdev *h = a->hostdev;
        const struct mdev_driver *drv = a->driver;
        struct ledger_entry e = { .kind = LEDGER_MDEV, .state = LEDGER_PENDING };
        const char *mdevctl = NULL;
        size_t idx;
        int r;

        if ((r = jit_mdev_tool(s, &mdevctl)) < 0)
                return r;
        struct mdev_op op = {
                .uuid = h->uuid,
                .parent = a->parent,
                .type = a->type,
                .model = h->model,
                .params = a->request->params,
                .n_params = a->request->n_params,
                .timeout_ms = s->cfg->create_timeout_ms,
                .mdevctl = mdevctl,
                .ap = &a->request->ap,
                .owners = s->owners,
        };
        snprintf(e.id, sizeof(e.id), "%s", h->uuid);
        snprintf(e.parent, sizeof(e.parent), "%s", a->parent);
        snprintf(e.type, sizeof(e.type), "%s", a->type);
        if ((r = jit_record(s, &e, &idx)) < 0)
                return r;
        jit_fault_point("mdev-recorded");
        if ((r = drv->create(&op)) < 0)
                return r;
        jit_fault_point("mdev-created");
        if (drv->post_create && (r = drv->post_create(&op)) < 0)
                return r;
        r = jit_mark_done(s, idx);
        jit_fault_point("mdev-committed");
        return r;
}

static int check_params(const struct jit_state *s, const struct plan *p) {
        for (size_t i = 0; i < p->n_mdev; i++) {
                const struct mdev_action *a = &p->mdev[i];
                if (a->kind != MDEV_ACTION_CREATE)
                        continue;
                const struct mdev_driver *drv = a->driver;
                struct mdev_op op = { .uuid = a->hostdev->uuid, .parent = a->parent, .type = a->type,
                                      .params = a->request->params, .n_params = a->request->n_params,
                                      .ap = &a->request->ap, .owners = s->owners };
                if (!drv->takes_ap_matrix && !ap_matrix_empty(&a->request->ap))
                        return log_fail(-EINVAL, "mdev %s: <gpuhook:ap> is only for vfio_ap-passthrough mdevs, not for type %s on %s; remove the <gpuhook:ap> elements or use type='vfio_ap-passthrough'",
                                        op.uuid, op.type, op.parent);
                int r = drv->check_params ? drv->check_params(&op) : 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

int jit_prepare_mdevs(struct jit_state *s, bool dry_run) {
        const struct domain_spec *d = s->domain;
        struct strset existing = { 0 }, ours = { 0 }, defined = { 0 }, others = { 0 };
        struct host_view view = { 0 };
        struct plan plan = { 0 };
        char **other_names = NULL;
        size_t n_other_names = 0;
        bool need_defined = false, need_view = false;
        int r = 0;

        if (d->n_mdevs == 0)
                return 0;
        for (size_t i = 0; i < s->ledger->n && r >= 0; i++)
                if (s->ledger->entries[i].kind == LEDGER_MDEV)
                        r = strset_add(&ours, s->ledger->entries[i].id);
        if (r >= 0)
                r = mdev_existing_load(&existing);
        if (r >= 0)
                r = load_others(s, &others, &other_names, &n_other_names);
        if (r < 0)
                goto out;

        for (size_t i = 0; i < d->n_mdevs; i++)
                if (!strset_contains(&existing, d->mdevs[i].uuid)) {
                        need_defined = true;
                        need_view = need_view || domain_find_request(d, d->mdevs[i].uuid);
                }
        if (need_defined && (r = mdevctl_defined_load(&defined)) < 0)
                goto out;
        if (need_view && (r = mdev_host_view_load(&view)) < 0) {
                r = log_fail(r, "cannot read mdev parents in /sys/class/mdev_bus: %s", strerror(-r));
                goto out;
        }

        /* A type no parent offers: say what vendor set-up is missing first. */
        for (size_t i = 0; need_view && i < d->n_requests; i++) {
                const char *id = NULL;
                struct strbuf why = { 0 };
                if (strset_contains(&existing, d->requests[i].uuid) || strset_contains(&defined, d->requests[i].uuid))
                        continue;
                if (placement_resolve_type(&view, d->requests[i].type, &id, &why) == -ENOENT) {
                        struct strbuf vendor = { 0 };
                        if (vendor_preflight(&vendor) > 0) {
                                r = log_fail(-ENOENT, "cannot create mdev %s: %s; %s", d->requests[i].uuid, strbuf_str(&why),
                                             strbuf_str(&vendor));
                                strbuf_free(&vendor);
                                strbuf_free(&why);
                                goto out;
                        }
                        strbuf_free(&vendor);
                }
                strbuf_free(&why);
        }

        struct plan_input in = {
                .domain = d,
                .existing = &existing,
                .ours = &ours,
                .defined = &defined,
                .others = &others,
                .other_names = other_names,
                .view = &view,
                .default_policy = s->cfg->placement,
        };
        if ((r = plan_mdevs(&in, &plan)) < 0 || (r = check_params(s, &plan)) < 0 || dry_run)
                goto out;
        for (size_t i = 0; i < plan.n_mdev && r >= 0; i++) {
                const struct mdev_action *a = &plan.mdev[i];
                log_debug("mdev %s: %s%s%s", a->hostdev->uuid, mdev_action_kind_to_string(a->kind),
                          a->kind == MDEV_ACTION_CREATE ? " on " : "", a->kind == MDEV_ACTION_CREATE ? a->parent : "");
                if (a->kind == MDEV_ACTION_START_DEFINED)
                        r = start_defined(s, a->hostdev);
                else if (a->kind == MDEV_ACTION_CREATE)
                        r = create(s, a);
        }
        if (r >= 0)
                log_info("prepared %zu mdev(s)", plan.n_mdev);
out:
        plan_free(&plan);
        host_view_free(&view);
        strset_free(&existing);
        strset_free(&ours);
        strset_free(&defined);
        strset_free(&others);
        strv_free(other_names, n_other_names);
        return r;
}
