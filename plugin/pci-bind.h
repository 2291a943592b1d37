/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Moving PCI functions between drivers the way the kernel wants it:
 * driver_override, unbind, drivers_probe, then poll the driver link.
 * Writes that can block in the kernel (unbind waits for the driver's
 * remove) run in a child process with a deadline, so no step hangs the hook. */

/* Bound driver's name into buf ("" when unbound). */
int pci_driver_get(const char *bdf, char *buf, size_t size);
/* driver_override into buf ("" when "(null)"). */
/* Whether BDF's driver registered it as a VFIO device: the kernel makes a
 * vfio-dev/vfioN child for every vfio_device (drivers/vfio/vfio_main.c,
 * vfio_init_device(), since Linux 6.1), whatever the driver is called:
 * vfio-pci, its variants (mlx5_vfio_pci, nvgrace_gpu_vfio_pci, ...) or
 * NVIDIA's vendor-specific VFIO on a vGPU VF. libvirt >= 10.0 takes such a
 * device for managed='no' as it is (src/util/virpci.c,
 * virPCIDeviceGetCurrentDriverNameAndType()). */
bool pci_is_vfio_device(const char *bdf);
int pci_override_get(const char *bdf, char *buf, size_t size);

/* write(2) TEXT to PATH in a child, waiting at most TIMEOUT_MS:
 * 0, -errno from the kernel, or -ETIMEDOUT. */
int sysfs_write_bounded(const char *path, const char *text, unsigned timeout_ms);

/* Load vfio-pci if /sys/bus/pci/drivers/vfio-pci is missing (modprobe). */
int pci_vfio_ensure_loaded(unsigned timeout_ms);

/* Move BDF to vfio-pci. Records nothing; the caller's ledger does. */
int pci_bind_vfio(const char *bdf, unsigned timeout_ms);
/* Give BDF back to DRIVER ("" = leave it unbound) with OVERRIDE restored
 * ("" = cleared). If the original driver does not take it back, the device
 * is put back on vfio-pci (never left unbound) and -EIO is returned. */
int pci_restore(const char *bdf, const char *driver, const char *override, unsigned timeout_ms);
