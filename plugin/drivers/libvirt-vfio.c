/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libvirt-vfio.h"
#include "log.h"
#include "util.h"

/* How the hook learns the version. libvirt passes none in the hook's
 * arguments or environment, and a hook must not call back into the daemon
 * (virConnectGetLibVersion() would need a connection: deadlock while the
 * start job holds the domain). So the full hook asks the libvirt library on
 * disk with virGetVersion() (src/libvirt.c: virInitialize() and the
 * compiled-in LIBVIR_VERSION_NUMBER, no connection). It dlopen()s
 * libvirt.so.0 instead of linking it: only a domain with a vendor-VFIO vGPU
 * pays for loading it, the front end (hooks/front.c) stays libc-only, and a
 * host without libvirt0 just gets "unknown". The daemon and the library come
 * from one source package (Debian's libvirt-daemon depends on the same
 * libvirt0 version); after an upgrade without a daemon restart the library
 * is newer than the running daemon, which the message cannot know. */
int libvirt_installed_version(unsigned long *ret) {
        const char *forced = test_getenv("GPUHOOK_TEST_LIBVIRT_VERSION");
        if (forced) {
                unsigned maj = 0, min = 0, mic = 0;
                if (streq(forced, "unknown") || sscanf(forced, "%u.%u.%u", &maj, &min, &mic) != 3)
                        return -ENOENT;
                *ret = LIBVIRT_VERSION(maj, min, mic);
                return 0;
        }
        void *h = dlopen("libvirt.so.0", RTLD_LAZY | RTLD_LOCAL);
        if (!h)
                return -ENOENT;
        int (*get)(unsigned long *, const char *, unsigned long *) = (int (*)(unsigned long *, const char *, unsigned long *))dlsym(h, "virGetVersion");
        unsigned long v = 0;
        int r = get && get(&v, NULL, NULL) == 0 && v > 0 ? 0 : -ENOENT;
        /* Not dlclose()d: libvirt registers atexit/thread-local state. */
        if (r == 0)
                *ret = v;
        return r;
}

enum libvirt_vfio_support libvirt_vendor_vfio_support(unsigned long v) {
        if (v == 0)
                return LIBVIRT_VFIO_UNKNOWN;
        if (v >= LIBVIRT_VENDOR_VFIO_MIN)
                return LIBVIRT_VFIO_YES;
        return LIBVIRT_VFIO_NO;
}

void libvirt_version_text(unsigned long v, char *buf, size_t size) {
        snprintf(buf, size, "%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

const char *libvirt_vendor_vfio_why(unsigned long v, char *buf, size_t size) {
        char have[32];
        libvirt_version_text(v, have, sizeof(have));
        switch (libvirt_vendor_vfio_support(v)) {
        case LIBVIRT_VFIO_NO:
                snprintf(buf, size, "libvirt %s refuses it (\"Unmanaged PCI device ... must be manually detached from the host\")", have);
                break;
        case LIBVIRT_VFIO_UNKNOWN:
                snprintf(buf, size, "the libvirt version is unknown; libvirt older than 10.0.0 refuses it");
                break;
        default:
                snprintf(buf, size, "%s", "");
        }
        return buf;
}

int libvirt_vendor_vfio_check(unsigned long v, const char *what) {
        char why[256];
        libvirt_vendor_vfio_why(v, why, sizeof(why));
        switch (libvirt_vendor_vfio_support(v)) {
        case LIBVIRT_VFIO_NO:
                return log_fail(-EOPNOTSUPP, "%s: NVIDIA's vendor-specific vGPU keeps the VF on the nvidia driver as <hostdev type='pci' managed='no'>, which needs libvirt 10.0.0 or newer, and %s; upgrade libvirt, or use an NVIDIA GPU on the mdev path (<hostdev type='mdev'>)",
                                what, why);
        case LIBVIRT_VFIO_UNKNOWN:
                log_warning("%s: %s", what, why);
                return 0;
        default:
                return 0;
        }
}
