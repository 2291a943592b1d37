/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gpuhookctl.h"
#include "log.h"
#include "owners.h"
#include "sriov-driver.h"
#include "vf-family.h"
#include "vf-pool.h"

int cli_vf_pool(const struct pci_list *l, struct vf_pool *ret) {
        const struct gpuhook_config *cfg;
        _cleanup_owners_ struct owners *owners = NULL;
        int r = ctl_config(&cfg);
        if (r < 0)
                return r;
        if (owners_open(cfg->state_dir, &owners) < 0) {
                log_failure_clear();
                ctl_warn("cannot read gpuhook's owner record in %s (run as root to see which domain holds a VF)", cfg->state_dir);
        }
        r = l ? vf_pool_load(l, owners, ret) : vf_pool_load_host(owners, ret);
        if (r < 0)
                return log_fail(r, "cannot read the SR-IOV GPUs of this host: %s; is /sys mounted?", strerror(-r));
        return 0;
}

static const char *shown(const char *s) {
        static char buf[100];
        return sanitize_for_message(s, buf, sizeof(buf));
}

int cli_vf_check(const char *family, const char *profile, const char *placement) {
        if (!family || !sriov_driver_of_family(family))
                return log_fail(-EINVAL, "SR-IOV vGPU family '%s' is unknown; use one of: %s (NVIDIA VFs: vgpu-vf with --type)",
                                family ? shown(family) : "(none)", sriov_families());
        if (profile && !vf_profile_valid(profile))
                return log_fail(-EINVAL, "profile '%s' is not key=value[,key=value] (letters, digits, _ . -); see gpuhookctl types --json",
                                shown(profile));
        if (placement && placement_policy_from_string(placement) < 0)
                return log_fail(-EINVAL, "placement '%s' is unknown; use 'compact' or 'spread'", shown(placement));
        return 0;
}

int cli_vf_pick(const char *family, const char *profile, const char *placement, char bdf[PCI_ADDR_LEN + 1]) {
        const struct gpuhook_config *cfg;
        _cleanup_vf_pool_ struct vf_pool pool = { 0 };
        struct strbuf why = { 0 };
        const struct vf_pf *pf = NULL;
        const struct vf_slot *vf = NULL;
        int r;

        if ((r = cli_vf_check(family, profile, placement)) < 0 || (r = ctl_config(&cfg)) < 0)
                return r;
        int policy = placement ? placement_policy_from_string(placement) : (int)cfg->placement;
        if ((r = cli_vf_pool(NULL, &pool)) < 0)
                return r;
        struct vf_want w = { .family = family, .profile = profile, .policy = policy };
        r = vf_pick(&pool, &w, &pf, &vf, &why);
        if (r < 0)
                r = log_fail(r, "%s", strbuf_str(&why));
        else
                snprintf(bdf, PCI_ADDR_LEN + 1, "%s", vf->bdf);
        strbuf_free(&why);
        return r;
}

/* How many more VFs PF could give, and how, for the NOTE column. */
void vf_pf_note(const struct vf_pf *pf, char *buf, size_t size) {
        unsigned more = vf_pf_count(pf, VF_NOT_ENABLED), avail = vf_pf_available(pf);
        if (pf->can_enable && more && avail > vf_pf_count(pf, VF_FREE))
                snprintf(buf, size, "%u of %u VFs enabled; gpuhook enables %u more when a domain needs them", pf->numvfs, pf->totalvfs,
                         more);
        else if (pf->can_enable && more)
                snprintf(buf, size, "%u of %u VFs enabled; %u more only with its VFs off (enable them all at boot for several VMs)",
                         pf->numvfs, pf->totalvfs, more);
        else if (pf->numvfs < pf->totalvfs)
                snprintf(buf, size, "%u of %u VFs, created by %s at load; more need a reload of %s", pf->numvfs, pf->totalvfs, pf->driver,
                         pf->driver);
        else
                snprintf(buf, size, "%u of %u VFs enabled", pf->numvfs, pf->totalvfs);
}

struct json_object *vf_pf_json(const struct vf_pf *pf) {
        unsigned used = vf_pf_count(pf, VF_HELD) + vf_pf_count(pf, VF_IN_USE);
        struct json_object *pj = json_object_new_object(), *vfs = json_object_new_array();
        json_object_object_add(pj, "parent", json_str(pf->bdf));
        json_object_object_add(pj, "family", json_str(pf->family));
        json_object_object_add(pj, "driver", json_str(pf->driver));
        json_object_object_add(pj, "numa_node", pf->numa_node >= 0 ? json_object_new_int(pf->numa_node) : NULL);
        json_object_object_add(pj, "total_vfs", json_object_new_int((int)pf->totalvfs));
        json_object_object_add(pj, "enabled_vfs", json_object_new_int((int)pf->numvfs));
        json_object_object_add(pj, "can_enable", json_object_new_boolean(pf->can_enable));
        json_object_object_add(pj, "available", json_object_new_int((int)vf_pf_available(pf)));
        json_object_object_add(pj, "in_use", json_object_new_int((int)used));
        json_object_object_add(pj, "more", json_object_new_int((int)vf_pf_count(pf, VF_NOT_ENABLED)));
        for (size_t k = 0; k < pf->n_vfs; k++) {
                const struct vf_slot *v = &pf->vfs[k];
                struct json_object *vj = json_object_new_object();
                json_object_object_add(vj, "address", json_str(v->bdf));
                json_object_object_add(vj, "vf", json_object_new_int((int)v->index + 1));
                json_object_object_add(vj, "state", json_str(vf_state_to_string(v->state)));
                json_object_object_add(vj, "available", json_object_new_boolean(vf_slot_available(pf, v)));
                json_object_object_add(vj, "owner", json_str(*v->owner ? v->owner : NULL));
                json_object_object_add(vj, "driver", json_str(*v->driver ? v->driver : NULL));
                json_object_object_add(vj, "profile", json_str(*v->profile ? v->profile : NULL));
                json_object_array_add(vfs, vj);
        }
        json_object_object_add(pj, "vfs", vfs);
        return pj;
}

void vf_pf_summary(const struct vf_pf *pf, struct strbuf *out) {
        char note[200];
        unsigned shown = 0;
        strbuf_appendf(out, "%s (%s, %s): %u free for a domain", pf->bdf, pf->family, pf->driver, vf_pf_available(pf));
        for (size_t k = 0; k < pf->n_vfs; k++) {
                const struct vf_slot *v = &pf->vfs[k];
                if (v->state != VF_HELD && v->state != VF_IN_USE)
                        continue;
                if (shown++ < 4)
                        strbuf_appendf(out, "; %s %s%s%s", v->bdf, v->state == VF_HELD ? "held by domain '" : "on ",
                                       v->state == VF_HELD ? v->owner : (*v->driver ? v->driver : "a VM's driver"),
                                       v->state == VF_HELD ? "'" : " outside gpuhook");
        }
        if (shown > 4)
                strbuf_appendf(out, "; and %u more in use", shown - 4);
        vf_pf_note(pf, note, sizeof(note));
        strbuf_appendf(out, "; %s", note);
}
