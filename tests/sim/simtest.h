/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the gpuhook-sim end-to-end tests: a simulated host in a
 * temp dir, commands run inside it through the built gpuhook-sim, and a look
 * at the testbed from outside. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <CUnit/Basic.h>

#ifndef GPUHOOK_SIM_EXE
#error "GPUHOOK_SIM_EXE must be defined by the build"
#endif
#ifndef GPUHOOK_HOSTS_DIR
#error "GPUHOOK_HOSTS_DIR must be defined by the build"
#endif

#define MDEVCTL "/usr/bin/mdevctl"

extern bool sim_ok;           /* a private mount namespace can be made here */
extern bool mdevctl_ok;       /* MDEVCTL is installed */
extern const char *self_exe;  /* this test binary: the write(2) helper */

#define REQUIRE_SIM()                                                                      \
        do {                                                                               \
                if (!sim_ok) {                                                             \
                        printf("\n  note: skipped, no private mount namespace possible "  \
                               "here (needs root or user namespaces)\n");                  \
                        CU_PASS("skipped");                                                \
                        return;                                                            \
                }                                                                          \
        } while (0)

#define REQUIRE_MDEVCTL()                                                          \
        do {                                                                       \
                REQUIRE_SIM();                                                     \
                if (!mdevctl_ok) {                                                 \
                        printf("\n  note: skipped, " MDEVCTL " is not installed\n"); \
                        CU_PASS("skipped");                                        \
                        return;                                                    \
                }                                                                  \
        } while (0)

struct host {
        char *tmp;  /* temp dir, removed at the end */
        char *dir;  /* the testbed: tmp/tb */
        char *file; /* host file */
        int status; /* of the last run */
        char *out, *err;
};

char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *sim_exe(void);
char *read_file(const char *path);

/* A host from tests/hosts/NAME.umockdev, from FILE, or from TEXT; the
 * testbed is created by the first command run in it. */
struct host *host_new(const char *name);
struct host *host_new_file(const char *file);
struct host *host_with_text(const char *text);
void host_free(struct host *h);

/* gpuhook-sim --testbed DIR --host FILE -- ARGV: output to tmp/out.TAG and
 * tmp/err.TAG. */
pid_t spawn_in(struct host *h, int tag, const char *const argv[]);
int wait_status(pid_t pid);
/* h->status, h->out, h->err from run TAG. */
void collect(struct host *h, int tag, int status);
int run(struct host *h, const char *const argv[]);
/* /bin/sh -c (dash on Debian) inside the host. */
int sh(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* write(2) from C inside the host; the errno name ("0" on success). */
const char *cwrite(struct host *h, const char *path, const char *data);
/* mdevctl start -u UUID -p PARENT -t TYPE / mdevctl stop -u UUID inside the
 * host (h->status, h->out, h->err). */
void mdevctl_start(struct host *h, const char *uuid, const char *parent, const char *type);
void mdevctl_stop(struct host *h, const char *uuid);

/* Looking from outside: REL is a testbed-relative path ("/sys/..."). */
char *host_path(struct host *h, const char *rel);
/* Contents of REL, NULL if it cannot be read. */
char *read_rel(struct host *h, const char *rel);
bool exists(struct host *h, const char *rel);
char *readlink_rel(struct host *h, const char *rel);
char *resolve_rel(struct host *h, const char *rel);
int count_dir(struct host *h, const char *rel);
int count_lines_matching(const char *text, const char *needle);
char *writes_log(struct host *h);

/* Helper mode (--write PATH DATA), run inside the host: one write(2), print
 * "0" or the errno name. */
int helper_write(const char *path, const char *data);
bool probe_namespace(void);
/* Shared main(): helper modes (--write PATH DATA; --fopen PATH: fopen(3) for
 * reading, print "0" or the errno name), or set sim_ok and mdevctl_ok and run
 * the TESTS as suite NAME. */
struct simtest {
        const char *name;
        void (*fn)(void);
};
int simtest_main(int argc, char *argv[], const char *suite, const struct simtest *tests, size_t n);
