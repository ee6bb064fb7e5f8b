/* test_numa_vm.c - placement on a real two-node machine: every P's M runs
 * on the CPU and node its plan says (compact, scatter, numa:N, cpus:,
 * domains), P structures and stacks land on the intended node (local,
 * node:N, interleave, firsttouch), and steal tiers put the Ps of the
 * thief's node first.
 *
 * The cases assume 2 NUMA nodes x 2 CPUs (node 0: CPUs 0-1, node 1: CPUs
 * 2-3), the machine scripts/numa-vm.sh emulates; the CTest test numa_vm
 * (labels numa-vm, heavy) runs this program inside it:
 *     scripts/numa-vm.sh --nodes 2 --cpus-per-node 2 -- build/tests/test_numa_vm
 * On any other machine it stops at once with a line saying so. Where a
 * page is: move_pages(2) per page (the kernel's answer), and hwloc's
 * hwloc_get_area_memlocation for the whole area. */
#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"
#include "mnsched.h"
#include "mnsched/topo.h"
#include "testlib.h"

#define NODES 2
#define CPUS 4
#define PAGE 4096
#define STACK_TOUCH (32 * 1024)         /* bytes of its stack each G touches */
#define STACK_PAGES (STACK_TOUCH / PAGE)
#define MAX_PAGES 16

static hwloc_topology_t topo;

/* Stops the program (not a failed assertion) on a machine of another shape. */
static void need_two_nodes(void)
{
    if (topo)
        return;
    ASSERT_EQ(hwloc_topology_init(&topo), 0);
    ASSERT_EQ(hwloc_topology_load(topo), 0);
    int nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    cpu_set_t set;
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    if (nodes != NODES || pus != CPUS || CPU_COUNT(&set) != CPUS) {
        fprintf(stderr, "test_numa_vm: this machine has %d NUMA node(s) and %d CPU(s) (%d allowed); "
                "the cases assume 2 nodes x 2 CPUs: run it in the guest of scripts/numa-vm.sh "
                "--nodes 2 --cpus-per-node 2 (ctest -L numa-vm)\n", nodes, pus, CPU_COUNT(&set));
        exit(1);
    }
}

static int node_of_cpu(int cpu)
{
    return cpu < 0 ? -1 : cpu / 2;
}

/* The node of each page of [addr, addr + len): move_pages with no target
 * nodes reports where each page is (a negative errno for a page never
 * touched). EBUSY (a page being moved, a huge page's head) is retried. */
static void pages_nodes(const void *addr, size_t len, int *node, int *npages)
{
    uintptr_t first = (uintptr_t)addr & ~(uintptr_t)(PAGE - 1);
    uintptr_t end = ((uintptr_t)addr + len + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    int n = (int)((end - first) / PAGE);
    void *pages[MAX_PAGES];
    ASSERT_TRUE(n <= MAX_PAGES);
    for (int i = 0; i < n; i++)
        pages[i] = (void *)(first + (uintptr_t)i * PAGE);
    for (int tries = 0;; tries++) {
        for (int i = 0; i < n; i++)
            node[i] = -1000;
        ASSERT_EQ(syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, node, 0), 0);
        bool busy = false;
        for (int i = 0; i < n; i++)
            busy |= node[i] == -EBUSY;
        if (!busy || tries == 100)
            break;
        usleep(1000);
    }
    *npages = n;
}

/* hwloc's view of the same area: the nodes holding any of its pages. */
static void hwloc_nodes(const void *addr, size_t len, char *buf, size_t buflen)
{
    hwloc_nodeset_t set = hwloc_bitmap_alloc();
    uintptr_t first = (uintptr_t)addr & ~(uintptr_t)(PAGE - 1);
    ASSERT_EQ(hwloc_get_area_memlocation(topo, (void *)first, (uintptr_t)addr + len - first, set,
                                         HWLOC_MEMBIND_BYNODESET), 0);
    hwloc_bitmap_list_snprintf(buf, buflen, set);
    hwloc_bitmap_free(set);
}

