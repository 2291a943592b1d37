/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "console.h"
#include "holders.h"
#include "internal.h"
#include "iommu.h"
#include "jit.h"
#include "log.h"
#include "pci-bind.h"
#include "pci-policy.h"
#include "pci.h"
#include "sriov.h"

struct pci_snapshot {
        struct pci_list list;
        struct group_member *members;
        size_t n_members;
        struct pci_listed *listed;
        size_t n_listed;
};

static void snapshot_done(struct pci_snapshot *p) {
        pci_list_free(&p->list);
        free(p->members);
        free(p->listed);
}

static int add_member(struct pci_snapshot *p, const struct pci_device *dev) {
        for (size_t i = 0; i < p->n_members; i++)
                if (streq(p->members[i].bdf, dev->bdf))
                        return 0;
        struct group_member *n = reallocarray(p->members, p->n_members + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        p->members = n;
        struct group_member *m = &n[p->n_members++];
        *m = (struct group_member){
                .pci_class = dev->class, .boot_vga = dev->boot_vga == 1, .group = dev->iommu_group, .sriov_numvfs = dev->sriov_numvfs
        };
        snprintf(m->bdf, sizeof(m->bdf), "%s", dev->bdf);
        snprintf(m->driver, sizeof(m->driver), "%s", dev->driver);
        return 0;
}

/* Every member of every IOMMU group a listed device is in. */
static int snapshot_load(const struct domain_spec *d, struct pci_snapshot *p) {
        int r = pci_list_load(&p->list);
        if (r < 0)
                return log_fail(r, "cannot enumerate PCI devices: %s", strerror(-r));
        p->listed = calloc(d->n_pcis + 1, sizeof(*p->listed));
        if (!p->listed)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_pcis; i++) {
                /* A vendor-VFIO vGPU VF stays on its driver: never to vfio-pci. */
                if (domain_find_vgpu(d, d->pcis[i].bdf))
                        continue;
                const struct pci_device *dev = pci_list_find(&p->list, d->pcis[i].bdf);
                struct pci_listed *l = &p->listed[p->n_listed++];
                snprintf(l->bdf, sizeof(l->bdf), "%s", d->pcis[i].bdf);
                l->managed = d->pcis[i].managed;
                if (!dev)
                        return log_fail(-ENODEV, "PCI device %s is not on this host; check the <hostdev> address against `lspci -D`",
                                        d->pcis[i].bdf);
                if (dev->iommu_group < 0)
                        return log_fail(-ENODEV, "%s is in no IOMMU group: the IOMMU is off, so passthrough is impossible; enable VT-d/AMD-Vi in the firmware, and on Intel boot with intel_iommu=on; see `gpuhookctl check`",
                                        dev->bdf);
                char **members = NULL;
                size_t n = 0;
                r = iommu_group_members(dev->iommu_group, &members, &n);
                if (r < 0)
                        return log_fail(r, "cannot read IOMMU group %d of %s: %s", dev->iommu_group, dev->bdf, strerror(-r));
                for (size_t m = 0; m < n && r >= 0; m++) {
                        const struct pci_device *md = pci_list_find(&p->list, members[m]);
                        if (md)
                                r = add_member(p, md);
                }
                strv_free_null(members);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_policy(const struct jit_state *s, const struct pci_snapshot *p, struct strset *allowed,
                        struct pci_policy *ret) {
        const struct domain_spec *d = s->domain;
        int r = 0;

        *ret = (struct pci_policy){
                .companion_classes = s->cfg->companion_classes,
                .allowed = allowed,
                .allow_boot_console = s->cfg->allow_boot_console,
        };
        for (size_t i = 0; i < s->cfg->n_allow_devices && r >= 0; i++)
                r = strset_add(allowed, s->cfg->allow_devices[i]);
        for (size_t i = 0; i < d->n_pci_requests && r >= 0; i++) {
                const struct pci_request *pr = &d->pci_requests[i];
                if (pr->allow)
                        r = strset_add(allowed, pr->bdf);
                if (pr->allow_boot_console)
                        for (size_t m = 0; m < p->n_members; m++)
                                if (streq(p->members[m].bdf, pr->bdf) && p->members[m].boot_vga)
                                        ret->allow_boot_console = true;
        }
        return r < 0 ? r : 0;
}

static int refuse_if_held(const struct member_decision *dec, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct group_member *m = dec[i].member;
                struct strbuf who = { 0 };
                if (dec[i].fate == FATE_LEAVE || pci_driver_is_harmless(m->driver))
                        continue;
                int r = device_holders(m->bdf, m->driver, &who);
                if (r > 0)
                        r = log_fail(-EBUSY, "cannot detach %s from %s: its device nodes are open in %s; stop them first (e.g. `systemctl stop display-manager`, or quit the CUDA/GL programs) and start the VM again",
                                     m->bdf, m->driver, strbuf_str(&who));
                strbuf_free(&who);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int release_console(struct jit_state *s) {
        struct console_binding *b = NULL, dm;
        size_t n = 0;
        int r = console_bindings_load(&b, &n);

        /* Single-GPU passthrough: the display manager lets go of the GPU
         * before the consoles do; it is restored after them (undo runs in
         * reverse). */
        if (r >= 0 && s->cfg->stop_display_manager && console_display_manager(&dm) > 0) {
                struct console_binding *nb = reallocarray(b, n + 1, sizeof(*b));
                if (!nb) {
                        free(b);
                        return -ENOMEM;
                }
                b = nb;
                memmove(&b[1], &b[0], n * sizeof(*b));
                b[0] = dm;
                n++;
        }

        for (size_t i = 0; i < n && r >= 0; i++) {
                struct ledger_entry e = { .kind = LEDGER_CONSOLE, .state = LEDGER_PENDING };
                size_t idx;
                if (ledger_find(s->ledger, LEDGER_CONSOLE, b[i].name))
                        continue;
                snprintf(e.id, sizeof(e.id), "%s", b[i].name);
                snprintf(e.type, sizeof(e.type), "%s", b[i].kind);
                snprintf(e.driver, sizeof(e.driver), "%s", b[i].driver);
                r = jit_record(s, &e, &idx);
                if (r >= 0)
                        r = console_release(&b[i], s->cfg->bind_timeout_ms);
                if (r >= 0)
                        r = jit_mark_done(s, idx);
        }
        free(b);
        return r;
}

/* Where the host has M: its driver and its own driver_override, which
 * release gives back. */
static int record_home(const struct group_member *m, struct ledger_entry *e) {
        char override[MDEV_NAME_MAX + 1] = "";
        int r = pci_override_get(m->bdf, override, sizeof(override));
        if (r < 0)
                return log_fail(r, "cannot read driver_override of %s: %s", m->bdf, strerror(-r));
        snprintf(e->id, sizeof(e->id), "%s", m->bdf);
        snprintf(e->driver, sizeof(e->driver), "%s", m->driver);
        snprintf(e->override, sizeof(e->override), "%s", driver_name_valid(override) ? override : "");
        return 0;
}

static int take(struct jit_state *s, const struct group_member *m) {
        struct ledger_entry e = { .kind = LEDGER_PCI, .state = LEDGER_PENDING };
        size_t idx;
        int r;

        struct ledger_entry *known = ledger_find(s->ledger, LEDGER_PCI, m->bdf);
        if (known && known->state == LEDGER_DONE)
                return 0; /* prepared before */
        if (known) {
                /* A prepare killed midway: the original driver is recorded. */
                idx = (size_t)(known - s->ledger->entries);
                if ((r = pci_bind_vfio(m->bdf, s->cfg->bind_timeout_ms)) < 0)
                        return r;
                return jit_mark_done(s, idx);
        }
        /* Already a VFIO device and not ours: someone else's, never rebound
         * by us. That is vfio-pci, and any driver that registered the device
         * with VFIO itself (a variant driver, NVIDIA's vendor-specific VFIO
         * set up by an operator or a cloud for managed='no'): moving those
         * to vfio-pci would hand the guest a bare function. */
        if (streq(m->driver, "vfio-pci") || (*m->driver && pci_is_vfio_device(m->bdf)))
                return 0;
        if ((r = record_home(m, &e)) < 0)
                return r;
        if ((r = jit_record(s, &e, &idx)) < 0)
                return r;
        jit_fault_point("pci-recorded");
        if ((r = pci_bind_vfio(m->bdf, s->cfg->bind_timeout_ms)) < 0)
                return r;
        jit_fault_point("pci-bound");
        return jit_mark_done(s, idx);
}

/* A function libvirt moves itself (listed with managed='yes'): gpuhook writes
 * nothing to it, but records where the host has it, so that release can give
 * it back when libvirt does not. libvirt remembers a function it found on
 * vfio-pci for a managed='no' hostdev: it adds it to its inactive list as
 * unmanaged and keeps it there after that domain stops
 * (src/hypervisor/virhostdev.c: virHostdevPreparePCIDevicesImpl step 2,
 * virHostdevReAttachPCIDevicesImpl step 2, 9.0 and 11.x). A later
 * managed='yes' use reuses that entry (virPCIDeviceDetach adds its copy only
 * "if it's not already there", src/util/virpci.c), so at the stop
 * virHostdevReattachAllPCIDevices skips it ("Not reattaching unmanaged PCI
 * device") and it stays on vfio-pci; after a libvirtd restart the entry's
 * origstates (no unbind_from_stub, saved at the start) skip the unbind the
 * same way. It was gpuhook that bound it for the managed='no' domain, so
 * the follow-up is gpuhook's: release undoes this entry like a taken one
 * (undo.c), which changes nothing when libvirt did reattach it. The claim in
 * the owner record also makes a start that wants it wait for this domain's
 * release, which libvirt runs after it has freed the function. */
static int watch(struct jit_state *s, const struct group_member *m) {
        struct ledger_entry e = { .kind = LEDGER_PCI, .state = LEDGER_DONE };
        size_t idx;
        int r;

        struct ledger_entry *known = ledger_find(s->ledger, LEDGER_PCI, m->bdf);
        if (known) {
                /* Recorded before (a kill after the record, or a domain whose
                 * hostdev was managed='no' then): the original driver is in it. */
                if (known->state == LEDGER_DONE)
                        return 0;
                return jit_mark_done(s, (size_t)(known - s->ledger->entries));
        }
        /* On vfio-pci already: libvirt finds it there and leaves it there
         * (virPCIDeviceBindToStub: "already bound", no unbind_from_stub). */
        if (streq(m->driver, "vfio-pci"))
                return 0;
        if ((r = record_home(m, &e)) < 0)
                return r;
        /* libvirt's detach writes driver_override=vfio-pci (virpci.c,
         * virPCIDeviceBindWithDriverOverride): the state release checks for. */
        snprintf(e.left, sizeof(e.left), "vfio-pci");
        return jit_record(s, &e, &idx);
}

int jit_prepare_pci(struct jit_state *s) {
        struct pci_snapshot p = { 0 };
        struct strset allowed = { 0 };
        struct pci_policy policy;
        struct member_decision *dec = NULL;
        bool console = false;
        int r;

        size_t passed = 0;
        for (size_t i = 0; i < s->domain->n_pcis; i++)
                passed += !domain_find_vgpu(s->domain, s->domain->pcis[i].bdf);
        if (passed == 0)
                return 0;
        r = jit_prepare_sriov(s);
        if (r >= 0)
                r = snapshot_load(s->domain, &p);
        /* The kernel's PF rule needs each member's VF count (pci-policy.h). */
        for (size_t i = 0; r >= 0 && i < p.n_members; i++)
                sriov_member_facts(&p.members[i], p.members[i].sriov_numvfs, s->owners, s->domain_uuid);
        if (r >= 0)
                r = build_policy(s, &p, &allowed, &policy);
        if (r >= 0)
                r = pci_policy_decide(&policy, p.listed, p.n_listed, p.members, p.n_members, &dec);
        if (r >= 0)
                r = refuse_if_held(dec, p.n_members);
        for (size_t i = 0; r >= 0 && i < p.n_members; i++)
                console = console || (dec[i].fate != FATE_LEAVE && p.members[i].boot_vga);
        if (r >= 0 && console)
                r = release_console(s);
        for (size_t i = 0; r >= 0 && i < p.n_members; i++)
                if (dec[i].fate == FATE_TAKE) {
                        log_info("taking %s (%s) for the VM", p.members[i].bdf, dec[i].why);
                        r = take(s, &p.members[i]);
                } else if (dec[i].fate == FATE_LIBVIRT)
                        r = watch(s, &p.members[i]);
        free(dec);
        strset_free(&allowed);
        snapshot_done(&p);
        return r;
}
