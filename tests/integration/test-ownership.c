/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ownership through the real hook on a server-shaped simulated host
 * (tests/hosts/server-mixed.umockdev): a domain changes only what it can
 * prove it owns, release undoes only what is still as gpuhook left it, and
 * state someone else could have written is never obeyed. After every step
 * the simulator's write log shows no write to a device the domain does not
 * own. */
#include <sys/stat.h>

#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define UUID_A "aaaaaaaa-0000-4000-8000-00000000000a"
#define UUID_B "bbbbbbbb-0000-4000-8000-00000000000b"
#define GPU1 "0000:31:00.0"
#define GPU1_AUDIO "0000:31:00.1"
#define GPU2 "0000:b1:00.0"
#define GPU2_AUDIO "0000:b1:00.1"
#define NIC_PF "0000:17:00.0"
#define NIC_VF_MISSING "0000:17:01.4" /* VF 4 of a PF with 4 */
#define NIC_PORT1_VF "0000:17:11.0"   /* VF 0 of the port with none */
#define NVME "0000:65:00.0"
#define XE_PF "0000:4b:00.0"
#define XE_VF1 "0000:4b:00.1"
#define XE_VF2 "0000:4b:00.2"
#define L40S_VF "0000:ca:00.4"
#define MTTY_UUID "c2c2c2c2-0000-4000-8000-000000000001"

static struct testhost *server(void) {
        struct testhost *t = testhost_new("server-mixed");
        /* Bounded waits so refusals after a handover wait stay quick. */
        testhost_config(t, "handover_timeout = 1\n");
        return t;
}

static char *vm(const char *name, const char *uuid, const char *devices, const char *meta_inner) {
        _cleanup_free_ char *meta = meta_inner ? strdup_printf("<gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices>", meta_inner) : NULL;
        return testhost_domain_xml(name, uuid, devices, meta);
}

static char *pci_vm(const char *name, const char *uuid, const char *bdf) {
        _cleanup_free_ char *dev = testhost_pci_hostdev(bdf, "no");
        return vm(name, uuid, dev, NULL);
}

static void assert_driver(struct testhost *t, const char *bdf, const char *want, int line) {
        _cleanup_free_ char *drv = testhost_pci_driver(t, bdf);
        if (!streq(drv, want))
                fprintf(stderr, "line %d: %s is on '%s', expected '%s'\n", line, bdf, drv, want);
        CU_ASSERT_STRING_EQUAL(drv, want);
}
#define ASSERT_DRIVER(t, bdf, want) assert_driver(t, bdf, want, __LINE__)

static void assert_err_has(struct testhost *t, const char *want, int line) {
        if (!strstr(t->err ? t->err : "", want))
                fprintf(stderr, "line %d: stderr '%s' lacks '%s'\n", line, t->err, want);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err ? t->err : "", want));
}
#define ASSERT_ERR_HAS(t, want) assert_err_has(t, want, __LINE__)

/* No sysfs write since the log had BEFORE lines touched a device outside ALLOWED. */
static void assert_writes_only(struct testhost *t, const char *const allowed[], int line) {
        _cleanup_free_ char *first = NULL;
        int n = testhost_writes_outside(t, allowed, &first);
        if (n != 0)
                fprintf(stderr, "line %d: %d write(s) outside the domain's devices, first: %s\n", line, n, first);
        CU_ASSERT_EQUAL(n, 0);
}
#define ASSERT_WRITES_ONLY(t, ...) assert_writes_only(t, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)
#define ASSERT_NO_WRITES(t) assert_writes_only(t, (const char *const[]){ NULL }, __LINE__)

static int sysfs_writes(struct testhost *t) { return testhost_writes_matching(t, "/sys"); }

static char *state_file(struct testhost *t, const char *rel) {
        _cleanup_free_ char *p = testhost_state_path(t, rel), *text = NULL;
        return read_text_file(p, 1 << 20, &text) >= 0 ? TAKE_PTR(text) : NULL;
}

/* A host NIC's VF count is the host's: a domain naming a VF that does not
 * exist is refused, and sriov_numvfs is never written. */
