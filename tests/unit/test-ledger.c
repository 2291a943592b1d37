/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <sys/stat.h>

#include "cunit-main.h"
#include "ledger.h"

#define DOM_A "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define DOM_B "0d8e4f3a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
#define DOM_C "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

static char *state;

static void remove_state(void) {
        unit_rm_rf(state);
        free(state);
        state = NULL;
}

/* A new empty state dir under /tmp; the last one is removed at exit. */
static void fresh_state(void) {
        static bool registered;
        if (!registered)
                registered = atexit(remove_state) == 0;
        remove_state();
        state = unit_mkdtemp();
        CU_ASSERT_PTR_NOT_NULL_FATAL(state);
}

static char *ledger_file(const char *uuid) { return strdup_printf("%s/domains/%s.xml", state, uuid); }

static struct ledger_entry mdev_entry(const char *uuid, const char *parent, const char *type, enum ledger_state s) {
        struct ledger_entry e = { .kind = LEDGER_MDEV, .state = s, .since = 1700000000 };
        snprintf(e.id, sizeof(e.id), "%s", uuid);
        snprintf(e.parent, sizeof(e.parent), "%s", parent);
        snprintf(e.type, sizeof(e.type), "%s", type);
        return e;
}

static struct ledger_entry pci_entry(const char *bdf, const char *driver, const char *override) {
        struct ledger_entry e = { .kind = LEDGER_PCI, .state = LEDGER_DONE, .since = 1700000001 };
        snprintf(e.id, sizeof(e.id), "%s", bdf);
        snprintf(e.driver, sizeof(e.driver), "%s", driver);
        snprintf(e.override, sizeof(e.override), "%s", override);
        return e;
}

static void test_open_missing_is_empty(void) {
        _cleanup_ledger_ struct ledger *l = NULL;
        _cleanup_free_ char *path = NULL;

        fresh_state();
        path = ledger_file(DOM_A);
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        CU_ASSERT_EQUAL(l->n, 0);
        ASSERT_STR_EQ(l->path, path);
        ASSERT_STR_EQ(l->domain_uuid, DOM_A);
        ASSERT_STR_EQ(l->domain_name, "vm-a");
        CU_ASSERT_PTR_NULL(ledger_find(l, LEDGER_MDEV, U1));
        /* Opening creates nothing. */
        CU_ASSERT_EQUAL(access(path, F_OK), -1);
        ASSERT_NO_FAILURE();

        /* A state dir that does not exist yet is fine too. */
        _cleanup_ledger_ struct ledger *l2 = NULL;
        CU_ASSERT_EQUAL(ledger_open("/nonexistent/gpuhook-state", DOM_A, NULL, &l2), 0);
}

static void test_commit_writes_file(void) {
        _cleanup_ledger_ struct ledger *l = NULL;
        _cleanup_free_ char *text = NULL;
        struct ledger_entry e;

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        e = mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_PENDING);
        CU_ASSERT_EQUAL(ledger_append(l, &e), 0);
        e = pci_entry("0000:41:00.1", "snd_hda_intel", "");
        CU_ASSERT_EQUAL(ledger_append(l, &e), 1);
        e = mdev_entry(U2, "", "", LEDGER_DONE);
        e.defined = true;
        CU_ASSERT_EQUAL(ledger_append(l, &e), 2);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);

        text = unit_read(state, "domains/" DOM_A ".xml");
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        ASSERT_STR_HAS(text, "<ledger version=\"1\" domain-uuid=\"" DOM_A "\" domain-name=\"vm-a\">");
        ASSERT_STR_HAS(text, "<mdev uuid=\"" U1 "\" parent=\"0000:41:00.0\" type=\"nvidia-300\" origin=\"created\" "
                             "state=\"pending\" since=\"1700000000\"/>");
        ASSERT_STR_HAS(text, "<pci address=\"0000:41:00.1\" driver=\"snd_hda_intel\" override=\"\" set-override=\"vfio-pci\" state=\"done\" "
                             "since=\"1700000001\"/>");
        ASSERT_STR_HAS(text, "<mdev uuid=\"" U2 "\" parent=\"\" type=\"\" origin=\"defined\" state=\"done\"");

        /* Nothing else left in the directory (no temp file). */
        char **uuids = NULL;
        size_t n = 0;
        CU_ASSERT_EQUAL(ledger_list_domains(state, &uuids, &n), 0);
        CU_ASSERT_EQUAL(n, 1);
        strv_free(uuids, n);
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state);
        unsigned files = 0;
        DIR *d = opendir(dir);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        for (struct dirent *de; (de = readdir(d));)
                files += de->d_name[0] != '.';
        closedir(d);
        CU_ASSERT_EQUAL(files, 1);
}

