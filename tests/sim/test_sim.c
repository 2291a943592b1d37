/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook-sim end to end: each test makes a fresh simulated host in a temp
 * dir and runs the REAL mdevctl, dash, coreutils and this binary (as a
 * write(2) helper) inside it through the built gpuhook-sim, then checks the
 * kernel effects in the testbed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simtest.h"

#define V100 "/sys/devices/pci0000:40/0000:40:03.1/0000:41:00.0"
#define MTTY "/sys/devices/virtual/mtty/mtty"

static int avail(struct host *h, const char *parent, const char *type) {
        char *p = xprintf("%s%s/mdev_supported_types/%s/available_instances", h->dir, parent, type);
        char *s = read_file(p);
        free(p);
        int v = s ? atoi(s) : -1;
        free(s);
        return v;
}

#define U1 "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e01"
#define U2 "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e02"
#define U3 "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e03"

/* -------------------------------------------------------------------- */

static void test_types_v100(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        const char *argv[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        static const struct {
                const char *type, *name;
                int n;
        } want[] = {
                { "nvidia-299", "GRID V100-4C", 4 },
                { "nvidia-300", "GRID V100-8C", 2 },
                { "nvidia-301", "GRID V100-16C", 1 },
        };
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:41:00.0\n"));
        for (size_t i = 0; i < 3; i++) {
                char *block = xprintf("  %s\n    Available instances: %d\n    Device API: vfio-pci\n    Name: %s\n",
                                      want[i].type, want[i].n, want[i].name);
                CU_ASSERT_PTR_NOT_NULL(strstr(h->out, block));
                free(block);
        }
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "framebuffer=8192M, max_resolution=4096x2160, max_instance=2"));
        /* the NIC and NVMe are no mdev parents */
        CU_ASSERT_PTR_NULL(strstr(h->out, "0000:01:00.0"));
        CU_ASSERT_EQUAL(count_dir(h, "/sys/class/mdev_bus"), 1);
        host_free(h);
}

static void test_start_v100(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        mdevctl_start(h, U1, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_STRING_EQUAL(h->err, "");

        char *s = resolve_rel(h, "/sys/bus/mdev/devices/" U1);
        CU_ASSERT_STRING_EQUAL(s, V100 "/" U1);
        free(s);
        s = readlink_rel(h, "/sys/bus/mdev/devices/" U1);
        CU_ASSERT_STRING_EQUAL(s, "../../../devices/pci0000:40/0000:40:03.1/0000:41:00.0/" U1);
        free(s);
        s = readlink_rel(h, V100 "/" U1 "/mdev_type");
        CU_ASSERT_STRING_EQUAL(s, "../mdev_supported_types/nvidia-300");
        free(s);
        /* fresh group: the host's highest is 66 */
        s = readlink_rel(h, V100 "/" U1 "/iommu_group");
        CU_ASSERT_STRING_EQUAL(s, "../../../../../kernel/iommu_groups/67");
        free(s);
        s = resolve_rel(h, "/sys/kernel/iommu_groups/67/devices/" U1);
        CU_ASSERT_STRING_EQUAL(s, V100 "/" U1);
        free(s);
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/67"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/vfio"));
        s = resolve_rel(h, V100 "/" U1 "/driver");
        CU_ASSERT_STRING_EQUAL(s, "/sys/bus/mdev/drivers/vfio_mdev");
        free(s);
        s = resolve_rel(h, V100 "/" U1 "/subsystem");
        CU_ASSERT_STRING_EQUAL(s, "/sys/bus/mdev");
        free(s);
        s = resolve_rel(h, V100 "/mdev_supported_types/nvidia-300/devices/" U1);
        CU_ASSERT_STRING_EQUAL(s, V100 "/" U1);
        free(s);
        CU_ASSERT_TRUE(exists(h, V100 "/" U1 "/remove"));
        CU_ASSERT_TRUE(exists(h, V100 "/" U1 "/uevent"));
        CU_ASSERT_TRUE(exists(h, V100 "/" U1 "/nvidia/vgpu_params"));
        /* 2 -> 1; the one-type rule zeroes the others */
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-300"), 1);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-299"), 0);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-301"), 0);

        const char *list[] = { MDEVCTL, "list", NULL };
        CU_ASSERT_EQUAL(run(h, list), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, U1 " 0000:41:00.0 nvidia-300"));
        host_free(h);
}

