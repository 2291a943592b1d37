/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl list, types, check, status and blacklist --vfio on simulated
 * hosts (gpuhook-sim: /sys is the host's, real libudev and mdevctl). */

#include "cli-test.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define MDEV "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"

static void setup(void) { setenv("NO_COLOR", "1", 1); }

static void test_list_v100(void) {
        struct testhost *t = testhost_new("v100");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "0000:41:00.0  gpu   10de:1db4  nvidia  66     0     GV100GL [Tesla V100 PCIe 16GB]"), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *g = json_object_array_get_idx(jget(o, "gpus"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_STRING_EQUAL(jstr(g, "address"), "0000:41:00.0");
        CU_ASSERT_STRING_EQUAL(jstr(g, "class"), "0x030200");
        CU_ASSERT_STRING_EQUAL(jstr(g, "driver"), "nvidia");
        CU_ASSERT_EQUAL(json_object_get_int(jget(g, "iommu_group")), 66);
        CU_ASSERT_EQUAL(json_object_get_int(jget(g, "numa_node")), 0);
        CU_ASSERT(json_object_get_boolean(jget(g, "mdev_parent")));
        CU_ASSERT_EQUAL(json_object_array_length(jget(g, "companions")), 0);
        json_object_put(o);
        /* --all: the NIC and the NVMe drive too */
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", "--all", NULL), 0);
        CU_ASSERT(count_lines(t->out, "0000:") >= 3);
        testhost_free(t);
}

static void test_list_companions_desktop(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpu (boot)"), 1); /* the iGPU drives the console */
        CU_ASSERT_EQUAL(count_lines(t->out, "└ function"), 3); /* audio, USB, UCSI of the RTX */
        CU_ASSERT_EQUAL(count_lines(t->out, "snd_hda_intel"), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *gpus = jget(o, "gpus");
        CU_ASSERT_EQUAL_FATAL(json_object_array_length(gpus), 2);
        struct json_object *rtx = json_object_array_get_idx(gpus, 1);
        CU_ASSERT_STRING_EQUAL(jstr(rtx, "address"), "0000:01:00.0");
        CU_ASSERT_EQUAL(json_object_array_length(jget(rtx, "companions")), 3);
        CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(jget(rtx, "companions"), 0), "relation"), "function");
        json_object_put(o);
        testhost_free(t);
}

static void test_list_sriov_vfs(void) {
        struct testhost *t = testhost_new("a100-vf");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "list", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "  gpu "), 2);
        CU_ASSERT_EQUAL(count_lines(t->out, "└ vf"), 8);
        testhost_free(t);
}

/* NVIDIA mdev-on-VF (A100): one type across the card's VFs. With an A100-20C
 * on VF 41:00.4, the sibling VFs' other types say what blocks them and
 * where, and the other card (81:00.x) is not blocked. */
static void test_types_a100_sibling_vfs_blocked_by(void) {
        struct testhost *t = testhost_new("a100-vf");
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p 0000:41:00.4 -t nvidia-472", MDEV), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *mdev = jget(o, "mdev");
        size_t checked = 0;
        for (size_t i = 0; mdev && i < json_object_array_length(mdev); i++) {
                struct json_object *p = json_object_array_get_idx(mdev, i), *types = jget(p, "types");
                const char *parent = jstr(p, "parent");
                for (size_t k = 0; types && k < json_object_array_length(types); k++) {
                        struct json_object *ty = json_object_array_get_idx(types, k);
                        if (!streq(parent, "0000:41:00.5") || !streq(jstr(ty, "id"), "nvidia-468"))
                                continue;
                        CU_ASSERT_EQUAL(json_object_get_int(jget(ty, "available")), 0);
                        CU_ASSERT_STRING_EQUAL(jstr(ty, "blocked_by"), "nvidia-472");
                        CU_ASSERT_STRING_EQUAL(jstr(ty, "blocked_on"), "0000:41:00.4");
                        checked++;
                }
        }
        CU_ASSERT_EQUAL(checked, 1);
        json_object_put(o);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        /* 5 other types on each of 3 sibling VFs */
        CU_ASSERT_EQUAL(count_lines(t->out, "blocked while nvidia-472 is in use on 0000:41:00.4 (one type per GPU)"), 15);
        CU_ASSERT_EQUAL(count_lines(t->out, "0000:81:00.4  mdev  nvidia-468  GRID A100-4C   vfio-pci  1     0"), 1);
        testhost_free(t);
}

