/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Daemons inside the host. Opt-in passthrough to the real machine for daemons run inside the host
 * (the e2e suite's libvirtd): with GPUHOOK_SIM_HOST_NETLINK=1 in the
 * environment, socket(AF_NETLINK, ..., NETLINK_KOBJECT_UEVENT) makes a real
 * netlink socket, bypassing umockdev's preload, which replaces it by an
 * AF_UNIX socket that libnl cannot connect ("cannot connect to netlink socket
 * with protocol 15", fatal for libvirtd at start). The socket then carries
 * the real machine's uevents, none of which name a simulated device. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

SHIM_EXPORT int socket(int domain, int type, int protocol) {
        static int (*next)(int, int, int);
        if (domain == AF_NETLINK && protocol == NETLINK_KOBJECT_UEVENT) {
                const char *v = getenv("GPUHOOK_SIM_HOST_NETLINK");
                if (v && strcmp(v, "1") == 0)
                        return (int)syscall(SYS_socket, domain, type, protocol);
        }
        if (!next)
                next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
        return next(domain, type, protocol);
}

/* fork() in a multithreaded program (libvirtd runs mdevctl, dmidecode, QEMU
 * from worker threads): umockdev's preload guards its path redirection with
 * global mutexes (trap_path_lock, ioctl_lock; exported). A fork while
 * another thread holds one leaves the child blocked forever in its first
 * redirected call (virCommand's opendir("/proc/self/fd")), and its parent
 * waiting for it. Hold both across fork(), as pthread_atfork(3) is for. */
static pthread_mutex_t *umockdev_locks[2];

static void fork_prepare(void) {
        for (size_t i = 0; i < 2; i++)
                if (umockdev_locks[i])
                        pthread_mutex_lock(umockdev_locks[i]);
}

static void fork_done(void) {
        for (size_t i = 2; i-- > 0;)
                if (umockdev_locks[i])
                        pthread_mutex_unlock(umockdev_locks[i]);
}

__attribute__((constructor)) static void shim_host_init(void) {
        int saved = errno;
        umockdev_locks[0] = dlsym(RTLD_DEFAULT, "trap_path_lock");
        umockdev_locks[1] = dlsym(RTLD_DEFAULT, "ioctl_lock");
        if (umockdev_locks[0] || umockdev_locks[1])
                pthread_atfork(fork_prepare, fork_done, fork_done);
        errno = saved;
}
