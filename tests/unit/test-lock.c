/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cunit-main.h"
#include "lock.h"

/* What a forked child saw when it tried to take the lock. */
struct attempt {
        int r;
        char failure[1024];
};

/* In a child process (its own open file description, like a second hook),
 * try to take the lock with TIMEOUT_MS and report back. */
static int try_in_child(const char *dir, unsigned timeout_ms, struct attempt *ret) {
        int p[2], status = 0;

        *ret = (struct attempt){ .r = 1 };
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct attempt a = { 0 };
                close(p[0]);
                log_failure_clear();
                a.r = host_lock_acquire(dir, timeout_ms);
                snprintf(a.failure, sizeof(a.failure), "%s", log_failure() ? log_failure() : "");
                if (a.r >= 0)
                        host_lock_release(a.r);
                _exit(write(p[1], &a, sizeof(a)) == sizeof(a) ? 0 : 1);
        }
        close(p[1]);
        ssize_t k = read(p[0], ret, sizeof(*ret));
        close(p[0]);
        waitpid(pid, &status, 0);
        return k == sizeof(*ret) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void test_contended_lock_times_out(void) {
        _cleanup_free_ char *tmp = unit_mkdtemp(), *dir = NULL, *lockpath = NULL, *holder = NULL, *pid = NULL;
        struct attempt a;

        CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
        dir = strdup_printf("%s/state/nested", tmp); /* created on demand */
        lockpath = strdup_printf("%s/lock", dir);
        int fd = host_lock_acquire(dir, 1000);
        CU_ASSERT_FATAL(fd >= 0);
        ASSERT_NO_FAILURE();

        /* The lock file names its holder. */
        CU_ASSERT_EQUAL(read_text_file(lockpath, 64, &holder), 0);
        pid = strdup_printf("%ld", (long)getpid());
        ASSERT_STR_EQ(holder, pid);

        CU_ASSERT_EQUAL_FATAL(try_in_child(dir, 1000, &a), 0);
        CU_ASSERT_EQUAL(a.r, -ETIMEDOUT);
        ASSERT_STR_HAS(a.failure, "timed out after 1s waiting for the gpuhook host lock");
        ASSERT_STR_HAS(a.failure, lockpath);
        _cleanup_free_ char *held = strdup_printf("(held by pid %ld)", (long)getpid());
        ASSERT_STR_HAS(a.failure, held);
        ASSERT_STR_HAS(a.failure, "lock_timeout");

        /* Released: the next one gets it at once. */
        host_lock_release(fd);
        CU_ASSERT_EQUAL_FATAL(try_in_child(dir, 1000, &a), 0);
        unit_check(a.r >= 0, __LINE__, __FILE__, "lock not acquired after release: %d %s", a.r, a.failure);
        ASSERT_STR_EQ(a.failure, "");
        unit_rm_rf(tmp);
}

static void test_reacquire_in_same_process(void) {
        _cleanup_free_ char *tmp = unit_mkdtemp();
        CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);

        int fd = host_lock_acquire(tmp, 1000);
        CU_ASSERT_FATAL(fd >= 0);
        host_lock_release(fd);
        fd = host_lock_acquire(tmp, 1000);
        CU_ASSERT(fd >= 0);
        host_lock_release(fd);
        host_lock_release(-1); /* no-op */
        unit_rm_rf(tmp);
}

static void test_state_dir_not_creatable(void) {
        _cleanup_free_ char *tmp = unit_mkdtemp(), *dir = NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);

        CU_ASSERT_EQUAL_FATAL(unit_write(tmp, "file", "x"), 0);
        dir = strdup_printf("%s/file/state", tmp);
        CU_ASSERT_TRUE(host_lock_acquire(dir, 100) < 0);
        ASSERT_FAILURE_HAS("cannot create state directory");
        ASSERT_FAILURE_HAS(dir);
        unit_rm_rf(tmp);
}

/* The lock is replaced while a second process waits for it: that process
 * holds a lock on a file no one else will lock, so it must not go on. */
static void test_replaced_lock_refused(void) {
        _cleanup_free_ char *dir = unit_mkdtemp(), *lockpath = NULL, *other = NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        lockpath = strdup_printf("%s/lock", dir);
        other = strdup_printf("%s/lock.new", dir);
        int fd = host_lock_acquire(dir, 1000);
        CU_ASSERT_FATAL(fd >= 0);
        int p[2];
        CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
                struct attempt a = { 0 };
                close(p[0]);
                close(fd); /* the parent's lock, shared through fork */
                a.r = host_lock_acquire(dir, 5000);
                snprintf(a.failure, sizeof(a.failure), "%s", log_failure() ? log_failure() : "");
                _exit(write(p[1], &a, sizeof(a)) == sizeof(a) ? 0 : 1);
        }
        close(p[1]);
        sleep_usec(300000); /* the child is waiting in flock() */
        CU_ASSERT_EQUAL(unit_write(dir, "lock.new", ""), 0);
        CU_ASSERT_EQUAL(chmod(other, 0600), 0);
        CU_ASSERT_EQUAL(rename(other, lockpath), 0);
        host_lock_release(fd);
        struct attempt a = { .r = 1 };
        CU_ASSERT_EQUAL(read(p[0], &a, sizeof(a)), (ssize_t)sizeof(a));
        close(p[0]);
        waitpid(pid, NULL, 0);
        CU_ASSERT_EQUAL(a.r, -ESTALE);
        ASSERT_STR_HAS(a.failure, "was replaced while this process waited for it");
        unit_rm_rf(dir);
}

/* A world-writable state directory, or a lock file others can write, is
 * refused before it is used. */
static void test_untrusted_lock_refused(void) {
        _cleanup_free_ char *dir = unit_mkdtemp(), *lockpath = NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        lockpath = strdup_printf("%s/lock", dir);
        CU_ASSERT_EQUAL(chmod(dir, 0777), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(host_lock_acquire(dir, 1000), -EPERM);
        ASSERT_FAILURE_HAS("is writable by everyone (mode 0777)");
        CU_ASSERT_EQUAL(chmod(dir, 0700), 0);
        CU_ASSERT_EQUAL(unit_write(dir, "lock", ""), 0);
        CU_ASSERT_EQUAL(chmod(lockpath, 0666), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(host_lock_acquire(dir, 1000), -EPERM);
        ASSERT_FAILURE_HAS("lock file");
        unit_rm_rf(dir);
}

/* clang-format off */
UNIT_MAIN("lock",
          UNIT_TEST(test_replaced_lock_refused),
          UNIT_TEST(test_untrusted_lock_refused),
          UNIT_TEST(test_contended_lock_times_out),
          UNIT_TEST(test_reacquire_in_same_process),
          UNIT_TEST(test_state_dir_not_creatable))
/* clang-format on */
