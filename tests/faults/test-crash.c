/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crash injection: the REAL hook is SIGKILLed at every step of prepare
 * ($GPUHOOK_FAULT_KILL_AT, core/state.c jit_fault_point) and at random
 * moments, and during release; afterwards
 *   - the ledger is absent or ledger_open() reads it (never torn),
 *   - release (or prepare again, then release) leaves the host exactly as it
 *     was: no mdev gpuhook created, every foreign or mdevctl-defined device
 *     left as it was, every PCI function on its original driver with its
 *     original driver_override, capacity back, no ledger.
 * A ledger corrupted by hand is refused with a message naming the file,
 * never silently dropped.
 *
 * PCI cases run when tests/hosts/desktop-rtx.umockdev exists. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cunit-run.h"
#include "faultlib.h"
#include "ledger.h"
#include "spawn.h"
#include "testhost.h"
#include "util.h"

#define DOM "5f0a7c3e-1111-4b2c-8d3e-4f5a6b7c8d90"
#define U1 "c0ffee01-0000-4000-8000-000000000001"
#define U2 "c0ffee02-0000-4000-8000-000000000002"
#define U3 "c0ffee03-0000-4000-8000-000000000003"
#define U4 "c0ffee04-0000-4000-8000-000000000004"
#define UF "f0f0f0f0-0000-4000-8000-0000000000ff" /* foreign: created by someone else */
#define UD "dddddddd-0000-4000-8000-0000000000dd" /* mdevctl definition */
#define V100 "0000:41:00.0"

static const char *const PREPARE_STEPS[] = { "locked", "mdev-recorded", "mdev-created", "mdev-committed" };
static unsigned n_kills, n_checks;

static char *xml_for(const char *type, const char *const *uuids, size_t n, const char *extra_meta) {
        return fault_domain("crashvm", DOM, type, uuids, n, extra_meta);
}

/* After whatever happened: the ledger reads back, release exits 0, and the
 * host is what BEFORE says. */
static void release_and_check(struct testhost *t, const char *xml, const char *before, const char *what) {
        size_t n = 0;
        CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
        int r = fault_hook(t, xml, "crashvm", "release", "end", NULL);
        if (r != 0)
                fprintf(stderr, "  %s: release exited %d: %s", what, r, t->err);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        _cleanup_free_ char *after = fault_snapshot(t);
        CU_ASSERT_TRUE(fault_snapshot_same(before, after, what));
        CU_ASSERT_FALSE(fault_ledger_exists(t, DOM));
        n_checks++;
}

/* Kill prepare at every step, then: release; or prepare again (must
 * succeed and finish the job), then release. SETUP_OK tells what a completed
 * prepare looks like (number of mdevs present). */
static void kill_every_step(const char *host, const char *xml, const char *pre_cmd, int mdevs_when_prepared) {
        struct testhost *t = testhost_new(host);
        if (pre_cmd) {
                CU_ASSERT_EQUAL(testhost_sh(t, NULL, "%s", pre_cmd), 0);
                if (t->status)
                        fprintf(stderr, "  setup failed: %s\n", t->err);
        }
        _cleanup_free_ char *before = fault_snapshot(t);
        int base_mdevs = testhost_count_mdevs(t);

        for (size_t s = 0; s < ELEMENTSOF(PREPARE_STEPS); s++) {
                for (int again = 0; again <= 1; again++) {
                        _cleanup_free_ char *what = strdup_printf("%s kill at %s%s", host, PREPARE_STEPS[s],
                                                                  again ? " + prepare again" : "");
                        int r = fault_hook(t, xml, "crashvm", "prepare", "begin", PREPARE_STEPS[s]);
                        if (r != -EPROTO)
                                fprintf(stderr, "  %s: the hook was not killed (exit %d): %s", what, r, t->err);
                        CU_ASSERT_EQUAL(r, -EPROTO);
                        n_kills++;
                        size_t n = 0;
                        CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
                        /* what the step promises */
                        if (s == 0)
                                CU_ASSERT_FALSE(fault_ledger_exists(t, DOM));
                        if (s >= 1)
                                CU_ASSERT_TRUE(fault_ledger_exists(t, DOM));
                        if (s >= 2)
                                CU_ASSERT(testhost_count_mdevs(t) > base_mdevs);
                        CU_ASSERT_EQUAL(fault_stray_temp_files(t), 0);
                        if (again) {
                                r = fault_hook(t, xml, "crashvm", "prepare", "begin", NULL);
                                if (r)
                                        fprintf(stderr, "  %s: second prepare exited %d: %s", what, r, t->err);
                                CU_ASSERT_EQUAL(r, 0);
                                CU_ASSERT_EQUAL(testhost_count_mdevs(t), mdevs_when_prepared);
                                CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
                        }
                        release_and_check(t, xml, before, what);
                }
        }
        testhost_free(t);
}

