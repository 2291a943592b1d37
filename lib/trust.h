/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* gpuhook acts as root on what its state directory says. So it trusts a
 * directory or file there only if nobody but root (or the user gpuhook runs
 * as, for tests and session daemons) could have written it: owned by root or
 * that user, writable by no group and no one else. A world-writable parent
 * is accepted only with the sticky bit and root as owner (/tmp): there, only
 * an entry's owner can rename or remove it, so the root-owned child cannot be
 * swapped. The rule is OpenSSH's safe_path() (auth.c) plus that exception. */

/* Every directory from / down to DIR, after resolving symlinks. On failure,
 * one line naming the path and the fix is recorded (log_fail). */
int trust_dir_chain(const char *dir);
/* One directory (already known to sit in a trusted chain). */
int trust_dir(const char *dir);
/* An open state file: a regular file, one link, owned by root or us, not
 * writable by group or others. WHAT names it in the message ("ledger"). */
int trust_fd(int fd, const char *path, const char *what);
