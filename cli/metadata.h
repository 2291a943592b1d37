/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

/* gpuhook's element in a domain's <metadata> (<gpuhook:devices>), read and
 * written through virDomainGetMetadata/virDomainSetMetadata. libvirt hands
 * it out without its namespace and puts the namespace back on every element
 * when it is set, so the text handled here is plain "<devices>...". */

/* The element for one scope (VIR_DOMAIN_AFFECT_LIVE or _CONFIG); *ret NULL
 * when the domain has none. */
int gh_metadata_get(virDomainPtr d, unsigned scope, char **ret);
/* Replace it (XML NULL: remove it). */
int gh_metadata_set(virDomainPtr d, unsigned scope, const char *xml);

/* OLD (may be NULL) without the children <ELEM ATTR='VALUE'> (ELEM NULL:
 * none removed), plus the children of ADD (a rendered <gpuhook:devices>,
 * may be NULL). *ret is NULL when no child is left. */
int gh_metadata_edit(const char *old, const char *elem, const char *attr, const char *value, const char *add, char **ret);
