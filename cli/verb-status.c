/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl status: the ledger, domain by domain: which devices gpuhook
 * created or moved for it, since when, and what release will undo. */
#include "gpuhookctl.h"
#include "ledger.h"
#include "log.h"
#include "mdev.h"
#include "sysfs.h"

static bool entry_present(const struct ledger_entry *e) {
        switch (e->kind) {
        case LEDGER_MDEV:
                return mdev_exists(e->id);
        case LEDGER_PCI:
        case LEDGER_VGPU:
        case LEDGER_SRIOV: {
                _cleanup_free_ char *p = sysfs_pci_attr(e->id, NULL);
                return sysfs_exists(p);
        }
        default:
                return true; /* a console binding: nothing to look at */
        }
}

/* What jit_release will do with E. */
static void describe_restore(const struct ledger_entry *e, char *buf, size_t size) {
        switch (e->kind) {
        case LEDGER_MDEV:
                snprintf(buf, size, e->defined ? "stop the mdev (its mdevctl definition stays)" : "remove the mdev");
                break;
        case LEDGER_PCI:
                if (*e->driver)
                        snprintf(buf, size, "rebind to %s%s%s", e->driver, *e->override ? ", driver_override " : "", e->override);
                else
                        snprintf(buf, size, "leave unbound%s%s", *e->override ? ", driver_override " : "", e->override);
                break;
        case LEDGER_CONSOLE:
                snprintf(buf, size, "give the %s back%s%s", e->type, *e->driver ? " to " : "", e->driver);
                break;
        case LEDGER_VGPU:
                snprintf(buf, size, "clear the vGPU (current_vgpu_type 0)");
                break;
        case LEDGER_SRIOV:
                snprintf(buf, size, "set sriov_numvfs back to %s", *e->type ? e->type : "0");
                break;
        default:
                snprintf(buf, size, "?");
        }
}

static void describe_on(const struct ledger_entry *e, char *buf, size_t size) {
        switch (e->kind) {
        case LEDGER_MDEV:
                if (*e->parent || *e->type)
                        snprintf(buf, size, "%s %s", *e->type ? e->type : "?", *e->parent ? e->parent : "?");
                else
                        snprintf(buf, size, "(mdevctl definition)");
                break;
        case LEDGER_PCI:
                snprintf(buf, size, "was on %s", *e->driver ? e->driver : "no driver");
                break;
        case LEDGER_CONSOLE:
                snprintf(buf, size, "%s", e->type);
                break;
        case LEDGER_VGPU:
                snprintf(buf, size, "vGPU type %s", e->type);
                break;
        case LEDGER_SRIOV:
                snprintf(buf, size, "had %s VFs", *e->type ? e->type : "0");
                break;
        default:
                snprintf(buf, size, "-");
        }
}

static struct json_object *entry_json(const struct ledger_entry *e, bool present, const char *restore) {
        struct json_object *o = json_object_new_object();
        char t[32];
        json_object_object_add(o, "kind", json_str(ledger_kind_to_string(e->kind)));
        json_object_object_add(o, "id", json_str(e->id));
        if (e->kind == LEDGER_MDEV) {
                json_object_object_add(o, "parent", json_str(*e->parent ? e->parent : NULL));
                json_object_object_add(o, "type", json_str(*e->type ? e->type : NULL));
                json_object_object_add(o, "origin", json_str(e->defined ? "defined" : "created"));
        } else if (e->kind == LEDGER_PCI) {
                json_object_object_add(o, "original_driver", json_str(*e->driver ? e->driver : NULL));
                json_object_object_add(o, "original_override", json_str(*e->override ? e->override : NULL));
        } else if (e->kind == LEDGER_CONSOLE) {
                json_object_object_add(o, "console", json_str(e->type));
                json_object_object_add(o, "driver", json_str(*e->driver ? e->driver : NULL));
        } else if (e->kind == LEDGER_VGPU)
                json_object_object_add(o, "vgpu_type", json_str(e->type));
        else if (e->kind == LEDGER_SRIOV)
                json_object_object_add(o, "original_numvfs", json_str(*e->type ? e->type : "0"));
        json_object_object_add(o, "state", json_str(e->state == LEDGER_DONE ? "done" : "pending"));
        json_object_object_add(o, "since", json_object_new_int64((int64_t)e->since));
        json_object_object_add(o, "since_text", json_str(format_time(e->since, t)));
        json_object_object_add(o, "present", json_object_new_boolean(present));
        json_object_object_add(o, "at_release", json_str(restore));
        return o;
}

