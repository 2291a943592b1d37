/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl xml TEMPLATE [ARG]: libvirt XML from the xml-templates. */
#include "gpuhookctl.h"
#include "libvirt-vfio.h"
#include "virt.h"
#include "log.h"
#include "metadata.h"
#include "vf-family.h"
#include "xmlgen.h"

static const struct xml_kind {
        const char *name;
        unsigned n_args; /* positional after the kind */
        uint32_t options;
        const char *usage;
} kinds[] = {
        { "list", 0, OPT_JSON, "xml list" },
        { "pci", 1, OPT_UNMANAGED, "xml pci BDF [--unmanaged]" },
        { "mdev", 1, OPT_MODEL | OPT_DISPLAY | OPT_RAMFB, "xml mdev UUID [--model M] [--display] [--ramfb]" },
        { "vgpu-vf", 1, 0, "xml vgpu-vf BDF" },
        { "vf", 1, OPT_PLACEMENT | OPT_PROFILE, "xml vf FAMILY [--profile P] [--placement P]" },
        { "metadata", 1, OPT_TYPE | OPT_PARENT | OPT_PLACEMENT | OPT_PARAM | OPT_FAMILY | OPT_PROFILE,
          "xml metadata UUID|BDF --type TYPE [--parent DEV] [--placement P] [--param NAME=VALUE]... | BDF --family F [--profile P] [--placement P]" },
        { "domain", 1,
          OPT_NAME | OPT_UUID | OPT_MEMORY | OPT_VCPUS | OPT_PCI | OPT_MDEV | OPT_UNMANAGED | OPT_TYPE | OPT_PARENT |
                  OPT_PLACEMENT | OPT_PARAM | OPT_MODEL | OPT_DISPLAY | OPT_RAMFB,
          "xml domain virtio-gl|qxl-spice|vnc|none [--name N] [--uuid U] [--memory MIB] [--vcpus N] [--pci BDF]... [--mdev UUID]... [--type T]" },
};

static const char *const option_list[] = {
        [0] = "--json",       [8] = "--uuid",     [9] = "--parent",   [10] = "--placement", [11] = "--param",
        [12] = "--model",     [13] = "--display", [14] = "--ramfb",   [15] = "--unmanaged", [16] = "--name",
        [17] = "--memory",    [18] = "--vcpus",   [19] = "--pci",     [20] = "--mdev",      [23] = "--type",
        [28] = "--family",    [29] = "--profile",
};

static int list_templates(void) {
        if (arg.json) {
                struct json_object *a = json_object_new_array();
                for (size_t i = 1; i < ELEMENTSOF(kinds); i++) {
                        struct json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_str(kinds[i].name));
                        json_object_object_add(o, "usage", json_str(kinds[i].usage));
                        /* The options it takes, from this table: what tests
                         * enumerate to render every combination. */
                        struct json_object *opts = json_object_new_array();
                        for (size_t b = 0; b < ELEMENTSOF(option_list); b++)
                                if ((kinds[i].options & (1u << b)) && option_list[b] && b != 0)
                                        json_object_array_add(opts, json_str(option_list[b]));
                        json_object_object_add(o, "options", opts);
                        json_object_array_add(a, o);
                }
                for (size_t i = 0; domain_styles[i]; i++) {
                        struct json_object *o = json_object_new_object();
                        char usage[80];
                        snprintf(usage, sizeof(usage), "xml domain %s", domain_styles[i]);
                        json_object_object_add(o, "name", json_str("domain"));
                        json_object_object_add(o, "style", json_str(domain_styles[i]));
                        json_object_object_add(o, "usage", json_str(usage));
                        json_object_object_add(o, "arch", json_str(streq(domain_styles[i], "none") ? "x86_64 s390x" : "x86_64"));
                        json_object_array_add(a, o);
                }
                return json_print(a);
        }
        for (size_t i = 1; i < ELEMENTSOF(kinds); i++)
                printf("%s %s\n", PROG, kinds[i].usage);
        return 0;
}

