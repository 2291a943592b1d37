/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook's mdevctl callout on a simulated host: through the REAL mdevctl
 * where mdevctl can carry the case, and otherwise run exactly as mdevctl
 * 1.2.0 runs it (src/callouts.rs invoke_script: the same argv, the device
 * JSON on stdin without a trailing newline).
 *
 * mdevctl itself only holds string attribute values (src/mdev.rs
 * add_attributes), so a null/number/object/array value never reaches a
 * callout through it: test_mdevctl_never_passes_non_string_values pins
 * that, and the shape tests feed the callout those values directly. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define U1 "c1c1c1c1-0000-4000-8000-000000000001"
#define U2 "c1c1c1c1-0000-4000-8000-000000000002"
#define T4 "0000:3b:00.0"
#define V100 "0000:41:00.0"

static void install_callout(struct testhost *t) {
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "ln -sf %s/plugin/callout/gpuhook-callout /etc/mdevctl.d/scripts.d/callouts/gpuhook",
                                    testhost_build_root()),
                        0);
}

/* The callout as mdevctl runs it for mdev U1 of TYPE on the T4's parent. */
static int callout(struct testhost *t, const char *json, const char *type, const char *event, const char *action,
                   const char *state) {
        _cleanup_free_ char *bin = strdup_printf("%s/plugin/callout/gpuhook-callout", testhost_build_root());
        const char *argv[] = { bin, "-t", type, "-e", event, "-a", action, "-s", state, "-u", U1, "-p", T4, NULL };
        return testhost_run(t, json, argv);
}

static size_t count_lines(const char *s) {
        size_t n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

/* One line on stderr containing NEEDLE. */
static void assert_one_line(struct testhost *t, const char *needle) {
        CU_ASSERT_EQUAL(count_lines(t->err), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err ? t->err : "", needle));
        if (!strstr(t->err ? t->err : "", needle))
                fprintf(stderr, "\nexpected '%s' in: %s\n", needle, t->err);
}

static char *device_json(const char *attrs) {
        return strdup_printf("{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\",\"attrs\":%s}", attrs);
}

static const struct {
        const char *json, *shape;
} value_shapes[] = {
        { "null", "null" },          { "42", "a number" },    { "-4.5e3", "a number" },
        { "true", "a boolean" },     { "false", "a boolean" }, { "{\"frame_rate_limiter\":\"0\"}", "an object" },
        { "{}", "an object" },       { "[\"frame_rate_limiter=0\"]", "an array" },
        { "[]", "an array" },
};

/* A null value used to SIGSEGV the callout: mdevctl skips a callout killed
 * by a signal, so the veto silently vanished. Every shape is one line and
 * exit 1 at pre, for gpuhook's own attribute and for any other. */
static void test_callout_attribute_value_shapes(void) {
        struct testhost *t = testhost_new("t4");
        for (size_t i = 0; i < ELEMENTSOF(value_shapes); i++)
                for (int other = 0; other < 2; other++) {
                        const char *name = other ? "some/attr" : "nvidia/vgpu_params";
                        _cleanup_free_ char *attrs = strdup_printf("[{\"%s\":%s}]", name, value_shapes[i].json);
                        _cleanup_free_ char *json = device_json(attrs);
                        _cleanup_free_ char *needle = strdup_printf("mdev " U1 ": attribute '%s' (#0) in the device JSON is %s, not a string",
                                                                    name, value_shapes[i].shape);
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "start", "none"), 1);
                        assert_one_line(t, needle);
                        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "in the definition or --jsonfile given to mdevctl"));
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "define", "none"), 1);
                        assert_one_line(t, needle);
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "modify", "none"), 1);
                        assert_one_line(t, needle);
                        /* post: mdevctl ignores the status, but no crash and no write */
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "post", "start", "success"), 1);
                        assert_one_line(t, needle);
                        /* giving back is never vetoed, whatever the JSON */
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "stop", "none"), 0);
                        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "undefine", "none"), 0);
                }
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

