/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* .sim/vendor: SR-IOV PFs, NVIDIA vGPU cards and the VFs' vGPU types. */
#include <ctype.h>

#include "sim-util.h"
#include "vendor.h"

#define VENDOR_FILE "/.sim/vendor"

static void pf_done(struct sim_pf *pf) {
        free(pf->name);
        free(pf->vf_driver);
        for (size_t i = 0; i < pf->n_types; i++)
                free(pf->types[i].name);
        free(pf->types);
}

struct sim_vendor *sim_vendor_free(struct sim_vendor *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n_pfs; i++)
                pf_done(&v->pfs[i]);
        free(v->pfs);
        for (size_t i = 0; i < v->n_vgpus; i++)
                free(v->vgpus[i].vf);
        free(v->vgpus);
        free(v);
        return NULL;
}

struct sim_pf *sim_vendor_find_pf(const struct sim_vendor *v, const char *name) {
        for (size_t i = 0; i < v->n_pfs; i++)
                if (streq(v->pfs[i].name, name))
                        return &v->pfs[i];
        return NULL;
}

int sim_vendor_add_pf(struct sim_vendor *v, const char *name, struct sim_pf **ret) {
        if (sim_vendor_find_pf(v, name))
                return -EEXIST;
        struct sim_pf *n = realloc(v->pfs, (v->n_pfs + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        v->pfs = n;
        struct sim_pf *pf = &v->pfs[v->n_pfs];
        *pf = (struct sim_pf){ .name = strdup(name), .sriov_configure = SIM_AUTO };
        if (!pf->name)
                return -ENOMEM;
        v->n_pfs++;
        if (ret)
                *ret = pf;
        return 0;
}

const struct sim_vgpu_type *sim_pf_find_vgpu_type(const struct sim_pf *pf, unsigned id) {
        for (size_t i = 0; i < pf->n_types; i++)
                if (pf->types[i].id == id)
                        return &pf->types[i];
        return NULL;
}

int sim_pf_add_vgpu_type(struct sim_pf *pf, unsigned id, unsigned max, const char *name) {
        if (id == 0 || !*name || strchr(name, '\n'))
                return -EINVAL;
        if (sim_pf_find_vgpu_type(pf, id))
                return -EEXIST;
        struct sim_vgpu_type *n = realloc(pf->types, (pf->n_types + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        pf->types = n;
        n[pf->n_types] = (struct sim_vgpu_type){ .id = id, .max = max, .name = strdup(name) };
        if (!n[pf->n_types].name)
                return -ENOMEM;
        pf->n_types++;
        return 0;
}

/* "NVIDIA L40S-48Q" -> 48; "NVIDIA H200X-141C" -> 141; 0 if none. */
static unsigned name_framebuffer(const char *name) {
        const char *dash = strrchr(name, '-');
        if (!dash || !isdigit((unsigned char)dash[1]))
                return 0;
        unsigned long n = strtoul(dash + 1, NULL, 10);
        return n > 0 && n < 100000 ? (unsigned)n : 0;
}

void sim_pf_infer_vgpu_max(struct sim_pf *pf) {
        unsigned card = 0;
        for (size_t i = 0; i < pf->n_types; i++) {
                unsigned fb = name_framebuffer(pf->types[i].name);
                if (fb > card)
                        card = fb;
        }
        for (size_t i = 0; i < pf->n_types; i++) {
                if (pf->types[i].max > 0)
                        continue;
                unsigned fb = name_framebuffer(pf->types[i].name);
                pf->types[i].max = fb > 0 ? card / fb : 1;
                if (pf->types[i].max == 0)
                        pf->types[i].max = 1;
        }
}

unsigned sim_vendor_vgpu(const struct sim_vendor *v, const char *vf) {
        for (size_t i = 0; i < v->n_vgpus; i++)
                if (streq(v->vgpus[i].vf, vf))
                        return v->vgpus[i].type;
        return 0;
}

int sim_vendor_set_vgpu(struct sim_vendor *v, const char *vf, unsigned type) {
        for (size_t i = 0; i < v->n_vgpus; i++) {
                if (!streq(v->vgpus[i].vf, vf))
                        continue;
                if (type > 0) {
                        v->vgpus[i].type = type;
                        return 0;
                }
                free(v->vgpus[i].vf);
                memmove(&v->vgpus[i], &v->vgpus[i + 1], (v->n_vgpus - i - 1) * sizeof(v->vgpus[0]));
                v->n_vgpus--;
                return 0;
        }
        if (type == 0)
                return 0;
        struct sim_vgpu *n = realloc(v->vgpus, (v->n_vgpus + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        v->vgpus = n;
        n[v->n_vgpus] = (struct sim_vgpu){ .vf = strdup(vf), .type = type };
        if (!n[v->n_vgpus].vf)
                return -ENOMEM;
        v->n_vgpus++;
        return 0;
}

static const char *const vgpu_keys[] = { "vgpu-mode",       "release-busy",     "vgpu-max",
                                         "vgpu-set-errno",  "vgpu-clear-errno", "vgpu-clear-effect" };
static const char *const pf_keys[] = { "sriov-configure", "vf-driver" };

bool sim_vendor_vgpu_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(vgpu_keys); i++)
                if (streq(vgpu_keys[i], key))
                        return true;
        return false;
}

bool sim_vendor_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(pf_keys); i++)
                if (streq(pf_keys[i], key))
                        return true;
        return sim_vendor_vgpu_key(key);
}

/* "1147:48,1148:24" */
static int set_vgpu_max(struct sim_pf *pf, const char *value) {
        _cleanup_free_ char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(item, ':');
                unsigned id, max;
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                if (sim_safe_atou(item, &id) < 0 || sim_safe_atou(colon + 1, &max) < 0 || max == 0)
                        return -EINVAL;
                for (size_t i = 0; i < pf->n_types; i++)
                        if (pf->types[i].id == id)
                                pf->types[i].max = max;
                if (!sim_pf_find_vgpu_type(pf, id))
                        return -ENOENT;
        }
        return 0;
}

int sim_pf_set(struct sim_pf *pf, const char *key, const char *value) {
        if (streq(key, "sriov-configure")) {
                if (streq(value, "auto"))
                        pf->sriov_configure = SIM_AUTO;
                else if (streq(value, "yes"))
                        pf->sriov_configure = SIM_YES;
                else if (streq(value, "no"))
                        pf->sriov_configure = SIM_NO;
                else
                        return -EINVAL;
                return 0;
        }
        if (streq(key, "vf-driver")) {
                if (!sim_driver_name_ok(value))
                        return -EINVAL;
                char *d = streq(value, "auto") ? NULL : strdup(value);
                if (!streq(value, "auto") && !d)
                        return -ENOMEM;
                free(pf->vf_driver);
                pf->vf_driver = d;
                return 0;
        }
        if (streq(key, "vgpu-mode")) {
                if (streq(value, "equal-size"))
                        pf->mixed = false;
                else if (streq(value, "mixed-size"))
                        pf->mixed = true;
                else
                        return -EINVAL;
                return 0;
        }
        if (streq(key, "release-busy"))
                return sim_safe_atou(value, &pf->release_busy);
        if (streq(key, "vgpu-set-errno") || streq(key, "vgpu-clear-errno")) {
                int e = streq(value, "none") ? 0 : sim_errno_from_name(value);
                if (e < 0)
                        return e;
                *(streq(key, "vgpu-set-errno") ? &pf->set_errno : &pf->clear_errno) = e;
                return 0;
        }
        if (streq(key, "vgpu-clear-effect")) {
                if (!streq(value, "yes") && !streq(value, "no"))
                        return -EINVAL;
                pf->clear_effect = streq(value, "yes");
                return 0;
        }
        if (streq(key, "vgpu-max"))
                return set_vgpu_max(pf, value);
        return -EINVAL;
}

int sim_vendor_save(const struct testbed *tb, const struct sim_vendor *v) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# gpuhook-sim vendor state v1: SR-IOV PFs, vGPU cards and types, VFs' vGPU types\n", f);
        for (size_t i = 0; i < v->n_pfs; i++) {
                const struct sim_pf *pf = &v->pfs[i];
                fprintf(f, "pf %s sriov-configure=%s vf-driver=%s vgpu-mode=%s release-busy=%u", pf->name,
                        pf->sriov_configure == SIM_AUTO ? "auto" : pf->sriov_configure ? "yes" : "no",
                        pf->vf_driver ? pf->vf_driver : "auto", pf->mixed ? "mixed-size" : "equal-size",
                        pf->release_busy);
                if (pf->set_errno)
                        fprintf(f, " vgpu-set-errno=%s", sim_errno_name(pf->set_errno));
                if (pf->clear_errno)
                        fprintf(f, " vgpu-clear-errno=%s vgpu-clear-effect=%s", sim_errno_name(pf->clear_errno),
                                pf->clear_effect ? "yes" : "no");
                fputc('\n', f);
                for (size_t j = 0; j < pf->n_types; j++)
                        fprintf(f, "vgpu-type %s %u %u %s\n", pf->name, pf->types[j].id, pf->types[j].max,
                                pf->types[j].name);
        }
        for (size_t i = 0; i < v->n_vgpus; i++)
                fprintf(f, "vgpu %s %u\n", v->vgpus[i].vf, v->vgpus[i].type);
        if (fclose(f) != 0)
                return -ENOMEM;
        return tb_write_file(tb, VENDOR_FILE, buf, 0644);
}

