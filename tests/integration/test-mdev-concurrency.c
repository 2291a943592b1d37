/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Many VMs started at once against too few instances: the host lock makes
 * placement and creation one at a time, so no instance is handed out twice,
 * every loser hears why, and nothing leaks. */
#include <sys/wait.h>

#include "cunit-run.h"
#include "ledger.h"
#include "testhost.h"
#include "util.h"

#define V100 "0000:41:00.0"
#define N_DOMAINS 16

static void uuid_for(char buf[37], unsigned tag, unsigned i) {
        snprintf(buf, 37, "%08x-0000-4000-8000-%012x", tag, i);
}

static char *domain(unsigned i, const char *type) {
        char dom[37], mdev[37];
        uuid_for(dom, 0xd0d0d0d0, i);
        uuid_for(mdev, 0xadadadad, i);
        _cleanup_free_ char *h = testhost_mdev_hostdev(mdev, NULL), *m = testhost_mdev_meta(mdev, type, NULL);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        _cleanup_free_ char *name = strdup_printf("vm%u", i);
        return testhost_domain_xml(name, dom, h, meta);
}

/* Run the hook for every domain at once; returns how many succeeded. */
static unsigned run_all(struct testhost *t, const char *op, const char *subop, const char *type, unsigned *ret_clear_errors) {
        pid_t pids[N_DOMAINS];
        unsigned ok = 0, clear = 0;

        for (unsigned i = 0; i < N_DOMAINS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        _cleanup_free_ char *xml = domain(i, type), *name = strdup_printf("vm%u", i);
                        int r = testhost_hook(t, xml, name, op, subop);
                        _cleanup_free_ char *errf = strdup_printf("%s/err-%u", t->tmp, i);
                        FILE *f = fopen(errf, "w");
                        if (f) {
                                fputs(t->err ? t->err : "", f);
                                fclose(f);
                        }
                        _exit(r);
                }
        }
        for (unsigned i = 0; i < N_DOMAINS; i++) {
                int st = 0;
                waitpid(pids[i], &st, 0);
                if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
                        ok++;
                        continue;
                }
                _cleanup_free_ char *errf = strdup_printf("%s/err-%u", t->tmp, i), *err = NULL;
                if (read_text_file(errf, 65536, &err) >= 0 && strstr(err, "no free instance of") && !strchr(err, '\n'))
                        clear++;
                else
                        fprintf(stderr, "vm%u: unexpected failure: %s\n", i, err ? err : "(none)");
        }
        if (ret_clear_errors)
                *ret_clear_errors = clear;
        return ok;
}

static void test_16_prepares_on_4_instances(void) {
        struct testhost *t = testhost_new("v100");
        unsigned clear = 0;

        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
        unsigned ok = run_all(t, "prepare", "begin", "nvidia-299", &clear);
        CU_ASSERT_EQUAL(ok, 4);
        CU_ASSERT_EQUAL(clear, N_DOMAINS - 4);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 4);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 0);
        /* every successful create wrote a distinct UUID once; the losers wrote nothing */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create"), 4);

        /* libvirt releases every domain, winners and losers alike */
        CU_ASSERT_EQUAL(run_all(t, "release", "end", "nvidia-299", NULL), N_DOMAINS);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-299"), 4);
        _cleanup_free_ char *state = testhost_state_path(t, "");
        char **left = NULL;
        size_t n_left = 0;
        CU_ASSERT_EQUAL(ledger_list_domains(state, &left, &n_left), 0);
        CU_ASSERT_EQUAL(n_left, 0); /* no ledger left behind */
        strv_free(left, n_left);
        testhost_free(t);
}

CUNIT_MAIN("mdev-concurrency", T(test_16_prepares_on_4_instances))
