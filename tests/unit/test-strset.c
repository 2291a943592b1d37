/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "strset.h"

static void test_empty(void) {
        struct strset s = { 0 };
        size_t v = 42;

        CU_ASSERT_FALSE(strset_contains(&s, "x"));
        CU_ASSERT_FALSE(strset_get(&s, "x", &v));
        CU_ASSERT_EQUAL(v, 42);
        strset_free(&s); /* freeing an empty set is fine */
        CU_ASSERT_EQUAL(s.n, 0);
}

static void test_add_and_duplicates(void) {
        struct strset s = { 0 };

        CU_ASSERT_EQUAL(strset_add(&s, "0000:41:00.0"), 1);
        CU_ASSERT_EQUAL(strset_add(&s, "0000:41:00.0"), 0);
        CU_ASSERT_EQUAL(strset_add(&s, "0000:41:00.1"), 1);
        CU_ASSERT_EQUAL(strset_add(&s, ""), 1);
        CU_ASSERT_EQUAL(strset_add(&s, ""), 0);
        CU_ASSERT_EQUAL(s.n, 3);
        CU_ASSERT_TRUE(strset_contains(&s, "0000:41:00.0"));
        CU_ASSERT_TRUE(strset_contains(&s, ""));
        CU_ASSERT_FALSE(strset_contains(&s, "0000:41:00.2"));
        /* Exact match: no case folding, no prefixes. */
        CU_ASSERT_FALSE(strset_contains(&s, "0000:41:00"));
        CU_ASSERT_FALSE(strset_contains(&s, "0000:41:00.0 "));
        strset_free(&s);
        CU_ASSERT_FALSE(strset_contains(&s, "0000:41:00.0"));
}

static void test_keys_are_copied(void) {
        struct strset s = { 0 };
        char key[] = "abc";

        CU_ASSERT_EQUAL(strset_add(&s, key), 1);
        key[0] = 'x';
        CU_ASSERT_TRUE(strset_contains(&s, "abc"));
        CU_ASSERT_FALSE(strset_contains(&s, "xbc"));
        strset_free(&s);
}

static void test_put_get_values(void) {
        struct strset s = { 0 };
        size_t v = 0;

        CU_ASSERT_EQUAL(strset_put(&s, "vm-a", 3), 1);
        CU_ASSERT_EQUAL(strset_put(&s, "vm-b", 0), 1);
        CU_ASSERT_TRUE(strset_get(&s, "vm-a", &v));
        CU_ASSERT_EQUAL(v, 3);
        CU_ASSERT_TRUE(strset_get(&s, "vm-b", &v));
        CU_ASSERT_EQUAL(v, 0);
        /* A present key keeps its first value. */
        CU_ASSERT_EQUAL(strset_put(&s, "vm-a", 9), 0);
        CU_ASSERT_TRUE(strset_get(&s, "vm-a", &v));
        CU_ASSERT_EQUAL(v, 3);
        CU_ASSERT_TRUE(strset_get(&s, "vm-a", NULL));
        strset_free(&s);
}

static void test_ten_thousand_keys(void) {
        struct strset s = { 0 };
        char key[64];
        size_t v;
        unsigned wrong = 0;

        for (size_t i = 0; i < 10000; i++) {
                snprintf(key, sizeof(key), "%08zx-0000-4000-8000-%012zx", i, i * 7919);
                if (strset_put(&s, key, i) != 1)
                        wrong++;
        }
        CU_ASSERT_EQUAL(wrong, 0);
        CU_ASSERT_EQUAL(s.n, 10000);
        /* Load factor stays at most one half (so probing ends). */
        CU_ASSERT_TRUE(s.cap >= 2 * s.n);
        for (size_t i = 0; i < 10000; i++) {
                snprintf(key, sizeof(key), "%08zx-0000-4000-8000-%012zx", i, i * 7919);
                if (strset_add(&s, key) != 0 || !strset_get(&s, key, &v) || v != i)
                        wrong++;
                snprintf(key, sizeof(key), "%08zx-0000-4000-8000-%012zx", i, i * 7919 + 1);
                if (strset_contains(&s, key))
                        wrong++;
        }
        CU_ASSERT_EQUAL(wrong, 0);
        CU_ASSERT_EQUAL(s.n, 10000);
        strset_free(&s);
        CU_ASSERT_EQUAL(s.cap, 0);
        CU_ASSERT_PTR_NULL(s.slots);
}

/* clang-format off */
UNIT_MAIN("strset",
          UNIT_TEST(test_empty),
          UNIT_TEST(test_add_and_duplicates),
          UNIT_TEST(test_keys_are_copied),
          UNIT_TEST(test_put_get_values),
          UNIT_TEST(test_ten_thousand_keys))
/* clang-format on */
