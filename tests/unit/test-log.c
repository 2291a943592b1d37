/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"

static void test_fail_returns_and_records(void) {
        CU_ASSERT_PTR_NULL(log_failure());
        CU_ASSERT_EQUAL(log_fail(-ENOSPC, "no room on %s", "0000:41:00.0"), -ENOSPC);
        ASSERT_STR_EQ(log_failure(), "no room on 0000:41:00.0");
        log_failure_clear();
        CU_ASSERT_PTR_NULL(log_failure());
}

static void test_first_failure_wins(void) {
        log_fail(-EINVAL, "inner: the specific reason");
        log_fail(-EIO, "outer: generic");
        ASSERT_STR_EQ(log_failure(), "inner: the specific reason");
}

static void test_context_prefix(void) {
        log_set_context("domain '%s'", "vm1");
        log_fail(-EINVAL, "bad thing");
        ASSERT_STR_EQ(log_failure(), "domain 'vm1': bad thing");
}

static void test_failure_is_one_line(void) {
        log_fail(-EINVAL, "value '%s' rejected", "a\nb\rc");
        ASSERT_STR_EQ(log_failure(), "value 'a b c' rejected");
}

static void test_long_failure_is_bounded(void) {
        _cleanup_free_ char *big = malloc(5000);
        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memset(big, 'z', 4999);
        big[4999] = 0;
        log_fail(-EINVAL, "%s", big);
        CU_ASSERT_PTR_NOT_NULL_FATAL(log_failure());
        CU_ASSERT_TRUE(strlen(log_failure()) < 1024);
        CU_ASSERT_EQUAL(log_failure()[0], 'z');
}

static void test_levels(void) {
        CU_ASSERT_EQUAL(log_level_from_string("error"), LOG_ERR);
        CU_ASSERT_EQUAL(log_level_from_string("warning"), LOG_WARNING);
        CU_ASSERT_EQUAL(log_level_from_string("info"), LOG_INFO);
        CU_ASSERT_EQUAL(log_level_from_string("debug"), LOG_DEBUG);
        CU_ASSERT_EQUAL(log_level_from_string("DEBUG"), -EINVAL);
        CU_ASSERT_EQUAL(log_level_from_string("verbose"), -EINVAL);
        ASSERT_STR_EQ(log_level_to_string(LOG_WARNING), "warning");
        ASSERT_STR_EQ(log_level_to_string(LOG_DEBUG), "debug");
        int saved = log_get_level();
        log_set_level(LOG_DEBUG);
        CU_ASSERT_EQUAL(log_get_level(), LOG_DEBUG);
        log_set_level(saved);
}

/* clang-format off */
UNIT_MAIN("log",
          UNIT_TEST(test_fail_returns_and_records),
          UNIT_TEST(test_first_failure_wins),
          UNIT_TEST(test_context_prefix),
          UNIT_TEST(test_failure_is_one_line),
          UNIT_TEST(test_long_failure_is_bounded),
          UNIT_TEST(test_levels))
/* clang-format on */
