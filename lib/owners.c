/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libxml/tree.h>
#include <time.h>

#include "log.h"
#include "owners.h"
#include "trust.h"
#include "xmlsafe.h"

#define OWNERS_MAX_BYTES (16u << 20)

struct owners *owners_free(struct owners *o) {
        if (!o)
                return NULL;
        free(o->claims);
        free(o->path);
        free(o);
        return NULL;
}

static void copy_field(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

/* The id of a claim must be what its kind names, as strictly as in a
 * ledger: claims steer refusals and, through the ledger, sysfs writes. */
static bool claim_id_valid(enum ledger_kind kind, const char *id) {
        switch (kind) {
        case LEDGER_MDEV:
                return uuid_valid(id);
        case LEDGER_CONSOLE:
                return mdev_type_id_valid(id);
        case LEDGER_PCI:
        case LEDGER_VGPU:
        case LEDGER_SRIOV:
                return pci_addr_valid(id);
        case LEDGER_CCW:
                return ledger_css_id_valid(id);
        default:
                return false;
        }
}

static int parse_claim(xmlNodePtr n, struct owner_claim *c) {
        _cleanup_free_ char *kind = xml_prop(n, "kind"), *id = xml_prop(n, "id"), *on = xml_prop(n, "on"),
                            *uuid = xml_prop(n, "domain-uuid"), *name = xml_prop(n, "domain-name"),
                            *since = xml_prop(n, "since");
        int k = -1;

        for (int i = 0; kind && i < _LEDGER_KIND_MAX; i++)
                if (streq(kind, ledger_kind_to_string((enum ledger_kind)i)))
                        k = i;
        if (k < 0 || !id || !claim_id_valid((enum ledger_kind)k, id) || !uuid || !uuid_valid(uuid) ||
            (on && *on && !mdev_parent_name_valid(on)) || (since && safe_atou64(since, &c->since) < 0))
                return -EINVAL;
        c->kind = (enum ledger_kind)k;
        copy_field(c->id, sizeof(c->id), id);
        copy_field(c->on, sizeof(c->on), on);
        copy_field(c->domain_uuid, sizeof(c->domain_uuid), uuid);
        copy_field(c->domain_name, sizeof(c->domain_name), name);
        return 0;
}

static int owners_append(struct owners *o, const struct owner_claim *c) {
        if (o->n == o->cap) {
                size_t ncap = o->cap ? o->cap * 2 : 16;
                struct owner_claim *n = reallocarray(o->claims, ncap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                o->claims = n;
                o->cap = ncap;
        }
        o->claims[o->n++] = *c;
        return 0;
}

static int owners_load(struct owners *o) {
        _cleanup_free_ char *text = NULL;
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        const char *err = NULL;
        size_t len = 0;
        int r;

        _cleanup_close_ int fd = open(o->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_fail(-errno, "cannot read the owner record %s: %m; check the state directory", o->path);
        if ((r = trust_fd(fd, o->path, "owner record")) < 0)
                return r;
        r = read_fd_limited(fd, OWNERS_MAX_BYTES, &text, &len);
        if (r < 0)
                return log_fail(r, "cannot read the owner record %s: %s", o->path, strerror(-r));
        r = xml_parse_hostile(text, len, &doc, &err);
        xmlNodePtr root = r >= 0 ? xmlDocGetRootElement(doc) : NULL;
        if (!xml_name_is(root, "owners"))
                return log_fail(-EBADMSG, "owner record %s is unreadable (%s); inspect it, then run `gpuhookctl reconcile`",
                                o->path, err ? err : "no <owners> root");
        for (xmlNodePtr n = root->children; n; n = n->next) {
                struct owner_claim c = { 0 };
                if (n->type != XML_ELEMENT_NODE)
                        continue;
                if (!xml_name_is(n, "claim") || parse_claim(n, &c) < 0)
                        return log_fail(-EBADMSG, "owner record %s line %ld: invalid <%s>; inspect the file", o->path,
                                        (long)xmlGetLineNo(n), (const char *)n->name);
                /* gpuhook writes one claim per resource; two owners of one
                 * resource mean the file was edited or damaged, and acting on
                 * either could hand one domain's device to the other. */
                const struct owner_claim *dup = owners_find(o, c.kind, c.id);
                if (dup && !streq(dup->domain_uuid, c.domain_uuid))
                        return log_fail(-EBADMSG,
                                        "owner record %s line %ld: %s %s is claimed by domains %s and %s; inspect the file, "
                                        "then run `gpuhookctl reconcile`",
                                        o->path, (long)xmlGetLineNo(n), ledger_kind_to_string(c.kind), c.id,
                                        dup->domain_uuid, c.domain_uuid);
                if (dup)
                        continue;
                if ((r = owners_append(o, &c)) < 0)
                        return r;
        }
        return 0;
}

int owners_open(const char *state_dir, struct owners **ret) {
        _cleanup_owners_ struct owners *o = calloc(1, sizeof(*o));
        int r;

        if (!o)
                return -ENOMEM;
        o->path = strdup_printf("%s/owners.xml", state_dir);
        if (!o->path)
                return -ENOMEM;
        if ((r = owners_load(o)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

const struct owner_claim *owners_find(const struct owners *o, enum ledger_kind kind, const char *id) {
        for (size_t i = 0; i < o->n; i++)
                if (o->claims[i].kind == kind && streq(o->claims[i].id, id))
                        return &o->claims[i];
        return NULL;
}

const struct owner_claim *owners_find_on_device(const struct owners *o, const char *bdf, const char *domain_uuid) {
        for (size_t i = 0; i < o->n; i++) {
                const struct owner_claim *c = &o->claims[i];
                if (streq(c->domain_uuid, domain_uuid))
                        continue;
                bool pci_addressed = c->kind == LEDGER_PCI || c->kind == LEDGER_VGPU || c->kind == LEDGER_SRIOV;
                if ((pci_addressed && streq(c->id, bdf)) || streq(c->on, bdf))
                        return c;
        }
        return NULL;
}

static void set_prop(xmlNodePtr n, const char *name, const char *value) {
        xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

int owners_commit(struct owners *o) {
        _cleanup_xmldoc_ xmlDocPtr doc = NULL;
        xmlChar *mem = NULL;
        int size = 0, r;
        char num[32];

        if (o->n == 0) {
                if (unlink(o->path) < 0 && errno != ENOENT)
                        return log_fail(-errno, "cannot remove the owner record %s: %m", o->path);
                return 0;
        }
        doc = xmlNewDoc((const xmlChar *)"1.0");
        if (!doc)
                return -ENOMEM;
        xmlNodePtr root = xmlNewDocNode(doc, NULL, (const xmlChar *)"owners", NULL);
        xmlDocSetRootElement(doc, root);
        set_prop(root, "version", "1");
        for (size_t i = 0; i < o->n; i++) {
                const struct owner_claim *c = &o->claims[i];
                xmlNodePtr n = xmlNewChild(root, NULL, (const xmlChar *)"claim", NULL);
                set_prop(n, "kind", ledger_kind_to_string(c->kind));
                set_prop(n, "id", c->id);
                if (*c->on)
                        set_prop(n, "on", c->on);
                set_prop(n, "domain-uuid", c->domain_uuid);
                set_prop(n, "domain-name", c->domain_name);
                snprintf(num, sizeof(num), "%llu", (unsigned long long)c->since);
                set_prop(n, "since", num);
        }
        xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
        if (!mem)
                return -ENOMEM;
        r = write_file_atomic(o->path, mem, (size_t)size, 0600);
        xmlFree(mem);
        if (r < 0)
                return log_fail(r, "cannot write the owner record %s: %s; check that the state directory is writable",
                                o->path, strerror(-r));
        return 0;
}

int owners_claim(struct owners *o, const struct owner_claim *c) {
        const struct owner_claim *held = owners_find(o, c->kind, c->id);
        int r;

        if (held)
                return streq(held->domain_uuid, c->domain_uuid) ? 1 : -EBUSY;
        struct owner_claim n = *c;
        if (!n.since)
                n.since = (uint64_t)time(NULL);
        if ((r = owners_append(o, &n)) < 0)
                return r;
        if ((r = owners_commit(o)) < 0) {
                o->n--;
                return r;
        }
        return 0;
}

static void owners_remove_at(struct owners *o, size_t i) {
        memmove(&o->claims[i], &o->claims[i + 1], (o->n - i - 1) * sizeof(o->claims[0]));
        o->n--;
}

int owners_drop(struct owners *o, enum ledger_kind kind, const char *id, const char *domain_uuid) {
        for (size_t i = 0; i < o->n; i++) {
                const struct owner_claim *c = &o->claims[i];
                if (c->kind != kind || !streq(c->id, id))
                        continue;
                if (!streq(c->domain_uuid, domain_uuid))
                        return 0;
                owners_remove_at(o, i);
                int r = owners_commit(o);
                return r < 0 ? r : 1;
        }
        return 0;
}

int owners_drop_unbacked(struct owners *o, const char *domain_uuid, const struct ledger *l) {
        bool changed = false;
        for (size_t i = o->n; i-- > 0;) {
                const struct owner_claim *c = &o->claims[i];
                if (!streq(c->domain_uuid, domain_uuid))
                        continue;
                if (l && ledger_find((struct ledger *)l, c->kind, c->id))
                        continue;
                log_info("dropping %s %s from the owner record: domain %s holds no change to it", ledger_kind_to_string(c->kind),
                         c->id, domain_uuid);
                owners_remove_at(o, i);
                changed = true;
        }
        return changed ? owners_commit(o) : 0;
}

const char *owner_claim_shown(const struct owner_claim *c, char *buf, size_t size) {
        return sanitize_for_message(*c->domain_name ? c->domain_name : c->domain_uuid, buf, size);
}

int owners_claim_backed(const char *state_dir, const struct owner_claim *c) {
        _cleanup_ledger_ struct ledger *l = NULL;
        int r = ledger_open_other(state_dir, c->domain_uuid, &l);
        if (r < 0)
                return r;
        return ledger_find(l, c->kind, c->id) ? 1 : 0;
}
