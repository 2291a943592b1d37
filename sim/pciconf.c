/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What real tools read from a PCI device dir besides the text attributes:
 * the binary `config` (configuration space), `resource`, `reset`, and the
 * PCI_* lines of `uevent`, generated from the attributes the host file has
 * (vendor, device, class, subsystem_*, revision, irq, link speed/width,
 * power_state, reset_method) and the sysfs topology (bridges and their
 * children). A recorded `config` (`H: config=...`) is kept as it is.
 *
 * Register offsets and bits are the kernel's include/uapi/linux/pci_regs.h,
 * which follows the PCI Local Bus Specification 3.0 (PCI30), the PCI-to-PCI
 * Bridge Architecture Specification 1.2 (BR12), the PCI Bus Power Management
 * Interface Specification 1.2 (PM12), the PCI Express Base Specification 4.0
 * (PCIe40) and the SR-IOV specification 1.1 (SRIOV11). What libvirt 9.0
 * reads (src/util/virpci.c) is named at each field. libc only. */
#include <stdint.h>
#include <stdlib.h>

#include "pciconf.h"
#include "sim-util.h"

/* Type 0/1 common header, PCI30 6.1, pci_regs.h */
#define PCI_VENDOR_ID 0x00          /* 16 bits */
#define PCI_DEVICE_ID 0x02          /* 16 bits */
#define PCI_COMMAND 0x04            /* 16 bits */
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS 0x06             /* 16 bits */
#define PCI_STATUS_CAP_LIST 0x10    /* PCI30 6.2.3: capability list present */
#define PCI_CLASS_REVISION 0x08     /* revision (8), then prog-if, subclass, class */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_HEADER_TYPE 0x0e        /* PCI30 6.2.1 */
#define PCI_HEADER_TYPE_NORMAL 0
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_TYPE_CARDBUS 2
#define PCI_HEADER_TYPE_MFD 0x80    /* multi-function device */
#define PCI_CAPABILITY_LIST 0x34    /* PCI30 6.7: first capability */
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d      /* 1 = INTA# */
/* Type 0 only, PCI30 6.2.4 */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
/* Type 1 only, BR12 3.2 */
#define PCI_PRIMARY_BUS 0x18
#define PCI_SECONDARY_BUS 0x19      /* libvirt: the parent of bus N has secondary N */
#define PCI_SUBORDINATE_BUS 0x1a    /* ... or the best range secondary..subordinate */
#define PCI_BRIDGE_CONTROL 0x3e     /* libvirt's secondary bus reset: bit 0x40 */

/* Capability IDs, PCI30 appendix H */
#define PCI_CAP_ID_PM 0x01          /* PM12 3.2 */
#define PCI_CAP_ID_SSVID 0x0d       /* BR12 3.2.5.13: a bridge's subsystem ids */
#define PCI_CAP_ID_EXP 0x10         /* PCIe40 7.5.3 */
#define PCI_CAP_LIST_NEXT 1

/* PM12 3.2.3 / 3.2.4 */
#define PCI_PM_PMC 2
#define PCI_PM_CAP_VER_1_2 0x0003
#define PCI_PM_CTRL 4
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008 /* libvirt: PM reset only when clear */

/* PCIe capability, PCIe40 7.5.3, pci_regs.h PCI_EXP_* */
#define PCI_EXP_FLAGS 2
#define PCI_EXP_FLAGS_VERS_2 0x0002
#define PCI_EXP_TYPE_ENDPOINT 0x0
#define PCI_EXP_TYPE_ROOT_PORT 0x4
#define PCI_EXP_TYPE_UPSTREAM 0x5
#define PCI_EXP_TYPE_DOWNSTREAM 0x6
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7 /* PCIe to PCI/PCI-X bridge */
#define PCI_EXP_TYPE_RC_END 0x9     /* root complex integrated endpoint: no link */
#define PCI_EXP_DEVCAP 4
#define PCI_EXP_DEVCAP_FLR 0x10000000 /* bit 28: libvirt's has_flr */
#define PCI_EXP_LNKCAP 12            /* speed 3:0, width 9:4, port number 31:24 */
#define PCI_EXP_LNKSTA 18            /* speed 3:0, width 9:4 */
#define PCI_EXP_CAP_SIZEOF 0x3c      /* version 2 */

