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

#include "testbed.h"

#define SHIM_PASS 1

struct shim_write {
        const struct testbed *tb;
        const char *path; /* testbed-relative: "/sys/devices/.../create" */
        const char *buf;
        size_t len;
};

typedef int (*shim_handler_fn)(const struct shim_write *w);

/* shim-mdev.c */
int shim_mdev_create(const struct shim_write *w);
int shim_mdev_remove(const struct shim_write *w);