static void test_exhaustion_v100(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        mdevctl_start(h, U1, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        mdevctl_start(h, U2, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-300"), 0);
        /* mdevctl 1.2.0 reads available_instances itself first */
        mdevctl_start(h, U3, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "No available instances of nvidia-300 on 0000:41:00.0"));
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U3));
        /* the kernel's answer to a write anyway: EUSERS */
        CU_ASSERT_STRING_EQUAL(cwrite(h, V100 "/mdev_supported_types/nvidia-300/create", U3), "EUSERS");
        sh(h, "/usr/bin/printf %s > %s/mdev_supported_types/nvidia-300/create", U3, V100);
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "Too many users"));
        /* other types are taken by the one-type rule */
        CU_ASSERT_STRING_EQUAL(cwrite(h, V100 "/mdev_supported_types/nvidia-299/create", U3), "EUSERS");
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U3));
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 2);
        host_free(h);
}

static void test_exhaustion_mtty(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("mtty");
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), -1); /* not created yet */
        mdevctl_start(h, U1, "mtty", "mtty-2");
        CU_ASSERT_EQUAL(h->status, 0);
        /* 24 shared ports: a dual port device takes 2 */
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 22);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 11);
        CU_ASSERT_FALSE(exists(h, MTTY "/" U1 "/nvidia"));
        /* fill the rest with 22 single ports */
        for (int i = 0; i < 22; i++) {
                char *u = xprintf("5d7c0000-0000-4000-8000-0000000000%02d", i);
                CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", u), "0");
                free(u);
        }
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 0);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", U2), "ENOSPC");
        sh(h, "/usr/bin/printf %s > %s/mdev_supported_types/mtty-2/create", U2, MTTY);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "No space left on device"));
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 23);
        host_free(h);
}

static void test_duplicate_uuid(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("mtty");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", U1), "0");
        /* anywhere: another type, upper case, with newline */
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U1), "EEXIST");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create",
                                      "7E3AB2B2-60C5-4E3C-9C4E-0A1B2C3D4E01\n"), "EEXIST");
        sh(h, "/usr/bin/printf %s > %s/mdev_supported_types/mtty-1/create", U1, MTTY);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "File exists"));
        /* mdevctl notices by itself */
        mdevctl_start(h, U1, "mtty", "mtty-1");
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 23);
        host_free(h);
}

static void test_bad_uuid(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        static const char *const bad[] = {
                "bad",
                "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e0",     /* 35 */
                "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e01x",   /* 37, not a newline */
                "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4e01\n\n", /* 38 */
                "7e3ab2b2-60c5-4e3c-9c4e-0a1b2c3d4eg1",    /* not hex */
                "7e3ab2b2060c5-4e3c-9c4e-0a1b2c3d4e01",    /* dash missing */
                "",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", bad[i]), "EINVAL");
        sh(h, "echo not-a-uuid > %s/mdev_supported_types/mtty-1/create", MTTY);
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 0);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 24);
        /* upper case with newline (echo) is fine and appears lower case */
        sh(h, "echo 7E3AB2B2-60C5-4E3C-9C4E-0A1B2C3D4E01 > %s/mdev_supported_types/mtty-1/create", MTTY);
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_TRUE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_TRUE(exists(h, MTTY "/" U1));
        char *log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, " EINVAL"), 8);
        free(log);
        host_free(h);
}

static void test_stop_restores(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        mdevctl_start(h, U1, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        mdevctl_start(h, U2, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        char *g1 = readlink_rel(h, V100 "/" U1 "/iommu_group");
        char *g2 = readlink_rel(h, V100 "/" U2 "/iommu_group");
        CU_ASSERT_STRING_EQUAL(g1, "../../../../../kernel/iommu_groups/67");
        CU_ASSERT_STRING_EQUAL(g2, "../../../../../kernel/iommu_groups/68");
        free(g1);
        free(g2);
        mdevctl_stop(h, U1);
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_FALSE(exists(h, V100 "/" U1));
        CU_ASSERT_FALSE(exists(h, "/sys/kernel/iommu_groups/67"));
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/67"));
        CU_ASSERT_FALSE(exists(h, V100 "/mdev_supported_types/nvidia-300/devices/" U1));
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/drivers/vfio_mdev/" U1));
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-300"), 1);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-299"), 0); /* U2 still there */
        mdevctl_stop(h, U2);
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-299"), 4);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-300"), 2);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-301"), 1);
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 0);
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/66/devices/0000:41:00.0"));
        /* now another type fits */
        mdevctl_start(h, U3, "0000:41:00.0", "nvidia-301");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-301"), 0);
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-300"), 0);
        host_free(h);
}

