/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SR-IOV vGPU families (Intel xe SR-IOV, AMD MxGPU) through the real
 * binaries on hosts shaped like each (tests/hosts/intel-xe-sriov.umockdev,
 * amd-mxgpu.umockdev): `types` shows their VFs with what is free and how
 * many more the PF could give; `xml vf FAMILY` picks a free VF; a domain
 * whose <gpuhook:vf> VF another domain holds is refused before anything
 * changes, naming the holder and the free VF; a migration moves it there. */
#include <json-c/json.h>

#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define XE_PF "0000:03:00.0"
#define XE_VF1 "0000:03:00.1"
#define XE_VF2 "0000:03:00.2"
#define AMD_PF "0000:05:00.0"
#define UUID_A "aaaaaaaa-0000-4000-8000-0000000000f1"
#define UUID_B "bbbbbbbb-0000-4000-8000-0000000000f2"

static size_t lines(const char *s) {
        size_t n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

static char *vf_domain(const char *name, const char *uuid, const char *vf, const char *attrs) {
        _cleanup_free_ char *hd = testhost_pci_hostdev(vf, "yes");
        _cleanup_free_ char *req = strdup_printf("<gpuhook:vf address='%s' family='intel-sriov' %s/>", vf, attrs ? attrs : "");
        return testhost_gpuhook_domain_xml(name, uuid, hd, req);
}

static struct json_object *types_json(struct testhost *t) {
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", "--json", NULL), 0);
        return json_tokener_parse(t->out);
}

static struct json_object *first_vf_pf(struct json_object *o) {
        struct json_object *a = NULL;
        if (!o || !json_object_object_get_ex(o, "sriov_vf", &a) || json_object_array_length(a) < 1)
                return NULL;
        return json_object_array_get_idx(a, 0);
}

static int int_of(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

static const char *str_of(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "(null)";
}

static void test_types_show_xe_and_mxgpu_vfs(void) {
        struct testhost *t = testhost_new("intel-xe-sriov");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_PTR_NULL(strstr(t->out, "No vGPU instance types"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, XE_PF "  sriov-vf  intel-sriov"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "0 of 7 VFs enabled; gpuhook enables 7 more when a domain needs them"));
        struct json_object *o = types_json(t), *pf = first_vf_pf(o);
        CU_ASSERT_STRING_EQUAL(str_of(pf, "parent"), XE_PF);
        CU_ASSERT_STRING_EQUAL(str_of(pf, "family"), "intel-sriov");
        CU_ASSERT_EQUAL(int_of(pf, "available"), 7);
        CU_ASSERT_EQUAL(int_of(pf, "more"), 7);
        json_object_put(o);
        testhost_free(t);

        t = testhost_new("amd-mxgpu");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, AMD_PF "  sriov-vf  amd-mxgpu"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "4 of 16 VFs, created by gim at load; more need a reload of gim"));
        o = types_json(t);
        pf = first_vf_pf(o);
        CU_ASSERT_EQUAL(int_of(pf, "available"), 4);
        CU_ASSERT_EQUAL(int_of(pf, "more"), 0); /* gim makes no VF at run time */
        struct json_object *vfs = NULL;
        CU_ASSERT_TRUE(pf && json_object_object_get_ex(pf, "vfs", &vfs) && json_object_array_length(vfs) == 4);
        if (vfs && json_object_array_length(vfs) == 4) {
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 0), "address"), "0000:05:02.0");
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 0), "state"), "free");
        }
        json_object_put(o);
        testhost_free(t);
}

static void test_xml_vf_picks_a_free_vf_and_metadata_names_it(void) {
        struct testhost *t = testhost_new("amd-mxgpu");
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "xml", "vf", "amd-mxgpu", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "<address domain='0x0000' bus='0x05' slot='0x02' function='0x0'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "managed='yes'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "xml metadata 0000:05:02.0 --family amd-mxgpu"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "xml", "metadata", "05:02.1", "--family", "amd-mxgpu", "--placement", "spread", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "<gpuhook:vf address='0000:05:02.1' family='amd-mxgpu' placement='spread'/>"));
        /* what the hook would refuse, refused here too, in one line */
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "xml", "vf", "nvidia", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "family 'nvidia' is unknown; use one of: intel-sriov amd-mxgpu"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "xml", "vf", "intel-sriov", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "no SR-IOV GPU of family 'intel-sriov' on this host (families here: amd-mxgpu)"));
        CU_ASSERT_EQUAL(testhost_ctl(t, 1, "xml", "metadata", "05:02.1", "--family", "amd-mxgpu", "--profile", "a=../b", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "is not key=value"));
        testhost_free(t);
}

/* Several VMs on one xe GPU: the admin enables the VFs at boot. */
static struct testhost *xe_with_vfs(void) {
        struct testhost *t = testhost_new("intel-xe-sriov");
        testhost_config(t, "handover_timeout = 1\n");
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 3 > /sys/bus/pci/devices/" XE_PF "/sriov_numvfs"), 0);
        CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/pci/devices/" XE_VF2));
        return t;
}