static int parse_line(struct sim_vendor *v, char *line) {
        char *save = NULL;
        const char *kind = strtok_r(line, " ", &save);
        const char *a = strtok_r(NULL, " ", &save);
        if (!kind || !a)
                return -EBADMSG;
        if (streq(kind, "pf")) {
                struct sim_pf *pf;
                int r = sim_vendor_add_pf(v, a, &pf);
                for (char *k, *val; r >= 0 && (r = sim_next_setting(&save, &k, &val)) > 0;)
                        r = streq(k, "vgpu-max") ? -EBADMSG : sim_pf_set(pf, k, val);
                return r;
        }
        if (streq(kind, "vgpu-type")) {
                const char *id = strtok_r(NULL, " ", &save);
                const char *max = strtok_r(NULL, " ", &save);
                const char *name = save;
                struct sim_pf *pf = sim_vendor_find_pf(v, a);
                unsigned i, m;
                if (!pf || !id || !max || !name || sim_safe_atou(id, &i) < 0 || sim_safe_atou(max, &m) < 0)
                        return -EBADMSG;
                return sim_pf_add_vgpu_type(pf, i, m, name);
        }
        if (streq(kind, "vgpu")) {
                const char *type = strtok_r(NULL, " ", &save);
                unsigned t;
                if (!type || sim_safe_atou(type, &t) < 0)
                        return -EBADMSG;
                return sim_vendor_set_vgpu(v, a, t);
        }
        return -EBADMSG;
}

int sim_vendor_load(const struct testbed *tb, struct sim_vendor **ret) {
        _cleanup_free_ char *text = NULL;
        int r = tb_read_file(tb, VENDOR_FILE, &text);
        if (r < 0 && r != -ENOENT)
                return r;
        struct sim_vendor *v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        r = 0;
        char *save = NULL;
        for (char *line = text ? strtok_r(text, "\n", &save) : NULL; r >= 0 && line;
             line = strtok_r(NULL, "\n", &save))
                if (line[0] != '#' && line[0] != '\0')
                        r = parse_line(v, line);
        if (r < 0) {
                sim_vendor_free(v);
                return r == -ENOMEM ? r : -EBADMSG;
        }
        *ret = v;
        return 0;
}
