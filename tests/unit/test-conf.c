/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conf.h"
#include "config.h"
#include "cunit-main.h"

#define PATH "/etc/gpuhook/gpuhook.conf"

static void test_defaults(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(c.placement, PLACEMENT_COMPACT);
        CU_ASSERT_EQUAL(c.lock_timeout_ms, 30000);
        CU_ASSERT_EQUAL(c.create_timeout_ms, 10000);
        CU_ASSERT_EQUAL(c.remove_timeout_ms, 10000);
        CU_ASSERT_EQUAL(c.log_level, LOG_INFO);
        CU_ASSERT_EQUAL(c.max_xml_bytes, 16u << 20);
        CU_ASSERT_PTR_NULL(c.state_dir);
        CU_ASSERT_PTR_NULL(c.mdevctl_path);
        CU_ASSERT_EQUAL(c.companion_classes, COMPANION_DEFAULT);
        CU_ASSERT_EQUAL(c.n_allow_devices, 0);
        CU_ASSERT_FALSE(c.allow_boot_console);
        CU_ASSERT_EQUAL(c.bind_timeout_ms, 10000);
        /* An empty file (or only comments) changes nothing. */
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, ""), 0);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, "# nothing\n\n   \n\t# indented comment\n"), 0);
        CU_ASSERT_EQUAL(c.lock_timeout_ms, 30000);
        ASSERT_NO_FAILURE();
        config_done(&c);
}

static void test_every_key_valid(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL_FATAL(config_parse_text(&c, PATH,
                                                "placement = spread\n"
                                                "lock_timeout = 3600\n"
                                                "create_timeout = 600\n"
                                                "remove_timeout = 1\n"
                                                "log_level = debug\n"
                                                "state_dir = /var/lib/gpuhook-test\n"
                                                "mdevctl = /usr/local/sbin/mdevctl\n"
                                                "max_xml_kib = 4\n"
                                                "companion_classes = display, audio\n"
                                                "allow_devices = 42:00.0, 0000:43:00.1 0000:44:00.0\n"
                                                "allow_boot_console = yes\n"
                                                "bind_timeout = 600\n"),
                              0);
        ASSERT_NO_FAILURE();
        CU_ASSERT_EQUAL(c.placement, PLACEMENT_SPREAD);
        CU_ASSERT_EQUAL(c.lock_timeout_ms, 3600000);
        CU_ASSERT_EQUAL(c.create_timeout_ms, 600000);
        CU_ASSERT_EQUAL(c.remove_timeout_ms, 1000);
        CU_ASSERT_EQUAL(c.log_level, LOG_DEBUG);
        ASSERT_STR_EQ(c.state_dir, "/var/lib/gpuhook-test");
        ASSERT_STR_EQ(c.mdevctl_path, "/usr/local/sbin/mdevctl");
        CU_ASSERT_EQUAL(c.max_xml_bytes, 4096);
        CU_ASSERT_EQUAL(c.companion_classes, COMPANION_DISPLAY | COMPANION_AUDIO);
        CU_ASSERT_EQUAL_FATAL(c.n_allow_devices, 3);
        ASSERT_STR_EQ(c.allow_devices[0], "0000:42:00.0"); /* canonical */
        ASSERT_STR_EQ(c.allow_devices[1], "0000:43:00.1");
        ASSERT_STR_EQ(c.allow_devices[2], "0000:44:00.0");
        CU_ASSERT_TRUE(c.allow_boot_console);
        CU_ASSERT_EQUAL(c.bind_timeout_ms, 600000);

        /* Spacing around '=' is free; the last setting of a key wins. */
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH,
                                          "placement=compact\n"
                                          "  log_level\t=\terror  \n"
                                          "log_level = warning\n"
                                          "max_xml_kib = 1048576\r\n"
                                          "state_dir = /run/x\n"
                                          "companion_classes = none\n"
                                          "allow_boot_console = false\n"),
                        0);
        CU_ASSERT_EQUAL(c.placement, PLACEMENT_COMPACT);
        CU_ASSERT_EQUAL(c.log_level, LOG_WARNING);
        CU_ASSERT_EQUAL(c.max_xml_bytes, (size_t)1048576 * 1024);
        ASSERT_STR_EQ(c.state_dir, "/run/x");
        CU_ASSERT_EQUAL(c.companion_classes, 0);
        CU_ASSERT_FALSE(c.allow_boot_console);
        for (const char *const *b = (const char *const[]){ "1", "true", "yes", NULL }; *b; b++) {
                char line[64];
                c.allow_boot_console = false;
                snprintf(line, sizeof(line), "allow_boot_console = %s\n", *b);
                CU_ASSERT_EQUAL(config_parse_text(&c, PATH, line), 0);
                unit_check(c.allow_boot_console, __LINE__, __FILE__, "allow_boot_console = %s is not true", *b);
        }
        config_done(&c);
        CU_ASSERT_PTR_NULL(c.state_dir);
        CU_ASSERT_PTR_NULL(c.mdevctl_path);
}

