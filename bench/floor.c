/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor for hook latency: the least a libvirt hook can do. libvirt writes
 * the domain XML to every hook's stdin; this reads it to EOF and exits 0.
 * Built like gpuhook (same compiler, flags and libc), linked with libc only.
 *
 * bench/run.sh also builds floor-libs: this same file linked (without
 * --as-needed) against libxml2 and libudev, the libraries gpuhook links. The
 * difference floor-libs - floor is the dynamic-linking cost of those
 * libraries alone. */
#include <errno.h>
#include <unistd.h>

int main(void) {
        static char buf[65536];
        for (;;) {
                ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
                if (k > 0)
                        continue;
                if (k < 0 && errno == EINTR)
                        continue;
                return k < 0 ? 1 : 0;
        }
}
