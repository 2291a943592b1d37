/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "sriov-driver.h"
#include "sriov.h"
#include "sysfs.h"
#include "vf-pool.h"

static unsigned routing_id(const struct pci_addr *a) { return a->bus << 8 | a->slot << 3 | a->function; }

static int read_attr_uint(const char *bdf, const char *attr, unsigned *ret) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, attr);
        return p ? read_uint_file(p, ret) : -errno;
}

/* The address of VF number INDEX + 1 (PCIe SR-IOV: routing id = the PF's +
 * First VF Offset + index x VF Stride; drivers/pci/iov.c pci_iov_virtfn_bus/
 * _devfn). */
static bool vf_address(const struct pci_device *pf, unsigned offset, unsigned stride, unsigned index, char *buf) {
        unsigned rid = routing_id(&pf->addr) + offset + index * stride;
        if (rid > 0xffff)
                return false;
        struct pci_addr a = { .domain = pf->addr.domain, .bus = rid >> 8, .slot = (rid >> 3) & 0x1f, .function = rid & 7 };
        pci_addr_format(&a, buf);
        return true;
}

static void classify(struct vf_slot *s, const struct pci_device *vf, const struct owners *owners) {
        const struct owner_claim *c = owners ? owners_find_on_device(owners, s->bdf, "") : NULL;
        snprintf(s->driver, sizeof(s->driver), "%s", vf ? vf->driver : "");
        if (!vf)
                s->state = VF_NOT_ENABLED;
        else if (c) {
                s->state = VF_HELD;
                (void)owner_claim_shown(c, s->owner, sizeof(s->owner));
        } else
                s->state = sriov_vf_in_use(s->bdf) ? VF_IN_USE : VF_FREE;
}

static int load_pf(const struct pci_list *l, const struct pci_device *d, const struct sriov_driver *drv,
                   const struct owners *owners, struct vf_pf *pf) {
        struct sriov_pf spf = { .vendor = d->vendor, .class = d->class, .totalvfs = d->sriov_totalvfs, .numvfs = d->sriov_numvfs };
        unsigned offset = 0, stride = 0;
        snprintf(spf.bdf, sizeof(spf.bdf), "%s", d->bdf);
        snprintf(spf.driver, sizeof(spf.driver), "%s", d->driver);
        *pf = (struct vf_pf){ .numa_node = d->numa_node, .totalvfs = d->sriov_totalvfs, .numvfs = d->sriov_numvfs,
                              .can_enable = drv->enable == SRIOV_ENABLE_SYSFS };
        snprintf(pf->bdf, sizeof(pf->bdf), "%s", d->bdf);
        snprintf(pf->family, sizeof(pf->family), "%s", drv->family);
        snprintf(pf->driver, sizeof(pf->driver), "%s", d->driver);
        if (read_attr_uint(d->bdf, "sriov_offset", &offset) < 0 || read_attr_uint(d->bdf, "sriov_stride", &stride) < 0)
                return 0; /* no VF addresses to speak of */
        pf->vfs = calloc(d->sriov_totalvfs, sizeof(*pf->vfs));
        if (!pf->vfs)
                return -ENOMEM;
        for (unsigned i = 0; i < d->sriov_totalvfs; i++) {
                struct vf_slot *s = &pf->vfs[pf->n_vfs];
                if (!vf_address(d, offset, stride, i, s->bdf))
                        break;
                const struct pci_device *vf = pci_list_find(l, s->bdf);
                if (vf && !streq(vf->physfn, d->bdf))
                        vf = NULL;
                if (!vf && !pf->can_enable)
                        continue; /* created only at the driver's load */
                s->index = i;
                classify(s, vf, owners);
                if (drv->vf_profile) {
                        spf.vf_index = i;
                        drv->vf_profile(&spf, i, s->profile, sizeof(s->profile));
                }
                pf->n_vfs++;
        }
        return 0;
}

int vf_pool_load(const struct pci_list *l, const struct owners *owners, struct vf_pool *ret) {
        struct vf_pool p = { 0 };
        int r = 0;
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                const struct pci_device *d = &l->devs[i];
                if (!d->sriov_totalvfs || *d->physfn)
                        continue;
                struct sriov_pf spf = { .vendor = d->vendor, .class = d->class, .totalvfs = d->sriov_totalvfs };
                snprintf(spf.bdf, sizeof(spf.bdf), "%s", d->bdf);
                snprintf(spf.driver, sizeof(spf.driver), "%s", d->driver);
                const struct sriov_driver *drv = sriov_driver_for(&spf);
                if (!drv || !drv->family)
                        continue;
                struct vf_pf *n = reallocarray(p.pfs, p.n + 1, sizeof(*n));
                if (!n) {
                        r = -ENOMEM;
                        break;
                }
                p.pfs = n;
                r = load_pf(l, d, drv, owners, &p.pfs[p.n]);
                if (r >= 0 || p.pfs[p.n].vfs)
                        p.n++;
        }
        if (r < 0) {
                vf_pool_free(&p);
                return r;
        }
        *ret = p;
        return 0;
}

int vf_pool_load_host(const struct owners *owners, struct vf_pool *ret) {
        struct pci_list l = { 0 };
        int r = pci_list_load(&l);
        if (r >= 0)
                r = vf_pool_load(&l, owners, ret);
        pci_list_free(&l);
        return r;
}
