/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "pci.h"
#include "sriov-driver.h"
#include "util.h"

/* One table per vendor family (plugin/drivers/vendor-*.c): everything gpuhook
 * knows about a vendor at the PCI level. The core, the CLI and the callout
 * ask the registry below and call the answer's ops; outside plugin/drivers/
 * no code names a vendor, a vendor driver or a vendor id. */

/* `gpuhookctl check` items, added through the CLI's sink (same order as
 * the CLI's own statuses). */
enum check_status { CHECK_OK, CHECK_INFO, CHECK_WARN, CHECK_FAIL };
typedef void (*check_add_fn)(const char *id, enum check_status st, const char *fix, const char *fmt, ...) _printf_(4, 5);

/* Clauses of what vendor set-up is missing (vendor_preflight()). */
struct preflight_report {
        struct strbuf *why;
        int n;
};
void preflight_clause(struct preflight_report *rep, const char *fmt, const char *a, const char *b);

/* Where a device node is found that means "in use" (holders.c). */
typedef int (*node_add_fn)(void *ctx, const char *path);

/* vGPU on an SR-IOV VF through the vendor's own VFIO (no mdev bus): the VF
 * stays on the vendor driver, a type id written to it creates the vGPU. */
struct vgpu_vf_ops {
        /* Does VF BDF have the interface? */
        bool (*supported)(const char *bdf);
        /* Refuse BDF before anything changes when libvirt cannot start it. */
        int (*libvirt_gate)(const char *bdf);
        /* TYPE (an id or a name) to an id that can be created now; otherwise
         * -ENOSPC/-ENOENT with what can be created in WHY. */
        int (*resolve)(const char *bdf, const char *type, unsigned *ret_id, struct strbuf *why);
        int (*set_type)(const char *bdf, unsigned id, unsigned timeout_ms);
        int (*clear_type)(const char *bdf, unsigned timeout_ms);
        /* -ENOENT when the device has no such interface. */
        int (*current_type)(const char *bdf, unsigned *ret);
        int (*creatable_types)(const char *bdf, struct vgpu_type **ret, size_t *ret_n);
};

struct gpu_vendor {
        const char *name;
        unsigned pci_vendor; /* 0: not one PCI vendor */
        /* NULL-terminated lists, NULL for none. */
        const char *const *host_drivers;    /* take its GPU functions (blacklist softdeps) */
        const char *const *modeset_drivers; /* DRM drivers with a modeset= parameter */
        const char *const *drm_drivers;     /* host DRM drivers (console, render nodes) */
        const struct mdev_driver *const *mdev_drivers; /* most specific first */
        const struct sriov_driver *sriov;   /* how its VFs are enabled, NULL: none */
        const struct vgpu_vf_ops *vgpu_vf;  /* vGPU on a VF, NULL: none */
        /* `check`: add its items for the GPUs in L; false when it has none
         * there (and added nothing). */
        bool (*check)(const struct pci_list *l, check_add_fn add);
        /* What set-up is missing on its GPU D (a PF); STATE starts at 0 per run. */
        void (*preflight)(const struct pci_list *l, const struct pci_device *d, unsigned *state, struct preflight_report *rep);
        /* Device nodes of BDF (on DRIVER) beyond its DRM minors that mean "in use". */
        int (*in_use_nodes)(const char *bdf, const char *driver, node_add_fn add, void *ctx);
};

/* NULL-terminated, in the order checks and probes run. */
extern const struct gpu_vendor *const gpu_vendors[];
#define FOREACH_GPU_VENDOR(v) for (const struct gpu_vendor *const *_vp = gpu_vendors, *v; (v = *_vp); _vp++)

/* The vendor of PCI vendor id VENDOR, or NULL. */
const struct gpu_vendor *gpu_vendor_for_pci(unsigned vendor);
/* Is DRIVER one of the vendors' host DRM drivers / DRM drivers with modeset=? */
bool gpu_driver_is_drm(const char *driver);
bool gpu_driver_has_modeset(const char *driver);
/* The vGPU-on-VF ops whose interface VF BDF has, or NULL. */
const struct vgpu_vf_ops *vgpu_vf_for(const char *bdf);
/* The first vendor's answer; -ENOENT when no vendor's interface is there. */
int vgpu_vf_current_type(const char *bdf, unsigned *ret);
int vgpu_vf_creatable_types(const char *bdf, struct vgpu_type **ret, size_t *ret_n);
/* Every vendor's in_use_nodes for BDF. */
int gpu_vendors_in_use_nodes(const char *bdf, const char *driver, node_add_fn add, void *ctx);
/* Vendor vGPU checks for `check`; false when no vendor saw a GPU of its own. */
bool gpu_vendors_check(const struct pci_list *l, check_add_fn add);
