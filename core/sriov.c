/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"
#include "jit.h"
#include "log.h"
#include "pci.h"
#include "sriov.h"

#define PCI_VENDOR_NVIDIA 0x10de

/* What the kernel's answer to a sriov_numvfs write means for the user. */
static int numvfs_failure(int r, const char *vf, const struct sriov_pf *pf, unsigned need) {
        switch (r) {
        case -ENOENT:
                return log_fail(r, "the VFs of %s are created by its driver %s at load, not through sriov_numvfs; reload it with more VFs (AMD MxGPU: gim vf_num=%u)",
                                pf->bdf, pf->driver, need);
        case -ERANGE:
                return log_fail(r, "VF %s would be VF number %u of %s, which supports only %u", vf, need, pf->bdf, pf->totalvfs);
        default:
                return log_fail(r, "cannot enable %u VFs on %s: %s; check dmesg (Intel xe: load it with max_vfs=%u)", need,
                                pf->bdf, strerror(-r), need);
        }
}

static int enable_for(struct jit_state *s, const char *vf, const struct sriov_pf *pf) {
        struct ledger_entry e = { .kind = LEDGER_SRIOV, .state = LEDGER_PENDING };
        struct strbuf why = { 0 };
        unsigned need = pf->vf_index + 1;
        size_t idx;
        int r;

        if (pf->vendor == PCI_VENDOR_NVIDIA)
                return log_fail(-ENODEV, "VF %s does not exist: the VFs of NVIDIA GPU %s are not enabled; run `/usr/lib/nvidia/sriov-manage -e %s` (or enable them at boot)",
                                vf, pf->bdf, pf->bdf);
        if (pf->numvfs >= need)
                return log_fail(-ENODEV, "VF %s should exist (%s has %u VFs) but is missing; check dmesg for %s errors", vf,
                                pf->bdf, pf->numvfs, pf->driver);
        if (pf->numvfs > 0 && sriov_vfs_in_use(pf->bdf, &why)) {
                r = log_fail(-EBUSY, "VF %s needs %u VFs on %s, which has %u and its VF %s is in use; the kernel only changes the count through 0, so stop that VM first or use an existing VF",
                             vf, need, pf->bdf, pf->numvfs, strbuf_str(&why));
                strbuf_free(&why);
                return r;
        }
        if (ledger_find(s->ledger, LEDGER_SRIOV, pf->bdf) == NULL) {
                snprintf(e.id, sizeof(e.id), "%s", pf->bdf);
                snprintf(e.type, sizeof(e.type), "%u", pf->numvfs);
                if ((r = jit_record(s, &e, &idx)) < 0)
                        return r;
        }
        r = pf->numvfs > 0 ? sriov_set_numvfs(pf->bdf, 0, s->cfg->bind_timeout_ms) : 0;
        if (r >= 0)
                r = sriov_set_numvfs(pf->bdf, need, s->cfg->bind_timeout_ms);
        if (r < 0)
                return numvfs_failure(r, vf, pf, need);
        jit_fault_point("sriov-enabled");
        return 0;
}

int jit_prepare_sriov(struct jit_state *s) {
        const struct domain_spec *d = s->domain;
        struct pci_list list = { 0 };
        int r = 0;
        bool loaded = false;

        for (size_t i = 0; i < d->n_pcis && r >= 0; i++) {
                struct sriov_pf pf;
                if (!loaded) {
                        if ((r = pci_list_load(&list)) < 0)
                                return log_fail(r, "cannot enumerate PCI devices: %s", strerror(-r));
                        loaded = true;
                }
                if (pci_list_find(&list, d->pcis[i].bdf) || sriov_pf_for_vf(&list, d->pcis[i].bdf, &pf) < 0)
                        continue;
                r = enable_for(s, d->pcis[i].bdf, &pf);
                if (r >= 0) {
                        /* Counts changed: read the host again for the next VF. */
                        pci_list_free(&list);
                        loaded = false;
                }
        }
        if (r >= 0 && !loaded)
                r = 0;
        pci_list_free(&list);
        for (size_t i = 0; r >= 0 && i < s->ledger->n; i++)
                if (s->ledger->entries[i].kind == LEDGER_SRIOV && s->ledger->entries[i].state == LEDGER_PENDING)
                        r = jit_mark_done(s, i);
        return r;
}
