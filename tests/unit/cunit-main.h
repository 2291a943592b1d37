/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The shared runner of the unit tests: each test file lists its tests with
 * UNIT_MAIN("module", UNIT_TEST(fn), ...) and gets a main() that runs them
 * verbosely and exits non-zero when any assertion failed.
 *
 * Before every test the recorded user-facing failure (log_fail) and the log
 * context are cleared, so a test sees only what it caused. */

#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct unit_test {
        const char *name;
        void (*fn)(void);
};

/* clang-format off */
#define UNIT_TEST(f) { #f, f }
/* clang-format on */

static inline void unit_setup(void) {
        log_failure_clear();
        log_set_context("%s", "");
}

static inline void unit_teardown(void) {
        log_failure_clear();
        log_set_context("%s", "");
}

static inline int unit_run(const char *suite_name, const struct unit_test *tests, size_t n) {
        CU_pSuite suite;
        unsigned failures;

        if (CU_initialize_registry() != CUE_SUCCESS)
                return 99;
        suite = CU_add_suite_with_setup_and_teardown(suite_name, NULL, NULL, unit_setup, unit_teardown);
        if (!suite)
                goto fail;
        for (size_t i = 0; i < n; i++)
                if (!CU_add_test(suite, tests[i].name, tests[i].fn))
                        goto fail;
        CU_basic_set_mode(CU_BRM_VERBOSE);
        if (CU_basic_run_tests() != CUE_SUCCESS)
                goto fail;
        failures = CU_get_number_of_failures();
        CU_cleanup_registry();
        return failures ? 1 : 0;
fail:
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 99; /* meson: hard error */
}

#define UNIT_MAIN(suite_name, ...)                                                                                     \
        int main(void) {                                                                                               \
                static const struct unit_test unit_tests_[] = { __VA_ARGS__ };                                         \
                return unit_run(suite_name, unit_tests_, ELEMENTSOF(unit_tests_));                                     \
        }

/* Assert with a message built at run time (CUnit copies it), so that a
 * failure shows the actual value, not just the expression. */
_printf_(4, 5) static inline void unit_check(bool ok, unsigned line, const char *file, const char *fmt, ...) {
        char msg[2048];
        va_list ap;

        if (ok) {
                CU_assertImplementation(CU_TRUE, line, "", file, "", CU_FALSE);
                return;
        }
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
}

/* The recorded user-facing failure contains NEEDLE. */
#define ASSERT_FAILURE_HAS(needle)                                                                                     \
        do {                                                                                                           \
                const char *f_ = log_failure();                                                                        \
                unit_check(f_ != NULL && strstr(f_, (needle)) != NULL, __LINE__, __FILE__,                             \
                           "failure %s%s%s does not contain '%s'", f_ ? "'" : "", f_ ? f_ : "(none recorded)",         \
                           f_ ? "'" : "", (needle));                                                                   \
        } while (0)

#define ASSERT_NO_FAILURE()                                                                                            \
        do {                                                                                                           \
                const char *f_ = log_failure();                                                                        \
                unit_check(!f_, __LINE__, __FILE__, "unexpected failure recorded: '%s'", f_ ? f_ : "");                \
        } while (0)

#define ASSERT_STR_HAS(haystack, needle)                                                                               \
        do {                                                                                                           \
                const char *h_ = (haystack);                                                                           \
                unit_check(h_ != NULL && strstr(h_, (needle)) != NULL, __LINE__, __FILE__,                             \
                           "'%s' does not contain '%s'", h_ ? h_ : "(null)", (needle));                                \
        } while (0)

#define ASSERT_STR_LACKS(haystack, needle)                                                                             \
        do {                                                                                                           \
                const char *h_ = (haystack);                                                                           \
                unit_check(h_ && !strstr(h_, (needle)), __LINE__, __FILE__, "'%s' contains '%s'", h_ ? h_ : "(null)",  \
                           (needle));                                                                                  \
        } while (0)

#define ASSERT_STR_EQ(actual, expected)                                                                                \
        do {                                                                                                           \
                const char *a_ = (actual), *e_ = (expected);                                                           \
                unit_check(a_ != NULL && streq(a_, e_), __LINE__, __FILE__, "%s is '%s', expected '%s'", #actual,      \
                           a_ ? a_ : "(null)", e_);                                                                    \
        } while (0)

#define ASSERT_INT_EQ(actual, expected)                                                                                \
        do {                                                                                                           \
                long long a_ = (long long)(actual), e_ = (long long)(expected);                                        \
                unit_check(a_ == e_, __LINE__, __FILE__, "%s is %lld, expected %lld", #actual, a_, e_);                \
        } while (0)

/* Temporary directories under /tmp, removed with everything in them. */
static inline char *unit_mkdtemp(void) {
        char *d = strdup("/tmp/gpuhook-unit-XXXXXX");
        if (!d || !mkdtemp(d)) {
                free(d);
                return NULL;
        }
        return d;
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

static inline void unit_rm_rf(const char *dir) {
        if (dir)
                (void)nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write TEXT to DIR/NAME (parents created). */
static inline int unit_write(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        _cleanup_free_ char *parent = NULL;
        FILE *f;

        if (!path)
                return -ENOMEM;
        parent = strndup(path, (size_t)(strrchr(path, '/') - path));
        if (!parent || mkdir_p(parent, 0755) < 0)
                return -EIO;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -EIO;
}

/* Read DIR/NAME whole, or NULL. */
static inline char *unit_read(const char *dir, const char *name) {
        _cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
        char *text = NULL;

        if (!path || read_text_file(path, 64 << 20, &text) < 0)
                return NULL;
        return text;
}
