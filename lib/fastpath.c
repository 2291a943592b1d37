/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "conf.h"
#include "fastpath.h"
#include "util.h"

bool domain_xml_may_concern_us(const char *xml, size_t len) {
        return memmem(xml, len, "<hostdev", 8) || memmem(xml, len, GPUHOOK_XML_NS, strlen(GPUHOOK_XML_NS));
}

static const char *skip_blanks(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                p++;
        return p;
}

static bool starts(const char *p, const char *end, const char *lit) {
        size_t n = strlen(lit);
        return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Only libvirt's own layout is trusted: "<domain" with plain attributes,
 * then <name> with text only (no markup: no comment, CDATA or element
 * could hide a <uuid> in it), then <uuid>. Anything else: the parser. */
bool domain_xml_uuid_scan(const char *xml, size_t len, char ret[UUID_STRING_LEN + 1]) {
        const char *p = xml, *end = xml + len;
        char tmp[UUID_STRING_LEN + 1];

        p = skip_blanks(p, end);
        if (!starts(p, end, "<domain") || p + 7 >= end || (p[7] != ' ' && p[7] != '>'))
                return false;
        for (p += 7; p < end && *p != '>'; p++)
                if (*p == '<' || *p == '!' || *p == '?')
                        return false;
        if (p >= end)
                return false;
        p = skip_blanks(p + 1, end);
        if (!starts(p, end, "<name>"))
                return false;
        for (p += 6; p < end && *p != '<'; p++)
                ;
        if (!starts(p, end, "</name>"))
                return false;
        p = skip_blanks(p + 7, end);
        if (!starts(p, end, "<uuid>") || (size_t)(end - p) < 6 + UUID_STRING_LEN + 7)
                return false;
        memcpy(tmp, p + 6, UUID_STRING_LEN);
        tmp[UUID_STRING_LEN] = 0;
        return memcmp(p + 6 + UUID_STRING_LEN, "</uuid>", 7) == 0 && uuid_normalize(tmp, ret) == 0;
}

char *hook_switch_path(void) {
        const char *conf = config_default_path();
        const char *slash = strrchr(conf, '/');
        if (!slash) /* a bare test override: the current directory */
                return strdup(HOOK_SWITCH_FILE);
        return strdup_printf("%.*s/%s", (int)(slash - conf), conf, HOOK_SWITCH_FILE);
}

bool hook_switched_off(const char *path, bool *ret_untrusted) {
        struct stat st;

        if (ret_untrusted)
                *ret_untrusted = false;
        if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        /* The configuration directory is root's: the same rule as for the
         * state files (lib/trust.c). */
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                if (ret_untrusted)
                        *ret_untrusted = true;
                return false;
        }
        return true;
}
