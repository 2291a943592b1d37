/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every XML `gpuhookctl xml` renders is a domain a REAL libvirtd defines;
 * every combination it does not render is refused in one line that says why.
 *
 * The kinds and their options come from the CLI's own table (`xml list
 * --json`, built from cli/verb-xml.c's kinds[]); an option this suite has no
 * sample values for fails the suite, so a new option cannot go untested.
 *
 * - domain: the full product of the style (each of `xml list`) and the
 *   options that shape the devices and the graphics: --pci (none, one, two,
 *   one twice) x --unmanaged x --mdev (none, one, two, one twice) x --model
 *   (unset, vfio-pci, vfio-ccw, vfio-ap: the s390x ones) x --display x
 *   --ramfb. The options that only fill <metadata> (--type, --parent,
 *   --placement, --param) and the four scalars (--name, --uuid, --memory,
 *   --vcpus) are each a 16-way subset, cycled through so every subset of
 *   each appears with every style.
 * - the snippets (pci, mdev, vgpu-vf, metadata): every option subset,
 *   inserted into a domain the CLI rendered (x86_64 with graphics, or the
 *   s390x one for vfio-ccw/vfio-ap).
 * Each XML is defined and undefined through one virsh session on a private
 * libvirtd (tests/e2e/with-libvirtd.sh), which needs qemu-system-x86_64 and
 * qemu-system-s390x (Debian: qemu-system-x86, qemu-system-misc) for the
 * capabilities it validates against. */
#include <sys/stat.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define U1 "7e57c0de-1111-4000-8000-000000000001"
#define U2 "7e57c0de-1111-4000-8000-000000000002"

static bool usable;
static char *work;

struct combo {
        char *label;     /* the command line, for messages */
        char *xml;       /* rendered (exit 0), else NULL */
        char *uuid;      /* the domain's, to undefine it */
        char *define;    /* virsh's answer */
};
static struct combo *combos;
static size_t n_combos, n_rendered, n_refused;

static void setup(void) {
        setenv("NO_COLOR", "1", 1);
        usable = geteuid() == 0 && access("/dev/kvm", R_OK | W_OK) == 0 && have_program("libvirtd") &&
                 have_program("virtlogd") && have_program("unshare") && have_program("virsh");
        if (!usable)
                fprintf(stderr, "SKIP: needs root, /dev/kvm, libvirtd, virtlogd, unshare and virsh\n");
        work = tmpdir_new();
}

/* ---- the CLI's table ---- */

static bool has_option(struct json_object *opts, const char *name) {
        for (size_t i = 0; opts && i < json_object_array_length(opts); i++)
                if (streq(json_object_get_string(json_object_array_get_idx(opts, i)), name))
                        return true;
        return false;
}

/* The options this suite knows values for, per kind. */
static const char *const known_domain[] = { "--uuid", "--parent", "--placement", "--param", "--model",
                                            "--display", "--ramfb", "--unmanaged", "--name", "--memory",
                                            "--vcpus", "--pci", "--mdev", "--type", NULL };
static const char *const known_pci[] = { "--unmanaged", NULL };
static const char *const known_mdev[] = { "--model", "--display", "--ramfb", NULL };
static const char *const known_vgpu_vf[] = { NULL };
static const char *const known_vf[] = { "--placement", "--profile", NULL };
static const char *const known_metadata[] = { "--parent", "--placement", "--param", "--type", "--family", "--profile", NULL };

static const char *const *known_for(const char *kind) {
        return streq(kind, "domain")     ? known_domain
               : streq(kind, "pci")      ? known_pci
               : streq(kind, "mdev")     ? known_mdev
               : streq(kind, "vgpu-vf")  ? known_vgpu_vf
               : streq(kind, "vf")       ? known_vf
               : streq(kind, "metadata") ? known_metadata
                                         : NULL;
}

static struct json_object *xml_list(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "list", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out);
        run_free(&r);
        return o;
}

/* ---- rendering ---- */

struct argv {
        const char *v[64];
        size_t n;
};

static void push(struct argv *a, const char *s) {
        if (a->n < ELEMENTSOF(a->v) - 1)
                a->v[a->n++] = s;
        a->v[a->n] = NULL;
}

static char *label_of(const struct argv *a) {
        struct strbuf sb = { 0 };
        for (size_t i = 1; i < a->n; i++)
                strbuf_appendf(&sb, "%s%s", i > 1 ? " " : "", a->v[i]);
        return sb.buf ? sb.buf : strdup("");
}

static char *between(const char *text, const char *open, const char *close) {
        const char *p = text ? strstr(text, open) : NULL;
        if (!p)
                return NULL;
        p += strlen(open);
        const char *e = strstr(p, close);
        return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* Run gpuhookctl A; a render is kept, a refusal must be one line with a reason. */
static struct combo *render(const struct argv *a) {
        struct run r = { 0 };
        struct combo *n = reallocarray(combos, n_combos + 1, sizeof(*n));
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        combos = n;
        struct combo *c = &combos[n_combos++];
        *c = (struct combo){ .label = label_of(a) };
        int k = run_argv(&r, NULL, a->v, -1);
        if (k == 0) {
                c->xml = strdup(r.out);
                c->uuid = between(r.out, "<uuid>", "</uuid>");
                n_rendered++;
        } else {
                n_refused++;
                /* one error line; a usage error (exit 2) adds the hint line */
                int lines = count_lines(r.err, "");
                bool one_line = !strncmp(r.err, "gpuhookctl: error: ", 19) && strcspn(r.err, "\n") > 40 && !*r.out &&
                                (lines == 1 || (k == 2 && lines == 2 && count_lines(r.err, "gpuhookctl: hint: ") == 1));
                if (!one_line || (k != 1 && k != 2))
                        fprintf(stderr, "\n%s: exit %d, stdout '%s', stderr '%s'\n", c->label, k, r.out, r.err);
                CU_ASSERT(one_line && (k == 1 || k == 2));
        }
        run_free(&r);
        return c;
}

static const char *const pci_sets[][3] = { { NULL }, { "0000:41:00.0", NULL }, { "41:00.0", "0000:41:00.1", NULL },
                                           { "41:00.0", "0000:41:00.0", NULL } };
static const char *const mdev_sets[][3] = { { NULL }, { U1, NULL }, { U1, U2, NULL }, { U1, U1, NULL } };
static const char *const models[] = { NULL, "vfio-pci", "vfio-ccw", "vfio-ap" };

static void add_request_options(struct argv *a, unsigned bits) {
        if (bits & 1)
                push(a, "--type"), push(a, "nvidia-300");
        if (bits & 2)
                push(a, "--parent"), push(a, "0000:41:00.0");
        if (bits & 4)
                push(a, "--placement"), push(a, "spread");
        if (bits & 8)
                push(a, "--param"), push(a, "frame_rate_limiter=0");
}

static void add_scalar_options(struct argv *a, unsigned bits) {
        if (bits & 1)
                push(a, "--name"), push(a, "define-test");
        if (bits & 2)
                push(a, "--uuid"), push(a, "7e57c0de-2222-4000-8000-000000000001");
        if (bits & 4)
                push(a, "--memory"), push(a, "64");
        if (bits & 8)
                push(a, "--vcpus"), push(a, "1");
}

static void render_domains(struct json_object *styles) {
        size_t idx = 0;
        for (size_t s = 0; s < json_object_array_length(styles); s++) {
                const char *style = json_object_get_string(json_object_array_get_idx(styles, s));
                for (size_t p = 0; p < ELEMENTSOF(pci_sets); p++)
                        for (int unmanaged = 0; unmanaged < 2; unmanaged++)
                                for (size_t m = 0; m < ELEMENTSOF(mdev_sets); m++)
                                        for (size_t model = 0; model < ELEMENTSOF(models); model++)
                                                for (int display = 0; display < 2; display++)
                                                        for (int ramfb = 0; ramfb < 2; ramfb++, idx++) {
                                                                struct argv a = { 0 };
                                                                push(&a, cli_binary());
                                                                push(&a, "xml");
                                                                push(&a, "domain");
                                                                push(&a, style);
                                                                for (size_t i = 0; pci_sets[p][i]; i++)
                                                                        push(&a, "--pci"), push(&a, pci_sets[p][i]);
                                                                if (unmanaged)
                                                                        push(&a, "--unmanaged");
                                                                for (size_t i = 0; mdev_sets[m][i]; i++)
                                                                        push(&a, "--mdev"), push(&a, mdev_sets[m][i]);
                                                                if (models[model])
                                                                        push(&a, "--model"), push(&a, models[model]);
                                                                if (display)
                                                                        push(&a, "--display");
                                                                if (ramfb)
                                                                        push(&a, "--ramfb");
                                                                /* idx runs over the product (512 per style);
                                                                 * the subsets mix its low and high digits, so
                                                                 * every --model/--display/--ramfb choice of
                                                                 * every style meets all 16 subsets of both. */
                                                                add_request_options(&a, (unsigned)(idx + idx / 16 + idx / 256) % 16);
                                                                add_scalar_options(&a, (unsigned)(idx / 4 + idx / 32 + idx / 512) % 16);
                                                                render(&a);
                                                        }
        }
}

/* A domain the CLI rendered, to put snippets in: x86_64 with vnc graphics,
 * or the s390x one (its own vfio-ccw hostdev cut out). */
static char *base_domain(bool s390x) {
        struct run r = { 0 };
        if (s390x)
                run_ctl(&r, 0, "xml", "domain", "none", "--memory", "64", "--vcpus", "1", "--mdev", U2, "--model", "vfio-ccw", NULL);
        else
                run_ctl(&r, 0, "xml", "domain", "vnc", "--memory", "64", "--vcpus", "1", NULL);
        char *xml = strdup(r.out ? r.out : "");
        run_free(&r);
        char *h = strstr(xml, "    <hostdev"), *e = h ? strstr(h, "</hostdev>\n") : NULL;
        if (h && e)
                memmove(h, e + 11, strlen(e + 11) + 1);
        return xml;
}

/* TEXT inserted into BASE before MARK. */
static char *insert_before(const char *base, const char *mark, const char *text) {
        const char *p = strstr(base, mark);
        if (!p)
                return strdup(base);
        return strdup_printf("%.*s%s%s", (int)(p - base), base, text, p);
}

/* vf (picked on an AMD MxGPU-shaped simulated host) and the VF family
 * metadata: every subset of --profile and --placement. */
static void render_vf_snippets(const char *x86) {
        _cleanup_free_ char *sim = strdup_printf("%s/sim/gpuhook-sim", cli_build_root()),
                            *host = strdup_printf("%s/tests/hosts/amd-mxgpu.umockdev", cli_source_root()),
                            *bed = strdup_printf("%s/vf-bed", work);
        for (int vf = 1; vf >= 0; vf--)
                for (unsigned bits = 0; bits < 4; bits++) {
                        struct argv a = { 0 };
                        if (vf)
                                push(&a, sim), push(&a, "--testbed"), push(&a, bed), push(&a, "--host"), push(&a, host),
                                        push(&a, "--");
                        push(&a, cli_binary()), push(&a, "xml");
                        if (vf)
                                push(&a, "vf"), push(&a, "amd-mxgpu");
                        else
                                push(&a, "metadata"), push(&a, "0000:05:02.1"), push(&a, "--family"), push(&a, "intel-sriov");
                        if (bits & 1) /* gim shows no profile: `xml vf` refuses, the metadata renders */
                                push(&a, "--profile"), push(&a, "exec_quantum_ms=20");
                        if (bits & 2)
                                push(&a, "--placement"), push(&a, "spread");
                        struct combo *c = render(&a);
                        if (!c->xml)
                                continue;
                        char *full = vf ? insert_before(x86, "  </devices>", c->xml) : NULL;
                        if (!vf) {
                                _cleanup_free_ char *md = strdup_printf("  <metadata>\n%s  </metadata>\n", c->xml);
                                full = insert_before(x86, "  <memory", md);
                        }
                        free(c->xml);
                        c->xml = full;
                        c->uuid = between(full, "<uuid>", "</uuid>");
                }
}

static void render_snippets(void) {
        _cleanup_free_ char *x86 = base_domain(false), *s390 = base_domain(true);
        CU_ASSERT_PTR_NOT_NULL(strstr(s390, "arch='s390x'"));
        /* pci and vgpu-vf */
        for (int kind = 0; kind < 2; kind++)
                for (int unmanaged = 0; unmanaged < (kind == 0 ? 2 : 1); unmanaged++) {
                        struct argv a = { 0 };
                        push(&a, cli_binary()), push(&a, "xml"), push(&a, kind == 0 ? "pci" : "vgpu-vf"), push(&a, "41:00.4");
                        if (unmanaged)
                                push(&a, "--unmanaged");
                        struct combo *c = render(&a);
                        if (c->xml) {
                                char *full = insert_before(x86, "  </devices>", c->xml);
                                free(c->xml);
                                c->xml = full;
                                c->uuid = between(full, "<uuid>", "</uuid>");
                        }
                }
        /* mdev: every model x --display x --ramfb */
        for (size_t model = 0; model < ELEMENTSOF(models); model++)
                for (int bits = 0; bits < 4; bits++) {
                        struct argv a = { 0 };
                        push(&a, cli_binary()), push(&a, "xml"), push(&a, "mdev"), push(&a, U1);
                        if (models[model])
                                push(&a, "--model"), push(&a, models[model]);
                        if (bits & 1)
                                push(&a, "--display");
                        if (bits & 2)
                                push(&a, "--ramfb");
                        struct combo *c = render(&a);
                        if (c->xml) {
                                bool s = models[model] && strcmp(models[model], "vfio-pci") != 0;
                                char *full = insert_before(s ? s390 : x86, "  </devices>", c->xml);
                                free(c->xml);
                                c->xml = full;
                                c->uuid = between(full, "<uuid>", "</uuid>");
                        }
                }
        render_vf_snippets(x86);
        /* metadata: an mdev request with every option subset, and a VF request */
        for (unsigned bits = 0; bits < 17; bits++) {
                struct argv a = { 0 };
                push(&a, cli_binary()), push(&a, "xml"), push(&a, "metadata"), push(&a, bits == 16 ? "0000:41:00.4" : U1);
                if (bits == 16)
                        push(&a, "--type"), push(&a, "nvidia-300");
                else
                        add_request_options(&a, bits);
                struct combo *c = render(&a);
                if (c->xml) {
                        _cleanup_free_ char *md = strdup_printf("  <metadata>\n%s  </metadata>\n", c->xml);
                        char *full = insert_before(x86, "  <memory", md);
                        free(c->xml);
                        c->xml = full;
                        c->uuid = between(full, "<uuid>", "</uuid>");
                }
        }
}

/* ---- defining ---- */

/* One virsh session defines and undefines each rendered XML; "echo" marks
 * where each answer starts. */
static void define_all(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *cmds_path = strdup_printf("%s/cmds", work);
        FILE *cmds = fopen(cmds_path, "we");
        CU_ASSERT_PTR_NOT_NULL_FATAL(cmds);
        for (size_t i = 0; i < n_combos; i++) {
                if (!combos[i].xml)
                        continue;
                _cleanup_free_ char *name = strdup_printf("%zu.xml", i);
                _cleanup_free_ char *path = write_tmp(work, name, combos[i].xml);
                fprintf(cmds, "echo ==%zu==\ndefine %s\nundefine %s --nvram\n", i, path, combos[i].uuid ? combos[i].uuid : "none");
        }
        fprintf(cmds, "echo ==end==\n");
        fclose(cmds);
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", cli_source_root());
        _cleanup_free_ char *script = strdup_printf("virsh < %s 2>&1", cmds_path);
        const char *argv[] = { wrapper, cli_build_root(), t->dir, t->host, "--", "bash", "-c", script, NULL };
        struct run r = { 0 };
        run_argv(&r, NULL, argv, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "==end=="));
        for (size_t i = 0; i < n_combos; i++) {
                if (!combos[i].xml)
                        continue;
                char mark[32], next[32];
                snprintf(mark, sizeof(mark), "==%zu==\n", i);
                const char *p = strstr(r.out, mark);
                const char *e = p ? strstr(p + strlen(mark), "\n==") : NULL;
                combos[i].define = p ? strndup(p + strlen(mark), e ? (size_t)(e - p - strlen(mark)) : strlen(p)) : strdup("");
                (void)next;
        }
        if (!strstr(r.out, "==end=="))
                fprintf(stderr, "virsh session: %s\n%s\n", r.out, r.err);
        run_free(&r);
        testhost_free(t);
}

static void test_every_combination_defines_or_is_refused(void) {
        if (!usable)
                return;
        if (!have_program("qemu-system-s390x")) {
                fprintf(stderr, "\nqemu-system-s390x is missing: apt-get install qemu-system-misc (the s390x domains need it)\n");
                CU_FAIL("qemu-system-s390x missing");
                return;
        }
        struct json_object *list = xml_list(), *styles = json_object_new_array();
        CU_ASSERT_PTR_NOT_NULL_FATAL(list);
        /* every option of every kind has sample values here */
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                struct json_object *k = json_object_array_get_idx(list, i);
                const char *kind = jstr(k, "name");
                if (jget(k, "style")) {
                        json_object_array_add(styles, json_object_new_string(jstr(k, "style")));
                        continue;
                }
                const char *const *known = known_for(kind);
                if (!known)
                        fprintf(stderr, "\nxml %s: a kind this suite does not render: extend it\n", kind);
                CU_ASSERT_PTR_NOT_NULL_FATAL(known);
                struct json_object *opts = jget(k, "options");
                for (size_t o = 0; o < json_object_array_length(opts); o++) {
                        const char *opt = json_object_get_string(json_object_array_get_idx(opts, o));
                        bool seen = false;
                        for (size_t q = 0; known[q]; q++)
                                seen = seen || streq(known[q], opt);
                        if (!seen)
                                fprintf(stderr, "\nxml %s %s: no sample values for this option here: extend the suite\n", kind, opt);
                        CU_ASSERT(seen);
                }
                for (size_t q = 0; known[q]; q++)
                        CU_ASSERT(has_option(opts, known[q]));
        }
        CU_ASSERT_EQUAL(json_object_array_length(styles), 4);
        render_domains(styles);
        render_snippets();
        json_object_put(styles);
        json_object_put(list);
        printf("\n  %zu combinations: %zu rendered, %zu refused\n", n_combos, n_rendered, n_refused);
        CU_ASSERT(n_rendered > 100);
        CU_ASSERT(n_refused > 100);

        define_all();
        size_t defined = 0, s390x = 0;
        for (size_t i = 0; i < n_combos; i++) {
                if (!combos[i].xml)
                        continue;
                bool ok = combos[i].define && strstr(combos[i].define, "defined from") &&
                          strstr(combos[i].define, "has been undefined");
                if (!ok)
                        fprintf(stderr, "\nnot defined: gpuhookctl %s\n%s\n", combos[i].label,
                                combos[i].define ? combos[i].define : "(no answer)");
                CU_ASSERT(ok);
                defined += ok;
                s390x += ok && strstr(combos[i].xml, "arch='s390x'") != NULL;
        }
        printf("  %zu defined by libvirtd (%zu of them s390x)\n", defined, s390x);
        CU_ASSERT(s390x > 0);
}

/* The refusals name the rule (spot checks of the reasons). */
static void test_refusals_say_why(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "none", "--mdev", U1, "--display", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "style none has none: use virtio-gl, qxl-spice or vnc"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "none", "--mdev", U1, "--ramfb", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--display and --ramfb"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "vnc", "--mdev", U1, "--model", "vfio-ccw", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "IBM Z (s390x)"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "none", "--mdev", U1, "--mdev", U2, "--model", "vfio-ap", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "one vfio-ap device"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "vnc", "--mdev", U1, "--mdev", "7E57C0DE-1111-4000-8000-000000000001", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "is given twice"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "vnc", "--mdev", U1, "--mdev", U2, "--ramfb", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "libvirt allows ramfb on one vGPU only"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "vnc", "--pci", "41:00.0", "--pci", "0000:41:00.0", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--pci 0000:41:00.0 is given twice"));
        /* the s390x domain: no ACPI/APIC, an SCLP console */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "domain", "none", "--mdev", U1, "--model", "vfio-ap", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<type arch='s390x' machine='s390-ccw-virtio'>hvm</type>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<target type='sclp' port='0'/>"));
        CU_ASSERT_PTR_NULL(strstr(r.out, "<acpi/>"));
        run_free(&r);
}

static void teardown(void) {
        for (size_t i = 0; i < n_combos; i++) {
                free(combos[i].label);
                free(combos[i].xml);
                free(combos[i].uuid);
                free(combos[i].define);
        }
        free(combos);
        tmpdir_free(work);
}

CUNIT_MAIN("cli-define",
           T(setup),
           T(test_refusals_say_why),
           T(test_every_combination_defines_or_is_refused),
           T(teardown))
