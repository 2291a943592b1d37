/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl xml: every template of xml-templates/ rendered by the built
 * gpuhookctl and validated with libvirt's schema (virt-xml-validate FILE
 * domain; snippets wrapped into a minimal domain first), and what the hook
 * itself reads back from them (domain_parse). */
#include <dirent.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "domain.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

#define MDEV "634fc146-50a3-4960-ac30-f09e5cedc674"

static char *tmp;
/* Template files some test rendered (by name without .xml). */
static char **covered;
static size_t n_covered;

static void cover(const char *name) {
        for (size_t i = 0; i < n_covered; i++)
                if (streq(covered[i], name))
                        return;
        covered = reallocarray(covered, n_covered + 1, sizeof(char *));
        covered[n_covered++] = strdup(name);
}

static void setup(void) {
        tmp = tmpdir_new();
        setenv("NO_COLOR", "1", 1);
        CU_ASSERT_FATAL(have_program("virt-xml-validate"));
}

/* A minimal domain around BODY (devices) and META (metadata children). */
static char *wrap(const char *devices, const char *meta) {
        return strdup_printf("<domain type='kvm'>\n  <name>wrap</name>\n  <uuid>5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5</uuid>\n"
                             "%s%s%s  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n"
                             "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n%s  </devices>\n</domain>\n",
                             meta ? "  <metadata>\n" : "", meta ? meta : "", meta ? "  </metadata>\n" : "", devices ? devices : "");
}

static void validates(const char *name, const char *xml) {
        struct run r = { 0 };
        _cleanup_free_ char *file = strdup_printf("%s.xml", name), *path = write_tmp(tmp, file, xml);
        _cleanup_free_ char *v = find_program("virt-xml-validate");
        const char *argv[] = { v, path, "domain", NULL };
        CU_ASSERT_EQUAL(run_argv(&r, NULL, argv, 0), 0);
        CU_ASSERT(strstr(r.out, "validates") || strstr(r.err, "validates"));
        if (r.status != 0)
                fprintf(stderr, "%s\n", xml);
        run_free(&r);
}

/* The hook's own parser on XML: returns the spec (or NULL, printing why). */
static struct domain_spec *hook_parse(const char *xml) {
        struct domain_spec *d = NULL;
        log_failure_clear();
        if (domain_parse(xml, strlen(xml), &d) < 0) {
                fprintf(stderr, "domain_parse: %s\n", log_failure());
                return NULL;
        }
        return d;
}

static void test_pci_hostdev(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "pci", "41:00.0", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<hostdev mode='subsystem' type='pci' managed='yes'>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/>"));
        _cleanup_free_ char *x1 = wrap(r.out, NULL);
        validates("pci", x1);
        cover("hostdev-pci");

        /* every field of the BDF lands in its own attribute */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "pci", "ABCD:B1:1F.7", "--unmanaged", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "managed='no'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<address domain='0xabcd' bus='0xb1' slot='0x1f' function='0x7'/>"));
        _cleanup_free_ char *x2 = wrap(r.out, NULL);
        validates("pci-unmanaged", x2);
        struct domain_spec *d = hook_parse(x2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->n_pcis, 1);
        CU_ASSERT_STRING_EQUAL(d->pcis[0].bdf, "abcd:b1:1f.7");
        CU_ASSERT_FALSE(d->pcis[0].managed);
        domain_spec_free(d);

        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "pci", "41:20.0", NULL), 1); /* slot > 0x1f */
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "gpuhookctl: error: '41:20.0' is not a PCI address"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "pci", "0000:41:00.0/../x", NULL), 1);
        run_free(&r);
}

static void test_mdev_hostdev_display_ramfb(void) {
        struct run r = { 0 };
        static const char *const variants[][3] = {
                { "plain", NULL, NULL }, { "display", "--display", NULL }, { "ramfb", "--ramfb", NULL }, { "ccw", "--model", "vfio-ccw" },
        };
        for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
                CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "mdev", "634FC146-50A3-4960-AC30-F09E5CEDC674", variants[i][1], variants[i][2], NULL), 0);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<address uuid='" MDEV "'/>")); /* lower case */
                _cleanup_free_ char *x = wrap(r.out, NULL), *name = strdup_printf("mdev-%s", variants[i][0]);
                validates(name, x);
                struct domain_spec *d = hook_parse(x);
                CU_ASSERT_PTR_NOT_NULL_FATAL(d);
                CU_ASSERT_EQUAL(d->n_mdevs, 1);
                CU_ASSERT_STRING_EQUAL(d->mdevs[0].uuid, MDEV);
                domain_spec_free(d);
        }
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "mdev", MDEV, "--ramfb", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "display='on' ramfb='on'")); /* ramfb implies display */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "mdev", MDEV, NULL), 0);
        CU_ASSERT_PTR_NULL(strstr(r.out, "display="));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "mdev", "not-a-uuid", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "'not-a-uuid' is not a UUID"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "mdev", MDEV, "--model", "vfio-ap", "--display", NULL), 1);
        cover("hostdev-mdev");
        run_free(&r);
}

