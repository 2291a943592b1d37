/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* Processes that hold a PCI device's nodes open (/dev/dri/card*, renderD*,
 * and /dev/nvidia<N> for the nvidia driver). Unbinding a driver in use
 * hangs until they let go, so gpuhook refuses and names them instead.
 * Appends "1234 (Xorg), 5678 (nvidia-smi)" to OUT; returns how many. */
int device_holders(const char *bdf, const char *driver, struct strbuf *out);
/* The same for the VFIO group node of mdev UUID (/dev/vfio/N): who still
 * has the vGPU open (QEMU, nvidia-vgpu-mgr). */
int mdev_holders(const char *uuid, struct strbuf *out);

/* The same for VFIO group GROUP ("31": /dev/vfio/31): whose QEMU has the
 * group open. */
int vfio_group_holders(const char *group, struct strbuf *out);

/* Whether a process named COMM (/proc/PID/comm) is running. */
bool process_running(const char *comm);
