/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every vendor driver through the real hook on its simulated host, and the
 * mdevctl callout through the real mdevctl. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DOM "e0e0e0e0-0000-4000-8000-00000000000"
#define U1 "c1c1c1c1-0000-4000-8000-000000000001"
#define U2 "c1c1c1c1-0000-4000-8000-000000000002"

static char *vm(const char *n, const char *devices, const char *meta) {
        _cleanup_free_ char *dom_uuid = strdup_printf(DOM "%c", n[strlen(n) - 1]);
        return testhost_gpuhook_domain_xml(n, dom_uuid, devices, meta);
}

static char *mdev_vm(const char *n, const char *uuid, const char *model, const char *meta) {
        _cleanup_free_ char *h = testhost_mdev_hostdev(uuid, model);
        return vm(n, h, meta);
}

static void test_nvidia_legacy_params_written_with_newline_rule(void) {
        struct testhost *t = testhost_new("t4");
        _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL,
                                           "<gpuhook:mdev uuid='" U1 "' type='GRID T4-1B'>"
                                           "<gpuhook:param name='frame_rate_limiter' value='0'/>"
                                           "<gpuhook:param name='enable_uvm' value='1'/></gpuhook:mdev>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *params = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/nvidia/vgpu_params");
        /* the driver ate the trailing newline, not a value character */
        CU_ASSERT_STRING_EQUAL(params ? params : "", "frame_rate_limiter=0,enable_uvm=1");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "vgpu_params \"frame_rate_limiter=0,enable_uvm=1\\n\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

static void test_nvidia_undocumented_param_refused_before_creating(void) {
        struct testhost *t = testhost_new("t4");
        _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL,
                                           "<gpuhook:mdev uuid='" U1 "' type='nvidia-222'>"
                                           "<gpuhook:param name='vgpu_type_id' value='1'/></gpuhook:mdev>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "'vgpu_type_id' is not a vGPU plugin parameter NVIDIA documents"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

static void test_nvidia_teardown_waits_for_holders(void) {
        struct testhost *t = testhost_new("t4");
        _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL, "<gpuhook:mdev uuid='" U1 "' type='nvidia-222'/>");
        testhost_config(t, "remove_timeout = 1\n");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        /* a process (QEMU, nvidia-vgpu-mgr) still holds the vGPU's VFIO group */
        _cleanup_free_ char *cmd = strdup_printf(
                "g=$(basename $(readlink /sys/bus/mdev/devices/%s/iommu_group)); sleep 30 3</dev/vfio/$g & h=$!; sleep 0.3; "
                "%s/hooks/gpuhook vm1 release end -; rc=$?; kill $h; exit $rc",
                U1, testhost_build_root());
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        CU_ASSERT_EQUAL(testhost_run(t, xml, argv), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "mdev " U1 " on 0000:3b:00.0 is still open in"));
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1)); /* not removed under the holder */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0); /* holder gone: released */
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