/* TEXT is rejected with "PATH:LINE: bad value 'SHOWN' for KEY". */
static void expect_bad_value(const char *key, const char *value, unsigned line) {
        struct gpuhook_config c;
        char text[256], want[256];

        config_init_defaults(&c);
        log_failure_clear();
        snprintf(text, sizeof(text), "# header\n%s = %s\n", key, value);
        snprintf(want, sizeof(want), PATH ":2: bad value '%s' for %s", value, key);
        int r = config_parse_text(&c, PATH, text);
        unit_check(r == -EINVAL, line, __FILE__, "%s = %s: returned %d, expected -EINVAL", key, value, r);
        const char *f = log_failure();
        unit_check(f && strstr(f, want), line, __FILE__, "%s = %s: failure '%s' lacks '%s'", key, value,
                   f ? f : "(none)", want);
        config_done(&c);
}

static void test_every_key_invalid(void) {
        expect_bad_value("placement", "Compact", __LINE__);
        expect_bad_value("placement", "fill", __LINE__);
        expect_bad_value("lock_timeout", "0", __LINE__);
        expect_bad_value("lock_timeout", "3601", __LINE__);
        expect_bad_value("lock_timeout", "-1", __LINE__);
        expect_bad_value("lock_timeout", "30s", __LINE__);
        expect_bad_value("lock_timeout", "1.5", __LINE__);
        expect_bad_value("lock_timeout", "99999999999", __LINE__);
        expect_bad_value("create_timeout", "601", __LINE__);
        expect_bad_value("create_timeout", "0", __LINE__);
        expect_bad_value("remove_timeout", "601", __LINE__);
        expect_bad_value("remove_timeout", "ten", __LINE__);
        expect_bad_value("log_level", "verbose", __LINE__);
        expect_bad_value("log_level", "DEBUG", __LINE__);
        expect_bad_value("state_dir", "run/gpuhook", __LINE__);
        expect_bad_value("state_dir", "/run/../etc", __LINE__);
        expect_bad_value("mdevctl", "mdevctl", __LINE__);
        expect_bad_value("mdevctl", "/usr/../tmp/mdevctl", __LINE__);
        expect_bad_value("max_xml_kib", "3", __LINE__);
        expect_bad_value("max_xml_kib", "1048577", __LINE__);
        expect_bad_value("max_xml_kib", "16M", __LINE__);
        expect_bad_value("companion_classes", "gpu", __LINE__);
        expect_bad_value("companion_classes", "display none", __LINE__);
        expect_bad_value("allow_devices", "0000:41:00.8", __LINE__);
        expect_bad_value("allow_devices", "0000:41:00.0, ../x", __LINE__);
        expect_bad_value("allow_boot_console", "maybe", __LINE__);
        expect_bad_value("allow_boot_console", "YES", __LINE__);
        expect_bad_value("bind_timeout", "0", __LINE__);
        expect_bad_value("bind_timeout", "601", __LINE__);
}

/* Regression: a path ending in "/.." ("/run/gpuhook/..", "/..") was once
 * accepted although the error text promises "an absolute path without '..'";
 * state_dir = /run/.. would put ledgers in /domains. */
