/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <sys/stat.h>
#include <time.h>

#include "ledger.h"
#include "log.h"
#include "trust.h"
#include "xmlsafe.h"

#define LEDGER_MAX_BYTES (64u << 20)

static const char *const kind_names[_LEDGER_KIND_MAX] = {
        [LEDGER_MDEV] = "mdev",
        [LEDGER_PCI] = "pci",
        [LEDGER_CONSOLE] = "console",
        [LEDGER_VGPU] = "vgpu",
        [LEDGER_SRIOV] = "sriov",
        [LEDGER_CCW] = "ccw",
};

bool ledger_css_id_valid(const char *s) {
        size_t i = 0;
        for (int part = 0; part < 3; part++) {
                size_t start = i, max = part < 2 ? 1 : 4;
                while (s[i] && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        i++;
                if (i == start || i - start > max || (part == 2 && i - start != 4))
                        return false;
                if (part < 2 && s[i++] != '.')
                        return false;
        }
        return s[i] == 0;
}

const char *ledger_kind_to_string(enum ledger_kind k) {
        return k < _LEDGER_KIND_MAX ? kind_names[k] : "unknown";
}

static int ledger_kind_from_string(const char *s) {
        for (int k = 0; k < _LEDGER_KIND_MAX; k++)
                if (streq(s, kind_names[k]))
                        return k;
        return -EINVAL;
}

struct ledger *ledger_free(struct ledger *l) {
        if (!l)
                return NULL;
        free(l->entries);
        free(l->domain_name);
        free(l->path);
        free(l);
        return NULL;
}

static char *ledger_path(const char *state_dir, const char *domain_uuid) {
        return strdup_printf("%s/domains/%s.xml", state_dir, domain_uuid);
}

static void copy_field(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

/* Every field read back is validated as strictly as if it came from the
 * domain XML: the ledger steers sysfs writes at release. */
static int parse_entry(xmlNodePtr n, struct ledger_entry *e) {
        _cleanup_free_ char *id = NULL, *state = xml_prop(n, "state"), *since = xml_prop(n, "since");
        int k = ledger_kind_from_string((const char *)n->name);

        if (k < 0)
                return -EINVAL;
        *e = (struct ledger_entry){ .kind = (enum ledger_kind)k };
        if (!state || (!streq(state, "pending") && !streq(state, "done")))
                return -EINVAL;
        e->state = streq(state, "done") ? LEDGER_DONE : LEDGER_PENDING;
        if (since && safe_atou64(since, &e->since) < 0)
                return -EINVAL;

        if (k == LEDGER_MDEV) {
                _cleanup_free_ char *parent = xml_prop(n, "parent"), *type = xml_prop(n, "type"),
                                    *origin = xml_prop(n, "origin");
                id = xml_prop(n, "uuid");
                if (!id || !uuid_valid(id) || !origin || (!streq(origin, "created") && !streq(origin, "defined")))
                        return -EINVAL;
                /* A started definition may not know its parent and type yet. */
                bool may_be_empty = streq(origin, "defined");
                if (!parent || !type || (*parent ? !mdev_parent_name_valid(parent) : !may_be_empty) ||
                    (*type ? !mdev_type_id_valid(type) : !may_be_empty))
                        return -EINVAL;
                copy_field(e->parent, sizeof(e->parent), parent);
                copy_field(e->type, sizeof(e->type), type);
                e->defined = streq(origin, "defined");
        } else if (k == LEDGER_CONSOLE) {
                _cleanup_free_ char *type = xml_prop(n, "type"), *driver = xml_prop(n, "driver");
                id = xml_prop(n, "name");
                if (!id || !mdev_type_id_valid(id) || !type || (!streq(type, "vtcon") && !streq(type, "framebuffer") && !streq(type, "service")) ||
                    /* the one unit gpuhook stops (plugin/console.c): a ledger never names another */
                    (streq(type, "service") && !streq(id, "display-manager.service")) ||
                    (driver && *driver && !driver_name_valid(driver)))
                        return -EINVAL;
                copy_field(e->type, sizeof(e->type), type);
                copy_field(e->driver, sizeof(e->driver), driver);
        } else if (k == LEDGER_VGPU || k == LEDGER_SRIOV) {
                _cleanup_free_ char *value = xml_prop(n, k == LEDGER_VGPU ? "type" : "previous"),
                                    *left = k == LEDGER_SRIOV ? xml_prop(n, "set") : NULL;
                unsigned u;
                id = xml_prop(n, "address");
                if (!id || !pci_addr_valid(id) || !value || safe_atou(value, &u) < 0 || (left && safe_atou(left, &u) < 0))
                        return -EINVAL;
                copy_field(e->type, sizeof(e->type), value);
                copy_field(e->left, sizeof(e->left), left);
        } else if (k == LEDGER_CCW) {
                _cleanup_free_ char *driver = xml_prop(n, "driver"), *override = xml_prop(n, "override"),
                                    *left = xml_prop(n, "set-override");
                id = xml_prop(n, "subchannel");
                if (!id || !ledger_css_id_valid(id) || (driver && *driver && !driver_name_valid(driver)) ||
                    (override && *override && !driver_name_valid(override)) || !left || !driver_name_valid(left))
                        return -EINVAL;
                copy_field(e->driver, sizeof(e->driver), driver);
                copy_field(e->override, sizeof(e->override), override);
                copy_field(e->left, sizeof(e->left), left);
        } else {
                _cleanup_free_ char *driver = xml_prop(n, "driver"), *override = xml_prop(n, "override"),
                                    *left = xml_prop(n, "set-override");
                id = xml_prop(n, "address");
                if (!id || !pci_addr_valid(id) || (driver && *driver && !driver_name_valid(driver)) ||
                    (override && *override && !driver_name_valid(override)) || (left && *left && !driver_name_valid(left)))
                        return -EINVAL;
                copy_field(e->driver, sizeof(e->driver), driver);
                copy_field(e->override, sizeof(e->override), override);
                /* Ledgers from before set-override was recorded: gpuhook only ever set vfio-pci. */
                copy_field(e->left, sizeof(e->left), left && *left ? left : "vfio-pci");
        }
        copy_field(e->id, sizeof(e->id), id);
        return 0;
}

static int ledger_load(struct ledger *l) {
        _cleanup_free_ char *text = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;
        size_t len = 0;
        int r;

        _cleanup_close_ int fd = open(l->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_fail(-errno, "cannot read ledger %s: %m; check the state directory", l->path);
        _cleanup_free_ char *dir = strndup(l->path, (size_t)(strrchr(l->path, '/') - l->path));
        if (!dir)
                return -ENOMEM;
        if ((r = trust_dir(dir)) < 0)
                return r;
        if ((r = trust_fd(fd, l->path, "ledger")) < 0)
                return r;
        r = read_fd_limited(fd, LEDGER_MAX_BYTES, &text, &len);
        if (r < 0)
                return log_fail(r, "cannot read ledger %s: %s", l->path, strerror(-r));
        r = xml_parse_hostile(text, len, &doc, &err);
        if (r < 0)
                return log_fail(-EBADMSG, "ledger %s is unreadable (%s); inspect it, then run `gpuhookctl reconcile`",
                                l->path, err);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (!xml_name_is(root, "ledger"))
                return log_fail(-EBADMSG, "ledger %s has no <ledger> root; inspect it, then run `gpuhookctl reconcile`",
                                l->path);
        if (!l->domain_name || !*l->domain_name) {
                _cleanup_free_ char *name = xml_prop(root, "domain-name");
                if (name) {
                        free(l->domain_name);
                        l->domain_name = TAKE_PTR(name);
                }
        }
        for (xmlNodePtr c = root->children; c; c = c->next) {
                struct ledger_entry e;
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (parse_entry(c, &e) < 0)
                        return log_fail(-EBADMSG, "ledger %s line %ld: invalid <%s> entry; inspect the file", l->path,
                                        (long)xmlGetLineNo(c), (const char *)c->name);
                r = ledger_append(l, &e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ledger_open(const char *state_dir, const char *domain_uuid, const char *domain_name, struct ledger **ret) {
        _cleanup_ledger_ struct ledger *l = calloc(1, sizeof(*l));
        int r;

        if (!l)
                return -ENOMEM;
        if (!uuid_valid(domain_uuid))
                return -EINVAL;
        copy_field(l->domain_uuid, sizeof(l->domain_uuid), domain_uuid);
        l->domain_name = strdup(domain_name ? domain_name : "");
        l->path = ledger_path(state_dir, domain_uuid);
        if (!l->domain_name || !l->path)
                return -ENOMEM;
        r = ledger_load(l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

struct ledger_entry *ledger_find(struct ledger *l, enum ledger_kind kind, const char *id) {
        for (size_t i = 0; i < l->n; i++)
                if (l->entries[i].kind == kind && streq(l->entries[i].id, id))
                        return &l->entries[i];
        return NULL;
}

int ledger_append(struct ledger *l, const struct ledger_entry *e) {
        if (l->n == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 8;
                struct ledger_entry *n = reallocarray(l->entries, ncap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                l->entries = n;
                l->cap = ncap;
        }
        l->entries[l->n] = *e;
        if (!l->entries[l->n].since)
                l->entries[l->n].since = (uint64_t)time(NULL);
        return (int)l->n++;
}

void ledger_drop(struct ledger *l, size_t idx) {
        if (idx >= l->n)
                return;
        memmove(&l->entries[idx], &l->entries[idx + 1], (l->n - idx - 1) * sizeof(l->entries[0]));
        l->n--;
}

static void set_prop(xmlNodePtr n, const char *name, const char *value) {
        xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

int ledger_commit(struct ledger *l) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlChar *mem = NULL;
        int size = 0, r;
        char num[32];

        if (l->n == 0) {
                if (unlink(l->path) < 0 && errno != ENOENT)
                        return log_fail(-errno, "cannot remove ledger %s: %m", l->path);
                return 0;
        }
        doc = xmlNewDoc((const xmlChar *)"1.0");
        if (!doc)
                return -ENOMEM;
        xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"ledger", NULL);
        xmlDocSetRootElement(doc, root);
        set_prop(root, "version", "1");
        set_prop(root, "domain-uuid", l->domain_uuid);
        set_prop(root, "domain-name", l->domain_name);
        for (size_t i = 0; i < l->n; i++) {
                const struct ledger_entry *e = &l->entries[i];
                xmlNodePtr n = xmlNewChild(root, NULL, (const xmlChar *)kind_names[e->kind], NULL);
                if (e->kind == LEDGER_MDEV) {
                        set_prop(n, "uuid", e->id);
                        set_prop(n, "parent", e->parent);
                        set_prop(n, "type", e->type);
                        set_prop(n, "origin", e->defined ? "defined" : "created");
                } else if (e->kind == LEDGER_VGPU || e->kind == LEDGER_SRIOV) {
                        set_prop(n, "address", e->id);
                        set_prop(n, e->kind == LEDGER_VGPU ? "type" : "previous", e->type);
                        if (e->kind == LEDGER_SRIOV && *e->left)
                                set_prop(n, "set", e->left);
                } else if (e->kind == LEDGER_CCW) {
                        set_prop(n, "subchannel", e->id);
                        set_prop(n, "driver", e->driver);
                        set_prop(n, "override", e->override);
                        set_prop(n, "set-override", e->left);
                } else if (e->kind == LEDGER_CONSOLE) {
                        set_prop(n, "name", e->id);
                        set_prop(n, "type", e->type);
                        set_prop(n, "driver", e->driver);
                } else {
                        set_prop(n, "address", e->id);
                        set_prop(n, "driver", e->driver);
                        set_prop(n, "override", e->override);
                        set_prop(n, "set-override", *e->left ? e->left : "vfio-pci");
                }
                set_prop(n, "state", e->state == LEDGER_DONE ? "done" : "pending");
                snprintf(num, sizeof(num), "%llu", (unsigned long long)e->since);
                set_prop(n, "since", num);
        }
        xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
        if (!mem)
                return -ENOMEM;
        _cleanup_free_ char *dir = strndup(l->path, (size_t)(strrchr(l->path, '/') - l->path));
        if (!dir) {
                xmlFree(mem);
                return -ENOMEM;
        }
        r = mkdir_p(dir, 0700);
        if (r >= 0)
                r = write_file_atomic(l->path, mem, (size_t)size, 0600);
        xmlFree(mem);
        if (r < 0)
                return log_fail(r, "cannot write ledger %s: %s; check that the state directory is writable", l->path,
                                strerror(-r));
        return 0;
}

void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void ledger_remove_stale_temps(const char *state_dir) {
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state_dir);
        DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;

        while (d && (de = readdir(d))) {
                const char *tmp = strstr(de->d_name, ".xml.tmp.");
                char uuid[UUID_STRING_LEN + 1];
                if (!tmp || tmp - de->d_name != UUID_STRING_LEN)
                        continue;
                memcpy(uuid, de->d_name, UUID_STRING_LEN);
                uuid[UUID_STRING_LEN] = 0;
                if (!uuid_valid(uuid))
                        continue;
                log_info("removing %s/%s left by a killed ledger write", dir, de->d_name);
                (void)unlinkat(dirfd(d), de->d_name, 0);
        }
        if (d)
                closedir(d);
}

int ledger_list_domains(const char *state_dir, char ***ret_uuids, size_t *ret_n) {
        _cleanup_free_ char *dir = strdup_printf("%s/domains", state_dir);
        char **v = NULL;
        size_t n = 0, cap = 0;
        DIR *d;
        struct dirent *de;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                *ret_uuids = NULL;
                *ret_n = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len != UUID_STRING_LEN + 4 || !streq(de->d_name + UUID_STRING_LEN, ".xml"))
                        continue;
                char uuid[UUID_STRING_LEN + 1];
                memcpy(uuid, de->d_name, UUID_STRING_LEN);
                uuid[UUID_STRING_LEN] = 0;
                if (!uuid_valid(uuid))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        char **nv = reallocarray(v, cap, sizeof(char *));
                        if (!nv)
                                goto oom;
                        v = nv;
                }
                if (!(v[n] = strdup(uuid)))
                        goto oom;
                n++;
        }
        closedir(d);
        *ret_uuids = v;
        *ret_n = n;
        return 0;
oom:
        closedir(d);
        strv_free(v, n);
        return -ENOMEM;
}

int ledger_open_other(const char *state_dir, const char *domain_uuid, struct ledger **ret) {
        bool had_failure = log_failure() != NULL;
        int r = ledger_open(state_dir, domain_uuid, NULL, ret);
        /* Another domain's broken ledger is not this domain's failure. */
        if (r < 0 && !had_failure)
                log_failure_clear();
        return r;
}

int ledger_find_owner(const char *state_dir, const char *except_domain, enum ledger_kind kind, const char *id,
                      char **ret_domain_name) {
        char **uuids = NULL;
        size_t n = 0;
        int r = ledger_list_domains(state_dir, &uuids, &n), found = 0;

        if (r < 0)
                return r;
        for (size_t i = 0; i < n && !found; i++) {
                _cleanup_ledger_ struct ledger *l = NULL;
                if (except_domain && streq(uuids[i], except_domain))
                        continue;
                if (ledger_open_other(state_dir, uuids[i], &l) < 0)
                        continue;
                if (ledger_find(l, kind, id)) {
                        *ret_domain_name = strdup(*l->domain_name ? l->domain_name : l->domain_uuid);
                        found = *ret_domain_name ? 1 : -ENOMEM;
                }
        }
        strv_free(uuids, n);
        return found;
}
