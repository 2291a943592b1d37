/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/file.h>

#include "lock.h"
#include "log.h"
#include "util.h"

int host_lock_acquire(const char *state_dir, unsigned timeout_ms) {
        _cleanup_free_ char *path = strdup_printf("%s/lock", state_dir);
        _cleanup_close_ int fd = -EBADF;
        uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000, delay = 1000;
        int r;

        if (!path)
                return -ENOMEM;
        r = mkdir_p(state_dir, 0755);
        if (r < 0)
                return log_fail(r, "cannot create state directory %s: %s; check permissions or set state_dir in gpuhook.conf",
                                state_dir, strerror(-r));
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_fail(-errno, "cannot open lock %s: %m; check permissions", path);
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return log_fail(-errno, "cannot lock %s: %m", path);
                if (now_usec() >= deadline) {
                        char holder[32] = "";
                        _cleanup_free_ char *pid = NULL;
                        if (read_text_file(path, 32, &pid) >= 0 && *pid)
                                snprintf(holder, sizeof(holder), " (held by pid %s)", pid);
                        return log_fail(-ETIMEDOUT, "timed out after %us waiting for the gpuhook host lock %s%s; another VM start or release is stuck: check `gpuhookctl status`, or raise lock_timeout in gpuhook.conf",
                                        timeout_ms / 1000, path, holder);
                }
                sleep_usec(delay);
                if (delay < 50000)
                        delay *= 2;
        }
        /* Record the holder for the timeout message of whoever waits next. */
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) == 0)
                (void)!pwrite(fd, pid, (size_t)n, 0);
        return TAKE_FD(fd);
}

void host_lock_release(int fd) {
        if (fd >= 0) {
                (void)!ftruncate(fd, 0);
                close(fd);
        }
}
