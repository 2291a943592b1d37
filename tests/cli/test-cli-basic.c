/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl on THIS machine: usage errors, check, list, types, status and
 * reconcile, with a private state directory (never /run/gpuhook). */
#include <sys/stat.h>
#include <time.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "util.h"

#define LEDGER_FMT                                                                                            \
        "<?xml version=\"1.0\"?>\n<ledger version=\"1\" domain-uuid=\"%s\" domain-name=\"%s\">\n"             \
        "  <mdev uuid=\"%s\" parent=\"0000:41:00.0\" type=\"nvidia-300\" origin=\"created\" state=\"done\" " \
        "since=\"%s\"/>\n</ledger>\n"

/* The test driver's running domain (libvirt's test:///default). */
#define TEST_DOMAIN_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static char *state;

static void setup_env(void) {
        state = tmpdir_new();
        _cleanup_free_ char *conf = strdup_printf("%s/gpuhook.conf", state);
        setenv("GPUHOOK_STATE_DIR", state, 1);
        setenv("GPUHOOK_CONFIG", conf, 1); /* absent: defaults */
        setenv("NO_COLOR", "1", 1);
}

static void put_ledger(const char *domain_uuid, const char *name, const char *mdev, const char *since) {
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state), *text = strdup_printf(LEDGER_FMT, domain_uuid, name, mdev, since),
                            *file = strdup_printf("%s.xml", domain_uuid);
        CU_ASSERT_FATAL(mkdir_p(dir, 0755) == 0);
        free(write_tmp(dir, file, text));
}

static bool ledger_exists(const char *domain_uuid) {
        _cleanup_free_ char *p = strdup_printf("%s/domains/%s.xml", state, domain_uuid);
        return access(p, F_OK) == 0;
}

static void test_usage_errors_exit_2(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 2, NULL), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "gpuhookctl: error: no verb given"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "hint:"));
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "frobnicate", NULL), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "unknown verb 'frobnicate'"));
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "list", "--bogus", NULL), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "unknown option '--bogus'"));
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "list", "--undo", NULL), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "option --undo does not apply to 'list'"));
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "status", "extra", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "blacklist", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "attach", "vm", "mdev", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "attach", "vm", "gpu", "x", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "attach", "vm", "vgpu-vf", "0000:41:00.4", NULL), 2); /* needs --type */
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "attach", "vm", "pci", "0000:41:00.0", "--ramfb", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "xml", "pci", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "xml", "pci", "0000:41:00.0", "--type", "x", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "reconcile", "--min-age", "-1", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "detach", "--timeout", NULL), 2);
        /* stdout stays clean on usage errors */
        CU_ASSERT_STRING_EQUAL(r.out, "");
        run_free(&r);
}

static void test_help_names_every_verb(void) {
        struct run r = { 0 };
        static const char *const verbs[] = { "check", "list", "types", "status", "blacklist", "xml", "attach", "detach", "reconcile" };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "--help", NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                _cleanup_free_ char *line = strdup_printf("  %s ", verbs[i]);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, line));
        }
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "--version", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "gpuhookctl "));
        run_free(&r);
}

/* The man page documents every verb and every long option of --help. */
static void test_man_page_documents_everything(void) {
        struct run r = { 0 };
        _cleanup_free_ char *man = strdup_printf("%s/man/gpuhookctl.8", cli_source_root()), *text = read_all(man);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "--help", NULL), 0);
        for (const char *p = r.out; (p = strstr(p, "--"));) {
                char opt[40];
                size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
                snprintf(opt, sizeof(opt), "\\-\\-%.*s", (int)n, p + 2);
                /* roff escapes every '-' */
                char esc[80], *o = esc;
                for (const char *c = opt; *c && o < esc + sizeof(esc) - 3; c++) {
                        if (*c == '-' && c > opt + 3)
                                *o++ = '\\';
                        *o++ = *c;
                }
                *o = 0;
                if (!strstr(text, esc))
                        fprintf(stderr, "man page lacks %s\n", esc);
                CU_ASSERT_PTR_NOT_NULL(strstr(text, esc));
                p += 2 + n;
        }
        static const char *const verbs[] = { ".B check", ".B list", ".B types", ".B status", "blacklist", "xml ",
                                             "attach ", "detach ", ".B reconcile" };
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                CU_ASSERT_PTR_NOT_NULL(strstr(text, verbs[i]));
        if (have_program("groff")) {
                CU_ASSERT_EQUAL(run_sh(&r, 0, "LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z %s 2>&1 | tee /dev/stderr | wc -l", man), 0);
                CU_ASSERT_STRING_EQUAL(r.out, "0\n"); /* no warnings */
        }
        run_free(&r);
}