static mn_topo_plan_t plan_of(const char *placement)
{
    mn_topo_plan_t p;
    int err = mn_topo_plan(NULL, placement, 0, &p);
    if (err)
        fprintf(stderr, "mn_topo_plan(machine, %s): %s\n", placement, p.error);
    ASSERT_EQ(err, 0);
    return p;
}

static void run_with(const char *placement, const char *mem, const char *steal, int procs,
                     void (*fn)(void *))
{
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    cfg.placement = placement;
    cfg.mem_policy = mem;
    cfg.steal_policy = steal;
    cfg.nprocs = procs;
    int err = mn_config_check(&cfg);
    if (err)
        fprintf(stderr, "config %s/%s: %s\n", placement, mem ? mem : "-", cfg.error);
    ASSERT_EQ(err, 0);
    ASSERT_EQ(mn_run(&cfg, fn, NULL), 0);
}

static mn_wg_t wg;

/* Spawns fn on every P, held there, and waits for them. */
static void on_every_p(void (*fn)(void *))
{
    int n = mn_nprocs();
    mn_wg_init(&wg);
    mn_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(mn_spawn_on(i, MN_NOMIGRATE, fn, (void *)(intptr_t)i), 0);
    mn_wg_wait(&wg);
}

/* ---- the machine ---------------------------------------------------------------- */

static void machine(void)
{
    need_two_nodes();
    for (int n = 0; n < NODES; n++) {
        hwloc_obj_t o = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)n);
        ASSERT_TRUE(o != NULL);
        char cpus[32];
        hwloc_bitmap_list_snprintf(cpus, sizeof cpus, o->cpuset);
        ASSERT_STR_CONTAINS(cpus, n == 0 ? "0-1" : "2-3");
        ASSERT_TRUE(o->attr->numanode.local_memory > 32u << 20);
    }
    mn_topo_plan_t p = plan_of(NULL);
    ASSERT_EQ(p.numa_nodes, 2);
    ASSERT_EQ(p.pus, 4);
    ASSERT_EQ(p.nprocs, 4);
    ASSERT_TRUE(p.pinned);
    ASSERT_TRUE(p.distances != NULL);       /* the guest's ACPI SLIT */
    ASSERT_EQ(p.distances[0], 10);
    ASSERT_EQ(p.distances[3], 10);
    ASSERT_TRUE(p.distances[1] > 10);
    ASSERT_EQ(p.distances[1], p.distances[2]);
    printf("  2 nodes: CPUs 0-1 and 2-3, distance %d\n", (int)p.distances[1]);
    mn_topo_plan_free(&p);
}

/* ---- pinning: every P's M on its planned CPU and node --------------------------------- */

#define SAMPLES 8

static struct where {
    int cpu[SAMPLES], node[SAMPLES];
    int affinity_count, affinity_cpu;
} seen[MN_MAX_PROCS];

static void where_am_i(void *arg)
{
    int i = (int)(intptr_t)arg;
    ASSERT_EQ(mn_self_p(), i);
    cpu_set_t set;
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    seen[i].affinity_count = CPU_COUNT(&set);
    seen[i].affinity_cpu = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            seen[i].affinity_cpu = c;
    for (int s = 0; s < SAMPLES; s++) {
        unsigned cpu, node;
        ASSERT_EQ(getcpu(&cpu, &node), 0);
        seen[i].cpu[s] = (int)cpu;
        seen[i].node[s] = (int)node;
        mn_yield();
    }
    mn_wg_done(&wg);
}

static void spawn_where(void *arg)
{
    on_every_p(where_am_i);
}