static void test_types_v100_one_type_at_a_time(void) {
        struct testhost *t = testhost_new("v100");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "0000:41:00.0  mdev  nvidia-299  GRID V100-4C   vfio-pci  4     0"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "nvidia-300  GRID V100-8C   vfio-pci  2     0"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "nvidia-301  GRID V100-16C  vfio-pci  1     0"), 1);
        /* one nvidia-300 instance: the card now hosts only that type */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl start -u %s -p 0000:41:00.0 -t nvidia-300", MDEV), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *p = json_object_array_get_idx(jget(o, "mdev"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT(json_object_get_boolean(jget(p, "one_type_at_a_time")));
        CU_ASSERT_EQUAL(json_object_get_int(jget(p, "in_use")), 1);
        struct json_object *types = jget(p, "types");
        CU_ASSERT_EQUAL_FATAL(json_object_array_length(types), 3);
        struct json_object *t299 = json_object_array_get_idx(types, 0), *t300 = json_object_array_get_idx(types, 1);
        CU_ASSERT_STRING_EQUAL(jstr(t299, "id"), "nvidia-299");
        CU_ASSERT_EQUAL(json_object_get_int(jget(t299, "available")), 0);
        CU_ASSERT_STRING_EQUAL(jstr(t299, "blocked_by"), "nvidia-300");
        CU_ASSERT_EQUAL(json_object_get_int(jget(t300, "available")), 1);
        CU_ASSERT_EQUAL(json_object_get_int(jget(t300, "in_use")), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(t300, "description"), "framebuffer=8192M"));
        json_object_put(o);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "blocked while nvidia-300 is in use"), 2);
        testhost_free(t);
}

static void test_types_other_hosts(void) {
        static const struct {
                const char *host;
                int rows;
                const char *needle;
        } cases[] = {
                { "a10x2", 14, "0000:b1:00.0  mdev  nvidia-610  NVIDIA A10-4C" },
                { "intel-gvtg", 4, "i915-GVTg_V5_8  GVTg_V5_8" },
                { "mtty", 2, "mtty    mdev  mtty-1  Single port serial  vfio-pci  24" },
                { "s390", 2, "vfio_ccw-io" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct testhost *t = testhost_new(cases[i].host);
                CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
                CU_ASSERT_EQUAL(count_lines(t->out, "  mdev  "), cases[i].rows);
                if (!strstr(t->out, cases[i].needle))
                        fprintf(stderr, "%s: no '%s' in\n%s\n", cases[i].host, cases[i].needle, t->out);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->out, cases[i].needle));
                testhost_free(t);
        }
}

static void test_sriov_vgpu_types(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = testhost_new("l40s-vfio");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "0000:c1:00.0  sriov-vf  "), 5);
        CU_ASSERT_EQUAL(count_lines(t->out, "1152  NVIDIA L40S-8Q   vfio-pci  4     0"), 1);
        /* one VF takes a type: one VF fewer for every type */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf 1152 > /sys/bus/pci/devices/0000:c1:00.4/nvidia/current_vgpu_type"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *pf = json_object_array_get_idx(jget(o, "sriov_vgpu"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(pf);
        CU_ASSERT_STRING_EQUAL(jstr(pf, "parent"), "0000:c1:00.0");
        CU_ASSERT_EQUAL(json_object_get_int(jget(pf, "vfs")), 4);
        CU_ASSERT_EQUAL(json_object_get_int(jget(pf, "free_vfs")), 3);
        bool seen = false;
        for (size_t i = 0; i < json_object_array_length(jget(pf, "types")); i++) {
                struct json_object *ty = json_object_array_get_idx(jget(pf, "types"), i);
                if (json_object_get_int(jget(ty, "id")) == 1152) {
                        seen = true;
                        CU_ASSERT_EQUAL(json_object_get_int(jget(ty, "in_use")), 1);
                }
        }
        CU_ASSERT(seen);
        json_object_put(o);
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ vGPU: NVIDIA vendor-specific VFIO on 4 VFs"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "• SR-IOV: 0 of 32 VFs enabled")); /* the second card */
        testhost_free(t);
}

