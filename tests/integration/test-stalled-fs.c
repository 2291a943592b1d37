/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded work under the host lock: the holder scan (who has a GPU's device
 * nodes open) must never block on a file system. A process holds a file on a
 * FUSE mount whose server stops answering GETATTR (a stalled NFS or FUSE
 * mount); stat() of that fd then hangs. The real hook, run on a simulated
 * host, scans that process and must finish in bounded time with the right
 * answer.
 *
 * The FUSE server is this binary (`test-stalled-fs --fuse-stall DIR`): the
 * raw /dev/fuse protocol, mounted with mount(2) as root, no libfuse or
 * fusermount. Skipped (with a note) where /dev/fuse cannot be opened. */
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "cunit-run.h"
#include "testhost.h"
#include "util.h"

#define DOM_UUID "6b0c3b2e-9a1d-4c7e-8f00-1d2e3f4a5b6c"
#define RTX "0000:01:00.0"
#define HELD_INO 2
#define STALL_SECONDS 30

/* ---- the stalling FUSE server ---- */

static int reply(int fd, uint64_t unique, int error, const void *payload, size_t len) {
        struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len), .error = error, .unique = unique };
        char buf[sizeof(h) + 512];
        if (len > 512)
                return -EINVAL;
        memcpy(buf, &h, sizeof(h));
        if (len)
                memcpy(buf + sizeof(h), payload, len);
        return write(fd, buf, h.len) == (ssize_t)h.len ? 0 : -errno;
}

static void fill_attr(struct fuse_attr *a, uint64_t ino) {
        *a = (struct fuse_attr){ .ino = ino, .nlink = 1, .blksize = 4096 };
        a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
}

/* One directory with one file, "held". Once "stall-now" is looked up, no
 * GETATTR of "held" is answered: stat() of the open file hangs, as on a dead
 * NFS server. (Not from the first open: umockdev's preload in the holding
 * shell fstat()s what it opens.) */
static int fuse_stall_main(const char *dir) {
        int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "fuse-stall: cannot open /dev/fuse: %m\n");
                return 77;
        }
        char opts[128];
        snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
        if (mount("gpuhook-stall", dir, "fuse.gpuhook-stall", MS_NOSUID | MS_NODEV, opts) < 0) {
                fprintf(stderr, "fuse-stall: cannot mount on %s: %m\n", dir);
                return 77;
        }
        /* A request the kernel has sent waits for its answer uninterruptibly
         * (SIGKILL does not help): stop serving after a while, which aborts
         * the connection, so a hook that does stat() such a file fails the
         * test in time instead of hanging it. */
        alarm(STALL_SECONDS);
        static char buf[FUSE_MIN_READ_BUFFER + (1 << 20)];
        bool stalled = false;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
                        continue;
                if (n < (ssize_t)sizeof(struct fuse_in_header))
                        return n < 0 && errno == ENODEV ? 0 : 1; /* unmounted */
                const struct fuse_in_header *in = (const void *)buf;
                const char *arg = buf + sizeof(*in);
                switch (in->opcode) {
                case FUSE_INIT: {
                        const struct fuse_init_in *ii = (const void *)arg;
                        struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION,
                                                   .minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ? ii->minor
                                                                                                  : FUSE_KERNEL_MINOR_VERSION,
                                                   .max_readahead = ii->max_readahead,
                                                   .max_write = 4096,
                                                   .max_background = 1,
                                                   .congestion_threshold = 1,
                                                   .time_gran = 1 };
                        reply(fd, in->unique, 0, &o, sizeof(o));
                        break;
                }
                case FUSE_LOOKUP: {
                        if (in->nodeid == FUSE_ROOT_ID && streq(arg, "stall-now"))
                                stalled = true; /* the test's signal, once the holder is set up */
                        if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "held")) {
                                reply(fd, in->unique, -ENOENT, NULL, 0);
                                break;
                        }
                        struct fuse_entry_out e = { .nodeid = HELD_INO, .generation = 1, .entry_valid = 3600 };
                        fill_attr(&e.attr, HELD_INO); /* attr_valid 0: every stat() asks */
                        reply(fd, in->unique, 0, &e, sizeof(e));
                        break;
                }
                case FUSE_GETATTR: {
                        if (in->nodeid == HELD_INO && stalled)
                                break; /* never answered */
                        struct fuse_attr_out a = { .attr_valid = in->nodeid == FUSE_ROOT_ID ? 3600 : 0 };
                        fill_attr(&a.attr, in->nodeid);
                        reply(fd, in->unique, 0, &a, sizeof(a));
                        break;
                }
                case FUSE_OPEN: {
                        struct fuse_open_out o = { .fh = 1 };
                        reply(fd, in->unique, 0, &o, sizeof(o));
                        break;
                }
                case FUSE_FORGET:
                case FUSE_BATCH_FORGET:
                case FUSE_INTERRUPT:
                        break; /* no reply */
                case FUSE_FLUSH:
                case FUSE_RELEASE:
                        reply(fd, in->unique, 0, NULL, 0);
                        break;
                case FUSE_DESTROY:
                        reply(fd, in->unique, 0, NULL, 0);
                        return 0;
                default:
                        reply(fd, in->unique, -ENOSYS, NULL, 0);
                }
        }
}

/* ---- the tests ---- */

static char *self_exe(void) {
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
                abort();
        buf[n] = 0;
        return strdup(buf);
}

static bool fuse_usable(void) {
        int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                printf("\n  note: skipped, /dev/fuse cannot be opened (%s)\n", strerror(errno));
                return false;
        }
        close(fd);
        return true;
}

