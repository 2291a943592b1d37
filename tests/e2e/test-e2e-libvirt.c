/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end with a real libvirtd (private mount namespace, own daemons):
 * `virsh` drives domains, libvirt runs the installed gpuhook, and gpuhook
 * acts on a simulated host. */
#include "cunit-run.h"
#include "spawn.h"
#include "testhost.h"
#include "util.h"

#define MDEV "bc127e23-aaaa-4d06-a7aa-88db2dd538e0"

static char *out, *err;
static int status;

/* Run SCRIPT (bash) next to a private libvirtd hooked to testbed T. */
static int with_libvirtd(struct testhost *t, const char *script) {
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", testhost_source_root());
        char *const argv[] = { wrapper, (char *)testhost_build_root(), t->dir, t->host, (char *)"--", (char *)"bash",
                               (char *)"-c", (char *)script, NULL };
        free(out);
        free(err);
        out = err = NULL;
        status = spawn_run(argv, 300000, &out, &err);
        if (status != 0)
                fprintf(stderr, "--- script exited %d\nstdout:\n%s\nstderr:\n%s\n", status, out, err);
        return status;
}

static const char *plain_domain =
        "<domain type='kvm'><name>plain</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>";

static void test_domain_without_hostdev_starts_and_stops(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "set -e; echo \"%s\" > /tmp/plain.xml; virsh define /tmp/plain.xml >/dev/null;"
                "virsh start plain; virsh domstate plain; virsh destroy plain; virsh domstate plain",
                plain_domain);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain 'plain' started"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "running"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "shut off"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0); /* the hook touched nothing */
        testhost_free(t);
}

static void test_vgpu_created_at_prepare_and_removed_at_release(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "virsh define %s/tools/demo/v100-vgpu.xml >/dev/null || exit 1;"
                "if virsh start demo-vgpu; then echo UNEXPECTED-START; fi; exit 0",
                testhost_source_root());
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        /* libvirt failed on the real machine (no VFIO/mdev here) after gpuhook's prepare */
        CU_ASSERT_PTR_NULL(strstr(out, "UNEXPECTED-START"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failed to start domain 'demo-vgpu'"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:")); /* not gpuhook's failure */
        /* prepare created the vGPU in the simulated host, release removed it */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" MDEV "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, MDEV "/remove \"1\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, "0000:41:00.0", "nvidia-300"), 2);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5.xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

static void test_capacity_error_shown_by_virsh_start(void) {
        struct testhost *t = testhost_new("v100");
        struct strbuf dev = { 0 }, meta = { 0 };
        const char *uuids[] = { "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
                                "33333333-3333-4333-8333-333333333333" };
        for (size_t i = 0; i < ELEMENTSOF(uuids); i++) {
                _cleanup_free_ char *h = testhost_mdev_hostdev(uuids[i], NULL), *m = testhost_mdev_meta(uuids[i], "nvidia-300", NULL);
                strbuf_appendf(&dev, "%s", h);
                strbuf_appendf(&meta, "%s", m);
        }
        _cleanup_free_ char *wrapped = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>",
                                                     strbuf_str(&meta));
        _cleanup_free_ char *xml = testhost_domain_xml("cap3", "7e57c0de-0000-4000-8000-000000000003", strbuf_str(&dev), wrapped);
        _cleanup_free_ char *script = strdup_printf("cat > /tmp/cap3.xml <<'X'\n%s\nX\n"
                                                    "virsh define /tmp/cap3.xml >/dev/null || exit 1; virsh start cap3; exit 0",
                                                    xml);
        strbuf_free(&dev);
        strbuf_free(&meta);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        /* gpuhook's one line, verbatim in virsh's error output */
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "gpuhook: domain 'cap3': cannot create mdev 33333333-3333-4333-8333-333333333333: no free instance of nvidia-300: 0000:41:00.0 has 0 left"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/create"), 0);
        testhost_free(t);
}

