/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor kernel/driver behaviour beyond the mdev core: SR-IOV physical
 * functions (sriov_numvfs, drivers/pci/iov.c) and NVIDIA vGPU on VFs with the
 * vendor-specific VFIO framework (nvidia/creatable_vgpu_types,
 * nvidia/current_vgpu_type). What sysfs cannot carry is kept as text in
 * <testbed>/.sim/vendor:
 *   pf <name> sriov-configure=auto|yes|no vf-driver=auto|none|<driver>
 *      vgpu-mode=equal-size|mixed-size release-busy=<n>
 *      vgpu-set-errno=<errno|none> vgpu-clear-errno=<errno|none> vgpu-clear-effect=yes|no
 *   vgpu-type <pf name> <id> <max instances per card> <name, rest of the line>
 *   vgpu <vf name> <type id>                    (VFs with a vGPU type set)
 * libc only (the shim links it). Callers hold the testbed lock. Functions
 * return 0 or a negative errno. See sim/README.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "state.h"
#include "testbed.h"

struct sim_vgpu_type {
        unsigned id;   /* 1147 */
        unsigned max;  /* instances per physical card (framebuffer) */
        char *name;    /* "NVIDIA L40S-1Q" */
};

enum sim_tristate { SIM_AUTO = -1, SIM_NO = 0, SIM_YES = 1 };

/* An SR-IOV physical function; with vGPU types, an NVIDIA vGPU card. */
struct sim_pf {
        char *name;          /* "0000:c1:00.0" */
        int sriov_configure; /* enum sim_tristate: does the PF driver have sriov_configure */
        char *vf_driver;     /* driver new VFs probe with: NULL auto, "none" unbound */
        bool mixed;          /* vGPU mixed-size mode; else equal-size: one type per card */
        unsigned release_busy; /* the next N releases (0 to current_vgpu_type) fail EBUSY */
        /* Fault injection for errnos no public source lists: every write of an
         * id fails with set_errno (no effect); every write of 0 that would
         * free a vGPU fails with clear_errno, the vGPU gone anyway when
         * clear_effect (a user saw "Operation not permitted" from a 0 write
         * at VM stop while the driver had torn the vGPU down itself). 0: off. */
        int set_errno, clear_errno;
        bool clear_effect;
        struct sim_vgpu_type *types;
        size_t n_types;
};

/* A VF with a vGPU type set. */
struct sim_vgpu {
        char *vf;
        unsigned type;
};

struct sim_vendor {
        struct sim_pf *pfs;
        size_t n_pfs;
        struct sim_vgpu *vgpus;
        size_t n_vgpus;
};

/* A missing .sim/vendor (a testbed made before it existed) loads empty. */
int sim_vendor_load(const struct testbed *tb, struct sim_vendor **ret);
int sim_vendor_save(const struct testbed *tb, const struct sim_vendor *v);
struct sim_vendor *sim_vendor_free(struct sim_vendor *v);
static inline void sim_vendor_freep(struct sim_vendor **v) { sim_vendor_free(*v); }

struct sim_pf *sim_vendor_find_pf(const struct sim_vendor *v, const char *name);
int sim_vendor_add_pf(struct sim_vendor *v, const char *name, struct sim_pf **ret);
const struct sim_vgpu_type *sim_pf_find_vgpu_type(const struct sim_pf *pf, unsigned id);
int sim_pf_add_vgpu_type(struct sim_pf *pf, unsigned id, unsigned max, const char *name);
/* Types without a max get one from their names: "...-<N><letters>" is N GB
 * of framebuffer; the largest type fills the card (max 1). */
void sim_pf_infer_vgpu_max(struct sim_pf *pf);

/* The vGPU type of VF, 0 when free. */
unsigned sim_vendor_vgpu(const struct sim_vendor *v, const char *vf);
/* Set (TYPE 0: clear) the vGPU type of VF. */
int sim_vendor_set_vgpu(struct sim_vendor *v, const char *vf, unsigned type);