static void test_nvidia_mdev_on_vf_placement_per_card(void) {
        struct testhost *t = testhost_new("a100-vf");
        _cleanup_free_ char *a = mdev_vm("vm1", U1, NULL, "<gpuhook:mdev uuid='" U1 "' type='GRID A100-4C'/>");
        _cleanup_free_ char *b = mdev_vm("vm2", U2, NULL, "<gpuhook:mdev uuid='" U2 "' type='GRID A100-8C'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        _cleanup_free_ char *pa = testhost_mdev_parent(t, U1);
        CU_ASSERT_STRING_EQUAL(pa, "0000:41:00.4"); /* a VF of the first card */
        /* the first card hosts A100-4C on one VF: 8C must go to the other card */
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *pb = testhost_mdev_parent(t, U2);
        CU_ASSERT_EQUAL(strncmp(pb, "0000:81:", 8), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_nvidia_mdev_on_vf_spread_and_compact(void) {
        struct testhost *t = testhost_new("a100-vf");
        const char *u[] = { "d1d1d1d1-0000-4000-8000-000000000001", "d1d1d1d1-0000-4000-8000-000000000002" };
        _cleanup_free_ char *h0 = testhost_mdev_hostdev(u[0], NULL), *h1 = testhost_mdev_hostdev(u[1], NULL);
        _cleanup_free_ char *devs = strdup_printf("%s%s", h0, h1);
        _cleanup_free_ char *spread = vm("vm3", devs, "<gpuhook:mdev uuid='d1d1d1d1-0000-4000-8000-000000000001' type='nvidia-468' placement='spread'/>"
                                                      "<gpuhook:mdev uuid='d1d1d1d1-0000-4000-8000-000000000002' type='nvidia-468' placement='spread'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, spread, "vm3", "prepare", "begin"), 0);
        _cleanup_free_ char *p0 = testhost_mdev_parent(t, u[0]), *p1 = testhost_mdev_parent(t, u[1]);
        CU_ASSERT_NOT_EQUAL(strncmp(p0, p1, 8), 0); /* two cards */
        CU_ASSERT_EQUAL(testhost_hook(t, spread, "vm3", "release", "end"), 0);

        _cleanup_free_ char *compact = vm("vm4", devs, "<gpuhook:mdev uuid='d1d1d1d1-0000-4000-8000-000000000001' type='nvidia-468'/>"
                                                       "<gpuhook:mdev uuid='d1d1d1d1-0000-4000-8000-000000000002' type='nvidia-468'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, compact, "vm4", "prepare", "begin"), 0);
        _cleanup_free_ char *c0 = testhost_mdev_parent(t, u[0]), *c1 = testhost_mdev_parent(t, u[1]);
        CU_ASSERT_EQUAL(strncmp(c0, c1, 8), 0); /* one card, two of its VFs */
        CU_ASSERT_STRING_NOT_EQUAL(c0, c1);
        CU_ASSERT_EQUAL(testhost_hook(t, compact, "vm4", "release", "end"), 0);
        testhost_free(t);
}

#define L40S_VF "0000:c1:00.4"

static void test_nvidia_vendor_vfio_vgpu_lifecycle(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_VF, "no");
        _cleanup_free_ char *xml = vm("vm5", dev, "<gpuhook:vgpu address='" L40S_VF "' type='NVIDIA L40S-8Q'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *cur = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cur ? cur : "", "1152");
        _cleanup_free_ char *drv = testhost_pci_driver(t, L40S_VF);
        CU_ASSERT_STRING_EQUAL(drv, "nvidia"); /* never rebound to vfio-pci */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, L40S_VF "/driver_override"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "release", "end"), 0);
        _cleanup_free_ char *cur2 = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cur2 ? cur2 : "", "0");
        testhost_free(t);
}

static void test_nvidia_vendor_vfio_refusals(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_VF, "no"), *managed = testhost_pci_hostdev(L40S_VF, "yes");
        /* somebody else's vGPU on the VF */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf 1150 > /sys/bus/pci/devices/%s/nvidia/current_vgpu_type", L40S_VF), 0);
        _cleanup_free_ char *xml = vm("vm5", dev, "<gpuhook:vgpu address='" L40S_VF "' type='1152'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF " L40S_VF " already carries vGPU type 1150 that gpuhook did not create"));
        /* release of this domain leaves the foreign vGPU alone */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "release", "end"), 0);
        _cleanup_free_ char *cur = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cur ? cur : "", "1150");
        /* homogeneous card: another size is not creatable now; the error lists what is */
        _cleanup_free_ char *dev5 = testhost_pci_hostdev("0000:c1:00.5", "no");
        _cleanup_free_ char *other = vm("vm6", dev5, "<gpuhook:vgpu address='0000:c1:00.5' type='NVIDIA L40S-8Q'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, other, "vm6", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot be created on VF 0000:c1:00.5 now; it can create: 1150 (NVIDIA L40S-4Q)"));
        /* managed='yes' would send the VF to vfio-pci */
        _cleanup_free_ char *bad = vm("vm7", managed, "<gpuhook:vgpu address='" L40S_VF "' type='1152'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, bad, "vm7", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "is managed='yes'"));
        testhost_free(t);
}

