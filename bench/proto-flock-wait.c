/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PROTOTYPE, benchmark only (LD_PRELOAD): what 32 concurrent prepares cost
 * when waiting for the host lock blocks in the kernel instead of polling.
 *
 * lib/lock.c takes the host lock with flock(LOCK_EX | LOCK_NB) in a loop
 * that sleeps 1, 2, 4, ... 50 ms between tries, so a waiter notices a
 * released lock only when its sleep ends: up to 50 ms of idle lock per
 * hand-off, and no FIFO order. This interposer turns exactly those calls
 * (LOCK_EX | LOCK_NB on a file named "lock" in $GPUHOOK_STATE_DIR) into a
 * blocking flock(LOCK_EX), which the kernel wakes the moment the holder
 * closes. (The proposed fix keeps the timeout: blocking flock interrupted
 * by a one-shot timer, see BENCHMARKS.md.) bench/concurrent.sh runs its
 * "concurrent" variant once more with it, as a third column. Built with
 * -D_GNU_SOURCE (RTLD_NEXT). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int (*real_flock)(int, int);

static int is_host_lock(int fd) {
        const char *dir = getenv("GPUHOOK_STATE_DIR");
        char link[64], path[PATH_MAX], want[PATH_MAX];
        if (!dir || !*dir)
                return 0;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        if (n < 0)
                return 0;
        path[n] = 0;
        if (!realpath(dir, want))
                return 0;
        size_t l = strlen(want);
        return strncmp(path, want, l) == 0 && strcmp(path + l, "/lock") == 0;
}

int flock(int fd, int op) {
        if (!real_flock)
                real_flock = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
        if (op == (LOCK_EX | LOCK_NB) && is_host_lock(fd))
                op = LOCK_EX;
        return real_flock(fd, op);
}
