/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor and libvirt truth on simulated hosts, with the REAL hook and
 * gpuhookctl: NVIDIA vendor-specific VFIO refused before anything changes on
 * a libvirt older than 10.0.0 (and warned about, not blocked, when the
 * version is unknown); a PF with VFs enabled never sent to vfio-pci; the
 * vGPU-manager check only where the nvidia driver offers vGPU; SR-IOV hints
 * from the PF's own vendor. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define L40S_PF "0000:c1:00.0"
#define L40S_VF "0000:c1:00.4"
#define DOM_A "aaaaaaaa-1111-4000-8000-00000000000a"
#define DOM_B "bbbbbbbb-1111-4000-8000-00000000000b"

static char *vgpu_vm(const char *name, const char *uuid, const char *vf) {
        _cleanup_free_ char *dev = testhost_pci_hostdev(vf, "no");
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'><gpuhook:vgpu address='%s' type='NVIDIA L40S-8Q'/></gpuhook:devices>", vf);
        return testhost_domain_xml(name, uuid, dev, meta);
}

static const char *const no_bdf[] = { NULL };

static void setup(void) { setenv("NO_COLOR", "1", 1); }

/* Debian 12's libvirt (9.0.0): the hook refuses at prepare, naming the
 * version it needs, and has written nothing. */
static void test_prepare_refused_on_old_libvirt(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "9.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *xml = vgpu_vm("vm1", DOM_A, L40S_VF);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF " L40S_VF ": NVIDIA's vendor-specific vGPU keeps the VF on the nvidia driver"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "libvirt 9.0.0 refuses it"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "which needs libvirt 10.0.0 or newer"));
        CU_ASSERT_EQUAL(strchr(t->err, '\n'), t->err + strlen(t->err) - 1); /* one line */
        CU_ASSERT_EQUAL(testhost_writes_outside(t, no_bdf, NULL), 0);
        _cleanup_free_ char *cur = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cur ? cur : "", "0");
        _cleanup_free_ char *led = testhost_state_path(t, "domains/" DOM_A ".xml");
        CU_ASSERT_FALSE(access(led, F_OK) == 0);
        testhost_free(t);
}

/* 10.0.0 and later take the path; an unknown version warns and goes on. */
static void test_prepare_on_new_or_unknown_libvirt(void) {
        static const char *const versions[] = { "10.0.0", "unknown", "12.5.0" };
        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                setenv("GPUHOOK_TEST_LIBVIRT_VERSION", versions[i], 1);
                struct testhost *t = testhost_new("l40s-vfio");
                _cleanup_free_ char *xml = vgpu_vm("vm1", DOM_A, L40S_VF);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
                _cleanup_free_ char *cur = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
                CU_ASSERT_STRING_EQUAL(cur ? cur : "", "1152");
                CU_ASSERT_PTR_NULL(strstr(t->err, "refuses")); /* a warning goes to syslog, the start goes on */
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
                testhost_free(t);
        }
}

/* The kernel's rule: vfio-pci refuses a PF with VFs enabled. The hook
 * refuses first, naming the VFs and the domain holding one, and the PF
 * stays on nvidia with nothing written. */
static void test_pf_with_vfs_refused(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *a = vgpu_vm("vmA", DOM_A, L40S_VF);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vmA", "prepare", "begin"), 0);
        int before = testhost_writes_outside(t, no_bdf, NULL);
        for (int managed = 0; managed < 2; managed++) {
                _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_PF, managed ? "yes" : "no");
                _cleanup_free_ char *b = testhost_domain_xml("vmB", DOM_B, dev, NULL);
                CU_ASSERT_EQUAL(testhost_hook(t, b, "vmB", "prepare", "begin"), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot pass through " L40S_PF ": it is an SR-IOV physical function with 4 VFs enabled"));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, L40S_VF " held by domain 'vmA'"));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "0000:c1:00.5 free"));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "Cannot bind to PF with SR-IOV enabled"));
                CU_ASSERT_EQUAL(testhost_writes_outside(t, no_bdf, NULL), before);
                _cleanup_free_ char *drv = testhost_pci_driver(t, L40S_PF);
                CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        }
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vmA", "release", "end"), 0);
        testhost_free(t);
}

/* check, list, types and xml on the L40S host with libvirt 9.0.0. */
static void test_cli_says_it_on_old_libvirt(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "9.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✗ vGPU: NVIDIA vendor-specific VFIO on 4 VFs, but libvirt 9.0.0 refuses it"));
        CU_ASSERT_PTR_NULL(strstr(t->out, "✓ vGPU: NVIDIA vendor-specific VFIO"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "• passthrough: not while its VFs are enabled: cannot pass through " L40S_PF));

        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "list", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "gpu (VFs on)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, L40S_PF " has 4 VFs enabled: it cannot be passed through itself"));

        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "types", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "sriov-vf types (NVIDIA vendor-specific VFIO): libvirt 9.0.0 refuses it"));

        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "xml", "vgpu-vf", L40S_VF, NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "managed='no'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "libvirt 9.0.0 refuses it"));

        /* attach refuses before anything changes: tests/e2e/test-vgpu-vf-libvirt.c (it needs a daemon) */
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ vGPU: NVIDIA vendor-specific VFIO on 4 VFs"));
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "types", NULL), 0);
        CU_ASSERT_PTR_NULL(strstr(t->out, "refuses it"));
        testhost_free(t);
}

/* A GeForce on the nvidia driver has no vGPU: no vGPU-manager ✗ (issue 14). */
static void test_geforce_has_no_vgpu_manager_alarm(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NULL(strstr(t->out, "nvidia-vgpu-mgr is not running"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "NVIDIA vGPU: the nvidia driver offers no vGPU on these GPUs"));
        testhost_free(t);
        /* ...while a vGPU card without its manager still gets the ✗ */
        t = testhost_new("v100");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "nvidia-vgpu-mgr is not running"));
        testhost_free(t);
}

/* An Intel xe PF without VFs: the hint is Intel's, never NVIDIA's tool. */
static void test_sriov_hint_from_own_vendor(void) {
        struct testhost *t = testhost_new("intel-xe-sriov");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "SR-IOV: 0 of 7 VFs enabled"));
        CU_ASSERT_PTR_NULL(strstr(t->out, "sriov-manage"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "sriov_numvfs (xe's max_vfs bounds N)"));
        testhost_free(t);
}

CUNIT_MAIN("cli-vendor", T(setup), T(test_prepare_refused_on_old_libvirt), T(test_prepare_on_new_or_unknown_libvirt),
           T(test_pf_with_vfs_refused), T(test_cli_says_it_on_old_libvirt), T(test_geforce_has_no_vgpu_manager_alarm),
           T(test_sriov_hint_from_own_vendor))