static void test_kill_prepare_v100_created(void) {
        const char *uuids[] = { U1, U2 };
        _cleanup_free_ char *xml = xml_for("nvidia-299", uuids, 2, NULL);
        kill_every_step("v100", xml, NULL, 2);
}

static void test_kill_prepare_v100_with_params(void) {
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = fault_domain("crashvm", DOM, NULL, uuids, 1,
                                                "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'>"
                                                "<gpuhook:param name='frame_rate_limiter' value='0'/></gpuhook:mdev>");
        kill_every_step("v100", xml, NULL, 1);
}

static void test_kill_prepare_mtty_generic(void) {
        const char *uuids[] = { U1, U2, U3 };
        _cleanup_free_ char *xml = xml_for("mtty-1", uuids, 3, NULL);
        kill_every_step("mtty", xml, NULL, 3);
}

/* A foreign mdev in the same domain: never removed, whatever was killed. */
static void test_kill_prepare_next_to_foreign(void) {
        const char *uuids[] = { UF, U1 };
        _cleanup_free_ char *h = testhost_mdev_hostdev(UF, NULL), *h1 = testhost_mdev_hostdev(U1, NULL);
        _cleanup_free_ char *m = testhost_mdev_meta(U1, "nvidia-299", NULL);
        _cleanup_free_ char *devs = strdup_printf("%s%s", h, h1);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        _cleanup_free_ char *xml = testhost_domain_xml("crashvm", DOM, devs, meta);
        (void)uuids;
        kill_every_step("v100", xml, "mdevctl start -u " UF " -p " V100 " -t nvidia-299", 2);
}

/* An mdevctl-defined mdev next to a created one: stopped, never undefined. */
static void test_kill_prepare_defined_and_created(void) {
        _cleanup_free_ char *hd = testhost_mdev_hostdev(UD, NULL), *h1 = testhost_mdev_hostdev(U1, NULL);
        _cleanup_free_ char *m = testhost_mdev_meta(U1, "nvidia-299", NULL);
        _cleanup_free_ char *devs = strdup_printf("%s%s", hd, h1);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        _cleanup_free_ char *xml = testhost_domain_xml("crashvm", DOM, devs, meta);
        kill_every_step("v100", xml, "mdevctl define -u " UD " -p " V100 " -t nvidia-299", 2);

        /* the definition survived every release */
        struct testhost *t = testhost_new("v100");
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u " UD " -p " V100 " -t nvidia-299"), 0);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", "mdev-created"), -EPROTO);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "release", "end", NULL), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl list --defined"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, UD));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

/* The domain gained a second vGPU between two prepares: the first is already
 * committed when the second's creation is killed. */