static void test_nic_pf_vf_count_never_touched(void) {
        struct testhost *t = server();
        _cleanup_free_ char *x1 = pci_vm("vmA", UUID_A, NIC_VF_MISSING), *x2 = pci_vm("vmA", UUID_A, NIC_PORT1_VF);

        CU_ASSERT_EQUAL(testhost_hook(t, x1, "vmA", "prepare", "begin"), 1);
        ASSERT_ERR_HAS(t, "VF " NIC_VF_MISSING " does not exist, and its PF " NIC_PF " (Ethernet controller, driver ice) is not a GPU whose VFs gpuhook manages");
        CU_ASSERT_EQUAL(testhost_hook(t, x2, "vmA", "prepare", "begin"), 1);
        ASSERT_ERR_HAS(t, "VF " NIC_PORT1_VF " does not exist, and its PF 0000:17:00.1 (Ethernet controller, driver ice) is not a GPU whose VFs gpuhook manages");
        CU_ASSERT_EQUAL(testhost_hook(t, x1, "vmA", "release", "end"), 0);
        _cleanup_free_ char *n = testhost_read(t, "/sys/bus/pci/devices/" NIC_PF "/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n ? n : "", "4");
        ASSERT_DRIVER(t, "0000:17:01.0", "iavf");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "sriov_numvfs"), 0);
        ASSERT_NO_WRITES(t);
        testhost_free(t);
}

/* While A's QEMU holds the group, B is refused at once, naming A, whether
 * B names A's GPU or only its companion; nothing of A's is touched. */
static void test_running_domain_device_refused(void) {
        struct testhost *t = server();
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1), *xb = pci_vm("vmB", UUID_B, GPU1),
                            *xb2 = pci_vm("vmB", UUID_B, GPU1_AUDIO);
        _cleanup_free_ char *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        ASSERT_DRIVER(t, GPU1_AUDIO, "vfio-pci");
        int before = sysfs_writes(t);
        const char *xmls[] = { xb, xb2 };
        for (size_t i = 0; i < ELEMENTSOF(xmls); i++) {
                /* "QEMU" of vmA holds the group's VFIO node. */
                CU_ASSERT_EQUAL(testhost_sh(t, xmls[i], "sleep 30 3</dev/vfio/31 & q=$!; sleep 0.3; %s vmB prepare begin -; rc=$?; kill $q; exit $rc",
                                            hook),
                                1);
                ASSERT_ERR_HAS(t, "is in use by domain 'vmA' (");
                ASSERT_ERR_HAS(t, "(sleep) has it open); stop that VM first");
        }
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        /* B's release after its failed start leaves A's devices alone. */
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "nvidia");
        ASSERT_DRIVER(t, GPU1_AUDIO, "snd_hda_intel");
        ASSERT_WRITES_ONLY(t, GPU1, GPU1_AUDIO);
        testhost_free(t);
}

/* A stopped (libvirt freed its hostdevs) but its release has not run yet:
 * B waits for it, then takes the GPU from the host driver A gave it back to,
 * and A's late release does not touch B's device. */
static void test_handover_waits_for_release(void) {
        struct testhost *t = server();
        testhost_config(t, "handover_timeout = 20\n");
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1), *xb = pci_vm("vmB", UUID_B, GPU1);
        _cleanup_free_ char *fa = strdup_printf("%s/a.xml", t->tmp), *fb = strdup_printf("%s/b.xml", t->tmp);
        CU_ASSERT_FATAL(write_file_atomic(fa, xa, strlen(xa), 0644) == 0 && write_file_atomic(fb, xb, strlen(xb), 0644) == 0);
        _cleanup_free_ char *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "%s vmB prepare begin - <%s 2>%s/b.err & b=$!; sleep 1; "
                                    "%s vmA release end - <%s || exit 10; wait $b || { cat %s/b.err >&2; exit 11; }",
                                    hook, fb, t->tmp, hook, fa, t->tmp),
                        0);
        if (t->status)
                fprintf(stderr, "handover: %s\n", t->err);
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        ASSERT_DRIVER(t, GPU1_AUDIO, "vfio-pci");
        _cleanup_free_ char *owners = state_file(t, "owners.xml"), *lb = state_file(t, "domains/" UUID_B ".xml");
        CU_ASSERT_PTR_NOT_NULL(owners && strstr(owners, "id=\"" GPU1 "\" domain-uuid=\"" UUID_B "\""));
        CU_ASSERT_PTR_NULL(owners ? strstr(owners, UUID_A) : "");
        /* B recorded the host's driver, not A's vfio-pci. */
        CU_ASSERT_PTR_NOT_NULL(lb && strstr(lb, "address=\"" GPU1 "\" driver=\"nvidia\""));

        int before = sysfs_writes(t);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0); /* late and twice */
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "nvidia");
        ASSERT_DRIVER(t, GPU1_AUDIO, "snd_hda_intel");
        _cleanup_free_ char *ov = testhost_read(t, "/sys/bus/pci/devices/" GPU1 "/driver_override");
        CU_ASSERT_STRING_EQUAL(ov ? ov : "", "(null)");
        ASSERT_WRITES_ONLY(t, GPU1, GPU1_AUDIO);
        testhost_free(t);
}

