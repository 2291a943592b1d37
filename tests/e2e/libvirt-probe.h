/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Shared by the e2e tests that watch a real libvirtd run gpuhook: a script
 * next to a private libvirtd (tests/e2e/with-libvirtd.sh) with a probe hook
 * that records the simulated host at `start begin` (what QEMU would find)
 * and at `release end` (what the release left), and readers for the
 * writes log and the probe. Header only: each test is one executable. */
#include "spawn.h"
#include "testhost.h"
#include "util.h"

static char *out, *err;

/* Run SCRIPT (bash) next to a private libvirtd hooked to testbed T. The
 * script gets $SIM (a command prefix running its arguments inside the
 * simulated host) and the probe hook installed. */
static inline int with_libvirtd(struct testhost *t, const char *script) {
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", testhost_source_root());
        _cleanup_free_ char *full = strdup_printf(
                "SIM='%s/sim/gpuhook-sim --testbed %s --'\n"
                /* the probe: what a QEMU starting now would find, and what
                 * the release left (qemu.d runs in strcmp order, so after
                 * gpuhook) */
                "cat > /etc/libvirt/hooks/qemu.d/90-probe <<PROBE\n"
                "#!/bin/sh\n"
                /* libvirt scrubs hooks' environment; an ASan-built
                 * gpuhook-sim under the sim's preloads needs this */
                "${ASAN_OPTIONS:+export ASAN_OPTIONS='$ASAN_OPTIONS'}\n"
                "case \"\\$2 \\$3\" in 'start begin'|'release end') ;; *) exit 0;; esac\n"
                "{ echo \"PROBE \\$2 \\$3\"; $SIM sh -c 'for m in /sys/bus/mdev/devices/*; do [ -e \"\\$m\" ] && echo \"mdev \\${m##*/}\"; done;"
                " for d in /sys/bus/pci/devices/*; do l=\\$(readlink \"\\$d/driver\"); echo \"drv \\${d##*/} \\${l##*/}\"; done;"
                " ls %s/run/gpuhook/domains 2>/dev/null | sed \"s/^/ledger /\"'; } >> %s/probe.log 2>&1\n"
                "exit 0\n"
                "PROBE\n"
                "chmod 755 /etc/libvirt/hooks/qemu.d/90-probe; : > %s/probe.log\n"
                "echo LIBVIRTD_PID=$(cat /run/libvirtd.pid)\n"
                "%s\n"
                "echo '--- probe'; cat %s/probe.log\n",
                testhost_build_root(), t->dir, t->dir, t->tmp, t->tmp, script, t->tmp);
        char *const argv[] = { wrapper, (char *)testhost_build_root(), t->dir, t->host, (char *)"--", (char *)"bash",
                               (char *)"-c", full, NULL };
        free(out);
        free(err);
        out = err = NULL;
        int status = spawn_run(argv, 300000, &out, &err);
        if (status != 0)
                fprintf(stderr, "--- script exited %d\nstdout:\n%s\nstderr:\n%s\n", status, out, err);
        return status;
}

static inline long libvirtd_pid(void) {
        const char *p = out ? strstr(out, "LIBVIRTD_PID=") : NULL;
        return p ? strtol(p + strlen("LIBVIRTD_PID="), NULL, 10) : -1;
}

/* Lines of the writes log containing NEEDLE, written by PID (BY_PID true)
 * or by any other process. */
static inline int writes_of(struct testhost *t, long pid, bool by_pid, const char *needle) {
        _cleanup_free_ char *log = strdup_printf("%s/.sim/writes.log", t->dir), *text = NULL;
        int n = 0;
        if (read_text_file(log, 64 << 20, &text) < 0)
                return 0;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strstr(line, needle) && ((strtol(line, NULL, 10) == pid) == by_pid))
                        n++;
        }
        return n;
}

/* The probe's section for OP ("start begin" / "release end"), malloc'd. */
static inline char *probe_section(const char *op) {
        _cleanup_free_ char *head = strdup_printf("PROBE %s\n", op);
        const char *p = out ? strstr(out, "--- probe\n") : NULL;
        p = p ? strstr(p, head) : NULL;
        if (!p)
                return strdup("");
        p += strlen(head);
        const char *end = strstr(p, "PROBE ");
        return end ? strndup(p, end - p) : strdup(p);
}

static inline bool probe_has(const char *op, const char *line) {
        _cleanup_free_ char *s = probe_section(op), *l = strdup_printf("%s\n", line);
        bool found = strstr(s, l) != NULL;
        if (!found)
                fprintf(stderr, "probe at %s lacks '%s'; it has:\n%s\n(stdout:\n%s)\n", op, line, s, out);
        return found;
}

