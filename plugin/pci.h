/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "validate.h"

/* Read-only PCI inventory: what `gpuhookctl list/check/types` and the attach
 * pre-flight need to know about the host's PCI functions. Devices are
 * enumerated with libudev (subsystem "pci"); every attribute gpuhook reads
 * itself goes through the sysfs.h path helpers. Nothing here writes to sysfs:
 * binding (driver_override/unbind/drivers_probe) lives elsewhere. */

#define PCI_BASE_CLASS_DISPLAY 0x03
#define PCI_CLASS_BRIDGE_HOST 0x0600
#define PCI_CLASS_BRIDGE_PCI 0x0604
#define PCI_CLASS_AUDIO_HDA 0x0403

struct pci_device {
        char bdf[PCI_ADDR_LEN + 1]; /* canonical "0000:41:00.0" */
        struct pci_addr addr;
        unsigned vendor, device;
        unsigned subsystem_vendor, subsystem_device;
        unsigned class;                        /* 24 bits, e.g. 0x030200 */
        char driver[MDEV_NAME_MAX + 1];        /* bound driver, "" if none */
        char driver_override[MDEV_NAME_MAX + 1]; /* "" when unset ("(null)") */
        int iommu_group;                       /* -1: not in a group (no IOMMU) */
        int numa_node;                         /* -1: unknown / single node */
        int boot_vga;                          /* -1: no such attribute, else 0/1 */
        char physfn[PCI_ADDR_LEN + 1];         /* the PF if this is an SR-IOV VF, else "" */
        unsigned sriov_totalvfs, sriov_numvfs; /* 0 when not SR-IOV capable */
        bool mdev_parent;                      /* has mdev_supported_types */
        char *vendor_name, *model_name;        /* udev hwdb names, may be NULL */
        char *modalias;                        /* may be NULL */
};

struct pci_list {
        struct pci_device *devs; /* sorted by address */
        size_t n;
};

/* Enumerate every PCI function. Devices whose name is not a canonical PCI
 * address are skipped. Returns 0 or a negative errno. */
int pci_list_load(struct pci_list *ret);
void pci_list_free(struct pci_list *l);
const struct pci_device *pci_list_find(const struct pci_list *l, const char *bdf);

static inline unsigned pci_base_class(const struct pci_device *d) { return d->class >> 16; }
static inline unsigned pci_sub_class(const struct pci_device *d) { return d->class >> 8; }
static inline bool pci_is_display(const struct pci_device *d) {
        return pci_base_class(d) == PCI_BASE_CLASS_DISPLAY;
}
/* Same physical slot (domain, bus, device): the functions of one card. */
bool pci_same_slot(const struct pci_device *a, const struct pci_device *b);
/* A human name for the class ("3D controller", "Audio device"). */
const char *pci_class_name(unsigned class);

/* Kernel modules whose aliases match MODALIAS, from
 * /lib/modules/$(uname -r)/modules.alias and modules.builtin.alias (read once
 * per process). A NULL-terminated, deduplicated list; empty when the module
 * index is missing. */
int pci_modules_for_modalias(const char *modalias, char ***ret);
/* Is MODULE known to this kernel (loadable or built in)? 1 yes, 0 no,
 * -ENOENT when the kernel has no module index at all. */
int kernel_module_available(const char *module);
/* Is MODULE loaded (or built in with a /sys/module entry)? */
bool kernel_module_loaded(const char *module);

/* A vGPU type a vendor's vGPU-on-VF interface offers (vendor.h, vgpu_vf_ops). */
struct vgpu_type {
        unsigned id;
        char name[128];
};

void strv_free_null(char **v);
