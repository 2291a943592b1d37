/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "nodeset.h"
#include "util.h"

static int parse_node(const char **p, unsigned *ret) {
        unsigned v = 0;
        if (!isdigit((unsigned char)**p))
                return -EINVAL;
        while (isdigit((unsigned char)**p)) {
                v = v * 10 + (unsigned)(**p - '0');
                if (v >= NODESET_MAX)
                        return -ERANGE;
                (*p)++;
        }
        *ret = v;
        return 0;
}

static void set_range(struct nodeset *n, unsigned a, unsigned b, bool on) {
        for (unsigned i = a; i <= b; i++) {
                if (on)
                        n->bits[i / 64] |= 1ULL << (i % 64);
                else
                        n->bits[i / 64] &= ~(1ULL << (i % 64));
        }
}

int nodeset_parse(const char *s, struct nodeset *ret) {
        struct nodeset n = { .any = true };
        const char *p = s;

        if (isempty(s))
                return -EINVAL;
        for (;;) {
                bool neg = false;
                unsigned a, b;
                while (*p == ' ')
                        p++;
                if (*p == '^') {
                        neg = true;
                        p++;
                }
                if (parse_node(&p, &a) < 0)
                        return -EINVAL;
                b = a;
                if (*p == '-') {
                        p++;
                        if (parse_node(&p, &b) < 0 || b < a)
                                return -EINVAL;
                }
                set_range(&n, a, b, !neg);
                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                if (*p++ != ',')
                        return -EINVAL;
        }
        *ret = n;
        return 0;
}

bool nodeset_contains(const struct nodeset *n, int node) {
        if (!n->any || node < 0 || node >= NODESET_MAX)
                return false;
        return n->bits[node / 64] & (1ULL << (node % 64));
}
