/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl reconcile: release what the ledger holds for domains libvirt
 * says are not running (a crashed daemon, a killed hook, a VM that vanished).
 * Safe at boot and repeatedly: running domains are never touched, and a
 * ledger younger than --min-age is left alone because its domain may be
 * starting (the prepare hook has run, libvirt has not marked it active yet). */
#include <libvirt/virterror.h>
#include <time.h>

#include "gpuhookctl.h"
#include "jit.h"
#include "ledger.h"
#include "log.h"
#include "virt.h"

enum verdict {
        KEEP_RUNNING,
        KEEP_YOUNG,
        RELEASE,
        RELEASED,
        FAILED,
};

static const char *const verdict_names[] = {
        [KEEP_RUNNING] = "kept (running)",
        [KEEP_YOUNG] = "skipped (just recorded)",
        [RELEASE] = "would release",
        [RELEASED] = "released",
        [FAILED] = "failed",
};

/* 1 running, 0 not running or unknown to libvirt, <0 cannot tell. */
static int domain_running(virConnectPtr c, const char *uuid, char **ret_name, const char **ret_state) {
        virDomainPtr d = virDomainLookupByUUIDString(c, uuid);
        if (!d) {
                virErrorPtr e = virGetLastError();
                if (e && e->code == VIR_ERR_NO_DOMAIN) {
                        *ret_state = "unknown to libvirt";
                        return 0;
                }
                return log_fail(-EIO, "cannot look up domain %s in libvirt: %s; nothing released for it", uuid,
                                virt_last_error());
        }
        const char *name = virDomainGetName(d);
        *ret_name = name ? strdup(name) : NULL;
        int active = virDomainIsActive(d);
        virDomainFree(d);
        if (active < 0)
                return log_fail(-EIO, "cannot ask libvirt whether domain %s is running: %s; nothing released for it", uuid,
                                virt_last_error());
        *ret_state = active ? "running" : "shut off";
        return active;
}

int verb_reconcile(int argc, char **argv) {
        static const char *const headers[] = { "DOMAIN", "UUID", "LIBVIRT", "DEVICES", "ACTION" };
        const struct gpuhook_config *cfg;
        _cleanup_virconn_ virConnectPtr conn = NULL;
        char **uuids = NULL;
        size_t n = 0;
        unsigned failed = 0, released = 0;
        int r;

        r = ctl_ledger_domains(&cfg, &uuids, &n);
        if (r != 0)
                return r;
        if (n == 0) {
                if (arg.json)
                        return json_print(json_object_new_array());
                printf("Nothing to reconcile: no domain holds a gpuhook device (%s/domains).\n", cfg->state_dir);
                return 0;
        }
        /* Read-only is enough to ask; nothing is changed through libvirt. */
        r = virt_open(true, &conn);
        if (r < 0) {
                strv_free(uuids, n);
                return ctl_fail_recorded(r, "cannot connect to libvirt");
        }

        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        struct json_object *arr = json_object_new_array();
        uint64_t now = (uint64_t)time(NULL);
        for (size_t i = 0; i < n; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                _cleanup_free_ char *name = NULL;
                const char *state = "?", *why = NULL;
                char devices[32];
                uint64_t newest = 0;
                enum verdict v;

                log_failure_clear();
                r = ledger_open(cfg->state_dir, uuids[i], NULL, &l);
                if (r < 0) {
                        why = log_failure() ? log_failure() : strerror(-r);
                        v = FAILED;
                        snprintf(devices, sizeof(devices), "?");
                } else {
                        for (size_t k = 0; k < l->n; k++)
                                newest = l->entries[k].since > newest ? l->entries[k].since : newest;
                        snprintf(devices, sizeof(devices), "%zu", l->n);
                        r = domain_running(conn, uuids[i], &name, &state);
                        if (r < 0) {
                                v = FAILED;
                                why = log_failure();
                        } else if (r > 0)
                                v = KEEP_RUNNING;
                        else if (newest + arg.min_age_s > now)
                                v = KEEP_YOUNG;
                        else if (arg.dry_run)
                                v = RELEASE;
                        else {
                                r = jit_release(cfg, uuids[i], name ? name : l->domain_name);
                                if (r < 0) {
                                        v = FAILED;
                                        why = log_failure() ? log_failure() : strerror(-r);
                                } else {
                                        v = RELEASED;
                                        released++;
                                        log_info("reconcile: released the devices of domain %s (%s)", uuids[i], state);
                                }
                        }
                }
                if (v == FAILED) {
                        failed++;
                        if (!arg.json)
                                ctl_fail(NULL, "%s", why ? why : "unknown failure");
                }
                const char *shown_name = name ? name : l && *l->domain_name ? l->domain_name : "-";
                const char *row[] = { shown_name, uuids[i], state, devices, verdict_names[v] };
                (void)table_add(t, row);

                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "uuid", json_str(uuids[i]));
                json_object_object_add(o, "name", json_str(streq(shown_name, "-") ? NULL : shown_name));
                json_object_object_add(o, "libvirt_state", json_str(state));
                json_object_object_add(o, "devices", l ? json_object_new_int((int)l->n) : NULL);
                json_object_object_add(o, "newest_since", json_object_new_int64((int64_t)newest));
                json_object_object_add(o, "action", json_str(verdict_names[v]));
                json_object_object_add(o, "error", json_str(v == FAILED ? why : NULL));
                json_object_array_add(arr, o);
        }
        strv_free(uuids, n);

        if (arg.json)
                json_print(arr);
        else {
                json_object_put(arr);
                if (t)
                        table_print(t, stdout);
        }
        if (failed)
                return ctl_fail("fix what the lines above name and run `gpuhookctl reconcile` again; `gpuhookctl status` shows what is held",
                                "%u domain%s could not be reconciled", failed, failed == 1 ? "" : "s");
        return 0;
}
