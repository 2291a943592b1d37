/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "holders.h"
#include "sysfs.h"
#include "validate.h"
#include "vendor.h"

/* A device node as /proc/PID/fd links name it. The scan compares link text
 * only: readlink() of /proc/PID/fd/N is answered by procfs from the open
 * file itself, while stat() or open() of it would ask the file system the
 * file lives on, and a stalled NFS or FUSE mount would hang us (under the
 * host lock) for good. */
struct node {
        char *path;
};

static void nodes_free(struct node *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].path);
        free(v);
}

static int push_path(struct node **v, size_t *n, char *path) {
        if (!path)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (streq((*v)[i].path, path)) {
                        free(path);
                        return 0;
                }
        struct node *nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv) {
                free(path);
                return -ENOMEM;
        }
        *v = nv;
        nv[(*n)++] = (struct node){ .path = path };
        return 0;
}

/* PATH (under /dev: devtmpfs, never a remote file system) and, when it is a
 * symlink, where it leads. In a test build, also the node's place in the
 * umockdev testbed, which is what the kernel shows for a node a simulated
 * process opened. */
static int add_node(struct node **v, size_t *n, const char *path) {
        char *real = realpath(path, NULL);
        int r = push_path(v, n, strdup(path));
        if (r >= 0 && real)
                r = push_path(v, n, TAKE_PTR(real));
        free(real);
        const char *testbed = test_getenv("UMOCKDEV_DIR");
        if (r >= 0 && !isempty(testbed))
                r = push_path(v, n, strdup_printf("%s%s", testbed, path));
        return r;
}

struct node_list {
        struct node **v;
        size_t *n;
};

static int add_vendor_node(void *ctx, const char *path) {
        struct node_list *nl = ctx;
        return add_node(nl->v, nl->n, path);
}

/* The device's own nodes: DRM minors from sysfs, and what its vendor's
 * driver adds (vendor.h, in_use_nodes: nodes whose numbering is not in sysfs). */
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
        if (r >= 0) {
                struct node_list nl = { v, n };
                r = gpu_vendors_in_use_nodes(bdf, driver, add_vendor_node, &nl);
        }
        return r;
}

static bool link_names_node(const char *link, const struct node *nodes, size_t n_nodes) {
        for (size_t i = 0; i < n_nodes; i++)
                if (streq(link, nodes[i].path))
                        return true;
        return false;
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
                        char link[4096];
                        if (fe->d_name[0] == '.')
                                continue;
                        /* readlinkat on the fd directory: never stat() or
                         * open() what the fd refers to. */
                        ssize_t k = readlinkat(dirfd(fds), fe->d_name, link, sizeof(link) - 1);
                        if (k <= 0)
                                continue;
                        link[k] = 0;
                        holds = link_names_node(link, nodes, n_nodes);
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
        struct node *nodes = NULL;
        size_t n_nodes = 0;
        int r = collect_nodes(bdf, driver, &nodes, &n_nodes);
        if (r >= 0)
                r = holders_of(nodes, n_nodes, out);
        nodes_free(nodes, n_nodes);
        return r;
}

int mdev_holders(const char *uuid, struct strbuf *out) {
        _cleanup_free_ char *link = sysfs_path(SYSFS_MDEV_DEVICES, uuid, "iommu_group", NULL);
        struct node *nodes = NULL;
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
        if (r >= 0)
                r = holders_of(nodes, n_nodes, out);
        nodes_free(nodes, n_nodes);
        return r;
}

int vfio_group_holders(const char *group, struct strbuf *out) {
        unsigned g;
        struct node *nodes = NULL;
        size_t n_nodes = 0;

        if (safe_atou(group, &g) < 0)
                return -EINVAL;
        _cleanup_free_ char *node = strdup_printf("/dev/vfio/%u", g);
        int r = node ? add_node(&nodes, &n_nodes, node) : -ENOMEM;
        if (r >= 0)
                r = holders_of(nodes, n_nodes, out);
        nodes_free(nodes, n_nodes);
        return r;
}
