/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl attach, detach and reconcile against a REAL libvirtd: each
 * test runs a bash script through tests/e2e/with-libvirtd.sh, which starts
 * its own virtlogd and libvirtd in a private mount namespace (fresh /run,
 * copies of /etc/libvirt with gpuhook installed as the hook, fresh
 * /var/lib/libvirt ...) and stops only those daemons, by pid. gpuhookctl and
 * the hook both act on one simulated host (gpuhook-sim).
 *
 * On this machine libvirt cannot start a domain with an mdev or hot-plug one
 * (no VFIO): the tests observe what is real here: the persistent definition,
 * gpuhook's metadata, the simulated host's sysfs writes, the ledger, and the
 * rollback when libvirt refuses. */
#include "cli-test.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define U_CFG "7e57c0de-0000-4000-8000-0000000000c1"
#define U_LIVE "7e57c0de-0000-4000-8000-0000000000c2"
#define U_RUN "7e57c0de-0000-4000-8000-0000000000c3"
#define U_OFF "7e57c0de-0000-4000-8000-0000000000c4"
#define U_GHOST "7e57c0de-0000-4000-8000-0000000000c5"
#define M1 "11111111-2222-4333-8444-000000000001"
#define M2 "11111111-2222-4333-8444-000000000002"
#define M3 "11111111-2222-4333-8444-000000000003"
#define M4 "11111111-2222-4333-8444-000000000004"
#define M5 "11111111-2222-4333-8444-000000000005"

static struct run r;
static bool usable;

static void setup(void) {
        setenv("NO_COLOR", "1", 1);
        usable = geteuid() == 0 && access("/dev/kvm", R_OK | W_OK) == 0 && have_program("libvirtd") &&
                 have_program("virtlogd") && have_program("unshare") && have_program("virsh");
        if (!usable)
                fprintf(stderr, "SKIP: needs root, /dev/kvm, libvirtd, virtlogd, unshare and virsh\n");
}

/* SCRIPT (bash, set -u) next to a private libvirtd; `ctl` runs gpuhookctl
 * and `hook` the built hook inside T's simulated host. */
static int with_libvirtd(struct testhost *t, const char *script) {
        _cleanup_free_ char *wrapper = strdup_printf("%s/tests/e2e/with-libvirtd.sh", cli_source_root());
        _cleanup_free_ char *full = strdup_printf(
                "S=%s/sim/gpuhook-sim; G=%s; H=%s/hooks/gpuhook; T=%s\n"
                "W=$(mktemp -d \"${TMPDIR:-/tmp}/gpuhookctl-libvirt.XXXXXX\"); trap 'rm -rf \"$W\"' EXIT\n"
                "ctl() { \"$S\" --testbed \"$T\" -- \"$G\" \"$@\"; }\n"
                "hook() { \"$S\" --testbed \"$T\" -- \"$H\" \"$@\"; }\n"
                "dom() { \"$G\" xml domain none --memory 64 --vcpus 1 \"$@\"; }\n"
                "%s\n",
                cli_build_root(), cli_binary(), cli_build_root(), t->dir, script);
        const char *argv[] = { wrapper, cli_build_root(), t->dir, t->host, "--", "bash", "-uc", full, NULL };
        int k = run_argv(&r, NULL, argv, -1);
        if (getenv("GPUHOOK_TEST_VERBOSE"))
                fprintf(stderr, "\n--- script:\n%s\n--- stdout:\n%s\n--- stderr:\n%s\n", script, r.out, r.err);
        return k;
}

/* The text after the line "== NAME" up to the next "== " line. */
static char *section(const char *name) {
        _cleanup_free_ char *marker = strdup_printf("== %s\n", name);
        const char *p = r.out ? strstr(r.out, marker) : NULL;
        if (!p)
                return strdup("");
        p += strlen(marker);
        const char *end = strstr(p, "\n== ");
        return strndup(p, end ? (size_t)(end - p + 1) : strlen(p));
}

