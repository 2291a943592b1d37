/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-sim end to end, PCI passthrough side: driver_override, bind,
 * unbind, drivers_probe, new_id/remove_id, /dev/vfio/N, the modprobe
 * stand-in, injected failures (unbind-hangs, rebind-fails), vtconsoles and
 * the EFI framebuffer. Everything is written by real programs inside the host
 * (dash's printf, this binary's write(2) helper) and checked from outside,
 * and through udevadm inside. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "simtest.h"

#define ROOT_PORT "/sys/devices/pci0000:00/0000:00:01.0"
#define RTX ROOT_PORT "/0000:01:00"
#define RTX0 RTX ".0"
#define RTX1 RTX ".1"
#define IGPU "/sys/devices/pci0000:00/0000:00:02.0"
#define EFIFB "/sys/devices/platform/efi-framebuffer.0"
#define PCIDEV(bdf) "/sys/bus/pci/devices/" bdf
#define PCIDRV(drv) "/sys/bus/pci/drivers/" drv
#define A100 "/sys/devices/pci0000:40/0000:40:01.1/0000:41:00.0"

static char *text_of(struct host *h, const char *rel) {
        char *s = read_rel(h, rel);
        return s ? s : strdup("(none)");
}

/* The driver DEV (testbed path) is bound to, "" if none. */
static char *driver_of(struct host *h, const char *dev) {
        char *link = xprintf("%s/driver", dev);
        char *t = readlink_rel(h, link);
        free(link);
        if (strcmp(t, "(none)") == 0) {
                free(t);
                return strdup("");
        }
        char *base = strdup(strrchr(t, '/') ? strrchr(t, '/') + 1 : t);
        free(t);
        return base;
}

#define ASSERT_DRIVER(h, dev, want)                               \
        do {                                                      \
                char *_d = driver_of((h), (dev));                 \
                CU_ASSERT_STRING_EQUAL(_d, (want));               \
                free(_d);                                         \
        } while (0)

#define ASSERT_TEXT(h, rel, want)                                 \
        do {                                                      \
                char *_t = text_of((h), (rel));                   \
                CU_ASSERT_STRING_EQUAL(_t, (want));               \
                free(_t);                                         \
        } while (0)

