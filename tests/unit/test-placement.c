/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "hostview.h"

#define GPU_A "0000:41:00.0"
#define GPU_B "0000:42:00.0"
#define GPU_C "0000:43:00.0"

/* Choose for TYPE with POLICY (and PARENT / NUMA nodeset text when given);
 * returns the chosen parent's name, or NULL with *ret_r and WHY set. */
static const char *choose(const struct host_view *v, const char *type, enum placement_policy policy, const char *parent,
                          const char *numa, int *ret_r, struct strbuf *why) {
        struct nodeset ns = { 0 };
        struct placement_choice c = { 99, 99 };

        if (numa && nodeset_parse(numa, &ns) < 0)
                return NULL;
        struct placement_request req = {
                .type_id = type,
                .parent = parent,
                .policy = policy,
                .numa = numa ? &ns : NULL,
        };
        *ret_r = placement_choose(v, &req, &c, why);
        if (*ret_r < 0) {
                unit_check(c.parent == 99 && c.type == 99, __LINE__, __FILE__, "choice written on failure");
                return NULL;
        }
        unit_check(streq(v->parents[c.parent].types[c.type].id, type), __LINE__, __FILE__,
                   "chose type %s, asked for %s", v->parents[c.parent].types[c.type].id, type);
        return v->parents[c.parent].name;
}

static void test_policy_strings(void) {
        CU_ASSERT_EQUAL(placement_policy_from_string("compact"), PLACEMENT_COMPACT);
        CU_ASSERT_EQUAL(placement_policy_from_string("spread"), PLACEMENT_SPREAD);
        CU_ASSERT_EQUAL(placement_policy_from_string("Spread"), -EINVAL);
        CU_ASSERT_EQUAL(placement_policy_from_string(""), -EINVAL);
        CU_ASSERT_EQUAL(placement_policy_from_string(NULL), -EINVAL);
        ASSERT_STR_EQ(placement_policy_to_string(PLACEMENT_COMPACT), "compact");
        ASSERT_STR_EQ(placement_policy_to_string(PLACEMENT_SPREAD), "spread");
}

/* A: 2 of 4 nvidia-300 used; B: empty; C: full. */
static void three_gpus(struct host_view *v) {
        hv_v100(v, GPU_A, 0, "nvidia-300", 2);
        hv_v100(v, GPU_B, 1, NULL, 0);
        hv_v100(v, GPU_C, 1, "nvidia-300", 4);
}

static void test_compact_picks_fullest_with_room(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        three_gpus(&v);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why), GPU_A);
        ASSERT_STR_EQ(strbuf_str(&why), "");
        host_view_free(&v);
}

static void test_spread_picks_least_loaded(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        three_gpus(&v);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_SPREAD, NULL, NULL, &r, &why), GPU_B);
        host_view_free(&v);
}

static void test_capacity_breaks_ties(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        size_t a = hv_parent(&v, "mtty", -1, false), b = hv_parent(&v, "mtty2", -1, false);
        hv_type(&v, a, "mtty-1", "Single port serial", "vfio-pci", 5, 0);
        hv_type(&v, b, "mtty-1", "Single port serial", "vfio-pci", 2, 0);
        /* Equal load: compact takes the parent with less left, spread the one with more. */
        ASSERT_STR_EQ(choose(&v, "mtty-1", PLACEMENT_COMPACT, NULL, NULL, &r, &why), "mtty2");
        ASSERT_STR_EQ(choose(&v, "mtty-1", PLACEMENT_SPREAD, NULL, NULL, &r, &why), "mtty");
        host_view_free(&v);
}

static void test_name_breaks_ties(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        /* Listed out of order; the choice does not depend on sysfs order. */
        hv_v100(&v, GPU_C, -1, NULL, 0);
        hv_v100(&v, GPU_A, -1, NULL, 0);
        hv_v100(&v, GPU_B, -1, NULL, 0);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why), GPU_A);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_SPREAD, NULL, NULL, &r, &why), GPU_A);
        host_view_free(&v);
}

