/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VFs a domain names before they exist. gpuhook creates them only where no
 * one else can lose anything: on a PF that a vendor driver claims as a GPU
 * (plugin/drivers/sriov-driver.h), only from a count of 0, and it gives the
 * count back exactly (0) at release. A PF with VFs already has users (the
 * host's network, another VM): the kernel changes a non-zero count only
 * through 0 (drivers/pci/iov.c, sriov_numvfs_store()), which would remove
 * them, so such a PF is never written. */
#include "internal.h"
#include "jit.h"
#include "log.h"
#include "pci.h"
#include "sriov-driver.h"
#include "sriov.h"

/* What the kernel's answer to a sriov_numvfs write means for the user. */
static int numvfs_failure(int r, const char *vf, const struct sriov_pf *pf, const struct sriov_driver *drv, unsigned need) {
        if (r == -ENOENT)
                return drv->explain_missing(vf, pf, need);
        if (r == -ERANGE)
                return log_fail(r, "VF %s would be VF number %u of %s, which supports only %u", vf, need, pf->bdf, pf->totalvfs);
        return log_fail(r, "cannot enable %u VFs on %s for VF %s: %s; check dmesg for %s errors", need, pf->bdf, vf,
                        strerror(-r), pf->driver);
}

static int enable_for(struct jit_state *s, const char *vf, const struct sriov_pf *pf, unsigned need) {
        struct ledger_entry e = { .kind = LEDGER_SRIOV, .state = LEDGER_PENDING };
        const struct sriov_driver *drv = sriov_driver_for(pf);
        size_t idx;
        int r;

        if (!drv)
                return log_fail(-ENODEV, "VF %s does not exist, and its PF %s (%s, driver %s) is not a GPU whose VFs gpuhook manages; create the VFs yourself and name one that exists",
                                vf, pf->bdf, pci_class_name(pf->class), *pf->driver ? pf->driver : "none");
        if (drv->enable != SRIOV_ENABLE_SYSFS)
                return drv->explain_missing(vf, pf, need);
        if (pf->numvfs > 0) {
                const struct owner_claim *c = owners_find(s->owners, LEDGER_SRIOV, pf->bdf);
                char by[OWNER_SHOWN_MAX + 64] = "", shown[OWNER_SHOWN_MAX];
                if (c && !streq(c->domain_uuid, s->domain_uuid))
                        snprintf(by, sizeof(by), " (enabled by gpuhook for domain '%s')", owner_claim_shown(c, shown, sizeof(shown)));
                return log_fail(-EBUSY, "VF %s does not exist: %s already has %u VFs%s, and gpuhook enables VFs only on a PF that has none (the kernel changes the count only through 0, which would remove those %u); name one of them, or set sriov_numvfs by hand while none is in use",
                                vf, pf->bdf, pf->numvfs, by, pf->numvfs);
        }
        if (ledger_find(s->ledger, LEDGER_SRIOV, pf->bdf))
                return 0; /* a killed prepare recorded it: release sets it back */
        snprintf(e.id, sizeof(e.id), "%s", pf->bdf);
        snprintf(e.type, sizeof(e.type), "%u", pf->numvfs);
        snprintf(e.left, sizeof(e.left), "%u", need);
        if ((r = jit_record(s, &e, &idx)) < 0)
                return r;
        if ((r = sriov_set_numvfs(pf->bdf, need, s->cfg->bind_timeout_ms)) < 0)
                return numvfs_failure(r, vf, pf, drv, need);
        jit_fault_point("sriov-enabled");
        return jit_mark_done(s, idx);
}

int jit_prepare_sriov(struct jit_state *s) {
        const struct domain_spec *d = s->domain;
        struct pci_list list = { 0 };
        int r = 0;

        for (size_t i = 0; i < d->n_pcis && r >= 0; i++) {
                struct sriov_pf pf;
                if (!list.devs && (r = pci_list_load(&list)) < 0)
                        return log_fail(r, "cannot enumerate PCI devices: %s", strerror(-r));
                if (pci_list_find(&list, d->pcis[i].bdf) || sriov_pf_for_vf(&list, d->pcis[i].bdf, &pf) < 0)
                        continue;
                /* One write per PF: enough VFs for every missing one this domain names. */
                unsigned need = pf.vf_index + 1;
                const char *highest = d->pcis[i].bdf;
                for (size_t k = i + 1; k < d->n_pcis; k++) {
                        struct sriov_pf other;
                        if (!pci_list_find(&list, d->pcis[k].bdf) && sriov_pf_for_vf(&list, d->pcis[k].bdf, &other) >= 0 &&
                            streq(other.bdf, pf.bdf) && other.vf_index + 1 > need) {
                                need = other.vf_index + 1;
                                highest = d->pcis[k].bdf;
                        }
                }
                r = enable_for(s, highest, &pf, need);
                /* Counts changed: read the host again for the next PF. */
                pci_list_free(&list);
                list = (struct pci_list){ 0 };
        }
        pci_list_free(&list);
        return r;
}

/* Set the PF back only while it has exactly the VFs gpuhook made and none of
 * them is in use: another domain's VF (its claim, vfio-pci, a vGPU type)
 * keeps the count, and the entry stays for the next release or reconcile. */
int jit_undo_sriov(struct jit_state *s, const struct ledger_entry *e) {
        struct strbuf why = { 0 };
        unsigned cur = 0, previous = 0, set = 0;
        char **vfs = NULL;
        int r;

        if (safe_atou(e->type, &previous) < 0)
                return -EINVAL;
        if (sriov_numvfs_get(e->id, &cur) < 0 || cur == previous)
                return 0;
        if (safe_atou(e->left, &set) >= 0 && cur != set) {
                log_warning("left %s alone: it has %u VFs, not the %u gpuhook set; someone changed it since", e->id, cur, set);
                return 0;
        }
        if ((r = sriov_vfs_list(e->id, &vfs)) < 0)
                return log_fail(r, "cannot list the VFs of %s: %s", e->id, strerror(-r));
        for (char **vf = vfs; *vf && !why.len; vf++) {
                const struct owner_claim *c = s->owners ? owners_find_on_device(s->owners, *vf, s->domain_uuid) : NULL;
                char shown[OWNER_SHOWN_MAX];
                if (c)
                        strbuf_appendf(&why, "%s is in use by domain '%s'", *vf, owner_claim_shown(c, shown, sizeof(shown)));
                else if (sriov_vf_in_use(*vf))
                        strbuf_appendf(&why, "%s is in use (vfio-pci or a vGPU)", *vf);
        }
        strv_free_null(vfs);
        if (why.len) {
                r = log_fail(-EBUSY, "kept %u VFs on %s: VF %s; `gpuhookctl reconcile` sets the count back to %u once it is free",
                             cur, e->id, strbuf_str(&why), previous);
                strbuf_free(&why);
                return r;
        }
        return sriov_restore(e->id, previous, s->cfg->bind_timeout_ms);
}
