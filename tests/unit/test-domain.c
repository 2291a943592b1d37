/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "domain.h"
#include "plan.h"

#define DOM_UUID "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define M1 "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e71"
#define M2 "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8"

/* A domain as `virsh dumpxml` shows it, with DEVICES inside <devices> and
 * META inside a gpuhook metadata block (when META is not NULL). */
static char *domain_xml(const char *devices, const char *meta) {
        return strdup_printf(
                "<domain type='kvm' id='3'>\n"
                "  <name>vm-gpu1</name>\n"
                "  <uuid>" DOM_UUID "</uuid>\n"
                "  <metadata>\n"
                "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n"
                "      <libosinfo:os id='http://ubuntu.com/ubuntu/22.04'/>\n"
                "    </libosinfo:libosinfo>\n"
                "%s%s%s"
                "  </metadata>\n"
                "  <memory unit='KiB'>8388608</memory>\n"
                "  <vcpu placement='static'>4</vcpu>\n"
                "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os>\n"
                "  <features><acpi/><apic/></features>\n"
                "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
                "  <devices>\n"
                "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='qcow2'/>\n"
                "      <source file='/var/lib/libvirt/images/vm-gpu1.qcow2'/>\n"
                "      <target dev='vda' bus='virtio'/>\n"
                "    </disk>\n"
                "    <interface type='network'><source network='default'/><model type='virtio'/></interface>\n"
                "    <hostdev mode='subsystem' type='usb' managed='yes'>\n"
                "      <source><vendor id='0x046d'/><product id='0xc52b'/></source>\n"
                "    </hostdev>\n"
                "%s"
                "  </devices>\n"
                "</domain>\n",
                meta ? "    <gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>\n" : "", meta ? meta : "",
                meta ? "    </gpuhook:devices>\n" : "", devices ? devices : "");
}

#define MDEV_HOSTDEV(uuid)                                                                                             \
        "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>\n"                     \
        "      <source><address uuid='" uuid "'/></source>\n"                                                          \
        "    </hostdev>\n"

#define PCI_HOSTDEV(managed, domain, bus, slot, function)                                                              \
        "    <hostdev mode='subsystem' type='pci' managed='" managed "'>\n"                                            \
        "      <driver name='vfio'/>\n"                                                                                \
        "      <source>\n"                                                                                             \
        "        <address domain='" domain "' bus='" bus "' slot='" slot "' function='" function "'/>\n"               \
        "      </source>\n"                                                                                            \
        "    </hostdev>\n"

/* Parse; on success return the spec, else NULL with the return in *ret_r. */
static struct domain_spec *parse(const char *xml, int *ret_r) {
        struct domain_spec *d = NULL;
        log_failure_clear();
        *ret_r = domain_parse(xml, strlen(xml), &d);
        return *ret_r < 0 ? NULL : d;
}

/* XML is rejected with -EINVAL and a failure containing every NEEDLE. */
static void expect_reject_impl(const char *xml, unsigned line, const char *const *needles) {
        struct domain_spec *d = NULL;
        int r;

        log_failure_clear();
        r = domain_parse(xml, strlen(xml), &d);
        unit_check(r == -EINVAL, line, __FILE__, "domain_parse returned %d, expected -EINVAL", r);
        unit_check(d == NULL, line, __FILE__, "a spec was returned on failure");
        for (; *needles; needles++) {
                const char *f = log_failure();
                unit_check(f && strstr(f, *needles), line, __FILE__, "failure '%s' lacks '%s'", f ? f : "(none)",
                           *needles);
        }
        domain_spec_free(d);
}
#define EXPECT_REJECT(xml, ...) expect_reject_impl((xml), __LINE__, (const char *const[]){ __VA_ARGS__, NULL })

/* Build a domain, expect rejection, free. */
#define EXPECT_REJECT_DOM(devices, meta, ...)                                                                          \
        do {                                                                                                           \
                _cleanup_free_ char *x_ = domain_xml((devices), (meta));                                               \
                CU_ASSERT_PTR_NOT_NULL_FATAL(x_);                                                                      \
                EXPECT_REJECT(x_, __VA_ARGS__);                                                                        \
        } while (0)

