/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI dynamic ids: /sys/bus/pci/drivers/<drv>/{new_id,remove_id}
 * (drivers/pci/pci-driver.c). A driver's static id table is modelled as the
 * vendor:device ids of the devices it is the native driver of. */
#include <stdio.h>

#include "driver.h"
#include "shim.h"
#include "sim-util.h"

/* "/sys/bus/pci/drivers/<drv>/<file>": the driver name, or NULL. */
static char *pci_driver_of(const char *path) {
        if (!startswith(path, "/sys/bus/pci/drivers/"))
                return NULL;
        const char *drv = path + strlen("/sys/bus/pci/drivers/");
        const char *e = strchr(drv, '/');
        if (!e || e == drv || strchr(e + 1, '/'))
                return NULL;
        return strndup(drv, (size_t)(e - drv));
}

/* pci_match_device() for the made-up device new_id_store() checks: no
 * override, so a dynamic id or the static table. */
static bool driver_handles(const struct testbed *tb, const struct sim_state *st, const char *drv,
                           const struct sim_dynid *fake) {
        const unsigned ids[5] = { fake->vendor, fake->device, fake->subvendor, fake->subdevice, fake->class };
        for (size_t i = 0; i < st->n_dynids; i++)
                if (streq(st->dynids[i].driver, drv) && sim_dynid_matches(&st->dynids[i], ids))
                        return true;
        for (size_t i = 0; i < st->n_devices; i++) {
                const struct sim_device *d = &st->devices[i];
                unsigned vendor, device;
                if (streq(d->bus, "pci") && d->native && streq(d->native, drv) &&
                    sim_pci_read_hex(tb, d->path, "vendor", &vendor) >= 0 &&
                    sim_pci_read_hex(tb, d->path, "device", &device) >= 0 &&
                    vendor == fake->vendor && device == fake->device)
                        return true;
        }
        return false;
}

/* new_id_store(): "vendor device [subvendor subdevice class class_mask
 * driver_data]" in hex; then driver_attach(). */
int shim_pci_new_id(const struct shim_write *w) {
        _cleanup_free_ char *drv = pci_driver_of(w->path);
        if (!drv)
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        struct sim_dynid id = { .driver = drv, .subvendor = SIM_PCI_ANY_ID, .subdevice = SIM_PCI_ANY_ID };
        unsigned long driver_data = 0;
        int fields = sscanf(s, "%x %x %x %x %x %x %lx", &id.vendor, &id.device, &id.subvendor, &id.subdevice,
                            &id.class, &id.class_mask, &driver_data);
        if (fields < 2)
                return -EINVAL;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (shim_state_load(w->tb, &st) < 0)
                return -EIO;
        if (fields != 7 && driver_handles(w->tb, st, drv, &id))
                return -EEXIST;
        /* Only driver_data of an id_table entry: the model's entries have 0. */
        if (driver_data != 0)
                return -EINVAL;
        if (sim_state_add_dynid(st, &id) < 0)
                return -EIO;
        /* saved even when the attach fails: the id stays, as in the kernel */
        int r = sim_driver_attach(w->tb, st, "pci", drv);
        return sim_state_save(w->tb, st) < 0 || r < 0 ? -EIO : 0;
}

/* remove_id_store(): the first dynamic id that matches; ENODEV if none.
 * Bound devices stay bound. */
int shim_pci_remove_id(const struct shim_write *w) {
        _cleanup_free_ char *drv = pci_driver_of(w->path);
        if (!drv)
                return SHIM_PASS;
        if (w->len == 0)
                return 0;
        _cleanup_free_ char *s = strndup(w->buf, w->len);
        if (!s)
                return -EIO;
        unsigned vendor, device, subvendor = SIM_PCI_ANY_ID, subdevice = SIM_PCI_ANY_ID, class = 0, class_mask = 0;
        int fields = sscanf(s, "%x %x %x %x %x %x", &vendor, &device, &subvendor, &subdevice, &class, &class_mask);
        if (fields < 2)
                return -EINVAL;
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (shim_state_load(w->tb, &st) < 0)
                return -EIO;
        for (size_t i = 0; i < st->n_dynids; i++) {
                const struct sim_dynid *id = &st->dynids[i];
                if (streq(id->driver, drv) && id->vendor == vendor && id->device == device &&
                    (subvendor == SIM_PCI_ANY_ID || id->subvendor == subvendor) &&
                    (subdevice == SIM_PCI_ANY_ID || id->subdevice == subdevice) && !((id->class ^ class) & class_mask)) {
                        sim_state_remove_dynid(st, i);
                        return sim_state_save(w->tb, st) < 0 ? -EIO : 0;
                }
        }
        return -ENODEV;
}
