/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The owner record (lib/owners.c) and the trust rules for state files
 * (lib/trust.c). */
#include <sys/stat.h>

#include "cunit-main.h"
#include "owners.h"
#include "trust.h"

#define DOM_A "c7a5fdbd-cdaf-4455-926a-d65c16db1809"
#define DOM_B "0d8e4f3a-5b6c-4d7e-8f90-a1b2c3d4e5f6"
#define U1 "11111111-1111-4111-8111-111111111111"

static char *state;

static void remove_state(void) {
        unit_rm_rf(state);
        free(state);
        state = NULL;
}

static void fresh_state(void) {
        static bool registered;
        if (!registered)
                registered = atexit(remove_state) == 0;
        remove_state();
        state = unit_mkdtemp();
        CU_ASSERT_PTR_NOT_NULL_FATAL(state);
}

static struct owner_claim claim(enum ledger_kind kind, const char *id, const char *on, const char *uuid, const char *name) {
        struct owner_claim c = { .kind = kind, .since = 1700000000 };
        snprintf(c.id, sizeof(c.id), "%s", id);
        snprintf(c.on, sizeof(c.on), "%s", on);
        snprintf(c.domain_uuid, sizeof(c.domain_uuid), "%s", uuid);
        snprintf(c.domain_name, sizeof(c.domain_name), "%s", name);
        return c;
}

static void test_claim_once_per_resource(void) {
        _cleanup_owners_ struct owners *o = NULL, *again = NULL;
        struct owner_claim a = claim(LEDGER_PCI, "0000:31:00.0", "", DOM_A, "vm-a"), b = a;
        snprintf(b.domain_uuid, sizeof(b.domain_uuid), "%s", DOM_B);

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(owners_open(state, &o), 0);
        CU_ASSERT_EQUAL(o->n, 0);
        CU_ASSERT_EQUAL(owners_claim(o, &a), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &a), 1);      /* already this domain's */
        CU_ASSERT_EQUAL(owners_claim(o, &b), -EBUSY); /* another domain's: refused */
        CU_ASSERT_EQUAL(o->n, 1);
        /* Persisted 0600 before the call returned. */
        _cleanup_free_ char *path = strdup_printf("%s/owners.xml", state);
        struct stat st;
        CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
        CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
        CU_ASSERT_EQUAL_FATAL(owners_open(state, &again), 0);
        const struct owner_claim *c = owners_find(again, LEDGER_PCI, "0000:31:00.0");
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        ASSERT_STR_EQ(c->domain_uuid, DOM_A);
        ASSERT_STR_EQ(c->domain_name, "vm-a");
        /* Only the owner drops it; the last drop removes the file. */
        CU_ASSERT_EQUAL(owners_drop(again, LEDGER_PCI, "0000:31:00.0", DOM_B), 0);
        CU_ASSERT_EQUAL(again->n, 1);
        CU_ASSERT_EQUAL(owners_drop(again, LEDGER_PCI, "0000:31:00.0", DOM_A), 1);
        CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

static void test_find_on_device(void) {
        _cleanup_owners_ struct owners *o = NULL;
        struct owner_claim m = claim(LEDGER_MDEV, U1, "0000:41:00.0", DOM_A, "vm-a"),
                           v = claim(LEDGER_VGPU, "0000:ca:00.4", "", DOM_A, "vm-a");

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(owners_open(state, &o), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &m), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &v), 0);
        /* An mdev's parent and a VF's vGPU type count as the device's. */
        CU_ASSERT_PTR_NOT_NULL(owners_find_on_device(o, "0000:41:00.0", DOM_B));
        CU_ASSERT_PTR_NOT_NULL(owners_find_on_device(o, "0000:ca:00.4", DOM_B));
        CU_ASSERT_PTR_NULL(owners_find_on_device(o, "0000:ca:00.4", DOM_A)); /* one's own */
        CU_ASSERT_PTR_NULL(owners_find_on_device(o, "0000:ca:00.5", DOM_B));
}

