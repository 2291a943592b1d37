/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "validate.h"

#define UUID_A "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e71"

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);
        if (s) {
                memset(s, c, n);
                s[n] = 0;
        }
        return s;
}

static void test_uuid_valid_forms(void) {
        CU_ASSERT_TRUE(uuid_valid(UUID_A));
        CU_ASSERT_TRUE(uuid_valid("6F2C0A4E-1B7D-4C55-9A3E-2F8B1C0D9E71"));
        CU_ASSERT_TRUE(uuid_valid("00000000-0000-0000-0000-000000000000"));
}

static void test_uuid_invalid(void) {
        static const char *const bad[] = {
                "",
                "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7",   /* 35 */
                "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e711", /* 37 */
                "6f2c0a4e1b7d4c559a3e2f8b1c0d9e71",      /* no dashes */
                "6f2c0a4e-1b7d-4c55-9a3e2-f8b1c0d9e71",  /* dash moved */
                "6f2c0a4g-1b7d-4c55-9a3e-2f8b1c0d9e71",  /* non-hex */
                "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7 ",  /* space */
                "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7\n", /* newline */
                "{f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7}",
                "../../../../../../../../../etc/pass", /* 36 chars */
                "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d/../",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                unit_check(!uuid_valid(bad[i]), __LINE__, __FILE__, "uuid_valid('%s') accepted", bad[i]);
        CU_ASSERT_FALSE(uuid_valid(NULL));
}

static void test_uuid_normalize_lowercases(void) {
        char out[UUID_STRING_LEN + 1];

        CU_ASSERT_EQUAL(uuid_normalize("6F2C0A4E-1B7D-4C55-9A3E-2F8B1C0D9E71", out), 0);
        ASSERT_STR_EQ(out, UUID_A);
        CU_ASSERT_EQUAL(uuid_normalize("6f2C0a4E-1b7D-4c55-9A3e-2F8b1C0d9E71", out), 0);
        ASSERT_STR_EQ(out, UUID_A);
}

static void test_uuid_normalize_rejects_and_leaves_output(void) {
        char out[UUID_STRING_LEN + 1] = "untouched";

        CU_ASSERT_EQUAL(uuid_normalize("not-a-uuid", out), -EINVAL);
        ASSERT_STR_EQ(out, "untouched");
        CU_ASSERT_EQUAL(uuid_normalize(NULL, out), -EINVAL);
}

static void test_pci_parse_canonical(void) {
        struct pci_addr a;

        CU_ASSERT_EQUAL_FATAL(pci_addr_parse("0000:41:00.0", &a), 0);
        CU_ASSERT_EQUAL(a.domain, 0);
        CU_ASSERT_EQUAL(a.bus, 0x41);
        CU_ASSERT_EQUAL(a.slot, 0);
        CU_ASSERT_EQUAL(a.function, 0);

        CU_ASSERT_EQUAL_FATAL(pci_addr_parse("ABCD:fF:1f.7", &a), 0);
        CU_ASSERT_EQUAL(a.domain, 0xabcd);
        CU_ASSERT_EQUAL(a.bus, 0xff);
        CU_ASSERT_EQUAL(a.slot, 0x1f);
        CU_ASSERT_EQUAL(a.function, 7);
}

static void test_pci_parse_short(void) {
        struct pci_addr a = { 9, 9, 9, 9 };
        char buf[PCI_ADDR_LEN + 1];

        CU_ASSERT_EQUAL_FATAL(pci_addr_parse("41:00.0", &a), 0);
        CU_ASSERT_EQUAL(a.domain, 0);
        CU_ASSERT_EQUAL(a.bus, 0x41);
        pci_addr_format(&a, buf);
        ASSERT_STR_EQ(buf, "0000:41:00.0");
}

static void test_pci_parse_rejects(void) {
        static const char *const bad[] = {
                "",
                "0000:41:20.0",  /* slot 0x20 */
                "0000:41:00.8",  /* function 8 */
                "0000:41:00.0 ", /* trailing junk */
                "0000:41:00.0\n",
                "0000:41:00.00",
                "0000:41:00.0/..",
                "../41:00.0",
                "0000:../00.0",
                "../../../x",
                "000:41:00.0",
                "00000:41:00.0",
                "0000-41:00.0",
                "0000:41-00.0",
                "0000:41:00:0",
                "0x00:41:00.0",
                " 0000:41:00.0",
                "+000:41:00.0",
                "41:00",
                "41:0.0",
                "g1:00.0",
                "41:00.-",
                "0000:41:00.0:0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct pci_addr a = { 1, 2, 3, 4 };
                int r = pci_addr_parse(bad[i], &a);
                unit_check(r < 0, __LINE__, __FILE__, "pci_addr_parse('%s') returned %d", bad[i], r);
                unit_check(a.domain == 1 && a.bus == 2 && a.slot == 3 && a.function == 4, __LINE__, __FILE__,
                           "pci_addr_parse('%s') changed its output on failure", bad[i]);
        }
        CU_ASSERT_TRUE(pci_addr_parse(NULL, &(struct pci_addr){ 0 }) < 0);
}

static void test_pci_format_and_valid(void) {
        struct pci_addr a = { .domain = 0x1, .bus = 0xa, .slot = 0x1f, .function = 7 };
        char buf[PCI_ADDR_LEN + 1];

        pci_addr_format(&a, buf);
        ASSERT_STR_EQ(buf, "0001:0a:1f.7");
        CU_ASSERT_TRUE(pci_addr_valid("0000:41:00.0"));
        CU_ASSERT_TRUE(pci_addr_valid("0001:0a:1f.7"));
        /* Only the canonical spelling: the ledger and sysfs paths use it. */
        CU_ASSERT_FALSE(pci_addr_valid("0001:0A:1F.7"));
        CU_ASSERT_FALSE(pci_addr_valid("41:00.0"));
        CU_ASSERT_FALSE(pci_addr_valid("0000:41:20.0"));
        CU_ASSERT_FALSE(pci_addr_valid(NULL));
}

static void test_parent_names(void) {
        static const char *const good[] = { "0000:41:00.0", "mtty", "0.0.0313", "matrix", "ap_matrix", "a-b" };
        static const char *const bad[] = {
                "",    ".",    "..",   ".hidden", "-x", "a/b", "/",        "../0000:41:00.0", "0000:41:00.0/..",
                "a b", "a\tb", "a\nb", "a\\b",    "a*", "a;b", "\xc3\xa9",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                unit_check(mdev_parent_name_valid(good[i]), __LINE__, __FILE__, "parent '%s' rejected", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                unit_check(!mdev_parent_name_valid(bad[i]), __LINE__, __FILE__, "parent '%s' accepted", bad[i]);
        CU_ASSERT_FALSE(mdev_parent_name_valid(NULL));
}

static void test_type_ids(void) {
        static const char *const good[] = { "nvidia-300", "i915-GVTg_V5_4", "vfio_ap-passthrough", "mtty-1", "a.b" };
        static const char *const bad[] = {
                "", ".", "..", ".x", "-x", "nvidia/300", "../nvidia-300", "nvidia 300", "a:b", "GRID V100-8C", "a\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                unit_check(mdev_type_id_valid(good[i]), __LINE__, __FILE__, "type id '%s' rejected", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                unit_check(!mdev_type_id_valid(bad[i]), __LINE__, __FILE__, "type id '%s' accepted", bad[i]);
        CU_ASSERT_FALSE(mdev_type_id_valid(NULL));
}

static void test_driver_names(void) {
        CU_ASSERT_TRUE(driver_name_valid("vfio-pci"));
        CU_ASSERT_TRUE(driver_name_valid("snd_hda_intel"));
        CU_ASSERT_TRUE(driver_name_valid("nvidia"));
        CU_ASSERT_FALSE(driver_name_valid(""));
        CU_ASSERT_FALSE(driver_name_valid(".."));
        CU_ASSERT_FALSE(driver_name_valid("a/b"));
        CU_ASSERT_FALSE(driver_name_valid("a.b"));
        CU_ASSERT_FALSE(driver_name_valid("a:b"));
        CU_ASSERT_FALSE(driver_name_valid("vfio pci"));
}

static void test_name_length_bounds(void) {
        _cleanup_free_ char *max = repeat('a', MDEV_NAME_MAX), *over = repeat('a', MDEV_NAME_MAX + 1),
                            *huge = repeat('a', 10000);
        CU_ASSERT_FATAL(max && over && huge);
        CU_ASSERT_TRUE(mdev_parent_name_valid(max));
        CU_ASSERT_FALSE(mdev_parent_name_valid(over));
        CU_ASSERT_FALSE(mdev_parent_name_valid(huge));
        CU_ASSERT_TRUE(mdev_type_id_valid(max));
        CU_ASSERT_FALSE(mdev_type_id_valid(over));
        CU_ASSERT_FALSE(mdev_type_id_valid(huge));
        CU_ASSERT_FALSE(driver_name_valid(huge));
        CU_ASSERT_FALSE(mdev_type_name_valid(huge));
        CU_ASSERT_FALSE(uuid_valid(huge));
        CU_ASSERT_TRUE(pci_addr_parse(huge, &(struct pci_addr){ 0 }) < 0);
}

static void test_type_names(void) {
        _cleanup_free_ char *n128 = repeat('x', 128), *n129 = repeat('x', 129);

        CU_ASSERT_TRUE(mdev_type_name_valid("GRID V100-8C"));
        CU_ASSERT_TRUE(mdev_type_name_valid("GVTg_V5_4 (1920x1080)"));
        /* Printable is enough: a name is only ever compared, never a path. */
        CU_ASSERT_TRUE(mdev_type_name_valid("a/b ../c"));
        CU_ASSERT_TRUE(mdev_type_name_valid(n128));
        CU_ASSERT_FALSE(mdev_type_name_valid(n129));
        CU_ASSERT_FALSE(mdev_type_name_valid(""));
        CU_ASSERT_FALSE(mdev_type_name_valid(NULL));
        CU_ASSERT_FALSE(mdev_type_name_valid("GRID\tV100"));
        CU_ASSERT_FALSE(mdev_type_name_valid("GRID V100\n"));
        CU_ASSERT_FALSE(mdev_type_name_valid("GRID\x7f"));
        CU_ASSERT_FALSE(mdev_type_name_valid("\x1b[31mred"));
}

static void test_sanitize_for_message(void) {
        char buf[16];
        char tiny[4];

        ASSERT_STR_EQ(sanitize_for_message("a\nb\tc\x1b", buf, sizeof(buf)), "a?b?c?");
        ASSERT_STR_EQ(sanitize_for_message(NULL, buf, sizeof(buf)), "(null)");
        ASSERT_STR_EQ(sanitize_for_message("short", buf, sizeof(buf)), "short");
        /* 15 characters fit exactly. */
        ASSERT_STR_EQ(sanitize_for_message("0123456789abcde", buf, sizeof(buf)), "0123456789abcde");
        /* Longer is cut, and the cut is visible. */
        ASSERT_STR_EQ(sanitize_for_message("0123456789abcdefXYZ", buf, sizeof(buf)), "0123456789ab...");
        CU_ASSERT_EQUAL(strlen(sanitize_for_message("0123456789", tiny, sizeof(tiny))), 3);
        ASSERT_STR_EQ(sanitize_for_message("x", buf, 0), "");
}

/* clang-format off */
UNIT_MAIN("validate",
          UNIT_TEST(test_uuid_valid_forms),
          UNIT_TEST(test_uuid_invalid),
          UNIT_TEST(test_uuid_normalize_lowercases),
          UNIT_TEST(test_uuid_normalize_rejects_and_leaves_output),
          UNIT_TEST(test_pci_parse_canonical),
          UNIT_TEST(test_pci_parse_short),
          UNIT_TEST(test_pci_parse_rejects),
          UNIT_TEST(test_pci_format_and_valid),
          UNIT_TEST(test_parent_names),
          UNIT_TEST(test_type_ids),
          UNIT_TEST(test_driver_names),
          UNIT_TEST(test_name_length_bounds),
          UNIT_TEST(test_type_names),
          UNIT_TEST(test_sanitize_for_message))
/* clang-format on */
