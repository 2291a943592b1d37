/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IBM Z mdev parents: the vfio_ap "matrix" device (crypto adapters and
 * domains, Documentation/arch/s390/vfio-ap.rst) and I/O subchannels bound to
 * vfio_ccw (Documentation/arch/s390/vfio-ccw.rst). Creating and removing the
 * instances is the mdev core's (generic.c); what is s390's: the AP matrix a
 * vfio_ap mdev carries, assigned after creation through its
 * assign_adapter/assign_domain/assign_control_domain files. The matrix lives
 * in the mdev: removing the mdev releases it (vfio_ap_ops.c
 * vfio_ap_mdev_remove() unlinks and resets its queues; vfio-ap.rst: "This
 * will remove all of the matrix mdev device's sysfs structures"), so the
 * ledger's mdev entry is all release needs. */
#include <dirent.h>
#include <stddef.h>

#include "driver.h"
#include "log.h"
#include "s390.h"
#include "sysfs.h"
#include "vendor-private.h"

#define AP_WORDS (AP_ID_COUNT / 64)

static inline void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

unsigned s390_ap_count(const uint64_t map[AP_WORDS]) {
        unsigned n = 0;
        for (unsigned i = 0; i < AP_ID_COUNT; i++)
                n += ap_bit(map, i);
        return n;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int s390_ap_mask_parse(const char *text, uint64_t map[AP_WORDS]) {
        const char *s = text;
        unsigned i = 0;
        memset(map, 0, AP_WORDS * sizeof(uint64_t));
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        for (; *s && *s != '\n'; s++, i += 4) {
                int d = hex_digit(*s);
                if (d < 0 || i >= AP_ID_COUNT)
                        return -EINVAL;
                for (unsigned k = 0; k < 4; k++)
                        if (d & (8 >> k)) /* set_bit_inv(): the leftmost bit is number 0 */
                                ap_bit_set(map, i + k);
        }
        return i > 0 && (!*s || streq(s, "\n")) ? 0 : -EINVAL;
}

int s390_ap_mask_read(const char *name, uint64_t map[AP_WORDS]) {
        _cleanup_free_ char *path = sysfs_path(S390_AP_BUS, name, NULL), *text = NULL;
        if (!path)
                return -errno;
        int r = read_text_file(path, 256, &text);
        if (r < 0)
                return r;
        return s390_ap_mask_parse(text, map);
}

static int parse_hex_field(const char *s, size_t len, size_t max_len, unsigned *ret) {
        unsigned v = 0;
        if (len == 0 || len > max_len)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                int d = hex_digit(s[i]);
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned)d;
        }
        if (v >= AP_ID_COUNT)
                return -EINVAL;
        *ret = v;
        return 0;
}

int s390_ap_matrix_parse(const char *text, struct ap_matrix *ret) {
        *ret = (struct ap_matrix){ 0 };
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                const char *dot = memchr(l, '.', n);
                unsigned id;
                if (!dot)
                        return -EINVAL;
                size_t alen = (size_t)(dot - l), dlen = n - alen - 1;
                if (alen == 0 && dlen == 0)
                        return -EINVAL;
                if (alen > 0) {
                        if (parse_hex_field(l, alen, 2, &id) < 0)
                                return -EINVAL;
                        ap_bit_set(ret->apm, id);
                }
                if (dlen > 0) {
                        if (parse_hex_field(dot + 1, dlen, 4, &id) < 0)
                                return -EINVAL;
                        ap_bit_set(ret->aqm, id);
                }
                l += n;
                if (*l)
                        l++;
        }
        return 0;
}

int s390_ap_mdev_matrix_read(const char *uuid, struct ap_matrix *ret) {
        _cleanup_free_ char *path = sysfs_path(S390_AP_MATRIX, uuid, "matrix", NULL), *text = NULL;
        if (!path)
                return -errno;
        /* 256 x 256 lines of "aa.dddd\n" at most; the kernel's page is 4 KiB */
        int r = read_text_file(path, 65536 * 8, &text);
        if (r < 0)
                return r;
        return s390_ap_matrix_parse(text, ret);
}

