/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl types: every vGPU instance type the host offers, mdev types
 * (/sys/class/mdev_bus) and SR-IOV vGPU types (NVIDIA vendor-specific VFIO
 * on VFs), with what is free on each parent. */
#include "driver.h"
#include "gpuhookctl.h"
#include "libvirt-vfio.h"
#include "mdev.h"
#include "pci.h"
#include "placement.h"
#include "sysfs.h"
#include "vendor.h"
#include "vf-family.h"
#include "virt.h"

static char *type_description(const char *parent, const char *type) {
        _cleanup_free_ char *p = sysfs_mdev_type_attr(parent, type, "description");
        char *s = NULL;
        if (!p || read_text_file(p, 4096, &s) < 0)
                return NULL;
        /* GVT-g writes one "key: value" per line: one line here. */
        for (char *c = s; *c; c++)
                if (*c == '\n')
                        *c = ';';
                else if ((unsigned char)*c < 0x20)
                        *c = ' ';
        return s;
}

static const struct mdev_type_info *type_in_use(const struct mdev_parent_info *p) {
        for (size_t i = 0; i < p->n_types; i++)
                if (p->types[i].in_use)
                        return &p->types[i];
        return NULL;
}

/* The type that blocks P's others: the one in use on P, or, when the rule
 * holds card-wide (NVIDIA mdev-on-VF: one type across the card's VFs,
 * plugin/drivers/nvidia-vf.c), on a sibling parent of the same card, which
 * *ret_on names. */
static const struct mdev_type_info *type_blocking(const struct host_view *v, const struct mdev_parent_info *p,
                                                  const char **ret_on) {
        *ret_on = NULL;
        if (!p->one_type_at_a_time)
                return NULL;
        const struct mdev_type_info *busy = type_in_use(p);
        for (size_t i = 0; !busy && *p->card && i < v->n_parents; i++) {
                const struct mdev_parent_info *q = &v->parents[i];
                if (q != p && streq(q->card, p->card) && (busy = type_in_use(q)))
                        *ret_on = q->name;
        }
        return busy;
}

static int cmp_type(const void *a, const void *b) {
        return strverscmp(((const struct mdev_type_info *)a)->id, ((const struct mdev_type_info *)b)->id);
}

static int mdev_types(struct table *t, struct json_object *arr, size_t *count) {
        struct host_view v = { 0 };
        int r = mdev_host_view_load(&v);
        if (r < 0)
                return ctl_fail("run as root; check that the vendor driver is loaded", "cannot read mdev parents in %s: %s",
                                SYSFS_MDEV_BUS, strerror(-r));
        for (size_t i = 0; i < v.n_parents && r >= 0; i++) {
                const struct mdev_parent_info *p = &v.parents[i];
                /* Natural order: nvidia-299 before nvidia-1000. */
                if (p->n_types)
                        qsort(p->types, p->n_types, sizeof(p->types[0]), cmp_type);
                const char *busy_on = NULL;
                const struct mdev_type_info *busy = type_blocking(&v, p, &busy_on);
                const struct mdev_driver *drv = p->driver;
                struct json_object *pj = json_object_new_object(), *types = json_object_new_array();
                json_object_object_add(pj, "parent", json_str(p->name));
                json_object_object_add(pj, "driver", json_str(drv ? drv->name : NULL));
                json_object_object_add(pj, "numa_node", p->numa_node >= 0 ? json_object_new_int(p->numa_node) : NULL);
                json_object_object_add(pj, "one_type_at_a_time", json_object_new_boolean(p->one_type_at_a_time));
                json_object_object_add(pj, "in_use", json_object_new_int((int)mdev_parent_in_use(p)));
                for (size_t k = 0; k < p->n_types && r >= 0; k++) {
                        const struct mdev_type_info *ti = &p->types[k];
                        _cleanup_free_ char *desc = type_description(p->name, ti->id);
                        char free_s[16], used_s[16], note[160] = "";
                        snprintf(free_s, sizeof(free_s), "%u", ti->available);
                        snprintf(used_s, sizeof(used_s), "%u", ti->in_use);
                        bool blocked = busy && (busy_on || busy != ti) && !(busy_on && streq(busy->id, ti->id));
                        if (blocked && busy_on)
                                snprintf(note, sizeof(note), "blocked while %s is in use on %s (one type per GPU)", busy->id,
                                         busy_on);
                        else if (blocked)
                                snprintf(note, sizeof(note), "blocked while %s is in use (one type at a time)", busy->id);
                        else if (ti->available == 0)
                                snprintf(note, sizeof(note), "full");
                        const char *row[] = { p->name, "mdev", ti->id, ti->name, ti->device_api, free_s, used_s, note };
                        r = table_add(t, row);
                        struct json_object *tj = json_object_new_object();
                        json_object_object_add(tj, "id", json_str(ti->id));
                        json_object_object_add(tj, "name", json_str(ti->name));
                        json_object_object_add(tj, "device_api", json_str(ti->device_api));
                        json_object_object_add(tj, "description", json_str(desc));
                        json_object_object_add(tj, "available", json_object_new_int((int)ti->available));
                        json_object_object_add(tj, "in_use", json_object_new_int((int)ti->in_use));
                        json_object_object_add(tj, "blocked_by", json_str(blocked ? busy->id : NULL));
                        json_object_object_add(tj, "blocked_on", json_str(blocked ? (busy_on ? busy_on : p->name) : NULL));
                        json_object_array_add(types, tj);
                        (*count)++;
                }
                json_object_object_add(pj, "types", types);
                json_object_array_add(arr, pj);
        }
        host_view_free(&v);
        return r < 0 ? ctl_fail(NULL, "out of memory") : 0;
}