static void test_realistic_domain(void) {
        /* clang-format off */
        static const char devices[] =
                MDEV_HOSTDEV(M1)
                /* Upper case, no managed=: as a user may write it. */
                "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
                "      <source><address uuid='0B1C2D3E-4F50-4A61-8B72-93A4B5C6D7E8'/></source>\n"
                "    </hostdev>\n"
                PCI_HOSTDEV("yes", "0x0000", "0x41", "0x00", "0x1")
                PCI_HOSTDEV("no", "0x0000", "0x42", "0x00", "0x0");
        /* clang-format on */
        static const char meta[] =
                "      <gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent='0000:41:00.0' placement='spread'>\n"
                "        <gpuhook:param name='frl_config' value='0'/>\n"
                "        <gpuhook:param name='extra' value='x y'/>\n"
                "      </gpuhook:mdev>\n"
                "      <gpuhook:mdev uuid='" M2 "' type='GRID V100-8C'/>\n";
        _cleanup_free_ char *xml = domain_xml(devices, meta);
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;

        d = parse(xml, &r);
        unit_check(d != NULL, __LINE__, __FILE__, "parse failed: %d %s", r, log_failure() ? log_failure() : "");
        if (!d)
                return;
        ASSERT_STR_EQ(d->name, "vm-gpu1");
        ASSERT_STR_EQ(d->uuid, DOM_UUID);
        CU_ASSERT_FALSE(d->numa.any);

        CU_ASSERT_EQUAL_FATAL(d->n_mdevs, 2);
        ASSERT_STR_EQ(d->mdevs[0].uuid, M1);
        ASSERT_STR_EQ(d->mdevs[0].model, "vfio-pci");
        ASSERT_STR_EQ(d->mdevs[1].uuid, M2); /* normalized to lowercase */

        CU_ASSERT_EQUAL_FATAL(d->n_pcis, 2);
        ASSERT_STR_EQ(d->pcis[0].bdf, "0000:41:00.1");
        CU_ASSERT_EQUAL(d->pcis[0].addr.bus, 0x41);
        CU_ASSERT_EQUAL(d->pcis[0].addr.function, 1);
        CU_ASSERT_TRUE(d->pcis[0].managed);
        ASSERT_STR_EQ(d->pcis[1].bdf, "0000:42:00.0");
        CU_ASSERT_FALSE(d->pcis[1].managed);

        CU_ASSERT_EQUAL_FATAL(d->n_requests, 2);
        const struct mdev_request *q = domain_find_request(d, M1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        ASSERT_STR_EQ(q->type, "nvidia-300");
        ASSERT_STR_EQ(q->parent, "0000:41:00.0");
        CU_ASSERT_EQUAL(q->placement, PLACEMENT_SPREAD);
        CU_ASSERT_EQUAL_FATAL(q->n_params, 2);
        ASSERT_STR_EQ(q->params[0].name, "frl_config");
        ASSERT_STR_EQ(q->params[0].value, "0");
        ASSERT_STR_EQ(q->params[1].name, "extra");
        ASSERT_STR_EQ(q->params[1].value, "x y");

        q = domain_find_request(d, M2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        ASSERT_STR_EQ(q->type, "GRID V100-8C");
        ASSERT_STR_EQ(q->parent, "");
        CU_ASSERT_EQUAL(q->placement, PLACEMENT_DEFAULT);
        CU_ASSERT_EQUAL(q->n_params, 0);
        CU_ASSERT_PTR_NULL(domain_find_request(d, "00000000-0000-0000-0000-000000000000"));
        ASSERT_NO_FAILURE();
}

static void test_no_gpu_devices(void) {
        _cleanup_free_ char *xml = domain_xml(NULL, NULL);
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;

        d = parse(xml, &r);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->n_mdevs, 0);
        CU_ASSERT_EQUAL(d->n_pcis, 0); /* the usb hostdev is not ours */
        CU_ASSERT_EQUAL(d->n_requests, 0);
}

static void test_model_ccw_ap_default(void) {
        _cleanup_free_ char *xml =
                domain_xml("<hostdev mode='subsystem' type='mdev' model='vfio-ccw'><source><address uuid='" M1
                           "'/></source></hostdev>"
                           "<hostdev mode='subsystem' type='mdev'><source><address uuid='" M2 "'/></source></hostdev>"
                           "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source>"
                           "<address uuid='11111111-2222-4333-8444-555555555555'/></source></hostdev>",
                           NULL);
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;

        d = parse(xml, &r);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL_FATAL(d->n_mdevs, 3);
        ASSERT_STR_EQ(d->mdevs[0].model, "vfio-ccw");
        ASSERT_STR_EQ(d->mdevs[1].model, "vfio-pci"); /* libvirt's default */
        ASSERT_STR_EQ(d->mdevs[2].model, "vfio-ap");
}

static void test_duplicates(void) {
        /* The same mdev twice among the hostdevs (case does not hide it). */
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1) MDEV_HOSTDEV("6F2C0A4E-1B7D-4C55-9A3E-2F8B1C0D9E71"), NULL,
                          "mdev " M1 " is listed twice");
        /* Twice in the metadata. */
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1 "' type='nvidia-300'/>"
                          "<gpuhook:mdev uuid='" M1 "' type='nvidia-301'/>",
                          "mdev " M1 " is described twice");
        /* The same PCI function twice, written differently. */
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x41", "0x00", "0x0") PCI_HOSTDEV("yes", "0", "65", "0", "0"),
                          NULL, "PCI device 0000:41:00.0 is listed twice");
}