static void test_save_restore_keeps_domain_xml(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                "set -e; echo \"%s\" > /tmp/plain.xml; virsh define /tmp/plain.xml >/dev/null; virsh start plain >/dev/null;"
                "virsh save plain /var/lib/libvirt/plain.save >/dev/null; virsh restore /var/lib/libvirt/plain.save;"
                "virsh domstate plain; virsh dumpxml plain | grep -c '<name>plain</name>'; virsh destroy plain >/dev/null",
                plain_domain);
        /* the restore hook ran on the saved XML: had it printed anything but
         * a domain, libvirt would have refused the restore */
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "restored from"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "running"));
        testhost_free(t);
}

/* Fault injection through real libvirt: the hook is SIGKILLed right after it
 * created the vGPU (before recording it as done). libvirt reports the failed
 * hook, runs stopped + release, and release removes the half-made vGPU. */
static void test_hook_killed_during_prepare_release_cleans_up(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = strdup_printf(
                /* libvirt scrubs the hook's environment: the wrapper sets the crash point */
                "sed -i 's|^exec |GPUHOOK_FAULT_KILL_AT=mdev-created exec |' /etc/libvirt/hooks/qemu.d/50-gpuhook || exit 1;"
                "virsh define %s/tools/demo/v100-vgpu.xml >/dev/null || exit 1;"
                "if virsh start demo-vgpu; then echo UNEXPECTED-START; fi; exit 0",
                testhost_source_root());
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NULL(strstr(out, "UNEXPECTED-START"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        /* created by the killed prepare, removed by the release libvirt ran */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" MDEV "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, MDEV "/remove \"1\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, "0000:41:00.0", "nvidia-300"), 2);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/5d1c3a0e-2f4b-4c6d-8e9f-a0b1c2d3e4f5.xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

/* Hostile metadata survives `virsh define` (libvirt keeps namespaced
 * metadata verbatim) and reaches the hook: virsh start shows gpuhook's one
 * line, and nothing is written to the host. */
static void test_hostile_metadata_refused_at_virsh_start(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(MDEV, NULL);
        _cleanup_free_ char *meta = strdup_printf(
                "<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>",
                "<gpuhook:mdev uuid='" MDEV "' type='nvidia-300' parent='../../../../etc'/>");
        _cleanup_free_ char *xml = testhost_domain_xml("hostile", "7e57c0de-0000-4000-8000-00000000bad0", dev, meta);
        _cleanup_free_ char *script = strdup_printf("cat > /tmp/hostile.xml <<'X'\n%s\nX\n"
                                                    "virsh define /tmp/hostile.xml >/dev/null || exit 1;"
                                                    "virsh dumpxml hostile | grep -cF '../../../../etc';"
                                                    "virsh start hostile; exit 0",
                                                    xml);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "1\n")); /* libvirt kept the metadata */
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Hook script execution failed"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "gpuhook: domain 'hostile': mdev " MDEV ": parent '../../../../etc' is not a valid device name"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

/* ---- PCI passthrough: libvirtd runs inside the simulated host, sees the
 * simulated devices (config space, groups, drivers) and does its own
 * managed='yes' detach/reattach on them; QEMU then fails on this machine
 * (no VFIO for simulated devices) and libvirt unwinds. */

#define RTX "0000:01:00.0"

/* Lines of the writes log containing NEEDLE, written by PID (BY_PID) or by
 * any other process; *RET_FIRST gets the line number of the first (-1). */
static int writes_of(struct testhost *t, long pid, bool by_pid, const char *needle, int *ret_first) {
        _cleanup_free_ char *log = strdup_printf("%s/.sim/writes.log", t->dir), *text = NULL;
        int n = 0, no = 0;
        if (ret_first)
                *ret_first = -1;
        if (read_text_file(log, 64 << 20, &text) < 0)
                return 0;
        for (char *line = text, *next; line && *line; line = next, no++) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strstr(line, needle) && ((strtol(line, NULL, 10) == pid) == by_pid)) {
                        if (ret_first && *ret_first < 0)
                                *ret_first = no;
                        n++;
                }
        }
        return n;
}

static long libvirtd_pid(void) {
        const char *p = out ? strstr(out, "LIBVIRTD_PID=") : NULL;
        return p ? strtol(p + strlen("LIBVIRTD_PID="), NULL, 10) : -1;
}

