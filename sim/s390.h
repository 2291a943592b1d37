/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IBM Z in the simulated host: the AP (crypto) bus masks and the vfio_ap
 * matrix mdevs (Linux 6.1 drivers/s390/crypto/ap_bus.c, vfio_ap_ops.c).
 * The state is the files themselves: /sys/bus/ap/{apmask,aqmask} in the
 * kernel's format, each matrix mdev's `matrix` and `control_domains`; the
 * injected errno of assign_* writes is the matrix parent's params-errno in
 * .sim/state. See README.md, "IBM Z". */
#pragma once

#include <stdbool.h>

#include "hostfile.h"
#include "state.h"
#include "testbed.h"

#define SIM_AP_IDS 256 /* AP_DEVICES, AP_DOMAINS */
#define SIM_AP_BUS "/sys/bus/ap"
#define SIM_AP_MATRIX "/sys/devices/vfio_ap/matrix"

struct sim_ap_matrix {
        bool apm[SIM_AP_IDS], aqm[SIM_AP_IDS], adm[SIM_AP_IDS];
};

/* ap_parse_mask_str(): "+N[-M],-N..." edits MAP, anything else is an
 * absolute hex mask (hex2bitmap(), leftmost bit 0). -EINVAL when bad. */
int sim_ap_mask_edit(bool map[SIM_AP_IDS], const char *text);
/* apmask_show(): "0x" and 64 hex digits. BUF holds 67 bytes. */
void sim_ap_mask_format(const bool map[SIM_AP_IDS], char buf[67]);
int sim_ap_mask_load(const struct testbed *tb, const char *name, bool map[SIM_AP_IDS]);
int sim_ap_mask_save(const struct testbed *tb, const char *name, const bool map[SIM_AP_IDS]);

/* The matrix of the mdev in DIR (a testbed path) from its files. */
int sim_ap_matrix_load(const struct testbed *tb, const char *dir, struct sim_ap_matrix *ret);
int sim_ap_matrix_save(const struct testbed *tb, const char *dir, const struct sim_ap_matrix *m);

/* Effects of creating a vfio_ap mdev in DIR: its matrix files. */
int sim_s390_ap_mdev_created(const struct testbed *tb, const char *dir);

/* A css subchannel DEV bound to / released from vfio_ccw: its mdev parent,
 * registered in ST (the caller's, which it saves). */
int sim_s390_ccw_bound(const struct testbed *tb, struct sim_state *st, const char *dev);
int sim_s390_ccw_unbound(const struct testbed *tb, const struct sim_state *st, const char *dev);

/* Completion (gpuhook-sim): the host-wide settings ap-apmask, ap-aqmask,
 * ap-max-adapter, ap-max-domain, ap-assign-errno, parsed with complete.c's
 * other host settings; then, with a vfio_ap matrix device or an ap bus, the
 * bus files. */
struct sim_ap_settings {
        bool apm[SIM_AP_IDS], aqm[SIM_AP_IDS];
        unsigned max_adapter, max_domain;
        bool seen; /* any ap-* setting: an error without an AP bus */
};
bool sim_s390_key(const char *key);
void sim_ap_settings_init(struct sim_ap_settings *a);
/* One setting KEY=VALUE; -EINVAL if bad. ap-assign-errno sets params-errno
 * of ST's matrix parent (SIM_AP_MATRIX), if the host has one. */
int sim_s390_set(struct sim_ap_settings *a, struct sim_state *st, const char *key, const char *value);
int sim_s390_complete(const struct testbed *tb, const struct sim_ap_settings *a, char **ret_msg);
