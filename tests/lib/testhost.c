/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include "spawn.h"
#include "testhost.h"
#include "util.h"

#include "config.h"

const char *testhost_build_root(void) {
        const char *e = getenv("GPUHOOK_BUILD_ROOT");
        return e ? e : GPUHOOK_BUILD_ROOT;
}

const char *testhost_source_root(void) {
        const char *e = getenv("GPUHOOK_SOURCE_ROOT");
        return e ? e : GPUHOOK_SOURCE_ROOT;
}

struct testhost *testhost_new(const char *name) { return testhost_new_with(name, NULL); }

struct testhost *testhost_new_with(const char *name, const char *settings) {
        struct testhost *t = calloc(1, sizeof(*t));
        const char *tmpdir = getenv("TMPDIR");
        if (!t)
                abort();
        t->tmp = strdup_printf("%s/gpuhook-test-XXXXXX", tmpdir ? tmpdir : "/tmp");
        if (!t->tmp || !mkdtemp(t->tmp))
                abort();
        t->dir = strdup_printf("%s/host", t->tmp);
        t->host = strdup_printf("%s/tests/hosts/%s.umockdev", testhost_source_root(), name);
        if (!t->dir || !t->host)
                abort();
        if (settings) {
                _cleanup_free_ char *text = NULL, *copy = strdup_printf("%s/%s.umockdev", t->tmp, name);
                if (read_text_file(t->host, 64 << 20, &text) < 0 || !copy)
                        abort();
                _cleanup_free_ char *all = strdup_printf("%s\n\n%s\n", text, settings);
                if (!all || write_file_atomic(copy, all, strlen(all), 0644) < 0)
                        abort();
                free(t->host);
                t->host = TAKE_PTR(copy);
        }
        /* Create the host now, so every later run reuses one evolving host. */
        const char *argv[] = { "true", NULL };
        if (testhost_run(t, NULL, argv) != 0) {
                fprintf(stderr, "gpuhook-sim failed to create host %s: %s\n", name, t->err);
                abort();
        }
        return t;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? 0 : 0;
}

void testhost_free(struct testhost *t) {
        if (!t)
                return;
        if (!getenv("GPUHOOK_TEST_KEEP"))
                nftw(t->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(t->tmp);
        free(t->dir);
        free(t->host);
        free(t->out);
        free(t->err);
        free(t);
}

int testhost_run(struct testhost *t, const char *input, const char *const argv[]) {
        _cleanup_free_ char *sim = strdup_printf("%s/sim/gpuhook-sim", testhost_build_root());
        const char *args[64];
        size_t n = 0;

        args[n++] = sim;
        args[n++] = "--testbed";
        args[n++] = t->dir;
        args[n++] = "--host";
        args[n++] = t->host;
        args[n++] = "--";
        for (size_t i = 0; argv[i] && n < ELEMENTSOF(args) - 1; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        free(t->out);
        free(t->err);
        t->out = t->err = NULL;
        t->status = spawn_run_input((char *const *)args, input, input ? strlen(input) : 0, 120000, &t->out, &t->err);
        return t->status;
}

int testhost_ctl(struct testhost *t, int expect, ...) {
        _cleanup_free_ char *ctl = strdup_printf("%s/cli/gpuhookctl", testhost_build_root());
        const char *argv[32];
        size_t n = 0;
        va_list ap;

        argv[n++] = ctl;
        va_start(ap, expect);
        for (const char *a; n + 1 < ELEMENTSOF(argv) && (a = va_arg(ap, const char *));)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        int r = testhost_run(t, NULL, argv);
        if (expect >= 0 && r != expect)
                fprintf(stderr, "\n--- gpuhookctl %s exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s\n", argv[1], r, expect,
                        t->out, t->err);
        return r;
}

int testhost_sh(struct testhost *t, const char *input, const char *fmt, ...) {
        _cleanup_free_ char *cmd = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        return testhost_run(t, input, argv);
}

int testhost_hook(struct testhost *t, const char *xml, const char *domain, const char *op, const char *subop) {
        _cleanup_free_ char *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());
        const char *argv[] = { hook, domain, op, subop, "-", NULL };
        return testhost_run(t, xml, argv);
}

static char *host_path(struct testhost *t, const char *path) { return strdup_printf("%s%s", t->dir, path); }

bool testhost_exists(struct testhost *t, const char *path) {
        _cleanup_free_ char *p = host_path(t, path);
        struct stat st;
        return lstat(p, &st) == 0;
}

char *testhost_read(struct testhost *t, const char *path) {
        _cleanup_free_ char *p = host_path(t, path);
        char *s = NULL;
        return read_text_file(p, 1 << 20, &s) < 0 ? NULL : s;
}

int testhost_available(struct testhost *t, const char *parent, const char *type) {
        _cleanup_free_ char *p = strdup_printf("/sys/class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
                                               parent, type);
        _cleanup_free_ char *s = testhost_read(t, p);
        unsigned v;
        return s && safe_atou(s, &v) == 0 ? (int)v : -1;
}

int testhost_count_mdevs(struct testhost *t) {
        _cleanup_free_ char *p = host_path(t, "/sys/bus/mdev/devices");
        DIR *d = opendir(p);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

int testhost_writes_matching(struct testhost *t, const char *needle) {
        _cleanup_free_ char *log = host_path(t, "/.sim/writes.log"), *text = NULL;
        int n = 0;
        if (read_text_file(log, 64 << 20, &text) < 0)
                return 0;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strstr(line, needle))
                        n++;
        }
        return n;
}

