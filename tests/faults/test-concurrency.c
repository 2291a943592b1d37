/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 32 domains prepared at the same moment on a host with exactly 24 vGPU
 * instances (tests/hosts/mdev-24: three T4s, nvidia-223 x8 each): exactly 24
 * succeed, no instance is handed out twice, no parent is overbooked (the
 * kernel never answers EUSERS), the 8 losers each get one clear line, and
 * releasing all 32 at once brings the host back to 8/8/8 with no ledger.
 * Then: all-or-nothing under contention, and the host lock's bounded wait
 * (a clear timeout error, in about lock_timeout seconds). */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "cunit-run.h"
#include "faultlib.h"
#include "ledger.h"
#include "testhost.h"
#include "util.h"

#define N_DOMAINS 32
#define N_INSTANCES 24
#define TYPE "nvidia-223"
static const char *const T4S[] = { "0000:3b:00.0", "0000:5e:00.0", "0000:d8:00.0" };

static void dom_uuid(char buf[37], unsigned i) { snprintf(buf, 37, "d0d0d0d0-0000-4000-8000-%012x", i); }
static void mdev_uuid(char buf[37], unsigned i, unsigned k) { snprintf(buf, 37, "a%07x-%04x-4000-8000-%012x", i, k, i); }

static char *domain_xml(unsigned i, unsigned per_domain) {
        char dom[37], u[4][37];
        const char *uuids[4];
        dom_uuid(dom, i);
        for (unsigned k = 0; k < per_domain; k++) {
                mdev_uuid(u[k], i, k);
                uuids[k] = u[k];
        }
        _cleanup_free_ char *name = strdup_printf("vm%02u", i);
        return fault_domain(name, dom, TYPE, uuids, per_domain, NULL);
}

/* Run OP for every domain in its own process, all released at once by a
 * pipe; exit statuses in ST, stderr in ERR[i]. */
static void run_all(struct testhost *t, unsigned per_domain, const char *op, const char *subop, int st[N_DOMAINS],
                    char *err[N_DOMAINS]) {
        pid_t pids[N_DOMAINS];
        int go[2];
        CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
        for (unsigned i = 0; i < N_DOMAINS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        char c;
                        close(go[1]);
                        (void)!read(go[0], &c, 1); /* returns at EOF: everybody starts together */
                        _cleanup_free_ char *xml = domain_xml(i, per_domain), *name = strdup_printf("vm%02u", i);
                        int r = testhost_hook(t, xml, name, op, subop);
                        _cleanup_free_ char *errf = strdup_printf("%s/err-%u", t->tmp, i);
                        (void)write_file_atomic(errf, t->err ? t->err : "", t->err ? strlen(t->err) : 0, 0644);
                        _exit(r < 0 ? 99 : r);
                }
        }
        close(go[0]);
        close(go[1]);
        for (unsigned i = 0; i < N_DOMAINS; i++) {
                int s = 0;
                waitpid(pids[i], &s, 0);
                st[i] = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
                _cleanup_free_ char *errf = strdup_printf("%s/err-%u", t->tmp, i);
                err[i] = NULL;
                if (read_text_file(errf, 65536, &err[i]) < 0)
                        err[i] = strdup("");
                unlink(errf);
        }
}

