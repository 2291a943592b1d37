/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud-shaped domains through a real libvirtd: what gpuhook does, and
 * leaves alone, on OpenStack Nova and oVirt VDSM compute nodes
 * (docs/openstack.md, docs/ovirt.md), and what virt-manager's Add Hardware
 * writes (docs/virt-manager.md).
 *
 * The clouds' own steps are played the way their code does them:
 * - Nova (nova/privsep/libvirt.py create_mdev, called from
 *   nova/virt/libvirt/driver.py _create_new_mediated_device via
 *   _allocate_mdevs): the mdev UUID, without a newline, written to
 *   /sys/class/mdev_bus/<parent>/mdev_supported_types/<type>/create before
 *   the domain is defined; the domain XML from nova/virt/libvirt/config.py
 *   (LibvirtConfigGuestHostdevMDEV: managed='no' model='vfio-pci';
 *   LibvirtConfigGuestHostdevPCI: managed='yes' by default). Nova never
 *   removes an mdev at instance delete: _allocate_mdevs reuses unassigned
 *   ones (_get_existing_mdevs_not_assigned).
 * - VDSM (lib/vdsm/supervdsm_api/virt.py mdev_create / mdev_delete, called
 *   from lib/vdsm/virt/vmdevices/hostdevice.py MdevDevice.setup/teardown):
 *   the same create write before the domain starts and "1" to
 *   /sys/class/mdev_bus/<parent>/<uuid>/remove after it stopped; the mdev
 *   hostdev from lib/vdsm/virt/libvirtxml.py make_mdev_element (no
 *   managed=), its type in <ovirt-vm:mdevType>; PCI devices detached by
 *   VDSM itself through virNodeDeviceDetachFlags (lib/vdsm/common/hostdev.py
 *   detach_detachable, for every device engine sends, the IOMMU group's
 *   placeholders included) and written managed='no' (PciDevice.getXML);
 *   teardown does not reattach (reattach_detachable(pci_reattach=False)).
 *
 * libvirtd runs inside the simulated host; QEMU runs on the real machine and
 * cannot open simulated devices, so every start fails after libvirt's own
 * hostdev preparation and libvirt unwinds (stopped, release). A probe hook
 * (qemu.d/90-probe, after gpuhook's 50-gpuhook) records the host as QEMU
 * would have found it (start begin) and as the release left it. */
#include "cunit-run.h"
#include "libvirt-probe.h"
#include "testhost.h"
#include "util.h"

#define MDEV_NOVA "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define MDEV_VDSM "c1f343ae-99a5-4d82-9d5c-203cd4b7dac0"
#define V100 "0000:41:00.0"
#define A100 "0000:41:00.0"
#define RTX "0000:01:00.0"

static char *define_script(const char *name, const char *xml, const char *before, const char *after) {
        return strdup_printf("%s\n"
                             "x=$(mktemp); cat > $x <<'X'\n%s\nX\n"
                             "virsh define $x >/dev/null || exit 1; rm -f $x\n"
                             "virsh start %s; echo start=$?\n"
                             "virsh domstate %s\n"
                             "%s\n",
                             before, xml, name, name, after);
}

/* ---- OpenStack Nova ---- */

/* Nova's guest XML (nova/virt/libvirt/config.py): the hostdevs as
 * LibvirtConfigGuestHostdevMDEV / ...PCI format them, and Nova's own
 * metadata namespace (NOVA_NS). */
static char *nova_domain(const char *name, const char *uuid, const char *hostdev) {
        return strdup_printf(
                "<domain type='kvm'>\n"
                "  <name>%s</name>\n  <uuid>%s</uuid>\n"
                "  <metadata>\n"
                "    <nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.0'>\n"
                "      <nova:name>vgpu-server</nova:name>\n"
                "      <nova:flavor name='vgpu.small'><nova:memory>64</nova:memory></nova:flavor>\n"
                "    </nova:instance>\n"
                "  </metadata>\n"
                "  <memory unit='KiB'>65536</memory>\n  <vcpu>1</vcpu>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "  <devices>\n%s  </devices>\n"
                "</domain>",
                name, uuid, hostdev);
}

static const char *nova_mdev_hostdev =
        "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>\n"
        "      <source><address uuid='" MDEV_NOVA "'/></source>\n"
        "    </hostdev>\n";

/* Nova's privsep create_mdev: the UUID without a newline. */
#define NOVA_CREATE "$SIM sh -c 'printf %s " MDEV_NOVA " > /sys/class/mdev_bus/" V100 "/mdev_supported_types/nvidia-300/create' || exit 1"

static void test_nova_vgpu_created_by_nova_left_in_place(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = nova_domain("instance-00000001", "7e57c0de-0000-4000-8000-0000000000c1", nova_mdev_hostdev);
        _cleanup_free_ char *script = define_script(
                "instance-00000001", xml, NOVA_CREATE,
                /* the instance is deleted; Nova keeps the mdev for reuse */
                "virsh undefine instance-00000001 >/dev/null; $SIM sh -c 'test -e /sys/bus/mdev/devices/" MDEV_NOVA " && echo MDEV-KEPT'");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1")); /* QEMU on the real machine */
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));   /* not gpuhook's refusal */
        /* QEMU would have found Nova's vGPU; gpuhook recorded nothing */
        CU_ASSERT(probe_has("start begin", "mdev " MDEV_NOVA));
        _cleanup_free_ char *at_start = probe_section("start begin");
        CU_ASSERT_PTR_NULL(strstr(at_start, "ledger "));
        /* the release left it: Nova owns it */
        CU_ASSERT(probe_has("release end", "mdev " MDEV_NOVA));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "MDEV-KEPT"));
        CU_ASSERT(testhost_mdev_present(t, MDEV_NOVA));
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 1);
        /* the only sysfs write is Nova's create */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" MDEV_NOVA "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/remove"), 0);
        testhost_free(t);
}

