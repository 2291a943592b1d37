/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The driver core on the testbed (drivers/base/bus.c, dd.c; PCI matching from
 * drivers/pci/pci-driver.c; VFIO groups): which driver matches a device, what
 * probing and releasing do to sysfs, /dev/vfio/N per IOMMU group. Devices are
 * named by bus ("pci", "platform") and name ("0000:01:00.0"); DEV is the
 * device's testbed-relative sysfs path. Callers hold the testbed lock. All
 * functions return 0 or a negative errno unless documented otherwise. */
#pragma once

#include <stdbool.h>

#include "state.h"
#include "testbed.h"

#define SIM_VFIO_PCI "vfio-pci"
#define SIM_PCI_ANY_ID 0xffffffffu
/* The sim's own control file (see sim/README.md): not a kernel file. */
#define SIM_CONTROL_FILE "/sys/.gpuhook-sim-control"

/* CLOCK_REALTIME in microseconds: busy deadlines are shared by processes. */
unsigned long long sim_now_usec(void);

/* Buses whose driver binding is modelled. */
bool sim_bus_modelled(const char *bus);

/* bus_find_device_by_name(): NAME compared like sysfs_streq() (one trailing
 * newline ignored). Sets *ret_path to the device's sysfs path and *ret_name
 * to its name; -ENODEV if there is no such device. */
int sim_bus_find_device(const struct testbed *tb, const char *bus, const char *name, char **ret_path,
                        char **ret_name);
/* A hex attribute of DEV ("0x10de", "26b9"). */
int sim_pci_read_hex(const struct testbed *tb, const char *dev, const char *attr, unsigned *ret);
/* pci_match_one_device(): whether dynamic id ID matches a device with IDS =
 * vendor, device, subsystem vendor, subsystem device, class. */
bool sim_dynid_matches(const struct sim_dynid *id, const unsigned ids[5]);
/* The bound driver's name, "" when unbound. */
int sim_dev_driver(const struct testbed *tb, const char *dev, char **ret);
/* driver_override, NULL when unset. */
int sim_dev_override(const struct testbed *tb, const char *dev, char **ret);
bool sim_driver_loaded(const struct testbed *tb, const char *bus, const char *drv);
/* The device's removal by its driver is still blocked (unbind-hangs). */
const struct sim_busy *sim_dev_busy(const struct sim_state *st, const char *name);

/* driver_match_device(): true if DRV would probe the device. */
bool sim_driver_match(const struct testbed *tb, const struct sim_state *st, const char *bus, const char *drv,
                      const char *name, const char *dev);
/* __driver_probe_device() after a match: -EBUSY if bound; else the probe.
 * 0 bound (links, uevent, /dev/vfio/N), or the probe's -errno, device left
 * unbound. What the probe registers goes to ST (vfio_ccw: the subchannel's
 * mdev parent): the caller saves ST after it, as after everything below
 * that probes. */
int sim_driver_probe(const struct testbed *tb, struct sim_state *st, const char *bus, const char *drv,
                     const char *name, const char *dev);
/* device_attach() of an unbound device: the drivers that match, in order
 * (native, then dynamic ids), until one probes. Probe errors are ignored, as
 * the kernel does. */
int sim_device_attach(const struct testbed *tb, struct sim_state *st, const char *bus, const char *name,
                      const char *dev);
/* driver_attach(): every unbound, not busy device on BUS that DRV matches. */
int sim_driver_attach(const struct testbed *tb, struct sim_state *st, const char *bus, const char *drv);

/* __device_release_driver(), first part (driver_sysfs_remove): the driver
 * links go. */
int sim_driver_unlink(const struct testbed *tb, const struct sim_state *st, const char *bus, const char *drv,
                      const char *name, const char *dev);
/* ... second part, once the driver's remove() returned: dev->driver is NULL
 * (uevent loses DRIVER=), the VFIO group goes with its last vfio-pci member. */
int sim_driver_unbound(const struct testbed *tb, const struct sim_state *st, const char *dev);

/* Register driver DRV on BUS: /sys/bus/<bus>/drivers/<drv>/ with bind,
 * unbind (and new_id, remove_id on PCI). No attach. */
int sim_driver_register(const struct testbed *tb, const char *bus, const char *drv);
/* modprobe MODULE: vfio-pci (or vfio_pci) registers the driver, its
 * /sys/module entries, and attaches it (devices whose driver_override is
 * vfio-pci bind). Loading a loaded module is a no-op. -ENOENT for modules
 * the sim does not know. */
int sim_module_load(const struct testbed *tb, struct sim_state *st, const char *module);

/* /dev/vfio/N for the group of DEV: present iff a member is bound to vfio-pci
 * or is still being removed from it. No-op for devices without a group. */
int sim_vfio_sync_group(const struct testbed *tb, const struct sim_state *st, const char *dev);

/* Finish removals whose hang is over (see sim_driver_unbound). Returns 1 if
 * ST changed (the caller saves it), 0 if not, or a negative errno. */
int sim_busy_settle(const struct testbed *tb, struct sim_state *st);