static void test_kill_second_of_two(void) {
        struct testhost *t = testhost_new("v100");
        const char *one[] = { U1 }, *two[] = { U1, U2 };
        _cleanup_free_ char *x1 = xml_for("nvidia-299", one, 1, NULL), *x2 = xml_for("nvidia-299", two, 2, NULL);
        _cleanup_free_ char *before = fault_snapshot(t);
        for (size_t s = 1; s < ELEMENTSOF(PREPARE_STEPS); s++) {
                CU_ASSERT_EQUAL(fault_hook(t, x1, "crashvm", "prepare", "begin", NULL), 0);
                CU_ASSERT_EQUAL(fault_hook(t, x2, "crashvm", "prepare", "begin", PREPARE_STEPS[s]), -EPROTO);
                n_kills++;
                size_t n = 0;
                CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
                CU_ASSERT_EQUAL(n, 2); /* U1 done, U2 pending or done */
                _cleanup_free_ char *what = strdup_printf("second of two, kill at %s", PREPARE_STEPS[s]);
                release_and_check(t, x2, before, what);
        }
        testhost_free(t);
}

/* Kill release after each entry it undid, until nothing is left. */
static void release_killed_repeatedly(const char *host, const char *xml, unsigned entries) {
        struct testhost *t = testhost_new(host);
        _cleanup_free_ char *before = fault_snapshot(t);

        CU_ASSERT_EQUAL_FATAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
        size_t n = 0;
        CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
        CU_ASSERT_EQUAL(n, entries);
        unsigned runs = 0;
        while (fault_ledger_exists(t, DOM) && runs < entries + 2) {
                int r = fault_hook(t, xml, "crashvm", "release", "end", "released-one");
                runs++;
                n_kills += r == -EPROTO;
                size_t left = 0;
                CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &left));
                /* each killed run undid exactly one entry and recorded that */
                if (r == -EPROTO)
                        CU_ASSERT_EQUAL(left, entries - runs);
        }
        CU_ASSERT_EQUAL(runs, entries);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        release_and_check(t, xml, before, "release killed after each entry");
        testhost_free(t);
}

static void test_kill_release_after_each_entry(void) {
        const char *uuids[] = { U1, U2, U3, U4 };
        _cleanup_free_ char *v = xml_for("nvidia-299", uuids, 4, NULL), *m = xml_for("mtty-1", uuids, 4, NULL);
        release_killed_repeatedly("v100", v, 4);
        release_killed_repeatedly("mtty", m, 4);
}

/* SIGKILL at arbitrary moments (not only at the named steps): run prepare
 * in its own process group, kill the hook after a delay, let whatever it
 * started (mdevctl) finish, then check and release. */
static int prepare_killed_after(struct testhost *t, const char *xml, uint64_t delay_us) {
        _cleanup_free_ char *sim = strdup_printf("%s/sim/gpuhook-sim", testhost_build_root());
        _cleanup_free_ char *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());
        int in[2];
        if (pipe(in) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                setpgid(0, 0);
                dup2(in[0], 0);
                close(in[0]);
                close(in[1]);
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execl(sim, sim, "--testbed", t->dir, "--", hook, "crashvm", "prepare", "begin", "-", (char *)NULL);
                _exit(127);
        }
        setpgid(pid, pid);
        close(in[0]);
        (void)!write(in[1], xml, strlen(xml));
        close(in[1]);
        sleep_usec(delay_us);
        kill(pid, SIGKILL);
        int st = 0, other;
        waitpid(pid, &st, 0);
        /* mdevctl or a bounded sysfs writer may still run: let them finish.
         * As a child subreaper we inherit them, so we can reap them. */
        while (waitpid(-pid, &other, 0) > 0 || errno == EINTR)
                ;
        return WIFSIGNALED(st) ? -EPROTO : WEXITSTATUS(st);
}

