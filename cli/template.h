/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The XML templates from xml-templates/, compiled into gpuhookctl (see
 * embed.c), and a small renderer for them:
 *   {{name}}               the variable, XML-escaped (an unknown name is an error)
 *   {{&name}}              the variable as it is (already rendered XML)
 *   {{#name}}...{{/name}}  kept only if the variable is set and not empty
 *   {{^name}}...{{/name}}  kept only if it is not
 *   {{! comment }}         dropped, with the line break that follows it */

struct template_entry {
        const char *name; /* file name without .xml */
        const char *text;
};
extern const struct template_entry templates[];
extern const size_t n_templates;

const char *template_text(const char *name);

struct tmpl_var {
        const char *name;
        const char *value; /* NULL: unset */
};

/* Render template NAME. On a template error returns -EINVAL with a one-line
 * reason in *ret_error (static storage). */
int template_render(const char *name, const struct tmpl_var *vars, size_t n_vars, char **ret, const char **ret_error);

/* Every line of TEXT prefixed with PREFIX (malloc'd). */
char *text_indent(const char *text, const char *prefix);
