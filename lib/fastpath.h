/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "validate.h"

/* Decisions on the raw domain XML text, for the hook's libc-only front end:
 * libvirt runs the hook for every lifecycle event of every VM, and loading
 * libxml2 (with ICU) would cost several times the rest. These only ever say
 * "nothing to do"; anything else goes to the full parser. */

#define GPUHOOK_XML_NS "urn:gpuhook:domain:1"

/* false: no <hostdev and no gpuhook metadata, so prepare has nothing to do. */
bool domain_xml_may_concern_us(const char *xml, size_t len);

/* The domain's UUID, read only from libvirt's own layout: <domain ...>, a
 * <name> holding plain text, then <uuid>. false for anything else (ask the
 * parser): a comment, CDATA or element before it could hide another UUID. */
bool domain_xml_uuid_scan(const char *xml, size_t len, char ret[UUID_STRING_LEN + 1]);

/* The host-wide switch (`gpuhookctl disable`, and nodes where a cloud
 * manages the devices itself): a marker file in gpuhook's configuration
 * directory, next to gpuhook.conf, so a test build's $GPUHOOK_CONFIG moves it
 * too. While it is there, prepare does nothing; release still gives back
 * what a ledger records. The file holds who switched gpuhook off, when and
 * why (for status and check); only its presence counts here. */
#define HOOK_SWITCH_FILE "disabled"

/* DIR-of-gpuhook.conf/disabled, malloc'd (NULL: out of memory). */
char *hook_switch_path(void);
/* One stat: true when PATH is a regular file owned by root (or by the user
 * we run as: tests, session daemons). A marker someone else could have put
 * there does not switch gpuhook off: *ret_untrusted is set instead. */
bool hook_switched_off(const char *path, bool *ret_untrusted);
