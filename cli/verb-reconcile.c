/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl reconcile: release what the ledger holds for domains libvirt
 * says are not running (a crashed daemon, a killed hook, a VM that vanished).
 * Safe at boot and repeatedly: running domains are never touched, and a
 * ledger younger than --min-age is left alone because its domain may be
 * starting (the prepare hook has run, libvirt has not marked it active yet).
 *
 * The decision is made under the host lock, the one every prepare and
 * release hook takes, in three steps:
 *   1. under the lock: list and read the ledgers, noting each file's
 *      identity (inode, mtime, size);
 *   2. without it: ask libvirt which of those domains run. libvirt holds a
 *      starting domain's object lock while that domain's prepare hook runs,
 *      and that hook waits for the host lock: asking libvirt while holding
 *      it would stall the start until the hook's lock_timeout failed it;
 *   3. under the lock again: release a stopped domain only if its ledger is
 *      still the file read in step 1. Every prepare and release rewrites the
 *      ledger it acts on, so an unchanged file proves no hook ran for that
 *      domain since libvirt answered; a changed one is skipped.
 * --dry-run takes the lock the same way, so it shows what a real run would do. */
#include <libvirt/virterror.h>
#include <sys/stat.h>
#include <time.h>

#include "gpuhookctl.h"
#include "jit.h"
#include "ledger.h"
#include "lock.h"
#include "log.h"
#include "virt.h"

enum verdict {
        KEEP_RUNNING,
        KEEP_YOUNG,
        KEEP_CHANGED,
        RELEASE,
        RELEASED,
        FAILED,
};

static const char *const verdict_names[] = {
        [KEEP_RUNNING] = "kept (running)",
        [KEEP_YOUNG] = "skipped (just recorded)",
        [KEEP_CHANGED] = "skipped (a hook ran for it meanwhile)",
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

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One domain with a ledger, as step 1 found it, and what was decided. */
struct candidate {
        char uuid[UUID_STRING_LEN + 1];
        struct ledger *ledger; /* NULL if it could not be read */
        struct stat st;        /* the ledger file's identity when read */
        char *name;            /* from libvirt */
        const char *state;
        enum verdict v;
        char *why;
};

static void candidates_free(struct candidate *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                ledger_free(c[i].ledger);
                free(c[i].name);
                free(c[i].why);
        }
        free(c);
}

