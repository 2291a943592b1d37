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

CUNIT_MAIN("cli-blacklist",
           T(setup),
           T(test_dry_run_changes_nothing),
           T(test_blacklist_twice_then_undo),
           T(test_foreign_file_is_never_touched),
           T(test_no_initramfs_tool_warns),
           T(test_vfio_ids_initramfs_tools),
           T(test_vfio_ids_dracut))
