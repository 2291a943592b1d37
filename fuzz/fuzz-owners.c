/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the owner record reader (lib/owners.c), which decides
 * whose a device is before anything is changed. A record that loads must
 * hold only validated ids and domain UUIDs, at most one claim per resource
 * after claiming through the API, and must survive a round trip; an
 * unreadable one is refused in one line naming the file. */
#include <stdint.h>
#include <sys/stat.h>

#include "log.h"
#include "owners.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        snprintf(path_in, sizeof(path_in), "%s/owners.xml", dir_in);
        snprintf(path_out, sizeof(path_out), "%s/owners.xml", dir_out);
        if (mkdir_p(dir_in, 0700) < 0 || mkdir_p(dir_out, 0700) < 0)
                abort();
        return 0;
}

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "invariant broken: %s\n", what);
                __builtin_trap();
        }
}

static bool claim_valid(const struct owner_claim *c) {
        if (!uuid_valid(c->domain_uuid) || (*c->on && !mdev_parent_name_valid(c->on)))
                return false;
        switch (c->kind) {
        case LEDGER_MDEV:
                return uuid_valid(c->id);
        case LEDGER_PCI:
        case LEDGER_VGPU:
        case LEDGER_SRIOV:
                return pci_addr_valid(c->id);
        case LEDGER_CONSOLE:
                return !strchr(c->id, '/') && !streq(c->id, "..") && !streq(c->id, ".");
        default:
                return false;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct owners *o = NULL, *back = NULL;

        if (write_file_atomic(path_in, data, size, 0600) < 0)
                return 0;
        log_failure_clear();
        int r = owners_open(dir_in, &o);
        if (r < 0) {
                const char *f = log_failure();
                check(r == -ENOMEM || (f && strstr(f, path_in)), "refused without naming the file");
                check(!f || !strchr(f, '\n'), "a message of more than one line");
                log_failure_clear();
                return 0;
        }
        for (size_t i = 0; i < o->n; i++)
                check(claim_valid(&o->claims[i]), "a claim with an id that is not validated");
        /* Claiming what is held by someone else never succeeds. */
        for (size_t i = 0; i < o->n && i < 4; i++) {
                struct owner_claim c = o->claims[i];
                snprintf(c.domain_uuid, sizeof(c.domain_uuid), "%s",
                         streq(c.domain_uuid, "00000000-0000-4000-8000-000000000000") ? "00000000-0000-4000-8000-000000000001"
                                                                                    : "00000000-0000-4000-8000-000000000000");
                free(o->path);
                o->path = strdup(path_out);
                check(!o->path || owners_claim(o, &c) == -EBUSY, "a held resource claimed by a second domain");
        }
        free(o->path);
        o->path = strdup(path_out);
        if (o->path && owners_commit(o) >= 0) {
                if (o->n == 0)
                        check(access(path_out, F_OK) < 0, "an empty record left a file");
                else {
                        r = owners_open(dir_out, &back);
                        if (r < 0)
                                fprintf(stderr, "round trip failed: %s\n", log_failure() ? log_failure() : strerror(-r));
                        check(r >= 0, "gpuhook cannot read the owner record it wrote");
                        check(back->n == o->n, "claims lost in the round trip");
                        for (size_t i = 0; i < o->n; i++) {
                                const struct owner_claim *a = &o->claims[i], *b = &back->claims[i];
                                check(a->kind == b->kind && streq(a->id, b->id) && streq(a->on, b->on) &&
                                              streq(a->domain_uuid, b->domain_uuid) &&
                                              streq(a->domain_name, b->domain_name) && a->since == b->since,
                                      "a claim changed in the round trip");
                        }
                        owners_free(back);
                }
        }
        owners_free(o);
        unlink(path_out);
        log_failure_clear();
        return 0;
}