static bool uevent_has(struct host *h, const char *dev, const char *line) {
        char *rel = xprintf("%s/uevent", dev);
        char *t = text_of(h, rel);
        char *want = xprintf("%s\n", line), *inner = xprintf("\n%s\n", line);
        bool r = strncmp(t, want, strlen(want)) == 0 || strstr(t, inner) != NULL;
        free(rel);
        free(t);
        free(want);
        free(inner);
        return r;
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* libvirt's / driverctl's sequence, with dash's printf. */
static int to_vfio(struct host *h, const char *bdf) {
        return sh(h,
                  "set -e; printf %%s vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
                  "if [ -e /sys/bus/pci/devices/%s/driver ]; then printf %%s %s > /sys/bus/pci/devices/%s/driver/unbind; fi; "
                  "printf %%s %s > /sys/bus/pci/drivers_probe",
                  bdf, bdf, bdf, bdf, bdf);
}

static int to_native(struct host *h, const char *bdf) {
        return sh(h,
                  "set -e; printf '\\n' > /sys/bus/pci/devices/%s/driver_override; "
                  "if [ -e /sys/bus/pci/devices/%s/driver ]; then printf %%s %s > /sys/bus/pci/devices/%s/driver/unbind; fi; "
                  "printf %%s %s > /sys/bus/pci/drivers_probe",
                  bdf, bdf, bdf, bdf, bdf);
}

/* -------------------------------------------------------------------- */

static void test_completion_desktop(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        /* groups as described */
        CU_ASSERT_EQUAL(count_dir(h, "/sys/kernel/iommu_groups/1/devices"), 4);
        for (int f = 0; f < 4; f++) {
                char *l = xprintf("/sys/kernel/iommu_groups/1/devices/0000:01:00.%d", f);
                char *r = resolve_rel(h, l), *want = xprintf(RTX ".%d", f);
                CU_ASSERT_STRING_EQUAL(r, want);
                free(l), free(r), free(want);
        }
        CU_ASSERT_EQUAL(count_dir(h, "/sys/kernel/iommu_groups/2/devices"), 1);
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/2/devices/0000:00:01.0"));
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/0/devices/0000:00:02.0"));
        ASSERT_DRIVER(h, RTX0, "nvidia");
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel");
        ASSERT_DRIVER(h, RTX ".2", "xhci_hcd");
        ASSERT_DRIVER(h, RTX ".3", "nvidia-gpu");
        ASSERT_DRIVER(h, ROOT_PORT, "pcieport");
        ASSERT_DRIVER(h, IGPU, "i915");
        ASSERT_TEXT(h, RTX0 "/boot_vga", "0\n");
        ASSERT_TEXT(h, IGPU "/boot_vga", "1\n");
        ASSERT_TEXT(h, RTX ".3/class", "0x0c8000\n");
        ASSERT_TEXT(h, ROOT_PORT "/class", "0x060400\n");
        ASSERT_TEXT(h, RTX0 "/driver_override", "(null)\n");
        CU_ASSERT_TRUE(uevent_has(h, RTX0, "DRIVER=nvidia"));
        CU_ASSERT_TRUE(uevent_has(h, RTX0, "PCI_SLOT_NAME=0000:01:00.0"));
        /* vfio-pci is loaded, with its files; nobody is on it */
        static const char *const files[] = { "bind", "unbind", "new_id", "remove_id" };
        for (size_t i = 0; i < 4; i++) {
                char *p = xprintf(PCIDRV("vfio-pci") "/%s", files[i]);
                CU_ASSERT_TRUE(exists(h, p));
                free(p);
        }
        CU_ASSERT_TRUE(exists(h, "/sys/module/vfio_pci"));
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_TRUE(exists(h, PCIDRV("nvidia") "/0000:01:00.0"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers_probe"));
        CU_ASSERT_TRUE(exists(h, "/sys/.gpuhook-sim-control"));
        /* platform bus and consoles */
        CU_ASSERT_TRUE(exists(h, "/sys/bus/platform/drivers/efi-framebuffer/bind"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/platform/drivers/efi-framebuffer/unbind"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/platform/drivers_probe"));
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon0/name", "(S) dummy device\n");
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon1/bind", "1\n");
        /* device nodes: DRM from N: lines, nvidia from char-node; real files */
        CU_ASSERT_TRUE(exists(h, RTX0 "/drm/card1"));
        CU_ASSERT_TRUE(exists(h, RTX0 "/drm/renderD129"));
        CU_ASSERT_TRUE(exists(h, IGPU "/drm/card0"));
        sh(h, "stat -c '%%n %%F %%t:%%T' /dev/dri/card0 /dev/dri/renderD128 /dev/dri/card1 /dev/dri/renderD129 "
              "/dev/nvidia0 /dev/nvidiactl");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "/dev/dri/card0 character special file e2:0\n"
                                              "/dev/dri/renderD128 character special file e2:80\n"
                                              "/dev/dri/card1 character special file e2:1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "/dev/nvidia0 character special file c3:0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "/dev/nvidiactl character special file c3:ff\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "/dev/dri/renderD129 character special file e2:81\n"));
        /* a process can hold them open (what the holders scan looks for) */
        CU_ASSERT_EQUAL(sh(h, "exec 3</dev/nvidia0 4</dev/dri/card1 && ls -l /proc/self/fd/ | grep -c '/dev/nvidia0$\\|/dev/dri/card1$'"), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "2\n");
        const char *fo[] = { self_exe, "--fopen", "/dev/nvidia0", NULL };
        CU_ASSERT_EQUAL(run(h, fo), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "0\n");
        CU_ASSERT_STRING_EQUAL(h->err, "");
        /* the modprobe stand-in comes first in PATH */
        sh(h, "command -v modprobe");
        char *root = realpath(h->dir, NULL), *want = xprintf("%s/.sim/bin/modprobe\n", root);
        CU_ASSERT_STRING_EQUAL(h->out, want);
        free(root), free(want);
        /* the state remembers native drivers */
        char *state = text_of(h, "/.sim/state");
        CU_ASSERT_PTR_NOT_NULL(strstr(state, "device 0000:01:00.0 " RTX0 " bus=pci native-driver=nvidia "
                                             "unbind-hangs=0 rebind-fails=no\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(state, "device efi-framebuffer.0 " EFIFB " bus=platform "
                                             "native-driver=efi-framebuffer"));
        free(state);
        host_free(h);
}

static void test_driverctl_sequence(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0);
        CU_ASSERT_STRING_EQUAL(h->err, "");
        ASSERT_TEXT(h, RTX0 "/driver_override", "vfio-pci\n");
        char *s = readlink_rel(h, RTX0 "/driver");
        CU_ASSERT_STRING_EQUAL(s, "../../../../bus/pci/drivers/vfio-pci");
        free(s);
        s = resolve_rel(h, PCIDRV("vfio-pci") "/0000:01:00.0");
        CU_ASSERT_STRING_EQUAL(s, RTX0);
        free(s);
        CU_ASSERT_FALSE(exists(h, PCIDRV("nvidia") "/0000:01:00.0"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_TRUE(uevent_has(h, RTX0, "DRIVER=vfio-pci"));
        CU_ASSERT_FALSE(uevent_has(h, RTX0, "DRIVER=nvidia"));
        /* the other functions did not move */
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel");
        /* the whole card */
        for (int f = 1; f < 4; f++) {
                char *bdf = xprintf("0000:01:00.%d", f);
                CU_ASSERT_EQUAL(to_vfio(h, bdf), 0);
                free(bdf);
        }
        CU_ASSERT_EQUAL(count_dir(h, PCIDRV("vfio-pci")), 4 + 5); /* 4 links + bind, unbind, new_id, remove_id, module */
        /* back: the group node stays until the last member leaves vfio-pci */
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.0"), 0);
        ASSERT_DRIVER(h, RTX0, "nvidia");
        ASSERT_TEXT(h, RTX0 "/driver_override", "(null)\n");
        CU_ASSERT_TRUE(uevent_has(h, RTX0, "DRIVER=nvidia"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        for (int f = 1; f < 4; f++) {
                char *bdf = xprintf("0000:01:00.%d", f);
                CU_ASSERT_EQUAL(to_native(h, bdf), 0);
                CU_ASSERT_EQUAL(exists(h, "/dev/vfio/1"), f < 3);
                free(bdf);
        }
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel");
        ASSERT_DRIVER(h, RTX ".2", "xhci_hcd");
        ASSERT_DRIVER(h, RTX ".3", "nvidia-gpu");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/vfio"));
        CU_ASSERT_EQUAL(count_dir(h, PCIDRV("vfio-pci")), 5);
        host_free(h);
}

static void test_errnos(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        /* unbind: only from the driver it is bound to */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/unbind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/unbind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", "0000:09:00.0"), "ENODEV");
        ASSERT_DRIVER(h, RTX0, "nvidia");
        /* bind: EBUSY when bound (to it or another driver that matches) */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/bind", "0000:01:00.0"), "EBUSY");
        /* ... but ENODEV first when the driver does not match */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvme") "/bind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/bind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/bind", "0000:09:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/bind", "../0000:01:00.0"), "ENODEV");
        /* unbound with an override naming another driver: ENODEV */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.0") "/driver_override", "vfio-pci"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", "0000:01:00.0\n"), "0"); /* one newline ok */
        ASSERT_DRIVER(h, RTX0, "");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/bind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", "0000:01:00.0"), "ENODEV");
        ASSERT_DRIVER(h, RTX0, "");
        /* the override's driver binds explicitly; then EBUSY */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/bind", "0000:01:00.0\n"), "0");
        ASSERT_DRIVER(h, RTX0, "vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/bind", "0000:01:00.0"), "EBUSY");
        /* drivers_probe: ENODEV for no such device; a bound one stays */
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:09:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", ""), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0"), "0");
        ASSERT_DRIVER(h, RTX0, "vfio-pci");
        /* no override, unbound: back to the native driver; an override naming
         * a driver that is not loaded leaves it unbound (success) */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/unbind", "0000:01:00.0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.0") "/driver_override", "nouveau\n"), "0");
        ASSERT_TEXT(h, RTX0 "/driver_override", "nouveau\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0"), "0");
        ASSERT_DRIVER(h, RTX0, "");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.0") "/driver_override", "\n"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0\n"), "0");
        ASSERT_DRIVER(h, RTX0, "nvidia");
        /* driver_override: first newline ends it, >= PAGE_SIZE - 1 is EINVAL,
         * a write of 0 bytes never reaches the store */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.1") "/driver_override", "vfio-pci\nignored"), "0");
        ASSERT_TEXT(h, RTX1 "/driver_override", "vfio-pci\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.1") "/driver_override", ""), "0");
        ASSERT_TEXT(h, RTX1 "/driver_override", "vfio-pci\n");
        char big[4096];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0'; /* 4095 bytes */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.1") "/driver_override", big), "EINVAL");
        big[4093] = '\0'; /* 4093 bytes: fine */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.1") "/driver_override", big), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.1") "/driver_override", "\nvfio-pci"), "0");
        ASSERT_TEXT(h, RTX1 "/driver_override", "(null)\n");
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel"); /* the override alone moves nothing */
        /* vfio-pci refuses bridges: EINVAL from its probe */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:00:01.0") "/driver_override", "vfio-pci"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("pcieport") "/unbind", "0000:00:01.0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/bind", "0000:00:01.0"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:00:01.0"), "0");
        ASSERT_DRIVER(h, ROOT_PORT, "");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/2"));
        /* unbind of 0 bytes: no effect */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", ""), "0");
        ASSERT_DRIVER(h, RTX0, "nvidia");
        /* dash reports the failure too */
        sh(h, "printf %%s 0000:01:00.0 > " PCIDRV("nvidia") "/bind");
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        host_free(h);
}

