/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A broken gpuhook.conf fails only what needs it. The real hook (and
 * gpuhookctl) on simulated hosts: a domain without GPU hostdevs starts, a GPU
 * domain's prepare is refused in one line naming every bad line, a release
 * of a domain prepared before the config broke still gives its devices
 * back, every other op exits 0, and `gpuhookctl check` lists each error. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define V100 "0000:41:00.0"
#define RTX "0000:01:00.0"
#define DOM_UUID "0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11"
#define U1 "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"

/* Two mistakes (line 3 and line 7) around valid lines. */
static const char BROKEN[] = "# gpuhook.conf\n"
                             "placement = spread\n"
                             "placment = compact\n"
                             "create_timeout = 20\n"
                             "\n"
                             "# a comment\n"
                             "lock_timeout = 0\n";

static char *conf_path(struct testhost *t) { return strdup_printf("%s/etc/gpuhook/gpuhook.conf", t->dir); }

static char *mdev_domain(void) {
        _cleanup_free_ char *dev = testhost_mdev_hostdev(U1, NULL), *m = testhost_mdev_meta(U1, "nvidia-300", NULL);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        return testhost_domain_xml("vm1", DOM_UUID, dev, meta);
}

static char *pci_domain(void) {
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no");
        return testhost_domain_xml("vm1", DOM_UUID, dev, NULL);
}

static size_t count_lines(const char *s) {
        size_t n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

/* The one line a GPU domain's prepare fails with. */
static void assert_refusal_names_both_lines(struct testhost *t, int line) {
        _cleanup_free_ char *path = conf_path(t);
        _cleanup_free_ char *l3 = strdup_printf("%s:3: unknown key 'placment'", path);
        _cleanup_free_ char *l7 = strdup_printf("%s:7: bad value '0' for lock_timeout", path);
        _cleanup_free_ char *head = strdup_printf("gpuhook: domain 'vm1': %s has 2 errors: ", path);
        bool ok = t->status == 1 && !strncmp(t->err, head, strlen(head)) && strstr(t->err, l3) && strstr(t->err, l7) &&
                  strstr(t->err, "fix them and start the VM again") && count_lines(t->err) == 1 && !*t->out;
        if (!ok)
                fprintf(stderr, "line %d: exit %d, stderr: %s\n", line, t->status, t->err);
        CU_ASSERT_TRUE(ok);
}

static void test_domain_without_gpu_starts(void) {
        struct testhost *t = testhost_new("v100");
        static const char *const ops[][2] = { { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" },
                                              { "stopped", "end" }, { "release", "end" }, { "migrate", "begin" },
                                              { "restore", "begin" }, { "reconnect", "begin" } };
        /* no hostdev at all; a USB hostdev (not a GPU); gpuhook metadata but no hostdev */
        _cleanup_free_ char *m = testhost_mdev_meta(U1, "nvidia-300", NULL);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        char *xmls[] = {
                testhost_domain_xml("vm1", DOM_UUID, "", NULL),
                testhost_domain_xml("vm1", DOM_UUID,
                                    "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/>"
                                    "<product id='0xc52b'/></source></hostdev>",
                                    NULL),
                testhost_domain_xml("vm1", DOM_UUID, "", meta),
        };

        testhost_config(t, BROKEN);
        for (size_t x = 0; x < ELEMENTSOF(xmls); x++) {
                for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                        int r = testhost_hook(t, xmls[x], "vm1", ops[i][0], ops[i][1]);
                        if (r != 0 || *t->out || *t->err)
                                fprintf(stderr, "domain %zu, %s %s: exit %d, stdout '%s', stderr '%s'\n", x, ops[i][0],
                                        ops[i][1], r, t->out, t->err);
                        CU_ASSERT_EQUAL(r, 0);
                        CU_ASSERT_STRING_EQUAL(t->out, "");
                        CU_ASSERT_STRING_EQUAL(t->err, "");
                }
                free(xmls[x]);
        }
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_gpu_domain_refused_naming_every_bad_line(void) {
        /* an mdev domain */
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = mdev_domain();
        testhost_config(t, BROKEN);
        testhost_hook(t, xml, "vm1", "prepare", "begin");
        assert_refusal_names_both_lines(t, __LINE__);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        /* fixed: the same domain starts */
        testhost_config(t, "placement = spread\ncreate_timeout = 20\n");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);

        /* a PCI passthrough domain: nothing is unbound */
        t = testhost_new("desktop-rtx");
        _cleanup_free_ char *pxml = pci_domain();
        testhost_config(t, BROKEN);
        testhost_hook(t, pxml, "vm1", "prepare", "begin");
        assert_refusal_names_both_lines(t, __LINE__);
        _cleanup_free_ char *drv = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

/* One mistake: the message is that error itself. */
static void test_single_error_message(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = mdev_domain(), *path = NULL, *want = NULL;
        testhost_config(t, "placement = spread\nbind_timeout = soon\n");
        path = conf_path(t);
        want = strdup_printf("gpuhook: domain 'vm1': %s:2: bad value 'soon' for bind_timeout", path);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_TRUE(!strncmp(t->err, want, strlen(want)));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "fix it and start the VM again"));
        CU_ASSERT_EQUAL(count_lines(t->err), 1);
        testhost_free(t);
}

/* Prepared with a good config; the config breaks while the VM runs; release
 * follows the ledger and gives everything back. */
