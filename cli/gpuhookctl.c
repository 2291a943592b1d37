/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl VERB [OPTIONS] [ARGS]: host readiness, inventory, the ledger,
 * driver blacklisting, XML snippets, hot-plug and reconciliation. */
#include <getopt.h>
#include <signal.h>

#include "config.h"
#include "gpuhookctl.h"
#include "ledger.h"
#include "log.h"
#include "pci.h"

struct ctl_args arg = {
        .memory_mib = 1024,
        .vcpus = 2,
        .timeout_s = 10,
        .min_age_s = 60,
};

/* Options every verb takes. */
#define OPT_GLOBAL 0u

static const struct verb {
        const char *name;
        unsigned min_args, max_args; /* positional arguments after the verb */
        uint32_t options;            /* OPT_* accepted besides the global ones */
        int (*fn)(int argc, char **argv);
        const char *synopsis;
} verbs[] = {
        { "check", 0, 0, OPT_JSON, verb_check, "check                      host readiness report with fixes" },
        { "list", 0, 0, OPT_JSON | OPT_ALL, verb_list, "list [--all]               GPUs and companions: groups, drivers, NUMA" },
        { "types", 0, 0, OPT_JSON, verb_types, "types                      vGPU instance types with free capacity per parent" },
        { "status", 0, 0, OPT_JSON, verb_status, "status                     the ledger: which domain holds which device" },
        { "blacklist", 1, UINT32_MAX, OPT_DRY_RUN | OPT_UNDO | OPT_VFIO | OPT_ROOT | OPT_FORCE, verb_blacklist,
          "blacklist DRIVER...        keep host drivers off (--vfio VENDOR:DEVICE...)" },
        { "xml", 1, 2,
          OPT_JSON | OPT_UUID | OPT_TYPE | OPT_PARENT | OPT_PLACEMENT | OPT_PARAM | OPT_MODEL | OPT_DISPLAY | OPT_RAMFB |
                  OPT_UNMANAGED | OPT_NAME | OPT_MEMORY | OPT_VCPUS | OPT_PCI | OPT_MDEV | OPT_FAMILY | OPT_PROFILE,
          verb_xml, "xml TEMPLATE [ARG]         render a libvirt XML snippet or domain" },
        { "attach", 3, UINT32_MAX,
          OPT_JSON | OPT_DRY_RUN | OPT_LIVE | OPT_CONFIG | OPT_UUID | OPT_TYPE | OPT_PARENT | OPT_PLACEMENT | OPT_PARAM |
                  OPT_MODEL | OPT_DISPLAY | OPT_RAMFB | OPT_UNMANAGED | OPT_PROFILE,
          verb_attach, "attach DOMAIN KIND ARG...  hot-plug an mdev, SR-IOV vGPU VF, family VF or PCI device" },
        { "repick", 1, 1, OPT_JSON | OPT_DRY_RUN, verb_repick,
          "repick DOMAIN              move its <gpuhook:vf> VFs that are taken to free ones" },
        { "detach", 2, UINT32_MAX, OPT_JSON | OPT_DRY_RUN | OPT_LIVE | OPT_CONFIG | OPT_TIMEOUT, verb_detach,
          "detach DOMAIN DEVICE...    unplug and release devices" },
        { "reconcile", 0, 0, OPT_JSON | OPT_DRY_RUN | OPT_MIN_AGE, verb_reconcile,
          "reconcile                  release devices of domains that are not running" },
        { "held", 0, 0, OPT_JSON | OPT_QUIET, verb_held,
          "held [--quiet]             which domains hold devices (exit 1 if any; for package removal)" },
        { "metrics", 0, 0, OPT_TEXTFILE, verb_metrics,
          "metrics [--textfile DIR]   Prometheus metrics (DIR/gpuhook.prom for node_exporter)" },
        { "disable", 0, 0, OPT_DRY_RUN | OPT_REASON, verb_disable,
          "disable [--reason TEXT]    switch the hook off host-wide (release still gives back)" },
        { "enable", 0, 0, OPT_DRY_RUN, verb_enable, "enable                     switch the hook on again" },
};

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_COLOR,
        ARG_UNDO,
        ARG_VFIO,
        ARG_ROOT,
        ARG_LIVE,
        ARG_CONFIG,
        ARG_UUID,
        ARG_TYPE,
        ARG_PARENT,
        ARG_PLACEMENT,
        ARG_PARAM,
        ARG_MODEL,
        ARG_DISPLAY,
        ARG_RAMFB,
        ARG_UNMANAGED,
        ARG_NAME,
        ARG_MEMORY,
        ARG_VCPUS,
        ARG_PCI,
        ARG_MDEV,
        ARG_TIMEOUT,
        ARG_MIN_AGE,
        ARG_REASON,
        ARG_TEXTFILE,
        ARG_FORCE,
        ARG_FAMILY,
        ARG_PROFILE,
};

