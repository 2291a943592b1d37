/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hook front end's decisions on raw XML: they may only ever say
 * "nothing to do" when that is certain. */
#include "cunit-main.h"
#include "fastpath.h"

static void test_uuid_scan_takes_the_domain_uuid(void) {
        const char *xml = "<domain type='kvm' id='3'>\n  <name>vm1</name>\n  <uuid>0F6C1A3E-6A53-4F1B-9C39-6F0C5A0E7D11</uuid>"
                          "<metadata><x xmlns='urn:x'><uuid>11111111-1111-4111-8111-111111111111</uuid></x></metadata></domain>";
        char uuid[UUID_STRING_LEN + 1] = "";
        CU_ASSERT_TRUE(domain_xml_uuid_scan(xml, strlen(xml), uuid));
        CU_ASSERT_STRING_EQUAL(uuid, "0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11");
}

static void test_uuid_scan_doubts_go_to_the_parser(void) {
        static const char *const doubtful[] = {
                "<domain><name>vm1</name></domain>",                                       /* none */
                "<domain><uuid>../../etc/passwd-aaaa-bbbb-cccc-dddddddddd</uuid></domain>", /* not a UUID */
                "<domain><uuid> 0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11</uuid></domain>",     /* padded */
                "<domain><uuid>0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11",                      /* truncated */
                "<domain><uuid>0f6c1a3e6a534f1b9c396f0c5a0e7d11</uuid></domain>",          /* other spelling */
                /* a <uuid> before the domain's own (bug 9) */
                "<domain><!-- <uuid>11111111-1111-4111-8111-111111111111</uuid> --><name>v</name><uuid>0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11</uuid></domain>",
                "<domain><name><![CDATA[<uuid>11111111-1111-4111-8111-111111111111</uuid>]]></name><uuid>0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11</uuid></domain>",
                "<domain><name>v</name><x><uuid>11111111-1111-4111-8111-111111111111</uuid></x></domain>",
        };
        char uuid[UUID_STRING_LEN + 1];
        for (size_t i = 0; i < sizeof(doubtful) / sizeof(doubtful[0]); i++)
                CU_ASSERT_FALSE(domain_xml_uuid_scan(doubtful[i], strlen(doubtful[i]), uuid));
}

static void test_may_concern_us(void) {
        const char *plain = "<domain><devices><disk/></devices></domain>";
        const char *meta = "<domain><metadata><g:devices xmlns:g='urn:gpuhook:domain:1'/></metadata></domain>";
        const char *hostdev = "<domain><devices><hostdev mode='subsystem'/></devices></domain>";
        CU_ASSERT_FALSE(domain_xml_may_concern_us(plain, strlen(plain)));
        CU_ASSERT_TRUE(domain_xml_may_concern_us(meta, strlen(meta)));
        CU_ASSERT_TRUE(domain_xml_may_concern_us(hostdev, strlen(hostdev)));
}

UNIT_MAIN("fastpath",
          UNIT_TEST(test_uuid_scan_takes_the_domain_uuid),
          UNIT_TEST(test_uuid_scan_doubts_go_to_the_parser),
          UNIT_TEST(test_may_concern_us))
