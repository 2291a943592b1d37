/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cunit-main.h"
#include "hostview.h"
#include "plan.h"

#define GPU_A "0000:41:00.0"
#define GPU_B "0000:42:00.0"
#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"
#define U4 "44444444-4444-4444-8444-444444444444"

#define HOSTDEV(uuid, model)                                                                                           \
        "<hostdev mode='subsystem' type='mdev' model='" model "'>"                                                     \
        "<source><address uuid='" uuid "'/></source></hostdev>"

static const int driver_a, driver_b; /* stand-ins for the plugin drivers */

static struct domain_spec *make_domain(const char *devices, const char *meta, const char *numatune) {
        _cleanup_free_ char *xml = strdup_printf(
                "<domain type='kvm'><name>vm1</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>%s"
                "<metadata><gpuhook:devices xmlns:gpuhook='urn:gpuhook:domain:1'>%s</gpuhook:devices></metadata>"
                "<devices>%s</devices></domain>",
                numatune ? numatune : "", meta ? meta : "", devices ? devices : "");
        struct domain_spec *d = NULL;
        int r = xml ? domain_parse(xml, strlen(xml), &d) : -ENOMEM;
        unit_check(r == 0, __LINE__, __FILE__, "test domain does not parse: %s", log_failure() ? log_failure() : "");
        return r == 0 ? d : NULL;
}

/* Two V100s: A (node 0) hosts two nvidia-300, B (node 1) is empty. */
static void two_gpus(struct host_view *v) {
        size_t a = hv_v100(v, GPU_A, 0, "nvidia-300", 2), b = hv_v100(v, GPU_B, 1, NULL, 0);
        v->parents[a].driver = &driver_a;
        v->parents[b].driver = &driver_b;
}

struct fixture {
        struct strset existing, ours, defined, others;
        char *other_names[2];
        struct host_view view;
        struct plan_input in;
        struct domain_spec *d;
};

static void fixture_init(struct fixture *f, struct domain_spec *d) {
        *f = (struct fixture){ .d = d };
        f->other_names[0] = "vm-other";
        f->other_names[1] = "vm-third";
        two_gpus(&f->view);
        f->in = (struct plan_input){
                .domain = d,
                .existing = &f->existing,
                .ours = &f->ours,
                .defined = &f->defined,
                .others = &f->others,
                .other_names = f->other_names,
                .view = &f->view,
                .default_policy = PLACEMENT_COMPACT,
        };
}

static void fixture_done(struct fixture *f) {
        strset_free(&f->existing);
        strset_free(&f->ours);
        strset_free(&f->defined);
        strset_free(&f->others);
        host_view_free(&f->view);
        domain_spec_free(f->d);
}

static void test_keep_and_start(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci") HOSTDEV(U2, "vfio-pci") HOSTDEV(U3, "vfio-pci"),
                                     "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        strset_add(&f.existing, U1);
        strset_add(&f.ours, U1);     /* created by an earlier prepare */
        strset_add(&f.existing, U2); /* someone else's: never touched */
        strset_add(&f.defined, U3);

        CU_ASSERT_EQUAL_FATAL(plan_mdevs(&f.in, &p), 0);
        CU_ASSERT_EQUAL_FATAL(p.n_mdev, 3);
        CU_ASSERT_EQUAL(p.mdev[0].kind, MDEV_ACTION_KEEP_OURS);
        ASSERT_STR_EQ(p.mdev[0].hostdev->uuid, U1);
        CU_ASSERT_EQUAL(p.mdev[1].kind, MDEV_ACTION_KEEP_FOREIGN);
        ASSERT_STR_EQ(p.mdev[1].hostdev->uuid, U2);
        CU_ASSERT_EQUAL(p.mdev[2].kind, MDEV_ACTION_START_DEFINED);
        ASSERT_STR_EQ(p.mdev[2].hostdev->uuid, U3);
        /* Nothing was placed: the view is as it was. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[0], "nvidia-300")->available, 2);
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[1], "nvidia-300")->available, 4);
        ASSERT_NO_FAILURE();
        plan_free(&p);
        CU_ASSERT_EQUAL(p.n_mdev, 0);
        fixture_done(&f);
}

static void test_held_by_other_domain(void) {
        struct fixture f;
        struct plan p = { .n_mdev = 12345 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci"), NULL, NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        strset_add(&f.existing, U1);
        strset_put(&f.others, U1, 1);

        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -EBUSY);
        CU_ASSERT_EQUAL(p.n_mdev, 12345);
        ASSERT_FAILURE_HAS("mdev " U1 " is already held by domain 'vm-third'");
        ASSERT_FAILURE_HAS("uuidgen");
        fixture_done(&f);
}

static void test_others_block_even_when_gone(void) {
        struct fixture f;
        struct plan p = { .n_mdev = 12345 };

        /* Another domain's ledger names a UUID that does not exist (its
         * prepare was killed before the create): creating it for this
         * domain would let that domain's release destroy it. */
        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci"), "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        strset_put(&f.others, U1, 0);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -EBUSY);
        CU_ASSERT_EQUAL(p.n_mdev, 12345);
        ASSERT_FAILURE_HAS("mdev " U1 " is held by domain 'vm-other', whose start was interrupted");
        ASSERT_FAILURE_HAS("gpuhookctl reconcile");
        fixture_done(&f);
}

