/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVIDIA's rules and errnos through the real hook on simulated hosts: every
 * errno a current_vgpu_type or vgpu_params write may return (NVIDIA
 * documents none; the sim injects them) gives one line that says what to do,
 * leaves nothing behind, and a 0 write that fails on a VF the driver freed
 * anyway is no failure; equal-size vs mixed-size mode on vGPU 17+ and the
 * one-type rule of time-sliced mdev GPUs follow the driver's own counters. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DOM "e0e0e0e0-0000-4000-8000-00000000000"
#define U1 "c1c1c1c1-0000-4000-8000-000000000001"
#define U2 "c1c1c1c1-0000-4000-8000-000000000002"
#define U3 "c1c1c1c1-0000-4000-8000-000000000003"
#define VF4 "0000:c1:00.4"
#define VF5 "0000:c1:00.5"
#define T4 "0000:3b:00.0"

static char *vm(const char *n, const char *devices, const char *meta) {
        _cleanup_free_ char *dom_uuid = strdup_printf(DOM "%c", n[strlen(n) - 1]);
        return testhost_gpuhook_domain_xml(n, dom_uuid, devices, meta);
}

static char *vgpu_vm(const char *n, const char *vf, const char *type) {
        _cleanup_free_ char *dev = testhost_pci_hostdev(vf, "no");
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:vgpu address='%s' type='%s'/>", vf, type);
        return vm(n, dev, meta);
}

static char *current_type(struct testhost *t, const char *vf) {
        _cleanup_free_ char *path = strdup_printf("/sys/bus/pci/devices/%s/nvidia/current_vgpu_type", vf);
        char *v = testhost_read(t, path);
        return v ? v : strdup("(absent)");
}

static bool one_line(const char *err) {
        const char *nl = strchr(err, '\n');
        return *err && (!nl || nl[1] == '\0');
}

static bool ledger_exists(struct testhost *t, char n) {
        _cleanup_free_ char *rel = strdup_printf("domains/" DOM "%c.xml", n);
        _cleanup_free_ char *path = testhost_state_path(t, rel);
        return access(path, F_OK) == 0;
}

static void test_every_create_errno_explained_and_nothing_left(void) {
        static const struct {
                const char *err, *says;
        } cases[] = {
                { "EINVAL", "refused it (EINVAL) although creatable_vgpu_types lists it" },
                { "EBUSY", "says it is busy" },
                { "ENOSPC", "no room left on its GPU" },
                { "ENODEV", "is nvidia-vgpu-mgr running" },
                { "EPERM", "refused it (Operation not permitted); check that nvidia-vgpu-mgr runs" },
                { "EIO", "Input/output error; check dmesg for nvidia errors" },
                { "EPROTO", "Protocol error; check dmesg for nvidia errors" },
        };
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *settings = strdup_printf("# gpuhook-sim: 0000:c1:00.0 vgpu-set-errno=%s", cases[i].err);
                struct testhost *t = testhost_new_with("l40s-vfio", settings);
                _cleanup_free_ char *xml = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q");
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
                if (!strstr(t->err, cases[i].says))
                        fprintf(stderr, "\n%s: %s", cases[i].err, t->err);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot create vGPU type 1152 on VF " VF4));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, cases[i].says));
                CU_ASSERT_TRUE(one_line(t->err));
                _cleanup_free_ char *cur = current_type(t, VF4);
                CU_ASSERT_STRING_EQUAL(cur, "0");
                CU_ASSERT_FALSE(ledger_exists(t, '1')); /* rolled back: nothing to release */
                testhost_free(t);
        }
}

static void test_foreign_vgpu_on_the_card_refused_before_any_write(void) {
        /* Another program set a vGPU of another size on a sibling VF: the
         * list gpuhook reads under its lock no longer has the type, and
         * nothing is written. */
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *xml = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q");
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf 1150 > /sys/bus/pci/devices/%s/nvidia/current_vgpu_type", VF5), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot be created on VF " VF4 " now"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "on its GPU VF " VF5 " has type 1150"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, VF4 "/nvidia/current_vgpu_type"), 0);
        testhost_free(t);
}

static void test_release_when_driver_freed_the_vf_itself(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new_with("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 vgpu-clear-errno=EPERM vgpu-clear-effect=yes");
        _cleanup_free_ char *xml = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        if (t->status)
                fprintf(stderr, "\n%s", t->err);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "current_vgpu_type \"0\" EPERM"), 1);
        _cleanup_free_ char *cur = current_type(t, VF4);
        CU_ASSERT_STRING_EQUAL(cur, "0");
        CU_ASSERT_FALSE(ledger_exists(t, '1'));
        testhost_free(t);
}

static void test_release_refused_keeps_the_entry(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new_with("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 vgpu-clear-errno=EIO");
        _cleanup_free_ char *xml = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot destroy the vGPU on VF " VF4 " (writing 0 to current_vgpu_type: Input/output error); check dmesg for nvidia errors, then run `gpuhookctl reconcile`"));
        CU_ASSERT_TRUE(one_line(t->err));
        /* EIO is not retried: one write */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "current_vgpu_type \"0\" EIO"), 1);
        _cleanup_free_ char *cur = current_type(t, VF4);
        CU_ASSERT_STRING_EQUAL(cur, "1152");
        CU_ASSERT_TRUE(ledger_exists(t, '1')); /* kept for the next release or reconcile */
        testhost_free(t);
}

