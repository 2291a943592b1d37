/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The host's boot console: before the GPU that drives it is detached, the
 * framebuffer consoles and the firmware framebuffer let go of it; after
 * release they take it back. */

struct console_binding {
        char kind[16];   /* "vtcon" or "framebuffer" */
        char name[64];   /* "vtcon1", "efi-framebuffer.0" */
        char driver[64]; /* framebuffer: its platform driver */
};

/* What currently holds the console: bound framebuffer vtconsoles, then a
 * bound efi-framebuffer.0 / simple-framebuffer.0. */
int console_bindings_load(struct console_binding **ret, size_t *ret_n);
/* Single-GPU passthrough (stop_display_manager): the display manager as a
 * binding of kind "service" when display-manager.service is active, first
 * in the order of release (it holds the DRM device the consoles sit on).
 * 1 and *ret filled when it is active, 0 when not (or no systemctl). */
int console_display_manager(struct console_binding *ret);
int console_release(const struct console_binding *b, unsigned timeout_ms);
int console_restore(const struct console_binding *b, unsigned timeout_ms);
