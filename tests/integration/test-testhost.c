/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The testhost helpers themselves, on the server-mixed host:
 * testhost_writes_outside() counts exactly the writes that touched a PCI
 * function outside the allowed list. The writes are made by dash inside the
 * host, not by gpuhook, so these tests do not depend on the hook. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DEVS "/sys/bus/pci/devices/"

static void test_writes_outside_none(void) {
        struct testhost *t = testhost_new("server-mixed");
        const char *const allowed[] = { "0000:31:00.0", "0000:31:00.1", NULL };
        char *first = (char *)"unset";
        CU_ASSERT_EQUAL(testhost_writes_outside(t, allowed, &first), 0); /* empty log */
        CU_ASSERT_PTR_NULL(first);
        /* libvirt's sequence on both functions of one A4000, and a console write */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "set -e; for f in 0 1; do d=" DEVS "0000:31:00.$f; "
                                    "printf vfio-pci > $d/driver_override; "
                                    "printf 0000:31:00.$f > $d/driver/unbind; "
                                    "printf '0000:31:00.%%s\\n' $f > /sys/bus/pci/drivers_probe; done; "
                                    "printf 0 > /sys/class/vtconsole/vtcon1/bind"),
                        0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:31:00."), 6);
        CU_ASSERT_EQUAL(testhost_writes_outside(t, allowed, &first), 0);
        CU_ASSERT_PTR_NULL(first);
        /* without the domain */
        const char *const short_form[] = { "31:00.0", "31:00.1", NULL };
        CU_ASSERT_EQUAL(testhost_writes_outside(t, short_form, NULL), 0);
        /* nothing allowed: all six count, the console write does not */
        const char *const none[] = { NULL };
        CU_ASSERT_EQUAL(testhost_writes_outside(t, none, &first), 6);
        CU_ASSERT_PTR_NOT_NULL(first);
        CU_ASSERT_PTR_NOT_NULL(first ? strstr(first, "/0000:31:00.0/driver_override \"vfio-pci\" 0") : NULL);
        free(first);
        CU_ASSERT_EQUAL(testhost_writes_outside(t, NULL, NULL), 6);
        testhost_free(t);
}

static void test_writes_outside_counts_others(void) {
        struct testhost *t = testhost_new("server-mixed");
        const char *const allowed[] = { "0000:31:00.0", "0000:31:00.1", NULL };
        /* the other A4000's audio by bind content, the NIC PF's VF count by path
         * (a failed write counts), an L40S VF's vGPU type, an mdev-style file
         * under a function, a platform device and new_id (neither counts) */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "printf 0000:b1:00.1 > /sys/bus/pci/drivers/snd_hda_intel/unbind; "
                                    "printf 8 > " DEVS "0000:17:00.0/sriov_numvfs; "
                                    "printf 1150 > " DEVS "0000:ca:00.4/nvidia/current_vgpu_type; "
                                    "printf efi-framebuffer.0 > /sys/bus/platform/drivers/efi-framebuffer/unbind; "
                                    "printf '10de 24b0' > /sys/bus/pci/drivers/vfio-pci/new_id; "
                                    "printf 0000:31:00.1 > /sys/bus/pci/drivers/snd_hda_intel/unbind; true"),
                        0);
        char *first = NULL;
        CU_ASSERT_EQUAL(testhost_writes_outside(t, allowed, &first), 3);
        CU_ASSERT_PTR_NOT_NULL(first ? strstr(first, "/sys/bus/pci/drivers/snd_hda_intel/unbind \"0000:b1:00.1\" 0")
                                     : NULL);
        free(first);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:17:00.0/sriov_numvfs \"8\" EBUSY"), 1);
        /* allowing them leaves nothing (case does not matter) */
        const char *const all[] = { "0000:31:00.0", "0000:31:00.1", "0000:B1:00.1", "0000:17:00.0", "0000:CA:00.4",
                                    NULL };
        CU_ASSERT_EQUAL(testhost_writes_outside(t, all, NULL), 0);
        testhost_free(t);
}

CUNIT_MAIN("testhost", T(test_writes_outside_none), T(test_writes_outside_counts_others))
