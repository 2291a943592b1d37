/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "conf.h"
#include "pci.h"
#include "vf-pick.h"

/* The host's SR-IOV vGPU family VFs with who holds them (gpuhook's owner
 * record; unreadable as non-root: nothing is known held, said once), from
 * the PCI list L a verb has already read (NULL: read one). */
int cli_vf_pool(const struct pci_list *l, struct vf_pool *ret);
/* FAMILY, PROFILE and PLACEMENT (both may be NULL) as the hook checks them. */
int cli_vf_check(const char *family, const char *profile, const char *placement);
/* Check FAMILY, PROFILE (may be NULL) and PLACEMENT (may be NULL: the
 * host's) as the hook will, and pick a free VF for them into BDF. */
int cli_vf_pick(const char *family, const char *profile, const char *placement, char bdf[PCI_ADDR_LEN + 1]);
/* How many more VFs PF can give, and how (one line). */
void vf_pf_note(const struct vf_pf *pf, char *buf, size_t size);
/* PF and its VFs (state, owner, profile) as JSON. */
struct json_object *vf_pf_json(const struct vf_pf *pf);
/* One line: PF, its family, what is free, who holds which VF, what more it gives. */
void vf_pf_summary(const struct vf_pf *pf, struct strbuf *out);
