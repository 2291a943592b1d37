/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "xmlsafe.h"

static char parse_error[256];
static bool doctype_seen;

static void on_structured_error(void *user, xmlErrorPtr err) {
        if (*parse_error || !err)
                return;
        snprintf(parse_error, sizeof(parse_error), "line %d: %s", err->line, err->message ? err->message : "error");
        strstrip_end(parse_error);
        for (char *p = parse_error; *p; p++)
                if (*p == '\n')
                        *p = ' ';
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys) {
        doctype_seen = true;
        xmlStopParser((xmlParserCtxtPtr)ctx);
}

int xml_parse_hostile(const char *buf, size_t len, xmlDocPtr *ret, const char **ret_error) {
        xmlParserCtxtPtr ctxt;
        xmlDocPtr doc = NULL;
        int ok;

        *parse_error = 0;
        doctype_seen = false;
        if (len == 0) {
                *ret_error = "the input is empty";
                return -EINVAL;
        }
        /* libxml2 stops at a NUL and ignores the rest: nothing may hide there. */
        if (memchr(buf, 0, len)) {
                *ret_error = "the input contains a NUL byte";
                return -EINVAL;
        }
        if (len > (size_t)INT32_MAX) {
                *ret_error = "input too large";
                return -EFBIG;
        }
        xmlSetStructuredErrorFunc(NULL, on_structured_error);
        xmlSetGenericErrorFunc(NULL, NULL);
        ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
        if (!ctxt) {
                *ret_error = "out of memory";
                return -ENOMEM;
        }
        ctxt->sax->internalSubset = on_internal_subset;
        ctxt->sax->externalSubset = NULL;
        ctxt->sax->resolveEntity = NULL;
        xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING);
        ctxt->loadsubset = 0;
        ctxt->replaceEntities = 0;
        (void)xmlParseDocument(ctxt);
        ok = ctxt->wellFormed && !doctype_seen;
        doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
        xmlFreeParserCtxt(ctxt);
        xmlSetStructuredErrorFunc(NULL, NULL);

        if (!ok || !doc || !xmlDocGetRootElement(doc)) {
                if (doc)
                        xmlFreeDoc(doc);
                if (doctype_seen)
                        *ret_error = "a DOCTYPE is not allowed (no DTDs, no entities)";
                else
                        *ret_error = *parse_error ? parse_error : "not well-formed XML";
                return -EINVAL;
        }
        *ret = doc;
        return 0;
}

char *xml_prop(xmlNodePtr n, const char *name) {
        return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

bool xml_name_is(xmlNodePtr n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && streq((const char *)n->name, name);
}

bool xml_ns_is(xmlNodePtr n, const char *href) {
        return n && n->ns && n->ns->href && streq((const char *)n->ns->href, href);
}

xmlNodePtr xml_child(xmlNodePtr n, const char *name) {
        for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
                if (xml_name_is(c, name) && !c->ns)
                        return c;
        return NULL;
}
