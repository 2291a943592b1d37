/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include "jit.h"
#include "lock.h"
#include "log.h"
#include "vendor.h"

int jit_prepare(const struct gpuhook_config *cfg, const struct domain_spec *d) {
        struct jit_state s = { .cfg = cfg, .domain = d, .domain_uuid = d->uuid, .domain_name = d->name };
        int lock_fd = -EBADF, r;

        if (d->n_mdevs == 0 && d->n_pcis == 0)
                return 0;
        /* Before waiting for another domain's devices: a family's other VF will do. */
        r = jit_check_vfs(&s);
        if (r >= 0)
                r = jit_lock_unowned(&s, &lock_fd);
        if (r < 0) {
                jit_state_done(&s);
                return r;
        }
        jit_fault_point("locked");

        ledger_remove_stale_temps(cfg->state_dir);
        r = ledger_open(cfg->state_dir, d->uuid, d->name, &s.ledger);
        if (r >= 0)
                r = jit_settle_pending(&s);
        /* Refuse what cannot work before touching anything. */
        for (size_t i = 0; r >= 0 && i < d->n_vgpu_requests; i++) {
                /* Not such a VF: jit_prepare_vgpus() refuses it with its own reason. */
                const struct vgpu_vf_ops *ops = vgpu_vf_for(d->vgpu_requests[i].bdf);
                if (ops && ops->libvirt_gate)
                        r = ops->libvirt_gate(d->vgpu_requests[i].bdf);
        }
        /* s390: a subchannel must be on vfio_ccw to be an mdev parent at all */
        if (r >= 0)
                r = jit_prepare_ccw(&s);
        if (r >= 0 && d->n_pcis > 0)
                r = jit_prepare_mdevs(&s, true);
        /* PCI first: whole groups and consoles, then the instances. */
        if (r >= 0)
                r = jit_prepare_pci(&s);
        if (r >= 0)
                r = jit_prepare_vgpus(&s);
        if (r >= 0)
                r = jit_prepare_mdevs(&s, false);
        /* Rewritten even when nothing changed: a new ledger file tells
         * `gpuhookctl reconcile` that a hook ran for this domain. */
        if (r >= 0 && s.ledger->n > 0)
                r = ledger_commit(s.ledger);
        if (r < 0 && s.ledger)
                jit_rollback(&s);
        jit_state_done(&s);
        host_lock_release(lock_fd);
        return r;
}
