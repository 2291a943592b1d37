/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl blacklist DRIVER... / blacklist --vfio VENDOR:DEVICE...
 *
 * The seed document's recipe, made repeatable and reversible:
 *   /etc/modprobe.d/gpuhook-blacklist-<driver>.conf   "blacklist nouveau" +
 *                                                      "options nouveau modeset=0"
 *   /etc/modprobe.d/gpuhook-vfio.conf                  "options vfio-pci ids=..." +
 *                                                      "softdep <driver> pre: vfio-pci"
 *   vfio-pci into the initramfs (an initramfs-tools hook or a dracut.conf.d file)
 * then the initramfs is rebuilt with whichever tool the host has. gpuhookctl
 * only ever changes or removes files that carry its own header; running it
 * twice changes nothing the second time. */
#include <glob.h>
#include <sys/stat.h>

#include "config.h"
#include "gpuhookctl.h"
#include "log.h"
#include "pci.h"
#include "spawn.h"
#include "template.h"
#include "vendor.h"

#define HEADER "# Written by gpuhookctl blacklist"
#define VFIO_CONF "etc/modprobe.d/gpuhook-vfio.conf"
#define INITRAMFS_TOOLS_HOOK "etc/initramfs-tools/hooks/gpuhook-vfio"
#define DRACUT_CONF "etc/dracut.conf.d/gpuhook-vfio.conf"
#define INITRAMFS_TIMEOUT_MS (15u * 60u * 1000u)

/* DRM drivers with a "modeset" parameter (the doc's `options nouveau
 * modeset=0`) and the host drivers that take a vendor's GPU functions when
 * nothing is known about the device: the vendors' tables (vendor.h). */

enum change_kind { CHANGE_WRITE, CHANGE_REMOVE };

struct change {
        enum change_kind kind;
        char *path; /* absolute, below the root */
        char *content;
        mode_t mode;
};

struct plan {
        struct change *changes;
        size_t n;
        char **notes; /* printed after the plan */
};

static void plan_done(struct plan *p) {
        for (size_t i = 0; i < p->n; i++) {
                free(p->changes[i].path);
                free(p->changes[i].content);
        }
        free(p->changes);
        strv_free_null(p->notes);
}

static const char *root_dir(void) { return arg.root ? arg.root : "/"; }
static bool root_is_system(void) { return streq(root_dir(), "/"); }

static char *rooted(const char *rel) {
        const char *root = root_dir();
        size_t n = strlen(root);
        return strdup_printf("%.*s/%s", (int)(n > 0 && root[n - 1] == '/' ? n - 1 : n), root, rel);
}

/* 1 ours, 0 absent, -EEXIST someone else's, <0 error. CONTENT gets the text. */
static int read_ours(const char *path, char **content) {
        _cleanup_free_ char *text = NULL;
        int r = read_text_file(path, 1 << 20, &text);
        *content = NULL;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_fail(r, "cannot read %s: %s", path, strerror(-r));
        if (strncmp(text, HEADER, strlen(HEADER)) != 0 &&
            !(strncmp(text, "#!/bin/sh\n", 10) == 0 && strncmp(text + 10, HEADER, strlen(HEADER)) == 0))
                return log_fail(-EEXIST, "%s exists and was not written by gpuhookctl; merge its lines by hand or move it away, then run again",
                                path);
        *content = TAKE_PTR(text);
        return 1;
}

static int plan_add(struct plan *p, enum change_kind kind, char *path, char *content, mode_t mode) {
        struct change *n = reallocarray(p->changes, p->n + 1, sizeof(*n));
        if (!n) {
                free(path);
                free(content);
                return -ENOMEM;
        }
        p->changes = n;
        n[p->n++] = (struct change){ kind, path, content, mode };
        return 0;
}

