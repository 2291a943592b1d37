/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <glob.h>
#include <limits.h>

#include "faultlib.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

int fault_hook(struct testhost *t, const char *xml, const char *domain, const char *op, const char *subop,
               const char *kill_at) {
        if (kill_at)
                setenv("GPUHOOK_FAULT_KILL_AT", kill_at, 1);
        int r = testhost_hook(t, xml, domain, op, subop);
        unsetenv("GPUHOOK_FAULT_KILL_AT");
        return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Add "LABEL <tail of path> VALUE" for every match of PATTERN under the host. */
static void add_glob(struct testhost *t, struct strbuf *lines, const char *label, const char *pattern, int mode) {
        _cleanup_free_ char *full = strdup_printf("%s%s", t->dir, pattern);
        glob_t g = { 0 };
        size_t skip = strlen(t->dir);

        if (glob(full, 0, NULL, &g) != 0) {
                globfree(&g);
                return;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
                const char *p = g.gl_pathv[i] + skip;
                _cleanup_free_ char *v = NULL;
                char link[PATH_MAX];
                if (mode == 1) { /* file contents */
                        if (read_text_file(g.gl_pathv[i], 4096, &v) < 0)
                                v = strdup("?");
                } else if (mode == 2) { /* symlink target's basename */
                        ssize_t n = readlink(g.gl_pathv[i], link, sizeof(link) - 1);
                        link[n < 0 ? 0 : n] = 0;
                        const char *base = strrchr(link, '/');
                        v = strdup(base ? base + 1 : link);
                } else
                        v = strdup("");
                strbuf_appendf(lines, "%s %s %s\n", label, p, v ? v : "");
        }
        globfree(&g);
}

char *fault_snapshot(struct testhost *t) {
        struct strbuf sb = { 0 };
        add_glob(t, &sb, "mdev", "/sys/bus/mdev/devices/*", 0);
        add_glob(t, &sb, "avail", "/sys/class/mdev_bus/*/mdev_supported_types/*/available_instances", 1);
        add_glob(t, &sb, "driver", "/sys/bus/pci/devices/*/driver", 2);
        add_glob(t, &sb, "override", "/sys/bus/pci/devices/*/driver_override", 1);
        add_glob(t, &sb, "vfio", "/dev/vfio/[0-9]*", 0);
        add_glob(t, &sb, "sriov", "/sys/bus/pci/devices/*/sriov_numvfs", 1);
        add_glob(t, &sb, "vgpu", "/sys/bus/pci/devices/*/nvidia/current_vgpu_type", 1);
        add_glob(t, &sb, "vtcon", "/sys/class/vtconsole/*/bind", 1);

        /* sort the lines so that directory order never matters */
        char **v = NULL;
        size_t n = 0;
        for (char *line = sb.buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                *next++ = 0;
                v = reallocarray(v, n + 1, sizeof(char *));
                v[n++] = line;
        }
        if (n)
                qsort(v, n, sizeof(char *), cmp_str);
        struct strbuf out = { 0 };
        strbuf_appendf(&out, "%s", "");
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(&out, "%s\n", v[i]);
        free(v);
        strbuf_free(&sb);
        return out.buf;
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; (p = strstr(p, line)); p++)
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        return true;
        return false;
}

static void print_missing(const char *from, const char *in, const char *sign, const char *what) {
        _cleanup_free_ char *copy = strdup(from);
        for (char *line = copy, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                *next++ = 0;
                if (!has_line(in, line))
                        fprintf(stderr, "  %s: %s %s\n", what, sign, line);
        }
}

bool fault_snapshot_same(const char *before, const char *after, const char *what) {
        if (streq(before, after))
                return true;
        print_missing(before, after, "gone:", what);
        print_missing(after, before, "new: ", what);
        return false;
}

bool fault_ledger_exists(struct testhost *t, const char *domain_uuid) {
        _cleanup_free_ char *rel = strdup_printf("domains/%s.xml", domain_uuid), *p = testhost_state_path(t, rel);
        return access(p, F_OK) == 0;
}

bool fault_ledger_sound(struct testhost *t, const char *domain_uuid, size_t *ret_n) {
        _cleanup_free_ char *state = testhost_state_path(t, "");
        struct ledger *l = NULL;

        *ret_n = 0;
        if (!fault_ledger_exists(t, domain_uuid))
                return true;
        log_failure_clear();
        int r = ledger_open(state, domain_uuid, NULL, &l);
        if (r < 0) {
                fprintf(stderr, "  ledger of %s is NOT sound: %s\n", domain_uuid,
                        log_failure() ? log_failure() : strerror(-r));
                log_failure_clear();
                return false;
        }
        *ret_n = l->n;
        ledger_free(l);
        return true;
}

unsigned fault_stray_temp_files(struct testhost *t) {
        _cleanup_free_ char *dir = testhost_state_path(t, "domains");
        DIR *d = opendir(dir);
        unsigned n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += strstr(de->d_name, ".tmp.") != NULL;
        if (d)
                closedir(d);
        return n;
}

bool fault_known_bugs(void) { return getenv("GPUHOOK_KNOWN_BUGS") != NULL; }

char *fault_domain(const char *name, const char *dom_uuid, const char *type, const char *const *uuids, size_t n,
                   const char *extra_meta) {
        struct strbuf dev = { 0 }, meta = { 0 };
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *h = testhost_mdev_hostdev(uuids[i], NULL);
                strbuf_appendf(&dev, "%s", h);
                if (type) {
                        _cleanup_free_ char *m = testhost_mdev_meta(uuids[i], type, NULL);
                        strbuf_appendf(&meta, "%s", m);
                }
        }
        _cleanup_free_ char *wrapped = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s%s</gpuhook:devices>",
                                                     strbuf_str(&meta), extra_meta ? extra_meta : "");
        char *xml = testhost_domain_xml(name, dom_uuid, strbuf_str(&dev), wrapped);
        strbuf_free(&dev);
        strbuf_free(&meta);
        return xml;
}
