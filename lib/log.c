/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool use_syslog;
static bool echo_stderr;
static char context[256];
static char failure[1024];

void log_setup(const char *ident, bool to_syslog) {
        use_syslog = to_syslog;
        if (to_syslog)
                openlog(ident, LOG_PID, LOG_DAEMON); /* connects on first use: none on the fast path */
}

void log_set_level(int level) { max_level = level; }
int log_get_level(void) { return max_level; }
void log_set_stderr(bool on) { echo_stderr = on; }

static const struct {
        const char *name;
        int level;
} level_names[] = {
        { "error", LOG_ERR },
        { "warning", LOG_WARNING },
        { "info", LOG_INFO },
        { "debug", LOG_DEBUG },
};

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i].name))
                        return level_names[i].level;
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (level_names[i].level == level)
                        return level_names[i].name;
        return "info";
}

void log_set_context(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(context, sizeof(context), fmt, ap);
        va_end(ap);
}

static void log_emit(int level, const char *msg) {
        if (level > max_level)
                return;
        if (use_syslog)
                syslog(level, "%s%s%s", context, *context ? ": " : "", msg);
        if (echo_stderr)
                fprintf(stderr, "%s%s%s\n", context, *context ? ": " : "", msg);
}

void log_msg(int level, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        if (level > max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_emit(level, msg);
}

int log_fail(int r, const char *fmt, ...) {
        char msg[sizeof(failure)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* One line on stderr: never let a substituted value break it. */
        for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        if (!*failure) {
                struct strbuf sb = { 0 };
                if (strbuf_appendf(&sb, "%s%s%s", context, *context ? ": " : "", msg) >= 0)
                        snprintf(failure, sizeof(failure), "%s", strbuf_str(&sb));
                strbuf_free(&sb);
        }
        log_emit(LOG_ERR, msg);
        return r;
}

const char *log_failure(void) { return *failure ? failure : NULL; }
void log_failure_clear(void) { *failure = 0; }