/* Plan FILE to hold CONTENT (NULL: to be gone). Unchanged files plan nothing. */
static int plan_file(struct plan *p, const char *rel, const char *content, mode_t mode) {
        _cleanup_free_ char *path = rooted(rel), *old = NULL;
        int r;
        if (!path)
                return -ENOMEM;
        r = read_ours(path, &old);
        if (r < 0)
                return r;
        if (!content)
                return r == 0 ? 0 : plan_add(p, CHANGE_REMOVE, TAKE_PTR(path), NULL, 0);
        /* read_text_file strips trailing newlines: compare the same way. */
        _cleanup_free_ char *want = strdup(content);
        if (!want)
                return -ENOMEM;
        strstrip_end(want);
        if (old && streq(old, want)) {
                struct stat st;
                if (stat(path, &st) == 0 && (st.st_mode & 07777) == mode)
                        return 0;
        }
        char *c = strdup(content);
        return c ? plan_add(p, CHANGE_WRITE, TAKE_PTR(path), c, mode) : -ENOMEM;
}

static bool has_modeset(const char *driver) {
        if (gpu_driver_has_modeset(driver))
                return true;
        /* A loaded driver says it itself. */
        char mod[MDEV_NAME_MAX + 1];
        snprintf(mod, sizeof(mod), "%s", driver);
        for (char *c = mod; *c; c++)
                if (*c == '-')
                        *c = '_';
        _cleanup_free_ char *path = strdup_printf("/sys/module/%s/parameters/modeset", mod);
        return path && access(path, F_OK) == 0;
}

/* "nouveau-drm" and "nouveau_drm" are one module to modprobe. */
static bool same_module(const char *a, const char *b) {
        for (; *a && *b; a++, b++)
                if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
                        return false;
        return !*a && !*b;
}

/* The module name of a modules.dep / modules.builtin path:
 * "kernel/drivers/gpu/drm/nouveau/nouveau.ko.xz" -> "nouveau". */
static void module_of_path(const char *path, size_t len, char *buf, size_t size) {
        const char *slash = memrchr(path, '/', len);
        const char *base = slash ? slash + 1 : path;
        size_t n = len - (size_t)(base - path);
        const char *ko = memmem(base, n, ".ko", 3);
        snprintf(buf, size, "%.*s", (int)(ko ? (size_t)(ko - base) : n), base);
}

enum module_state { MODULE_NO_INDEX, MODULE_UNKNOWN, MODULE_BUILTIN, MODULE_LOADABLE };

/* Whether DRIVER is a module of a kernel installed in the root: every
 * ROOT/lib/modules/VERSION (the next boot may use any of them) through
 * depmod's modules.dep ("path.ko[.xz]: deps", loadable modules) and
 * modules.builtin (one "path.ko" a line, built in); on the running system
 * also a module loaded now (/sys/module/NAME/initstate exists only for
 * loadable modules, kernel/module/sysfs.c). kmod's modprobe.d(5): blacklist
 * keeps modprobe from loading a module by its aliases, so it can do nothing
 * about a built-in driver. */
static enum module_state module_state(const char *driver, char *ret_builtin_in, size_t size) {
        _cleanup_free_ char *pattern = rooted("lib/modules/*/modules.dep");
        enum module_state st = MODULE_NO_INDEX;
        glob_t gl;

        if (root_is_system()) {
                _cleanup_free_ char *init = NULL;
                char mod[MDEV_NAME_MAX + 1];
                snprintf(mod, sizeof(mod), "%s", driver);
                for (char *c = mod; *c; c++)
                        if (*c == '-')
                                *c = '_';
                init = strdup_printf("/sys/module/%s/initstate", mod);
                if (init && access(init, F_OK) == 0)
                        return MODULE_LOADABLE;
        }
        if (!pattern || glob(pattern, 0, NULL, &gl) != 0)
                return st;
        for (size_t i = 0; i < gl.gl_pathc && st != MODULE_LOADABLE; i++) {
                static const char *const files[] = { "modules.dep", "modules.builtin" };
                for (size_t f = 0; f < ELEMENTSOF(files) && st != MODULE_LOADABLE; f++) {
                        _cleanup_free_ char *dir = strndup(gl.gl_pathv[i], (size_t)(strrchr(gl.gl_pathv[i], '/') - gl.gl_pathv[i]));
                        _cleanup_free_ char *path = dir ? strdup_printf("%s/%s", dir, files[f]) : NULL, *text = NULL;
                        if (!path || read_text_file(path, 16 << 20, &text) < 0)
                                continue;
                        if (st == MODULE_NO_INDEX)
                                st = MODULE_UNKNOWN;
                        for (const char *line = text; *line && st != MODULE_LOADABLE;) {
                                size_t len = strcspn(line, f == 0 ? ":\n" : "\n");
                                char name[MDEV_NAME_MAX + 1];
                                module_of_path(line, len, name, sizeof(name));
                                if (same_module(name, driver)) {
                                        if (f == 0)
                                                st = MODULE_LOADABLE;
                                        else if (st != MODULE_BUILTIN) {
                                                st = MODULE_BUILTIN;
                                                const char *v = strrchr(dir, '/');
                                                snprintf(ret_builtin_in, size, "%s", v ? v + 1 : dir);
                                        }
                                }
                                line += strcspn(line, "\n");
                                line += *line == '\n';
                        }
                }
        }
        globfree(&gl);
        return st;
}

