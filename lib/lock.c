/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>

#include "lock.h"
#include <sys/stat.h>

#include "log.h"
#include "trust.h"
#include "util.h"

static volatile sig_atomic_t lock_timer_fired;

static void on_lock_timer(int sig) { lock_timer_fired = 1; }

/* Block in flock() so the lock passes to a waiter the moment it is
 * released (polling left it idle for up to a sleep); a one-shot timer
 * without SA_RESTART interrupts the wait at the deadline. */
static int flock_with_deadline(int fd, unsigned timeout_ms) {
        struct sigaction sa = { .sa_handler = on_lock_timer }, old_sa;
        struct itimerval timer = { .it_value = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 } },
                         old_timer;
        int r = 0;

        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                return 0;
        if (errno != EWOULDBLOCK)
                return -errno;
        lock_timer_fired = 0;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, &old_sa) < 0)
                return -errno;
        if (timeout_ms == 0 || setitimer(ITIMER_REAL, &timer, &old_timer) < 0)
                r = -ETIMEDOUT;
        while (r == 0 && flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR)
                        r = -errno;
                else if (lock_timer_fired)
                        r = -ETIMEDOUT;
        }
        if (timeout_ms) {
                struct itimerval off = { 0 };
                setitimer(ITIMER_REAL, &off, NULL);
        }
        sigaction(SIGALRM, &old_sa, NULL);
        return r;
}

int host_lock_acquire(const char *state_dir, unsigned timeout_ms) {
        _cleanup_free_ char *path = strdup_printf("%s/lock", state_dir);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!path)
                return -ENOMEM;
        r = mkdir_p(state_dir, 0700);
        if (r < 0)
                return log_fail(r, "cannot create state directory %s: %s; check permissions or set state_dir in gpuhook.conf",
                                state_dir, strerror(-r));
        /* Everything decided under this lock comes from this directory. */
        if ((r = trust_dir_chain(state_dir)) < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_fail(-errno, "cannot open lock %s: %m; check permissions", path);
        if ((r = trust_fd(fd, path, "lock file")) < 0)
                return r;
        r = flock_with_deadline(fd, timeout_ms);
        if (r == -ETIMEDOUT) {
                char holder[32] = "";
                _cleanup_free_ char *pid = NULL;
                if (read_text_file(path, 32, &pid) >= 0 && *pid)
                        snprintf(holder, sizeof(holder), " (held by pid %s)", pid);
                char waited[32];
                if (timeout_ms % 1000)
                        snprintf(waited, sizeof(waited), "%ums", timeout_ms);
                else
                        snprintf(waited, sizeof(waited), "%us", timeout_ms / 1000);
                return log_fail(-ETIMEDOUT, "timed out after %s waiting for the gpuhook host lock %s%s; another VM start or release is stuck: check `gpuhookctl status`, or raise lock_timeout in gpuhook.conf",
                                waited, path, holder);
        }
        if (r < 0)
                return log_fail(r, "cannot lock %s: %s", path, strerror(-r));
        /* A lock on a file that is no longer at PATH (replaced while we
         * waited) excludes nobody: the next process locks the new one. */
        struct stat held, now;
        if (fstat(fd, &held) < 0 || lstat(path, &now) < 0 || held.st_dev != now.st_dev || held.st_ino != now.st_ino)
                return log_fail(-ESTALE, "the gpuhook host lock %s was replaced while this process waited for it; something else is managing %s: check it, then start the VM again",
                                path, state_dir);
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