/* A script that defines DOMAIN from XML, prints each function's driver as
 * libvirt's node device API reports it before and after `virsh start`, the
 * start's status, libvirtd's pid and the domain's QEMU log. */
static char *pci_script(const char *xml, const char *name, const char *pre) {
        return strdup_printf(
                "%s\nx=$(mktemp); cat > $x <<'X'\n%s\nX\n"
                "virsh define $x >/dev/null || exit 1; rm -f $x\n"
                "echo LIBVIRTD_PID=$(cat /run/libvirtd.pid)\n"
                "drivers() { for f in 0 1 2 3; do echo \"$1 .$f $(virsh nodedev-dumpxml pci_0000_01_00_$f | sed -n '/<driver>/{n;s|.*<name>\\(.*\\)</name>.*|\\1|p}')\"; done; }\n"
                "drivers before\n"
                "virsh start %s; echo start=$?\n"
                "drivers after\n"
                "virsh domstate %s\n"
                "cat /var/log/libvirt/qemu/%s.log\n"
                "exit 0\n",
                pre, xml, name, name, name);
}

static void assert_rtx_drivers(const char *when) {
        static const char *const drv[] = { "nvidia", "snd_hda_intel", "xhci_hcd", "nvidia-gpu" };
        for (int f = 0; f < 4; f++) {
                _cleanup_free_ char *line = strdup_printf("%s .%d %s\n", when, f, drv[f]);
                CU_ASSERT_PTR_NOT_NULL(strstr(out, line));
                if (!strstr(out, line))
                        fprintf(stderr, "missing: %s", line);
        }
}

static void test_libvirt_sees_simulated_pci_devices(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        CU_ASSERT_EQUAL(with_libvirtd(t, "set -e; virsh nodedev-list --cap pci; virsh nodedev-dumpxml pci_0000_01_00_0;"
                                         "virsh nodedev-dumpxml pci_0000_00_01_0"), 0);
        /* every function of the card, the root ports, the NVMe */
        static const char *const listed[] = { "pci_0000_01_00_0\n", "pci_0000_01_00_1\n", "pci_0000_01_00_2\n",
                                              "pci_0000_01_00_3\n", "pci_0000_00_01_0\n", "pci_0000_02_00_0\n" };
        for (size_t i = 0; i < ELEMENTSOF(listed); i++)
                CU_ASSERT_PTR_NOT_NULL(strstr(out, listed[i]));
        /* read from the simulated sysfs and config space */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<path>/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0</path>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<parent>pci_0000_00_01_0</parent>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<name>nvidia</name>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<vendor id='0x10de'>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<iommuGroup number='1'>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<address domain='0x0000' bus='0x01' slot='0x00' function='0x3'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<link validity='cap' port='0' speed='8' width='16'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "<name>pcieport</name>")); /* the root port */
        testhost_free(t);
}

