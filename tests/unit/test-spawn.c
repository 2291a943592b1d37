/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"
#include "cunit-main.h"
#include "spawn.h"

static void test_exit_status_and_capture(void) {
        char *out = NULL, *err = NULL;
        char *const argv[] = { "/bin/sh", "-c", "echo hello; echo oops >&2; exit 3", NULL };

        CU_ASSERT_EQUAL(spawn_run(argv, 10000, &out, &err), 3);
        ASSERT_STR_EQ(out, "hello\n");
        ASSERT_STR_EQ(err, "oops\n");
        free(out);
        free(err);
}

static void test_empty_output_is_empty_string(void) {
        char *out = NULL, *err = NULL;
        char *const argv[] = { "/bin/sh", "-c", "exit 0", NULL };

        CU_ASSERT_EQUAL(spawn_run(argv, 10000, &out, &err), 0);
        ASSERT_STR_EQ(out, "");
        ASSERT_STR_EQ(err, "");
        free(out);
        free(err);
}

static void test_stdin_is_dev_null(void) {
        char *out = NULL;
        char *const argv[] = { "/bin/sh", "-c", "cat; echo end", NULL };

        CU_ASSERT_EQUAL(spawn_run(argv, 10000, &out, NULL), 0);
        ASSERT_STR_EQ(out, "end\n");
        free(out);
}

static void test_input(void) {
        char *out = NULL;
        char *const argv[] = { "/bin/sh", "-c", "wc -c", NULL };
        size_t len = 300000; /* more than a pipe holds */
        _cleanup_free_ char *big = malloc(len);

        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memset(big, 'x', len);
        CU_ASSERT_EQUAL(spawn_run_input(argv, big, len, 10000, &out, NULL), 0);
        ASSERT_STR_EQ(strstrip_end(out), "300000");
        free(out);

        /* A child that reads nothing does not kill us with SIGPIPE. */
        char *const quit[] = { "/bin/sh", "-c", "exit 4", NULL };
        CU_ASSERT_EQUAL(spawn_run_input(quit, big, len, 10000, NULL, NULL), 4);
}

static void test_timeout_kills(void) {
        char *out = NULL;
        char *const argv[] = { "/bin/sh", "-c", "echo started; exec sleep 30", NULL };

        CU_ASSERT_EQUAL(spawn_run(argv, 300, &out, NULL), -ETIMEDOUT);
        free(out);
}

static void test_cannot_exec(void) {
        char *const argv[] = { "/nonexistent/program", NULL };
        CU_ASSERT_EQUAL(spawn_run(argv, 10000, NULL, NULL), -ENOEXEC);
}

static void test_output_bounded(void) {
        char *out = NULL;
        char *const argv[] = { "/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a", NULL };

        CU_ASSERT_EQUAL(spawn_run(argv, 20000, &out, NULL), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);
        CU_ASSERT_TRUE(strlen(out) <= 64 * 1024);
        CU_ASSERT_TRUE(strlen(out) > 0);
        free(out);
}

static void test_first_line(void) {
        ASSERT_STR_EQ(first_line("\n  Error: Parent 0000:41:00.0 not found\nmore"), "Parent 0000:41:00.0 not found");
        ASSERT_STR_EQ(first_line("plain\ttext\n"), "plain text");
        ASSERT_STR_EQ(first_line(NULL), "");
        ASSERT_STR_EQ(first_line(""), "");
}

