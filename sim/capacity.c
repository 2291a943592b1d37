/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "capacity.h"

static uint64_t gcd64(uint64_t a, uint64_t b) {
        while (b) {
                uint64_t t = a % b;
                a = b;
                b = t;
        }
        return a;
}

unsigned sim_capacity_available(const unsigned *caps, const unsigned *counts, size_t n, size_t idx,
                                bool one_type, bool shared) {
        if (idx >= n || caps[idx] == 0)
                return 0;
        uint64_t pool = 1;
        for (size_t i = 0; i < n; i++) {
                if (one_type && i != idx && counts[i] > 0)
                        return 0;
                if (caps[i] > 0 && shared) {
                        pool = pool / gcd64(pool, caps[i]) * caps[i];
                        if (pool > (UINT64_C(1) << 40))
                                shared = false; /* unreasonable: count per type */
                }
        }
        if (!shared)
                return counts[idx] >= caps[idx] ? 0 : caps[idx] - counts[idx];
        uint64_t used = 0;
        for (size_t i = 0; i < n; i++)
                if (caps[i] > 0)
                        used += (uint64_t)counts[i] * (pool / caps[i]);
        return used >= pool ? 0 : (unsigned)((pool - used) / (pool / caps[idx]));
}
