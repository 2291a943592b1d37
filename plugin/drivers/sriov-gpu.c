/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SR-IOV GPU physical functions, one entry per vendor family. */
#include "log.h"
#include "pci.h"
#include "sriov-driver.h"
#include "sysfs.h"
#include "vendor-private.h"

static bool is_gpu(const struct sriov_pf *pf) { return pf->class >> 16 == PCI_BASE_CLASS_DISPLAY; }

/* Intel Data Center GPU Flex / Arc Pro and newer on xe: xe implements
 * sriov_configure (drivers/gpu/drm/xe/xe_pci_sriov.c, xe_pci_sriov_configure),
 * bounded by its max_vfs module parameter; the SR-IOV i915 of Intel's
 * backports does the same. */
static bool intel_claims(const struct sriov_pf *pf) {
        return pf->vendor == PCI_VENDOR_INTEL && is_gpu(pf) && (streq(pf->driver, "xe") || streq(pf->driver, "i915"));
}

static int intel_explain(const char *vf, const struct sriov_pf *pf, unsigned need) {
        return log_fail(-ENODEV, "VF %s does not exist and %s cannot make it (VF number %u of %u): check dmesg, and load %s with max_vfs=%u",
                        vf, pf->bdf, need, pf->totalvfs, pf->driver, need);
}

static void intel_hint(const struct sriov_pf *pf, char *buf, size_t size) {
        snprintf(buf, size, "gpuhook enables VFs of %s when a domain names one; by hand: echo N > /sys/bus/pci/devices/%s/sriov_numvfs (%s's max_vfs bounds N)",
                 pf->bdf, pf->bdf, pf->driver);
}

/* xe (Linux 6.19+, drm-xe-next-2025-11-14 "Add sriov_admin sysfs tree"):
 * <PF>/sriov_admin/vfN/profile/ holds exec_quantum_ms, preempt_timeout_us,
 * sched_priority ("low [normal] high", the choice in brackets) and, with
 * LMTT, vram_quota (drivers/gpu/drm/xe/xe_sriov_pf_sysfs.c). Older xe and
 * the i915 backports keep the provisioning in debugfs: no profile shown. */
static void intel_vf_profile(const struct sriov_pf *pf, unsigned index, char *buf, size_t size) {
        static const char *const attrs[] = { "vram_quota", "exec_quantum_ms", "preempt_timeout_us", "sched_priority" };
        char vf[16];
        size_t len = 0;
        *buf = 0;
        snprintf(vf, sizeof(vf), "vf%u", index + 1);
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *p = sysfs_path(SYSFS_PCI_DEVICES, pf->bdf, "sriov_admin", vf, "profile", attrs[i], NULL);
                _cleanup_free_ char *text = NULL;
                if (!p || read_text_file(p, 256, &text) < 0)
                        continue;
                strstrip_end(text);
                char *v = text, *open = strchr(text, '[');
                if (open) { /* "low [normal]": the choice */
                        v = open + 1;
                        v[strcspn(v, "]")] = 0;
                }
                if (!*v || strpbrk(v, " ,=\t") || len + strlen(attrs[i]) + strlen(v) + 3 >= size)
                        continue;
                len += (size_t)snprintf(buf + len, size - len, "%s%s=%s", len ? "," : "", attrs[i], v);
        }
}

const struct sriov_driver sriov_driver_intel = {
        .name = "intel-sriov",
        .family = "intel-sriov",
        .vf_profile = intel_vf_profile,
        .claims = intel_claims,
        .enable = SRIOV_ENABLE_SYSFS,
        .explain_missing = intel_explain,
        .enable_hint = intel_hint,
};

/* AMD MxGPU (FirePro S7150, Instinct MI25 ...): the gim module creates the
 * VFs at load from its vf_num parameter and offers no sriov_configure, so the
 * kernel answers a sriov_numvfs write with ENOENT (drivers/pci/iov.c,
 * sriov_numvfs_store(): no driver->sriov_configure). GIM's README: vf_num. */
static bool amd_claims(const struct sriov_pf *pf) {
        return pf->vendor == PCI_VENDOR_AMD && is_gpu(pf) && streq(pf->driver, "gim");
}

static int amd_explain(const char *vf, const struct sriov_pf *pf, unsigned need) {
        return log_fail(-ENODEV, "VF %s does not exist: the VFs of AMD MxGPU %s are created by gim at load; reload it with more VFs (`modprobe -r gim; modprobe gim vf_num=%u`) while no VM uses one",
                        vf, pf->bdf, need);
}

static void amd_hint(const struct sriov_pf *pf, char *buf, size_t size) {
        snprintf(buf, size, "gim creates the VFs of %s at load: `modprobe -r gim; modprobe gim vf_num=N` while no VM uses one", pf->bdf);
}

const struct sriov_driver sriov_driver_amd_gim = {
        .name = "amd-gim",
        /* gim shows no per-VF profile in sysfs that a public source
         * documents: the VFs share the GPU as vf_num sets at load. */
        .family = "amd-mxgpu",
        .claims = amd_claims,
        .enable = SRIOV_ENABLE_AT_LOAD,
        .explain_missing = amd_explain,
        .enable_hint = amd_hint,
};

/* NVIDIA Ampere and newer: VFs are enabled by NVIDIA's sriov-manage, which
 * also prepares the GPU (NVIDIA Virtual GPU Software User Guide, "Preparing
 * the Virtual Function for an NVIDIA vGPU that Supports SR-IOV on a Linux
 * with KVM Hypervisor"), never by a bare sriov_numvfs write. */
static bool nvidia_claims(const struct sriov_pf *pf) {
        return pf->vendor == PCI_VENDOR_NVIDIA && is_gpu(pf) && streq(pf->driver, "nvidia");
}

static int nvidia_explain(const char *vf, const struct sriov_pf *pf, unsigned need) {
        return log_fail(-ENODEV, "VF %s does not exist: the VFs of NVIDIA GPU %s are not enabled; run `/usr/lib/nvidia/sriov-manage -e %s` (or enable them at boot)",
                        vf, pf->bdf, pf->bdf);
}

static void nvidia_hint(const struct sriov_pf *pf, char *buf, size_t size) {
        snprintf(buf, size, "/usr/lib/nvidia/sriov-manage -e %s", pf->bdf);
}

const struct sriov_driver sriov_driver_nvidia = {
        .name = "nvidia-sriov",
        .claims = nvidia_claims,
        .enable = SRIOV_ENABLE_VENDOR_TOOL,
        .explain_missing = nvidia_explain,
        .enable_hint = nvidia_hint,
};

/* Each vendor's table links its driver (gpu_vendor.sriov); the claims
 * exclude each other by vendor id, so the order does not matter. */
const struct sriov_driver *sriov_driver_for(const struct sriov_pf *pf) {
        FOREACH_GPU_VENDOR(v)
                if (v->sriov && v->sriov->claims(pf))
                        return v->sriov;
        return NULL;
}

const struct sriov_driver *sriov_driver_of_family(const char *name) {
        if (!name)
                return NULL;
        FOREACH_GPU_VENDOR(v)
                if (v->sriov && v->sriov->family && streq(v->sriov->family, name))
                        return v->sriov;
        return NULL;
}

const char *sriov_families(void) { return "intel-sriov amd-mxgpu"; }
