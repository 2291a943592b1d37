/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl status: the ledger, domain by domain: which devices gpuhook
 * created or moved for it, since when, and what release will undo. Then
 * what gpuhook did not do: the host-wide switch, mdevs it does not hold
 * (mdevctl definitions, a cloud's or a user's), and hostdevs in running
 * domains it did not prepare. libvirt runs no hook for hot-plug
 * (src/qemu/qemu_hotplug.c: qemuDomainAttachHostDevice calls no
 * virHookCall; the "attach" op of src/util/virhook.h is never sent), so a
 * device added with `virsh attach-device` is invisible to the hook;
 * `gpuhookctl attach` is the way that goes through gpuhook. */
#include "domain.h"
#include "gpuhookctl.h"
#include "vf-family.h"
#include "ledger.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"
#include "strset.h"
#include "sysfs.h"
#include "virt.h"

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
        case LEDGER_CCW:
                snprintf(buf, size, "rebind the subchannel to %s", *e->driver ? e->driver : "no driver");
                break;
        default:
                snprintf(buf, size, "?");
        }
}

static void describe_on(const struct ledger_entry *e, char *buf, size_t size) {
        char type[MDEV_NAME_MAX + 1] = "", parent[MDEV_NAME_MAX + 1] = "";
        switch (e->kind) {
        case LEDGER_MDEV:
                /* A started mdevctl definition: its ledger entry names neither;
                 * the running device does. */
                snprintf(type, sizeof(type), "%s", e->type);
                snprintf(parent, sizeof(parent), "%s", e->parent);
                if (!*type)
                        (void)mdev_type_of(e->id, type, sizeof(type));
                if (!*parent)
                        (void)mdev_parent_of(e->id, parent, sizeof(parent));
                if (*type || *parent)
                        snprintf(buf, size, "%s %s%s", *type ? type : "?", *parent ? parent : "?",
                                 e->defined ? " (mdevctl definition)" : "");
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
        case LEDGER_CCW:
                snprintf(buf, size, "was on %s", *e->driver ? e->driver : "no driver");
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

/* ---- what gpuhook does not hold ---- */

struct running {
        char *name;
        char uuid[VIR_UUID_STRING_BUFLEN];
        struct domain_spec *spec; /* NULL: its live XML did not parse */
};

struct others {
        struct running *doms;
        size_t n_doms;
        char *libvirt_error; /* why running domains were not looked at */
        struct strset held;  /* "DOMAIN-UUID KIND:ID" of every ledger entry */
        struct strset held_any; /* "KIND:ID" */
};

static void others_free(struct others *o) {
        for (size_t i = 0; i < o->n_doms; i++) {
                free(o->doms[i].name);
                domain_spec_free(o->doms[i].spec);
        }
        free(o->doms);
        free(o->libvirt_error);
        strset_free(&o->held);
        strset_free(&o->held_any);
}

static int note_held(struct others *o, const char *domain_uuid, const struct ledger_entry *e) {
        _cleanup_free_ char *k = strdup_printf("%s %s:%s", domain_uuid, ledger_kind_to_string(e->kind), e->id);
        _cleanup_free_ char *any = strdup_printf("%s:%s", ledger_kind_to_string(e->kind), e->id);
        if (!k || !any || strset_add(&o->held, k) < 0 || strset_add(&o->held_any, any) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_held(const struct others *o, const char *domain_uuid, const char *kind, const char *id) {
        _cleanup_free_ char *k = domain_uuid ? strdup_printf("%s %s:%s", domain_uuid, kind, id)
                                             : strdup_printf("%s:%s", kind, id);
        return k && strset_contains(domain_uuid ? &o->held : &o->held_any, k);
}

/* The running domains and their live XML, read-only. A host without a
 * reachable libvirtd still gets the ledger part. */
static void load_running(struct others *o) {
        _cleanup_virconn_ virConnectPtr conn = NULL;
        virDomainPtr *list = NULL;
        bool had = log_failure() != NULL;
        int n;

        if (virt_open(true, &conn) < 0) {
                o->libvirt_error = strdup(log_failure() ? log_failure() : "cannot connect to libvirt");
                if (!had)
                        log_failure_clear();
                return;
        }
        n = virConnectListAllDomains(conn, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0) {
                o->libvirt_error = strdup_printf("cannot list running domains: %s", virt_last_error());
                return;
        }
        o->doms = calloc((size_t)n ? (size_t)n : 1, sizeof(*o->doms));
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *xml = NULL;
                if (o->doms) {
                        struct running *r = &o->doms[o->n_doms];
                        r->name = strdup(virDomainGetName(list[i]) ? virDomainGetName(list[i]) : "");
                        if (r->name && virDomainGetUUIDString(list[i], r->uuid) == 0) {
                                xml = virDomainGetXMLDesc(list[i], 0);
                                if (xml && domain_parse(xml, strlen(xml), &r->spec) < 0)
                                        r->spec = NULL;
                                o->n_doms++;
                        } else
                                free(r->name);
                }
                virDomainFree(list[i]);
        }
        free(list);
        if (!had)
                log_failure_clear();
}

static const char *running_with_mdev(const struct others *o, const char *uuid) {
        for (size_t i = 0; i < o->n_doms; i++)
                for (size_t k = 0; o->doms[i].spec && k < o->doms[i].spec->n_mdevs; k++)
                        if (streq(o->doms[i].spec->mdevs[k].uuid, uuid))
                                return o->doms[i].name;
        return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every mdev on the host that no ledger holds: started from an mdevctl
 * definition, or created by someone else (a cloud, a user). */
static int other_mdevs(const struct gpuhook_config *cfg, const struct others *o, struct table *t,
                       struct json_object *arr) {
        struct strset existing = { 0 }, defined = { 0 };
        char **ids = NULL;
        size_t n = 0;
        int r = mdev_existing_load(&existing);

        if (r < 0)
                return 0; /* no mdev bus: nothing to show */
        if (mdevctl_defined_load(&defined) < 0)
                strset_free(&defined);
        log_failure_clear();
        ids = calloc(existing.n + 1, sizeof(char *));
        for (size_t i = 0; ids && i < existing.cap; i++)
                if (existing.slots[i].key && !is_held(o, NULL, "mdev", existing.slots[i].key))
                        ids[n++] = existing.slots[i].key;
        if (n > 1)
                qsort(ids, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n && r >= 0; i++) {
                char type[MDEV_NAME_MAX + 1] = "?", parent[MDEV_NAME_MAX + 1] = "?";
                (void)mdev_type_of(ids[i], type, sizeof(type));
                (void)mdev_parent_of(ids[i], parent, sizeof(parent));
                const char *origin = strset_contains(&defined, ids[i]) ? "mdevctl definition" : "not gpuhook's";
                const char *dom = running_with_mdev(o, ids[i]);
                char on[2 * MDEV_NAME_MAX + 4];
                snprintf(on, sizeof(on), "%s %s", type, parent);
                const char *row[] = { dom ? dom : "-", "mdev", ids[i], on, origin, "-", "left alone (gpuhook did not create it)" };
                r = table_add(t, row);
                struct json_object *e = json_object_new_object();
                json_object_object_add(e, "id", json_str(ids[i]));
                json_object_object_add(e, "type", json_str(type));
                json_object_object_add(e, "parent", json_str(parent));
                json_object_object_add(e, "origin", json_str(strset_contains(&defined, ids[i]) ? "mdevctl" : "foreign"));
                json_object_object_add(e, "running_domain", json_str(dom));
                json_object_array_add(arr, e);
        }
        free(ids);
        strset_free(&existing);
        strset_free(&defined);
        return r;
}

/* Hostdevs in running domains that the domain's ledger does not hold and
 * gpuhook would have prepared: mdevs, and PCI devices managed='no'
 * (managed='yes' ones are libvirt's to detach). */
static int unprepared(const struct others *o, struct table *t, struct json_object *arr) {
        int r = 0;
        for (size_t i = 0; i < o->n_doms && r >= 0; i++) {
                const struct running *d = &o->doms[i];
                if (!d->spec)
                        continue;
                for (size_t k = 0; k < d->spec->n_mdevs + d->spec->n_pcis && r >= 0; k++) {
                        bool mdev = k < d->spec->n_mdevs;
                        const char *id = mdev ? d->spec->mdevs[k].uuid : d->spec->pcis[k - d->spec->n_mdevs].bdf;
                        if ((!mdev && d->spec->pcis[k - d->spec->n_mdevs].managed) ||
                            is_held(o, d->uuid, mdev ? "mdev" : "pci", id))
                                continue;
                        /* A running mdev no ledger holds is listed above with its origin. */
                        if (mdev && mdev_exists(id) && !is_held(o, NULL, "mdev", id) && !d->spec->hands_off &&
                            !domain_find_request(d->spec, id))
                                continue;
                        const char *why = d->spec->hands_off ? "manage='no': not gpuhook's"
                                        : "not prepared by gpuhook (hot-plugged with virsh attach-device?)";
                        const char *row[] = { d->name, mdev ? "mdev" : "pci", id, "-", why, "-",
                                              "nothing (use gpuhookctl attach for hot-plug)" };
                        r = table_add(t, row);
                        struct json_object *e = json_object_new_object();
                        json_object_object_add(e, "domain", json_str(d->name));
                        json_object_object_add(e, "uuid", json_str(d->uuid));
                        json_object_object_add(e, "kind", json_str(mdev ? "mdev" : "pci"));
                        json_object_object_add(e, "id", json_str(id));
                        json_object_object_add(e, "hands_off", json_object_new_boolean(d->spec->hands_off));
                        json_object_array_add(arr, e);
                }
        }
        return r;
}

int verb_status(int argc, char **argv) {
        const struct gpuhook_config *cfg;
        char **uuids = NULL;
        size_t n = 0, n_entries = 0;
        int r, failed = 0;
        static const char *const headers[] = { "DOMAIN", "KIND", "DEVICE", "ON", "STATE", "SINCE", "AT RELEASE" };
        static const char *const other_headers[] = { "DOMAIN", "KIND", "DEVICE", "ON", "ORIGIN", "SINCE", "AT RELEASE" };
        struct others oth = { 0 };
        struct ctl_switch sw = { 0 };

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
                        if (note_held(&oth, l->domain_uuid, e) < 0)
                                r = -ENOMEM;
                        n_entries++;
                }
                json_object_object_add(d, "entries", entries);
                json_object_array_add(domains, d);
        }
        strv_free(uuids, n);

        _cleanup_table_ struct table *ot = table_new(ELEMENTSOF(other_headers), other_headers);
        struct json_object *jmdevs = json_object_new_array(), *junprep = json_object_new_array();
        if (!ot || ctl_switch_read(&sw) < 0)
                r = -ENOMEM;
        load_running(&oth);
        if (r >= 0 && other_mdevs(cfg, &oth, ot, jmdevs) < 0)
                r = -ENOMEM;
        if (r >= 0 && unprepared(&oth, ot, junprep) < 0)
                r = -ENOMEM;

        /* SR-IOV vGPU families: which VF is whose, what is free */
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        struct json_object *jvfs = json_object_new_array();
        if (r >= 0 && cli_vf_pool(NULL, &pool) < 0)
                log_failure_clear(); /* shown by `types`; status stays about the ledgers */
        for (size_t i = 0; i < pool.n; i++)
                json_object_array_add(jvfs, vf_pf_json(&pool.pfs[i]));

        if (arg.json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "state_dir", json_str(cfg->state_dir));
                json_object_object_add(o, "sriov_vfs", jvfs);
                json_object_object_add(o, "switch", ctl_switch_json(&sw));
                json_object_object_add(o, "domains", domains);
                json_object_object_add(o, "errors", errors);
                json_object_object_add(o, "other_mdevs", jmdevs);
                json_object_object_add(o, "unprepared_hostdevs", junprep);
                json_object_object_add(o, "libvirt_error", json_str(oth.libvirt_error));
                json_print(o);
        } else {
                json_object_put(jvfs);
                json_object_put(domains);
                json_object_put(errors);
                size_t n_other = json_object_array_length(jmdevs) + json_object_array_length(junprep);
                json_object_put(jmdevs);
                json_object_put(junprep);
                if (sw.off || sw.untrusted) {
                        struct strbuf line = { 0 };
                        ctl_switch_describe(&sw, &line);
                        if (sw.off)
                                printf("%s%s%s\n", ansi_yellow(stdout), strbuf_str(&line), ansi_reset(stdout));
                        if (sw.untrusted)
                                printf("%s is ignored: it is not a root-owned file only root can write; remove it or use `gpuhookctl disable`\n",
                                       sw.path);
                        printf("\n");
                        strbuf_free(&line);
                }
                if (n_entries == 0)
                        printf("No devices are held for any domain (ledgers in %s/domains).\n", cfg->state_dir);
                else
                        table_print(t, stdout);
                if (n_other > 0) {
                        printf("\nNot gpuhook's (no ledger holds them; hot-plug through gpuhook is `gpuhookctl attach`):\n");
                        table_print(ot, stdout);
                }
                if (pool.n > 0)
                        printf("\nSR-IOV vGPU VFs:\n");
                for (size_t i = 0; i < pool.n; i++) {
                        struct strbuf line = { 0 };
                        vf_pf_summary(&pool.pfs[i], &line);
                        printf("  %s\n", strbuf_str(&line));
                        strbuf_free(&line);
                }
                if (oth.libvirt_error)
                        printf("\nRunning domains were not inspected: %s\n", oth.libvirt_error);
        }
        ctl_switch_free(&sw);
        others_free(&oth);
        if (r == -ENOMEM)
                return ctl_fail(NULL, "out of memory");
        if (failed)
                return ctl_fail("inspect the file; `gpuhookctl reconcile` retries what it can", "%d ledger%s could not be read",
                                failed, failed == 1 ? "" : "s");
        return 0;
}
