/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl repick DOMAIN: the domain's <gpuhook:vf> hostdevs whose VF is
 * taken on this host (another domain holds it, it is on vfio-pci outside
 * gpuhook, or it is gone) move to free VFs of their family, by the same
 * placement the hook's migrate/restore filter uses (core/vf.c), in the
 * persistent definition. The hook itself cannot do this at a plain start:
 * libvirt has read the XML before "prepare" and ignores its output. */
#include "domain.h"
#include "gpuhookctl.h"
#include "jit.h"
#include "log.h"
#include "virt.h"

int verb_repick(int argc, char **argv) {
        const struct gpuhook_config *cfg;
        _cleanup_virconn_ virConnectPtr conn = NULL;
        _cleanup_virdomain_ virDomainPtr d = NULL;
        _cleanup_domain_spec_ struct domain_spec *spec = NULL;
        _cleanup_free_ char *xml = NULL, *moved = NULL;
        _cleanup_free_ struct hostdev_move *moves = NULL;
        size_t n = 0;
        int r;

        r = ctl_config(&cfg);
        if (r >= 0)
                r = virt_open(arg.dry_run, &conn);
        if (r >= 0)
                r = virt_lookup(conn, argv[0], &d);
        if (r >= 0)
                r = virt_domain_xml(d, false, &xml);
        if (r >= 0)
                r = domain_parse(xml, strlen(xml), &spec);
        if (r >= 0 && spec->n_vf_requests == 0)
                return ctl_fail("render one with `gpuhookctl xml metadata BDF --family F`, or attach with `gpuhookctl attach DOMAIN vf FAMILY`",
                                "domain '%s' has no <gpuhook:vf> request in its metadata, so gpuhook does not choose its VFs", argv[0]);
        if (r >= 0)
                r = jit_vf_moves(cfg, spec, xml, strlen(xml), &moves, &n, &moved);
        if (r >= 0 && n > 0 && !arg.dry_run) {
                virDomainPtr nd = virDomainDefineXML(conn, moved);
                if (!nd)
                        r = log_fail(-EIO, "libvirt refused the changed definition of domain '%s': %s", argv[0], virt_last_error());
                else
                        virDomainFree(nd);
        }
        if (r < 0)
                return ctl_fail_recorded(r, "cannot repick the VFs");
        if (arg.json) {
                struct json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "domain", json_str(spec->name));
                json_object_object_add(o, "dry_run", json_object_new_boolean(arg.dry_run));
                for (size_t i = 0; i < n; i++) {
                        struct json_object *m = json_object_new_object();
                        json_object_object_add(m, "from", json_str(moves[i].from));
                        json_object_object_add(m, "to", json_str(moves[i].to));
                        json_object_array_add(a, m);
                }
                json_object_object_add(o, "moves", a);
                return json_print(o);
        }
        if (n == 0)
                printf("Every <gpuhook:vf> VF of domain '%s' is free for it on this host; nothing to move.\n", spec->name);
        for (size_t i = 0; i < n; i++)
                printf("%s VF %s -> %s in domain '%s'%s\n", arg.dry_run ? "Would move" : "Moved", moves[i].from, moves[i].to,
                       spec->name, arg.dry_run ? "" : " (its definition; a running domain keeps its VF until it restarts)");
        return 0;
}
