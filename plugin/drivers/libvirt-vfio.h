/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether the installed libvirt starts a domain whose NVIDIA vendor-VFIO VF
 * stays on the nvidia driver as <hostdev type='pci' managed='no'>. */

/* libvirt's version number (major * 1000000 + minor * 1000 + micro). */
#define LIBVIRT_VERSION(maj, min, mic) ((maj) * 1000000UL + (min) * 1000UL + (mic))

/* src/util/virpci.c, virPCIDeviceGetCurrentDriverNameAndType() (called by
 * src/hypervisor/virhostdev.c, virHostdevPreparePCIDevicesImpl() for every
 * unmanaged PCI hostdev): a device whose driver is not vfio-pci, pci-stub
 * or xen-pciback by name is accepted when its sysfs directory has a
 * "vfio-dev" subdirectory (the driver registered a VFIO device: vfio-pci
 * variants, NVIDIA's vendor-specific VFIO). Without that code libvirt fails
 * with "Unmanaged PCI device %s must be manually detached from the host":
 * Debian 12's libvirt 9.0.0 does (tests/e2e/test-vgpu-vf-libvirt.c). The
 * code came with Laine Stump's VFIO variant driver series (devel@lists.
 * libvirt.org, October 2023, with <driver model='...'/>); libvirt's NEWS.rst
 * lists it first under v10.0.0 (2024-01-15), "qemu: automatic selection/
 * binding of VFIO variant drivers", and not under v9.10.0 (2023-12-01). So
 * below 10.0.0 it is refused and from 10.0.0 it is accepted. */
#define LIBVIRT_VENDOR_VFIO_MIN LIBVIRT_VERSION(10, 0, 0)

enum libvirt_vfio_support {
        LIBVIRT_VFIO_UNKNOWN,   /* version unknown: warn, do not block */
        LIBVIRT_VFIO_NO,        /* refuses the unmanaged VF */
        LIBVIRT_VFIO_YES,
};

/* The version of the libvirt library installed on this host, without
 * connecting to any daemon: 0 and *ret, or -ENOENT when unknown. */
int libvirt_installed_version(unsigned long *ret);
/* Pure: what a libvirt of VERSION (0: unknown) does with such a VF. */
enum libvirt_vfio_support libvirt_vendor_vfio_support(unsigned long version);
/* "9.0.0" */
void libvirt_version_text(unsigned long v, char *buf, size_t size);

/* Refuse (log_fail, -EOPNOTSUPP) before anything changes when a libvirt of
 * VERSION (0: unknown) cannot start the vendor-VFIO VF WHAT ("VF
 * 0000:c1:00.4"); warn (log_warning) and return 0 when it is unknown. */
int libvirt_vendor_vfio_check(unsigned long version, const char *what);
/* The reason as a clause for `check`/`types` ("" when supported). */
const char *libvirt_vendor_vfio_why(unsigned long version, char *buf, size_t size);
