/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>
#include <stdbool.h>

/* gpuhook's element in a domain's <metadata> (<gpuhook:devices>), read and
 * written through virDomainGetMetadata/virDomainSetMetadata. libvirt hands
 * it out without its namespace and puts the namespace back on every element
 * when it is set, so the text handled here is plain "<devices>...". */

/* The element for one scope (VIR_DOMAIN_AFFECT_LIVE or _CONFIG); *ret NULL
 * when the domain has none. */
int gh_metadata_get(virDomainPtr d, unsigned scope, char **ret);
/* Replace it (XML NULL: remove it). */
int gh_metadata_set(virDomainPtr d, unsigned scope, const char *xml);

/* OLD (may be NULL) without the children <ELEM ATTR='VALUE'> for each ELEM
 * of ELEMS (NULL-terminated; NULL: none removed), plus the children of ADD
 * (a rendered <gpuhook:devices>, may be NULL). *ret is NULL when no child
 * is left. */
int gh_metadata_edit(const char *old, const char *const *elems, const char *attr, const char *value, const char *add,
                     char **ret);

struct mdev_spec;
/* The vendor driver of every parent on this host that offers M's type (only
 * M's parent when one is given) vets M's --param list, with the same
 * check_params the hook runs at start (core/mdev.c), so a parameter the
 * vendor does not have is refused when it is stored, not when the VM starts.
 * *ret_checked is false when no parent here offers the type (nothing to
 * check against: the caller warns). 0, or a negative errno with one line
 * recorded (log_fail). */
int gh_params_check(const struct mdev_spec *m, bool *ret_checked);
/* gh_params_check(), warning on stderr when nothing here could vet them. */
int gh_params_check_or_warn(const struct mdev_spec *m);
