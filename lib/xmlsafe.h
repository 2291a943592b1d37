/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>

#include "util.h"

/* libxml2 configured for hostile input: no network, no DTD loading, no
 * entity substitution, and any DOCTYPE refused before its internal subset
 * is read (so no entity is ever declared, let alone expanded). libxml2's
 * own depth limit (256) and no XML_PARSE_HUGE bound nesting and text size. */

/* Parse BUF. On failure returns -EINVAL with a one-line reason in
 * ret_error (static storage). */
int xml_parse_hostile(const char *buf, size_t len, xmlDocPtr *ret, const char **ret_error);

static inline void xmlFreeDocp(xmlDocPtr *d) {
        if (*d)
                xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ _cleanup_(xmlFreeDocp)

static inline void xmlFreep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}
#define _cleanup_xmlchar_ _cleanup_(xmlFreep)

/* Attribute NAME of N without namespace, or NULL. Caller frees with xmlFree. */
char *xml_prop(xmlNodePtr n, const char *name);
bool xml_name_is(xmlNodePtr n, const char *name);
bool xml_ns_is(xmlNodePtr n, const char *href);
/* First element child named NAME (no namespace) */
xmlNodePtr xml_child(xmlNodePtr n, const char *name);
