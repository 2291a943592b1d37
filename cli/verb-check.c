/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl check: is this host ready for GPU passthrough and vGPU? One
 * line per fact, ✓ / ✗ / ! / •, and for every ✗ and ! the fix. Ends with a
 * plain verdict: on a host without an IOMMU it says that passthrough is
 * impossible and why. Exit status 1 when anything is ✗. */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "config.h"
#include "gpuhookctl.h"
#include "holders.h"
#include "inventory.h"
#include "iommu.h"
#include "log.h"
#include "mdev.h"
#include "mdevctl.h"
#include "libvirt-vfio.h"
#include "sriov-driver.h"
#include "pci.h"
#include "s390.h"
#include "spawn.h"
#include "sysfs.h"
#include "vendor.h"
#include "virt.h"

#ifndef GPUHOOK_HOOK_PATH
#define GPUHOOK_HOOK_PATH "/etc/libvirt/hooks/qemu.d/50-gpuhook"
#endif

/* ST_NA: an optional feature (3D) that this host lacks: shown with its fix,
 * never a blocker for the exit status. */
enum status { ST_OK, ST_INFO, ST_WARN, ST_FAIL, ST_NA };
static const char *const status_names[] = { "ok", "info", "warning", "fail", "unavailable" };
static const char *const status_glyphs[] = { "✓", "•", "!", "✗", "–" };

struct item {
        char *section, *id, *summary, *fix;
        enum status status;
};

static struct item *items;
static size_t n_items;
static const char *section = "Host";

static _printf_(4, 5) void add(const char *id, enum status st, const char *fix, const char *fmt, ...) {
        va_list ap;
        char *summary = NULL;
        va_start(ap, fmt);
        if (vasprintf(&summary, fmt, ap) < 0)
                summary = NULL;
        va_end(ap);
        struct item *n = reallocarray(items, n_items + 1, sizeof(*n));
        if (!n || !summary) {
                free(summary);
                return;
        }
        items = n;
        items[n_items++] = (struct item){ strdup(section), strdup(id), summary, fix ? strdup(fix) : NULL, st };
}

static _printf_(1, 2) char *fmt(const char *f, ...) {
        static char buf[8][1024];
        static unsigned i;
        char *b = buf[i++ % 8];
        va_list ap;
        va_start(ap, f);
        vsnprintf(b, sizeof(buf[0]), f, ap);
        va_end(ap);
        return b;
}

/* ---- facts ---- */

struct facts {
        char cpu_vendor[32]; /* GenuineIntel, AuthenticAMD */
        bool vmx, svm, hypervisor;
        char *cmdline;
        bool kvm_ok;
        int iommu_groups;
        bool iommu_active;
        bool vfio_pci_available, vfio_ok;
        bool libvirt_ok, hook_ok;
        bool dmar, ivrs, acpi;
        char iommu_why[512]; /* why the IOMMU is off, for the verdict */
};

static bool cmdline_has(const struct facts *f, const char *word) {
        if (!f->cmdline)
                return false;
        size_t n = strlen(word);
        for (const char *p = f->cmdline; (p = strstr(p, word)); p += n)
                if ((p == f->cmdline || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0 || word[n - 1] == '='))
                        return true;
        return false;
}

static const char *cmdline_value(const struct facts *f, const char *key, char *buf, size_t size) {
        const char *p = f->cmdline ? strstr(f->cmdline, key) : NULL;
        while (p && p != f->cmdline && p[-1] != ' ')
                p = strstr(p + 1, key);
        if (!p)
                return NULL;
        p += strlen(key);
        snprintf(buf, size, "%.*s", (int)strcspn(p, " \n"), p);
        return buf;
}

static void read_cpu(struct facts *f) {
        _cleanup_fclose_ FILE *c = fopen("/proc/cpuinfo", "re");
        char *line = NULL;
        size_t size = 0;
        bool flags_seen = false;
        while (c && getline(&line, &size, c) > 0) {
                if (!strncmp(line, "vendor_id", 9) && !*f->cpu_vendor) {
                        const char *v = strchr(line, ':');
                        if (v)
                                snprintf(f->cpu_vendor, sizeof(f->cpu_vendor), "%.*s", (int)strcspn(v + 2, "\n"), v + 2);
                } else if (!strncmp(line, "flags", 5) && !flags_seen) {
                        flags_seen = true;
                        f->vmx = strstr(line, " vmx") != NULL;
                        f->svm = strstr(line, " svm") != NULL;
                        f->hypervisor = strstr(line, " hypervisor") != NULL;
                }
        }
        free(line);
        (void)read_text_file("/proc/cmdline", 64 * 1024, &f->cmdline);
}

static bool is_amd(const struct facts *f) { return streq(f->cpu_vendor, "AuthenticAMD"); }

static void check_kvm(struct facts *f) {
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                f->kvm_ok = true;
                add("kvm", ST_OK, NULL, "KVM: /dev/kvm is present and usable");
                return;
        }
        int e = errno;
        if (e == EACCES || e == EPERM)
                add("kvm", ST_FAIL, "run gpuhookctl and libvirt as root, or add the user to the kvm group",
                    "KVM: /dev/kvm exists but cannot be opened: %s", strerror(e));
        else if (!f->vmx && !f->svm && !f->hypervisor)
                add("kvm", ST_FAIL,
                    "enable Intel VT-x or AMD-V (SVM) in the firmware setup, then `modprobe kvm_intel` or `modprobe kvm_amd`",
                    "KVM: no /dev/kvm and the CPU shows no vmx/svm flag: hardware virtualization is off");
        else
                add("kvm", ST_FAIL,
                    is_amd(f) ? "`modprobe kvm_amd` (and check dmesg for why it did not load)"
                              : "`modprobe kvm_intel` (and check dmesg for why it did not load)",
                    "KVM: no /dev/kvm: the kvm module is not loaded");
}

static int count_dir(const char *path, const char *prefix) {
        DIR *d = opendir(path);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && (!prefix || !strncmp(de->d_name, prefix, strlen(prefix))))
                        n++;
        closedir(d);
        return n;
}

static const char *iommu_enable_fix(const struct facts *f) {
        if (cmdline_has(f, "intel_iommu=off") || cmdline_has(f, "amd_iommu=off") || cmdline_has(f, "iommu=off"))
                return "remove intel_iommu=off / amd_iommu=off / iommu=off from the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot";
        if (f->hypervisor)
                return "this host is a virtual machine: its hypervisor must give it a virtual IOMMU (e.g. QEMU -device intel-iommu,intremap=on with -machine q35,kernel-irqchip=split) and pass the GPU to it; then boot with intel_iommu=on";
        if (is_amd(f))
                return "enable the IOMMU (AMD-Vi, sometimes \"IOMMU\" or \"SVM + IOMMU\") in the firmware setup; the kernel turns it on by itself (do not pass amd_iommu=off), add iommu=pt for host performance, reboot";
        return "enable VT-d (\"Intel Virtualization Technology for Directed I/O\") in the firmware setup, add intel_iommu=on iommu=pt to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot";
}

