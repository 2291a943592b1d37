/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <sys/stat.h>

#include "holders.h"
#include "sysfs.h"
#include "validate.h"

struct node {
        dev_t dev;
        ino_t ino;
};

static int add_node(struct node **v, size_t *n, const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return 0;
        struct node *nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[(*n)++] = (struct node){ .dev = st.st_dev, .ino = st.st_ino };
        return 0;
}

/* The device's own nodes: DRM minors from sysfs; for nvidia every
 * /dev/nvidia<N> (its minor numbering is not in sysfs). */
static int collect_nodes(const char *bdf, const char *driver, struct node **v, size_t *n) {
        _cleanup_free_ char *drm = sysfs_pci_attr(bdf, "drm");
        DIR *d = drm ? opendir(drm) : NULL;
        struct dirent *de;
        int r = 0;

        while (d && (de = readdir(d)) && r >= 0) {
                if (strncmp(de->d_name, "card", 4) && strncmp(de->d_name, "renderD", 7))
                        continue;
                _cleanup_free_ char *node = sysfs_path("/dev/dri", de->d_name, NULL);
                if (node)
                        r = add_node(v, n, node);
        }
        if (d)
                closedir(d);
        if (r >= 0 && streq(driver, "nvidia") && (d = opendir("/dev"))) {
                while ((de = readdir(d)) && r >= 0) {
                        unsigned num;
                        if (strncmp(de->d_name, "nvidia", 6) || safe_atou(de->d_name + 6, &num) < 0)
                                continue;
                        _cleanup_free_ char *node = sysfs_path("/dev", de->d_name, NULL);
                        if (node)
                                r = add_node(v, n, node);
                }
                closedir(d);
        }
        return r;
}

static int holders_of(const struct node *nodes, size_t n_nodes, struct strbuf *out) {
        int found = 0;
        DIR *proc;
        struct dirent *pe;

        if (n_nodes == 0)
                return 0;
        proc = opendir("/proc");
        if (!proc)
                return -errno;
        while ((pe = readdir(proc))) {
                unsigned pid;
                if (safe_atou(pe->d_name, &pid) < 0 || pid == (unsigned)getpid())
                        continue;
                _cleanup_free_ char *fddir = strdup_printf("/proc/%u/fd", pid);
                DIR *fds = fddir ? opendir(fddir) : NULL;
                struct dirent *fe;
                bool holds = false;
                while (fds && !holds && (fe = readdir(fds))) {
                        struct stat st;
                        if (fe->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *fd = strdup_printf("%s/%s", fddir, fe->d_name);
                        if (!fd || stat(fd, &st) < 0)
                                continue;
                        for (size_t i = 0; i < n_nodes && !holds; i++)
                                holds = st.st_dev == nodes[i].dev && st.st_ino == nodes[i].ino;
                }
                if (fds)
                        closedir(fds);
                if (!holds)
                        continue;
                _cleanup_free_ char *commf = strdup_printf("/proc/%u/comm", pid), *comm = NULL;
                if (!commf || read_text_file(commf, 64, &comm) < 0)
                        comm = NULL;
                char shown[40];
                strbuf_appendf(out, "%s%u (%s)", found ? ", " : "", pid, sanitize_for_message(comm ? comm : "?", shown, sizeof(shown)));
                found++;
        }
        closedir(proc);
        return found;
}

bool process_running(const char *comm) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        bool found = false;
        while (d && !found && (de = readdir(d))) {
                unsigned pid;
                if (safe_atou(de->d_name, &pid) < 0)
                        continue;
                _cleanup_free_ char *p = strdup_printf("/proc/%u/comm", pid), *c = NULL;
                found = p && read_text_file(p, 64, &c) >= 0 && streq(c, comm);
        }
        if (d)
                closedir(d);
        return found;
}

int device_holders(const char *bdf, const char *driver, struct strbuf *out) {
        _cleanup_free_ struct node *nodes = NULL;
        size_t n_nodes = 0;
        int r = collect_nodes(bdf, driver, &nodes, &n_nodes);
        return r < 0 ? r : holders_of(nodes, n_nodes, out);
}

int mdev_holders(const char *uuid, struct strbuf *out) {
        _cleanup_free_ struct node *nodes = NULL;
        _cleanup_free_ char *link = sysfs_path(SYSFS_MDEV_DEVICES, uuid, "iommu_group", NULL);
        char target[4096];
        size_t n_nodes = 0;
        ssize_t n;

        if (!link)
                return -errno;
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        target[n] = 0;
        const char *group = strrchr(target, '/');
        _cleanup_free_ char *node = sysfs_path("/dev/vfio", group ? group + 1 : target, NULL);
        int r = node ? add_node(&nodes, &n_nodes, node) : -errno;
        return r < 0 ? r : holders_of(nodes, n_nodes, out);
}