static int render_mdev_hostdevs(char *const *uuids, struct strbuf *hostdevs, struct strbuf *requests) {
        for (size_t i = 0; uuids && uuids[i]; i++) {
                struct mdev_spec m;
                _cleanup_free_ char *hd = NULL, *req = NULL;
                int r = mdev_spec_init(&m, uuids[i], arg.type, arg.parent, arg.placement, arg.params, arg.model,
                                       arg.display, arg.ramfb);
                if (r >= 0)
                        r = gh_params_check_or_warn(&m);
                if (r >= 0)
                        r = xmlgen_mdev_hostdev(&m, &hd);
                if (r >= 0 && arg.type)
                        r = xmlgen_mdev_request(&m, &req);
                if (r < 0)
                        return r;
                if (strbuf_appendf(hostdevs, "%s", hd) < 0 || (req && strbuf_appendf(requests, "%s", req) < 0))
                        return -ENOMEM;
        }
        return 0;
}

static int render_domain(const char *style, char **ret) {
        struct strbuf hostdevs = { 0 }, requests = { 0 };
        _cleanup_free_ char *metadata = NULL;
        int r = 0;

        if ((arg.given & (OPT_TYPE | OPT_PARENT | OPT_PLACEMENT | OPT_PARAM | OPT_MODEL | OPT_DISPLAY | OPT_RAMFB)) &&
            !arg.mdevs)
                return log_fail(-EINVAL, "--type, --parent, --placement, --param, --model, --display and --ramfb describe the domain's --mdev devices; add --mdev UUID");
        if (arg.unmanaged && !arg.pcis)
                return log_fail(-EINVAL, "--unmanaged describes the domain's --pci devices; add --pci BDF");
        if ((r = xmlgen_domain_check(style, arg.model, arg.display, arg.ramfb, arg.pcis, arg.mdevs)) < 0)
                return r;
        for (size_t i = 0; arg.pcis && arg.pcis[i] && r >= 0; i++) {
                struct pci_addr a;
                _cleanup_free_ char *hd = NULL;
                r = parse_bdf(arg.pcis[i], &a, NULL);
                if (r >= 0)
                        r = xmlgen_pci_hostdev(&a, !arg.unmanaged, &hd);
                if (r >= 0)
                        r = strbuf_appendf(&hostdevs, "%s", hd);
        }
        if (r >= 0)
                r = render_mdev_hostdevs(arg.mdevs, &hostdevs, &requests);
        if (r >= 0 && requests.buf)
                r = xmlgen_metadata(requests.buf, &metadata);
        if (r >= 0)
                r = xmlgen_domain(style, mdev_model_is_s390(arg.model), arg.name, arg.uuid, arg.memory_mib, arg.vcpus, hostdevs.buf, metadata, ret);
        strbuf_free(&hostdevs);
        strbuf_free(&requests);
        return r;
}