static void test_remove_semantics(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U1), "0");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/" U1 "/remove", "yes"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/" U1 "/remove", "-1"), "EINVAL");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/" U1 "/remove", "0"), "0");
        CU_ASSERT_TRUE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 11);
        sh(h, "echo 1 > /sys/bus/mdev/devices/%s/remove", U1);
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_FALSE(exists(h, MTTY "/" U1));
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 12);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 24);
        host_free(h);
}

static char *list_dir_sorted(const char *path) {
        char *cmd = xprintf("ls -laR --time-style=+ %s 2>&1", path);
        FILE *p = popen(cmd, "r");
        free(cmd);
        char *buf = calloc(1, 1 << 16);
        if (p) {
                size_t n = fread(buf, 1, (1 << 16) - 1, p);
                buf[n] = '\0';
                pclose(p);
        }
        return buf;
}

static void test_define_start_stop(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        char *before = list_dir_sorted("/etc/mdevctl.d");
        const char *def[] = { MDEVCTL, "define", "-u", U1, "-p", "0000:41:00.0", "-t", "nvidia-299", NULL };
        CU_ASSERT_EQUAL(run(h, def), 0);
        char *cfg = host_path(h, "/etc/mdevctl.d/0000:41:00.0/" U1);
        char *json = read_file(cfg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(json);
        CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"mdev_type\": \"nvidia-299\""));
        free(json);
        free(cfg);
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U1));
        const char *listd[] = { MDEVCTL, "list", "-d", NULL };
        CU_ASSERT_EQUAL(run(h, listd), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, U1 " 0000:41:00.0 nvidia-299 manual"));

        const char *start[] = { MDEVCTL, "start", "-u", U1, NULL };
        CU_ASSERT_EQUAL(run(h, start), 0);
        CU_ASSERT_TRUE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-299"), 3);
        const char *list[] = { MDEVCTL, "list", NULL };
        CU_ASSERT_EQUAL(run(h, list), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, U1 " 0000:41:00.0 nvidia-299 manual (defined)"));

        mdevctl_stop(h, U1);
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_FALSE(exists(h, "/sys/bus/mdev/devices/" U1));
        CU_ASSERT_EQUAL(avail(h, V100, "nvidia-299"), 4);
        CU_ASSERT_TRUE(exists(h, "/etc/mdevctl.d/0000:41:00.0/" U1));
        const char *undef[] = { MDEVCTL, "undefine", "-u", U1, NULL };
        CU_ASSERT_EQUAL(run(h, undef), 0);
        CU_ASSERT_FALSE(exists(h, "/etc/mdevctl.d/0000:41:00.0/" U1));
        /* the machine's /etc/mdevctl.d never changed */
        char *after = list_dir_sorted("/etc/mdevctl.d");
        CU_ASSERT_STRING_EQUAL(before, after);
        free(before);
        free(after);
        host_free(h);
}

/* N processes at once, each starting one mdev; returns how many succeeded. */
static int concurrent_starts(struct host *h, int n, const char *const parents[], const char *const types[],
                             bool use_mdevctl, int *ret_errno_text) {
        pid_t pids[64];
        char *uuids[64], *cmds[64];
        for (int i = 0; i < n; i++) {
                uuids[i] = xprintf("c0ffee00-0000-4000-8000-%012d", i);
                cmds[i] = NULL;
                if (use_mdevctl) {
                        const char *argv[] = { MDEVCTL, "start", "-u", uuids[i], "-p", parents[i],
                                               "-t", types[i], NULL };
                        pids[i] = spawn_in(h, i + 1, argv);
                } else {
                        cmds[i] = xprintf("/sys/class/mdev_bus/%s/mdev_supported_types/%s/create", parents[i],
                                          types[i]);
                        const char *argv[] = { self_exe, "--write", cmds[i], uuids[i], NULL };
                        pids[i] = spawn_in(h, i + 1, argv);
                }
        }
        int ok = 0, errtext = 0;
        for (int i = 0; i < n; i++) {
                collect(h, i + 1, wait_status(pids[i]));
                char *bus = xprintf("/sys/bus/mdev/devices/%s", uuids[i]);
                if (use_mdevctl ? h->status == 0 : strcmp(h->out, "0\n") == 0) {
                        ok++;
                        CU_ASSERT_TRUE(exists(h, bus));
                } else {
                        CU_ASSERT_FALSE(exists(h, bus));
                        if (strstr(h->err, "(os error") || strncmp(h->out, "E", 1) == 0)
                                errtext++;
                        else
                                CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "No available instances"));
                }
                free(bus);
                free(uuids[i]);
                free(cmds[i]);
        }
        if (ret_errno_text)
                *ret_errno_text = errtext;
        return ok;
}

