/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IBM Z through the real hook on the simulated s390 host: the vfio_ap matrix
 * from <gpuhook:ap> metadata (assigned after creation, refused before it when
 * another mdev or the host's masks hold an APQN, rolled back when the kernel
 * refuses), and the simulated AP bus itself. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DOM "e0e0e0e0-0000-4000-8000-00000000000"
#define U1 "c1c1c1c1-0000-4000-8000-000000000001"
#define U2 "c1c1c1c1-0000-4000-8000-000000000002"
#define U3 "c1c1c1c1-0000-4000-8000-000000000003"
#define AP_TYPE "vfio_ap-passthrough"

/* Domain N ("vm1") with one vfio-ap mdev UUID whose <gpuhook:mdev> has AP. */
static char *ap_vm(const char *n, const char *uuid, const char *type, const char *model, const char *ap) {
        _cleanup_free_ char *dom_uuid = strdup_printf(DOM "%c", n[strlen(n) - 1]);
        _cleanup_free_ char *h = testhost_mdev_hostdev(uuid, model);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:mdev uuid='%s' type='%s'>%s</gpuhook:mdev>", uuid, type, ap);
        return testhost_gpuhook_domain_xml(n, dom_uuid, h, meta);
}

static size_t lines(const char *s) {
        size_t n = 0;
        for (; s && *s; s++)
                n += *s == '\n';
        return n;
}

static void test_ap_matrix_assigned_then_released_with_the_mdev(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *xml = ap_vm("vm1", U1, AP_TYPE, "vfio-ap",
                                         "<gpuhook:ap adapter='0x05' domain='0x0004'/>"
                                         "<gpuhook:ap adapter='6' domain='4'/>"
                                         "<gpuhook:ap control-domain='0x0047'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *m = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/matrix");
        _cleanup_free_ char *c = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/control_domains");
        CU_ASSERT_STRING_EQUAL(m ? m : "", "05.0004\n06.0004");
        CU_ASSERT_STRING_EQUAL(c ? c : "", "0047");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_adapter \"0x5\\n\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_domain \"0x4\\n\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_control_domain \"0x47\\n\" 0"), 1);
        /* removing the mdev releases its matrix: nothing else to undo */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "unassign_"), 0);
        /* the same APQNs are free again for the next domain */
        _cleanup_free_ char *again = ap_vm("vm2", U2, AP_TYPE, "vfio-ap", "<gpuhook:ap adapters='5,6' domains='4'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, again, "vm2", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, again, "vm2", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_ap_apqn_held_by_another_mdev_refused_before_creating(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *a = ap_vm("vm1", U1, AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='5' domain='4'/>");
        _cleanup_free_ char *b = ap_vm("vm2", U2, AP_TYPE, "vfio-ap",
                                       "<gpuhook:ap adapters='5,6' domains='0x04'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, a, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, b, "vm2", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "mdev " U2 ": APQN 05.0004 is in the matrix of vfio_ap mdev " U1
                                              ", which gpuhook made for domain 'vm1'; stop that domain"));
        CU_ASSERT_EQUAL(lines(t->err), 1);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U2));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, U2), 0); /* not even a create */

        /* one made by hand (mdevctl, a script): named as not gpuhook's */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "echo %s > /sys/devices/vfio_ap/matrix/mdev_supported_types/" AP_TYPE "/create && "
                                    "d=/sys/devices/vfio_ap/matrix/%s && echo 6 > $d/assign_adapter && echo 0x47 > $d/assign_domain",
                                    U3, U3),
                        0);
        _cleanup_free_ char *c = ap_vm("vm3", U2, AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='6' domain='0x47'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, c, "vm3", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "APQN 06.0047 is in the matrix of vfio_ap mdev " U3 " (not gpuhook's"));
        /* an adapter alone shares nothing: 05 with domain 0x47 is free */
        _cleanup_free_ char *d = ap_vm("vm4", U2, AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='5' domain='0x47'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, d, "vm4", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        testhost_free(t);
}

