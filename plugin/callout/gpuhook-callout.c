/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook's mdevctl callout: `mdevctl start`, `virsh nodedev-start` and
 * `nodedev-create` bypass libvirt's hooks, so mdevctl asks us instead.
 *
 * The contract, as mdevctl 1.2.0 implements it (github.com/mdevctl/mdevctl,
 * src/callouts.rs: Callout::invoke, invoke_script,
 * invoke_first_matching_script, get_attributes; src/mdev.rs: to_json,
 * add_attributes):
 *
 *   gpuhook-callout -t TYPE -e pre|post|get -a start|stop|define|undefine|modify|attributes
 *                   -s none|success|failure -u UUID -p PARENT
 *
 * - stdin: for pre and post, the device's JSON as mdevctl holds it,
 *   {"mdev_type":"T","start":"manual","attrs":[{"name":"value"},...]}, no
 *   trailing newline; for `get attributes`, nothing (stdin is closed). At
 *   pre modify it is the definition as it will be after the change.
 *   mdevctl writes all of it before it reads our output, and a callout that
 *   exits before taking all of it makes the write fail: mdevctl then
 *   ignores that callout's exit status altogether. So stdin is read to the
 *   end first, however large (the excess is drained, then refused).
 * - exit 2: not a type this callout handles, mdevctl asks the next one.
 *   A callout killed by a signal is skipped just the same, so a crash
 *   silently drops a veto: nothing in here may crash on its input.
 * - pre: any other non-zero status aborts the command; mdevctl prints our
 *   stderr prefixed with the script's name. post: the status is ignored.
 * - get attributes: a JSON array of {"name":"value"} on stdout.
 * - mdevctl 1.3+ also sends `get capabilities` and `live modify`; without
 *   a capabilities answer it treats us as a version-1 callout.
 *
 * mdevctl only ever holds string attribute values (add_attributes: 1.2.0
 * panics on anything else, 1.3 refuses it), so a device JSON with another
 * shape did not come from mdevctl's own model; it is refused at pre with a
 * line naming the attribute, never guessed at.
 *
 * What gpuhook does, for the types its vendor drivers claim (others: 2):
 * - pre start: veto (exit 1, one line on stderr) what cannot work: no free
 *   instance on the parent, the one-type rule, undocumented
 *   nvidia/vgpu_params keys, a device JSON it cannot read.
 * - pre define, pre modify: the same checks on the definition's attributes,
 *   never capacity: a definition uses no instance (the parent may well be
 *   full of the very device being defined).
 * - pre stop, pre undefine: never vetoed; giving back is always allowed.
 * - post start (success): apply nvidia/vgpu_params with the newline rule.
 * - get attributes: report nvidia/vgpu_params of the running device. */
#include <getopt.h>
#include <json-c/json.h>

#include "driver.h"
#include "fastpath.h"
#include "log.h"
#include "mdev.h"
#include "nvidia.h"
#include "placement.h"
#include "sysfs.h"

#define EXIT_NOT_MINE 2
#define VGPU_PARAMS_ATTR "nvidia/vgpu_params"
/* A device JSON is a few hundred bytes; sysfs attributes take a page. */
#define DEVICE_JSON_MAX (1U << 20)

struct callout_args {
        const char *type, *event, *action, *state, *uuid, *parent;
};

static int parse_args(int argc, char **argv, struct callout_args *a) {
        static const struct option opts[] = {
                { "type", required_argument, NULL, 't' },   { "event", required_argument, NULL, 'e' },
                { "action", required_argument, NULL, 'a' }, { "state", required_argument, NULL, 's' },
                { "uuid", required_argument, NULL, 'u' },   { "parent", required_argument, NULL, 'p' },
                {},
        };
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "t:e:a:s:u:p:", opts, NULL)) >= 0)
                switch (c) {
                case 't': a->type = optarg; break;
                case 'e': a->event = optarg; break;
                case 'a': a->action = optarg; break;
                case 's': a->state = optarg; break;
                case 'u': a->uuid = optarg; break;
                case 'p': a->parent = optarg; break;
                default: return -EINVAL;
                }
        return a->event && a->action && optind == argc ? 0 : -EINVAL;
}

/* The device JSON's attrs as params named like the sysfs files. */
struct attrs {
        struct mdev_param *v;
        size_t n;
};

static void attrs_free(struct attrs *a) {
        for (size_t i = 0; i < a->n; i++) {
                free(a->v[i].name);
                free(a->v[i].value);
        }
        free(a->v);
        *a = (struct attrs){ 0 };
}

