/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook hands-off on a cloud node (docs/openstack.md, docs/ovirt.md): the
 * host-wide switch (`gpuhookctl disable`, the marker next to gpuhook.conf)
 * and the per-domain one (<gpuhook:devices manage='no'/>). With either, a
 * Nova-shaped domain starts and stops through a real libvirtd with every
 * device left to libvirt and the cloud: no sysfs write by any process but
 * libvirtd, and an mdev nobody started stays unstarted. */
#include "cunit-run.h"
#include "libvirt-probe.h"
#include "testhost.h"
#include "util.h"

#define RTX "0000:01:00.0"
#define VGPU "5a0c3e9b-7d21-4f6a-8b3e-1c2d3e4f5a6b"

/* Nova's PCI passthrough of a workstation card's function 0
 * (LibvirtConfigGuestHostdevPCI, managed='yes'), with Nova's metadata and,
 * when EXTRA is given, more metadata next to it. */
static char *nova_pci_domain(const char *name, const char *uuid, const char *extra) {
        return strdup_printf(
                "<domain type='kvm'>\n"
                "  <name>%s</name>\n  <uuid>%s</uuid>\n"
                "  <metadata>\n"
                "    <nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.0'><nova:name>gpu-server</nova:name></nova:instance>\n"
                "%s"
                "  </metadata>\n"
                "  <memory unit='KiB'>65536</memory>\n  <vcpu>1</vcpu>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "  <devices>\n"
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
                "    </hostdev>\n"
                "  </devices>\n"
                "</domain>",
                name, uuid, extra ? extra : "");
}

static char *start_script(const char *name, const char *xml, const char *before, const char *after) {
        return strdup_printf("%s\n"
                             "x=$(mktemp); cat > $x <<'X'\n%s\nX\n"
                             "virsh define $x >/dev/null || exit 1; rm -f $x\n"
                             "virsh start %s; echo start=$?\n"
                             "virsh domstate %s\n"
                             "%s\n",
                             before, xml, name, name, after);
}

/* Only libvirtd wrote, only for the function it manages; the companions,
 * which gpuhook would otherwise have moved, stayed on their drivers. */
static void assert_only_libvirt_touched_rtx(struct testhost *t) {
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1")); /* QEMU on the real machine */
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT_EQUAL(writes_of(t, pid, false, "/sys"), 0);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, RTX "/driver_override \"vfio-pci\" 0"), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, "0000:01:00.1"), 0);
        static const char *const drv[] = { "nvidia", "snd_hda_intel", "xhci_hcd", "nvidia-gpu" };
        for (int f = 1; f <= 3; f++) {
                _cleanup_free_ char *line = strdup_printf("drv 0000:01:00.%d %s", f, drv[f]);
                CU_ASSERT(probe_has("start begin", line));
        }
        for (int f = 0; f <= 3; f++) {
                _cleanup_free_ char *bdf = strdup_printf("0000:01:00.%d", f);
                _cleanup_free_ char *d = testhost_pci_driver(t, bdf);
                CU_ASSERT_STRING_EQUAL(d, drv[f]);
        }
        _cleanup_free_ char *at_start = probe_section("start begin");
        CU_ASSERT_PTR_NULL(strstr(at_start, "ledger "));
}

static void test_host_switch_leaves_nova_domain_to_libvirt(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = nova_pci_domain("instance-00000010", "7e57c0de-0000-4000-8000-0000000000b1", NULL);
        _cleanup_free_ char *marker = strdup_printf("%s/etc/gpuhook/disabled", t->dir);
        const char *b = testhost_build_root();
        _cleanup_free_ char *before = strdup_printf(
                "$SIM %s/cli/gpuhookctl disable --reason 'nova-compute manages the GPUs' || exit 1", b);
        _cleanup_free_ char *after = strdup_printf(
                "$SIM %s/cli/gpuhookctl status | grep -c 'switched off' | sed 's/^/STATUS-OFF=/'\n"
                "$SIM %s/cli/gpuhookctl enable || exit 1; echo ENABLED",
                b, b);
        _cleanup_free_ char *script = start_script("instance-00000010", xml, before, after);
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        assert_only_libvirt_touched_rtx(t);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "STATUS-OFF=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "ENABLED"));
        CU_ASSERT_EQUAL(access(marker, F_OK), -1); /* enable removed the marker */
        testhost_free(t);
}