static void test_unbacked_claims_dropped(void) {
        _cleanup_owners_ struct owners *o = NULL;
        _cleanup_ledger_ struct ledger *l = NULL;
        struct owner_claim kept = claim(LEDGER_PCI, "0000:31:00.0", "", DOM_A, "vm-a"),
                           orphan = claim(LEDGER_PCI, "0000:31:00.1", "", DOM_A, "vm-a"),
                           other = claim(LEDGER_PCI, "0000:b1:00.0", "", DOM_B, "vm-b");
        struct ledger_entry e = { .kind = LEDGER_PCI, .state = LEDGER_DONE };
        snprintf(e.id, sizeof(e.id), "0000:31:00.0");

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(owners_open(state, &o), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &kept), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &orphan), 0);
        CU_ASSERT_EQUAL(owners_claim(o, &other), 0);
        CU_ASSERT_EQUAL_FATAL(ledger_open(state, DOM_A, "vm-a", &l), 0);
        CU_ASSERT_EQUAL(ledger_append(l, &e), 0);
        CU_ASSERT_EQUAL_FATAL(ledger_commit(l), 0);
        CU_ASSERT_EQUAL(owners_claim_backed(state, &kept), 1);
        CU_ASSERT_EQUAL(owners_claim_backed(state, &orphan), 0);
        CU_ASSERT_EQUAL(owners_claim_backed(state, &other), 0); /* B has no ledger at all */
        CU_ASSERT_EQUAL(owners_drop_unbacked(o, DOM_A, l), 0);
        CU_ASSERT_PTR_NOT_NULL(owners_find(o, LEDGER_PCI, "0000:31:00.0"));
        CU_ASSERT_PTR_NULL(owners_find(o, LEDGER_PCI, "0000:31:00.1"));
        CU_ASSERT_PTR_NOT_NULL(owners_find(o, LEDGER_PCI, "0000:b1:00.0")); /* never another domain's */
}

static void test_invalid_records_refused(void) {
        static const char *const bad[] = {
                "<owners><claim kind='pci' id='../../etc' domain-uuid='" DOM_A "'/></owners>",
                "<owners><claim kind='mdev' id='0000:31:00.0' domain-uuid='" DOM_A "'/></owners>",
                "<owners><claim kind='pci' id='0000:31:00.0' domain-uuid='not-a-uuid'/></owners>",
                "<owners><claim kind='disk' id='0000:31:00.0' domain-uuid='" DOM_A "'/></owners>",
                "<owners><claim kind='mdev' id='" U1 "' on='../x' domain-uuid='" DOM_A "'/></owners>",
                "<owners><other/></owners>",
                "<owners><claim kind='pci' id='0000:31:00.0' domain-uuid='" DOM_A "'/>"
                "<claim kind='pci' id='0000:31:00.0' domain-uuid='" DOM_B "'/></owners>",
                "<ledger/>",
                "<!DOCTYPE x [<!ENTITY e 'x'>]><owners/>",
                "not xml",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_owners_ struct owners *o = NULL;
                fresh_state();
                CU_ASSERT_EQUAL_FATAL(unit_write(state, "owners.xml", bad[i]), 0);
                _cleanup_free_ char *path = strdup_printf("%s/owners.xml", state);
                CU_ASSERT_EQUAL(chmod(path, 0600), 0);
                log_failure_clear();
                CU_ASSERT_EQUAL(owners_open(state, &o), -EBADMSG);
                ASSERT_FAILURE_HAS("owner record");
                ASSERT_FAILURE_HAS(path);
        }
}

/* A resource claimed twice by the same domain is one claim; claimed by two
 * domains, the whole record is refused (test_invalid_records_refused) and the
 * message names both. */