static void test_reopen_reads_back(void) {
        _cleanup_ledger_ struct ledger *l = NULL, *again = NULL;
        struct ledger_entry e;

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        e = mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_PENDING);
        ledger_append(l, &e);
        e = pci_entry("0000:41:00.1", "snd_hda_intel", "vfio-pci");
        ledger_append(l, &e);
        e = mdev_entry(U2, "", "", LEDGER_DONE);
        e.defined = true;
        e.since = 0; /* stamped at append */
        ledger_append(l, &e);
        CU_ASSERT_TRUE(l->entries[2].since > 1600000000);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);

        /* Name unknown to the caller (release by UUID): read from the file. */
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &again), 0);
        ASSERT_STR_EQ(again->domain_name, "vm-a");
        CU_ASSERT_EQUAL_FATAL(again->n, 3);

        const struct ledger_entry *m = ledger_find(again, LEDGER_MDEV, U1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(m->state, LEDGER_PENDING);
        ASSERT_STR_EQ(m->parent, "0000:41:00.0");
        ASSERT_STR_EQ(m->type, "nvidia-300");
        CU_ASSERT_FALSE(m->defined);
        CU_ASSERT_EQUAL(m->since, 1700000000);

        const struct ledger_entry *p = ledger_find(again, LEDGER_PCI, "0000:41:00.1");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL(p->state, LEDGER_DONE);
        ASSERT_STR_EQ(p->driver, "snd_hda_intel");
        ASSERT_STR_EQ(p->override, "vfio-pci");

        const struct ledger_entry *def = ledger_find(again, LEDGER_MDEV, U2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(def);
        CU_ASSERT_TRUE(def->defined);
        ASSERT_STR_EQ(def->parent, "");
        CU_ASSERT_EQUAL(def->since, l->entries[2].since);

        /* Kind matters. */
        CU_ASSERT_PTR_NULL(ledger_find(again, LEDGER_PCI, U1));
        ASSERT_STR_EQ(ledger_kind_to_string(LEDGER_MDEV), "mdev");
        ASSERT_STR_EQ(ledger_kind_to_string(LEDGER_PCI), "pci");
}

static void test_pending_then_done_then_empty(void) {
        _cleanup_ledger_ struct ledger *l = NULL;
        _cleanup_free_ char *path = NULL;
        struct ledger_entry e;

        fresh_state();
        path = ledger_file(DOM_A);
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        e = mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_PENDING);
        ledger_append(l, &e);
        e = mdev_entry(U2, "0000:41:00.0", "nvidia-300", LEDGER_PENDING);
        ledger_append(l, &e);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);

        /* The sysfs write happened: mark done, persist, read back. */
        ledger_find(l, LEDGER_MDEV, U1)->state = LEDGER_DONE;
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        {
                _cleanup_ledger_ struct ledger *r = NULL;
                CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &r), 0);
                CU_ASSERT_EQUAL(ledger_find(r, LEDGER_MDEV, U1)->state, LEDGER_DONE);
                CU_ASSERT_EQUAL(ledger_find(r, LEDGER_MDEV, U2)->state, LEDGER_PENDING);
        }

        /* Release undoes them one by one; the last commit removes the file. */
        ledger_drop(l, 0);
        CU_ASSERT_EQUAL(l->n, 1);
        ASSERT_STR_EQ(l->entries[0].id, U2);
        ledger_drop(l, 5); /* out of range: nothing */
        CU_ASSERT_EQUAL(l->n, 1);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        CU_ASSERT_EQUAL(access(path, F_OK), 0);
        ledger_drop(l, 0);
        CU_ASSERT_EQUAL(l->n, 0);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        CU_ASSERT_EQUAL(access(path, F_OK), -1);
        /* Committing an empty ledger with no file is fine. */
        CU_ASSERT_EQUAL(ledger_commit(l), 0);
        ASSERT_NO_FAILURE();
}

/* Opening DOM_A's ledger with TEXT fails with -EBADMSG and a failure
 * naming the file and containing NEEDLE. */