static void test_invalid_hostdev_uuid(void) {
        EXPECT_REJECT_DOM(MDEV_HOSTDEV("6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7"), NULL, "invalid UUID",
                          "6f2c0a4e-1b7d-4c55-9a3e-2f8b1c0d9e7'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV("../../../../sys/bus/mdev/devices/x"), NULL, "invalid UUID");
        EXPECT_REJECT_DOM("<hostdev mode='subsystem' type='mdev'><source/></hostdev>", NULL,
                          "mdev hostdev without <source><address uuid=");
        EXPECT_REJECT_DOM("<hostdev mode='subsystem' type='mdev' model='virtio'><source><address uuid='" M1
                          "'/></source></hostdev>",
                          NULL, "unknown model 'virtio'");
}

static void test_request_attributes(void) {
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' count='2'/>",
                          "unknown attribute 'count'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' gpuhook:parent='x'/>",
                          "unknown attribute 'parent'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' placement='fill'/>",
                          "placement 'fill' is unknown", M1);
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev type='nvidia-300'/>", "has no UUID");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='nope' type='nvidia-300'/>", "invalid UUID 'nope'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "'/>", "type '(missing)'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='GRID&#9;V100'/>",
                          "is not a valid type id or name");
}

static void test_parent_forms(void) {
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent='../0000:41:00.0'/>",
                          "parent '../0000:41:00.0' is not a valid device name");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent='..'/>",
                          "parent '..'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent='a/b'/>",
                          "parent 'a/b'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent=''/>", "parent ''");

        /* Short and upper-case PCI addresses become canonical; other names stay. */
        _cleanup_free_ char *xml = domain_xml(MDEV_HOSTDEV(M1) MDEV_HOSTDEV(M2),
                                              "<gpuhook:mdev uuid='" M1 "' type='nvidia-300' parent='4A:00.4'/>"
                                              "<gpuhook:mdev uuid='" M2 "' type='mtty-1' parent='mtty'/>");
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;
        d = parse(xml, &r);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        ASSERT_STR_EQ(domain_find_request(d, M1)->parent, "0000:4a:00.4");
        ASSERT_STR_EQ(domain_find_request(d, M2)->parent, "mtty");
}

static void test_params(void) {
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1 "' type='t1'><gpuhook:param name='a b' value='1'/></gpuhook:mdev>",
                          "parameter name 'a b'");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1
                          "' type='t1'><gpuhook:param name='a' value='1,b=2'/></gpuhook:mdev>",
                          "parameter a has a value with a control character, ',' or '='");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1
                          "' type='t1'><gpuhook:param name='a' value='x&#10;y'/></gpuhook:mdev>",
                          "control character");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1 "' type='t1'><gpuhook:param name='a'/></gpuhook:mdev>",
                          "needs name= and value=");
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1),
                          "<gpuhook:mdev uuid='" M1 "' type='t1'><param name='a' value='1'/></gpuhook:mdev>",
                          "unexpected element <param>");

        char long_value[300];
        memset(long_value, 'v', 257);
        long_value[257] = 0;
        _cleanup_free_ char *meta = strdup_printf("<gpuhook:mdev uuid='" M1
                                                  "' type='t1'><gpuhook:param name='a' value='%s'/></gpuhook:mdev>",
                                                  long_value);
        EXPECT_REJECT_DOM(MDEV_HOSTDEV(M1), meta, "over 256 characters");
}