static void test_completion(void) {
        struct run r = { 0 };
        _cleanup_free_ char *c = strdup_printf("%s/completion/gpuhookctl", cli_source_root());
        CU_ASSERT_EQUAL(run_sh(&r, 0,
                               "bash -n %s && source %s && complete -p gpuhookctl >/dev/null &&"
                               "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($#-1)); COMPREPLY=(); _gpuhookctl; echo \"${COMPREPLY[*]}\"; };"
                               "c gpuhookctl re; c gpuhookctl xml domain ''; c gpuhookctl list --a; c gpuhookctl attach vm '';"
                               "c gpuhookctl reconcile --min-age 5 --d; c gpuhookctl blacklist --vfio --undo x --r",
                               c, c),
                        0);
        CU_ASSERT_STRING_EQUAL(r.out, "reconcile\nvirtio-gl qxl-spice vnc none\n--all\nmdev pci vgpu-vf\n--dry-run\n--root\n");
        run_free(&r);
}

static int iommu_groups(void) {
        struct run r = { 0 };
        run_sh(&r, 0, "ls /sys/kernel/iommu_groups 2>/dev/null | wc -l");
        int n = atoi(r.out);
        run_free(&r);
        return n;
}

/* This machine: no IOMMU, no vfio, /dev/kvm present. check must say that
 * passthrough is impossible here and why, with fixes. */
static void test_check_on_this_machine(void) {
        struct run r = { 0 };
        int status = run_ctl(&r, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "KVM:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "IOMMU:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "interrupt remapping:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "VFIO:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "gpuhook hook:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "libvirt:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "mdevctl:"));
        /* every ✗ has its fix on the next line */
        int fails = count_lines(r.out, "✗ "), fixes = count_lines(r.out, "fix:");
        CU_ASSERT(fixes >= fails - 1); /* the verdict line is a ✗ without a fix */
        if (iommu_groups() == 0) {
                CU_ASSERT_EQUAL(status, 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "✗ IOMMU: not active"));
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "PCI passthrough is impossible on this host. No IOMMU is active:"));
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "intel_iommu=on") ?: strstr(r.out, "AMD-Vi") ?: strstr(r.out, "virtual IOMMU"));
        }
        if (access("/dev/kvm", R_OK | W_OK) == 0)
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "✓ KVM: /dev/kvm is present and usable"));

        CU_ASSERT_EQUAL(run_ctl(&r, -1, "check", "--json", NULL), status);
        struct json_object *o = json_parse(r.out), *checks = jget(o, "checks");
        CU_ASSERT_PTR_NOT_NULL_FATAL(checks);
        CU_ASSERT(json_object_array_length(checks) >= 8);
        CU_ASSERT_EQUAL(json_object_get_boolean(jget(o, "ready")), status == 0);
        bool iommu_seen = false;
        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                struct json_object *c = json_object_array_get_idx(checks, i);
                const char *st = jstr(c, "status");
                CU_ASSERT_PTR_NOT_NULL(st);
                if (st && streq(st, "fail"))
                        CU_ASSERT_PTR_NOT_NULL(jstr(c, "fix"));
                if (streq(jstr(c, "check"), "iommu")) {
                        iommu_seen = true;
                        if (iommu_groups() == 0)
                                CU_ASSERT_STRING_EQUAL(st, "fail");
                }
        }
        CU_ASSERT(iommu_seen);
        if (iommu_groups() == 0)
                CU_ASSERT_FALSE(json_object_get_boolean(jget(o, "passthrough_possible")));
        json_object_put(o);
        run_free(&r);
}

static void test_list_on_this_machine(void) {
        struct run r = { 0 }, ls = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "list", NULL), 0);
        CU_ASSERT(strstr(r.out, "No GPU") || strstr(r.out, "ADDRESS"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "list", "--all", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out), *devs = jget(o, "devices");
        CU_ASSERT_PTR_NOT_NULL_FATAL(devs);
        run_sh(&ls, 0, "ls /sys/bus/pci/devices | wc -l");
        CU_ASSERT_EQUAL((int)json_object_array_length(devs), atoi(ls.out));
        for (size_t i = 0; i < json_object_array_length(devs); i++) {
                struct json_object *d = json_object_array_get_idx(devs, i);
                _cleanup_free_ char *vendor = strdup_printf("/sys/bus/pci/devices/%s/vendor", jstr(d, "address"));
                _cleanup_free_ char *v = read_all(vendor);
                CU_ASSERT_PTR_NOT_NULL_FATAL(v);
                CU_ASSERT_STRING_EQUAL(v + 2, jstr(d, "vendor_id"));
        }
        json_object_put(o);
        run_free(&r);
        run_free(&ls);
}

static void test_types_on_this_machine(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "types", NULL), 0);
        if (access("/sys/class/mdev_bus", F_OK) < 0)
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "No vGPU instance types"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "types", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out);
        CU_ASSERT_PTR_NOT_NULL(jget(o, "mdev"));
        CU_ASSERT_PTR_NOT_NULL(jget(o, "sriov_vgpu"));
        json_object_put(o);
        run_free(&r);
}

