/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real hook through a domain's whole lifecycle on simulated hosts, with
 * the real mdevctl: what a `virsh start` / `virsh destroy` user would see. */
#include <sys/wait.h>

#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define V100 "0000:41:00.0"
#define DOM_UUID "0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11"
#define U1 "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"
#define U2 "1360ce4b-2ed2-4f63-abb6-8cdb92100085"
#define U3 "3b2f1d8a-5c6e-4f70-8a91-b2c3d4e5f607"
#define U4 "4c3e2e9b-6d7f-4081-9ba2-c3d4e5f60718"

static const char *const LIFECYCLE[][2] = {
        { "prepare", "begin" }, { "start", "begin" }, { "started", "begin" }, { "stopped", "end" }, { "release", "end" },
};

static char *meta_wrap(const char *inner) {
        return strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", inner);
}

/* A domain with one mdev hostdev per UUID, each described in the metadata as TYPE. */
static char *domain_with(const char *name, const char *dom_uuid, const char *type, const char *extra,
                         const char *const *uuids, size_t n) {
        struct strbuf dev = { 0 }, meta = { 0 };
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *h = testhost_mdev_hostdev(uuids[i], NULL), *m = testhost_mdev_meta(uuids[i], type, extra);
                strbuf_appendf(&dev, "%s", h);
                strbuf_appendf(&meta, "%s", m);
        }
        _cleanup_free_ char *wrapped = meta_wrap(strbuf_str(&meta));
        char *xml = testhost_domain_xml(name, dom_uuid, strbuf_str(&dev), wrapped);
        strbuf_free(&dev);
        strbuf_free(&meta);
        return xml;
}

static void test_vgpu_lifecycle_v100(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-300", NULL, uuids, 1);

        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 2);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
        for (size_t i = 0; i < ELEMENTSOF(LIFECYCLE); i++) {
                int r = testhost_hook(t, xml, "vm1", LIFECYCLE[i][0], LIFECYCLE[i][1]);
                CU_ASSERT_EQUAL(r, 0);
                CU_ASSERT_STRING_EQUAL(t->out, ""); /* stdout stays empty */
                if (r)
                        fprintf(stderr, "%s %s: %s\n", LIFECYCLE[i][0], LIFECYCLE[i][1], t->err);
                if (i < ELEMENTSOF(LIFECYCLE) - 1) {
                        /* between prepare and release the vGPU exists on the V100 */
                        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
                        _cleanup_free_ char *parent = testhost_mdev_parent(t, U1);
                        CU_ASSERT_STRING_EQUAL(parent ? parent : "", V100);
                        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 1);
                        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 0); /* one type per GPU */
                        _cleanup_free_ char *api = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/mdev_type/device_api");
                        CU_ASSERT_STRING_EQUAL(api ? api : "", "vfio-pci");
                }
        }
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 2);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM_UUID ".xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1); /* nothing left to release */
        testhost_free(t);
}

static void test_type_by_name_and_named_parent(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "GRID V100-16C", "parent='0000:41:00.0' placement='spread'", uuids, 1);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        _cleanup_free_ char *type = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/mdev_type/name");
        CU_ASSERT_STRING_EQUAL(type ? type : "", "GRID V100-16C");
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-301"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

static void test_foreign_mdev_untouched(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(U2, NULL), *xml = testhost_domain_xml("vm1", DOM_UUID, dev, NULL);

        /* Somebody else (Nova, oVirt, a human) created it. */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p %s -t nvidia-299", U2, V100), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U2));
        for (size_t i = 0; i < ELEMENTSOF(LIFECYCLE); i++)
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", LIFECYCLE[i][0], LIFECYCLE[i][1]), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U2)); /* never destroyed by gpuhook */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/" U2 "/remove"), 0);
        testhost_free(t);
}

