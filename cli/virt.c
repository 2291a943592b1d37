/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libvirt/virterror.h>

#include "gpuhookctl.h"
#include "log.h"
#include "validate.h"
#include "libvirt-vfio.h"
#include "virt.h"

/* libvirt prints every error to stderr by default; gpuhookctl reports them
 * itself, once, with what to do. */
static void silent_error(void *opaque, virErrorPtr e) {}

const char *virt_last_error(void) {
        static char buf[512];
        const char *m = virGetLastErrorMessage();
        return sanitize_for_message(m && *m ? m : "unknown libvirt error", buf, sizeof(buf));
}

const char *virt_uri_shown(void) { return arg.uri ? arg.uri : "libvirt's default URI"; }

int virt_open(bool read_only, virConnectPtr *ret) {
        virConnectPtr c;

        virSetErrorFunc(NULL, silent_error);
        if (virInitialize() < 0)
                return log_fail(-EIO, "cannot initialise the libvirt client library: %s", virt_last_error());
        c = read_only ? virConnectOpenReadOnly(arg.uri) : virConnectOpen(arg.uri);
        if (!c)
                return log_fail(-ECONNREFUSED, "cannot connect to libvirt at %s: %s; is libvirtd (or virtqemud) running? try `systemctl start libvirtd`, or pass -c URI",
                                virt_uri_shown(), virt_last_error());
        *ret = c;
        return 0;
}

int virt_lookup(virConnectPtr c, const char *name_or_uuid, virDomainPtr *ret) {
        char shown[100];
        virDomainPtr d = virDomainLookupByName(c, name_or_uuid);
        if (!d && uuid_valid(name_or_uuid))
                d = virDomainLookupByUUIDString(c, name_or_uuid);
        if (!d)
                return log_fail(-ENOENT, "domain '%s' not found at %s: %s; check the name with `virsh list --all`",
                                sanitize_for_message(name_or_uuid, shown, sizeof(shown)), virt_uri_shown(),
                                virt_last_error());
        *ret = d;
        return 0;
}

int virt_domain_xml(virDomainPtr d, bool live, char **ret) {
        char *xml = virDomainGetXMLDesc(d, live ? 0 : VIR_DOMAIN_XML_INACTIVE);
        if (!xml)
                return log_fail(-EIO, "cannot read the %s XML of domain '%s': %s", live ? "live" : "persistent",
                                virDomainGetName(d), virt_last_error());
        *ret = xml;
        return 0;
}

unsigned long virt_libvirt_version(void) {
        static unsigned long version;
        static bool done;
        if (done)
                return version;
        done = true;
        const char *forced = test_getenv("GPUHOOK_TEST_LIBVIRT_VERSION");
        if (forced) /* the hook's override, so both sides agree in tests */
                return libvirt_installed_version(&version) < 0 ? (version = 0) : version;
        bool had = log_failure() != NULL;
        _cleanup_virconn_ virConnectPtr c = NULL;
        if (virt_open(true, &c) >= 0 && virConnectGetLibVersion(c, &version) == 0 && version > 0)
                return version;
        if (!had)
                log_failure_clear();
        version = 0;
        if (virGetVersion(&version, NULL, NULL) < 0)
                version = 0;
        return version;
}