static void pinning(void)
{
    static const struct {
        const char *placement;
        int n, cpu[CPUS];
    } cases[] = {
        { "compact", 4, { 0, 1, 2, 3 } },
        { "scatter", 4, { 0, 2, 1, 3 } },
        { "numa:1", 2, { 2, 3 } },
        { "numa:0", 2, { 0, 1 } },
        { "numa:1+0", 4, { 2, 3, 0, 1 } },
        { "cpus:3+0", 2, { 3, 0 } },
        { "M1:1@M0:0", 2, { 3, 0 } },
    };
    need_two_nodes();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mn_topo_plan_t p = plan_of(cases[k].placement);
        ASSERT_EQ(p.nprocs, cases[k].n);
        for (int i = 0; i < p.nprocs; i++) {
            if (p.p[i].cpu != cases[k].cpu[i] || p.p[i].numa != node_of_cpu(cases[k].cpu[i]))
                fprintf(stderr, "placement %s: P %d planned on CPU %d node %d, want CPU %d node %d\n",
                        cases[k].placement, i, p.p[i].cpu, p.p[i].numa, cases[k].cpu[i],
                        node_of_cpu(cases[k].cpu[i]));
            ASSERT_EQ(p.p[i].cpu, cases[k].cpu[i]);
            ASSERT_EQ(p.p[i].numa, node_of_cpu(cases[k].cpu[i]));
        }
        memset(seen, -1, sizeof seen);
        run_with(cases[k].placement, NULL, NULL, 0, spawn_where);
        for (int i = 0; i < p.nprocs; i++) {
            for (int s = 0; s < SAMPLES; s++)
                if (seen[i].cpu[s] != p.p[i].cpu || seen[i].node[s] != p.p[i].numa) {
                    fprintf(stderr, "placement %s: P %d's M ran on CPU %d node %d, planned CPU %d "
                            "node %d\n", cases[k].placement, i, seen[i].cpu[s], seen[i].node[s],
                            p.p[i].cpu, p.p[i].numa);
                    abort();
                }
            ASSERT_EQ(seen[i].affinity_count, 1);
            ASSERT_EQ(seen[i].affinity_cpu, p.p[i].cpu);
        }
        printf("  %-10s Ps on CPUs", cases[k].placement);
        for (int i = 0; i < p.nprocs; i++)
            printf(" %d(node %d)", seen[i].cpu[0], seen[i].node[0]);
        printf("\n");
        mn_topo_plan_free(&p);
    }
}

/* ---- memory: P structures and stacks on the intended node ------------------------------ */

static struct {
    int p_node[MAX_PAGES], p_pages;         /* the P structure's pages */
    char p_hwloc[32];
    int s_node[MAX_PAGES], s_pages;         /* the touched part of a G's stack */
    char s_hwloc[32];
    bool pool_ok;
} mem[MN_MAX_PROCS];