static void test_mdevctl_definition_started_and_stopped(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(U3, NULL), *xml = testhost_domain_xml("vm1", DOM_UUID, dev, NULL);

        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u %s -p %s -t nvidia-300", U3, V100), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U3));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U3));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U3));
        /* stopped, never undefined */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl list --defined"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, U3));
        testhost_free(t);
}

static void test_missing_recipe_error(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(U1, NULL), *xml = testhost_domain_xml("vm1", DOM_UUID, dev, NULL);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "mdev " U1 " does not exist"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "<gpuhook:mdev uuid='" U1 "'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "mdevctl define -u " U1));
        /* exactly one line on stderr */
        CU_ASSERT_PTR_NOT_NULL(strchr(t->err, '\n'));
        CU_ASSERT_PTR_EQUAL(strchr(t->err, '\n'), t->err + strlen(t->err) - 1);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        testhost_free(t);
}

static void test_exhaustion_message_and_rollback(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1, U2, U3 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-300", NULL, uuids, 3);

        /* nvidia-300 has 2 instances: planning refuses before creating anything */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "no free instance of nvidia-300"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, V100 " has 0 left"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create"), 0);
        /* libvirt then runs release: nothing to do, exit 0 */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        testhost_free(t);
}

/* The third of four creations fails at creation time (an mdevctl callout
 * vetoes it, as a vendor callout would): the first two are destroyed.
 * The callout reads its stdin first: mdevctl 1.2.0 ignores the exit status
 * of a callout that exited before it finished writing the device JSON. */
static void test_all_or_nothing_when_third_create_fails(void) {
        struct testhost *t = testhost_new("mtty");
        const char *uuids[] = { U1, U2, U3, U4 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "mtty-1", NULL, uuids, 4);

        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "printf '#!/bin/sh\\ncat >/dev/null\\ncase \"$*\" in *\"-e pre\"*\"-u %s\"*) echo vetoed by test >&2; exit 1;; esac\\nexit 2\\n' > /etc/mdevctl.d/scripts.d/callouts/veto && chmod +x /etc/mdevctl.d/scripts.d/callouts/veto",
                                    U3),
                        0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot create mdev " U3));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, "mtty", "mtty-1"), 24);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/" U1 "/remove"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/" U2 "/remove"), 1);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM_UUID ".xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

/* With only gpuhook's own callout installed (as packaged) the hook creates
 * and removes through sysfs: the callout does not run for the hook's device,
 * mdevctl still lists it; with any other callout or notifier installed, the
 * hook goes through mdevctl so that it runs. A logging callout tells which. */
static void test_sysfs_directly_unless_other_callouts(void) {
        struct testhost *t = testhost_new("mtty");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "mtty-1", NULL, uuids, 1);

        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "ln -sf %s/plugin/callout/gpuhook-callout /etc/mdevctl.d/scripts.d/callouts/gpuhook",
                                    testhost_build_root()),
                        0);
        /* no mdevctl to run: the hook must not need it */
        testhost_config(t, "mdevctl = /nonexistent/mdevctl\n");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "\n%s", t->err);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl list | grep -q '^%s mtty mtty-1'", U1), 0); /* mdevctl sees it */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/" U1 "/remove"), 1);

        /* a notifier of someone else's: mdevctl runs it, so gpuhook uses mdevctl */
        testhost_config(t, "");
        _cleanup_free_ char *log = strdup_printf("%s/notified", t->dir);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "mkdir -p /etc/mdevctl.d/scripts.d/notifiers && "
                                    "printf '#!/bin/sh\necho \"$*\" >> %s\n' > /etc/mdevctl.d/scripts.d/notifiers/log && "
                                    "chmod +x /etc/mdevctl.d/scripts.d/notifiers/log",
                                    log),
                        0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "grep -q -- '-u %s' %s", U1, log), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

static void test_prepare_twice_and_release_without_prepare(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-299", NULL, uuids, 1);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create"), 1);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 3);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
        testhost_free(t);
}

