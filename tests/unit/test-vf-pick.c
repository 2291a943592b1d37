/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "vf-pick.h"

/* A PF with TOTAL VFs, ENABLED of them created; STATES[i] for the created
 * ones (the rest VF_NOT_ENABLED); addresses 0000:BB:00.0 and 0000:BB:00.i+1. */
static void add_pf(struct vf_pool *p, unsigned bus, const char *family, int numa, unsigned total, bool can_enable,
                   const enum vf_state *states, unsigned enabled) {
        p->pfs = reallocarray(p->pfs, p->n + 1, sizeof(*p->pfs));
        CU_ASSERT_PTR_NOT_NULL_FATAL(p->pfs);
        struct vf_pf *pf = &p->pfs[p->n++];
        *pf = (struct vf_pf){ .numa_node = numa, .totalvfs = total, .numvfs = enabled, .can_enable = can_enable };
        snprintf(pf->bdf, sizeof(pf->bdf), "0000:%02x:00.0", bus);
        snprintf(pf->family, sizeof(pf->family), "%s", family);
        snprintf(pf->driver, sizeof(pf->driver), "%s", can_enable ? "xe" : "gim");
        pf->vfs = calloc(total, sizeof(*pf->vfs));
        CU_ASSERT_PTR_NOT_NULL_FATAL(pf->vfs);
        for (unsigned i = 0; i < total; i++) {
                if (i >= enabled && !can_enable)
                        break;
                struct vf_slot *s = &pf->vfs[pf->n_vfs++];
                s->index = i;
                s->state = i < enabled ? states[i] : VF_NOT_ENABLED;
                snprintf(s->bdf, sizeof(s->bdf), "0000:%02x:00.%u", bus, i + 1);
                if (s->state == VF_HELD)
                        snprintf(s->owner, sizeof(s->owner), "vm%u", i);
        }
}

static const char *pick(const struct vf_pool *p, const char *family, const char *profile, enum placement_policy pol,
                        const struct nodeset *numa, const struct strset *taken, int *ret) {
        const struct vf_pf *pf = NULL;
        const struct vf_slot *s = NULL;
        struct strbuf why = { 0 };
        struct vf_want w = { .family = family, .profile = profile, .policy = pol, .numa = numa, .taken = taken };
        *ret = vf_pick(p, &w, &pf, &s, &why);
        static char last[512];
        snprintf(last, sizeof(last), "%s", *ret == 0 ? s->bdf : strbuf_str(&why));
        strbuf_free(&why);
        return last;
}

static void test_compact_fills_the_busy_pf_spread_the_idle(void) {
        struct vf_pool p = { 0 };
        const enum vf_state a[] = { VF_HELD, VF_FREE, VF_FREE }, b[] = { VF_FREE, VF_FREE, VF_FREE };
        add_pf(&p, 0x03, "intel-sriov", 0, 3, true, a, 3);
        add_pf(&p, 0x83, "intel-sriov", 1, 3, true, b, 3);
        int r;
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, NULL, &r), "0000:03:00.2");
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_SPREAD, NULL, NULL, &r), "0000:83:00.1");
        /* NUMA before the policy */
        struct nodeset n1;
        CU_ASSERT_EQUAL(nodeset_parse("1", &n1), 0);
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, &n1, NULL, &r), "0000:83:00.1");
        /* what this render took already counts as load */
        struct strset taken = { 0 };
        CU_ASSERT_EQUAL(strset_add(&taken, "0000:83:00.1"), 1);
        CU_ASSERT_EQUAL(strset_add(&taken, "0000:83:00.2"), 1);
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_SPREAD, NULL, &taken, &r), "0000:03:00.2");
        strset_free(&taken);
        vf_pool_free(&p);
}

