/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the ledger reader (lib/ledger.c), whose entries steer
 * sysfs writes at release. A ledger that loads must hold only validated
 * ids, and must survive a round trip: what ledger_commit() writes,
 * ledger_open() reads back identically (never torn, never unreadable). An
 * unreadable one is refused naming the file. */
#include <stdint.h>
#include <sys/stat.h>

#include "ledger.h"
#include "log.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOM "0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11"
static char dir_in[64], dir_out[64], path_in[128], path_out[128];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("gpuhook-fuzz", false);
        log_set_level(LOG_ERR);
        const char *tmp = getenv("TMPDIR");
        char base[64];
        snprintf(base, sizeof(base), "%s/gpuhook-fuzz-XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
        if (!mkdtemp(base))
                abort();
        snprintf(dir_in, sizeof(dir_in), "%s/in", base);
        snprintf(dir_out, sizeof(dir_out), "%s/out", base);
        snprintf(path_in, sizeof(path_in), "%s/domains/" DOM ".xml", dir_in);
        snprintf(path_out, sizeof(path_out), "%s/domains/" DOM ".xml", dir_out);
        if (mkdir_p(dir_in, 0755) < 0 || mkdir_p(dir_out, 0755) < 0)
                abort();
        char d[96];
        snprintf(d, sizeof(d), "%s/domains", dir_in);
        mkdir_p(d, 0755);
        return 0;
}

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "invariant broken: %s\n", what);
                __builtin_trap();
        }
}

static bool id_valid(const struct ledger_entry *e) {
        switch (e->kind) {
        case LEDGER_MDEV:
                return uuid_valid(e->id) && (!*e->parent || mdev_parent_name_valid(e->parent));
        case LEDGER_PCI:
        case LEDGER_VGPU:
        case LEDGER_SRIOV:
                return pci_addr_valid(e->id);
        default:
                return !strchr(e->id, '/') && !streq(e->id, "..") && !streq(e->id, ".");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ledger *l = NULL, *back = NULL;

        if (write_file_atomic(path_in, data, size, 0644) < 0)
                return 0;
        log_failure_clear();
        int r = ledger_open(dir_in, DOM, NULL, &l);
        if (r < 0) {
                const char *f = log_failure();
                check(r == -ENOMEM || (f && strstr(f, path_in)), "refused without naming the file");
                check(!f || !strchr(f, '\n'), "a message of more than one line");
                log_failure_clear();
                return 0;
        }
        for (size_t i = 0; i < l->n; i++)
                check(id_valid(&l->entries[i]), "an entry with an id that is not validated");
        /* round trip through the writer */
        free(l->path);
        l->path = strdup(path_out);
        if (l->path && ledger_commit(l) >= 0) {
                if (l->n == 0)
                        check(access(path_out, F_OK) < 0, "an empty ledger left a file");
                else {
                        r = ledger_open(dir_out, DOM, NULL, &back);
                        if (r < 0)
                                fprintf(stderr, "round trip failed: %s\n", log_failure() ? log_failure() : strerror(-r));
                        check(r >= 0, "gpuhook cannot read the ledger it wrote");
                        check(back->n == l->n, "entries lost in the round trip");
                        for (size_t i = 0; i < l->n; i++) {
                                const struct ledger_entry *a = &l->entries[i], *b = &back->entries[i];
                                check(a->kind == b->kind && a->state == b->state && streq(a->id, b->id) &&
                                              streq(a->parent, b->parent) && streq(a->type, b->type) &&
                                              a->defined == b->defined && streq(a->driver, b->driver) &&
                                              streq(a->override, b->override) && streq(a->left, b->left) && a->since == b->since,
                                      "an entry changed in the round trip");
                        }
                        check(streq(l->domain_name, back->domain_name), "domain name changed in the round trip");
                        ledger_free(back);
                }
        }
        ledger_free(l);
        unlink(path_out);
        log_failure_clear();
        return 0;
}
