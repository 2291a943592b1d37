/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-sim end to end, vendor behaviour: SR-IOV (sriov_numvfs), NVIDIA
 * vGPU on VFs (current_vgpu_type / creatable_vgpu_types), vgpu_params,
 * mdev-on-VF card rules, AMD MxGPU, s390, Intel pre-flight hosts. Every
 * write goes through a real program inside the host: dash's printf,
 * coreutils' printf, mdevctl, or this binary's write(2) helper. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

#include "simtest.h"

#define PRINTF "/usr/bin/printf"

#define DEVS "/sys/bus/pci/devices/"
#define L40S_PF0 DEVS "0000:c1:00.0"
#define L40S_PF1 DEVS "0000:e1:00.0"
#define XE_PF DEVS "0000:03:00.0"
#define AMD_PF DEVS "0000:05:00.0"

static const char l40s_all[] = "ID    : vGPU Name\n"
                               "1147  : NVIDIA L40S-1Q\n"
                               "1148  : NVIDIA L40S-2Q\n"
                               "1150  : NVIDIA L40S-4Q\n"
                               "1152  : NVIDIA L40S-8Q\n"
                               "1156  : NVIDIA L40S-48Q\n";
static const char header_only[] = "ID    : vGPU Name\n";
static const char only_4q[] = "ID    : vGPU Name\n1150  : NVIDIA L40S-4Q\n";

/* Contents of REL in the testbed, "(missing)" if it cannot be read. */
static char *rd(struct host *h, const char *rel) {
        char *s = read_rel(h, rel);
        return s ? s : strdup("(missing)");
}

#define ASSERT_FILE(h, rel, expected)                          \
        do {                                                   \
                char *got_ = rd((h), (rel));                   \
                CU_ASSERT_STRING_EQUAL(got_, (expected));      \
                if (strcmp(got_, (expected)) != 0)             \
                        printf("\n  %s: got '%s'\n", (rel), got_); \
                free(got_);                                    \
        } while (0)

static void assert_link(struct host *h, const char *rel, const char *target) {
        char *t = resolve_rel(h, rel);
        CU_ASSERT_STRING_EQUAL(t, target);
        if (strcmp(t, target) != 0)
                printf("\n  %s -> %s, expected %s\n", rel, t, target);
        free(t);
}

static const char *vf(const char *bdf, const char *file) {
        static char buf[8][256];
        static int i;
        i = (i + 1) % 8;
        snprintf(buf[i], sizeof(buf[i]), DEVS "%s/%s", bdf, file);
        return buf[i];
}

static const char *avail_file(const char *parent, const char *type) {
        static char buf[8][256];
        static int i;
        i = (i + 1) % 8;
        snprintf(buf[i], sizeof(buf[i]), "/sys/class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
                 parent, type);
        return buf[i];
}

static int avail(struct host *h, const char *parent, const char *type) {
        char *s = rd(h, avail_file(parent, type));
        int v = strcmp(s, "(missing)") == 0 ? -1 : atoi(s);
        free(s);
        return v;
}

/* The last line of the writes log. */
static char *last_log_line(struct host *h) {
        char *log = writes_log(h);
        size_t n = strlen(log);
        while (n > 0 && log[n - 1] == '\n')
                log[--n] = '\0';
        char *nl = strrchr(log, '\n');
        char *line = strdup(nl ? nl + 1 : log);
        free(log);
        return line;
}

/* A host file: tests/hosts/NAME.umockdev with EXTRA lines at the end (its
 * settings come after the file's own). */
static struct host *host_variant(const char *name, const char *extra) {
        char *file = xprintf("%s/%s.umockdev", GPUHOOK_HOSTS_DIR, name);
        char *text = read_file(file);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        char *all = xprintf("%s%s", text, extra);
        struct host *h = host_with_text(all);
        free(file);
        free(text);
        free(all);
        return h;
}

/* -------------------------------------------------------------------- */

