/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fastpath.h"
#include "util.h"

bool domain_xml_may_concern_us(const char *xml, size_t len) {
        return memmem(xml, len, "<hostdev", 8) || memmem(xml, len, GPUHOOK_XML_NS, strlen(GPUHOOK_XML_NS));
}

bool domain_xml_uuid_scan(const char *xml, size_t len, char ret[UUID_STRING_LEN + 1]) {
        const char *p = memmem(xml, len, "<uuid>", 6);
        char tmp[UUID_STRING_LEN + 1];

        if (!p || (size_t)(p - xml) + 6 + UUID_STRING_LEN + 7 > len)
                return false;
        memcpy(tmp, p + 6, UUID_STRING_LEN);
        tmp[UUID_STRING_LEN] = 0;
        return memcmp(p + 6 + UUID_STRING_LEN, "</uuid>", 7) == 0 && uuid_normalize(tmp, ret) == 0;
}