static void test_callout_malformed_device_json(void) {
        static const struct {
                const char *json, *needle;
        } cases[] = {
                { "{\"mdev_type\":\"nvidia-222\",\"attrs\":[", "the device JSON on stdin ends before it is complete" },
                { "{\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"}", "the device JSON on stdin ends before it is complete" },
                { "nonsense", "the device JSON on stdin is not valid JSON (" },
                { "{\"attrs\":[{\"a\":\"1\",}]}", "the device JSON on stdin is not valid JSON (" },
                { "{} {}", "the device JSON on stdin is not valid JSON (unexpected character, near byte 3)" },
                { "null", "the device JSON on stdin is null, not an object" },
                { "[{\"a\":\"1\"}]", "the device JSON on stdin is an array, not an object" },
                { "\"attrs\"", "the device JSON on stdin is a string, not an object" },
                { "7", "the device JSON on stdin is a number, not an object" },
                { "{\"attrs\":{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"}}", "\"attrs\" in the device JSON is an object, not an array" },
                { "{\"attrs\":\"frame_rate_limiter=0\"}", "\"attrs\" in the device JSON is a string, not an array" },
                { "{\"attrs\":5}", "\"attrs\" in the device JSON is a number, not an array" },
                { "{\"attrs\":[\"nvidia/vgpu_params\"]}", "attribute #0 in the device JSON is a string, not a {\"name\": \"value\"} object" },
                { "{\"attrs\":[{\"a\":\"1\"},null]}", "attribute #1 in the device JSON is null, not a {\"name\": \"value\"} object" },
                { "{\"attrs\":[[\"a\",\"1\"]]}", "attribute #0 in the device JSON is an array, not a {\"name\": \"value\"} object" },
                { "{\"attrs\":[{}]}", "attribute #0 in the device JSON has 0 fields, not one {\"name\": \"value\"} pair" },
                { "{\"attrs\":[{\"a\":\"1\",\"b\":\"2\"}]}", "attribute #0 in the device JSON has 2 fields, not one {\"name\": \"value\"} pair" },
                { "{\"attrs\":[{\"nvidia/vgpu_params\":\"a\\u0000b\"}]}",
                  "attribute 'nvidia/vgpu_params' (#0) in the device JSON contains a NUL character" },
                { "{\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"},{\"nvidia/vgpu_params\":\"enable_uvm=1\"}]}",
                  "attribute 'nvidia/vgpu_params' appears more than once in the device JSON (again at #1)" },
                { "{\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\\nevil=1\"}]}",
                  "attribute 'nvidia/vgpu_params' (#0) in the device JSON contains a control character; give it as one line" },
                { "{\"attrs\":[{\"bad\\nname\":null}]}", "attribute 'bad?name' (#0) in the device JSON is null, not a string" },
                { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "the device JSON on stdin is not valid JSON (nesting too deep" },
                { "{\"attrs\":[{\"a\":'1'}]}", "the device JSON on stdin is not valid JSON (" },
        };
        struct testhost *t = testhost_new("t4");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *needle = strdup_printf("mdev " U1 ": %s", cases[i].needle);
                CU_ASSERT_EQUAL(callout(t, cases[i].json, "nvidia-222", "pre", "start", "none"), 1);
                assert_one_line(t, needle);
                CU_ASSERT_EQUAL(callout(t, cases[i].json, "nvidia-222", "pre", "define", "none"), 1);
                assert_one_line(t, needle);
                CU_ASSERT_EQUAL(callout(t, cases[i].json, "nvidia-222", "pre", "undefine", "none"), 0);
        }
        /* what mdevctl sends, and the shapes it accepts as "no attributes" */
        static const char *const fine[] = {
                "{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\",\"attrs\":[]}",
                "{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\",\"attrs\":null}",
                "{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\"}",
                "{\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"},{\"some/attr\":\"\"}]}\n",
                "{\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\\n\"},{\"some/attr\":\"a\\tb\"}]}",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(fine); i++) {
                CU_ASSERT_EQUAL(callout(t, fine[i], "nvidia-222", "pre", "start", "none"), 0);
                if (t->status)
                        fprintf(stderr, "\n%s -> %s\n", fine[i], t->err);
        }
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