/* No IOMMU group number is used twice. */
static void assert_groups_unique(struct host *h) {
        char *p = host_path(h, "/sys/bus/mdev/devices");
        DIR *d = opendir(p);
        free(p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        char *seen[64];
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < 64) {
                if (de->d_name[0] == '.')
                        continue;
                char *l = xprintf("/sys/bus/mdev/devices/%s/iommu_group", de->d_name);
                char *g = resolve_rel(h, l);
                free(l);
                for (int i = 0; i < n; i++)
                        CU_ASSERT_STRING_NOT_EQUAL(seen[i], g);
                char *back = xprintf("%s/devices/%s", g, de->d_name);
                CU_ASSERT_TRUE(exists(h, back));
                free(back);
                seen[n++] = g;
        }
        closedir(d);
        for (int i = 0; i < n; i++)
                free(seen[i]);
}

static void test_concurrent_mtty(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("mtty");
        const char *parents[16], *types[16];
        for (int i = 0; i < 16; i++) {
                parents[i] = "mtty";
                types[i] = "mtty-2";
        }
        /* 16 racing mdevctl starts for 12 dual ports */
        int errtext = 0;
        int ok = concurrent_starts(h, 16, parents, types, true, &errtext);
        CU_ASSERT_EQUAL(ok, 12);
        printf("\n  note: %d of 4 losers got the kernel errno from write(2)\n", errtext);
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 12);
        CU_ASSERT_EQUAL(count_dir(h, MTTY "/mdev_supported_types/mtty-2/devices"), 12);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 0);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 0);
        assert_groups_unique(h);
        char *log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, "/create \""), 12 + errtext);
        CU_ASSERT_EQUAL(count_lines_matching(log, " ENOSPC"), errtext);
        free(log);
        host_free(h);

        /* mixed: 8 single + 8 dual = exactly the 24 ports */
        h = host_new("mtty");
        for (int i = 0; i < 16; i++)
                types[i] = i % 2 ? "mtty-1" : "mtty-2";
        ok = concurrent_starts(h, 16, parents, types, false, NULL);
        CU_ASSERT_EQUAL(ok, 16);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 0);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 0);
        assert_groups_unique(h);
        host_free(h);
}

static void test_concurrent_24(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mdev-24");
        static const char *const gpus[] = { "0000:3b:00.0", "0000:5e:00.0", "0000:d8:00.0" };
        const char *parents[32], *types[32];
        for (int i = 0; i < 32; i++) {
                parents[i] = gpus[i % 3];
                types[i] = "nvidia-223";
        }
        /* 32 racing write(2)s for 24 instances over three parents */
        int ok = concurrent_starts(h, 32, parents, types, false, NULL);
        CU_ASSERT_EQUAL(ok, 24);
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 24);
        for (int i = 0; i < 3; i++) {
                char *p = xprintf("/sys/class/mdev_bus/%s/mdev_supported_types/nvidia-223/devices", gpus[i]);
                CU_ASSERT_EQUAL(count_dir(h, p), 8);
                free(p);
        }
        assert_groups_unique(h);
        char *log = writes_log(h);
        CU_ASSERT_EQUAL(count_lines_matching(log, " EUSERS"), 8);
        CU_ASSERT_EQUAL(count_lines_matching(log, "/create \""), 32);
        free(log);
        host_free(h);
}

static void test_reuse_dir(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", U1), "0");
        /* without --host: the same, evolving host */
        fflush(NULL);
        char *cmd = xprintf("'%s' --testbed '%s' -- /bin/sh -c 'cat %s/mdev_supported_types/mtty-1/available_instances; "
                            "ls /sys/bus/mdev/devices'", sim_exe(), h->dir, MTTY);
        FILE *p = popen(cmd, "r");
        char out[256] = "";
        size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
        out[n] = '\0';
        CU_ASSERT_EQUAL(p ? pclose(p) : -1, 0);
        CU_ASSERT_STRING_EQUAL(out, "23\n" U1 "\n");
        free(cmd);
        /* a different host file does not replace an existing testbed */
        free(h->file);
        h->file = xprintf("%s/v100.umockdev", GPUHOOK_HOSTS_DIR);
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", U2), "0");
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 22);
        CU_ASSERT_FALSE(exists(h, V100));
        host_free(h);
}

