/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "pci-policy.h"

#define CLASS_VGA 0x030000
#define CLASS_3D 0x030200
#define CLASS_AUDIO 0x040300
#define CLASS_USB 0x0c0330
#define CLASS_UCSI 0x0c8000
#define CLASS_NVME 0x010802
#define CLASS_BRIDGE 0x060400

static struct group_member member(const char *bdf, unsigned pci_class, const char *driver, int group) {
        struct group_member m = { .pci_class = pci_class, .group = group };
        snprintf(m.bdf, sizeof(m.bdf), "%s", bdf);
        snprintf(m.driver, sizeof(m.driver), "%s", driver);
        return m;
}

static struct pci_listed listed(const char *bdf, bool managed) {
        struct pci_listed l = { .managed = managed };
        snprintf(l.bdf, sizeof(l.bdf), "%s", bdf);
        return l;
}

static const struct pci_policy default_policy = { .companion_classes = COMPANION_DEFAULT };

static void test_companion_classes_parse(void) {
        unsigned c = 99;

        CU_ASSERT_EQUAL(companion_classes_parse("none", &c), 0);
        CU_ASSERT_EQUAL(c, 0);
        CU_ASSERT_EQUAL(companion_classes_parse("display audio", &c), 0);
        CU_ASSERT_EQUAL(c, COMPANION_DISPLAY | COMPANION_AUDIO);
        CU_ASSERT_EQUAL(companion_classes_parse("usb,serial-bus", &c), 0);
        CU_ASSERT_EQUAL(c, COMPANION_USB | COMPANION_SERIAL_BUS);
        CU_ASSERT_EQUAL(companion_classes_parse(" display , audio ,usb serial-bus", &c), 0);
        CU_ASSERT_EQUAL(c, COMPANION_DEFAULT);
        c = 99;
        CU_ASSERT_EQUAL(companion_classes_parse("", &c), -EINVAL);
        CU_ASSERT_EQUAL(companion_classes_parse(" , ", &c), -EINVAL);
        CU_ASSERT_EQUAL(companion_classes_parse("gpu", &c), -EINVAL);
        CU_ASSERT_EQUAL(companion_classes_parse("display none", &c), -EINVAL);
        CU_ASSERT_EQUAL(companion_classes_parse("Display", &c), -EINVAL);
        CU_ASSERT_EQUAL(c, 99);
}

static void test_class_matching(void) {
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_DISPLAY, CLASS_VGA));
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_DISPLAY, CLASS_3D));
        CU_ASSERT_FALSE(companion_class_matches(COMPANION_AUDIO, CLASS_VGA));
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_AUDIO, CLASS_AUDIO));
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_AUDIO, 0x040100));
        CU_ASSERT_FALSE(companion_class_matches(COMPANION_AUDIO, 0x040000)); /* video device, not audio */
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_USB, CLASS_USB));
        CU_ASSERT_TRUE(companion_class_matches(COMPANION_SERIAL_BUS, CLASS_UCSI));
        CU_ASSERT_FALSE(companion_class_matches(COMPANION_DEFAULT, CLASS_NVME));
        CU_ASSERT_FALSE(companion_class_matches(0, CLASS_AUDIO));
        CU_ASSERT_TRUE(pci_class_is_bridge(CLASS_BRIDGE));
        CU_ASSERT_FALSE(pci_class_is_bridge(CLASS_VGA));
        CU_ASSERT_TRUE(pci_driver_is_harmless(""));
        CU_ASSERT_TRUE(pci_driver_is_harmless("vfio-pci"));
        CU_ASSERT_TRUE(pci_driver_is_harmless("pci-stub"));
        CU_ASSERT_TRUE(pci_driver_is_harmless("pcieport"));
        CU_ASSERT_FALSE(pci_driver_is_harmless("nvidia"));
        CU_ASSERT_FALSE(pci_driver_is_harmless("snd_hda_intel"));
}

