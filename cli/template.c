/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "template.h"
#include "util.h"

const char *template_text(const char *name) {
        for (size_t i = 0; i < n_templates; i++)
                if (streq(templates[i].name, name))
                        return templates[i].text;
        return NULL;
}

struct render {
        const struct tmpl_var *vars;
        size_t n_vars;
        struct strbuf out;
        const char *error;
        char error_buf[160];
};

static const struct tmpl_var *find_var(const struct render *r, const char *name, size_t len) {
        for (size_t i = 0; i < r->n_vars; i++)
                if (strlen(r->vars[i].name) == len && !strncmp(r->vars[i].name, name, len))
                        return &r->vars[i];
        return NULL;
}

static int append_escaped(struct strbuf *sb, const char *s) {
        int r = 0;
        for (; *s && r >= 0; s++)
                switch (*s) {
                case '&': r = strbuf_appendf(sb, "&amp;"); break;
                case '<': r = strbuf_appendf(sb, "&lt;"); break;
                case '>': r = strbuf_appendf(sb, "&gt;"); break;
                case '\'': r = strbuf_appendf(sb, "&apos;"); break;
                case '"': r = strbuf_appendf(sb, "&quot;"); break;
                default: r = strbuf_appendf(sb, "%c", *s);
                }
        return r;
}

static int fail(struct render *r, const char *fmt, const char *name, size_t len) {
        snprintf(r->error_buf, sizeof(r->error_buf), fmt, (int)len, name);
        r->error = r->error_buf;
        return -EINVAL;
}

/* Render [p, end); with EMIT false only check the syntax. */
static int render_span(struct render *r, const char *p, const char *end, bool emit) {
        while (p < end) {
                const char *open = strstr(p, "{{");
                if (!open || open >= end) {
                        if (emit && strbuf_appendf(&r->out, "%.*s", (int)(end - p), p) < 0)
                                return -ENOMEM;
                        return 0;
                }
                if (emit && strbuf_appendf(&r->out, "%.*s", (int)(open - p), p) < 0)
                        return -ENOMEM;
                const char *close = strstr(open + 2, "}}");
                if (!close || close >= end)
                        return fail(r, "unterminated tag '%.*s'", open, (size_t)(end - open) > 20 ? 20 : (size_t)(end - open));
                char sigil = open[2];
                const char *name = open + 2 + (strchr("!&#^/", sigil) && sigil ? 1 : 0);
                size_t len = (size_t)(close - name);
                p = close + 2;

                if (sigil == '!') {
                        if (p < end && *p == '\n')
                                p++;
                        continue;
                }
                if (len == 0)
                        return fail(r, "empty tag%.*s", "", 0);
                for (size_t i = 0; i < len; i++)
                        if (!(name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
                                return fail(r, "bad variable name '%.*s'", name, len);
                const struct tmpl_var *v = find_var(r, name, len);
                if (sigil == '/')
                        return fail(r, "'{{/%.*s}}' closes no section", name, len);
                if (sigil == '#' || sigil == '^') {
                        /* Find the matching close, counting nested sections of the same name. */
                        char closer[80];
                        if (len > 60)
                                return fail(r, "variable name too long: '%.*s'", name, len);
                        snprintf(closer, sizeof(closer), "{{/%.*s}}", (int)len, name);
                        const char *q = p, *body_end = NULL;
                        int depth = 1;
                        while (q < end) {
                                const char *next = strstr(q, "{{");
                                if (!next || next >= end)
                                        break;
                                if (!strncmp(next, closer, strlen(closer))) {
                                        if (--depth == 0) {
                                                body_end = next;
                                                break;
                                        }
                                } else if ((next[2] == '#' || next[2] == '^') && !strncmp(next + 3, name, len) &&
                                           !strncmp(next + 3 + len, "}}", 2))
                                        depth++;
                                q = next + 2;
                        }
                        if (!body_end)
                                return fail(r, "section '%.*s' is not closed", name, len);
                        bool set = v && !isempty(v->value);
                        bool keep = sigil == '#' ? set : !set;
                        int k = render_span(r, p, body_end, emit && keep);
                        if (k < 0)
                                return k;
                        p = body_end + strlen(closer);
                        continue;
                }
                if (!v)
                        return fail(r, "unknown variable '%.*s'", name, len);
                if (!emit)
                        continue;
                if (!v->value)
                        return fail(r, "variable '%.*s' has no value", name, len);
                if ((sigil == '&' ? strbuf_appendf(&r->out, "%s", v->value) : append_escaped(&r->out, v->value)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int template_render(const char *name, const struct tmpl_var *vars, size_t n_vars, char **ret, const char **ret_error) {
        struct render r = { .vars = vars, .n_vars = n_vars };
        static char error[200];
        const char *text = template_text(name);
        int k;

        if (!text) {
                snprintf(error, sizeof(error), "no template named '%s'", name);
                *ret_error = error;
                return -ENOENT;
        }
        k = render_span(&r, text, text + strlen(text), true);
        if (k < 0) {
                strbuf_free(&r.out);
                snprintf(error, sizeof(error), "template %s.xml: %s", name, r.error ? r.error : strerror(-k));
                *ret_error = error;
                return k;
        }
        *ret = r.out.buf ? r.out.buf : strdup("");
        return *ret ? 0 : -ENOMEM;
}

char *text_indent(const char *text, const char *prefix) {
        struct strbuf sb = { 0 };
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                if (strbuf_appendf(&sb, "%s%.*s%s", n ? prefix : "", (int)n, p, p[n] ? "\n" : "") < 0) {
                        strbuf_free(&sb);
                        return NULL;
                }
                p += n + (p[n] ? 1 : 0);
        }
        return sb.buf ? sb.buf : strdup("");
}