struct vf_type_count {
        unsigned id;
        char name[128];
        unsigned free, in_use;
};

static struct vf_type_count *count_for(struct vf_type_count **v, size_t *n, unsigned id) {
        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].id == id)
                        return &(*v)[i];
        struct vf_type_count *nv = reallocarray(*v, *n + 1, sizeof(**v));
        if (!nv)
                return NULL;
        *v = nv;
        nv[*n] = (struct vf_type_count){ .id = id };
        return &nv[(*n)++];
}

/* SR-IOV vGPU: group the VFs that expose creatable_vgpu_types by PF. */
static int sriov_types(const struct pci_list *l, struct table *t, struct json_object *arr, size_t *count, bool *ret_any) {
        int r = 0;
        for (size_t i = 0; i < l->n && r >= 0; i++) {
                const struct pci_device *pf = &l->devs[i];
                struct vf_type_count *counts = NULL;
                size_t n_counts = 0;
                unsigned n_vfs = 0, free_vfs = 0;
                bool any = false;
                if (!pf->sriov_totalvfs)
                        continue;
                for (size_t k = 0; k < l->n && r >= 0; k++) {
                        const struct pci_device *vf = &l->devs[k];
                        struct vgpu_type *types = NULL;
                        size_t n_types = 0;
                        unsigned current = 0;
                        if (!streq(vf->physfn, pf->bdf))
                                continue;
                        if (vgpu_vf_creatable_types(vf->bdf, &types, &n_types) < 0)
                                continue;
                        any = true;
                        n_vfs++;
                        (void)vgpu_vf_current_type(vf->bdf, &current);
                        if (current == 0)
                                free_vfs++;
                        for (size_t j = 0; j < n_types; j++) {
                                struct vf_type_count *c = count_for(&counts, &n_counts, types[j].id);
                                if (!c) {
                                        r = -ENOMEM;
                                        break;
                                }
                                snprintf(c->name, sizeof(c->name), "%s", types[j].name);
                                if (current == 0)
                                        c->free++;
                        }
                        if (current != 0) {
                                struct vf_type_count *c = count_for(&counts, &n_counts, current);
                                if (c)
                                        c->in_use++;
                                else
                                        r = -ENOMEM;
                        }
                        free(types);
                }
                if (any && r >= 0) {
                        *ret_any = true;
                        struct json_object *pj = json_object_new_object(), *types = json_object_new_array();
                        json_object_object_add(pj, "parent", json_str(pf->bdf));
                        json_object_object_add(pj, "numa_node", pf->numa_node >= 0 ? json_object_new_int(pf->numa_node) : NULL);
                        json_object_object_add(pj, "vfs", json_object_new_int((int)n_vfs));
                        json_object_object_add(pj, "free_vfs", json_object_new_int((int)free_vfs));
                        for (size_t j = 0; j < n_counts && r >= 0; j++) {
                                char id[16], free_s[16], used_s[16];
                                snprintf(id, sizeof(id), "%u", counts[j].id);
                                snprintf(free_s, sizeof(free_s), "%u", counts[j].free);
                                snprintf(used_s, sizeof(used_s), "%u", counts[j].in_use);
                                const char *row[] = { pf->bdf, "sriov-vf", id, *counts[j].name ? counts[j].name : NULL,
                                                      "vfio-pci", free_s, used_s, counts[j].free ? "" : "no free VF offers it" };
                                r = table_add(t, row);
                                struct json_object *tj = json_object_new_object();
                                json_object_object_add(tj, "id", json_object_new_int((int)counts[j].id));
                                json_object_object_add(tj, "name", json_str(*counts[j].name ? counts[j].name : NULL));
                                json_object_object_add(tj, "available", json_object_new_int((int)counts[j].free));
                                json_object_object_add(tj, "in_use", json_object_new_int((int)counts[j].in_use));
                                json_object_array_add(types, tj);
                                (*count)++;
                        }
                        json_object_object_add(pj, "types", types);
                        json_object_array_add(arr, pj);
                }
                free(counts);
        }
        return r < 0 ? ctl_fail(NULL, "out of memory") : 0;
}

