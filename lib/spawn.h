/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Run ARGV[0] (an absolute path) with a bounded time, capturing stdout and
 * stderr (each up to 64 KiB). stdin is /dev/null. The child gets the
 * caller's environment. Returns the exit status (>= 0), or a negative errno
 * when it could not run or -ETIMEDOUT (then it was killed). */
int spawn_run(char *const argv[], unsigned timeout_ms, char **ret_stdout, char **ret_stderr);
/* The same with INPUT (INPUT_LEN bytes) written to the child's stdin.
 * Sets SIGPIPE to ignored for the process. */
int spawn_run_input(char *const argv[], const char *input, size_t input_len, unsigned timeout_ms, char **ret_stdout,
                    char **ret_stderr);

/* Find PROG on $PATH, then in /usr/sbin, /usr/bin, /sbin, /bin. NULL if absent. */
char *find_program(const char *prog);

/* The first non-empty line of TEXT with a leading "Error: " dropped, for
 * quoting a tool's failure in one line. Static storage. */
const char *first_line(const char *text);
