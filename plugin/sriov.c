/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>

#include "log.h"
#include "pci-bind.h"
#include "sriov.h"
#include "sysfs.h"

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
                *ret = (struct sriov_pf){ .vendor = d->vendor, .totalvfs = d->sriov_totalvfs, .numvfs = d->sriov_numvfs,
                                          .vf_index = index };
                snprintf(ret->bdf, sizeof(ret->bdf), "%s", d->bdf);
                snprintf(ret->driver, sizeof(ret->driver), "%s", d->driver);
                return 0;
        }
        return -ENOENT;
}

bool sriov_vfs_in_use(const char *pf, struct strbuf *why) {
        _cleanup_free_ char *dir = sysfs_pci_attr(pf, NULL);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        bool used = false;

        while (d && !used && (de = readdir(d))) {
                char target[256], drv[64] = "";
                if (strncmp(de->d_name, "virtfn", 6))
                        continue;
                _cleanup_free_ char *link = sysfs_path(SYSFS_PCI_DEVICES, pf, de->d_name, NULL);
                ssize_t n = link ? readlink(link, target, sizeof(target) - 1) : -1;
                if (n <= 0)
                        continue;
                target[n] = 0;
                const char *vf = strrchr(target, '/');
                vf = vf ? vf + 1 : target;
                if (!pci_addr_valid(vf))
                        continue;
                unsigned vgpu = 0;
                if ((pci_driver_get(vf, drv, sizeof(drv)) >= 0 && streq(drv, "vfio-pci")) ||
                    (pci_vgpu_current_type(vf, &vgpu) >= 0 && vgpu != 0)) {
                        strbuf_appendf(why, "%s", vf);
                        used = true;
                }
        }
        if (d)
                closedir(d);
        return used;
}

int sriov_set_numvfs(const char *pf, unsigned n, unsigned timeout_ms) {
        _cleanup_free_ char *p = sysfs_pci_attr(pf, "sriov_numvfs");
        char text[16];
        if (!p)
                return -errno;
        snprintf(text, sizeof(text), "%u", n);
        log_info("setting %u VFs on %s", n, pf);
        return sysfs_write_bounded(p, text, timeout_ms);
}

int sriov_restore(const char *pf, const char *previous, unsigned timeout_ms) {
        struct strbuf why = { 0 };
        unsigned prev = 0, cur = 0;
        int r;

        if (safe_atou(previous, &prev) < 0)
                return -EINVAL;
        if (read_attr_uint(pf, "sriov_numvfs", &cur) < 0 || cur == prev)
                return 0;
        if (sriov_vfs_in_use(pf, &why)) {
                /* Another VM still uses a VF: the extra VFs stay; nothing lost. */
                log_info("leaving %u VFs on %s: VF %s is still in use", cur, pf, strbuf_str(&why));
                strbuf_free(&why);
                return 0;
        }
        strbuf_free(&why);
        r = sriov_set_numvfs(pf, 0, timeout_ms);
        if (r >= 0 && prev > 0)
                r = sriov_set_numvfs(pf, prev, timeout_ms);
        if (r < 0)
                return log_fail(r, "cannot set %s back to %u VFs: %s; set sriov_numvfs by hand", pf, prev, strerror(-r));
        return 0;
}
