/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the domain XML and gpuhook metadata parser (lib/domain.c,
 * lib/xmlsafe.c), which reads whatever libvirt passes on stdin. Beyond "no
 * crash, no leak, no UB", every input must end in one of two ways:
 *   - accepted, and then every value that can reach a sysfs path or write
 *     passed its validator (UUIDs canonical, PCI addresses canonical, parent
 *     and parameter names plain);
 *   - refused with exactly one recorded line (or -ENOMEM).
 * The front end's raw-text scans (lib/fastpath.c) run on the same input;
 * a UUID they find must be the one the parser
 * finds (bug 9 in docs/faults.md: a <uuid> in a comment, a CDATA section or
 * a nested element before the domain's own fools the release shortcut). */
#include <stdint.h>

#include "domain.h"
#include "fastpath.h"
#include "log.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool strict_scan;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        strict_scan = true; /* bug 9 is fixed: always check the invariant */
        log_setup("gpuhook-fuzz", false);
        log_set_level(LOG_ERR);
        return 0;
}

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "invariant broken: %s\n", what);
                __builtin_trap();
        }
}

static bool canonical_uuid(const char *u) {
        char c[UUID_STRING_LEN + 1];
        return uuid_normalize(u, c) == 0 && streq(c, u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *xml = (const char *)data;
        struct domain_spec *d = NULL;

        char scanned[UUID_STRING_LEN + 1];
        log_failure_clear();
        (void)domain_xml_may_concern_us(xml, size);
        bool have_scan = domain_xml_uuid_scan(xml, size, scanned);
        int r = domain_parse(xml, size, &d);
        if (r < 0) {
                const char *f = log_failure();
                check(r == -ENOMEM || f, "a refusal without a message");
                check(!f || (!strchr(f, '\n') && !strchr(f, '\r')), "a message of more than one line");
                check(!d, "output set on failure");
                log_failure_clear();
                return 0;
        }
        check(d != NULL, "no result on success");
        check(canonical_uuid(d->uuid), "domain uuid not canonical");
        /* the front end decides "no ledger, nothing to release" from its scan:
         * it must never name another domain than the parser does */
        if (have_scan && strict_scan) {
                char canon[UUID_STRING_LEN + 1];
                check(uuid_normalize(scanned, canon) == 0 && streq(canon, d->uuid),
                      "the front end's UUID scan disagrees with the parser");
        }
        check(d->name != NULL, "no name");
        for (size_t i = 0; i < d->n_mdevs; i++) {
                check(canonical_uuid(d->mdevs[i].uuid), "hostdev uuid not canonical");
                check(streq(d->mdevs[i].model, "vfio-pci") || streq(d->mdevs[i].model, "vfio-ccw") ||
                              streq(d->mdevs[i].model, "vfio-ap"),
                      "unknown model accepted");
                for (size_t j = 0; j < i; j++)
                        check(!streq(d->mdevs[i].uuid, d->mdevs[j].uuid), "one uuid twice");
                (void)domain_find_request(d, d->mdevs[i].uuid);
        }
        for (size_t i = 0; i < d->n_pcis; i++)
                check(pci_addr_valid(d->pcis[i].bdf), "hostdev PCI address not canonical");
        for (size_t i = 0; i < d->n_requests; i++) {
                const struct mdev_request *q = &d->requests[i];
                check(canonical_uuid(q->uuid), "metadata uuid not canonical");
                check(q->type && (mdev_type_id_valid(q->type) || mdev_type_name_valid(q->type)), "type not validated");
                check(!*q->parent || mdev_parent_name_valid(q->parent), "parent not validated");
                check(!strchr(q->parent, '/'), "parent with a slash");
                for (size_t p = 0; p < q->n_params; p++) {
                        check(driver_name_valid(q->params[p].name), "parameter name not plain");
                        check(strlen(q->params[p].value) <= 256 && !strpbrk(q->params[p].value, ",=\n"),
                              "parameter value not checked");
                }
        }
        for (size_t i = 0; i < d->n_pci_requests; i++)
                check(pci_addr_valid(d->pci_requests[i].bdf), "metadata PCI address not canonical");
        for (size_t i = 0; i < d->n_vgpu_requests; i++) {
                check(pci_addr_valid(d->vgpu_requests[i].bdf), "vgpu VF address not canonical");
                (void)domain_find_vgpu(d, d->vgpu_requests[i].bdf);
        }
        check(log_failure() == NULL, "a message recorded on success");
        domain_spec_free(d);
        return 0;
}