static void test_status_shows_the_ledger(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "status", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "No devices are held"));
        put_ledger("5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5", "vm1", "bc127e23-aaaa-4d06-a7aa-88db2dd538e0", "1700000000");
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "status", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "DOMAIN"));
        CU_ASSERT_EQUAL(count_lines(r.out, "vm1"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "nvidia-300 0000:41:00.0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "remove the mdev"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "status", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out), *d = json_object_array_get_idx(jget(o, "domains"), 0);
        struct json_object *e = json_object_array_get_idx(jget(d, "entries"), 0);
        CU_ASSERT_STRING_EQUAL(jstr(d, "name"), "vm1");
        CU_ASSERT_STRING_EQUAL(jstr(e, "kind"), "mdev");
        CU_ASSERT_STRING_EQUAL(jstr(e, "type"), "nvidia-300");
        CU_ASSERT_EQUAL(json_object_get_int64(jget(e, "since")), 1700000000);
        CU_ASSERT_FALSE(json_object_get_boolean(jget(e, "present"))); /* no such mdev on this machine */
        json_object_put(o);

        /* a broken ledger is named, the others still shown, exit 1 */
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state);
        free(write_tmp(dir, "00000000-0000-4000-8000-000000000000.xml", "<ledger><mdev uuid='nope'/></ledger>"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "status", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "00000000-0000-4000-8000-000000000000.xml"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "vm1"));
        _cleanup_free_ char *bad = strdup_printf("%s/00000000-0000-4000-8000-000000000000.xml", dir),
                            *vm1 = strdup_printf("%s/5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5.xml", dir);
        unlink(bad);
        unlink(vm1);
        run_free(&r);
}

/* reconcile through libvirt's own test driver (in-process, no daemon): its
 * domain "test" runs; a UUID it does not know is not running. */
static void test_reconcile_with_the_test_driver(void) {
        struct run r = { 0 };
        const char *gone = "7e57c0de-0000-4000-8000-00000000dead";
        char old[32], now[32];
        snprintf(old, sizeof(old), "%llu", (unsigned long long)time(NULL) - 3600);
        snprintf(now, sizeof(now), "%llu", (unsigned long long)time(NULL));

        put_ledger(TEST_DOMAIN_UUID, "test", "11111111-1111-4111-8111-111111111111", old);
        put_ledger(gone, "vanished", "22222222-2222-4222-8222-222222222222", old);
        put_ledger("7e57c0de-0000-4000-8000-0000000000ff", "starting", "33333333-3333-4333-8333-333333333333", now);

        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", "test:///default", "reconcile", "--dry-run", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "would release"));
        CU_ASSERT(ledger_exists(gone));

        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", "test:///default", "reconcile", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(r.out, "kept (running)"), 1);
        CU_ASSERT_EQUAL(count_lines(r.out, "released"), 1);
        CU_ASSERT_EQUAL(count_lines(r.out, "skipped (just recorded)"), 1);
        CU_ASSERT(ledger_exists(TEST_DOMAIN_UUID));
        CU_ASSERT_FALSE(ledger_exists(gone));
        CU_ASSERT(ledger_exists("7e57c0de-0000-4000-8000-0000000000ff"));

        /* again: nothing changes; with --min-age 0 the young one goes */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", "test:///default", "reconcile", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out);
        CU_ASSERT_EQUAL(json_object_array_length(o), 2);
        json_object_put(o);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", "test:///default", "reconcile", "--min-age", "0", NULL), 0);
        CU_ASSERT_FALSE(ledger_exists("7e57c0de-0000-4000-8000-0000000000ff"));
        CU_ASSERT(ledger_exists(TEST_DOMAIN_UUID));

        /* no libvirt: nothing is released, exit 1 with the reason */
        put_ledger(gone, "vanished", "22222222-2222-4222-8222-222222222222", old);
        _cleanup_free_ char *uri = strdup_printf("qemu+unix:///system?socket=%s/no-such-socket", state);
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "-c", uri, "reconcile", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "gpuhookctl: error: cannot connect to libvirt"));
        CU_ASSERT(ledger_exists(gone));
        run_free(&r);
}

static void test_reconcile_without_ledgers_needs_no_libvirt(void) {
        struct run r = { 0 };
        _cleanup_free_ char *uri = strdup_printf("qemu+unix:///system?socket=%s/no-such-socket", state);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", uri, "reconcile", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Nothing to reconcile"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "-c", uri, "reconcile", "--json", NULL), 0);
        CU_ASSERT_STRING_EQUAL(r.out, "[\n]\n");
        run_free(&r);
}

static void teardown(void) { tmpdir_free(state); }

CUNIT_MAIN("cli-basic",
           T(setup_env),
           T(test_usage_errors_exit_2),
           T(test_help_names_every_verb),
           T(test_man_page_documents_everything),
           T(test_completion),
           T(test_check_on_this_machine),
           T(test_list_on_this_machine),
           T(test_types_on_this_machine),
           T(test_reconcile_without_ledgers_needs_no_libvirt),
           T(test_status_shows_the_ledger),
           T(test_reconcile_with_the_test_driver),
           T(teardown))
