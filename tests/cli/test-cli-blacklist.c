/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl blacklist, always below a temporary --root (never the real
 * /etc). The root gets dash and a stand-in update-initramfs/dracut that logs
 * its argv, so the chroot'ed initramfs run is real and observable. */
#include <sys/stat.h>

#include "cli-test.h"
#include "cunit-run.h"
#include "util.h"

static char *root_with(const char *tool) {
        struct run r = { 0 };
        char *root = tmpdir_new();
        /* A root the initramfs tool can run in: dash, its libraries, the tool. */
        CU_ASSERT_EQUAL(run_sh(&r, 0,
                               "set -e; R=%s; mkdir -p $R/bin $R/usr/sbin $R/usr/bin $R/etc;"
                               "cp /bin/dash $R/bin/sh;"
                               /* a kernel's module index, as depmod writes it */
                               "mkdir -p $R/lib/modules/6.1.0-test;"
                               "printf '%%s\\n' 'kernel/drivers/gpu/drm/nouveau/nouveau.ko: kernel/drivers/gpu/drm/drm.ko'"
                               " 'kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko: kernel/drivers/gpu/drm/drm.ko'"
                               " 'kernel/drivers/gpu/drm/i915/i915.ko.xz: kernel/drivers/gpu/drm/drm.ko'"
                               " 'kernel/sound/pci/hda/snd-hda-intel.ko:' 'kernel/drivers/gpu/drm/drm.ko:'"
                               " > $R/lib/modules/6.1.0-test/modules.dep;"
                               "printf '%%s\\n' 'kernel/drivers/video/fbdev/efifb.ko' > $R/lib/modules/6.1.0-test/modules.builtin;"
                               "for l in $(ldd /bin/dash | grep -o '/[^ ]*'); do mkdir -p $R$(dirname $l); cp $l $R$l; done;"
                               "if [ -n '%s' ]; then printf '#!/bin/sh\\necho \"%s $*\" >> /initramfs.log\\n' > $R%s; chmod 755 $R%s; fi",
                               root, tool ? tool : "", tool ? strrchr(tool, '/') + 1 : "", tool ? tool : "", tool ? tool : ""),
                        0);
        run_free(&r);
        return root;
}

static char *at(const char *root, const char *rel) { return strdup_printf("%s/%s", root, rel); }

static char *file_at(const char *root, const char *rel) {
        _cleanup_free_ char *p = at(root, rel);
        return read_all(p);
}

static bool exists_at(const char *root, const char *rel) {
        _cleanup_free_ char *p = at(root, rel);
        return access(p, F_OK) == 0;
}

static int lines_in(const char *root, const char *rel) {
        _cleanup_free_ char *t = file_at(root, rel);
        return t ? count_lines(t, "") : 0;
}

static void setup(void) { setenv("NO_COLOR", "1", 1); }

static void test_dry_run_changes_nothing(void) {
        struct run r = { 0 }, before = { 0 }, after = { 0 };
        char *root = root_with("/usr/sbin/update-initramfs");
        run_sh(&before, 0, "cd %s && find . -printf '%%p %%s %%T@\\n' | sort", root);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--dry-run", "nouveau", "snd_hda_intel", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "/etc/modprobe.d/gpuhook-blacklist-nouveau.conf (mode 0644):"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "    blacklist nouveau\n    options nouveau modeset=0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "    blacklist snd_hda_intel\n"));
        CU_ASSERT_PTR_NULL(strstr(r.out, "options snd_hda_intel")); /* modeset only for DRM drivers */
        _cleanup_free_ char *cmd = strdup_printf("Would run: /usr/sbin/chroot %s /usr/sbin/update-initramfs -u", root);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, cmd));
        run_sh(&after, 0, "cd %s && find . -printf '%%p %%s %%T@\\n' | sort", root);
        CU_ASSERT_STRING_EQUAL(before.out, after.out);
        run_free(&r);
        run_free(&before);
        run_free(&after);
        tmpdir_free(root);
}

static void test_blacklist_twice_then_undo(void) {
        struct run r = { 0 };
        char *root = root_with("/usr/sbin/update-initramfs");
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "nouveau", NULL), 0);
        _cleanup_free_ char *conf = file_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf");
        CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
        CU_ASSERT_PTR_NOT_NULL(strstr(conf, "# Written by gpuhookctl blacklist"));
        CU_ASSERT_PTR_NOT_NULL(strstr(conf, "\nblacklist nouveau\noptions nouveau modeset=0"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Reboot"));
        /* the initramfs tool ran once, inside the root */
        _cleanup_free_ char *log = file_at(root, "initramfs.log");
        CU_ASSERT_PTR_NOT_NULL_FATAL(log);
        CU_ASSERT_STRING_EQUAL(log, "update-initramfs -u");

        /* twice: nothing changes, the tool does not run again */
        struct stat st1, st2;
        _cleanup_free_ char *path = at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf");
        CU_ASSERT_EQUAL(stat(path, &st1), 0);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "nouveau", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Nothing to do"));
        CU_ASSERT_EQUAL(stat(path, &st2), 0);
        CU_ASSERT_EQUAL(st1.st_ino, st2.st_ino);
        CU_ASSERT_EQUAL(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 1);

        /* undo removes it and rebuilds; undo twice changes nothing */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--undo", "nouveau", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Removed"));
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf"));
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--undo", "nouveau", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Nothing to do"));
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 2);
        run_free(&r);
        tmpdir_free(root);
}

