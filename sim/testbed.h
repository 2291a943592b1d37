/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated host's directory tree ("testbed"): every path in this API is
 * testbed-relative and absolute inside it ("/sys/bus/mdev/devices/<uuid>"),
 * exactly as a program running inside the host would name it. libc only: the
 * LD_PRELOAD shim links this too. All functions return 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct testbed;

/* ROOT must exist; it is canonicalised (realpath). */
int testbed_new(const char *root, struct testbed **ret);
struct testbed *testbed_free(struct testbed *tb);
const char *testbed_root(const struct testbed *tb);

/* Host path of REL (malloc'd), NULL on ENOMEM. */
char *tb_path(const struct testbed *tb, const char *rel);
/* If HOST_PATH lies inside the testbed, return its testbed-relative part
 * (pointer into HOST_PATH), else NULL. */
const char *tb_relative(const struct testbed *tb, const char *host_path);

bool tb_exists(const struct testbed *tb, const char *rel);   /* lstat */
bool tb_is_dir(const struct testbed *tb, const char *rel);   /* stat, follows links */
int tb_mkdir_p(const struct testbed *tb, const char *rel, mode_t mode);
/* Replace REL atomically (temp file + rename) with DATA, mode MODE. */
int tb_write_file(const struct testbed *tb, const char *rel, const char *data, mode_t mode);
/* The same with LEN bytes of binary DATA. */
int tb_write_data(const struct testbed *tb, const char *rel, const void *data, size_t len, mode_t mode);
/* Create REL if missing (empty), never touch an existing one. */
int tb_touch(const struct testbed *tb, const char *rel, mode_t mode);
/* Read a small file; trailing newlines stripped. */
int tb_read_file(const struct testbed *tb, const char *rel, char **ret);
int tb_read_uint(const struct testbed *tb, const char *rel, unsigned *ret);
/* Symlink LINK -> TARGET with a relative target, like sysfs
 * ("../../../devices/..."). An existing link is replaced. */
int tb_symlink(const struct testbed *tb, const char *link, const char *target);
/* Resolve the symlink LINK lexically to a testbed-relative path (malloc'd);
 * the target need not exist. */
int tb_readlink(const struct testbed *tb, const char *link, char **ret);
int tb_unlink(const struct testbed *tb, const char *rel);    /* ENOENT is not an error */
int tb_rm_rf(const struct testbed *tb, const char *rel);     /* ENOENT is not an error */

/* Names in directory REL (not "." / ".."), NULL-terminated, sorted. */
int tb_list_dir(const struct testbed *tb, const char *rel, char ***ret, size_t *ret_n);
void tb_strv_free(char **v);

/* Highest number under /sys/kernel/iommu_groups plus one. */
int tb_fresh_iommu_group(const struct testbed *tb, unsigned *ret);

/* Testbed-wide lock (flock on .sim/lock); returns the lock fd. */
int tb_lock(const struct testbed *tb);
void tb_unlock(int fd);

/* Append "<pid> <rel> "<bytes, C-escaped>" <0|ERRNO-NAME>" to .sim/writes.log. */
int tb_log_write(const struct testbed *tb, pid_t pid, const char *rel,
                 const void *buf, size_t len, int err);
/* The same with RESULT as the last field ("BLOCKED"). */
int tb_log_write_result(const struct testbed *tb, pid_t pid, const char *rel,
                        const void *buf, size_t len, const char *result);

/* Lexically normalise an absolute path in place ("//", ".", ".."). */
void tb_path_normalize(char *path);
/* Directory part / last component of REL (malloc'd / pointer into REL). */
char *tb_dirname(const char *rel);
const char *tb_basename(const char *rel);
/* "REL/NAME" (malloc'd), NULL on ENOMEM. */
char *tb_join(const char *rel, const char *name);
