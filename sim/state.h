/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a recording cannot carry: original capacity per mdev type and the
 * vendor driver's behaviour; per bus device its native driver and injected
 * failures; the driver core's runtime state. Stored as text in
 * <testbed>/.sim/state:
 *   parent <name> <sysfs path> driver=<key> exhausted-errno=<E...> one-type-at-a-time=yes|no
 *          capacity=shared|per-type vendor-dir=<name>|none unregistering=yes|no mdev-driver=<drv>
 *          [card=<name>]
 *   type <parent name> <type id> <capacity> [card-capacity=<n>]
 *   device <name> <sysfs path> bus=<bus> native-driver=<drv>|none unbind-hangs=<s>
 *          rebind-fails=yes|no
 *   dynid <driver> <vendor> <device> <subvendor> <subdevice> <class> <class mask>   (hex)
 *   busy <device name> <driver> <until, usec since the epoch>
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "testbed.h"

enum sim_capacity {
        SIM_CAPACITY_SHARED,   /* one pool per parent; a type costs pool/capacity */
        SIM_CAPACITY_PER_TYPE, /* independent counter per type (mdev core) */
};

struct sim_mdev_type {
        char *id;          /* "nvidia-300" */
        unsigned capacity; /* available_instances of the empty parent */
        unsigned card_capacity; /* instances on the whole card (all parents with
                                 * the same card), 0 for no such limit */
};

struct sim_mdev_parent {
        char *name;   /* "0000:41:00.0", as in /sys/class/mdev_bus */
        char *path;   /* "/sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0" */
        char *driver; /* mdev vendor driver: type id prefix ("nvidia", "mtty") */
        int exhausted_errno;
        bool one_type;
        enum sim_capacity capacity;
        char *vendor_dir; /* per-mdev vendor subdir, NULL for none */
        char *mdev_driver; /* the mdev bus driver its mdevs bind to: vfio_mdev, or
                            * the parent driver's own (Linux 6.1: mtty) */
        bool unregistering;
        int params_errno; /* writes to an mdev's nvidia/vgpu_params fail with it; 0: off */
        char *card; /* the physical card for parents that are VFs (the PF's
                     * name): one-type-at-a-time spans the card; NULL: none */
        const struct sim_state *state; /* the owner, to find card siblings */
        struct sim_mdev_type *types;
        size_t n_types;
};

/* A device on a bus with drivers (pci, platform). */
struct sim_device {
        char *name;   /* "0000:01:00.0", "efi-framebuffer.0" */
        char *path;   /* "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0" */
        char *bus;    /* "pci", "platform" */
        char *native; /* the driver whose id table matches it (recorded driver), NULL for none */
        unsigned unbind_hangs; /* seconds an unbind (the driver's remove) blocks */
        bool rebind_fails;     /* the native driver's probe fails (-EIO) */
};

/* A PCI dynamic id (new_id); PCI_ANY_ID is 0xffffffff. */
struct sim_dynid {
        char *driver;
        unsigned vendor, device, subvendor, subdevice, class, class_mask;
};

/* A device whose driver's remove() is blocked until UNTIL: its driver links
 * are gone, the driver (and for vfio-pci its group) not yet. */
struct sim_busy {
        char *name;
        char *driver;
        unsigned long long until; /* CLOCK_REALTIME, usec */
};

struct sim_state {
        struct sim_mdev_parent *parents;
        size_t n_parents;
        struct sim_device *devices;
        size_t n_devices;
        struct sim_dynid *dynids;
        size_t n_dynids;
        struct sim_busy *busy;
        size_t n_busy;
};

int sim_state_load(const struct testbed *tb, struct sim_state **ret);
int sim_state_save(const struct testbed *tb, const struct sim_state *st);
struct sim_state *sim_state_free(struct sim_state *st);
static inline void sim_state_freep(struct sim_state **st) { sim_state_free(*st); }

/* By name ("0000:41:00.0") or sysfs path. */
struct sim_mdev_parent *sim_state_find_parent(const struct sim_state *st, const char *key);
const struct sim_mdev_type *sim_parent_find_type(const struct sim_mdev_parent *p, const char *id);

int sim_state_add_parent(struct sim_state *st, const char *name, const char *path,
                         const char *driver, struct sim_mdev_parent **ret);
int sim_parent_add_type(struct sim_mdev_parent *p, const char *id, unsigned capacity);
/* Forget the parent NAME (a VF that went away); -ENOENT if unknown. */
int sim_state_remove_parent(struct sim_state *st, const char *name);

/* Behaviour inferred from the vendor driver (see sim/README.md). */
void sim_parent_apply_defaults(struct sim_mdev_parent *p);
/* One "key=value" setting; -EINVAL for an unknown key or bad value. */
int sim_parent_set(struct sim_mdev_parent *p, const char *key, const char *value);
bool sim_parent_key(const char *key);

/* Bus devices: by name ("0000:01:00.0") or sysfs path; BUS NULL for any. */
struct sim_device *sim_state_find_device(const struct sim_state *st, const char *bus, const char *key);
int sim_state_add_device(struct sim_state *st, const char *name, const char *path, const char *bus,
                         const char *native, struct sim_device **ret);
int sim_device_set(struct sim_device *d, const char *key, const char *value);
bool sim_device_key(const char *key);

/* Forget a device that went away (a removed VF); -ENOENT if unknown. */
int sim_state_remove_device(struct sim_state *st, const char *bus, const char *name);

int sim_state_add_dynid(struct sim_state *st, const struct sim_dynid *id);
void sim_state_remove_dynid(struct sim_state *st, size_t i);

struct sim_busy *sim_state_find_busy(const struct sim_state *st, const char *name);
int sim_state_add_busy(struct sim_state *st, const char *name, const char *driver, unsigned long long until);
void sim_state_remove_busy(struct sim_state *st, size_t i);
