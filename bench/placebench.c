/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* placebench: cost of one placement decision (lib/placement.h) on a large
 * synthetic host: 256 mdev parents x 32 types each, linked against the same
 * libgpuhook.a the hook uses.
 *
 *   placebench [-p PARENTS] [-t TYPES] [-r REPEATS]
 *
 * The host view: parents 0000:XX:YY.0 on NUMA node (index % 2), each
 * offering types nvidia-500 ... nvidia-(500+TYPES-1) with a deterministic
 * pseudo-random load (0-7 in use of the requested type, 1-8 available), not
 * time-sliced, so every parent is a candidate and placement_choose must
 * look at all PARENTS x TYPES entries. Cases:
 *   choose compact / spread      one placement_choose of a type every parent offers
 *   choose spread + NUMA         same with <numatune> nodeset '1'
 *   choose fixed parent          the request names a parent (the last one)
 *   fill: choose + consume       place until the type is exhausted, per placement
 *   full: ENOSPC + explanation   every parent full: the error path builds the
 *                                message naming all PARENTS parents
 *   resolve type by name         placement_resolve_type("GRID TEST-<last>")
 * Each case runs in a loop long enough for >= 20 ms, REPEATS times (31);
 * prints the median ns per call as Markdown rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "placement.h"

static unsigned lcg = 12345;
static unsigned rnd(unsigned n) {
        lcg = lcg * 1103515245u + 12345u;
        return (lcg >> 16) % n;
}

static double now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void view_build(struct host_view *v, size_t n_parents, size_t n_types, bool full) {
        lcg = 12345;
        v->n_parents = n_parents;
        v->parents = calloc(n_parents, sizeof(*v->parents));
        for (size_t i = 0; i < n_parents; i++) {
                struct mdev_parent_info *p = &v->parents[i];
                snprintf(p->name, sizeof(p->name), "%04zx:%02zx:%02zx.0", i / 256, (i % 256) / 32 + 1, i % 32);
                p->numa_node = (int)(i % 2);
                p->n_types = n_types;
                p->types = calloc(n_types, sizeof(*p->types));
                for (size_t t = 0; t < n_types; t++) {
                        struct mdev_type_info *ti = &p->types[t];
                        snprintf(ti->id, sizeof(ti->id), "nvidia-%zu", 500 + t);
                        char name[64];
                        snprintf(name, sizeof(name), "GRID TEST-%zuQ", t);
                        ti->name = strdup(name);
                        snprintf(ti->device_api, sizeof(ti->device_api), "vfio-pci");
                        ti->in_use = rnd(8);
                        ti->available = full ? 0 : 1 + rnd(8);
                }
        }
}

static void view_copy(struct host_view *dst, const struct host_view *src) {
        dst->n_parents = src->n_parents;
        dst->parents = malloc(src->n_parents * sizeof(*dst->parents));
        for (size_t i = 0; i < src->n_parents; i++) {
                dst->parents[i] = src->parents[i];
                dst->parents[i].types = malloc(src->parents[i].n_types * sizeof(struct mdev_type_info));
                memcpy(dst->parents[i].types, src->parents[i].types, src->parents[i].n_types * sizeof(struct mdev_type_info));
        }
}