static void test_state_dir_trailing_dotdot(void) {
        expect_bad_value("state_dir", "/run/gpuhook/..", __LINE__);
        expect_bad_value("mdevctl", "/usr/sbin/..", __LINE__);
}

static void test_empty_value(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, "placement =\n"), -EINVAL);
        ASSERT_FAILURE_HAS(PATH ":1: bad value '' for placement");
        config_done(&c);
}

static void test_unknown_key(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, "placement = spread\nplacment = compact\n"), -EINVAL);
        ASSERT_FAILURE_HAS(PATH ":2: unknown key 'placment'");
        config_done(&c);
}

static void test_not_key_value(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, "\n\nplacement spread\n"), -EINVAL);
        ASSERT_FAILURE_HAS(PATH ":3: expected 'key = value'");
        ASSERT_FAILURE_HAS("placement spread");
        config_done(&c);
}

static void test_line_numbers_with_comments(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, "x.conf",
                                          "# gpuhook configuration\n"
                                          "\n"
                                          "placement = spread\n"
                                          "   # indented comment\n"
                                          "\r\n"
                                          "\n"
                                          "lock_timeout = 0\n"),
                        -EINVAL);
        ASSERT_FAILURE_HAS("x.conf:7: bad value '0' for lock_timeout");
        config_done(&c);
}

static void test_message_sanitized(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, "\x1b[31mkey = 1\n"), -EINVAL);
        ASSERT_FAILURE_HAS(":1: unknown key '?[31mkey'");
        config_done(&c);
}

static void test_load_file(void) {
        _cleanup_free_ char *dir = unit_mkdtemp(), *path = NULL, *missing = NULL;
        struct gpuhook_config c;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        path = strdup_printf("%s/gpuhook.conf", dir);
        missing = strdup_printf("%s/absent.conf", dir);

        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load(&c, missing), 0); /* no file: defaults */
        CU_ASSERT_EQUAL(c.placement, PLACEMENT_COMPACT);
        ASSERT_NO_FAILURE();

        CU_ASSERT_EQUAL(unit_write(dir, "gpuhook.conf", "placement = spread\n\nbogus = 1\n"), 0);
        CU_ASSERT_EQUAL(config_load(&c, path), -EINVAL);
        char want[512];
        snprintf(want, sizeof(want), "%s:3: unknown key 'bogus'", path);
        ASSERT_FAILURE_HAS(want);

        /* A directory is not a config file: an error, not defaults. */
        log_failure_clear();
        CU_ASSERT_TRUE(config_load(&c, dir) < 0);
        ASSERT_FAILURE_HAS("cannot read config");
        config_done(&c);
        unit_rm_rf(dir);
}

#if GPUHOOK_TEST_HOOKS
/* A test build (meson -Dtest_hooks=true): $GPUHOOK_CONFIG and
 * $GPUHOOK_STATE_DIR steer the config, as the simulated-host tests need. */
static void test_load_default_env(void) {
        _cleanup_free_ char *dir = unit_mkdtemp(), *path = NULL;
        struct gpuhook_config c;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        path = strdup_printf("%s/gpuhook.conf", dir);
        CU_ASSERT_EQUAL(unit_write(dir, "gpuhook.conf", "state_dir = /from/file\ncreate_timeout = 5\n"), 0);

        setenv("GPUHOOK_CONFIG", path, 1);
        unsetenv("GPUHOOK_STATE_DIR");
        ASSERT_STR_EQ(test_getenv("GPUHOOK_CONFIG"), path);
        ASSERT_STR_EQ(config_default_path(), path);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_STR_EQ(c.state_dir, "/from/file");
        CU_ASSERT_EQUAL(c.create_timeout_ms, 5000);
        config_done(&c);

        /* The environment wins over the file. */
        setenv("GPUHOOK_STATE_DIR", "/tmp/gpuhook-env-state", 1);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_STR_EQ(c.state_dir, "/tmp/gpuhook-env-state");
        CU_ASSERT_EQUAL(c.create_timeout_ms, 5000);
        config_done(&c);

        /* A bad override is a config error naming the variable; the file's
         * values stay. */
        setenv("GPUHOOK_STATE_DIR", "relative/dir", 1);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_NO_FAILURE();
        CU_ASSERT_EQUAL_FATAL(c.n_errors, 1);
        ASSERT_STR_HAS(c.errors[0], "GPUHOOK_STATE_DIR: expected an absolute path");
        ASSERT_STR_EQ(c.state_dir, "/from/file");
        config_done(&c);

        /* Neither file nor environment: the built-in state dir. */
        unsetenv("GPUHOOK_STATE_DIR");
        CU_ASSERT_EQUAL(unit_write(dir, "gpuhook.conf", "# empty\n"), 0);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_STR_EQ(c.state_dir, GPUHOOK_STATE_DIR_DEFAULT);
        config_done(&c);

        unsetenv("GPUHOOK_CONFIG");
        ASSERT_STR_EQ(config_default_path(), GPUHOOK_CONFIG_PATH);
        unit_rm_rf(dir);
}
#else
/* The default (and packaged) build: GPUHOOK_* never steer the config of a
 * root hook. This branch is what a build without -Dtest_hooks runs. */
