/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IBM Z kernel behaviour: a vfio_ap matrix mdev's assign_* / unassign_*
 * files (drivers/s390/crypto/vfio_ap_ops.c, Linux 6.1) and the AP bus's
 * apmask / aqmask (drivers/s390/crypto/ap_bus.c). */
#include <limits.h>

#include "s390.h"
#include "shim.h"
#include "sim-util.h"

enum ap_map { AP_ADAPTER, AP_DOMAIN, AP_CONTROL };

/* "/sys/devices/vfio_ap/matrix/<uuid>/<file>": the mdev dir, else NULL. */
static char *matrix_mdev_dir(const struct shim_write *w) {
        char *dir = tb_dirname(w->path);
        _cleanup_free_ char *parent = dir ? tb_dirname(dir) : NULL;
        const char *uuid = dir ? tb_basename(dir) : "";
        if (!parent || !streq(parent, SIM_AP_MATRIX) || !sim_uuid_valid(uuid, strlen(uuid)) || !tb_is_dir(w->tb, dir)) {
                free(dir);
                return NULL;
        }
        return dir;
}

static unsigned max_id(const struct testbed *tb, enum ap_map which) {
        unsigned v = SIM_AP_IDS - 1;
        /* apm_max is Na, aqm_max and adm_max are Nd (vfio_ap_matrix_init()) */
        const char *f = which == AP_ADAPTER ? SIM_AP_BUS "/ap_max_adapter_id" : SIM_AP_BUS "/ap_max_domain_id";
        (void)tb_read_uint(tb, f, &v);
        return v < SIM_AP_IDS ? v : SIM_AP_IDS - 1;
}

static bool *map_of(struct sim_ap_matrix *m, enum ap_map which) {
        return which == AP_ADAPTER ? m->apm : which == AP_DOMAIN ? m->aqm : m->adm;
}

/* APM x AQM and APM2 x AQM2 share an APQN: an adapter of both and a domain
 * of both (the APQN is the pair). */
static bool apqns_overlap(const bool *apm, const bool *aqm, const bool *apm2, const bool *aqm2) {
        bool a = false, d = false;
        for (unsigned i = 0; i < SIM_AP_IDS; i++) {
                a |= apm[i] && apm2[i];
                d |= aqm[i] && aqm2[i];
        }
        return a && d;
}

/* ap_apqn_in_matrix_owned_by_def_drv(): an APQN of APM x AQM whose adapter
 * and domain bits are both set in the masks is the host's. */
static bool owned_by_host(const struct testbed *tb, const bool *apm, const bool *aqm) {
        bool a_host[SIM_AP_IDS], d_host[SIM_AP_IDS];
        if (sim_ap_mask_load(tb, "apmask", a_host) < 0 || sim_ap_mask_load(tb, "aqmask", d_host) < 0)
                return false;
        return apqns_overlap(apm, aqm, a_host, d_host);
}

/* vfio_ap_mdev_verify_no_sharing(): another matrix mdev (not SELF) with an
 * adapter of APM and a domain of AQM. */
static bool shared(const struct testbed *tb, const char *self, const bool *apm, const bool *aqm) {
        char **names = NULL;
        size_t n = 0;
        bool hit = false;
        if (tb_list_dir(tb, SIM_AP_MATRIX, &names, &n) < 0)
                return false;
        for (size_t i = 0; i < n && !hit; i++) {
                _cleanup_free_ char *dir = tb_join(SIM_AP_MATRIX, names[i]);
                struct sim_ap_matrix o;
                if (!dir || streq(dir, self) || !sim_uuid_valid(names[i], strlen(names[i])) ||
                    sim_ap_matrix_load(tb, dir, &o) < 0)
                        continue;
                hit = apqns_overlap(apm, aqm, o.apm, o.aqm);
        }
        tb_strv_free(names);
        return hit;
}

/* The matrix parent may inject an errno into assign_* writes (setting
 * params-errno, or ap-assign-errno): it, negative, or 0. */
static int assign_fault(const struct testbed *tb) {
        _cleanup_(sim_state_freep) struct sim_state *st = NULL;
        if (sim_state_load(tb, &st) < 0)
                return -EIO;
        const struct sim_mdev_parent *p = sim_state_find_parent(st, SIM_AP_MATRIX);
        return p ? -p->params_errno : 0;
}