static void test_vgpu_vf_hostdev(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "vgpu-vf", "0000:c1:00.4", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "type='pci' managed='no'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "bus='0xc1' slot='0x00' function='0x4'"));
        _cleanup_free_ char *x = wrap(r.out, NULL);
        validates("vgpu-vf", x);
        cover("hostdev-vgpu-vf");
        run_free(&r);
}

static void test_metadata_requests(void) {
        struct run r = { 0 }, hd = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "metadata", MDEV, "--type", "GRID V100-8C", "--parent", "41:00.0", "--placement",
                                "spread", "--param", "frame_rate_limiter=0", "--param", "enable_uvm=1", NULL),
                        0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "parent='0000:41:00.0'"));
        CU_ASSERT_EQUAL(run_ctl(&hd, 0, "xml", "mdev", MDEV, NULL), 0);
        _cleanup_free_ char *x = wrap(hd.out, r.out);
        validates("metadata-mdev", x);
        /* the hook reads exactly this request */
        struct domain_spec *d = hook_parse(x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL_FATAL(d->n_requests, 1);
        CU_ASSERT_STRING_EQUAL(d->requests[0].uuid, MDEV);
        CU_ASSERT_STRING_EQUAL(d->requests[0].type, "GRID V100-8C");
        CU_ASSERT_STRING_EQUAL(d->requests[0].parent, "0000:41:00.0");
        CU_ASSERT_EQUAL(d->requests[0].placement, PLACEMENT_SPREAD);
        CU_ASSERT_EQUAL_FATAL(d->requests[0].n_params, 2);
        CU_ASSERT_STRING_EQUAL(d->requests[0].params[1].name, "enable_uvm");
        CU_ASSERT_STRING_EQUAL(d->requests[0].params[1].value, "1");
        domain_spec_free(d);
        cover("metadata-devices");
        cover("metadata-mdev");
        cover("metadata-param");

        /* an SR-IOV vGPU request for a VF */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "metadata", "c1:00.4", "--type", "NVIDIA L40S-12Q", NULL), 0);
        CU_ASSERT_EQUAL(run_ctl(&hd, 0, "xml", "vgpu-vf", "c1:00.4", NULL), 0);
        _cleanup_free_ char *y = wrap(hd.out, r.out);
        validates("metadata-vgpu", y);
        d = hook_parse(y);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL_FATAL(d->n_vgpu_requests, 1);
        CU_ASSERT_STRING_EQUAL(d->vgpu_requests[0].bdf, "0000:c1:00.4");
        CU_ASSERT_STRING_EQUAL(d->vgpu_requests[0].type, "NVIDIA L40S-12Q");
        domain_spec_free(d);
        cover("metadata-vgpu");

        /* an SR-IOV vGPU family request for a VF passed as a PCI hostdev */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "metadata", "03:00.2", "--family", "intel-sriov", "--profile",
                                "exec_quantum_ms=20,sched_priority=low", "--placement", "spread", NULL), 0);
        CU_ASSERT_EQUAL(run_ctl(&hd, 0, "xml", "pci", "03:00.2", NULL), 0);
        _cleanup_free_ char *z = wrap(hd.out, r.out);
        validates("metadata-vf", z);
        d = hook_parse(z);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL_FATAL(d->n_vf_requests, 1);
        CU_ASSERT_STRING_EQUAL(d->vf_requests[0].bdf, "0000:03:00.2");
        CU_ASSERT_STRING_EQUAL(d->vf_requests[0].family, "intel-sriov");
        CU_ASSERT_STRING_EQUAL(d->vf_requests[0].profile, "exec_quantum_ms=20,sched_priority=low");
        CU_ASSERT_EQUAL(d->vf_requests[0].placement, PLACEMENT_SPREAD);
        domain_spec_free(d);
        cover("metadata-vf");
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "xml", "metadata", "03:00.2", "--family", "intel-sriov", "--type", "x", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "xml", "metadata", "03:00.2", "--profile", "a=1", NULL), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "metadata", "03:00.2", "--family", "intel-sriov", "--placement", "x", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "placement 'x' is unknown"));

        CU_ASSERT_EQUAL(run_ctl(&r, 2, "xml", "metadata", MDEV, NULL), 2); /* --type missing */
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "metadata", MDEV, "--type", "nvidia-300", "--param", "a=b,c", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "','"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "metadata", MDEV, "--type", "nvidia-300", "--placement", "random", NULL), 1);
        run_free(&r);
        run_free(&hd);
}

