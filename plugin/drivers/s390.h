/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

/* IBM Z crypto (AP) bus and vfio_ap, read-only helpers the driver and
 * `gpuhookctl check` share. Sources: Documentation/arch/s390/vfio-ap.rst,
 * drivers/s390/crypto/ap_bus.c, drivers/s390/crypto/vfio_ap_ops.c. */

#define S390_AP_BUS "/sys/bus/ap"
#define S390_AP_MATRIX "/sys/devices/vfio_ap/matrix"
#define S390_CSS_DEVICES "/sys/bus/css/devices"

/* /sys/bus/ap/apmask or aqmask (ap_bus.c apmask_show(): "0x" and 64 hex
 * digits, bit 0 the leftmost) into MAP (bit N = adapter/domain N). A set bit
 * keeps that adapter or domain for the host's zcrypt drivers; an APQN is the
 * host's only when its adapter bit AND its domain bit are set
 * (ap_apqn_in_matrix_owned_by_def_drv()). -ENOENT without an AP bus. */
int s390_ap_mask_read(const char *name, uint64_t map[AP_ID_COUNT / 64]);
/* Parse the text of such a mask; -EINVAL if it is not one. */
int s390_ap_mask_parse(const char *text, uint64_t map[AP_ID_COUNT / 64]);
/* The matrix of the vfio_ap mdev UUID (its `matrix` file, lines "05.0004",
 * "05." or ".0004", vfio_ap_mdev_matrix_show()) into RET's apm/aqm. */
int s390_ap_mdev_matrix_read(const char *uuid, struct ap_matrix *ret);
/* Parse such a `matrix` text. */
int s390_ap_matrix_parse(const char *text, struct ap_matrix *ret);
/* ap_max_adapter_id / ap_max_domain_id, or -errno. */
int s390_ap_max_id(const char *attr, unsigned *ret);
unsigned s390_ap_count(const uint64_t map[AP_ID_COUNT / 64]);
