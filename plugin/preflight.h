/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* Vendor set-up that is missing when no mdev parent offers what a domain
 * asks for: one clause per finding, each with the command that fixes it
 * (NVIDIA vGPU manager not loaded or not running, VFs not enabled, a GPU on
 * NVIDIA's SR-IOV vGPU interface, GVT-g off). Returns how many. */
int vendor_preflight(struct strbuf *why);
