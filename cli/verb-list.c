/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl list [--all]: GPUs and their companions (the card's other
 * functions and the rest of its IOMMU group) with drivers and NUMA nodes. */
#include "gpuhookctl.h"
#include "vf-family.h"
#include "inventory.h"
#include "iommu.h"
#include "log.h"
#include "pci.h"

static void id_text(const struct pci_device *d, char buf[16]) { snprintf(buf, 16, "%04x:%04x", d->vendor, d->device); }

static int add_row(struct table *t, const struct pci_device *d, const char *role) {
        char id[16], group[16], numa[16];
        id_text(d, id);
        snprintf(group, sizeof(group), "%d", d->iommu_group);
        snprintf(numa, sizeof(numa), "%d", d->numa_node);
        const char *row[] = {
                d->bdf, role, id, *d->driver ? d->driver : "(none)", d->iommu_group >= 0 ? group : "-",
                d->numa_node >= 0 ? numa : "-", d->model_name ? d->model_name : pci_class_name(d->class),
        };
        return table_add(t, row);
}

int verb_list(int argc, char **argv) {
        struct pci_list l = { 0 };
        static const char *const headers[] = { "ADDRESS", "ROLE", "ID", "DRIVER", "GROUP", "NUMA", "NAME" };
        int r, groups;

        r = pci_list_load(&l);
        if (r < 0)
                return ctl_fail("is /sys mounted? run as root", "cannot enumerate PCI devices through udev: %s", strerror(-r));
        groups = iommu_group_count();

        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        struct json_object *arr = json_object_new_array();
        size_t n_gpus = 0;
        struct strbuf notes = { 0 };
        if (!t || !arr) {
                pci_list_free(&l);
                return ctl_fail(NULL, "out of memory");
        }
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        if (cli_vf_pool(&l, &pool) < 0)
                log_failure_clear();
        for (size_t i = 0; i < l.n && r >= 0; i++) {
                const struct pci_device *d = &l.devs[i];
                if (arg.all) {
                        r = add_row(t, d, pci_is_display(d) ? "gpu" : "");
                        json_object_array_add(arr, pci_device_json(d));
                        continue;
                }
                if (!pci_is_display(d) || *d->physfn)
                        continue; /* VFs are summarised on their PF */
                n_gpus++;
                char role[64];
                snprintf(role, sizeof(role), "gpu%s%s", d->boot_vga == 1 ? " (boot)" : "", d->sriov_numvfs ? " (VFs on)" : "");
                r = add_row(t, d, role);
                struct json_object *g = pci_device_json(d), *comp = json_object_new_array();
                /* drivers/vfio/pci/vfio_pci.c, vfio_pci_probe(): vfio-pci
                 * refuses a PF with VFs enabled (EBUSY), see lib/pci-policy.c. */
                if (d->sriov_numvfs) {
                        json_object_object_add(g, "passthrough", json_object_new_boolean(false));
                        json_object_object_add(g, "passthrough_refused",
                                               json_str("SR-IOV VFs are enabled: vfio-pci refuses a PF with VFs; pass a VF instead"));
                        (void)strbuf_appendf(&notes, "%s has %u VFs enabled: it cannot be passed through itself (vfio-pci refuses a PF with VFs); pass one of its VFs, or disable the VFs while no VM uses them.\n",
                                             d->bdf, d->sriov_numvfs);
                }
                for (size_t k = 0; k < pool.n; k++)
                        if (streq(pool.pfs[k].bdf, d->bdf)) {
                                json_object_object_add(g, "sriov_vf", vf_pf_json(&pool.pfs[k]));
                                (void)strbuf_appendf(&notes, "SR-IOV vGPU VFs of ");
                                vf_pf_summary(&pool.pfs[k], &notes);
                                (void)strbuf_appendf(&notes, ".\n");
                        }
                struct companion *c = NULL;
                size_t n_c = 0;
                if (r >= 0)
                        r = gpu_companions(&l, d, &c, &n_c);
                for (size_t k = 0; k < n_c && r >= 0; k++) {
                        char crole[64];
                        snprintf(crole, sizeof(crole), "└ %s", companion_relation_to_string(c[k].relation));
                        r = add_row(t, c[k].dev, crole);
                        struct json_object *cj = pci_device_json(c[k].dev);
                        json_object_object_add(cj, "relation", json_str(companion_relation_to_string(c[k].relation)));
                        json_object_array_add(comp, cj);
                }
                free(c);
                json_object_object_add(g, "companions", comp);
                json_object_array_add(arr, g);
        }
        pci_list_free(&l);
        if (r < 0) {
                json_object_put(arr);
                strbuf_free(&notes);
                return ctl_fail(NULL, "cannot list PCI devices: %s", strerror(-r));
        }
        if (arg.json) {
                strbuf_free(&notes);
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "iommu_groups", json_object_new_int(groups > 0 ? groups : 0));
                json_object_object_add(o, arg.all ? "devices" : "gpus", arr);
                return json_print(o);
        }
        json_object_put(arr);
        if (!arg.all && n_gpus == 0) {
                strbuf_free(&notes);
                printf("No GPU (PCI display controller) found; `%s list --all` shows every PCI function.\n", PROG);
                return 0;
        }
        table_print(t, stdout);
        if (notes.len)
                printf("\n%s", strbuf_str(&notes));
        strbuf_free(&notes);
        if (groups <= 0)
                printf("\nNo IOMMU groups: the IOMMU is off, so nothing can be passed through (see `%s check`).\n", PROG);
        return 0;
}
