/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capacity arithmetic shared by the mdev model (mdev.c) and the NVIDIA
 * vGPU card model (vgpu.c): pure functions, no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* How many more instances of type IDX fit, given each type's capacity of the
 * empty device (CAPS) and the instances that exist (COUNTS), N types:
 *   ONE_TYPE  while an instance of another type exists, 0 (time-sliced GPUs
 *             host one type at a time);
 *   SHARED    one pool of size L = lcm(caps); a type with capacity c costs L/c
 *             (framebuffer, graphics memory, ports); else each type counts
 *             on its own (caps[idx] - counts[idx]).
 * A capacity of 0 means "never". An unreasonable lcm (> 2^40) falls back to
 * per-type counting. */
unsigned sim_capacity_available(const unsigned *caps, const unsigned *counts, size_t n, size_t idx,
                                bool one_type, bool shared);
