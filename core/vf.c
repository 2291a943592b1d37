/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <gpuhook:vf family=>: a domain's VF hostdev stands for "a VF of this
 * family". At prepare the hostdev's address is fixed (libvirt read the XML
 * before the hook ran, and prepare's output is ignored: only migrate and
 * restore may hand libvirt another XML, docs/hooks.rst), so a VF that is
 * taken, or not of the family, is refused before anything changes, naming
 * its holder and the VF the placement policy would give instead. Migrate,
 * restore and `gpuhookctl repick` move such hostdevs to that VF. */
#include "internal.h"
#include "jit.h"
#include "log.h"
#include "sriov-driver.h"
#include "vf-pool.h"

static enum placement_policy policy_of(const struct gpuhook_config *cfg, const struct vf_request *req) {
        return req->placement == PLACEMENT_DEFAULT ? cfg->placement : req->placement;
}

/* Why REQ's VF cannot go to D on this host, in WHAT ("" = it can). */
static void vf_problem(const struct vf_pool *pool, const struct owners *owners, const struct domain_spec *d,
                       const struct vf_request *req, char *what, size_t size) {
        const struct vf_pf *pf = NULL;
        const struct vf_slot *slot = vf_pool_find(pool, req->bdf, &pf);
        *what = 0;
        if (!slot)
                snprintf(what, size, "is not a VF of any %s GPU on this host", req->family);
        else if (!streq(pf->family, req->family))
                snprintf(what, size, "is a VF of %s, an %s GPU, not %s", pf->bdf, pf->family, req->family);
        else if (slot->state == VF_HELD) {
                const struct owner_claim *c = owners ? owners_find_on_device(owners, req->bdf, d->uuid) : NULL;
                char who[OWNER_SHOWN_MAX];
                if (c) /* else the claim is this domain's own */
                        snprintf(what, size, "is held by domain '%s'", owner_claim_shown(c, who, sizeof(who)));
        } else if (slot->state == VF_IN_USE)
                snprintf(what, size, "is on %s outside gpuhook (another VM may use it)", *slot->driver ? slot->driver : "a VM's driver");
        else if (!vf_profile_matches(slot->profile, req->profile))
                snprintf(what, size, "does not have profile %s (it has %s)", req->profile, *slot->profile ? slot->profile : "none shown");
        else if (!vf_slot_available(pf, slot) && slot->state == VF_NOT_ENABLED)
                snprintf(what, size, "does not exist, and %s cannot create it while its other VFs are in use", pf->bdf);
}

/* The VF placement gives REQ (BUF), the addresses in TAKEN excluded; else
 * why not (BUF) and a negative errno. */
static int suggest(const struct gpuhook_config *cfg, const struct vf_pool *pool, const struct domain_spec *d,
                   const struct vf_request *req, const struct strset *taken, char *buf, size_t size) {
        struct strbuf why = { 0 };
        const struct vf_pf *pf = NULL;
        const struct vf_slot *vf = NULL;
        struct vf_want w = { .family = req->family, .profile = req->profile, .policy = policy_of(cfg, req), .numa = &d->numa,
                             .taken = taken };
        int r = vf_pick(pool, &w, &pf, &vf, &why);
        snprintf(buf, size, "%s", r >= 0 ? vf->bdf : strbuf_str(&why));
        strbuf_free(&why);
        return r;
}

static int load(const struct gpuhook_config *cfg, struct owners **owners, struct vf_pool *pool) {
        /* Read without the host lock: this only decides a refusal or an
         * address, and the record is replaced by rename, never half-written. */
        int r = owners_open(cfg->state_dir, owners);
        if (r < 0)
                return r;
        r = vf_pool_load_host(*owners, pool);
        if (r < 0)
                return log_fail(r, "cannot read the SR-IOV GPUs of this host: %s; check that sysfs is mounted", strerror(-r));
        return 0;
}

static int taken_init(const struct domain_spec *d, struct strset *taken) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < d->n_vf_requests; i++)
                r = strset_add(taken, d->vf_requests[i].bdf);
        return r < 0 ? r : 0;
}

/* Whether REQ's VF can go to D: 0 it can; 1 it cannot (why in WHAT) and
 * placement gives TO instead; a negative errno, recorded, when no VF of the
 * family is free either. */
