/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The admin's switches and views on simulated hosts (gpuhook-sim): the
 * host-wide switch (disable/enable) and manage='no' with the REAL hook,
 * vendor parameters vetted when stored, metrics, status for mdevs gpuhook
 * does not hold, and `held` for the package's prerm. */
#include <sys/stat.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DOM_UUID "5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5"
#define MDEV "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"
#define MDEV2 "0e1b0a37-5c2d-4e1f-9a8b-7c6d5e4f3a2b"

/* vm1 with one V100 vGPU described in its metadata (EXTRA: attributes on
 * <gpuhook:devices>, e.g. " manage='no'"). */
static char *vm1_xml(const char *extra) {
        _cleanup_free_ char *hd = testhost_mdev_hostdev(MDEV, "vfio-pci"), *req = testhost_mdev_meta(MDEV, "nvidia-300", NULL);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'%s>%s</gpuhook:devices>",
                                                  extra ? extra : "", req);
        return testhost_domain_xml("vm1", DOM_UUID, hd, meta);
}

static void setup(void) { setenv("NO_COLOR", "1", 1); }

/* Off: prepare does nothing and says nothing on stdout; release still gives
 * back what the ledger holds; status, check and metrics show it; on again:
 * prepare works. */
static void test_switch_off_and_on(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = vm1_xml(NULL), *marker = strdup_printf("%s/etc/gpuhook/disabled", t->dir);

        /* Held before the switch goes off. */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV));

        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "disable", "--reason", "Nova manages this node", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "1 domain still holds devices"));
        _cleanup_free_ char *text = read_all(marker);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nreason=Nova manages this node"));
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nat=20"));
        struct stat st;
        CU_ASSERT_EQUAL(stat(marker, &st), 0);
        CU_ASSERT_EQUAL(st.st_uid, geteuid());
        CU_ASSERT_EQUAL(st.st_mode & 022, 0);

        /* status and check show the switch */
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "gpuhook is switched off host-wide since 20"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "(\"Nova manages this node\")"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out);
        CU_ASSERT_FALSE(json_object_get_boolean(jget(jget(o, "switch"), "enabled")));
        CU_ASSERT_STRING_EQUAL(jstr(jget(o, "switch"), "reason"), "Nova manages this node");
        json_object_put(o);
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_EQUAL(count_lines(t->out, "! gpuhook is switched off host-wide"), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "metrics", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_enabled 0"), 1);

        /* release still gives back */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, MDEV));

        /* prepare is libvirt's alone: nothing created, exit 0, empty stdout */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        CU_ASSERT_STRING_EQUAL(t->err, "");
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);

        /* a marker someone else could have written does not count */
        CU_ASSERT_EQUAL(chmod(marker, 0666), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(chmod(marker, 0644), 0);

        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "enable", NULL), 0);
        CU_ASSERT_FALSE(testhost_exists(t, "/etc/gpuhook/disabled"));
        CU_ASSERT_EQUAL(access(marker, F_OK), -1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "enable", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "already on"));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", "--json", NULL), 0);
        o = json_parse(t->out);
        CU_ASSERT(json_object_get_boolean(jget(jget(o, "switch"), "enabled")));
        json_object_put(o);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);

        /* a reason is one line */
        CU_ASSERT_EQUAL(testhost_ctl(t, 2, "disable", "--reason", "two\nlines", NULL), 2);
        CU_ASSERT_EQUAL(access(marker, F_OK), -1);
        testhost_free(t);
}