static void expect_bad_ledger(const char *text, const char *needle, unsigned line) {
        struct ledger *l = NULL;
        _cleanup_free_ char *path = ledger_file(DOM_A);

        unit_write(state, "domains/" DOM_A ".xml", text);
        log_failure_clear();
        int r = ledger_open(state, DOM_A, "vm-a", &l);
        unit_check(r == -EBADMSG, line, __FILE__, "ledger_open returned %d, expected -EBADMSG", r);
        unit_check(l == NULL, line, __FILE__, "a ledger was returned for a bad file");
        const char *f = log_failure();
        unit_check(f && strstr(f, path), line, __FILE__, "failure '%s' does not name %s", f ? f : "(none)", path);
        unit_check(f && (!needle || strstr(f, needle)), line, __FILE__, "failure '%s' lacks '%s'", f ? f : "(none)",
                   needle ? needle : "");
        ledger_free(l);
}

#define ENTRY_OK "<mdev uuid='" U1 "' parent='0000:41:00.0' type='nvidia-300' origin='created' state='done'/>"

static void test_corrupted_files(void) {
        fresh_state();
        expect_bad_ledger("garbage\n", "is unreadable", __LINE__);
        expect_bad_ledger("<ledger version='1'>" ENTRY_OK, "is unreadable", __LINE__); /* truncated */
        expect_bad_ledger("<other/>", "has no <ledger> root", __LINE__);
        expect_bad_ledger("<!DOCTYPE ledger [<!ENTITY e 'x'>]><ledger/>", "DOCTYPE", __LINE__);

        /* A real file cut in half. */
        _cleanup_ledger_ struct ledger *l = NULL;
        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        for (int i = 0; i < 20; i++) {
                char uuid[UUID_STRING_LEN + 1];
                snprintf(uuid, sizeof(uuid), "%08x-1111-4111-8111-111111111111", i);
                struct ledger_entry e = mdev_entry(uuid, "0000:41:00.0", "nvidia-299", LEDGER_DONE);
                ledger_append(l, &e);
        }
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        _cleanup_free_ char *full = unit_read(state, "domains/" DOM_A ".xml");
        CU_ASSERT_PTR_NOT_NULL_FATAL(full);
        full[strlen(full) / 2] = 0;
        expect_bad_ledger(full, "is unreadable", __LINE__);
}

/* An empty (zero-byte) ledger, as a crash between create and write could
 * leave, is an error naming the file, never an empty ledger, and the
 * message does not blame memory (regression: it once said "unreadable (out
 * of memory)"). */
static void test_empty_file(void) {
        fresh_state();
        expect_bad_ledger("", "is unreadable", __LINE__);
        ASSERT_STR_LACKS(log_failure(), "out of memory");
}

static void test_invalid_entries_rejected(void) {
        fresh_state();
        expect_bad_ledger("<ledger>\n<mdev uuid='../../x' parent='0000:41:00.0' type='nvidia-300' origin='created' "
                          "state='done'/>\n</ledger>",
                          "line 2: invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='../../../sys' type='nvidia-300' origin='created' "
                          "state='done'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='0000:41:00.0' type='../remove' origin='created' "
                          "state='done'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        /* Created means gpuhook knew parent and type. */
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='' type='' origin='created' state='done'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='0000:41:00.0' type='nvidia-300' origin='stolen' "
                          "state='done'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='0000:41:00.0' type='nvidia-300' origin='created' "
                          "state='maybe'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><mdev uuid='" U1 "' parent='0000:41:00.0' type='nvidia-300' origin='created' "
                          "state='done' since='yesterday'/></ledger>",
                          "invalid <mdev> entry", __LINE__);
        expect_bad_ledger("<ledger><pci address='0000:41:00.1/../..' driver='' override='' state='done'/></ledger>",
                          "invalid <pci> entry", __LINE__);
        expect_bad_ledger("<ledger><pci address='41:00.1' state='done'/></ledger>", "invalid <pci> entry", __LINE__);
        /* The display manager is the one unit a ledger may name (single-GPU). */
        expect_bad_ledger("<ledger><console name='sshd.service' type='service' driver='' state='done'/></ledger>",
                          "invalid <console> entry", __LINE__);
        expect_bad_ledger("<ledger><pci address='0000:41:00.1' driver='../nvidia' state='done'/></ledger>",
                          "invalid <pci> entry", __LINE__);
        expect_bad_ledger("<ledger><pci address='0000:41:00.1' override='a b' state='done'/></ledger>",
                          "invalid <pci> entry", __LINE__);
        expect_bad_ledger("<ledger>" ENTRY_OK "<disk path='/dev/sda' state='done'/></ledger>", "invalid <disk> entry",
                          __LINE__);

        /* The valid forms of the same entries do load. */
        _cleanup_ledger_ struct ledger *l = NULL;
        unit_write(state, "domains/" DOM_A ".xml",
                   "<ledger domain-name='hand'>" ENTRY_OK "<!-- a comment -->"
                   "<pci address='0000:41:00.1' state='pending'/></ledger>");
        log_failure_clear();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &l), 0);
        CU_ASSERT_EQUAL(l->n, 2);
        ASSERT_STR_EQ(l->domain_name, "hand");
        ASSERT_STR_EQ(ledger_find(l, LEDGER_PCI, "0000:41:00.1")->driver, "");
}