/* A never releases (its libvirtd died): B waits the bounded time and is
 * refused with the owner and the fix, before touching anything, even its
 * own free GPU. */
static void test_handover_timeout_names_owner_and_fix(void) {
        struct testhost *t = server();
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1);
        _cleanup_free_ char *d2 = testhost_pci_hostdev(GPU2, "no"), *d1 = testhost_pci_hostdev(GPU1_AUDIO, "no");
        _cleanup_free_ char *devs = strdup_printf("%s%s", d2, d1);
        _cleanup_free_ char *xb = vm("vmB", UUID_B, devs, NULL);

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        int before = sysfs_writes(t);
        uint64_t t0 = now_usec();
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "prepare", "begin"), 1);
        uint64_t waited = now_usec() - t0;
        ASSERT_ERR_HAS(t, "pci " GPU1_AUDIO " is held by domain 'vmA', which has not released it within 1s; if that VM is not running, `gpuhookctl reconcile` gives it back");
        CU_ASSERT(waited >= 1000000);
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        ASSERT_DRIVER(t, GPU2, "nvidia");
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "nvidia");
        ASSERT_WRITES_ONLY(t, GPU1, GPU1_AUDIO);
        testhost_free(t);
}

/* A plain PCI hostdev naming the VF that carries A's vendor vGPU does not
 * unbind it from A. */
static void test_vendor_vgpu_vf_not_taken(void) {
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1); /* a libvirt that takes the VF (libvirt-vfio.h) */
        struct testhost *t = server();
        _cleanup_free_ char *dev = testhost_pci_hostdev(L40S_VF, "no");
        _cleanup_free_ char *xa = vm("vmA", UUID_A, dev, "<gpuhook:vgpu address='" L40S_VF "' type='NVIDIA L40S-8Q'/>");
        _cleanup_free_ char *xb = pci_vm("vmB", UUID_B, L40S_VF);

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "vgpu prepare: %s\n", t->err);
        _cleanup_free_ char *type = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        int before = sysfs_writes(t);
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "prepare", "begin"), 1);
        ASSERT_ERR_HAS(t, "vgpu " L40S_VF " is held by domain 'vmA'");
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        ASSERT_DRIVER(t, L40S_VF, "nvidia");
        _cleanup_free_ char *type2 = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(type2 ? type2 : "", type ? type : "?");
        CU_ASSERT_NOT_EQUAL(strcmp(type2 ? type2 : "0", "0"), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        CU_ASSERT_EQUAL(sysfs_writes(t), before);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        _cleanup_free_ char *type3 = testhost_read(t, "/sys/bus/pci/devices/" L40S_VF "/nvidia/current_vgpu_type");
        CU_ASSERT_STRING_EQUAL(type3 ? type3 : "", "0");
        ASSERT_WRITES_ONLY(t, L40S_VF);
        testhost_free(t);
}

/* Release gives back only what is still as gpuhook left it: a companion the
 * admin returned to its driver by hand, and a planted-but-trusted entry for
 * the host's NVMe, are left alone. */
