/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "pci.h"
#include "util.h"

/* NVIDIA's vendor-specific VFIO (vGPU 17+, kernel >= 6.8; Ada, Hopper and
 * newer): no mdev bus. A VF stays on the nvidia driver; writing a type id to
 * its nvidia/current_vgpu_type creates the vGPU, writing 0 destroys it. */

/* Does BDF have the interface? */
bool nvidia_vgpu_supported(const char *bdf);
/* nvidia/creatable_vgpu_types and nvidia/current_vgpu_type; -ENOENT when
 * the device has no such interface. */
int nvidia_vgpu_creatable_types(const char *bdf, struct vgpu_type **ret, size_t *ret_n);
int nvidia_vgpu_current_type(const char *bdf, unsigned *ret);
/* TYPE (an id or a name from the VF's creatable_vgpu_types) to an id that can
 * be created now; otherwise -ENOSPC/-ENOENT with what can be created in why. */
int nvidia_vgpu_resolve(const char *bdf, const char *type, unsigned *ret_id, struct strbuf *why);
int nvidia_vgpu_set(const char *bdf, unsigned id, unsigned timeout_ms);
/* Write 0, retrying once a second while the driver says busy (peers: 10x). */
int nvidia_vgpu_clear(const char *bdf, unsigned timeout_ms);
/* Refuse VF BDF (when it has the vendor-VFIO interface; otherwise prepare
 * refuses it for that) before anything changes when the installed libvirt cannot
 * start it as an unmanaged hostdev on the nvidia driver (libvirt-vfio.h);
 * warn and go on when its version is unknown. */
int nvidia_vgpu_libvirt_gate(const char *bdf);
/* Does the nvidia host driver offer vGPU on GPU D (a PF) at all: mdev types,
 * SR-IOV, or VFs with the vendor-VFIO interface? false for consumer GPUs. */
bool nvidia_gpu_offers_vgpu(const struct pci_list *l, const struct pci_device *d);
