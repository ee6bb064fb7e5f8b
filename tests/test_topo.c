/* test_topo.c - placement plans on synthetic and XML machines (every
 * policy, smt on/off, the six steal tiers), then the real machine: Ms run
 * where the plan says, P structures and stacks sit on the intended NUMA
 * node, steals are counted by tier, and bad plans are refused. */
#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include "internal.h"
#include "mnsched.h"
#include "mnsched/topo.h"
#include "testlib.h"

#define TWO_CORES "synthetic:pack:1 core:2 pu:1"
#define PACK2 "synthetic:pack:2 numa:2 core:4 pu:2"
#ifndef MN_TEST_DATA
#define MN_TEST_DATA "tests/data"
#endif
#define XML4 "xml:" MN_TEST_DATA "/topo-4node.xml"

static mn_topo_plan_t plan_ok(const char *topo, const char *placement, int n)
{
    mn_topo_plan_t p;
    int err = mn_topo_plan(topo, placement, n, &p);
    if (err)
        fprintf(stderr, "mn_topo_plan(%s, %s, %d): %s\n", topo, placement, n, p.error);
    ASSERT_EQ(err, 0);
    return p;
}

/* The CPUs of the plan, "0,2,4". */
static const char *cpus_of(const mn_topo_plan_t *p)
{
    static char buf[1024];
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < p->nprocs; i++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d", i ? "," : "", p->p[i].cpu);
    return buf;
}

/* P i's tiers, "core/L2/L3/node/package/rest", each "1,2" or "-". */
static const char *tiers_of(const mn_topo_plan_t *p, int i)
{
    static char buf[1024];
    size_t at = 0;
    for (int t = 0; t < MN_STEAL_TIERS; t++) {
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s", t ? "/" : "");
        if (!p->p[i].ntier[t])
            at += (size_t)snprintf(buf + at, sizeof buf - at, "-");
        for (int k = 0; k < p->p[i].ntier[t]; k++)
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d", k ? "," : "",
                                   p->p[i].tier[t][k]);
    }
    return buf;
}

#define ASSERT_STR(a, b) do { const char *_a = (a), *_b = (b); if (strcmp(_a, _b)) { \
    fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a, _a, _b); \
    abort(); } } while (0)

/* Plans topo/placement/n and checks the CPUs and P 0's tiers. */
static void expect(const char *topo, const char *placement, int n, const char *cpus,
                   const char *tiers0)
{
    mn_topo_plan_t p = plan_ok(topo, placement, n);
    ASSERT_STR(cpus_of(&p), cpus);
    if (tiers0)
        ASSERT_STR(tiers_of(&p, 0), tiers0);
    mn_topo_plan_free(&p);
}

static void refused(const char *topo, const char *placement, int n, const char *culprit,
                    const char *allowed)
{
    mn_topo_plan_t p;
    ASSERT_EQ(mn_topo_plan(topo, placement, n, &p), -EINVAL);
    ASSERT_STR_CONTAINS(p.error, culprit);
    ASSERT_STR_CONTAINS(p.error, "allowed: ");
    ASSERT_STR_CONTAINS(p.error, allowed);
    ASSERT_TRUE(!strchr(p.error, '\n'));
    mn_topo_plan_free(&p);
}

/* ---- plans on synthetic and XML machines -------------------------------------- */