static void test_nvidia_vendor_vfio_release_retries_while_busy(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = testhost_new_with("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 release-busy=2");
        _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_VF, "no");
        _cleanup_free_ char *xml = vm("vm5", dev, "<gpuhook:vgpu address='" L40S_VF "' type='NVIDIA L40S-8Q'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm5", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "current_vgpu_type \"0\" EBUSY"), 2);
        _cleanup_free_ char *cur = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cur ? cur : "", "0");
        testhost_free(t);
}

static void test_nvidia_vfs_not_enabled(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:e1:00.4", "no");
        _cleanup_free_ char *xml = vm("vm8", dev, "<gpuhook:vgpu address='0000:e1:00.4' type='NVIDIA L40S-8Q'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm8", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "/usr/lib/nvidia/sriov-manage -e"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

static void test_type_by_name_on_every_nvidia_generation(void) {
        static const struct {
                const char *host, *type;
        } gens[] = {
                { "v100", "GRID V100-8C" }, { "t4", "GRID T4-1B" }, { "a100-vf", "GRID A100-4C" }, { "a10x2", "NVIDIA A10-4Q" },
        };
        for (size_t i = 0; i < ELEMENTSOF(gens); i++) {
                struct testhost *t = testhost_new(gens[i].host);
                _cleanup_free_ char *meta = strdup_printf("<gpuhook:mdev uuid='" U1 "' type='%s'/>", gens[i].type);
                _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL, meta);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
                _cleanup_free_ char *name = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/mdev_type/name");
                CU_ASSERT_STRING_EQUAL(name ? name : "", gens[i].type);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
                CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
                testhost_free(t);
        }
}

static void test_nvidia_preflight_when_type_unknown(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL, "<gpuhook:mdev uuid='" U1 "' type='NVIDIA L40S-8Q'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "no mdev parent on this host offers type 'NVIDIA L40S-8Q'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "systemctl enable --now nvidia-vgpu-mgr"));
        testhost_free(t);
}

static void test_intel_gvtg_and_gvt_disabled(void) {
        struct testhost *t = testhost_new("intel-gvtg");
        _cleanup_free_ char *xml = mdev_vm("vm1", U1, NULL, "<gpuhook:mdev uuid='" U1 "' type='i915-GVTg_V5_4'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/mdev/devices/" U1 "/intel_vgpu"));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);

        t = testhost_new("intel-nogvt");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "GVT-g is off on Intel GPU 0000:00:02.0: boot with i915.enable_gvt=1"));
        testhost_free(t);
}

static void test_intel_xe_sriov_vf_enabled_on_demand(void) {
        struct testhost *t = testhost_new("intel-xe-sriov");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:03:00.2", "no"), *xml = vm("vm9", dev, "");
        CU_ASSERT_FALSE(testhost_exists(t, "/sys/bus/pci/devices/0000:03:00.2"));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm9", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *n = testhost_read(t, "/sys/bus/pci/devices/0000:03:00.0/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n ? n : "", "2");
        _cleanup_free_ char *drv = testhost_pci_driver(t, "0000:03:00.2"), *pf = testhost_pci_driver(t, "0000:03:00.0");
        CU_ASSERT_STRING_EQUAL(drv, "vfio-pci");
        CU_ASSERT_STRING_EQUAL(pf, "xe"); /* never the PF */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm9", "release", "end"), 0);
        _cleanup_free_ char *n2 = testhost_read(t, "/sys/bus/pci/devices/0000:03:00.0/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n2 ? n2 : "", "0");
        CU_ASSERT_FALSE(testhost_exists(t, "/sys/bus/pci/devices/0000:03:00.2"));
        /* beyond sriov_totalvfs */
        _cleanup_free_ char *far = testhost_pci_hostdev("0000:03:01.0", "no"), *xml2 = vm("vm9", far, "");
        CU_ASSERT_EQUAL(testhost_hook(t, xml2, "vm9", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "0000:03:01.0 is not on this host"));
        testhost_free(t);
}

