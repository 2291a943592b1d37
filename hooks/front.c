/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook: the binary libvirt runs, as
 *   gpuhook DOMAIN OP SUBOP EXTRA   with the domain XML on stdin.
 *
 * libvirt runs it for every lifecycle event of every VM, so this front end
 * links libc only and answers the common "nothing for gpuhook here" itself:
 * any op but prepare/release, a prepare without hostdevs or gpuhook
 * metadata, a release of a domain without a ledger. Everything else goes to
 * gpuhook-full (same directory), which gets the already drained XML on a
 * memfd as its stdin. Oversized input is reported here exactly as the full
 * hook would; errors in gpuhook.conf never fail here (they are logged; the
 * full hook refuses a prepare that needs the policy). stdout stays empty.
 * While gpuhook is switched off host-wide (`gpuhookctl disable`), a prepare
 * ends here after one stat. */
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>

#include "conf.h"
#include "fastpath.h"
#include "log.h"

static bool needs_full_hook(const struct gpuhook_config *cfg, const char *op, const char *subop, const char *xml,
                            size_t len) {
        char uuid[UUID_STRING_LEN + 1];

        if (streq(op, "prepare") && streq(subop, "begin"))
                return domain_xml_may_concern_us(xml, len);
        /* migrate/restore begin may move <gpuhook:vf> hostdevs to a free VF:
         * only a domain with gpuhook metadata can have them. */
        if ((streq(op, "migrate") || streq(op, "restore")) && streq(subop, "begin"))
                return xml && memmem(xml, len, GPUHOOK_XML_NS, strlen(GPUHOOK_XML_NS)) != NULL;
        if (streq(op, "release") && streq(subop, "end")) {
                _cleanup_free_ char *ledger = NULL;
                /* Any doubt about the UUID: the full parser decides. */
                if (!domain_xml_uuid_scan(xml, len, uuid))
                        return true;
                ledger = strdup_printf("%s/domains/%s.xml", cfg->state_dir, uuid);
                return !ledger || access(ledger, F_OK) == 0 || errno != ENOENT;
        }
        return false;
}

/* libvirt writes the whole XML to every hook: take it even when unused. */
static void drain_stdin(void) {
        char buf[16384];
        for (;;) {
                ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
        }
}

/* gpuhook-full next to this binary, never found through PATH or the
 * environment: this runs as root. */
static int exec_full_hook(char **argv, const char *xml, size_t len) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        _cleanup_close_ int fd = -EBADF;

        if (n <= 0)
                return log_fail(-errno, "cannot find the gpuhook binary's directory: %m; reinstall gpuhook");
        self[n] = 0;
        *strrchr(self, '/') = 0;
        _cleanup_free_ char *full = strdup_printf("%s/gpuhook-full", self);
        if (!full)
                return -ENOMEM;
        /* MFD_CLOEXEC: only the dup on stdin reaches gpuhook-full. */
        fd = memfd_create("gpuhook-domain-xml", MFD_CLOEXEC);
        if (fd < 0)
                return log_fail(-errno, "cannot pass the domain XML on: memfd_create: %m");
        for (size_t off = 0; off < len;) {
                ssize_t k = write(fd, xml + off, len - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return log_fail(-EIO, "cannot pass the domain XML on: %m");
                off += (size_t)k;
        }
        if (lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, STDIN_FILENO) < 0)
                return log_fail(-errno, "cannot pass the domain XML on: %m");
        execv(full, argv);
        return log_fail(-errno, "cannot run %s: %m; reinstall gpuhook", full);
}

int main(int argc, char **argv) {
        struct gpuhook_config cfg;
        _cleanup_free_ char *xml = NULL;
        char shown[80];
        size_t len = 0;
        int r;

        signal(SIGPIPE, SIG_IGN);
        log_setup("gpuhook", true);
        if (argc < 3) {
                fprintf(stderr, "gpuhook: usage: gpuhook DOMAIN OP SUBOP [EXTRA] with the domain XML on stdin (libvirt runs this; see gpuhook(8))\n");
                return 1;
        }
        const char *op = argv[2], *subop = argc > 3 ? argv[3] : "-";

        log_set_context("domain '%s'", sanitize_for_message(argv[1], shown, sizeof(shown)));
        /* The host-wide switch, first and with one stat: switched off, a
         * prepare is libvirt's alone. Release goes on below: what a ledger
         * records is given back whatever the switch says. */
        if (streq(op, "prepare")) {
                _cleanup_free_ char *marker = hook_switch_path();
                bool untrusted;
                if (hook_switched_off(marker, &untrusted)) {
                        drain_stdin();
                        log_info("switched off host-wide (%s, `gpuhookctl enable` switches it on): prepare left to libvirt",
                                 marker);
                        return 0;
                }
                if (untrusted)
                        log_warning("ignoring %s: not a root-owned file writable only by root; gpuhook stays on (remove it, or use `gpuhookctl disable`)",
                                    marker);
        }
        config_init_defaults(&cfg);
        /* 0 also with errors in the file: the valid values and defaults. */
        r = config_load_default(&cfg);
        if (r >= 0) {
                /* Always drain stdin: libvirt writes the whole XML to every hook. */
                r = read_fd_limited(STDIN_FILENO, cfg.max_xml_bytes, &xml, &len);
                if (r == -EFBIG)
                        r = log_fail(r, "domain XML on stdin is larger than %zu KiB; refusing it (raise max_xml_kib in gpuhook.conf if this domain is real)",
                                     cfg.max_xml_bytes / 1024);
                else if (r < 0)
                        r = log_fail(r, "cannot read the domain XML from stdin: %s", strerror(-r));
        }
        if (r >= 0 && needs_full_hook(&cfg, op, subop, xml, len))
                r = exec_full_hook(argv, xml, len);
        config_done(&cfg);
        if (r < 0) {
                const char *msg = log_failure();
                fprintf(stderr, "gpuhook: %s\n", msg ? msg : strerror(-r));
                return 1;
        }
        return 0;
}
