/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include "jit.h"
#include "log.h"
#include "pci.h"
#include "vendor.h"

/* Another domain's ledger holding BDF as a vGPU: its name, else NULL. */
static char *vgpu_owner(struct jit_state *s, const char *bdf) {
        char *name = NULL;
        return ledger_find_owner(s->cfg->state_dir, s->domain->uuid, LEDGER_VGPU, bdf, &name) > 0 ? name : NULL;
}

static int prepare_one(struct jit_state *s, const struct vgpu_request *req) {
        const struct pci_hostdev *h = NULL;
        const struct vgpu_vf_ops *ops;
        struct strbuf why = { 0 };
        unsigned cur = 0, id = 0;
        size_t idx;
        int r;

        for (size_t i = 0; i < s->domain->n_pcis; i++)
                if (streq(s->domain->pcis[i].bdf, req->bdf))
                        h = &s->domain->pcis[i];
        if (!h)
                return log_fail(-EINVAL, "<gpuhook:vgpu address='%s'> names no <hostdev type='pci'> of this domain; add the VF as <hostdev mode='subsystem' type='pci' managed='no'>",
                                req->bdf);
        if (h->managed)
                return log_fail(-EINVAL, "VF %s carries an NVIDIA vGPU but is managed='yes': libvirt would move it to vfio-pci and break it; set managed='no'",
                                req->bdf);
        if (!(ops = vgpu_vf_for(req->bdf)))
                return log_fail(-ENODEV, "%s has no NVIDIA vGPU interface (nvidia/current_vgpu_type): it must be a VF of a vGPU 17+ GPU on the nvidia driver; enable VFs with `/usr/lib/nvidia/sriov-manage -e ALL`",
                                req->bdf);
        if (ledger_find(s->ledger, LEDGER_VGPU, req->bdf))
                return 0; /* prepared before */
        r = ops->current_type(req->bdf, &cur);
        if (r < 0)
                return log_fail(r, "cannot read current_vgpu_type of %s: %s", req->bdf, strerror(-r));
        if (cur != 0) {
                _cleanup_free_ char *owner = vgpu_owner(s, req->bdf);
                if (owner)
                        return log_fail(-EBUSY, "VF %s already carries vGPU type %u for domain '%s'; give this domain another VF",
                                        req->bdf, cur, owner);
                return log_fail(-EBUSY, "VF %s already carries vGPU type %u that gpuhook did not create; give this domain another VF, or clear it (echo 0 > .../nvidia/current_vgpu_type) if nothing uses it",
                                req->bdf, cur);
        }
        r = ops->resolve(req->bdf, req->type, &id, &why);
        if (r < 0) {
                r = log_fail(r, "cannot create vGPU '%s' on VF %s: %s", req->type, req->bdf, strbuf_str(&why));
                strbuf_free(&why);
                return r;
        }
        strbuf_free(&why);

        struct ledger_entry e = { .kind = LEDGER_VGPU, .state = LEDGER_PENDING };
        snprintf(e.id, sizeof(e.id), "%s", req->bdf);
        snprintf(e.type, sizeof(e.type), "%u", id);
        if ((r = jit_record(s, &e, &idx)) < 0)
                return r;
        jit_fault_point("vgpu-recorded");
        if ((r = ops->set_type(req->bdf, id, s->cfg->bind_timeout_ms)) < 0)
                return r;
        jit_fault_point("vgpu-created");
        return jit_mark_done(s, idx);
}

int jit_prepare_vgpus(struct jit_state *s) {
        int r = 0;
        for (size_t i = 0; i < s->domain->n_vgpu_requests && r >= 0; i++)
                r = prepare_one(s, &s->domain->vgpu_requests[i]);
        return r;
}
