/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "util.h"

/* gpuhookctl talks to libvirt only through its client API (never virsh).
 * The hook itself never does: only the CLI links libvirt. Every helper
 * records a user-facing failure with log_fail() quoting libvirt's message. */

/* libvirt's last error message (or "unknown libvirt error"). */
const char *virt_last_error(void);

/* Connect to arg.uri (NULL: libvirt's default). */
int virt_open(bool read_only, virConnectPtr *ret);
/* A domain by name, else by UUID. */
int virt_lookup(virConnectPtr c, const char *name_or_uuid, virDomainPtr *ret);
/* The domain's XML: live when LIVE, else its persistent definition. */
int virt_domain_xml(virDomainPtr d, bool live, char **ret);
/* The text shown for the connection in messages: arg.uri or libvirt's default. */
const char *virt_uri_shown(void);

static inline void virConnectClosep(virConnectPtr *c) {
        if (*c)
                virConnectClose(*c);
}
static inline void virDomainFreep(virDomainPtr *d) {
        if (*d)
                virDomainFree(*d);
}
#define _cleanup_virconn_ _cleanup_(virConnectClosep)
#define _cleanup_virdomain_ _cleanup_(virDomainFreep)

/* The libvirt version a domain start goes through: the daemon's
 * (virConnectGetLibVersion) when it answers, else the installed library's;
 * 0 when neither is known. Read once per run; never records a failure. */
unsigned long virt_libvirt_version(void);