static void test_l40s_completion(void) {
        REQUIRE_SIM();
        struct host *h = host_new("l40s-vfio");
        CU_ASSERT_EQUAL_FATAL(sh(h, "true"), 0);
        const char *bdfs[] = { "0000:c1:00.4", "0000:c1:00.5", "0000:c1:00.6", "0000:c1:00.7" };
        for (int i = 0; i < 4; i++) {
                char *phys = xprintf("/sys/devices/pci0000:c0/0000:c0:01.1/%s", bdfs[i]);
                char *virtfn = xprintf(L40S_PF0 "/virtfn%d", i);
                char *group = xprintf("/sys/kernel/iommu_groups/%d", 53 + i);
                char *node = xprintf("/dev/vfio/%d", 53 + i);
                char *cls = xprintf("/sys/class/vfio-dev/vfio%d", i);
                char *cdev = xprintf("/dev/vfio/devices/vfio%d", i);
                assert_link(h, virtfn, phys);
                assert_link(h, vf(bdfs[i], "physfn"), "/sys/devices/pci0000:c0/0000:c0:01.1/0000:c1:00.0");
                assert_link(h, vf(bdfs[i], "iommu_group"), group);
                assert_link(h, vf(bdfs[i], "driver"), "/sys/bus/pci/drivers/nvidia");
                ASSERT_FILE(h, vf(bdfs[i], "nvidia/creatable_vgpu_types"), l40s_all);
                ASSERT_FILE(h, vf(bdfs[i], "nvidia/current_vgpu_type"), "0\n");
                CU_ASSERT_TRUE(exists(h, vf(bdfs[i], "nvidia/vgpu_params")));
                CU_ASSERT_TRUE(exists(h, node));
                CU_ASSERT_TRUE(exists(h, cdev));
                char *vd = xprintf("%s/vfio-dev/vfio%d", phys, i);
                assert_link(h, cls, vd);
                free(vd);
                free(phys), free(virtfn), free(group), free(node), free(cls), free(cdev);
        }
        ASSERT_FILE(h, L40S_PF0 "/sriov_numvfs", "4\n");
        ASSERT_FILE(h, L40S_PF1 "/sriov_numvfs", "0\n");
        ASSERT_FILE(h, L40S_PF1 "/sriov_totalvfs", "32\n");
        CU_ASSERT_FALSE(exists(h, L40S_PF1 "/virtfn0"));
        /* no mdev bus on the vendor-specific VFIO path */
        CU_ASSERT_EQUAL(count_dir(h, "/sys/class/mdev_bus"), 0);
        /* the model: both cards (e1 learnt its types from c1, same device id) */
        char *vendor = rd(h, "/.sim/vendor");
        CU_ASSERT_PTR_NOT_NULL(strstr(vendor, "vgpu-type 0000:c1:00.0 1147 48 NVIDIA L40S-1Q\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(vendor, "vgpu-type 0000:e1:00.0 1156 1 NVIDIA L40S-48Q\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(vendor, "vgpu-type 0000:c1:00.0 1152 6 NVIDIA L40S-8Q\n"));
        free(vendor);
        host_free(h);
}

static void test_numvfs_errors(void) {
        REQUIRE_SIM();
        struct host *h = host_new("l40s-vfio");
        const char *numvfs = L40S_PF1 "/sriov_numvfs";
        /* > sriov_totalvfs: ERANGE; the file keeps its value even though the
         * shell's redirection truncated it */
        CU_ASSERT_NOT_EQUAL(sh(h, PRINTF " 33 > %s", numvfs), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "Numerical result out of range"));
        ASSERT_FILE(h, numvfs, "0\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "65536"), "ERANGE"); /* kstrtou16 */
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "two"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "-1"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, ""), "0"); /* no store at all */
        /* dash's builtin printf */
        CU_ASSERT_EQUAL(sh(h, "printf '2\\n' > %s", numvfs), 0);
        ASSERT_FILE(h, numvfs, "2\n");
        /* non-zero to a different non-zero: EBUSY, write 0 first */
        CU_ASSERT_NOT_EQUAL(sh(h, "printf 3 > %s", numvfs), 0);
        char *line = last_log_line(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(line, "/0000:e1:00.0/sriov_numvfs \"3\" EBUSY"));
        free(line);
        ASSERT_FILE(h, numvfs, "2\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "0x2"), "0"); /* the same number: nothing to do */
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/pci/devices"), 10);
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "32"), "0");
        ASSERT_FILE(h, numvfs, "32\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "0\n"), "0");
        ASSERT_FILE(h, numvfs, "0\n");
        /* a PF without a driver cannot configure SR-IOV */
        CU_ASSERT_EQUAL(sh(h, "echo 0000:e1:00.0 > /sys/bus/pci/drivers/nvidia/unbind"), 0);
        CU_ASSERT_FALSE(exists(h, L40S_PF1 "/driver"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "1"), "ENOENT");
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "33"), "ERANGE"); /* checked before the driver */
        host_free(h);
}

static void test_numvfs_creates_vfs(void) {
        REQUIRE_SIM();
        struct host *h = host_new("l40s-vfio");
        CU_ASSERT_EQUAL(sh(h, "printf 3 > " L40S_PF1 "/sriov_numvfs"), 0);
        const char *bdfs[] = { "0000:e1:00.4", "0000:e1:00.5", "0000:e1:00.6" };
        for (int i = 0; i < 3; i++) {
                char *phys = xprintf("/sys/devices/pci0000:e0/0000:e0:01.1/%s", bdfs[i]);
                char *virtfn = xprintf(L40S_PF1 "/virtfn%d", i);
                char *group = xprintf("/sys/kernel/iommu_groups/%d", 82 + i); /* highest was 81 */
                char *member = xprintf("%s/devices/%s", group, bdfs[i]);
                char *back = xprintf("/sys/bus/pci/drivers/nvidia/%s", bdfs[i]);
                assert_link(h, virtfn, phys);
                assert_link(h, vf(bdfs[i], "physfn"), "/sys/devices/pci0000:e0/0000:e0:01.1/0000:e1:00.0");
                assert_link(h, vf(bdfs[i], "iommu_group"), group);
                assert_link(h, member, phys);
                assert_link(h, vf(bdfs[i], "driver"), "/sys/bus/pci/drivers/nvidia");
                assert_link(h, back, phys);
                assert_link(h, vf(bdfs[i], "subsystem"), "/sys/bus/pci");
                ASSERT_FILE(h, vf(bdfs[i], "vendor"), "0x10de\n");
                ASSERT_FILE(h, vf(bdfs[i], "device"), "0x26b9\n");
                ASSERT_FILE(h, vf(bdfs[i], "class"), "0x030200\n");
                ASSERT_FILE(h, vf(bdfs[i], "numa_node"), "1\n");
                ASSERT_FILE(h, vf(bdfs[i], "driver_override"), "(null)\n");
                /* nvidia's probe: vendor-specific VFIO */
                ASSERT_FILE(h, vf(bdfs[i], "nvidia/creatable_vgpu_types"), l40s_all);
                ASSERT_FILE(h, vf(bdfs[i], "nvidia/current_vgpu_type"), "0\n");
                char *vd = xprintf("%s/vfio-dev/vfio%d", phys, 4 + i); /* c1's VFs hold 0..3 */
                CU_ASSERT_TRUE(exists(h, vd));
                free(vd);
                free(phys), free(virtfn), free(group), free(member), free(back);
        }
        char *ue = rd(h, vf("0000:e1:00.5", "uevent"));
        CU_ASSERT_STRING_EQUAL(ue, "DRIVER=nvidia\nPCI_CLASS=30200\nPCI_ID=10DE:26B9\nPCI_SUBSYS_ID=10DE:1851\n"
                                   "PCI_SLOT_NAME=0000:e1:00.5\n"
                                   "MODALIAS=pci:v000010DEd000026B9sv000010DEsd00001851bc03sc02i00\n");
        free(ue);
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/83"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/devices/vfio5"));
        /* udevadm inside the host sees the new VF */
        const char *argv[] = { "udevadm", "info", DEVS "0000:e1:00.5", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "P: /devices/pci0000:e0/0000:e0:01.1/0000:e1:00.5\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: DRIVER=nvidia\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: PCI_ID=10DE:26B9\n"));

        /* 0 removes every VF, its group, its nodes */
        CU_ASSERT_EQUAL(sh(h, "printf 0 > " L40S_PF1 "/sriov_numvfs"), 0);
        for (int i = 0; i < 3; i++) {
                char *virtfn = xprintf(L40S_PF1 "/virtfn%d", i);
                char *group = xprintf("/sys/kernel/iommu_groups/%d", 82 + i);
                char *node = xprintf("/dev/vfio/%d", 82 + i);
                char *back = xprintf("/sys/bus/pci/drivers/nvidia/%s", bdfs[i]);
                char *cls = xprintf("/sys/class/vfio-dev/vfio%d", 4 + i);
                char *cdev = xprintf("/dev/vfio/devices/vfio%d", 4 + i);
                char *dir = xprintf("/sys/devices/pci0000:e0/0000:e0:01.1/%s", bdfs[i]);
                CU_ASSERT_FALSE(exists(h, virtfn));
                CU_ASSERT_FALSE(exists(h, DEVS "0000:e1:00.4"));
                CU_ASSERT_FALSE(exists(h, group));
                CU_ASSERT_FALSE(exists(h, node));
                CU_ASSERT_FALSE(exists(h, back));
                CU_ASSERT_FALSE(exists(h, cls));
                CU_ASSERT_FALSE(exists(h, cdev));
                CU_ASSERT_FALSE(exists(h, dir));
                free(virtfn), free(group), free(node), free(back), free(cls), free(cdev), free(dir);
        }
        ASSERT_FILE(h, L40S_PF1 "/sriov_numvfs", "0\n");
        char *state = rd(h, "/.sim/state");
        CU_ASSERT_PTR_NULL(strstr(state, "0000:e1:00.4"));
        free(state);
        /* c1's VFs are untouched */
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/53/devices/0000:c1:00.4"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/devices/vfio0"));
        host_free(h);
}