static void view_copy_free(struct host_view *v) {
        for (size_t i = 0; i < v->n_parents; i++)
                free(v->parents[i].types);
        free(v->parents);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

enum bench_case { CHOOSE, FILL, FULL, RESOLVE };

static volatile size_t sink;

/* One timed batch of ITERS iterations: returns ns per call; *ret_total the
 * batch's timed ns. */
static double batch(enum bench_case c, const struct host_view *v, const struct placement_request *req, long iters,
                    double *ret_total) {
        struct placement_choice ch;
        long calls = 0;
        double t0 = now_ns();
        switch (c) {
        case CHOOSE:
        case FULL:
                for (long k = 0; k < iters; k++) {
                        struct strbuf why = { 0 };
                        int r = placement_choose(v, req, &ch, &why);
                        sink += (size_t)r + ch.parent + strlen(strbuf_str(&why));
                        strbuf_free(&why);
                        calls++;
                }
                break;
        case RESOLVE:
                for (long k = 0; k < iters; k++) {
                        struct strbuf why = { 0 };
                        const char *id = NULL;
                        int r = placement_resolve_type(v, req->type_id, &id, &why);
                        sink += (size_t)r + (id ? strlen(id) : 0);
                        strbuf_free(&why);
                        calls++;
                }
                break;
        case FILL: {
                /* Copying the view is not part of a placement: time only the loop. */
                double spent = 0;
                for (long k = 0; k < iters; k++) {
                        struct host_view w;
                        view_copy(&w, v);
                        double s0 = now_ns();
                        for (;;) {
                                struct strbuf why = { 0 };
                                int r = placement_choose(&w, req, &ch, &why);
                                strbuf_free(&why);
                                calls++;
                                if (r < 0)
                                        break;
                                host_view_consume(&w, &ch);
                        }
                        spent += now_ns() - s0;
                        view_copy_free(&w);
                }
                *ret_total = spent;
                return spent / (double)calls;
        }
        }
        *ret_total = now_ns() - t0;
        return *ret_total / (double)calls;
}

static double measure(enum bench_case c, const struct host_view *v, const struct placement_request *req, int repeats) {
        long iters = 1;
        double total = 0;
        while (batch(c, v, req, iters, &total), total < 20e6 && iters < (1L << 30))
                iters *= 2;
        double *s = calloc((size_t)repeats, sizeof(double));
        for (int r = 0; r < repeats; r++)
                s[r] = batch(c, v, req, iters, &total);
        qsort(s, (size_t)repeats, sizeof(double), cmp_double);
        double med = s[repeats / 2];
        free(s);
        return med;
}

int main(int argc, char **argv) {
        size_t n_parents = 256, n_types = 32;
        int repeats = 31;
        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "-p"))
                        n_parents = strtoul(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "-t"))
                        n_types = strtoul(argv[i + 1], NULL, 10);
                else if (!strcmp(argv[i], "-r"))
                        repeats = atoi(argv[i + 1]);
        }
        if (n_parents < 1 || n_types < 1 || repeats < 1) {
                fprintf(stderr, "usage: placebench [-p PARENTS] [-t TYPES] [-r REPEATS]\n");
                return 2;
        }
        struct host_view v = { 0 }, full = { 0 };
        view_build(&v, n_parents, n_types, false);
        view_build(&full, n_parents, n_types, true);
        char type_id[MDEV_NAME_MAX + 1], type_name[64];
        snprintf(type_id, sizeof(type_id), "nvidia-%zu", 500 + n_types - 1);
        snprintf(type_name, sizeof(type_name), "GRID TEST-%zuQ", n_types - 1);
        struct nodeset node1;
        nodeset_parse("1", &node1);

        struct {
                const char *what;
                enum bench_case c;
                const struct host_view *v;
                struct placement_request req;
        } cases[] = {
                { "choose, compact", CHOOSE, &v, { .type_id = type_id, .policy = PLACEMENT_COMPACT } },
                { "choose, spread", CHOOSE, &v, { .type_id = type_id, .policy = PLACEMENT_SPREAD } },
                { "choose, spread + NUMA nodeset 1", CHOOSE, &v,
                  { .type_id = type_id, .policy = PLACEMENT_SPREAD, .numa = &node1 } },
                { "choose, fixed parent", CHOOSE, &v,
                  { .type_id = type_id, .parent = v.parents[n_parents - 1].name, .policy = PLACEMENT_COMPACT } },
                { "fill: choose + consume until full (per placement)", FILL, &v,
                  { .type_id = type_id, .policy = PLACEMENT_COMPACT } },
                { "all full: ENOSPC + explanation", FULL, &full, { .type_id = type_id, .policy = PLACEMENT_COMPACT } },
                { "resolve type by name", RESOLVE, &v, { .type_id = type_name } },
        };
        printf("| case (%zu parents x %zu types) | median ns per call | µs |\n|---|---:|---:|\n", n_parents, n_types);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                double ns = measure(cases[i].c, cases[i].v, &cases[i].req, repeats);
                printf("| %s | %.0f | %.1f |\n", cases[i].what, ns, ns / 1000);
                fflush(stdout);
        }
        printf("\nmedian of %d timed batches of >= 20 ms each\n", repeats);
        host_view_free(&v);
        host_view_free(&full);
        return 0;
}