static void test_duplicate_claims(void) {
        _cleanup_owners_ struct owners *o = NULL;
        _cleanup_free_ char *path = NULL;

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(unit_write(state, "owners.xml",
                                         "<owners><claim kind='pci' id='0000:31:00.0' domain-uuid='" DOM_A "'/>"
                                         "<claim kind='pci' id='0000:31:00.0' domain-uuid='" DOM_A "'/></owners>"),
                              0);
        path = strdup_printf("%s/owners.xml", state);
        CU_ASSERT_EQUAL(chmod(path, 0600), 0);
        CU_ASSERT_EQUAL_FATAL(owners_open(state, &o), 0);
        CU_ASSERT_EQUAL(o->n, 1);
        o = owners_free(o);

        CU_ASSERT_EQUAL_FATAL(unit_write(state, "owners.xml",
                                         "<owners><claim kind='vgpu' id='0000:ca:00.4' domain-uuid='" DOM_A "'/>\n"
                                         "<claim kind='vgpu' id='0000:ca:00.4' domain-uuid='" DOM_B "'/></owners>"),
                              0);
        CU_ASSERT_EQUAL(chmod(path, 0600), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(owners_open(state, &o), -EBADMSG);
        ASSERT_FAILURE_HAS("line 2: vgpu 0000:ca:00.4 is claimed by domains " DOM_A " and " DOM_B);
}

static void test_untrusted_files_refused(void) {
        _cleanup_owners_ struct owners *o = NULL;
        _cleanup_ledger_ struct ledger *l = NULL;

        fresh_state();
        CU_ASSERT_EQUAL_FATAL(unit_write(state, "owners.xml", "<owners/>"), 0);
        _cleanup_free_ char *path = strdup_printf("%s/owners.xml", state);
        CU_ASSERT_EQUAL(chmod(path, 0666), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(owners_open(state, &o), -EPERM);
        ASSERT_FAILURE_HAS("is writable by others (mode 0666)");
        CU_ASSERT_EQUAL(chmod(path, 0600), 0);
        CU_ASSERT_EQUAL(chown(path, 4242, 4242), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(owners_open(state, &o), -EPERM);
        ASSERT_FAILURE_HAS("is owned by uid 4242, not root");
        CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
        /* A hard link to another file is not a state file gpuhook wrote. */
        _cleanup_free_ char *link_path = strdup_printf("%s/other", state);
        CU_ASSERT_EQUAL(link(path, link_path), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(owners_open(state, &o), -EPERM);
        ASSERT_FAILURE_HAS("not a plain file with one link");
        CU_ASSERT_EQUAL(unlink(link_path), 0);
        CU_ASSERT_EQUAL(owners_open(state, &o), 0);

        /* A ledger in a domains/ directory others can write is not read. */
        _cleanup_free_ char *domains = strdup_printf("%s/domains", state);
        CU_ASSERT_EQUAL(mkdir(domains, 0700), 0);
        CU_ASSERT_EQUAL_FATAL(unit_write(domains, DOM_A ".xml", "<ledger/>"), 0);
        _cleanup_free_ char *lpath = strdup_printf("%s/" DOM_A ".xml", domains);
        CU_ASSERT_EQUAL(chmod(lpath, 0600), 0);
        CU_ASSERT_EQUAL(chmod(domains, 0777), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(ledger_open(state, DOM_A, NULL, &l), -EPERM);
        ASSERT_FAILURE_HAS("is writable by everyone (mode 0777)");
}

static void test_dir_chain(void) {
        fresh_state();
        _cleanup_free_ char *sub = strdup_printf("%s/a/b", state), *mid = strdup_printf("%s/a", state);
        CU_ASSERT_EQUAL_FATAL(mkdir_p(sub, 0700), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(trust_dir_chain(sub), 0); /* /tmp is sticky and root's: fine */
        CU_ASSERT_EQUAL(chmod(mid, 0757), 0);
        CU_ASSERT_EQUAL(trust_dir_chain(sub), -EPERM);
        ASSERT_FAILURE_HAS(mid);
        ASSERT_FAILURE_HAS("chmod go-w");
        /* Sticky but not root's: anyone's directory, not a safe parent. */
        CU_ASSERT_EQUAL(chmod(mid, 01777), 0);
        CU_ASSERT_EQUAL(chown(mid, 4242, 4242), 0);
        log_failure_clear();
        CU_ASSERT_EQUAL(trust_dir_chain(sub), -EPERM);
        ASSERT_FAILURE_HAS("owned by uid 4242");
        /* Through a symlink: the real path is what is checked. */
        CU_ASSERT_EQUAL(chown(mid, 0, 0), 0);
        CU_ASSERT_EQUAL(chmod(mid, 0755), 0);
        _cleanup_free_ char *via = strdup_printf("%s/via", state);
        CU_ASSERT_EQUAL(symlink(sub, via), 0);
        CU_ASSERT_EQUAL(trust_dir_chain(via), 0);
        CU_ASSERT_EQUAL(chmod(mid, 0777), 0);
        CU_ASSERT_EQUAL(trust_dir_chain(via), -EPERM);
}

/* clang-format off */
UNIT_MAIN("owners",
          UNIT_TEST(test_claim_once_per_resource),
          UNIT_TEST(test_find_on_device),
          UNIT_TEST(test_unbacked_claims_dropped),
          UNIT_TEST(test_invalid_records_refused),
          UNIT_TEST(test_duplicate_claims),
          UNIT_TEST(test_untrusted_files_refused),
          UNIT_TEST(test_dir_chain))
/* clang-format on */
