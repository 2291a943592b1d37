/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host-wide lock: one flock on STATE_DIR/lock serializes placement,
 * creation and the ledgers across every concurrent hook and gpuhookctl. */

/* Wait at most TIMEOUT_MS. -ETIMEDOUT is recorded as a user-facing failure
 * naming the lock and the holder's pid when known. Returns the fd. */
int host_lock_acquire(const char *state_dir, unsigned timeout_ms);
void host_lock_release(int fd);