static void test_modprobe(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        char *text = read_file(h->file);
        free(h->file);
        h->file = xprintf("%s/host.umockdev", h->tmp);
        FILE *f = fopen(h->file, "we");
        fprintf(f, "# gpuhook-sim: * vfio-pci-loaded=no\n%s", text);
        fclose(f);
        free(text);
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        CU_ASSERT_FALSE(exists(h, PCIDRV("vfio-pci")));
        CU_ASSERT_FALSE(exists(h, "/sys/module/vfio_pci"));
        /* override, unbind, probe: nothing to bind to yet */
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.1"), 0);
        ASSERT_DRIVER(h, RTX1, "");
        /* another module: exit 0, no effect */
        CU_ASSERT_EQUAL(sh(h, "modprobe -q nouveau"), 0);
        CU_ASSERT_FALSE(exists(h, PCIDRV("vfio-pci")));
        /* vfio-pci: loaded, and the unbound device whose override names it binds */
        CU_ASSERT_EQUAL(sh(h, "modprobe vfio-pci && ls /sys/bus/pci/drivers/vfio-pci"), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "0000:01:00.1\nbind\nmodule\nnew_id\nremove_id\nunbind\n");
        CU_ASSERT_TRUE(exists(h, "/sys/module/vfio_pci"));
        ASSERT_DRIVER(h, RTX1, "vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        ASSERT_DRIVER(h, RTX0, "nvidia"); /* no override: untouched */
        /* again, with the other spelling: a no-op */
        CU_ASSERT_EQUAL(sh(h, "modprobe -- vfio_pci"), 0);
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0);
        ASSERT_DRIVER(h, RTX0, "vfio-pci");
        /* calls are logged; the control file write too */
        char *log = text_of(h, "/.sim/modprobe.log");
        CU_ASSERT_EQUAL(count_lines_matching(log, " modprobe "), 3);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " modprobe -q nouveau\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " modprobe vfio-pci\n"));
        free(log);
        log = writes_log(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/.gpuhook-sim-control \"modprobe vfio-pci\\n\" 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/.gpuhook-sim-control \"modprobe vfio_pci\\n\" 0\n"));
        free(log);
        /* the control file: unknown module ENOENT, unknown request EINVAL */
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/.gpuhook-sim-control", "modprobe nouveau"), "ENOENT");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/.gpuhook-sim-control", "reboot"), "EINVAL");
        host_free(h);
}

