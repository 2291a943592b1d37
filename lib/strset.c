/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strset.h"
#include "util.h"

static size_t hash_str(const char *s) {
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static struct strset_slot *slot_for(struct strset_slot *slots, size_t cap, const char *key) {
        size_t i = hash_str(key) & (cap - 1);
        while (slots[i].key && !streq(slots[i].key, key))
                i = (i + 1) & (cap - 1);
        return &slots[i];
}

static int grow(struct strset *s) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        struct strset_slot *n = calloc(ncap, sizeof(*n));
        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
                if (s->slots[i].key)
                        *slot_for(n, ncap, s->slots[i].key) = s->slots[i];
        free(s->slots);
        s->slots = n;
        s->cap = ncap;
        return 0;
}

int strset_put(struct strset *s, const char *key, size_t value) {
        if ((s->n + 1) * 2 > s->cap) {
                int r = grow(s);
                if (r < 0)
                        return r;
        }
        struct strset_slot *slot = slot_for(s->slots, s->cap, key);
        if (slot->key)
                return 0;
        slot->key = strdup(key);
        if (!slot->key)
                return -ENOMEM;
        slot->value = value;
        s->n++;
        return 1;
}

int strset_add(struct strset *s, const char *key) { return strset_put(s, key, 0); }

bool strset_get(const struct strset *s, const char *key, size_t *ret) {
        if (!s->cap)
                return false;
        const struct strset_slot *slot = slot_for(s->slots, s->cap, key);
        if (!slot->key)
                return false;
        if (ret)
                *ret = slot->value;
        return true;
}

bool strset_contains(const struct strset *s, const char *key) { return strset_get(s, key, NULL); }

void strset_free(struct strset *s) {
        for (size_t i = 0; i < s->cap; i++)
                free(s->slots[i].key);
        free(s->slots);
        *s = (struct strset){ 0 };
}