/* Inside the simulated host: the stalling server on DIR/m, a `sleep` holding
 * DIR/m/held (and HOLD_DRM: the RTX's DRM node), proof that
 * stat() of that fd hangs (a `stat` still blocked after 1 s), then the real
 * hook's prepare. Prints "stat=hung|returned hook=RC ms=MS". */
static int run_with_stalled_holder(struct testhost *t, const char *xml, bool hold_drm) {
        _cleanup_free_ char *exe = self_exe(), *hook = strdup_printf("%s/hooks/gpuhook", testhost_build_root());
        return testhost_sh(t, xml,
                           "m=%s/m; mkdir -p $m || exit 90\n"
                           "env -u LD_PRELOAD %s --fuse-stall $m & srv=$!\n"
                           "i=0; until grep -q \" $m fuse\" /proc/self/mounts; do sleep 0.05; i=$((i+1)); [ $i -lt 200 ] || exit 91; done\n"
                           "sleep 60 7<$m/held %s & holder=$!\n"
                           "held=; i=0; while [ -z \"$held\" ]; do\n"
                           "  for f in /proc/$holder/fd/*; do [ \"$(readlink $f)\" = $m/held ] && held=$f; done\n"
                           "  [ \"$(cat /proc/$holder/comm)\" = sleep ] || held=\n"
                           "  sleep 0.05; i=$((i+1)); [ $i -lt 200 ] || exit 92\n"
                           "done\n"
                           "ls $m/stall-now >/dev/null 2>&1\n"
                           "stat -L $held >/dev/null 2>&1 & sp=$!; sleep 1\n"
                           "if kill -0 $sp 2>/dev/null; then st=hung; else st=returned; fi\n"
                           "t0=$(date +%%s%%N)\n"
                           "%s pcivm prepare begin -; rc=$?\n"
                           "t1=$(date +%%s%%N)\n"
                           "kill $holder; kill $srv; wait $srv $sp 2>/dev/null; umount -l $m 2>/dev/null\n"
                           "echo \"stat=$st hook=$rc ms=$(( (t1 - t0) / 1000000 ))\"\n",
                           t->tmp, exe, hold_drm ? "8</dev/dri/card1" : "", hook);
}

static void parse_result(const char *out, char st[16], int *rc, long *ms) {
        const char *p = out ? strstr(out, "stat=") : NULL;
        *rc = -1;
        *ms = -1;
        st[0] = 0;
        if (p)
                sscanf(p, "stat=%15s hook=%d ms=%ld", st, rc, ms);
}

static char *pci_domain(void) {
        _cleanup_free_ char *dev = testhost_pci_hostdev(RTX, "no");
        return testhost_domain_xml("pcivm", DOM_UUID, dev, NULL);
}

/* The stalled holder holds nothing of the GPU: the scan passes it by, the
 * GPU goes to vfio-pci, quickly. */
static void test_scan_ignores_stalled_holder(void) {
        if (!fuse_usable())
                return;
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = pci_domain();
        char st[16];
        int rc;
        long ms;

        run_with_stalled_holder(t, xml, false);
        parse_result(t->out, st, &rc, &ms);
        fprintf(stderr, "  stalled holder, GPU free: stat() of its fd %s; prepare exit %d in %ld ms (a stat() would block %ds)\n",
                st, rc, ms, STALL_SECONDS);
        if (rc != 0)
                fprintf(stderr, "  out: %s\n  err: %s\n", t->out, t->err);
        CU_ASSERT_STRING_EQUAL(st, "hung"); /* the file system really stalls a stat() */
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_TRUE(ms >= 0 && ms < 10000);
        _cleanup_free_ char *drv = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(drv, "vfio-pci");
        CU_ASSERT_EQUAL(testhost_hook(t, xml, "pcivm", "release", "end"), 0);
        testhost_free(t);
}

/* The same process also holds the GPU's DRM node: refused quickly, naming it. */
static void test_scan_names_stalled_holder_of_gpu(void) {
        if (!fuse_usable())
                return;
        struct testhost *t = testhost_new("desktop-rtx");
        _cleanup_free_ char *xml = pci_domain();
        char st[16];
        int rc;
        long ms;

        run_with_stalled_holder(t, xml, true);
        parse_result(t->out, st, &rc, &ms);
        if (getenv("GPUHOOK_TEST_VERBOSE"))
                fprintf(stderr, "  out: %s\n  err: %s\n", t->out, t->err);
        fprintf(stderr, "  stalled holder of the GPU: stat() of its fd %s; prepare exit %d in %ld ms\n", st, rc, ms);
        CU_ASSERT_STRING_EQUAL(st, "hung");
        CU_ASSERT_EQUAL(rc, 1);
        CU_ASSERT_TRUE(ms >= 0 && ms < 10000);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "cannot detach " RTX " from nvidia: its device nodes are open in"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t->err, "(sleep)"));
        _cleanup_free_ char *drv = testhost_pci_driver(t, RTX);
        CU_ASSERT_STRING_EQUAL(drv, "nvidia");
        testhost_free(t);
}

int main(int argc, char **argv) {
        if (argc == 3 && streq(argv[1], "--fuse-stall"))
                return fuse_stall_main(argv[2]);
        static const struct cunit_test tests[] = {
                T(test_scan_ignores_stalled_holder),
                T(test_scan_names_stalled_holder_of_gpu),
        };
        return cunit_run("stalled-fs", tests, ELEMENTSOF(tests));
}
