/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "driver.h"

/* Shared by the NVIDIA mdev drivers (time-sliced PF and mdev-on-VF). */
bool nvidia_param_documented(const char *name);
int nvidia_check_params(const struct mdev_op *op);
/* "k=v,k=v\n": the trailing byte the driver eats. */
int nvidia_format_params(const struct mdev_param *params, size_t n, struct strbuf *out);
int nvidia_post_create(const struct mdev_op *op);
int nvidia_destroy(const struct mdev_op *op);