/* Refuse a driver that no installed kernel has, or that only exists built in
 * (a blacklist would be a silent no-op). --force writes an unlisted one. */
static int check_driver_exists(const char *d) {
        char builtin_in[128] = "";
        switch (module_state(d, builtin_in, sizeof(builtin_in))) {
        case MODULE_LOADABLE:
                return 0;
        case MODULE_BUILTIN:
                return log_fail(-EINVAL, "%s is built into kernel %s (modules.builtin), so a modprobe.d blacklist cannot stop it; keep it off a device with `gpuhookctl blacklist --vfio VENDOR:DEVICE` instead",
                                d, builtin_in);
        case MODULE_UNKNOWN:
                if (arg.force) {
                        ctl_warn("no installed kernel in %s has a module %s; writing its blacklist anyway (--force): it does nothing until such a module exists",
                                 root_dir(), d);
                        return 0;
                }
                return log_fail(-ENOENT, "no installed kernel in %s has a module named %s (lib/modules/*/modules.dep, modules.builtin): check the spelling (`gpuhookctl list` shows each GPU's driver), or pass --force to write it anyway",
                                root_dir(), d);
        case MODULE_NO_INDEX:
        default:
                if (arg.force) {
                        ctl_warn("%s has no kernel module index (lib/modules/*/modules.dep): %s is written unchecked (--force)", root_dir(), d);
                        return 0;
                }
                return log_fail(-ENOENT, "cannot tell whether %s is a kernel module: %s has no module index (lib/modules/*/modules.dep); install the kernel's modules (or run depmod), or pass --force to write it unchecked",
                                d, root_dir());
        }
}

/* The boot console's GPU (boot_vga = 1) and whether D is its driver (bound
 * now, or one of its modalias modules: the driver that would bind it at the
 * next boot). Blacklisting it leaves the host without a screen from the next
 * boot. Only --force goes on, and says so. */
static int check_boot_console(const struct pci_list *l, const char *d) {
        for (size_t i = 0; l && i < l->n; i++) {
                const struct pci_device *g = &l->devs[i];
                char **mods = NULL;
                bool drives = false;
                if (g->boot_vga != 1)
                        continue;
                drives = *g->driver && same_module(g->driver, d);
                if (!drives && g->modalias && pci_modules_for_modalias(g->modalias, &mods) >= 0)
                        for (size_t k = 0; mods[k] && !drives; k++)
                                drives = same_module(mods[k], d);
                strv_free_null(mods);
                if (!drives)
                        continue;
                if (arg.force) {
                        ctl_warn("blacklisting %s anyway (--force): from the next boot %s, the GPU of the host's boot console, gets no driver and the host's screen stays dark (no text console, no display manager); reach the host over the network or a serial console, and undo with `gpuhookctl blacklist --undo %s`",
                                 d, g->bdf, d);
                        return 0;
                }
                return log_fail(-EPERM, "%s drives %s, the GPU of the host's boot console: blacklisted, it is not loaded at the next boot and the host's screen stays dark (no text console, no display manager); to pass that GPU to a VM anyway, make sure the host is reachable over the network or a serial console and run again with --force",
                                d, g->bdf);
        }
        return 0;
}