static void test_create_on_right_parent(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci") HOSTDEV(U2, "vfio-pci") HOSTDEV(U3, "vfio-pci"),
                                     "<gpuhook:mdev uuid='" U1 "' type='GRID V100-8C'/>"
                                     "<gpuhook:mdev uuid='" U2 "' type='nvidia-300' placement='spread'/>"
                                     "<gpuhook:mdev uuid='" U3 "' type='nvidia-300' parent='42:00.0'>"
                                     "<gpuhook:param name='p' value='1'/></gpuhook:mdev>",
                                     NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);

        CU_ASSERT_EQUAL_FATAL(plan_mdevs(&f.in, &p), 0);
        CU_ASSERT_EQUAL_FATAL(p.n_mdev, 3);
        /* Host default compact: the GPU already in use; the name resolved to its id. */
        CU_ASSERT_EQUAL(p.mdev[0].kind, MDEV_ACTION_CREATE);
        ASSERT_STR_EQ(p.mdev[0].parent, GPU_A);
        ASSERT_STR_EQ(p.mdev[0].type, "nvidia-300");
        CU_ASSERT_PTR_EQUAL(p.mdev[0].driver, &driver_a);
        CU_ASSERT_PTR_EQUAL(p.mdev[0].request, domain_find_request(f.d, U1));
        /* The request's own policy: the empty GPU. */
        ASSERT_STR_EQ(p.mdev[1].parent, GPU_B);
        CU_ASSERT_PTR_EQUAL(p.mdev[1].driver, &driver_b);
        /* Named parent, short form in the XML. */
        ASSERT_STR_EQ(p.mdev[2].parent, GPU_B);
        CU_ASSERT_EQUAL_FATAL(p.mdev[2].request->n_params, 1);
        /* The view was consumed: A 3 used, B 2 used. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[0], "nvidia-300")->available, 1);
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[1], "nvidia-300")->available, 2);
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[1], "nvidia-299")->available, 0);
        ASSERT_STR_EQ(mdev_action_kind_to_string(p.mdev[0].kind), "create");
        plan_free(&p);
        fixture_done(&f);
}

static void test_default_policy_spread(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci"), "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        f.in.default_policy = PLACEMENT_SPREAD;
        CU_ASSERT_EQUAL_FATAL(plan_mdevs(&f.in, &p), 0);
        ASSERT_STR_EQ(p.mdev[0].parent, GPU_B);
        plan_free(&p);
        fixture_done(&f);
}

static void test_numa_from_domain(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci"), "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>",
                                     "<numatune><memory mode='strict' nodeset='1'/></numatune>"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL_FATAL(plan_mdevs(&f.in, &p), 0);
        ASSERT_STR_EQ(p.mdev[0].parent, GPU_B); /* compact alone would say A */
        plan_free(&p);
        fixture_done(&f);
}

static void test_neither_existing_nor_described(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci") HOSTDEV(U2, "vfio-pci"),
                                     "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -ENOENT);
        CU_ASSERT_EQUAL(p.n_mdev, 0);
        CU_ASSERT_PTR_NULL(p.mdev);
        ASSERT_FAILURE_HAS("mdev " U2 " does not exist and nothing says how to create it");
        ASSERT_FAILURE_HAS("<gpuhook:mdev uuid='" U2 "' type='TYPE'/>");
        ASSERT_FAILURE_HAS("xmlns:gpuhook='urn:gpuhook:domain:1'");
        ASSERT_FAILURE_HAS("mdevctl define -u " U2 " -p PARENT -t TYPE");
        fixture_done(&f);
}

