/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "validate.h"

/* What `attach` and `detach` share: the device being plugged, the scope
 * (running domain and/or persistent definition), finding a <hostdev> in a
 * domain's XML, and editing gpuhook's metadata request. */

enum dev_kind { DEV_MDEV, DEV_PCI, DEV_VF };

struct device {
        enum dev_kind kind;
        char id[UUID_STRING_LEN + 1]; /* mdev UUID or canonical BDF */
        struct pci_addr addr;
        char *hostdev; /* rendered <hostdev> */
        bool attached[2]; /* live, config */
};

struct scope {
        bool live, config;
};

/* "live", "persistent" or "live and persistent". */
const char *scope_text(const struct scope *s);
unsigned scope_flags(bool live);
/* --live/--config, or the current state (live if running, else config);
 * refuses a live change to a stopped domain and a config change to a
 * transient one. */
int resolve_scope(virDomainPtr d, struct scope *ret);
/* 1 (and the element's XML in *ret_xml if non-NULL) when DEV is among the
 * <hostdev>s of DOMXML, else 0. */
int find_hostdev(const char *domxml, const struct device *dev, char **ret_xml);
int fetch_xml(virDomainPtr d, bool live, char **ret);
/* In one scope: drop gpuhook's request for ID (<mdev uuid=ID> for an mdev,
 * <vgpu address=ID> and <vf address=ID> for a PCI function) and add the children of
 * ADD (a rendered <gpuhook:devices>, may be NULL). The previous text in
 * *ret_old (if non-NULL); *ret_changed says whether anything was written. */
int edit_metadata(virDomainPtr d, bool live, enum dev_kind kind, const char *id, const char *add, char **ret_old,
                  bool *ret_changed);