static void one_package_two_cores(void)
{
    mn_topo_plan_t p = plan_ok(TWO_CORES, NULL, 0);
    ASSERT_EQ(p.packages, 1);
    ASSERT_EQ(p.numa_nodes, 1);
    ASSERT_EQ(p.cores, 2);
    ASSERT_EQ(p.pus, 2);
    ASSERT_EQ(p.nprocs, 2);
    ASSERT_TRUE(p.pinned);
    ASSERT_STR(cpus_of(&p), "0,1");
    ASSERT_STR(tiers_of(&p, 0), "-/-/-/1/-/-");
    ASSERT_STR(tiers_of(&p, 1), "-/-/-/0/-/-");
    ASSERT_EQ(p.p[1].core, 1);
    ASSERT_EQ(p.p[1].numa, 0);
    ASSERT_EQ(p.p[1].package, 0);
    mn_topo_plan_free(&p);
    expect(TWO_CORES, "compact", 2, "0,1", NULL);
    expect(TWO_CORES, "scatter", 2, "0,1", NULL);
    expect(TWO_CORES, "numa:0", 0, "0,1", NULL);
    expect(TWO_CORES, "cpus:1+0", 0, "1,0", "-/-/-/1/-/-");
    expect(TWO_CORES, "cpus:1", 0, "1", "-/-/-/-/-/-");
    expect(TWO_CORES, "compact,smt=off", 0, "0,1", NULL);
    expect(TWO_CORES, "compact,smt=on", 1, "0", NULL);
    expect(TWO_CORES, "N:1", 0, "1", NULL);
    /* Unpinned: no CPUs, every other P in the last tier; may oversubscribe. */
    p = plan_ok(TWO_CORES, "none", 3);
    ASSERT_TRUE(!p.pinned);
    ASSERT_STR(cpus_of(&p), "-1,-1,-1");
    ASSERT_STR(tiers_of(&p, 0), "-/-/-/-/-/1,2");
    ASSERT_EQ(p.p[0].numa, -1);
    mn_topo_plan_free(&p);
    refused(TWO_CORES, "compact", 3, "MN_PROCS=3", "MN_PLACEMENT=none");
}

static void two_packages_four_nodes(void)
{
    mn_topo_plan_t p = plan_ok(PACK2, NULL, 0);
    ASSERT_EQ(p.packages, 2);
    ASSERT_EQ(p.numa_nodes, 4);
    ASSERT_EQ(p.cores, 16);
    ASSERT_EQ(p.pus, 32);
    ASSERT_EQ(p.nprocs, 32);    /* every PU: siblings once the cores are taken */
    ASSERT_STR_CONTAINS(cpus_of(&p), "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,1,3,5");
    ASSERT_STR(p.nodes[2].cpus, "16-23");
    ASSERT_TRUE(!p.distances);
    mn_topo_plan_free(&p);

    /* compact: the cores of node 0, then node 1; one PU per core. */
    expect(PACK2, "compact", 8, "0,2,4,6,8,10,12,14", "-/-/-/1,2,3/4,5,6,7/-");
    /* scatter: packages, then nodes within them. */
    expect(PACK2, "scatter", 8, "0,16,8,24,2,18,10,26", "-/-/-/4/2,6/1,3,5,7");
    expect(PACK2, "numa:1", 8, "8,10,12,14,9,11,13,15", "4/-/-/1,2,3,5,6,7/-/-");
    expect(PACK2, "numa:3+0", 2, "24,26", "-/-/-/1/-/-");
    expect(PACK2, "numa:1,smt=off", 0, "8,10,12,14", NULL);
    /* smt: auto takes siblings after every core; on takes them at once. */
    expect(PACK2, "compact", 18, "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,1,3", NULL);
    expect(PACK2, "compact,smt=on", 4, "0,1,2,3", "1/-/-/2,3/-/-");
    expect(PACK2, "compact,smt=off", 0, "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30", NULL);
    expect(PACK2, "scatter,smt=on", 4, "0,16,8,24", NULL);
    /* cpus: the order given; ',' and '+' alike. */
    expect(PACK2, "cpus:0-3,8", 0, "0,1,2,3,8", "1/-/-/2,3/4/-");
    expect(PACK2, "cpus:0-3+8", 0, "0,1,2,3,8", NULL);
    expect(PACK2, "cpus:17,0", 0, "17,0", "-/-/-/-/-/1");
    /* likwid domains: physical cores first. */
    expect(PACK2, "M0:0-3", 0, "0,2,4,6", NULL);
    expect(PACK2, "M0:4-5", 0, "1,3", NULL);
    expect(PACK2, "S1", 2, "16,18", NULL);
    expect(PACK2, "M0:0-1@M3:0-1", 0, "0,2,24,26", "-/-/-/1/-/2,3");
    expect(PACK2, "N:0,16", 0, "0,1", NULL);
    /* none */
    p = plan_ok(PACK2, "none", 4);
    ASSERT_STR(cpus_of(&p), "-1,-1,-1,-1");
    mn_topo_plan_free(&p);

    refused(PACK2, "compact,smt=off", 17, "MN_PROCS=17", "at most 16");
    refused(PACK2, "numa:4", 0, "NUMA node 4", "0-3");
    refused(PACK2, "numa:1+1", 0, "given twice", "each node once");
    refused(PACK2, "cpus:32", 0, "CPU 32", "0-31");
    refused(PACK2, "cpus:1,1", 0, "twice", "each CPU once");
    refused(PACK2, "cpus:1-", 0, "cpus:1-", "ranges");
    refused(PACK2, "cpus:1,smt=on", 0, "smt=", "compact");
    refused(PACK2, "compact,smt=maybe", 0, "smt=maybe", "smt=off");
    refused(PACK2, "M4", 0, "M4", "logical indexes");
    refused(PACK2, "M0:8", 0, "no position 8", "0-7");
    refused(PACK2, "S0@S0", 0, "twice", "each CPU once");
    refused(PACK2, "sideways", 0, "sideways", "compact, scatter");
    refused(PACK2, "compact", 300, "MN_PROCS=300", "256");
}