static void test_ap_apqn_kept_by_host_masks_refused_with_the_fix(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *xml = ap_vm("vm1", U1, AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='0x07' domain='0x0005'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "APQN 07.0005 is kept for the host's crypto drivers (adapter 0x07 in /sys/bus/ap/apmask and domain 0x0005 in aqmask)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "`echo -0x07 > /sys/bus/ap/apmask`"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        /* the fix it names works */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo -0x07 > /sys/bus/ap/apmask"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        _cleanup_free_ char *m = testhost_read(t, "/sys/bus/mdev/devices/" U1 "/matrix");
        CU_ASSERT_STRING_EQUAL(m ? m : "", "07.0005");
        testhost_free(t);
}

static void test_ap_bad_metadata_refused(void) {
        struct testhost *t = testhost_new_with("s390", "# gpuhook-sim: * ap-max-adapter=15");
        static const struct {
                const char *type, *model, *ap, *msg;
        } cases[] = {
                { AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='999' domain='4'/>",
                  "<gpuhook:ap adapter='999'> is not a number 0-255" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap adapters='5,x' domain='4'/>",
                  "<gpuhook:ap adapters='5,x'> is not a comma-separated list of numbers 0-255" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='5,6' domain='4'/>", "<gpuhook:ap adapter='5,6'> is not a number" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap card='5'/>", "<gpuhook:ap> has unknown attribute 'card'" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap/>", "<gpuhook:ap/> names nothing" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='5' domain='4'/><gpuhook:ap adapter='6' domain='0x47'/>",
                  "also give it APQN 05.0047" },
                { AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='0x1f' domain='4'/>",
                  "adapter 0x1f is above this machine's highest, 0x0f (/sys/bus/ap/ap_max_adapter_id)" },
                { "vfio_ccw-io", "vfio-ccw", "<gpuhook:ap adapter='5' domain='4'/>",
                  "<gpuhook:ap> is only for vfio_ap-passthrough mdevs, not for type vfio_ccw-io on 0.0.0313" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = ap_vm("vm1", U1, cases[i].type, cases[i].model, cases[i].ap);
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
                if (!strstr(t->err, cases[i].msg))
                        fprintf(stderr, "case %zu: expected '%s', got: %s\n", i, cases[i].msg, t->err);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, cases[i].msg));
                CU_ASSERT_EQUAL(lines(t->err), 1);
        }
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

static void test_ap_kernel_refusal_rolls_back_in_one_line(void) {
        struct testhost *t = testhost_new_with("s390", "# gpuhook-sim: * ap-assign-errno=EBUSY");
        _cleanup_free_ char *xml = ap_vm("vm1", U1, AP_TYPE, "vfio-ap", "<gpuhook:ap adapter='5' domain='4'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot assign adapter 0x05 to vfio_ap mdev " U1
                                              ": another vfio_ap mdev holds one of its APQNs"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "(Device or resource busy)"));
        CU_ASSERT_EQUAL(lines(t->err), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_adapter \"0x5\\n\" EBUSY"), 1);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1)); /* the new mdev was removed */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, U1 "/remove \"1"), 1);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM "1.xml");
        CU_ASSERT_FALSE(access(ledger, F_OK) == 0);
        testhost_free(t);
}

/* The simulated kernel itself: vfio_ap_mdev_validate_masks(), the ENODEV
 * range check, apmask_commit()'s refusal and both mask syntaxes. An APQN is
 * the host's only when its adapter AND its domain are in the masks. */
static void test_sim_ap_bus_follows_the_kernel(void) {
        struct testhost *t = testhost_new("s390");
        const char *d = "/sys/devices/vfio_ap/matrix/" U1;
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo %s > /sys/devices/vfio_ap/matrix/mdev_supported_types/" AP_TYPE "/create", U1), 0);
        /* 07.0005: adapter 7 and domain 5 both still the host's */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 7 > %s/assign_adapter && echo 5 > %s/assign_domain", d, d), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_domain \"5\\n\" EADDRNOTAVAIL"), 1);
        /* 07.0004 is vfio_ap's: domain 4 is out of aqmask */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 4 > %s/assign_domain", d), 0);
        _cleanup_free_ char *m = testhost_read(t, "/sys/devices/vfio_ap/matrix/" U1 "/matrix");
        CU_ASSERT_STRING_EQUAL(m ? m : "", "07.0004");
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 256 > %s/assign_adapter", d), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "assign_adapter \"256\\n\" ENODEV"), 1);
        /* giving domain 4 back to the host would take 07.0004 from the mdev */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo +4 > /sys/bus/ap/aqmask"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "aqmask \"+4\\n\" EADDRINUSE"), 1);
        _cleanup_free_ char *aq = testhost_read(t, "/sys/bus/ap/aqmask");
        CU_ASSERT_STRING_EQUAL(aq ? aq : "", "0xf7fffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffff");
        /* absolute: adapters 4-7 the host's, the others vfio_ap's */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 0x0f > /sys/bus/ap/apmask"), 0);
        _cleanup_free_ char *ap = testhost_read(t, "/sys/bus/ap/apmask");
        CU_ASSERT_STRING_EQUAL(ap ? ap : "", "0x0f00000000000000000000000000000000000000000000000000000000000000");
        testhost_free(t);
}

