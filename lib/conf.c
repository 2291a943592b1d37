/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>

#include "conf.h"
#include "log.h"
#include "validate.h"
#include "config.h"

void config_init_defaults(struct gpuhook_config *c) {
        *c = (struct gpuhook_config){
                .placement = PLACEMENT_COMPACT,
                .lock_timeout_ms = 30000,
                .create_timeout_ms = 10000,
                .remove_timeout_ms = 10000,
                .log_level = LOG_INFO,
                .max_xml_bytes = 16u << 20,
                .companion_classes = COMPANION_DEFAULT,
                .bind_timeout_ms = 10000,
                .handover_timeout_ms = 10000,
        };
}

void config_done(struct gpuhook_config *c) {
        free(c->state_dir);
        free(c->mdevctl_path);
        c->state_dir = c->mdevctl_path = NULL;
        for (size_t i = 0; i < c->n_errors; i++) {
                free(c->errors[i]);
                free(c->fixes[i]);
        }
        free(c->errors);
        free(c->fixes);
        free(c->errors_in);
        c->errors = c->fixes = NULL;
        c->errors_in = NULL;
        c->n_errors = c->n_errors_dropped = 0;
        for (size_t i = 0; i < c->n_allow_devices; i++)
                free(c->allow_devices[i]);
        free(c->allow_devices);
        c->allow_devices = NULL;
        c->n_allow_devices = 0;
}

typedef int (*config_setter)(struct gpuhook_config *c, const char *value, const char **why);

static int parse_seconds(const char *v, unsigned max_s, unsigned *ret_ms, const char **why) {
        unsigned s;
        if (safe_atou(v, &s) < 0 || s == 0 || s > max_s) {
                /* The limits in use are 600 and 3600 s. */
                *why = max_s == 3600 ? "expected whole seconds from 1 to 3600" : "expected whole seconds from 1 to 600";
                return -EINVAL;
        }
        *ret_ms = s * 1000;
        return 0;
}

static int set_placement(struct gpuhook_config *c, const char *v, const char **why) {
        int p = placement_policy_from_string(v);
        if (p < 0) {
                *why = "expected 'compact' or 'spread'";
                return -EINVAL;
        }
        c->placement = (enum placement_policy)p;
        return 0;
}

static int set_lock_timeout(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_seconds(v, 3600, &c->lock_timeout_ms, why);
}

static int set_create_timeout(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_seconds(v, 600, &c->create_timeout_ms, why);
}

static int set_remove_timeout(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_seconds(v, 600, &c->remove_timeout_ms, why);
}

static int set_log_level(struct gpuhook_config *c, const char *v, const char **why) {
        int l = log_level_from_string(v);
        if (l < 0) {
                *why = "expected error, warning, info or debug";
                return -EINVAL;
        }
        c->log_level = l;
        return 0;
}

static bool has_dotdot_component(const char *v) {
        for (const char *p = v; (p = strstr(p, "..")); p += 2)
                if ((p == v || p[-1] == '/') && (p[2] == '/' || p[2] == 0))
                        return true;
        return false;
}

static int set_abs_path(char **field, const char *v, const char **why) {
        if (v[0] != '/' || has_dotdot_component(v) || strlen(v) > 512) {
                *why = "expected an absolute path without '..'";
                return -EINVAL;
        }
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int set_state_dir(struct gpuhook_config *c, const char *v, const char **why) {
        return set_abs_path(&c->state_dir, v, why);
}

static int set_mdevctl(struct gpuhook_config *c, const char *v, const char **why) {
        return set_abs_path(&c->mdevctl_path, v, why);
}

static int set_max_xml(struct gpuhook_config *c, const char *v, const char **why) {
        unsigned kib;
        if (safe_atou(v, &kib) < 0 || kib < 4 || kib > 1024 * 1024) {
                *why = "expected KiB between 4 and 1048576";
                return -EINVAL;
        }
        c->max_xml_bytes = (size_t)kib * 1024;
        return 0;
}

static int set_companion_classes(struct gpuhook_config *c, const char *v, const char **why) {
        if (companion_classes_parse(v, &c->companion_classes) < 0) {
                *why = "expected 'none' or a list of display, audio, usb, serial-bus";
                return -EINVAL;
        }
        return 0;
}

static int set_allow_devices(struct gpuhook_config *c, const char *v, const char **why) {
        _cleanup_free_ char *copy = strdup(v);
        char *save = NULL;
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
                struct pci_addr a;
                char canon[PCI_ADDR_LEN + 1];
                if (pci_addr_parse(w, &a) < 0) {
                        *why = "expected PCI addresses like 0000:02:00.0";
                        return -EINVAL;
                }
                pci_addr_format(&a, canon);
                char **n = reallocarray(c->allow_devices, c->n_allow_devices + 1, sizeof(char *));
                if (!n)
                        return -ENOMEM;
                c->allow_devices = n;
                if (!(c->allow_devices[c->n_allow_devices] = strdup(canon)))
                        return -ENOMEM;
                c->n_allow_devices++;
        }
        return 0;
}