static void test_domain_templates(void) {
        struct run r = { 0 };
        static const char *const styles[] = { "virtio-gl", "qxl-spice", "vnc", "none" };
        static const char *const markers[] = { "<gl enable='yes'/>", "<model type='qxl'", "<graphics type='vnc'",
                                               "<model type='none'/>" };
        for (size_t i = 0; i < ELEMENTSOF(styles); i++) {
                _cleanup_free_ char *tmpl = strdup_printf("domain-%s", styles[i]), *n1 = strdup_printf("%s-bare", tmpl),
                                    *n2 = strdup_printf("%s-full", tmpl);
                /* bare */
                CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "domain", styles[i], NULL), 0);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, markers[i]));
                CU_ASSERT_PTR_NULL(strstr(r.out, "<metadata>"));
                validates(n1, r.out);
                /* with a PCI GPU, a vGPU and its request */
                CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "domain", styles[i], "--name", "vm<&>'\"", "--uuid",
                                        "5D1C3A0E-2F4B-4C6D-8E9F-A0B1C2D3E4F5", "--memory", "2048", "--vcpus", "4", "--pci",
                                        "0000:41:00.0", "--pci", "41:00.1", "--mdev", MDEV, "--type", "nvidia-300",
                                        /* style none has no graphics for display='on' (libvirt refuses it) */
                                        streq(styles[i], "none") ? NULL : "--display", NULL),
                                0);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<name>vm&lt;&amp;&gt;&apos;&quot;</name>"));
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<memory unit='MiB'>2048</memory>"));
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "<vcpu>4</vcpu>"));
                validates(n2, r.out);
                struct domain_spec *d = hook_parse(r.out);
                CU_ASSERT_PTR_NOT_NULL_FATAL(d);
                CU_ASSERT_STRING_EQUAL(d->name, "vm<&>'\"");
                CU_ASSERT_STRING_EQUAL(d->uuid, "5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5");
                CU_ASSERT_EQUAL(d->n_pcis, 2);
                CU_ASSERT_EQUAL(d->n_mdevs, 1);
                CU_ASSERT_EQUAL(d->n_requests, 1);
                domain_spec_free(d);
                cover(tmpl);
        }
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "gtk", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "use virtio-gl, qxl-spice, vnc or none"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "xml", "domain", "vnc", "--type", "nvidia-300", NULL), 1); /* no --mdev */
        run_free(&r);
}

static void test_list_json(void) {
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "list", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(r.out, "gpuhookctl xml "), 6);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "xml", "list", "--json", NULL), 0);
        struct json_object *o = json_parse(r.out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_EQUAL(json_object_array_length(o), 10); /* 6 kinds + 4 domain styles */
        json_object_put(o);
        run_free(&r);
}

/* Every file in xml-templates/ was rendered and validated above. */
static void test_every_template_covered(void) {
        _cleanup_free_ char *dir = strdup_printf("%s/xml-templates", cli_source_root());
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t files = 0;
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n < 5 || !streq(de->d_name + n - 4, ".xml"))
                        continue;
                files++;
                char name[256];
                snprintf(name, sizeof(name), "%.*s", (int)(n - 4), de->d_name);
                bool seen = false;
                for (size_t i = 0; i < n_covered; i++)
                        seen = seen || streq(covered[i], name);
                if (!seen)
                        fprintf(stderr, "template %s.xml is not tested\n", name);
                CU_ASSERT(seen);
        }
        closedir(d);
        CU_ASSERT(files >= 11);
        for (size_t i = 0; i < n_covered; i++)
                free(covered[i]);
        free(covered);
        tmpdir_free(tmp);
}

CUNIT_MAIN("cli-xml",
           T(setup),
           T(test_pci_hostdev),
           T(test_mdev_hostdev_display_ramfb),
           T(test_vgpu_vf_hostdev),
           T(test_metadata_requests),
           T(test_domain_templates),
           T(test_list_json),
           T(test_every_template_covered))