static void four_nodes_from_xml(void)
{
    mn_topo_plan_t p = plan_ok(XML4, "compact", 8);
    ASSERT_EQ(p.numa_nodes, 4);
    ASSERT_EQ(p.packages, 2);
    ASSERT_TRUE(p.distances != NULL);
    ASSERT_EQ(p.distances[0 * 4 + 0], 10);
    ASSERT_EQ(p.distances[0 * 4 + 1], 12);
    ASSERT_EQ(p.distances[0 * 4 + 2], 20);
    ASSERT_EQ(p.distances[3 * 4 + 2], 12);
    int l2 = 0, l3 = 0;
    for (int i = 0; i < p.ncaches; i++) {
        if (p.caches[i].level == 2)
            l2 = p.caches[i].count;
        if (p.caches[i].level == 3)
            l3 = p.caches[i].count;
    }
    ASSERT_EQ(l2, 8);
    ASSERT_EQ(l3, 4);
    /* An L2 is shared by two cores, an L3 by one node. */
    ASSERT_STR(cpus_of(&p), "0,2,4,6,8,10,12,14");
    ASSERT_STR(tiers_of(&p, 0), "-/1/2,3/-/4,5,6,7/-");
    ASSERT_STR(tiers_of(&p, 5), "-/4/6,7/-/0,1,2,3/-");
    ASSERT_EQ(p.p[5].l2, 2);
    ASSERT_EQ(p.p[5].l3, 1);
    ASSERT_EQ(p.p[5].numa, 1);
    mn_topo_plan_free(&p);
    expect(XML4, "compact,smt=on", 4, "0,1,2,3", "1/2,3/-/-/-/-");
    expect(XML4, "scatter", 4, "0,16,8,24", "-/-/-/-/2/1,3");
    expect(XML4, "numa:2", 3, "16,18,20", "-/1/2/-/-/-");
    expect(XML4, "numa:2,smt=on", 3, "16,17,18", "1/2/-/-/-/-");
    expect(XML4, "C3:0-1", 0, "24,26", "-/1/-/-/-/-");
    expect(XML4, "cpus:0,8,16", 0, "0,8,16", "-/-/-/-/1/2");
    refused(XML4, "numa:7", 0, "NUMA node 7", "0-3");
}

static void topologies_refused(void)
{
    refused("synthetic:bogus level", NULL, 0, "synthetic:bogus level", "synthetic:pack:2");
    refused("xml:/nonexistent.xml", NULL, 0, "/nonexistent.xml", "XML");
    refused("sideways", NULL, 0, "MN_TOPOLOGY=sideways", "xml:FILE");
}

/* ---- the real machine ------------------------------------------------------------ */

static int ncpus;
static int cpu_seen[MN_MAX_PROCS];