static void check_iommu(struct facts *f) {
        struct stat st;
        int units = count_dir("/sys/class/iommu", NULL);

        f->iommu_groups = iommu_group_count();
        f->iommu_active = f->iommu_groups > 0;
        f->acpi = stat("/sys/firmware/acpi/tables", &st) == 0;
        f->dmar = stat("/sys/firmware/acpi/tables/DMAR", &st) == 0;
        f->ivrs = stat("/sys/firmware/acpi/tables/IVRS", &st) == 0;

        if (f->iommu_active) {
                char type[32] = "";
                (void)iommu_group_type(0, type, sizeof(type));
                add("iommu", ST_OK, NULL, "IOMMU: active, %d IOMMU group%s%s%s%s", f->iommu_groups, f->iommu_groups == 1 ? "" : "s",
                    units ? fmt(", %d IOMMU unit%s", units, units == 1 ? "" : "s") : "", *type ? ", default domain " : "", type);
                if (streq(type, "identity"))
                        add("iommu-mode", ST_INFO, NULL, "IOMMU: passthrough mode (iommu=pt) for host devices: fine for VFIO");
                return;
        }
        struct strbuf why = { 0 };
        if (f->acpi && !f->dmar && !f->ivrs)
                strbuf_appendf(&why, "the firmware advertises none (no ACPI DMAR or IVRS table)");
        else if (f->dmar || f->ivrs)
                strbuf_appendf(&why, "the firmware has an IOMMU (ACPI %s table) but the kernel did not enable it", f->dmar ? "DMAR" : "IVRS");
        if (cmdline_has(f, "intel_iommu=off") || cmdline_has(f, "amd_iommu=off") || cmdline_has(f, "iommu=off"))
                strbuf_appendf(&why, "%sthe kernel command line turns it off", why.len ? "; " : "");
        else if (f->dmar && !cmdline_has(f, "intel_iommu=on"))
                strbuf_appendf(&why, "%sthe kernel command line lacks intel_iommu=on", why.len ? "; " : "");
        if (f->hypervisor)
                strbuf_appendf(&why, "%sthis host is itself a virtual machine without a virtual IOMMU", why.len ? "; " : "");
        snprintf(f->iommu_why, sizeof(f->iommu_why), "%s", why.len ? strbuf_str(&why) : "the kernel created no IOMMU group");
        add("iommu", ST_FAIL, iommu_enable_fix(f), "IOMMU: not active, no IOMMU groups in %s%s%s", SYSFS_IOMMU_GROUPS,
            why.len ? ": " : "", strbuf_str(&why));
        strbuf_free(&why);
}

/* Interrupt remapping: without it vfio refuses to assign devices (unless
 * allow_unsafe_interrupts, which lets a guest inject interrupts). */
static void check_interrupt_remapping(const struct facts *f) {
        _cleanup_free_ char *unsafe = NULL;
        bool ir = false;
        _cleanup_fclose_ FILE *in = fopen("/proc/interrupts", "re");
        char *line = NULL;
        size_t size = 0;
        while (in && !ir && getline(&line, &size, in) > 0)
                ir = strstr(line, " IR-") != NULL;
        free(line);
        (void)read_text_file("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", 16, &unsafe);
        bool unsafe_on = unsafe && (streq(unsafe, "Y") || streq(unsafe, "1"));

        if (!f->iommu_active)
                add("interrupt-remapping", ST_FAIL, "comes with the IOMMU: fix the IOMMU first",
                    "interrupt remapping: unavailable, there is no active IOMMU");
        else if (ir)
                add("interrupt-remapping", ST_OK, NULL, "interrupt remapping: enabled (IR- interrupts in /proc/interrupts)");
        else if (cmdline_has(f, "intremap=off") || cmdline_has(f, "intremap=no_x2apic_optout"))
                add("interrupt-remapping", ST_FAIL, "remove intremap=off from the kernel command line and reboot",
                    "interrupt remapping: turned off on the kernel command line");
        else if (unsafe_on)
                add("interrupt-remapping", ST_WARN,
                    "enable interrupt remapping / x2APIC in the firmware and drop vfio_iommu_type1.allow_unsafe_interrupts=1",
                    "interrupt remapping: not seen; vfio allows unsafe interrupts (a guest can inject interrupts into the host)");
        else
                add("interrupt-remapping", ST_FAIL,
                    "enable interrupt remapping (\"x2APIC\", \"Interrupt Remapping\") in the firmware setup; only if the platform has none: options vfio_iommu_type1 allow_unsafe_interrupts=1 (unsafe)",
                    "interrupt remapping: not enabled (no IR- interrupts in /proc/interrupts): vfio will refuse to assign devices");
}

static const char *kernel_release(void) {
        static struct utsname u;
        return uname(&u) == 0 ? u.release : "$(uname -r)";
}

static void check_vfio(struct facts *f) {
        static const char *const modules[] = { "vfio", "vfio_iommu_type1", "vfio_pci" };
        struct strbuf missing = { 0 }, unavailable = { 0 };
        bool index = true;
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                if (kernel_module_loaded(modules[i]))
                        continue;
                int a = kernel_module_available(modules[i]);
                if (a == -ENOENT)
                        index = false;
                strbuf_appendf(a > 0 ? &missing : &unavailable, "%s%s", (a > 0 ? missing.len : unavailable.len) ? ", " : "",
                               modules[i]);
        }
        f->vfio_pci_available = kernel_module_loaded("vfio_pci") || kernel_module_available("vfio_pci") > 0;
        if (!missing.len && !unavailable.len)
                add("vfio-modules", ST_OK, NULL, "VFIO: vfio, vfio_iommu_type1 and vfio_pci are loaded");
        else if (unavailable.len && !index)
                add("vfio-modules", ST_FAIL, "boot a kernel built with VFIO (CONFIG_VFIO_PCI), e.g. the distribution's kernel, with its modules installed",
                    "VFIO: %s: not loaded, and this kernel has no module directory (/lib/modules/%s) to load them from",
                    strbuf_str(&unavailable), kernel_release());
        else if (unavailable.len)
                add("vfio-modules", ST_FAIL, "install a kernel built with CONFIG_VFIO, CONFIG_VFIO_IOMMU_TYPE1 and CONFIG_VFIO_PCI",
                    "VFIO: %s missing from this kernel", strbuf_str(&unavailable));
        else
                add("vfio-modules", ST_WARN, "`modprobe vfio-pci`; to load it at boot: echo vfio-pci > /etc/modules-load.d/vfio.conf (libvirt also loads it when it needs it)",
                    "VFIO: %s: available but not loaded", strbuf_str(&missing));
        f->vfio_ok = stat("/dev/vfio/vfio", &st) == 0;
        if (f->vfio_ok)
                add("vfio-dev", ST_OK, NULL, "VFIO: /dev/vfio/vfio is present");
        else
                add("vfio-dev", ST_FAIL, f->vfio_pci_available ? "`modprobe vfio` creates it" : "needs the VFIO modules (above)",
                    "VFIO: no /dev/vfio/vfio, so QEMU cannot open any VFIO device (libvirt checks it for every mdev)");
        strbuf_free(&missing);
        strbuf_free(&unavailable);
}

/* ---- IBM Z (s390): vfio_ap, vfio_ccw ---- */

/* Entries of DIR that look like css bus ids ("0.0.0313"), comma-separated. */
static int list_subchannels(const char *dir, struct strbuf *out) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && strchr(de->d_name, '.')) {
                        if (n < 8)
                                strbuf_appendf(out, "%s%s", n ? ", " : "", de->d_name);
                        n++;
                }
        closedir(d);
        if (n > 8)
                strbuf_appendf(out, ", ...");
        return n;
}