/* A NIC-like PF (driver i40e; its VF driver iavf is not loaded) with offset
 * 16 and stride 2: VFs at 0000:3b:02.0, 02.2, 02.4, left unbound. */
static const char stride_text[] = "P: /devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0\n"
                                  "E: DRIVER=i40e\n"
                                  "E: SUBSYSTEM=pci\n"
                                  "E: PCI_SLOT_NAME=0000:3b:00.0\n"
                                  "A: class=0x020000\\n\n"
                                  "A: vendor=0x8086\\n\n"
                                  "A: device=0x1572\\n\n"
                                  "A: subsystem_vendor=0x8086\\n\n"
                                  "A: subsystem_device=0x0000\\n\n"
                                  "A: numa_node=0\\n\n"
                                  "A: driver_override=(null)\\n\n"
                                  "A: sriov_totalvfs=64\\n\n"
                                  "A: sriov_numvfs=0\\n\n"
                                  "A: sriov_offset=16\\n\n"
                                  "A: sriov_stride=2\\n\n"
                                  "A: sriov_vf_device=154c\\n\n"
                                  "A: sriov_drivers_autoprobe=1\\n\n"
                                  "L: driver=../../../../bus/pci/drivers/i40e\n"
                                  "L: iommu_group=../../../../kernel/iommu_groups/7\n";

static void test_offset_stride(void) {
        REQUIRE_SIM();
        struct host *h = host_with_text(stride_text);
        CU_ASSERT_STRING_EQUAL(cwrite(h, DEVS "0000:3b:00.0/sriov_numvfs", "3"), "0");
        assert_link(h, DEVS "0000:3b:00.0/virtfn0", "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:02.0");
        assert_link(h, DEVS "0000:3b:00.0/virtfn1", "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:02.2");
        assert_link(h, DEVS "0000:3b:00.0/virtfn2", "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:02.4");
        CU_ASSERT_FALSE(exists(h, DEVS "0000:3b:02.1"));
        ASSERT_FILE(h, vf("0000:3b:02.2", "device"), "0x154c\n");
        ASSERT_FILE(h, vf("0000:3b:02.2", "class"), "0x020000\n");
        CU_ASSERT_FALSE(exists(h, vf("0000:3b:02.2", "driver"))); /* iavf is not loaded */
        CU_ASSERT_FALSE(exists(h, vf("0000:3b:02.2", "nvidia")));
        assert_link(h, vf("0000:3b:02.4", "iommu_group"), "/sys/kernel/iommu_groups/10");
        /* the driver core knows them: vfio-pci binds one through driver_override */
        CU_ASSERT_EQUAL(sh(h, "echo vfio-pci > " DEVS "0000:3b:02.2/driver_override && "
                              "echo 0000:3b:02.2 > /sys/bus/pci/drivers_probe"),
                        0);
        assert_link(h, vf("0000:3b:02.2", "driver"), "/sys/bus/pci/drivers/vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/9"));
        /* a VF on vfio-pci keeps the VFs: EBUSY (see sim/README.md) */
        CU_ASSERT_STRING_EQUAL(cwrite(h, DEVS "0000:3b:00.0/sriov_numvfs", "0"), "EBUSY");
        CU_ASSERT_TRUE(exists(h, DEVS "0000:3b:02.2"));
        CU_ASSERT_EQUAL(sh(h, "echo 0000:3b:02.2 > /sys/bus/pci/drivers/vfio-pci/unbind"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, DEVS "0000:3b:00.0/sriov_numvfs", "0"), "0");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/9"));
        CU_ASSERT_FALSE(exists(h, "/sys/kernel/iommu_groups/9"));
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/pci/devices"), 1);
        host_free(h);
}

