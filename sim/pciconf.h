/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI files real tools read (config space, resource, reset, uevent keys),
 * generated at completion for every device on /sys/bus/pci. See pciconf.c. */
#pragma once

#include "complete.h"

int sim_pci_config_complete(const struct testbed *tb, char **ret_msg);
