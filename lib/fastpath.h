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
