/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl reconcile decides under the host lock: the ledgers are listed
 * and read, libvirt is asked and the devices released while it holds
 * STATE_DIR/lock, the lock every prepare and release hook takes. Through
 * libvirt's test driver (test:///default: its domain "test" runs, any other
 * UUID is unknown, so not running) with a private state directory. */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cli-test.h"
#include "config.h"
#include "cunit-run.h"
#include "util.h"

#define LEDGER_FMT                                                                                            \
        "<?xml version=\"1.0\"?>\n<ledger version=\"1\" domain-uuid=\"%s\" domain-name=\"%s\">\n"             \
        "  <mdev uuid=\"%s\" parent=\"0000:41:00.0\" type=\"nvidia-300\" origin=\"created\" state=\"done\" " \
        "since=\"%s\"/>\n</ledger>\n"

#define TEST_DOMAIN_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f" /* runs in test:///default */
#define GONE1 "7e57c0de-0000-4000-8000-0000000000a1"
#define GONE2 "7e57c0de-0000-4000-8000-0000000000a2"
#define URI "test:///default"

static char *state;

static void setup_env(void) {
        /* Only a test build honours GPUHOOK_STATE_DIR: anywhere else this
         * would reconcile the machine's own /run/gpuhook. */
        if (!GPUHOOK_TEST_HOOKS) {
                fprintf(stderr, "SKIP: needs a test build (meson -Dtest_hooks=true)\n");
                exit(77);
        }
        state = tmpdir_new();
        CU_ASSERT_FATAL(chmod(state, 0700) == 0);
        _cleanup_free_ char *conf = strdup_printf("%s/gpuhook.conf", state);
        setenv("GPUHOOK_STATE_DIR", state, 1);
        setenv("GPUHOOK_CONFIG", conf, 1);
        setenv("NO_COLOR", "1", 1);
}

static void set_lock_timeout(unsigned s) {
        _cleanup_free_ char *text = strdup_printf("lock_timeout = %u\n", s);
        free(write_tmp(state, "gpuhook.conf", text));
}

static char *old_since(void) { return strdup_printf("%llu", (unsigned long long)time(NULL) - 3600); }

static void put_ledger(const char *domain_uuid, const char *name, const char *mdev) {
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state), *since = old_since(),
                            *text = strdup_printf(LEDGER_FMT, domain_uuid, name, mdev, since),
                            *file = strdup_printf("%s.xml", domain_uuid), *path = NULL;
        CU_ASSERT_FATAL(mkdir_p(dir, 0700) == 0);
        path = write_tmp(dir, file, text);
        CU_ASSERT(chmod(path, 0600) == 0);
}

static bool ledger_exists(const char *domain_uuid) {
        _cleanup_free_ char *p = strdup_printf("%s/domains/%s.xml", state, domain_uuid);
        return access(p, F_OK) == 0;
}

static void drop_ledger(const char *domain_uuid) {
        _cleanup_free_ char *p = strdup_printf("%s/domains/%s.xml", state, domain_uuid);
        unlink(p);
}

/* Hold the host lock as another hook would: this process, its own open
 * file description, the holder's pid recorded like host_lock_acquire(). */
static int hold_host_lock(void) {
        _cleanup_free_ char *path = strdup_printf("%s/lock", state);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        CU_ASSERT_FATAL(fd >= 0);
        CU_ASSERT_FATAL(flock(fd, LOCK_EX | LOCK_NB) == 0);
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        CU_ASSERT(ftruncate(fd, 0) == 0);
        CU_ASSERT(pwrite(fd, pid, (size_t)n, 0) == n);
        return fd;
}

static void drop_host_lock(int fd) {
        CU_ASSERT(ftruncate(fd, 0) == 0);
        close(fd);
}

static uint64_t elapsed_ms(uint64_t start_usec) { return (now_usec() - start_usec) / 1000; }

/* While another process holds the lock, reconcile waits for it (bounded by
 * lock_timeout), says so in one line and releases nothing: not even the
 * ledger of a domain libvirt has never heard of. --dry-run, --json too. */
static void test_reconcile_waits_for_the_lock_and_times_out(void) {
        struct run r = { 0 };
        put_ledger(GONE1, "vanished", "11111111-1111-4111-8111-111111111111");
        set_lock_timeout(1);
        int fd = hold_host_lock();

        const char *const modes[][3] = { { NULL }, { "--dry-run", NULL }, { "--json", NULL } };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                uint64_t t0 = now_usec();
                const char *argv[10] = { cli_binary(), "-c", URI, "reconcile", "--min-age", "0" };
                size_t n = 6;
                for (size_t k = 0; modes[i][k]; k++)
                        argv[n++] = modes[i][k];
                argv[n] = NULL;
                CU_ASSERT_EQUAL(run_argv(&r, NULL, argv, 1), 1);
                CU_ASSERT(elapsed_ms(t0) >= 900); /* it waited, it did not skip */
                CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "gpuhookctl: error: timed out after 1s waiting for the gpuhook host lock"));
                _cleanup_free_ char *holder = strdup_printf("(held by pid %ld)", (long)getpid());
                CU_ASSERT_PTR_NOT_NULL(strstr(r.err, holder));
                CU_ASSERT_EQUAL(count_lines(r.err, "error:"), 1);
                CU_ASSERT_PTR_NULL(strstr(r.out, GONE1)); /* no verdict printed */
                CU_ASSERT(ledger_exists(GONE1));
        }
        drop_host_lock(fd);

        /* lock free: the same command releases it */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", URI, "reconcile", "--min-age", "0", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(r.out, "released"), 1);
        CU_ASSERT_FALSE(ledger_exists(GONE1));
        run_free(&r);
}