static unsigned instances_on(struct testhost *t, const char *parent) {
        _cleanup_free_ char *p = strdup_printf("%s/sys/class/mdev_bus/%s/mdev_supported_types/" TYPE "/devices", t->dir, parent);
        DIR *d = opendir(p);
        unsigned n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void contend(unsigned per_domain, unsigned expect_winners) {
        struct testhost *t = testhost_new("mdev-24");
        int st[N_DOMAINS];
        char *err[N_DOMAINS];
        unsigned ok = 0, clear = 0;

        /* the test is about contention, not about waiting: generous under valgrind */
        testhost_config(t, "lock_timeout = 600\n");
        _cleanup_free_ char *before = fault_snapshot(t);
        for (size_t p = 0; p < ELEMENTSOF(T4S); p++)
                CU_ASSERT_EQUAL(testhost_available(t, T4S[p], TYPE), 8);

        uint64_t t0 = now_usec();
        run_all(t, per_domain, "prepare", "begin", st, err);
        uint64_t ms = (now_usec() - t0) / 1000;
        for (unsigned i = 0; i < N_DOMAINS; i++) {
                char dom[37], u[37];
                dom_uuid(dom, i);
                size_t entries = 0;
                CU_ASSERT_TRUE(fault_ledger_sound(t, dom, &entries));
                if (st[i] == 0) {
                        ok++;
                        CU_ASSERT_STRING_EQUAL(err[i], "");
                        CU_ASSERT_EQUAL(entries, per_domain);
                        for (unsigned k = 0; k < per_domain; k++) {
                                mdev_uuid(u, i, k);
                                CU_ASSERT_TRUE(testhost_mdev_present(t, u));
                        }
                        continue;
                }
                /* a loser: one line saying why, nothing of it left (all or nothing) */
                bool one_line = *err[i] && !strchr(err[i], '\n'); /* read_text_file dropped the final newline */
                if (st[i] == 1 && one_line && strstr(err[i], "no free instance of " TYPE) &&
                    strstr(err[i], "stop a VM that uses one"))
                        clear++;
                else
                        fprintf(stderr, "  vm%02u: unexpected failure %d: %s", i, st[i], err[i]);
                CU_ASSERT_EQUAL(entries, 0);
                CU_ASSERT_FALSE(fault_ledger_exists(t, dom));
                for (unsigned k = 0; k < per_domain; k++) {
                        mdev_uuid(u, i, k);
                        CU_ASSERT_FALSE(testhost_mdev_present(t, u));
                }
        }
        unsigned total = 0;
        for (size_t p = 0; p < ELEMENTSOF(T4S); p++) {
                unsigned n = instances_on(t, T4S[p]);
                CU_ASSERT(n <= 8); /* never overbooked */
                CU_ASSERT_EQUAL(testhost_available(t, T4S[p], TYPE), 8 - (int)n);
                total += n;
        }
        fprintf(stderr, "  %u domains x %u vGPU at once: %u prepared, %u refused clearly, %u instances in use "
                        "(%u/%u/%u), %llu ms\n",
                N_DOMAINS, per_domain, ok, clear, total, instances_on(t, T4S[0]), instances_on(t, T4S[1]),
                instances_on(t, T4S[2]), (unsigned long long)ms);
        CU_ASSERT_EQUAL(ok, expect_winners);
        CU_ASSERT_EQUAL(clear, N_DOMAINS - expect_winners);
        CU_ASSERT_EQUAL(total, N_INSTANCES);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), N_INSTANCES);
        /* every create the kernel saw succeeded: placement never raced it */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create \""), N_INSTANCES);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "\" 0"), N_INSTANCES);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "EUSERS"), 0);
        for (unsigned i = 0; i < N_DOMAINS; i++)
                free(err[i]);

        /* libvirt releases everybody, winners and losers, at once */
        run_all(t, per_domain, "release", "end", st, err);
        unsigned released = 0;
        for (unsigned i = 0; i < N_DOMAINS; i++) {
                released += st[i] == 0 && !*err[i];
                if (st[i])
                        fprintf(stderr, "  vm%02u release: %d %s", i, st[i], err[i]);
                free(err[i]);
        }
        CU_ASSERT_EQUAL(released, N_DOMAINS);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        for (size_t p = 0; p < ELEMENTSOF(T4S); p++)
                CU_ASSERT_EQUAL(testhost_available(t, T4S[p], TYPE), 8);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/remove \"1\" 0"), N_INSTANCES);
        _cleanup_free_ char *state = testhost_state_path(t, "");
        char **left = NULL;
        size_t n_left = 0;
        CU_ASSERT_EQUAL(ledger_list_domains(state, &left, &n_left), 0);
        CU_ASSERT_EQUAL(n_left, 0);
        strv_free(left, n_left);
        _cleanup_free_ char *after = fault_snapshot(t);
        CU_ASSERT_TRUE(fault_snapshot_same(before, after, "after releasing all"));
        testhost_free(t);
}