/* Options a verb may or may not accept: the getopt value, OPT_* bit, name. */
static const struct {
        int val;
        uint32_t bit;
        const char *name;
} option_names[] = {
        { ARG_JSON, OPT_JSON, "--json" },          { 'n', OPT_DRY_RUN, "--dry-run" },
        { ARG_UNDO, OPT_UNDO, "--undo" },          { ARG_VFIO, OPT_VFIO, "--vfio" },
        { ARG_ROOT, OPT_ROOT, "--root" },          { 'a', OPT_ALL, "--all" },
        { ARG_LIVE, OPT_LIVE, "--live" },          { ARG_CONFIG, OPT_CONFIG, "--config" },
        { ARG_UUID, OPT_UUID, "--uuid" },          { ARG_PARENT, OPT_PARENT, "--parent" },
        { ARG_PLACEMENT, OPT_PLACEMENT, "--placement" }, { ARG_PARAM, OPT_PARAM, "--param" },
        { ARG_MODEL, OPT_MODEL, "--model" },       { ARG_DISPLAY, OPT_DISPLAY, "--display" },
        { ARG_RAMFB, OPT_RAMFB, "--ramfb" },       { ARG_UNMANAGED, OPT_UNMANAGED, "--unmanaged" },
        { ARG_NAME, OPT_NAME, "--name" },          { ARG_MEMORY, OPT_MEMORY, "--memory" },
        { ARG_VCPUS, OPT_VCPUS, "--vcpus" },       { ARG_PCI, OPT_PCI, "--pci" },
        { ARG_MDEV, OPT_MDEV, "--mdev" },          { ARG_TIMEOUT, OPT_TIMEOUT, "--timeout" },
        { ARG_MIN_AGE, OPT_MIN_AGE, "--min-age" }, { ARG_TYPE, OPT_TYPE, "--type" },
        { ARG_REASON, OPT_REASON, "--reason" },    { ARG_TEXTFILE, OPT_TEXTFILE, "--textfile" },
        { 'q', OPT_QUIET, "--quiet" },         { ARG_FORCE, OPT_FORCE, "--force" },
        { ARG_FAMILY, OPT_FAMILY, "--family" },    { ARG_PROFILE, OPT_PROFILE, "--profile" },
};

/* The OPT_* bit of getopt value VAL, 0 for the global options. */
static uint32_t option_bit(int val) {
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if (option_names[i].val == val)
                        return option_names[i].bit;
        return 0;
}