static void test_symlinked_ledger_refused(void) {
        _cleanup_free_ char *path = NULL, *target = NULL;
        _cleanup_ledger_ struct ledger *l = NULL;

        fresh_state();
        unit_write(state, "elsewhere.xml", "<ledger>" ENTRY_OK "</ledger>");
        unit_write(state, "domains/.keep", "");
        path = ledger_file(DOM_A);
        target = strdup_printf("%s/elsewhere.xml", state);
        CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
        CU_ASSERT_TRUE(ledger_open(state, DOM_A, "vm-a", &l) < 0);
        CU_ASSERT_PTR_NULL(l);
        ASSERT_FAILURE_HAS(path);
}

static void test_console_entries(void) {
        _cleanup_ledger_ struct ledger *l = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        struct ledger_entry vt = { .kind = LEDGER_CONSOLE, .state = LEDGER_DONE, .since = 5 };
        struct ledger_entry fb = { .kind = LEDGER_CONSOLE, .state = LEDGER_PENDING, .since = 6 };

        fresh_state();
        snprintf(vt.id, sizeof(vt.id), "vtcon1");
        snprintf(vt.type, sizeof(vt.type), "vtcon");
        snprintf(fb.id, sizeof(fb.id), "efi-framebuffer.0");
        snprintf(fb.type, sizeof(fb.type), "framebuffer");
        snprintf(fb.driver, sizeof(fb.driver), "efi-framebuffer");
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        ledger_append(l, &vt);
        ledger_append(l, &fb);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        text = unit_read(state, "domains/" DOM_A ".xml");
        ASSERT_STR_HAS(text, "<console name=\"vtcon1\" type=\"vtcon\" driver=\"\" state=\"done\" since=\"5\"/>");
        ASSERT_STR_HAS(text, "<console name=\"efi-framebuffer.0\" type=\"framebuffer\" driver=\"efi-framebuffer\" "
                             "state=\"pending\" since=\"6\"/>");

        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &again), 0);
        CU_ASSERT_EQUAL_FATAL(again->n, 2);
        const struct ledger_entry *e = ledger_find(again, LEDGER_CONSOLE, "efi-framebuffer.0");
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        ASSERT_STR_EQ(e->type, "framebuffer");
        ASSERT_STR_EQ(e->driver, "efi-framebuffer");
        CU_ASSERT_EQUAL(e->state, LEDGER_PENDING);
        CU_ASSERT_PTR_NULL(ledger_find(again, LEDGER_MDEV, "vtcon1"));
        ASSERT_STR_EQ(ledger_kind_to_string(LEDGER_CONSOLE), "console");

        expect_bad_ledger("<ledger><console name='../vtcon0' type='vtcon' state='done'/></ledger>",
                          "invalid <console> entry", __LINE__);
        expect_bad_ledger("<ledger><console name='vtcon0' type='serial' state='done'/></ledger>",
                          "invalid <console> entry", __LINE__);
        expect_bad_ledger("<ledger><console name='fb0' type='framebuffer' driver='../x' state='done'/></ledger>",
                          "invalid <console> entry", __LINE__);
}