static void test_numa_wins_over_policy(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        three_gpus(&v); /* A on node 0 (used), B on node 1 (empty) */
        /* Compact alone would take A; the VM's memory is on node 1. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, "1", &r, &why), GPU_B);
        /* Spread alone would take B; the VM's memory is on node 0. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_SPREAD, NULL, "0", &r, &why), GPU_A);
        /* Several nodes: policy decides among the matching ones. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, "0-1", &r, &why), GPU_A);
        /* No parent on the VM's node: a preference, not a requirement. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, "3", &r, &why), GPU_A);
        host_view_free(&v);
}

static void test_numa_preferred_parent_full(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_v100(&v, GPU_A, 0, "nvidia-300", 4); /* full, on the VM's node */
        hv_v100(&v, GPU_B, 1, NULL, 0);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, "0", &r, &why), GPU_B);
        host_view_free(&v);
}

static void test_named_parent_honoured(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        three_gpus(&v);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why), GPU_A);
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, GPU_B, NULL, &r, &why), GPU_B);
        /* Even against the NUMA preference. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, GPU_A, "1", &r, &why), GPU_A);

        /* A named parent that is full is not replaced by another. */
        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-300", PLACEMENT_COMPACT, GPU_C, NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why), GPU_C " has 0 left");
        ASSERT_STR_LACKS(strbuf_str(&why), GPU_A);
        strbuf_free(&why);

        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-300", PLACEMENT_COMPACT, "0000:99:00.0", NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOENT);
        ASSERT_STR_HAS(strbuf_str(&why), "parent 0000:99:00.0 is not an mdev parent on this host");
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_named_parent_without_type(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_v100(&v, GPU_A, 0, NULL, 0);
        size_t m = hv_parent(&v, "mtty", -1, false);
        hv_type(&v, m, "mtty-1", NULL, "vfio-pci", 4, 0);
        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-300", PLACEMENT_COMPACT, "mtty", NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOENT);
        ASSERT_STR_HAS(strbuf_str(&why), "parent mtty does not offer type nvidia-300");
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_resolve_type(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        const char *id = NULL;

        three_gpus(&v);
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "nvidia-301", &id, &why), 0);
        ASSERT_STR_EQ(id, "nvidia-301");
        /* The same name on several parents is still exactly one type. */
        id = NULL;
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "GRID V100-8C", &id, &why), 0);
        ASSERT_STR_EQ(id, "nvidia-300");
        ASSERT_STR_EQ(strbuf_str(&why), "");
        /* Names are compared exactly. */
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "grid v100-8c", &id, &why), -ENOENT);
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_resolve_type_ambiguous(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        const char *id = "untouched";

        hv_v100(&v, GPU_A, 0, NULL, 0);
        size_t b = hv_parent(&v, GPU_B, 0, true);
        hv_type(&v, b, "nvidia-400", "GRID V100-8C", "vfio-pci", 4, 0);
        hv_type(&v, b, "nvidia-401", "GRID V100-8C", "vfio-pci", 4, 0);
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "GRID V100-8C", &id, &why), -EINVAL);
        ASSERT_STR_EQ(id, "untouched");
        ASSERT_STR_HAS(strbuf_str(&why), "type name 'GRID V100-8C' matches several type ids");
        ASSERT_STR_HAS(strbuf_str(&why), "(nvidia-300, nvidia-400, nvidia-401)");
        ASSERT_STR_HAS(strbuf_str(&why), "name the type id instead");
        /* The id itself still resolves. */
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "nvidia-400", &id, &why), 0);
        ASSERT_STR_EQ(id, "nvidia-400");
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_resolve_type_unknown(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        const char *id = NULL;

        three_gpus(&v);
        size_t m = hv_parent(&v, "mtty", -1, false);
        hv_type(&v, m, "mtty-1", NULL, "vfio-pci", 4, 0);
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "nvidia-999", &id, &why), -ENOENT);
        ASSERT_STR_HAS(strbuf_str(&why), "no mdev parent on this host offers type 'nvidia-999'");
        ASSERT_STR_HAS(strbuf_str(&why),
                       "types here: nvidia-299 (GRID V100-4C), nvidia-300 (GRID V100-8C), nvidia-301 (GRID V100-16C), "
                       "mtty-1");
        /* Each type listed once although three parents offer it. */
        const char *first = strstr(strbuf_str(&why), "nvidia-300");
        CU_ASSERT_PTR_NULL(first ? strstr(first + 1, "nvidia-300") : NULL);
        strbuf_free(&why);

        /* A control character in the user's type does not reach the message. */
        CU_ASSERT_EQUAL(placement_resolve_type(&v, "x\ny", &id, &why), -ENOENT);
        ASSERT_STR_HAS(strbuf_str(&why), "'x?y'");
        strbuf_free(&why);
        host_view_free(&v);

        struct host_view empty = { 0 };
        CU_ASSERT_EQUAL(placement_resolve_type(&empty, "nvidia-300", &id, &why), -ENOENT);
        ASSERT_STR_HAS(strbuf_str(&why), "there are no mdev parents at all");
        strbuf_free(&why);
}