static void random_kills(const char *host, const char *xml, unsigned n) {
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        struct testhost *t = testhost_new(host);
        _cleanup_free_ char *before = fault_snapshot(t);
        unsigned killed = 0, finished = 0, stray = 0;

        /* how long an undisturbed prepare takes here (the quickest of three:
         * a loaded CI machine only makes later kills land earlier) */
        uint64_t dur = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
                uint64_t t0 = now_usec();
                CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
                uint64_t d = now_usec() - t0;
                dur = d < dur ? d : dur;
                release_and_check(t, xml, before, "random kills: baseline");
        }
        for (unsigned i = 0; i < n; i++) {
                uint64_t delay = dur * i / n + (uint64_t)(rand() % 2000);
                int r = prepare_killed_after(t, xml, delay);
                killed += r == -EPROTO;
                finished += r == 0;
                n_kills += r == -EPROTO;
                _cleanup_free_ char *what = strdup_printf("%s killed after %llu us", host, (unsigned long long)delay);
                release_and_check(t, xml, before, what);
        }
        /* a ledger write killed between its temp file and the rename leaves
         * the temp file; the next hook run under the lock removes it (bug 4) */
        stray = fault_stray_temp_files(t);
        fprintf(stderr, "  %s: prepare takes %llu ms; %u runs killed midway, %u finished first; %u temp file(s) left in %s\n",
                host, (unsigned long long)dur / 1000, killed, finished, stray, "STATE_DIR/domains");
        CU_ASSERT(killed >= n / 4);
        CU_ASSERT_EQUAL(stray, 0);
        testhost_free(t);
}

static void test_kill_at_random_moments(void) {
        const char *uuids[] = { U1, U2, U3, U4 };
        _cleanup_free_ char *m = xml_for("mtty-1", uuids, 4, NULL), *v = xml_for("nvidia-299", uuids, 4, NULL);
        srand(4711);
        random_kills("mtty", m, 24);
        random_kills("v100", v, 16);
}

/* ------------------------------------------------------------ corrupted ledger */

static char *read_all(const char *path, size_t *len) {
        char *s = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read_fd_limited(fd, 1 << 20, &s, len) < 0)
                s = NULL;
        if (fd >= 0)
                close(fd);
        return s;
}

static void write_all(const char *path, const char *data, size_t len) {
        CU_ASSERT_EQUAL(write_file_atomic(path, data, len, 0644), 0);
}

