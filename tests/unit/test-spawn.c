/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

static void test_find_program(void) {
        _cleanup_free_ char *sh = find_program("sh");
        CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
        CU_ASSERT_EQUAL(sh[0], '/');
        CU_ASSERT_EQUAL(access(sh, X_OK), 0);
        CU_ASSERT_PTR_NULL(find_program("gpuhook-no-such-program-xyz"));
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
          UNIT_TEST(test_find_program))
/* clang-format on */
