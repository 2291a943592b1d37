/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

struct cunit_test {
        const char *name;
        void (*fn)(void);
};

/* Run SUITE's tests verbosely; exit status 1 if any assertion failed.
 * CUNIT_ONLY=TEXT in the environment runs only the tests whose name has
 * TEXT, and a suite's "setup" (to rerun one case while working on it). */
static inline int cunit_run(const char *suite, const struct cunit_test *tests, size_t n) {
        const char *only = getenv("CUNIT_ONLY");
        if (CU_initialize_registry() != CUE_SUCCESS)
                return 2;
        CU_pSuite s = CU_add_suite(suite, NULL, NULL);
        for (size_t i = 0; i < n; i++)
                if (!only || !*only || strstr(tests[i].name, only) || strcmp(tests[i].name, "setup") == 0)
                        CU_add_test(s, tests[i].name, tests[i].fn);
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
        unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
        CU_cleanup_registry();
        return failures ? 1 : 0;
}

#define CUNIT_MAIN(suite, ...)                                                  \
        int main(void) {                                                        \
                static const struct cunit_test tests[] = { __VA_ARGS__ };       \
                return cunit_run(suite, tests, sizeof(tests) / sizeof(tests[0])); \
        }
#define T(fn) { #fn, fn }