/* DRIVERS[I]: checked, then its blacklist file planned. */
static int plan_driver(struct plan *p, char **drivers, size_t i, const struct pci_list *l) {
        const char *d = drivers[i];
        int r;
        if (!driver_name_valid(d))
                return log_fail(-EINVAL, "'%s' is not a kernel module name (letters, digits, '_' and '-')", d);
        if (streq(d, "vfio-pci") || streq(d, "vfio_pci"))
                return log_fail(-EINVAL, "blacklisting vfio-pci would stop all passthrough; blacklist the GPU's own driver instead");
        for (size_t k = 0; k < i; k++)
                if (streq(drivers[k], d))
                        return log_fail(-EINVAL, "driver %s is named twice", d);
        /* Undoing needs neither check: a blacklist of anything may go. */
        if (!arg.undo && ((r = check_driver_exists(d)) < 0 || (l && (r = check_boot_console(l, d)) < 0)))
                return r;
        _cleanup_free_ char *rel = strdup_printf("etc/modprobe.d/gpuhook-blacklist-%s.conf", d), *content = NULL;
        if (!rel)
                return -ENOMEM;
        if (!arg.undo) {
                content = strdup_printf(HEADER "; undo with `gpuhookctl blacklist --undo %s`.\n"
                                               "# Keeps %s off the host's devices so that they can be passed to VMs.\n"
                                               "blacklist %s\n%s%s%s",
                                        d, d, d, has_modeset(d) ? "options " : "", has_modeset(d) ? d : "",
                                        has_modeset(d) ? " modeset=0\n" : "");
                if (!content)
                        return -ENOMEM;
        }
        return plan_file(p, rel, content, 0644);
}

static int plan_drivers(struct plan *p, char **drivers) {
        struct pci_list l = { 0 };
        bool have_pci = false;
        int r = 0;
        if (!arg.undo) {
                r = pci_list_load(&l);
                have_pci = r >= 0;
                if (!have_pci)
                        ctl_warn("cannot enumerate PCI devices through udev (%s): not checking whether a driver drives the boot console",
                                 strerror(-r));
        }
        r = 0;
        for (size_t i = 0; drivers[i] && r >= 0; i++)
                r = plan_driver(p, drivers, i, have_pci ? &l : NULL);
        pci_list_free(&l);
        return r;
}

/* "10DE:1db4" -> "10de:1db4"; -EINVAL unless vvvv:dddd hex. */
static int parse_id(const char *s, char ret[10], unsigned *vendor) {
        if (strlen(s) != 9 || s[4] != ':')
                return log_fail(-EINVAL, "'%s' is not a PCI id: expected VENDOR:DEVICE in hex, like 10de:1db4 (see gpuhookctl list)", s);
        for (size_t i = 0; i < 9; i++) {
                if (i == 4) {
                        ret[i] = ':';
                        continue;
                }
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                        return log_fail(-EINVAL, "'%s' is not a PCI id: expected VENDOR:DEVICE in hex, like 10de:1db4", s);
                ret[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
        }
        ret[9] = 0;
        *vendor = (unsigned)strtoul(ret, NULL, 16);
        return 0;
}

/* Parse our existing vfio conf into ids and softdep drivers. */
static int parse_vfio_conf(const char *text, char ***ids, char ***softdeps) {
        _cleanup_free_ char *copy = strdup(text ? text : "");
        int r = 0;
        if (!copy)
                return -ENOMEM;
        for (char *line = copy, *next; line && *line && r >= 0; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char drv[MDEV_NAME_MAX + 1];
                if (!strncmp(line, "options vfio-pci ids=", 21)) {
                        char *save = NULL;
                        for (char *id = strtok_r(line + 21, ",", &save); id && r >= 0; id = strtok_r(NULL, ",", &save))
                                if (!strv_has(*ids, id))
                                        r = strv_push(ids, id);
                } else if (sscanf(line, "softdep %64s pre: vfio-pci", drv) == 1 && driver_name_valid(drv) &&
                           !strv_has(*softdeps, drv))
                        r = strv_push(softdeps, drv);
        }
        return r;
}

/* The drivers that would take devices with ID from vfio-pci. */
static int drivers_for_id(const struct pci_list *l, const char *id, unsigned vendor, char ***softdeps, char ***notes) {
        unsigned device = (unsigned)strtoul(id + 5, NULL, 16);
        bool seen = false;
        int r = 0;
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                const struct pci_device *d = &l->devs[i];
                char **mods = NULL;
                if (d->vendor != vendor || d->device != device)
                        continue;
                seen = true;
                if (*d->driver && !streq(d->driver, "vfio-pci") && !strv_has(*softdeps, d->driver))
                        r = strv_push(softdeps, d->driver);
                if (r >= 0 && d->modalias && pci_modules_for_modalias(d->modalias, &mods) >= 0)
                        for (size_t k = 0; mods[k] && r >= 0; k++)
                                if (!streq(mods[k], "vfio_pci") && !streq(mods[k], "vfio-pci") && !strv_has(*softdeps, mods[k]))
                                        r = strv_push(softdeps, mods[k]);
                strv_free_null(mods);
        }
        if (seen || r < 0)
                return r;
        const struct gpu_vendor *gv = gpu_vendor_for_pci(vendor);
        for (const char *const *k = gv ? gv->host_drivers : NULL; k && *k && r >= 0; k++)
                if (!strv_has(*softdeps, *k))
                        r = strv_push(softdeps, *k);
        _cleanup_free_ char *note = strdup_printf("%s is not on this host: vfio-pci is ordered before the vendor's usual drivers", id);
        if (r >= 0)
                r = note ? strv_push(notes, note) : -ENOMEM;
        return r;
}