/* Is PID blocked in flock() on a lock someone else holds? /proc/locks
 * lists a waiter as "N: -> FLOCK  ADVISORY  WRITE PID ...". */
static bool blocked_in_flock(pid_t pid) {
        _cleanup_free_ char *locks = read_all("/proc/locks");
        _cleanup_free_ char *needle = strdup_printf(" %ld ", (long)pid);
        for (char *line = locks; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                if (strstr(line, "-> FLOCK") && strstr(line, needle))
                        return true;
                line = nl ? nl + 1 : NULL;
        }
        return false;
}

/* The ledgers reconcile acts on are the ones present once it holds the
 * lock, not the ones it saw before: while it waits, one stale ledger goes
 * (its release hook ran) and another appears (a start that failed). Were
 * the ledgers listed or read before the lock was held, reconcile would
 * report the first and never see the second. */
static void test_reconcile_lists_and_decides_under_the_lock(void) {
        _cleanup_free_ char *out = strdup_printf("%s/reconcile.out", state), *err = strdup_printf("%s/reconcile.err", state);
        put_ledger(GONE1, "first", "11111111-1111-4111-8111-111111111111");
        put_ledger(TEST_DOMAIN_UUID, "test", "33333333-3333-4333-8333-333333333333");
        set_lock_timeout(30);
        int fd = hold_host_lock();

        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
                int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (o < 0 || e < 0 || dup2(o, STDOUT_FILENO) < 0 || dup2(e, STDERR_FILENO) < 0)
                        _exit(126);
                execl(cli_binary(), cli_binary(), "-c", URI, "reconcile", "--min-age", "0", "--json", (char *)NULL);
                _exit(127);
        }
        /* wait (bounded) until it is blocked on the lock we hold */
        bool blocked = false;
        for (int i = 0; i < 200 && !(blocked = blocked_in_flock(pid)); i++)
                sleep_usec(50 * 1000);
        CU_ASSERT_TRUE(blocked);
        CU_ASSERT(ledger_exists(GONE1)); /* nothing done without the lock */

        drop_ledger(GONE1);
        put_ledger(GONE2, "second", "22222222-2222-4222-8222-222222222222");
        drop_host_lock(fd);

        int status = -1;
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        _cleanup_free_ char *o = read_all(out), *e = read_all(err);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "\nreconcile: %s\n%s\n", o, e);
        struct json_object *arr = json_parse(o ? o : "");
        CU_ASSERT_PTR_NOT_NULL_FATAL(arr);
        CU_ASSERT_EQUAL(json_object_array_length(arr), 2);
        bool saw_first = false, saw_second = false, saw_running = false;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct json_object *row = json_object_array_get_idx(arr, i);
                const char *uuid = jstr(row, "uuid"), *action = jstr(row, "action");
                saw_first |= streq_ptr(uuid, GONE1);
                if (streq_ptr(uuid, GONE2))
                        saw_second = streq_ptr(action, "released");
                if (streq_ptr(uuid, TEST_DOMAIN_UUID))
                        saw_running = streq_ptr(action, "kept (running)");
        }
        json_object_put(arr);
        CU_ASSERT_FALSE(saw_first);
        CU_ASSERT_TRUE(saw_second);
        CU_ASSERT_TRUE(saw_running);
        CU_ASSERT_FALSE(ledger_exists(GONE2));
        CU_ASSERT(ledger_exists(TEST_DOMAIN_UUID));
        drop_ledger(TEST_DOMAIN_UUID);
}

/* The lock is given back: a hook (or the next reconcile) gets it at once,
 * after a run that released, one that kept, one that failed and a dry run. */
static void test_reconcile_gives_the_lock_back(void) {
        struct run r = { 0 };
        _cleanup_free_ char *path = strdup_printf("%s/lock", state);
        set_lock_timeout(1);
        put_ledger(GONE1, "vanished", "11111111-1111-4111-8111-111111111111");
        put_ledger(TEST_DOMAIN_UUID, "test", "33333333-3333-4333-8333-333333333333");
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", URI, "reconcile", "--min-age", "0", "--dry-run", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(r.out, "would release"), 1);
        CU_ASSERT(ledger_exists(GONE1));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", URI, "reconcile", "--min-age", "0", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(r.out, "released"), 1);
        CU_ASSERT_EQUAL(count_lines(r.out, "kept (running)"), 1);
        _cleanup_free_ char *uri = strdup_printf("qemu+unix:///system?socket=%s/no-such-socket", state);
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "-c", uri, "reconcile", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "gpuhookctl: error: cannot connect to libvirt"));
        _cleanup_free_ char *lock = read_all(path);
        CU_ASSERT_STRING_EQUAL(lock ? lock : "?", ""); /* no holder recorded */
        int fd = open(path, O_RDWR | O_CLOEXEC);
        CU_ASSERT(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
        if (fd >= 0)
                close(fd);
        drop_ledger(TEST_DOMAIN_UUID);
        run_free(&r);
}

static void teardown(void) { tmpdir_free(state); }

CUNIT_MAIN("cli-reconcile",
           T(setup_env),
           T(test_reconcile_waits_for_the_lock_and_times_out),
           T(test_reconcile_lists_and_decides_under_the_lock),
           T(test_reconcile_gives_the_lock_back),
           T(teardown))
