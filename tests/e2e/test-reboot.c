/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Across a host reboot: a persistently defined vGPU (`mdevctl define`, made
 * automatic the way `virsh nodedev-autostart` does it) and an autostarted
 * domain. gpuhook's state lives in /run and is gone after the reboot; the
 * domain must still come up with its vGPU, with gpuhook's ledger made anew,
 * and its stop must give everything back.
 *
 * The reboot, inside with-libvirtd.sh's private namespace:
 * - shutdown: the private libvirtd is stopped;
 * - /run is gone: a fresh tmpfs over /run (libvirt's state, including the
 *   autostart marker virDriverShouldAutostart() keeps in the driver's run
 *   directory "which doesn't survive host's reboot", src/libvirt.c), and the
 *   testbed, with gpuhook's state dir, made anew from the host file: the
 *   devices in their boot state (no mdevs, every type at full capacity);
 * - /etc is kept: libvirt's persistent config (the domain, its autostart
 *   link) and the testbed's /etc/mdevctl.d (the definitions) and
 *   /etc/gpuhook;
 * - boot: what udev would run for the mdev parent (mdevctl's
 *   60-mdevctl.rules runs `mdevctl start-parent-mdevs %k` on "add" and on
 *   the "change" with MDEV_STATE=registered of a device with
 *   /etc/mdevctl.d/<parent>), then libvirtd, which autostarts the domain.
 *
 * Debian 12's mdevctl 1.2.0 ships that rule calling /usr/sbin/mdevctl while
 * the package installs /usr/bin/mdevctl (`dpkg -L mdevctl`; mdevctl issue
 * #82: "/bin/sh: 1: /usr/sbin/mdevctl: not found"), so on Debian 12 the
 * boot-time start does not happen: both boots are tested.
 *
 * As in every e2e test, QEMU (on the real machine) cannot open a simulated
 * vGPU, so the autostart fails after libvirt's own mdev checks and libvirt
 * runs stopped + release: the probe hook records the host at `start begin`
 * (what QEMU found) and at `release end` (what the stop gave back). */
#include "cunit-run.h"
#include "libvirt-probe.h"
#include "testhost.h"
#include "util.h"

#define VGPU "a7c4e1d2-5b3f-4c8e-9d1a-2f6b8e0c4d17"
#define DOMAIN_UUID "7e57c0de-0000-4000-8000-0000000000f1"
#define V100 "0000:41:00.0"

/* The domain names only the UUID: the definition says type and parent. */
static char *domain_xml(void) {
        return strdup_printf("<domain type='kvm'><name>autovm</name><uuid>" DOMAIN_UUID "</uuid>"
                             "<memory unit='KiB'>65536</memory><vcpu>1</vcpu>"
                             "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                             "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'>"
                             "<source><address uuid='" VGPU "'/></source></hostdev></devices></domain>");
}

/* BOOT_START: what boot runs for the mdev parents before libvirtd. */
static char *reboot_script(struct testhost *t, const char *boot_start) {
        _cleanup_free_ char *xml = domain_xml();
        return strdup_printf(
                "set -u\n"
                "B=%s T=%s H=%s\n"
                /* the admin, once: a persistent vGPU, automatic like
                 * `virsh nodedev-autostart` makes it (libvirt's
                 * nodeDeviceGetMdevctlSetAutostartCommand runs `mdevctl
                 * modify --uuid U --auto`), and an autostarted domain */
                "$SIM mdevctl define -u " VGPU " -p " V100 " -t nvidia-300 || exit 1\n"
                "$SIM mdevctl modify --uuid " VGPU " --auto || exit 1\n"
                "x=$(mktemp); cat > $x <<'X'\n%s\nX\n"
                "virsh define $x >/dev/null || exit 1; rm -f $x; virsh autostart autovm || exit 1\n"
                /* shutdown */
                "old=$(cat /run/libvirtd.pid); kill $old\n"
                "for _ in $(seq 100); do kill -0 $old 2>/dev/null || break; sleep 0.1; done\n"
                "kill -0 $old 2>/dev/null && { echo 'libvirtd did not stop' >&2; exit 1; }\n"
                /* /run gone, devices in their boot state, /etc kept */
                "mv $T $T.before\n"
                "$B/sim/gpuhook-sim --testbed $T --host $H -- true || exit 1\n"
                "cp -a $T.before/etc/mdevctl.d/. $T/etc/mdevctl.d/ && cp -a $T.before/etc/gpuhook/. $T/etc/gpuhook/ || exit 1\n"
                "for real in /sys/fs/cgroup /sys/devices/system/cpu; do mkdir -p $(dirname $T$real); ln -s $real $T$real; done\n"
                /* a real boot has no /run/gpuhook at all (gpuhook-sim makes
                 * an empty one; the hook must make its own) */
                "rm -rf $T/run/gpuhook\n"
                "mount -t tmpfs tmpfs /run && mkdir -p /run/libvirt /run/lock || exit 1\n"
                "echo BOOT-MDEVS=$($SIM sh -c 'ls /sys/bus/mdev/devices | wc -l') BOOT-LEDGERS=$(ls $T/run/gpuhook/domains 2>/dev/null | wc -l)\n"
                "echo BOOT-DEFINED=$($SIM mdevctl list -d | grep -c " VGPU ")\n"
                /* boot: udev, then the daemons (libvirtd autostarts) */
                "%s\n"
                "pids=()\n"
                "trap 'for p in \"${pids[@]}\"; do kill $p 2>/dev/null; done; sleep 0.5' EXIT\n"
                "virtlogd -d -p /run/virtlogd.pid; for _ in $(seq 100); do [ -s /run/virtlogd.pid ] && break; sleep 0.05; done\n"
                "pids+=($(cat /run/virtlogd.pid))\n"
                "GPUHOOK_SIM_HOST_NETLINK=1 $SIM libvirtd -p /run/libvirtd.pid </dev/null >/dev/null 2>&1 &\n"
                "pids+=($!)\n"
                /* the autostart has run when the release's probe line is there */
                "for _ in $(seq 600); do grep -q 'PROBE release end' %s/probe.log 2>/dev/null && break; sleep 0.1; done\n"
                "for _ in $(seq 100); do [ -S /run/libvirt/libvirt-sock ] && break; sleep 0.05; done\n"
                "virsh domstate autovm | sed 's/^/STATE=/'\n"
                /* the gpuhook-reconcile unit, After=libvirtd.service */
                "$SIM $B/cli/gpuhookctl reconcile; echo RECONCILE=$?\n"
                "echo AFTER-DEFINED=$($SIM mdevctl list -d | grep -c " VGPU ")\n",
                testhost_build_root(), t->dir, t->host, xml, boot_start, t->tmp);
}

static void assert_reboot_prepared(struct testhost *t) {
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "BOOT-MDEVS=0 BOOT-LEDGERS=0")); /* the reboot cleared both */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "BOOT-DEFINED=1"));             /* the definition survived */
        /* libvirtd autostarted the domain: QEMU found the vGPU */
        CU_ASSERT(probe_has("start begin", "mdev " VGPU));
        CU_ASSERT_PTR_NULL(strstr(err, "gpuhook:"));
        /* and the stop left the definition */
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "AFTER-DEFINED=1"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "STATE=shut off"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "RECONCILE=0"));
}