static void test_release_after_sigkilled_prepare(void) {
        static const char *const steps[] = { "locked", "mdev-recorded", "mdev-created", "mdev-committed" };
        for (size_t s = 0; s < ELEMENTSOF(steps); s++) {
                struct testhost *t = testhost_new("v100");
                const char *uuids[] = { U1, U2 };
                _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-299", NULL, uuids, 2);
                _cleanup_free_ char *cmd = strdup_printf("GPUHOOK_FAULT_KILL_AT=%s exec %s/hooks/gpuhook vm1 prepare begin -",
                                                         steps[s], testhost_build_root());
                const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
                int st = testhost_run(t, xml, argv);
                CU_ASSERT_NOT_EQUAL(st, 0); /* killed */
                if (s >= 2)
                        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1); /* died holding a created mdev */
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
                CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
                CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
                _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM_UUID ".xml");
                CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
                testhost_free(t);
        }
}

static void test_uuid_held_by_another_domain(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *a = domain_with("vm-a", DOM_UUID, "nvidia-299", NULL, uuids, 1);
        _cleanup_free_ char *b = domain_with("vm-b", "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d", "nvidia-299", NULL, uuids, 1);

        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm-a", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm-b", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "held by domain 'vm-a'"));
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm-b", "release", "end"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1)); /* vm-b's release never touches vm-a's device */
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm-a", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

static void test_hostile_parent_and_type_write_nothing(void) {
        struct testhost *t = testhost_new("v100");
        static const char *const attrs[] = {
                "parent='../../../../etc'", "parent='0000:41:00.0/../..'", "parent='.'",
        };
        const char *uuids[] = { U1 };
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-300", attrs[i], uuids, 1);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "not a valid device name"));
        }
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "../../../nvidia-300", NULL, uuids, 1);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "no mdev parent on this host offers type"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

static void test_migrate_and_restore_print_nothing(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-300", NULL, uuids, 1);
        static const char *const ops[][2] = { { "migrate", "begin" }, { "restore", "begin" }, { "reconnect", "begin" } };
        for (size_t i = 0; i < ELEMENTSOF(ops); i++) {
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", ops[i][0], ops[i][1]), 0);
                CU_ASSERT_STRING_EQUAL(t->out, "");
        }
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_oversized_stdin_refused(void) {
        struct testhost *t = testhost_new("v100");
        size_t n = 50u << 20; /* 50 MB */
        char *big = malloc(n + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memset(big, ' ', n);
        memcpy(big, "<domain><hostdev>", 17);
        big[n] = 0;
        CU_ASSERT_EQUAL(testhost_hook(t, big, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "larger than 16384 KiB"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        free(big);
        testhost_free(t);
}

static void test_bad_config_named_with_line(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = domain_with("vm1", DOM_UUID, "nvidia-300", NULL, uuids, 1);

        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mkdir -p \"$(dirname \"$GPUHOOK_CONFIG\")\" && printf '# comment\\n\\nplacement = spread\\nplacment = compact\\n' > \"$GPUHOOK_CONFIG\""), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook.conf:4: unknown key 'placment'"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf 'create_timeout = soon\\n' > \"$GPUHOOK_CONFIG\""), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "gpuhook.conf:1: bad value 'soon' for create_timeout"));
        testhost_free(t);
}

CUNIT_MAIN("mdev-lifecycle",
           T(test_oversized_stdin_refused),
           T(test_bad_config_named_with_line),
           T(test_vgpu_lifecycle_v100),
           T(test_type_by_name_and_named_parent),
           T(test_foreign_mdev_untouched),
           T(test_mdevctl_definition_started_and_stopped),
           T(test_missing_recipe_error),
           T(test_exhaustion_message_and_rollback),
           T(test_all_or_nothing_when_third_create_fails),
           T(test_sysfs_directly_unless_other_callouts),
           T(test_prepare_twice_and_release_without_prepare),
           T(test_release_after_sigkilled_prepare),
           T(test_uuid_held_by_another_domain),
           T(test_hostile_parent_and_type_write_nothing),
           T(test_migrate_and_restore_print_nothing))