static void setup(void)
{
    int cpus[CPU_SETSIZE];
    ncpus = mn__allowed_cpus(cpus, CPU_SETSIZE);
    ASSERT_TRUE(ncpus > 0);
}
static mn_wg_t wg;

static void where_am_i(void *arg)
{
    int p = mn_self_p();
    ASSERT_EQ(p, (int)(intptr_t)arg);
    cpu_seen[p] = sched_getcpu();
    mn_wg_done(&wg);
}

static void spawn_everywhere(void *arg)
{
    int n = mn_nprocs();
    mn_wg_init(&wg);
    mn_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(mn_spawn_on(i, MN_NOMIGRATE, where_am_i, (void *)(intptr_t)i), 0);
    mn_wg_wait(&wg);
}

static void run_with(const char *placement, const char *mem, int procs, void (*fn)(void *))
{
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    cfg.placement = placement;
    cfg.mem_policy = mem;
    cfg.nprocs = procs;
    int err = mn_config_check(&cfg);
    if (err)
        fprintf(stderr, "config: %s\n", cfg.error);
    ASSERT_EQ(err, 0);
    ASSERT_EQ(mn_run(&cfg, fn, NULL), 0);
}

static void real_machine_pinning(void)
{
    setup();
    const char *placements[] = { "compact", "scatter", "cpus:1+0", "N:1", "compact,smt=off" };
    for (size_t k = 0; k < sizeof placements / sizeof placements[0]; k++) {
        if (ncpus < 2 && (k == 2 || k == 3))
            continue;
        mn_topo_plan_t p = plan_ok(NULL, placements[k], 0);
        memset(cpu_seen, -1, sizeof cpu_seen);
        run_with(placements[k], NULL, 0, spawn_everywhere);
        for (int i = 0; i < p.nprocs; i++) {
            if (cpu_seen[i] != p.p[i].cpu)
                fprintf(stderr, "placement %s: P %d ran on CPU %d, planned %d\n",
                        placements[k], i, cpu_seen[i], p.p[i].cpu);
            ASSERT_EQ(cpu_seen[i], p.p[i].cpu);
        }
        mn_topo_plan_free(&p);
    }
}

/* P structures and the stacks of Gs on each P: on the node the plan
 * gives (node 0 on a one-node machine, still checked). */
static hwloc_topology_t topo;
static int want_node[MN_MAX_PROCS], stack_node[MN_MAX_PROCS];

static int node_of(const void *addr, size_t len)
{
    hwloc_nodeset_t set = hwloc_bitmap_alloc();
    uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;
    int rc = hwloc_get_area_memlocation(topo, (void *)page, len, set, HWLOC_MEMBIND_BYNODESET);
    int node = rc ? -2 : hwloc_bitmap_first(set);
    hwloc_bitmap_free(set);
    return node;
}

static void stack_where(void *arg)
{
    volatile char here[64];
    here[0] = 1;
    int p = mn_self_p();
    stack_node[p] = node_of((const void *)here, 64);
    mn_m *m = mn__getm();
    ASSERT_EQ(m->curg->stack->pool, m->p->mem_pool);
    mn_wg_done(&wg);
}

static void memory_where(void *arg)
{
    int n = mn_nprocs();
    for (int i = 0; i < n; i++) {
        mn_p *p = mn__sched.allp[i];
        ASSERT_EQ(node_of(p, sizeof *p), want_node[i]);
    }
    mn_wg_init(&wg);
    mn_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(mn_spawn_on(i, MN_NOMIGRATE, stack_where, NULL), 0);
    mn_wg_wait(&wg);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(stack_node[i], want_node[i]);
}

static void real_machine_memory(void)
{
    ASSERT_EQ(hwloc_topology_init(&topo), 0);
    ASSERT_EQ(hwloc_topology_load(topo), 0);
    const char *mems[] = { "local", "node:0", "interleave", "firsttouch" };
    for (size_t k = 0; k < sizeof mems / sizeof mems[0]; k++) {
        mn_topo_plan_t p = plan_ok(NULL, "compact", 0);
        for (int i = 0; i < p.nprocs; i++)
            want_node[i] = k == 1 || p.numa_nodes == 1 ? 0 : k == 0 ? p.p[i].numa : -1;
        if (want_node[0] >= 0)
            run_with("compact", mems[k], 0, memory_where);
        mn_topo_plan_free(&p);
    }
    hwloc_topology_destroy(topo);
}