int verb_status(int argc, char **argv) {
        const struct gpuhook_config *cfg;
        char **uuids = NULL;
        size_t n = 0, n_entries = 0;
        int r, failed = 0;
        static const char *const headers[] = { "DOMAIN", "KIND", "DEVICE", "ON", "STATE", "SINCE", "AT RELEASE" };

        r = ctl_ledger_domains(&cfg, &uuids, &n);
        if (r != 0)
                return r;

        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        struct json_object *domains = json_object_new_array(), *errors = json_object_new_array();
        if (!t || !domains || !errors) {
                strv_free(uuids, n);
                return ctl_fail(NULL, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                log_failure_clear();
                r = ledger_open(cfg->state_dir, uuids[i], NULL, &l);
                if (r < 0) {
                        const char *why = log_failure() ? log_failure() : strerror(-r);
                        failed++;
                        if (arg.json) {
                                struct json_object *e = json_object_new_object();
                                json_object_object_add(e, "uuid", json_str(uuids[i]));
                                json_object_object_add(e, "error", json_str(why));
                                json_object_array_add(errors, e);
                        } else
                                ctl_fail(NULL, "%s", why);
                        continue;
                }
                struct json_object *d = json_object_new_object(), *entries = json_object_new_array();
                json_object_object_add(d, "uuid", json_str(l->domain_uuid));
                json_object_object_add(d, "name", json_str(*l->domain_name ? l->domain_name : NULL));
                json_object_object_add(d, "ledger", json_str(l->path));
                for (size_t k = 0; k < l->n; k++) {
                        const struct ledger_entry *e = &l->entries[k];
                        char restore[160], on[160], since[32], state[32];
                        bool present = entry_present(e);
                        describe_restore(e, restore, sizeof(restore));
                        describe_on(e, on, sizeof(on));
                        snprintf(state, sizeof(state), "%s%s", e->state == LEDGER_DONE ? "done" : "pending",
                                 present ? "" : " (gone)");
                        const char *row[] = { *l->domain_name ? l->domain_name : l->domain_uuid,
                                              ledger_kind_to_string(e->kind),
                                              e->id,
                                              on,
                                              state,
                                              format_time(e->since, since),
                                              restore };
                        if (table_add(t, row) < 0)
                                r = -ENOMEM;
                        json_object_array_add(entries, entry_json(e, present, restore));
                        n_entries++;
                }
                json_object_object_add(d, "entries", entries);
                json_object_array_add(domains, d);
        }
        strv_free(uuids, n);

        if (arg.json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "state_dir", json_str(cfg->state_dir));
                json_object_object_add(o, "domains", domains);
                json_object_object_add(o, "errors", errors);
                json_print(o);
        } else {
                json_object_put(domains);
                json_object_put(errors);
                if (n_entries == 0)
                        printf("No devices are held for any domain (ledgers in %s/domains).\n", cfg->state_dir);
                else
                        table_print(t, stdout);
        }
        if (r == -ENOMEM)
                return ctl_fail(NULL, "out of memory");
        if (failed)
                return ctl_fail("inspect the file; `gpuhookctl reconcile` retries what it can", "%d ledger%s could not be read",
                                failed, failed == 1 ? "" : "s");
        return 0;
}