/* A GPU with its audio, USB and UCSI functions, behind a bridge. */
static void test_gpu_with_companions(void) {
        const struct group_member m[] = {
                member("0000:41:00.0", CLASS_VGA, "nvidia", 12),
                member("0000:41:00.1", CLASS_AUDIO, "snd_hda_intel", 12),
                member("0000:41:00.2", CLASS_USB, "xhci_hcd", 12),
                member("0000:41:00.3", CLASS_UCSI, "nvidia-gpu", 12),
                member("0000:40:01.1", CLASS_BRIDGE, "pcieport", 12),
        };
        const struct pci_listed l[] = { listed("0000:41:00.0", true) };
        struct member_decision *d = NULL;

        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&default_policy, l, 1, m, ELEMENTSOF(m), &d), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_PTR_EQUAL(d[0].member, &m[0]);
        CU_ASSERT_EQUAL(d[0].fate, FATE_LIBVIRT);
        ASSERT_STR_EQ(d[0].why, "listed");
        for (size_t i = 1; i <= 3; i++) {
                CU_ASSERT_EQUAL(d[i].fate, FATE_TAKE);
                ASSERT_STR_EQ(d[i].why, "companion");
        }
        CU_ASSERT_EQUAL(d[4].fate, FATE_LEAVE);
        ASSERT_NO_FAILURE();
        free(d);
}

static void test_listed_unmanaged_is_taken(void) {
        const struct group_member m[] = { member("0000:41:00.0", CLASS_VGA, "nouveau", 3) };
        const struct pci_listed l[] = { listed("0000:41:00.0", false) };
        struct member_decision *d = NULL;

        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&default_policy, l, 1, m, 1, &d), 0);
        CU_ASSERT_EQUAL(d[0].fate, FATE_TAKE);
        ASSERT_STR_EQ(d[0].why, "listed");
        free(d);
}

static void test_harmless_members_left(void) {
        const struct group_member m[] = {
                member("0000:41:00.0", CLASS_VGA, "vfio-pci", 3),
                member("0000:42:00.0", CLASS_NVME, "", 3),         /* unbound */
                member("0000:43:00.0", CLASS_NVME, "vfio-pci", 3), /* already isolated */
                member("0000:44:00.0", CLASS_NVME, "pci-stub", 3),
        };
        const struct pci_listed l[] = { listed("0000:41:00.0", true) };
        struct member_decision *d = NULL;

        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&default_policy, l, 1, m, ELEMENTSOF(m), &d), 0);
        CU_ASSERT_EQUAL(d[0].fate, FATE_LIBVIRT);
        for (size_t i = 1; i < ELEMENTSOF(m); i++)
                CU_ASSERT_EQUAL(d[i].fate, FATE_LEAVE);
        free(d);
}

static void test_foreign_device_refused(void) {
        const struct group_member m[] = {
                member("0000:41:00.0", CLASS_VGA, "nvidia", 12),
                member("0000:42:00.0", CLASS_NVME, "nvme", 12),
        };
        const struct pci_listed l[] = { listed("0000:41:00.0", true) };
        static struct member_decision sentinel;
        struct member_decision *d = &sentinel; /* untouched on failure */

        CU_ASSERT_EQUAL(pci_policy_decide(&default_policy, l, 1, m, ELEMENTSOF(m), &d), -EPERM);
        CU_ASSERT_PTR_EQUAL(d, &sentinel);
        ASSERT_FAILURE_HAS("cannot pass through IOMMU group 12: it also contains 0000:42:00.0");
        ASSERT_FAILURE_HAS("Non-Volatile memory controller [0108], driver nvme");
        ASSERT_FAILURE_HAS("<gpuhook:pci address='0000:42:00.0' allow='yes'/>");
        ASSERT_FAILURE_HAS("allow_devices = 0000:42:00.0");
}

static void test_allowed_device_taken(void) {
        const struct group_member m[] = {
                member("0000:41:00.0", CLASS_VGA, "nvidia", 12),
                member("0000:42:00.0", CLASS_NVME, "nvme", 12),
        };
        const struct pci_listed l[] = { listed("0000:41:00.0", true) };
        struct strset allowed = { 0 };
        struct pci_policy policy = { .companion_classes = COMPANION_DEFAULT, .allowed = &allowed };
        struct member_decision *d = NULL;

        strset_add(&allowed, "0000:42:00.0");
        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&policy, l, 1, m, ELEMENTSOF(m), &d), 0);
        CU_ASSERT_EQUAL(d[1].fate, FATE_TAKE);
        ASSERT_STR_EQ(d[1].why, "allowed");
        free(d);
        strset_free(&allowed);
}

