/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hostile-input corpus: every case goes through the REAL hook (prepare
 * begin, then release end, as libvirt would) inside one simulated V100 host,
 * and each must end in: no crash (no signal, no sanitizer report), empty
 * stdout, and either a clean refusal (exit 1, exactly one stderr line that
 * says what is wrong, NO sysfs write at all) or, for inputs that are
 * legitimately harmless, exit 0 with writes only to an mdev `create`,
 * `nvidia/vgpu_params` or `remove` file (on the PCI host: the binding files
 * of the functions the case may take). After every case the host is back to
 * no mdev, no ledger, every PCI function on its own driver.
 *
 * Cases: the files in tests/hostile/cases/ (expectations in expected.txt),
 * plus generated ones that would be silly to commit (50 MB, 10 000-character
 * names, deep nesting, raw NUL bytes, the valid domain truncated at every
 * structural point, floods of hostdevs, hostile argv, one UUID in two
 * domains, PCI hostdevs on tests/hosts/desktop-rtx when it exists).
 *
 * Environment:
 *   GPUHOOK_HOSTILE_STRIDE=N  run every Nth case only (valgrind runs)
 *   GPUHOOK_KNOWN_BUGS=1      also assert the cases of known, unfixed bugs
 *   GPUHOOK_HOSTILE_VERBOSE=1 print every case */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cunit-run.h"
#include "ledger.h"
#include "spawn.h"
#include "testhost.h"
#include "util.h"
#include "validate.h"

#define DOM "0f6c1a3e-6a53-4f1b-9c39-6f0c5a0e7d11"
#define U1 "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"
#define NS "urn:gpuhook:domain:1"
#define MAX_XML (16u << 20) /* gpuhook.conf default max_xml_kib = 16384 */

enum expect {
        EXPECT_REJECT, /* exit 1, one line containing text, no write */
        EXPECT_ACCEPT, /* exit 0, only create/vgpu_params/remove writes */
};

struct hcase {
        const char *name;
        const char *data;
        size_t len;
        enum expect expect;
        const char *text; /* REJECT: stderr must contain it */
        const char *bug;  /* "bug-N": a known, unfixed bug; run only with GPUHOOK_KNOWN_BUGS=1 */
};

static struct testhost *host;
/* PCI cases: the functions a case may rebind (space separated), and whether
 * it may release the console; NULL / false for the mdev cases. */
static const char *allowed_pci;
static bool allowed_console;
static size_t log_offset;
static unsigned n_cases, n_rejected, n_accepted, n_bugs_seen, n_failed, n_seen;

static bool verbose(void) { return getenv("GPUHOOK_HOSTILE_VERBOSE") != NULL; }
static bool known_bugs(void) { return getenv("GPUHOOK_KNOWN_BUGS") != NULL; }

static unsigned stride(void) {
        const char *e = getenv("GPUHOOK_HOSTILE_STRIDE");
        unsigned v;
        return e && safe_atou(e, &v) == 0 && v > 0 ? v : 1;
}

/* Run the hook with LEN bytes of DATA on stdin (NUL bytes included). */
static int hook(const char *data, size_t len, const char *const argv_tail[], char **out, char **err) {
        _cleanup_free_ char *sim = strdup_printf("%s/sim/gpuhook-sim", testhost_build_root());
        _cleanup_free_ char *exe = strdup_printf("%s/hooks/gpuhook", testhost_build_root());
        const char *args[16];
        size_t n = 0;

        args[n++] = sim;
        args[n++] = "--testbed";
        args[n++] = host->dir;
        args[n++] = "--";
        args[n++] = exe;
        for (size_t i = 0; argv_tail[i] && n < ELEMENTSOF(args) - 1; i++)
                args[n++] = argv_tail[i];
        args[n] = NULL;
        return spawn_run_input((char *const *)args, data ? data : "", len, 300000, out, err);
}

/* The writes the host logged since the last call. */
static char *new_writes(void) {
        _cleanup_free_ char *path = strdup_printf("%s/.sim/writes.log", host->dir);
        _cleanup_free_ char *all = NULL;
        size_t len = 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read_fd_limited(fd, 256u << 20, &all, &len) < 0)
                return strdup("");
        char *s = strdup(len >= log_offset ? all + log_offset : "");
        log_offset = len;
        return s;
}

/* Is the directory holding the last LEVELS components of PATH named by a UUID? */
static bool in_mdev_dir(char *path, unsigned levels) {
        for (unsigned i = 0; i < levels; i++) {
                char *slash = strrchr(path, '/');
                if (!slash)
                        return false;
                *slash = 0;
        }
        const char *dev = strrchr(path, '/');
        return dev && uuid_valid(dev + 1);
}

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && streq(s + n - k, suffix);
}

/* A write gpuhook may do for an mdev: the UUID to a type's `create`,
 * documented NVIDIA plugin parameters to a new vGPU's nvidia/vgpu_params,
 * "1" to an mdev's `remove`. Everything else (any other file, any other
 * bytes) is a finding. */