static void test_foreign_file_is_never_touched(void) {
        struct run r = { 0 };
        char *root = root_with(NULL);
        _cleanup_free_ char *dir = at(root, "etc/modprobe.d");
        CU_ASSERT_EQUAL(mkdir_p(dir, 0755), 0);
        free(write_tmp(dir, "gpuhook-blacklist-nouveau.conf", "blacklist nouveau\n# mine\n"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "nouveau", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "was not written by gpuhookctl"));
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "--undo", "nouveau", NULL), 1);
        _cleanup_free_ char *t = file_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf");
        CU_ASSERT_STRING_EQUAL(t, "blacklist nouveau\n# mine");
        /* bad names */
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "../../etc/passwd", NULL), 1);
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "vfio-pci", NULL), 1);
        CU_ASSERT_EQUAL(run_ctl(&r, 2, "blacklist", "--root", "relative/dir", "nouveau", NULL), 2);
        run_free(&r);
        tmpdir_free(root);
}

static void test_no_initramfs_tool_warns(void) {
        struct run r = { 0 };
        char *root = root_with(NULL);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "amdgpu", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "warning: no initramfs tool"));
        _cleanup_free_ char *t = file_at(root, "etc/modprobe.d/gpuhook-blacklist-amdgpu.conf");
        CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "options amdgpu modeset=0"));
        run_free(&r);
        tmpdir_free(root);
}

static void test_vfio_ids_initramfs_tools(void) {
        struct run r = { 0 };
        char *root = root_with("/usr/sbin/update-initramfs");
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "10DE:1DB4", NULL), 0);
        _cleanup_free_ char *c1 = file_at(root, "etc/modprobe.d/gpuhook-vfio.conf");
        CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
        CU_ASSERT_PTR_NOT_NULL(strstr(c1, "\noptions vfio-pci ids=10de:1db4\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(c1, "\nsoftdep nouveau pre: vfio-pci"));
        /* vfio-pci goes into the initramfs through an initramfs-tools hook */
        _cleanup_free_ char *hook_path = at(root, "etc/initramfs-tools/hooks/gpuhook-vfio");
        struct stat st;
        CU_ASSERT_EQUAL(stat(hook_path, &st), 0);
        CU_ASSERT_EQUAL(st.st_mode & 0777, 0755);
        _cleanup_free_ char *hook = read_all(hook_path);
        CU_ASSERT_PTR_NOT_NULL(hook && strstr(hook, "manual_add_modules vfio vfio_iommu_type1 vfio_pci"));
        CU_ASSERT_FALSE(exists_at(root, "etc/dracut.conf.d/gpuhook-vfio.conf"));
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 1);

        /* ids add up; the same ids again change nothing */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "10de:10f7", "10de:1db4", NULL), 0);
        _cleanup_free_ char *c2 = file_at(root, "etc/modprobe.d/gpuhook-vfio.conf");
        CU_ASSERT_PTR_NOT_NULL(strstr(c2, "\noptions vfio-pci ids=10de:1db4,10de:10f7\n"));
        CU_ASSERT_EQUAL(count_lines(c2, "softdep nouveau"), 1);
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 2);
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "10de:1db4", "10de:10f7", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Nothing to do"));
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 2);

        /* undo one id, then the last: the file and the hook go */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "--undo", "10de:1db4", NULL), 0);
        _cleanup_free_ char *c3 = file_at(root, "etc/modprobe.d/gpuhook-vfio.conf");
        CU_ASSERT_PTR_NOT_NULL(strstr(c3, "\noptions vfio-pci ids=10de:10f7\n"));
        CU_ASSERT(exists_at(root, "etc/initramfs-tools/hooks/gpuhook-vfio"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "--undo", "10de:10f7", NULL), 0);
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-vfio.conf"));
        CU_ASSERT_FALSE(exists_at(root, "etc/initramfs-tools/hooks/gpuhook-vfio"));
        CU_ASSERT_EQUAL(lines_in(root, "initramfs.log"), 4);

        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "--vfio", "10de-1db4", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "is not a PCI id"));
        run_free(&r);
        tmpdir_free(root);
}