/* Helpers by the absolute paths fixed at build time; nothing else is found. */
static void test_find_program(void) {
        ASSERT_STR_EQ(helper_path("mdevctl"), GPUHOOK_MDEVCTL_PATH);
        ASSERT_STR_EQ(helper_path("modprobe"), GPUHOOK_MODPROBE_PATH);
        ASSERT_STR_EQ(helper_path("update-initramfs"), GPUHOOK_UPDATE_INITRAMFS_PATH);
        ASSERT_STR_EQ(helper_path("dracut"), GPUHOOK_DRACUT_PATH);
        ASSERT_STR_EQ(helper_path("chroot"), GPUHOOK_CHROOT_PATH);
        CU_ASSERT_PTR_NULL(helper_path("sh"));
        /* not a helper: a test build searches PATH (the tests' tools), the
         * default build never */
        _cleanup_free_ char *sh = find_program("sh");
        if (GPUHOOK_TEST_HOOKS) {
                CU_ASSERT_TRUE(sh && sh[0] == '/' && access(sh, X_OK) == 0);
        } else {
                CU_ASSERT_PTR_NULL(sh);
        }
        CU_ASSERT_PTR_NULL(find_program("gpuhook-no-such-program-xyz"));

        /* A "modprobe" first in PATH: only a test build takes it (gpuhook-sim's
         * stand-in); the default build runs the fixed path. */
        _cleanup_free_ char *dir = unit_mkdtemp(), *fake = NULL, *oldpath = NULL, *path = NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        CU_ASSERT_EQUAL(unit_write(dir, "modprobe", "#!/bin/sh\nexit 0\n"), 0);
        fake = strdup_printf("%s/modprobe", dir);
        CU_ASSERT_EQUAL(chmod(fake, 0755), 0);
        oldpath = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        path = strdup_printf("%s:%s", dir, oldpath);
        setenv("PATH", path, 1);
        _cleanup_free_ char *found = find_program("modprobe");
        if (GPUHOOK_TEST_HOOKS) {
                ASSERT_STR_EQ(found, fake);
        } else if (found) {
                ASSERT_STR_EQ(found, GPUHOOK_MODPROBE_PATH);
        }
        /* relative PATH entries are never used */
        setenv("PATH", ".:relative/bin", 1);
        _cleanup_free_ char *fixed = find_program("modprobe");
        if (fixed)
                ASSERT_STR_EQ(fixed, GPUHOOK_MODPROBE_PATH);
        setenv("PATH", oldpath, 1);
        unit_rm_rf(dir);
}

static void test_refuses_relative_or_unbounded(void) {
        char *const rel[] = { "sh", "-c", "exit 0", NULL };
        char *const sh[] = { "/bin/sh", "-c", "exit 0", NULL };
        CU_ASSERT_EQUAL(spawn_run(rel, 1000, NULL, NULL), -EINVAL);
        CU_ASSERT_EQUAL(spawn_run(sh, 0, NULL, NULL), -EINVAL);
}

/* The child's environment is fixed, not the caller's. */
static void test_clean_environment(void) {
        char *out = NULL;
        char *const argv[] = { "/usr/bin/env", NULL };

        setenv("GPUHOOK_UNIT_SECRET", "1", 1);
        setenv("UMOCKDEV_DIR", "/tmp/gpuhook-unit-testbed", 1);
        setenv("LC_ALL", "de_DE.UTF-8", 1);
        setenv("IFS", "x", 1);
        CU_ASSERT_EQUAL_FATAL(spawn_run(argv, 10000, &out, NULL), 0);
        ASSERT_STR_HAS(out, "LC_ALL=C\n");
        ASSERT_STR_LACKS(out, "de_DE");
        ASSERT_STR_LACKS(out, "IFS=");
        ASSERT_STR_LACKS(out, "HOME=");
        if (GPUHOOK_TEST_HOOKS) {
                /* what gpuhook-sim needs reaches the helpers it runs */
                ASSERT_STR_HAS(out, "UMOCKDEV_DIR=/tmp/gpuhook-unit-testbed\n");
                ASSERT_STR_HAS(out, "GPUHOOK_UNIT_SECRET=1\n");
        } else {
                ASSERT_STR_EQ(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
        }
        unsetenv("GPUHOOK_UNIT_SECRET");
        unsetenv("UMOCKDEV_DIR");
        unsetenv("LC_ALL");
        unsetenv("IFS");
        free(out);
}

/* A child that closes its output but goes on running is still bounded. */
static void test_timeout_after_output_closed(void) {
        char *const argv[] = { "/bin/sh", "-c", "exec >&- 2>&-; exec sleep 30", NULL };
        uint64_t t0 = now_usec();

        CU_ASSERT_EQUAL(spawn_run(argv, 300, NULL, NULL), -ETIMEDOUT);
        unit_check(now_usec() - t0 < 5000000, __LINE__, __FILE__, "took %llu ms", (unsigned long long)(now_usec() - t0) / 1000);
}

/* clang-format off */
UNIT_MAIN("spawn",
          UNIT_TEST(test_exit_status_and_capture),
          UNIT_TEST(test_empty_output_is_empty_string),
          UNIT_TEST(test_stdin_is_dev_null),
          UNIT_TEST(test_input),
          UNIT_TEST(test_timeout_kills),
          UNIT_TEST(test_cannot_exec),
          UNIT_TEST(test_output_bounded),
          UNIT_TEST(test_first_line),
          UNIT_TEST(test_find_program),
          UNIT_TEST(test_refuses_relative_or_unbounded),
          UNIT_TEST(test_clean_environment),
          UNIT_TEST(test_timeout_after_output_closed))
/* clang-format on */