static void test_unbind_hangs(void) {
        REQUIRE_SIM();
        char *text = NULL;
        struct host *h = host_new("desktop-rtx");
        text = read_file(h->file);
        free(h->file);
        h->file = xprintf("%s/host.umockdev", h->tmp);
        FILE *f = fopen(h->file, "we");
        fprintf(f, "# gpuhook-sim: 0000:01:00.0 unbind-hangs=2\n%s", text);
        fclose(f);
        free(text);

        /* the unbind write blocks for the set time; the links go at once, the
         * uevent keeps DRIVER= until the driver's remove() returned */
        const char *argv[] = { self_exe, "--write", PCIDRV("nvidia") "/unbind", "0000:01:00.0", NULL };
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        double t0 = now_s();
        pid_t pid = spawn_in(h, 1, argv);
        usleep(700 * 1000);
        ASSERT_DRIVER(h, RTX0, "");
        CU_ASSERT_TRUE(uevent_has(h, RTX0, "DRIVER=nvidia"));
        char *log = writes_log(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/bus/pci/drivers/nvidia/unbind \"0000:01:00.0\" BLOCKED\n"));
        CU_ASSERT_PTR_NULL(strstr(log, " /sys/bus/pci/drivers/nvidia/unbind \"0000:01:00.0\" 0\n"));
        free(log);
        /* other devices go on meanwhile */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/unbind", "0000:01:00.1"), "0");
        CU_ASSERT_TRUE(now_s() - t0 < 1.9);
        collect(h, 1, wait_status(pid));
        double dt = now_s() - t0;
        CU_ASSERT_STRING_EQUAL(h->out, "0\n");
        CU_ASSERT_TRUE(dt >= 1.9 && dt < 6);
        CU_ASSERT_FALSE(uevent_has(h, RTX0, "DRIVER=nvidia"));
        log = writes_log(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/bus/pci/drivers/nvidia/unbind \"0000:01:00.0\" 0\n"));
        free(log);

        /* onto vfio-pci (binding does not hang) */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.0") "/driver_override", "vfio-pci"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0"), "0");
        ASSERT_DRIVER(h, RTX0, "vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));

        /* a bounded writer gives up and kills itself: the removal goes on,
         * the group stays until it is done, and the device is locked: the
         * next write to it waits for the end */
        const char *argv2[] = { self_exe, "--write", PCIDRV("vfio-pci") "/unbind", "0000:01:00.0", NULL };
        t0 = now_s();
        pid = spawn_in(h, 2, argv2);
        usleep(500 * 1000);
        kill(pid, SIGKILL);
        CU_ASSERT_EQUAL(wait_status(pid), 128 + SIGKILL);
        ASSERT_DRIVER(h, RTX0, "");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDEV("0000:01:00.0") "/driver_override", "\n"), "0");
        dt = now_s() - t0;
        CU_ASSERT_TRUE(dt >= 1.9 && dt < 6);
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_FALSE(uevent_has(h, RTX0, "DRIVER=vfio-pci"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0"), "0");
        ASSERT_DRIVER(h, RTX0, "nvidia");
        log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, " /sys/bus/pci/drivers/vfio-pci/unbind \"0000:01:00.0\" "), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, "/driver_override \"\\n\" BLOCKED\n"));
        free(log);

        /* killed while blocked, and nobody writes afterwards: the write runs
         * to its end anyway (a writer in the kernel's remove() dies only when
         * it returns; sim/shim.c run_handlers()) */
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0); /* hangs in nvidia's remove() */
        ASSERT_DRIVER(h, RTX0, "vfio-pci");
        pid = spawn_in(h, 3, argv2);
        usleep(500 * 1000);
        kill(pid, SIGKILL);
        wait_status(pid);
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        sleep(3);
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1")); /* nobody looked: done all the same */
        CU_ASSERT_EQUAL(sh(h, "test -e /dev/vfio/1"), 1);
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        char *state = text_of(h, "/.sim/state");
        CU_ASSERT_PTR_NULL(strstr(state, "\nbusy "));
        free(state);
        host_free(h);
}

static void test_rebind_fails(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        char *text = read_file(h->file);
        free(h->file);
        h->file = xprintf("%s/host.umockdev", h->tmp);
        FILE *f = fopen(h->file, "we");
        fprintf(f, "%s\n# gpuhook-sim: " RTX1 " rebind-fails=yes\n", text);
        fclose(f);
        free(text);
        /* the device goes to vfio-pci fine */
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.1"), 0);
        ASSERT_DRIVER(h, RTX1, "vfio-pci");
        /* back: drivers_probe succeeds but binds nothing */
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.1"), 0);
        ASSERT_DRIVER(h, RTX1, "");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        /* an explicit bind reports the probe's error */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/bind", "0000:01:00.1"), "EIO");
        ASSERT_DRIVER(h, RTX1, "");
        CU_ASSERT_FALSE(exists(h, PCIDRV("snd_hda_intel") "/0000:01:00.1"));
        CU_ASSERT_FALSE(uevent_has(h, RTX1, "DRIVER=snd_hda_intel"));
        /* only that device; clearing the setting in the state heals it */
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.0"), 0);
        ASSERT_DRIVER(h, RTX0, "nvidia");
        CU_ASSERT_EQUAL(sh(h, "sed -i '/^device 0000:01:00.1 /s/rebind-fails=yes/rebind-fails=no/' \"$GPUHOOK_SIM_DIR/.sim/state\""), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/bind", "0000:01:00.1"), "0");
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel");
        host_free(h);
}

static void test_consoles(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        /* vtconsole: 0/1 read back; parsed like simple_strtoul */
        CU_ASSERT_EQUAL(sh(h, "printf 0 > /sys/class/vtconsole/vtcon1/bind && cat /sys/class/vtconsole/vtcon1/bind"), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "0\n");
        CU_ASSERT_EQUAL(sh(h, "echo 1 > /sys/class/vtconsole/vtcon1/bind && cat /sys/class/vtconsole/vtcon1/bind"), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "1\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/class/vtconsole/vtcon1/bind", "x"), "0");
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/class/vtconsole/vtcon1/bind", "0x1"), "0");
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon1/bind", "1\n");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/class/vtconsole/vtcon1/bind", "08"), "0"); /* octal: 0 */
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon1/bind", "0\n");
        ASSERT_TEXT(h, "/sys/class/vtconsole/vtcon0/bind", "1\n");
        /* the EFI framebuffer through the platform bus */
        const char *fbdrv = "/sys/bus/platform/drivers/efi-framebuffer";
        CU_ASSERT_EQUAL(sh(h, "printf efi-framebuffer.0 > %s/unbind", fbdrv), 0);
        ASSERT_DRIVER(h, EFIFB, "");
        CU_ASSERT_FALSE(exists(h, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
        CU_ASSERT_FALSE(uevent_has(h, EFIFB, "DRIVER=efi-framebuffer"));
        char *path = xprintf("%s/unbind", fbdrv);
        CU_ASSERT_STRING_EQUAL(cwrite(h, path, "efi-framebuffer.0"), "ENODEV");
        free(path);
        CU_ASSERT_EQUAL(sh(h, "echo efi-framebuffer.0 > %s/bind", fbdrv), 0);
        ASSERT_DRIVER(h, EFIFB, "efi-framebuffer");
        CU_ASSERT_TRUE(exists(h, "/sys/bus/platform/drivers/efi-framebuffer/efi-framebuffer.0"));
        CU_ASSERT_TRUE(uevent_has(h, EFIFB, "DRIVER=efi-framebuffer"));
        path = xprintf("%s/bind", fbdrv);
        CU_ASSERT_STRING_EQUAL(cwrite(h, path, "efi-framebuffer.0"), "EBUSY");
        CU_ASSERT_STRING_EQUAL(cwrite(h, path, "0000:01:00.0"), "ENODEV"); /* not on this bus */
        free(path);
        /* no simple-framebuffer driver on this host: no file to write */
        sh(h, "printf simple-framebuffer.0 > /sys/bus/platform/drivers/simple-framebuffer/unbind");
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        /* drivers_probe on the platform bus too */
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/platform/drivers/efi-framebuffer/unbind", "efi-framebuffer.0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/platform/drivers_probe", "efi-framebuffer.0"), "0");
        ASSERT_DRIVER(h, EFIFB, "efi-framebuffer");
        char *log = writes_log(h);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/devices/virtual/vtconsole/vtcon1/bind \"0\" 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/bus/platform/drivers/efi-framebuffer/unbind \"efi-framebuffer.0\" 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " /sys/bus/platform/drivers/efi-framebuffer/bind \"efi-framebuffer.0\\n\" 0\n"));
        free(log);
        host_free(h);
}