/* Steals counted by tier: every stolen G under the tier of its victim. */
static atomic_int done_tasks;

static void busy_task(void *arg)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000);
    atomic_fetch_add(&done_tasks, 1);
    mn_wg_done(&wg);
}

static int expected_tier;

static void steal_counts(void *arg)
{
    mn_sched_stats *st = calloc(1, sizeof *st);
    uint64_t in = 0;
    /* Rounds of work on this P until a thief took some: whether one wakes
     * in time is the scheduler's business, what it took is this test's. */
    for (int round = 0; round < 50 && !in; round++) {
        mn_wg_init(&wg);
        mn_wg_add(&wg, 200);
        for (int i = 0; i < 200; i++)
            ASSERT_EQ(mn_spawn(busy_task, NULL), 0);
        mn_wg_wait(&wg);
        mn_stats(st);
        for (int i = 0; i < st->nprocs; i++)
            in += st->p[i].stolen_in;
    }
    in = 0;
    for (int i = 0; i < st->nprocs; i++) {
        uint64_t sum = 0;
        for (int t = 0; t < MN_STEAL_TIERS; t++) {
            sum += st->p[i].stolen_tier[t];
            if (t != expected_tier)
                ASSERT_EQ(st->p[i].stolen_tier[t], 0);
        }
        ASSERT_EQ(sum, st->p[i].stolen_in);
        in += sum;
    }
    ASSERT_TRUE(in > 0);
    free(st);
}

static void steals_by_tier(void)
{
    setup();
    if (ncpus < 2)
        return;
    const char *steal[] = { "hier", "random" };
    for (int k = 0; k < 2; k++) {
        mn_topo_plan_t p = plan_ok(NULL, "compact", 2);
        for (int t = 0; t < MN_STEAL_TIERS; t++)
            if (p.p[0].ntier[t])
                expected_tier = t;
        mn_topo_plan_free(&p);
        mn_config cfg;
        ASSERT_EQ(mn_config_default(&cfg), 0);
        cfg.nprocs = 2;
        cfg.steal_policy = steal[k];
        ASSERT_EQ(mn_run(&cfg, steal_counts, NULL), 0);
    }
    /* Unpinned Ps know no distance: the last tier. */
    expected_tier = MN_TIER_REST;
    run_with("none", NULL, 2, steal_counts);
}

static void real_run_refusals(void)
{
    setup();
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    cfg.topology = PACK2;
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "MN_TOPOLOGY");
    ASSERT_STR_CONTAINS(cfg.error, "allowed: machine");
    ASSERT_EQ(mn_run(&cfg, (void (*)(void *))abort, NULL), -EINVAL);
    cfg.topology = "machine";
    ASSERT_EQ(mn_config_check(&cfg), 0);

    char bad[64];
    snprintf(bad, sizeof bad, "cpus:%d", CPU_SETSIZE - 1);
    cfg.placement = bad;
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, bad);
    cfg.placement = "numa:63";
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "NUMA node 63");
    cfg.placement = "compact";
    cfg.nprocs = ncpus + 1;
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "MN_PLACEMENT=none");
    cfg.nprocs = 0;
    cfg.mem_policy = "node:63";
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "MN_MEM=node:63");
    cfg.mem_policy = "everywhere";
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "local, interleave, node:N, firsttouch");
    cfg.mem_policy = NULL;
    cfg.steal_policy = "nearest";
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "hier, random");
}

MNT_MAIN(CASE(one_package_two_cores), CASE(two_packages_four_nodes),
         CASE(four_nodes_from_xml), CASE(topologies_refused), CASE(real_machine_pinning),
         CASE(real_machine_memory), CASE(steals_by_tier), CASE(real_run_refusals))
