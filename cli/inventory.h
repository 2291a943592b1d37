/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "conf.h"
#include "pci.h"
#include "util.h"

/* What travels with a GPU: the card's other functions (audio, USB, UCSI),
 * the other endpoints of its IOMMU group, and its SR-IOV VFs. */
enum companion_relation {
        COMPANION_FUNCTION, /* same slot */
        COMPANION_GROUP,    /* same IOMMU group, another slot (bridges left out) */
        COMPANION_VF,       /* an SR-IOV virtual function of this GPU */
};

struct companion {
        const struct pci_device *dev;
        enum companion_relation relation;
};

const char *companion_relation_to_string(enum companion_relation r);
int gpu_companions(const struct pci_list *l, const struct pci_device *gpu, struct companion **ret, size_t *ret_n);

/* The device as JSON (ids as hex strings, names, driver, group, NUMA, ...). */
struct json_object *pci_device_json(const struct pci_device *d);

/* What the hook's own PCI policy (lib/pci-policy.h) says about passing DEV to
 * a VM as <hostdev managed=MANAGED>: 0, with the companions gpuhook would
 * move to vfio-pci appended to TAKEN (", "-separated); or a negative errno
 * with the hook's refusal recorded (log_fail), *ret_console_only telling
 * whether only the boot-console rule refused it. */
int passthrough_verdict(const struct gpuhook_config *cfg, const struct pci_list *l, const struct pci_device *dev,
                        bool managed, struct strbuf *taken, bool *ret_console_only);