static void test_foreign_metadata_ignored(void) {
        /* Unknown gpuhook elements (from later versions) and other namespaces are not requests. */
        _cleanup_free_ char *xml =
                domain_xml(MDEV_HOSTDEV(M1), "<gpuhook:future-element foo='bar'/>"
                                             "<other:mdev xmlns:other='urn:other' uuid='" M1 "' type='t' bogus='1'/>");
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;
        d = parse(xml, &r);
        CU_ASSERT_EQUAL(r, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->n_requests, 0);
}

static void test_pci_fields(void) {
        static const char decimal[] = "<hostdev mode='subsystem' type='pci'>"
                                      "<source><address bus='10' slot='31' function='2'/></source></hostdev>";
        _cleanup_free_ char *devices =
                strdup_printf("%s%s", PCI_HOSTDEV("yes", "0x0001", "0xAf", "0x1f", "0x7"), decimal);
        _cleanup_free_ char *xml = domain_xml(devices, NULL);
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;
        d = parse(xml, &r);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL_FATAL(d->n_pcis, 2);
        ASSERT_STR_EQ(d->pcis[0].bdf, "0001:af:1f.7");
        /* Decimal fields, no domain: 0000, and managed defaults to no. */
        ASSERT_STR_EQ(d->pcis[1].bdf, "0000:0a:1f.2");
        CU_ASSERT_FALSE(d->pcis[1].managed);

        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x41", "0x20", "0x0"), NULL, "invalid slot '0x20'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x41", "0x00", "0x8"), NULL, "invalid function '0x8'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x10000", "0x41", "0x00", "0x0"), NULL, "invalid domain '0x10000'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x100", "0x00", "0x0"), NULL, "invalid bus '0x100'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x", "0x00", "0x0"), NULL, "invalid bus '0x'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "-1", "0x00", "0x0"), NULL, "invalid bus '-1'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x4g", "0x00", "0x0"), NULL, "invalid bus '0x4g'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "../41", "0x00", "0x0"), NULL, "invalid bus '../41'");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("yes", "0x0000", "0x0000000041", "0x00", "0x0"), NULL, "invalid bus");
        EXPECT_REJECT_DOM("<hostdev mode='subsystem' type='pci'><source><address domain='0' slot='0' function='0'/>"
                          "</source></hostdev>",
                          NULL, "invalid bus '(missing)'");
        EXPECT_REJECT_DOM("<hostdev mode='subsystem' type='pci'><source/></hostdev>", NULL,
                          "PCI hostdev without <source><address");
        EXPECT_REJECT_DOM(PCI_HOSTDEV("maybe", "0x0000", "0x41", "0x00", "0x0"), NULL,
                          "PCI hostdev 0000:41:00.0 has managed='maybe'");
}

static void test_pci_requests(void) {
        _cleanup_free_ char *xml = domain_xml(PCI_HOSTDEV("yes", "0x0000", "0x41", "0x00", "0x0"),
                                              "<gpuhook:pci address='42:00.0' allow='yes'/>"
                                              "<gpuhook:pci address='0000:41:00.0' allow-boot-console='yes'/>"
                                              "<gpuhook:pci address='0000:43:00.1' allow='no'/>");
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;

        d = parse(xml, &r);
        unit_check(d != NULL, __LINE__, __FILE__, "parse failed: %d %s", r, log_failure() ? log_failure() : "");
        if (!d)
                return;
        CU_ASSERT_EQUAL_FATAL(d->n_pci_requests, 3);
        ASSERT_STR_EQ(d->pci_requests[0].bdf, "0000:42:00.0");
        CU_ASSERT_TRUE(d->pci_requests[0].allow);
        CU_ASSERT_FALSE(d->pci_requests[0].allow_boot_console);
        ASSERT_STR_EQ(d->pci_requests[1].bdf, "0000:41:00.0");
        CU_ASSERT_FALSE(d->pci_requests[1].allow);
        CU_ASSERT_TRUE(d->pci_requests[1].allow_boot_console);
        CU_ASSERT_FALSE(d->pci_requests[2].allow);

        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='0000:41:00.0' allow='yes' force='yes'/>",
                          "<gpuhook:pci> has unknown attribute 'force'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='0000:41:20.0'/>", "invalid address '0000:41:20.0'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='../../x'/>", "invalid address '../../x'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci allow='yes'/>", "<gpuhook:pci> has no address");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='0000:41:00.0' allow='maybe'/>", "allow='maybe'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='0000:41:00.0' allow-boot-console='1'/>",
                          "allow-boot-console='1'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:pci address='41:00.0'/><gpuhook:pci address='0000:41:00.0' allow='yes'/>",
                          "PCI device 0000:41:00.0 is described twice");
}