static void help(void) {
        printf("Usage: %s [OPTIONS] VERB [ARGS]\n\n"
               "Just-in-time vGPU and GPU passthrough for libvirt: the admin tool.\n\nVerbs:\n",
               PROG);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %s\n", verbs[i].synopsis);
        printf("\nattach kinds:\n"
               "  attach DOMAIN mdev TYPE [--uuid U] [--parent DEV] [--placement compact|spread]\n"
               "         [--param NAME=VALUE]... [--model M] [--display] [--ramfb]\n"
               "  attach DOMAIN pci BDF... [--unmanaged]\n"
               "  attach DOMAIN vgpu-vf BDF --type TYPE\n"
               "  attach DOMAIN vf FAMILY [--profile P] [--placement compact|spread]\n"
               "detach devices: an mdev UUID or a PCI address (BDF)\n"
               "xml templates: list, pci BDF, mdev UUID, vgpu-vf BDF, vf FAMILY, metadata UUID --type T,\n"
               "               metadata BDF --family F,\n"
               "               domain virtio-gl|qxl-spice|vnc|none [--name N] [--pci BDF]... [--mdev U]...\n"
               "\nOptions:\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n"
               "  -c, --connect URI      libvirt URI (default: libvirt's default, qemu:///system as root)\n"
               "      --json             machine-readable output\n"
               "      --no-color         no colour even on a terminal (also: NO_COLOR=1)\n"
               "  -v, --verbose          log every step to stderr\n"
               "  -n, --dry-run          show what would be done, change nothing\n"
               "      --undo             blacklist: remove what gpuhookctl wrote\n"
               "      --vfio             blacklist: bind VENDOR:DEVICE ids to vfio-pci at boot\n"
               "      --root DIR         blacklist: write below DIR instead of / (for images)\n"
               "  -a, --all              list: every PCI function, not only GPUs\n"
               "      --live, --config   attach/detach: the running domain and/or its definition\n"
               "                         (default: live if running, else config)\n"
               "      --uuid UUID        attach mdev: the mdev's UUID; xml domain: the domain's\n"
               "      --type TYPE        attach vgpu-vf, xml metadata/domain: the vGPU type id or name\n"
               "      --parent DEV       the mdev parent to use (default: placement policy)\n"
               "      --placement P      compact or spread\n"
               "      --family F         xml metadata: the VF's SR-IOV vGPU family (intel-sriov, amd-mxgpu)\n"
               "      --profile P        xml vf/metadata, attach vf: the VF profile wanted (key=value,...)\n"
               "      --param NAME=VALUE vendor parameter for the mdev (repeatable)\n"
               "      --model MODEL      vfio-pci (default), vfio-ccw or vfio-ap\n"
               "      --display          mdev display='on'\n"
               "      --ramfb            mdev ramfb='on' (boot display; implies --display)\n"
               "      --unmanaged        PCI hostdev managed='no' (already on vfio-pci)\n"
               "      --name NAME        xml domain: the domain name\n"
               "      --memory MIB       xml domain: memory (default 1024)\n"
               "      --vcpus N          xml domain: vCPUs (default 2)\n"
               "      --pci BDF          xml domain: add a PCI hostdev (repeatable)\n"
               "      --mdev UUID        xml domain: add an mdev hostdev (repeatable)\n"
               "      --timeout SECONDS  detach: wait for the guest to release a device (default 10)\n"
               "      --min-age SECONDS  reconcile: leave ledgers younger than this (default 60)\n"
               "      --reason TEXT      disable: why (shown by status and check)\n"
               "      --textfile DIR     metrics: write DIR/gpuhook.prom atomically instead of stdout\n"
               "  -q, --quiet            held: no output, only the exit status\n"
               "      --force            blacklist: also the boot console's driver, or a driver no\n"
               "                         module index lists (the consequence is printed)\n"
               "\nExit status: 0 success, 1 failure (check: host not ready), 2 usage error.\n"
               "See gpuhookctl(8).\n");
}

static int parse_unsigned_opt(const char *name, const char *value, unsigned min, unsigned max, unsigned *ret) {
        unsigned v;
        if (safe_atou(value, &v) < 0 || v < min || v > max)
                return ctl_usage("%s '%s' is not a whole number between %u and %u", name, value, min, max);
        *ret = v;
        return 0;
}