static void test_intel_xe_sriov_busy_rule(void) {
        struct testhost *t = testhost_new("intel-xe-sriov");
        _cleanup_free_ char *d1 = testhost_pci_hostdev("0000:03:00.1", "no"), *x1 = vm("vm1", d1, "");
        _cleanup_free_ char *d3 = testhost_pci_hostdev("0000:03:00.3", "no"), *x3 = vm("vm3", d3, "");
        CU_ASSERT_EQUAL(testhost_hook(t, x1, "vm1", "prepare", "begin"), 0);
        /* growing 1 -> 3 VFs goes through 0, which would pull VF .1 from vm1:
         * gpuhook enables VFs only on a PF that has none */
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "vm3", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF 0000:03:00.3 does not exist: 0000:03:00.0 already has 1 VFs (enabled by gpuhook for domain 'vm1'), and gpuhook enables VFs only on a PF that has none"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "sriov_numvfs"), 1); /* vm1's only */
        _cleanup_free_ char *n = testhost_read(t, "/sys/bus/pci/devices/0000:03:00.0/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n ? n : "", "1");
        _cleanup_free_ char *drv = testhost_pci_driver(t, "0000:03:00.1");
        CU_ASSERT_STRING_EQUAL(drv, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "vm3", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, x1, "vm1", "release", "end"), 0);
        /* once nothing uses a VF, the next VM may grow the count */
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "vm3", "prepare", "begin"), 0);
        _cleanup_free_ char *n3 = testhost_read(t, "/sys/bus/pci/devices/0000:03:00.0/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n3 ? n3 : "", "3");
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "vm3", "release", "end"), 0);
        testhost_free(t);
}