static void test_xe_autoprobe(void) {
        REQUIRE_SIM();
        struct host *h = host_new("intel-xe-sriov");
        CU_ASSERT_EQUAL_FATAL(sh(h, "true"), 0);
        ASSERT_FILE(h, XE_PF "/sriov_drivers_autoprobe", "1\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "8"), "ERANGE");
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "7"), "0");
        for (int i = 1; i <= 7; i++) {
                char *d = xprintf(DEVS "0000:03:00.%d/driver", i);
                assert_link(h, d, "/sys/bus/pci/drivers/xe");
                free(d);
        }
        ASSERT_FILE(h, vf("0000:03:00.3", "device"), "0x56c0\n");
        ASSERT_FILE(h, vf("0000:03:00.3", "class"), "0x038000\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "0"), "0");
        /* sriov_drivers_autoprobe=0: the VFs stay unbound */
        CU_ASSERT_EQUAL(sh(h, "echo 0 > " XE_PF "/sriov_drivers_autoprobe && printf 2 > " XE_PF "/sriov_numvfs"), 0);
        CU_ASSERT_TRUE(exists(h, DEVS "0000:03:00.2"));
        CU_ASSERT_FALSE(exists(h, vf("0000:03:00.1", "driver")));
        CU_ASSERT_FALSE(exists(h, vf("0000:03:00.2", "driver")));
        /* then to vfio-pci: on Intel, VFs go to vfio-pci, never the PF */
        CU_ASSERT_EQUAL(sh(h, "echo vfio-pci > " DEVS "0000:03:00.1/driver_override && "
                              "echo 0000:03:00.1 > /sys/bus/pci/drivers_probe"),
                        0);
        assert_link(h, vf("0000:03:00.1", "driver"), "/sys/bus/pci/drivers/vfio-pci");
        /* the PF's driver can bind the other one through drivers_probe (native) */
        CU_ASSERT_EQUAL(sh(h, "echo 0000:03:00.2 > /sys/bus/pci/drivers_probe"), 0);
        assert_link(h, vf("0000:03:00.2", "driver"), "/sys/bus/pci/drivers/xe");
        host_free(h);
}

static void test_amd_gim(void) {
        REQUIRE_SIM();
        struct host *h = host_new("amd-mxgpu");
        CU_ASSERT_EQUAL_FATAL(sh(h, "true"), 0);
        for (int i = 0; i < 4; i++) {
                char *virtfn = xprintf(AMD_PF "/virtfn%d", i);
                char *phys = xprintf("/sys/devices/pci0000:00/0000:00:03.0/0000:05:02.%d", i);
                assert_link(h, virtfn, phys);
                free(virtfn), free(phys);
        }
        ASSERT_FILE(h, vf("0000:05:02.3", "device"), "0x692f\n");
        CU_ASSERT_FALSE(exists(h, vf("0000:05:02.3", "driver")));
        ASSERT_FILE(h, AMD_PF "/sriov_numvfs", "4\n");
        /* gim has no sriov_configure: ENOENT, the VFs stay */
        CU_ASSERT_STRING_EQUAL(cwrite(h, AMD_PF "/sriov_numvfs", "0"), "ENOENT");
        CU_ASSERT_NOT_EQUAL(sh(h, PRINTF " 8 > " AMD_PF "/sriov_numvfs"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "No such file or directory"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, AMD_PF "/sriov_numvfs", "17"), "ERANGE");
        CU_ASSERT_STRING_EQUAL(cwrite(h, AMD_PF "/sriov_numvfs", "4"), "0"); /* unchanged: no callback needed */
        ASSERT_FILE(h, AMD_PF "/sriov_numvfs", "4\n");
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/pci/devices"), 6);
        host_free(h);
}

/* Without the setting, the driver name says it. */
static void test_amd_gim_inferred(void) {
        REQUIRE_SIM();
        char *file = xprintf("%s/amd-mxgpu.umockdev", GPUHOOK_HOSTS_DIR);
        char *text = read_file(file);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        char *s = strstr(text, "# gpuhook-sim: 0000:05:00.0 sriov-configure=no\n");
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        memset(s, ' ', strlen("# gpuhook-sim: 0000:05:00.0 sriov-configure=no"));
        s[0] = '#';
        struct host *h = host_with_text(text);
        CU_ASSERT_STRING_EQUAL(cwrite(h, AMD_PF "/sriov_numvfs", "2"), "ENOENT");
        char *vendor = rd(h, "/.sim/vendor");
        CU_ASSERT_PTR_NOT_NULL(strstr(vendor, "pf 0000:05:00.0 sriov-configure=auto"));
        free(vendor);
        host_free(h);
        free(file);
        free(text);
}

