/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gpuhook's mdevctl callout: `mdevctl start`, `virsh nodedev-start` and
 * `nodedev-create` bypass libvirt's hooks, so mdevctl asks us instead.
 *
 *   gpuhook-callout -t TYPE -e pre|post|get|live|notify
 *                   -a start|stop|define|undefine|modify|attributes
 *                   -s none|success|failure -u UUID -p PARENT
 *   stdin: the device's JSON ({"mdev_type":…,"start":…,"attrs":[{"k":"v"}]})
 *
 * Exit 2: not a type gpuhook's vendor drivers claim, ask the next callout.
 * pre start: veto (exit 1, one line on stderr) what cannot work.
 * post start: apply vendor attributes (NVIDIA vgpu_params, newline rule).
 * get attributes: print the vendor attributes as JSON on stdout. */
#include <getopt.h>
#include <json-c/json.h>

#include "driver.h"
#include "log.h"
#include "mdev.h"
#include "nvidia.h"
#include "placement.h"
#include "sysfs.h"

#define EXIT_NOT_MINE 2
#define VGPU_PARAMS_ATTR "nvidia/vgpu_params"

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
        return a->event && a->action ? 0 : -EINVAL;
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
}

static int parse_attrs(const char *json, struct attrs *ret) {
        json_object *root = json_tokener_parse(json), *attrs = NULL;
        int r = 0;
        if (!root)
                return *json ? -EINVAL : 0;
        if (json_object_object_get_ex(root, "attrs", &attrs) && json_object_is_type(attrs, json_type_array)) {
                size_t n = json_object_array_length(attrs);
                for (size_t i = 0; i < n && r >= 0; i++) {
                        json_object *item = json_object_array_get_idx(attrs, i);
                        if (!json_object_is_type(item, json_type_object))
                                continue;
                        json_object_object_foreach(item, key, val) {
                                struct mdev_param *nv = reallocarray(ret->v, ret->n + 1, sizeof(*nv));
                                if (!nv) {
                                        r = -ENOMEM;
                                        break;
                                }
                                ret->v = nv;
                                nv[ret->n].name = strdup(key);
                                nv[ret->n].value = strdup(json_object_get_string(val));
                                ret->n++;
                        }
                }
        }
        json_object_put(root);
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
                struct mdev_param *nv = reallocarray(ret->v, ret->n + 1, sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                ret->v = nv;
                nv[ret->n].name = strndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
                nv[ret->n].value = strdup(eq ? eq + 1 : "");
                ret->n++;
        }
        return 0;
}

static const char *find_attr(const struct attrs *a, const char *name) {
        for (size_t i = 0; i < a->n; i++)
                if (streq(a->v[i].name, name))
                        return a->v[i].value;
        return NULL;
}

static int pre_start(const struct callout_args *a, const struct mdev_driver *drv, const struct attrs *attrs) {
        struct host_view view = { 0 };
        struct strbuf why = { 0 };
        struct placement_choice choice;
        int r = mdev_host_view_load(&view);
        if (r < 0)
                return log_fail(r, "cannot read mdev parents: %s", strerror(-r));
        struct placement_request req = { .type_id = a->type, .parent = a->parent, .policy = PLACEMENT_COMPACT };
        r = placement_choose(&view, &req, &choice, &why);
        host_view_free(&view);
        if (r < 0) {
                r = log_fail(r, "mdev %s: %s", a->uuid ? a->uuid : "(new)", strbuf_str(&why));
                strbuf_free(&why);
                return r;
        }
        strbuf_free(&why);
        const char *params = find_attr(attrs, VGPU_PARAMS_ATTR);
        if (params && drv->check_params) {
                struct attrs split = { 0 };
                r = split_params(params, &split);
                struct mdev_op op = { .uuid = a->uuid ? a->uuid : "(new)", .parent = a->parent, .type = a->type,
                                      .params = split.v, .n_params = split.n };
                if (r >= 0)
                        r = drv->check_params(&op);
                attrs_free(&split);
                if (r < 0)
                        return r;
        }
        return 0;
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
        if (path && read_text_file(path, 4096, &value) >= 0 && *value) {
                json_object *item = json_object_new_object();
                json_object_object_add(item, VGPU_PARAMS_ATTR, json_object_new_string(value));
                json_object_array_add(arr, item);
        }
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
        json_object_put(arr);
        return 0;
}

static int run(int argc, char **argv) {
        struct callout_args a = { 0 };
        struct mdev_parent_probe probe;
        struct attrs attrs = { 0 };
        _cleanup_free_ char *json = NULL;
        int r;

        /* Read all of stdin before anything else: mdevctl 1.2.0 ignores the
         * exit status of a callout that exits before it wrote the JSON. */
        r = read_fd_limited(STDIN_FILENO, 1 << 20, &json, NULL);
        if (r < 0)
                json = strdup("");
        if (parse_args(argc, argv, &a) < 0) {
                fprintf(stderr, "gpuhook-callout: usage: -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT (run by mdevctl)\n");
                return EXIT_NOT_MINE;
        }
        /* Only names that can be paths of this parent's types get further. */
        if (!a.type || !mdev_type_id_valid(a.type) || !a.parent || !mdev_parent_name_valid(a.parent) ||
            (a.uuid && !uuid_valid(a.uuid)))
                return EXIT_NOT_MINE;
        if (mdev_parent_probe_read(a.parent, &probe) < 0)
                return EXIT_NOT_MINE;
        const struct mdev_driver *drv = mdev_driver_for(&probe);
        if (drv == &mdev_driver_generic)
                return EXIT_NOT_MINE;
        if (parse_attrs(json ? json : "", &attrs) < 0) {
                attrs_free(&attrs);
                return log_fail(-EINVAL, "mdev %s: mdevctl passed device JSON gpuhook cannot parse", a.uuid ? a.uuid : "(new)");
        }
        if (streq(a.event, "pre") && (streq(a.action, "start") || streq(a.action, "define")))
                r = pre_start(&a, drv, &attrs);
        else if (streq(a.event, "post") && streq(a.action, "start") && streq_ptr(a.state, "success") && a.uuid)
                r = post_start(&a, drv, &attrs);
        else if (streq(a.event, "get") && streq(a.action, "attributes") && a.uuid)
                r = get_attributes(&a);
        else
                r = 0;
        attrs_free(&attrs);
        return r;
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
