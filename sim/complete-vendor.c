/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Completion of vendor devices (see sim/README.md, "Completion rules"):
 * SR-IOV PFs, NVIDIA vGPU cards (types from the VFs' recorded
 * nvidia/creatable_vgpu_types), mdev parents that are VFs (their card), the
 * vendor settings, and the driver files a recording lacks. */
#include "complete.h"
#include "driver.h"
#include "hostfile.h"
#include "sim-util.h"
#include "state.h"
#include "vendor.h"

static void strv_freep(char ***v) { tb_strv_free(*v); }

/* "ID    : vGPU Name\n1155  : NVIDIA L40S-1Q\n..." */
static int parse_creatable(struct sim_pf *pf, char *text) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                char *id = line + strspn(line, " \t"), *name = colon + 1 + strspn(colon + 1, " \t");
                id[strcspn(id, " \t")] = '\0';
                unsigned u;
                if (streq(id, "ID"))
                        continue; /* the header */
                if (sim_safe_atou(id, &u) < 0 || u == 0 || !*name)
                        return -EINVAL;
                int r = sim_pf_add_vgpu_type(pf, u, 0, name);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

/* Copy the readable files of DEV's mdev types to .sim/vf-template/<pf>/. */
static int save_template(const struct testbed *tb, const char *from_types, const char *pf) {
        static const char *const files[] = { "name", "description", "device_api", "available_instances" };
        _cleanup_free_ char *to_types = sim_strdup_printf("/.sim/vf-template/%s/mdev_supported_types", pf);
        _cleanup_(strv_freep) char **types = NULL;
        if (!to_types)
                return -ENOMEM;
        int r = tb_list_dir(tb, from_types, &types, NULL);
        for (char **t = types; r >= 0 && *t; t++) {
                _cleanup_free_ char *src = tb_join(from_types, *t), *dst = tb_join(to_types, *t);
                if (!src || !dst)
                        return -ENOMEM;
                if ((r = tb_mkdir_p(tb, dst, 0755)) < 0)
                        break;
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(files); i++) {
                        _cleanup_free_ char *a = tb_join(src, files[i]), *b = tb_join(dst, files[i]), *text = NULL;
                        _cleanup_free_ char *line = NULL;
                        if (!a || !b)
                                return -ENOMEM;
                        if (tb_read_file(tb, a, &text) < 0)
                                continue;
                        line = sim_strdup_printf("%s\n", text);
                        r = line ? tb_write_file(tb, b, line, 0644) : -ENOMEM;
                }
        }
        return r;
}

/* An mdev parent that is a VF: its card, and each type's max_instance per
 * card from the NVIDIA description ("..., max_instance=10"). */
static int complete_vf_parent(const struct testbed *tb, struct sim_mdev_parent *p, const char *pf) {
        int r = 0;
        if (!p->card)
                r = sim_parent_set(p, "card", pf);
        for (size_t i = 0; r >= 0 && i < p->n_types; i++) {
                _cleanup_free_ char *file = sim_strdup_printf("%s/mdev_supported_types/%s/description", p->path,
                                                              p->types[i].id);
                _cleanup_free_ char *text = NULL;
                if (!file)
                        return -ENOMEM;
                if (tb_read_file(tb, file, &text) < 0)
                        continue;
                const char *mi = strstr(text, "max_instance=");
                if (mi)
                        p->types[i].card_capacity = (unsigned)strtoul(mi + strlen("max_instance="), NULL, 10);
        }
        return r;
}

