/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-full: the whole libvirt QEMU hook, run by the front end
 * (hooks/front.c) as
 *   gpuhook-full DOMAIN OP SUBOP EXTRA   with the domain XML on stdin
 * when the domain may need gpuhook. libvirt shows its stderr to the user when
 * it exits non-zero. stdout stays empty: for migrate/restore anything printed
 * would replace the XML. */
#include <signal.h>

#include "conf.h"
#include "counters.h"
#include "domain.h"
#include "jit.h"
#include "log.h"

enum hook_action {
        ACTION_NONE,
        ACTION_PREPARE,
        ACTION_RELEASE,
        ACTION_FILTER, /* migrate/restore begin: the XML may be handed back changed */
};

static const struct {
        const char *op, *subop;
        enum hook_action action;
} hook_table[] = {
        { "prepare", "begin", ACTION_PREPARE },
        { "release", "end", ACTION_RELEASE },
        /* libvirt's hook contract (docs/hooks.rst): migrate and restore are
         * filters, a non-empty stdout replaces the XML and may change host
         * PCI addresses. gpuhook prints only when a <gpuhook:vf> hostdev must
         * move to a free VF of its family; empty output keeps libvirt's XML. */
        { "migrate", "begin", ACTION_FILTER },
        { "restore", "begin", ACTION_FILTER },
        /* start, started, stopped, reconnect: nothing to change on the host. */
};

static enum hook_action action_for(const char *op, const char *subop) {
        for (size_t i = 0; i < ELEMENTSOF(hook_table); i++)
                if (streq(op, hook_table[i].op) && streq(subop, hook_table[i].subop))
                        return hook_table[i].action;
        return ACTION_NONE;
}

/* A domain with GPU hostdevs (mdev, PCI) is prepared by the host's policy:
 * with a broken gpuhook.conf it is refused, naming every bad line. Release
 * follows the ledger and never refuses for this. */
static int config_refuse_prepare(const struct gpuhook_config *cfg) {
        _cleanup_free_ char *summary = config_errors_summary(cfg);
        if (!summary)
                return -ENOMEM;
        log_failure_clear(); /* this is the reason, whatever was noted before */
        return log_fail(-EINVAL, "%s; fix %s and start the VM again (see gpuhook.conf(5))", summary,
                        cfg->n_errors > 1 ? "them" : "it");
}

/* The XML with D's taken <gpuhook:vf> hostdevs moved to free VFs, on
 * stdout; nothing when none moves. */
static int move_vfs(const struct gpuhook_config *cfg, const struct domain_spec *d, const char *xml, size_t len) {
        _cleanup_free_ struct hostdev_move *moves = NULL;
        _cleanup_free_ char *out = NULL;
        size_t n = 0;
        int r = jit_vf_moves(cfg, d, xml, len, &moves, &n, &out);
        if (r < 0 || n == 0)
                return r;
        if (fputs(out, stdout) < 0 || fflush(stdout) != 0)
                return log_fail(-EIO, "cannot hand the changed domain XML back to libvirt: %m");
        return 0;
}

static int run(int argc, char **argv) {
        struct gpuhook_config cfg;
        _cleanup_free_ char *xml = NULL;
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        char shown[80];
        size_t len = 0;
        int r;

        if (argc < 3)
                return log_fail(-EINVAL, "usage: gpuhook DOMAIN OP SUBOP [EXTRA] with the domain XML on stdin (libvirt runs this; see gpuhook(8))");
        const char *op = argv[2], *subop = argc > 3 ? argv[3] : "-";
        enum hook_action action = action_for(op, subop);

        log_set_context("domain '%s'", sanitize_for_message(argv[1], shown, sizeof(shown)));
        config_init_defaults(&cfg);
        /* Errors in gpuhook.conf fail nothing here (they are logged): only a
         * prepare that needs the policy refuses, below. */
        r = config_load_default(&cfg);
        if (r < 0)
                goto out;
        log_set_level(cfg.log_level);

        /* Always drain stdin: libvirt writes the whole XML to every hook. */
        r = read_fd_limited(STDIN_FILENO, cfg.max_xml_bytes, &xml, &len);
        if (r == -EFBIG) {
                r = log_fail(r, "domain XML on stdin is larger than %zu KiB; refusing it (raise max_xml_kib in gpuhook.conf if this domain is real)",
                             cfg.max_xml_bytes / 1024);
                goto out;
        }
        if (r < 0) {
                r = log_fail(r, "cannot read the domain XML from stdin: %s", strerror(-r));
                goto out;
        }
        if (action == ACTION_NONE)
                goto out;
        /* Fast path: nothing for gpuhook in this domain. Release still looks
         * for a ledger: hot-plugged devices leave no trace in the XML. */
        if (action == ACTION_PREPARE && !domain_xml_may_concern_us(xml, len))
                goto out;

        r = domain_parse(xml, len, &d);
        if (r < 0)
                goto out;
        if (action == ACTION_FILTER) {
                r = d->hands_off ? 0 : move_vfs(&cfg, d, xml, len);
                goto out;
        }
        if (action == ACTION_PREPARE && d->hands_off) {
                /* <gpuhook:devices manage='no'>: someone else (a cloud) prepares it. */
                log_info("metadata says manage='no': prepare left to libvirt");
                goto out;
        }
        if (action == ACTION_PREPARE && config_has_errors(&cfg) && (d->n_mdevs > 0 || d->n_pcis > 0)) {
                r = config_refuse_prepare(&cfg);
                goto out;
        }
        if (action == ACTION_PREPARE)
                r = jit_prepare(&cfg, d);
        else
                r = jit_release(&cfg, d->uuid, d->name);
out:
        /* For monitoring (`gpuhookctl metrics`); a short wait: the start has failed already. */
        if (r < 0 && (action == ACTION_PREPARE || action == ACTION_RELEASE) && cfg.state_dir)
                (void)counters_bump(cfg.state_dir,
                                    action == ACTION_PREPARE ? COUNTER_PREPARE_FAILURES : COUNTER_RELEASE_FAILURES, 1000);
        config_done(&cfg);
        return r;
}

int main(int argc, char **argv) {
        int r;

        /* A closed stdout/stderr must not kill us halfway through a release. */
        signal(SIGPIPE, SIG_IGN);
        log_setup("gpuhook", true);
        r = run(argc, argv);
        if (r < 0) {
                const char *msg = log_failure();
                fprintf(stderr, "gpuhook: %s\n", msg ? msg : strerror(-r));
                return 1;
        }
        return 0;
}
