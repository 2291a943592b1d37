/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Nova node with NVIDIA vGPU 17+ (vendor-specific VFIO, kernel >= 6.8):
 * the operator gives a VF its vGPU type (`current_vgpu_type`, Nova leaves it
 * to the operator) and Nova passes the VF as a PCI device with
 * managed='no': the `managed` tag of `[pci] device_spec` (Nova spec "Enable
 * VFIO devices with kernel variant drivers", 2025.1), for devices that must
 * stay on their VFIO variant driver and not be rebound. The VF stays on
 * nvidia, whose vfio-dev/ makes it a VFIO device already, and gpuhook leaves
 * it there (core/pci.c take(): a device already usable through VFIO is
 * someone else's), so the guest gets the vGPU the operator set up. */
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define VF "0000:c1:00.4"

static const char *nova_vf_domain =
        "<domain type='kvm'><name>instance-00000020</name><uuid>7e57c0de-0000-4000-8000-0000000000a9</uuid>"
        "<metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.0'><nova:name>vgpu17</nova:name>"
        "</nova:instance></metadata>"
        "<memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<hostdev mode='subsystem' type='pci' managed='no'>"
        "<source><address domain='0x0000' bus='0xc1' slot='0x00' function='0x4'/></source></hostdev>"
        "</devices></domain>";

static void test_nova_vendor_vfio_vf_left_on_its_driver(void) {
        struct testhost *t = testhost_new("l40s-vfio");
        /* the operator's step: NVIDIA L40S-8Q on the VF */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "printf 1152 > /sys/bus/pci/devices/" VF "/nvidia/current_vgpu_type"), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 1);

        CU_ASSERT_EQUAL(testhost_hook(t, nova_vf_domain, "instance-00000020", "prepare", "begin"), 0);
        _cleanup_free_ char *drv = testhost_pci_driver(t, VF);
        CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        _cleanup_free_ char *type = testhost_read(t, "/sys/bus/pci/devices/" VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(type ? type : "(none)", "1152");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 1); /* nothing but the operator's write */

        CU_ASSERT_EQUAL(testhost_hook(t, nova_vf_domain, "instance-00000020", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/sys"), 1);
        testhost_free(t);
}

CUNIT_MAIN("nova-vfio-variant", T(test_nova_vendor_vfio_vf_left_on_its_driver))