/* "0000:17:00.0" or "17:00.0" (hex, any case; exactly the whole of S[0..len))
 * -> domain << 16 | bus << 8 | device << 3 | function. */
static bool parse_bdf_n(const char *s, size_t len, uint32_t *ret) {
        char buf[32];
        unsigned dom = 0, bus, dev, fn;
        int n = -1;
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = 0;
        for (size_t i = 0; i < len; i++)
                if (!isxdigit((unsigned char)buf[i]) && buf[i] != ':' && buf[i] != '.')
                        return false;
        if (len == 12 && sscanf(buf, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) == 4 && n == 12)
                ;
        else if (len == 7 && sscanf(buf, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) == 3 && n == 7)
                ;
        else
                return false;
        if ((len == 12 && buf[4] != ':') || buf[len - 5] != ':' || buf[len - 2] != '.' || dev > 0x1f || fn > 7)
                return false;
        *ret = dom << 16 | bus << 8 | dev << 3 | fn;
        return true;
}

/* The PCI function a write-log line touched: the last BDF component of the
 * path, or the bytes of a bind/unbind/drivers_probe under /sys/bus/pci. */
static bool write_line_bdf(const char *line, uint32_t *ret) {
        const char *path = strchr(line, ' ');
        if (!path)
                return false;
        path++;
        const char *end = strchr(path, ' ');
        if (!end || end[1] != '"')
                return false;
        bool found = false;
        for (const char *c = path; c < end;) {
                const char *slash = memchr(c, '/', (size_t)(end - c));
                const char *stop = slash ? slash : end;
                uint32_t v;
                if (parse_bdf_n(c, (size_t)(stop - c), &v)) {
                        *ret = v;
                        found = true;
                }
                c = stop + 1;
        }
        if (found)
                return true;
        size_t plen = (size_t)(end - path);
        const char *base = path + plen;
        while (base > path && base[-1] != '/')
                base--;
        size_t blen = (size_t)(path + plen - base);
        bool drv_file = strncmp(path, "/sys/bus/pci/drivers/", strlen("/sys/bus/pci/drivers/")) == 0 &&
                        ((blen == 4 && strncmp(base, "bind", 4) == 0) || (blen == 6 && strncmp(base, "unbind", 6) == 0));
        bool probe = plen == strlen("/sys/bus/pci/drivers_probe") && strncmp(path, "/sys/bus/pci/drivers_probe", plen) == 0;
        if (!drv_file && !probe)
                return false;
        /* bytes: the kernel ignores one trailing newline (logged as \n) */
        const char *bytes = end + 2, *close = strchr(bytes, '"');
        if (!close)
                return false;
        size_t blen2 = (size_t)(close - bytes);
        if (blen2 >= 2 && bytes[blen2 - 2] == '\\' && bytes[blen2 - 1] == 'n')
                blen2 -= 2;
        return parse_bdf_n(bytes, blen2, ret);
}

