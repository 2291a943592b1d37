/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "hostfile.h"
#include "sim-util.h"

#define SETTING_PREFIX "gpuhook-sim:"

struct sim_hostfile *sim_hostfile_free(struct sim_hostfile *h) {
        if (!h)
                return NULL;
        free(h->devices);
        for (size_t i = 0; i < h->n_settings; i++) {
                free(h->settings[i].parent);
                free(h->settings[i].key);
                free(h->settings[i].value);
        }
        free(h->settings);
        free(h);
        return NULL;
}

static int read_all(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > 64 << 20)
                return -EFBIG;
        size_t cap = (size_t)st.st_size + 1, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0 || (len += (size_t)n) == cap - 1)
                        break;
        }
        buf[len] = '\0';
        if (strlen(buf) != len)
                return -EBADMSG; /* NUL byte: not a text file */
        *ret = TAKE_PTR(buf);
        return 0;
}

static int add_setting(struct sim_hostfile *h, const char *parent, const char *kv, unsigned line) {
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
                return -EINVAL;
        struct sim_setting *n = realloc(h->settings, (h->n_settings + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        h->settings = n;
        struct sim_setting *s = &h->settings[h->n_settings];
        *s = (struct sim_setting){
                .parent = strdup(parent),
                .key = strndup(kv, (size_t)(eq - kv)),
                .value = strdup(eq + 1),
                .line = line,
        };
        if (!s->parent || !s->key || !s->value) {
                free(s->parent);
                free(s->key);
                free(s->value);
                return -ENOMEM;
        }
        h->n_settings++;
        return 0;
}

/* "# gpuhook-sim: <parent> key=value [key=value...]" */
static int parse_setting(struct sim_hostfile *h, char *text, unsigned line) {
        char *save = NULL;
        const char *parent = strtok_r(text, " \t", &save);
        if (!parent)
                return -EINVAL;
        int n = 0;
        for (const char *kv; (kv = strtok_r(NULL, " \t", &save)); n++) {
                int r = add_setting(h, parent, kv, line);
                if (r < 0)
                        return r;
        }
        return n > 0 ? 0 : -EINVAL;
}

int sim_hostfile_load(const char *path, struct sim_hostfile **ret, unsigned *ret_line) {
        _cleanup_free_ char *text = NULL;
        int r = read_all(path, &text);
        if (r < 0)
                return r;
        struct sim_hostfile *h = calloc(1, sizeof(*h));
        size_t len = strlen(text);
        if (!h || !(h->devices = malloc(len + 1))) {
                sim_hostfile_free(h);
                return -ENOMEM;
        }
        /* Drop comment lines whole (a comment between two paragraphs leaves
         * their blank lines; umockdev skips repeated blank lines), and blank
         * lines before the first device: umockdev wants "P:" first. */
        char *o = h->devices;
        unsigned lineno = 0;
        for (char *s = text; *s;) {
                char *e = strchrnul(s, '\n');
                bool nl = *e == '\n';
                *e = '\0';
                lineno++;
                const char *t = s + strspn(s, " \t");
                if (*t == '#') {
                        t += 1 + strspn(t + 1, " \t");
                        if (startswith(t, SETTING_PREFIX)) {
                                _cleanup_free_ char *copy = strdup(t + strlen(SETTING_PREFIX));
                                r = copy ? parse_setting(h, copy, lineno) : -ENOMEM;
                                if (r < 0) {
                                        if (ret_line)
                                                *ret_line = lineno;
                                        sim_hostfile_free(h);
                                        return r;
                                }
                        }
                } else if (!(o == h->devices && *t == '\0')) {
                        size_t l = (size_t)(e - s);
                        memcpy(o, s, l);
                        o += l;
                        *o++ = '\n';
                }
                s = nl ? e + 1 : e;
        }
        *o = '\0';
        *ret = h;
        return 0;
}