static void test_not_enabled_only_while_no_vf_is_used(void) {
        struct vf_pool p = { 0 };
        const enum vf_state held[] = { VF_HELD }, none[] = { VF_FREE };
        add_pf(&p, 0x03, "intel-sriov", 0, 4, true, held, 1);
        int r;
        const char *why = pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r, -ENOSPC);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "held by domains (first: 'vm0')"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "3 more only with its VFs off"));
        vf_pool_free(&p);
        /* a PF with one free VF: that one, and no other while it has VFs */
        add_pf(&p, 0x03, "intel-sriov", 0, 4, true, none, 1);
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, NULL, &r), "0000:03:00.1");
        struct strset taken = { 0 };
        CU_ASSERT_EQUAL(strset_add(&taken, "0000:03:00.1"), 1);
        pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, &taken, &r);
        CU_ASSERT_EQUAL(r, -ENOSPC);
        CU_ASSERT_EQUAL(vf_pf_available(&p.pfs[0]), 1);
        vf_pool_free(&p);
        /* a PF without VFs: gpuhook creates them, the first one first */
        add_pf(&p, 0x03, "intel-sriov", 0, 4, true, none, 0);
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, NULL, &r), "0000:03:00.1");
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, &taken, &r), "0000:03:00.2");
        CU_ASSERT_EQUAL(vf_pf_available(&p.pfs[0]), 4);
        strset_free(&taken);
        vf_pool_free(&p);
}

static void test_at_load_driver_creates_none(void) {
        struct vf_pool p = { 0 };
        const enum vf_state s[] = { VF_IN_USE, VF_HELD };
        add_pf(&p, 0x05, "amd-mxgpu", 0, 16, false, s, 2);
        CU_ASSERT_EQUAL(p.pfs[0].n_vfs, 2);
        int r;
        const char *why = pick(&p, "amd-mxgpu", NULL, PLACEMENT_COMPACT, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r, -ENOSPC);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "1 on vfio-pci outside gpuhook"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "its driver gim creates no more at run time"));
        why = pick(&p, "intel-sriov", NULL, PLACEMENT_COMPACT, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r, -ENOENT);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "families here: amd-mxgpu"));
        vf_pool_free(&p);
}

static void test_profile_wish(void) {
        struct vf_pool p = { 0 };
        const enum vf_state s[] = { VF_FREE, VF_FREE };
        add_pf(&p, 0x03, "intel-sriov", 0, 2, true, s, 2);
        snprintf(p.pfs[0].vfs[0].profile, VF_PROFILE_MAX, "exec_quantum_ms=20,preempt_timeout_us=40000");
        snprintf(p.pfs[0].vfs[1].profile, VF_PROFILE_MAX, "exec_quantum_ms=40,preempt_timeout_us=40000");
        int r;
        CU_ASSERT_STRING_EQUAL(pick(&p, "intel-sriov", "exec_quantum_ms=40", PLACEMENT_COMPACT, NULL, NULL, &r),
                               "0000:03:00.2");
        const char *why = pick(&p, "intel-sriov", "exec_quantum_ms=5", PLACEMENT_COMPACT, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r, -ENOSPC);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "2 free without profile exec_quantum_ms=5"));
        CU_ASSERT_TRUE(vf_profile_matches("a=1,b=2", "b=2,a=1"));
        CU_ASSERT_FALSE(vf_profile_matches("a=1,b=2", "a=12"));
        CU_ASSERT_FALSE(vf_profile_matches("", "a=1"));
        CU_ASSERT_TRUE(vf_profile_valid("exec_quantum_ms=20,sched_priority=low"));
        CU_ASSERT_FALSE(vf_profile_valid("a=1,"));
        CU_ASSERT_FALSE(vf_profile_valid("=1"));
        CU_ASSERT_FALSE(vf_profile_valid("a=1/2"));
        CU_ASSERT_FALSE(vf_profile_valid("a"));
        CU_ASSERT_FALSE(vf_profile_valid(""));
        vf_pool_free(&p);
}

/* clang-format off */
UNIT_MAIN("vf-pick",
          UNIT_TEST(test_compact_fills_the_busy_pf_spread_the_idle),
          UNIT_TEST(test_not_enabled_only_while_no_vf_is_used),
          UNIT_TEST(test_at_load_driver_creates_none),
          UNIT_TEST(test_profile_wish))
/* clang-format on */
