/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an admin is told before the first VM: `gpuhookctl check`'s 3D
 * section (render nodes, QEMU's user, QEMU's virgl GPU and OpenGL display,
 * virglrenderer) on simulated hosts with and without /dev/dri, the config
 * path the binaries read whatever the install prefix, and `blacklist`
 * refusing the boot console's driver. The REAL gpuhookctl runs inside
 * gpuhook-sim; QEMU is a stand-in on PATH (a test build looks there first)
 * so both answers a QEMU can give are seen. */
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "cli-test.h"
#include "config.h"
#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

static char *bin;      /* stand-in QEMU directory, first on PATH */
static char *old_path;

/* A qemu-system-x86_64 that has the virgl GPU (GOOD) or answers like Debian
 * 12's QEMU without qemu-system-gui. */
static void stand_in_qemu(bool good) {
        struct run r = { 0 };
        run_sh(&r, 0,
               "cat > %s/qemu-system-x86_64 <<'EOF'\n#!/bin/sh\n"
               "case \"$1 $2\" in\n"
               "'-device virtio-gpu-gl-pci,help') %s ;;\n"
               "'-display help') printf 'Available display backend types:\\nnone\\negl-headless\\ncurses\\n' ;;\n"
               "esac\nEOF\nchmod 755 %s/qemu-system-x86_64",
               bin,
               good ? "echo 'virtio-gpu-gl-pci options:'; exit 0"
                    : "echo \"qemu-system-x86_64: -device $2: missing object type 'virtio-gpu-gl-device'\" >&2; exit 1",
               bin);
        run_free(&r);
}

static void setup(void) {
        setenv("NO_COLOR", "1", 1);
        bin = tmpdir_new();
        old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        _cleanup_free_ char *path = strdup_printf("%s:%s", bin, old_path);
        setenv("PATH", path, 1);
}

/* The JSON check item ID of SECTION-prefix, or NULL. */
static struct json_object *item(struct json_object *o, const char *id) {
        struct json_object *a = jget(o, "checks");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *it = json_object_array_get_idx(a, i);
                if (streq(jstr(it, "check"), id) && !strncmp(jstr(it, "section"), "3D", 2))
                        return it;
        }
        return NULL;
}

static void test_3d_without_render_node(void) {
        struct testhost *t = testhost_new("v100");
        stand_in_qemu(false);
        testhost_ctl(t, -1, "check", "--json", NULL);
        struct json_object *o = json_parse(t->out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        struct json_object *rn = item(o, "render-node"), *q = item(o, "qemu-gl");
        CU_ASSERT_PTR_NOT_NULL_FATAL(rn);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        /* optional: "unavailable" with its fix, never a blocker */
        CU_ASSERT_STRING_EQUAL(jstr(rn, "status"), "unavailable");
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(rn, "summary"), "none in /dev/dri"));
        CU_ASSERT_PTR_NOT_NULL(jstr(rn, "fix"));
        CU_ASSERT_STRING_EQUAL(jstr(q, "status"), "unavailable");
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(q, "summary"), "lacks its virgl GPU module"));
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(q, "fix"), "apt-get install qemu-system-gui"));
        CU_ASSERT_FALSE(json_object_get_boolean(jget(o, "virgl_3d")));
        /* the library: its state on this machine, either way */
        struct json_object *v = item(o, "virglrenderer");
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        struct run r = { 0 };
        bool have = run_sh(&r, -1, "ls /usr/lib/*/libvirglrenderer.so.1 /usr/lib64/libvirglrenderer.so.1 /usr/lib/libvirglrenderer.so.1 2>/dev/null | grep -q .") == 0;
        run_free(&r);
        CU_ASSERT_STRING_EQUAL(jstr(v, "status"), have ? "ok" : "unavailable");
        json_object_put(o);
        /* the text report: the section, its "–" lines and the verdict */
        testhost_ctl(t, -1, "check", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "\n3D (virtio-gpu + virgl, no IOMMU needed)\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "  – render node: none in /dev/dri"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->out, "3D for guests (virtio-gl): not available here"));
        testhost_free(t);
}