static void stack_where(void *arg)
{
    int i = (int)(intptr_t)arg;
    volatile char buf[STACK_TOUCH];
    for (size_t k = 0; k < sizeof buf; k += 64)
        buf[k] = (char)k;
    /* The whole pages inside buf. */
    uintptr_t lo = ((uintptr_t)buf + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    pages_nodes((const void *)lo, STACK_TOUCH - PAGE, mem[i].s_node, &mem[i].s_pages);
    hwloc_nodes((const void *)lo, STACK_TOUCH - PAGE, mem[i].s_hwloc, sizeof mem[i].s_hwloc);
    mn_m *m = mn__getm();
    mem[i].pool_ok = m->curg->stack->pool == m->p->mem_pool;
    mn_wg_done(&wg);
}

static void memory_where(void *arg)
{
    int n = mn_nprocs();
    for (int i = 0; i < n; i++) {
        mn_p *p = mn__sched.allp[i];
        pages_nodes(p, sizeof *p, mem[i].p_node, &mem[i].p_pages);
        hwloc_nodes(p, sizeof *p, mem[i].p_hwloc, sizeof mem[i].p_hwloc);
    }
    on_every_p(stack_where);
}

static void expect_pages(const char *what, const char *setting, int i, const int *node, int n,
                         int want)
{
    for (int k = 0; k < n; k++)
        if (node[k] != want) {
            fprintf(stderr, "%s: P %d's %s: page %d of %d on node %d, want node %d\n", setting, i,
                    what, k, n, node[k], want);
            abort();
        }
}

static void memory(void)
{
    /* want: -1 the P's own node, -2 spread over both, -3 the stack on the
     * P's node and the P structure not checked (first touch), else that node. */
    static const struct {
        const char *placement, *mem;
        int want;
    } cases[] = {
        { "compact", "local", -1 },
        { "scatter", "local", -1 },
        { "numa:1", "local", -1 },
        { "compact", "node:1", 1 },
        { "compact", "node:0", 0 },
        { "scatter", "node:1", 1 },
        { "compact", "interleave", -2 },
        { "scatter", "interleave", -2 },
        { "compact", "firsttouch", -3 },
    };
    need_two_nodes();
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char setting[64];
        snprintf(setting, sizeof setting, "placement %s, mem %s", cases[k].placement, cases[k].mem);
        mn_topo_plan_t p = plan_of(cases[k].placement);
        memset(mem, 0, sizeof mem);
        run_with(cases[k].placement, cases[k].mem, NULL, 0, memory_where);
        int count[NODES] = { 0 }, total = 0;
        for (int i = 0; i < p.nprocs; i++) {
            int want = cases[k].want < 0 ? p.p[i].numa : cases[k].want;
            char want_set[8];
            snprintf(want_set, sizeof want_set, "%d", want);
            ASSERT_TRUE(mem[i].pool_ok);
            ASSERT_EQ(mem[i].s_pages, STACK_PAGES - 1);
            if (cases[k].want == -2) {
                for (int j = 0; j < mem[i].p_pages; j++)
                    if (mem[i].p_node[j] >= 0 && mem[i].p_node[j] < NODES)
                        count[mem[i].p_node[j]]++, total++;
                for (int j = 0; j < mem[i].s_pages; j++) {
                    ASSERT_TRUE(mem[i].s_node[j] >= 0 && mem[i].s_node[j] < NODES);
                    count[mem[i].s_node[j]]++, total++;
                }
                continue;
            }
            if (cases[k].want != -3) {
                expect_pages("P structure", setting, i, mem[i].p_node, mem[i].p_pages, want);
                ASSERT_STR_CONTAINS(mem[i].p_hwloc, want_set);
                ASSERT_EQ(strlen(mem[i].p_hwloc), 1);
            }
            expect_pages("stack", setting, i, mem[i].s_node, mem[i].s_pages, want);
            ASSERT_STR_CONTAINS(mem[i].s_hwloc, want_set);
            ASSERT_EQ(strlen(mem[i].s_hwloc), 1);
        }
        if (cases[k].want == -2) {
            /* Interleaved page by page: each node holds a fair share. */
            if (count[0] * 4 < total || count[1] * 4 < total) {
                fprintf(stderr, "%s: %d pages on node 0, %d on node 1: not spread\n", setting,
                        count[0], count[1]);
                abort();
            }
            printf("  %-34s %d pages on node 0, %d on node 1\n", setting, count[0], count[1]);
        } else {
            printf("  %-34s P structures and stacks on node(s)", setting);
            for (int i = 0; i < p.nprocs; i++)
                printf(" %s", mem[i].s_hwloc);
            printf("\n");
        }
        mn_topo_plan_free(&p);
    }
}

/* ---- steal tiers: the thief's own node first ------------------------------------------- */

static int p_node[MN_MAX_PROCS];

/* Each running P's victims: the Ps of its node before any other, and in a
 * tier no farther than MN_TIER_NUMA; the others beyond it. */