static void test_managed_yes_libvirt_detaches_gpuhook_takes_companions(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "yes");
        _cleanup_free_ char *xml = testhost_domain_xml("pt", "7e57c0de-0000-4000-8000-0000000000a1", dev, NULL);
        _cleanup_free_ char *script = pci_script(xml, "pt", "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        assert_rtx_drivers("before");
        /* libvirt got past its PCI checks (it used to say "host doesn't
         * support passthrough of host PCI devices") and built QEMU's command
         * line; QEMU cannot use a simulated device, so the start fails */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failed to start domain 'pt'"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT_PTR_NULL(strstr(err, "support passthrough"));
        CU_ASSERT_PTR_NULL(strstr(err, "not found"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"driver\":\"vfio-pci\",\"host\":\"" RTX "\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "shut off"));
        /* libvirt itself moved 01:00.0 to vfio-pci through driver_override,
         * and after the failure back ("\n" clears the override) */
        int detach, reattach, taken, given_back;
        CU_ASSERT_EQUAL(writes_of(t, pid, true, RTX "/driver_override \"vfio-pci\" 0", &detach), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "drivers/nvidia/unbind \"" RTX "\" 0", NULL), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, RTX "/driver_override \"\\n\" 0", &reattach), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "drivers/vfio-pci/unbind \"" RTX "\" 0", NULL), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "drivers_probe \"" RTX "\" 0", NULL), 2);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "0000:01:00.1", NULL), 0); /* libvirt left the companions alone */
        /* gpuhook (the hook's processes) took the companions before libvirt's
         * detach and gave them back after libvirt's reattach; not 01:00.0 */
        CU_ASSERT_EQUAL(writes_of(t, pid, false, RTX, NULL), 0);
        for (int f = 1; f <= 3; f++) {
                _cleanup_free_ char *to = strdup_printf("0000:01:00.%d/driver_override \"vfio-pci\" 0", f);
                _cleanup_free_ char *back = strdup_printf("0000:01:00.%d/driver_override \"\\n\" 0", f);
                CU_ASSERT_EQUAL(writes_of(t, pid, false, to, &taken), 1);
                CU_ASSERT_EQUAL(writes_of(t, pid, false, back, &given_back), 1);
                CU_ASSERT(taken < detach);
                CU_ASSERT(given_back > reattach);
        }
        assert_rtx_drivers("after");
        for (int f = 0; f <= 3; f++) {
                _cleanup_free_ char *p = strdup_printf("/sys/bus/pci/devices/0000:01:00.%d/driver_override", f);
                _cleanup_free_ char *v = testhost_read(t, p);
                CU_ASSERT_STRING_EQUAL(v ? v : "", "(null)");
        }
        testhost_free(t);
}

static void test_managed_no_gpuhook_binds_libvirt_writes_nothing(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no");
        _cleanup_free_ char *xml = testhost_domain_xml("ptno", "7e57c0de-0000-4000-8000-0000000000a2", dev, NULL);
        _cleanup_free_ char *script = pci_script(xml, "ptno", "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        assert_rtx_drivers("before");
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failed to start domain 'ptno'"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        /* found on vfio-pci (gpuhook's prepare), so not "must be manually detached" */
        CU_ASSERT_PTR_NULL(strstr(err, "manually detached"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"driver\":\"vfio-pci\",\"host\":\"" RTX "\""));
        /* libvirt does not touch an unmanaged device; gpuhook moved the whole
         * card, 01:00.0 included, and restored it */
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "/sys", NULL), 0);
        for (int f = 0; f <= 3; f++) {
                _cleanup_free_ char *to = strdup_printf("0000:01:00.%d/driver_override \"vfio-pci\" 0", f);
                _cleanup_free_ char *back = strdup_printf("0000:01:00.%d/driver_override \"\\n\" 0", f);
                CU_ASSERT_EQUAL(writes_of(t, pid, false, to, NULL), 1);
                CU_ASSERT_EQUAL(writes_of(t, pid, false, back, NULL), 1);
        }
        assert_rtx_drivers("after");
        testhost_free(t);
}

/* Without gpuhook in qemu.d, libvirt's own checks now run on the simulated
 * device: an unmanaged function on its host driver is refused by name. */
static void test_managed_no_without_gpuhook_refused_by_libvirt(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no");
        _cleanup_free_ char *xml = testhost_domain_xml("ptbare", "7e57c0de-0000-4000-8000-0000000000a3", dev, NULL);
        _cleanup_free_ char *script = pci_script(xml, "ptbare", "rm /etc/libvirt/hooks/qemu.d/50-gpuhook || exit 1");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "Unmanaged PCI device " RTX " must be manually detached from the host"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        assert_rtx_drivers("after");
        testhost_free(t);
}

CUNIT_MAIN("e2e-libvirt",
           T(test_domain_without_hostdev_starts_and_stops),
           T(test_vgpu_created_at_prepare_and_removed_at_release),
           T(test_capacity_error_shown_by_virsh_start),
           T(test_save_restore_keeps_domain_xml),
           T(test_hook_killed_during_prepare_release_cleans_up),
           T(test_hostile_metadata_refused_at_virsh_start),
           T(test_libvirt_sees_simulated_pci_devices),
           T(test_managed_yes_libvirt_detaches_gpuhook_takes_companions),
           T(test_managed_no_gpuhook_binds_libvirt_writes_nothing),
           T(test_managed_no_without_gpuhook_refused_by_libvirt))