static void test_3d_render_node_and_qemu_user(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        stand_in_qemu(true);
        testhost_ctl(t, -1, "check", "--json", NULL);
        struct json_object *o = json_parse(t->out);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        struct json_object *rn = item(o, "render-node"), *q = item(o, "qemu-gl"), *gl = item(o, "qemu-opengl");
        CU_ASSERT_PTR_NOT_NULL_FATAL(rn);
        CU_ASSERT_STRING_EQUAL(jstr(rn, "status"), "ok");
        /* libvirt's choice: the first renderD* of /dev/dri */
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(rn, "summary"), "/dev/dri/renderD12"));
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(rn, "summary"), "(2 in /dev/dri)"));
        CU_ASSERT_STRING_EQUAL(jstr(q, "status"), "ok");
        CU_ASSERT_STRING_EQUAL(jstr(gl, "status"), "ok");
        json_object_put(o);

        /* QEMU's user and the node's group and mode, as qemu.conf sets them */
        struct passwd *pw = getpwnam("libvirt-qemu");
        struct group *kvm = getgrnam("kvm");
        if (!pw || !kvm) {
                printf("\n  note: no libvirt-qemu user or kvm group here, access part skipped\n");
                testhost_free(t);
                return;
        }
        _cleanup_free_ char *n128 = strdup_printf("%s/dev/dri/renderD128", t->dir),
                            *n129 = strdup_printf("%s/dev/dri/renderD129", t->dir);
        _cleanup_free_ char *dir = tmpdir_new(), *qconf = NULL;
        /* a node QEMU's user cannot open, and namespaces off: a real blocker
         * for 3D, shown as unavailable (no domain asks for 3D here) */
        CU_ASSERT_EQUAL(chmod(n128, 0600), 0);
        CU_ASSERT_EQUAL(chmod(n129, 0600), 0);
        qconf = write_tmp(dir, "qemu.conf", "# test\nuser = \"libvirt-qemu\"\ngroup = \"kvm\"\nnamespaces = [ ]\n");
        setenv("GPUHOOK_QEMU_CONF", qconf, 1);
        testhost_ctl(t, -1, "check", "--json", NULL);
        o = json_parse(t->out);
        struct json_object *acc = item(o, "render-access");
        CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
        CU_ASSERT_STRING_EQUAL(jstr(acc, "status"), "unavailable");
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(acc, "summary"), "QEMU's user libvirt-qemu cannot open"));
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(acc, "fix"), "udev rule"));
        json_object_put(o);
        /* namespaces on (the default): libvirt hands the node over, informational */
        free(write_tmp(dir, "qemu.conf", "#namespaces = [ \"mount\" ]\ngroup = \"kvm\"\n"));
        testhost_ctl(t, -1, "check", "--json", NULL);
        o = json_parse(t->out);
        acc = item(o, "render-access");
        CU_ASSERT_STRING_EQUAL(jstr(acc, "status"), "info");
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(acc, "summary"), "libvirt hands it over"));
        json_object_put(o);
        /* group kvm with rw: QEMU's user (in kvm) may open it */
        CU_ASSERT_EQUAL(chown(n128, 0, kvm->gr_gid), 0);
        CU_ASSERT_EQUAL(chown(n129, 0, kvm->gr_gid), 0);
        CU_ASSERT_EQUAL(chmod(n128, 0660), 0);
        CU_ASSERT_EQUAL(chmod(n129, 0660), 0);
        testhost_ctl(t, -1, "check", "--json", NULL);
        o = json_parse(t->out);
        acc = item(o, "render-access");
        CU_ASSERT_STRING_EQUAL(jstr(acc, "status"), "ok");
        CU_ASSERT_PTR_NOT_NULL(strstr(jstr(rn = item(o, "render-node"), "summary"), "group kvm, mode 0660"));
        json_object_put(o);
        unsetenv("GPUHOOK_QEMU_CONF");
        tmpdir_free(TAKE_PTR(dir));
        testhost_free(t);
}