static int discover(const struct testbed *tb, struct sim_state *st, struct sim_vendor *v, char **ret_msg) {
        _cleanup_(strv_freep) char **names = NULL;
        int r = tb_list_dir(tb, "/sys/bus/pci/devices", &names, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return FAIL(r, "cannot read /sys/bus/pci/devices: %s", strerror(-r));
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *dev = NULL, *total = NULL;
                if (sim_pci_path(tb, *n, &dev) < 0 || !(total = tb_join(dev, "sriov_totalvfs")))
                        continue;
                if (!tb_exists(tb, total))
                        continue;
                struct sim_pf *pf;
                if ((r = sim_vendor_add_pf(v, *n, &pf)) < 0)
                        return r;
                _cleanup_(strv_freep) char **vfs = NULL;
                size_t nvfs = 0;
                unsigned recorded;
                _cleanup_free_ char *numvfs = tb_join(dev, "sriov_numvfs");
                if ((r = sim_sriov_vfs(tb, dev, &vfs, &nvfs)) < 0)
                        return FAIL(r, "%s: cannot resolve its virtfn links: %s", dev, strerror(-r));
                if (!numvfs)
                        return -ENOMEM;
                if (tb_exists(tb, numvfs) && (tb_read_uint(tb, numvfs, &recorded) < 0 || recorded != nvfs))
                        return FAIL(-EINVAL, "%s: sriov_numvfs does not match its %zu virtfn links", dev, nvfs);
                bool template = false;
                for (char **vf = vfs; *vf; vf++) {
                        _cleanup_free_ char *cre = sim_strdup_printf("%s/nvidia/creatable_vgpu_types", *vf);
                        _cleanup_free_ char *cur = sim_strdup_printf("%s/nvidia/current_vgpu_type", *vf);
                        _cleanup_free_ char *types = tb_join(*vf, "mdev_supported_types");
                        _cleanup_free_ char *text = NULL, *physfn = sim_sriov_physfn(tb, *vf);
                        unsigned t;
                        if (!cre || !cur || !types)
                                return -ENOMEM;
                        if (!physfn || !streq(physfn, *n))
                                return FAIL(-EINVAL, "%s: VF %s has no physfn link back", dev, *vf);
                        if (tb_read_file(tb, cre, &text) >= 0 && (r = parse_creatable(pf, text)) < 0)
                                return FAIL(r, "%s: cannot parse it: %s", cre, strerror(-r));
                        if (tb_exists(tb, cur) && tb_read_uint(tb, cur, &t) < 0)
                                return FAIL(-EINVAL, "%s is not a number", cur);
                        if (tb_exists(tb, cur) && t > 0 && (r = sim_vendor_set_vgpu(v, tb_basename(*vf), t)) < 0)
                                return r;
                        struct sim_mdev_parent *p = sim_state_find_parent(st, tb_basename(*vf));
                        if (p && (r = complete_vf_parent(tb, p, *n)) < 0)
                                return r;
                        if (p && !template) {
                                if ((r = save_template(tb, types, *n)) < 0)
                                        return FAIL(r, "cannot save the mdev types of %s: %s", *vf, strerror(-r));
                                template = true;
                        }
                }
        }
        return 0;
}

/* Cards without recorded types get those of a card with the same ids (the
 * driver knows types by chip); likewise the mdev types of future VFs. */