/* Switched off (`gpuhookctl disable`, a cloud node): the callout says "not
 * mine" to everything, so mdevctl goes on as without gpuhook; switched on
 * again, it checks as before. */
static void test_callout_hands_off_when_switched_off(void) {
        struct testhost *t = testhost_new("t4");
        _cleanup_free_ char *dir = strdup_printf("%s/etc/gpuhook", t->dir), *marker = strdup_printf("%s/disabled", dir);
        CU_ASSERT_EQUAL(mkdir_p(dir, 0755), 0);
        CU_ASSERT_EQUAL(write_file_atomic(marker, "by test\n", 8, 0644), 0);
        CU_ASSERT_EQUAL(callout(t, "nonsense", "nvidia-222", "pre", "start", "none"), 2);
        CU_ASSERT_STRING_EQUAL(t->err ? t->err : "", "");
        CU_ASSERT_EQUAL(unlink(marker), 0);
        CU_ASSERT_EQUAL(callout(t, "nonsense", "nvidia-222", "pre", "start", "none"), 1);
        assert_one_line(t, "the device JSON on stdin is not valid JSON (");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

/* mdevctl writes the whole JSON before it reads the callout's status, and
 * ignores a callout that stopped reading early: the callout must drain a
 * huge input, then refuse it, or the veto is lost. */
static void test_callout_huge_device_json_through_mdevctl(void) {
        struct testhost *t = testhost_new("t4");
        install_callout(t);
        size_t n = 2u << 20;
        _cleanup_free_ char *junk = malloc(n + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
        memset(junk, ',', n);
        junk[n] = 0;
        _cleanup_free_ char *attrs = strdup_printf("[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0%s\"}]", junk);
        _cleanup_free_ char *json = device_json(attrs);
        CU_ASSERT_EQUAL(testhost_sh(t, json, "mdevctl define -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook: mdev " U1 ": the device JSON on stdin is larger than 1024 KiB"));
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "test -e /etc/mdevctl.d/" T4 "/" U1), 1); /* not defined */
        /* the same run directly: exit 1 after reading all of it */
        CU_ASSERT_EQUAL(callout(t, json, "nvidia-222", "pre", "start", "none"), 1);
        assert_one_line(t, "the device JSON on stdin is larger than 1024 KiB");
        testhost_free(t);
}

/* What mdevctl does carry (string values) with a bad shape for gpuhook is
 * vetoed through the real mdevctl with gpuhook's line. */
static void test_callout_bad_values_through_mdevctl(void) {
        struct testhost *t = testhost_new("t4");
        install_callout(t);
        _cleanup_free_ char *nul = device_json("[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\\u0000evil=1\"}]");
        CU_ASSERT_EQUAL(testhost_sh(t, nul, "mdevctl define -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook: mdev " U1 ": attribute 'nvidia/vgpu_params' (#0) in the device JSON contains a NUL"));
        _cleanup_free_ char *twice = device_json("[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"},{\"nvidia/vgpu_params\":\"evil=1\"}]");
        CU_ASSERT_EQUAL(testhost_sh(t, twice, "mdevctl start -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook: mdev " U1 ": attribute 'nvidia/vgpu_params' appears more than once"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "test -e /etc/mdevctl.d/" T4 "/" U1), 1);
        testhost_free(t);
}

/* mdevctl (1.2.0 panics, 1.3 refuses) never hands a callout a non-string
 * value: a logging callout sorted before gpuhook's sees no call at all. */
