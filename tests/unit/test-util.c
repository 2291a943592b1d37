/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cunit-main.h"

static void test_safe_atou(void) {
        unsigned u = 7;

        CU_ASSERT_EQUAL(safe_atou("0", &u), 0);
        CU_ASSERT_EQUAL(u, 0);
        CU_ASSERT_EQUAL(safe_atou("4294967295", &u), 0);
        CU_ASSERT_EQUAL(u, UINT_MAX);
        u = 7;
        CU_ASSERT_EQUAL(safe_atou("4294967296", &u), -ERANGE);
        CU_ASSERT_EQUAL(safe_atou("-1", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou("+1", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou(" 1", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou("1 ", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou("1s", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou("0x10", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou("", &u), -EINVAL);
        CU_ASSERT_EQUAL(safe_atou(NULL, &u), -EINVAL);
        /* ret_ untouched on failure. */
        CU_ASSERT_EQUAL(u, 7);
}

static void test_safe_atou64(void) {
        uint64_t v = 0;

        CU_ASSERT_EQUAL(safe_atou64("18446744073709551615", &v), 0);
        CU_ASSERT_EQUAL(v, UINT64_MAX);
        CU_ASSERT_EQUAL(safe_atou64("18446744073709551616", &v), -ERANGE);
        CU_ASSERT_EQUAL(safe_atou64("-0", &v), -EINVAL);
        CU_ASSERT_EQUAL(v, UINT64_MAX);
}

static void test_safe_atoi(void) {
        int i = 5;

        CU_ASSERT_EQUAL(safe_atoi("-1", &i), 0);
        CU_ASSERT_EQUAL(i, -1);
        CU_ASSERT_EQUAL(safe_atoi("2147483647", &i), 0);
        CU_ASSERT_EQUAL(i, INT_MAX);
        CU_ASSERT_EQUAL(safe_atoi("-2147483648", &i), 0);
        CU_ASSERT_EQUAL(i, INT_MIN);
        CU_ASSERT_TRUE(safe_atoi("2147483648", &i) < 0);
        CU_ASSERT_TRUE(safe_atoi("-2147483649", &i) < 0);
        CU_ASSERT_EQUAL(safe_atoi("1x", &i), -EINVAL);
        CU_ASSERT_EQUAL(safe_atoi("-", &i), -EINVAL);
        CU_ASSERT_EQUAL(safe_atoi("", &i), -EINVAL);
        CU_ASSERT_EQUAL(i, INT_MIN);
}

/* Regression: strtol skips leading whitespace and takes a '+'; safe_atoi must
 * refuse " 5", "\t-5" and "+5" like safe_atou does ("whole string, no sign
 * surprises"). */
static void test_safe_atoi_strict(void) {
        int i = 7;

        ASSERT_INT_EQ(safe_atoi(" 5", &i), -EINVAL);
        ASSERT_INT_EQ(safe_atoi("\t-5", &i), -EINVAL);
        ASSERT_INT_EQ(safe_atoi("+5", &i), -EINVAL);
        ASSERT_INT_EQ(i, 7);
}

static void test_strstrip_end(void) {
        char a[] = "value \t\r\n\n", b[] = "\n\n", c[] = "keep  inner";

        ASSERT_STR_EQ(strstrip_end(a), "value");
        ASSERT_STR_EQ(strstrip_end(b), "");
        ASSERT_STR_EQ(strstrip_end(c), "keep  inner");
}

static void test_strbuf_grows(void) {
        struct strbuf sb = { 0 };

        ASSERT_STR_EQ(strbuf_str(&sb), "");
        for (int i = 0; i < 1000; i++)
                CU_ASSERT_EQUAL_FATAL(strbuf_appendf(&sb, "%d,", i % 10), 0);
        CU_ASSERT_EQUAL(sb.len, 2000);
        CU_ASSERT_EQUAL(strlen(strbuf_str(&sb)), 2000);
        CU_ASSERT_EQUAL(strncmp(strbuf_str(&sb), "0,1,2,3,", 8), 0);
        CU_ASSERT_EQUAL(strcmp(strbuf_str(&sb) + 1990, "5,6,7,8,9,"), 0);
        strbuf_free(&sb);
        CU_ASSERT_PTR_NULL(sb.buf);
        CU_ASSERT_EQUAL(sb.len, 0);
}

static int pipe_with(const char *data, size_t len, size_t repeat, pid_t *ret_pid) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                for (size_t i = 0; i < repeat; i++)
                        if (write(p[1], data, len) != (ssize_t)len)
                                _exit(1); /* EPIPE: the reader stopped draining */
                _exit(0);
        }
        close(p[1]);
        *ret_pid = pid;
        return p[0];
}

static void test_read_fd_limited(void) {
        char chunk[1000];
        char *buf = NULL;
        size_t len = 0;
        int status = -1;
        pid_t pid;

        memset(chunk, 'x', sizeof(chunk));
        int fd = pipe_with(chunk, sizeof(chunk), 100, &pid);
        CU_ASSERT_FATAL(fd >= 0);
        CU_ASSERT_EQUAL(read_fd_limited(fd, 100000, &buf, &len), 0);
        CU_ASSERT_EQUAL(len, 100000);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        CU_ASSERT_EQUAL(strlen(buf), 100000);
        free(buf);
        buf = NULL;
        close(fd);
        waitpid(pid, &status, 0);

        /* One byte over: -EFBIG, and the writer still got everything out. */
        fd = pipe_with(chunk, sizeof(chunk), 100, &pid);
        CU_ASSERT_FATAL(fd >= 0);
        CU_ASSERT_EQUAL(read_fd_limited(fd, 99999, &buf, &len), -EFBIG);
        CU_ASSERT_PTR_NULL(buf);
        close(fd);
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_files(void) {
        _cleanup_free_ char *dir = unit_mkdtemp(), *nested = NULL, *file = NULL, *text = NULL;
        unsigned u = 0;
        int i = 0;
        struct stat st;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        nested = strdup_printf("%s/a/b/c", dir);
        file = strdup_printf("%s/a/b/c/attr", dir);
        CU_ASSERT_EQUAL(mkdir_p(nested, 0755), 0);
        CU_ASSERT_EQUAL(mkdir_p(nested, 0755), 0); /* existing is fine */
        CU_ASSERT_TRUE(stat(nested, &st) == 0 && S_ISDIR(st.st_mode));

        CU_ASSERT_EQUAL(write_file_atomic(file, "42\n\n", 4, 0644), 0);
        CU_ASSERT_EQUAL(read_text_file(file, 64, &text), 0);
        ASSERT_STR_EQ(text, "42");
        CU_ASSERT_EQUAL(read_uint_file(file, &u), 0);
        CU_ASSERT_EQUAL(u, 42);
        CU_ASSERT_EQUAL(write_file_atomic(file, "-1\n", 3, 0644), 0);
        CU_ASSERT_EQUAL(read_int_file(file, &i), 0);
        CU_ASSERT_EQUAL(i, -1);
        CU_ASSERT_EQUAL(read_uint_file(file, &u), -EINVAL);

        /* write_text_file writes into an existing file only (sysfs), never creates. */
        _cleanup_free_ char *missing = strdup_printf("%s/missing", dir);
        CU_ASSERT_EQUAL(write_text_file(missing, "1"), -ENOENT);
        CU_ASSERT_EQUAL(access(missing, F_OK), -1);
        CU_ASSERT_EQUAL(write_file_atomic(file, "0\n", 2, 0644), 0);
        CU_ASSERT_EQUAL(write_text_file(file, "7"), 0);
        CU_ASSERT_EQUAL(read_uint_file(file, &u), 0);
        CU_ASSERT_EQUAL(u, 7);

        /* Too large for the bound. */
        free(text);
        text = NULL;
        CU_ASSERT_EQUAL(write_file_atomic(file, "123456789", 9, 0644), 0);
        CU_ASSERT_EQUAL(read_text_file(file, 4, &text), -EFBIG);
        CU_ASSERT_PTR_NULL(text);
        CU_ASSERT_EQUAL(read_text_file(missing, 4, &text), -ENOENT);
        unit_rm_rf(dir);
}

static void test_strdup_printf(void) {
        _cleanup_free_ char *s = strdup_printf("%s/%d", "a", 5);
        ASSERT_STR_EQ(s, "a/5");
}

/* clang-format off */
UNIT_MAIN("util",
          UNIT_TEST(test_safe_atou),
          UNIT_TEST(test_safe_atou64),
          UNIT_TEST(test_safe_atoi),
          UNIT_TEST(test_safe_atoi_strict),
          UNIT_TEST(test_strstrip_end),
          UNIT_TEST(test_strbuf_grows),
          UNIT_TEST(test_read_fd_limited),
          UNIT_TEST(test_files),
          UNIT_TEST(test_strdup_printf))
/* clang-format on */
