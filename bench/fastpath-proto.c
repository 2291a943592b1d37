/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PROTOTYPE, benchmark only: what the hook's fast path costs when the binary
 * libvirt runs does not link libxml2 (and through it ICU and libstdc++).
 * Not installed, not used by gpuhook; BENCHMARKS.md ("Why gpuhook is above
 * 1.5x the floor") explains the proposal it measures.
 *
 * The shape proposed for hooks/: a libc-only front end with exactly the
 * decisions of hooks/gpuhook.c's fast path, which hands anything that needs
 * parsing to the full hook (execv, the XML passed on as a memfd stdin):
 *   - config loaded and stdin drained as now (same functions from libgpuhook);
 *   - ops other than prepare begin / release end: exit 0;
 *   - prepare begin with no "<hostdev" and no gpuhook namespace: exit 0;
 *   - release end: the domain's <uuid> (libvirt formats it as the second
 *     child of <domain>, before any metadata, so the first "<uuid>" in its
 *     output is the domain's; validated with uuid_normalize) has no ledger:
 *     exit 0. Any doubt (no valid UUID found): the full hook decides.
 * Links only lib/conf.c, log.c, util.c, validate.c & co from libgpuhook.a;
 * bench/run.sh links it WITHOUT -lxml2 -ludev, which proves the point. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#include "conf.h"
#include "log.h"
#include "util.h"
#include "validate.h"

#define XML_NS "urn:gpuhook:domain:1" /* GPUHOOK_XML_NS, lib/domain.h */

static bool domain_uuid_scan(const char *xml, size_t len, char ret[UUID_STRING_LEN + 1]) {
        const char *p = memmem(xml, len, "<uuid>", 6);
        if (!p || (size_t)(p - xml) + 6 + UUID_STRING_LEN + 7 > len)
                return false;
        char tmp[UUID_STRING_LEN + 1];
        memcpy(tmp, p + 6, UUID_STRING_LEN);
        tmp[UUID_STRING_LEN] = 0;
        return memcmp(p + 6 + UUID_STRING_LEN, "</uuid>", 7) == 0 && uuid_normalize(tmp, ret) == 0;
}

/* The full hook gets the XML we already drained as a memfd on stdin. */
static int exec_full(char **argv, const char *xml, size_t len) {
        const char *full = getenv("GPUHOOK_FULL_HOOK");
        int fd = memfd_create("gpuhook-xml", MFD_CLOEXEC);
        if (!full || fd < 0 || write(fd, xml, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0 ||
            dup2(fd, STDIN_FILENO) < 0)
                return log_fail(-EIO, "cannot hand the domain XML to the full hook");
        execv(full, argv);
        return log_fail(-errno, "cannot run %s: %m", full);
}

int main(int argc, char **argv) {
        struct gpuhook_config cfg;
        _cleanup_free_ char *xml = NULL;
        char uuid[UUID_STRING_LEN + 1];
        size_t len = 0;
        int r;

        signal(SIGPIPE, SIG_IGN);
        log_setup("gpuhook", true);
        if (argc < 3)
                return 2;
        const char *op = argv[2], *subop = argc > 3 ? argv[3] : "-";
        bool prepare = streq(op, "prepare") && streq(subop, "begin");
        bool release = streq(op, "release") && streq(subop, "end");
        config_init_defaults(&cfg);
        r = config_load_default(&cfg);
        if (r >= 0)
                r = read_fd_limited(STDIN_FILENO, cfg.max_xml_bytes, &xml, &len);
        if (r >= 0 && prepare && (memmem(xml, len, "<hostdev", 8) || memmem(xml, len, XML_NS, strlen(XML_NS))))
                r = exec_full(argv, xml, len);
        if (r >= 0 && release) {
                _cleanup_free_ char *path = NULL;
                if (!domain_uuid_scan(xml, len, uuid) ||
                    !(path = strdup_printf("%s/domains/%s.xml", cfg.state_dir, uuid)) || access(path, F_OK) == 0)
                        r = exec_full(argv, xml, len);
        }
        config_done(&cfg);
        if (r < 0) {
                fprintf(stderr, "gpuhook: %s\n", log_failure() ? log_failure() : strerror(-r));
                return 1;
        }
        return 0;
}