static bool same_file(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int ledger_stat(const struct gpuhook_config *cfg, const char *uuid, struct stat *ret) {
        _cleanup_free_ char *path = strdup_printf("%s/domains/%s.xml", cfg->state_dir, uuid);
        if (!path)
                return -ENOMEM;
        return lstat(path, ret) < 0 ? -errno : 0;
}

static void fail_with(struct candidate *c, int r) {
        c->v = FAILED;
        c->why = strdup(log_failure() ? log_failure() : strerror(-r));
}

/* Step 1, under the lock. */
static int snapshot(const struct gpuhook_config *cfg, struct candidate **ret, size_t *ret_n) {
        char **uuids = NULL;
        size_t n = 0;
        int r = ledger_list_domains(cfg->state_dir, &uuids, &n);
        if (r < 0)
                return ctl_fail("check that the state directory is readable (run as root)", "cannot list ledgers in %s/domains: %s",
                                cfg->state_dir, strerror(-r));
        if (n > 1)
                qsort(uuids, n, sizeof(char *), cmp_strp);
        struct candidate *c = calloc(n + 1, sizeof(*c));
        if (!c) {
                strv_free(uuids, n);
                return ctl_fail(NULL, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                snprintf(c[i].uuid, sizeof(c[i].uuid), "%s", uuids[i]);
                c[i].state = "?";
                log_failure_clear();
                if ((r = ledger_stat(cfg, uuids[i], &c[i].st)) < 0 ||
                    (r = ledger_open(cfg->state_dir, uuids[i], NULL, &c[i].ledger)) < 0)
                        fail_with(&c[i], r);
        }
        strv_free(uuids, n);
        *ret = c;
        *ret_n = n;
        return 0;
}

/* Step 2, without the lock. */
static void ask_libvirt(virConnectPtr conn, struct candidate *c) {
        uint64_t newest = 0, now = (uint64_t)time(NULL);
        if (c->v == FAILED)
                return;
        for (size_t k = 0; k < c->ledger->n; k++)
                newest = c->ledger->entries[k].since > newest ? c->ledger->entries[k].since : newest;
        log_failure_clear();
        int r = domain_running(conn, c->uuid, &c->name, &c->state);
        if (r < 0)
                fail_with(c, r);
        else if (r > 0)
                c->v = KEEP_RUNNING;
        else if (newest + arg.min_age_s > now)
                c->v = KEEP_YOUNG;
        else
                c->v = RELEASE;
}

/* Step 3, under the lock again. */
static void act(const struct gpuhook_config *cfg, struct candidate *c) {
        struct stat now;
        if (c->v != RELEASE)
                return;
        if (ledger_stat(cfg, c->uuid, &now) < 0 || !same_file(&c->st, &now)) {
                c->v = KEEP_CHANGED;
                return;
        }
        if (arg.dry_run)
                return;
        log_failure_clear();
        int r = jit_release_held(cfg, c->uuid, jit_match_all, NULL);
        if (r < 0) {
                fail_with(c, r);
                return;
        }
        c->v = RELEASED;
        log_info("reconcile: released the devices of domain %s (%s)", c->uuid, c->state);
}

static void report(struct candidate *c, struct table *t, struct json_object *arr) {
        const char *shown_name = c->name ? c->name : c->ledger && *c->ledger->domain_name ? c->ledger->domain_name : "-";
        char devices[32];
        uint64_t newest = 0;

        if (c->ledger) {
                snprintf(devices, sizeof(devices), "%zu", c->ledger->n);
                for (size_t k = 0; k < c->ledger->n; k++)
                        newest = c->ledger->entries[k].since > newest ? c->ledger->entries[k].since : newest;
        } else
                snprintf(devices, sizeof(devices), "?");
        if (c->v == FAILED && !arg.json)
                ctl_fail(NULL, "%s", c->why ? c->why : "unknown failure");
        const char *row[] = { shown_name, c->uuid, c->state, devices, verdict_names[c->v] };
        (void)table_add(t, row);

        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "uuid", json_str(c->uuid));
        json_object_object_add(o, "name", json_str(streq(shown_name, "-") ? NULL : shown_name));
        json_object_object_add(o, "libvirt_state", json_str(c->state));
        json_object_object_add(o, "devices", c->ledger ? json_object_new_int((int)c->ledger->n) : NULL);
        json_object_object_add(o, "newest_since", json_object_new_int64((int64_t)newest));
        json_object_object_add(o, "action", json_str(verdict_names[c->v]));
        json_object_object_add(o, "error", json_str(c->v == FAILED ? c->why : NULL));
        json_object_array_add(arr, o);
}

int verb_reconcile(int argc, char **argv) {
        static const char *const headers[] = { "DOMAIN", "UUID", "LIBVIRT", "DEVICES", "ACTION" };
        const struct gpuhook_config *cfg;
        _cleanup_virconn_ virConnectPtr conn = NULL;
        struct candidate *c = NULL;
        size_t n = 0;
        unsigned failed = 0;
        int r, lock_fd;

        r = ctl_config(&cfg);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot load the gpuhook configuration");
        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0)
                return ctl_fail_recorded(lock_fd, "cannot take the gpuhook host lock; nothing was released");
        r = snapshot(cfg, &c, &n);
        host_lock_release(lock_fd);
        if (r != 0)
                return r;
        if (n == 0) {
                candidates_free(c, n);
                if (arg.json)
                        return json_print(json_object_new_array());
                printf("Nothing to reconcile: no domain holds a gpuhook device (%s/domains).\n", cfg->state_dir);
                return 0;
        }
        /* Read-only is enough to ask; nothing is changed through libvirt. */
        r = virt_open(true, &conn);
        if (r < 0) {
                candidates_free(c, n);
                return ctl_fail_recorded(r, "cannot connect to libvirt");
        }
        for (size_t i = 0; i < n; i++)
                ask_libvirt(conn, &c[i]);

        lock_fd = host_lock_acquire(cfg->state_dir, cfg->lock_timeout_ms);
        if (lock_fd < 0) {
                candidates_free(c, n);
                return ctl_fail_recorded(lock_fd, "cannot take the gpuhook host lock; nothing was released");
        }
        for (size_t i = 0; i < n; i++)
                act(cfg, &c[i]);
        host_lock_release(lock_fd);

        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                report(&c[i], t, arr);
                failed += c[i].v == FAILED;
        }
        candidates_free(c, n);
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