static bool write_allowed(const char *line, bool allow_create) {
        char path[4096], bytes[512];
        int pid;
        if (sscanf(line, "%d %4095s \"%511[^\"]\"", &pid, path, bytes) != 3)
                return false;
        if (allow_create && ends_with(path, "/create") && strstr(path, "/mdev_supported_types/") && uuid_valid(bytes))
                return true;
        if (allow_create && ends_with(path, "/nvidia/vgpu_params") && in_mdev_dir(path, 2)) {
                /* name=0|1[,name=0|1...]\n, names as NVIDIA documents them */
                static const char *const ok[] = { "frame_rate_limiter", "disable_vnc", "enable_uvm", "enable_debugging",
                                                  "enable_profiling" };
                if (!ends_with(bytes, "\\n"))
                        return false;
                bytes[strlen(bytes) - 2] = 0;
                char *save = NULL;
                for (char *kv = strtok_r(bytes, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                        char *eq = strchr(kv, '=');
                        bool known = false;
                        if (!eq || (!streq(eq + 1, "0") && !streq(eq + 1, "1")))
                                return false;
                        *eq = 0;
                        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                                known = known || streq(kv, ok[i]);
                        if (!known)
                                return false;
                }
                return true;
        }
        if (ends_with(path, "/remove") && streq(bytes, "1"))
                return in_mdev_dir(path, 1);
        if (allowed_pci) {
                /* driver_override of a function the case may take, "vfio-pci" or cleared */
                if (ends_with(path, "/driver_override") && (streq(bytes, "vfio-pci") || streq(bytes, "\\n"))) {
                        *strrchr(path, '/') = 0;
                        const char *bdf = strrchr(path, '/') + 1;
                        return pci_addr_valid(bdf) && strstr(allowed_pci, bdf);
                }
                /* unbind/bind/drivers_probe naming such a function */
                if ((ends_with(path, "/unbind") || ends_with(path, "/bind") || streq(path, "/sys/bus/pci/drivers_probe")) &&
                    !strncmp(path, "/sys/bus/pci/", 13) && pci_addr_valid(bytes))
                        return strstr(allowed_pci, bytes) != NULL;
        }
        if (allowed_console) {
                if (!strncmp(path, "/sys/devices/virtual/vtconsole/vtcon", 36) && ends_with(path, "/bind") &&
                    (streq(bytes, "0") || streq(bytes, "1")))
                        return true;
                if (!strncmp(path, "/sys/bus/platform/drivers/", 26) && (ends_with(path, "/unbind") || ends_with(path, "/bind")) &&
                    (streq(bytes, "efi-framebuffer.0") || streq(bytes, "simple-framebuffer.0")))
                        return true;
        }
        return false;
}

static int count_bad_writes(const char *writes, bool allow_create, const char *name) {
        _cleanup_free_ char *copy = strdup(writes);
        int bad = 0;
        for (char *line = copy, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (!write_allowed(line, allow_create)) {
                        fprintf(stderr, "  %s: write outside the allowed files: %s\n", name, line);
                        bad++;
                }
        }
        return bad;
}

static size_t count_lines(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static bool one_clear_line(const char *err) {
        size_t len = strlen(err);
        return len > 10 && count_lines(err) == 1 && err[len - 1] == '\n' && !strncmp(err, "gpuhook: ", 9);
}

static bool crashed(int status, const char *err) {
        return status < 0 || strstr(err, "Sanitizer") || strstr(err, "runtime error:") || strstr(err, "==ERROR") ||
               strstr(err, "Invalid read") || strstr(err, "Invalid write") || strstr(err, "definitely lost");
}

#define FAIL(c, ...)                                                              \
        do {                                                                      \
                fprintf(stderr, "  FAILED %s: ", (c)->name);                      \
                fprintf(stderr, __VA_ARGS__);                                     \
                fputc('\n', stderr);                                              \
                ok = false;                                                       \
        } while (0)

static int host_leftovers(void) {
        _cleanup_free_ char *state = testhost_state_path(host, "");
        char **left = NULL;
        size_t n_left = 0;
        int mdevs = testhost_count_mdevs(host);
        if (ledger_list_domains(state, &left, &n_left) < 0)
                n_left = 99;
        strv_free(left, n_left);
        return mdevs + (int)n_left;
}

/* Run one case: prepare, then release; check everything. */
static bool run_case(const struct hcase *c) {
        const char *prep[] = { "hostile", "prepare", "begin", "-", NULL };
        const char *rel[] = { "hostile", "release", "end", "-", NULL };
        _cleanup_free_ char *out = NULL, *err = NULL, *writes = NULL;
        bool ok = true;

        if (n_seen++ % stride())
                return true; /* sampled out */
        if (c->bug && !known_bugs()) {
                n_bugs_seen++;
                fprintf(stderr, "  %s: known %s, not run (GPUHOOK_KNOWN_BUGS=1 runs it)\n", c->name, c->bug);
                return true;
        }
        n_cases++;
        free(new_writes()); /* skip what came before */
        int st = hook(c->data, c->len, prep, &out, &err);
        writes = new_writes();
        if (verbose())
                fprintf(stderr, "  %-50s prepare -> %d %s", c->name, st, *err ? err : "\n");
        if (crashed(st, err))
                FAIL(c, "prepare crashed (status %d): %s", st, err);
        if (*out)
                FAIL(c, "prepare wrote to stdout: %.200s", out);
        if (c->expect == EXPECT_REJECT) {
                if (st != 1)
                        FAIL(c, "prepare exited %d, expected 1 (stderr: %.300s)", st, err);
                if (!one_clear_line(err))
                        FAIL(c, "stderr is not exactly one 'gpuhook: ...' line: %.300s", err);
                if (c->text && !strstr(err, c->text))
                        FAIL(c, "stderr lacks \"%s\": %.400s", c->text, err);
                if (*writes)
                        FAIL(c, "a rejected input wrote to sysfs:\n%s", writes);
        } else {
                if (st != 0)
                        FAIL(c, "prepare exited %d, expected 0: %.300s", st, err);
                if (*err)
                        FAIL(c, "prepare succeeded but printed: %.300s", err);
                if (count_bad_writes(writes, true, c->name) > 0)
                        ok = false;
        }
        n_rejected += st == 1;
        n_accepted += st == 0;

        /* libvirt runs release whatever prepare did: it may refuse the same
         * input, but only ever with one line, and it only ever removes */
        free(out);
        free(err);
        free(writes);
        out = err = NULL;
        st = hook(c->data, c->len, rel, &out, &err);
        writes = new_writes();
        if (crashed(st, err))
                FAIL(c, "release crashed (status %d): %s", st, err);
        if (*out)
                FAIL(c, "release wrote to stdout: %.200s", out);
        if (st != 0 && st != 1)
                FAIL(c, "release exited %d", st);
        if (st == 1 && !one_clear_line(err))
                FAIL(c, "release: stderr is not one line: %.300s", err);
        if (st == 0 && *err)
                FAIL(c, "release succeeded but printed: %.300s", err);
        if (count_bad_writes(writes, false, c->name) > 0)
                ok = false;
        int left = host_leftovers();
        if (left) {
                FAIL(c, "%d mdev(s)/ledger(s) left behind", left);
                /* Clean up so the next case starts from an empty host. */
                testhost_sh(host, NULL, "for d in /sys/bus/mdev/devices/*; do [ -e \"$d/remove\" ] && echo 1 > \"$d/remove\"; done; rm -f \"$GPUHOOK_STATE_DIR\"/domains/*.xml");
        }
        if (!ok)
                n_failed++;
        return ok;
}

/* ---------------------------------------------------------------- file cases */

/* "reject", "accept", optionally followed by "@bug-N" */
static enum expect parse_expect(char *s, bool *known, const char **ret_bug) {
        char *at = strchr(s, '@');
        *ret_bug = NULL;
        if (at) {
                *at = 0;
                *ret_bug = at + 1;
        }
        *known = streq(s, "reject") || streq(s, "accept");
        return streq(s, "accept") ? EXPECT_ACCEPT : EXPECT_REJECT;
}

static void test_corpus_files(void) {
        _cleanup_free_ char *dir = strdup_printf("%s/tests/hostile", testhost_source_root());
        _cleanup_free_ char *manifest_path = strdup_printf("%s/expected.txt", dir), *manifest = NULL;
        unsigned files = 0, failed = 0;

        CU_ASSERT_EQUAL_FATAL(read_text_file(manifest_path, 1 << 20, &manifest), 0);
        for (char *line = manifest, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (*line == '#' || !*line)
                        continue;
                char name[256], exp[32];
                int used = 0;
                if (sscanf(line, "%255s %31s %n", name, exp, &used) < 2) {
                        fprintf(stderr, "expected.txt: bad line: %s\n", line);
                        failed++;
                        continue;
                }
                bool known;
                const char *bug;
                enum expect expect = parse_expect(exp, &known, &bug);
                struct hcase c = { .name = name, .expect = expect, .text = line + used, .bug = bug };
                if (!known) {
                        fprintf(stderr, "expected.txt: unknown expectation '%s' for %s\n", exp, name);
                        failed++;
                        continue;
                }
                _cleanup_free_ char *path = strdup_printf("%s/cases/%s", dir, name), *data = NULL;
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                size_t len = 0;
                if (fd < 0 || read_fd_limited(fd, 64u << 20, &data, &len) < 0) {
                        fprintf(stderr, "cannot read case %s\n", path);
                        failed++;
                        continue;
                }
                c.data = data;
                c.len = len;
                files++;
                if (!run_case(&c))
                        failed++;
        }
        /* every file in cases/ is listed, and the corpus is the promised size */
        _cleanup_free_ char *cases_dir = strdup_printf("%s/cases", dir);
        DIR *d = opendir(cases_dir);
        unsigned on_disk = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                on_disk += de->d_name[0] != '.';
        if (d)
                closedir(d);
        fprintf(stderr, "  corpus files: %u listed, %u on disk, %u failed\n", files, on_disk, failed);
        CU_ASSERT_EQUAL(files, on_disk);
        CU_ASSERT(files >= 100 || stride() > 1);
        CU_ASSERT_EQUAL(failed, 0);
}

/* ----------------------------------------------------------- generated cases */

static char *base_domain(const char *meta_inner, const char *devices, const char *name, const char *uuid) {
        return strdup_printf("<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
                             "  <memory unit='KiB'>65536</memory>\n"
                             "  <metadata>\n    <gpuhook:devices xmlns:gpuhook='" NS "'>\n%s    </gpuhook:devices>\n  </metadata>\n"
                             "  <devices>\n%s  </devices>\n</domain>\n",
                             name, uuid, meta_inner, devices);
}

static char *hostdev(const char *uuid, const char *model) {
        return strdup_printf("    <hostdev mode='subsystem' type='mdev' model='%s'>\n"
                             "      <source><address uuid='%s'/></source>\n    </hostdev>\n",
                             model, uuid);
}

static char *mdev_meta(const char *uuid, const char *type, const char *extra) {
        return strdup_printf("      <gpuhook:mdev uuid='%s' type='%s'%s/>\n", uuid, type, extra);
}

/* The valid reference domain (identical to cases/001-valid-reference.xml). */
static char *reference(void) {
        _cleanup_free_ char *m = mdev_meta(U1, "nvidia-300", ""), *h = hostdev(U1, "vfio-pci");
        return base_domain(m, h, "hostile", DOM);
}

static char *repeat(const char *s, size_t times) {
        size_t n = strlen(s);
        char *r = malloc(n * times + 1);
        if (!r)
                abort();
        for (size_t i = 0; i < times; i++)
                memcpy(r + i * n, s, n);
        r[n * times] = 0;
        return r;
}

static unsigned run_generated(const struct hcase *c) { return run_case(c) ? 0 : 1; }

static void test_size_limits(void) {
        unsigned failed = 0;
        _cleanup_free_ char *ref = reference();

        /* 50 MB: refused before parsing, and stdin is drained (no EPIPE for libvirt) */
        size_t big = 50u << 20;
        _cleanup_free_ char *b = malloc(big);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        memset(b, ' ', big);
        memcpy(b, "<domain><devices><hostdev mode='subsystem' type='mdev'>", 55);
        struct hcase c50 = { "gen-50MB-input", b, big, EXPECT_REJECT, "larger than 16384 KiB", NULL };
        failed += run_generated(&c50);

        /* 50 MB of junk that does not even mention a hostdev: size wins over the fast path */
        memset(b, 'A', big);
        struct hcase c50j = { "gen-50MB-junk", b, big, EXPECT_REJECT, "larger than 16384 KiB", NULL };
        failed += run_generated(&c50j);

        /* exactly the limit: parsed (a valid domain padded with comments) ... */
        _cleanup_free_ char *pad = NULL;
        size_t reflen = strlen(ref), padlen = MAX_XML - reflen;
        pad = malloc(MAX_XML + 2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(pad);
        const char *cut = strstr(ref, "  <devices>");
        size_t head = (size_t)(cut - ref);
        memcpy(pad, ref, head);
        size_t pos = head;
        while (padlen >= 13) {
                memcpy(pad + pos, "<!-- pad -->\n", 13);
                pos += 13;
                padlen -= 13;
        }
        memset(pad + pos, ' ', padlen);
        pos += padlen;
        memcpy(pad + pos, cut, reflen - head);
        pos += reflen - head;
        CU_ASSERT_EQUAL(pos, MAX_XML);
        struct hcase cmax = { "gen-exactly-16MiB-valid", pad, MAX_XML, EXPECT_ACCEPT, NULL, NULL };
        failed += run_generated(&cmax);
        /* ... one byte more is refused */
        pad[MAX_XML] = '\n';
        struct hcase cmax1 = { "gen-16MiB-plus-one", pad, MAX_XML + 1, EXPECT_REJECT, "larger than 16384 KiB", NULL };
        failed += run_generated(&cmax1);

        /* one 11 MB text node, comment and attribute: libxml2's own limits (no XML_PARSE_HUGE) */
        size_t huge = 11u << 20;
        _cleanup_free_ char *aaa = malloc(huge + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(aaa);
        memset(aaa, 'a', huge);
        aaa[huge] = 0;
        _cleanup_free_ char *m = mdev_meta(U1, aaa, ""), *h = hostdev(U1, "vfio-pci");
        _cleanup_free_ char *attr = base_domain(m, h, "hostile", DOM);
        struct hcase cattr = { "gen-11MB-attribute", attr, strlen(attr), EXPECT_REJECT, "AttValue length too long", NULL };
        failed += run_generated(&cattr);
        _cleanup_free_ char *m2 = mdev_meta(U1, "nvidia-300", ""), *text = base_domain(m2, h, aaa, DOM);
        /* libxml2 takes an 11 MB <name>, but a ledger could not hold it: gpuhook
         * refuses it before it creates anything (bug 2, fixed) */
        struct hcase ctext = { "gen-11MB-domain-name", text, strlen(text), EXPECT_REJECT, "the domain name is", NULL };
        failed += run_generated(&ctext);
        _cleanup_free_ char *comment = strdup_printf("<!--%s-->%s", aaa, ref);
        struct hcase ccom = { "gen-11MB-comment", comment, strlen(comment), EXPECT_REJECT, "Comment too big found", NULL };
        failed += run_generated(&ccom);
        CU_ASSERT_EQUAL(failed, 0);
}

static void test_deep_nesting(void) {
        unsigned failed = 0;
        _cleanup_free_ char *ref = reference();
        const char *cut = strstr(ref, "  <devices>");
        static const struct {
                size_t depth;
                bool closed;
                enum expect expect;
        } shapes[] = {
                { 250, true, EXPECT_ACCEPT },     /* under libxml2's limit of 256: harmless, ignored */
                { 300, true, EXPECT_REJECT },     /* over it */
                { 10000, true, EXPECT_REJECT },
                { 1000000, false, EXPECT_REJECT }, /* 3 MB of opening tags, never closed */
        };
        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                _cleanup_free_ char *open_tags = repeat("<x>", shapes[i].depth);
                _cleanup_free_ char *close_tags = shapes[i].closed ? repeat("</x>", shapes[i].depth) : strdup("");
                _cleanup_free_ char *xml = strdup_printf("%.*s%s%s%s", (int)(cut - ref), ref, open_tags, close_tags, cut);
                _cleanup_free_ char *name = strdup_printf("gen-nesting-%zu%s", shapes[i].depth, shapes[i].closed ? "" : "-unclosed");
                struct hcase c = { name, xml, strlen(xml), shapes[i].expect,
                                   shapes[i].closed ? "Excessive depth in document: 256" : "cannot parse the domain XML", NULL };
                failed += run_generated(&c);
        }
        /* deep nesting inside the gpuhook metadata itself */
        _cleanup_free_ char *open_tags = repeat("<gpuhook:mdev>", 5000), *close_tags = repeat("</gpuhook:mdev>", 5000);
        _cleanup_free_ char *inner = strdup_printf("%s%s", open_tags, close_tags), *h = hostdev(U1, "vfio-pci");
        _cleanup_free_ char *xml = base_domain(inner, h, "hostile", DOM);
        struct hcase c = { "gen-nesting-5000-gpuhook-mdev", xml, strlen(xml), EXPECT_REJECT, "Excessive depth in document", NULL };
        failed += run_generated(&c);
        CU_ASSERT_EQUAL(failed, 0);
}

static void test_long_names(void) {
        unsigned failed = 0;
        _cleanup_free_ char *k10 = repeat("a", 10000), *kdots = repeat("../", 3333), *kx = repeat("f", 10000);
        _cleanup_free_ char *h = hostdev(U1, "vfio-pci"), *m = mdev_meta(U1, "nvidia-300", "");
        struct {
                const char *name;
                char *xml;
                enum expect expect;
                const char *text;
        } v[] = {
                { "gen-10000-char-type", NULL, EXPECT_REJECT, "is not a valid type id or name" },
                { "gen-10000-char-type-traversal", NULL, EXPECT_REJECT, "is not a valid type id or name" },
                { "gen-10000-char-parent", NULL, EXPECT_REJECT, "is not a valid device name" },
                { "gen-10000-char-parent-traversal", NULL, EXPECT_REJECT, "is not a valid device name" },
                { "gen-10000-char-hostdev-uuid", NULL, EXPECT_REJECT, "mdev hostdev has an invalid UUID" },
                { "gen-10000-char-meta-uuid", NULL, EXPECT_REJECT, "<gpuhook:mdev> has an invalid UUID" },
                { "gen-10000-char-domain-uuid", NULL, EXPECT_REJECT, "the domain XML has an invalid <uuid>" },
                { "gen-10000-char-model", NULL, EXPECT_REJECT, "has unknown model" },
                { "gen-10000-char-param-name", NULL, EXPECT_REJECT, "is not a plain identifier" },
                { "gen-10000-char-param-value", NULL, EXPECT_REJECT, "or its value is over 256 characters" },
                { "gen-10000-char-placement", NULL, EXPECT_REJECT, "is unknown; use 'compact' or 'spread'" },
                { "gen-10000-char-attribute-name", NULL, EXPECT_REJECT, "<gpuhook:mdev> has unknown attribute" },
                { "gen-10000-char-pci-bus", NULL, EXPECT_REJECT, "PCI hostdev has an invalid bus" },
                { "gen-10000-char-pci-meta-address", NULL, EXPECT_REJECT, "<gpuhook:pci> has an invalid address" },
                { "gen-10000-char-nodeset", NULL, EXPECT_REJECT, "is not a valid nodeset" },
                { "gen-10000-char-domain-name", NULL, EXPECT_ACCEPT, NULL },           /* only stored and quoted */
                { "gen-10000-char-element-name", NULL, EXPECT_ACCEPT, NULL },          /* unknown metadata child: ignored */
        };
        size_t i = 0;
        _cleanup_free_ char *mt = mdev_meta(U1, k10, ""), *mtd = mdev_meta(U1, kdots, "");
        _cleanup_free_ char *pa = strdup_printf(" parent='%s'", k10), *pd = strdup_printf(" parent='%s'", kdots);
        _cleanup_free_ char *mp = mdev_meta(U1, "nvidia-300", pa), *mpd = mdev_meta(U1, "nvidia-300", pd);
        _cleanup_free_ char *hx = hostdev(kx, "vfio-pci"), *mu = mdev_meta(kx, "nvidia-300", "");
        _cleanup_free_ char *hm = hostdev(U1, k10);
        _cleanup_free_ char *pn = strdup_printf("      <gpuhook:mdev uuid='" U1 "' type='nvidia-300'><gpuhook:param name='%s' value='1'/></gpuhook:mdev>\n", k10);
        _cleanup_free_ char *pv = strdup_printf("      <gpuhook:mdev uuid='" U1 "' type='nvidia-300'><gpuhook:param name='frl_config' value='%s'/></gpuhook:mdev>\n", k10);
        _cleanup_free_ char *pl = strdup_printf(" placement='%s'", k10), *mpl = mdev_meta(U1, "nvidia-300", pl);
        _cleanup_free_ char *an = strdup_printf(" %s='1'", k10), *man = mdev_meta(U1, "nvidia-300", an);
        _cleanup_free_ char *hp = strdup_printf("    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='0x%s' slot='0' function='0'/></source></hostdev>\n", kx);
        _cleanup_free_ char *mpa = strdup_printf("%s      <gpuhook:pci address='%s'/>\n", m, k10);
        _cleanup_free_ char *el = strdup_printf("%s      <gpuhook:%s/>\n", m, k10);

        v[i++].xml = base_domain(mt, h, "hostile", DOM);
        v[i++].xml = base_domain(mtd, h, "hostile", DOM);
        v[i++].xml = base_domain(mp, h, "hostile", DOM);
        v[i++].xml = base_domain(mpd, h, "hostile", DOM);
        v[i++].xml = base_domain(mu, hx, "hostile", DOM);
        v[i++].xml = base_domain(mu, h, "hostile", DOM);
        v[i++].xml = base_domain(m, h, "hostile", kx);
        v[i++].xml = base_domain(m, hm, "hostile", DOM);
        v[i++].xml = base_domain(pn, h, "hostile", DOM);
        v[i++].xml = base_domain(pv, h, "hostile", DOM);
        v[i++].xml = base_domain(mpl, h, "hostile", DOM);
        v[i++].xml = base_domain(man, h, "hostile", DOM);
        v[i++].xml = base_domain(m, hp, "hostile", DOM);
        v[i++].xml = base_domain(mpa, h, "hostile", DOM);
        {
                _cleanup_free_ char *d = base_domain(m, h, "hostile", DOM);
                const char *at = strstr(d, "  <metadata>");
                v[i++].xml = strdup_printf("%.*s  <numatune><memory nodeset='%s'/></numatune>\n%s", (int)(at - d), d, k10, at);
        }
        v[i++].xml = base_domain(m, h, k10, DOM);
        v[i++].xml = base_domain(el, h, "hostile", DOM);
        CU_ASSERT_EQUAL_FATAL(i, ELEMENTSOF(v));

        for (i = 0; i < ELEMENTSOF(v); i++) {
                struct hcase c = { v[i].name, v[i].xml, strlen(v[i].xml), v[i].expect, v[i].text, NULL };
                failed += run_generated(&c);
                free(v[i].xml);
        }
        CU_ASSERT_EQUAL(failed, 0);
}

static void test_nul_bytes(void) {
        unsigned failed = 0;
        _cleanup_free_ char *ref = reference();
        size_t n = strlen(ref);
        struct {
                const char *name;
                const char *after; /* insert a NUL right after this text (NULL: at the start) */
                enum expect expect;
                const char *text;
                const char *bug;
        } v[] = {
                { "gen-nul-at-start", NULL, EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-in-tag-name", "<hostd", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-in-uuid-attribute", "<address uuid='bc127e23", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-in-type", "type='nvidia", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-in-parent-traversal", "type='nvidia-300'", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-in-text", "<name>host", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                { "gen-nul-between-elements", "</metadata>", EXPECT_REJECT, "cannot parse the domain XML", NULL },
                /* libxml2 stops at a NUL once the root is closed: the rest is never
                 * looked at, but the input is not XML and should be refused */
                { "gen-nul-after-root", "</domain>", EXPECT_REJECT, "cannot parse the domain XML", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                size_t at = 0;
                if (v[i].after) {
                        const char *p = strstr(ref, v[i].after);
                        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
                        at = (size_t)(p - ref) + strlen(v[i].after);
                }
                const char *tail = streq(v[i].name, "gen-nul-in-parent-traversal") ? " parent='../../..'/>" : "";
                _cleanup_free_ char *buf = malloc(n + 64 + strlen(tail));
                memcpy(buf, ref, at);
                buf[at] = 0;
                memcpy(buf + at + 1, tail, strlen(tail));
                memcpy(buf + at + 1 + strlen(tail), ref + at, n - at);
                size_t len = n + 1 + strlen(tail);
                if (streq(v[i].name, "gen-nul-after-root")) {
                        /* a second, different domain hidden after the NUL */
                        memcpy(buf + at + 1, "<hostdev/>", 10);
                        len = at + 11;
                }
                struct hcase c = { v[i].name, buf, len, v[i].expect, v[i].text, v[i].bug };
                failed += run_generated(&c);
        }
        /* 1 MB of NUL bytes */
        _cleanup_free_ char *zeros = calloc(1, 1u << 20);
        memcpy(zeros + 1000, "<hostdev", 8);
        struct hcase cz = { "gen-1MB-of-NUL", zeros, 1u << 20, EXPECT_REJECT, "cannot parse the domain XML", NULL };
        failed += run_generated(&cz);
        CU_ASSERT_EQUAL(failed, 0);
}

/* The valid domain cut at (just before and just after) every structural
 * character: every prefix is refused, or, when it does not yet mention a
 * hostdev or the gpuhook namespace, ignored by prepare's fast path. */
static void test_truncated_everywhere(void) {
        _cleanup_free_ char *ref = reference();
        size_t n = strlen(ref), end = (size_t)(strstr(ref, "</domain>") - ref) + strlen("</domain>");
        unsigned failed = 0, made = 0;
        bool *done = calloc(n + 1, 1);

        for (size_t i = 0; i < end; i++) {
                if (!strchr("<>/='\"!?:", ref[i]))
                        continue;
                for (size_t cut = i; cut <= i + 1 && cut < end; cut++) {
                        if (done[cut] || cut == 0)
                                continue;
                        done[cut] = true;
                        _cleanup_free_ char *name = strdup_printf("gen-truncated-at-%zu", cut);
                        bool concerns = memmem(ref, cut, "<hostdev", 8) || memmem(ref, cut, NS, strlen(NS));
                        struct hcase c = { name, ref, cut, concerns ? EXPECT_REJECT : EXPECT_ACCEPT,
                                           "cannot parse the domain XML", NULL };
                        failed += run_generated(&c);
                        made++;
                }
        }
        free(done);
        fprintf(stderr, "  truncations: %u prefixes%s\n", made, stride() > 1 ? " (sampled: see the case count)" : "");
        CU_ASSERT(made >= 100);
        CU_ASSERT_EQUAL(failed, 0);
}

static void test_floods(void) {
        unsigned failed = 0;
        struct strbuf dev = { 0 }, meta = { 0 }, same = { 0 }, pci = { 0 }, params = { 0 }, reqs = { 0 };
        char u[UUID_STRING_LEN + 1];

        for (unsigned i = 0; i < 10000; i++) {
                snprintf(u, sizeof(u), "%08x-0000-4000-8000-%012x", 0xf100d000 + i, i);
                strbuf_appendf(&dev, "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='%s'/></source></hostdev>\n", u);
                strbuf_appendf(&meta, "<gpuhook:mdev uuid='%s' type='nvidia-299'/>\n", u);
                strbuf_appendf(&same, "<hostdev mode='subsystem' type='mdev'><source><address uuid='" U1 "'/></source></hostdev>\n");
                strbuf_appendf(&pci, "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source></hostdev>\n",
                               0x1000 + i / 256, i % 256, 0, 0);
                strbuf_appendf(&params, "<gpuhook:param name='p%u' value='%u'/>", i, i);
                strbuf_appendf(&reqs, "<gpuhook:mdev uuid='%s' type='nvidia-300'/>\n", u);
        }
        _cleanup_free_ char *m1 = mdev_meta(U1, "nvidia-300", ""), *h1 = hostdev(U1, "vfio-pci");
        _cleanup_free_ char *pm = strdup_printf("<gpuhook:mdev uuid='" U1 "' type='nvidia-300'>%s</gpuhook:mdev>", strbuf_str(&params));
        struct {
                const char *name;
                char *xml;
                enum expect expect;
                const char *text;
        } v[] = {
                { "gen-10000-hostdevs-no-recipe", base_domain("", strbuf_str(&dev), "hostile", DOM), EXPECT_REJECT,
                  "does not exist and nothing says how to create it" },
                { "gen-10000-hostdevs-on-4-instances", base_domain(strbuf_str(&meta), strbuf_str(&dev), "hostile", DOM),
                  EXPECT_REJECT, "no free instance of nvidia-299" },
                { "gen-10000-hostdevs-one-uuid", base_domain(m1, strbuf_str(&same), "hostile", DOM), EXPECT_REJECT,
                  "is listed twice in this domain" },
                { "gen-10000-pci-hostdevs-absent", base_domain("", strbuf_str(&pci), "hostile", DOM), EXPECT_REJECT,
                  "is not on this host" },
                { "gen-10000-params", base_domain(pm, h1, "hostile", DOM), EXPECT_REJECT,
                  "'p0' is not a vGPU plugin parameter NVIDIA documents" },
                { "gen-10000-requests-no-hostdev", base_domain(strbuf_str(&reqs), "", "hostile", DOM), EXPECT_ACCEPT, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                uint64_t t0 = now_usec();
                struct hcase c = { v[i].name, v[i].xml, strlen(v[i].xml), v[i].expect, v[i].text, NULL };
                failed += run_generated(&c);
                uint64_t ms = (now_usec() - t0) / 1000;
                fprintf(stderr, "  %s: %zu bytes, prepare+release in %llu ms\n", v[i].name, strlen(v[i].xml),
                        (unsigned long long)ms);
                free(v[i].xml);
        }
        strbuf_free(&dev);
        strbuf_free(&meta);
        strbuf_free(&same);
        strbuf_free(&pci);
        strbuf_free(&params);
        strbuf_free(&reqs);
        CU_ASSERT_EQUAL(failed, 0);
}

/* argv is hostile too (libvirt passes the domain name verbatim). */
static void test_hostile_argv(void) {
        _cleanup_free_ char *k10 = repeat("\xe2\x80\xae../", 2500);
        unsigned failed = 0;
        const char *bad_xml = "<domain><hostdev";
        struct {
                const char *name;
                const char *argv[6];
                const char *input;
                enum expect expect;
                const char *text;
        } v[] = {
                { "argv-none", { NULL }, "", EXPECT_REJECT, "usage: gpuhook DOMAIN OP SUBOP" },
                { "argv-domain-only", { "vm1", NULL }, "", EXPECT_REJECT, "usage: gpuhook DOMAIN OP SUBOP" },
                { "argv-domain-newline", { "vm1\ngpuhook: forged line", "prepare", "begin", "-", NULL }, bad_xml, EXPECT_REJECT,
                  "domain 'vm1?gpuhook: forged line'" },
                { "argv-domain-escape", { "\x1b[2J\x1b[31mvm", "prepare", "begin", "-", NULL }, bad_xml, EXPECT_REJECT, "domain '?[2J?[31mvm'" },
                { "argv-domain-10000", { k10, "prepare", "begin", "-", NULL }, bad_xml, EXPECT_REJECT, "...': cannot parse the domain XML" },
                { "argv-op-traversal", { "vm1", "../../../etc/passwd", "begin", "-", NULL }, bad_xml, EXPECT_ACCEPT, NULL },
                { "argv-prepare-end", { "vm1", "prepare", "end", "-", NULL }, bad_xml, EXPECT_ACCEPT, NULL },
                { "argv-no-subop", { "vm1", "prepare", NULL }, bad_xml, EXPECT_ACCEPT, NULL },
                { "argv-extra-args", { "vm1", "release", "end", "-", "--evil", NULL }, bad_xml, EXPECT_REJECT, "cannot parse the domain XML" },
        };
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *out = NULL, *err = NULL, *writes = NULL;
                bool ok = true;
                struct hcase cc = { .name = v[i].name }, *c = &cc;
                free(new_writes()); /* skip what came before */
                n_cases++;
                int st = hook(v[i].input, strlen(v[i].input), v[i].argv, &out, &err);
                writes = new_writes();
                if (verbose())
                        fprintf(stderr, "  %-50s -> %d %s", v[i].name, st, *err ? err : "\n");
                if (crashed(st, err))
                        FAIL(c, "crashed (%d): %s", st, err);
                if (*out)
                        FAIL(c, "stdout not empty");
                if (*writes)
                        FAIL(c, "wrote to sysfs: %s", writes);
                if (v[i].expect == EXPECT_REJECT) {
                        if (st != 1 || !one_clear_line(err) || !strstr(err, v[i].text))
                                FAIL(c, "expected exit 1 and one line with \"%s\", got %d: %.300s", v[i].text, st, err);
                        if (strlen(err) > 1100)
                                FAIL(c, "error line is %zu bytes long", strlen(err));
                } else if (st != 0 || *err)
                        FAIL(c, "expected exit 0 and silence, got %d: %.300s", st, err);
                n_rejected += st == 1;
                n_accepted += st == 0;
                if (!ok) {
                        failed++;
                        n_failed++;
                }
        }
        CU_ASSERT_EQUAL(failed, 0);
}

/* One UUID in two domains: the second prepare fails naming the first, its
 * release does not touch the first's device, the first's release removes it. */
static void test_uuid_across_two_domains(void) {
        _cleanup_free_ char *h = hostdev(U1, "vfio-pci"), *hu = hostdev("BC127E23-AAAA-4D06-A7AA-88DB2DD538E0", "vfio-pci");
        _cleanup_free_ char *m = mdev_meta(U1, "nvidia-299", "");
        /* A's name is hostile too: it is quoted in B's error line */
        _cleanup_free_ char *a = base_domain(m, h, "vm-a&#10;&apos;x", "aaaaaaaa-0000-4000-8000-00000000000a");
        _cleanup_free_ char *b = base_domain(m, h, "vm-b", "bbbbbbbb-0000-4000-8000-00000000000b");
        _cleanup_free_ char *b_upper = base_domain(m, hu, "vm-b", "bbbbbbbb-0000-4000-8000-00000000000b");
        _cleanup_free_ char *b_nometa = base_domain("", h, "vm-b", "bbbbbbbb-0000-4000-8000-00000000000b");
        const char *prep_a[] = { "vm-a", "prepare", "begin", "-", NULL }, *rel_a[] = { "vm-a", "release", "end", "-", NULL };
        const char *prep_b[] = { "vm-b", "prepare", "begin", "-", NULL }, *rel_b[] = { "vm-b", "release", "end", "-", NULL };
        char *out = NULL, *err = NULL;

        free(new_writes()); /* skip what came before */
        CU_ASSERT_EQUAL(hook(a, strlen(a), prep_a, &out, &err), 0);
        free(out), free(err);
        const char *bs[] = { b, b_upper, b_nometa };
        for (size_t i = 0; i < ELEMENTSOF(bs); i++) {
                n_cases++;
                int st = hook(bs[i], strlen(bs[i]), prep_b, &out, &err);
                CU_ASSERT_EQUAL(st, 1);
                CU_ASSERT_TRUE(one_clear_line(err));
                CU_ASSERT_PTR_NOT_NULL(strstr(err, "mdev " U1 " is held by domain 'vm-a?'x', which has not released it within 1s"));
                if (st != 1 || !strstr(err, "held by domain"))
                        fprintf(stderr, "  FAILED uuid-across-domains #%zu: %d %s", i, st, err);
                n_rejected += st == 1;
                free(out), free(err);
                CU_ASSERT_EQUAL(hook(bs[i], strlen(bs[i]), rel_b, &out, &err), 0);
                free(out), free(err);
        }
        CU_ASSERT_EQUAL(testhost_count_mdevs(host), 1); /* A's, untouched by B */
        CU_ASSERT_EQUAL(hook(a, strlen(a), rel_a, &out, &err), 0);
        free(out), free(err);
        _cleanup_free_ char *w = new_writes();
        CU_ASSERT_EQUAL(count_lines(w), 2); /* A's create and A's remove, nothing else */
        CU_ASSERT_EQUAL(count_bad_writes(w, true, "uuid-across-domains"), 0);
        CU_ASSERT_EQUAL(host_leftovers(), 0);
}

/* On a desktop with a passthrough GPU (tests/hosts/desktop-rtx, when it
 * exists): PCI hostdevs may only ever rebind the functions of the listed
 * devices' IOMMU groups, and release the console only when allowed. */
static char *pci_dev(const char *bdf, const char *managed) {
        unsigned dom, bus, slot, fn;
        if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
                abort();
        return strdup_printf("    <hostdev mode='subsystem' type='pci' managed='%s'><source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source></hostdev>\n",
                             managed, dom, bus, slot, fn);
}

static void test_pci_host(void) {
        _cleanup_free_ char *hosts = strdup_printf("%s/tests/hosts/desktop-rtx.umockdev", testhost_source_root());
        if (access(hosts, R_OK) < 0) {
                fprintf(stderr, "  skipped: tests/hosts/desktop-rtx.umockdev does not exist yet\n");
                return;
        }
        struct testhost *mdev_host = host;
        host = testhost_new("desktop-rtx");
        log_offset = 0;
        testhost_config(host, "bind_timeout = 2\n");
#define GROUP1 "0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3"
        _cleanup_free_ char *rtx = pci_dev("0000:01:00.0", "no"), *rtx_yes = pci_dev("0000:01:00.0", "yes"),
                            *audio = pci_dev("0000:01:00.1", "no"), *audio_yes = pci_dev("0000:01:00.1", "yes"),
                            *igpu = pci_dev("0000:00:02.0", "no"), *nvme = pci_dev("0000:02:00.0", "no"),
                            *root_port = pci_dev("0000:00:01.0", "no"), *host_bridge = pci_dev("0000:00:00.0", "no"),
                            *absent = pci_dev("0000:09:00.0", "no"), *h1 = hostdev(U1, "vfio-pci"),
                            *m1 = mdev_meta(U1, "nvidia-300", "");
        _cleanup_free_ char *rtx_mdev = strdup_printf("%s%s", rtx, h1), *both = strdup_printf("%s%s", rtx, audio_yes);
        struct {
                const char *name, *meta, *devices;
                enum expect expect;
                const char *text, *pci;
                bool console;
                const char *bug;
        } v[] = {
                { "pci-gpu-managed-no", "", rtx, EXPECT_ACCEPT, NULL, GROUP1, false, NULL },
                { "pci-gpu-managed-yes-companions-only", "", rtx_yes, EXPECT_ACCEPT, NULL, "0000:01:00.1 0000:01:00.2 0000:01:00.3", false, NULL },
                { "pci-audio-takes-its-group", "", audio, EXPECT_ACCEPT, NULL, GROUP1, false, NULL },
                { "pci-gpu-and-companion-listed", "", both, EXPECT_ACCEPT, NULL, GROUP1, false, NULL },
                { "pci-allow-unrelated-nic", "<gpuhook:pci address='0000:00:1f.6' allow='yes'/>", rtx, EXPECT_ACCEPT, NULL, GROUP1, false, NULL },
                { "pci-allow-console-of-other-gpu", "<gpuhook:pci address='0000:00:02.0' allow-boot-console='yes'/>", rtx, EXPECT_ACCEPT, NULL, GROUP1, false, NULL },
                { "pci-nvme-listed-by-the-user", "", nvme, EXPECT_ACCEPT, NULL, "0000:02:00.0", false, NULL },
                { "pci-boot-vga-refused", "", igpu, EXPECT_REJECT, "drives the host's boot console (boot_vga)", NULL, false, NULL },
                { "pci-boot-vga-allowed", "<gpuhook:pci address='0000:00:02.0' allow-boot-console='yes'/>", igpu, EXPECT_ACCEPT, NULL, "0000:00:02.0", true, NULL },
                { "pci-absent-function", "", absent, EXPECT_REJECT, "PCI device 0000:09:00.0 is not on this host", NULL, false, NULL },
                /* refused, but only after the GPU's whole group went to vfio-pci and back */
                { "pci-gpu-plus-impossible-mdev", m1, rtx_mdev, EXPECT_REJECT, "no mdev parent on this host offers type 'nvidia-300'", NULL, false, NULL },
                /* a bridge is unbound from pcieport (or bound to vfio-pci) before anything says no */
                { "pci-root-port-listed", "", root_port, EXPECT_REJECT, "0000:00:01.0", NULL, false, NULL },
                { "pci-host-bridge-listed", "", host_bridge, EXPECT_REJECT, "0000:00:00.0", NULL, false, NULL },
        };
        unsigned failed = 0;
        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                _cleanup_free_ char *xml = base_domain(v[i].meta, v[i].devices, "hostile", DOM);
                struct hcase c = { v[i].name, xml, strlen(xml), v[i].expect, v[i].text, v[i].bug };
                allowed_pci = v[i].pci;
                allowed_console = v[i].console;
                failed += run_generated(&c);
                /* every function back on its own driver */
                static const char *const drivers[][2] = { { "0000:01:00.0", "nvidia" }, { "0000:01:00.1", "snd_hda_intel" },
                                                          { "0000:01:00.2", "xhci_hcd" }, { "0000:01:00.3", "nvidia-gpu" },
                                                          { "0000:00:02.0", "i915" }, { "0000:02:00.0", "nvme" },
                                                          { "0000:00:01.0", "pcieport" }, { "0000:00:00.0", "skl_uncore" } };
                for (size_t d = 0; d < ELEMENTSOF(drivers); d++) {
                        _cleanup_free_ char *drv = testhost_pci_driver(host, drivers[d][0]);
                        if (!streq(drv, drivers[d][1])) {
                                fprintf(stderr, "  FAILED %s: %s left on '%s'\n", v[i].name, drivers[d][0], drv);
                                failed++;
                                n_failed++;
                        }
                }
        }
        allowed_pci = NULL;
        allowed_console = false;
        testhost_free(host);
        host = mdev_host;
        log_offset = 0;
        _cleanup_free_ char *w = new_writes(); /* skip to the end of the mdev host's log */
        CU_ASSERT_EQUAL(failed, 0);
}

static void test_summary(void) {
        fprintf(stderr, "  hostile cases: %u run (%u refused, %u harmless), %u failed; %u known-bug case(s) not run%s\n",
                n_cases, n_rejected, n_accepted, n_failed, n_bugs_seen,
                known_bugs() ? "" : " (GPUHOOK_KNOWN_BUGS=1 runs them)");
        CU_ASSERT(n_cases >= 100 || stride() > 1);
        CU_ASSERT_EQUAL(n_failed, 0);
        testhost_free(host);
        host = NULL;
}

static void test_setup(void) {
        host = testhost_new("v100");
        CU_ASSERT_PTR_NOT_NULL_FATAL(host);
        /* A refusal after the bounded wait for another domain's release stays quick. */
        testhost_config(host, "handover_timeout = 1\n");
}

CUNIT_MAIN("hostile-input",
           T(test_setup),
           T(test_corpus_files),
           T(test_size_limits),
           T(test_deep_nesting),
           T(test_long_names),
           T(test_nul_bytes),
           T(test_truncated_everywhere),
           T(test_floods),
           T(test_hostile_argv),
           T(test_uuid_across_two_domains),
           T(test_pci_host),
           T(test_summary))