/* The paths fixed at build time (meson -Dupdate_initramfs_path=...,
 * -Ddracut_path=...), inside the root; never found through PATH. */
static const char *initramfs_tools[][2] = {
        { "update-initramfs", GPUHOOK_UPDATE_INITRAMFS_PATH + 1 },
        { "dracut", GPUHOOK_DRACUT_PATH + 1 },
};

/* Which initramfs tool the root has: "update-initramfs", "dracut" or NULL;
 * its path inside the root into ret_rel. */
static const char *initramfs_tool(const char **ret_rel) {
        for (size_t i = 0; i < ELEMENTSOF(initramfs_tools); i++) {
                _cleanup_free_ char *p = rooted(initramfs_tools[i][1]);
                if (p && access(p, X_OK) == 0) {
                        *ret_rel = initramfs_tools[i][1];
                        return initramfs_tools[i][0];
                }
        }
        return NULL;
}

static int plan_vfio(struct plan *p, char **given) {
        _cleanup_free_ char *path = rooted(VFIO_CONF), *old = NULL;
        char **ids = NULL, **softdeps = NULL, **notes = NULL;
        struct pci_list l = { 0 };
        int r;

        if (!path)
                return -ENOMEM;
        r = read_ours(path, &old);
        if (r >= 0)
                r = parse_vfio_conf(old, &ids, &softdeps);
        if (r >= 0 && !arg.undo && (r = pci_list_load(&l)) < 0)
                r = log_fail(r, "cannot enumerate PCI devices through udev: %s", strerror(-r));
        for (size_t i = 0; given[i] && r >= 0; i++) {
                char id[10];
                unsigned vendor = 0;
                r = parse_id(given[i], id, &vendor);
                if (r < 0)
                        break;
                if (arg.undo) {
                        for (size_t k = 0; ids && ids[k]; k++)
                                if (streq(ids[k], id)) {
                                        free(ids[k]);
                                        memmove(&ids[k], &ids[k + 1], (strv_length(ids) - k) * sizeof(char *));
                                        break;
                                }
                        continue;
                }
                if (!strv_has(ids, id))
                        r = strv_push(&ids, id);
                if (r >= 0)
                        r = drivers_for_id(&l, id, vendor, &softdeps, &notes);
        }
        pci_list_free(&l);

        const char *tool_rel = NULL, *tool = r >= 0 ? initramfs_tool(&tool_rel) : NULL;
        bool empty = strv_length(ids) == 0;
        _cleanup_free_ char *joined = r >= 0 ? strv_join(ids, ",") : NULL;
        struct strbuf conf = { 0 };
        if (r >= 0 && !joined)
                r = -ENOMEM;
        if (r >= 0 && !empty) {
                r = strbuf_appendf(&conf, HEADER " --vfio; undo with `gpuhookctl blacklist --undo --vfio ID...`.\n"
                                          "# vfio-pci claims these devices at boot, before their host drivers load.\n"
                                          "options vfio-pci ids=%s\n",
                                   joined);
                for (size_t i = 0; softdeps && softdeps[i] && r >= 0; i++)
                        r = strbuf_appendf(&conf, "softdep %s pre: vfio-pci\n", softdeps[i]);
        }
        if (r >= 0)
                r = plan_file(p, VFIO_CONF, empty ? NULL : conf.buf, 0644);
        /* vfio-pci must be in the initramfs, or a host driver loaded from
         * there takes the device first. */
        if (r >= 0 && (empty || !tool || streq(tool, "update-initramfs")))
                r = plan_file(p, INITRAMFS_TOOLS_HOOK,
                              empty || !tool ? NULL
                                             : "#!/bin/sh\n" HEADER " --vfio; undo with `gpuhookctl blacklist --undo --vfio ID...`.\n"
                                               "# Puts vfio-pci into the initramfs so that it claims the devices named in\n"
                                               "# /etc/modprobe.d/gpuhook-vfio.conf before their host drivers load.\n"
                                               "PREREQ=\"\"\n"
                                               "prereqs() { echo \"$PREREQ\"; }\n"
                                               "case \"$1\" in\n"
                                               "prereqs) prereqs; exit 0 ;;\n"
                                               "esac\n"
                                               ". /usr/share/initramfs-tools/hook-functions\n"
                                               "manual_add_modules vfio vfio_iommu_type1 vfio_pci\n",
                              0755);
        if (r >= 0 && (empty || !tool || streq(tool, "dracut")))
                r = plan_file(p, DRACUT_CONF,
                              empty || !tool || !streq(tool, "dracut")
                                      ? NULL
                                      : HEADER " --vfio; undo with `gpuhookctl blacklist --undo --vfio ID...`.\n"
                                               "# Puts vfio-pci into the initramfs and loads it early.\n"
                                               "force_drivers+=\" vfio vfio_iommu_type1 vfio_pci \"\n",
                              0644);
        if (r >= 0 && !empty && root_is_system()) {
                _cleanup_free_ char *builtin = NULL;
                /* modprobe.d options never reach a built-in vfio-pci. */
                struct stat st;
                if (stat("/sys/module/vfio_pci", &st) == 0 && access("/sys/module/vfio_pci/initstate", F_OK) < 0) {
                        builtin = strdup_printf("vfio-pci is built into this kernel, which ignores modprobe.d: also add vfio-pci.ids=%s to the kernel command line",
                                                joined);
                        r = builtin ? strv_push(&notes, builtin) : -ENOMEM;
                }
        }
        for (size_t i = 0; notes && notes[i] && r >= 0; i++)
                r = strv_push(&p->notes, notes[i]);
        strbuf_free(&conf);
        strv_free_null(ids);
        strv_free_null(softdeps);
        strv_free_null(notes);
        return r;
}

