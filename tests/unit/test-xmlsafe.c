/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include "cunit-main.h"
#include "xmlsafe.h"

#define DOCTYPE_MSG "a DOCTYPE is not allowed"

static int parse(const char *text, xmlDocPtr *doc, const char **err) {
        *doc = NULL;
        *err = NULL;
        return xml_parse_hostile(text, strlen(text), doc, err);
}

static void test_plain_document(void) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;

        CU_ASSERT_EQUAL_FATAL(
                parse("<?xml version='1.0'?><domain type='kvm'><name>a&amp;b&#x41;</name></domain>", &doc, &err), 0);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        CU_ASSERT_TRUE(xml_name_is(root, "domain"));
        _cleanup_free_ char *type = xml_prop(root, "type");
        ASSERT_STR_EQ(type, "kvm");
        _cleanup_xmlchar_ xmlChar *name = xmlNodeGetContent(xml_child(root, "name"));
        ASSERT_STR_EQ((const char *)name, "a&bA");
}

/* Expect rejection with a message containing NEEDLE; the message is one line. */
static void expect_reject(const char *text, const char *needle, unsigned line) {
        xmlDocPtr doc = NULL;
        const char *err = NULL;
        int r = parse(text, &doc, &err);

        unit_check(r == -EINVAL, line, __FILE__, "parse returned %d, expected -EINVAL", r);
        unit_check(doc == NULL, line, __FILE__, "a document was returned on failure");
        unit_check(err && (!needle || strstr(err, needle)), line, __FILE__, "error '%s' does not contain '%s'",
                   err ? err : "(null)", needle ? needle : "");
        unit_check(err && !strchr(err, '\n'), line, __FILE__, "error '%s' is not one line", err ? err : "(null)");
        if (doc && r == 0)
                xmlFreeDoc(doc);
}

static void test_doctype_refused(void) {
        expect_reject("<!DOCTYPE domain><domain/>", DOCTYPE_MSG, __LINE__);
        expect_reject("<!DOCTYPE domain [<!ELEMENT domain ANY>]><domain/>", DOCTYPE_MSG, __LINE__);
        expect_reject("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x 'y'>]>\n<domain>&x;</domain>", DOCTYPE_MSG,
                      __LINE__);
}

static void test_billion_laughs_fails_fast(void) {
        static const char laughs[] =
                "<?xml version=\"1.0\"?>\n"
                "<!DOCTYPE lolz [\n"
                " <!ENTITY lol \"lol\">\n"
                " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
                " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
                " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
                " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
                " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
                " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
                " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
                " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
                "]>\n"
                "<domain><name>&lol9;</name></domain>\n";
        int status = 0;

        /* In a child with a CPU and memory budget: an expansion would be
         * killed there instead of hanging or exhausting the test host. */
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
                xmlDocPtr doc = NULL;
                const char *err = NULL;
                alarm(5);
                int r = xml_parse_hostile(laughs, sizeof(laughs) - 1, &doc, &err);
                _exit(r == -EINVAL && !doc && err && strstr(err, DOCTYPE_MSG) ? 0 : 1);
        }
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        unit_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, __LINE__, __FILE__,
                   "billion laughs was not refused promptly (status %#x)", (unsigned)status);
        /* And in this process, for the message. */
        expect_reject(laughs, DOCTYPE_MSG, __LINE__);
}

/* A file that records whether anyone opened or read it. */
struct watched {
        char *dir, *path, *url;
        int ifd;
};

static int watched_new(struct watched *w) {
        *w = (struct watched){ .ifd = -1 };
        w->dir = unit_mkdtemp();
        if (!w->dir)
                return -1;
        w->path = strdup_printf("%s/secret", w->dir);
        w->url = strdup_printf("file://%s", w->path);
        if (!w->path || !w->url || unit_write(w->dir, "secret", "TOPSECRET-MARKER\n") < 0)
                return -1;
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->ifd < 0 || inotify_add_watch(w->ifd, w->path, IN_OPEN | IN_ACCESS) < 0)
                return -1;
        return 0;
}

static bool watched_touched(struct watched *w) {
        char buf[4096];
        return read(w->ifd, buf, sizeof(buf)) > 0;
}

static void watched_free(struct watched *w) {
        if (w->ifd >= 0)
                close(w->ifd);
        unit_rm_rf(w->dir);
        free(w->dir);
        free(w->path);
        free(w->url);
}

static void test_external_entity_never_read(void) {
        struct watched w;
        CU_ASSERT_FATAL(watched_new(&w) == 0);
        CU_ASSERT_FALSE(watched_touched(&w)); /* the probe works: nothing yet */

        _cleanup_free_ char *xxe =
                strdup_printf("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY xxe SYSTEM '%s'>]>\n"
                              "<domain><name>&xxe;</name></domain>",
                              w.url);
        _cleanup_free_ char *pe = strdup_printf("<!DOCTYPE domain [<!ENTITY %% p SYSTEM '%s'> %%p;]><domain/>", w.url);
        _cleanup_free_ char *dtd = strdup_printf("<!DOCTYPE domain SYSTEM '%s'><domain/>", w.url);
        _cleanup_free_ char *plain = strdup_printf("<!DOCTYPE domain SYSTEM '%s'><domain/>", w.path);
        _cleanup_free_ char *xinc = strdup_printf("<domain xmlns:xi='http://www.w3.org/2001/XInclude'>"
                                                  "<xi:include href='%s' parse='text'/></domain>",
                                                  w.url);
        CU_ASSERT_FATAL(xxe && pe && dtd && plain && xinc);

        expect_reject(xxe, DOCTYPE_MSG, __LINE__);
        expect_reject(pe, DOCTYPE_MSG, __LINE__);
        expect_reject(dtd, DOCTYPE_MSG, __LINE__);
        expect_reject(plain, DOCTYPE_MSG, __LINE__);

        /* XInclude is not processed: the element stays an element. */
        xmlDocPtr doc = NULL;
        const char *err = NULL;
        CU_ASSERT_EQUAL(parse(xinc, &doc, &err), 0);
        if (doc) {
                _cleanup_xmlchar_ xmlChar *content = xmlNodeGetContent(xmlDocGetRootElement(doc));
                ASSERT_STR_LACKS((const char *)content, "TOPSECRET");
                xmlFreeDoc(doc);
        }
        unit_check(!watched_touched(&w), __LINE__, __FILE__, "the parser opened or read %s", w.path);
        watched_free(&w);
}