/* Intel SR-IOV and AMD MxGPU: a PF's VFs are its instances (one type per
 * family; the profile is the PF driver's, when it shows one). */
static int vf_family_types(const struct pci_list *l, struct table *t, struct json_object *arr, size_t *count) {
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        int r = cli_vf_pool(l, &pool);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot list the SR-IOV vGPU VFs");
        for (size_t i = 0; i < pool.n && r >= 0; i++) {
                const struct vf_pf *pf = &pool.pfs[i];
                char free_s[16], used_s[16], note[200];
                unsigned used = vf_pf_count(pf, VF_HELD) + vf_pf_count(pf, VF_IN_USE);
                const char *profile = pf->n_vfs && *pf->vfs[0].profile ? pf->vfs[0].profile : NULL;
                snprintf(free_s, sizeof(free_s), "%u", vf_pf_available(pf));
                snprintf(used_s, sizeof(used_s), "%u", used);
                vf_pf_note(pf, note, sizeof(note));
                const char *row[] = { pf->bdf, "sriov-vf", pf->family, profile ? profile : "-", "vfio-pci", free_s, used_s, note };
                r = table_add(t, row);
                struct json_object *pj = vf_pf_json(pf);
                json_object_array_add(arr, pj);
                (*count)++;
        }
        return r < 0 ? ctl_fail(NULL, "out of memory") : 0;
}

int verb_types(int argc, char **argv) {
        static const char *const headers[] = { "PARENT", "KIND", "TYPE", "NAME", "API", "FREE", "IN USE", "NOTE" };
        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        struct json_object *mdev = json_object_new_array(), *sriov = json_object_new_array(), *vf = json_object_new_array();
        size_t count = 0;
        bool vendor_vfio = false;
        int r;

        if (!t || !mdev || !sriov || !vf)
                return ctl_fail(NULL, "out of memory");
        r = mdev_types(t, mdev, &count);
        /* One PCI list for the SR-IOV rows: NVIDIA's vGPU VFs and the families' VFs. */
        struct pci_list l = { 0 };
        if (r == 0 && (r = pci_list_load(&l)) < 0)
                r = ctl_fail("is /sys mounted? run as root", "cannot enumerate PCI devices through udev: %s", strerror(-r));
        if (r == 0)
                r = sriov_types(&l, t, sriov, &count, &vendor_vfio);
        if (r == 0)
                r = vf_family_types(&l, t, vf, &count);
        pci_list_free(&l);
        /* The vendor-VFIO types are usable only on a libvirt that accepts the
         * VF unmanaged on the nvidia driver (libvirt-vfio.h). */
        unsigned long lv = vendor_vfio ? virt_libvirt_version() : 0;
        char why[256] = "";
        if (vendor_vfio)
                libvirt_vendor_vfio_why(lv, why, sizeof(why));
        if (r != 0) {
                json_object_put(mdev);
                json_object_put(sriov);
                json_object_put(vf);
                return r;
        }
        if (arg.json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "mdev", mdev);
                json_object_object_add(o, "sriov_vgpu", sriov);
                json_object_object_add(o, "sriov_vf", vf);
                if (vendor_vfio)
                        json_object_object_add(o, "sriov_vgpu_libvirt", json_str(*why ? why : "supported"));
                return json_print(o);
        }
        json_object_put(mdev);
        json_object_put(sriov);
        json_object_put(vf);
        if (count == 0) {
                printf("No vGPU instance types: no mdev parent in %s, no SR-IOV vGPU function and no Intel SR-IOV or AMD MxGPU VF.\n"
                       "Install and load the GPU vendor's vGPU host driver; `%s check` shows what is missing.\n",
                       SYSFS_MDEV_BUS, PROG);
                return 0;
        }
        table_print(t, stdout);
        if (*why)
                printf("\nsriov-vf types (NVIDIA vendor-specific VFIO): %s; upgrade libvirt to 10.0.0 or newer before giving such a VF to a domain.\n",
                       why);
        return 0;
}