static void test_vgpu_requests(void) {
        _cleanup_free_ char *xml = domain_xml(PCI_HOSTDEV("no", "0x0000", "0xc1", "0x00", "0x4"),
                                              "<gpuhook:vgpu address='c1:00.4' type='NVIDIA A100-4C'/>"
                                              "<gpuhook:vgpu address='0000:C1:00.5' type='557'/>");
        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;

        d = parse(xml, &r);
        unit_check(d != NULL, __LINE__, __FILE__, "parse failed: %d %s", r, log_failure() ? log_failure() : "");
        if (!d)
                return;
        CU_ASSERT_EQUAL_FATAL(d->n_vgpu_requests, 2);
        const struct vgpu_request *v = domain_find_vgpu(d, "0000:c1:00.4");
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        ASSERT_STR_EQ(v->type, "NVIDIA A100-4C");
        v = domain_find_vgpu(d, "0000:c1:00.5");
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        ASSERT_STR_EQ(v->type, "557");
        CU_ASSERT_PTR_NULL(domain_find_vgpu(d, "0000:c1:00.6"));

        EXPECT_REJECT_DOM(NULL, "<gpuhook:vgpu address='0000:c1:00.4' type='557' count='2'/>",
                          "<gpuhook:vgpu> has unknown attribute 'count'");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:vgpu address='0000:c1:00.4/../..' type='557'/>", "invalid address");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:vgpu type='557'/>", "<gpuhook:vgpu> has no address");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:vgpu address='0000:c1:00.4'/>",
                          "<gpuhook:vgpu address='0000:c1:00.4'> needs type=");
        EXPECT_REJECT_DOM(NULL, "<gpuhook:vgpu address='0000:c1:00.4' type='a&#10;b'/>", "needs type=");
        EXPECT_REJECT_DOM(
                NULL, "<gpuhook:vgpu address='0000:c1:00.4' type='557'/><gpuhook:vgpu address='c1:00.4' type='558'/>",
                "VF 0000:c1:00.4 has two <gpuhook:vgpu> lines");
}

static void test_numatune(void) {
        _cleanup_free_ char *xml = domain_xml(NULL, NULL), *numa = NULL, *bad = NULL;
        char *at = strstr(xml, "  <memory unit");
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        numa = strdup_printf("%.*s  <numatune><memory mode='strict' nodeset='1-3,^2'/></numatune>\n%s", (int)(at - xml),
                             xml, at);
        bad = strdup_printf("%.*s  <numatune><memory mode='strict' nodeset='1-x'/></numatune>\n%s", (int)(at - xml),
                            xml, at);

        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;
        d = parse(numa, &r);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_TRUE(d->numa.any);
        CU_ASSERT_FALSE(nodeset_contains(&d->numa, 0));
        CU_ASSERT_TRUE(nodeset_contains(&d->numa, 1));
        CU_ASSERT_FALSE(nodeset_contains(&d->numa, 2));
        CU_ASSERT_TRUE(nodeset_contains(&d->numa, 3));
        EXPECT_REJECT(bad, "nodeset='1-x'> is not a valid nodeset");
}

