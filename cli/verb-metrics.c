/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl metrics [--textfile DIR]: Prometheus text exposition for the
 * monitoring every VM host already runs.
 *
 * The format is Prometheus' text format 0.0.4 (prometheus.io/docs/
 * instrumenting/exposition_formats, "Text format details"): "# HELP" and
 * "# TYPE" once per metric name, before its samples; label values escape
 * backslash, double quote and line feed as \\, \" and \n; HELP text escapes
 * backslash and line feed; the last line ends with a line feed.
 *
 * --textfile DIR writes DIR/gpuhook.prom for node_exporter's textfile
 * collector, which reads every *.prom in its directory (Debian's
 * prometheus-node-exporter: /var/lib/prometheus/node-exporter, set in
 * /etc/default/prometheus-node-exporter): written to a temp name without the
 * .prom suffix and renamed, so the collector never reads half a file
 * (node_exporter's README, "Textfile Collector"). gpuhook-metrics.timer runs
 * it every minute when enabled. */
#include "counters.h"
#include "gpuhookctl.h"
#include "ledger.h"
#include "log.h"
#include "mdev.h"
#include "placement.h"

#define PROM_FILE "gpuhook.prom"

/* A label value, escaped (text format: \\, \", \n). */
static int label(struct strbuf *out, const char *name, const char *value, bool first) {
        int r = strbuf_appendf(out, "%s%s=\"", first ? "" : ",", name);
        for (const char *p = value ? value : ""; *p && r >= 0; p++)
                r = *p == '\\' ? strbuf_appendf(out, "\\\\")
                  : *p == '"'  ? strbuf_appendf(out, "\\\"")
                  : *p == '\n' ? strbuf_appendf(out, "\\n")
                               : strbuf_appendf(out, "%c", *p);
        return r < 0 ? r : strbuf_appendf(out, "\"");
}

static int family(struct strbuf *out, const char *name, const char *type, const char *help) {
        return strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one sample without labels. */
static int scalar(struct strbuf *out, const char *name, const char *type, const char *help, unsigned long long value) {
        int r = family(out, name, type, help);
        return r < 0 ? r : strbuf_appendf(out, "%s %llu\n", name, value);
}

static int mdev_metrics(struct strbuf *out, const struct host_view *v) {
        static const char *const names[] = { "gpuhook_mdev_available_instances", "gpuhook_mdev_used_instances" };
        static const char *const helps[] = {
                "Instances of an mdev type its parent can still create (available_instances in sysfs).",
                "Instances of an mdev type that exist on its parent (entries in its devices/ directory).",
        };
        int r = 0;
        for (size_t m = 0; m < ELEMENTSOF(names) && r >= 0; m++) {
                r = family(out, names[m], "gauge", helps[m]);
                for (size_t i = 0; i < v->n_parents && r >= 0; i++) {
                        const struct mdev_parent_info *p = &v->parents[i];
                        for (size_t t = 0; t < p->n_types && r >= 0; t++) {
                                const struct mdev_type_info *ti = &p->types[t];
                                r = strbuf_appendf(out, "%s{", names[m]);
                                if (r >= 0)
                                        r = label(out, "parent", p->name, true);
                                if (r >= 0)
                                        r = label(out, "type", ti->id, false);
                                if (r >= 0)
                                        r = label(out, "name", ti->name ? ti->name : ti->id, false);
                                if (r >= 0)
                                        r = strbuf_appendf(out, "} %u\n", m == 0 ? ti->available : ti->in_use);
                        }
                }
        }
        return r;
}

/* Held devices per domain and kind, from the ledgers. */
static int ledger_metrics(struct strbuf *out, const struct gpuhook_config *cfg, unsigned *ret_unreadable) {
        char **uuids = NULL;
        size_t n = 0;
        unsigned unreadable = 0;
        int r = ledger_list_domains(cfg->state_dir, &uuids, &n);

        if (r < 0)
                return log_fail(r, "cannot list ledgers in %s/domains: %s; run as root", cfg->state_dir, strerror(-r));
        r = family(out, "gpuhook_domain_held_devices", "gauge",
                   "Devices gpuhook prepared that a domain holds until its release (its ledger), by kind.");
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                if (ledger_open(cfg->state_dir, uuids[i], NULL, &l) < 0) {
                        unreadable++;
                        continue;
                }
                for (int kind = 0; kind < _LEDGER_KIND_MAX && r >= 0; kind++) {
                        unsigned count = 0;
                        for (size_t k = 0; k < l->n; k++)
                                count += l->entries[k].kind == (enum ledger_kind)kind;
                        if (count == 0)
                                continue;
                        r = strbuf_appendf(out, "gpuhook_domain_held_devices{");
                        if (r >= 0)
                                r = label(out, "domain", *l->domain_name ? l->domain_name : l->domain_uuid, true);
                        if (r >= 0)
                                r = label(out, "uuid", l->domain_uuid, false);
                        if (r >= 0)
                                r = label(out, "kind", ledger_kind_to_string((enum ledger_kind)kind), false);
                        if (r >= 0)
                                r = strbuf_appendf(out, "} %u\n", count);
                }
        }
        strv_free(uuids, n);
        log_failure_clear();
        *ret_unreadable = unreadable;
        return r;
}

static int render(struct strbuf *out) {
        const struct gpuhook_config *cfg;
        struct host_view v = { 0 };
        struct counters c;
        struct ctl_switch sw = { 0 };
        unsigned unreadable = 0;
        int r;

        r = ctl_config(&cfg);
        if (r < 0)
                return r;
        r = ctl_switch_read(&sw);
        if (r >= 0) {
                r = scalar(out, "gpuhook_enabled", "gauge",
                           "Whether the hook prepares devices: 1, or 0 after `gpuhookctl disable` (release still gives back).",
                           sw.off ? 0 : 1);
        }
        ctl_switch_free(&sw);
        if (r >= 0) {
                r = mdev_host_view_load(&v);
                if (r < 0)
                        r = log_fail(r, "cannot read the mdev parents in /sys/class/mdev_bus: %s", strerror(-r));
        }
        if (r >= 0)
                r = mdev_metrics(out, &v);
        host_view_free(&v);
        if (r >= 0)
                r = ledger_metrics(out, cfg, &unreadable);
        if (r >= 0)
                r = scalar(out, "gpuhook_ledgers_unreadable", "gauge",
                           "Ledgers gpuhook cannot read (`gpuhookctl status` names them).", unreadable);
        if (r >= 0) {
                r = counters_read(cfg->state_dir, &c);
                if (r < 0)
                        r = log_fail(r, "cannot read %s/counters: %s", cfg->state_dir, strerror(-r));
        }
        if (r >= 0)
                r = scalar(out, "gpuhook_prepare_failures_total", "counter",
                           "Hook prepares that failed (a VM start gpuhook refused) since boot.",
                           (unsigned long long)c.value[COUNTER_PREPARE_FAILURES]);
        if (r >= 0)
                r = scalar(out, "gpuhook_release_failures_total", "counter",
                           "Hook releases that could not give everything back since boot (`gpuhookctl reconcile` retries).",
                           (unsigned long long)c.value[COUNTER_RELEASE_FAILURES]);
        return r;
}

int verb_metrics(int argc, char **argv) {
        struct strbuf out = { 0 };
        int r = render(&out);

        if (r < 0) {
                strbuf_free(&out);
                return ctl_fail_recorded(r, "cannot collect the metrics");
        }
        if (!arg.textfile) {
                fputs(strbuf_str(&out), stdout);
                strbuf_free(&out);
                return 0;
        }
        _cleanup_free_ char *path = strdup_printf("%s/%s", arg.textfile, PROM_FILE);
        /* 0644: node_exporter reads it as its own user. */
        r = path ? write_file_atomic(path, strbuf_str(&out), out.len, 0644) : -ENOMEM;
        strbuf_free(&out);
        if (r < 0)
                return ctl_fail("give the directory node_exporter's --collector.textfile.directory names, and run as root",
                                "cannot write %s: %s", path ? path : arg.textfile, strerror(-r));
        return 0;
}