static char **initramfs_command(const char **ret_tool) {
        const char *rel = NULL, *tool = initramfs_tool(&rel);
        char **argv = NULL;
        *ret_tool = tool;
        if (!tool)
                return NULL;
        if (!root_is_system()) {
                _cleanup_free_ char *chroot = find_program("chroot"), *inside = strdup_printf("/%s", rel);
                if (!chroot || !inside || strv_push(&argv, chroot) < 0 || strv_push(&argv, root_dir()) < 0 ||
                    strv_push(&argv, inside) < 0)
                        goto fail;
        } else {
                _cleanup_free_ char *p = strdup_printf("/%s", rel);
                if (!p || strv_push(&argv, p) < 0)
                        goto fail;
        }
        if (strv_push(&argv, streq(tool, "dracut") ? "-f" : "-u") < 0)
                goto fail;
        return argv;
fail:
        strv_free_null(argv);
        return NULL;
}

static int apply(const struct change *c) {
        int r;
        if (c->kind == CHANGE_REMOVE) {
                if (unlink(c->path) < 0 && errno != ENOENT)
                        return log_fail(-errno, "cannot remove %s: %m", c->path);
                return 0;
        }
        _cleanup_free_ char *dir = strndup(c->path, (size_t)(strrchr(c->path, '/') - c->path));
        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_fail(r, "cannot create %s: %s", dir, strerror(-r));
        r = write_file_atomic(c->path, c->content, strlen(c->content), c->mode);
        if (r >= 0 && chmod(c->path, c->mode) < 0)
                r = -errno;
        if (r < 0)
                return log_fail(r, "cannot write %s: %s", c->path, strerror(-r));
        return 0;
}

