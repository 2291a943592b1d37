/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-sim end to end, host files: every host file in tests/hosts loads and
 * passes the completion checks, and server-mixed (a 2-socket server with a
 * host NIC using SR-IOV, the boot NVMe, an Intel SR-IOV GPU, an NVIDIA
 * vendor-VFIO vGPU card, two passthrough GPUs and the BMC's console
 * graphics) is what its header says, its NIC PF's sriov_numvfs behaving as
 * drivers/pci/iov.c sriov_numvfs_store() and ice do. Checked from outside
 * the testbed, and with lspci inside when it is installed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simtest.h"

#define DEVS "/sys/bus/pci/devices/"
#define NIC_PF0 DEVS "0000:17:00.0"
#define NIC_PF1 DEVS "0000:17:00.1"
#define AST DEVS "0000:03:00.0"
#define XE DEVS "0000:4b:00.0"
#define L40S DEVS "0000:ca:00.0"

static char *rd(struct host *h, const char *rel) {
        char *s = read_rel(h, rel);
        return s ? s : strdup("(missing)");
}

#define ASSERT_FILE(h, rel, expected)                                      \
        do {                                                               \
                char *got_ = rd((h), (rel));                               \
                CU_ASSERT_STRING_EQUAL(got_, (expected));                  \
                if (strcmp(got_, (expected)) != 0)                         \
                        printf("\n  %s: got '%s'\n", (rel), got_);         \
                free(got_);                                                \
        } while (0)

/* The last component of link REL's target, "" if REL is no link. */
static char *link_base(struct host *h, const char *rel) {
        char *t = readlink_rel(h, rel);
        char *b = strcmp(t, "(none)") == 0 ? strdup("") : strdup(strrchr(t, '/') ? strrchr(t, '/') + 1 : t);
        free(t);
        return b;
}

#define ASSERT_LINK_BASE(h, rel, want)                                     \
        do {                                                               \
                char *b_ = link_base((h), (rel));                          \
                CU_ASSERT_STRING_EQUAL(b_, (want));                        \
                if (strcmp(b_, (want)) != 0)                               \
                        printf("\n  %s -> '%s', expected '%s'\n", (rel), b_, (want)); \
                free(b_);                                                  \
        } while (0)

static void assert_dev(struct host *h, const char *bdf, const char *driver, const char *group) {
        char *d = xprintf(DEVS "%s/driver", bdf), *g = xprintf(DEVS "%s/iommu_group", bdf);
        char *back = xprintf("/sys/kernel/iommu_groups/%s/devices/%s", group, bdf);
        ASSERT_LINK_BASE(h, d, driver);
        ASSERT_LINK_BASE(h, g, group);
        CU_ASSERT_TRUE(exists(h, back));
        free(d), free(g), free(back);
}

/* -------------------------------------------------------------------- */

static void test_all_hosts_load(void) {
        REQUIRE_SIM();
        DIR *d = opendir(GPUHOOK_HOSTS_DIR);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        struct dirent *de;
        int n = 0;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len < 9 || strcmp(de->d_name + len - 9, ".umockdev") != 0)
                        continue;
                char *file = xprintf("%s/%s", GPUHOOK_HOSTS_DIR, de->d_name);
                struct host *h = host_new_file(file);
                int r = sh(h, "true");
                CU_ASSERT_EQUAL(r, 0);
                if (r != 0)
                        printf("\n  %s: %s", de->d_name, h->err);
                host_free(h);
                free(file);
                n++;
        }
        closedir(d);
        CU_ASSERT_TRUE(n >= 16);
}

static const char *const server_bdfs[] = {
        "0000:00:01.0", "0000:02:00.0", "0000:03:00.0", "0000:16:01.0", "0000:17:00.0", "0000:17:00.1",
        "0000:17:01.0", "0000:17:01.1", "0000:17:01.2", "0000:17:01.3", "0000:30:01.0", "0000:31:00.0",
        "0000:31:00.1", "0000:48:01.0", "0000:49:00.0", "0000:4a:01.0", "0000:4b:00.0", "0000:64:02.0",
        "0000:65:00.0", "0000:b0:01.0", "0000:b1:00.0", "0000:b1:00.1", "0000:c9:01.0", "0000:ca:00.0",
        "0000:ca:00.4", "0000:ca:00.5", "0000:ca:00.6", "0000:ca:00.7",
};