static int share_by_device_id(const struct testbed *tb, struct sim_vendor *v) {
        for (size_t i = 0; i < v->n_pfs; i++) {
                struct sim_pf *pf = &v->pfs[i];
                _cleanup_free_ char *dev = NULL;
                unsigned vendor, device;
                if (sim_pci_path(tb, pf->name, &dev) < 0 || sim_pci_read_hex(tb, dev, "vendor", &vendor) < 0 ||
                    sim_pci_read_hex(tb, dev, "device", &device) < 0)
                        continue;
                _cleanup_free_ char *tmpl = sim_strdup_printf("/.sim/vf-template/%s", pf->name);
                bool no_types = pf->n_types == 0;
                if (!tmpl)
                        return -ENOMEM;
                for (size_t j = 0; j < v->n_pfs; j++) {
                        struct sim_pf *o = &v->pfs[j];
                        _cleanup_free_ char *odev = NULL, *otmpl = NULL;
                        unsigned ov, od;
                        if (o == pf || sim_pci_path(tb, o->name, &odev) < 0 ||
                            sim_pci_read_hex(tb, odev, "vendor", &ov) < 0 ||
                            sim_pci_read_hex(tb, odev, "device", &od) < 0 || ov != vendor || od != device)
                                continue;
                        for (size_t k = 0; no_types && k < o->n_types; k++) {
                                int r = sim_pf_add_vgpu_type(pf, o->types[k].id, o->types[k].max, o->types[k].name);
                                if (r < 0)
                                        return r;
                        }
                        no_types = no_types && o->n_types == 0;
                        otmpl = sim_strdup_printf("/.sim/vf-template/%s/mdev_supported_types", o->name);
                        if (!otmpl)
                                return -ENOMEM;
                        if (!tb_exists(tb, tmpl) && tb_is_dir(tb, otmpl)) {
                                int r = save_template(tb, otmpl, pf->name);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static int apply_settings(const struct testbed *tb, struct sim_vendor *v, const struct sim_setting *settings,
                          size_t n, char **ret_msg) {
        for (size_t i = 0; i < n; i++) {
                const struct sim_setting *s = &settings[i];
                if (!sim_vendor_key(s->key))
                        continue;
                bool all = streq(s->parent, "*"), vgpu = sim_vendor_vgpu_key(s->key), found = false;
                _cleanup_free_ char *sys = startswith(s->parent, "/devices/") ? sim_strdup_printf("/sys%s", s->parent)
                                                                               : strdup(s->parent);
                if (!sys)
                        return -ENOMEM;
                for (size_t j = 0; j < v->n_pfs; j++) {
                        struct sim_pf *pf = &v->pfs[j];
                        _cleanup_free_ char *dev = NULL;
                        (void)sim_pci_path(tb, pf->name, &dev);
                        if (!all && !streq(pf->name, sys) && !(dev && streq(dev, sys)))
                                continue;
                        found = true;
                        if (vgpu && pf->n_types == 0) {
                                if (all)
                                        continue;
                                return FAIL(-EINVAL,
                                            "line %u: %s is not an NVIDIA vGPU card (no VF lists "
                                            "nvidia/creatable_vgpu_types)",
                                            s->line, s->parent);
                        }
                        int r = sim_pf_set(pf, s->key, s->value);
                        if (r < 0)
                                return FAIL(r, "line %u: invalid setting %s=%s", s->line, s->key, s->value);
                }
                if (!all && !found)
                        return FAIL(-ENOENT, "line %u: no SR-IOV PF '%s' in the host (it needs sriov_totalvfs)",
                                    s->line, s->parent);
        }
        return 0;
}

/* vGPU cards: the VFs on nvidia get their driver files; recorded types must
 * be known; every list is rewritten from the model. */
static int complete_cards(const struct testbed *tb, struct sim_vendor *v, char **ret_msg) {
        for (size_t i = 0; i < v->n_pfs; i++) {
                struct sim_pf *pf = &v->pfs[i];
                _cleanup_free_ char *dev = NULL;
                _cleanup_(strv_freep) char **vfs = NULL;
                int r = sim_pci_path(tb, pf->name, &dev);
                if (r >= 0)
                        r = sim_sriov_vfs(tb, dev, &vfs, NULL);
                if (r < 0)
                        return r;
                sim_pf_infer_vgpu_max(pf);
                for (char **vf = vfs; *vf; vf++) {
                        unsigned t = sim_vendor_vgpu(v, tb_basename(*vf));
                        if (t && !sim_pf_find_vgpu_type(pf, t))
                                return FAIL(-EINVAL, "%s: current_vgpu_type %u is not a type of its card", *vf, t);
                        _cleanup_free_ char *drv = sim_pci_driver(tb, *vf);
                        if (pf->n_types > 0 && drv && streq(drv, "nvidia") && (r = sim_vgpu_setup_vf(tb, *vf)) < 0)
                                return FAIL(r, "cannot add the nvidia files of %s: %s", *vf, strerror(-r));
                }
                if (pf->n_types > 0 && (r = sim_vgpu_refresh(tb, v, pf, dev)) < 0)
                        return FAIL(r, "cannot write the vGPU types of %s: %s", pf->name, strerror(-r));
                if ((r = sim_sriov_sync_numvfs(tb, dev)) < 0)
                        return FAIL(r, "cannot write %s/sriov_numvfs: %s", dev, strerror(-r));
        }
        return 0;
}

/* The stand-in for NVIDIA's /usr/lib/nvidia/sriov-manage, in DIR/.sim/bin
 * (first in PATH). */
static const char sriov_manage_script[] =
        "#!/bin/sh\n"
        "# gpuhook-sim's stand-in for NVIDIA's /usr/lib/nvidia/sriov-manage (see\n"
        "# sim/README.md): -e enables all VFs (sriov_totalvfs) of an NVIDIA PF whose VFs\n"
        "# are not enabled yet, -d disables them (0); BDF or ALL (every NVIDIA PF).\n"
        "usage() { echo 'Usage: sriov-manage <-e|-d> <ssss:bb:dd.f|ALL>' >&2; exit 1; }\n"
        "[ $# -eq 2 ] || usage\n"
        "case $1 in -e) op=e ;; -d) op=d ;; *) usage ;; esac\n"
        "if [ \"$2\" = ALL ]; then\n"
        "        pfs=\n"
        "        for d in /sys/bus/pci/devices/*; do\n"
        "                [ -e \"$d/sriov_totalvfs\" ] && [ \"$(cat \"$d/vendor\")\" = 0x10de ] || continue\n"
        "                pfs=\"$pfs ${d##*/}\"\n"
        "        done\n"
        "else\n"
        "        case $2 in\n"
        "        ????:??:??.?) pfs=$2 ;;\n"
        "        ??:??.?) pfs=0000:$2 ;;\n"
        "        *) usage ;;\n"
        "        esac\n"
        "fi\n"
        "rc=0\n"
        "for bdf in $pfs; do\n"
        "        d=/sys/bus/pci/devices/$bdf\n"
        "        if [ ! -e \"$d/sriov_totalvfs\" ]; then\n"
        "                echo \"sriov-manage: $bdf is not an SR-IOV physical function\" >&2\n"
        "                rc=1\n"
        "                continue\n"
        "        fi\n"
        "        n=0\n"
        "        if [ $op = e ]; then\n"
        "                [ \"$(cat \"$d/sriov_numvfs\")\" = 0 ] || continue\n"
        "                n=$(cat \"$d/sriov_totalvfs\")\n"
        "        fi\n"
        "        if ! printf '%s' \"$n\" > \"$d/sriov_numvfs\"; then\n"
        "                echo \"sriov-manage: cannot write $n to $d/sriov_numvfs\" >&2\n"
        "                rc=1\n"
        "        fi\n"
        "done\n"
        "exit $rc\n";

static int write_sriov_manage(const struct testbed *tb, const struct sim_vendor *v) {
        bool nvidia = false;
        for (size_t i = 0; !nvidia && i < v->n_pfs; i++) {
                _cleanup_free_ char *dev = NULL;
                unsigned vendor;
                nvidia = sim_pci_path(tb, v->pfs[i].name, &dev) >= 0 &&
                         sim_pci_read_hex(tb, dev, "vendor", &vendor) >= 0 && vendor == 0x10de;
        }
        if (!nvidia)
                return 0;
        int r = tb_mkdir_p(tb, "/.sim/bin", 0755);
        return r < 0 ? r : tb_write_file(tb, "/.sim/bin/sriov-manage", sriov_manage_script, 0755);
}

int sim_vendor_complete(const struct testbed *tb, struct sim_state *st, const struct sim_setting *settings,
                        size_t n_settings, char **ret_msg) {
        _cleanup_(sim_vendor_freep) struct sim_vendor *v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        int r = discover(tb, st, v, ret_msg);
        if (r >= 0 && (r = share_by_device_id(tb, v)) < 0)
                r = FAIL(r, "cannot share vGPU types between cards: %s", strerror(-r));
        if (r >= 0)
                r = apply_settings(tb, v, settings, n_settings, ret_msg);
        if (r >= 0)
                r = complete_cards(tb, v, ret_msg);
        if (r >= 0 && (r = write_sriov_manage(tb, v)) < 0)
                r = FAIL(r, "cannot write .sim/bin/sriov-manage: %s", strerror(-r));
        if (r >= 0 && (r = sim_vendor_save(tb, v)) < 0)
                r = FAIL(r, "cannot write .sim/vendor: %s", strerror(-r));
        return r;
}
