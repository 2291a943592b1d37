/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "util.h"
#include "validate.h"

static bool is_hex(char c) { return isxdigit((unsigned char)c); }

bool uuid_valid(const char *s) {
        if (!s || strlen(s) != UUID_STRING_LEN)
                return false;
        for (size_t i = 0; i < UUID_STRING_LEN; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !is_hex(s[i]))
                        return false;
        }
        return true;
}

int uuid_normalize(const char *s, char ret[UUID_STRING_LEN + 1]) {
        if (!uuid_valid(s))
                return -EINVAL;
        for (size_t i = 0; i < UUID_STRING_LEN; i++)
                ret[i] = (char)tolower((unsigned char)s[i]);
        ret[UUID_STRING_LEN] = 0;
        return 0;
}

static int parse_hex_field(const char *s, size_t n, unsigned max, unsigned *ret) {
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (!is_hex(s[i]))
                        return -EINVAL;
                v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *ret) {
        struct pci_addr a = { 0 };
        size_t n;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == PCI_ADDR_LEN) {
                if (s[4] != ':' || parse_hex_field(s, 4, 0xffff, &a.domain) < 0)
                        return -EINVAL;
                s += 5;
        } else if (n != PCI_ADDR_LEN - 5)
                return -EINVAL;
        if (s[2] != ':' || s[5] != '.' || s[7] != 0)
                return -EINVAL;
        if (parse_hex_field(s, 2, 0xff, &a.bus) < 0 || parse_hex_field(s + 3, 2, 0x1f, &a.slot) < 0 ||
            parse_hex_field(s + 6, 1, 7, &a.function) < 0)
                return -EINVAL;
        *ret = a;
        return 0;
}

void pci_addr_format(const struct pci_addr *a, char buf[PCI_ADDR_LEN + 1]) {
        snprintf(buf, PCI_ADDR_LEN + 1, "%04x:%02x:%02x.%x", a->domain & 0xffff, a->bus & 0xff, a->slot & 0x1f,
                 a->function & 7);
}

bool pci_addr_valid(const char *s) {
        struct pci_addr a;
        char canon[PCI_ADDR_LEN + 1];

        if (pci_addr_parse(s, &a) < 0)
                return false;
        pci_addr_format(&a, canon);
        return streq(canon, s);
}

static bool name_chars_ok(const char *s, size_t max, const char *extra) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > max)
                return false;
        /* Never ".", ".." or anything starting with a dot: no traversal, no hidden files. */
        if (s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (isalnum(c) || c == '_' || c == '-')
                        continue;
                if (c && strchr(extra, c))
                        continue;
                return false;
        }
        return true;
}

bool mdev_parent_name_valid(const char *s) { return name_chars_ok(s, MDEV_NAME_MAX, ":."); }

bool mdev_type_id_valid(const char *s) { return name_chars_ok(s, MDEV_NAME_MAX, "."); }

bool driver_name_valid(const char *s) { return name_chars_ok(s, MDEV_NAME_MAX, ""); }

bool mdev_type_name_valid(const char *s) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > 128)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isprint((unsigned char)s[i]))
                        return false;
        return true;
}

const char *sanitize_for_message(const char *s, char *buf, size_t size) {
        size_t i = 0;

        if (size == 0)
                return "";
        if (!s)
                s = "(null)";
        for (; s[i] && i + 1 < size; i++)
                buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
        buf[i] = 0;
        if (s[i] && size > 4)
                memcpy(buf + size - 4, "...", 4);
        return buf;
}