static void test_writes_log(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        mdevctl_start(h, U1, "0000:41:00.0", "nvidia-299");
        CU_ASSERT_EQUAL(h->status, 0);
        sh(h, "printf 'frl_enable=0\\n' > /sys/bus/mdev/devices/%s/nvidia/vgpu_params", U1);
        CU_ASSERT_EQUAL(h->status, 0);
        mdevctl_stop(h, U1);
        CU_ASSERT_EQUAL(cwrite(h, V100 "/mdev_supported_types/nvidia-299/create", "x")[0], 'E');
        char *log = writes_log(h);
        char *want = xprintf(" " V100 "/mdev_supported_types/nvidia-299/create \"" U1 "\" 0\n"
                             "%s",
                             "");
        CU_ASSERT_PTR_NOT_NULL(strstr(log, want));
        free(want);
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " " V100 "/" U1 "/nvidia/vgpu_params \"frl_enable=0\\n\" 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " " V100 "/" U1 "/remove \"1\" 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(log, " " V100 "/mdev_supported_types/nvidia-299/create \"x\" EINVAL\n"));
        /* a pass-through attribute keeps what was written */
        char *p = host_path(h, V100 "/" U1);
        CU_ASSERT_EQUAL(access(p, F_OK), -1); /* gone with the mdev */
        free(p);
        /* every line: pid, /sys path, quoted bytes, result */
        int lines = 0;
        for (char *s = log; *s; lines++) {
                char *e = strchr(s, '\n');
                CU_ASSERT_PTR_NOT_NULL_FATAL(e);
                *e = '\0';
                int pid = 0, end = 0;
                CU_ASSERT_EQUAL(sscanf(s, "%d /sys/%*s \"%n", &pid, &end), 1);
                CU_ASSERT_TRUE(pid > 0);
                CU_ASSERT_TRUE(end > 0);
                const char *last = strrchr(s, ' ');
                CU_ASSERT_TRUE(last && (strcmp(last, " 0") == 0 || last[1] == 'E'));
                CU_ASSERT_TRUE(last && last > s && last[-1] == '"');
                s = e + 1;
        }
        CU_ASSERT_EQUAL(lines, 4);
        free(log);
        host_free(h);
}

static void test_env(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        setenv("LD_PRELOAD", "libm.so.6", 1);
        sh(h, "echo \"$UMOCKDEV_DIR|$GPUHOOK_SIM_DIR|$GPUHOOK_STATE_DIR|$GPUHOOK_CONFIG\"; echo \"$LD_PRELOAD\"");
        unsetenv("LD_PRELOAD");
        CU_ASSERT_EQUAL(h->status, 0);
        char *root = realpath(h->dir, NULL);
        char *want = xprintf("%s|%s|%s/run/gpuhook|%s/etc/gpuhook/gpuhook.conf\n", root, root, root, root);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, want));
        free(want);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "libgpuhook-sim-shim.so:libumockdev-preload.so.0:libm.so.6\n"));
        setenv("GPUHOOK_STATE_DIR", "/nonexistent/state", 1);
        sh(h, "echo \"$GPUHOOK_STATE_DIR\"");
        unsetenv("GPUHOOK_STATE_DIR");
        CU_ASSERT_STRING_EQUAL(h->out, "/nonexistent/state\n");
        /* the testbed's layout */
        char *d = xprintf("%s/run/gpuhook", root);
        struct stat st;
        CU_ASSERT_EQUAL(stat(d, &st), 0);
        free(d);
        CU_ASSERT_TRUE(exists(h, "/etc/mdevctl.d/scripts.d/callouts"));
        CU_ASSERT_TRUE(exists(h, "/etc/mdevctl.d/scripts.d/notifiers"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/mdev/drivers/vfio_mdev"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers_probe"));
        CU_ASSERT_TRUE(exists(h, "/dev/vfio/vfio"));
        free(root);
        host_free(h);
}