/* Settings ("# gpuhook-sim: <pf> key=value"): sriov-configure, vf-driver,
 * vgpu-mode, release-busy, vgpu-max=<id>:<n>[,<id>:<n>...]. */
bool sim_vendor_key(const char *key);
bool sim_vendor_vgpu_key(const char *key); /* needs a vGPU card */
int sim_pf_set(struct sim_pf *pf, const char *key, const char *value);

/* ---- PCI helpers (sriov.c) ---- */

/* Sysfs path of the PCI device NAME (through /sys/bus/pci/devices). */
int sim_pci_path(const struct testbed *tb, const char *name, char **ret);
/* The bound driver's name, NULL if unbound. */
char *sim_pci_driver(const struct testbed *tb, const char *dev);
/* VFs of the PF at DEV (its virtfnN links, N ascending): names and paths. */
int sim_sriov_vfs(const struct testbed *tb, const char *dev, char ***ret_paths, size_t *ret_n);
/* The PF name of the VF at DEV, NULL if DEV is not a VF. */
char *sim_sriov_physfn(const struct testbed *tb, const char *dev);
/* The driver VFs of PF probe with (sriov_drivers_autoprobe=1): the setting,
 * else by PF driver (nvidia, xe, i915, ice -> iavf, ...). NULL for none. */
char *sim_sriov_vf_driver(const struct sim_pf *pf, const char *pf_driver);
/* Whether the PF driver implements sriov_configure. */
bool sim_sriov_configurable(const struct sim_pf *pf, const char *pf_driver);

/* sriov_numvfs_store() after its checks: create N VFs of the PF at DEV (none
 * may exist), or remove them all (N = 0). ST (.sim/state) and V are updated,
 * the callers save them. */
int sim_sriov_enable(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, const char *dev,
                     unsigned n);
int sim_sriov_disable(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, const char *dev);
/* Why VFs of the PF at DEV cannot go (-EBUSY) or 0. */
int sim_sriov_disable_check(const struct testbed *tb, const struct sim_vendor *v, const char *dev);
/* Rewrite <pf>/sriov_numvfs from the virtfn links. */
int sim_sriov_sync_numvfs(const struct testbed *tb, const char *dev);

/* ---- NVIDIA vGPU on VFs (vgpu.c) ---- */

/* The card (PF entry with vGPU types) of the VF at DEV, NULL if none. */
struct sim_pf *sim_vgpu_card(const struct testbed *tb, const struct sim_vendor *v, const char *dev);
/* Whether TYPE can be created on the free VF of CARD. */
bool sim_vgpu_creatable(const struct testbed *tb, const struct sim_vendor *v, const struct sim_pf *card,
                        const char *vf, unsigned type);
/* Give the VF at DEV (bound to nvidia) its driver files: nvidia/
 * creatable_vgpu_types, current_vgpu_type, vgpu_params; vfio-dev/vfioN and
 * /dev/vfio/devices/vfioN; /dev/vfio/<group>. */
int sim_vgpu_setup_vf(const struct testbed *tb, const char *dev);
/* Undo sim_vgpu_setup_vf's outside-the-VF parts (class link, /dev nodes). */
int sim_vgpu_teardown_vf(const struct testbed *tb, const char *dev);
/* Rewrite nvidia/creatable_vgpu_types and current_vgpu_type of every VF of
 * CARD (at PF_DEV). */
int sim_vgpu_refresh(const struct testbed *tb, const struct sim_vendor *v, const struct sim_pf *card,
                     const char *pf_dev);

/* ---- completion (complete-vendor.c, gpuhook-sim only) ---- */

struct sim_setting;
/* Discover SR-IOV PFs, NVIDIA vGPU cards and mdev parents that are VFs,
 * apply the vendor settings, add the driver files a recording lacks, write
 * .sim/vendor. Runs after the mdev walk, before the mdev settings. */
int sim_vendor_complete(const struct testbed *tb, struct sim_state *st, const struct sim_setting *settings,
                        size_t n_settings, char **ret_msg);