static void test_vgpu_create_destroy(void) {
        REQUIRE_SIM();
        struct host *h = host_new("l40s-vfio");
        const char *cur4 = vf("0000:c1:00.4", "nvidia/current_vgpu_type");
        const char *cur5 = vf("0000:c1:00.5", "nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur4, "1150"), "0");
        ASSERT_FILE(h, cur4, "1150\n");
        /* a VF with a type lists nothing; the others only the type in use */
        ASSERT_FILE(h, vf("0000:c1:00.4", "nvidia/creatable_vgpu_types"), header_only);
        for (int i = 5; i <= 7; i++) {
                char *f = xprintf(DEVS "0000:c1:00.%d/nvidia/creatable_vgpu_types", i);
                ASSERT_FILE(h, f, only_4q);
                free(f);
        }
        /* the other card is untouched */
        ASSERT_FILE(h, L40S_PF1 "/sriov_numvfs", "0\n");
        /* not in this VF's list (homogeneous card) */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur5, "1147"), "EINVAL");
        CU_ASSERT_NOT_EQUAL(sh(h, PRINTF " 1147 > %s", cur5), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "Invalid argument"));
        ASSERT_FILE(h, cur5, "0\n"); /* rewritten after the truncating redirection */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur5, "4242"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur5, "L40S-4Q"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur5, ""), "0");
        /* already has a type: EBUSY, even the same one; write 0 first */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur4, "1150"), "EBUSY");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur4, "1147"), "EBUSY");
        CU_ASSERT_EQUAL(sh(h, "printf '1150\\n' > %s", cur5), 0);
        ASSERT_FILE(h, cur5, "1150\n");
        /* destroy one: the card still holds 4Q */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur4, "0"), "0");
        ASSERT_FILE(h, cur4, "0\n");
        ASSERT_FILE(h, vf("0000:c1:00.4", "nvidia/creatable_vgpu_types"), only_4q);
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur4, "0"), "0"); /* free already: no-op */
        CU_ASSERT_EQUAL(sh(h, "printf 0 > %s", cur5), 0);
        /* empty card: every type is back everywhere */
        for (int i = 4; i <= 7; i++) {
                char *f = xprintf(DEVS "0000:c1:00.%d/nvidia/creatable_vgpu_types", i);
                ASSERT_FILE(h, f, l40s_all);
                free(f);
        }
        char *vendor = rd(h, "/.sim/vendor");
        CU_ASSERT_PTR_NULL(strstr(vendor, "\nvgpu "));
        free(vendor);
        host_free(h);
}

static void test_vgpu_capacity(void) {
        REQUIRE_SIM();
        /* 48Q: one per card */
        struct host *h = host_new("l40s-vfio");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.6", "nvidia/current_vgpu_type"), "1156"), "0");
        for (int i = 4; i <= 7; i++) {
                char *f = xprintf(DEVS "0000:c1:00.%d/nvidia/creatable_vgpu_types", i);
                ASSERT_FILE(h, f, header_only);
                free(f);
        }
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.7", "nvidia/current_vgpu_type"), "1156"), "EINVAL");
        /* new VFs of the other card are not affected */
        CU_ASSERT_STRING_EQUAL(cwrite(h, L40S_PF1 "/sriov_numvfs", "2"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:e1:00.5", "nvidia/current_vgpu_type"), "1156"), "0");
        /* a vGPU keeps its VF: sriov_numvfs 0 fails EBUSY */
        CU_ASSERT_STRING_EQUAL(cwrite(h, L40S_PF1 "/sriov_numvfs", "0"), "EBUSY");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:e1:00.5", "nvidia/current_vgpu_type"), "0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, L40S_PF1 "/sriov_numvfs", "0"), "0");
        host_free(h);

        /* a smaller max, set in the host file: the list shrinks to nothing */
        h = host_variant("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 vgpu-max=1150:2\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.4", "nvidia/current_vgpu_type"), "1150"), "0");
        ASSERT_FILE(h, vf("0000:c1:00.5", "nvidia/creatable_vgpu_types"), only_4q);
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.5", "nvidia/current_vgpu_type"), "1150"), "0");
        ASSERT_FILE(h, vf("0000:c1:00.6", "nvidia/creatable_vgpu_types"), header_only);
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.6", "nvidia/current_vgpu_type"), "1150"), "EINVAL");
        host_free(h);

        /* mixed-size mode: one framebuffer pool, types side by side */
        h = host_variant("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 vgpu-mode=mixed-size\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.4", "nvidia/current_vgpu_type"), "1150"), "0");
        ASSERT_FILE(h, vf("0000:c1:00.5", "nvidia/creatable_vgpu_types"),
                    "ID    : vGPU Name\n1147  : NVIDIA L40S-1Q\n1148  : NVIDIA L40S-2Q\n1150  : NVIDIA L40S-4Q\n"
                    "1152  : NVIDIA L40S-8Q\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.5", "nvidia/current_vgpu_type"), "1147"), "0");
        host_free(h);
}

static void test_vgpu_release_busy(void) {
        REQUIRE_SIM();
        struct host *h = host_variant("l40s-vfio", "# gpuhook-sim: 0000:c1:00.0 release-busy=2\n");
        const char *cur = vf("0000:c1:00.4", "nvidia/current_vgpu_type");
        /* a free VF: 0 is a no-op and does not count */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur, "0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur, "1148"), "0");
        /* the way peers release: retry 0 up to 10 times */
        CU_ASSERT_EQUAL(sh(h, "for i in 1 2 3 4 5 6 7 8 9 10; do printf 0 > %s 2>/dev/null && exit 0; "
                              "echo retry; done; exit 1",
                           cur),
                        0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "retry"), 2);
        ASSERT_FILE(h, cur, "0\n");
        char *log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, "/nvidia/current_vgpu_type \"0\" EBUSY"), 2);
        free(log);
        /* used up: the next release succeeds at once */
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur, "1148"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, cur, "0"), "0");
        char *vendor = rd(h, "/.sim/vendor");
        CU_ASSERT_PTR_NOT_NULL(strstr(vendor, "pf 0000:c1:00.0 sriov-configure=auto vf-driver=auto "
                                              "vgpu-mode=equal-size release-busy=0\n"));
        free(vendor);
        host_free(h);
}

#define T4 "/sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0"
#define TU "3b3b3b3b-0000-4000-8000-000000000001"