/* The initramfs images the tool run would rewrite (both tools write below
 * /boot: initramfs-tools' initrd.img-VERSION, dracut's initramfs-VERSION.img
 * or, on Debian, initrd.img-VERSION too). Which one of them depends on the
 * tool; all are named so that --dry-run shows every file a run could touch. */
static void print_initramfs_images(void) {
        static const char *const patterns[] = { "boot/initrd.img-*", "boot/initramfs-*.img" };
        for (size_t i = 0; i < ELEMENTSOF(patterns); i++) {
                _cleanup_free_ char *pat = rooted(patterns[i]);
                glob_t gl;
                if (!pat || glob(pat, 0, NULL, &gl) != 0)
                        continue;
                for (size_t k = 0; k < gl.gl_pathc; k++)
                        printf("Would rewrite (through the initramfs tool) %s\n", gl.gl_pathv[k]);
                globfree(&gl);
        }
}

int verb_blacklist(int argc, char **argv) {
        struct plan p = { 0 };
        const char *tool = NULL;
        char **cmd = NULL;
        int r;

        if (arg.root) {
                struct stat st;
                if (stat(arg.root, &st) < 0 || !S_ISDIR(st.st_mode))
                        return ctl_usage("--root %s is not a directory", arg.root);
        }
        r = arg.vfio ? plan_vfio(&p, argv) : plan_drivers(&p, argv);
        if (r < 0) {
                plan_done(&p);
                return ctl_fail_recorded(r, "cannot plan the blacklist");
        }
        if (p.n > 0)
                cmd = initramfs_command(&tool);
        _cleanup_free_ char *cmd_text = cmd ? strv_join(cmd, " ") : NULL;

        for (size_t i = 0; i < p.n && r >= 0; i++) {
                const struct change *c = &p.changes[i];
                if (arg.dry_run) {
                        if (c->kind == CHANGE_REMOVE)
                                printf("Would remove %s\n", c->path);
                        else {
                                _cleanup_free_ char *body = text_indent(c->content, "    ");
                                printf("Would write %s (mode %04o):\n%s", c->path, (unsigned)c->mode, body ? body : "");
                        }
                        continue;
                }
                r = apply(c);
                if (r >= 0)
                        printf("%s %s\n", c->kind == CHANGE_REMOVE ? "Removed" : "Wrote", c->path);
        }
        if (r >= 0 && p.n == 0)
                printf("Nothing to do: %s already %s.\n", arg.vfio ? "the vfio-pci ids are" : "the blacklist is",
                       arg.undo ? "gone" : "in place");
        if (r >= 0 && p.n > 0) {
                if (!tool)
                        ctl_warn("no initramfs tool (update-initramfs or dracut) in %s: if the initramfs loads GPU drivers, rebuild it by hand",
                                 root_dir());
                else if (arg.dry_run) {
                        printf("Would run: %s\n", cmd_text ? cmd_text : "?");
                        print_initramfs_images();
                }
                else if (!cmd)
                        r = log_fail(-ENOENT, "cannot build the %s command (no chroot program for --root?)", tool);
                else {
                        _cleanup_free_ char *out = NULL, *err = NULL;
                        printf("Running: %s\n", cmd_text);
                        fflush(stdout);
                        int k = spawn_run(cmd, INITRAMFS_TIMEOUT_MS, &out, &err);
                        if (k != 0)
                                r = log_fail(k < 0 ? k : -EIO, "`%s` failed (%s): %s; the files above are in place: fix the initramfs tool, then run `%s` yourself",
                                             cmd_text, k < 0 ? strerror(-k) : "non-zero exit", first_line(err), cmd_text);
                }
        }
        for (size_t i = 0; p.notes && p.notes[i]; i++)
                printf("Note: %s\n", p.notes[i]);
        if (r >= 0 && p.n > 0 && !arg.dry_run)
                printf("Reboot for the change to take effect.\n");
        strv_free_null(cmd);
        plan_done(&p);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot update the blacklist");
        return 0;
}