static void test_completion_v100(void) {
        REQUIRE_SIM();
        struct host *h = host_new("v100");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        char *s = resolve_rel(h, "/sys/class/mdev_bus/0000:41:00.0");
        CU_ASSERT_STRING_EQUAL(s, V100);
        free(s);
        s = readlink_rel(h, "/sys/class/mdev_bus/0000:41:00.0");
        CU_ASSERT_STRING_EQUAL(s, "../../devices/pci0000:40/0000:40:03.1/0000:41:00.0");
        free(s);
        static const char *const types[] = { "nvidia-299", "nvidia-300", "nvidia-301" };
        for (int i = 0; i < 3; i++) {
                char *c = xprintf(V100 "/mdev_supported_types/%s/create", types[i]);
                char *d = xprintf(V100 "/mdev_supported_types/%s/devices", types[i]);
                CU_ASSERT_TRUE(exists(h, c));
                CU_ASSERT_EQUAL(count_dir(h, d), 0);
                free(c);
                free(d);
        }
        s = resolve_rel(h, "/sys/kernel/iommu_groups/66/devices/0000:41:00.0");
        CU_ASSERT_STRING_EQUAL(s, V100);
        free(s);
        s = resolve_rel(h, "/sys/kernel/iommu_groups/65/devices/0000:40:03.1");
        CU_ASSERT_STRING_EQUAL(s, "/sys/devices/pci0000:40/0000:40:03.1");
        free(s);
        s = resolve_rel(h, "/sys/bus/pci/drivers/nvidia/0000:41:00.0");
        CU_ASSERT_STRING_EQUAL(s, V100);
        free(s);
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers/nvidia/bind"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers/nvidia/unbind"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers/i40e/0000:01:00.0"));
        CU_ASSERT_TRUE(exists(h, "/sys/bus/pci/drivers/nvme/0000:21:00.0"));
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/20/devices/0000:01:00.0"));
        CU_ASSERT_FALSE(exists(h, "/dev/vfio/66")); /* nvidia, not vfio-pci */
        /* the shim sees a plain attribute write and stores it */
        sh(h, "echo vfio-pci > %s/driver_override; cat %s/driver_override", V100, V100);
        CU_ASSERT_STRING_EQUAL(h->out, "vfio-pci\n");
        host_free(h);
}

static const char mtty_text[] =
        "P: /devices/virtual/mtty/mtty\n"
        "E: SUBSYSTEM=mtty\n"
        "A: mdev_supported_types/mtty-1/available_instances=2\\n\n"
        "A: mdev_supported_types/mtty-1/device_api=vfio-pci\\n\n"
        "A: mdev_supported_types/mtty-1/name=Single port serial\\n\n"
        "A: mdev_supported_types/mtty-2/available_instances=1\\n\n"
        "A: mdev_supported_types/mtty-2/device_api=vfio-pci\\n\n"
        "A: mdev_supported_types/mtty-2/name=Dual port serial\\n\n";

static void test_settings(void) {
        REQUIRE_SIM();
        char *text = xprintf("# a comment\n\n# gpuhook-sim: mtty exhausted-errno=EDQUOT one-type-at-a-time=yes\n%s",
                             mtty_text);
        struct host *h = host_with_text(text);
        free(text);
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-1/create", U1), "0");
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 1);
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-2"), 0); /* one type at a time */
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U2), "EDQUOT");
        host_free(h);

        text = xprintf("# gpuhook-sim: * capacity=per-type unregistering=no\n%s", mtty_text);
        h = host_with_text(text);
        free(text);
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U1), "0");
        CU_ASSERT_EQUAL(avail(h, MTTY, "mtty-1"), 2); /* not shared any more */
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U2), "ENOSPC");
        host_free(h);

        text = xprintf("# gpuhook-sim: mtty unregistering=yes\n%s", mtty_text);
        h = host_with_text(text);
        free(text);
        CU_ASSERT_STRING_EQUAL(cwrite(h, MTTY "/mdev_supported_types/mtty-2/create", U1), "ENODEV");
        host_free(h);

        /* errors: unknown parent, unknown key, bad value */
        static const char *const bad[] = {
                "# gpuhook-sim: 0000:99:00.0 exhausted-errno=ENOSPC\n",
                "# gpuhook-sim: mtty colour=blue\n",
                "# gpuhook-sim: mtty one-type-at-a-time=perhaps\n",
                "# gpuhook-sim: mtty\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                text = xprintf("%s%s", bad[i], mtty_text);
                h = host_with_text(text);
                free(text);
                CU_ASSERT_EQUAL(sh(h, "true"), 1);
                CU_ASSERT_EQUAL(strncmp(h->err, "gpuhook-sim: error: ", 20), 0);
                CU_ASSERT_EQUAL(count_lines_matching(h->err, ""), 1);
                CU_ASSERT_FALSE(exists(h, "/"));
                host_free(h);
        }
}