static void test_corrupt_ledger_refused_naming_it(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *xml = xml_for("nvidia-299", uuids, 1, NULL);
        _cleanup_free_ char *path = testhost_state_path(t, "domains/" DOM ".xml");
        size_t len = 0;

        CU_ASSERT_EQUAL_FATAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
        _cleanup_free_ char *good = read_all(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(good);
        const char *end = strstr(good, "</ledger>");
        CU_ASSERT_PTR_NOT_NULL_FATAL(end);
        size_t close_at = (size_t)(end - good);

        struct {
                const char *what;
                char *data;
                size_t len;
                const char *message;
        } bad[] = {
                { "empty", strdup(""), 0, "is unreadable" },
                { "one byte", strndup(good, 1), 1, "is unreadable" },
                { "half", strndup(good, len / 2), len / 2, "is unreadable" },
                { "cut before </ledger>", strndup(good, close_at), close_at, "is unreadable" },
                { "cut inside </ledger>", strndup(good, close_at + 8), close_at + 8, "is unreadable" },
                { "binary", strdup("\x7f" "ELF\x02\x01\x01"), 7, "is unreadable" },
                { "wrong root", strdup("<?xml version='1.0'?><domain/>\n"), 31, "has no <ledger> root" },
                { "traversal in an entry", NULL, 0, "invalid <mdev> entry" },
                { "unknown entry", NULL, 0, "invalid <rm> entry" },
                { "doctype", NULL, 0, "is unreadable (a DOCTYPE is not allowed" },
        };
        {
                struct strbuf sb = { 0 };
                const char *u = strstr(good, "uuid=\"" U1 "\"");
                strbuf_appendf(&sb, "%.*suuid=\"../../../../sys/power/state\"%s", (int)(u - good), good,
                               u + strlen("uuid=\"" U1 "\""));
                bad[7].data = sb.buf;
                bad[7].len = sb.len;
                struct strbuf sr = { 0 };
                strbuf_appendf(&sr, "%.*s<rm path=\"/\" state=\"done\"/>\n%s", (int)close_at, good, good + close_at);
                bad[8].data = sr.buf;
                bad[8].len = sr.len;
                struct strbuf sd = { 0 };
                const char *root = strstr(good, "<ledger");
                strbuf_appendf(&sd, "<!DOCTYPE ledger [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n%s", root);
                bad[9].data = sd.buf;
                bad[9].len = sd.len;
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *const ops[][2] = { { "prepare", "begin" }, { "release", "end" } };
                write_all(path, bad[i].data, bad[i].len);
                int writes_before = testhost_writes_matching(t, "/sys");
                for (size_t o = 0; o < ELEMENTSOF(ops); o++) {
                        int r = fault_hook(t, xml, "crashvm", ops[o][0], ops[o][1], NULL);
                        bool named = t->err && strstr(t->err, path) && strstr(t->err, bad[i].message);
                        if (r != 1 || !named)
                                fprintf(stderr, "  corrupt ledger (%s), %s: exit %d: %s", bad[i].what, ops[o][0], r, t->err);
                        CU_ASSERT_EQUAL(r, 1);
                        CU_ASSERT_TRUE(named);
                        CU_ASSERT_PTR_NOT_NULL(strchr(t->err, '\n'));
                        CU_ASSERT_PTR_EQUAL(strchr(t->err, '\n'), t->err + strlen(t->err) - 1); /* one line */
                        /* kept byte for byte: never dropped, never rewritten */
                        size_t now_len = 0;
                        _cleanup_free_ char *now = read_all(path, &now_len);
                        CU_ASSERT_TRUE(now && now_len == bad[i].len && memcmp(now, bad[i].data, now_len) == 0);
                        n_checks++;
                }
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), writes_before); /* nothing touched */
                CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1);
                free(bad[i].data);
        }
        /* a symlink where the ledger should be: refused, not followed */
        CU_ASSERT_EQUAL(unlink(path), 0);
        CU_ASSERT_EQUAL(symlink("/etc/passwd", path), 0);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "release", "end", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, path));
        unlink(path);

        /* another domain is not blocked by this domain's broken ledger */
        write_all(path, "garbage", 7);
        const char *other[] = { U2 };
        _cleanup_free_ char *x2 = fault_domain("othervm", "0be7ee00-0000-4000-8000-000000000002", "nvidia-299", other, 1, NULL);
        CU_ASSERT_EQUAL(fault_hook(t, x2, "othervm", "prepare", "begin", NULL), 0);
        CU_ASSERT_EQUAL(fault_hook(t, x2, "othervm", "release", "end", NULL), 0);

        /* the good ledger back: release cleans up */
        write_all(path, good, len);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "release", "end", NULL), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_FALSE(fault_ledger_exists(t, DOM));
        testhost_free(t);
}

/* Bug 3 (fixed): a pending entry of a killed prepare named a UUID that
 * another domain then created, and the first domain's release destroyed it. */
static void test_pending_uuid_taken_by_other_domain(void) {
        struct testhost *t = testhost_new("v100");
        const char *uuids[] = { U1 };
        _cleanup_free_ char *a = fault_domain("vm-a", "aaaaaaaa-0000-4000-8000-00000000000a", "nvidia-299", uuids, 1, NULL);
        _cleanup_free_ char *b = fault_domain("vm-b", "bbbbbbbb-0000-4000-8000-00000000000b", "nvidia-299", uuids, 1, NULL);

        CU_ASSERT_EQUAL(fault_hook(t, a, "vm-a", "prepare", "begin", "mdev-recorded"), -EPROTO);
        int r = fault_hook(t, b, "vm-b", "prepare", "begin", NULL);
        if (r == 0) {
                /* B got it: then A's release must leave B's vGPU alone */
                CU_ASSERT_EQUAL(fault_hook(t, a, "vm-a", "release", "end", NULL), 0);
                CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/mdev/devices/" U1));
                CU_ASSERT_EQUAL(testhost_writes_matching(t, U1 "/remove"), 0);
        } else {
                /* or B is refused, naming A */
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "held by domain 'vm-a'"));
        }
        testhost_free(t);

        /* the same with a committed entry whose vGPU was removed out of band */
        t = testhost_new("v100");
        CU_ASSERT_EQUAL(fault_hook(t, a, "vm-a", "prepare", "begin", NULL), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl stop -u " U1), 0);
        r = fault_hook(t, b, "vm-b", "prepare", "begin", NULL);
        if (r == 0) {
                CU_ASSERT_EQUAL(fault_hook(t, a, "vm-a", "release", "end", NULL), 0);
                CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/mdev/devices/" U1));
        } else
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "held by domain 'vm-a'"));
        testhost_free(t);
}

