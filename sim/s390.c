/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IBM Z: the AP bus masks and vfio_ap matrix files (see s390.h). */
#include <stdlib.h>

#include "complete.h"
#include "mdev.h"
#include "s390.h"
#include "sim-util.h"
#include "state.h"

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* hex2bitmap(): optional 0x, then digits from bit 0 on; one trailing "\n". */
static int hex2bitmap(const char *s, bool map[SIM_AP_IDS]) {
        bool tmp[SIM_AP_IDS] = { false };
        unsigned i = 0;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        for (; hexval(*s) >= 0 && i < SIM_AP_IDS; s++, i += 4)
                for (unsigned n = 0; n < 4; n++)
                        tmp[i + n] = hexval(*s) & (8 >> n);
        if (*s == '\n')
                s++;
        if (*s)
                return -EINVAL;
        memcpy(map, tmp, sizeof(tmp));
        return 0;
}

/* modify_bitmap(): "+a[-z]" sets, "-a[-z]" clears, ',' or '\n' between;
 * numbers as simple_strtoul(s, &end, 0). */
static int modify_bitmap(const char *s, bool map[SIM_AP_IDS]) {
        bool tmp[SIM_AP_IDS];
        memcpy(tmp, map, sizeof(tmp));
        while (*s) {
                char sign = *s++, *end;
                if (sign != '+' && sign != '-')
                        return -EINVAL;
                unsigned long a = strtoul(s, &end, 0), z = a;
                if (end == s || a >= SIM_AP_IDS)
                        return -EINVAL;
                s = end;
                if (*s == '-') {
                        z = strtoul(++s, &end, 0);
                        if (end == s || a > z || z >= SIM_AP_IDS)
                                return -EINVAL;
                        s = end;
                }
                for (unsigned long i = a; i <= z; i++)
                        tmp[i] = sign == '+';
                while (*s == ',' || *s == '\n')
                        s++;
        }
        memcpy(map, tmp, sizeof(tmp));
        return 0;
}

int sim_ap_mask_edit(bool map[SIM_AP_IDS], const char *text) {
        return text[0] == '+' || text[0] == '-' ? modify_bitmap(text, map) : hex2bitmap(text, map);
}

void sim_ap_mask_format(const bool map[SIM_AP_IDS], char buf[67]) {
        static const char digits[] = "0123456789abcdef";
        buf[0] = '0';
        buf[1] = 'x';
        for (unsigned i = 0; i < SIM_AP_IDS / 4; i++)
                buf[2 + i] = digits[map[4 * i] << 3 | map[4 * i + 1] << 2 | map[4 * i + 2] << 1 | map[4 * i + 3]];
        buf[66] = 0;
}

static char *bus_file(const char *name) { return sim_strdup_printf("%s/%s", SIM_AP_BUS, name); }

int sim_ap_mask_load(const struct testbed *tb, const char *name, bool map[SIM_AP_IDS]) {
        _cleanup_free_ char *path = bus_file(name), *text = NULL;
        if (!path)
                return -ENOMEM;
        int r = tb_read_file(tb, path, &text);
        if (r < 0)
                return r;
        return hex2bitmap(text, map);
}

int sim_ap_mask_save(const struct testbed *tb, const char *name, const bool map[SIM_AP_IDS]) {
        _cleanup_free_ char *path = bus_file(name);
        char buf[68];
        if (!path)
                return -ENOMEM;
        sim_ap_mask_format(map, buf);
        strcat(buf, "\n");
        return tb_write_file(tb, path, buf, 0644);
}

static int parse_hex(const char *s, size_t len, size_t max, unsigned *ret) {
        unsigned v = 0;
        if (len == 0 || len > max)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (hexval(s[i]) < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned)hexval(s[i]);
        }
        if (v >= SIM_AP_IDS)
                return -EINVAL;
        *ret = v;
        return 0;
}