static void test_libudev_sees_driver(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        const char *info[] = { "udevadm", "info", PCIDEV("0000:01:00.0"), NULL };
        CU_ASSERT_EQUAL(run(h, info), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: DRIVER=nvidia\n"));
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0);
        CU_ASSERT_EQUAL(run(h, info), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: DRIVER=vfio-pci\n"));
        CU_ASSERT_PTR_NULL(strstr(h->out, "DRIVER=nvidia"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: PCI_SLOT_NAME=0000:01:00.0\n"));
        const char *attrs[] = { "udevadm", "info", "-a", PCIDEV("0000:01:00.0"), NULL };
        CU_ASSERT_EQUAL(run(h, attrs), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "    DRIVER==\"vfio-pci\"\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "    ATTR{driver_override}==\"vfio-pci\"\n"));
        /* enumeration by driver property */
        const char *trig[] = { "udevadm", "trigger", "--dry-run", "--verbose", "--subsystem-match=pci",
                               "--property-match=DRIVER=vfio-pci", NULL };
        CU_ASSERT_EQUAL(run(h, trig), 0);
        CU_ASSERT_STRING_EQUAL(h->out, "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0\n");
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.0"), 0);
        CU_ASSERT_EQUAL(run(h, info), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: DRIVER=nvidia\n"));
        host_free(h);
}

static void test_writes_log_pci(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.0"), 0);
        char *log = writes_log(h);
        /* the real paths, in order, with the bytes and results */
        static const char *const want[] = {
                " " RTX0 "/driver_override \"vfio-pci\" 0\n",
                " /sys/bus/pci/drivers/nvidia/unbind \"0000:01:00.0\" 0\n",
                " /sys/bus/pci/drivers_probe \"0000:01:00.0\" 0\n",
                " /sys/bus/pci/drivers/nvidia/unbind \"0000:01:00.0\" ENODEV\n",
                " " RTX0 "/driver_override \"\\n\" 0\n",
                " /sys/bus/pci/drivers/vfio-pci/unbind \"0000:01:00.0\" 0\n",
                " /sys/bus/pci/drivers_probe \"0000:01:00.0\" 0\n",
        };
        const char *at = log;
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const char *s = strstr(at, want[i]);
                CU_ASSERT_PTR_NOT_NULL(s);
                if (s)
                        at = s + strlen(want[i]);
        }
        CU_ASSERT_EQUAL(count_lines_matching(log, ""), 7);
        free(log);
        host_free(h);
}

static void test_new_id(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        /* already in nvidia's table; too few fields; driver_data unknown */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/new_id", "10de 1e07"), "EEXIST");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/new_id", "10de"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/new_id", "10de 10f7 ffffffff ffffffff 0 0 1"), "EINVAL");
        /* vfio-pci takes the id: bound devices stay, unbound ones with it bind */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/unbind", "0000:01:00.1"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/new_id", "10de 10f7\n"), "0");
        ASSERT_DRIVER(h, RTX1, "vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        ASSERT_DRIVER(h, RTX0, "nvidia");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/new_id", "10de 10f7"), "EEXIST");
        /* now a plain bind of a matching device works without an override */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/unbind", "0000:01:00.1"), "0");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/1"));
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/bind", "0000:01:00.1"), "0");
        /* remove_id: the id goes, the binding stays; a second time ENODEV */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/remove_id", "10de 10f7"), "0");
        ASSERT_DRIVER(h, RTX1, "vfio-pci");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/remove_id", "10de 10f7"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/remove_id", "10de"), "EINVAL");
        /* without the id, drivers_probe of the unbound device picks the native driver */
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("vfio-pci") "/unbind", "0000:01:00.1"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.1"), "0");
        ASSERT_DRIVER(h, RTX1, "snd_hda_intel");
        host_free(h);
}