int testhost_writes_outside(struct testhost *t, const char *const allowed_bdfs[], char **ret_first) {
        _cleanup_free_ char *log = host_path(t, "/.sim/writes.log"), *text = NULL;
        int n = 0;
        if (ret_first)
                *ret_first = NULL;
        if (read_text_file(log, 64 << 20, &text) < 0)
                return 0;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                uint32_t bdf;
                if (!write_line_bdf(line, &bdf))
                        continue;
                bool allowed = false;
                for (size_t i = 0; allowed_bdfs && allowed_bdfs[i] && !allowed; i++) {
                        uint32_t a;
                        allowed = parse_bdf_n(allowed_bdfs[i], strlen(allowed_bdfs[i]), &a) && a == bdf;
                }
                if (allowed)
                        continue;
                /* a BLOCKED write is logged again when it completes: count it once */
                size_t len = strlen(line);
                if (len > strlen(" BLOCKED") && strcmp(line + len - strlen(" BLOCKED"), " BLOCKED") == 0 && next) {
                        size_t head = len - strlen("BLOCKED");
                        bool completed = false;
                        for (const char *l = next; *l && !completed;) {
                                const char *e = strchr(l, '\n');
                                size_t ll = e ? (size_t)(e - l) : strlen(l);
                                completed = ll > head && strncmp(l, line, head) == 0 &&
                                            !(ll == len && strncmp(l + head, "BLOCKED", strlen("BLOCKED")) == 0);
                                l = e ? e + 1 : l + ll;
                        }
                        if (completed)
                                continue;
                }
                if (n++ == 0 && ret_first && !(*ret_first = strdup(line)))
                        abort();
        }
        return n;
}

char *testhost_state_path(struct testhost *t, const char *rel) { return strdup_printf("%s/run/gpuhook/%s", t->dir, rel); }

char *testhost_domain_xml(const char *name, const char *uuid, const char *devices, const char *metadata) {
        return strdup_printf("<domain type='kvm'>\n"
                             "  <name>%s</name>\n"
                             "  <uuid>%s</uuid>\n"
                             "  <metadata>%s</metadata>\n"
                             "  <memory unit='KiB'>65536</memory>\n"
                             "  <vcpu>1</vcpu>\n"
                             "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                             "  <devices>%s</devices>\n"
                             "</domain>\n",
                             name, uuid, metadata ? metadata : "", devices ? devices : "");
}

char *testhost_gpuhook_domain_xml(const char *name, const char *uuid, const char *devices, const char *gpuhook) {
        _cleanup_free_ char *meta =
                strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", gpuhook);
        return testhost_domain_xml(name, uuid, devices, meta);
}

char *testhost_mdev_hostdev(const char *uuid, const char *model) {
        return strdup_printf("<hostdev mode='subsystem' type='mdev' managed='no' model='%s' display='off'>"
                             "<source><address uuid='%s'/></source></hostdev>\n",
                             model ? model : "vfio-pci", uuid);
}

char *testhost_mdev_meta(const char *uuid, const char *type, const char *extra_attrs) {
        return strdup_printf("<gpuhook:mdev uuid='%s' type='%s' %s/>", uuid, type, extra_attrs ? extra_attrs : "");
}

void testhost_config(struct testhost *t, const char *text) {
        _cleanup_free_ char *dir = strdup_printf("%s/etc/gpuhook", t->dir), *path = strdup_printf("%s/gpuhook.conf", dir);
        if (!dir || !path || mkdir_p(dir, 0755) < 0 || write_file_atomic(path, text, strlen(text), 0644) < 0)
                abort();
}

char *testhost_pci_driver(struct testhost *t, const char *bdf) {
        _cleanup_free_ char *link = strdup_printf("%s/sys/bus/pci/devices/%s/driver", t->dir, bdf);
        char target[4096];
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return strdup("");
        target[n] = 0;
        const char *base = strrchr(target, '/');
        return strdup(base ? base + 1 : target);
}

bool testhost_mdev_present(struct testhost *t, const char *uuid) {
        _cleanup_free_ char *p = strdup_printf("/sys/bus/mdev/devices/%s", uuid);
        return testhost_exists(t, p);
}

char *testhost_mdev_parent(struct testhost *t, const char *uuid) {
        _cleanup_free_ char *p = strdup_printf("%s/sys/bus/mdev/devices/%s", t->dir, uuid);
        char real[4096];
        if (!realpath(p, real))
                return strdup("(none)");
        *strrchr(real, '/') = 0;
        return strdup(strrchr(real, '/') + 1);
}

char *testhost_pci_hostdev(const char *bdf, const char *managed) {
        unsigned dom, bus, slot, fn;
        if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
                abort();
        return strdup_printf("<hostdev mode='subsystem' type='pci' managed='%s'><source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source></hostdev>\n",
                             managed, dom, bus, slot, fn);
}
