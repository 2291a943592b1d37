/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI passthrough just in time, through the real hook on simulated hosts:
 * whole IOMMU groups, companions, the boot console, holders, and every
 * original driver given back. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cunit-run.h"
#include "ledger.h"
#include "testhost.h"
#include "util.h"

#define DOM_UUID "6b0c3b2e-9a1d-4c7e-8f00-1d2e3f4a5b6c"
#define RTX "0000:01:00.0"
#define RTX_AUDIO "0000:01:00.1"
#define RTX_USB "0000:01:00.2"
#define RTX_UCSI "0000:01:00.3"
#define IGPU "0000:00:02.0"

static const struct {
        const char *bdf, *driver;
} rtx_functions[] = {
        { RTX, "nvidia" },
        { RTX_AUDIO, "snd_hda_intel" },
        { RTX_USB, "xhci_hcd" },
        { RTX_UCSI, "nvidia-gpu" },
};

static char *domain(const char *devices, const char *meta_inner) {
        _cleanup_free_ char *meta = meta_inner ? strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", meta_inner) : NULL;
        return testhost_domain_xml("pcivm", DOM_UUID, devices, meta);
}

static void assert_driver(struct testhost *t, const char *bdf, const char *want, int line) {
        _cleanup_free_ char *drv = testhost_pci_driver(t, bdf);
        if (!streq(drv, want))
                fprintf(stderr, "line %d: %s is on '%s', expected '%s'\n", line, bdf, drv, want);
        CU_ASSERT_STRING_EQUAL(drv, want);
}
#define ASSERT_DRIVER(t, bdf, want) assert_driver(t, bdf, want, __LINE__)

static void assert_override_unset(struct testhost *t, const char *bdf) {
        _cleanup_free_ char *p = strdup_printf("/sys/bus/pci/devices/%s/driver_override", bdf), *v = testhost_read(t, p);
        CU_ASSERT_STRING_EQUAL(v ? v : "", "(null)");
}

static bool ledger_exists(struct testhost *t) {
        _cleanup_free_ char *p = testhost_state_path(t, "domains/" DOM_UUID ".xml");
        return access(p, F_OK) == 0;
}

static void test_whole_group_to_vfio_and_back(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no"), *xml = domain(dev, NULL);

        for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++)
                ASSERT_DRIVER(t, rtx_functions[i].bdf, rtx_functions[i].driver);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "prepare: %s\n", t->err);
        CU_ASSERT_STRING_EQUAL(t->out, "");
        /* VGA, audio, USB and UCSI all on vfio-pci: the group is viable */
        for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++)
                ASSERT_DRIVER(t, rtx_functions[i].bdf, "vfio-pci");
        CU_ASSERT_TRUE(testhost_exists(t, "/dev/vfio/1"));
        ASSERT_DRIVER(t, IGPU, "i915"); /* the console GPU is untouched */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "vtconsole"), 0);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "stopped", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        if (t->status)
                fprintf(stderr, "release: %s\n", t->err);
        for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++) {
                ASSERT_DRIVER(t, rtx_functions[i].bdf, rtx_functions[i].driver);
                assert_override_unset(t, rtx_functions[i].bdf);
        }
        CU_ASSERT_FALSE(testhost_exists(t, "/dev/vfio/1"));
        CU_ASSERT_FALSE(ledger_exists(t));
        testhost_free(t);
}

static void test_managed_yes_stays_libvirts(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "yes"), *xml = domain(dev, NULL);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        ASSERT_DRIVER(t, RTX, "nvidia"); /* libvirt detaches it after prepare */
        ASSERT_DRIVER(t, RTX_AUDIO, "vfio-pci");
        ASSERT_DRIVER(t, RTX_USB, "vfio-pci");
        ASSERT_DRIVER(t, RTX_UCSI, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, RTX "/driver_override"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++)
                ASSERT_DRIVER(t, rtx_functions[i].bdf, rtx_functions[i].driver);
        testhost_free(t);
}

/* libvirt's side of a managed='yes' hostdev, done by hand: its detach
 * (virPCIDeviceBindWithDriverOverride: driver_override, unbind, probe) and,
 * when REATTACH, its reattach (override cleared, reprobe). libvirt 9.0
 * skips the reattach of a function it once found on vfio-pci for a
 * managed='no' domain (docs/pci-passthrough.md); release then gives the
 * function back itself, and changes nothing when libvirt did. */
static void libvirt_detach(struct testhost *t, const char *bdf) {
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "d=/sys/bus/pci/devices/%s; printf vfio-pci > $d/driver_override; "
                                    "printf %s > $d/driver/unbind; printf %s > /sys/bus/pci/drivers_probe",
                                    bdf, bdf, bdf),
                        0);
}