static void test_release_after_config_broke(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = mdev_domain();
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        testhost_config(t, BROKEN);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        if (t->status)
                fprintf(stderr, "mdev release: %s\n", t->err);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM_UUID ".xml");
        CU_ASSERT_NOT_EQUAL(access(ledger, F_OK), 0);
        testhost_free(t);

        t = testhost_new("desktop-rtx");
        _cleanup_free_ char *pxml = pci_domain();
        CU_ASSERT_EQUAL(testhost_hook(t, pxml, "vm1", "prepare", "begin"), 0);
        _cleanup_free_ char *during = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(during, "vfio-pci");
        testhost_config(t, BROKEN);
        CU_ASSERT_EQUAL(testhost_hook(t, pxml, "vm1", "release", "end"), 0);
        if (t->status)
                fprintf(stderr, "pci release: %s\n", t->err);
        _cleanup_free_ char *after = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(after, "nvidia");
        testhost_free(t);
}

/* gpuhookctl check: one ✗ per bad line, with file:line; status still works. */
static void test_ctl_check_lists_every_error(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *ctl = strdup_printf("%s/cli/gpuhookctl", testhost_build_root()), *path = NULL;
        if (access(ctl, X_OK) < 0) {
                printf("\n  note: skipped, gpuhookctl is not built\n");
                testhost_free(t);
                return;
        }
        testhost_config(t, BROKEN);
        path = conf_path(t);
        const char *check[] = { ctl, "check", NULL };
        testhost_run(t, NULL, check);
        _cleanup_free_ char *l3 = strdup_printf("gpuhook config: %s:3: unknown key 'placment'", path);
        _cleanup_free_ char *l7 = strdup_printf("gpuhook config: %s:7: bad value '0' for lock_timeout", path);
        const char *a = strstr(t->out, l3), *b = strstr(t->out, l7);
        if (!a || !b)
                fprintf(stderr, "check: exit %d\n%s\n%s\n", t->status, t->out, t->err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        CU_ASSERT_EQUAL(t->status, 1);
        /* each on its own ✗ line */
        for (const char *const *p = (const char *const[]){ a, b, NULL }; *p; p++) {
                const char *sol = *p, *eol = strchr(*p, '\n');
                while (sol > t->out && sol[-1] != '\n')
                        sol--;
                _cleanup_free_ char *line = strndup(sol, eol ? (size_t)(eol - sol) : strlen(sol));
                CU_ASSERT_PTR_NOT_NULL(line && strstr(line, "\xe2\x9c\x97")); /* ✗ */
        }
        const char *status[] = { ctl, "status", NULL };
        CU_ASSERT_EQUAL(testhost_run(t, NULL, status), 0);
        if (t->status)
                fprintf(stderr, "status: %s\n", t->err);
        testhost_free(t);
}

/* gpuhookctl check: each error says what to do, on its own line as
 * FILE:LINE: what; fix. A file of garbage stays a bounded report. */
static void test_ctl_check_fix_per_error_bounded(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *ctl = strdup_printf("%s/cli/gpuhookctl", testhost_build_root()), *path = NULL;
        if (access(ctl, X_OK) < 0) {
                printf("\n  note: skipped, gpuhookctl is not built\n");
                testhost_free(t);
                return;
        }
        const char *check[] = { ctl, "check", NULL };
        testhost_config(t, BROKEN);
        path = conf_path(t);
        testhost_run(t, NULL, check);
        _cleanup_free_ char *l3 = strdup_printf("gpuhook config: %s:3: unknown key 'placment'; did you mean 'placement'?\n", path);
        _cleanup_free_ char *l7 = strdup_printf("gpuhook config: %s:7: bad value '0' for lock_timeout (expected whole seconds from 1 to 3600); change the value",
                                                path);
        if (!strstr(t->out, l3) || !strstr(t->out, l7))
                fprintf(stderr, "check:\n%s\n", t->out);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, l3));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, l7));
        /* a key nothing is near: the list of keys */
        testhost_config(t, "zzzz = 1\n");
        testhost_run(t, NULL, check);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, ":1: unknown key 'zzzz'; the keys are placement, lock_timeout,"));

        /* 150 bad lines: 100 listed, the rest counted; the hook's one line counts all */
        struct strbuf text = { 0 };
        for (unsigned i = 0; i < 150; i++)
                strbuf_appendf(&text, "garbage line %u\n", i);
        testhost_config(t, strbuf_str(&text));
        strbuf_free(&text);
        testhost_run(t, NULL, check);
        CU_ASSERT_EQUAL(count_lines(t->out) > 0, 1);
        size_t listed = 0;
        for (const char *p = t->out; (p = strstr(p, "expected 'key = value'")); p++)
                listed++;
        CU_ASSERT_EQUAL(listed, 100);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "gpuhook config: 50 more errors after the first 100"));
        CU_ASSERT_EQUAL(t->status, 1);
        _cleanup_free_ char *xml = mdev_domain();
        testhost_hook(t, xml, "vm1", "prepare", "begin");
        _cleanup_free_ char *head = strdup_printf("%s has 150 errors: ", path);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, head));
        CU_ASSERT_EQUAL(count_lines(t->err), 1);
        testhost_free(t);
}

CUNIT_MAIN("config-errors",
           T(test_domain_without_gpu_starts),
           T(test_gpu_domain_refused_naming_every_bad_line),
           T(test_single_error_message),
           T(test_release_after_config_broke),
           T(test_ctl_check_lists_every_error),
           T(test_ctl_check_fix_per_error_bounded))