static void check_victims(void *arg)
{
    int n = mn_nprocs();
    for (int i = 0; i < n; i++) {
        mn_p *p = mn__sched.allp[i];
        ASSERT_EQ(p->tier_end[MN_STEAL_TIERS - 1], n - 1);
        bool other_seen = false;
        for (int k = 0; k < n - 1; k++) {
            int v = p->victims[k];
            bool same = p_node[v] == p_node[i];
            if (same && other_seen) {
                fprintf(stderr, "P %d (node %d): victim P %d of its node after a P of another node\n",
                        i, p_node[i], v);
                abort();
            }
            other_seen |= !same;
            if (same)
                ASSERT_LE(p->tier_of[v], MN_TIER_NUMA);
            else
                ASSERT_TRUE(p->tier_of[v] > MN_TIER_NUMA);
        }
    }
}

static atomic_int done_tasks;

static void busy_task(void *arg)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 100000);
    atomic_fetch_add(&done_tasks, 1);
    mn_wg_done(&wg);
}

#define TASKS 200      /* fits P 0's ring: only thieves can take them */

/* Work appears on P 0 only: its node's other P finds it first. */
static void loader(void *arg)
{
    for (int i = 0; i < TASKS; i++)
        ASSERT_EQ(mn_spawn(busy_task, NULL), 0);
}

static void steal_from_p0(void *arg)
{
    /* Under emulation a thief may wake too late to find anything: repeat
     * rounds until one steals, then check where its steals came from. */
    mn_sched_stats *st = calloc(1, sizeof *st);
    mn_p *p1 = mn__sched.allp[1];
    int near = p1->tier_of[0];
    uint64_t in = 0;
    for (int round = 0; round < 20; round++) {
        atomic_store(&done_tasks, 0);
        mn_wg_init(&wg);
        mn_wg_add(&wg, TASKS);
        ASSERT_EQ(mn_spawn_on(0, MN_NOMIGRATE, loader, NULL), 0);
        mn_wg_wait(&wg);
        ASSERT_EQ(atomic_load(&done_tasks), TASKS);
        mn_stats(st);
        in = 0;
        for (int i = 0; i < st->nprocs; i++) {
            uint64_t sum = 0;
            for (int t = 0; t < MN_STEAL_TIERS; t++)
                sum += st->p[i].stolen_tier[t];
            ASSERT_EQ(sum, st->p[i].stolen_in);
            in += sum;
        }
        if (st->p[1].stolen_tier[near] > 0)
            break;
    }
    printf("  P 1 (node 0, as P 0) stole %llu G(s) in tier %d; all Ps %llu\n",
           (unsigned long long)st->p[1].stolen_tier[near], near, (unsigned long long)in);
    ASSERT_TRUE(st->p[1].stolen_tier[near] > 0);
    free(st);
}

static void steal_tiers(void)
{
    need_two_nodes();
    const char *placements[] = { "compact", "scatter", "numa:1+0" };
    for (int k = 0; k < 3; k++) {
        mn_topo_plan_t p = plan_of(placements[k]);
        for (int i = 0; i < p.nprocs; i++)
            p_node[i] = p.p[i].numa;
        for (int i = 0; i < p.nprocs; i++) {
            /* The plan: the nearest non-empty tier is exactly the P's node. */
            int t = 0;
            while (t < MN_STEAL_TIERS && !p.p[i].ntier[t])
                t++;
            ASSERT_TRUE(t <= MN_TIER_NUMA);
            ASSERT_EQ(p.p[i].ntier[t], 1);
            ASSERT_EQ(p_node[p.p[i].tier[t][0]], p_node[i]);
        }
        run_with(placements[k], NULL, "hier", 0, check_victims);
        mn_topo_plan_free(&p);
    }
    /* compact: P 0 and P 1 on node 0. */
    mn_topo_plan_t p = plan_of("compact");
    for (int i = 0; i < p.nprocs; i++)
        p_node[i] = p.p[i].numa;
    mn_topo_plan_free(&p);
    atomic_store(&done_tasks, 0);
    run_with("compact", NULL, "hier", 0, steal_from_p0);
}

MNT_MAIN(CASE(machine), CASE(pinning), CASE(memory), CASE(steal_tiers))