/* Returns -1 to continue, or an exit status. */
static int parse_argv(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "connect", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-color", no_argument, NULL, ARG_NO_COLOR },
                { "no-colour", no_argument, NULL, ARG_NO_COLOR },
                { "verbose", no_argument, NULL, 'v' },
                { "dry-run", no_argument, NULL, 'n' },
                { "undo", no_argument, NULL, ARG_UNDO },
                { "vfio", no_argument, NULL, ARG_VFIO },
                { "root", required_argument, NULL, ARG_ROOT },
                { "all", no_argument, NULL, 'a' },
                { "live", no_argument, NULL, ARG_LIVE },
                { "config", no_argument, NULL, ARG_CONFIG },
                { "uuid", required_argument, NULL, ARG_UUID },
                { "type", required_argument, NULL, ARG_TYPE },
                { "parent", required_argument, NULL, ARG_PARENT },
                { "placement", required_argument, NULL, ARG_PLACEMENT },
                { "param", required_argument, NULL, ARG_PARAM },
                { "model", required_argument, NULL, ARG_MODEL },
                { "display", no_argument, NULL, ARG_DISPLAY },
                { "ramfb", no_argument, NULL, ARG_RAMFB },
                { "unmanaged", no_argument, NULL, ARG_UNMANAGED },
                { "name", required_argument, NULL, ARG_NAME },
                { "memory", required_argument, NULL, ARG_MEMORY },
                { "vcpus", required_argument, NULL, ARG_VCPUS },
                { "pci", required_argument, NULL, ARG_PCI },
                { "mdev", required_argument, NULL, ARG_MDEV },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "min-age", required_argument, NULL, ARG_MIN_AGE },
                { "reason", required_argument, NULL, ARG_REASON },
                { "textfile", required_argument, NULL, ARG_TEXTFILE },
                { "quiet", no_argument, NULL, 'q' },
                { "force", no_argument, NULL, ARG_FORCE },
                { "family", required_argument, NULL, ARG_FAMILY },
                { "profile", required_argument, NULL, ARG_PROFILE },
                {},
        };
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hc:vnaq", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("%s %s\n", PROG, GPUHOOK_VERSION);
                        return EXIT_SUCCESS;
                case 'c':
                        arg.uri = optarg;
                        break;
                case ARG_JSON:
                        arg.json = true;
                        break;
                case ARG_NO_COLOR:
                        arg.color = arg.color_err = false;
                        break;
                case 'v':
                        arg.verbose = true;
                        break;
                case 'n':
                        arg.dry_run = true;
                        break;
                case ARG_UNDO:
                        arg.undo = true;
                        break;
                case ARG_VFIO:
                        arg.vfio = true;
                        break;
                case ARG_ROOT:
                        if (optarg[0] != '/')
                                return ctl_usage("--root needs an absolute directory, not '%s'", optarg);
                        arg.root = optarg;
                        break;
                case 'a':
                        arg.all = true;
                        break;
                case ARG_LIVE:
                        arg.live = true;
                        break;
                case ARG_CONFIG:
                        arg.config = true;
                        break;
                case ARG_UUID:
                        arg.uuid = optarg;
                        break;
                case ARG_TYPE:
                        arg.type = optarg;
                        break;
                case ARG_PARENT:
                        arg.parent = optarg;
                        break;
                case ARG_PLACEMENT:
                        arg.placement = optarg;
                        break;
                case ARG_FAMILY:
                        arg.family = optarg;
                        break;
                case ARG_PROFILE:
                        arg.profile = optarg;
                        break;
                case ARG_PARAM:
                        if (!strchr(optarg, '=') || optarg[0] == '=')
                                return ctl_usage("--param needs NAME=VALUE, not '%s'", optarg);
                        if (strv_push(&arg.params, optarg) < 0)
                                return ctl_fail(NULL, "out of memory");
                        break;
                case ARG_MODEL:
                        arg.model = optarg;
                        break;
                case ARG_DISPLAY:
                        arg.display = true;
                        break;
                case ARG_RAMFB:
                        arg.ramfb = arg.display = true;
                        break;
                case ARG_UNMANAGED:
                        arg.unmanaged = true;
                        break;
                case ARG_NAME:
                        arg.name = optarg;
                        break;
                case ARG_MEMORY:
                        if ((r = parse_unsigned_opt("--memory", optarg, 16, 16u << 20, &arg.memory_mib)) != 0)
                                return r;
                        break;
                case ARG_VCPUS:
                        if ((r = parse_unsigned_opt("--vcpus", optarg, 1, 4096, &arg.vcpus)) != 0)
                                return r;
                        break;
                case ARG_PCI:
                        if (strv_push(&arg.pcis, optarg) < 0)
                                return ctl_fail(NULL, "out of memory");
                        break;
                case ARG_MDEV:
                        if (strv_push(&arg.mdevs, optarg) < 0)
                                return ctl_fail(NULL, "out of memory");
                        break;
                case ARG_TIMEOUT:
                        if ((r = parse_unsigned_opt("--timeout", optarg, 0, 3600, &arg.timeout_s)) != 0)
                                return r;
                        break;
                case ARG_MIN_AGE:
                        if ((r = parse_unsigned_opt("--min-age", optarg, 0, 7 * 24 * 3600, &arg.min_age_s)) != 0)
                                return r;
                        break;
                case ARG_REASON:
                        arg.reason = optarg;
                        break;
                case ARG_TEXTFILE:
                        if (optarg[0] != '/')
                                return ctl_usage("--textfile needs an absolute directory, not '%s'", optarg);
                        arg.textfile = optarg;
                        break;
                case 'q':
                        arg.quiet = true;
                        break;
                case ARG_FORCE:
                        arg.force = true;
                        break;
                case ':':
                        return ctl_usage("option '%s' needs a value", argv[optind - 1]);
                default:
                        return ctl_usage("unknown option '%s'", argv[optind - 1]);
                }
                arg.given |= option_bit(c);
        }
        return -1;
}