static void test_release_skips_what_moved_since(void) {
        struct testhost *t = server();
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1);

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        /* The admin gives the audio function back by hand. */
        CU_ASSERT_EQUAL(testhost_sh(t, NULL,
                                    "d=/sys/bus/pci/devices/%s; echo > $d/driver_override && echo %s > $d/driver/unbind && "
                                    "echo %s > /sys/bus/pci/drivers_probe",
                                    GPU1_AUDIO, GPU1_AUDIO, GPU1_AUDIO),
                        0);
        ASSERT_DRIVER(t, GPU1_AUDIO, "snd_hda_intel");
        /* An entry for the NVMe (as if recorded long ago, the disk back on nvme since). */
        _cleanup_free_ char *path = testhost_state_path(t, "domains/" UUID_A ".xml"), *text = NULL;
        CU_ASSERT_FATAL(read_text_file(path, 1 << 20, &text) >= 0);
        char *end = strstr(text, "</ledger>");
        CU_ASSERT_FATAL(end != NULL);
        *end = 0;
        _cleanup_free_ char *planted = strdup_printf("%s<pci address=\"" NVME "\" driver=\"\" override=\"\" state=\"done\" since=\"1\"/>\n</ledger>\n", text);
        CU_ASSERT_FATAL(write_file_atomic(path, planted, strlen(planted), 0600) == 0);

        int before = testhost_writes_matching(t, GPU1_AUDIO) + testhost_writes_matching(t, NVME);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "nvidia");
        ASSERT_DRIVER(t, GPU1_AUDIO, "snd_hda_intel");
        ASSERT_DRIVER(t, NVME, "nvme");
        CU_ASSERT_EQUAL(testhost_writes_matching(t, GPU1_AUDIO) + testhost_writes_matching(t, NVME), before);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, NVME), 0);
        _cleanup_free_ char *left = state_file(t, "domains/" UUID_A ".xml");
        CU_ASSERT_PTR_NULL(left); /* nothing of ours is left on them: forgotten */
        testhost_free(t);
}

/* State others could have written is refused, naming the path and the fix,
 * and nothing is changed. */
static void test_untrusted_state_refused(void) {
        static const struct {
                const char *what, *cmd, *msg;
        } cases[] = {
                { "ledger mode", "chmod 666 %s/domains/" UUID_A ".xml", "is writable by others (mode 0666)" },
                { "ledger owner", "chown 1000 %s/domains/" UUID_A ".xml", "is owned by uid 1000, not root" },
                { "owner record mode", "chmod 644 %s/owners.xml && chmod g+w %s/owners.xml", "owner record" },
                { "state dir mode", "chmod 777 %s", "is writable by everyone (mode 0777)" },
                { "domains dir mode", "chmod 775 %s/domains", "is writable by its group (mode 0775)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct testhost *t = server();
                _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1), *state = testhost_state_path(t, "");
                state[strlen(state) - 1] = 0; /* no trailing slash */
                CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
                _cleanup_free_ char *cmd = strdup_printf(cases[i].cmd, state, state);
                CU_ASSERT_EQUAL(system(cmd), 0);
                int before = sysfs_writes(t);
                CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 1);
                if (!strstr(t->err, cases[i].msg))
                        fprintf(stderr, "%s: %s\n", cases[i].what, t->err);
                CU_ASSERT_PTR_NOT_NULL(strstr(t->err, cases[i].msg));
                CU_ASSERT_EQUAL(sysfs_writes(t), before);
                ASSERT_DRIVER(t, GPU1, "vfio-pci");
                testhost_free(t);
        }
}

/* A counts VFs it enabled back only when none of them is in use: B's VF
 * keeps the count (reported), and the next release sets it back. */