/* <gpuhook:devices manage='no'>: the domain's devices are not gpuhook's. */
static void test_manage_no(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *off = vm1_xml(" manage='no'"), *on = vm1_xml(" manage='yes'"), *bad = vm1_xml(" manage='off'"),
                            *unknown = vm1_xml(" managed='no'");

        CU_ASSERT_EQUAL(testhost_hook(t, off, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, bad, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "<gpuhook:devices> manage='off'; use 'no'"));
        CU_ASSERT_EQUAL(testhost_hook(t, unknown, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "unknown attribute 'managed'"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        /* manage='yes' is the default; a release after manage='no' was set still gives back */
        CU_ASSERT_EQUAL(testhost_hook(t, on, "vm1", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV));
        CU_ASSERT_EQUAL(testhost_hook(t, off, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, MDEV));
        testhost_free(t);
}

/* --param is vetted by the parent's vendor driver when it is stored. */
static void test_params_checked_when_stored(void) {
        struct testhost *v100 = testhost_new("v100"), *mtty = testhost_new("mtty");

        CU_ASSERT_EQUAL(testhost_ctl(v100, 1, "xml", "metadata", MDEV, "--type", "nvidia-300", "--param", "bogus=1", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(v100->err, "'bogus' is not a vGPU plugin parameter NVIDIA documents"));
        CU_ASSERT_STRING_EQUAL(v100->out, "");
        CU_ASSERT_EQUAL(testhost_ctl(v100, 1, "xml", "metadata", MDEV, "--type", "GRID V100-8C", "--param", "enable_uvm=2", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(v100->err, "must be 0 or 1"));
        CU_ASSERT_EQUAL(testhost_ctl(v100, 1, "xml", "domain", "none", "--mdev", MDEV, "--type", "nvidia-300", "--param", "bogus=1", NULL), 1);
        CU_ASSERT_EQUAL(testhost_ctl(v100, 0, "xml", "metadata", MDEV, "--type", "nvidia-300", "--param", "frame_rate_limiter=0", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(v100->out, "frame_rate_limiter"));
        CU_ASSERT_STRING_EQUAL(v100->err, "");

        /* the kernel's mtty sample takes no parameters at all */
        CU_ASSERT_EQUAL(testhost_ctl(mtty, 1, "xml", "metadata", MDEV, "--type", "mtty-1", "--param", "frame_rate_limiter=0", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(mtty->err, "takes no <gpuhook:param>"));
        /* no parent here offers the type: rendered, with a warning */
        CU_ASSERT_EQUAL(testhost_ctl(mtty, 0, "xml", "metadata", MDEV, "--type", "nvidia-300", "--param", "bogus=1", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(mtty->err, "could not check the --param values"));
        testhost_free(v100);
        testhost_free(mtty);
}

/* Prometheus text: HELP/TYPE per family, gauges per parent x type, held
 * devices per domain, the failure counters; --textfile atomically. */
static void test_metrics(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = vm1_xml(NULL), *dir = tmpdir_new();

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "metrics", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "# TYPE gpuhook_mdev_available_instances gauge"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "# HELP gpuhook_mdev_available_instances "), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_mdev_available_instances{parent=\"0000:41:00.0\",type=\"nvidia-300\",name=\"GRID V100-8C\"} 1"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_mdev_used_instances{parent=\"0000:41:00.0\",type=\"nvidia-300\",name=\"GRID V100-8C\"} 1"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_domain_held_devices{domain=\"vm1\",uuid=\"" DOM_UUID "\",kind=\"mdev\"} 1"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "# TYPE gpuhook_prepare_failures_total counter"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_prepare_failures_total 0"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_enabled 1"), 1);
        CU_ASSERT(t->out[strlen(t->out) - 1] == '\n');

        /* a refused start counts */
        _cleanup_free_ char *hd = testhost_mdev_hostdev(MDEV2, "vfio-pci"), *nometa = testhost_domain_xml("vm2", "11111111-2222-4333-8444-555555555555", hd, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, nometa, "vm2", "prepare", "begin"), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "metrics", "--textfile", dir, NULL), 0);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        _cleanup_free_ char *prom = strdup_printf("%s/gpuhook.prom", dir), *text = read_all(prom);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        CU_ASSERT_EQUAL(count_lines(text, "gpuhook_prepare_failures_total 1"), 1);
        /* nothing but the file: no temp left for the collector to read */
        struct run r = { 0 };
        CU_ASSERT_EQUAL(run_sh(&r, 0, "ls -A %s", dir), 0);
        CU_ASSERT_STRING_EQUAL(r.out, "gpuhook.prom\n");
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "metrics", "--textfile", "/nonexistent-gpuhook-dir", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot write /nonexistent-gpuhook-dir/gpuhook.prom"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 2, "metrics", "--textfile", "relative", NULL), 2);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "metrics", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "gpuhook_domain_held_devices{"), 0);
        run_free(&r);
        tmpdir_free(TAKE_PTR(dir));
        testhost_free(t);
}

/* held: for the prerm. status: mdevs gpuhook does not hold. */
static void test_held_and_foreign_mdevs(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = vm1_xml(NULL);

        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "held", NULL), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "held", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "Domain 'vm1' (" DOM_UUID ") holds 1 device: mdev " MDEV));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "gpuhookctl reconcile"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "held", "--quiet", NULL), 1);
        CU_ASSERT_STRING_EQUAL(t->out, "");

        /* someone else's mdev (a cloud writes create itself) */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo %s > /sys/class/mdev_bus/0000:41:00.0/mdev_supported_types/nvidia-300/create", MDEV2), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV2));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, MDEV2 "  nvidia-300 0000:41:00.0  not gpuhook's"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, MDEV), 1); /* the held one, in the ledger part only */
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *m = json_object_array_get_idx(jget(o, "other_mdevs"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_STRING_EQUAL(jstr(m, "id"), MDEV2);
        CU_ASSERT_STRING_EQUAL(jstr(m, "origin"), "foreign");
        CU_ASSERT_EQUAL(json_object_array_length(jget(o, "other_mdevs")), 1);
        json_object_put(o);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "held", "--quiet", NULL), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV2)); /* never gpuhook's to remove */
        testhost_free(t);
}

/* An mdevctl definition: started by the hook, status names its type and
 * parent (was "?"); started by hand, it is listed with its origin. */
static void test_status_mdevctl_definitions(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *hd = testhost_mdev_hostdev(MDEV, "vfio-pci"),
                            *xml = testhost_domain_xml("vm3", DOM_UUID, hd, NULL);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u %s -p 0000:41:00.0 -t nvidia-300 && "
                                             "mdevctl define -u %s -p 0000:41:00.0 -t nvidia-300 && mdevctl start -u %s",
                                    MDEV, MDEV2, MDEV2),
                        0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm3", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, MDEV));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, "vm3     mdev  " MDEV "  nvidia-300 0000:41:00.0 (mdevctl definition)"), 1);
        CU_ASSERT_EQUAL(count_lines(t->out, "  ? "), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, " ?  "), 0);
        CU_ASSERT_EQUAL(count_lines(t->out, MDEV2 "  nvidia-300 0000:41:00.0  mdevctl definition"), 1);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", "--json", NULL), 0);
        struct json_object *o = json_parse(t->out), *m = json_object_array_get_idx(jget(o, "other_mdevs"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_STRING_EQUAL(jstr(m, "origin"), "mdevctl");
        json_object_put(o);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm3", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, MDEV));
        testhost_free(t);
}

CUNIT_MAIN("cli-admin",
           T(setup),
           T(test_switch_off_and_on),
           T(test_manage_no),
           T(test_params_checked_when_stored),
           T(test_metrics),
           T(test_held_and_foreign_mdevs),
           T(test_status_mdevctl_definitions))