static void test_vgpu_params(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("t4");
        mdevctl_start(h, TU, "0000:3b:00.0", "nvidia-222");
        CU_ASSERT_EQUAL_FATAL(h->status, 0);
        const char *params = "/sys/bus/mdev/devices/" TU "/nvidia/vgpu_params";
        ASSERT_FILE(h, params, "");
        /* key=value[,...]\n: the driver eats the newline */
        CU_ASSERT_EQUAL(sh(h, "printf 'frame_rate_limiter=0,disable_vnc=1\\n' > %s", params), 0);
        ASSERT_FILE(h, params, "frame_rate_limiter=0,disable_vnc=1\n");
        /* without the newline the last byte of the value is eaten */
        CU_ASSERT_STRING_EQUAL(cwrite(h, params, "frame_rate_limiter=0"), "0");
        ASSERT_FILE(h, params, "frame_rate_limiter=\n");
        /* a lone newline clears */
        CU_ASSERT_STRING_EQUAL(cwrite(h, params, "\n"), "0");
        ASSERT_FILE(h, params, "");
        CU_ASSERT_STRING_EQUAL(cwrite(h, params, ""), "0");
        char *log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, "/nvidia/vgpu_params \"frame_rate_limiter=0\" 0"), 1);
        free(log);
        /* T4 types share the framebuffer, one type at a time */
        CU_ASSERT_EQUAL(avail(h, "0000:3b:00.0", "nvidia-222"), 15);
        CU_ASSERT_EQUAL(avail(h, "0000:3b:00.0", "nvidia-230"), 0);
        host_free(h);
}

#define A100_0 "/sys/devices/pci0000:40/0000:40:01.1"
#define AU(n) "a100a100-0000-4000-8000-0000000000" n

static void assert_avail4(struct host *h, const char *pf_prefix, const char *type, const char *expected) {
        char got[16] = "";
        for (int i = 4; i <= 7; i++) {
                char *parent = xprintf("%s.%d", pf_prefix, i);
                int a = avail(h, parent, type);
                snprintf(got + strlen(got), sizeof(got) - strlen(got), "%d", a);
                free(parent);
        }
        CU_ASSERT_STRING_EQUAL(got, expected);
        if (strcmp(got, expected) != 0)
                printf("\n  %s on %s.4-7: %s, expected %s\n", type, pf_prefix, got, expected);
}

static void test_mdev_on_vf(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("a100-vf");
        const char *argv[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "Name: GRID A100-4C"), 8);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:81:00.7\n"));
        assert_avail4(h, "0000:41:00", "nvidia-468", "1111");
        /* one 8C on VF .5: every other type reads 0 on every VF of the card */
        mdevctl_start(h, AU("01"), "0000:41:00.5", "nvidia-470");
        CU_ASSERT_EQUAL(h->status, 0);
        assert_avail4(h, "0000:41:00", "nvidia-470", "1011");
        assert_avail4(h, "0000:41:00", "nvidia-468", "0000");
        assert_avail4(h, "0000:41:00", "nvidia-473", "0000");
        assert_avail4(h, "0000:81:00", "nvidia-468", "1111"); /* the other card */
        mdevctl_start(h, AU("02"), "0000:41:00.4", "nvidia-468");
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "No available instances"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, A100_0 "/0000:41:00.4/mdev_supported_types/nvidia-468/create", AU("02")),
                               "EUSERS");
        CU_ASSERT_STRING_EQUAL(cwrite(h, A100_0 "/0000:41:00.5/mdev_supported_types/nvidia-470/create", AU("02")),
                               "EUSERS"); /* one instance per VF */
        mdevctl_start(h, AU("03"), "0000:41:00.7", "nvidia-470");
        CU_ASSERT_EQUAL(h->status, 0);
        assert_avail4(h, "0000:41:00", "nvidia-470", "1010");
        /* the card empty again: everything returns */
        mdevctl_stop(h, AU("01"));
        mdevctl_stop(h, AU("03"));
        assert_avail4(h, "0000:41:00", "nvidia-468", "1111");
        assert_avail4(h, "0000:41:00", "nvidia-473", "1111");
        /* max_instance per card: 20C x2 on a 4-VF card */
        mdevctl_start(h, AU("04"), "0000:41:00.4", "nvidia-472");
        CU_ASSERT_EQUAL(h->status, 0);
        assert_avail4(h, "0000:41:00", "nvidia-472", "0111");
        CU_ASSERT_EQUAL(sh(h, "printf %s > %s/0000:41:00.6/mdev_supported_types/nvidia-472/create", AU("05"),
                           A100_0),
                        0);
        assert_avail4(h, "0000:41:00", "nvidia-472", "0000");
        CU_ASSERT_STRING_EQUAL(cwrite(h, A100_0 "/0000:41:00.7/mdev_supported_types/nvidia-472/create", AU("06")),
                               "EUSERS");
        /* placement across cards: the NUMA 1 card still offers 20C */
        assert_avail4(h, "0000:81:00", "nvidia-472", "1111");
        char *numa = rd(h, "/sys/class/mdev_bus/0000:81:00.4/numa_node");
        CU_ASSERT_STRING_EQUAL(numa, "1\n");
        free(numa);
        host_free(h);
}

/* VFs made by sriov_numvfs on the mdev path become mdev parents like the
 * recorded ones, and go away with their registration. */
