/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA vendor-specific VFIO against this machine's REAL libvirtd (Debian
 * 12: libvirt 9.0.0, which refuses an unmanaged PCI hostdev that is not on
 * vfio-pci). The hook learns the version from the installed libvirt library
 * itself (no test override reaches it: libvirt replaces the hook's
 * environment), refuses at prepare with the version it needs, and has
 * written nothing; gpuhookctl attach vgpu-vf refuses before it changes the
 * domain. On a libvirt >= 10.0.0 the hook goes on instead (that branch is
 * checked when such a daemon is what runs here). */
#include <unistd.h>

#include "cunit-run.h"
#include "spawn.h"
#include "testhost.h"
#include "util.h"

#define L40S_VF "0000:c1:00.4"

static char *out, *err;
static int status;
static bool usable;

static void setup(void) {
        setenv("NO_COLOR", "1", 1);
        unsetenv("GPUHOOK_TEST_LIBVIRT_VERSION"); /* the real library answers */
        usable = geteuid() == 0 && access("/dev/kvm", R_OK | W_OK) == 0;
        if (!usable)
                fprintf(stderr, "SKIP: needs root and /dev/kvm for a private libvirtd\n");
}

static int with_libvirtd(struct testhost *t, const char *script) {
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", testhost_source_root());
        _cleanup_free_ char *full = strdup_printf("S=%s/sim/gpuhook-sim; G=%s/cli/gpuhookctl; T=%s\n"
                                                  "ctl() { \"$S\" --testbed \"$T\" -- \"$G\" \"$@\"; }\n%s",
                                                  testhost_build_root(), testhost_build_root(), t->dir, script);
        char *const argv[] = { wrapper, (char *)testhost_build_root(), t->dir, t->host, (char *)"--", (char *)"bash",
                               (char *)"-c", full, NULL };
        free(out);
        free(err);
        out = err = NULL;
        status = spawn_run(argv, 300000, &out, &err);
        if (getenv("GPUHOOK_TEST_VERBOSE") || status != 0)
                fprintf(stderr, "--- script exited %d\nstdout:\n%s\nstderr:\n%s\n", status, out, err);
        return status;
}

static void test_old_libvirt_refused_with_the_version_it_needs(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_VF, "no");
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>"
                                                  "<gpuhook:vgpu address='" L40S_VF "' type='NVIDIA L40S-8Q'/></gpuhook:devices>");
        _cleanup_free_ char *xml = testhost_domain_xml("vf1", "7e57c0de-0000-4000-8000-0000000000f1", dev, meta);
        _cleanup_free_ char *script = strdup_printf(
                "cat > /tmp/vf1.xml <<'X'\n%s\nX\n"
                "virsh define /tmp/vf1.xml >/dev/null || exit 1\n"
                "echo \"== version $(virsh version --daemon | sed -n 's/^Running against daemon: *//p')\"\n"
                "echo '== start'; virsh start vf1 2>&1; echo rc=$?\n"
                "echo '== attach'; ctl attach vf1 vgpu-vf 0000:c1:00.5 --type 1152 --config 2>&1; echo rc=$?\n"
                "echo '== inactive'; virsh dumpxml --inactive vf1 | grep -c 'c1:00.5\\|0xc1.*0x5' ; exit 0\n",
                xml);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        const char *v = strstr(out ? out : "", "== version ");
        unsigned maj = 0, min = 0, mic = 0;
        CU_ASSERT_EQUAL(v ? sscanf(v, "== version %u.%u.%u", &maj, &min, &mic) : 0, 3);
        if (maj < 9) {
                fprintf(stderr, "SKIP: libvirt %u.%u.%u\n", maj, min, mic);
        } else if (maj >= 10) {
                /* A libvirt that takes the VF: the hook sets the type (the start
                 * itself may still fail here: no VFIO for simulated devices). */
                CU_ASSERT_PTR_NULL(strstr(out, "refuses it"));
                CU_ASSERT_EQUAL(testhost_writes_matching(t, L40S_VF "/nvidia/current_vgpu_type \"1152\" 0"), 1);
        } else if (maj == 9 && min < 10) {
                char want[96];
                snprintf(want, sizeof(want), "libvirt %u.%u.%u refuses it", maj, min, mic);
                /* virsh start: libvirt shows the hook's one line */
                CU_ASSERT_PTR_NOT_NULL(strstr(out, "Hook script execution failed"));
                CU_ASSERT_PTR_NOT_NULL(strstr(out, "gpuhook: domain 'vf1': VF " L40S_VF ": NVIDIA's vendor-specific vGPU keeps the VF on the nvidia driver"));
                CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
                CU_ASSERT_PTR_NOT_NULL(strstr(out, "which needs libvirt 10.0.0 or newer"));
                /* attach: refused before the definition changed */
                CU_ASSERT_PTR_NOT_NULL(strstr(out, "VF 0000:c1:00.5: NVIDIA's vendor-specific vGPU"));
                CU_ASSERT_PTR_NOT_NULL(strstr(out, "== inactive\n0\n"));
                /* nothing on the host changed */
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "current_vgpu_type"), 0);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        }
        testhost_free(t);
}

CUNIT_MAIN("e2e-vgpu-vf-libvirt", T(setup), T(test_old_libvirt_refused_with_the_version_it_needs))
