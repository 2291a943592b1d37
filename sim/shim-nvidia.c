/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA driver ABI: <vf>/nvidia/current_vgpu_type (vGPU 17+ vendor-specific
 * VFIO) and <mdev or vf>/nvidia/vgpu_params. */
#include "shim.h"
#include "sim-util.h"
#include "vendor.h"

/* "<dev>/nvidia/<file>": DEV, or NULL. */
static char *nvidia_dev(const char *path) {
        _cleanup_free_ char *dir = tb_dirname(path);
        if (!dir || !streq(tb_basename(dir), "nvidia"))
                return NULL;
        return tb_dirname(dir);
}

/* A decimal id, one trailing newline allowed. */
static int parse_type(const struct shim_write *w, unsigned *ret) {
        char tmp[16];
        int r = shim_write_string(w, tmp, sizeof(tmp));
        if (r < 0)
                return r;
        return sim_safe_atou(tmp, ret) < 0 ? -EINVAL : 0;
}

int shim_nvidia_current_vgpu_type(const struct shim_write *w) {
        _cleanup_free_ char *dev = nvidia_dev(w->path);
        if (!dev)
                return SHIM_PASS;
        _cleanup_(sim_vendor_freep) struct sim_vendor *v = NULL;
        if (sim_vendor_load(w->tb, &v) < 0)
                return -EIO;
        struct sim_pf *card = sim_vgpu_card(w->tb, v, dev);
        if (!card)
                return SHIM_PASS; /* not a VF of a known vGPU card */
        if (w->len == 0)
                return 0;
        const char *vf = tb_basename(dev);
        unsigned type, cur = sim_vendor_vgpu(v, vf);
        int r = parse_type(w, &type);
        bool changed = false;
        if (r < 0)
                ;
        else if (type != 0) {
                if (cur != 0)
                        r = -EBUSY; /* destroy first: write 0 */
                else if (!sim_vgpu_creatable(w->tb, v, card, vf, type))
                        r = -EINVAL; /* not in this VF's creatable_vgpu_types */
                else if (card->set_errno)
                        r = -card->set_errno; /* setting vgpu-set-errno */
                else {
                        changed = true;
                        r = sim_vendor_set_vgpu(v, vf, type) < 0 ? -EIO : 0;
                }
        } else if (cur != 0) {
                changed = true;
                if (card->release_busy > 0) {
                        card->release_busy--; /* setting release-busy=N */
                        r = -EBUSY;
                } else if (card->clear_errno && !card->clear_effect)
                        r = -card->clear_errno; /* setting vgpu-clear-errno, vGPU kept */
                else {
                        r = sim_vendor_set_vgpu(v, vf, 0) < 0 ? -EIO : 0;
                        if (r >= 0 && card->clear_errno)
                                r = -card->clear_errno; /* gone, and yet an error */
                }
        }
        if (changed && sim_vendor_save(w->tb, v) < 0 && r >= 0)
                r = -EIO;
        /* Also after a failure: a shell redirection truncated the file. */
        _cleanup_free_ char *pf_dev = NULL;
        if ((sim_pci_path(w->tb, card->name, &pf_dev) < 0 || sim_vgpu_refresh(w->tb, v, card, pf_dev) < 0) &&
            r >= 0)
                r = -EIO;
        return r;
}

int shim_nvidia_vgpu_params(const struct shim_write *w) {
        _cleanup_free_ char *dev = nvidia_dev(w->path);
        if (!dev)
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        /* An mdev's parent may inject an errno (setting params-errno). */
        _cleanup_free_ char *parent = tb_dirname(dev);
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (sim_state_load(w->tb, &st) < 0)
                return -EIO;
        const struct sim_mdev_parent *p = parent ? sim_state_find_parent(st, parent) : NULL;
        if (p && p->params_errno)
                return -p->params_errno;
        /* The driver takes count - 1 bytes: whatever the last byte is, it is
         * gone (userspace writes "key=value[,...]\n"). */
        size_t keep = w->len - 1;
        _cleanup_free_ char *text = malloc(keep + 2);
        if (!text)
                return -EIO;
        memcpy(text, w->buf, keep);
        text[keep] = '\0';
        if (strlen(text) != keep)
                return -EINVAL; /* a NUL byte */
        if (keep > 0 && text[keep - 1] != '\n')
                strcat(text, "\n");
        return tb_write_file(w->tb, w->path, text, 0644) < 0 ? -EIO : 0;
}