static int attrs_add(struct attrs *a, const char *name, size_t name_len, const char *value, size_t value_len) {
        struct mdev_param *nv = reallocarray(a->v, a->n + 1, sizeof(*nv));
        if (!nv)
                return -ENOMEM;
        a->v = nv;
        nv[a->n].name = strndup(name, name_len);
        nv[a->n].value = strndup(value, value_len);
        if (!nv[a->n].name || !nv[a->n].value) {
                free(nv[a->n].name);
                free(nv[a->n].value);
                return -ENOMEM;
        }
        a->n++;
        return 0;
}

/* "null", "a number", ...: what a user sees in place of a string. */
static const char *json_shape(const json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_null: return "null";
        case json_type_boolean: return "a boolean";
        case json_type_double:
        case json_type_int: return "a number";
        case json_type_object: return "an object";
        case json_type_array: return "an array";
        case json_type_string: return "a string";
        }
        return "of an unknown JSON type";
}

static const char *shown_uuid(const struct callout_args *a) { return a->uuid ? a->uuid : "(new)"; }

/* An attribute name as shown in a message: one line, at most 64 bytes. */
static const char *shown_name(const char *name, char buf[static 72]) {
        size_t i = 0;
        for (; name[i] && i < 64; i++)
                buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
        strcpy(buf + i, name[i] ? "..." : "");
        return buf;
}

/* A control character before the trailing newlines (which the newline
 * rule strips anyway)? */
static bool has_control_char(const char *s) {
        for (; *s; s++)
                if (((unsigned char)*s < 0x20 || *s == 0x7f) && s[strspn(s, "\r\n")])
                        return true;
        return false;
}

/* Parse the device JSON strictly, in mdevctl's own terms (src/mdev.rs
 * add_attributes): an object whose "attrs" is absent, null or an array of
 * one-field objects with string values. Anything else is a recorded
 * user-facing failure (-EINVAL), never a crash and never a silent skip.
 * Every message names the device and says where to look: the definition
 * mdevctl holds, or the --jsonfile it was given (spelled out in each
 * message so that docs/gen-errors.sh lists it whole). */
