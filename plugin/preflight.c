/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pci.h"
#include "preflight.h"
#include "vendor.h"

int vendor_preflight(struct strbuf *why) {
        struct pci_list l = { 0 };
        struct preflight_report rep = { .why = why };
        unsigned state[16] = { 0 }; /* per vendor, indexed as gpu_vendors[] */

        if (pci_list_load(&l) < 0)
                return 0;
        for (size_t i = 0; i < l.n; i++) {
                const struct pci_device *d = &l.devs[i];
                if (!pci_is_display(d) || *d->physfn)
                        continue;
                for (size_t k = 0; gpu_vendors[k] && k < ELEMENTSOF(state); k++)
                        if (gpu_vendors[k]->pci_vendor == d->vendor && gpu_vendors[k]->preflight) {
                                gpu_vendors[k]->preflight(&l, d, &state[k], &rep);
                                break;
                        }
        }
        pci_list_free(&l);
        return rep.n;
}