static void test_all_or_nothing(void) {
        struct fixture f;
        struct plan p = { .n_mdev = 777 };

        /* Four creates: the three nvidia-300 fit (two on A, one on B); the
         * fourth is an nvidia-301, which neither GPU can host next to nvidia-300. */
        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci") HOSTDEV(U2, "vfio-pci") HOSTDEV(U3, "vfio-pci")
                                             HOSTDEV(U4, "vfio-pci"),
                                     "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>"
                                     "<gpuhook:mdev uuid='" U2 "' type='nvidia-300'/>"
                                     "<gpuhook:mdev uuid='" U3 "' type='nvidia-300'/>"
                                     "<gpuhook:mdev uuid='" U4 "' type='nvidia-301'/>",
                                     NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -ENOSPC);
        CU_ASSERT_EQUAL(p.n_mdev, 777);
        ASSERT_FAILURE_HAS("cannot create mdev " U4 ": no free instance of nvidia-301:");
        ASSERT_FAILURE_HAS(GPU_A " has 0 left (" GPU_A
                                 " already hosts nvidia-300; nvidia-301 cannot be added until it is empty)");
        ASSERT_FAILURE_HAS(GPU_B " has 0 left (" GPU_B " already hosts nvidia-300;");
        fixture_done(&f);
}

static void test_unknown_type(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f,
                     make_domain(HOSTDEV(U1, "vfio-pci"), "<gpuhook:mdev uuid='" U1 "' type='GRID A100-8C'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -ENOENT);
        ASSERT_FAILURE_HAS("cannot create mdev " U1 ": no mdev parent on this host offers type 'GRID A100-8C'");
        ASSERT_FAILURE_HAS("nvidia-300 (GRID V100-8C)");
        fixture_done(&f);
}

static void test_model_mismatch(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-ccw"), "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), -EINVAL);
        ASSERT_FAILURE_HAS("mdev " U1 ": type nvidia-300 provides vfio-pci but the <hostdev> says model='vfio-ccw'");
        ASSERT_FAILURE_HAS("set model='vfio-pci'");
        fixture_done(&f);
}

static void test_optional_sets(void) {
        struct fixture f;
        struct plan p = { 0 };

        fixture_init(&f, make_domain(HOSTDEV(U1, "vfio-pci") HOSTDEV(U2, "vfio-pci"),
                                     "<gpuhook:mdev uuid='" U2 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        strset_add(&f.existing, U1);
        f.in.defined = NULL;
        f.in.others = NULL;
        CU_ASSERT_EQUAL_FATAL(plan_mdevs(&f.in, &p), 0);
        CU_ASSERT_EQUAL(p.mdev[0].kind, MDEV_ACTION_KEEP_FOREIGN);
        CU_ASSERT_EQUAL(p.mdev[1].kind, MDEV_ACTION_CREATE);
        plan_free(&p);
        fixture_done(&f);
}

static void test_nothing_to_do(void) {
        struct fixture f;
        struct plan p = { .n_mdev = 5 };

        fixture_init(&f, make_domain(NULL, "<gpuhook:mdev uuid='" U1 "' type='nvidia-300'/>", NULL));
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.d);
        CU_ASSERT_EQUAL(plan_mdevs(&f.in, &p), 0);
        CU_ASSERT_EQUAL(p.n_mdev, 0);
        /* A request without a hostdev creates nothing. */
        CU_ASSERT_EQUAL(mdev_parent_find_type(&f.view.parents[1], "nvidia-300")->available, 4);
        plan_free(&p);
        fixture_done(&f);
}

static void test_kind_strings(void) {
        ASSERT_STR_EQ(mdev_action_kind_to_string(MDEV_ACTION_KEEP_FOREIGN), "keep (not gpuhook's)");
        ASSERT_STR_EQ(mdev_action_kind_to_string(MDEV_ACTION_KEEP_OURS), "keep (created earlier)");
        ASSERT_STR_EQ(mdev_action_kind_to_string(MDEV_ACTION_START_DEFINED), "start mdevctl definition");
        ASSERT_STR_EQ(mdev_action_kind_to_string((enum mdev_action_kind)42), "unknown");
}

/* clang-format off */
UNIT_MAIN("plan",
          UNIT_TEST(test_keep_and_start),
          UNIT_TEST(test_held_by_other_domain),
          UNIT_TEST(test_others_block_even_when_gone),
          UNIT_TEST(test_create_on_right_parent),
          UNIT_TEST(test_default_policy_spread),
          UNIT_TEST(test_numa_from_domain),
          UNIT_TEST(test_neither_existing_nor_described),
          UNIT_TEST(test_all_or_nothing),
          UNIT_TEST(test_unknown_type),
          UNIT_TEST(test_model_mismatch),
          UNIT_TEST(test_optional_sets),
          UNIT_TEST(test_nothing_to_do),
          UNIT_TEST(test_kind_strings))
/* clang-format on */