static void test_sriov_count_kept_while_another_domain_uses_a_vf(void) {
        struct testhost *t = server();
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, XE_VF2), *xb = pci_vm("vmB", UUID_B, XE_VF1);

        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "xe prepare: %s\n", t->err);
        _cleanup_free_ char *n = testhost_read(t, "/sys/bus/pci/devices/" XE_PF "/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n ? n : "", "2");
        _cleanup_free_ char *vf1_host = testhost_pci_driver(t, XE_VF1);
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "prepare", "begin"), 0);
        ASSERT_DRIVER(t, XE_VF1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 1);
        ASSERT_ERR_HAS(t, "kept 2 VFs on " XE_PF ": VF " XE_VF1 " is in use by domain 'vmB'");
        _cleanup_free_ char *n2 = testhost_read(t, "/sys/bus/pci/devices/" XE_PF "/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n2 ? n2 : "", "2");
        ASSERT_DRIVER(t, XE_VF1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        ASSERT_DRIVER(t, XE_VF1, vf1_host);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        _cleanup_free_ char *n3 = testhost_read(t, "/sys/bus/pci/devices/" XE_PF "/sriov_numvfs");
        CU_ASSERT_STRING_EQUAL(n3 ? n3 : "", "0");
        ASSERT_DRIVER(t, XE_PF, "xe");
        ASSERT_WRITES_ONLY(t, XE_PF, XE_VF1, XE_VF2);
        testhost_free(t);
}

/* A kill between the claim and the ledger write leaves a claim with no
 * effect behind it: the next domain drops it and goes ahead at once. */
static void test_orphan_claim_dropped(void) {
        struct testhost *t = server();
        testhost_config(t, "handover_timeout = 30\n"); /* a wait would show, even under valgrind */
        _cleanup_free_ char *xa = pci_vm("vmA", UUID_A, GPU1), *xb = pci_vm("vmB", UUID_B, GPU1);
        CU_ASSERT_NOT_EQUAL(testhost_sh(t, xa, "GPUHOOK_FAULT_KILL_AT=claimed exec %s/hooks/gpuhook vmA prepare begin -",
                                        testhost_build_root()),
                            0);
        _cleanup_free_ char *owners = state_file(t, "owners.xml");
        CU_ASSERT_PTR_NOT_NULL(owners && strstr(owners, UUID_A));
        ASSERT_DRIVER(t, GPU1, "nvidia");
        uint64_t t0 = now_usec();
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "prepare", "begin"), 0);
        CU_ASSERT(now_usec() - t0 < 15000000); /* no wait for an owner that holds nothing */
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        ASSERT_DRIVER(t, GPU1, "nvidia");
        _cleanup_free_ char *owners2 = state_file(t, "owners.xml");
        CU_ASSERT_PTR_NULL(owners2);
        testhost_free(t);
}

/* An mdevctl definition gpuhook started for A is not started, stopped or
 * handed to B. */
static void test_defined_mdev_of_another_domain(void) {
        struct testhost *t = testhost_new("mtty");
        testhost_config(t, "handover_timeout = 1\n");
        _cleanup_free_ char *dev = testhost_mdev_hostdev(MTTY_UUID, "vfio-pci");
        _cleanup_free_ char *xa = vm("vmA", UUID_A, dev, NULL), *xb = vm("vmB", UUID_B, dev, NULL);
        CU_ASSERT_EQUAL(testhost_sh(t, NULL, "mdevctl define -u %s -p mtty -t mtty-2", MTTY_UUID), 0);
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "prepare", "begin"), 0);
        if (t->status)
                fprintf(stderr, "defined prepare: %s\n", t->err);
        CU_ASSERT_TRUE(testhost_mdev_present(t, MTTY_UUID));
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "prepare", "begin"), 1);
        ASSERT_ERR_HAS(t, "mdev " MTTY_UUID " is held by domain 'vmA'");
        CU_ASSERT_EQUAL(testhost_hook(t, xb, "vmB", "release", "end"), 0);
        CU_ASSERT_TRUE(testhost_mdev_present(t, MTTY_UUID));
        CU_ASSERT_EQUAL(testhost_hook(t, xa, "vmA", "release", "end"), 0);
        CU_ASSERT_FALSE(testhost_mdev_present(t, MTTY_UUID));
        testhost_free(t);
}

CUNIT_MAIN("ownership", T(test_nic_pf_vf_count_never_touched), T(test_running_domain_device_refused),
           T(test_handover_waits_for_release), T(test_handover_timeout_names_owner_and_fix),
           T(test_vendor_vgpu_vf_not_taken), T(test_release_skips_what_moved_since), T(test_untrusted_state_refused),
           T(test_sriov_count_kept_while_another_domain_uses_a_vf), T(test_orphan_claim_dropped),
           T(test_defined_mdev_of_another_domain))