static void libvirt_reattach(struct testhost *t, const char *bdf) {
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "d=/sys/bus/pci/devices/%s; printf %s > $d/driver/unbind; "
                                    "printf '\\n' > $d/driver_override; printf %s > /sys/bus/pci/drivers_probe",
                                    bdf, bdf, bdf),
                        0);
}

static void test_managed_yes_given_back_when_libvirt_does_not(void) {
        for (int reattach = 0; reattach < 2; reattach++) {
                struct testhost *t = testhost_new("desktop-rtx");
                _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "yes"), *xml = domain(dev, NULL);

                CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
                libvirt_detach(t, RTX);
                ASSERT_DRIVER(t, RTX, "vfio-pci");
                if (reattach) {
                        libvirt_reattach(t, RTX);
                        ASSERT_DRIVER(t, RTX, "nvidia");
                }
                int before = testhost_writes_matching(t, RTX "/");
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
                if (t->status)
                        fprintf(stderr, "release: %s\n", t->err);
                for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++) {
                        ASSERT_DRIVER(t, rtx_functions[i].bdf, rtx_functions[i].driver);
                        assert_override_unset(t, rtx_functions[i].bdf);
                }
                if (reattach) /* libvirt gave it back: gpuhook writes nothing to it */
                        CU_ASSERT_EQUAL(testhost_writes_matching(t, RTX "/"), before);
                CU_ASSERT_FALSE(ledger_exists(t));
                testhost_free(t);
        }
}

