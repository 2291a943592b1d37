/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* A simulated host for integration tests: a gpuhook-sim testbed made from
 * tests/hosts/NAME.umockdev in a fresh temp dir, and helpers that run the
 * REAL built binaries (gpuhook, gpuhookctl, mdevctl) inside it and read
 * what they left in its sysfs. */

struct testhost {
        char *tmp;     /* temp dir, removed at free */
        char *dir;     /* the testbed (tmp/host) */
        char *host;    /* host file */
        char *out, *err; /* of the last run */
        int status;    /* exit status of the last run */
};

struct testhost *testhost_new(const char *name);
/* The same host with extra "# gpuhook-sim: ..." setting lines appended. */
struct testhost *testhost_new_with(const char *name, const char *settings);
/* Write TEXT to the host's gpuhook.conf ($GPUHOOK_CONFIG inside). */
void testhost_config(struct testhost *t, const char *text);
/* The driver a PCI function is bound to ("" when unbound), malloc'd. */
char *testhost_pci_driver(struct testhost *t, const char *bdf);
void testhost_free(struct testhost *t);

/* Run ARGV inside the host with INPUT on stdin (NULL: none). Returns the
 * exit status; output lands in t->out / t->err. */
int testhost_run(struct testhost *t, const char *input, const char *const argv[]);
/* The built gpuhookctl with ARGS... (NULL-terminated) inside T. Prints its
 * output when it exits other than EXPECT (-1: any status is expected). */
int testhost_ctl(struct testhost *t, int expect, ...) __attribute__((sentinel));
/* Same, from a shell command line run by /bin/sh -c inside the host. */
int testhost_sh(struct testhost *t, const char *input, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Run the built hook: gpuhook NAME OP SUBOP - with XML on stdin. */
int testhost_hook(struct testhost *t, const char *xml, const char *domain, const char *op, const char *subop);

/* Does mdev UUID exist? Its parent's name, malloc'd ("(none)" when absent). */
bool testhost_mdev_present(struct testhost *t, const char *uuid);
char *testhost_mdev_parent(struct testhost *t, const char *uuid);
/* A <hostdev type='pci'> for BDF ("0000:01:00.0") with managed= MANAGED. */
char *testhost_pci_hostdev(const char *bdf, const char *managed);

/* Paths as the host sees them ("/sys/..."). */
bool testhost_exists(struct testhost *t, const char *path);
char *testhost_read(struct testhost *t, const char *path); /* malloc'd, trailing newline stripped; NULL if absent */
int testhost_available(struct testhost *t, const char *parent, const char *type);
int testhost_count_mdevs(struct testhost *t);
/* Lines in the simulated host's write log that mention NEEDLE. */
int testhost_writes_matching(struct testhost *t, const char *needle);
/* Writes in the simulated host's write log that touched a PCI function NOT in
 * ALLOWED_BDFS (NULL-terminated, "0000:17:00.0"; the domain may be left out,
 * case does not matter): a write to a file of that function's sysfs dir
 * (/sys/bus/pci/devices/BDF/... or /sys/devices/.../BDF/..., the last BDF
 * in the path counting, so an mdev's or a type's file counts for its parent
 * function), or to a PCI driver's bind/unbind or /sys/bus/pci/drivers_probe
 * with BDF as its bytes. Failed writes count (they were tried); a BLOCKED
 * line counts once, with its completion line or alone. Other writes
 * (vtconsoles, platform devices, new_id, the sim's control file) do not.
 * Returns the count (0 if there is no log); *RET_FIRST, if not NULL, gets
 * the first such log line, malloc'd, or NULL. */
int testhost_writes_outside(struct testhost *t, const char *const allowed_bdfs[], char **ret_first);
/* Absolute path of a file in the state dir (ledgers), malloc'd. */
char *testhost_state_path(struct testhost *t, const char *rel);

/* A libvirt domain XML with the given <devices> and <metadata> bodies. */
char *testhost_domain_xml(const char *name, const char *uuid, const char *devices, const char *metadata);
/* The same with GPUHOOK (gpuhook:* elements) inside <gpuhook:devices>. */
char *testhost_gpuhook_domain_xml(const char *name, const char *uuid, const char *devices, const char *gpuhook);
char *testhost_mdev_hostdev(const char *uuid, const char *model);
char *testhost_mdev_meta(const char *uuid, const char *type, const char *extra_attrs);

const char *testhost_build_root(void);
const char *testhost_source_root(void);