static void test_doctype_and_entities(void) {
        _cleanup_free_ char *xml = domain_xml(MDEV_HOSTDEV(M1), NULL);
        _cleanup_free_ char *with_doctype = strdup_printf("<!DOCTYPE domain>\n%s", xml);
        _cleanup_free_ char *with_entity = strdup_printf("<!DOCTYPE domain [<!ENTITY u '" M1 "'>]>\n%s", xml);
        _cleanup_free_ char *xxe =
                strdup_printf("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n%s", xml);
        CU_ASSERT_FATAL(with_doctype && with_entity && xxe);

        EXPECT_REJECT(with_doctype, "cannot parse the domain XML: a DOCTYPE is not allowed");
        EXPECT_REJECT(with_entity, "a DOCTYPE is not allowed");
        EXPECT_REJECT(xxe, "a DOCTYPE is not allowed");
        ASSERT_STR_LACKS(log_failure(), "root:");
        /* An entity reference without a declaration is just malformed. */
        EXPECT_REJECT("<domain><name>&x;</name></domain>", "cannot parse the domain XML");
}

static void test_malformed_and_truncated(void) {
        _cleanup_free_ char *xml = domain_xml(MDEV_HOSTDEV(M1), "<gpuhook:mdev uuid='" M1 "' type='t1'/>");
        size_t len = strlen(xml);
        unsigned accepted = 0;

        for (size_t cut = 1; cut < len - 2; cut += 13) {
                struct domain_spec *d = NULL;
                log_failure_clear();
                int r = domain_parse(xml, cut, &d);
                if (r >= 0 || d)
                        accepted++;
                domain_spec_free(d);
                if (r < 0 && !log_failure())
                        accepted++; /* failed silently */
        }
        CU_ASSERT_EQUAL(accepted, 0);
        EXPECT_REJECT("<domain><name>x</domain>", "cannot parse the domain XML: line 1");
        EXPECT_REJECT("<vm><uuid>" DOM_UUID "</uuid></vm>", "stdin is not a libvirt <domain> (root element <vm>)");
        EXPECT_REJECT("<domain xmlns='urn:x'><uuid>" DOM_UUID "</uuid></domain>", "is not a libvirt <domain>");
        EXPECT_REJECT("<domain><name>x</name></domain>", "has no <uuid>");
        EXPECT_REJECT("<domain><uuid>nope</uuid></domain>", "an invalid <uuid> 'nope'");
}

static void test_deep_nesting(void) {
        struct strbuf sb = { 0 };

        strbuf_appendf(&sb, "<domain><uuid>" DOM_UUID "</uuid><devices>");
        for (int i = 0; i < 10000; i++)
                strbuf_appendf(&sb, "<hostdev mode='subsystem' type='mdev'>");
        for (int i = 0; i < 10000; i++)
                strbuf_appendf(&sb, "</hostdev>");
        strbuf_appendf(&sb, "</devices></domain>");
        EXPECT_REJECT(strbuf_str(&sb), "cannot parse the domain XML");
        strbuf_free(&sb);
}

static void test_may_concern_us(void) {
        _cleanup_free_ char *plain = domain_xml(NULL, NULL), *meta = domain_xml(NULL, "");
        const char *hostdev = "<domain><devices><hostdev mode='subsystem' type='pci'/></devices></domain>";

        /* The realistic domain has a usb hostdev: that may concern us. */
        CU_ASSERT_TRUE(domain_xml_may_concern_us(plain, strlen(plain)));
        CU_ASSERT_TRUE(domain_xml_may_concern_us(hostdev, strlen(hostdev)));
        CU_ASSERT_TRUE(domain_xml_may_concern_us(meta, strlen(meta)));
        const char *none = "<domain><name>x</name><devices><disk/></devices></domain>";
        CU_ASSERT_FALSE(domain_xml_may_concern_us(none, strlen(none)));
        /* Only LEN bytes are looked at. */
        CU_ASSERT_FALSE(domain_xml_may_concern_us(hostdev, 20));
        CU_ASSERT_FALSE(domain_xml_may_concern_us("", 0));
}