static void test_amd_mxgpu_vf_and_gim_message(void) {
        struct testhost *t = testhost_new("amd-mxgpu");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:05:02.1", "no"), *xml = vm("vma", dev, "");
        _cleanup_free_ char *before = testhost_pci_driver(t, "0000:05:02.1");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vma", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *during = testhost_pci_driver(t, "0000:05:02.1");
        CU_ASSERT_STRING_EQUAL(during, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vma", "release", "end"), 0);
        _cleanup_free_ char *after = testhost_pci_driver(t, "0000:05:02.1");
        CU_ASSERT_STRING_EQUAL(after, before);
        /* a VF gim did not create: the count cannot change through sysfs */
        _cleanup_free_ char *dev2 = testhost_pci_hostdev("0000:05:02.5", "no"), *xml2 = vm("vmb", dev2, "");
        CU_ASSERT_EQUAL(testhost_hook(t, xml2, "vmb", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "are created by gim at load"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "vf_num=6"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "sriov_numvfs"), 0); /* never written on gim */
        testhost_free(t);
}

static void test_s390_ccw_and_ap(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *ccw = mdev_vm("vm1", U1, "vfio-ccw", "<gpuhook:mdev uuid='" U1 "' type='vfio_ccw-io'/>");
        _cleanup_free_ char *ap = mdev_vm("vm2", U2, "vfio-ap", "<gpuhook:mdev uuid='" U2 "' type='vfio_ap-passthrough'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, ccw, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, ap, "vm2", "prepare", "begin"), 0);
        _cleanup_free_ char *p1 = testhost_mdev_parent(t, U1), *p2 = testhost_mdev_parent(t, U2);
        CU_ASSERT_STRING_EQUAL(p1, "0.0.0313");
        CU_ASSERT_STRING_EQUAL(p2, "matrix");
        /* the model must match the type's device_api */
        _cleanup_free_ char *wrong = mdev_vm("vm3", "c1c1c1c1-0000-4000-8000-000000000003", "vfio-pci",
                                             "<gpuhook:mdev uuid='c1c1c1c1-0000-4000-8000-000000000003' type='vfio_ap-passthrough'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, wrong, "vm3", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "provides vfio-ap but the <hostdev> says model='vfio-pci'"));
        CU_ASSERT_EQUAL(testhost_hook(t, ccw, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, ap, "vm2", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

/* mdevctl runs gpuhook's callout for `mdevctl start` (and so for virsh
 * nodedev-start/create), which bypass libvirt's hooks. */
static void install_callout(struct testhost *t) {
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "ln -sf %s/plugin/callout/gpuhook-callout /etc/mdevctl.d/scripts.d/callouts/gpuhook",
                                    testhost_build_root()),
                        0);
}

static void test_callout_vetoes_impossible_start(void) {
        struct testhost *t = testhost_new("v100");
        install_callout(t);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p 0000:41:00.0 -t nvidia-299", U1), 0);
        CU_ASSERT_NOT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p 0000:41:00.0 -t nvidia-300", U2), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "0000:41:00.0 already hosts nvidia-299; nvidia-300 cannot be added until it is empty"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U2));
        testhost_free(t);
}

static void test_callout_applies_and_reports_vgpu_params(void) {
        struct testhost *t = testhost_new("t4");
        install_callout(t);
        _cleanup_free_ char *json = strdup_printf("{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\",\"attrs\":[{\"nvidia/vgpu_params\":\"frame_rate_limiter=0\"}]}");
        CU_ASSERT_EQUAL(testhost_sh(t, json, "mdevctl define -u %s -p 0000:3b:00.0 --jsonfile /dev/stdin && mdevctl start -u %s", U1, U1), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *params = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/nvidia/vgpu_params");
        CU_ASSERT_STRING_EQUAL(params ? params : "", "frame_rate_limiter=0");
        /* get attributes: what mdevctl reports for the running device */
        CU_ASSERT_EQUAL(testhost_sh(t, "{}", "%s/plugin/callout/gpuhook-callout -t nvidia-222 -e get -a attributes -s none -u %s -p 0000:3b:00.0",
                                    testhost_build_root(), U1),
                        0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "\"nvidia\\/vgpu_params\":\"frame_rate_limiter=0\""));
        /* an undocumented key is vetoed at pre start */
        _cleanup_free_ char *bad = strdup_printf("{\"mdev_type\":\"nvidia-222\",\"start\":\"manual\",\"attrs\":[{\"nvidia/vgpu_params\":\"evil=1\"}]}");
        CU_ASSERT_EQUAL(testhost_sh(t, bad, "mdevctl define -u %s -p 0000:3b:00.0 --jsonfile /dev/stdin", U2), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "'evil' is not a vGPU plugin parameter NVIDIA documents"));
        testhost_free(t);
}

static void test_callout_leaves_other_types_alone(void) {
        struct testhost *t = testhost_new("mtty");
        install_callout(t);
        CU_ASSERT_EQUAL(testhost_sh(t, "{}", "%s/plugin/callout/gpuhook-callout -t mtty-1 -e pre -a start -s none -u %s -p mtty",
                                    testhost_build_root(), U1),
                        2);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p mtty -t mtty-1", U1), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

CUNIT_MAIN("vendors",
           T(test_nvidia_legacy_params_written_with_newline_rule),
           T(test_nvidia_undocumented_param_refused_before_creating),
           T(test_nvidia_teardown_waits_for_holders),
           T(test_nvidia_mdev_on_vf_placement_per_card),
           T(test_nvidia_mdev_on_vf_spread_and_compact),
           T(test_nvidia_vendor_vfio_vgpu_lifecycle),
           T(test_nvidia_vendor_vfio_refusals),
           T(test_nvidia_vendor_vfio_release_retries_while_busy),
           T(test_nvidia_vfs_not_enabled),
           T(test_type_by_name_on_every_nvidia_generation),
           T(test_nvidia_preflight_when_type_unknown),
           T(test_intel_gvtg_and_gvt_disabled),
           T(test_intel_xe_sriov_vf_enabled_on_demand),
           T(test_intel_xe_sriov_busy_rule),
           T(test_amd_mxgpu_vf_and_gim_message),
           T(test_s390_ccw_and_ap),
           T(test_callout_vetoes_impossible_start),
           T(test_callout_applies_and_reports_vgpu_params),
           T(test_callout_leaves_other_types_alone))