static void test_check_s390_section(void) {
        struct testhost *t = testhost_new("s390");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "IBM Z (s390)\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ vfio_ap: loaded, matrix device /sys/devices/vfio_ap/matrix"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ AP masks: 2 of 256 adapters and 2 of 256 domains are out of the host's masks"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "✓ vfio_ccw: loaded"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "• vfio_ccw: 1 subchannel bound (0.0.0313)"));
        testhost_free(t);

        /* nothing given to vfio_ap, and neither module loaded */
        t = testhost_new_with("s390", "# gpuhook-sim: * ap-apmask=+0-255 ap-aqmask=+0-255 ap-max-adapter=63 ap-max-domain=84");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "! AP masks: every adapter and domain is kept for the host's crypto drivers"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "fix: `echo -N > /sys/bus/ap/apmask` (adapter N)"));
        _cleanup_free_ char *rm = strdup_printf("rm -rf %s/sys/devices/vfio_ap %s/sys/bus/css/drivers/vfio_ccw", t->dir, t->dir);
        CU_ASSERT_EQUAL(system(rm), 0);
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "! vfio_ap: not loaded, no crypto adapter can go to a guest\n      fix: `modprobe vfio_ap`"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "! vfio_ccw: not loaded, no I/O subchannel can go to a guest\n      fix: `modprobe vfio_ccw`"));
        testhost_free(t);

        /* not an IBM Z: no such section */
        t = testhost_new("mtty");
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NULL(strstr(t->out, "IBM Z"));
        testhost_free(t);
}

/* Domain N with one vfio-ccw mdev UUID on subchannel SCH, plus EXTRA metadata. */
static char *ccw_vm(const char *n, const char *uuid, const char *sch, const char *extra_dev, const char *extra_meta) {
        _cleanup_free_ char *dom_uuid = strdup_printf(DOM "%c", n[strlen(n) - 1]);
        _cleanup_free_ char *h = testhost_mdev_hostdev(uuid, "vfio-ccw");
        _cleanup_free_ char *devs = strdup_printf("%s%s", h, extra_dev ? extra_dev : "");
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:mdev uuid='%s' type='vfio_ccw-io' parent='%s'/>%s", uuid, sch,
                                                  extra_meta ? extra_meta : "");
        return testhost_gpuhook_domain_xml(n, dom_uuid, devs, meta);
}

static char *css_driver(struct testhost *t, const char *sch) {
        _cleanup_free_ char *path = strdup_printf("%s/sys/bus/css/devices/%s/driver", t->dir, sch);
        char buf[256];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        if (n <= 0)
                return strdup("");
        buf[n] = 0;
        return strdup(strrchr(buf, '/') + 1);
}

static void test_ccw_subchannel_bound_just_in_time_and_given_back(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *xml = ccw_vm("vm1", U1, "0.0.0314", NULL, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "%s\n", t->err);
        _cleanup_free_ char *drv = css_driver(t, "0.0.0314"), *parent = testhost_mdev_parent(t, U1);
        CU_ASSERT_STRING_EQUAL(drv, "vfio_ccw");
        CU_ASSERT_STRING_EQUAL(parent, "0.0.0314");
        _cleanup_free_ char *ov = testhost_read(t, "/sys/bus/css/devices/0.0.0314/driver_override");
        CU_ASSERT_STRING_EQUAL(ov ? ov : "", "vfio_ccw");
        /* written ahead, with the driver to go back to */
        _cleanup_free_ char *lpath = testhost_state_path(t, "domains/" DOM "1.xml"), *ledger = NULL;
        CU_ASSERT_EQUAL(read_text_file(lpath, 1 << 20, &ledger), 0);
        CU_ASSERT_PTR_NOT_NULL(ledger ? strstr(ledger, "<ccw subchannel=\"0.0.0314\" driver=\"io_subchannel\" override=\"\" set-override=\"vfio_ccw\" state=\"done\"") : NULL);
        /* the sequence of vfio-ccw.rst, with the override */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "0.0.0314/driver_override \"vfio_ccw\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys/bus/css/drivers/io_subchannel/unbind \"0.0.0314\" 0"), 1);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
        free(drv);
        drv = css_driver(t, "0.0.0314");
        CU_ASSERT_STRING_EQUAL(drv, "io_subchannel");
        free(ov);
        ov = testhost_read(t, "/sys/bus/css/devices/0.0.0314/driver_override");
        CU_ASSERT_STRING_EQUAL(ov ? ov : "", "(null)");
        CU_ASSERT_FALSE(testhost_exists(t, "/sys/class/mdev_bus/0.0.0314"));
        /* a subchannel already on vfio_ccw is the host's: used, never moved */
        _cleanup_free_ char *kept = ccw_vm("vm2", U2, "0.0.0313", NULL, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, kept, "vm2", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, kept, "vm2", "release", "end"), 0);
        free(drv);
        drv = css_driver(t, "0.0.0313");
        CU_ASSERT_STRING_EQUAL(drv, "vfio_ccw");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "0.0.0313/driver_override"), 0);
        testhost_free(t);
}