/* ------------------------------------------------------------------ PCI */

static bool have_host(const char *name) {
        _cleanup_free_ char *p = strdup_printf("%s/tests/hosts/%s.umockdev", testhost_source_root(), name);
        return access(p, R_OK) == 0;
}

static char *pci_domain(const char *bdf, const char *managed) {
        unsigned dom, bus, slot, fn;
        if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
                abort();
        _cleanup_free_ char *dev = strdup_printf("<hostdev mode='subsystem' type='pci' managed='%s'><source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source></hostdev>\n",
                                                 managed, dom, bus, slot, fn);
        return testhost_domain_xml("crashvm", DOM, dev, NULL);
}

#define RTX "0000:01:00.0"
#define RTX_AUDIO "0000:01:00.1"

static struct testhost *pci_host(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        /* a release that cannot rebind waits bind_timeout per step: keep failures quick */
        testhost_config(t, "bind_timeout = 2\n");
        return t;
}

static void test_kill_prepare_pci(void) {
        static const char *const steps[] = { "locked", "pci-recorded", "pci-bound" };
        if (!have_host("desktop-rtx")) {
                fprintf(stderr, "  skipped: tests/hosts/desktop-rtx.umockdev does not exist yet\n");
                return;
        }
        struct testhost *t = pci_host();
        _cleanup_free_ char *xml = pci_domain(RTX, "no");
        _cleanup_free_ char *before = fault_snapshot(t);

        /* the undisturbed run works here at all */
        int r = fault_hook(t, xml, "crashvm", "prepare", "begin", NULL);
        if (r)
                fprintf(stderr, "  PCI prepare on desktop-rtx failed (%d): %s", r, t->err);
        CU_ASSERT_EQUAL_FATAL(r, 0);
        release_and_check(t, xml, before, "pci: undisturbed");
        for (size_t s = 0; s < ELEMENTSOF(steps); s++) {
                for (int again = 0; again <= 1; again++) {
                        /* prepare again after a kill at pci-recorded: bug 6, fixed */
                        _cleanup_free_ char *what = strdup_printf("pci kill at %s%s", steps[s], again ? " + prepare again" : "");
                        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", steps[s]), -EPROTO);
                        n_kills++;
                        size_t n = 0;
                        CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &n));
                        if (again) {
                                CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
                                _cleanup_free_ char *drv = testhost_pci_driver(t, RTX);
                                if (!streq(drv, "vfio-pci"))
                                        fprintf(stderr, "  %s: %s is on '%s' after a successful prepare\n", what, RTX, drv);
                                CU_ASSERT_STRING_EQUAL(drv, "vfio-pci");
                        }
                        release_and_check(t, xml, before, what);
                }
        }
        /* release killed after each function it gave back */
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
        size_t entries = 0;
        CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &entries));
        unsigned runs = 0;
        while (fault_ledger_exists(t, DOM) && runs < entries + 2) {
                n_kills += fault_hook(t, xml, "crashvm", "release", "end", "released-one") == -EPROTO;
                runs++;
                size_t left = 0;
                CU_ASSERT_TRUE(fault_ledger_sound(t, DOM, &left));
                CU_ASSERT_EQUAL(left, entries - runs);
        }
        CU_ASSERT_EQUAL(runs, entries);
        release_and_check(t, xml, before, "pci: release killed after each entry");
        testhost_free(t);
}

