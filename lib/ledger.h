/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util.h"
#include "validate.h"

/* The ownership ledger: per domain, exactly what gpuhook did to the host, so
 * that release undoes only that. Written ahead of every effect (an entry is
 * "pending" before the sysfs write and "done" after it), atomically (temp
 * file, fsync, rename), so a prepare killed at any point leaves a ledger the
 * next release or reconcile can act on.
 *
 * File: STATE_DIR/domains/<domain-uuid>.xml (the name comes from a validated
 * UUID, never from the domain name), 0600 in a 0700 directory; a ledger
 * someone else could have written (lib/trust.h) is refused, never obeyed.
 * Which domain owns a resource is the host-wide owner record's to say
 * (lib/owners.h); the ledger says what was done and how to undo it. */

enum ledger_kind {
        LEDGER_MDEV, /* an mdev gpuhook created or started */
        LEDGER_PCI,  /* a PCI function gpuhook moved to vfio-pci */
        LEDGER_CONSOLE, /* a vtconsole or firmware framebuffer gpuhook unbound */
        LEDGER_VGPU,    /* an NVIDIA VF whose current_vgpu_type gpuhook set */
        LEDGER_SRIOV,   /* a PF whose sriov_numvfs gpuhook raised */
        LEDGER_CCW,     /* an s390 I/O subchannel gpuhook moved to vfio_ccw */
        _LEDGER_KIND_MAX,
};

enum ledger_state {
        LEDGER_PENDING, /* intent recorded; the effect may or may not have happened */
        LEDGER_DONE,
};

struct ledger_entry {
        enum ledger_kind kind;
        enum ledger_state state;
        char id[MDEV_NAME_MAX + 1];     /* mdev UUID, PCI address, console name */
        char parent[MDEV_NAME_MAX + 1]; /* mdev: parent device */
        char type[MDEV_NAME_MAX + 1];   /* mdev: type id; console: "vtcon"/"framebuffer"; vgpu: type id;
                                         * sriov: the numvfs to go back to */
        bool defined;                   /* mdev: started from an mdevctl definition (stop, never undefine) */
        char driver[MDEV_NAME_MAX + 1]; /* pci, ccw: original driver, "" = none; console: framebuffer driver */
        char override[MDEV_NAME_MAX + 1]; /* pci, ccw: original driver_override, "" = none */
        char left[MDEV_NAME_MAX + 1];   /* what gpuhook left it as, checked before any undo:
                                         * pci, ccw: the driver_override it set; sriov: the VF count it set */
        uint64_t since;                 /* wall clock seconds */
};

struct ledger {
        char domain_uuid[UUID_STRING_LEN + 1];
        char *domain_name;
        char *path;
        struct ledger_entry *entries;
        size_t n, cap;
};

const char *ledger_kind_to_string(enum ledger_kind k);
/* A css bus id as /sys/bus/css/devices names subchannels: "0.0.0313"
 * (cssid.ssid.schno in lowercase hex, drivers/s390/cio/css.c
 * css_sch_device_register(): "%x.%x.%04x"). */
bool ledger_css_id_valid(const char *s);

/* Load the domain's ledger, or an empty one if none exists. A ledger that
 * cannot be parsed is an error naming the file (never silently dropped). */
int ledger_open(const char *state_dir, const char *domain_uuid, const char *domain_name, struct ledger **ret);
/* Persist: atomic replace, or remove the file once no entry is left. */
int ledger_commit(struct ledger *l);
struct ledger *ledger_free(struct ledger *l);
static inline void ledger_freep(struct ledger **l) { ledger_free(*l); }
#define _cleanup_ledger_ _cleanup_(ledger_freep)

struct ledger_entry *ledger_find(struct ledger *l, enum ledger_kind kind, const char *id);
/* Append a copy of E; returns its index or a negative errno. */
int ledger_append(struct ledger *l, const struct ledger_entry *e);
void ledger_drop(struct ledger *l, size_t idx);

/* Open another domain's ledger to read it: a broken one is skipped (-EBADMSG
 * and the like) without becoming the current domain's recorded failure. */
int ledger_open_other(const char *state_dir, const char *domain_uuid, struct ledger **ret);

/* Remove temp files a killed ledger write left behind. Only under the host
 * lock: every ledger write holds it, so no temp file is in use then. */
void ledger_remove_stale_temps(const char *state_dir);

/* Domain UUIDs that have a ledger in STATE_DIR. */
int ledger_list_domains(const char *state_dir, char ***ret_uuids, size_t *ret_n);
void strv_free(char **v, size_t n);

/* Which other domain's ledger holds (KIND, ID)? Fills ret_domain_name
 * (malloc'd) and returns 1, 0 if none. */
int ledger_find_owner(const char *state_dir, const char *except_domain, enum ledger_kind kind, const char *id,
                      char **ret_domain_name);