int s390_ap_max_id(const char *attr, unsigned *ret) {
        _cleanup_free_ char *path = sysfs_path(S390_AP_BUS, attr, NULL);
        if (!path)
                return -errno;
        return read_uint_file(path, ret);
}

static int first_bit(const uint64_t *m) {
        for (unsigned i = 0; i < AP_ID_COUNT; i++)
                if (ap_bit(m, i))
                        return (int)i;
        return -1;
}

static bool maps_intersect(const uint64_t *a, const uint64_t *b, uint64_t *ret) {
        bool any = false;
        for (size_t w = 0; w < AP_WORDS; w++)
                any |= (ret[w] = a[w] & b[w]) != 0;
        return any;
}

/* Numbers above what this machine has: the store would fail with ENODEV
 * (assign_*_store(): "apid > matrix_mdev->matrix.apm_max"). */
static int check_ranges(const struct mdev_op *op) {
        static const struct {
                const char *attr, *what, *fmt;
                size_t map;
        } ranges[] = {
                { "ap_max_adapter_id", "adapter", "0x%02x", offsetof(struct ap_matrix, apm) },
                { "ap_max_domain_id", "domain", "0x%04x", offsetof(struct ap_matrix, aqm) },
                { "ap_max_domain_id", "control domain", "0x%04x", offsetof(struct ap_matrix, adm) },
        };
        for (size_t i = 0; i < ELEMENTSOF(ranges); i++) {
                const uint64_t *m = (const uint64_t *)((const char *)op->ap + ranges[i].map);
                unsigned max;
                if (s390_ap_max_id(ranges[i].attr, &max) < 0)
                        continue; /* no AP bus to ask: the store says it */
                for (unsigned id = max + 1; id < AP_ID_COUNT; id++)
                        if (ap_bit(m, id))
                                return log_fail(-ENODEV, "mdev %s: %s 0x%02x is above this machine's highest, 0x%02x (%s/%s); choose one that `lszcrypt` lists",
                                                op->uuid, ranges[i].what, id, max, S390_AP_BUS, ranges[i].attr);
        }
        return 0;
}

/* An APQN whose adapter bit is set in apmask and whose domain bit is set in
 * aqmask is the host's zcrypt drivers' (ap_apqn_in_matrix_owned_by_def_drv());
 * assigning it fails with EADDRNOTAVAIL (vfio_ap_mdev_validate_masks()). */
static int check_masks(const struct mdev_op *op) {
        uint64_t apmask[AP_WORDS], aqmask[AP_WORDS], a_host[AP_WORDS], d_host[AP_WORDS];
        if (s390_ap_mask_read("apmask", apmask) < 0 || s390_ap_mask_read("aqmask", aqmask) < 0)
                return 0; /* cannot read them: the store says it */
        if (!maps_intersect(op->ap->apm, apmask, a_host) || !maps_intersect(op->ap->aqm, aqmask, d_host))
                return 0;
        int a = first_bit(a_host), d = first_bit(d_host);
        return log_fail(-EADDRNOTAVAIL, "mdev %s: APQN %02x.%04x is kept for the host's crypto drivers (adapter 0x%02x in %s/apmask and domain 0x%04x in aqmask); give it to vfio_ap with `echo -0x%02x > %s/apmask` (the whole adapter) or `echo -0x%04x > %s/aqmask` (that domain on every adapter), persistently with chzdev",
                        op->uuid, a, d, a, S390_AP_BUS, d, a, S390_AP_BUS, d, S390_AP_BUS);
}

/* No APQN in two matrix mdevs (vfio_ap_mdev_verify_no_sharing(): they
 * clash when they share an adapter AND a domain). */
