/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define NODESET_MAX 1024

/* A NUMA nodeset as libvirt writes it in <numatune><memory nodeset='0-3,^2'/>. */
struct nodeset {
        uint64_t bits[NODESET_MAX / 64];
        bool any; /* false: no preference */
};

int nodeset_parse(const char *s, struct nodeset *ret);
bool nodeset_contains(const struct nodeset *n, int node);