static void test_load_default_env(void) {
        setenv("GPUHOOK_CONFIG", "/tmp/gpuhook-env-config.conf", 1);
        setenv("GPUHOOK_STATE_DIR", "/tmp/gpuhook-env-state", 1);
        CU_ASSERT_PTR_NULL(test_getenv("GPUHOOK_CONFIG"));
        CU_ASSERT_PTR_NULL(test_getenv("PATH"));
        ASSERT_STR_EQ(config_default_path(), GPUHOOK_CONFIG_PATH);
        struct gpuhook_config c;
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c.state_dir);
        CU_ASSERT_STRING_NOT_EQUAL(c.state_dir, "/tmp/gpuhook-env-state");
        config_done(&c);
        unsetenv("GPUHOOK_CONFIG");
        unsetenv("GPUHOOK_STATE_DIR");
}
#endif

/* Two mistakes: both reported with file:line, every valid line applied. */
static void test_all_errors_reported_valid_values_kept(void) {
        struct gpuhook_config c;

        config_init_defaults(&c);
        log_failure_clear();
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH,
                                          "# gpuhook\n"
                                          "placement = spread\n"
                                          "placment = compact\n"
                                          "create_timeout = 20\n"
                                          "lock_timeout = 0\n"
                                          "allow_boot_console = yes\n"),
                        -EINVAL);
        CU_ASSERT_EQUAL_FATAL(c.n_errors, 2);
        ASSERT_STR_EQ(c.errors[0], PATH ":3: unknown key 'placment'");
        ASSERT_STR_HAS(c.errors[1], PATH ":5: bad value '0' for lock_timeout");
        /* the valid lines, before and after the bad ones */
        CU_ASSERT_EQUAL(c.placement, PLACEMENT_SPREAD);
        CU_ASSERT_EQUAL(c.create_timeout_ms, 20000);
        CU_ASSERT_TRUE(c.allow_boot_console);
        /* the bad key keeps its default */
        CU_ASSERT_EQUAL(c.lock_timeout_ms, 30000);
        /* one line naming both */
        _cleanup_free_ char *sum = config_errors_summary(&c);
        ASSERT_STR_HAS(sum, PATH " has 2 errors: " PATH ":3: unknown key 'placment'; " PATH ":5: bad value '0'");
        CU_ASSERT_PTR_NULL(strchr(sum, '\n'));
        ASSERT_FAILURE_HAS(PATH ":3: unknown key 'placment'");
        ASSERT_FAILURE_HAS(PATH ":5: bad value '0' for lock_timeout");
        log_failure_clear();
        config_done(&c);
        CU_ASSERT_EQUAL(c.n_errors, 0);
        CU_ASSERT_PTR_NULL(c.errors);
}