static void test_no_acs_group_refused_then_allowed(void) {
        struct testhost *t = testhost_new("noacs");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:01:00.0", "no"), *xml = domain(dev, NULL);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "IOMMU group 12"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "0000:02:00.0 (Non-Volatile memory controller [0108], driver nvme)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "<gpuhook:pci address='0000:02:00.0' allow='yes'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "allow_devices = 0000:02:00.0"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        ASSERT_DRIVER(t, "0000:02:00.0", "nvme");

        _cleanup_free_ char *allowed = domain(dev, "<gpuhook:pci address='0000:02:00.0' allow='yes'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, allowed, "pcivm", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "prepare (allowed): %s\n", t->err);
        ASSERT_DRIVER(t, "0000:01:00.0", "vfio-pci");
        ASSERT_DRIVER(t, "0000:01:00.1", "vfio-pci");
        ASSERT_DRIVER(t, "0000:02:00.0", "vfio-pci");
        ASSERT_DRIVER(t, "0000:00:1c.0", "pcieport"); /* bridges are exempt */
        CU_ASSERT_EQUAL(testhost_hook(t, allowed, "pcivm", "release", "end"), 0);
        ASSERT_DRIVER(t, "0000:02:00.0", "nvme");
        ASSERT_DRIVER(t, "0000:01:00.0", "nvidia");
        testhost_free(t);
}

static void test_allow_devices_in_config(void) {
        struct testhost *t = testhost_new("noacs");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:01:00.0", "no"), *xml = domain(dev, NULL);
        testhost_config(t, "allow_devices = 0000:02:00.0\n");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        ASSERT_DRIVER(t, "0000:02:00.0", "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        ASSERT_DRIVER(t, "0000:02:00.0", "nvme");
        testhost_free(t);
}

static void test_boot_console_refused_then_released_and_restored(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(IGPU, "no"), *xml = domain(dev, NULL);

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, IGPU " drives the host's boot console"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "allow-boot-console='yes'"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);

        _cleanup_free_ char *allowed = domain(dev, "<gpuhook:pci address='" IGPU "' allow-boot-console='yes'/>");
        CU_ASSERT_EQUAL(testhost_hook(t, allowed, "pcivm", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "prepare (console): %s\n", t->err);
        ASSERT_DRIVER(t, IGPU, "vfio-pci");
        _cleanup_free_ char *vt = testhost_read(t, "/sys/class/vtconsole/vtcon1/bind");
        CU_ASSERT_STRING_EQUAL(vt ? vt : "", "0");
        CU_ASSERT_FALSE(testhost_exists(t, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
        _cleanup_free_ char *dummy = testhost_read(t, "/sys/class/vtconsole/vtcon0/bind");
        CU_ASSERT_STRING_EQUAL(dummy ? dummy : "", "1"); /* the dummy console is never touched */

        CU_ASSERT_EQUAL(testhost_hook(t, allowed, "pcivm", "release", "end"), 0);
        ASSERT_DRIVER(t, IGPU, "i915");
        _cleanup_free_ char *vt2 = testhost_read(t, "/sys/class/vtconsole/vtcon1/bind");
        CU_ASSERT_STRING_EQUAL(vt2 ? vt2 : "", "1");
        CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
        testhost_free(t);
}

/* A systemctl stand-in first in the sim's PATH (test builds look helpers up
 * there first): display-manager.service is active while .sim/dm-active
 * exists; every call is logged to .sim/systemctl.log. */
static void fake_systemctl(struct testhost *t, bool active) {
        _cleanup_free_ char *bin = strdup_printf("%s/.sim/bin/systemctl", t->dir),
                            *flag = strdup_printf("%s/.sim/dm-active", t->dir);
        FILE *f = fopen(bin, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fprintf(f, "#!/bin/sh\n"
                   "d=%s/.sim\n"
                   "echo \"$*\" >> $d/systemctl.log\n"
                   "case \"$1 $3\" in\n"
                   "'is-active display-manager.service') [ -e $d/dm-active ] ;;\n"
                   "'stop display-manager.service') rm -f $d/dm-active ;;\n"
                   "'start display-manager.service') : > $d/dm-active ;;\n"
                   "*) exit 5 ;;\n"
                   "esac\n",
                t->dir);
        fclose(f);
        CU_ASSERT_EQUAL(chmod(bin, 0755), 0);
        if (active)
                CU_ASSERT_EQUAL(close(open(flag, O_CREAT | O_WRONLY, 0644)), 0);
}

static char *systemctl_log(struct testhost *t) {
        _cleanup_free_ char *p = strdup_printf("%s/.sim/systemctl.log", t->dir);
        char *text = NULL;
        return read_text_file(p, 4096, &text) < 0 ? strdup("") : text;
}

/* Single-GPU passthrough: the only GPU drives the console. With
 * stop_display_manager = yes the display manager is stopped first, the
 * consoles let go, the GPU goes to vfio-pci; release gives all of it back,
 * the display manager last. Without the key, systemctl is never run. */
static void test_single_gpu_stops_and_restarts_display_manager(void) {
        for (int stop = 0; stop < 2; stop++) {
                struct testhost *t = testhost_new("desktop-rtx");
                _cleanup_free_ char *dev = testhost_pci_hostdev(IGPU, "no"),
                                    *xml = domain(dev, "<gpuhook:pci address='" IGPU "' allow-boot-console='yes'/>");
                fake_systemctl(t, true);
                if (stop)
                        testhost_config(t, "stop_display_manager = yes\n");

                CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
                if (t->status)
                        fprintf(stderr, "prepare (single GPU): %s\n", t->err);
                ASSERT_DRIVER(t, IGPU, "vfio-pci");
                _cleanup_free_ char *vt = testhost_read(t, "/sys/class/vtconsole/vtcon1/bind");
                CU_ASSERT_STRING_EQUAL(vt ? vt : "", "0");
                _cleanup_free_ char *log1 = systemctl_log(t);
                CU_ASSERT_STRING_EQUAL(log1, stop ? "is-active --quiet display-manager.service\n"
                                                    "stop --quiet display-manager.service"
                                                  : "");

                CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
                ASSERT_DRIVER(t, IGPU, "i915");
                _cleanup_free_ char *vt2 = testhost_read(t, "/sys/class/vtconsole/vtcon1/bind");
                CU_ASSERT_STRING_EQUAL(vt2 ? vt2 : "", "1");
                CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
                _cleanup_free_ char *log2 = systemctl_log(t);
                CU_ASSERT_STRING_EQUAL(log2, stop ? "is-active --quiet display-manager.service\n"
                                                    "stop --quiet display-manager.service\n"
                                                    "start --quiet display-manager.service"
                                                  : "");
                CU_ASSERT_FALSE(ledger_exists(t));
                testhost_free(t);
        }
}

static void test_device_in_use_refused_with_holders(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no"), *xml = domain(dev, NULL);
        _cleanup_free_ char *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());
        /* A "display server" holds the RTX's DRM node while the VM starts. */
        _cleanup_free_ char *cmd = strdup_printf("sleep 30 3</dev/dri/card1 & holder=$!; sleep 0.3; "
                                                 "%s pcivm prepare begin -; rc=$?; kill $holder; exit $rc",
                                                 hook);
        const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
        CU_ASSERT_EQUAL(testhost_run(t, xml, argv), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot detach " RTX " from nvidia: its device nodes are open in"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "(sleep)"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        ASSERT_DRIVER(t, RTX, "nvidia");
        testhost_free(t);
}

static void test_sigkill_midway_then_release_restores(void) {
        static const char *const steps[] = { "pci-recorded", "pci-bound" };
        for (size_t s = 0; s < ELEMENTSOF(steps); s++) {
                struct testhost *t = testhost_new("desktop-rtx");
                _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no"), *xml = domain(dev, NULL);
                _cleanup_free_ char *cmd = strdup_printf("GPUHOOK_FAULT_KILL_AT=%s exec %s/hooks/gpuhook pcivm prepare begin -",
                                                         steps[s], testhost_build_root());
                const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
                CU_ASSERT_NOT_EQUAL(testhost_run(t, xml, argv), 0);
                CU_ASSERT_TRUE(ledger_exists(t));
                CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
                if (t->status)
                        fprintf(stderr, "release after kill at %s: %s\n", steps[s], t->err);
                for (size_t i = 0; i < ELEMENTSOF(rtx_functions); i++)
                        ASSERT_DRIVER(t, rtx_functions[i].bdf, rtx_functions[i].driver);
                CU_ASSERT_FALSE(ledger_exists(t));
                testhost_free(t);
        }
}

static void test_failed_rebind_left_on_vfio_and_kept(void) {
        struct testhost *t = testhost_new_with("desktop-rtx", "# gpuhook-sim: " RTX_AUDIO " rebind-fails=yes");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no"), *xml = domain(dev, NULL);
        testhost_config(t, "bind_timeout = 1\n");

        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, RTX_AUDIO " did not return to snd_hda_intel and was put back on vfio-pci"));
        ASSERT_DRIVER(t, RTX_AUDIO, "vfio-pci"); /* never left unbound */
        ASSERT_DRIVER(t, RTX, "nvidia");
        ASSERT_DRIVER(t, RTX_USB, "xhci_hcd");
        CU_ASSERT_TRUE(ledger_exists(t)); /* kept for the next release or reconcile */
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/" DOM_UUID ".xml"), *text = NULL;
        CU_ASSERT_EQUAL(read_text_file(ledger, 65536, &text), 0);
        CU_ASSERT_PTR_NOT_NULL(text && strstr(text, RTX_AUDIO));
        CU_ASSERT_PTR_NULL(text && strstr(text, "address=\"" RTX "\""));
        testhost_free(t);
}

static void test_stuck_unbind_is_bounded(void) {
        struct testhost *t = testhost_new_with("desktop-rtx", "# gpuhook-sim: " RTX_USB " unbind-hangs=20");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no"), *xml = domain(dev, NULL);
        testhost_config(t, "bind_timeout = 1\n");
        uint64_t start = now_usec();
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 1);
        CU_ASSERT_TRUE(now_usec() - start < 15u * 1000000u); /* bounded: not the driver's 20 s */
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, RTX_USB ": unbind from its driver did not finish within 1s"));
        testhost_free(t);
}