int sim_ap_matrix_load(const struct testbed *tb, const char *dir, struct sim_ap_matrix *ret) {
        _cleanup_free_ char *mf = tb_join(dir, "matrix"), *cf = tb_join(dir, "control_domains");
        _cleanup_free_ char *mt = NULL, *ct = NULL;
        if (!mf || !cf)
                return -ENOMEM;
        int r = tb_read_file(tb, mf, &mt);
        if (r >= 0)
                r = tb_read_file(tb, cf, &ct);
        if (r < 0)
                return r;
        *ret = (struct sim_ap_matrix){ 0 };
        /* vfio_ap_mdev_matrix_show(): "aa.dddd", or "aa." / ".dddd" when
         * only adapters / only domains are assigned */
        for (char *save = NULL, *l = strtok_r(mt, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *dot = strchr(l, '.');
                unsigned id;
                if (!dot)
                        return -EINVAL;
                if (dot > l) {
                        if (parse_hex(l, (size_t)(dot - l), 2, &id) < 0)
                                return -EINVAL;
                        ret->apm[id] = true;
                }
                if (dot[1]) {
                        if (parse_hex(dot + 1, strlen(dot + 1), 4, &id) < 0)
                                return -EINVAL;
                        ret->aqm[id] = true;
                }
        }
        for (char *save = NULL, *l = strtok_r(ct, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned id;
                if (parse_hex(l, strlen(l), 4, &id) < 0)
                        return -EINVAL;
                ret->adm[id] = true;
        }
        return 0;
}

static bool any(const bool map[SIM_AP_IDS]) {
        for (unsigned i = 0; i < SIM_AP_IDS; i++)
                if (map[i])
                        return true;
        return false;
}

int sim_ap_matrix_save(const struct testbed *tb, const char *dir, const struct sim_ap_matrix *m) {
        /* at most 256 x 256 lines of 8 bytes */
        size_t size = (size_t)SIM_AP_IDS * SIM_AP_IDS * 8 + 1, n = 0;
        _cleanup_free_ char *mt = malloc(size), *ct = malloc(SIM_AP_IDS * 5 + 1);
        _cleanup_free_ char *mf = tb_join(dir, "matrix"), *cf = tb_join(dir, "control_domains");
        if (!mt || !ct || !mf || !cf)
                return -ENOMEM;
        bool a = any(m->apm), d = any(m->aqm);
        *mt = 0;
        for (unsigned i = 0; i < SIM_AP_IDS; i++) {
                if (a && d && m->apm[i])
                        for (unsigned j = 0; j < SIM_AP_IDS; j++)
                                if (m->aqm[j])
                                        n += (size_t)snprintf(mt + n, size - n, "%02x.%04x\n", i, j);
                if (a && !d && m->apm[i])
                        n += (size_t)snprintf(mt + n, size - n, "%02x.\n", i);
                if (!a && d && m->aqm[i])
                        n += (size_t)snprintf(mt + n, size - n, ".%04x\n", i);
        }
        n = 0;
        *ct = 0;
        for (unsigned i = 0; i < SIM_AP_IDS; i++)
                if (m->adm[i])
                        n += (size_t)snprintf(ct + n, SIM_AP_IDS * 5 + 1 - n, "%04x\n", i);
        int r = tb_write_file(tb, mf, mt, 0444);
        return r < 0 ? r : tb_write_file(tb, cf, ct, 0444);
}

int sim_s390_ap_mdev_created(const struct testbed *tb, const char *dir) {
        /* vfio_ap_mdev_attrs[] (Linux 6.1); guest_matrix is not modelled */
        static const char *const wo[] = {
                "assign_adapter", "unassign_adapter", "assign_domain",
                "unassign_domain", "assign_control_domain", "unassign_control_domain",
        };
        int r = 0;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(wo); i++) {
                _cleanup_free_ char *f = tb_join(dir, wo[i]);
                r = f ? tb_touch(tb, f, 0200) : -ENOMEM;
        }
        return r < 0 ? r : sim_ap_matrix_save(tb, dir, &(struct sim_ap_matrix){ 0 });
}

bool sim_s390_key(const char *key) {
        return streq(key, "ap-apmask") || streq(key, "ap-aqmask") || streq(key, "ap-max-adapter") ||
               streq(key, "ap-max-domain") || streq(key, "ap-assign-errno");
}

void sim_ap_settings_init(struct sim_ap_settings *a) {
        /* ap_perms_init(): every adapter and domain is the host's until the
         * masks (or the ap.apmask=/ap.aqmask= kernel parameters) say otherwise */
        *a = (struct sim_ap_settings){ .max_adapter = SIM_AP_IDS - 1, .max_domain = SIM_AP_IDS - 1 };
        memset(a->apm, 1, sizeof(a->apm));
        memset(a->aqm, 1, sizeof(a->aqm));
}

int sim_s390_set(struct sim_ap_settings *a, struct sim_state *st, const char *key, const char *value) {
        a->seen = true;
        if (streq(key, "ap-apmask"))
                return sim_ap_mask_edit(a->apm, value);
        if (streq(key, "ap-aqmask"))
                return sim_ap_mask_edit(a->aqm, value);
        if (streq(key, "ap-max-adapter"))
                return sim_safe_atou(value, &a->max_adapter) < 0 || a->max_adapter >= SIM_AP_IDS ? -EINVAL : 0;
        if (streq(key, "ap-max-domain"))
                return sim_safe_atou(value, &a->max_domain) < 0 || a->max_domain >= SIM_AP_IDS ? -EINVAL : 0;
        if (!streq(key, "ap-assign-errno"))
                return -EINVAL;
        /* the matrix parent's params-errno; checked even without that parent */
        if (!streq(value, "none") && sim_errno_from_name(value) < 0)
                return -EINVAL;
        struct sim_mdev_parent *p = sim_state_find_parent(st, SIM_AP_MATRIX);
        return p ? sim_parent_set(p, "params-errno", value) : 0;
}

int sim_s390_complete(const struct testbed *tb, const struct sim_ap_settings *a, char **ret_msg) {
        if (!tb_exists(tb, SIM_AP_MATRIX) && !tb_exists(tb, "/sys/devices/ap")) {
                if (a->seen)
                        return FAIL(-EINVAL, "the ap-* settings need an AP bus (/devices/vfio_ap/matrix or /devices/ap)");
                return 0;
        }
        char num[16];
        int r = tb_mkdir_p(tb, SIM_AP_BUS, 0755);
        if (r >= 0)
                r = sim_ap_mask_save(tb, "apmask", a->apm);
        if (r >= 0)
                r = sim_ap_mask_save(tb, "aqmask", a->aqm);
        snprintf(num, sizeof(num), "%u\n", a->max_adapter);
        if (r >= 0)
                r = tb_write_file(tb, SIM_AP_BUS "/ap_max_adapter_id", num, 0444);
        snprintf(num, sizeof(num), "%u\n", a->max_domain);
        if (r >= 0)
                r = tb_write_file(tb, SIM_AP_BUS "/ap_max_domain_id", num, 0444);
        if (r < 0)
                return FAIL(r, "cannot create the AP bus files in %s: %s", SIM_AP_BUS, strerror(-r));
        return 0;
}

/* vfio_ccw_sch_probe() registers the subchannel as an mdev parent
 * (vfio_ccw_mdev_reg(), mdev_register_parent()): one type, vfio_ccw-io, with
 * one instance per subchannel (vfio_ccw_ops.c, private->avail). */
#define CCW_TYPE "vfio_ccw-io"

int sim_s390_ccw_bound(const struct testbed *tb, struct sim_state *st, const char *dev) {
        static const struct sim_mdev_type type = { .id = (char *)CCW_TYPE, .capacity = 1 };
        static const struct {
                const char *file, *text;
        } files[] = {
                { "name", "I/O subchannel (Non-QDIO)\n" },
                { "device_api", "vfio-ccw\n" },
                { "available_instances", "1\n" },
        };
        int r = sim_mdev_register_parent(tb, st, dev, "vfio_ccw", &type, 1, NULL);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *f =
                        sim_strdup_printf("%s/mdev_supported_types/" CCW_TYPE "/%s", dev, files[i].file);
                r = f ? tb_write_file(tb, f, files[i].text, 0444) : -ENOMEM;
        }
        return r;
}

/* vfio_ccw_sch_remove(): mdev_unregister_parent() removes its mdevs and
 * types. The .sim/state entry stays (a parent without types dir creates
 * nothing). */
int sim_s390_ccw_unbound(const struct testbed *tb, const struct sim_state *st, const char *dev) {
        int r = 0;
        const struct sim_mdev_parent *p = sim_state_find_parent(st, tb_basename(dev));
        char **names = NULL;
        if (p && tb_list_dir(tb, dev, &names, NULL) >= 0) {
                for (char **n = names; r >= 0 && *n; n++) {
                        _cleanup_free_ char *m = tb_join(dev, *n);
                        if (m && sim_uuid_valid(*n, strlen(*n)))
                                r = sim_mdev_remove(tb, p, m);
                }
                tb_strv_free(names);
        }
        _cleanup_free_ char *types = tb_join(dev, "mdev_supported_types");
        _cleanup_free_ char *cls = sim_strdup_printf("/sys/class/mdev_bus/%s", tb_basename(dev));
        if (r >= 0)
                r = types && cls ? tb_rm_rf(tb, types) : -ENOMEM;
        return r < 0 ? r : tb_unlink(tb, cls);
}