static void test_vgpu_sriov_entries(void) {
        _cleanup_ledger_ struct ledger *l = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        struct ledger_entry vg = { .kind = LEDGER_VGPU, .state = LEDGER_DONE, .since = 7 };
        struct ledger_entry sr = { .kind = LEDGER_SRIOV, .state = LEDGER_PENDING, .since = 8 };

        fresh_state();
        snprintf(vg.id, sizeof(vg.id), "0000:c1:00.4");
        snprintf(vg.type, sizeof(vg.type), "557");
        snprintf(sr.id, sizeof(sr.id), "0000:c1:00.0");
        snprintf(sr.type, sizeof(sr.type), "0");
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        ledger_append(l, &vg);
        ledger_append(l, &sr);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        text = unit_read(state, "domains/" DOM_A ".xml");
        ASSERT_STR_HAS(text, "<vgpu address=\"0000:c1:00.4\" type=\"557\" state=\"done\" since=\"7\"/>");
        ASSERT_STR_HAS(text, "<sriov address=\"0000:c1:00.0\" previous=\"0\" state=\"pending\" since=\"8\"/>");

        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &again), 0);
        CU_ASSERT_EQUAL_FATAL(again->n, 2);
        ASSERT_STR_EQ(ledger_find(again, LEDGER_VGPU, "0000:c1:00.4")->type, "557");
        ASSERT_STR_EQ(ledger_find(again, LEDGER_SRIOV, "0000:c1:00.0")->type, "0");
        CU_ASSERT_PTR_NULL(ledger_find(again, LEDGER_PCI, "0000:c1:00.4"));

        expect_bad_ledger("<ledger><vgpu address='0000:c1:00.4' type='../557' state='done'/></ledger>",
                          "invalid <vgpu> entry", __LINE__);
        expect_bad_ledger("<ledger><vgpu address='c1:00.4' type='557' state='done'/></ledger>", "invalid <vgpu> entry",
                          __LINE__);
        expect_bad_ledger("<ledger><sriov address='0000:c1:00.0' state='done'/></ledger>", "invalid <sriov> entry",
                          __LINE__);
        expect_bad_ledger("<ledger><sriov address='0000:c1:00.0' previous='-1' state='done'/></ledger>",
                          "invalid <sriov> entry", __LINE__);
}

static void test_bad_domain_uuid(void) {
        struct ledger *l = NULL;

        fresh_state();
        CU_ASSERT_EQUAL(ledger_open(state, "../../etc/x", "vm", &l), -EINVAL);
        CU_ASSERT_EQUAL(ledger_open(state, "", "vm", &l), -EINVAL);
        CU_ASSERT_PTR_NULL(l);
}

static void test_special_names_round_trip(void) {
        _cleanup_ledger_ struct ledger *l = NULL, *again = NULL;
        const char *name = "vm <&\"'> \xc3\xa9t\xc3\xa9";
        struct ledger_entry e = mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_DONE);

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, name, &l), 0);
        ledger_append(l, &e);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &again), 0);
        ASSERT_STR_EQ(again->domain_name, name);
}

static void test_many_entries(void) {
        _cleanup_ledger_ struct ledger *l = NULL, *again = NULL;
        char uuid[UUID_STRING_LEN + 1];
        unsigned missing = 0;

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "big", &l), 0);
        for (unsigned i = 0; i < 2000; i++) {
                snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-000000000000", i);
                struct ledger_entry e = mdev_entry(uuid, "mtty", "mtty-1", LEDGER_DONE);
                CU_ASSERT_EQUAL_FATAL(ledger_append(l, &e), (int)i);
        }
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, NULL, &again), 0);
        CU_ASSERT_EQUAL(again->n, 2000);
        for (unsigned i = 0; i < 2000; i++) {
                snprintf(uuid, sizeof(uuid), "%08x-0000-4000-8000-000000000000", i);
                missing += !ledger_find(again, LEDGER_MDEV, uuid);
        }
        CU_ASSERT_EQUAL(missing, 0);
}

static bool listed(char **v, size_t n, const char *uuid) {
        for (size_t i = 0; i < n; i++)
                if (streq(v[i], uuid))
                        return true;
        return false;
}

static void test_list_domains(void) {
        char **v = NULL;
        size_t n = 99;

        fresh_state();
        CU_ASSERT_EQUAL(ledger_list_domains(state, &v, &n), 0); /* no domains/ yet */
        CU_ASSERT_EQUAL(n, 0);
        CU_ASSERT_PTR_NULL(v);

        unit_write(state, "domains/" DOM_A ".xml", "<ledger/>");
        unit_write(state, "domains/" DOM_B ".xml", "<ledger/>");
        unit_write(state, "domains/" DOM_C ".xml.tmp.1234", "<ledger/>");
        unit_write(state, "domains/notauuid.xml", "<ledger/>");
        unit_write(state, "domains/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz.xml", "<ledger/>");
        unit_write(state, "domains/" DOM_C ".json", "{}");
        unit_write(state, "domains/README", "x");
        unit_write(state, "domains/.hidden.xml", "x");
        CU_ASSERT_EQUAL_FATAL(ledger_list_domains(state, &v, &n), 0);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_TRUE(listed(v, n, DOM_A));
        CU_ASSERT_TRUE(listed(v, n, DOM_B));
        CU_ASSERT_FALSE(listed(v, n, DOM_C));
        strv_free(v, n);
}