/* vfio_ap registers /sys/devices/vfio_ap/matrix when it loads
 * (Documentation/arch/s390/vfio-ap.rst, "Configuring the vfio_ap device
 * driver"); vfio_ccw registers its css driver. A host without these buses
 * is not an IBM Z and gets no section. Missing modules are warnings: not
 * every Z host passes crypto or I/O devices to guests. */
static void check_s390(void) {
        bool ap = sysfs_exists(S390_AP_BUS), css = sysfs_exists("/sys/bus/css");
        if (!ap && !css)
                return;
        section = "IBM Z (s390)";
        if (ap) {
                if (sysfs_exists(S390_AP_MATRIX))
                        add("s390-vfio-ap", ST_OK, NULL, "vfio_ap: loaded, matrix device %s", S390_AP_MATRIX);
                else
                        add("s390-vfio-ap", ST_WARN, "`modprobe vfio_ap` (and echo vfio_ap > /etc/modules-load.d/vfio-ap.conf)",
                            "vfio_ap: not loaded, no crypto adapter can go to a guest");
                uint64_t apm[AP_ID_COUNT / 64], aqm[AP_ID_COUNT / 64];
                unsigned max_a = AP_ID_COUNT - 1, max_d = AP_ID_COUNT - 1;
                (void)s390_ap_max_id("ap_max_adapter_id", &max_a);
                (void)s390_ap_max_id("ap_max_domain_id", &max_d);
                if (s390_ap_mask_read("apmask", apm) < 0 || s390_ap_mask_read("aqmask", aqm) < 0)
                        add("s390-ap-masks", ST_WARN, "check that the ap bus is up (`lszcrypt`)", "AP masks: cannot read %s/apmask and aqmask",
                            S390_AP_BUS);
                else {
                        /* a cleared bit takes that adapter (domain) from the host's
                         * zcrypt drivers: every APQN with it may go to vfio_ap
                         * (ap_bus.c ap_apqn_in_matrix_owned_by_def_drv()) */
                        unsigned fa = 0, fd = 0;
                        for (unsigned i = 0; i <= max_a && i < AP_ID_COUNT; i++)
                                fa += !ap_bit(apm, i);
                        for (unsigned i = 0; i <= max_d && i < AP_ID_COUNT; i++)
                                fd += !ap_bit(aqm, i);
                        if (fa + fd > 0)
                                add("s390-ap-masks", ST_OK, NULL, "AP masks: %u of %u adapters and %u of %u domains are out of the host's masks (usable by vfio_ap)",
                                    fa, max_a + 1, fd, max_d + 1);
                        else
                                add("s390-ap-masks", ST_WARN, "`echo -N > /sys/bus/ap/apmask` (adapter N) or `echo -N > /sys/bus/ap/aqmask` (domain N); persistently with chzdev",
                                    "AP masks: every adapter and domain is kept for the host's crypto drivers, none can be assigned to a vfio_ap mdev");
                }
        }
        if (css) {
                struct strbuf names = { 0 };
                if (!sysfs_exists("/sys/bus/css/drivers/vfio_ccw"))
                        add("s390-vfio-ccw", ST_WARN, "`modprobe vfio_ccw`", "vfio_ccw: not loaded, no I/O subchannel can go to a guest");
                else {
                        add("s390-vfio-ccw", ST_OK, NULL, "vfio_ccw: loaded");
                        int n = list_subchannels("/sys/bus/css/drivers/vfio_ccw", &names);
                        if (n > 0)
                                add("s390-subchannels", ST_INFO, NULL, "vfio_ccw: %d subchannel%s bound (%s)", n, n == 1 ? "" : "s",
                                    strbuf_str(&names));
                        else
                                add("s390-subchannels", ST_INFO, NULL,
                                    "vfio_ccw: no subchannel bound to it; gpuhook binds the one a domain's vfio-ccw mdev names (parent='0.0.XXXX') when the domain starts");
                }
                strbuf_free(&names);
        }
}

/* ---- mdevctl, vendor drivers ---- */

static void check_mdevctl(const struct gpuhook_config *cfg) {
        _cleanup_free_ char *path = NULL, *out = NULL, *err = NULL;
        bool had = log_failure() != NULL;
        int r = mdevctl_resolve(cfg->mdevctl_path, &path);
        if (r < 0) {
                if (!had)
                        log_failure_clear();
                add("mdevctl", ST_FAIL, "apt-get install mdevctl (gpuhook creates every vGPU through it)",
                    "mdevctl: not installed");
                return;
        }
        char *const argv[] = { path, (char *)"--version", NULL };
        int k = spawn_run(argv, 10000, &out, &err);
        add("mdevctl", ST_OK, NULL, "mdevctl: %s (%s)", path, k == 0 && *first_line(out) ? first_line(out) : "version unknown");

        /* Debian's 1.2.0 udev rule runs /usr/sbin/mdevctl, the binary is /usr/bin/mdevctl. */
        static const char *const rules[] = { "/etc/udev/rules.d/60-mdevctl.rules", "/usr/lib/udev/rules.d/60-mdevctl.rules",
                                             "/lib/udev/rules.d/60-mdevctl.rules" };
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                _cleanup_free_ char *text = NULL;
                if (read_text_file(rules[i], 64 * 1024, &text) < 0)
                        continue;
                if (strstr(text, "/usr/sbin/mdevctl") && access("/usr/sbin/mdevctl", X_OK) < 0)
                        add("mdevctl-udev", ST_WARN, fmt("ln -s %s /usr/sbin/mdevctl (mdevctl issue #82)", path),
                            "mdevctl: its udev rule %s runs /usr/sbin/mdevctl, which does not exist: mdevs defined with --auto do not start at boot",
                            rules[i]);
                break;
        }
}

/* The vendors' items through this sink (vendor.h, check_add_fn). */
_Static_assert((int)CHECK_OK == ST_OK && (int)CHECK_INFO == ST_INFO && (int)CHECK_WARN == ST_WARN && (int)CHECK_FAIL == ST_FAIL,
               "vendor check statuses map onto the CLI's");
static _printf_(4, 5) void add_vendor_item(const char *id, enum check_status st, const char *fix, const char *f, ...) {
        va_list ap;
        char *summary = NULL;
        va_start(ap, f);
        if (vasprintf(&summary, f, ap) < 0)
                summary = NULL;
        va_end(ap);
        if (summary)
                add(id, (enum status)st, fix, "%s", summary);
        free(summary);
}

static void check_vendor(const struct pci_list *l) {
        if (!gpu_vendors_check(l, add_vendor_item))
                add("vendor", ST_INFO, NULL, "vendor vGPU: no NVIDIA, Intel or AMD GPU, no vendor service to check");
}

/* ---- libvirt, the hook, the config ---- */

static uint64_t process_start_time(pid_t pid) {
        _cleanup_free_ char *path = strdup_printf("/proc/%ld/stat", (long)pid), *stat_s = NULL, *procstat = NULL;
        if (!path || read_text_file(path, 4096, &stat_s) < 0 || read_text_file("/proc/stat", 1 << 20, &procstat) < 0)
                return 0;
        const char *p = strrchr(stat_s, ')');
        unsigned long long start = 0;
        for (int field = 2; p && field < 22; field++) /* to the space before field 22, starttime */
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p + 1, "%llu", &start) != 1)
                return 0;
        const char *b = strstr(procstat, "\nbtime ");
        unsigned long long btime = 0;
        if (!b || sscanf(b + 7, "%llu", &btime) != 1)
                return 0;
        long hz = sysconf(_SC_CLK_TCK);
        return btime + start / (unsigned long long)(hz > 0 ? hz : 100);
}