/* The config path is /etc/gpuhook/gpuhook.conf in this build (prefix
 * /usr/local unless told otherwise), in the binary and in the man pages. */
static void test_config_path(void) {
        struct run r = { 0 };
        if (streq(GPUHOOK_CONFDIR, "/etc/gpuhook"))
                CU_ASSERT_STRING_EQUAL(GPUHOOK_CONFIG_PATH, "/etc/gpuhook/gpuhook.conf");
        unsetenv("GPUHOOK_CONFIG");
        run_ctl(&r, -1, "check", "--json", NULL);
        struct json_object *o = json_parse(r.out), *a = jget(o, "checks");
        bool seen = false;
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *it = json_object_array_get_idx(a, i);
                if (streq(jstr(it, "check"), "config") && streq(jstr(it, "status"), "ok"))
                        seen = !strncmp(jstr(it, "summary"), "gpuhook config: " GPUHOOK_CONFIG_PATH, 16 + strlen(GPUHOOK_CONFIG_PATH));
        }
        if (!seen)
                fprintf(stderr, "\ncheck does not read %s: %s\n", GPUHOOK_CONFIG_PATH, r.out);
        CU_ASSERT(seen || access(GPUHOOK_CONFIG_PATH, F_OK) == 0); /* a broken real config would be a ✗ */
        json_object_put(o);
        /* the man pages and the shipped config name the same file */
        static const char *const docs[] = { "man/gpuhook.conf.5", "man/gpuhook.8", "man/gpuhookctl.8", "conf/gpuhook.conf" };
        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", cli_source_root(), docs[i]), *text = read_all(p);
                CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "/etc/gpuhook/gpuhook.conf"));
                CU_ASSERT_PTR_NULL(text ? strstr(text, "/usr/local/etc/gpuhook") : NULL);
        }
        run_free(&r);
}

/* blacklist refuses the driver of the boot console's GPU (the desktop's
 * i915 iGPU) unless --force, which spells out the dark screen. */
static void test_blacklist_boot_console(void) {
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *root = tmpdir_new();
        struct run r = { 0 };
        run_sh(&r, 0,
               "mkdir -p %s/lib/modules/6.1.0-test && printf '%%s\\n' 'kernel/drivers/gpu/drm/i915/i915.ko.xz:'"
               " 'kernel/drivers/gpu/drm/nouveau/nouveau.ko.xz:' > %s/lib/modules/6.1.0-test/modules.dep",
               root, root);
        run_free(&r);
        _cleanup_free_ char *conf = strdup_printf("%s/etc/modprobe.d/gpuhook-blacklist-i915.conf", root);
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "blacklist", "--root", root, "i915", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "i915 drives 0000:00:02.0, the GPU of the host's boot console"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "screen stays dark"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "--force"));
        CU_ASSERT_EQUAL(count_lines(t->err, ""), 1);
        CU_ASSERT_NOT_EQUAL(access(conf, F_OK), 0);
        /* the dGPU's driver is fine */
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "blacklist", "--root", root, "--dry-run", "nouveau", NULL), 0);
        /* --force: written, and the consequence said */
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "blacklist", "--root", root, "--force", "i915", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "warning: blacklisting i915 anyway (--force)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "0000:00:02.0"));
        CU_ASSERT_EQUAL(access(conf, F_OK), 0);
        /* undo needs no --force */
        CU_ASSERT_EQUAL(testhost_ctl(t, -1, "blacklist", "--root", root, "--undo", "i915", NULL), 0);
        CU_ASSERT_NOT_EQUAL(access(conf, F_OK), 0);
        tmpdir_free(TAKE_PTR(root));
        testhost_free(t);
}

static void teardown(void) {
        setenv("PATH", old_path, 1);
        free(old_path);
        tmpdir_free(bin);
}

CUNIT_MAIN("cli-readiness",
           T(setup),
           T(test_3d_without_render_node),
           T(test_3d_render_node_and_qemu_user),
           T(test_config_path),
           T(test_blacklist_boot_console),
           T(teardown))