static int parse_device_json(const struct callout_args *a, const char *json, size_t len, struct attrs *ret) {
        const char *u = shown_uuid(a);
        json_object *attrs = NULL;
        int r = 0;

        /* mdevctl sends no JSON with `get`; a person running us by hand may
         * send none at all: no attributes. */
        size_t skip = strspn(json, " \t\r\n");
        if (skip == len)
                return 0;
        if (strlen(json) != len)
                return log_fail(-EINVAL, "mdev %s: the device JSON on stdin contains a NUL byte (at byte %zu); fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u,
                                strlen(json), u);

        json_tokener *tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        /* As strict as mdevctl's serde_json: no trailing commas, no quirks. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        /* The terminating NUL is passed too: it tells json-c the input
         * ends there (else a bare "null" or "12" waits for more). */
        json_object *root = json_tokener_parse_ex(tok, json, (int)len + 1);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_success && !root)
                return log_fail(-EINVAL, "mdev %s: the device JSON on stdin is null, not an object; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u, u);
        if (jerr != json_tokener_success) {
                json_object_put(root);
                if (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof)
                        return log_fail(-EINVAL, "mdev %s: the device JSON on stdin ends before it is complete; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u, u);
                return log_fail(-EINVAL, "mdev %s: the device JSON on stdin is not valid JSON (%s, near byte %zu); fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u,
                                json_tokener_error_desc(jerr), end, u);
        }
        if (end < len && end + strspn(json + end, " \t\r\n") < len) {
                json_object_put(root);
                return log_fail(-EINVAL, "mdev %s: the device JSON on stdin has extra data after byte %zu; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u, end, u);
        }
        if (!json_object_is_type(root, json_type_object)) {
                r = log_fail(-EINVAL, "mdev %s: the device JSON on stdin is %s, not an object; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl", u, json_shape(root), u);
                goto out;
        }
        if (!json_object_object_get_ex(root, "attrs", &attrs) || json_object_is_type(attrs, json_type_null))
                goto out; /* no attributes, as mdevctl reads it */
        if (!json_object_is_type(attrs, json_type_array)) {
                r = log_fail(-EINVAL, "mdev %s: \"attrs\" in the device JSON is %s, not an array of {\"name\": \"value\"} objects; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl",
                             u, json_shape(attrs), u);
                goto out;
        }

        size_t n = json_object_array_length(attrs), n_params = 0;
        for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(attrs, i);
                if (!json_object_is_type(item, json_type_object)) {
                        r = log_fail(-EINVAL, "mdev %s: attribute #%zu in the device JSON is %s, not a {\"name\": \"value\"} object; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl",
                                     u, i, json_shape(item), u);
                        goto out;
                }
                if (json_object_object_length(item) != 1) {
                        r = log_fail(-EINVAL,
                                     "mdev %s: attribute #%zu in the device JSON has %d fields, not one {\"name\": \"value\"} pair; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl",
                                     u, i, json_object_object_length(item), u);
                        goto out;
                }
                json_object_object_foreach(item, key, val) {
                        char kbuf[72];
                        const char *k = shown_name(key, kbuf);
                        if (!json_object_is_type(val, json_type_string)) {
                                r = log_fail(-EINVAL,
                                             "mdev %s: attribute '%s' (#%zu) in the device JSON is %s, not a string; mdevctl writes attribute values "
                                             "to sysfs as text: write it as \"%s\": \"VALUE\" in the definition or --jsonfile given to mdevctl",
                                             u, k, i, json_shape(val), k);
                                goto out;
                        }
                        const char *s = json_object_get_string(val);
                        size_t slen = (size_t)json_object_get_string_len(val);
                        if (!s || strlen(s) != slen) {
                                r = log_fail(-EINVAL,
                                             "mdev %s: attribute '%s' (#%zu) in the device JSON contains a NUL character, which no sysfs "
                                             "attribute accepts; fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl",
                                             u, k, i, u);
                                goto out;
                        }
                        /* gpuhook's own attribute is one line of k=v pairs
                         * (its keys end up in messages, too). */
                        if (streq(key, VGPU_PARAMS_ATTR) && has_control_char(s)) {
                                r = log_fail(-EINVAL,
                                             "mdev %s: attribute '%s' (#%zu) in the device JSON contains a control character; give it as one "
                                             "line of key=value pairs separated by commas, e.g. \"frame_rate_limiter=0,enable_uvm=1\"",
                                             u, k, i);
                                goto out;
                        }
                        if (streq(key, VGPU_PARAMS_ATTR) && ++n_params > 1) {
                                r = log_fail(-EINVAL,
                                             "mdev %s: attribute '%s' appears more than once in the device JSON (again at #%zu); keep one "
                                             "(`mdevctl modify -u %s --delattr --index=%zu`)",
                                             u, k, i, u, i);
                                goto out;
                        }
                        r = attrs_add(ret, key, strlen(key), s, slen);
                        if (r < 0)
                                goto out;
                }
        }
out:
        json_object_put(root);
        if (r < 0)
                attrs_free(ret);
        return r;
}

/* "k=v,k=v" from an attribute value into params (for validation). */
static int split_params(const char *value, struct attrs *ret) {
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;
        if (!copy)
                return -ENOMEM;
        strstrip_end(copy);
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                const char *v = eq ? eq + 1 : "";
                int r = attrs_add(ret, kv, eq ? (size_t)(eq - kv) : strlen(kv), v, strlen(v));
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *find_attr(const struct attrs *a, const char *name) {
        for (size_t i = 0; i < a->n; i++)
                if (streq(a->v[i].name, name))
                        return a->v[i].value;
        return NULL;
}

/* Capacity and the one-type rule: only for `start`, which takes an instance. */
static int check_capacity(const struct callout_args *a) {
        struct host_view view = { 0 };
        struct strbuf why = { 0 };
        struct placement_choice choice;
        int r = mdev_host_view_load(&view);
        if (r < 0)
                return log_fail(r, "mdev %s: cannot read the mdev parents of this host: %s; is sysfs mounted?", shown_uuid(a),
                                strerror(-r));
        struct placement_request req = { .type_id = a->type, .parent = a->parent, .policy = PLACEMENT_COMPACT };
        r = placement_choose(&view, &req, &choice, &why);
        host_view_free(&view);
        if (r < 0)
                r = log_fail(r, "mdev %s: %s", shown_uuid(a), strbuf_str(&why));
        strbuf_free(&why);
        return r;
}

/* The vendor's attribute rules (undocumented nvidia/vgpu_params keys):
 * properties of the definition itself, so checked at define and modify too. */
static int check_attributes(const struct callout_args *a, const struct mdev_driver *drv, const struct attrs *attrs) {
        const char *params = find_attr(attrs, VGPU_PARAMS_ATTR);
        struct attrs split = { 0 };
        int r;

        if (!params || !drv->check_params)
                return 0;
        r = split_params(params, &split);
        struct mdev_op op = { .uuid = shown_uuid(a), .parent = a->parent, .type = a->type, .params = split.v,
                              .n_params = split.n };
        if (r >= 0)
                r = drv->check_params(&op);
        attrs_free(&split);
        return r;
}

static int post_start(const struct callout_args *a, const struct mdev_driver *drv, const struct attrs *attrs) {
        const char *params = find_attr(attrs, VGPU_PARAMS_ATTR);
        struct attrs split = { 0 };
        int r;

        if (!params || !drv->post_create)
                return 0;
        r = split_params(params, &split);
        struct mdev_op op = { .uuid = a->uuid, .parent = a->parent, .type = a->type, .params = split.v, .n_params = split.n };
        if (r >= 0)
                r = drv->post_create(&op);
        attrs_free(&split);
        return r;
}

static int get_attributes(const struct callout_args *a) {
        _cleanup_free_ char *path = sysfs_path(SYSFS_MDEV_DEVICES, a->uuid, "nvidia", "vgpu_params", NULL), *value = NULL;
        json_object *arr = json_object_new_array();
        if (!arr)
                return -ENOMEM;
        if (path && read_text_file(path, 4096, &value) >= 0 && *value) {
                json_object *item = json_object_new_object();
                if (item) {
                        json_object_object_add(item, VGPU_PARAMS_ATTR, json_object_new_string(value));
                        json_object_array_add(arr, item);
                }
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
        json_object_put(arr);
        return 0;
}

enum step {
        STEP_NONE,
        STEP_PRE_START,  /* attributes, then capacity */
        STEP_PRE_DEFINE, /* define, modify: attributes only */
        STEP_POST_START,
        STEP_GET_ATTRIBUTES,
};

static enum step step_for(const struct callout_args *a) {
        if (streq(a->event, "pre")) {
                if (streq(a->action, "start"))
                        return STEP_PRE_START;
                if (streq(a->action, "define") || streq(a->action, "modify"))
                        return STEP_PRE_DEFINE;
                return STEP_NONE; /* stop, undefine: never vetoed */
        }
        if (streq(a->event, "post") && streq(a->action, "start") && streq_ptr(a->state, "success") && a->uuid)
                return STEP_POST_START;
        if (streq(a->event, "get") && streq(a->action, "attributes") && a->uuid)
                return STEP_GET_ATTRIBUTES;
        return STEP_NONE;
}

static int run(int argc, char **argv) {
        struct callout_args a = { 0 };
        struct mdev_parent_probe probe;
        _cleanup_(attrs_free) struct attrs attrs = { 0 };
        _cleanup_free_ char *json = NULL;
        size_t json_len = 0;
        int r, read_r;

        /* Read all of stdin before anything else (see the top). */
        read_r = read_fd_limited(STDIN_FILENO, DEVICE_JSON_MAX, &json, &json_len);
        if (parse_args(argc, argv, &a) < 0) {
                fprintf(stderr, "gpuhook-callout: usage: -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT (run by mdevctl)\n");
                return EXIT_NOT_MINE;
        }
        /* `gpuhookctl disable` (or a cloud's hands-off switch): mdevctl goes
         * on as if gpuhook were not installed. */
        _cleanup_free_ char *marker = hook_switch_path();
        bool untrusted = false;
        if (marker && hook_switched_off(marker, &untrusted))
                return EXIT_NOT_MINE;
        /* Only names that can be paths of this parent's types get further. */
        if (!a.type || !mdev_type_id_valid(a.type) || !a.parent || !mdev_parent_name_valid(a.parent) ||
            (a.uuid && !uuid_valid(a.uuid)))
                return EXIT_NOT_MINE;
        if (mdev_parent_probe_read(a.parent, &probe) < 0)
                return EXIT_NOT_MINE;
        const struct mdev_driver *drv = mdev_driver_for(&probe);
        if (drv == &mdev_driver_generic)
                return EXIT_NOT_MINE;

        enum step step = step_for(&a);
        if (step == STEP_NONE)
                return 0;
        if (step == STEP_GET_ATTRIBUTES)
                return get_attributes(&a); /* no device JSON with get */

        if (read_r == -EFBIG)
                return log_fail(-EFBIG, "mdev %s: the device JSON on stdin is larger than %u KiB; gpuhook refuses it: fix the device's definition (`mdevctl list -d --dumpjson -u %s`) or the --jsonfile given to mdevctl",
                                shown_uuid(&a), DEVICE_JSON_MAX / 1024, shown_uuid(&a));
        if (read_r < 0)
                return log_fail(read_r, "mdev %s: cannot read the device JSON on stdin: %s; run gpuhook-callout through mdevctl",
                                shown_uuid(&a), strerror(-read_r));
        r = parse_device_json(&a, json, json_len, &attrs);
        if (r < 0)
                return r;

        switch (step) {
        case STEP_PRE_START:
                r = check_attributes(&a, drv, &attrs);
                return r < 0 ? r : check_capacity(&a);
        case STEP_PRE_DEFINE: return check_attributes(&a, drv, &attrs);
        case STEP_POST_START: return post_start(&a, drv, &attrs);
        default: return 0;
        }
}

int main(int argc, char **argv) {
        log_setup("gpuhook-callout", true);
        int r = run(argc, argv);
        if (r == EXIT_NOT_MINE)
                return EXIT_NOT_MINE;
        if (r < 0) {
                /* mdevctl prefixes each line with the callout's name. */
                const char *msg = log_failure();
                fprintf(stderr, "%s\n", msg ? msg : strerror(-r));
                return 1;
        }
        return 0;
}
