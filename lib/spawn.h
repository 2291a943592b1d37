/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Run ARGV[0] (an absolute path, else -EINVAL) with a bounded time
 * (TIMEOUT_MS > 0, else -EINVAL), capturing stdout and stderr (each up to
 * 64 KiB). stdin is /dev/null. The child gets a fixed environment
 * (PATH=/usr/sbin:/usr/bin:/sbin:/bin, LC_ALL=C), never the caller's; a test
 * build also passes what gpuhook-sim needs (LD_PRELOAD, UMOCKDEV_*, PATH,
 * GPUHOOK_*, sanitizer options). Returns the exit status (>= 0), or a
 * negative errno when it could not run, or -ETIMEDOUT: it did not exit in
 * time (it was killed; one stuck in the kernel is not waited for beyond 2s). */
int spawn_run(char *const argv[], unsigned timeout_ms, char **ret_stdout, char **ret_stderr);
/* The same with INPUT (INPUT_LEN bytes) written to the child's stdin.
 * Sets SIGPIPE to ignored for the process. */
int spawn_run_input(char *const argv[], const char *input, size_t input_len, unsigned timeout_ms, char **ret_stdout,
                    char **ret_stderr);

/* The absolute path fixed at build time (meson -Dmdevctl_path=... etc.) of a
 * helper gpuhook runs: "mdevctl", "modprobe", "update-initramfs", "dracut",
 * "chroot", "systemctl"; NULL for any other name. Never PATH. */
const char *helper_path(const char *prog);
/* helper_path(PROG), malloc'd, when it is an executable file; NULL otherwise.
 * A test build looks in $PATH first, for any name (gpuhook-sim's stand-ins,
 * the tests' own tools); the default build never searches PATH. */
char *find_program(const char *prog);

/* The first non-empty line of TEXT with a leading "Error: " dropped, for
 * quoting a tool's failure in one line. Static storage. */
const char *first_line(const char *text);