static int check_sharing(const struct mdev_op *op) {
        _cleanup_(closedirp) DIR *d = opendir(S390_AP_MATRIX);
        struct dirent *de;
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char uuid[UUID_STRING_LEN + 1];
                struct ap_matrix other;
                uint64_t a_both[AP_WORDS], d_both[AP_WORDS];
                if (uuid_normalize(de->d_name, uuid) < 0 || streq(uuid, op->uuid) ||
                    s390_ap_mdev_matrix_read(uuid, &other) < 0)
                        continue;
                if (!maps_intersect(op->ap->apm, other.apm, a_both) || !maps_intersect(op->ap->aqm, other.aqm, d_both))
                        continue;
                const struct owner_claim *c = op->owners ? owners_find(op->owners, LEDGER_MDEV, uuid) : NULL;
                char shown[OWNER_SHOWN_MAX];
                if (c)
                        return log_fail(-EADDRINUSE, "mdev %s: APQN %02x.%04x is in the matrix of vfio_ap mdev %s, which gpuhook made for domain '%s'; stop that domain or choose other adapters or domains",
                                        op->uuid, first_bit(a_both), first_bit(d_both), uuid, owner_claim_shown(c, shown, sizeof(shown)));
                return log_fail(-EADDRINUSE, "mdev %s: APQN %02x.%04x is in the matrix of vfio_ap mdev %s (not gpuhook's: see `mdevctl list`); unassign it there or choose other adapters or domains",
                                op->uuid, first_bit(a_both), first_bit(d_both), uuid);
        }
        return 0;
}

static int ap_check_params(const struct mdev_op *op) {
        int r = mdev_generic_check_params(op);
        if (r < 0 || !op->ap || ap_matrix_empty(op->ap))
                return r;
        if ((r = check_ranges(op)) < 0 || (r = check_masks(op)) < 0)
                return r;
        return check_sharing(op);
}

/* The errnos of assign_adapter/assign_domain/assign_control_domain
 * (vfio_ap_ops.c, Linux 6.1 and the kernel-doc of each store) and what to
 * do. vfio-ap.rst says EBUSY for an APQN another mdev holds where the code
 * returns EADDRINUSE; both are read the same. Kernels before 6.0 also said
 * EBUSY while a guest used the mdev (a fresh mdev has none). */
static const char *assign_why(int r) {
        switch (r) {
        case -EADDRNOTAVAIL:
                return "it is kept for the host's crypto drivers by /sys/bus/ap/apmask and aqmask; free it with `echo -N > /sys/bus/ap/apmask` (or aqmask)";
        case -EADDRINUSE:
        case -EBUSY:
                return "another vfio_ap mdev holds one of its APQNs (or apmask/aqmask were being changed); see `grep . /sys/devices/vfio_ap/matrix/*/matrix`, then start the domain again";
        case -ENODEV:
                return "the number is above this machine's highest (/sys/bus/ap/ap_max_adapter_id, ap_max_domain_id); choose one that `lszcrypt` lists";
        case -EAGAIN:
                return "the vfio_ap driver could not take its lock; start the domain again";
        case -EINVAL:
                return "the driver did not take the number; report this as a gpuhook bug";
        default:
                return "check the kernel log (dmesg)";
        }
}

/* "05.0004, 06.0004" for domain D and the adapters assigned before it. */
static void apqns_of_domain(const struct ap_matrix *m, unsigned d, char *buf, size_t size) {
        size_t n = 0;
        unsigned shown = 0;
        *buf = 0;
        for (unsigned a = 0; a < AP_ID_COUNT && n + 16 < size; a++) {
                if (!ap_bit(m->apm, a))
                        continue;
                if (shown++ == 4) {
                        n += (size_t)snprintf(buf + n, size - n, ", ...");
                        break;
                }
                n += (size_t)snprintf(buf + n, size - n, "%s%02x.%04x", n ? ", " : "", a, d);
        }
}