static void test_vfio_ids_dracut(void) {
        struct run r = { 0 };
        char *root = root_with("/usr/bin/dracut");
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "--dry-run", "1002:73bf", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "dracut.conf.d/gpuhook-vfio.conf"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "force_drivers+=\" vfio vfio_iommu_type1 vfio_pci \""));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "/usr/bin/dracut -f"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--vfio", "1002:73bf", NULL), 0);
        _cleanup_free_ char *conf = file_at(root, "etc/modprobe.d/gpuhook-vfio.conf"),
                            *log = file_at(root, "initramfs.log");
        CU_ASSERT_PTR_NOT_NULL(conf && strstr(conf, "softdep amdgpu pre: vfio-pci"));
        CU_ASSERT(exists_at(root, "etc/dracut.conf.d/gpuhook-vfio.conf"));
        CU_ASSERT_FALSE(exists_at(root, "etc/initramfs-tools/hooks/gpuhook-vfio"));
        CU_ASSERT_STRING_EQUAL(log, "dracut -f");
        run_free(&r);
        tmpdir_free(root);
}

/* A driver no installed kernel has is refused (a typo would otherwise leave
 * the GPU's real driver loaded); --force writes it with a warning. A driver
 * that exists only built in is refused even with --force: a blacklist cannot
 * stop it. A root without any module index cannot be checked. */
static void test_unknown_and_builtin_drivers(void) {
        struct run r = { 0 };
        char *root = root_with(NULL);
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "nouveaux", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no installed kernel in"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "has a module named nouveaux"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--force"));
        CU_ASSERT_EQUAL(count_lines(r.err, ""), 1);
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveaux.conf"));
        /* one bad name among good ones: nothing is written */
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "nouveau", "nouveaux", NULL), 1);
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf"));
        /* '-' and '_' are one module name; a compressed module counts */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--dry-run", "snd_hda_intel", "i915", NULL), 0);
        /* --force: written, and the warning says it does nothing yet */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--force", "nouveaux", NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "warning: no installed kernel"));
        CU_ASSERT(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveaux.conf"));
        /* undo never needs the driver to exist */
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--undo", "nouveaux", NULL), 0);
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveaux.conf"));
        /* built in: refused, --force or not */
        for (int force = 0; force < 2; force++) {
                CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, force ? "--force" : "--dry-run", "efifb", NULL), 1);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "efifb is built into kernel 6.1.0-test (modules.builtin)"));
                CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--vfio"));
        }
        CU_ASSERT_FALSE(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-efifb.conf"));
        run_free(&r);
        tmpdir_free(root);

        /* no module index at all */
        root = tmpdir_new();
        CU_ASSERT_EQUAL(run_ctl(&r, 1, "blacklist", "--root", root, "nouveau", NULL), 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "has no module index"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", root, "--force", "nouveau", NULL), 0);
        CU_ASSERT(exists_at(root, "etc/modprobe.d/gpuhook-blacklist-nouveau.conf"));
        run_free(&r);
        tmpdir_free(root);
}

/* --dry-run names every file a run would write, with its mode and content,
 * and the initramfs image the tool rewrites; and writes none of them. */
static void test_dry_run_lists_every_file(void) {
        struct run r = { 0 }, wet = { 0 };
        char *dry = root_with("/usr/sbin/update-initramfs"), *real = root_with("/usr/sbin/update-initramfs");
        _cleanup_free_ char *boot = at(dry, "boot"), *boot2 = at(real, "boot");
        CU_ASSERT_EQUAL(mkdir_p(boot, 0755), 0);
        CU_ASSERT_EQUAL(mkdir_p(boot2, 0755), 0);
        free(write_tmp(boot, "initrd.img-6.1.0-test", "x"));
        CU_ASSERT_EQUAL(run_ctl(&r, 0, "blacklist", "--root", dry, "--dry-run", "--vfio", "10de:1db4", NULL), 0);
        CU_ASSERT_EQUAL(run_ctl(&wet, 0, "blacklist", "--root", real, "--vfio", "10de:1db4", NULL), 0);
        /* every "Wrote X" of the real run is a "Would write X" of the dry one */
        int wrote = 0;
        for (const char *p = wet.out; (p = strstr(p, "Wrote ")); p++) {
                size_t n = strcspn(p + 6, "\n");
                _cleanup_free_ char *rel = strndup(p + 6 + strlen(real), n - strlen(real));
                _cleanup_free_ char *want = strdup_printf("Would write %s%s (mode", dry, rel);
                CU_ASSERT_PTR_NOT_NULL(strstr(r.out, want));
                wrote++;
        }
        CU_ASSERT_EQUAL(wrote, 2); /* the modprobe.d file and the initramfs-tools hook */
        _cleanup_free_ char *img = strdup_printf("%s/boot/initrd.img-6.1.0-test", dry);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, img));
        CU_ASSERT_FALSE(exists_at(dry, "etc/modprobe.d/gpuhook-vfio.conf"));
        run_free(&r);
        run_free(&wet);
        tmpdir_free(dry);
        tmpdir_free(real);
}

CUNIT_MAIN("cli-blacklist",
           T(setup),
           T(test_dry_run_changes_nothing),
           T(test_blacklist_twice_then_undo),
           T(test_foreign_file_is_never_touched),
           T(test_no_initramfs_tool_warns),
           T(test_vfio_ids_initramfs_tools),
           T(test_vfio_ids_dracut),
           T(test_unknown_and_builtin_drivers),
           T(test_dry_run_lists_every_file))