static int parse_bool(const char *v, bool *ret, const char **why) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                *ret = true;
        else if (streq(v, "no") || streq(v, "false") || streq(v, "0"))
                *ret = false;
        else {
                *why = "expected yes or no";
                return -EINVAL;
        }
        return 0;
}

static int set_allow_boot_console(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_bool(v, &c->allow_boot_console, why);
}

static int set_stop_display_manager(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_bool(v, &c->stop_display_manager, why);
}

static int set_bind_timeout(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_seconds(v, 600, &c->bind_timeout_ms, why);
}

static int set_handover_timeout(struct gpuhook_config *c, const char *v, const char **why) {
        return parse_seconds(v, 600, &c->handover_timeout_ms, why);
}

static const struct {
        const char *key;
        config_setter set;
} config_keys[] = {
        { "placement", set_placement },
        { "lock_timeout", set_lock_timeout },
        { "create_timeout", set_create_timeout },
        { "remove_timeout", set_remove_timeout },
        { "log_level", set_log_level },
        { "state_dir", set_state_dir },
        { "mdevctl", set_mdevctl },
        { "max_xml_kib", set_max_xml },
        { "companion_classes", set_companion_classes },
        { "allow_devices", set_allow_devices },
        { "allow_boot_console", set_allow_boot_console },
        { "stop_display_manager", set_stop_display_manager },
        { "bind_timeout", set_bind_timeout },
        { "handover_timeout", set_handover_timeout },
};

static char *trim(char *s) {
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

/* Record "FILE:LINE: WHAT" (or "FILE: WHAT" for LINE 0) and what to do
 * about it (FIX). Past CONFIG_MAX_ERRORS only counted. */
static int add_error(struct gpuhook_config *c, const char *file, unsigned line, const char *fix, const char *fmt, ...)
        _printf_(5, 6);
static int add_error(struct gpuhook_config *c, const char *file, unsigned line, const char *fix, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL, *where = NULL;
        va_list ap;

        if (c->n_errors >= CONFIG_MAX_ERRORS) {
                c->n_errors_dropped++;
                return 0;
        }
        va_start(ap, fmt);
        int k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0) {
                what = NULL;
                return -ENOMEM;
        }
        where = line ? strdup_printf("%s:%u", file, line) : strdup(file);
        if (!where)
                return -ENOMEM;
        char *e = strdup_printf("%s: %s", where, what), *f = strdup(fix ? fix : "see gpuhook.conf(5)");
        char **n = e && f ? reallocarray(c->errors, c->n_errors + 1, sizeof(char *)) : NULL;
        if (n)
                c->errors = n;
        char **nf = n ? reallocarray(c->fixes, c->n_errors + 1, sizeof(char *)) : NULL;
        if (!nf) {
                free(e);
                free(f);
                return -ENOMEM;
        }
        c->fixes = nf;
        c->errors[c->n_errors] = e;
        c->fixes[c->n_errors++] = f;
        if (!c->errors_in && !(c->errors_in = strdup(file)))
                return -ENOMEM;
        return 0;
}

bool config_has_errors(const struct gpuhook_config *c) { return c->n_errors > 0; }

char *config_error_with_fix(const struct gpuhook_config *c, size_t i) {
        if (i >= c->n_errors)
                return NULL;
        return strdup_printf("%s; %s", c->errors[i], c->fixes[i]);
}

/* Edit distance of A and B, for "did you mean"; gives up (returns 3) past 2. */
static unsigned distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];
        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return 3;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned)i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb] > 3 ? 3 : row[lb];
}

#define SUMMARY_MAX_ERRORS 10

char *config_errors_summary(const struct gpuhook_config *c) {
        struct strbuf sb = { 0 };
        int r = 0;

        if (c->n_errors == 0)
                return strdup("");
        if (c->n_errors == 1)
                return strdup(c->errors[0]);
        r = strbuf_appendf(&sb, "%s has %zu errors: ", c->errors_in ? c->errors_in : "gpuhook.conf",
                           c->n_errors + c->n_errors_dropped);
        for (size_t i = 0; i < c->n_errors && i < SUMMARY_MAX_ERRORS && r >= 0; i++)
                r = strbuf_appendf(&sb, "%s%s", i ? "; " : "", c->errors[i]);
        if (r >= 0 && c->n_errors + c->n_errors_dropped > SUMMARY_MAX_ERRORS)
                r = strbuf_appendf(&sb, "; and %zu more (`gpuhookctl check` lists them all)",
                                   c->n_errors + c->n_errors_dropped - SUMMARY_MAX_ERRORS);
        if (r < 0) {
                strbuf_free(&sb);
                return NULL;
        }
        return sb.buf;
}