static pid_t daemon_pid(const char **ret_name) {
        static const char *const names[] = { "libvirtd", "virtqemud" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *p = strdup_printf("/run/%s.pid", names[i]), *s = NULL;
                unsigned pid;
                if (p && read_text_file(p, 32, &s) >= 0 && safe_atou(s, &pid) >= 0 && pid > 0 && kill((pid_t)pid, 0) == 0) {
                        *ret_name = names[i];
                        return (pid_t)pid;
                }
        }
        return 0;
}

static void check_hook(struct facts *f) {
        const char *hook = GPUHOOK_HOOK_PATH;
        struct stat lst, st;
        if (lstat(hook, &lst) < 0) {
                add("hook", ST_FAIL, "install gpuhook (`meson install`, or the package), which links the hook into libvirt's qemu.d, then restart libvirtd",
                    "gpuhook hook: %s is not installed", hook);
                return;
        }
        if (stat(hook, &st) < 0) {
                add("hook", ST_FAIL, "reinstall gpuhook; the link points to a binary that is gone",
                    "gpuhook hook: %s is a dangling link: %s", hook, strerror(errno));
                return;
        }
        if (!S_ISREG(st.st_mode) || access(hook, X_OK) < 0) {
                add("hook", ST_FAIL, fmt("chmod 755 %s (libvirt silently skips hooks that are not executable)", hook),
                    "gpuhook hook: %s is not an executable file", hook);
                return;
        }
        f->hook_ok = true;
        add("hook", ST_OK, NULL, "gpuhook hook: %s is installed and executable", hook);

        /* libvirt notices hooks only at daemon start (or SIGHUP). */
        const char *dname = NULL;
        pid_t pid = daemon_pid(&dname);
        uint64_t started = pid ? process_start_time(pid) : 0;
        /* Both clocks are whole seconds (boot time and start ticks are rounded): allow a little. */
        if (started && (uint64_t)lst.st_mtime > started + 2)
                add("hook-seen", ST_WARN, fmt("systemctl restart %s (or send it SIGHUP)", dname),
                    "gpuhook hook: installed after %s started; the daemon may not run it yet", dname);

        /* A single-file dispatcher that also runs qemu.d scripts runs gpuhook twice. */
        _cleanup_free_ char *dispatcher = NULL;
        if (read_text_file("/etc/libvirt/hooks/qemu", 256 * 1024, &dispatcher) >= 0 && strstr(dispatcher, "qemu.d"))
                add("hook-dispatcher", ST_WARN, "remove the dispatcher: libvirt >= 6.5 runs /etc/libvirt/hooks/qemu.d/* itself",
                    "gpuhook hook: /etc/libvirt/hooks/qemu looks like a qemu.d dispatcher; libvirt runs qemu.d too, so gpuhook would run twice");
}

/* The host-wide switch (`gpuhookctl disable`, verb-disable.c). */
static void check_switch(void) {
        struct ctl_switch sw = { 0 };
        struct strbuf line = { 0 };
        if (ctl_switch_read(&sw) < 0)
                return;
        ctl_switch_describe(&sw, &line);
        if (sw.off)
                add("switch", ST_WARN, "gpuhookctl enable", "%s", strbuf_str(&line));
        else if (sw.untrusted)
                add("switch", ST_WARN, fmt("remove %s, or switch gpuhook off with `gpuhookctl disable`", sw.path),
                    "%s is ignored: not a root-owned file only root can write; gpuhook stays on", sw.path);
        else
                add("switch", ST_OK, NULL, "gpuhook is on (`gpuhookctl disable` switches it off host-wide)");
        strbuf_free(&line);
        ctl_switch_free(&sw);
}

