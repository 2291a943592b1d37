/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end with a real libvirtd (private mount namespace, own daemons):
 * `virsh` drives domains, libvirt runs the installed gpuhook, and gpuhook
 * acts on a simulated host. */
#include "cunit-run.h"
#include "spawn.h"
#include "testhost.h"
#include "util.h"

#define MDEV "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"

static char *out, *err;
static int status;

/* Run SCRIPT (bash) next to a private libvirtd hooked to testbed T. */
static int with_libvirtd(struct testhost *t, const char *script) {
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", testhost_source_root());
        char *const argv[] = { wrapper, (char *)testhost_build_root(), t->dir, t->host, (char *)"--", (char *)"bash",
                               (char *)"-c", (char *)script, NULL };
        free(out);
        free(err);
        out = err = NULL;
        status = spawn_run(argv, 300000, &out, &err);
        if (status != 0)
                fprintf(stderr, "--- script exited %d\nstdout:\n%s\nstderr:\n%s\n", status, out, err);
        return status;
}

static const char *plain_domain =
        "<domain type='kvm'><name>plain</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>";

static void test_domain_without_hostdev_starts_and_stops(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "set -e; echo \"%s\" > /tmp/plain.xml; virsh define /tmp/plain.xml >/dev/null;"
                "virsh start plain; virsh domstate plain; virsh destroy plain; virsh domstate plain",
                plain_domain);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain 'plain' started"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "running"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "shut off"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0); /* the hook touched nothing */
        testhost_free(t);
}

static void test_vgpu_created_at_prepare_and_removed_at_release(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "virsh define %s/tools/demo/v100-vgpu.xml >/dev/null || exit 1;"
                "if virsh start demo-vgpu; then echo UNEXPECTED-START; fi; exit 0",
                testhost_source_root());
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        /* libvirt failed on the real machine (no VFIO/mdev here) after gpuhook's prepare */
        CU_ASSERT_PTR_NULL(strstr(out, "UNEXPECTED-START"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failed to start domain 'demo-vgpu'"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:")); /* not gpuhook's failure */
        /* prepare created the vGPU in the simulated host, release removed it */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" MDEV "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, MDEV "/remove \"1\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, "0000:41:00.0", "nvidia-300"), 2);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5.xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

static void test_capacity_error_shown_by_virsh_start(void) {
        struct testhost *t = testhost_new("v100");
        struct strbuf dev = { 0 }, meta = { 0 };
        const char *uuids[] = { "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
                                "33333333-3333-4333-8333-333333333333" };
        for (size_t i = 0; i < ELEMENTSOF(uuids); i++) {
                _cleanup_free_ char *h = testhost_mdev_hostdev(uuids[i], NULL), *m = testhost_mdev_meta(uuids[i], "nvidia-300", NULL);
                strbuf_appendf(&dev, "%s", h);
                strbuf_appendf(&meta, "%s", m);
        }
        _cleanup_free_ char *wrapped = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>",
                                                     strbuf_str(&meta));
        _cleanup_free_ char *xml = testhost_domain_xml("cap3", "7e57c0de-0000-4000-8000-000000000003", strbuf_str(&dev), wrapped);
        _cleanup_free_ char *script = strdup_printf("cat > /tmp/cap3.xml <<'X'\n%s\nX\n"
                                                    "virsh define /tmp/cap3.xml >/dev/null || exit 1; virsh start cap3; exit 0",
                                                    xml);
        strbuf_free(&dev);
        strbuf_free(&meta);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        /* gpuhook's one line, verbatim in virsh's error output */
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "gpuhook: domain 'cap3': cannot create mdev 33333333-3333-4333-8333-333333333333: no free instance of nvidia-300: 0000:41:00.0 has 0 left"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create"), 0);
        testhost_free(t);
}

static void test_save_restore_keeps_domain_xml(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "set -e; echo \"%s\" > /tmp/plain.xml; virsh define /tmp/plain.xml >/dev/null; virsh start plain >/dev/null;"
                "virsh save plain /var/lib/libvirt/plain.save >/dev/null; virsh restore /var/lib/libvirt/plain.save;"
                "virsh domstate plain; virsh dumpxml plain | grep -c '<name>plain</name>'; virsh destroy plain >/dev/null",
                plain_domain);
        /* the restore hook ran on the saved XML: had it printed anything but
         * a domain, libvirt would have refused the restore */
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "restored from"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "running"));
        testhost_free(t);
}

/* Fault injection through real libvirt: the hook is SIGKILLed right after it
 * created the vGPU (before recording it as done). libvirt reports the failed
 * hook, runs stopped + release, and release removes the half-made vGPU. */
static void test_hook_killed_during_prepare_release_cleans_up(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                /* libvirt scrubs the hook's environment: the wrapper sets the crash point */
                "sed -i 's|^exec |GPUHOOK_FAULT_KILL_AT=mdev-created exec |' /etc/libvirt/hooks/qemu.d/50-gpuhook || exit 1;"
                "virsh define %s/tools/demo/v100-vgpu.xml >/dev/null || exit 1;"
                "if virsh start demo-vgpu; then echo UNEXPECTED-START; fi; exit 0",
                testhost_source_root());
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NULL(strstr(out, "UNEXPECTED-START"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        /* created by the killed prepare, removed by the release libvirt ran */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" MDEV "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, MDEV "/remove \"1\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, "0000:41:00.0", "nvidia-300"), 2);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5.xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

/* Hostile metadata survives `virsh define` (libvirt keeps namespaced
 * metadata verbatim) and reaches the hook: virsh start shows gpuhook's one
 * line, and nothing is written to the host. */
static void test_hostile_metadata_refused_at_virsh_start(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(MDEV, NULL);
        _cleanup_free_ char *meta = strdup_printf(
                "<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>",
                "<gpuhook:mdev uuid='" MDEV "' type='nvidia-300' parent='../../../../etc'/>");
        _cleanup_free_ char *xml = testhost_domain_xml("hostile", "7e57c0de-0000-4000-8000-00000000bad0", dev, meta);
        _cleanup_free_ char *script = strdup_printf("cat > /tmp/hostile.xml <<'X'\n%s\nX\n"
                                                    "virsh define /tmp/hostile.xml >/dev/null || exit 1;"
                                                    "virsh dumpxml hostile | grep -cF '../../../../etc';"
                                                    "virsh start hostile; exit 0",
                                                    xml);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "1\n")); /* libvirt kept the metadata */
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "gpuhook: domain 'hostile': mdev " MDEV ": parent '../../../../etc' is not a valid device name"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

CUNIT_MAIN("e2e-libvirt",
           T(test_domain_without_hostdev_starts_and_stops),
           T(test_vgpu_created_at_prepare_and_removed_at_release),
           T(test_capacity_error_shown_by_virsh_start),
           T(test_save_restore_keeps_domain_xml),
           T(test_hook_killed_during_prepare_release_cleans_up),
           T(test_hostile_metadata_refused_at_virsh_start))