static void test_attach_config_then_start_then_detach(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("v100");
        with_libvirtd(t, "dom --name cfg --uuid " U_CFG " > $W/cfg.xml; virsh define $W/cfg.xml >/dev/null\n"
                         "echo '== attach'; ctl attach cfg mdev nvidia-300 --uuid " M1 " --param enable_uvm=1; echo rc=$?\n"
                         "echo '== again'; ctl attach cfg mdev nvidia-300 --uuid " M1 " 2>&1; echo rc=$?\n"
                         "echo '== pci'; ctl attach cfg pci 41:00.0; echo rc=$?\n"
                         "echo '== notype'; ctl attach cfg mdev nvidia-999 --uuid " M5 " 2>&1; echo rc=$?; ctl detach cfg " M5 "\n"
                         "echo '== inactive'; virsh dumpxml --inactive cfg\n"
                         "echo '== status'; ctl status\n"
                         "echo '== start'; if virsh start cfg 2>&1; then virsh destroy cfg; fi\n"
                         "echo '== detach'; ctl detach cfg " M1 " 0000:41:00.0; echo rc=$?\n"
                         "echo '== after'; virsh dumpxml --inactive cfg\n");
        _cleanup_free_ char *notype = section("notype");
        CU_ASSERT_PTR_NOT_NULL(strstr(notype, "warning: no mdev parent on this host offers 'nvidia-999' now"));
        CU_ASSERT_PTR_NOT_NULL(strstr(notype, "rc=0"));
        _cleanup_free_ char *attach = section("attach"), *again = section("again"), *pci = section("pci"),
                            *inactive = section("inactive"), *status = section("status"), *detach = section("detach"),
                            *after = section("after");
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "Attached mdev " M1 " to domain 'cfg' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "rc=0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(again, "is already attached to domain 'cfg'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(again, "rc=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(pci, "rc=0"));
        /* the definition: both hostdevs, and gpuhook's request under its namespace */
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<address uuid='" M1 "'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<gpuhook:mdev uuid=\"" M1 "\" type=\"nvidia-300\">"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<gpuhook:param name=\"enable_uvm\" value=\"1\"/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<address domain='0x0000' bus='0x41' slot='0x00' function='0x0'/>"));
        /* nothing prepared before the domain starts */
        CU_ASSERT_PTR_NOT_NULL(strstr(status, "No devices are held"));
        /* at start the hook created the vGPU from that request, and released it */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" M1 "\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, M1 "/remove \"1\" 0"), 1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "Detached " M1 " from domain 'cfg' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "Detached 0000:41:00.0 from domain 'cfg' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "rc=0"));
        CU_ASSERT_PTR_NULL(strstr(after, "<hostdev"));
        CU_ASSERT_PTR_NULL(strstr(after, "gpuhook:mdev"));
        testhost_free(t);
}