static void test_malformed(void) {
        expect_reject("<domain>", "line", __LINE__);
        expect_reject("<domain><name>x</nam></domain>", "line", __LINE__);
        expect_reject("not xml at all", NULL, __LINE__);
        expect_reject("<domain a='1' a='2'/>", NULL, __LINE__);
        expect_reject("<domain>&undefined;</domain>", NULL, __LINE__);
        expect_reject("<domain/><second/>", NULL, __LINE__);
        expect_reject("   ", NULL, __LINE__);
}

static void test_truncated(void) {
        static const char full[] = "<domain type='kvm'><name>vm1</name><devices><hostdev mode='subsystem' "
                                   "type='mdev'/></devices></domain>";
        for (size_t cut = 1; cut < sizeof(full) - 1; cut += 7) {
                xmlDocPtr doc = NULL;
                const char *err = NULL;
                int r = xml_parse_hostile(full, cut, &doc, &err);
                unit_check(r == -EINVAL && !doc && err, __LINE__, __FILE__, "a document cut at %zu returned %d", cut,
                           r);
                if (doc)
                        xmlFreeDoc(doc);
        }
}

/* Regression: xmlCreateMemoryParserCtxt returns NULL for size 0, which was
 * reported as -ENOMEM "out of memory"; empty input is a parse error. */
static void test_empty_input_is_a_parse_error(void) {
        xmlDocPtr doc = NULL;
        const char *err = NULL;
        int r = xml_parse_hostile("", 0, &doc, &err);

        ASSERT_INT_EQ(r, -EINVAL);
        CU_ASSERT_PTR_NULL(doc);
        ASSERT_STR_LACKS(err, "out of memory");
}

static void test_deep_nesting(void) {
        const size_t depth = 10000;
        struct strbuf sb = { 0 };

        for (size_t i = 0; i < depth; i++)
                strbuf_appendf(&sb, "<e>");
        for (size_t i = 0; i < depth; i++)
                strbuf_appendf(&sb, "</e>");
        CU_ASSERT_EQUAL_FATAL(sb.len, depth * 7);
        expect_reject(strbuf_str(&sb), NULL, __LINE__);
        strbuf_free(&sb);

        /* A sane depth is fine. */
        for (size_t i = 0; i < 100; i++)
                strbuf_appendf(&sb, "<e>");
        for (size_t i = 0; i < 100; i++)
                strbuf_appendf(&sb, "</e>");
        xmlDocPtr doc = NULL;
        const char *err = NULL;
        CU_ASSERT_EQUAL(parse(strbuf_str(&sb), &doc, &err), 0);
        if (doc)
                xmlFreeDoc(doc);
        strbuf_free(&sb);
}

static void test_state_resets_between_parses(void) {
        xmlDocPtr doc = NULL;
        const char *err = NULL;

        expect_reject("<!DOCTYPE d><d/>", DOCTYPE_MSG, __LINE__);
        CU_ASSERT_EQUAL(parse("<d/>", &doc, &err), 0);
        if (doc)
                xmlFreeDoc(doc);
        expect_reject("<d>", "line 1", __LINE__);
        doc = NULL;
        CU_ASSERT_EQUAL(parse("<d>\n</d>", &doc, &err), 0);
        if (doc)
                xmlFreeDoc(doc);
        /* The second error is reported, not the stale first one. */
        expect_reject("<d>\n\n\n<x></d>", "line 4", __LINE__);
}

static void test_helpers(void) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;

        CU_ASSERT_EQUAL_FATAL(parse("<domain xmlns:g='urn:x'><g:name>ns</g:name><name g:a='1' a='2'>plain</name>"
                                    "</domain>",
                                    &doc, &err),
                              0);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        xmlNodePtr name = xml_child(root, "name");
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        /* xml_child skips the namespaced <g:name>. */
        _cleanup_xmlchar_ xmlChar *c = xmlNodeGetContent(name);
        ASSERT_STR_EQ((const char *)c, "plain");
        _cleanup_free_ char *a = xml_prop(name, "a");
        ASSERT_STR_EQ(a, "2");
        CU_ASSERT_PTR_NULL(xml_child(root, "missing"));
        CU_ASSERT_PTR_NULL(xml_child(NULL, "name"));
        CU_ASSERT_TRUE(xml_ns_is(root->children, "urn:x"));
        CU_ASSERT_FALSE(xml_ns_is(name, "urn:x"));
        CU_ASSERT_FALSE(xml_name_is(NULL, "name"));
}

/* clang-format off */
UNIT_MAIN("xmlsafe",
          UNIT_TEST(test_plain_document),
          UNIT_TEST(test_doctype_refused),
          UNIT_TEST(test_billion_laughs_fails_fast),
          UNIT_TEST(test_external_entity_never_read),
          UNIT_TEST(test_malformed),
          UNIT_TEST(test_truncated),
          UNIT_TEST(test_empty_input_is_a_parse_error),
          UNIT_TEST(test_deep_nesting),
          UNIT_TEST(test_state_resets_between_parses),
          UNIT_TEST(test_helpers))
/* clang-format on */