static void test_mdev_on_new_vfs(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("a100-vf");
        const char *numvfs = DEVS "0000:41:00.0/sriov_numvfs";
        mdevctl_start(h, AU("11"), "0000:41:00.6", "nvidia-468");
        CU_ASSERT_EQUAL(h->status, 0);
        /* mdevs keep their VFs */
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "0"), "EBUSY");
        mdevctl_stop(h, AU("11"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, numvfs, "0"), "0");
        CU_ASSERT_FALSE(exists(h, "/sys/class/mdev_bus/0000:41:00.4"));
        CU_ASSERT_TRUE(exists(h, "/sys/class/mdev_bus/0000:81:00.4"));
        char *state = rd(h, "/.sim/state");
        CU_ASSERT_PTR_NULL(strstr(state, "parent 0000:41:00.4 "));
        free(state);
        const char *argv[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "Name: GRID A100-4C"), 4);
        /* sriov-manage -e: six VFs, .4 .. 01.1 */
        CU_ASSERT_EQUAL(sh(h, "printf 6 > %s", numvfs), 0);
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "Name: GRID A100-4C"), 10);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:41:01.1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "max_instance=10"));
        assert_link(h, "/sys/class/mdev_bus/0000:41:01.0", "/sys/devices/pci0000:40/0000:40:01.1/0000:41:01.0");
        mdevctl_start(h, AU("12"), "0000:41:01.1", "nvidia-471");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_TRUE(exists(h, "/sys/bus/mdev/devices/" AU("12") "/nvidia/vgpu_params"));
        assert_avail4(h, "0000:41:00", "nvidia-471", "1111");
        assert_avail4(h, "0000:41:00", "nvidia-468", "0000");
        CU_ASSERT_EQUAL(avail(h, "0000:41:01.1", "nvidia-471"), 0);
        CU_ASSERT_EQUAL(avail(h, "0000:41:01.0", "nvidia-471"), 1);
        host_free(h);
}

#define CCW "/sys/devices/css0/0.0.0313"
#define MATRIX "/sys/devices/vfio_ap/matrix"
#define SU(n) "55555555-0000-4000-8000-0000000000" n

static void test_s390(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("s390");
        const char *types[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, types), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0.0.0313\n  vfio_ccw-io\n    Available instances: 1\n"
                                              "    Device API: vfio-ccw\n    Name: I/O subchannel (Non-QDIO)\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "matrix\n  vfio_ap-passthrough\n    Available instances: 65536\n"
                                              "    Device API: vfio-ap\n    Name: VFIO AP Passthrough Device\n"));
        assert_link(h, "/sys/class/mdev_bus/0.0.0313", CCW);
        assert_link(h, "/sys/class/mdev_bus/matrix", MATRIX);
        mdevctl_start(h, SU("01"), "0.0.0313", "vfio_ccw-io");
        CU_ASSERT_EQUAL(h->status, 0);
        mdevctl_start(h, SU("02"), "matrix", "vfio_ap-passthrough");
        CU_ASSERT_EQUAL(h->status, 0);
        assert_link(h, "/sys/bus/mdev/devices/" SU("01"), CCW "/" SU("01"));
        assert_link(h, "/sys/bus/mdev/devices/" SU("02") "/mdev_type",
                    MATRIX "/mdev_supported_types/vfio_ap-passthrough");
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" SU("01") "/nvidia"));
        CU_ASSERT_EQUAL(avail(h, "matrix", "vfio_ap-passthrough"), 65535);
        CU_ASSERT_EQUAL(avail(h, "0.0.0313", "vfio_ccw-io"), 0);
        /* the mdev core's counter: EUSERS */
        CU_ASSERT_STRING_EQUAL(cwrite(h, CCW "/mdev_supported_types/vfio_ccw-io/create", SU("03")), "EUSERS");
        const char *list[] = { MDEVCTL, "list", NULL };
        CU_ASSERT_EQUAL(run(h, list), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, SU("01") " 0.0.0313 vfio_ccw-io"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, SU("02") " matrix vfio_ap-passthrough"));
        mdevctl_stop(h, SU("01"));
        CU_ASSERT_EQUAL(avail(h, "0.0.0313", "vfio_ccw-io"), 1);
        host_free(h);
}

static void test_intel_nogvt(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("intel-nogvt");
        const char *types[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, types), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "\n"); /* mdevctl 1.2.0: no parents, one empty line */
        CU_ASSERT_EQUAL(count_dir(h, "/sys/class/mdev_bus"), 0);
        assert_link(h, DEVS "0000:00:02.0/driver", "/sys/bus/pci/drivers/i915");
        ASSERT_FILE(h, DEVS "0000:00:02.0/boot_vga", "1\n");
        CU_ASSERT_FALSE(exists(h, DEVS "0000:00:02.0/mdev_supported_types"));
        host_free(h);
}

/* Helper mode, inside the host: real libudev enumerates the PCI devices
 * and prints "<sysname> <driver or -> <PCI_ID>" per line. */
static int helper_udev_list(void) {
        struct udev *udev = udev_new();
        struct udev_enumerate *e = udev ? udev_enumerate_new(udev) : NULL;
        if (!e || udev_enumerate_add_match_subsystem(e, "pci") < 0 || udev_enumerate_scan_devices(e) < 0)
                return 1;
        struct udev_list_entry *l;
        udev_list_entry_foreach(l, udev_enumerate_get_list_entry(e)) {
                struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(l));
                if (!d)
                        continue;
                const char *drv = udev_device_get_driver(d);
                const char *id = udev_device_get_property_value(d, "PCI_ID");
                printf("%s %s %s\n", udev_device_get_sysname(d), drv ? drv : "-", id ? id : "-");
                udev_device_unref(d);
        }
        udev_enumerate_unref(e);
        udev_unref(udev);
        return 0;
}

static void test_libudev_new_vfs(void) {
        REQUIRE_SIM();
        struct host *h = host_new("intel-xe-sriov");
        const char *argv[] = { self_exe, "--udev-list", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "8086:56C0"), 1);
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "3"), "0");
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "8086:56C0"), 4);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:03:00.3 xe 8086:56C0\n"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "0"), "0");
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "8086:56C0"), 1);
        CU_ASSERT_PTR_NULL(strstr(h->out, "0000:03:00.1"));
        host_free(h);
}