static void test_companion_needs_same_slot_and_class(void) {
        /* An audio device in the group but on another slot is no companion. */
        const struct group_member other_slot[] = {
                member("0000:41:00.0", CLASS_VGA, "nvidia", 12),
                member("0000:41:01.1", CLASS_AUDIO, "snd_hda_intel", 12),
        };
        const struct pci_listed l[] = { listed("0000:41:00.0", true) };
        struct member_decision *d = NULL;

        CU_ASSERT_EQUAL(pci_policy_decide(&default_policy, l, 1, other_slot, 2, &d), -EPERM);
        ASSERT_FAILURE_HAS("0000:41:01.1 (Audio device [0403]");
        log_failure_clear();

        /* Companions switched off in the config. */
        const struct group_member same_slot[] = {
                member("0000:41:00.0", CLASS_VGA, "nvidia", 12),
                member("0000:41:00.1", CLASS_AUDIO, "snd_hda_intel", 12),
        };
        struct pci_policy none = { .companion_classes = 0 };
        CU_ASSERT_EQUAL(pci_policy_decide(&none, l, 1, same_slot, 2, &d), -EPERM);
        ASSERT_FAILURE_HAS("0000:41:00.1");
        log_failure_clear();
        struct pci_policy display_only = { .companion_classes = COMPANION_DISPLAY };
        CU_ASSERT_EQUAL(pci_policy_decide(&display_only, l, 1, same_slot, 2, &d), -EPERM);
}

static void test_boot_console(void) {
        struct group_member m[] = {
                member("0000:01:00.0", CLASS_VGA, "amdgpu", 1),
                member("0000:01:00.1", CLASS_AUDIO, "snd_hda_intel", 1),
        };
        const struct pci_listed l[] = { listed("0000:01:00.0", true) };
        struct member_decision *d = NULL;

        m[0].boot_vga = true;
        CU_ASSERT_EQUAL(pci_policy_decide(&default_policy, l, 1, m, 2, &d), -EPERM);
        ASSERT_FAILURE_HAS("0000:01:00.0 drives the host's boot console (boot_vga)");
        ASSERT_FAILURE_HAS("<gpuhook:pci address='0000:01:00.0' allow-boot-console='yes'/>");
        ASSERT_FAILURE_HAS("allow_boot_console = yes");
        log_failure_clear();

        struct pci_policy allow = { .companion_classes = COMPANION_DEFAULT, .allow_boot_console = true };
        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&allow, l, 1, m, 2, &d), 0);
        CU_ASSERT_EQUAL(d[0].fate, FATE_LIBVIRT);
        free(d);
        d = NULL;

        /* A boot VGA that is already on vfio-pci and not listed is left alone. */
        m[0] = member("0000:01:00.0", CLASS_VGA, "vfio-pci", 1);
        m[0].boot_vga = true;
        const struct pci_listed other[] = { listed("0000:01:00.1", true) };
        CU_ASSERT_EQUAL_FATAL(pci_policy_decide(&default_policy, other, 1, m, 2, &d), 0);
        CU_ASSERT_EQUAL(d[0].fate, FATE_LEAVE);
        free(d);
}

static void test_empty(void) {
        struct member_decision *d = NULL;

        CU_ASSERT_EQUAL(pci_policy_decide(&default_policy, NULL, 0, NULL, 0, &d), 0);
        free(d);
}

/* clang-format off */
UNIT_MAIN("pci-policy",
          UNIT_TEST(test_companion_classes_parse),
          UNIT_TEST(test_class_matching),
          UNIT_TEST(test_gpu_with_companions),
          UNIT_TEST(test_listed_unmanaged_is_taken),
          UNIT_TEST(test_harmless_members_left),
          UNIT_TEST(test_foreign_device_refused),
          UNIT_TEST(test_allowed_device_taken),
          UNIT_TEST(test_companion_needs_same_slot_and_class),
          UNIT_TEST(test_boot_console),
          UNIT_TEST(test_empty))
/* clang-format on */