static void test_errors(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        char *cmd;
        /* usage errors: exit 2, one line */
        static const char *const usage[] = { "", "--testbed", "--testbed /x", "--bogus -- true" };
        for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
                cmd = xprintf("'%s' %s 2>&1 >/dev/null", sim_exe(), usage[i]);
                FILE *p = popen(cmd, "r");
                char out[512] = "";
                size_t n = fread(out, 1, sizeof(out) - 1, p);
                out[n] = '\0';
                int st = pclose(p);
                CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2);
                CU_ASSERT_EQUAL(strncmp(out, "gpuhook-sim: error: ", 20), 0);
                CU_ASSERT_EQUAL(count_lines_matching(out, ""), 1);
                free(cmd);
        }
        /* missing testbed without --host */
        cmd = xprintf("'%s' --testbed %s/none -- true 2>&1", sim_exe(), h->tmp);
        CU_ASSERT_EQUAL(WEXITSTATUS(system(cmd)), 2);
        free(cmd);
        /* not a testbed */
        cmd = xprintf("'%s' --testbed %s -- true 2>/dev/null", sim_exe(), h->tmp);
        CU_ASSERT_EQUAL(WEXITSTATUS(system(cmd)), 1);
        free(cmd);
        /* broken host file: umockdev's parser speaks */
        struct host *b = host_with_text("P: /devices/x\nZ: what\n");
        CU_ASSERT_EQUAL(sh(b, "true"), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(b->err, "gpuhook-sim: error: host file"));
        CU_ASSERT_FALSE(exists(b, "/"));
        host_free(b);
        /* exit status is the command's */
        CU_ASSERT_EQUAL(sh(h, "exit 7"), 7);
        const char *argv[] = { "/nonexistent/cmd", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 127);
        host_free(h);
}