static void test_sriov_manage(void) {
        REQUIRE_SIM();
        struct host *h = host_new("l40s-vfio");
        CU_ASSERT_EQUAL(sh(h, "sriov-manage -e e1:00.0"), 0);
        ASSERT_FILE(h, L40S_PF1 "/sriov_numvfs", "32\n");
        assert_link(h, L40S_PF1 "/virtfn31", "/sys/devices/pci0000:e0/0000:e0:01.1/0000:e1:04.3");
        ASSERT_FILE(h, vf("0000:e1:04.3", "nvidia/creatable_vgpu_types"), l40s_all);
        /* enabled already: nothing to do */
        CU_ASSERT_EQUAL(sh(h, "sriov-manage -e ALL"), 0);
        ASSERT_FILE(h, L40S_PF0 "/sriov_numvfs", "4\n");
        /* a vGPU keeps its card's VFs */
        CU_ASSERT_STRING_EQUAL(cwrite(h, vf("0000:c1:00.7", "nvidia/current_vgpu_type"), "1152"), "0");
        CU_ASSERT_EQUAL(sh(h, "sriov-manage -d ALL"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "cannot write 0 to /sys/bus/pci/devices/0000:c1:00.0/sriov_numvfs"));
        ASSERT_FILE(h, L40S_PF0 "/sriov_numvfs", "4\n");
        ASSERT_FILE(h, L40S_PF1 "/sriov_numvfs", "0\n");
        CU_ASSERT_EQUAL(sh(h, "sriov-manage -e 0000:c0:01.1"), 1);
        CU_ASSERT_EQUAL(sh(h, "sriov-manage -x 0000:c1:00.0"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "Usage: sriov-manage"));
        host_free(h);
        /* only on hosts with an NVIDIA PF */
        h = host_new("intel-xe-sriov");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        CU_ASSERT_FALSE(exists(h, "/.sim/bin/sriov-manage"));
        host_free(h);
}

static void test_vendor_settings(void) {
        REQUIRE_SIM();
        static const struct {
                const char *line, *error;
        } bad[] = {
                { "# gpuhook-sim: 0000:c1:00.0 release-busy=many\n", "invalid setting release-busy=many" },
                { "# gpuhook-sim: 0000:c1:00.0 vgpu-max=9999:3\n", "invalid setting vgpu-max=9999:3" },
                { "# gpuhook-sim: 0000:c1:00.0 vgpu-mode=fancy\n", "invalid setting vgpu-mode=fancy" },
                { "# gpuhook-sim: 0000:c0:01.1 sriov-configure=no\n", "no SR-IOV PF '0000:c0:01.1'" },
                { "# gpuhook-sim: 0000:c1:00.0 sriov-configure=maybe\n", "invalid setting sriov-configure=maybe" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct host *h = host_variant("l40s-vfio", bad[i].line);
                CU_ASSERT_EQUAL(sh(h, "true"), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(h->err, bad[i].error));
                if (!strstr(h->err, bad[i].error))
                        printf("\n  '%s': %s", bad[i].line, h->err);
                host_free(h);
        }
        /* a vGPU key on a PF that is not a vGPU card */
        struct host *h = host_variant("intel-xe-sriov", "# gpuhook-sim: 0000:03:00.0 release-busy=1\n");
        CU_ASSERT_EQUAL(sh(h, "true"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "is not an NVIDIA vGPU card"));
        host_free(h);
        /* by sysfs path, and vf-driver */
        h = host_variant("intel-xe-sriov",
                         "# gpuhook-sim: /devices/pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:03:00.0 "
                         "vf-driver=none\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE_PF "/sriov_numvfs", "1"), "0");
        CU_ASSERT_TRUE(exists(h, DEVS "0000:03:00.1"));
        CU_ASSERT_FALSE(exists(h, DEVS "0000:03:00.1/driver"));
        host_free(h);
}

int main(int argc, char *argv[]) {
        if (argc == 2 && strcmp(argv[1], "--udev-list") == 0)
                return helper_udev_list();
        static const struct simtest tests[] = {
                { "l40s host: VFs, nvidia files, vfio-dev", test_l40s_completion },
                { "sriov_numvfs: ERANGE, EINVAL, EBUSY, ENOENT", test_numvfs_errors },
                { "sriov_numvfs: VFs, links, groups; 0 removes", test_numvfs_creates_vfs },
                { "sriov_numvfs: offset, stride, unbound VFs, vfio-pci EBUSY", test_offset_stride },
                { "intel xe: autoprobe 1 and 0", test_xe_autoprobe },
                { "amd gim: ENOENT", test_amd_gim },
                { "amd gim: inferred from the driver", test_amd_gim_inferred },
                { "vgpu: create, destroy, EINVAL, EBUSY, homogeneous", test_vgpu_create_destroy },
                { "vgpu: capacity per card, mixed-size", test_vgpu_capacity },
                { "vgpu: release-busy and retries", test_vgpu_release_busy },
                { "vgpu_params: the last byte is eaten", test_vgpu_params },
                { "mdev on VFs: card rules with mdevctl", test_mdev_on_vf },
                { "mdev on VFs: new VFs are parents", test_mdev_on_new_vfs },
                { "s390: vfio_ccw and vfio_ap with mdevctl", test_s390 },
                { "intel without GVT-g", test_intel_nogvt },
                { "libudev sees new VFs", test_libudev_new_vfs },
                { "sriov-manage stand-in", test_sriov_manage },
                { "vendor settings", test_vendor_settings },
        };
        return simtest_main(argc, argv, "sim-vendor", tests, sizeof(tests) / sizeof(tests[0]));
}