static void test_live_attach_prepares_and_rolls_back(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("v100");
        with_libvirtd(t, "dom --name live --uuid " U_LIVE " > $W/live.xml; virsh define $W/live.xml >/dev/null\n"
                         "virsh start live >/dev/null || echo START-FAILED\n"
                         "echo '== dry'; ctl attach live mdev 'GRID V100-8C' --uuid " M2 " --dry-run; echo rc=$?\n"
                         "echo '== attach'; ctl attach live mdev 'GRID V100-8C' --uuid " M2 " 2>&1; echo rc=$?\n"
                         "echo '== status'; ctl status --json\n"
                         "echo '== live'; virsh dumpxml live\n"
                         "echo '== detach'; ctl detach live " M2 " 2>&1; echo rc=$?\n"
                         "echo '== errors'; ctl attach nosuchdomain mdev nvidia-300 2>&1; echo rc=$?;"
                         " virsh destroy live >/dev/null; ctl attach live mdev nvidia-300 --live 2>&1; echo rc=$?\n");
        _cleanup_free_ char *dry = section("dry"), *attach = section("attach"), *status = section("status"),
                            *live = section("live"), *detach = section("detach"), *errors = section("errors");
        CU_ASSERT_PTR_NULL(strstr(r.out, "START-FAILED"));
        CU_ASSERT_PTR_NOT_NULL(strstr(dry, "Would attach to domain 'live' (live)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(dry, "after gpuhook prepared the mdev just in time"));
        if (strstr(attach, "rc=0")) {
                /* a host with VFIO: the device is in the VM and in its ledger */
                CU_ASSERT_PTR_NOT_NULL(strstr(status, M2));
                CU_ASSERT_PTR_NOT_NULL(strstr(live, M2));
                CU_ASSERT_PTR_NOT_NULL(strstr(detach, "rc=0"));
        } else {
                /* this machine: gpuhook created the vGPU just in time, libvirt
                 * refused it, and everything was undone */
                CU_ASSERT_PTR_NOT_NULL(strstr(attach, "gpuhookctl: error: libvirt refused to attach " M2 " to domain 'live' (live)"));
                CU_ASSERT_PTR_NOT_NULL(strstr(attach, "rc=1"));
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" M2 "\" 0"), 1);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, M2 "/remove \"1\" 0"), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(status, "\"domains\": [\n  ]"));
                CU_ASSERT_PTR_NULL(strstr(live, M2));        /* neither hostdev */
                CU_ASSERT_PTR_NULL(strstr(live, "gpuhook:mdev")); /* nor request */
                CU_ASSERT_PTR_NOT_NULL(strstr(detach, "is not attached to domain 'live'"));
                CU_ASSERT_PTR_NOT_NULL(strstr(detach, "rc=1"));
        }
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(errors, "domain 'nosuchdomain' not found"));
        CU_ASSERT_PTR_NOT_NULL(strstr(errors, "domain 'live' is not running"));
        CU_ASSERT_EQUAL(count_lines(errors, "rc=1"), 2);
        testhost_free(t);
}

static void test_attach_refuses_another_domains_mdev(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("v100");
        with_libvirtd(t, "dom --name a --uuid " U_OFF " --mdev " M3 " --type nvidia-300 > $W/a.xml; hook a prepare begin - < $W/a.xml\n"
                         "dom --name b --uuid " U_CFG " > $W/b.xml; virsh define $W/b.xml >/dev/null\n"
                         "echo '== attach'; ctl attach b mdev nvidia-300 --uuid " M3 " 2>&1; echo rc=$?\n");
        _cleanup_free_ char *attach = section("attach");
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "mdev " M3 " belongs to domain 'a'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "rc=1"));
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 1); /* a's, untouched */
        testhost_free(t);
}

