/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "plan.h"

const char *mdev_action_kind_to_string(enum mdev_action_kind k) {
        static const char *const names[] = {
                [MDEV_ACTION_KEEP_FOREIGN] = "keep (not gpuhook's)",
                [MDEV_ACTION_KEEP_OURS] = "keep (created earlier)",
                [MDEV_ACTION_START_DEFINED] = "start mdevctl definition",
                [MDEV_ACTION_CREATE] = "create",
        };
        return k <= MDEV_ACTION_CREATE ? names[k] : "unknown";
}

void plan_free(struct plan *p) {
        free(p->mdev);
        *p = (struct plan){ 0 };
}

static int plan_create(const struct plan_input *in, const struct mdev_hostdev *h, const struct mdev_request *req,
                       struct mdev_action *a) {
        struct strbuf why = { 0 };
        const char *type_id = NULL;
        struct placement_choice choice;
        int r;

        r = placement_resolve_type(in->view, req->type, &type_id, &why);
        if (r >= 0) {
                struct placement_request pr = {
                        .type_id = type_id,
                        .parent = *req->parent ? req->parent : NULL,
                        .policy = req->placement == PLACEMENT_DEFAULT ? in->default_policy : req->placement,
                        .numa = &in->domain->numa,
                };
                r = placement_choose(in->view, &pr, &choice, &why);
        }
        if (r < 0) {
                r = log_fail(r, "cannot create mdev %s: %s", h->uuid, strbuf_str(&why));
                strbuf_free(&why);
                return r;
        }
        strbuf_free(&why);

        const struct mdev_parent_info *p = &in->view->parents[choice.parent];
        const struct mdev_type_info *t = &p->types[choice.type];
        if (!streq(t->device_api, h->model))
                return log_fail(-EINVAL, "mdev %s: type %s provides %s but the <hostdev> says model='%s'; set model='%s'",
                                h->uuid, t->id, t->device_api, h->model, t->device_api);
        a->kind = MDEV_ACTION_CREATE;
        a->request = req;
        snprintf(a->parent, sizeof(a->parent), "%s", p->name);
        snprintf(a->type, sizeof(a->type), "%s", t->id);
        a->driver = p->driver;
        host_view_consume(in->view, &choice);
        return 0;
}

int plan_mdevs(const struct plan_input *in, struct plan *ret) {
        const struct domain_spec *d = in->domain;
        struct plan p = { 0 };
        struct strset requests = { 0 };
        int r = 0;

        if (d->n_mdevs == 0) {
                *ret = p;
                return 0;
        }
        p.mdev = calloc(d->n_mdevs, sizeof(p.mdev[0]));
        if (!p.mdev)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_requests && r >= 0; i++)
                r = strset_put(&requests, d->requests[i].uuid, i);

        for (size_t i = 0; i < d->n_mdevs && r >= 0; i++) {
                const struct mdev_hostdev *h = &d->mdevs[i];
                struct mdev_action *a = &p.mdev[p.n_mdev];
                size_t idx;

                *a = (struct mdev_action){ .hostdev = h };
                if (strset_contains(in->existing, h->uuid)) {
                        if (strset_contains(in->ours, h->uuid))
                                a->kind = MDEV_ACTION_KEEP_OURS;
                        else if (in->others && strset_get(in->others, h->uuid, &idx))
                                r = log_fail(-EBUSY, "mdev %s is already held by domain '%s' (gpuhook created it for that VM); give this domain its own UUID (`uuidgen`) in the <hostdev> and the metadata",
                                             h->uuid, in->other_names[idx]);
                        else
                                a->kind = MDEV_ACTION_KEEP_FOREIGN;
                } else if (in->others && strset_get(in->others, h->uuid, &idx))
                        r = log_fail(-EBUSY, "mdev %s is held by domain '%s', whose start was interrupted; release that domain (or run `gpuhookctl reconcile`) before another one uses this UUID",
                                     h->uuid, in->other_names[idx]);
                else if (in->defined && strset_contains(in->defined, h->uuid))
                        a->kind = MDEV_ACTION_START_DEFINED;
                else if (strset_get(&requests, h->uuid, &idx))
                        r = plan_create(in, h, &d->requests[idx], a);
                else
                        r = log_fail(-ENOENT, "mdev %s does not exist and nothing says how to create it; add <gpuhook:mdev uuid='%s' type='TYPE'/> inside <metadata><gpuhook:devices xmlns:gpuhook='" GPUHOOK_XML_NS "'>, or define it once with `mdevctl define -u %s -p PARENT -t TYPE` (see `mdevctl types`)",
                                     h->uuid, h->uuid, h->uuid);
                if (r >= 0)
                        p.n_mdev++;
        }
        strset_free(&requests);
        if (r < 0) {
                plan_free(&p);
                return r;
        }
        *ret = p;
        return 0;
}