int ctl_config(const struct gpuhook_config **ret) {
        static struct gpuhook_config cfg;
        static bool loaded;
        int r;

        if (!loaded) {
                config_init_defaults(&cfg);
                r = config_load_default(&cfg);
                if (r < 0)
                        return r;
                loaded = true;
                if (!arg.verbose)
                        log_set_level(cfg.log_level);
        }
        *ret = &cfg;
        return 0;
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ctl_ledger_domains(const struct gpuhook_config **ret_cfg, char ***ret_uuids, size_t *ret_n) {
        const struct gpuhook_config *cfg;
        int r;

        r = ctl_config(&cfg);
        if (r < 0)
                return ctl_fail_recorded(r, "cannot load the gpuhook configuration");
        r = ledger_list_domains(cfg->state_dir, ret_uuids, ret_n);
        if (r < 0)
                return ctl_fail("check that the state directory is readable (run as root)",
                                "cannot list ledgers in %s/domains: %s", cfg->state_dir, strerror(-r));
        if (*ret_n > 1)
                qsort(*ret_uuids, *ret_n, sizeof(char *), cmp_strp);
        *ret_cfg = cfg;
        return 0;
}

static const struct verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static int dispatch(int argc, char **argv) {
        const struct verb *v;
        unsigned n;

        if (optind >= argc)
                return ctl_usage("no verb given; try 'check', 'list', 'types' or 'status'");
        if (streq(argv[optind], "help")) {
                help();
                return EXIT_SUCCESS;
        }
        v = find_verb(argv[optind]);
        if (!v)
                return ctl_usage("unknown verb '%s'", argv[optind]);
        n = (unsigned)(argc - optind - 1);
        if (n < v->min_args)
                return ctl_usage("'%s' needs %s argument%s: %s%s", v->name, v->min_args == 1 ? "an" : "more",
                                 v->min_args == 1 ? "" : "s", PROG " ", v->synopsis);
        if (n > v->max_args)
                return ctl_usage("'%s' takes %s argument%s, got '%s'", v->name,
                                 v->max_args == 0 ? "no" : v->max_args == 1 ? "one" : "at most two",
                                 v->max_args == 1 ? "" : "s", argv[optind + 1 + v->max_args]);
        uint32_t extra = arg.given & ~(v->options | OPT_GLOBAL);
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if (extra & option_names[i].bit)
                        return ctl_usage("option %s does not apply to '%s'", option_names[i].name, v->name);
        return v->fn((int)n, argv + optind + 1);
}

static bool want_color(int fd) {
        const char *term = getenv("TERM");
        return isatty(fd) && !getenv("NO_COLOR") && !(term && streq(term, "dumb"));
}

int main(int argc, char **argv) {
        int r;

        signal(SIGPIPE, SIG_IGN);
        arg.color = want_color(STDOUT_FILENO);
        arg.color_err = want_color(STDERR_FILENO);
        log_setup(PROG, true);
        r = parse_argv(argc, argv);
        if (r < 0) {
                if (arg.verbose) {
                        log_set_stderr(true);
                        log_set_level(LOG_DEBUG);
                }
                r = dispatch(argc, argv);
        }
        fflush(stdout);
        if (ferror(stdout) && r == 0)
                r = ctl_fail(NULL, "cannot write to standard output");
        strv_free_null(arg.params);
        strv_free_null(arg.pcis);
        strv_free_null(arg.mdevs);
        return r;
}