static void test_reconcile_releases_only_what_is_not_running(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *led_run = testhost_state_path(t, "domains/" U_RUN ".xml"),
                            *led_off = testhost_state_path(t, "domains/" U_OFF ".xml"),
                            *led_ghost = testhost_state_path(t, "domains/" U_GHOST ".xml");
        with_libvirtd(t,
                      /* run: running; off: defined, shut off; ghost: unknown to libvirt */
                      "dom --name run --uuid " U_RUN " > $W/run.xml; virsh define $W/run.xml >/dev/null; virsh start run >/dev/null\n"
                      "dom --name off --uuid " U_OFF " > $W/off.xml; virsh define $W/off.xml >/dev/null\n"
                      /* each has a vGPU in the ledger, as the hook's prepare leaves it */
                      "for d in run:" U_RUN ":" M4 " off:" U_OFF ":" M3 " ghost:" U_GHOST ":" M5 "; do\n"
                      "  IFS=: read n u m <<< \"$d\"; dom --name $n --uuid $u --mdev $m --type nvidia-299 > $W/h-$n.xml\n"
                      "  hook $n prepare begin - < $W/h-$n.xml || echo HOOK-FAILED; done\n"
                      "echo '== young'; ctl reconcile; echo rc=$?\n"
                      "echo '== dry'; ctl reconcile --min-age 0 --dry-run; echo rc=$?\n"
                      "echo '== now'; ctl reconcile --min-age 0; echo rc=$?\n"
                      "ctl reconcile --min-age 0 --json > $W/again.json; echo \"== again rc=$?\"\n"
                      "echo '== again'; cat $W/again.json\n"
                      "echo '== status'; ctl status\n"
                      /* stopping the VM releases what the ledger holds: the hook's release */
                      "virsh destroy run >/dev/null\n"
                      "echo '== stopped'; ctl status; ctl reconcile --min-age 0; echo rc=$?\n");
        _cleanup_free_ char *young = section("young"), *dry = section("dry"), *now = section("now"), *again = section("again"),
                            *status = section("status"), *stopped = section("stopped");
        CU_ASSERT_PTR_NULL(strstr(r.out, "HOOK-FAILED"));
        CU_ASSERT_EQUAL(count_lines(young, "kept (running)"), 1);
        CU_ASSERT_EQUAL(count_lines(young, "skipped (just recorded)"), 2);
        CU_ASSERT_EQUAL(count_lines(dry, "would release"), 2);
        CU_ASSERT_EQUAL(count_lines(now, "kept (running)"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "== again rc=0"));
        CU_ASSERT_EQUAL(count_lines(now, "shut off            1        released"), 1);
        CU_ASSERT_EQUAL(count_lines(now, "unknown to libvirt  1        released"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(now, "rc=0"));
        /* the vGPUs of off and ghost are gone, run's stays */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, M3 "/remove"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, M5 "/remove"), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, M4 "/remove"), 1); /* by the hook, at destroy */
        CU_ASSERT_EQUAL(access(led_off, F_OK), -1);
        CU_ASSERT_EQUAL(access(led_ghost, F_OK), -1);
        /* repeated: the running one is kept, nothing else happens */
        struct json_object *o = json_parse(again);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_EQUAL(json_object_array_length(o), 1);
        CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(o, 0), "action"), "kept (running)");
        json_object_put(o);
        CU_ASSERT_EQUAL(count_lines(status, M4), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(stopped, "No devices are held"));
        CU_ASSERT_PTR_NOT_NULL(strstr(stopped, "Nothing to reconcile"));
        CU_ASSERT_EQUAL(access(led_run, F_OK), -1);
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        testhost_free(t);
}

/* NVIDIA vendor-specific VFIO (L40S): the VF's vGPU type is set just in
 * time, by the hook at start (after attach --config) and by attach itself
 * for a running domain, and cleared again. gpuhookctl is told it talks to a
 * libvirt >= 10.0.0 (which takes the VF unmanaged on the nvidia driver);
 * the hook, run by this machine's libvirtd with libvirt's own environment,
 * asks the real library, and on Debian 12's 9.0.0 refuses the start with
 * nothing written (tests/e2e/test-vgpu-vf-libvirt.c has the refusals). */
