/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Strict validation of every piece of domain XML that could reach a path or
 * a sysfs write. Nothing from the XML becomes part of a path unless one of
 * these accepted it. */

#define UUID_STRING_LEN 36
#define PCI_ADDR_LEN 12 /* dddd:bb:ss.f */
#define MDEV_NAME_MAX 64

/* 8-4-4-4-12 hex. Writes the lowercase canonical form into ret (37 bytes). */
bool uuid_valid(const char *s);
int uuid_normalize(const char *s, char ret[UUID_STRING_LEN + 1]);

struct pci_addr {
        unsigned domain, bus, slot, function;
};
/* Accepts "dddd:bb:ss.f" (hex, any case) and "bb:ss.f"; rejects anything else. */
int pci_addr_parse(const char *s, struct pci_addr *ret);
/* Canonical "0000:41:00.0" into buf (at least 13 bytes). */
void pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_LEN + 1]);
bool pci_addr_valid(const char *s); /* canonical lowercase form only */

/* An mdev parent device name as it appears in /sys/class/mdev_bus: a PCI
 * address, "mtty", a css subchannel "0.0.0313", "matrix". */
bool mdev_parent_name_valid(const char *s);
/* A type id directory name ("nvidia-300", "i915-GVTg_V5_4", "vfio_ap-passthrough"). */
bool mdev_type_id_valid(const char *s);
/* A type's human name ("GRID V100-8C"): printable, bounded; only ever compared. */
bool mdev_type_name_valid(const char *s);
/* A kernel driver name ("vfio-pci", "snd_hda_intel"). */
bool driver_name_valid(const char *s);

/* Copy S into buf for use in a message: control characters become '?', and
 * long strings are cut with "...". Always NUL-terminates. */
const char *sanitize_for_message(const char *s, char *buf, size_t size);