static void test_concurrent_card(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        pid_t pids[4];
        for (int f = 0; f < 4; f++) {
                char *cmd = xprintf("set -e; d=/sys/bus/pci/devices/0000:01:00.%d; printf vfio-pci > $d/driver_override; "
                                    "printf 0000:01:00.%d > $d/driver/unbind; printf 0000:01:00.%d > /sys/bus/pci/drivers_probe",
                                    f, f, f);
                const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
                pids[f] = spawn_in(h, f + 1, argv);
                free(cmd);
        }
        for (int f = 0; f < 4; f++) {
                collect(h, f + 1, wait_status(pids[f]));
                CU_ASSERT_EQUAL(h->status, 0);
                char *dev = xprintf(RTX ".%d", f);
                ASSERT_DRIVER(h, dev, "vfio-pci");
                free(dev);
        }
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/1"));
        host_free(h);
}

static void test_datacenter_a100(void) {
        REQUIRE_SIM();
        struct host *h = host_new("datacenter-a100");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        ASSERT_TEXT(h, A100 "/class", "0x030200\n");
        ASSERT_TEXT(h, A100 "/device", "0x20b5\n");
        CU_ASSERT_FALSE(exists(h, A100 "/boot_vga"));
        ASSERT_DRIVER(h, A100, "nvidia");
        CU_ASSERT_EQUAL(count_dir(h, "/sys/kernel/iommu_groups/66/devices"), 1);
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/66/devices/0000:41:00.0"));
        CU_ASSERT_EQUAL(sh(h, "grep -l 1 /sys/bus/pci/devices/*/boot_vga"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "/sys/bus/pci/devices/0000:62:00.0/boot_vga\n"));
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "boot_vga"), 1);
        CU_ASSERT_EQUAL(sh(h, "cat /sys/bus/pci/devices/0000:62:00.0/vendor /sys/bus/pci/devices/0000:62:00.0/device; "
                              "basename $(readlink /sys/bus/pci/devices/0000:62:00.0/driver)"),
                        0);
        CU_ASSERT_STRING_EQUAL(h->out, "0x1a03\n0x2000\nast\n");
        CU_ASSERT_EQUAL(to_vfio(h, "0000:41:00.0"), 0);
        ASSERT_DRIVER(h, A100, "vfio-pci");
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/66"));
        CU_ASSERT_EQUAL(to_native(h, "0000:41:00.0"), 0);
        ASSERT_DRIVER(h, A100, "nvidia");
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/66"));
        host_free(h);
}

static void test_noacs(void) {
        REQUIRE_SIM();
        struct host *h = host_new("noacs");
        CU_ASSERT_EQUAL(sh(h, "ls /sys/kernel/iommu_groups/12/devices"), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:00:1c.0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:01:00.0\n0000:01:00.1\n0000:02:00.0\n"));
        CU_ASSERT_EQUAL(sh(h, "cat /sys/bus/pci/devices/0000:02:00.0/class; basename $(readlink /sys/bus/pci/devices/0000:02:00.0/driver); "
                              "basename $(readlink /sys/bus/pci/devices/0000:00:1c.0/driver)"),
                        0);
        CU_ASSERT_STRING_EQUAL(h->out, "0x010802\nnvme\npcieport\n");
        /* the GPU's functions can move; the group node appears though the
         * group is not viable (the NVMe is still on nvme) */
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.0"), 0);
        CU_ASSERT_EQUAL(to_vfio(h, "0000:01:00.1"), 0);
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/12"));
        ASSERT_DRIVER(h, "/sys/devices/pci0000:00/0000:00:1c.4/0000:02:00.0", "nvme");
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.0"), 0);
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/12"));
        CU_ASSERT_EQUAL(to_native(h, "0000:01:00.1"), 0);
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/12"));
        host_free(h);
}

static void test_settings_pci(void) {
        REQUIRE_SIM();
        static const char *const bad[] = {
                "# gpuhook-sim: 0000:09:00.0 unbind-hangs=3\n",
                "# gpuhook-sim: 0000:01:00.0 unbind-hangs=soon\n",
                "# gpuhook-sim: 0000:01:00.0 rebind-fails=perhaps\n",
                "# gpuhook-sim: 0000:01:00.0 vfio-pci-loaded=no\n",
                "# gpuhook-sim: * vfio-pci-loaded=maybe\n",
                "# gpuhook-sim: * char-node=../nvidia0:195:0\n",
                "# gpuhook-sim: * char-node=nvidia0\n",
                "# gpuhook-sim: 0000:01:00.0 native-driver=a/b\n",
                "# gpuhook-sim: 0000:01:00.0 exhausted-errno=ENOSPC\n", /* not an mdev parent */
        };
        struct host *ok = host_new("desktop-rtx");
        char *text = read_file(ok->file);
        host_free(ok);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *t = xprintf("%s%s", bad[i], text);
                struct host *h = host_with_text(t);
                free(t);
                CU_ASSERT_EQUAL(sh(h, "true"), 1);
                CU_ASSERT_EQUAL(strncmp(h->err, "gpuhook-sim: error: ", 20), 0);
                CU_ASSERT_EQUAL(count_lines_matching(h->err, ""), 1);
                CU_ASSERT_FALSE(exists(h, "/"));
                host_free(h);
        }
        /* native-driver: none, or another driver; by sysfs path; '*' for all */
        char *t = xprintf("# gpuhook-sim: /devices/pci0000:00/0000:00:01.0/0000:01:00.0 native-driver=none\n"
                          "# gpuhook-sim: 0000:01:00.1 native-driver=snd_hda_codec_hdmi\n"
                          "# gpuhook-sim: * unbind-hangs=0 rebind-fails=no\n%s",
                          text);
        struct host *h = host_with_text(t);
        free(t);
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/unbind", "0000:01:00.0"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, "/sys/bus/pci/drivers_probe", "0000:01:00.0"), "0");
        ASSERT_DRIVER(h, RTX0, "");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("nvidia") "/bind", "0000:01:00.0"), "ENODEV");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/unbind", "0000:01:00.1"), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, PCIDRV("snd_hda_intel") "/bind", "0000:01:00.1"), "ENODEV");
        host_free(h);
        free(text);
}

