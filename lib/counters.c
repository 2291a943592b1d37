/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "counters.h"
#include "lock.h"
#include "log.h"
#include "util.h"

static const char *const counter_names[_COUNTER_MAX] = {
        [COUNTER_PREPARE_FAILURES] = "prepare_failures",
        [COUNTER_RELEASE_FAILURES] = "release_failures",
};

const char *counter_name(enum counter c) { return c >= 0 && c < _COUNTER_MAX ? counter_names[c] : NULL; }

void counters_parse(const char *text, struct counters *ret) {
        *ret = (struct counters){ 0 };
        for (const char *p = text; p && *p;) {
                const char *nl = strchrnul(p, '\n');
                size_t len = (size_t)(nl - p);
                char line[128];
                if (len < sizeof(line)) {
                        memcpy(line, p, len);
                        line[len] = 0;
                        char *sp = strchr(line, ' ');
                        uint64_t v;
                        if (sp) {
                                *sp = 0;
                                for (int c = 0; c < _COUNTER_MAX; c++)
                                        if (streq(line, counter_names[c]) && safe_atou64(sp + 1, &v) == 0)
                                                ret->value[c] = v;
                        }
                }
                p = *nl ? nl + 1 : nl;
        }
}

int counters_read(const char *state_dir, struct counters *ret) {
        _cleanup_free_ char *path = strdup_printf("%s/counters", state_dir), *text = NULL;
        int r;
        if (!path)
                return -ENOMEM;
        r = read_text_file(path, 64 * 1024, &text);
        if (r == -ENOENT) {
                *ret = (struct counters){ 0 };
                return 0;
        }
        if (r < 0)
                return r;
        counters_parse(text, ret);
        return 0;
}

int counters_bump(const char *state_dir, enum counter c, unsigned timeout_ms) {
        _cleanup_free_ char *path = strdup_printf("%s/counters", state_dir);
        struct counters n;
        struct strbuf text = { 0 };
        int fd, r;

        if (!path || c < 0 || c >= _COUNTER_MAX)
                return -EINVAL;
        /* The first failure recorded wins (log.h), so the lock's own can only
         * stand in where none was; it is never the reason anything failed. */
        bool had_failure = log_failure() != NULL;
        fd = host_lock_acquire(state_dir, timeout_ms);
        if (fd >= 0) {
                r = counters_read(state_dir, &n);
                if (r >= 0) {
                        n.value[c]++;
                        for (int i = 0; i < _COUNTER_MAX && r >= 0; i++)
                                r = strbuf_appendf(&text, "%s %llu\n", counter_names[i], (unsigned long long)n.value[i]);
                }
                if (r >= 0)
                        r = write_file_atomic(path, strbuf_str(&text), text.len, 0600);
                host_lock_release(fd);
        } else
                r = fd;
        strbuf_free(&text);
        if (!had_failure)
                log_failure_clear();
        if (r < 0)
                log_debug("cannot count %s in %s: %s", counter_names[c], path, strerror(-r));
        return r;
}
