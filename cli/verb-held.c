/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl held [--quiet]: does any domain hold devices gpuhook prepared?
 *
 * For the package's prerm: removing gpuhook while a ledger holds devices
 * leaves them held with no hook to give them back at release. Exit 0: no
 * ledger holds anything. Exit 1: some domain holds devices, or a ledger
 * cannot be read (then nobody can say, and removal must not go on). Only the
 * ledgers are read (no libvirt connection: a prerm may run while libvirtd is
 * down). */
#include "gpuhookctl.h"
#include "ledger.h"
#include "log.h"

int verb_held(int argc, char **argv) {
        const struct gpuhook_config *cfg;
        char **uuids = NULL;
        size_t n = 0, n_held = 0;
        int r;

        r = ctl_ledger_domains(&cfg, &uuids, &n);
        if (r != 0)
                return r;
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                struct strbuf ids = { 0 };
                log_failure_clear();
                r = ledger_open(cfg->state_dir, uuids[i], NULL, &l);
                if (r < 0) {
                        n_held++;
                        if (!arg.quiet && !arg.json)
                                printf("Domain %s: its ledger cannot be read (%s); gpuhook cannot tell what it holds.\n",
                                       uuids[i], log_failure() ? log_failure() : strerror(-r));
                        struct json_object *o = json_object_new_object();
                        json_object_object_add(o, "uuid", json_str(uuids[i]));
                        json_object_object_add(o, "error", json_str(log_failure() ? log_failure() : strerror(-r)));
                        json_object_array_add(arr, o);
                        continue;
                }
                if (l->n == 0)
                        continue;
                n_held++;
                struct json_object *o = json_object_new_object(), *ja = json_object_new_array();
                for (size_t k = 0; k < l->n; k++) {
                        strbuf_appendf(&ids, "%s%s %s", k ? ", " : "", ledger_kind_to_string(l->entries[k].kind),
                                       l->entries[k].id);
                        json_object_array_add(ja, json_str(l->entries[k].id));
                }
                json_object_object_add(o, "uuid", json_str(l->domain_uuid));
                json_object_object_add(o, "name", json_str(*l->domain_name ? l->domain_name : NULL));
                json_object_object_add(o, "devices", ja);
                json_object_array_add(arr, o);
                if (!arg.quiet && !arg.json)
                        printf("Domain '%s' (%s) holds %zu device%s: %s\n", *l->domain_name ? l->domain_name : l->domain_uuid,
                               l->domain_uuid, l->n, l->n == 1 ? "" : "s", strbuf_str(&ids));
                strbuf_free(&ids);
        }
        strv_free(uuids, n);
        if (arg.json && !arg.quiet) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "held", arr);
                json_print(o);
        } else {
                json_object_put(arr);
                if (!arg.quiet && n_held > 0)
                        printf("Stop those domains (`virsh shutdown DOMAIN`, or `virsh destroy DOMAIN`) so the hook gives the devices back; for a domain that is no longer running, `gpuhookctl reconcile` does it.\n");
                else if (!arg.quiet)
                        printf("No domain holds devices from gpuhook (ledgers in %s/domains).\n", cfg->state_dir);
        }
        return n_held > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