static void test_libudev_inside(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("v100");
        mdevctl_start(h, U1, "0000:41:00.0", "nvidia-300");
        CU_ASSERT_EQUAL(h->status, 0);
        const char *argv[] = { "udevadm", "info", "/sys/bus/mdev/devices/" U1, NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: SUBSYSTEM=mdev\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "E: MDEV_TYPE=nvidia-300\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "P: /devices/pci0000:40/0000:40:03.1/0000:41:00.0/" U1 "\n"));
        host_free(h);
}

#define GVTG "/sys/devices/pci0000:00/0000:00:02.0"
#define A10_0 "/sys/devices/pci0000:16/0000:16:02.0/0000:17:00.0"
#define A10_1 "/sys/devices/pci0000:b0/0000:b0:02.0/0000:b1:00.0"

static void test_intel_gvtg(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("intel-gvtg");
        CU_ASSERT_EQUAL(sh(h, "true"), 0);
        char *p = host_path(h, GVTG "/mdev_supported_types/i915-GVTg_V5_8/description");
        char *d = read_file(p);
        free(p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        /* intel_vgpu_configs[]: V5_8 is GVT_EDID_1024_768 */
        CU_ASSERT_STRING_EQUAL(d, "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\nweight: 2\n");
        free(d);
        /* intel_vgpu_get_available() = min(low GM, high GM, fences) per type;
         * aperture 1 GB, GGTT 4 GB: 896 MB low, 2688 MB high, 28 fences */
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_8"), 7); /* the fences: 28 / 4 */
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_4"), 5); /* high GM: 2688 / 512 */
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_2"), 2);
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_1"), 1);
        mdevctl_start(h, U1, "0000:00:02.0", "i915-GVTg_V5_4");
        CU_ASSERT_EQUAL(h->status, 0);
        CU_ASSERT_TRUE(exists(h, GVTG "/" U1 "/intel_vgpu"));
        CU_ASSERT_FALSE(exists(h, GVTG "/" U1 "/nvidia"));
        mdevctl_start(h, U2, "0000:00:02.0", "i915-GVTg_V5_8");
        CU_ASSERT_EQUAL(h->status, 0);
        /* V5_4 + V5_8 take 192 MB low, 896 MB high, 8 fences: 704 / 1792 / 20 left */
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_8"), 4);
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_4"), 3);
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_2"), 1);
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_1"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, GVTG "/mdev_supported_types/i915-GVTg_V5_1/create", U3), "ENOSPC");
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/15/devices/" U1)); /* highest was 14 */
        CU_ASSERT_TRUE(exists(h, "/sys/kernel/iommu_groups/16/devices/" U2));
        mdevctl_stop(h, U1);
        /* V5_8 alone: 832 MB low, 2304 MB high, 24 fences left */
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_8"), 6);
        CU_ASSERT_EQUAL(avail(h, GVTG, "i915-GVTg_V5_4"), 4);
        host_free(h);
}

static void test_a10x2(void) {
        REQUIRE_MDEVCTL();
        struct host *h = host_new("a10x2");
        const char *argv[] = { MDEVCTL, "types", NULL };
        CU_ASSERT_EQUAL(run(h, argv), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:17:00.0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(h->out, "0000:b1:00.0\n"));
        CU_ASSERT_EQUAL(count_lines_matching(h->out, "Name: NVIDIA A10-4Q"), 2);
        char *p = host_path(h, A10_1 "/numa_node");
        char *numa = read_file(p);
        free(p);
        CU_ASSERT_STRING_EQUAL(numa, "1\n");
        free(numa);
        for (int i = 0; i < 6; i++) {
                char *u = xprintf("a10a10a1-0000-4000-8000-0000000000%02d", i);
                mdevctl_start(h, u, "0000:17:00.0", "nvidia-593");
                CU_ASSERT_EQUAL(h->status, 0);
                free(u);
        }
        CU_ASSERT_EQUAL(avail(h, A10_0, "nvidia-593"), 0);
        CU_ASSERT_EQUAL(avail(h, A10_0, "nvidia-610"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, A10_0 "/mdev_supported_types/nvidia-593/create", U1), "EUSERS");
        /* the other card is untouched; after a 4Q, 2Q reads 0 there too */
        CU_ASSERT_EQUAL(avail(h, A10_1, "nvidia-591"), 12);
        CU_ASSERT_STRING_EQUAL(cwrite(h, A10_1 "/mdev_supported_types/nvidia-593/create", U1), "0");
        CU_ASSERT_EQUAL(avail(h, A10_1, "nvidia-593"), 5);
        CU_ASSERT_EQUAL(avail(h, A10_1, "nvidia-591"), 0);
        CU_ASSERT_STRING_EQUAL(cwrite(h, A10_1 "/mdev_supported_types/nvidia-591/create", U2), "EUSERS");
        CU_ASSERT_EQUAL(count_dir(h, "/sys/bus/mdev/devices"), 7);
        host_free(h);
}

static void test_open_create_denied(void) {
        REQUIRE_SIM();
        struct host *h = host_new("mtty");
        /* sysfs has no file creation: EACCES, as the kernel says */
        sh(h, "echo x > %s/no_such_attribute", MTTY);
        CU_ASSERT_NOT_EQUAL(h->status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(h->err, "Permission denied"));
        CU_ASSERT_FALSE(exists(h, MTTY "/no_such_attribute"));
        const char *argv[] = { self_exe, "--write", MTTY "/no_such_attribute", "x", NULL };
        run(h, argv);
        CU_ASSERT_STRING_EQUAL(h->out, "open-failed:No such file or directory\n"); /* no O_CREAT */
        /* existing attributes still open for writing */
        sh(h, "echo x > %s/mtty_dev/sample_mtty_dev", MTTY);
        CU_ASSERT_EQUAL(h->status, 0);
        host_free(h);
}

int main(int argc, char *argv[]) {
        static const struct simtest tests[] = {
                { "completion of the v100 host", test_completion_v100 },
                { "mdevctl types on v100", test_types_v100 },
                { "mdevctl start on v100: links, group, counts", test_start_v100 },
                { "exhaustion on v100: EUSERS", test_exhaustion_v100 },
                { "exhaustion on mtty: shared ports, ENOSPC", test_exhaustion_mtty },
                { "duplicate uuid: EEXIST", test_duplicate_uuid },
                { "bad uuid: EINVAL", test_bad_uuid },
                { "mdevctl stop restores", test_stop_restores },
                { "remove: 0, 1, garbage", test_remove_semantics },
                { "define, start, stop, undefine", test_define_start_stop },
                { "concurrent creates on mtty", test_concurrent_mtty },
                { "concurrent creates on mdev-24", test_concurrent_24 },
                { "testbed reuse keeps state", test_reuse_dir },
                { "writes log", test_writes_log },
                { "environment", test_env },
                { "settings in host files", test_settings },
                { "errors and exit status", test_errors },
                { "udevadm inside the host", test_libudev_inside },
                { "intel GVT-g host", test_intel_gvtg },
                { "two A10 on two NUMA nodes", test_a10x2 },
                { "no file creation under /sys", test_open_create_denied },
        };
        return simtest_main(argc, argv, "sim", tests, sizeof(tests) / sizeof(tests[0]));
}