static void test_equal_size_refusal_names_what_the_gpu_hosts(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        _cleanup_free_ char *a = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q"), *b = vgpu_vm("vm2", VF5, "NVIDIA L40S-4Q");
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "type 'NVIDIA L40S-4Q' cannot be created on VF " VF5 " now; it can create: 1152 (NVIDIA L40S-8Q)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "on its GPU VF " VF4 " has type 1152"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "equal-size mode"));
        CU_ASSERT_TRUE(one_line(t->err));
        /* the same size fits */
        _cleanup_free_ char *c = vgpu_vm("vm3", VF5, "NVIDIA L40S-8Q");
        CU_ASSERT_EQUAL(testhost_hook(t, c, "vm3", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, c, "vm3", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "release", "end"), 0);
        testhost_free(t);
}

static void test_mixed_size_gpu_hosts_two_sizes(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new_with("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 vgpu-mode=mixed-size");
        _cleanup_free_ char *a = vgpu_vm("vm1", VF4, "NVIDIA L40S-8Q"), *b = vgpu_vm("vm2", VF5, "NVIDIA L40S-4Q");
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 0);
        _cleanup_free_ char *c4 = current_type(t, VF4), *c5 = current_type(t, VF5);
        CU_ASSERT_STRING_EQUAL(c4, "1152");
        CU_ASSERT_STRING_EQUAL(c5, "1150");
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "release", "end"), 0);
        testhost_free(t);
}

static char *mdevs_vm(const char *n, const char *meta, const char *u_a, const char *u_b) {
        _cleanup_free_ char *ha = testhost_mdev_hostdev(u_a, NULL);
        _cleanup_free_ char *hb = u_b ? testhost_mdev_hostdev(u_b, NULL) : strdup("");
        _cleanup_free_ char *devs = strdup_printf("%s%s", ha, hb);
        return vm(n, devs, meta);
}

static void test_time_sliced_one_type_rule_both_ways(void) {
        /* Equal-size (default): the T4 hosts T4-8Q; T4-4Q cannot join, and
         * the refusal says why. */
        struct testhost *t = testhost_new("t4");
        _cleanup_free_ char *a = mdevs_vm("vm1", "<gpuhook:mdev uuid='" U1 "' type='GRID T4-8Q'/>", U1, NULL);
        _cleanup_free_ char *b = mdevs_vm("vm2",
                                          "<gpuhook:mdev uuid='" U2 "' type='GRID T4-4Q'/>"
                                          "<gpuhook:mdev uuid='" U3 "' type='GRID T4-2Q'/>",
                                          U2, U3);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, T4 " already hosts nvidia-233"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U2));
        testhost_free(t);

        /* A GPU whose driver offers other types while it hosts one (mixed-size
         * mode) is taken at its word: two more types in one plan. */
        t = testhost_new_with("t4", "# gpuhook-sim: " T4 " one-type-at-a-time=no");
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "\n%s", t->err);
        CU_ASSERT_TRUE(testhost_mdev_present(t, U2));
        CU_ASSERT_TRUE(testhost_mdev_present(t, U3));
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_vgpu_params_errnos_roll_back(void) {
        static const struct {
                const char *err, *says;
        } cases[] = {
                { "EINVAL", "refused vgpu_params 'frame_rate_limiter=0' (EINVAL): this vGPU manager does not take one of them" },
                { "EBUSY", "refused vgpu_params 'frame_rate_limiter=0' (Device or resource busy): the vGPU is in use or not ready" },
                { "E2BIG", "as too long" },
                { "EIO", "cannot write nvidia/vgpu_params 'frame_rate_limiter=0': Input/output error; check dmesg" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *settings = strdup_printf("# gpuhook-sim: " T4 " params-errno=%s", cases[i].err);
                struct testhost *t = testhost_new_with("t4", settings);
                _cleanup_free_ char *xml = mdevs_vm("vm1",
                                                    "<gpuhook:mdev uuid='" U1 "' type='GRID T4-1B'>"
                                                    "<gpuhook:param name='frame_rate_limiter' value='0'/></gpuhook:mdev>",
                                                    U1, NULL);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
                if (!strstr(t->err, cases[i].says))
                        fprintf(stderr, "\n%s: %s", cases[i].err, t->err);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "mdev " U1));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, cases[i].says));
                CU_ASSERT_TRUE(one_line(t->err));
                CU_ASSERT_FALSE(testhost_mdev_present(t, U1)); /* the vGPU is not left half-set */
                CU_ASSERT_FALSE(ledger_exists(t, '1'));
                testhost_free(t);
        }
}

static void test_vgpu_params_on_a_manager_without_them(void) {
        struct testhost *t = testhost_new_with("t4", "# gpuhook-sim: " T4 " vendor-dir=none");
        _cleanup_free_ char *xml = mdevs_vm("vm1",
                                            "<gpuhook:mdev uuid='" U1 "' type='GRID T4-1B'>"
                                            "<gpuhook:param name='enable_uvm' value='1'/></gpuhook:mdev>",
                                            U1, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "has no nvidia/vgpu_params: this vGPU manager takes no plugin parameters"));
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        testhost_free(t);
}

CUNIT_MAIN("nvidia-rules",
           T(test_every_create_errno_explained_and_nothing_left),
           T(test_foreign_vgpu_on_the_card_refused_before_any_write),
           T(test_release_when_driver_freed_the_vf_itself),
           T(test_release_refused_keeps_the_entry),
           T(test_equal_size_refusal_names_what_the_gpu_hosts),
           T(test_mixed_size_gpu_hosts_two_sizes),
           T(test_time_sliced_one_type_rule_both_ways),
           T(test_vgpu_params_errnos_roll_back),
           T(test_vgpu_params_on_a_manager_without_them))