static void test_exhaustion(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_v100(&v, GPU_A, 0, "nvidia-300", 4);
        hv_v100(&v, GPU_B, 0, "nvidia-300", 3);
        size_t m = hv_parent(&v, "mtty", -1, false);
        hv_type(&v, m, "mtty-1", NULL, "vfio-pci", 4, 0);
        /* B has one left: the first request fits. */
        ASSERT_STR_EQ(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why), GPU_B);
        v.parents[1].types[1].available = 0;
        v.parents[1].types[1].in_use = 4;

        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why), "no free instance of nvidia-300:");
        ASSERT_STR_HAS(strbuf_str(&why), GPU_A " has 0 left (4 in use)");
        ASSERT_STR_HAS(strbuf_str(&why), GPU_B " has 0 left (4 in use)");
        ASSERT_STR_HAS(strbuf_str(&why), "stop a VM that uses one");
        /* Parents that do not offer the type are not mentioned. */
        ASSERT_STR_LACKS(strbuf_str(&why), "mtty");
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_one_type_at_a_time_explained(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_v100(&v, GPU_A, 0, "nvidia-299", 1);
        hv_v100(&v, GPU_B, 0, "nvidia-300", 4);
        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-300", PLACEMENT_COMPACT, NULL, NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why),
                       GPU_A " has 0 left (" GPU_A
                             " already hosts nvidia-299; nvidia-300 cannot be added until it is empty)");
        ASSERT_STR_HAS(strbuf_str(&why), GPU_B " has 0 left (4 in use)");
        strbuf_free(&why);
        /* The type it already hosts still fits. */
        ASSERT_STR_EQ(choose(&v, "nvidia-299", PLACEMENT_COMPACT, NULL, NULL, &r, &why), GPU_A);
        host_view_free(&v);
}

/* The one-type rule follows the card's own counters: a card that hosts one
 * type and still offers another is in mixed-size mode; an empty card and a
 * card whose other types read 0 keep the rule. */
