/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "validate.h"

/* libvirt XML from the xml-templates, shared by `xml` and `attach`. Inputs
 * are validated here (the same rules the hook's domain parser applies); on
 * failure a negative errno is returned and one user-facing line recorded
 * with log_fail(). */

struct mdev_spec {
        char uuid[UUID_STRING_LEN + 1];
        const char *type;      /* request: type id or name; NULL = no request */
        char parent[MDEV_NAME_MAX + 1]; /* "" = any */
        const char *placement; /* NULL = host default */
        char *const *params;   /* NAME=VALUE, NULL-terminated */
        const char *model;     /* vfio-pci when NULL */
        bool display, ramfb;
};

/* Fill SPEC from user input: UUID (NULL: a fresh random one), parent
 * canonicalised, type/placement/params/model checked. */
int mdev_spec_init(struct mdev_spec *spec, const char *uuid, const char *type, const char *parent,
                   const char *placement, char *const *params, const char *model, bool display, bool ramfb);

/* A fresh random (version 4) UUID. */
int uuid_generate(char ret[UUID_STRING_LEN + 1]);

/* Canonical PCI address from user input ("41:00.0", "0000:41:00.0"). */
int parse_bdf(const char *s, struct pci_addr *ret_addr, char ret_bdf[PCI_ADDR_LEN + 1]);

int xmlgen_pci_hostdev(const struct pci_addr *a, bool managed, char **ret);
int xmlgen_vf_hostdev(const struct pci_addr *a, char **ret);
int xmlgen_mdev_hostdev(const struct mdev_spec *m, char **ret);
/* One <gpuhook:mdev> request (indented for metadata-devices). */
int xmlgen_mdev_request(const struct mdev_spec *m, char **ret);
/* One <gpuhook:vgpu> request for the VF at A with vGPU TYPE (an id or a
 * name from its creatable types). */
int xmlgen_vgpu_request(const struct pci_addr *a, const char *type, char **ret);
/* <gpuhook:vf address= family= [profile=] [placement=]>; the values checked by the caller. */
int xmlgen_vf_request(const char *bdf, const char *family, const char *profile, const char *placement, char **ret);
/* <gpuhook:devices> around ENTRIES (rendered requests, may be ""). */
int xmlgen_metadata(const char *entries, char **ret);

/* Domain STYLE (virtio-gl, qxl-spice, vnc, none) with HOSTDEVS and METADATA
 * (rendered, may be NULL). NAME/UUID: NULL for a default / random one.
 * S390X: an IBM Z domain (s390-ccw-virtio, SCLP console), for vfio-ccw and
 * vfio-ap devices; only the display-less style none has one. */
int xmlgen_domain(const char *style, bool s390x, const char *name, const char *uuid, unsigned memory_mib,
                  unsigned vcpus, const char *hostdevs, const char *metadata, char **ret);

/* vfio-ccw and vfio-ap: IBM Z channel I/O and crypto devices. */
bool mdev_model_is_s390(const char *model);
/* Whether a domain of STYLE with these devices is one libvirt defines; else
 * -EINVAL and the reason recorded (log_fail). MODEL applies to every mdev
 * (NULL: vfio-pci). */
int xmlgen_domain_check(const char *style, const char *model, bool display, bool ramfb, char *const *pcis,
                        char *const *mdevs);
extern const char *const domain_styles[];

/* S with &, <, >, ' and " as entities (malloc'd). */
char *xml_escape(const char *s);