static int fail_with_errors(const struct gpuhook_config *c) {
        _cleanup_free_ char *summary = config_errors_summary(c);
        if (!summary)
                return -ENOMEM;
        return log_fail(-EINVAL, "%s; fix %s, see gpuhook.conf(5)", summary, c->n_errors > 1 ? "them" : "it");
}

int config_parse_text(struct gpuhook_config *c, const char *path, const char *text) {
        _cleanup_free_ char *copy = strdup(text);
        char *save = NULL, *line;
        unsigned lineno = 0;
        size_t errors_before = c->n_errors;
        char shown[80];
        int r;

        if (!copy)
                return -ENOMEM;
        /* strtok_r would skip empty lines and break numbering: split by hand.
         * Every line is checked: each bad one is recorded, every good one
         * still applies. */
        for (line = copy; line; line = save) {
                char *nl = strchr(line, '\n');
                save = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = 0;
                lineno++;

                char *s = trim(line);
                if (!*s || *s == '#')
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        r = add_error(c, path, lineno, "write it as 'key = value', or start it with '#' to make it a comment",
                                      "expected 'key = value', got '%s'", sanitize_for_message(s, shown, sizeof(shown)));
                        if (r < 0)
                                return r;
                        continue;
                }
                *eq = 0;
                char *key = trim(s), *value = trim(eq + 1);
                size_t i;
                for (i = 0; i < ELEMENTSOF(config_keys); i++)
                        if (streq(key, config_keys[i].key))
                                break;
                if (i == ELEMENTSOF(config_keys)) {
                        /* The nearest key within two edits, else the list. */
                        struct strbuf fix = { 0 };
                        size_t best = ELEMENTSOF(config_keys);
                        for (size_t k = 0; k < ELEMENTSOF(config_keys); k++)
                                if (distance(key, config_keys[k].key) <= 2 &&
                                    (best == ELEMENTSOF(config_keys) ||
                                     distance(key, config_keys[k].key) < distance(key, config_keys[best].key)))
                                        best = k;
                        if (best < ELEMENTSOF(config_keys))
                                r = strbuf_appendf(&fix, "did you mean '%s'?", config_keys[best].key);
                        else {
                                r = strbuf_appendf(&fix, "the keys are");
                                for (size_t k = 0; k < ELEMENTSOF(config_keys) && r >= 0; k++)
                                        r = strbuf_appendf(&fix, "%s %s", k ? "," : "", config_keys[k].key);
                        }
                        if (r >= 0)
                                r = add_error(c, path, lineno, strbuf_str(&fix), "unknown key '%s'",
                                              sanitize_for_message(key, shown, sizeof(shown)));
                        strbuf_free(&fix);
                        if (r < 0)
                                return r;
                        continue;
                }
                const char *why = "invalid value";
                r = config_keys[i].set(c, value, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && (r = add_error(c, path, lineno, "change the value, or remove the line to use the default (see gpuhook.conf(5))", "bad value '%s' for %s (%s)",
                                            sanitize_for_message(value, shown, sizeof(shown)), key, why)) < 0)
                        return r;
        }
        return c->n_errors > errors_before ? fail_with_errors(c) : 0;
}

int config_load(struct gpuhook_config *c, const char *path) {
        _cleanup_free_ char *text = NULL;
        int r = read_text_file(path, 1 << 20, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                int k = add_error(c, path, 0, "make it readable by root (chmod 644), or remove it to use the defaults",
                                  "cannot read config: %s (check its permissions; until then every key has its default)",
                                  strerror(-r));
                return k < 0 ? k : fail_with_errors(c);
        }
        return config_parse_text(c, path, text);
}

const char *config_default_path(void) {
        const char *e = test_getenv("GPUHOOK_CONFIG");
        return isempty(e) ? GPUHOOK_CONFIG_PATH : e;
}

int config_load_default(struct gpuhook_config *c) {
        const char *why = NULL;
        bool had_failure = log_failure() != NULL;
        int r = config_load(c, config_default_path());
        if (r == -ENOMEM)
                return r;
        const char *e = test_getenv("GPUHOOK_STATE_DIR");
        if (!isempty(e) && set_state_dir(c, e, &why) < 0 &&
            add_error(c, "GPUHOOK_STATE_DIR", 0, "set it to an absolute path or unset it", "%s", why) < 0)
                return -ENOMEM;
        if (!c->state_dir) {
                c->state_dir = strdup(GPUHOOK_STATE_DIR_DEFAULT);
                if (!c->state_dir)
                        return -ENOMEM;
        }
        /* Errors are the caller's to act on (config_has_errors()): only what
         * needs the policy refuses to run. Nothing is recorded as a failure. */
        if (!had_failure)
                log_failure_clear();
        if (config_has_errors(c)) {
                _cleanup_free_ char *summary = config_errors_summary(c);
                log_warning("%s; using the valid lines and the defaults for the rest", summary ? summary : "config errors");
        }
        return 0;
}
