/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* An open-addressing set of short strings (UUIDs, PCI addresses), so that
 * duplicate and existence checks over 10 000 hostdevs stay linear. */
struct strset_slot {
        char *key;
        size_t value;
};

struct strset {
        struct strset_slot *slots;
        size_t cap, n;
};

int strset_add(struct strset *s, const char *key); /* 1 added, 0 present, <0 error */
/* Like strset_add, remembering VALUE with a newly added key. */
int strset_put(struct strset *s, const char *key, size_t value);
bool strset_contains(const struct strset *s, const char *key);
/* The value stored with KEY; false when absent. */
bool strset_get(const struct strset *s, const char *key, size_t *ret);
void strset_free(struct strset *s);