static void test_ten_thousand_mdevs(void) {
        const size_t n = 10000;
        struct strbuf dev = { 0 }, meta = { 0 };
        char uuid[UUID_STRING_LEN + 1];

        for (size_t i = 0; i < n; i++) {
                snprintf(uuid, sizeof(uuid), "%08zx-0000-4000-8000-%012zx", i, i);
                strbuf_appendf(&dev,
                               "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='%s'/>"
                               "</source></hostdev>\n",
                               uuid);
                /* Metadata in reverse order: matched by UUID, not by position. */
                snprintf(uuid, sizeof(uuid), "%08zx-0000-4000-8000-%012zx", n - 1 - i, n - 1 - i);
                strbuf_appendf(&meta, "<gpuhook:mdev uuid='%s' type='mtty-1'/>\n", uuid);
        }
        _cleanup_free_ char *xml = domain_xml(strbuf_str(&dev), strbuf_str(&meta));
        strbuf_free(&dev);
        strbuf_free(&meta);
        CU_ASSERT_PTR_NOT_NULL_FATAL(xml);

        _cleanup_domain_spec_ struct domain_spec *d = NULL;
        int r;
        d = parse(xml, &r);
        unit_check(d != NULL, __LINE__, __FILE__, "parse failed: %d %s", r, log_failure() ? log_failure() : "");
        if (!d)
                return;
        CU_ASSERT_EQUAL(d->n_mdevs, n);
        CU_ASSERT_EQUAL(d->n_requests, n);

        /* And plan them all onto two mtty parents. */
        struct mdev_type_info *t0 = calloc(1, sizeof(*t0)), *t1 = calloc(1, sizeof(*t1));
        struct mdev_parent_info *parents = calloc(2, sizeof(*parents));
        CU_ASSERT_FATAL(t0 && t1 && parents);
        *t0 = (struct mdev_type_info){ .id = "mtty-1", .device_api = "vfio-pci", .available = 6000 };
        *t1 = (struct mdev_type_info){ .id = "mtty-1", .device_api = "vfio-pci", .available = 6000 };
        parents[0] = (struct mdev_parent_info){ .name = "mtty", .numa_node = -1, .types = t0, .n_types = 1 };
        parents[1] = (struct mdev_parent_info){ .name = "mtty2", .numa_node = -1, .types = t1, .n_types = 1 };
        struct host_view view = { .parents = parents, .n_parents = 2 };
        struct strset empty = { 0 };
        struct plan p = { 0 };
        struct plan_input in = {
                .domain = d,
                .existing = &empty,
                .ours = &empty,
                .defined = &empty,
                .view = &view,
                .default_policy = PLACEMENT_COMPACT,
        };
        r = plan_mdevs(&in, &p);
        unit_check(r == 0, __LINE__, __FILE__, "plan failed: %d %s", r, log_failure() ? log_failure() : "");
        CU_ASSERT_EQUAL(p.n_mdev, n);
        size_t on0 = 0, creates = 0, matched = 0;
        for (size_t i = 0; i < p.n_mdev; i++) {
                creates += p.mdev[i].kind == MDEV_ACTION_CREATE;
                on0 += streq(p.mdev[i].parent, "mtty");
                matched += p.mdev[i].request && streq(p.mdev[i].request->uuid, p.mdev[i].hostdev->uuid);
        }
        CU_ASSERT_EQUAL(creates, n);
        CU_ASSERT_EQUAL(matched, n);
        /* Compact fills one parent before using the other. */
        CU_ASSERT_EQUAL(on0, 6000);
        CU_ASSERT_EQUAL(view.parents[0].types[0].available, 0);
        CU_ASSERT_EQUAL(view.parents[1].types[0].available, 2000);
        plan_free(&p);
        host_view_free(&view);
}

/* clang-format off */
UNIT_MAIN("domain",
          UNIT_TEST(test_realistic_domain),
          UNIT_TEST(test_no_gpu_devices),
          UNIT_TEST(test_model_ccw_ap_default),
          UNIT_TEST(test_duplicates),
          UNIT_TEST(test_invalid_hostdev_uuid),
          UNIT_TEST(test_request_attributes),
          UNIT_TEST(test_parent_forms),
          UNIT_TEST(test_params),
          UNIT_TEST(test_foreign_metadata_ignored),
          UNIT_TEST(test_pci_fields),
          UNIT_TEST(test_pci_requests),
          UNIT_TEST(test_vgpu_requests),
          UNIT_TEST(test_numatune),
          UNIT_TEST(test_doctype_and_entities),
          UNIT_TEST(test_malformed_and_truncated),
          UNIT_TEST(test_deep_nesting),
          UNIT_TEST(test_may_concern_us),
          UNIT_TEST(test_ten_thousand_mdevs))
/* clang-format on */