static void version_text(unsigned long v, char buf[32]) {
        snprintf(buf, 32, "%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

static void check_libvirt(struct facts *f) {
        unsigned long lib = 0, daemon = 0, hv = 0;
        char a[32], b[32], c[32];
        _cleanup_virconn_ virConnectPtr conn = NULL;

        (void)virGetVersion(&lib, NULL, NULL);
        version_text(lib, a);
        bool had = log_failure() != NULL;
        if (virt_open(true, &conn) < 0) {
                add("libvirt", ST_FAIL, "systemctl start libvirtd (or virtqemud.socket), or pass -c URI",
                    "libvirt: client %s, cannot connect to the daemon at %s: %s", a, virt_uri_shown(), virt_last_error());
                if (!had)
                        log_failure_clear();
                return;
        }
        (void)virConnectGetLibVersion(conn, &daemon);
        (void)virConnectGetVersion(conn, &hv);
        version_text(daemon, b);
        version_text(hv, c);
        f->libvirt_ok = daemon >= 6005000;
        if (!f->libvirt_ok)
                add("libvirt", ST_FAIL, "upgrade libvirt to 6.5.0 or newer",
                    "libvirt: daemon %s is older than 6.5.0, which added hooks/qemu.d", b);
        else
                add("libvirt", ST_OK, NULL, "libvirt: daemon %s (client %s), %s %s at %s", b, a,
                    virConnectGetType(conn) ? virConnectGetType(conn) : "hypervisor", c, virt_uri_shown());
}

static void check_config(const struct gpuhook_config **ret) {
        int r = ctl_config(ret);
        if (r < 0) {
                add("config", ST_FAIL, "see gpuhook.conf(5)", "gpuhook config: %s",
                    log_failure() ? log_failure() : strerror(-r));
                log_failure_clear();
                static struct gpuhook_config defaults;
                config_init_defaults(&defaults);
                defaults.state_dir = (char *)GPUHOOK_STATE_DIR_DEFAULT;
                *ret = &defaults;
                return;
        }
        /* One ✗ per bad line: the hook refuses to prepare GPU domains until
         * all are fixed; everything else runs on the valid lines and defaults. */
        for (size_t i = 0; i < (*ret)->n_errors; i++) {
                _cleanup_free_ char *line = config_error_with_fix(*ret, i);
                add("config", ST_FAIL, "until it is fixed the hook refuses to start VMs with GPU hostdevs (see gpuhook.conf(5))",
                    "gpuhook config: %s", line ? line : (*ret)->errors[i]);
        }
        if ((*ret)->n_errors_dropped)
                add("config", ST_FAIL, "the file is probably not a gpuhook.conf: compare it with gpuhook.conf(5)",
                    "gpuhook config: %zu more errors after the first %d", (*ret)->n_errors_dropped, CONFIG_MAX_ERRORS);
        if (config_has_errors(*ret))
                return;
        add("config", ST_OK, NULL, "gpuhook config: %s%s, state in %s", config_default_path(),
            access(config_default_path(), F_OK) == 0 ? "" : " (absent: defaults)", (*ret)->state_dir);
}

/* ---- per GPU ---- */

struct modprobe_conf {
        char **blacklisted; /* "module\tfile" */
        char **vfio_ids;    /* "10de:1db4\tfile" */
};

static void scan_modprobe(struct modprobe_conf *m, const struct facts *f) {
        static const char *const globs[] = { "/etc/modprobe.d/*.conf", "/run/modprobe.d/*.conf", "/usr/lib/modprobe.d/*.conf",
                                             "/lib/modprobe.d/*.conf" };
        char buf[1024];
        for (size_t g = 0; g < ELEMENTSOF(globs); g++) {
                glob_t gl;
                if (glob(globs[g], 0, NULL, &gl) != 0)
                        continue;
                for (size_t i = 0; i < gl.gl_pathc; i++) {
                        _cleanup_fclose_ FILE *in = fopen(gl.gl_pathv[i], "re");
                        char *line = NULL;
                        size_t size = 0;
                        while (in && getline(&line, &size, in) > 0) {
                                char w1[64], w2[128], w3[512];
                                int k = sscanf(line, "%63s %127s %511s", w1, w2, w3);
                                if (k >= 2 && streq(w1, "blacklist"))
                                        (void)strv_push(&m->blacklisted, fmt("%s\t%s", w2, gl.gl_pathv[i]));
                                else if (k == 3 && streq(w1, "options") && (streq(w2, "vfio-pci") || streq(w2, "vfio_pci")) &&
                                         !strncmp(w3, "ids=", 4)) {
                                        char *save = NULL;
                                        for (char *id = strtok_r(w3 + 4, ",", &save); id; id = strtok_r(NULL, ",", &save))
                                                (void)strv_push(&m->vfio_ids, fmt("%.9s\t%s", id, gl.gl_pathv[i]));
                                }
                        }
                        free(line);
                }
                globfree(&gl);
        }
        const char *v = cmdline_value(f, "vfio-pci.ids=", buf, sizeof(buf));
        if (!v)
                v = cmdline_value(f, "vfio_pci.ids=", buf, sizeof(buf));
        if (v) {
                _cleanup_free_ char *copy = strdup(v);
                char *save = NULL;
                for (char *id = copy ? strtok_r(copy, ",", &save) : NULL; id; id = strtok_r(NULL, ",", &save))
                        (void)strv_push(&m->vfio_ids, fmt("%.9s\t/proc/cmdline", id));
        }
        v = cmdline_value(f, "modprobe.blacklist=", buf, sizeof(buf));
        if (v) {
                _cleanup_free_ char *copy = strdup(v);
                char *save = NULL;
                for (char *mod = copy ? strtok_r(copy, ",", &save) : NULL; mod; mod = strtok_r(NULL, ",", &save))
                        (void)strv_push(&m->blacklisted, fmt("%s\t/proc/cmdline", mod));
        }
}

static bool same_module(const char *a, const char *b) {
        for (; *a && *b; a++, b++)
                if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
                        return false;
        return !*a && !*b;
}

static const char *lookup(char *const *v, const char *key, bool module) {
        for (size_t i = 0; v && v[i]; i++) {
                const char *tab = strchr(v[i], '\t');
                char k[128];
                snprintf(k, sizeof(k), "%.*s", (int)(tab - v[i]), v[i]);
                if (module ? same_module(k, key) : streq(k, key))
                        return tab + 1;
        }
        return NULL;
}

static void check_gpu(const struct gpuhook_config *cfg, const struct pci_list *l, const struct pci_device *g,
                      const struct modprobe_conf *mc) {
        struct companion *comp = NULL;
        size_t n_comp = 0;
        char **modules = NULL;
        char id[10];

        snprintf(id, sizeof(id), "%04x:%04x", g->vendor, g->device);
        (void)gpu_companions(l, g, &comp, &n_comp);

        add("driver", ST_INFO, NULL, "driver in use: %s%s", *g->driver ? g->driver : "none",
            g->boot_vga == 1 ? " (boot VGA: drives the host console)" : "");
        if (g->modalias && pci_modules_for_modalias(g->modalias, &modules) >= 0 && modules[0]) {
                _cleanup_free_ char *j = strv_join(modules, ", ");
                add("kernel-modules", ST_INFO, NULL, "kernel modules: %s", j ? j : "?");
        }

        /* IOMMU group and whether the hook can take it: the hook's own policy. */
        if (g->iommu_group < 0)
                add("iommu-group", ST_FAIL, "enable the IOMMU (see above)", "IOMMU group: none, it cannot be passed through");
        else {
                char **members = NULL;
                struct strbuf others = { 0 };
                if (iommu_group_members(g->iommu_group, &members, NULL) >= 0)
                        for (size_t i = 0; members[i]; i++) {
                                const struct pci_device *m = pci_list_find(l, members[i]);
                                if (m && m != g)
                                        strbuf_appendf(&others, "%s%s (%s, %s)", others.len ? ", " : "", m->bdf,
                                                       pci_class_name(m->class), *m->driver ? m->driver : "no driver");
                        }
                add("iommu-group", ST_OK, NULL, "IOMMU group %d: %s%s", g->iommu_group, others.len ? "with " : "alone",
                    strbuf_str(&others));
                strbuf_free(&others);
                strv_free_null(members);

                struct strbuf taken = { 0 };
                bool console_only = false, had = log_failure() != NULL;
                int r = passthrough_verdict(cfg, l, g, true, &taken, &console_only);
                if (r == -EBUSY && g->sriov_numvfs > 0) {
                        /* The kernel's PF rule (lib/pci-policy.c): its VFs are what
                         * VMs get, so on a vGPU/SR-IOV host this is no blocker. */
                        add("passthrough", ST_INFO, NULL, "passthrough: not while its VFs are enabled: %s",
                            log_failure() ? log_failure() : strerror(-r));
                        if (!had)
                                log_failure_clear();
                } else if (r < 0) {
                        add("passthrough", console_only ? ST_WARN : ST_FAIL, NULL, "passthrough: the hook refuses it: %s",
                            log_failure() ? log_failure() : strerror(-r));
                        if (!had)
                                log_failure_clear();
                } else
                        add("passthrough", ST_OK, NULL, "passthrough: possible as <hostdev managed='yes'>%s%s%s",
                            taken.len ? "; gpuhook also moves " : "", strbuf_str(&taken), taken.len ? " (companions) to vfio-pci" : "");
                strbuf_free(&taken);
        }

        /* Companions. */
        for (size_t i = 0; i < n_comp; i++)
                if (comp[i].relation == COMPANION_FUNCTION)
                        add("companion", ST_INFO, NULL, "companion %s: %s, driver %s", comp[i].dev->bdf,
                            pci_class_name(comp[i].dev->class), *comp[i].dev->driver ? comp[i].dev->driver : "none");

        /* vGPU. */
        if (g->mdev_parent) {
                _cleanup_free_ char *types = sysfs_pci_attr(g->bdf, "mdev_supported_types");
                add("vgpu", ST_OK, NULL, "vGPU: mdev parent with %d type%s (gpuhookctl types)", count_dir(types, NULL),
                    count_dir(types, NULL) == 1 ? "" : "s");
        }
        unsigned vendor_vfs = 0;
        for (size_t i = 0; i < n_comp; i++)
                if (comp[i].relation == COMPANION_VF && vgpu_vf_for(comp[i].dev->bdf))
                        vendor_vfs++;
        if (vendor_vfs) {
                /* libvirt must accept the VF unmanaged on the nvidia driver. */
                unsigned long lv = virt_libvirt_version();
                char why[256];
                enum libvirt_vfio_support sup = libvirt_vendor_vfio_support(lv);
                libvirt_vendor_vfio_why(lv, why, sizeof(why));
                if (sup == LIBVIRT_VFIO_YES)
                        add("vgpu", ST_OK, NULL, "vGPU: NVIDIA vendor-specific VFIO on %u VF%s (gpuhookctl types)", vendor_vfs,
                            vendor_vfs == 1 ? "" : "s");
                else
                        add("vgpu", sup == LIBVIRT_VFIO_NO ? ST_FAIL : ST_WARN,
                            "upgrade libvirt to 10.0.0 or newer; until then these VFs cannot go to a libvirt domain",
                            "vGPU: NVIDIA vendor-specific VFIO on %u VF%s, but %s", vendor_vfs, vendor_vfs == 1 ? "" : "s", why);
        }
        if (g->sriov_totalvfs) {
                /* The fix comes from the driver that owns this PF, never another vendor's. */
                struct sriov_pf pf = { .vendor = g->vendor, .class = g->class, .totalvfs = g->sriov_totalvfs, .numvfs = g->sriov_numvfs };
                snprintf(pf.bdf, sizeof(pf.bdf), "%s", g->bdf);
                snprintf(pf.driver, sizeof(pf.driver), "%s", g->driver);
                const struct sriov_driver *sd = sriov_driver_for(&pf);
                char hint[256] = "";
                if (!g->sriov_numvfs && sd && sd->enable_hint)
                        sd->enable_hint(&pf, hint, sizeof(hint));
                add("sriov", ST_INFO, *hint ? hint : NULL, "SR-IOV: %u of %u VFs enabled", g->sriov_numvfs, g->sriov_totalvfs);
        }

        /* Blacklist state. */
        const char *claimed = lookup(mc->vfio_ids, id, false);
        if (claimed)
                add("blacklist", ST_OK, NULL, "vfio-pci claims %s at boot (%s)", id, claimed);
        struct strbuf bl = { 0 }, not_bl = { 0 };
        for (size_t i = 0; modules && modules[i]; i++) {
                const char *where = lookup(mc->blacklisted, modules[i], true);
                if (where)
                        strbuf_appendf(&bl, "%s%s (%s)", bl.len ? ", " : "", modules[i], where);
                else if (!streq(modules[i], "vfio_pci") && !streq(modules[i], "vfio-pci"))
                        strbuf_appendf(&not_bl, "%s%s", not_bl.len ? ", " : "", modules[i]);
        }
        if (bl.len)
                add("blacklist", ST_INFO, NULL, "blacklisted: %s", strbuf_str(&bl));
        if (*g->driver && gpu_driver_is_drm(g->driver) && !claimed && !lookup(mc->blacklisted, g->driver, true) &&
            g->boot_vga != 1)
                add("blacklist", ST_WARN, fmt("gpuhookctl blacklist %s  (or: gpuhookctl blacklist --vfio %s), then reboot", g->driver, id),
                    "blacklist: %s drives this GPU and is not blacklisted; GPUs often fail to come back from a host DRM driver", g->driver);
        else if (!bl.len && !claimed)
                add("blacklist", ST_INFO, NULL, "blacklist: none of its drivers is blacklisted%s%s", not_bl.len ? " (" : "",
                    not_bl.len ? fmt("%s)", strbuf_str(&not_bl)) : "");
        strbuf_free(&bl);
        strbuf_free(&not_bl);
        strv_free_null(modules);
        free(comp);
}

/* ---- 3D: virtio-gpu with virgl (the virtio-gl template) ---- */

/* 3D needs no IOMMU and no passthrough: a render node of a host GPU, QEMU's
 * virgl GPU and OpenGL display, and libvirglrenderer. It is optional, so a
 * missing piece is "–" (not a blocker) unless a defined domain asks for 3D;
 * then it is ✗ and names the domains. */

struct qemu_identity {
        char user[64], group[64];
        bool namespaces; /* libvirt gives each QEMU a private /dev (qemu.conf namespaces) */
};

/* A `key = "value"` line of qemu.conf; false when the key is absent or
 * commented. */
static bool qemu_conf_string(const char *text, const char *key, char *buf, size_t size) {
        size_t n = strlen(key);
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                const char *p = line;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (strncmp(p, key, n) != 0 || (p[n] != ' ' && p[n] != '\t' && p[n] != '='))
                        continue;
                p += n;
                p += strspn(p, " \t");
                if (*p != '=')
                        continue;
                p++;
                p += strspn(p, " \t");
                if (*p == '"') {
                        size_t len = strcspn(p + 1, "\"\n");
                        snprintf(buf, size, "%.*s", (int)len, p + 1);
                } else
                        snprintf(buf, size, "%.*s", (int)strcspn(p, " \t\n#"), p);
                return true;
        }
        return false;
}

/* Who QEMU runs as: qemu.conf's user/group, else the build's default.
 * Debian 12's libvirt 9.0.0 ships qemu.conf with the defaults commented out:
 * `#user = "libvirt-qemu"`, `#group = "libvirt-qemu"`, `#namespaces = [ "mount" ]`
 * (the mount namespace "is turned on by default"). */
static void read_qemu_identity(struct qemu_identity *q) {
        _cleanup_free_ char *text = NULL;
        const char *path = test_getenv("GPUHOOK_QEMU_CONF");
        char ns[256] = "";
        *q = (struct qemu_identity){ .user = "libvirt-qemu", .group = "libvirt-qemu", .namespaces = true };
        if (read_text_file(isempty(path) ? "/etc/libvirt/qemu.conf" : path, 1 << 20, &text) < 0)
                return;
        (void)qemu_conf_string(text, "user", q->user, sizeof(q->user));
        (void)qemu_conf_string(text, "group", q->group, sizeof(q->group));
        /* `namespaces = [ ]` turns the private /dev off. */
        const char *p = strstr(text, "\nnamespaces");
        if (p) {
                snprintf(ns, sizeof(ns), "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
                q->namespaces = strstr(ns, "mount") != NULL;
        }
}

/* Whether USER (with GROUP, qemu.conf's group, and its supplementary groups)
 * may open ST for reading and writing, by the mode bits. */
static bool user_may_rw(const struct stat *st, const char *user, const char *group, char *why, size_t size) {
        struct passwd *pw = getpwnam(user);
        struct group *gr = getgrnam(group);
        gid_t groups[256];
        int n = ELEMENTSOF(groups);
        if (!pw) {
                snprintf(why, size, "there is no user %s", user);
                return false;
        }
        if (pw->pw_uid == 0)
                return true;
        if (st->st_uid == pw->pw_uid)
                return (st->st_mode & (S_IRUSR | S_IWUSR)) == (S_IRUSR | S_IWUSR);
        bool in_group = gr && gr->gr_gid == st->st_gid;
        if (getgrouplist(user, gr ? gr->gr_gid : pw->pw_gid, groups, &n) >= 0)
                for (int i = 0; i < n; i++)
                        in_group = in_group || groups[i] == st->st_gid;
        if (in_group)
                return (st->st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
        snprintf(why, size, "%s is not in its group", user);
        return (st->st_mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH);
}

/* Defined domains with 3D: <acceleration accel3d='yes'/> or <gl enable='yes'/>
 * (the virtio-gl template's two switches). NULL when none or no libvirt. */
static char *domains_wanting_3d(void) {
        _cleanup_virconn_ virConnectPtr conn = NULL;
        virDomainPtr *doms = NULL;
        struct strbuf names = { 0 };
        bool had = log_failure() != NULL;
        if (virt_open(true, &conn) < 0) {
                if (!had)
                        log_failure_clear();
                return NULL;
        }
        int n = virConnectListAllDomains(conn, &doms, 0);
        for (int i = 0; i < n; i++) {
                char *xml = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
                if (xml && (strstr(xml, "accel3d='yes'") || strstr(xml, "<gl enable='yes'")))
                        (void)strbuf_appendf(&names, "%s'%s'", names.len ? ", " : "", virDomainGetName(doms[i]));
                free(xml);
                virDomainFree(doms[i]);
        }
        free(doms);
        return names.buf;
}

static const char *qemu_system_name(void) {
        static struct utsname u;
        static char name[80];
        const char *m = uname(&u) == 0 ? u.machine : "x86_64";
        if (!strncmp(m, "arm", 3))
                m = "arm";
        snprintf(name, sizeof(name), "qemu-system-%s", m);
        return name;
}

#define SECTION_3D "3D (virtio-gpu + virgl, no IOMMU needed)"

static void check_3d(void) {
        _cleanup_free_ char *wanted = domains_wanting_3d();
        /* Missing pieces block only the domains that want 3D. */
        enum status missing = wanted ? ST_FAIL : ST_NA;
        const char *who = wanted ? fmt(" (wanted by %s)", wanted) : "";
        struct qemu_identity q;
        char node[300] = "";
        unsigned n_nodes = 0;

        if (wanted)
                add("3d-domains", ST_INFO, NULL, "3D: defined domains with 3D acceleration: %s", wanted);

        /* libvirt renders on the first renderD* in /dev/dri (src/util/virutil.c
         * virHostGetDRMRenderNode) unless <gl rendernode=...> names one. */
        DIR *d = opendir("/dev/dri");
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (!strncmp(de->d_name, "renderD", 7) && n_nodes++ == 0)
                        snprintf(node, sizeof(node), "/dev/dri/%s", de->d_name);
        if (d)
                closedir(d);
        if (!n_nodes)
                add("render-node", missing,
                    "the host needs a GPU driven by a host DRM driver (i915, amdgpu, nouveau, virtio_gpu): load its driver; a GPU given to VMs (vfio-pci) has no render node",
                    "render node: none in /dev/dri%s: QEMU cannot render 3D for guests", who);
        else {
                struct stat st;
                struct group *g = NULL;
                char why[160] = "";
                read_qemu_identity(&q);
                if (stat(node, &st) < 0 || !S_ISCHR(st.st_mode))
                        add("render-node", missing, "check the GPU's DRM driver (dmesg)", "render node: %s is not a character device%s",
                            node, who);
                else {
                        g = getgrgid(st.st_gid);
                        add("render-node", ST_OK, NULL, "render node: %s (%u in /dev/dri), group %s, mode %04o", node, n_nodes,
                            g ? g->gr_name : fmt("%u", (unsigned)st.st_gid), (unsigned)(st.st_mode & 07777));
                        bool ok = user_may_rw(&st, q.user, q.group, why, sizeof(why));
                        /* A node of group root or without group rw: no group to join. */
                        bool joinable = st.st_gid != 0 && (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
                        const char *gname = g ? g->gr_name : "render";
                        const char *grant = joinable ? fmt("usermod -aG %s %s", gname, q.user)
                                                     : fmt("give render nodes a group with a udev rule (SUBSYSTEM==\"drm\", KERNEL==\"renderD*\", GROUP=\"render\", MODE=\"0660\"), then usermod -aG render %s",
                                                           q.user);
                        if (ok)
                                add("render-access", ST_OK, NULL, "render node: QEMU's user %s may open %s", q.user, node);
                        else if (q.namespaces)
                                /* src/security/security_dac.c virSecurityDACSetGraphicsLabel:
                                 * with the mount namespace on, libvirt chowns the render
                                 * node to QEMU's user inside the domain's private /dev. */
                                add("render-access", ST_INFO, fmt("only for QEMU started outside libvirt: %s", grant),
                                    "render node: QEMU's user %s cannot open %s itself (%s), libvirt hands it over inside each domain's private /dev (qemu.conf namespaces)",
                                    q.user, node, why);
                        else
                                add("render-access", missing,
                                    fmt("%s, then restart libvirtd (qemu.conf has namespaces = [ ], so libvirt does not hand the node over)", grant),
                                    "render node: QEMU's user %s cannot open %s (%s)%s", q.user, node, why, who);
                }
        }

        /* QEMU: virtio-gpu-gl-pci is the virgl GPU libvirt uses for
         * <model type='virtio'><acceleration accel3d='yes'/> (QEMU_CAPS_VIRTIO_GPU_GL_PCI
         * in src/qemu/qemu_capabilities.c). Debian 12 ships its -pci/-vga
         * front ends in qemu-system-common but the device itself
         * (hw-display-virtio-gpu-gl.so, linked with libvirglrenderer) in
         * qemu-system-gui: without it `-device virtio-gpu-gl-pci,help` fails
         * with "missing object type 'virtio-gpu-gl-device'" (seen on Debian 12,
         * QEMU 7.2). */
        const char *qname = qemu_system_name();
        _cleanup_free_ char *qemu = find_program(qname);
        if (!qemu) {
                _cleanup_free_ char *usr = strdup_printf("/usr/bin/%s", qname);
                if (usr && access(usr, X_OK) == 0)
                        qemu = TAKE_PTR(usr);
        }
        if (!qemu)
                add("qemu-gl", missing, "apt-get install qemu-system-x86 (or your architecture's qemu-system-* package)",
                    "QEMU: no %s%s", qname, who);
        else {
                _cleanup_free_ char *out = NULL, *err = NULL, *dout = NULL, *derr = NULL;
                char *const dev[] = { qemu, (char *)"-device", (char *)"virtio-gpu-gl-pci,help", NULL };
                char *const disp[] = { qemu, (char *)"-display", (char *)"help", NULL };
                int k = spawn_run(dev, 10000, &out, &err);
                if (k == 0)
                        add("qemu-gl", ST_OK, NULL, "QEMU: %s has the virgl GPU (virtio-gpu-gl-pci)", qemu);
                else if (err && strstr(err, "missing object type"))
                        add("qemu-gl", missing,
                            "apt-get install qemu-system-gui (Debian ships the virgl GPU module hw-display-virtio-gpu-gl there, with libvirglrenderer1)",
                            "QEMU: %s lacks its virgl GPU module (%s)%s", qemu, first_line(err), who);
                else
                        add("qemu-gl", missing, "use a QEMU built with OpenGL and virglrenderer (Debian: qemu-system-x86 + qemu-system-gui)",
                            "QEMU: %s has no virtio-gpu-gl-pci (%s)%s", qemu, k < 0 ? strerror(-k) : first_line(err), who);
                /* egl-headless is listed only when QEMU's OpenGL UI module (ui-opengl) loads. */
                int kd = spawn_run(disp, 10000, &dout, &derr);
                if (kd == 0 && dout && strstr(dout, "egl-headless"))
                        add("qemu-opengl", ST_OK, NULL, "QEMU: OpenGL display support (egl-headless)");
                else
                        add("qemu-opengl", missing, "apt-get install qemu-system-gui (and libgl1, libegl1)",
                            "QEMU: no OpenGL display (egl-headless is not among -display help)%s", who);
        }

        /* libvirglrenderer: what QEMU's virgl module is linked with. */
        glob_t gl;
        bool lib = false;
        static const char *const libs[] = { "/usr/lib/*/libvirglrenderer.so.1", "/usr/lib64/libvirglrenderer.so.1",
                                            "/usr/lib/libvirglrenderer.so.1" };
        for (size_t i = 0; i < ELEMENTSOF(libs) && !lib; i++)
                if (glob(libs[i], 0, NULL, &gl) == 0) {
                        lib = true;
                        add("virglrenderer", ST_OK, NULL, "virglrenderer: %s", gl.gl_pathv[0]);
                        globfree(&gl);
                }
        if (!lib)
                add("virglrenderer", missing, "apt-get install libvirglrenderer1 (qemu-system-gui depends on it)",
                    "virglrenderer: libvirglrenderer.so.1 is not installed%s", who);
}

/* ---- report ---- */

static void print_report(const char *verdict, bool ready) {
        const char *last = NULL;
        for (size_t i = 0; i < n_items; i++) {
                const struct item *it = &items[i];
                if (!last || !streq(last, it->section)) {
                        printf("%s%s%s%s\n", last ? "\n" : "", ansi_bold(stdout), it->section, ansi_reset(stdout));
                        last = it->section;
                }
                const char *col = it->status == ST_OK     ? ansi_green(stdout)
                                  : it->status == ST_FAIL ? ansi_red(stdout)
                                  : it->status == ST_WARN ? ansi_yellow(stdout)
                                                          : ansi_grey(stdout);
                printf("  %s%s%s %s\n", col, status_glyphs[it->status], ansi_reset(stdout), it->summary);
                if (it->fix && it->status != ST_OK)
                        printf("      %sfix:%s %s\n", ansi_bold(stdout), ansi_reset(stdout), it->fix);
        }
        printf("\n%s%s%s %s\n", ready ? ansi_green(stdout) : ansi_red(stdout), ready ? "✓" : "✗", ansi_reset(stdout), verdict);
}

static void items_free(void) {
        for (size_t i = 0; i < n_items; i++) {
                free(items[i].section);
                free(items[i].id);
                free(items[i].summary);
                free(items[i].fix);
        }
        free(items);
        items = NULL;
        n_items = 0;
}

int verb_check(int argc, char **argv) {
        struct facts f = { 0 };
        const struct gpuhook_config *cfg = NULL;
        struct pci_list l = { 0 };
        struct modprobe_conf mc = { 0 };
        bool any_fail = false;
        size_t n_gpus = 0;
        int r;

        read_cpu(&f);
        section = "Host";
        if (f.hypervisor)
                add("virtual-machine", ST_INFO, NULL, "this host is a virtual machine (CPU flag 'hypervisor')%s",
                    *f.cpu_vendor ? fmt(", %s CPU", f.cpu_vendor) : "");
        check_kvm(&f);
        section = "IOMMU and VFIO";
        check_iommu(&f);
        check_interrupt_remapping(&f);
        check_vfio(&f);
        section = "gpuhook and libvirt";
        check_config(&cfg);
        check_hook(&f);
        check_switch();
        check_libvirt(&f);
        check_mdevctl(cfg);
        int parents = count_dir(SYSFS_MDEV_BUS, NULL);
        add("mdev", ST_INFO, NULL, "mdev: %d parent device%s in %s", parents, parents == 1 ? "" : "s", SYSFS_MDEV_BUS);

        r = pci_list_load(&l);
        section = "GPUs";
        if (r < 0)
                add("pci", ST_FAIL, "run as root with /sys mounted", "cannot enumerate PCI devices through udev: %s", strerror(-r));
        else {
                check_vendor(&l);
                scan_modprobe(&mc, &f);
                for (size_t i = 0; i < l.n; i++) {
                        const struct pci_device *g = &l.devs[i];
                        char title[300];
                        if (!pci_is_display(g) || *g->physfn)
                                continue;
                        n_gpus++;
                        snprintf(title, sizeof(title), "GPU %s %04x:%04x %s", g->bdf, g->vendor, g->device,
                                 g->model_name ? g->model_name : pci_class_name(g->class));
                        section = title;
                        check_gpu(cfg, &l, g, &mc);
                }
                section = "GPUs";
                if (n_gpus == 0)
                        add("gpus", ST_INFO, NULL, "no GPU (PCI display controller, class 03) on this host (%zu PCI functions)", l.n);
        }

        check_s390();

        section = SECTION_3D;
        check_3d();

        bool virgl_ready = true;
        for (size_t i = 0; i < n_items; i++) {
                any_fail = any_fail || items[i].status == ST_FAIL;
                if (streq(items[i].section, SECTION_3D))
                        virgl_ready = virgl_ready && items[i].status != ST_FAIL && items[i].status != ST_NA;
        }

        /* The verdict: plain words for what is possible here. */
        struct strbuf v = { 0 };
        bool passthrough = f.iommu_active && f.vfio_pci_available && f.kvm_ok;
        if (!f.iommu_active) {
                strbuf_appendf(&v, "PCI passthrough is impossible on this host. No IOMMU is active: %s", f.iommu_why);
                if (!f.vfio_pci_available)
                        strbuf_appendf(&v, ". The kernel also has no vfio-pci to hand devices to QEMU");
                if (!f.kvm_ok)
                        strbuf_appendf(&v, ". KVM is unusable too");
                strbuf_appendf(&v, ". Without an IOMMU no PCI device or SR-IOV VF can be isolated for a VM; mediated vGPUs need VFIO as well, and NVIDIA's also need the IOMMU. Fix the ✗ items above, reboot, and run `gpuhookctl check` again.");
        } else if (!passthrough)
                strbuf_appendf(&v, "PCI passthrough is not possible yet: %s%s. Fix the ✗ items above.",
                               f.vfio_pci_available ? "" : "the kernel has no vfio-pci", f.kvm_ok ? "" : (f.vfio_pci_available ? "KVM is unusable" : ", KVM is unusable"));
        else if (any_fail)
                strbuf_appendf(&v, "Passthrough is possible in principle, but the ✗ items above must be fixed first.");
        else if (n_gpus == 0)
                strbuf_appendf(&v, "The host is ready, but it has no GPU to pass through or share.");
        else
                strbuf_appendf(&v, "The host is ready for GPU passthrough%s.", parents > 0 ? " and vGPU" : "");

        strbuf_appendf(&v, " 3D for guests (virtio-gl): %s", virgl_ready ? "available." : "not available here, see the 3D section.");

        if (arg.json) {
                struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
                json_object_object_add(o, "virgl_3d", json_object_new_boolean(virgl_ready));
                json_object_object_add(o, "ready", json_object_new_boolean(!any_fail));
                json_object_object_add(o, "passthrough_possible", json_object_new_boolean(passthrough));
                json_object_object_add(o, "iommu_active", json_object_new_boolean(f.iommu_active));
                json_object_object_add(o, "verdict", json_str(strbuf_str(&v)));
                for (size_t i = 0; i < n_items; i++) {
                        struct json_object *it = json_object_new_object();
                        json_object_object_add(it, "section", json_str(items[i].section));
                        json_object_object_add(it, "check", json_str(items[i].id));
                        json_object_object_add(it, "status", json_str(status_names[items[i].status]));
                        json_object_object_add(it, "summary", json_str(items[i].summary));
                        json_object_object_add(it, "fix", json_str(items[i].status == ST_OK ? NULL : items[i].fix));
                        json_object_array_add(arr, it);
                }
                json_object_object_add(o, "checks", arr);
                json_print(o);
        } else
                print_report(strbuf_str(&v), !any_fail);

        strbuf_free(&v);
        items_free();
        pci_list_free(&l);
        strv_free_null(mc.blacklisted);
        strv_free_null(mc.vfio_ids);
        free(f.cmdline);
        return any_fail ? EXIT_FAILURE : EXIT_SUCCESS;
}