static void test_check_simulated_hosts(void) {
        struct testhost *t = testhost_new("v100");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ IOMMU: active"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "GPU 0000:41:00.0 10de:1db4 GV100GL [Tesla V100 PCIe 16GB]"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "• driver in use: nvidia"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ IOMMU group 66: alone"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ passthrough: possible"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ vGPU: mdev parent with 3 types"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✗ NVIDIA vGPU: nvidia-vgpu-mgr is not running"));
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "check", "--json", NULL), 1);
        struct json_object *o = json_parse(t->out);
        CU_ASSERT(json_object_get_boolean(jget(o, "iommu_active")));
        json_object_put(o);
        testhost_free(t);

        /* companions on a desktop card, and the boot GPU the hook refuses by default */
        t = testhost_new("desktop-rtx");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "GPU 0000:01:00.0 10de:1e07"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "companion 0000:01:00.1: Audio device, driver snd_hda_intel"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "gpuhook also moves 0000:01:00.1, 0000:01:00.2, 0000:01:00.3 (companions) to vfio-pci"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "! passthrough: the hook refuses it: 0000:00:02.0 drives the host's boot console"));
        testhost_free(t);
}

static void test_status_after_the_hook(void) {
        struct testhost *t = testhost_new("v100");
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "domain", "none", "--name", "vm1", "--uuid", "5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5",
                                "--mdev", MDEV, "--type", "GRID V100-8C", NULL),
                        0);
        /* the real hook prepares the domain gpuhookctl rendered */
        CU_ASSERT_EQUAL(testhost_hook(t, r.out, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "vm1     mdev  " MDEV "  nvidia-300 0000:41:00.0  done"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "remove the mdev"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *e = json_object_array_get_idx(jget(json_object_array_get_idx(jget(o, "domains"), 0), "entries"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        CU_ASSERT(json_object_get_boolean(jget(e, "present")));
        CU_ASSERT_STRING_EQUAL(jstr(e, "origin"), "created");
        json_object_put(o);
        /* types sees the instance */
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "nvidia-300  GRID V100-8C   vfio-pci  1     1"), 1);
        /* reconcile cannot ask libvirt here: it releases nothing */
        _cleanup_free_ char *uri = strdup_printf("qemu+unix:///system?socket=%s/none", t->tmp);
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "-c", uri, "reconcile", "--min-age", "0", NULL), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1);
        /* release end: the ledger empties, status says so */
        CU_ASSERT_EQUAL(testhost_hook(t, r.out, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "No devices are held"));
        run_free(&r);
        testhost_free(t);
}

/* The simulated V100 is on nvidia: vfio-pci must come before it. */
static void test_blacklist_vfio_uses_the_host(void) {
        struct testhost *t = testhost_new("v100");
        char *root = tmpdir_new();
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "blacklist", "--root", root, "--vfio", "--dry-run", "10de:1db4", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "softdep nvidia pre: vfio-pci"));
        CU_ASSERT_PTR_NULL(strstr(t->out, "is not on this host"));
        tmpdir_free(root);
        testhost_free(t);
}

CUNIT_MAIN("cli-simhost",
           T(setup),
           T(test_list_v100),
           T(test_list_companions_desktop),
           T(test_list_sriov_vfs),
           T(test_types_v100_one_type_at_a_time),
           T(test_types_a100_sibling_vfs_blocked_by),
           T(test_types_other_hosts),
           T(test_sriov_vgpu_types),
           T(test_check_simulated_hosts),
           T(test_status_after_the_hook),
           T(test_blacklist_vfio_uses_the_host))
