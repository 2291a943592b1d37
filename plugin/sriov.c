/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>

#include "log.h"
#include "pci-bind.h"
#include "sriov.h"
#include "sysfs.h"
#include "vendor.h"

static unsigned routing_id(const struct pci_addr *a) { return a->bus << 8 | a->slot << 3 | a->function; }

static int read_attr_uint(const char *bdf, const char *attr, unsigned *ret) {
        _cleanup_free_ char *p = sysfs_pci_attr(bdf, attr);
        return p ? read_uint_file(p, ret) : -errno;
}

int sriov_pf_for_vf(const struct pci_list *l, const char *vf, struct sriov_pf *ret) {
        struct pci_addr va;
        if (pci_addr_parse(vf, &va) < 0)
                return -EINVAL;
        for (size_t i = 0; i < l->n; i++) {
                const struct pci_device *d = &l->devs[i];
                unsigned offset, stride;
                if (d->sriov_totalvfs == 0 || d->addr.domain != va.domain ||
                    read_attr_uint(d->bdf, "sriov_offset", &offset) < 0 || read_attr_uint(d->bdf, "sriov_stride", &stride) < 0)
                        continue;
                unsigned first = routing_id(&d->addr) + offset, want = routing_id(&va);
                if (want < first || (stride && (want - first) % stride) || (!stride && want != first))
                        continue;
                unsigned index = stride ? (want - first) / stride : 0;
                if (index >= d->sriov_totalvfs)
                        continue;
                *ret = (struct sriov_pf){ .vendor = d->vendor, .class = d->class, .totalvfs = d->sriov_totalvfs, .numvfs = d->sriov_numvfs,
                                          .vf_index = index };
                snprintf(ret->bdf, sizeof(ret->bdf), "%s", d->bdf);
                snprintf(ret->driver, sizeof(ret->driver), "%s", d->driver);
                return 0;
        }
        return -ENOENT;
}

int sriov_vfs_list(const char *pf, char ***ret) {
        _cleanup_free_ char *dir = sysfs_pci_attr(pf, NULL);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        char **v = NULL;
        size_t n = 0;
        int r = 0;

        if (!d && errno != ENOENT)
                return -errno;
        while (d && (de = readdir(d))) {
                char vf[PCI_ADDR_LEN + 8];
                if (strncmp(de->d_name, "virtfn", 6))
                        continue;
                _cleanup_free_ char *link = sysfs_path(SYSFS_PCI_DEVICES, pf, de->d_name, NULL);
                if (!link || sysfs_link_basename(link, vf, sizeof(vf)) < 0 || !pci_addr_valid(vf))
                        continue;
                char **nv = reallocarray(v, n + 2, sizeof(char *));
                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[n + 1] = NULL;
                if (!(v[n] = strdup(vf))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (d)
                closedir(d);
        /* A PF that is gone has no VFs: an empty list. */
        if (r < 0 || (!v && !(v = calloc(1, sizeof(char *))))) {
                strv_free_null(v);
                return -ENOMEM;
        }
        *ret = v;
        return 0;
}

bool sriov_vf_in_use(const char *vf) {
        char drv[64] = "";
        unsigned vgpu = 0;
        return (pci_driver_get(vf, drv, sizeof(drv)) >= 0 && streq(drv, "vfio-pci")) ||
               (vgpu_vf_current_type(vf, &vgpu) >= 0 && vgpu != 0);
}

int sriov_numvfs_get(const char *pf, unsigned *ret) { return read_attr_uint(pf, "sriov_numvfs", ret); }

int sriov_set_numvfs(const char *pf, unsigned n, unsigned timeout_ms) {
        _cleanup_free_ char *p = sysfs_pci_attr(pf, "sriov_numvfs");
        char text[16];
        if (!p)
                return -errno;
        snprintf(text, sizeof(text), "%u", n);
        log_info("setting %u VFs on %s", n, pf);
        return sysfs_write_bounded(p, text, timeout_ms);
}

int sriov_restore(const char *pf, unsigned previous, unsigned timeout_ms) {
        unsigned cur = 0;
        int r;

        if (read_attr_uint(pf, "sriov_numvfs", &cur) < 0 || cur == previous)
                return 0;
        /* drivers/pci/iov.c, sriov_numvfs_store(): a non-zero count changes
         * only through 0 (-EBUSY otherwise). */
        r = sriov_set_numvfs(pf, 0, timeout_ms);
        if (r >= 0 && previous > 0)
                r = sriov_set_numvfs(pf, previous, timeout_ms);
        if (r < 0)
                return log_fail(r, "cannot set %s back to %u VFs: %s; set sriov_numvfs by hand", pf, previous, strerror(-r));
        return 0;
}

void sriov_member_facts(struct group_member *m, unsigned numvfs, const struct owners *owners, const char *self_uuid) {
        struct strbuf text = { 0 };
        char **vfs = NULL;
        size_t shown = 0, n = 0;

        m->sriov_numvfs = numvfs;
        m->vfs[0] = '\0';
        if (numvfs == 0 || sriov_vfs_list(m->bdf, &vfs) < 0)
                return;
        for (char **vf = vfs; *vf; vf++, n++) {
                if (shown == 4)
                        continue; /* one line: the first few, then a count */
                const struct owner_claim *c = owners ? owners_find_on_device(owners, *vf, self_uuid ? self_uuid : "") : NULL;
                char who[OWNER_SHOWN_MAX];
                if (c)
                        strbuf_appendf(&text, "%s%s held by domain '%s'", shown ? ", " : "", *vf, owner_claim_shown(c, who, sizeof(who)));
                else
                        strbuf_appendf(&text, "%s%s %s", shown ? ", " : "", *vf,
                                       sriov_vf_in_use(*vf) ? "in use (vfio-pci or a vGPU)" : "free");
                shown++;
        }
        if (n > shown)
                strbuf_appendf(&text, ", and %zu more", n - shown);
        snprintf(m->vfs, sizeof(m->vfs), "%s", strbuf_str(&text));
        strbuf_free(&text);
        strv_free_null(vfs);
}