#define CAP_PM 0x40
#define CAP_SSVID 0x48
#define CAP_EXP 0x60

#define PCI_CFG_SPACE_SIZE 256       /* conventional PCI */
#define PCI_CFG_SPACE_EXP_SIZE 4096  /* PCIe (and PCI-X 2.0): extended config space */

/* The kernel's resource_show() (drivers/pci/pci-sysfs.c): one line per
 * resource, PCI_BRIDGE_RESOURCES (13 with CONFIG_PCI_IOV: 6 BARs, the ROM, 6
 * VF BARs) for an endpoint, DEVICE_COUNT_RESOURCE (17: plus 4 bridge
 * windows) for a device with a subordinate bus. */
#define RESOURCES_ENDPOINT 13
#define RESOURCES_BRIDGE 17

struct pdev {
        char *name; /* 0000:01:00.0 */
        char *path; /* /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 */
        unsigned domain, bus, slot, fn;
        unsigned vendor, device, class, subvendor, subdevice, revision, irq;
        int parent; /* index, -1 under a host bridge */
        bool bridge, cardbus, vf, enabled, flr, pm_reset, has_children, bridge_child;
        unsigned secondary, subordinate;
        int exp_type; /* -1: conventional PCI */
        unsigned lnkcap, lnksta;
        unsigned power_state;
        bool multifunction;
};

