/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhookctl disable [--reason TEXT] | enable: the host-wide switch.
 *
 * One marker file next to gpuhook.conf (hook_switch_path(), lib/fastpath.c)
 * serves the admin who wants gpuhook off without uninstalling it and the
 * node where a cloud (Nova, VDSM) creates its own mdevs and passes PCI
 * devices managed='yes'. While it is there the hook's prepare does nothing;
 * release still gives back what a ledger records, or devices would stay held.
 * It lives in /etc, so it outlasts a reboot. Its text says who switched
 * gpuhook off, when and why: `status` and `check` show it. */
#include <pwd.h>
#include <time.h>

#include "fastpath.h"
#include "gpuhookctl.h"
#include "ledger.h"
#include "log.h"

#define REASON_MAX 512

/* "key=value" from the marker's text (the first one), malloc'd, or NULL. */
static char *marker_value(const char *text, const char *key) {
        size_t k = strlen(key);
        for (const char *p = text; p && *p;) {
                const char *nl = strchrnul(p, '\n');
                if ((size_t)(nl - p) > k && strncmp(p, key, k) == 0 && p[k] == '=')
                        return strndup(p + k + 1, (size_t)(nl - p - (ptrdiff_t)k - 1));
                p = *nl ? nl + 1 : nl;
        }
        return NULL;
}

void ctl_switch_free(struct ctl_switch *s) {
        free(s->path);
        free(s->by);
        free(s->at);
        free(s->reason);
        *s = (struct ctl_switch){ 0 };
}

int ctl_switch_read(struct ctl_switch *ret) {
        struct ctl_switch s = { 0 };
        _cleanup_free_ char *text = NULL;

        s.path = hook_switch_path();
        if (!s.path)
                return -ENOMEM;
        s.off = hook_switched_off(s.path, &s.untrusted);
        if (s.off && read_text_file(s.path, 64 * 1024, &text) >= 0) {
                s.by = marker_value(text, "by");
                s.at = marker_value(text, "at");
                s.reason = marker_value(text, "reason");
        }
        *ret = s;
        return 0;
}

void ctl_switch_describe(const struct ctl_switch *s, struct strbuf *out) {
        if (!s->off) {
                strbuf_appendf(out, "gpuhook is on");
                return;
        }
        strbuf_appendf(out, "gpuhook is switched off host-wide");
        if (s->at)
                strbuf_appendf(out, " since %s", s->at);
        if (s->by)
                strbuf_appendf(out, " by %s", s->by);
        if (s->reason && *s->reason)
                strbuf_appendf(out, " (\"%s\")", s->reason);
        strbuf_appendf(out, ": prepare does nothing, release still gives back what a ledger records (%s)", s->path);
}

struct json_object *ctl_switch_json(const struct ctl_switch *s) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(!s->off));
        json_object_object_add(o, "marker", json_str(s->path));
        json_object_object_add(o, "marker_ignored", json_object_new_boolean(s->untrusted));
        json_object_object_add(o, "by", json_str(s->by));
        json_object_object_add(o, "at", json_str(s->at));
        json_object_object_add(o, "reason", json_str(s->reason));
        return o;
}

/* Who asked: the sudo user behind root when there is one. */
static void who(char *buf, size_t size) {
        const char *sudo = getenv("SUDO_USER");
        struct passwd *pw = getpwuid(getuid());
        char shown[64];
        if (!isempty(sudo))
                snprintf(buf, size, "%s (via sudo)", sanitize_for_message(sudo, shown, sizeof(shown)));
        else if (pw && pw->pw_name)
                snprintf(buf, size, "%s", sanitize_for_message(pw->pw_name, shown, sizeof(shown)));
        else
                snprintf(buf, size, "uid %u", (unsigned)getuid());
}

/* How many domains hold devices now (-errno when that cannot be told). */
static int held_domains(void) {
        const struct gpuhook_config *cfg;
        char **uuids = NULL;
        size_t n = 0;
        int r = ctl_config(&cfg);
        if (r < 0)
                return r;
        r = ledger_list_domains(cfg->state_dir, &uuids, &n);
        if (r < 0)
                return r;
        strv_free(uuids, n);
        return (int)n;
}

int verb_disable(int argc, char **argv) {
        _cleanup_free_ char *text = NULL;
        _cleanup_switch_ struct ctl_switch s = { 0 };
        char by[128], at[32];
        time_t now = time(NULL);
        struct tm tm;
        const char *reason = arg.reason ? arg.reason : "";
        int r;

        if (strlen(reason) > REASON_MAX)
                return ctl_usage("--reason is %zu characters long; keep it under %d", strlen(reason), REASON_MAX);
        for (const char *p = reason; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return ctl_usage("--reason must be one line of text without control characters");
        r = ctl_switch_read(&s);
        if (r < 0)
                return ctl_fail(NULL, "out of memory");
        who(by, sizeof(by));
        if (!gmtime_r(&now, &tm) || strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(at, sizeof(at), "%lld", (long long)now);
        text = strdup_printf("# gpuhook is switched off on this host (`gpuhookctl disable`): the libvirt hook\n"
                             "# prepares nothing; release still gives back what a ledger records.\n"
                             "# `gpuhookctl enable` (or removing this file) switches it on again.\n"
                             "by=%s\nat=%s\nreason=%s\n",
                             by, at, reason);
        if (!text)
                return ctl_fail(NULL, "out of memory");
        if (arg.dry_run) {
                printf("Would write %s:\n%s", s.path, text);
                return 0;
        }
        bool was_off = s.off;
        /* 0644: status and check read it as any user; only root writes /etc/gpuhook. */
        r = write_file_atomic(s.path, text, strlen(text), 0644);
        if (r < 0)
                return ctl_fail(r == -EACCES || r == -EPERM ? "run it as root" : "create the directory (reinstall gpuhook) and run it again",
                                "cannot switch gpuhook off: writing %s: %s", s.path, strerror(-r));
        log_info("switched off host-wide by %s%s%s", by, *reason ? ": " : "", reason);
        int held = held_domains();
        printf("gpuhook is %sswitched off on this host (%s): libvirt now starts domains without gpuhook's preparation.\n",
               was_off ? "still " : "", s.path);
        if (held > 0)
                printf("%d domain%s still hold%s devices from gpuhook; they are given back when %s stop%s (or by `gpuhookctl reconcile`).\n",
                       held, held == 1 ? "" : "s", held == 1 ? "s" : "", held == 1 ? "it" : "they", held == 1 ? "s" : "");
        printf("`gpuhookctl enable` switches it on again.\n");
        return 0;
}

int verb_enable(int argc, char **argv) {
        _cleanup_switch_ struct ctl_switch s = { 0 };
        if (ctl_switch_read(&s) < 0)
                return ctl_fail(NULL, "out of memory");
        if (!s.off && !s.untrusted && access(s.path, F_OK) < 0) {
                printf("gpuhook is already on (no %s).\n", s.path);
                return 0;
        }
        if (arg.dry_run) {
                printf("Would remove %s.\n", s.path);
                return 0;
        }
        if (unlink(s.path) < 0 && errno != ENOENT) {
                int e = errno;
                return ctl_fail(e == EACCES || e == EPERM ? "run it as root" : NULL, "cannot switch gpuhook on: removing %s: %s",
                                s.path, strerror(e));
        }
        log_info("switched on again host-wide");
        printf("gpuhook is on: the hook prepares devices for domains that start from now on (%s removed).\n", s.path);
        return 0;
}