static void test_type_rule_settled_by_counters(void) {
        struct host_view v = { 0 };
        size_t a = hv_v100(&v, GPU_A, 0, "nvidia-299", 1); /* others read 0: equal-size */
        size_t b = hv_parent(&v, GPU_B, 0, true);          /* hosts 299, still offers 300 */
        hv_type(&v, b, "nvidia-299", "GRID V100-4C", "vfio-pci", 6, 1);
        hv_type(&v, b, "nvidia-300", "GRID V100-8C", "vfio-pci", 1, 0);
        size_t c = hv_v100(&v, GPU_C, 0, NULL, 0); /* empty: cannot tell */
        host_view_settle_type_rule(&v);
        CU_ASSERT_TRUE(v.parents[a].one_type_at_a_time);
        CU_ASSERT_FALSE(v.parents[b].one_type_at_a_time);
        CU_ASSERT_TRUE(v.parents[c].one_type_at_a_time);

        /* on the mixed card, two types in one plan */
        struct placement_choice ch;
        struct strbuf why = { 0 };
        struct placement_request req = { .type_id = "nvidia-299", .parent = GPU_B, .policy = PLACEMENT_COMPACT };
        CU_ASSERT_EQUAL(placement_choose(&v, &req, &ch, &why), 0);
        host_view_consume(&v, &ch);
        req.type_id = "nvidia-300";
        CU_ASSERT_EQUAL(placement_choose(&v, &req, &ch, &why), 0);
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_consume(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        struct placement_choice c;
        int r;

        hv_v100(&v, GPU_A, 0, NULL, 0);
        size_t m = hv_parent(&v, "mtty", -1, false);
        hv_type(&v, m, "mtty-1", NULL, "vfio-pci", 2, 0);
        hv_type(&v, m, "mtty-2", NULL, "vfio-pci", 1, 0);

        struct placement_request req = { .type_id = "nvidia-300", .policy = PLACEMENT_COMPACT };
        CU_ASSERT_EQUAL_FATAL(placement_choose(&v, &req, &c, &why), 0);
        host_view_consume(&v, &c);
        const struct mdev_parent_info *a = host_view_find_parent(&v, GPU_A);
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        CU_ASSERT_EQUAL(mdev_parent_find_type(a, "nvidia-300")->available, 3);
        CU_ASSERT_EQUAL(mdev_parent_find_type(a, "nvidia-300")->in_use, 1);
        CU_ASSERT_EQUAL(mdev_parent_in_use(a), 1);
        /* One type at a time: the other types are gone until the GPU is empty. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(a, "nvidia-299")->available, 0);
        CU_ASSERT_EQUAL(mdev_parent_find_type(a, "nvidia-301")->available, 0);
        req.type_id = "nvidia-299";
        CU_ASSERT_EQUAL(placement_choose(&v, &req, &c, &why), -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why), "already hosts nvidia-300; nvidia-299 cannot be added until it is empty");
        strbuf_free(&why);

        /* Consume until full. */
        req.type_id = "nvidia-300";
        for (int i = 0; i < 3; i++) {
                CU_ASSERT_EQUAL_FATAL(placement_choose(&v, &req, &c, &why), 0);
                host_view_consume(&v, &c);
        }
        CU_ASSERT_EQUAL(placement_choose(&v, &req, &c, &why), -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why), GPU_A " has 0 left (4 in use)");
        strbuf_free(&why);

        /* A parent without the rule keeps its other types. */
        req.type_id = "mtty-1";
        CU_ASSERT_EQUAL_FATAL(placement_choose(&v, &req, &c, &why), 0);
        host_view_consume(&v, &c);
        const struct mdev_parent_info *mt = host_view_find_parent(&v, "mtty");
        CU_ASSERT_EQUAL(mdev_parent_find_type(mt, "mtty-1")->available, 1);
        CU_ASSERT_EQUAL(mdev_parent_find_type(mt, "mtty-2")->available, 1);
        CU_ASSERT_PTR_NULL(mdev_parent_find_type(mt, "nvidia-300"));
        CU_ASSERT_PTR_NULL(host_view_find_parent(&v, "nope"));
        host_view_free(&v);
        CU_ASSERT_EQUAL(v.n_parents, 0);
        CU_ASSERT_PTR_NULL(v.parents);
        (void)r;
}

/* A VF of an A100-like card (SR-IOV VFs on the mdev path): one instance per
 * VF, one type at a time across the card. USED: the type this VF hosts;
 * ON_CARD: the type the card hosts (what the kernel then still offers). */
static size_t hv_vf(struct host_view *v, const char *name, const char *card, const char *used, const char *on_card) {
        static const char *const types[] = { "nvidia-500", "nvidia-501" };
        size_t p = hv_parent(v, name, 0, true);
        v->parents[p].one_instance = true;
        snprintf(v->parents[p].card, sizeof(v->parents[p].card), "%s", card);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                bool free_here = !used && (!on_card || streq(on_card, types[i]));
                hv_type(v, p, types[i], NULL, "vfio-pci", free_here ? 1 : 0, used && streq(used, types[i]));
        }
        return p;
}

#define CARD_A "0000:c1:00.0"
#define CARD_B "0000:42:00.0"

static void test_card_load_counts_all_vfs(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_vf(&v, "0000:c1:00.4", CARD_A, "nvidia-500", "nvidia-500");
        hv_vf(&v, "0000:c1:00.5", CARD_A, NULL, "nvidia-500");
        hv_vf(&v, "0000:42:00.4", CARD_B, NULL, NULL);
        hv_vf(&v, "0000:42:00.5", CARD_B, NULL, NULL);
        /* Every free VF has one instance in use on it: none. Compact counts the
         * card: the VF next to the one in use. */
        ASSERT_STR_EQ(choose(&v, "nvidia-500", PLACEMENT_COMPACT, NULL, NULL, &r, &why), "0000:c1:00.5");
        ASSERT_STR_EQ(choose(&v, "nvidia-500", PLACEMENT_SPREAD, NULL, NULL, &r, &why), "0000:42:00.4");
        ASSERT_STR_EQ(mdev_parent_card(&v.parents[0]), CARD_A);
        host_view_free(&v);

        /* A parent without a card is its own card. */
        hv_v100(&v, GPU_A, 0, NULL, 0);
        ASSERT_STR_EQ(mdev_parent_card(&v.parents[0]), GPU_A);
        host_view_free(&v);
}