static void test_server_mixed_inventory(void) {
        REQUIRE_SIM();
        struct host *h = host_new("server-mixed");
        CU_ASSERT_EQUAL_FATAL(sh(h, "true"), 0);
        size_t n = sizeof(server_bdfs) / sizeof(server_bdfs[0]);
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/pci/devices"), (int)n);
        for (size_t i = 0; i < n; i++) {
                char *p = xprintf(DEVS "%s", server_bdfs[i]);
                CU_ASSERT_TRUE(exists(h, p));
                free(p);
        }
        /* what lspci lists, when it is installed (pciutils) */
        if (access("/usr/bin/lspci", X_OK) == 0) {
                CU_ASSERT_EQUAL(sh(h, "lspci -D -n 2>/dev/null | wc -l"), 0);
                CU_ASSERT_EQUAL(atoi(h->out), (int)n);
                CU_ASSERT_EQUAL(sh(h, "lspci -n -s 17:01.0 2>/dev/null"), 0);
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0200: 8086:1889"));
        } else
                printf("\n  note: lspci not installed, counted /sys/bus/pci/devices only\n");

        /* the host NIC: PF0 with 4 VFs on iavf, PF1 with SR-IOV off */
        assert_dev(h, "0000:17:00.0", "ice", "21");
        assert_dev(h, "0000:17:00.1", "ice", "22");
        ASSERT_FILE(h, NIC_PF0 "/vendor", "0x8086\n");
        ASSERT_FILE(h, NIC_PF0 "/device", "0x1593\n");
        ASSERT_FILE(h, NIC_PF0 "/class", "0x020000\n");
        ASSERT_FILE(h, NIC_PF0 "/sriov_numvfs", "4\n");
        ASSERT_FILE(h, NIC_PF0 "/sriov_totalvfs", "128\n");
        ASSERT_FILE(h, NIC_PF0 "/sriov_offset", "8\n");
        ASSERT_FILE(h, NIC_PF1 "/sriov_numvfs", "0\n");
        ASSERT_FILE(h, NIC_PF1 "/sriov_totalvfs", "128\n");
        for (int i = 0; i < 4; i++) {
                char *bdf = xprintf("0000:17:01.%d", i), *grp = xprintf("%d", 23 + i);
                char *virtfn = xprintf(NIC_PF0 "/virtfn%d", i), *physfn = xprintf(DEVS "%s/physfn", bdf);
                char *dev = xprintf(DEVS "%s/device", bdf);
                assert_dev(h, bdf, "iavf", grp);
                ASSERT_LINK_BASE(h, virtfn, bdf);
                ASSERT_LINK_BASE(h, physfn, "0000:17:00.0");
                ASSERT_FILE(h, dev, "0x1889\n");
                free(bdf), free(grp), free(virtfn), free(physfn), free(dev);
        }
        /* the boot disk, the console GPU and its bridge (one group) */
        assert_dev(h, "0000:65:00.0", "nvme", "51");
        ASSERT_FILE(h, DEVS "0000:65:00.0/class", "0x010802\n");
        assert_dev(h, "0000:03:00.0", "ast", "11");
        assert_dev(h, "0000:02:00.0", "", "11");
        CU_ASSERT_EQUAL(count_dir(h, "/sys/kernel/iommu_groups/11/devices"), 2);
        ASSERT_FILE(h, AST "/boot_vga", "1\n");
        ASSERT_FILE(h, AST "/class", "0x030000\n");
        CU_ASSERT_TRUE(exists(h, "/dev/dri/card0"));
        ASSERT_FILE(h, "/sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
        ASSERT_FILE(h, "/sys/class/vtconsole/vtcon1/bind", "1\n");
        ASSERT_LINK_BASE(h, "/sys/bus/platform/devices/efi-framebuffer.0/driver", "efi-framebuffer");
        /* the two passthrough cards: one group of two functions each, one per socket */
        static const struct {
                const char *bus, *group, *numa;
        } cards[] = { { "31", "31", "0\n" }, { "b1", "61", "1\n" } };
        for (size_t i = 0; i < 2; i++) {
                char *vga = xprintf("0000:%s:00.0", cards[i].bus), *aud = xprintf("0000:%s:00.1", cards[i].bus);
                char *gdir = xprintf("/sys/kernel/iommu_groups/%s/devices", cards[i].group);
                char *numa = xprintf(DEVS "%s/numa_node", vga), *bv = xprintf(DEVS "%s/boot_vga", vga);
                char *dv = xprintf(DEVS "%s/device", vga), *da = xprintf(DEVS "%s/device", aud);
                assert_dev(h, vga, "nvidia", cards[i].group);
                assert_dev(h, aud, "snd_hda_intel", cards[i].group);
                CU_ASSERT_EQUAL(count_dir(h, gdir), 2);
                ASSERT_FILE(h, numa, cards[i].numa);
                ASSERT_FILE(h, bv, "0\n");
                ASSERT_FILE(h, dv, "0x24b0\n");
                ASSERT_FILE(h, da, "0x228b\n");
                free(vga), free(aud), free(gdir), free(numa), free(bv), free(dv), free(da);
        }
        /* Flex 170: SR-IOV possible, not enabled */
        assert_dev(h, "0000:4b:00.0", "xe", "43");
        ASSERT_FILE(h, XE "/sriov_numvfs", "0\n");
        ASSERT_FILE(h, XE "/sriov_totalvfs", "7\n");
        ASSERT_FILE(h, XE "/class", "0x038000\n");
        /* L40S: 4 vendor-VFIO VFs, all free */
        assert_dev(h, "0000:ca:00.0", "nvidia", "71");
        ASSERT_FILE(h, L40S "/sriov_numvfs", "4\n");
        for (int i = 0; i < 4; i++) {
                char *bdf = xprintf("0000:ca:00.%d", 4 + i), *grp = xprintf("%d", 72 + i);
                char *cur = xprintf(DEVS "%s/nvidia/current_vgpu_type", bdf);
                char *cre = xprintf(DEVS "%s/nvidia/creatable_vgpu_types", bdf);
                char *vfio = xprintf("/dev/vfio/%s", grp);
                assert_dev(h, bdf, "nvidia", grp);
                ASSERT_FILE(h, cur, "0\n");
                char *types = rd(h, cre);
                CU_ASSERT_PTR_NOT_NULL(strstr(types, "1156  : NVIDIA L40S-48Q\n"));
                CU_ASSERT_TRUE(exists(h, vfio));
                free(bdf), free(grp), free(cur), free(cre), free(vfio), free(types);
        }
        CU_ASSERT_EQUAL(count_dir(h, "/dev/vfio/devices"), 4);
        static const char *const nodes[] = { "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2", "/dev/nvidiactl" };
        for (size_t i = 0; i < 4; i++)
                CU_ASSERT_TRUE(exists(h, nodes[i]));
        host_free(h);
}

/* The host NIC's PF as drivers/pci/iov.c sriov_numvfs_store() and ice's
 * sriov_configure treat it. */
static void test_server_mixed_nic_sriov(void) {
        REQUIRE_SIM();
        struct host *h = host_new("server-mixed");
        /* VFs enabled: another count is EBUSY, the same one a no-op, too many ERANGE */
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "8"), "EBUSY");
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "4"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "129"), "ERANGE");
        ASSERT_FILE(h, NIC_PF0 "/sriov_numvfs", "4\n");
        ASSERT_LINK_BASE(h, DEVS "0000:17:01.0/driver", "iavf");
        /* port 1: offset 135, stride 1, new VFs on iavf in fresh groups */
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF1 "/sriov_numvfs", "2"), "0");
        ASSERT_LINK_BASE(h, NIC_PF1 "/virtfn0", "0000:17:11.0");
        ASSERT_LINK_BASE(h, NIC_PF1 "/virtfn1", "0000:17:11.1");
        ASSERT_LINK_BASE(h, DEVS "0000:17:11.0/driver", "iavf");
        ASSERT_LINK_BASE(h, DEVS "0000:17:11.0/iommu_group", "76");
        ASSERT_FILE(h, DEVS "0000:17:11.1/device", "0x1889\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF1 "/sriov_numvfs", "0"), "0");
        CU_ASSERT_FALSE(exists(h, DEVS "0000:17:11.0"));
        /* a VF on vfio-pci: the sim refuses 0 (its documented choice) */
        CU_ASSERT_EQUAL(sh(h, "set -e; d=" DEVS "0000:17:01.2; printf vfio-pci > $d/driver_override; "
                              "printf 0000:17:01.2 > $d/driver/unbind; printf 0000:17:01.2 > /sys/bus/pci/drivers_probe"),
                        0);
        ASSERT_LINK_BASE(h, DEVS "0000:17:01.2/driver", "vfio-pci");
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "0"), "EBUSY");
        ASSERT_FILE(h, NIC_PF0 "/sriov_numvfs", "4\n");
        /* all VFs on iavf: 0 removes them, the host's network VFs with them
         * (ice frees VFs that are not assigned, pci_vfs_assigned()) */
        CU_ASSERT_EQUAL(sh(h, "set -e; d=" DEVS "0000:17:01.2; printf '\\n' > $d/driver_override; "
                              "printf 0000:17:01.2 > $d/driver/unbind; printf 0000:17:01.2 > /sys/bus/pci/drivers_probe"),
                        0);
        ASSERT_LINK_BASE(h, DEVS "0000:17:01.2/driver", "iavf");
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "0"), "0");
        ASSERT_FILE(h, NIC_PF0 "/sriov_numvfs", "0\n");
        CU_ASSERT_FALSE(exists(h, DEVS "0000:17:01.0"));
        CU_ASSERT_FALSE(exists(h, "/sys/kernel/iommu_groups/23"));
        /* and back: same addresses, iavf again */
        CU_ASSERT_STRING_EQUAL(cwrite(h, NIC_PF0 "/sriov_numvfs", "4"), "0");
        ASSERT_LINK_BASE(h, DEVS "0000:17:01.3/driver", "iavf");
        ASSERT_LINK_BASE(h, DEVS "0000:17:01.3/physfn", "0000:17:00.0");
        /* the Flex 170 beside it: VFs on xe */
        CU_ASSERT_STRING_EQUAL(cwrite(h, XE "/sriov_numvfs", "2"), "0");
        ASSERT_LINK_BASE(h, DEVS "0000:4b:00.2/driver", "xe");
        host_free(h);
}

int main(int argc, char *argv[]) {
        static const struct simtest tests[] = {
                { "every host file loads", test_all_hosts_load },
                { "server-mixed: devices, drivers, groups", test_server_mixed_inventory },
                { "server-mixed: the host NIC's sriov_numvfs", test_server_mixed_nic_sriov },
        };
        return simtest_main(argc, argv, "sim-hosts", tests, sizeof(tests) / sizeof(tests[0]));
}