/* ---- Generated config space, resource, reset, uevent (sim/pciconf.c) ---- */

/* The binary file REL of the testbed: its size, and up to 4096 bytes in BUF. */
static long read_bin(struct host *h, const char *rel, unsigned char *buf) {
        char *p = host_path(h, rel);
        FILE *f = fopen(p, "rb");
        free(p);
        if (!f)
                return -1;
        memset(buf, 0, 4096);
        long n = (long)fread(buf, 1, 4096, f);
        fclose(f);
        return n;
}

static unsigned rd16(const unsigned char *c, unsigned off) { return c[off] | (unsigned)c[off + 1] << 8; }
static unsigned rd32(const unsigned char *c, unsigned off) { return rd16(c, off) | rd16(c, off + 2) << 16; }

/* Offset of capability ID in the list (PCI30 6.7), 0 if absent. */
static unsigned find_cap(const unsigned char *c, unsigned id) {
        if (!(rd16(c, 0x06) & 0x10))
                return 0;
        for (unsigned pos = c[0x34], ttl = 48; pos >= 0x40 && pos < 0x100 && ttl--; pos = c[pos + 1])
                if (c[pos] == id)
                        return pos;
        return 0;
}

/* The PCIe device/port type (pci_regs.h PCI_EXP_FLAGS_TYPE), -1 when conventional. */
static int exp_type(const unsigned char *c) {
        unsigned pos = find_cap(c, 0x10);
        return pos ? (int)((rd16(c, pos + 2) >> 4) & 0xf) : -1;
}

#define CFG(bdf) "/sys/bus/pci/devices/" bdf "/config"

static void test_config_space_desktop(void) {
        REQUIRE_SIM();
        struct host *h = host_new("desktop-rtx");
        const char *argv[] = { "true", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        unsigned char c[4096];
        /* the GPU: a PCIe endpoint, function 0 of a multi-function card */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:01:00.0"), c), 4096);
        CU_ASSERT_EQUAL(rd16(c, 0x00), 0x10de);
        CU_ASSERT_EQUAL(rd16(c, 0x02), 0x1e07);
        CU_ASSERT_EQUAL(c[0x08], 0xa1);                      /* revision */
        CU_ASSERT_EQUAL(rd32(c, 0x08) >> 8, 0x030000);       /* class */
        CU_ASSERT_EQUAL(c[0x0e], 0x80);                      /* type 0, multi-function */
        CU_ASSERT_EQUAL(rd16(c, 0x2c), 0x10de);
        CU_ASSERT_EQUAL(rd16(c, 0x2e), 0x12fa);
        CU_ASSERT_EQUAL(c[0x3c], 150 & 0xff);
        CU_ASSERT_EQUAL(find_cap(c, 0x01), 0x40);            /* PM */
        CU_ASSERT_EQUAL(rd16(c, 0x44) & 0x0b, 0x08);         /* D0, NoSoftRst+: no PM reset */
        CU_ASSERT_EQUAL(exp_type(c), 0);                     /* endpoint */
        unsigned e = find_cap(c, 0x10);
        CU_ASSERT_EQUAL(rd32(c, e + 4) & (1u << 28), 0);     /* reset_method=bus: no FLR */
        CU_ASSERT_EQUAL(rd32(c, e + 0x0c) & 0x3ff, 0x103);   /* LnkCap 8 GT/s x16 */
        CU_ASSERT_EQUAL(rd16(c, e + 0x12) & 0x3ff, 0x103);   /* LnkSta */
        /* its audio function: multi-function too, subsystem ids kept */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:01:00.1"), c), 4096);
        CU_ASSERT_EQUAL(rd16(c, 0x02), 0x10f7);
        CU_ASSERT_EQUAL(c[0x0e], 0x80);
        /* the root port above: type 1, bus 0 -> 1..1 */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:01.0"), c), 4096);
        CU_ASSERT_EQUAL(c[0x0e], 0x01);
        CU_ASSERT_EQUAL(c[0x18], 0);
        CU_ASSERT_EQUAL(c[0x19], 1);
        CU_ASSERT_EQUAL(c[0x1a], 1);
        CU_ASSERT_EQUAL(exp_type(c), 4);
        CU_ASSERT_NOT_EQUAL(find_cap(c, 0x0d), 0);           /* SSVID */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:1d.0"), c), 4096);
        CU_ASSERT_EQUAL(c[0x19], 2);
        /* the NVMe behind it: FLR (reset_method=flr bus) */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:02:00.0"), c), 4096);
        CU_ASSERT_NOT_EQUAL(rd32(c, find_cap(c, 0x10) + 4) & (1u << 28), 0);
        CU_ASSERT_EQUAL(c[0x0e], 0x00);                      /* single function */
        /* the iGPU: root complex integrated endpoint with FLR; the host
         * bridge: conventional, 256 bytes */
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:02.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 9);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:00.0"), c), 256);
        CU_ASSERT_EQUAL(exp_type(c), -1);
        /* resource: 13 lines for an endpoint, 17 for a bridge; reset where
         * the kernel has a reset method; the uevent keys of pci_uevent() */
        char *res = read_rel(h, "/sys/bus/pci/devices/0000:01:00.0/resource");
        CU_ASSERT_EQUAL(count_lines_matching(res, "0x0000000000000000 0x0000000000000000 0x0000000000000000"), 13);
        free(res);
        res = read_rel(h, "/sys/bus/pci/devices/0000:00:01.0/resource");
        CU_ASSERT_EQUAL(count_lines_matching(res, "0x0000000000000000"), 17);
        free(res);
        CU_ASSERT(exists(h, "/sys/bus/pci/devices/0000:01:00.0/reset"));
        CU_ASSERT(!exists(h, "/sys/bus/pci/devices/0000:00:01.0/reset"));
        char *ue = read_rel(h, "/sys/bus/pci/devices/0000:00:01.0/uevent");
        CU_ASSERT_PTR_NOT_NULL(ue && strstr(ue, "PCI_SLOT_NAME=0000:00:01.0"));
        CU_ASSERT_EQUAL(count_lines_matching(ue, "PCI_ID="), 1);
        free(ue);
        /* lspci, inside the host, decodes it */
        if (access("/usr/bin/lspci", X_OK) == 0) {
                CU_ASSERT_EQUAL(sh(h, "lspci -vv -s 01:00.0 2>/dev/null; lspci -vv -s 00:01.0 2>/dev/null"), 0);
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "Express (v2) Endpoint"));
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "Express (v2) Root Port"));
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "Bus: primary=00, secondary=01, subordinate=01"));
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "LnkCap:\tPort #0, Speed 8GT/s, Width x16"));
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "Kernel driver in use: nvidia"));
        }
        host_free(h);
}

