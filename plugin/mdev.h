/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "placement.h"
#include "strset.h"

/* mdev parents, types and instances as sysfs shows them. */

/* Snapshot every parent in /sys/class/mdev_bus with its types and counters,
 * annotated by the driver that claims it. Names that fail validation are
 * skipped (logged): they can never be chosen. */
int mdev_host_view_load(struct host_view *ret);

/* UUIDs in /sys/bus/mdev/devices. */
int mdev_existing_load(struct strset *ret);
bool mdev_exists(const char *uuid);

/* device_api of the instance's type ("vfio-pci"), into buf. */
int mdev_device_api(const char *uuid, char *buf, size_t size);
/* Parent device name of an instance, into buf. */
int mdev_parent_of(const char *uuid, char *buf, size_t size);
/* The instance's type id (its mdev_type link), into buf. */
int mdev_type_of(const char *uuid, char *buf, size_t size);

/* What mdevctl does for a transient device, without mdevctl: write UUID to
 * the type's create (the mdev core's create_store(): the device exists when
 * the write returns), or 1 to the instance's remove, bounded (remove blocks
 * in the kernel while a user still holds the device). Negative errno. */
int mdev_sysfs_create(const char *parent, const char *type, const char *uuid);
int mdev_sysfs_remove(const char *uuid, unsigned timeout_ms);
/* Poll (bounded) until the instance exists with device_api MODEL / is gone. */
int mdev_wait_present(const char *uuid, const char *model, unsigned timeout_ms);
int mdev_wait_gone(const char *uuid, unsigned timeout_ms);