static int assign(const struct shim_write *w, enum ap_map which, bool set) {
        _cleanup_free_ char *dir = matrix_mdev_dir(w);
        if (!dir)
                return SHIM_PASS;
        if (w->len == 0)
                return 0; /* sysfs_kf_write() never calls the store */
        unsigned long id;
        int r = shim_parse_kstrtoul(w, ULONG_MAX, &id);
        if (r < 0)
                return -EINVAL;
        if (id > max_id(w->tb, which))
                return -ENODEV;
        struct sim_ap_matrix m;
        if (sim_ap_matrix_load(w->tb, dir, &m) < 0)
                return -EIO;
        bool *map = map_of(&m, which);
        if (map[id] == set)
                return 0; /* already so: no change */
        int fault = set ? assign_fault(w->tb) : 0;
        if (fault)
                return fault; /* setting ap-assign-errno, without effect */
        map[id] = set;
        if (set && which != AP_CONTROL) {
                /* vfio_ap_mdev_validate_masks() */
                if (owned_by_host(w->tb, m.apm, m.aqm))
                        return -EADDRNOTAVAIL;
                if (shared(w->tb, dir, m.apm, m.aqm))
                        return -EADDRINUSE;
        }
        return sim_ap_matrix_save(w->tb, dir, &m) < 0 ? -EIO : 0;
}

int shim_s390_assign_adapter(const struct shim_write *w) { return assign(w, AP_ADAPTER, true); }
int shim_s390_assign_domain(const struct shim_write *w) { return assign(w, AP_DOMAIN, true); }
int shim_s390_assign_control_domain(const struct shim_write *w) { return assign(w, AP_CONTROL, true); }
int shim_s390_unassign_adapter(const struct shim_write *w) { return assign(w, AP_ADAPTER, false); }
int shim_s390_unassign_domain(const struct shim_write *w) { return assign(w, AP_DOMAIN, false); }
int shim_s390_unassign_control_domain(const struct shim_write *w) { return assign(w, AP_CONTROL, false); }

/* apmask_store()/aqmask_store(): ap_parse_mask_str(), then the commit
 * refuses to give back to the host (set) an adapter or domain whose APQNs
 * (with the other mask's host bits) a matrix mdev holds: EADDRINUSE
 * (__verify_card_reservations(), vfio_ap_mdev_resource_in_use()). The
 * rebinding of queue devices that follows is not modelled. */
static int mask_store(const struct shim_write *w, const char *name, const char *other) {
        char text[1024];
        bool cur[SIM_AP_IDS], next[SIM_AP_IDS], oth[SIM_AP_IDS], added[SIM_AP_IDS];
        if (w->len == 0)
                return 0;
        if (w->len >= sizeof(text) || memchr(w->buf, 0, w->len))
                return -EINVAL;
        memcpy(text, w->buf, w->len);
        text[w->len] = 0;
        if (sim_ap_mask_load(w->tb, name, cur) < 0 || sim_ap_mask_load(w->tb, other, oth) < 0)
                return -EIO;
        memcpy(next, cur, sizeof(cur));
        if (sim_ap_mask_edit(next, text) < 0)
                return -EINVAL;
        for (unsigned i = 0; i < SIM_AP_IDS; i++)
                added[i] = next[i] && !cur[i];
        /* nothing added overlaps nothing: shared() is false then */
        if (streq(name, "apmask") ? shared(w->tb, "", added, oth) : shared(w->tb, "", oth, added))
                return -EADDRINUSE;
        return sim_ap_mask_save(w->tb, name, next) < 0 ? -EIO : 0;
}

int shim_s390_apmask(const struct shim_write *w) {
        return streq(w->path, SIM_AP_BUS "/apmask") ? mask_store(w, "apmask", "aqmask") : SHIM_PASS;
}

int shim_s390_aqmask(const struct shim_write *w) {
        return streq(w->path, SIM_AP_BUS "/aqmask") ? mask_store(w, "aqmask", "apmask") : SHIM_PASS;
}