static void test_sriov_vgpu_vf(void) {
        if (!usable)
                return;
        setenv("GPUHOOK_TEST_LIBVIRT_VERSION", "10.0.0", 1);
        struct testhost *t = testhost_new("l40s-vfio");
        with_libvirtd(t, "dom --name vf1 --uuid " U_CFG " > $W/vf1.xml; virsh define $W/vf1.xml >/dev/null\n"
                         "echo \"== version $(virsh version --daemon | sed -n 's/^Running against daemon: *//p')\"\n"
                         "echo '== attach'; ctl attach vf1 vgpu-vf 0000:c1:00.5 --type 'NVIDIA L40S-8Q'; echo rc=$?\n"
                         "echo '== inactive'; virsh dumpxml --inactive vf1\n"
                         "echo '== start'; if virsh start vf1 2>&1; then virsh destroy vf1; fi\n"
                         "echo '== detach'; ctl detach vf1 c1:00.5; echo rc=$?; virsh dumpxml --inactive vf1 | grep -c gpuhook:vgpu\n"
                         "dom --name vf2 --uuid " U_LIVE " > $W/vf2.xml; virsh define $W/vf2.xml >/dev/null; virsh start vf2 >/dev/null\n"
                         "echo '== live'; ctl attach vf2 vgpu-vf 0000:c1:00.6 --type 1152 2>&1; echo rc=$?\n"
                         "echo '== notvf'; ctl attach vf2 vgpu-vf 0000:c1:00.0 --type 1152 2>&1; echo rc=$?\n"
                         "echo '== status'; ctl status; virsh destroy vf2 >/dev/null\n");
        unsetenv("GPUHOOK_TEST_LIBVIRT_VERSION");
        _cleanup_free_ char *attach = section("attach"), *inactive = section("inactive"), *detach = section("detach"),
                            *live = section("live"), *notvf = section("notvf"), *status = section("status"),
                            *start = section("start");
        bool old_daemon = strstr(r.out, "== version 9.") || strstr(r.out, "== version 8.");
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "Attached vGPU VF 0000:c1:00.5 to domain 'vf1' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<hostdev mode='subsystem' type='pci' managed='no'>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<address domain='0x0000' bus='0xc1' slot='0x00' function='0x5'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(inactive, "<gpuhook:vgpu address=\"0000:c1:00.5\" type=\"NVIDIA L40S-8Q\"/>"));
        if (old_daemon) {
                /* the hook refused the start before writing anything */
                CU_ASSERT_PTR_NOT_NULL(strstr(start, "which needs libvirt 10.0.0 or newer"));
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:c1:00.5/nvidia/current_vgpu_type"), 0);
        } else {
                /* the hook gave the VF its type at start (id 1152 = L40S-8Q) and took it back */
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:c1:00.5/nvidia/current_vgpu_type \"1152\" 0"), 1);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:c1:00.5/nvidia/current_vgpu_type \"0\" 0"), 1);
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "rc=0\n0\n"));
        if (strstr(live, "rc=1")) { /* this machine: libvirt cannot pass PCI devices */
                CU_ASSERT_PTR_NOT_NULL(strstr(live, "libvirt refused to attach 0000:c1:00.6"));
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:c1:00.6/nvidia/current_vgpu_type \"1152\" 0"), 1);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, "0000:c1:00.6/nvidia/current_vgpu_type \"0\" 0"), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(status, "No devices are held"));
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(notvf, "is not an SR-IOV virtual function"));
        testhost_free(t);
}

/* An Intel SR-IOV family: `attach vf` picks a free VF and writes the
 * request; a start on a VF another domain holds is refused by the real hook
 * naming the holder and the free VF; `repick` moves the definition there and
 * libvirt takes it. */
