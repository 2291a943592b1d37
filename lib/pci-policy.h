/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strset.h"
#include "util.h"
#include "validate.h"

/* Deciding what happens to every member of the IOMMU groups of a domain's
 * PCI hostdevs. Pure: the caller snapshots the group members. */

/* Companion classes gpuhook may take without being asked (bit set). */
enum companion_class {
        COMPANION_DISPLAY = 1 << 0,    /* 0x03xxxx */
        COMPANION_AUDIO = 1 << 1,      /* 0x0401xx, 0x0403xx */
        COMPANION_USB = 1 << 2,        /* 0x0c03xx */
        COMPANION_SERIAL_BUS = 1 << 3, /* 0x0c80xx: NVIDIA's UCSI */
        COMPANION_DEFAULT = COMPANION_DISPLAY | COMPANION_AUDIO | COMPANION_USB | COMPANION_SERIAL_BUS,
};
/* "display audio usb serial-bus" (space or comma separated) or "none". */
int companion_classes_parse(const char *s, unsigned *ret);
bool companion_class_matches(unsigned classes, unsigned pci_class);

struct group_member {
        char bdf[PCI_ADDR_LEN + 1];
        unsigned pci_class;
        char driver[MDEV_NAME_MAX + 1]; /* "" unbound */
        bool boot_vga;
        int group;
        /* An SR-IOV PF with VFs enabled (sriov_numvfs), and who has them
         * ("0000:c1:00.4 (domain 'vm2'), 0000:c1:00.5 (free)"), filled by
         * sriov_member_facts(). */
        unsigned sriov_numvfs;
        char vfs[320];
};

enum member_fate {
        FATE_LIBVIRT,   /* listed with managed='yes': libvirt detaches and reattaches it */
        FATE_TAKE,      /* gpuhook moves it to vfio-pci and gives it back at release */
        FATE_LEAVE,     /* already harmless: bridge, unbound, vfio-pci, pci-stub */
};

struct member_decision {
        const struct group_member *member;
        enum member_fate fate;
        const char *why; /* "listed", "companion", "allowed" (FATE_TAKE) */
};

struct pci_policy {
        unsigned companion_classes;
        const struct strset *allowed;  /* BDFs the admin or domain allowed to be taken */
        bool allow_boot_console;
};

struct pci_listed {
        char bdf[PCI_ADDR_LEN + 1];
        bool managed;
};

/* Decide for every member. A PF with VFs enabled that would go to vfio-pci
 * (gpuhook's or libvirt's) is refused with -EBUSY, as the kernel would. */
/* Decide for every member (MEMBERS, N of them, of all groups involved).
 * RET gets one decision per member, in order. Refusals are recorded with
 * log_fail naming the device, its class and group, and how to allow it. */
int pci_policy_decide(const struct pci_policy *policy, const struct pci_listed *listed, size_t n_listed,
                      const struct group_member *members, size_t n, struct member_decision **ret);

bool pci_class_is_bridge(unsigned pci_class);
bool pci_driver_is_harmless(const char *driver);