static void test_config_space_topologies(void) {
        REQUIRE_SIM();
        const char *argv[] = { "true", NULL };
        unsigned char c[4096];
        /* the BMC's PCIe-to-PCI bridge and the conventional VGA behind it */
        struct host *h = host_new("datacenter-a100");
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:61:00.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 7);
        CU_ASSERT_EQUAL(c[0x19], 0x62);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:62:00.0"), c), 256);
        CU_ASSERT_EQUAL(exp_type(c), -1);
        CU_ASSERT_EQUAL(rd16(c, 0x00), 0x1a03);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:60:05.2"), c), 4096);
        CU_ASSERT_EQUAL(c[0x19], 0x61);
        CU_ASSERT_EQUAL(c[0x1a], 0x62);                      /* the highest bus below */
        host_free(h);
        /* a switch: upstream port, downstream port, the GPU below */
        h = host_new("intel-xe-sriov");
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:01.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 4);
        CU_ASSERT_EQUAL(c[0x19], 1);
        CU_ASSERT_EQUAL(c[0x1a], 3);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:01:00.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 5);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:02:01.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 6);
        CU_ASSERT_EQUAL(c[0x19], 3);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:03:00.0"), c), 4096);
        CU_ASSERT_EQUAL(exp_type(c), 0);
        CU_ASSERT_EQUAL(rd32(c, 0x08) >> 8, 0x038000);
        host_free(h);
        /* a VF: ID registers read 0xffff (SR-IOV 1.1 3.4.1.1), FLR; the
         * vendor/device attributes keep the ids */
        h = host_new("l40s-vfio");
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:c1:00.4"), c), 4096);
        CU_ASSERT_EQUAL(rd32(c, 0x00), 0xffffffff);
        CU_ASSERT_NOT_EQUAL(rd32(c, find_cap(c, 0x10) + 4) & (1u << 28), 0);
        CU_ASSERT_EQUAL(c[0x0e] & 0x80, 0);                  /* VFs are not multi-function */
        char *v = read_rel(h, "/sys/bus/pci/devices/0000:c1:00.4/vendor");
        CU_ASSERT_STRING_EQUAL(v ? v : "", "0x10de\n");
        free(v);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:c1:00.0"), c), 4096);
        CU_ASSERT_EQUAL(rd16(c, 0x00), 0x10de);
        host_free(h);
}

/* A recorded config space (umockdev-record's `H: config=`) is kept. */
static void test_config_space_recorded_kept(void) {
        REQUIRE_SIM();
        char *path = xprintf("%s/desktop-rtx.umockdev", GPUHOOK_HOSTS_DIR);
        char *text = read_file(path);
        free(path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        const char *anchor = "P: /devices/pci0000:00/0000:00:1f.6\n";
        char *at = strstr(text, anchor);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        at += strlen(anchor);
        char *edited = xprintf("%.*sH: config=8680f015060010000010000200000000\n%s", (int)(at - text), text, at);
        struct host *h = host_with_text(edited);
        const char *argv[] = { "true", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        unsigned char c[4096];
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:00:1f.6"), c), 16);
        CU_ASSERT_EQUAL(rd16(c, 0x00), 0x8086);
        CU_ASSERT_EQUAL(rd16(c, 0x02), 0x15f0);
        CU_ASSERT_EQUAL(read_bin(h, CFG("0000:01:00.0"), c), 4096); /* the others generated */
        host_free(h);
        free(edited);
        free(text);
}

int main(int argc, char *argv[]) {
        static const struct simtest tests[] = {
                { "completion of the desktop host", test_completion_desktop },
                { "driverctl sequence there and back", test_driverctl_sequence },
                { "errnos of bind, unbind, drivers_probe, driver_override", test_errnos },
                { "modprobe stand-in loads vfio-pci", test_modprobe },
                { "unbind-hangs blocks, kills, settles", test_unbind_hangs },
                { "rebind-fails", test_rebind_fails },
                { "vtconsole and efi-framebuffer", test_consoles },
                { "udevadm sees the new driver", test_libudev_sees_driver },
                { "writes log of a round trip", test_writes_log_pci },
                { "new_id and remove_id", test_new_id },
                { "four functions at once", test_concurrent_card },
                { "datacenter A100 host", test_datacenter_a100 },
                { "no-ACS host: shared group", test_noacs },
                { "device and host settings", test_settings_pci },
                { "config space of the desktop host", test_config_space_desktop },
                { "config space: switch, PCIe-to-PCI bridge, VF", test_config_space_topologies },
                { "config space: a recorded one is kept", test_config_space_recorded_kept },
        };
        return simtest_main(argc, argv, "sim-pci", tests, sizeof(tests) / sizeof(tests[0]));
}
