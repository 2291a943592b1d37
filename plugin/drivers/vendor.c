/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor registry: which family owns a PCI function, driver or VF. */
#include "vendor-private.h"

/* The order `check` shows the vendors in and mdev_driver_for() probes them;
 * the generic vendor, whose mdev driver claims every parent, comes last. */
const struct gpu_vendor *const gpu_vendors[] = {
        &gpu_vendor_nvidia, &gpu_vendor_intel, &gpu_vendor_amd, &gpu_vendor_s390, &gpu_vendor_generic, NULL,
};

const struct gpu_vendor *gpu_vendor_for_pci(unsigned vendor) {
        FOREACH_GPU_VENDOR(v)
                if (v->pci_vendor && v->pci_vendor == vendor)
                        return v;
        return NULL;
}

static bool listed(const char *const *list, const char *s) {
        for (; list && *list; list++)
                if (streq(*list, s))
                        return true;
        return false;
}

bool gpu_driver_is_drm(const char *driver) {
        FOREACH_GPU_VENDOR(v)
                if (listed(v->drm_drivers, driver))
                        return true;
        return false;
}

bool gpu_driver_has_modeset(const char *driver) {
        FOREACH_GPU_VENDOR(v)
                if (listed(v->modeset_drivers, driver))
                        return true;
        return false;
}

const struct vgpu_vf_ops *vgpu_vf_for(const char *bdf) {
        FOREACH_GPU_VENDOR(v)
                if (v->vgpu_vf && v->vgpu_vf->supported(bdf))
                        return v->vgpu_vf;
        return NULL;
}

int vgpu_vf_current_type(const char *bdf, unsigned *ret) {
        int r = -ENOENT;
        FOREACH_GPU_VENDOR(v)
                if (v->vgpu_vf && (r = v->vgpu_vf->current_type(bdf, ret)) >= 0)
                        return r;
        return r;
}

int vgpu_vf_creatable_types(const char *bdf, struct vgpu_type **ret, size_t *ret_n) {
        int r = -ENOENT;
        FOREACH_GPU_VENDOR(v)
                if (v->vgpu_vf && (r = v->vgpu_vf->creatable_types(bdf, ret, ret_n)) >= 0)
                        return r;
        return r;
}

int gpu_vendors_in_use_nodes(const char *bdf, const char *driver, node_add_fn add, void *ctx) {
        int r = 0;
        FOREACH_GPU_VENDOR(v)
                if (v->in_use_nodes && (r = v->in_use_nodes(bdf, driver, add, ctx)) < 0)
                        return r;
        return r;
}

bool gpu_vendors_check(const struct pci_list *l, check_add_fn add) {
        bool any = false;
        FOREACH_GPU_VENDOR(v)
                if (v->check && v->check(l, add))
                        any = true;
        return any;
}

void preflight_clause(struct preflight_report *rep, const char *fmt, const char *a, const char *b) {
        strbuf_appendf(rep->why, "%s", rep->n ? "; " : "");
        strbuf_appendf(rep->why, fmt, a, b);
        rep->n++;
}