static void test_vfio_pci_loaded_on_demand(void) {
        struct testhost *t = testhost_new_with("datacenter-a100", "# gpuhook-sim: * vfio-pci-loaded=no");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:41:00.0", "no"), *xml = domain(dev, NULL);
        CU_ASSERT_FALSE(testhost_exists(t, "/sys/bus/pci/drivers/vfio-pci"));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "prepare: %s\n", t->err);
        CU_ASSERT_TRUE(testhost_exists(t, "/sys/bus/pci/drivers/vfio-pci"));
        ASSERT_DRIVER(t, "0000:41:00.0", "vfio-pci");
        CU_ASSERT_TRUE(testhost_exists(t, "/dev/vfio/66"));
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        ASSERT_DRIVER(t, "0000:41:00.0", "nvidia");
        testhost_free(t);
}

static void test_prepare_twice_is_idempotent(void) {
        struct testhost *t = testhost_new("datacenter-a100");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:41:00.0", "no"), *xml = domain(dev, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:41:00.0/driver_override \"vfio-pci\""), 1);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        ASSERT_DRIVER(t, "0000:41:00.0", "nvidia");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        testhost_free(t);
}

static void test_missing_device_and_no_iommu_messages(void) {
        struct testhost *t = testhost_new("datacenter-a100");
        _cleanup_free_ char *dev = testhost_pci_hostdev("0000:99:00.0", "no"), *xml = domain(dev, NULL);
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "prepare", "begin"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "PCI device 0000:99:00.0 is not on this host"));
        testhost_free(t);
}

CUNIT_MAIN("pci-passthrough",
           T(test_whole_group_to_vfio_and_back),
           T(test_managed_yes_stays_libvirts),
           T(test_managed_yes_given_back_when_libvirt_does_not),
           T(test_no_acs_group_refused_then_allowed),
           T(test_allow_devices_in_config),
           T(test_boot_console_refused_then_released_and_restored),
           T(test_single_gpu_stops_and_restarts_display_manager),
           T(test_device_in_use_refused_with_holders),
           T(test_sigkill_midway_then_release_restores),
           T(test_failed_rebind_left_on_vfio_and_kept),
           T(test_stuck_unbind_is_bounded),
           T(test_vfio_pci_loaded_on_demand),
           T(test_prepare_twice_is_idempotent),
           T(test_missing_device_and_no_iommu_messages))