static void test_ccw_online_device_refused(void) {
        struct testhost *t = testhost_new("s390");
        _cleanup_free_ char *xml = ccw_vm("vm1", U1, "0.0.0315", NULL, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "subchannel 0.0.0315: its device 0.0.2b0a is online on this host; set it offline with `chccwdev -d 0.0.2b0a`"));
        CU_ASSERT_EQUAL(lines(t->err), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        _cleanup_free_ char *drv = css_driver(t, "0.0.0315");
        CU_ASSERT_STRING_EQUAL(drv, "io_subchannel");
        testhost_free(t);
}

static void test_ccw_rollback_and_moved_subchannel_left_alone(void) {
        struct testhost *t = testhost_new("s390");
        /* the AP mdev after it cannot be made: the subchannel goes back */
        _cleanup_free_ char *ap = testhost_mdev_hostdev(U2, "vfio-ap");
        _cleanup_free_ char *xml = ccw_vm("vm1", U1, "0.0.0314", ap,
                                          "<gpuhook:mdev uuid='" U2 "' type='" AP_TYPE "'><gpuhook:ap adapter='7' domain='5'/></gpuhook:mdev>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "APQN 07.0005 is kept for the host's crypto drivers"));
        _cleanup_free_ char *drv = css_driver(t, "0.0.0314");
        CU_ASSERT_STRING_EQUAL(drv, "io_subchannel");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys/bus/css/drivers/vfio_ccw/unbind \"0.0.0314\" 0"), 1);

        /* moved by the admin after prepare: release leaves it where it is */
        _cleanup_free_ char *plain = ccw_vm("vm1", U1, "0.0.0314", NULL, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, plain, "vm1", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "echo 1 > /sys/bus/mdev/devices/%s/remove && d=/sys/bus/css/devices/0.0.0314 && "
                                             "echo io_subchannel > $d/driver_override && echo 0.0.0314 > /sys/bus/css/drivers/vfio_ccw/unbind && "
                                             "echo 0.0.0314 > /sys/bus/css/drivers_probe",
                                    U1),
                        0);
        CU_ASSERT_EQUAL(testhost_hook(t, plain, "vm1", "release", "end"), 0);
        _cleanup_free_ char *ov = testhost_read(t, "/sys/bus/css/devices/0.0.0314/driver_override");
        CU_ASSERT_STRING_EQUAL(ov ? ov : "", "io_subchannel"); /* not touched */
        testhost_free(t);
}

/* A prepare killed at any point of the binding: release gives the subchannel back. */
static void test_ccw_killed_prepare_released(void) {
        static const char *const steps[] = { "ccw-recorded", "ccw-bound", "mdev-recorded", "mdev-created" };
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                struct testhost *t = testhost_new("s390");
                _cleanup_free_ char *xml = ccw_vm("vm1", U1, "0.0.0314", NULL, NULL);
                _cleanup_free_ char *cmd = strdup_printf("GPUHOOK_FAULT_KILL_AT=%s exec %s/hooks/gpuhook vm1 prepare begin -", steps[i],
                                                         testhost_build_root());
                const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
                CU_ASSERT_NOT_EQUAL(testhost_run(t, xml, argv), 0);
                CU_ASSERT_EQUAL(testhost_ctl(t, 0, "status", NULL), 0);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "rebind the subchannel to io_subchannel"));
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "vm1", "release", "end"), 0);
                if (t->status)
                        fprintf(stderr, "release after kill at %s: %s\n", steps[i], t->err);
                _cleanup_free_ char *drv = css_driver(t, "0.0.0314");
                _cleanup_free_ char *ov = testhost_read(t, "/sys/bus/css/devices/0.0.0314/driver_override");
                CU_ASSERT_STRING_EQUAL(drv, "io_subchannel");
                CU_ASSERT_STRING_EQUAL(ov ? ov : "", "(null)");
                CU_ASSERT_FALSE(testhost_mdev_present(t, U1));
                testhost_free(t);
        }
}

CUNIT_MAIN("s390",
           T(test_ap_matrix_assigned_then_released_with_the_mdev),
           T(test_ap_apqn_held_by_another_mdev_refused_before_creating),
           T(test_ap_apqn_kept_by_host_masks_refused_with_the_fix),
           T(test_ap_bad_metadata_refused),
           T(test_ap_kernel_refusal_rolls_back_in_one_line),
           T(test_sim_ap_bus_follows_the_kernel),
           T(test_check_s390_section),
           T(test_ccw_subchannel_bound_just_in_time_and_given_back),
           T(test_ccw_online_device_refused),
           T(test_ccw_rollback_and_moved_subchannel_left_alone),
           T(test_ccw_killed_prepare_released))
