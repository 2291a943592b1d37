/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "pci-policy.h"

static const struct {
        const char *name;
        unsigned bit;
} companion_names[] = {
        { "display", COMPANION_DISPLAY },
        { "audio", COMPANION_AUDIO },
        { "usb", COMPANION_USB },
        { "serial-bus", COMPANION_SERIAL_BUS },
};

int companion_classes_parse(const char *s, unsigned *ret) {
        _cleanup_free_ char *copy = strdup(s);
        char *save = NULL;
        unsigned v = 0;

        if (!copy)
                return -ENOMEM;
        if (streq(s, "none")) {
                *ret = 0;
                return 0;
        }
        for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
                size_t i;
                for (i = 0; i < ELEMENTSOF(companion_names); i++)
                        if (streq(w, companion_names[i].name))
                                break;
                if (i == ELEMENTSOF(companion_names))
                        return -EINVAL;
                v |= companion_names[i].bit;
        }
        if (!v)
                return -EINVAL;
        *ret = v;
        return 0;
}

bool companion_class_matches(unsigned classes, unsigned c) {
        unsigned base = c >> 16, sub = c >> 8;
        return ((classes & COMPANION_DISPLAY) && base == 0x03) ||
               ((classes & COMPANION_AUDIO) && (sub == 0x0401 || sub == 0x0403)) ||
               ((classes & COMPANION_USB) && sub == 0x0c03) || ((classes & COMPANION_SERIAL_BUS) && sub == 0x0c80);
}

bool pci_class_is_bridge(unsigned c) { return (c >> 16) == 0x06; }

bool pci_driver_is_harmless(const char *driver) {
        return !*driver || streq(driver, "vfio-pci") || streq(driver, "pci-stub") || streq(driver, "pcieport");
}

/* Same physical slot: "dddd:bb:ss." prefix. */
static bool same_slot(const char *a, const char *b) { return strncmp(a, b, PCI_ADDR_LEN - 1) == 0; }

static const char *class_label(unsigned c) {
        switch (c >> 8) {
        case 0x0300: return "VGA compatible controller";
        case 0x0302: return "3D controller";
        case 0x0403: return "Audio device";
        case 0x0c03: return "USB controller";
        case 0x0c80: return "Serial bus controller";
        case 0x0108: return "Non-Volatile memory controller";
        case 0x0106: return "SATA controller";
        case 0x0200: return "Ethernet controller";
        case 0x0280: return "Network controller";
        default: return (c >> 16) == 0x03 ? "Display controller" : "PCI device";
        }
}

int pci_policy_decide(const struct pci_policy *policy, const struct pci_listed *listed, size_t n_listed,
                      const struct group_member *members, size_t n, struct member_decision **ret) {
        _cleanup_free_ struct member_decision *d = calloc(n ? n : 1, sizeof(*d));
        if (!d)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                const struct group_member *m = &members[i];
                const struct pci_listed *self = NULL;
                bool companion = false;

                d[i].member = m;
                for (size_t l = 0; l < n_listed; l++) {
                        if (streq(listed[l].bdf, m->bdf))
                                self = &listed[l];
                        else if (same_slot(listed[l].bdf, m->bdf))
                                companion = true;
                }
                if (self && pci_class_is_bridge(m->pci_class))
                        return log_fail(-EINVAL, "%s is a bridge (%s [%04x]), not a device a VM can use; pass the device behind it instead",
                                        m->bdf, (m->pci_class >> 8) == 0x0600 ? "Host bridge" : "PCI bridge", m->pci_class >> 8);
                if (self) {
                        d[i].fate = self->managed ? FATE_LIBVIRT : FATE_TAKE;
                        d[i].why = "listed";
                } else if (pci_class_is_bridge(m->pci_class) || pci_driver_is_harmless(m->driver)) {
                        d[i].fate = FATE_LEAVE;
                        continue;
                } else if (companion && companion_class_matches(policy->companion_classes, m->pci_class)) {
                        d[i].fate = FATE_TAKE;
                        d[i].why = "companion";
                } else if (policy->allowed && strset_contains(policy->allowed, m->bdf)) {
                        d[i].fate = FATE_TAKE;
                        d[i].why = "allowed";
                } else
                        return log_fail(-EPERM, "cannot pass through IOMMU group %d: it also contains %s (%s [%04x], driver %s), which is not a companion of the listed device; move the card to a slot with its own IOMMU group (ACS), or allow taking it with <gpuhook:pci address='%s' allow='yes'/> in the domain metadata or allow_devices = %s in gpuhook.conf",
                                        m->group, m->bdf, class_label(m->pci_class), m->pci_class >> 8, m->driver,
                                        m->bdf, m->bdf);

                /* drivers/vfio/pci/vfio_pci.c, vfio_pci_probe(): "Cannot bind
                 * to PF with SR-IOV enabled", -EBUSY while pci_num_vf() > 0
                 * (the VFs may be in use; disabling SR-IOV there could block).
                 * Refused before anything is written. */
                if (m->sriov_numvfs > 0 && d[i].fate != FATE_LEAVE && !streq(m->driver, "vfio-pci"))
                        return log_fail(-EBUSY, "cannot pass through %s: it is an SR-IOV physical function with %u VF%s enabled (%s), and vfio-pci refuses such a PF (\"Cannot bind to PF with SR-IOV enabled\"); pass one of its VFs instead, or disable the VFs (sriov_numvfs to 0) once no VM uses them",
                                        m->bdf, m->sriov_numvfs, m->sriov_numvfs == 1 ? "" : "s", *m->vfs ? m->vfs : "none listed");

                if (m->boot_vga && !policy->allow_boot_console && d[i].fate != FATE_LEAVE)
                        return log_fail(-EPERM, "%s drives the host's boot console (boot_vga); detaching it blanks the host's screen: use another GPU, or allow it with <gpuhook:pci address='%s' allow-boot-console='yes'/> in the domain metadata or allow_boot_console = yes in gpuhook.conf; if it is the host's only GPU, see single-GPU passthrough (stop_display_manager, docs/single-gpu.md)",
                                        m->bdf, m->bdf);
        }
        *ret = TAKE_PTR(d);
        return 0;
}
