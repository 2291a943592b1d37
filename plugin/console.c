/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>

#include "console.h"
#include "log.h"
#include "pci-bind.h"
#include "spawn.h"
#include "sysfs.h"
#include "validate.h"

#define SYSFS_VTCONSOLE "/sys/class/vtconsole"
#define SYSFS_PLATFORM_DRIVERS "/sys/bus/platform/drivers"
/* systemd.special(7): "display-manager.service: The display manager
 * service. Usually, this should be aliased (symlinked) to gdm.service or a
 * similar display manager service." (Debian's gdm3, sddm and lightdm units
 * carry Alias=display-manager.service.) */
#define DISPLAY_MANAGER_UNIT "display-manager.service"
/* Stopping a desktop session may take a while (a display manager waits for
 * its session to end); systemd's own default stop timeout is 90 s. */
#define DISPLAY_MANAGER_TIMEOUT_MS 90000u

static const struct {
        const char *driver, *device;
} framebuffers[] = {
        { "efi-framebuffer", "efi-framebuffer.0" },
        { "simple-framebuffer", "simple-framebuffer.0" },
};

static int append(struct console_binding **v, size_t *n, const char *kind, const char *name, const char *driver) {
        struct console_binding *nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[*n] = (struct console_binding){ 0 };
        snprintf(nv[*n].kind, sizeof(nv[*n].kind), "%s", kind);
        snprintf(nv[*n].name, sizeof(nv[*n].name), "%s", name);
        snprintf(nv[*n].driver, sizeof(nv[*n].driver), "%s", driver);
        (*n)++;
        return 0;
}

int console_bindings_load(struct console_binding **ret, size_t *ret_n) {
        struct console_binding *v = NULL;
        size_t n = 0;
        DIR *d = opendir(SYSFS_VTCONSOLE);
        struct dirent *de;
        int r = 0;

        while (d && (de = readdir(d)) && r >= 0) {
                unsigned num;
                if (strncmp(de->d_name, "vtcon", 5) || safe_atou(de->d_name + 5, &num) < 0)
                        continue;
                _cleanup_free_ char *bind = sysfs_path(SYSFS_VTCONSOLE, de->d_name, "bind", NULL),
                                    *name = sysfs_path(SYSFS_VTCONSOLE, de->d_name, "name", NULL), *b = NULL, *nm = NULL;
                if (!bind || !name)
                        continue;
                /* Only framebuffer consoles hold the GPU; the dummy one never does. */
                if (read_text_file(bind, 16, &b) < 0 || !streq(b, "1") || read_text_file(name, 128, &nm) < 0 ||
                    !strstr(nm, "frame buffer"))
                        continue;
                r = append(&v, &n, "vtcon", de->d_name, "");
        }
        if (d)
                closedir(d);
        for (size_t i = 0; i < ELEMENTSOF(framebuffers) && r >= 0; i++) {
                _cleanup_free_ char *p = sysfs_path(SYSFS_PLATFORM_DRIVERS, framebuffers[i].driver, framebuffers[i].device, NULL);
                if (sysfs_exists(p))
                        r = append(&v, &n, "framebuffer", framebuffers[i].device, framebuffers[i].driver);
        }
        if (r < 0) {
                free(v);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* systemctl VERB UNIT: its exit status, or a negative errno. */
static int systemctl(const char *verb, const char *unit, unsigned timeout_ms, char **ret_err) {
        _cleanup_free_ char *path = find_program("systemctl");
        if (!path)
                return -ENOENT;
        char *argv[] = { path, (char *)verb, "--quiet", (char *)unit, NULL };
        return spawn_run(argv, timeout_ms, NULL, ret_err);
}

int console_display_manager(struct console_binding *ret) {
        /* is-active exits 0 only for an active unit (man systemctl); a host
         * without systemd or without a display manager has nothing to stop. */
        if (systemctl("is-active", DISPLAY_MANAGER_UNIT, 10000, NULL) != 0)
                return 0;
        *ret = (struct console_binding){ 0 };
        snprintf(ret->kind, sizeof(ret->kind), "service");
        snprintf(ret->name, sizeof(ret->name), DISPLAY_MANAGER_UNIT);
        return 1;
}

static int service_op(const struct console_binding *b, const char *verb) {
        _cleanup_free_ char *err = NULL;
        int r = systemctl(verb, b->name, DISPLAY_MANAGER_TIMEOUT_MS, &err);
        if (r > 0)
                log_warning("systemctl %s %s: exit %d: %s", verb, b->name, r, first_line(err));
        return r > 0 ? -EIO : r;
}

static int vtcon_bind(const char *name, const char *value, unsigned timeout_ms) {
        _cleanup_free_ char *p = sysfs_path(SYSFS_VTCONSOLE, name, "bind", NULL);
        return p ? sysfs_write_bounded(p, value, timeout_ms) : -errno;
}

static int fb_driver_op(const struct console_binding *b, const char *op, unsigned timeout_ms) {
        _cleanup_free_ char *p = sysfs_path(SYSFS_PLATFORM_DRIVERS, b->driver, op, NULL);
        return p ? sysfs_write_bounded(p, b->name, timeout_ms) : -errno;
}

int console_release(const struct console_binding *b, unsigned timeout_ms) {
        int r;
        log_info("releasing host console %s", b->name);
        if (streq(b->kind, "service")) {
                r = service_op(b, "stop");
                if (r < 0)
                        return log_fail(r, "cannot stop %s for single-GPU passthrough: %s; see `journalctl -u %s`, or stop it by hand before the VM",
                                        b->name, strerror(-r), b->name);
                return 0;
        }
        r = streq(b->kind, "vtcon") ? vtcon_bind(b->name, "0", timeout_ms) : fb_driver_op(b, "unbind", timeout_ms);
        if (r < 0)
                return log_fail(r, "cannot release the host console (%s): %s; stop the display manager first (stop_display_manager = yes in gpuhook.conf does it for you)",
                                b->name, strerror(-r));
        return 0;
}

int console_restore(const struct console_binding *b, unsigned timeout_ms) {
        int r;
        log_info("restoring host console %s", b->name);
        if (streq(b->kind, "service")) {
                r = service_op(b, "start");
                if (r < 0)
                        return log_fail(r, "cannot start %s again after single-GPU passthrough: %s; run `systemctl start %s`",
                                        b->name, strerror(-r), b->name);
                return 0;
        }
        if (streq(b->kind, "vtcon"))
                r = vtcon_bind(b->name, "1", timeout_ms);
        else {
                _cleanup_free_ char *p = sysfs_path(SYSFS_PLATFORM_DRIVERS, b->driver, b->name, NULL);
                r = sysfs_exists(p) ? 0 : fb_driver_op(b, "bind", timeout_ms);
        }
        if (r < 0)
                return log_fail(r, "cannot give the host console back (%s): %s; switch VT or restart the display manager",
                                b->name, strerror(-r));
        return 0;
}