static void test_mdevctl_never_passes_non_string_values(void) {
        struct testhost *t = testhost_new("t4");
        install_callout(t);
        _cleanup_free_ char *log = strdup_printf("%s/callout-calls.log", t->tmp);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "printf '#!/bin/sh\\necho \"$*\" >> %s\\ncat >/dev/null\\nexit 2\\n' > /etc/mdevctl.d/scripts.d/callouts/0log && "
                                    "chmod +x /etc/mdevctl.d/scripts.d/callouts/0log",
                                    log),
                        0);
        for (size_t i = 0; i < ELEMENTSOF(value_shapes); i++) {
                _cleanup_free_ char *attrs = strdup_printf("[{\"nvidia/vgpu_params\":%s}]", value_shapes[i].json);
                _cleanup_free_ char *json = device_json(attrs);
                CU_ASSERT_NOT_EQUAL(testhost_sh(t, json, "mdevctl define -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 0);
                CU_ASSERT_NOT_EQUAL(testhost_sh(t, json, "mdevctl start -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 0);
        }
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "test -s %s", log), 1); /* no callout ran */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "test -e /etc/mdevctl.d/" T4 "/" U1), 1);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        /* and the logger does see a well-formed call: the probe works */
        _cleanup_free_ char *ok = device_json("[]");
        CU_ASSERT_EQUAL(testhost_sh(t, ok, "mdevctl define -u " U1 " -p " T4 " --jsonfile /dev/stdin"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "grep -q -- '-e pre -a define' %s", log), 0);
        testhost_free(t);
}

/* A definition uses no instance: define, modify and undefine pass on a
 * full parent (defining the running device that fills it included);
 * starting one more is vetoed with gpuhook's line. */
static void test_callout_define_on_full_parent(void) {
        struct testhost *t = testhost_new("t4");
        install_callout(t);
        /* nvidia-229 (T4-16Q) has one instance: U1 fills the card */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U1 " -p " T4 " -t nvidia-229"), 0);
        CU_ASSERT_EQUAL(testhost_available(t, T4, "nvidia-229"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u " U1), 0); /* the running device itself */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u " U2 " -p " T4 " -t nvidia-229"), 0);
        if (t->status)
                fprintf(stderr, "\n%s\n", t->err);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl modify -u " U2 " --auto"), 0);
        /* the attribute rules still hold for a definition */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl modify -u " U2 " --addattr=nvidia/vgpu_params --value=evil=1"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook: mdev " U2 ": 'evil' is not a vGPU plugin parameter NVIDIA documents"));
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl modify -u " U2 " --addattr=nvidia/vgpu_params --value=frame_rate_limiter=0"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl list -d -u " U2 " | grep -q 'nvidia-229 auto'"), 0);
        /* start takes an instance: vetoed, with gpuhook's message */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U2), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook: mdev " U2 ": no free instance of nvidia-229: " T4 " has 0 left (1 in use)"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U2));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, U2), 0); /* nothing created */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl undefine -u " U2), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl stop -u " U1), 0);
        /* capacity back: now it starts */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U1), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

/* The one-type rule is about instances too: defining another type on a
 * parent that hosts one is fine, starting it is not. */
static void test_callout_one_type_rule_only_at_start(void) {
        struct testhost *t = testhost_new("v100");
        install_callout(t);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U1 " -p " V100 " -t nvidia-299"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u " U2 " -p " V100 " -t nvidia-300"), 0);
        if (t->status)
                fprintf(stderr, "\n%s\n", t->err);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U2), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, V100 " already hosts nvidia-299; nvidia-300 cannot be added until it is empty"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U2));
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl stop -u " U1), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u " U2), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U2));
        testhost_free(t);
}

CUNIT_MAIN("callout",
           T(test_callout_attribute_value_shapes),
           T(test_callout_malformed_device_json),
           T(test_callout_huge_device_json_through_mdevctl),
           T(test_callout_bad_values_through_mdevctl),
           T(test_mdevctl_never_passes_non_string_values),
           T(test_callout_define_on_full_parent),
           T(test_callout_hands_off_when_switched_off),
           T(test_callout_one_type_rule_only_at_start))