/* Debian 12: mdevctl's rule fails, nothing starts the definition at boot;
 * gpuhook's prepare starts it (`mdevctl start -u`), records it in a fresh
 * ledger, and the release stops it (never undefines it). */
static void test_reboot_definition_started_by_gpuhook(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = reboot_script(t, ": no boot-time start: Debian 12 60-mdevctl.rules runs a missing /usr/sbin/mdevctl");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        assert_reboot_prepared(t);
        CU_ASSERT(probe_has("start begin", "ledger " DOMAIN_UUID ".xml")); /* the ledger made anew */
        _cleanup_free_ char *after = probe_section("release end");
        CU_ASSERT_PTR_NULL(strstr(after, "mdev "));   /* stopped */
        CU_ASSERT_PTR_NULL(strstr(after, "ledger ")); /* and the ledger gone */
        CU_ASSERT_EQUAL(testhost_count_mdevs(t), 0);
        CU_ASSERT_EQUAL(testhost_available(t, V100, "nvidia-300"), 2);
        /* created once (after the reboot), removed once */
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "nvidia-300/create \"" VGPU), 1);
        CU_ASSERT_EQUAL(testhost_writes_matching(t, VGPU "/remove \"1\" 0"), 1);
        testhost_free(t);
}

/* mdevctl's rule working (the command it runs, by the real binary's path):
 * the --auto definition is running before libvirtd starts; gpuhook finds an
 * mdev it did not create and leaves it, before and after the domain. */
static void test_reboot_definition_started_by_mdevctl_at_boot(void) {
        struct testhost *t = testhost_new("v100");
        _cleanup_free_ char *script = reboot_script(
                t, "for d in $T/etc/mdevctl.d/*/; do p=${d%/}; p=${p##*/}; [ \"$p\" = scripts.d ] && continue;"
                   " $SIM mdevctl start-parent-mdevs $p || exit 1; done\n"
                   "echo UDEV-MDEVS=$($SIM sh -c 'ls /sys/bus/mdev/devices | wc -l')");
        CU_ASSERT_EQUAL(with_libvirtd(t, script), 0);
        assert_reboot_prepared(t);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "UDEV-MDEVS=1"));
        _cleanup_free_ char *at_start = probe_section("start begin");
        CU_ASSERT_PTR_NULL(strstr(at_start, "ledger ")); /* nothing of gpuhook's */
        CU_ASSERT(probe_has("release end", "mdev " VGPU));
        CU_ASSERT(testhost_mdev_present(t, VGPU));
        CU_ASSERT_EQUAL(testhost_writes_matching(t, "/remove"), 0);
        testhost_free(t);
}

CUNIT_MAIN("e2e-reboot",
           T(test_reboot_definition_started_by_gpuhook),
           T(test_reboot_definition_started_by_mdevctl_at_boot))