static void test_32_domains_on_24_instances(void) { contend(1, 24); }

/* Two vGPUs per domain, 64 wanted, 24 there: 12 domains get both, 20 get
 * none; nobody keeps half. */
static void test_32_domains_two_each_all_or_nothing(void) { contend(2, 12); }

/* ------------------------------------------------------------- the lock */

static int hold_lock(struct testhost *t) {
        _cleanup_free_ char *dir = testhost_state_path(t, ""), *path = testhost_state_path(t, "lock");
        CU_ASSERT_EQUAL(mkdir_p(dir, 0755), 0);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        CU_ASSERT_FATAL(fd >= 0);
        CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
        /* the holder's pid, as gpuhook writes it */
        CU_ASSERT_EQUAL(ftruncate(fd, 0), 0);
        CU_ASSERT_EQUAL(pwrite(fd, "4242\n", 5, 0), 5);
        return fd;
}

static void test_lock_wait_bounded_with_clear_error(void) {
        struct testhost *t = testhost_new("mdev-24");
        char dom[37], u[37];
        dom_uuid(dom, 0);
        mdev_uuid(u, 0, 0);
        _cleanup_free_ char *xml = domain_xml(0, 1), *path = testhost_state_path(t, "lock");
        const char *plain = "<domain><name>plain</name><uuid>11111111-2222-4333-8444-555555555555</uuid><devices/></domain>";

        testhost_config(t, "lock_timeout = 1\n");
        /* a prepared domain, so that release has work (and needs the lock) */
        CU_ASSERT_EQUAL_FATAL(testhost_hook(t, xml, "vm00", "prepare", "begin"), 0);

        int fd = hold_lock(t);
        const char *const ops[][2] = { { "prepare", "begin" }, { "release", "end" } };
        for (size_t o = 0; o < ELEMENTSOF(ops); o++) {
                uint64_t t0 = now_usec();
                int r = testhost_hook(t, xml, "vm00", ops[o][0], ops[o][1]);
                uint64_t ms = (now_usec() - t0) / 1000;
                fprintf(stderr, "  %s with the lock held elsewhere: exit %d after %llu ms: %s", ops[o][0], r,
                        (unsigned long long)ms, t->err);
                CU_ASSERT_EQUAL(r, 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "timed out after 1s waiting for the gpuhook host lock"));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, path));
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "(held by pid 4242)"));
                CU_ASSERT_PTR_EQUAL(strchr(t->err, '\n'), t->err + strlen(t->err) - 1);
                CU_ASSERT(ms < 10000); /* bounded (1 s asked; generous for slow CI) */
                /* nothing changed: the vGPU and its ledger are still there */
                CU_ASSERT_TRUE(testhost_mdev_present(t, u));
                CU_ASSERT_TRUE(fault_ledger_exists(t, dom));
        }
        /* what needs no lock does not wait for it */
        CU_ASSERT_EQUAL(testhost_hook(t, plain, "plain", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, plain, "plain", "release", "end"), 0);

        /* a holder that lets go in time: the waiter gets the lock and finishes */
        testhost_config(t, "lock_timeout = 30\n");
        uint64_t t0 = now_usec();
        pid_t rel = fork();
        if (rel == 0) {
                /* the child shares the open file description: its unlock is ours */
                sleep_usec(1500000);
                flock(fd, LOCK_UN);
                _exit(0);
        }
        int r = testhost_hook(t, xml, "vm00", "release", "end");
        uint64_t ms = (now_usec() - t0) / 1000;
        waitpid(rel, NULL, 0);
        fprintf(stderr, "  release waited %llu ms for a holder that let go after 1500 ms: exit %d\n",
                (unsigned long long)ms, r);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT(ms >= 1400);
        CU_ASSERT_FALSE(testhost_mdev_present(t, u));
        CU_ASSERT_FALSE(fault_ledger_exists(t, dom));
        close(fd);
        testhost_free(t);
}

CUNIT_MAIN("faults-concurrency",
           T(test_32_domains_on_24_instances),
           T(test_32_domains_two_each_all_or_nothing),
           T(test_lock_wait_bounded_with_clear_error))
