/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where vGPUs land on a host with two A10 cards on two NUMA nodes
 * (0000:17:00.0 on node 0, 0000:b1:00.0 on node 1). */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define CARD0 "0000:17:00.0"
#define CARD1 "0000:b1:00.0"

static char *vm(const char *name, const char *dom_uuid, const char *numatune, const char *type, const char *attrs,
                const char *const *uuids, size_t n) {
        struct strbuf dev = { 0 }, meta = { 0 };
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *h = testhost_mdev_hostdev(uuids[i], NULL), *m = testhost_mdev_meta(uuids[i], type, attrs);
                strbuf_appendf(&dev, "%s", h);
                strbuf_appendf(&meta, "%s", m);
        }
        char *xml = strdup_printf("<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
                                  "<metadata><gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices></metadata>"
                                  "%s<memory unit='KiB'>65536</memory><devices>%s</devices></domain>",
                                  name, dom_uuid, strbuf_str(&meta), numatune ? numatune : "", strbuf_str(&dev));
        strbuf_free(&dev);
        strbuf_free(&meta);
        return xml;
}

static void assert_parent(struct testhost *t, const char *uuid, const char *want) {
        _cleanup_free_ char *p = testhost_mdev_parent(t, uuid);
        if (!streq(p, want))
                fprintf(stderr, "%s landed on %s, expected %s\n", uuid, p, want);
        CU_ASSERT_STRING_EQUAL(p, want);
}

static const char *const two[] = { "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002" };

static void test_compact_fills_one_card(void) {
        struct testhost *t = testhost_new("a10x2");
        _cleanup_free_ char *xml = vm("c", "c0000000-0000-4000-8000-000000000001", NULL, "NVIDIA A10-4Q", NULL, two, 2);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "c", "prepare", "begin"), 0);
        assert_parent(t, two[0], CARD0);
        assert_parent(t, two[1], CARD0);
        CU_ASSERT_EQUAL(testhost_available(t, CARD0, "nvidia-593"), 4);
        CU_ASSERT_EQUAL(testhost_available(t, CARD1, "nvidia-593"), 6);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "c", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_spread_uses_both_cards(void) {
        struct testhost *t = testhost_new("a10x2");
        _cleanup_free_ char *xml = vm("s", "c0000000-0000-4000-8000-000000000002", NULL, "nvidia-593", "placement='spread'", two, 2);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "s", "prepare", "begin"), 0);
        assert_parent(t, two[0], CARD0);
        assert_parent(t, two[1], CARD1);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "s", "release", "end"), 0);
        testhost_free(t);
}

static void test_spread_from_host_config(void) {
        struct testhost *t = testhost_new("a10x2");
        _cleanup_free_ char *xml = vm("s", "c0000000-0000-4000-8000-000000000003", NULL, "nvidia-593", NULL, two, 2);
        testhost_config(t, "placement = spread\n");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "s", "prepare", "begin"), 0);
        assert_parent(t, two[0], CARD0);
        assert_parent(t, two[1], CARD1);
        testhost_free(t);
}

static void test_numa_nodeset_preferred(void) {
        struct testhost *t = testhost_new("a10x2");
        _cleanup_free_ char *xml = vm("n", "c0000000-0000-4000-8000-000000000004",
                                      "<numatune><memory mode='strict' nodeset='1'/></numatune>", "nvidia-593",
                                      "placement='spread'", two, 2);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "n", "prepare", "begin"), 0);
        assert_parent(t, two[0], CARD1);
        assert_parent(t, two[1], CARD1);
        testhost_free(t);
}

static void test_one_type_rule_sends_other_type_elsewhere(void) {
        struct testhost *t = testhost_new("a10x2");
        const char *a[] = { "bbbbbbbb-0000-4000-8000-000000000001" }, *b[] = { "bbbbbbbb-0000-4000-8000-000000000002" },
                   *c[] = { "bbbbbbbb-0000-4000-8000-000000000003" };
        _cleanup_free_ char *x1 = vm("x1", "d0000000-0000-4000-8000-000000000001", NULL, "nvidia-593", NULL, a, 1);
        _cleanup_free_ char *x2 = vm("x2", "d0000000-0000-4000-8000-000000000002", NULL, "nvidia-595", NULL, b, 1);
        _cleanup_free_ char *x3 = vm("x3", "d0000000-0000-4000-8000-000000000003", NULL, "nvidia-596", NULL, c, 1);
        CU_ASSERT_EQUAL(testhost_hook(t, x1, "x1", "prepare", "begin"), 0);
        assert_parent(t, a[0], CARD0);
        CU_ASSERT_EQUAL(testhost_hook(t, x2, "x2", "prepare", "begin"), 0);
        assert_parent(t, b[0], CARD1); /* CARD0 hosts A10-4Q now */
        /* both cards taken by other types: the message says why */
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "x3", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, CARD0 " already hosts nvidia-593; nvidia-596 cannot be added until it is empty"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, CARD1 " already hosts nvidia-595"));
        CU_ASSERT_EQUAL(testhost_hook(t, x1, "x1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, x3, "x3", "prepare", "begin"), 0);
        assert_parent(t, c[0], CARD0);
        testhost_free(t);
}

CUNIT_MAIN("mdev-placement",
           T(test_compact_fills_one_card),
           T(test_spread_uses_both_cards),
           T(test_spread_from_host_config),
           T(test_numa_nodeset_preferred),
           T(test_one_type_rule_sends_other_type_elsewhere))