static int resolve(const struct gpuhook_config *cfg, const struct vf_pool *pool, const struct owners *owners,
                   const struct domain_spec *d, const struct vf_request *req, const struct strset *taken, char what[static 256],
                   char to[static PCI_ADDR_LEN + 1]) {
        char other[512];
        vf_problem(pool, owners, d, req, what, 256);
        if (!*what)
                return 0;
        int r = suggest(cfg, pool, d, req, taken, other, sizeof(other));
        if (r < 0)
                return log_fail(r, "VF %s %s, and %s; stop a VM that uses one of them, or give the GPU more VFs", req->bdf, what, other);
        snprintf(to, PCI_ADDR_LEN + 1, "%s", other);
        return 1;
}

static int check_request(const struct domain_spec *d, const struct vf_request *req) {
        bool listed = false;
        for (size_t k = 0; k < d->n_pcis; k++)
                listed = listed || streq(d->pcis[k].bdf, req->bdf);
        if (!listed)
                return log_fail(-EINVAL, "<gpuhook:vf address='%s'> names no <hostdev type='pci'> of this domain; add the VF as a PCI hostdev (gpuhookctl xml vf %s renders both)",
                                req->bdf, req->family);
        if (!sriov_driver_of_family(req->family))
                return log_fail(-EINVAL, "<gpuhook:vf address='%s'> family '%s' is unknown; use one of: %s", req->bdf, req->family,
                                sriov_families());
        return 0;
}

int jit_check_vfs(struct jit_state *s) {
        const struct domain_spec *d = s->domain;
        _cleanup_owners_ struct owners *owners = NULL;
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        struct strset taken = { 0 };
        int r = 0;

        if (d->n_vf_requests == 0)
                return 0;
        r = load(s->cfg, &owners, &pool);
        if (r >= 0)
                r = taken_init(d, &taken);
        for (size_t i = 0; r >= 0 && i < d->n_vf_requests; i++) {
                const struct vf_request *req = &d->vf_requests[i];
                char what[256], to[PCI_ADDR_LEN + 1];
                if ((r = check_request(d, req)) < 0)
                        break;
                r = resolve(s->cfg, &pool, owners, d, req, &taken, what, to);
                if (r > 0)
                        r = log_fail(-EBUSY, "VF %s %s; %s VF %s is free (%s placement): run `gpuhookctl repick %s` to move the domain there, then start it again",
                                     req->bdf, what, req->family, to, placement_policy_to_string(policy_of(s->cfg, req)), d->name);
                else if (r < 0)
                        r = -EBUSY;
        }
        strset_free(&taken);
        return r < 0 ? r : 0;
}

int jit_vf_moves(const struct gpuhook_config *cfg, const struct domain_spec *d, const char *xml, size_t len,
                 struct hostdev_move **ret, size_t *ret_n, char **ret_xml) {
        _cleanup_owners_ struct owners *owners = NULL;
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        _cleanup_free_ struct hostdev_move *moves = NULL;
        struct strset taken = { 0 };
        size_t n = 0;
        int r;

        *ret = NULL;
        *ret_n = 0;
        *ret_xml = NULL;
        if (d->n_vf_requests == 0)
                return 0;
        r = load(cfg, &owners, &pool);
        if (r >= 0)
                r = taken_init(d, &taken);
        for (size_t i = 0; r >= 0 && i < d->n_vf_requests; i++) {
                const struct vf_request *req = &d->vf_requests[i];
                char what[256], to[PCI_ADDR_LEN + 1];
                if ((r = resolve(cfg, &pool, owners, d, req, &taken, what, to)) <= 0)
                        continue;
                struct hostdev_move *nm = reallocarray(moves, n + 1, sizeof(*nm));
                if (!nm) {
                        r = -ENOMEM;
                        break;
                }
                moves = nm;
                moves[n] = (struct hostdev_move){ 0 };
                snprintf(moves[n].from, sizeof(moves[n].from), "%s", req->bdf);
                snprintf(moves[n].to, sizeof(moves[n].to), "%s", to);
                log_info("VF %s %s: moving the hostdev to %s VF %s", req->bdf, what, req->family, to);
                r = strset_add(&taken, to);
                n++;
        }
        strset_free(&taken);
        if (r >= 0 && n > 0)
                r = domain_xml_move_hostdevs(xml, len, moves, n, ret_xml);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(moves);
        *ret_n = n;
        return 0;
}