/* A GPU alone in its IOMMU group, as Nova's [pci] alias passes it
 * (managed='yes'): libvirt detaches and reattaches it, gpuhook writes
 * nothing. */
static void test_nova_pci_managed_yes_is_libvirts(void) {
        struct testhost *t = testhost_new("datacenter-a100");
        _cleanup_free_ char *xml = nova_domain(
                "instance-00000002", "7e57c0de-0000-4000-8000-0000000000c2",
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <source><address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/></source>\n"
                "    </hostdev>\n");
        _cleanup_free_ char *script = define_script("instance-00000002", xml, "", "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        /* QEMU would have found the A100 on vfio-pci, put there by libvirt */
        CU_ASSERT(probe_has("start begin", "drv " A100 " vfio-pci"));
        CU_ASSERT_EQUAL(writes_of(t, pid, true, A100 "/driver_override \"vfio-pci\" 0"), 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, true, A100 "/driver_override \"\\n\" 0"), 1);
        /* nothing by gpuhook (any process but libvirtd) */
        CU_ASSERT_EQUAL(writes_of(t, pid, false, "/sys"), 0);
        _cleanup_free_ char *drv = testhost_pci_driver(t, A100);
        CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        testhost_free(t);
}

/* ---- oVirt VDSM ---- */

static char *vdsm_domain(const char *name, const char *uuid, const char *hostdev, const char *ovirt_devices) {
        return strdup_printf(
                "<domain xmlns:ovirt-vm='http://ovirt.org/vm/1.0' type='kvm'>\n"
                "  <name>%s</name>\n  <uuid>%s</uuid>\n"
                "  <metadata>\n"
                "    <ovirt-vm:vm>\n"
                "      <ovirt-vm:clusterVersion>4.7</ovirt-vm:clusterVersion>\n%s"
                "    </ovirt-vm:vm>\n"
                "  </metadata>\n"
                "  <memory unit='KiB'>65536</memory>\n  <vcpu>1</vcpu>\n"
                "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
                "  <devices>\n%s  </devices>\n"
                "</domain>",
                name, uuid, ovirt_devices, hostdev);
}

static void test_vdsm_vgpu_created_and_removed_by_vdsm(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *xml = vdsm_domain(
                "vgpu-vm", "7e57c0de-0000-4000-8000-0000000000d1",
                "    <hostdev mode='subsystem' model='vfio-pci' type='mdev'>\n"
                "      <source><address uuid='" MDEV_VDSM "'/></source>\n"
                "    </hostdev>\n",
                "      <ovirt-vm:device devtype='hostdev' uuid='" MDEV_VDSM "'>\n"
                "        <ovirt-vm:mdevType>nvidia-300|separate</ovirt-vm:mdevType>\n"
                "      </ovirt-vm:device>\n");
        _cleanup_free_ char *script = define_script(
                "vgpu-vm", xml,
                /* MdevDevice.setup -> supervdsm mdev_create */
                "$SIM sh -c 'printf %s " MDEV_VDSM " > /sys/class/mdev_bus/" V100 "/mdev_supported_types/nvidia-300/create' || exit 1",
                /* MdevDevice.teardown -> supervdsm mdev_delete: it must still be there */
                "$SIM sh -c 'printf 1 > /sys/class/mdev_bus/" V100 "/" MDEV_VDSM "/remove' && echo VDSM-REMOVED");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT(probe_has("start begin", "mdev " MDEV_VDSM));
        _cleanup_free_ char *at_start = probe_section("start begin");
        CU_ASSERT_PTR_NULL(strstr(at_start, "ledger "));
        CU_ASSERT(probe_has("release end", "mdev " MDEV_VDSM));
        /* VDSM's own removal found it: gpuhook had not removed it */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "VDSM-REMOVED"));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/remove"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 2);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 2);
        testhost_free(t);
}

/* VDSM detaches every device of the group itself (virNodeDeviceDetachFlags,
 * here `virsh nodedev-detach`, the same call) and passes the GPU
 * managed='no'; the group's placeholders are not in the XML. gpuhook finds
 * the group on vfio-pci and changes nothing, before or after. */