static int assign(const struct mdev_op *op, const char *file, const char *what, unsigned id) {
        _cleanup_free_ char *path = sysfs_mdev_attr(op->uuid, file);
        char text[16], apqns[64] = "";
        if (!path)
                return -errno;
        snprintf(text, sizeof(text), "0x%x\n", id);
        int r = write_text_file(path, text);
        if (r >= 0)
                return 0;
        if (streq(file, "assign_domain"))
                apqns_of_domain(op->ap, id, apqns, sizeof(apqns));
        if (*apqns)
                return log_fail(r, "cannot assign %s 0x%04x (APQNs %s) to vfio_ap mdev %s: %s (%s)", what, id, apqns, op->uuid,
                                assign_why(r), strerror(-r));
        return log_fail(r, "cannot assign %s 0x%02x to vfio_ap mdev %s: %s (%s)", what, id, op->uuid, assign_why(r),
                        strerror(-r));
}

/* Adapters first, then domains: the kernel checks each domain against the
 * adapters already there, so a refusal names the APQNs. The mdev is new
 * (nothing assigned, no guest); on failure the caller removes it. */
static int ap_post_create(const struct mdev_op *op) {
        int r = 0;
        if (!op->ap || ap_matrix_empty(op->ap))
                return 0;
        for (unsigned a = 0; r >= 0 && a < AP_ID_COUNT; a++)
                if (ap_bit(op->ap->apm, a))
                        r = assign(op, "assign_adapter", "adapter", a);
        for (unsigned d = 0; r >= 0 && d < AP_ID_COUNT; d++)
                if (ap_bit(op->ap->aqm, d))
                        r = assign(op, "assign_domain", "domain", d);
        for (unsigned d = 0; r >= 0 && d < AP_ID_COUNT; d++)
                if (ap_bit(op->ap->adm, d))
                        r = assign(op, "assign_control_domain", "control domain", d);
        if (r < 0)
                return r;
        /* What the kernel kept is what the guest gets: read it back. */
        struct ap_matrix got;
        if ((r = s390_ap_mdev_matrix_read(op->uuid, &got)) < 0)
                return log_fail(r, "vfio_ap mdev %s: cannot read back its matrix: %s; check the kernel log (dmesg)", op->uuid,
                                strerror(-r));
        if (memcmp(got.apm, op->ap->apm, sizeof(got.apm)) || memcmp(got.aqm, op->ap->aqm, sizeof(got.aqm)))
                return log_fail(-EIO, "vfio_ap mdev %s: its matrix does not show the assigned adapters and domains; check the kernel log (dmesg)",
                                op->uuid);
        return 0;
}

static bool ap_claims(const struct mdev_parent_probe *p) { return streq(p->driver, "vfio_ap"); }

const struct mdev_driver mdev_driver_s390_ap = {
        .name = "s390-vfio-ap",
        .takes_ap_matrix = true,
        .claims = ap_claims,
        .check_params = ap_check_params,
        .create = mdev_generic_create,
        .post_create = ap_post_create,
        .destroy = mdev_generic_destroy,
};

static bool ccw_claims(const struct mdev_parent_probe *p) { return streq(p->driver, "vfio_ccw"); }

const struct mdev_driver mdev_driver_s390_ccw = {
        .name = "s390-vfio-ccw",
        .claims = ccw_claims,
        .check_params = mdev_generic_check_params,
        .create = mdev_generic_create,
        .destroy = mdev_generic_destroy,
};

/* IBM Z: no PCI GPU, the mdev parents are the AP matrix and subchannels. */
static const struct mdev_driver *const s390_mdev_drivers[] = { &mdev_driver_s390_ap, &mdev_driver_s390_ccw, NULL };

const struct gpu_vendor gpu_vendor_s390 = {
        .name = "s390",
        .mdev_drivers = s390_mdev_drivers,
};
