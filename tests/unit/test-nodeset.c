/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "nodeset.h"

/* Exactly the nodes in ON (terminated by -1) out of 0..NODESET_MAX-1. */
static bool nodes_are(const struct nodeset *n, const int *on) {
        for (int i = 0; i < NODESET_MAX; i++) {
                bool want = false;
                for (const int *p = on; *p >= 0; p++)
                        want = want || *p == i;
                if (nodeset_contains(n, i) != want)
                        return false;
        }
        return true;
}

#define CHECK_NODES(text, ...)                                                                                         \
        do {                                                                                                           \
                struct nodeset n_;                                                                                     \
                int r_ = nodeset_parse((text), &n_);                                                                   \
                unit_check(r_ == 0, __LINE__, __FILE__, "nodeset_parse('%s') returned %d", (text), r_);                \
                if (r_ == 0) {                                                                                         \
                        CU_ASSERT_TRUE(n_.any);                                                                        \
                        unit_check(nodes_are(&n_, (const int[]){ __VA_ARGS__, -1 }), __LINE__, __FILE__,               \
                                   "nodeset '%s' has the wrong nodes", (text));                                        \
                }                                                                                                      \
        } while (0)

static void test_parse_forms(void) {
        CHECK_NODES("0", 0);
        CHECK_NODES("1", 1);
        CHECK_NODES("0-3", 0, 1, 2, 3);
        CHECK_NODES("0-3,^2", 0, 1, 3);
        CHECK_NODES("1,3,5", 1, 3, 5);
        CHECK_NODES("0-1,4-5,^5", 0, 1, 4);
        CHECK_NODES(" 0 , 2 ", 0, 2);
        CHECK_NODES("1023", 1023);
        CHECK_NODES("63-64", 63, 64);
        CHECK_NODES("2,2", 2);
}

static void test_full_range(void) {
        struct nodeset n;

        CU_ASSERT_EQUAL_FATAL(nodeset_parse("0-1023", &n), 0);
        for (int i = 0; i < NODESET_MAX; i++)
                if (!nodeset_contains(&n, i))
                        CU_FAIL("node missing from 0-1023");
        CU_ASSERT_FALSE(nodeset_contains(&n, 1024));
        CU_ASSERT_FALSE(nodeset_contains(&n, -1));
}

static void test_rejects(void) {
        static const char *const bad[] = {
                "",      "1024", "0-1024", "3-1",  "a",   "0,",
                ",0",    "0-",   "-1",     "0--2", "0;1", "99999999999999999999",
                "0-3,^", "^",    "1 2",    "0x1",  "1.0", "0-3^2",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct nodeset n = { .any = false };
                int r = nodeset_parse(bad[i], &n);
                unit_check(r < 0, __LINE__, __FILE__, "nodeset_parse('%s') accepted", bad[i]);
                unit_check(!n.any, __LINE__, __FILE__, "nodeset_parse('%s') changed its output on failure", bad[i]);
        }
        CU_ASSERT_TRUE(nodeset_parse(NULL, &(struct nodeset){ 0 }) < 0);
}

static void test_no_preference(void) {
        struct nodeset none = { 0 };
        /* A zeroed nodeset means no preference: it contains no node. */
        CU_ASSERT_FALSE(none.any);
        CU_ASSERT_FALSE(nodeset_contains(&none, 0));
        CU_ASSERT_FALSE(nodeset_contains(&none, -1));
}

/* clang-format off */
UNIT_MAIN("nodeset",
          UNIT_TEST(test_parse_forms),
          UNIT_TEST(test_full_range),
          UNIT_TEST(test_rejects),
          UNIT_TEST(test_no_preference))
/* clang-format on */