static void test_vf_family_attach_refuse_repick(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("intel-xe-sriov");
        with_libvirtd(t, "\"$S\" --testbed \"$T\" -- sh -c 'echo 3 > /sys/bus/pci/devices/0000:03:00.0/sriov_numvfs'\n"
                         "dom --name vfa --uuid " U_CFG " > $W/a.xml; virsh define $W/a.xml >/dev/null\n"
                         "dom --name vfb --uuid " U_OFF " > $W/b.xml; virsh define $W/b.xml >/dev/null\n"
                         "echo '== attach'; ctl attach vfa vf intel-sriov; ctl attach vfb vf intel-sriov --placement spread; echo rc=$?\n"
                         "virsh dumpxml --inactive vfa > $W/a2.xml; hook vfa prepare begin - < $W/a2.xml; echo prepared=$?\n"
                         "echo '== start'; if virsh start vfb 2>&1; then virsh destroy vfb; fi\n"
                         "virsh dumpxml --inactive vfb > $W/b2.xml\n"
                         "echo '== migrate'; hook vfb migrate begin - < $W/b2.xml > $W/b3.xml; echo rc=$?; virsh define $W/b3.xml\n"
                         "virsh dumpxml --inactive vfb | grep -c \"bus='0x03' slot='0x00' function='0x2'\"\n"
                         "virsh define $W/b2.xml >/dev/null\n"
                         "echo '== repick'; ctl repick vfb --dry-run; ctl repick vfb; echo rc=$?\n"
                         "echo '== after'; virsh dumpxml --inactive vfb\n"
                         "echo '== again'; ctl repick vfb; echo rc=$?\n"
                         "echo '== status'; ctl status\n"
                         "echo '== detach'; ctl detach vfb 0000:03:00.2; echo rc=$?; virsh dumpxml --inactive vfb | grep -c 'gpuhook:vf'\n"
                         "hook vfa release end - < $W/a2.xml\n");
        _cleanup_free_ char *attach = section("attach"), *start = section("start"), *repick = section("repick"),
                            *after = section("after"), *again = section("again"), *status = section("status"),
                            *migrate = section("migrate"), *detach = section("detach");
        /* the family request goes with the VF: no <gpuhook:vf> left to refuse the next start */
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "Detached 0000:03:00.2 from domain 'vfb'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(detach, "rc=0\n0\n"));
        /* the migrate filter's XML: libvirt defines it, with the free VF */
        CU_ASSERT_PTR_NOT_NULL(strstr(migrate, "rc=0\nDomain 'vfb' defined from"));
        CU_ASSERT_PTR_NOT_NULL(strstr(migrate, "\n1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "Attached PCI device 0000:03:00.1 to domain 'vfa' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "Attached PCI device 0000:03:00.1 to domain 'vfb' (persistent)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(attach, "rc=0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "prepared=0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(start, "VF 0000:03:00.1 is held by domain 'vfa'; intel-sriov VF 0000:03:00.2 is free (spread placement): run `gpuhookctl repick vfb`"));
        CU_ASSERT_PTR_NOT_NULL(strstr(repick, "Would move VF 0000:03:00.1 -> 0000:03:00.2 in domain 'vfb'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(repick, "Moved VF 0000:03:00.1 -> 0000:03:00.2 in domain 'vfb'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(repick, "rc=0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(after, "<address domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(after, "<gpuhook:vf address=\"0000:03:00.2\" family=\"intel-sriov\" placement=\"spread\"/>"));
        CU_ASSERT_PTR_NULL(strstr(after, "bus='0x03' slot='0x00' function='0x1'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(again, "nothing to move"));
        CU_ASSERT_PTR_NOT_NULL(strstr(status, "0000:03:00.0 (intel-sriov, xe): 2 free for a domain; 0000:03:00.1 held by domain 'vfa'; 3 of 7 VFs enabled"));
        testhost_free(t);
}

/* A GPU with audio, USB and UCSI functions hot-plugged into a running
 * domain: gpuhook takes the companions to vfio-pci as the hook would, and
 * gives each back to its driver when libvirt refuses the GPU. */
static void test_pci_live_attach_takes_and_returns_companions(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("desktop-rtx");
        with_libvirtd(t, "dom --name p1 --uuid " U_LIVE " > $W/p1.xml; virsh define $W/p1.xml >/dev/null; virsh start p1 >/dev/null\n"
                         "echo '== attach'; ctl attach p1 pci 01:00.0 2>&1; echo rc=$?\n"
                         "echo '== list'; ctl list\n"
                         "echo '== boot'; ctl attach p1 pci 00:02.0 2>&1; echo rc=$?\n"
                         "echo '== unmanaged'; ctl attach p1 pci 01:00.0 --unmanaged 2>&1; echo rc=$?; virsh destroy p1 >/dev/null\n"
                         "echo '== config'; ctl attach p1 pci 00:02.0 --config 2>&1; echo rc=$?\n");
        _cleanup_free_ char *attach = section("attach"), *list = section("list"), *boot = section("boot"),
                            *unmanaged = section("unmanaged");
        static const char *const companions[][2] = { { "0000:01:00.1", "snd_hda_intel" }, { "0000:01:00.2", "xhci_hcd" },
                                                      { "0000:01:00.3", "nvidia-gpu" } };
        for (size_t i = 0; i < ELEMENTSOF(companions); i++) {
                _cleanup_free_ char *to_vfio = strdup_printf("%s/driver_override \"vfio-pci\" 0", companions[i][0]),
                                    *back = strdup_printf("drivers/%s/unbind \"%s\" 0", companions[i][1], companions[i][0]);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, to_vfio), 1);
                CU_ASSERT_EQUAL(testhost_writes_matching(t, back), 1);
                _cleanup_free_ char *drv = testhost_pci_driver(t, companions[i][0]);
                CU_ASSERT_STRING_EQUAL(drv, companions[i][1]); /* given back */
        }
        if (strstr(attach, "rc=1"))
                CU_ASSERT_PTR_NOT_NULL(strstr(attach, "libvirt refused to attach 0000:01:00.0"));
        CU_ASSERT_EQUAL(count_lines(list, "snd_hda_intel"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(boot, "0000:00:02.0 drives the host's boot console"));
        CU_ASSERT_PTR_NOT_NULL(strstr(boot, "rc=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(unmanaged, "--unmanaged needs it on vfio-pci already"));
        _cleanup_free_ char *config = section("config");
        CU_ASSERT_PTR_NOT_NULL(strstr(config, "warning: the hook will refuse 0000:00:02.0 when the domain starts"));
        CU_ASSERT_PTR_NOT_NULL(strstr(config, "Attached PCI device 0000:00:02.0 to domain 'p1' (persistent)"));
        _cleanup_free_ char *led = testhost_state_path(t, "domains/" U_LIVE ".xml");
        CU_ASSERT_EQUAL(access(led, F_OK), -1);
        testhost_free(t);
}

/* check with a daemon and the hook in place (the wrapper's qemu.d). */
static void test_check_sees_daemon_and_hook(void) {
        if (!usable)
                return;
        struct testhost *t = testhost_new("v100");
        with_libvirtd(t, "echo '== check'; \"$G\" check\n"
                         "touch -d '+30 sec' /etc/libvirt/hooks/qemu.d/50-gpuhook; echo '== later'; \"$G\" check | grep 'hook:'\n"
                         "chmod 644 /etc/libvirt/hooks/qemu.d/50-gpuhook; echo '== noexec'; \"$G\" check | grep -A1 'hook:'\n");
        _cleanup_free_ char *check = section("check"), *later = section("later"), *noexec = section("noexec");
        CU_ASSERT_PTR_NOT_NULL(strstr(check, "✓ gpuhook hook: /etc/libvirt/hooks/qemu.d/50-gpuhook is installed and executable"));
        CU_ASSERT_PTR_NULL(strstr(check, "installed after"));
        CU_ASSERT_PTR_NOT_NULL(strstr(check, "✓ libvirt: daemon "));
        CU_ASSERT_PTR_NOT_NULL(strstr(later, "! gpuhook hook: installed after libvirtd started"));
        CU_ASSERT_PTR_NOT_NULL(strstr(noexec, "✗ gpuhook hook: /etc/libvirt/hooks/qemu.d/50-gpuhook is not an executable file"));
        CU_ASSERT_PTR_NOT_NULL(strstr(noexec, "fix: chmod 755"));
        testhost_free(t);
}

CUNIT_MAIN("cli-libvirt",
           T(setup),
           T(test_check_sees_daemon_and_hook),
           T(test_attach_config_then_start_then_detach),
           T(test_live_attach_prepares_and_rolls_back),
           T(test_attach_refuses_another_domains_mdev),
           T(test_sriov_vgpu_vf),
           T(test_vf_family_attach_refuse_repick),
           T(test_pci_live_attach_takes_and_returns_companions),
           T(test_reconcile_releases_only_what_is_not_running))
