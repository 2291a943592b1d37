/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel-behaviour handlers of the LD_PRELOAD shim: one per sysfs attribute
 * file name. A handler sees every write(2) to a file of its name under the
 * testbed's /sys, with the testbed lock held, and returns
 *   0           the write succeeded and was consumed (the bytes are not stored),
 *   -ERRNO      write(2) fails with ERRNO, as the kernel's store would,
 *   SHIM_PASS   not this handler's file: the next handler of that name, or a
 *               plain write to the file (the value is stored and reads back).
 * Handlers return -EIO on internal failure; they must never crash the host. */
#pragma once

#include <stddef.h>

#include "state.h"
#include "testbed.h"

#define SHIM_PASS 1

struct shim_write {
        const struct testbed *tb;
        const char *path; /* testbed-relative: "/sys/devices/.../create" */
        const char *buf;
        size_t len;
        int *lock; /* the held testbed lock (see shim_wait_unlocked) */
};

typedef int (*shim_handler_fn)(const struct shim_write *w);

/* Block like a task in the kernel until DEADLINE (sim_now_usec() clock)
 * without the testbed lock, so that other processes go on; logs the write as
 * BLOCKED first. The lock is held again on return; -EIO if it cannot be
 * retaken. Handlers reload their state afterwards. */
int shim_wait_unlocked(const struct shim_write *w, unsigned long long deadline);

/* The bytes written as a string in BUF (SIZE bytes), one trailing newline
 * dropped; -EINVAL if that leaves nothing or does not fit. */
int shim_write_string(const struct shim_write *w, char *buf, size_t size);
/* kstrtoul(buf, 0, &val) on the bytes written: optional '+', base prefix
 * (0x, 0), one trailing newline; -EINVAL if not a number, -ERANGE above MAX. */
int shim_parse_kstrtoul(const struct shim_write *w, unsigned long max, unsigned long *ret);

/* Load .sim/state and finish removals whose hang is over (saving the state
 * if that changed it). */
int shim_state_load(const struct testbed *tb, struct sim_state **ret);

/* shim-mdev.c */
int shim_mdev_create(const struct shim_write *w);
int shim_mdev_remove(const struct shim_write *w);

/* shim-driver.c: driver core of the pci and platform buses */
int shim_driver_override(const struct shim_write *w);
int shim_driver_bind(const struct shim_write *w);
int shim_driver_unbind(const struct shim_write *w);
int shim_drivers_probe(const struct shim_write *w);

/* shim-pci.c: PCI dynamic ids */
int shim_pci_new_id(const struct shim_write *w);
int shim_pci_remove_id(const struct shim_write *w);

/* shim-console.c: virtual terminal consoles */
int shim_vtcon_bind(const struct shim_write *w);

/* shim-control.c: the sim's control file (modprobe stand-in) */
int shim_control(const struct shim_write *w);

/* shim-sriov.c: SR-IOV PFs */
int shim_sriov_numvfs(const struct shim_write *w);
int shim_sriov_drivers_autoprobe(const struct shim_write *w);

/* shim-nvidia.c: NVIDIA vGPU (vendor-specific VFIO) and vgpu_params */
int shim_nvidia_current_vgpu_type(const struct shim_write *w);
int shim_nvidia_vgpu_params(const struct shim_write *w);

/* shim-s390.c: IBM Z vfio_ap matrix mdevs and the AP bus masks */
int shim_s390_assign_adapter(const struct shim_write *w);
int shim_s390_assign_domain(const struct shim_write *w);
int shim_s390_assign_control_domain(const struct shim_write *w);
int shim_s390_unassign_adapter(const struct shim_write *w);
int shim_s390_unassign_domain(const struct shim_write *w);
int shim_s390_unassign_control_domain(const struct shim_write *w);
int shim_s390_apmask(const struct shim_write *w);
int shim_s390_aqmask(const struct shim_write *w);