/* Bug 5 (fixed): killed between writing driver_override and the unbind, the
 * function is still on its driver; release returned early ("already on its
 * driver") and left driver_override=vfio-pci behind. Made deterministic:
 * kill at pci-recorded, then do the override write the hook was about to do. */
static void test_pci_override_left_after_kill(void) {
        if (!have_host("desktop-rtx")) {
                fprintf(stderr, "  no desktop-rtx host, not run\n");
                return;
        }
        struct testhost *t = pci_host();
        _cleanup_free_ char *xml = pci_domain(RTX, "no");
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", "pci-recorded"), -EPROTO);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf vfio-pci > /sys/bus/pci/devices/" RTX "/driver_override"), 0);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "release", "end", NULL), 0);
        _cleanup_free_ char *drv = testhost_pci_driver(t, RTX);
        _cleanup_free_ char *ov = testhost_read(t, "/sys/bus/pci/devices/" RTX "/driver_override");
        CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        CU_ASSERT_STRING_EQUAL(ov ? ov : "", "(null)");
        CU_ASSERT_FALSE(fault_ledger_exists(t, DOM));
        /* and the next start/stop cycle is where it hurts: the stale override is
         * recorded as the original one, so release cannot give the GPU back */
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
        CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "release", "end", NULL), 0);
        _cleanup_free_ char *drv2 = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(drv2, "nvidia");
        testhost_free(t);
}

/* SIGKILL at random moments of the PCI binding sequence (where bugs 5 and 6
 * showed up). */
static void test_kill_pci_at_random_moments(void) {
        if (!have_host("desktop-rtx")) {
                fprintf(stderr, "  no desktop-rtx host, not run\n");
                return;
        }
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        struct testhost *t = pci_host();
        _cleanup_free_ char *xml = pci_domain(RTX, "no");
        _cleanup_free_ char *before = fault_snapshot(t);
        uint64_t dur = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
                uint64_t t0 = now_usec();
                CU_ASSERT_EQUAL(fault_hook(t, xml, "crashvm", "prepare", "begin", NULL), 0);
                uint64_t d = now_usec() - t0;
                dur = d < dur ? d : dur;
                release_and_check(t, xml, before, "pci: timing run");
        }
        unsigned killed = 0, bad = 0;
        for (unsigned i = 0; i < 24; i++) {
                uint64_t delay = dur * i / 24;
                int r = prepare_killed_after(t, xml, delay);
                killed += r == -EPROTO;
                n_kills += r == -EPROTO;
                _cleanup_free_ char *what = strdup_printf("pci killed after %llu us", (unsigned long long)delay);
                unsigned failed_before = CU_get_number_of_failures();
                release_and_check(t, xml, before, what);
                if (CU_get_number_of_failures() != failed_before) {
                        /* start over from a clean host: no cascade of one finding */
                        bad++;
                        testhost_free(t);
                        t = pci_host();
                }
        }
        fprintf(stderr, "  desktop-rtx: prepare takes %llu ms; %u of 24 runs killed midway, %u left the host changed\n",
                (unsigned long long)dur / 1000, killed, bad);
        testhost_free(t);
}

static void test_summary(void) {
        fprintf(stderr, "  crash injection: %u kills, %u host checks after release\n", n_kills, n_checks);
        CU_ASSERT(n_kills > 0);
}

CUNIT_MAIN("faults-crash",
           T(test_kill_prepare_v100_created),
           T(test_kill_prepare_v100_with_params),
           T(test_kill_prepare_mtty_generic),
           T(test_kill_prepare_next_to_foreign),
           T(test_kill_prepare_defined_and_created),
           T(test_kill_second_of_two),
           T(test_kill_release_after_each_entry),
           T(test_kill_at_random_moments),
           T(test_corrupt_ledger_refused_naming_it),
           T(test_pending_uuid_taken_by_other_domain),
           T(test_kill_prepare_pci),
           T(test_pci_override_left_after_kill),
           T(test_kill_pci_at_random_moments),
           T(test_summary))