static void test_vdsm_pci_detached_by_vdsm_untouched(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = vdsm_domain(
                "pci-vm", "7e57c0de-0000-4000-8000-0000000000d2",
                "    <hostdev managed='no' mode='subsystem' type='pci'>\n"
                "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
                "    </hostdev>\n",
                "");
        _cleanup_free_ char *script = define_script(
                "pci-vm", xml,
                "for f in 0 1 2 3; do virsh nodedev-detach pci_0000_01_00_$f >/dev/null || exit 1; done\n"
                "echo DETACHED; : > /tmp/detach-done",
                "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "DETACHED"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT_PTR_NULL(strstr(err, "manually detached"));
        for (int f = 0; f <= 3; f++) {
                _cleanup_free_ char *line = strdup_printf("drv 0000:01:00.%d vfio-pci", f);
                CU_ASSERT(probe_has("start begin", line));
                CU_ASSERT(probe_has("release end", line)); /* VDSM's teardown does not reattach */
                _cleanup_free_ char *bdf = strdup_printf("0000:01:00.%d", f);
                _cleanup_free_ char *drv = testhost_pci_driver(t, bdf);
                CU_ASSERT_STRING_EQUAL(drv, "vfio-pci");
        }
        /* every write is libvirtd's (the detaches); none by gpuhook */
        CU_ASSERT(writes_of(t, pid, true, "/sys") > 0);
        CU_ASSERT_EQUAL(writes_of(t, pid, false, "/sys"), 0);
        testhost_free(t);
}

/* Engine sent no placeholder for the card's other functions, so VDSM
 * detached only the GPU: gpuhook moves the companions (the group would not
 * be viable) and gives them back; the GPU stays on vfio-pci, VDSM's. */
static void test_vdsm_pci_companions_not_detached_taken_and_given_back(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = vdsm_domain(
                "pci-vm2", "7e57c0de-0000-4000-8000-0000000000d3",
                "    <hostdev managed='no' mode='subsystem' type='pci'>\n"
                "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
                "    </hostdev>\n",
                "");
        _cleanup_free_ char *script = define_script("pci-vm2", xml,
                                                    "virsh nodedev-detach pci_0000_01_00_0 >/dev/null || exit 1", "");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        long pid = libvirtd_pid();
        CU_ASSERT(pid > 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        static const char *const drv[] = { "vfio-pci", "snd_hda_intel", "xhci_hcd", "nvidia-gpu" };
        for (int f = 0; f <= 3; f++) {
                _cleanup_free_ char *at_start = strdup_printf("drv 0000:01:00.%d vfio-pci", f);
                _cleanup_free_ char *after = strdup_printf("drv 0000:01:00.%d %s", f, drv[f]);
                CU_ASSERT(probe_has("start begin", at_start));
                CU_ASSERT(probe_has("release end", after));
        }
        /* gpuhook wrote only for the companions, never for VDSM's GPU */
        CU_ASSERT(writes_of(t, pid, false, "0000:01:00.1/driver_override \"vfio-pci\" 0") == 1);
        CU_ASSERT_EQUAL(writes_of(t, pid, false, RTX), 0);
        testhost_free(t);
}

/* ---- virt-manager (virtinst/devices/hostdev.py) ---- */

/* Add Hardware -> MDEV Host Device on an nvidia-NN / i915-GVTg type writes
 * model='vfio-pci' managed='yes' display='off' ramfb='off'. Defined once
 * (mdevctl define), the vGPU is started by gpuhook at prepare and stopped,
 * never undefined, at release. */
static void test_virt_manager_mdev_from_definition(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *dev = strdup_printf(
                "    <hostdev mode='subsystem' type='mdev' managed='yes' model='vfio-pci' display='off' ramfb='off'>\n"
                "      <source><address uuid='%s'/></source>\n"
                "    </hostdev>\n",
                MDEV_NOVA);
        _cleanup_free_ char *xml = testhost_domain_xml("vm-desktop", "7e57c0de-0000-4000-8000-0000000000e1", dev, NULL);
        _cleanup_free_ char *script = define_script(
                "vm-desktop", xml,
                "$SIM mdevctl define -u " MDEV_NOVA " -p " V100 " -t nvidia-300 || exit 1",
                "$SIM mdevctl list -d | grep -c " MDEV_NOVA " | sed 's/^/DEFINED=/'");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "start=1"));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        CU_ASSERT(probe_has("start begin", "mdev " MDEV_NOVA));
        CU_ASSERT(probe_has("start begin", "ledger 7e57c0de-0000-4000-8000-0000000000e1.xml"));
        _cleanup_free_ char *after = probe_section("release end");
        CU_ASSERT_PTR_NULL(strstr(after, "mdev "));
        CU_ASSERT_PTR_NULL(strstr(after, "ledger "));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "DEFINED=1")); /* the definition stays */
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

CUNIT_MAIN("e2e-clouds",
           T(test_nova_vgpu_created_by_nova_left_in_place),
           T(test_nova_pci_managed_yes_is_libvirts),
           T(test_vdsm_vgpu_created_and_removed_by_vdsm),
           T(test_vdsm_pci_detached_by_vdsm_untouched),
           T(test_vdsm_pci_companions_not_detached_taken_and_given_back),
           T(test_virt_manager_mdev_from_definition))