static void test_taken_vf_refused_naming_owner_and_free_vf(void) {
        struct testhost *t = xe_with_vfs();
        _cleanup_free_ char *a = vf_domain("vm-a", UUID_A, XE_VF1, NULL), *b = vf_domain("vm-b", UUID_B, XE_VF1, NULL);
        /* managed='yes': libvirt moves the VF to vfio-pci; gpuhook records the claim */
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm-a", "prepare", "begin"), 0);
        struct json_object *o = types_json(t), *vfs = NULL, *pf = first_vf_pf(o);
        CU_ASSERT_TRUE(pf && json_object_object_get_ex(pf, "vfs", &vfs) && json_object_array_length(vfs) == 7);
        if (vfs && json_object_array_length(vfs) == 7) {
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 0), "state"), "held");
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 0), "owner"), "vm-a");
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 1), "state"), "free");
                CU_ASSERT_STRING_EQUAL(str_of(json_object_array_get_idx(vfs, 3), "state"), "not-enabled");
        }
        json_object_put(o);
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "intel-sriov  -     vfio-pci  2     1"));

        int before = testhost_writes_matching(t, "/sys");
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm-b", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF " XE_VF1 " is held by domain 'vm-a'; intel-sriov VF " XE_VF2
                                              " is free (compact placement): run `gpuhookctl repick vm-b`"));
        CU_ASSERT_EQUAL(lines(t->err), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), before); /* nothing changed */

        /* a migration to this host moves vm-b to the free VF */
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm-b", "migrate", "begin"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "<address domain=\"0x0000\" bus=\"0x03\" slot=\"0x00\" function=\"0x2\"/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "address=\"" XE_VF2 "\" family=\"intel-sriov\""));
        CU_ASSERT_PTR_NULL(strstr(t->out, "function=\"0x1\""));
        _cleanup_free_ char *moved = strdup(t->out);
        CU_ASSERT_EQUAL(testhost_hook(t, moved, "vm-b", "prepare", "begin"), 0);
        /* a restore of a domain whose VF is its own: libvirt's XML kept */
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm-a", "restore", "begin"), 0);
        CU_ASSERT_STRING_EQUAL(t->out, "");

        /* the third VF is the last: a fourth domain is told there is none */
        _cleanup_free_ char *c = vf_domain("vm-c", "cccccccc-0000-4000-8000-0000000000f3", "0000:03:00.3", NULL),
                            *d = vf_domain("vm-d", "dddddddd-0000-4000-8000-0000000000f4", "0000:03:00.3", NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, c, "vm-c", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, d, "vm-d", "migrate", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF 0000:03:00.3 is held by domain 'vm-c', and no free VF of family 'intel-sriov'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "4 more only with its VFs off"));
        CU_ASSERT_STRING_EQUAL(t->out, "");
        /* and a start of it is refused the same way, in one line, before anything changes */
        int writes = testhost_writes_matching(t, "/sys");
        CU_ASSERT_EQUAL(testhost_hook(t, d, "vm-d", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF 0000:03:00.3 is held by domain 'vm-c', and no free VF of family 'intel-sriov'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "; stop a VM that uses one of them, or give the GPU more VFs"));
        CU_ASSERT_EQUAL(lines(t->err), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), writes);

        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm-a", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, moved, "vm-b", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, c, "vm-c", "release", "end"), 0);
        /* released: every VF free again */
        CU_ASSERT_EQUAL(testhost_ctl(t, 0, "types", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "intel-sriov  -     vfio-pci  3     0"));
        testhost_free(t);
}

static void test_vf_of_another_family_or_missing_hostdev_refused(void) {
        struct testhost *t = xe_with_vfs();
        _cleanup_free_ char *hd = testhost_pci_hostdev(XE_VF1, "yes");
        _cleanup_free_ char *wrong = testhost_gpuhook_domain_xml("vm-w", UUID_A, hd,
                                                                 "<gpuhook:vf address='" XE_VF1 "' family='amd-mxgpu'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, wrong, "vm-w", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "VF " XE_VF1 " is a VF of " XE_PF ", an intel-sriov GPU, not amd-mxgpu"));
        _cleanup_free_ char *nohd = testhost_gpuhook_domain_xml("vm-w", UUID_A, hd,
                                                                "<gpuhook:vf address='" XE_VF2 "' family='intel-sriov'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, nohd, "vm-w", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "<gpuhook:vf address='" XE_VF2 "'> names no <hostdev type='pci'> of this domain"));
        _cleanup_free_ char *bad = testhost_gpuhook_domain_xml("vm-w", UUID_A, hd,
                                                               "<gpuhook:vf address='" XE_VF1 "' family='intel-sriov' profile='x'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, bad, "vm-w", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "profile='x' is not key=value"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "driver_override"), 0);
        testhost_free(t);
}

CUNIT_MAIN("vf-family", T(test_types_show_xe_and_mxgpu_vfs), T(test_xml_vf_picks_a_free_vf_and_metadata_names_it),
           T(test_taken_vf_refused_naming_owner_and_free_vf), T(test_vf_of_another_family_or_missing_hostdev_refused))