static void test_card_one_type_explained(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        int r = 0;

        hv_vf(&v, "0000:c1:00.4", CARD_A, "nvidia-500", "nvidia-500");
        hv_vf(&v, "0000:c1:00.5", CARD_A, NULL, "nvidia-500");
        CU_ASSERT_PTR_NULL(choose(&v, "nvidia-501", PLACEMENT_COMPACT, NULL, NULL, &r, &why));
        CU_ASSERT_EQUAL(r, -ENOSPC);
        ASSERT_STR_HAS(strbuf_str(&why),
                       "0000:c1:00.5 has 0 left (its card " CARD_A
                       " already hosts nvidia-500; nvidia-501 cannot be added until the card is empty)");
        ASSERT_STR_HAS(strbuf_str(&why), "0000:c1:00.4 has 0 left (its card " CARD_A " already hosts nvidia-500;");
        strbuf_free(&why);
        host_view_free(&v);
}

static void test_card_consume(void) {
        struct host_view v = { 0 };
        struct strbuf why = { 0 };
        struct placement_choice c;

        hv_vf(&v, "0000:42:00.4", CARD_B, NULL, NULL);
        hv_vf(&v, "0000:42:00.5", CARD_B, NULL, NULL);
        hv_vf(&v, "0000:c1:00.4", CARD_A, NULL, NULL);
        struct placement_request req = { .type_id = "nvidia-501", .policy = PLACEMENT_COMPACT };
        CU_ASSERT_EQUAL_FATAL(placement_choose(&v, &req, &c, &why), 0);
        ASSERT_STR_EQ(v.parents[c.parent].name, "0000:42:00.4");
        host_view_consume(&v, &c);

        const struct mdev_parent_info *vf4 = &v.parents[0], *vf5 = &v.parents[1], *other = &v.parents[2];
        /* One instance per VF: the VF is full. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(vf4, "nvidia-500")->available, 0);
        CU_ASSERT_EQUAL(mdev_parent_find_type(vf4, "nvidia-501")->available, 0);
        CU_ASSERT_EQUAL(mdev_parent_find_type(vf4, "nvidia-501")->in_use, 1);
        /* One type per card: the sibling VF only offers the same type now. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(vf5, "nvidia-500")->available, 0);
        CU_ASSERT_EQUAL(mdev_parent_find_type(vf5, "nvidia-501")->available, 1);
        /* Another card is not affected. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(other, "nvidia-500")->available, 1);
        CU_ASSERT_EQUAL(mdev_parent_find_type(other, "nvidia-501")->available, 1);

        /* Compact now fills the same card. */
        CU_ASSERT_EQUAL_FATAL(placement_choose(&v, &req, &c, &why), 0);
        ASSERT_STR_EQ(v.parents[c.parent].name, "0000:42:00.5");
        host_view_free(&v);
}

/* clang-format off */
UNIT_MAIN("placement",
          UNIT_TEST(test_policy_strings),
          UNIT_TEST(test_compact_picks_fullest_with_room),
          UNIT_TEST(test_spread_picks_least_loaded),
          UNIT_TEST(test_capacity_breaks_ties),
          UNIT_TEST(test_name_breaks_ties),
          UNIT_TEST(test_numa_wins_over_policy),
          UNIT_TEST(test_numa_preferred_parent_full),
          UNIT_TEST(test_named_parent_honoured),
          UNIT_TEST(test_named_parent_without_type),
          UNIT_TEST(test_resolve_type),
          UNIT_TEST(test_resolve_type_ambiguous),
          UNIT_TEST(test_resolve_type_unknown),
          UNIT_TEST(test_exhaustion),
          UNIT_TEST(test_one_type_at_a_time_explained),
          UNIT_TEST(test_type_rule_settled_by_counters),
          UNIT_TEST(test_consume),
          UNIT_TEST(test_card_load_counts_all_vfs),
          UNIT_TEST(test_card_one_type_explained),
          UNIT_TEST(test_card_consume))
/* clang-format on */