static void write_ledger(const char *uuid, const char *name, const struct ledger_entry *entries, size_t n) {
        _cleanup_ledger_ struct ledger *l = NULL;
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, uuid, name, &l), 0);
        for (size_t i = 0; i < n; i++)
                ledger_append(l, &entries[i]);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
}

static void test_find_owner(void) {
        char *name = NULL;

        fresh_state();
        struct ledger_entry a[] = { mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_DONE),
                                    pci_entry("0000:41:00.1", "snd_hda_intel", "") };
        struct ledger_entry b[] = { mdev_entry(U2, "0000:42:00.0", "nvidia-300", LEDGER_PENDING) };
        write_ledger(DOM_A, "vm-a", a, ELEMENTSOF(a));
        write_ledger(DOM_B, "", b, ELEMENTSOF(b));
        /* A third domain's ledger is broken: skipped, and not this domain's failure. */
        unit_write(state, "domains/" DOM_C ".xml", "<ledger><mdev");

        log_failure_clear();
        CU_ASSERT_EQUAL(ledger_find_owner(state, DOM_C, LEDGER_MDEV, U1, &name), 1);
        ASSERT_STR_EQ(name, "vm-a");
        free(name);
        name = NULL;
        /* No name recorded: the UUID stands in. */
        CU_ASSERT_EQUAL(ledger_find_owner(state, DOM_A, LEDGER_MDEV, U2, &name), 1);
        ASSERT_STR_EQ(name, DOM_B);
        free(name);
        name = NULL;
        CU_ASSERT_EQUAL(ledger_find_owner(state, DOM_A, LEDGER_MDEV, U1, &name), 0);
        CU_ASSERT_EQUAL(ledger_find_owner(state, NULL, LEDGER_PCI, U1, &name), 0);
        CU_ASSERT_EQUAL(ledger_find_owner(state, NULL, LEDGER_PCI, "0000:41:00.1", &name), 1);
        ASSERT_STR_EQ(name, "vm-a");
        free(name);
        name = NULL;
        CU_ASSERT_PTR_NULL(name);
        ASSERT_NO_FAILURE();

        /* A failure recorded before is kept. */
        log_fail(-EIO, "earlier failure");
        CU_ASSERT_EQUAL(ledger_find_owner(state, DOM_A, LEDGER_MDEV, "33333333-3333-4333-8333-333333333333", &name), 0);
        ASSERT_STR_EQ(log_failure(), "earlier failure");

        /* No domains directory at all. */
        fresh_state();
        CU_ASSERT_EQUAL(ledger_find_owner(state, NULL, LEDGER_MDEV, U1, &name), 0);
}

static void test_commit_unwritable(void) {
        _cleanup_ledger_ struct ledger *l = NULL;
        struct ledger_entry e = mdev_entry(U1, "0000:41:00.0", "nvidia-300", LEDGER_DONE);

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        /* Then "domains" turns out to be a file: the ledger cannot be written. */
        CU_ASSERT_EQUAL_FATAL(unit_write(state, "domains", "not a directory"), 0);
        ledger_append(l, &e);
        CU_ASSERT_TRUE(ledger_commit(l) < 0);
        ASSERT_FAILURE_HAS("cannot write ledger");
        ASSERT_FAILURE_HAS(l->path);
}

/* clang-format off */
UNIT_MAIN("ledger",
          UNIT_TEST(test_open_missing_is_empty),
          UNIT_TEST(test_commit_writes_file),
          UNIT_TEST(test_reopen_reads_back),
          UNIT_TEST(test_pending_then_done_then_empty),
          UNIT_TEST(test_corrupted_files),
          UNIT_TEST(test_empty_file),
          UNIT_TEST(test_invalid_entries_rejected),
          UNIT_TEST(test_symlinked_ledger_refused),
          UNIT_TEST(test_console_entries),
          UNIT_TEST(test_vgpu_sriov_entries),
          UNIT_TEST(test_bad_domain_uuid),
          UNIT_TEST(test_special_names_round_trip),
          UNIT_TEST(test_many_entries),
          UNIT_TEST(test_list_domains),
          UNIT_TEST(test_find_owner),
          UNIT_TEST(test_commit_unwritable))
/* clang-format on */