int verb_xml(int argc, char **argv) {
        const struct xml_kind *k = NULL;
        _cleanup_free_ char *out = NULL;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(kinds) && !k; i++)
                if (streq(kinds[i].name, argv[0]))
                        k = &kinds[i];
        if (!k)
                return ctl_usage("xml: unknown template '%s'; use one of list, pci, mdev, vgpu-vf, vf, metadata, domain", argv[0]);
        if ((unsigned)argc - 1 != k->n_args)
                return ctl_usage("xml %s: %s: %s %s", k->name, k->n_args ? "missing argument" : "takes no argument", PROG,
                                 k->usage);
        uint32_t extra = arg.given & ~k->options;
        for (size_t b = 0; b < ELEMENTSOF(option_list); b++)
                if ((extra & (1u << b)) && option_list[b])
                        return ctl_usage("option %s does not apply to 'xml %s'", option_list[b], k->name);

        if (streq(k->name, "list"))
                return list_templates();
        if (streq(k->name, "pci") || streq(k->name, "vgpu-vf")) {
                struct pci_addr a;
                r = parse_bdf(argv[1], &a, NULL);
                if (r >= 0)
                        r = streq(k->name, "pci") ? xmlgen_pci_hostdev(&a, !arg.unmanaged, &out) : xmlgen_vf_hostdev(&a, &out);
                if (r >= 0 && streq(k->name, "vgpu-vf")) {
                        /* A template only: say it now if this libvirt will refuse it at start. */
                        char why[256];
                        unsigned long lv = virt_libvirt_version();
                        if (libvirt_vendor_vfio_support(lv) != LIBVIRT_VFIO_YES)
                                ctl_warn("this <hostdev managed='no'> keeps the VF on the nvidia driver, and %s; upgrade libvirt to 10.0.0 or newer before using it",
                                         libvirt_vendor_vfio_why(lv, why, sizeof(why)));
                }
        } else if (streq(k->name, "mdev")) {
                struct mdev_spec m;
                r = mdev_spec_init(&m, argv[1], NULL, NULL, NULL, NULL, arg.model, arg.display, arg.ramfb);
                if (r >= 0)
                        r = xmlgen_mdev_hostdev(&m, &out);
        } else if (streq(k->name, "vf")) {
                char bdf[PCI_ADDR_LEN + 1];
                struct pci_addr a;
                r = cli_vf_pick(argv[1], arg.profile, arg.placement, bdf);
                if (r >= 0)
                        r = pci_addr_parse(bdf, &a);
                if (r >= 0)
                        r = xmlgen_pci_hostdev(&a, true, &out);
                if (r >= 0)
                        fprintf(stderr, "%s: %s VF %s is free; with it, the domain needs `%s xml metadata %s --family %s%s%s` in its <metadata>\n",
                                PROG, argv[1], bdf, PROG, bdf, argv[1], arg.profile ? " --profile " : "", arg.profile ? arg.profile : "");
        } else if (streq(k->name, "metadata") && (arg.family || arg.profile)) {
                _cleanup_free_ char *req = NULL;
                struct pci_addr a;
                char bdf[PCI_ADDR_LEN + 1];
                if (!arg.family)
                        return ctl_usage("--profile describes a VF family request: add --family F");
                if (arg.given & (OPT_TYPE | OPT_PARENT | OPT_PARAM))
                        return ctl_usage("--type, --parent and --param describe mdev and vGPU requests, not a --family VF");
                if (pci_addr_parse(argv[1], &a) < 0)
                        return ctl_usage("xml metadata BDF --family F needs the VF's PCI address, not '%s'", argv[1]);
                pci_addr_format(&a, bdf);
                r = cli_vf_check(arg.family, arg.profile, arg.placement);
                if (r >= 0)
                        r = xmlgen_vf_request(bdf, arg.family, arg.profile, arg.placement, &req);
                if (r >= 0)
                        r = xmlgen_metadata(req, &out);
        } else if (streq(k->name, "metadata")) {
                struct mdev_spec m;
                _cleanup_free_ char *req = NULL;
                struct pci_addr a;
                if (!arg.type)
                        return ctl_usage("xml metadata needs --type TYPE (a type id or name, see gpuhookctl types)");
                if (!uuid_valid(argv[1]) && pci_addr_parse(argv[1], &a) == 0) {
                        /* A VF address: an SR-IOV vGPU request. */
                        if (arg.given & (OPT_PARENT | OPT_PLACEMENT | OPT_PARAM))
                                return ctl_usage("--parent, --placement and --param apply to mdev requests (a UUID), not to a VF address");
                        r = xmlgen_vgpu_request(&a, arg.type, &req);
                } else {
                        r = mdev_spec_init(&m, argv[1], arg.type, arg.parent, arg.placement, arg.params, NULL, false, false);
                        if (r >= 0)
                                r = gh_params_check_or_warn(&m);
                        if (r >= 0)
                                r = xmlgen_mdev_request(&m, &req);
                }
                if (r >= 0)
                        r = xmlgen_metadata(req, &out);
        } else
                r = render_domain(argv[1], &out);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot render the XML");
        fputs(out, stdout);
        return 0;
}