/* Many bad lines: all recorded, the one-line summary lists ten. */
static void test_many_errors_summary_bounded(void) {
        struct gpuhook_config c;
        struct strbuf text = { 0 };

        for (unsigned i = 0; i < 25; i++)
                CU_ASSERT_TRUE(strbuf_appendf(&text, "bogus%u = 1\n", i) >= 0);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_parse_text(&c, PATH, strbuf_str(&text)), -EINVAL);
        CU_ASSERT_EQUAL(c.n_errors, 25);
        ASSERT_STR_EQ(c.errors[24], PATH ":25: unknown key 'bogus24'");
        _cleanup_free_ char *sum = config_errors_summary(&c);
        ASSERT_STR_HAS(sum, PATH " has 25 errors: ");
        ASSERT_STR_HAS(sum, PATH ":10: unknown key 'bogus9'; and 15 more (`gpuhookctl check` lists them all)");
        ASSERT_STR_LACKS(sum, "bogus10'");
        log_failure_clear();
        config_done(&c);
        strbuf_free(&text);
}

/* The host's config with mistakes: loading succeeds with what is valid,
 * nothing is recorded as the failure (release and reconcile must go on),
 * the errors are there for what needs the policy. */
static void test_load_default_with_errors_does_not_fail(void) {
#if GPUHOOK_TEST_HOOKS /* the default build reads only the built-in path */
        _cleanup_free_ char *dir = unit_mkdtemp(), *path = NULL;
        struct gpuhook_config c;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        path = strdup_printf("%s/gpuhook.conf", dir);
        CU_ASSERT_EQUAL(unit_write(dir, "gpuhook.conf", "state_dir = /from/file\nplacment = spread\nbind_timeout = never\n"), 0);
        setenv("GPUHOOK_CONFIG", path, 1);
        unsetenv("GPUHOOK_STATE_DIR");
        log_failure_clear();
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_NO_FAILURE();
        CU_ASSERT_TRUE(config_has_errors(&c));
        CU_ASSERT_EQUAL_FATAL(c.n_errors, 2);
        char want[512];
        snprintf(want, sizeof(want), "%s:2: unknown key 'placment'", path);
        ASSERT_STR_EQ(c.errors[0], want);
        snprintf(want, sizeof(want), "%s:3: bad value 'never' for bind_timeout", path);
        ASSERT_STR_HAS(c.errors[1], want);
        ASSERT_STR_EQ(c.state_dir, "/from/file");
        CU_ASSERT_EQUAL(c.bind_timeout_ms, 10000);
        config_done(&c);

        /* An unreadable file (a directory) is an error too, not a failure. */
        setenv("GPUHOOK_CONFIG", dir, 1);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_NO_FAILURE();
        CU_ASSERT_EQUAL_FATAL(c.n_errors, 1);
        ASSERT_STR_HAS(c.errors[0], "cannot read config");
        ASSERT_STR_EQ(c.state_dir, GPUHOOK_STATE_DIR_DEFAULT);
        config_done(&c);

        /* A failure recorded before loading stays the failure. */
        log_fail(-EIO, "earlier failure");
        setenv("GPUHOOK_CONFIG", path, 1);
        config_init_defaults(&c);
        CU_ASSERT_EQUAL(config_load_default(&c), 0);
        ASSERT_FAILURE_HAS("earlier failure");
        config_done(&c);
        log_failure_clear();

        unsetenv("GPUHOOK_CONFIG");
        unit_rm_rf(dir);
#endif
}

/* clang-format off */
UNIT_MAIN("conf",
          UNIT_TEST(test_defaults),
          UNIT_TEST(test_every_key_valid),
          UNIT_TEST(test_every_key_invalid),
          UNIT_TEST(test_state_dir_trailing_dotdot),
          UNIT_TEST(test_empty_value),
          UNIT_TEST(test_unknown_key),
          UNIT_TEST(test_not_key_value),
          UNIT_TEST(test_line_numbers_with_comments),
          UNIT_TEST(test_message_sanitized),
          UNIT_TEST(test_load_file),
          UNIT_TEST(test_load_default_env),
          UNIT_TEST(test_all_errors_reported_valid_values_kept),
          UNIT_TEST(test_many_errors_summary_bounded),
          UNIT_TEST(test_load_default_with_errors_does_not_fail))
/* clang-format on */