static void put8(uint8_t *c, unsigned off, unsigned v) { c[off] = (uint8_t)v; }
static void put16(uint8_t *c, unsigned off, unsigned v) {
        c[off] = (uint8_t)v;
        c[off + 1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *c, unsigned off, uint32_t v) {
        put16(c, off, v & 0xffff);
        put16(c, off + 2, v >> 16);
}

static unsigned attr_uint(const struct testbed *tb, const char *dir, const char *name, unsigned def) {
        _cleanup_free_ char *p = tb_join(dir, name), *s = NULL;
        if (!p || tb_read_file(tb, p, &s) < 0)
                return def;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        return (errno || end == s) ? def : (unsigned)v;
}

static char *attr_str(const struct testbed *tb, const char *dir, const char *name) {
        _cleanup_free_ char *p = tb_join(dir, name);
        char *s = NULL;
        if (!p || tb_read_file(tb, p, &s) < 0)
                return NULL;
        return s;
}

/* "8.0 GT/s PCIe" -> the Link Speeds encoding of LNKCAP/LNKSTA (PCIe40
 * 7.5.3.6: 1 = 2.5 GT/s, 2 = 5, 3 = 8, 4 = 16, 5 = 32, 6 = 64); 0 unknown. */
static unsigned link_speed(const struct testbed *tb, const char *dir, const char *name) {
        _cleanup_free_ char *s = attr_str(tb, dir, name);
        static const char *const speeds[] = { "2.5 ", "5.0 ", "8.0 ", "16.0 ", "32.0 ", "64.0 " };
        if (s)
                for (unsigned i = 0; i < ELEMENTSOF(speeds); i++)
                        if (startswith(s, speeds[i]))
                                return i + 1;
        return 0;
}

/* "flr bus" contains "flr" as a word. */
static bool word_in(const char *list, const char *word) {
        size_t n = strlen(word);
        for (const char *p = list; p && (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
                        return true;
        return false;
}

static bool parse_bdf(const char *name, unsigned *d, unsigned *b, unsigned *s, unsigned *f) {
        char tail;
        return strlen(name) == 12 && sscanf(name, "%4x:%2x:%2x.%1x%c", d, b, s, f, &tail) == 4;
}

static int find_dev(struct pdev *devs, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (streq(devs[i].path, path))
                        return (int)i;
        return -1;
}

static void pdevs_free(struct pdev *devs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(devs[i].name);
                free(devs[i].path);
        }
        free(devs);
}

/* The config space of D, as the kernel's `config` attribute shows it to root. */
static size_t build_config(const struct pdev *d, uint8_t *c) {
        memset(c, 0, PCI_CFG_SPACE_EXP_SIZE);
        /* SRIOV11 3.4.1.1/3.4.1.2: a VF's Vendor and Device ID registers read
         * 0xffff; the kernel's `vendor`/`device` attributes (what libvirt
         * reads) carry the PF's vendor and the VF device id. */
        put16(c, PCI_VENDOR_ID, d->vf ? 0xffff : d->vendor);
        put16(c, PCI_DEVICE_ID, d->vf ? 0xffff : d->device);
        put16(c, PCI_COMMAND, d->enabled ? PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | (d->bridge ? PCI_COMMAND_IO : 0) : 0);
        put32(c, PCI_CLASS_REVISION, (d->class << 8) | (d->revision & 0xff));
        put8(c, PCI_CACHE_LINE_SIZE, 0x10); /* 64 bytes, in dwords */
        unsigned htype = d->cardbus ? PCI_HEADER_TYPE_CARDBUS : d->bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL;
        put8(c, PCI_HEADER_TYPE, htype | (d->multifunction ? PCI_HEADER_TYPE_MFD : 0));
        if (d->irq > 0 && d->irq < 256)
                put8(c, PCI_INTERRUPT_LINE, d->irq);
        if (d->irq > 0)
                put8(c, PCI_INTERRUPT_PIN, 1);
        if (htype == PCI_HEADER_TYPE_CARDBUS)
                return PCI_CFG_SPACE_SIZE; /* no host file has one: header only */
        if (htype == PCI_HEADER_TYPE_NORMAL) {
                put16(c, PCI_SUBSYSTEM_VENDOR_ID, d->subvendor);
                put16(c, PCI_SUBSYSTEM_ID, d->subdevice);
        } else {
                put8(c, PCI_PRIMARY_BUS, d->bus);
                put8(c, PCI_SECONDARY_BUS, d->secondary);
                put8(c, PCI_SUBORDINATE_BUS, d->subordinate);
        }
        /* Capabilities: PM at 0x40, (a bridge's SSVID at 0x48), PCIe at 0x60. */
        put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
        put8(c, PCI_CAPABILITY_LIST, CAP_PM);
        unsigned after_pm = d->bridge ? CAP_SSVID : d->exp_type >= 0 ? CAP_EXP : 0;
        put8(c, CAP_PM, PCI_CAP_ID_PM);
        put8(c, CAP_PM + PCI_CAP_LIST_NEXT, after_pm);
        put16(c, CAP_PM + PCI_PM_PMC, PCI_PM_CAP_VER_1_2);
        /* PowerState in bits 1:0; NoSoftReset unless reset_method lists pm */
        put16(c, CAP_PM + PCI_PM_CTRL, (d->power_state & 3) | (d->pm_reset ? 0 : PCI_PM_CTRL_NO_SOFT_RESET));
        if (d->bridge) {
                put8(c, CAP_SSVID, PCI_CAP_ID_SSVID);
                put8(c, CAP_SSVID + PCI_CAP_LIST_NEXT, d->exp_type >= 0 ? CAP_EXP : 0);
                put16(c, CAP_SSVID + 4, d->subvendor);
                put16(c, CAP_SSVID + 6, d->subdevice);
        }
        if (d->exp_type < 0)
                return PCI_CFG_SPACE_SIZE;
        put8(c, CAP_EXP, PCI_CAP_ID_EXP);
        put8(c, CAP_EXP + PCI_CAP_LIST_NEXT, 0);
        put16(c, CAP_EXP + PCI_EXP_FLAGS, PCI_EXP_FLAGS_VERS_2 | ((unsigned)d->exp_type << 4));
        if (d->flr && (d->exp_type == PCI_EXP_TYPE_ENDPOINT || d->exp_type == PCI_EXP_TYPE_RC_END))
                put32(c, CAP_EXP + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
        if (d->exp_type != PCI_EXP_TYPE_RC_END) {
                put32(c, CAP_EXP + PCI_EXP_LNKCAP, d->lnkcap);
                put16(c, CAP_EXP + PCI_EXP_LNKSTA, d->lnksta);
        }
        /* Extended capabilities start at 0x100 (PCIe40 7.6): a zero header
         * there ends the (empty) list. */
        return PCI_CFG_SPACE_EXP_SIZE;
}

/* uevent keys the kernel's pci_uevent() (drivers/pci/pci-driver.c) always
 * sends, added when the host file has no E: line for them. */
static int complete_uevent(const struct testbed *tb, const struct pdev *d) {
        _cleanup_free_ char *p = tb_join(d->path, "uevent"), *old = NULL;
        if (!p)
                return -ENOMEM;
        if (tb_read_file(tb, p, &old) < 0 && !(old = strdup("")))
                return -ENOMEM;
        struct {
                const char *key;
                char *line;
        } keys[] = {
                { "PCI_CLASS=", sim_strdup_printf("PCI_CLASS=%X", d->class) },
                { "PCI_ID=", sim_strdup_printf("PCI_ID=%04X:%04X", d->vendor, d->device) },
                { "PCI_SUBSYS_ID=", sim_strdup_printf("PCI_SUBSYS_ID=%04X:%04X", d->subvendor, d->subdevice) },
                { "PCI_SLOT_NAME=", sim_strdup_printf("PCI_SLOT_NAME=%s", d->name) },
                { "MODALIAS=", sim_strdup_printf("MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor,
                                                 d->device, d->subvendor, d->subdevice, d->class >> 16,
                                                 (d->class >> 8) & 0xff, d->class & 0xff) },
        };
        _cleanup_free_ char *text = strdup(old);
        int r = text ? 0 : -ENOMEM;
        bool changed = false;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (r < 0 || !keys[i].line) {
                        r = -ENOMEM;
                        continue;
                }
                _cleanup_free_ char *at_start = sim_strdup_printf("\n%s", keys[i].key);
                if (!at_start) {
                        r = -ENOMEM;
                        continue;
                }
                if (startswith(text, keys[i].key) || strstr(text, at_start))
                        continue;
                char *n = sim_strdup_printf("%s%s%s", text, *text ? "\n" : "", keys[i].line);
                if (!n) {
                        r = -ENOMEM;
                        continue;
                }
                free(text);
                text = n;
                changed = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                free(keys[i].line);
        if (r < 0 || !changed)
                return r;
        _cleanup_free_ char *withnl = sim_strdup_printf("%s\n", text);
        return withnl ? tb_write_file(tb, p, withnl, 0644) : -ENOMEM;
}

static int write_files(const struct testbed *tb, const struct pdev *d) {
        _cleanup_free_ char *cfg = tb_join(d->path, "config"), *res = tb_join(d->path, "resource");
        if (!cfg || !res)
                return -ENOMEM;
        int r;
        if (!tb_exists(tb, cfg)) {
                uint8_t c[PCI_CFG_SPACE_EXP_SIZE];
                size_t len = build_config(d, c);
                /* root may write it (libvirt saves/restores around resets) */
                if ((r = tb_write_data(tb, cfg, c, len, 0644)) < 0)
                        return r;
        }
        if (!tb_exists(tb, res)) {
                /* start end flags of each resource; all unassigned here */
                unsigned n = d->has_children || d->bridge ? RESOURCES_BRIDGE : RESOURCES_ENDPOINT;
                char text[RESOURCES_BRIDGE * 60 + 1] = "";
                for (unsigned i = 0; i < n; i++)
                        strcat(text, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
                if ((r = tb_write_file(tb, res, text, 0444)) < 0)
                        return r;
        }
        /* `reset` exists when the kernel has a reset method for the device
         * (pci_create_capabilities_sysfs(): dev->reset_fn) */
        _cleanup_free_ char *methods = attr_str(tb, d->path, "reset_method");
        if (methods && *methods) {
                _cleanup_free_ char *rst = tb_join(d->path, "reset");
                if (!rst)
                        return -ENOMEM;
                if ((r = tb_touch(tb, rst, 0200)) < 0)
                        return r;
        }
        return complete_uevent(tb, d);
}

int sim_pci_config_complete(const struct testbed *tb, char **ret_msg) {
        char **names = NULL;
        size_t n = 0;
        int r = tb_list_dir(tb, "/sys/bus/pci/devices", &names, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        struct pdev *devs = calloc(n ? n : 1, sizeof(*devs));
        size_t nd = 0;
        if (!devs) {
                tb_strv_free(names);
                return -ENOMEM;
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct pdev *d = &devs[nd];
                if (!parse_bdf(names[i], &d->domain, &d->bus, &d->slot, &d->fn))
                        continue;
                _cleanup_free_ char *link = tb_join("/sys/bus/pci/devices", names[i]);
                if (!link || !(d->name = strdup(names[i]))) {
                        r = -ENOMEM;
                        break;
                }
                if (tb_readlink(tb, link, &d->path) < 0 || !tb_is_dir(tb, d->path)) {
                        free(d->name);
                        d->name = NULL;
                        free(d->path);
                        d->path = NULL;
                        continue;
                }
                nd++;
                d->vendor = attr_uint(tb, d->path, "vendor", 0xffff);
                d->device = attr_uint(tb, d->path, "device", 0xffff);
                d->class = attr_uint(tb, d->path, "class", 0) & 0xffffff;
                d->subvendor = attr_uint(tb, d->path, "subsystem_vendor", 0);
                d->subdevice = attr_uint(tb, d->path, "subsystem_device", 0);
                d->revision = attr_uint(tb, d->path, "revision", 0);
                d->irq = attr_uint(tb, d->path, "irq", 0);
                d->enabled = attr_uint(tb, d->path, "enable", 1) != 0;
                unsigned base_sub = d->class >> 8;
                /* class 0x0604 PCI-to-PCI, 0x0609 semi-transparent: type 1
                 * header; 0x0607 CardBus: type 2 */
                d->bridge = base_sub == 0x0604 || base_sub == 0x0609;
                d->cardbus = base_sub == 0x0607;
                _cleanup_free_ char *physfn = tb_join(d->path, "physfn");
                d->vf = physfn && tb_exists(tb, physfn);
                _cleanup_free_ char *methods = attr_str(tb, d->path, "reset_method");
                /* the kernel lists flr when the device advertises it; a VF
                 * must have FLR (SRIOV11 3.4.2.3) */
                d->flr = methods ? word_in(methods, "flr") : d->vf;
                d->pm_reset = methods && word_in(methods, "pm");
                _cleanup_free_ char *ps = attr_str(tb, d->path, "power_state");
                d->power_state = ps && startswith(ps, "D1") ? 1 : ps && startswith(ps, "D2") ? 2
                                 : ps && startswith(ps, "D3") ? 3 : 0;
                unsigned ms = link_speed(tb, d->path, "max_link_speed");
                unsigned cs = link_speed(tb, d->path, "current_link_speed");
                unsigned mw = attr_uint(tb, d->path, "max_link_width", 0) & 0x3f;
                unsigned cw = attr_uint(tb, d->path, "current_link_width", 0) & 0x3f;
                d->lnkcap = ms | (mw << 4) | ((d->slot & 0xff) << 24);
                d->lnksta = cs | (cw << 4);
        }
        tb_strv_free(names);
        if (r < 0) {
                pdevs_free(devs, nd);
                return r;
        }
        /* Topology: the parent is the device whose sysfs dir holds this one. */
        bool busy[256] = { false };
        for (size_t i = 0; i < nd; i++) {
                _cleanup_free_ char *up = tb_dirname(devs[i].path);
                devs[i].parent = up ? find_dev(devs, nd, up) : -1;
                busy[devs[i].bus & 0xff] = true;
                for (size_t j = 0; j < nd; j++)
                        if (j != i && devs[j].domain == devs[i].domain && devs[j].bus == devs[i].bus &&
                            devs[j].slot == devs[i].slot && !devs[j].vf && !devs[i].vf)
                                devs[i].multifunction = true;
        }
        for (size_t i = 0; i < nd; i++) {
                if (devs[i].parent < 0)
                        continue;
                struct pdev *p = &devs[devs[i].parent];
                p->has_children = true;
                if (devs[i].bridge)
                        p->bridge_child = true;
        }
        /* Bus numbers of a bridge (BR12 3.2.5.3/4): secondary = the bus of its
         * children, subordinate = the highest bus below it. A bridge without
         * children gets a bus number of its own, as the kernel assigns one. */
        for (size_t i = 0; i < nd; i++) {
                struct pdev *b = &devs[i];
                if (!b->bridge)
                        continue;
                bool any = false;
                b->secondary = 0xff;
                b->subordinate = 0;
                for (size_t j = 0; j < nd; j++) {
                        int a = devs[j].parent;
                        bool direct = a == (int)i, below = false;
                        for (int k = a; k >= 0; k = devs[k].parent)
                                if (k == (int)i)
                                        below = true;
                        if (!below)
                                continue;
                        any = true;
                        if (direct && !devs[j].vf && devs[j].bus < b->secondary)
                                b->secondary = devs[j].bus;
                        if (devs[j].bus > b->subordinate)
                                b->subordinate = devs[j].bus;
                }
                if (!any) {
                        unsigned bus = b->bus + 1;
                        while (bus < 256 && busy[bus])
                                bus++;
                        b->secondary = b->subordinate = bus < 256 ? bus : 0xff;
                        if (bus < 256)
                                busy[bus] = true;
                } else if (b->secondary == 0xff)
                        b->secondary = b->subordinate; /* only VFs below: use their bus */
                if (b->subordinate < b->secondary)
                        b->subordinate = b->secondary;
        }
        /* PCIe device/port type (PCIe40 7.5.3.2), from where the device sits:
         * on a root bus (no parent bridge), a bridge is a root port, any other
         * device a root complex integrated endpoint (a host bridge, class
         * 0x0600, conventional); below a root or downstream port, a bridge
         * with bridges below it is a switch's upstream port, one without a
         * PCIe-to-PCI bridge, any other device an endpoint; below an upstream
         * port, a bridge is a downstream port; below a PCIe-to-PCI (or a
         * conventional) bridge, every device is conventional PCI. */
        for (int pass = 0; pass < 64; pass++) /* parents before children: fixed point */
                for (size_t i = 0; i < nd; i++) {
                        struct pdev *d = &devs[i];
                        int pt = d->parent >= 0 ? devs[d->parent].exp_type : -2;
                        if (d->parent < 0)
                                d->exp_type = d->bridge ? PCI_EXP_TYPE_ROOT_PORT
                                              : (d->class >> 8) == 0x0600 || d->cardbus ? -1
                                                                                        : PCI_EXP_TYPE_RC_END;
                        else if (pt == PCI_EXP_TYPE_ROOT_PORT || pt == PCI_EXP_TYPE_DOWNSTREAM)
                                d->exp_type = !d->bridge ? PCI_EXP_TYPE_ENDPOINT
                                              : d->bridge_child ? PCI_EXP_TYPE_UPSTREAM
                                                                : PCI_EXP_TYPE_PCI_BRIDGE;
                        else if (pt == PCI_EXP_TYPE_UPSTREAM)
                                d->exp_type = d->bridge ? PCI_EXP_TYPE_DOWNSTREAM : PCI_EXP_TYPE_ENDPOINT;
                        else
                                d->exp_type = -1;
                }
        for (size_t i = 0; r >= 0 && i < nd; i++)
                if ((r = write_files(tb, &devs[i])) < 0)
                        r = FAIL(r, "cannot write the config space of %s: %s", devs[i].name, strerror(-r));
        pdevs_free(devs, nd);
        return r;
}