static void test_domain_switch_leaves_nova_domain_to_libvirt(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = nova_pci_domain("instance-00000011", "7e57c0de-0000-4000-8000-0000000000b2",
                                                   "    <gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1' manage='no'/>\n");
        _cleanup_free_ char *script = start_script("instance-00000011", xml, "", "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        assert_only_libvirt_touched_rtx(t);
        testhost_free(t);
}

/* With the host switch, an mdevctl definition is not started for the
 * domain: libvirt itself refuses the missing mdev, and nothing is created. */
static void test_host_switch_starts_no_mdev(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(VGPU, NULL);
        _cleanup_free_ char *xml = testhost_domain_xml("instance-00000012", "7e57c0de-0000-4000-8000-0000000000b3", dev, NULL);
        const char *b = testhost_build_root();
        _cleanup_free_ char *before = strdup_printf("$SIM mdevctl define -u " VGPU " -p 0000:41:00.0 -t nvidia-300 || exit 1\n"
                                                    "$SIM %s/cli/gpuhookctl disable || exit 1",
                                                    b);
        _cleanup_free_ char *script = start_script("instance-00000012", xml, before, "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "mediated device '" VGPU "' not found"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 0);
        testhost_free(t);
}

/* A domain gpuhook prepared before the switch: its release still gives
 * back what the ledger records (or the vGPU would stay held). The hook is
 * run as libvirt runs it, without a libvirtd. */
static void test_host_switch_release_still_gives_back(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(VGPU, NULL), *m = testhost_mdev_meta(VGPU, "nvidia-300", NULL);
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", m);
        _cleanup_free_ char *xml = testhost_domain_xml("before-switch", "7e57c0de-0000-4000-8000-0000000000b4", dev, meta);
        _cleanup_free_ char *ctl = strdup_printf("%s/cli/gpuhookctl", testhost_build_root());
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "before-switch", "prepare", "begin"), 0);
        CU_ASSERT(testhost_mdev_present(t, VGPU));
        const char *disable[] = { ctl, "disable", "--reason", "handing the node to VDSM", NULL };
        CU_ASSERT_EQUAL(testhost_run(t, NULL, disable), 0);
        /* a new prepare does nothing now */
        _cleanup_free_ char *xml2 = testhost_domain_xml("after-switch", "7e57c0de-0000-4000-8000-0000000000b5",
                                                        "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>"
                                                        "<source><address uuid='6b1d4f0c-8e32-4a7b-9c4f-2d3e4f5a6b7c'/></source></hostdev>",
                                                        "<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>"
                                                        "<gpuhook:mdev uuid='6b1d4f0c-8e32-4a7b-9c4f-2d3e4f5a6b7c' type='nvidia-300'/>"
                                                        "</gpuhook:devices>");
        CU_ASSERT_EQUAL(testhost_hook(t, xml2, "after-switch", "prepare", "begin"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, "6b1d4f0c-8e32-4a7b-9c4f-2d3e4f5a6b7c"));
        /* the earlier domain's release gives its vGPU back */
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "before-switch", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, VGPU));
        CU_ASSERT_EQUAL(testhost_available(t, "0000:41:00.0", "nvidia-300"), 2);
        _cleanup_free_ char *ledger = testhost_state_path(t, "domains/7e57c0de-0000-4000-8000-0000000000b4.xml");
        CU_ASSERT_EQUAL(access(ledger, F_OK), -1);
        testhost_free(t);
}

CUNIT_MAIN("e2e-handsoff",
           T(test_host_switch_leaves_nova_domain_to_libvirt),
           T(test_domain_switch_leaves_nova_domain_to_libvirt),
           T(test_host_switch_starts_no_mdev),
           T(test_host_switch_release_still_gives_back))
