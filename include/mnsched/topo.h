/* mnsched/topo.h - placement plans: which CPU, core, caches, NUMA node and
 * package each P gets, and each P's steal victims by distance, computed
 * from a topology without running the runtime. mn_run computes the same
 * plan for the real machine (runtime/topo.c); `mnbench topo` prints it.
 *
 * Topologies (MN_TOPOLOGY, --topology):
 *   unset, "" or "machine"   the real machine, restricted to the CPUs the
 *                            calling thread may run on (hwloc's allowed set
 *                            and its affinity mask: inside a G, that is
 *                            its M's one CPU, so plan from outside mn_run)
 *   "synthetic:DESC"         an hwloc synthetic description, e.g.
 *                            "synthetic:pack:2 numa:2 core:4 pu:2"
 *   "xml:FILE"               an hwloc XML file (lstopo FILE.xml)
 * Synthetic and XML topologies are for planning only: mn_run refuses them
 * (binding through them would silently do nothing).
 *
 * Placements (MN_PLACEMENT, --placement): one policy, then options.
 *   compact           fill the cores of one NUMA node before the next
 *   scatter           round-robin across packages, then NUMA nodes, then
 *                     caches: consecutive Ps as far apart as possible
 *   numa:LIST         compact within these NUMA nodes (OS indexes)
 *   cpus:LIST         P i on the i-th CPU of LIST (OS indexes)
 *   S1, M0:0-3, ...   likwid-style domains: N (the machine), S<i>
 *                     (package), M<i> (NUMA node), C<i> (last-level
 *                     cache), logical indexes; ":LIST" picks positions in
 *                     the domain, physical cores first (M0:0-3 = the first
 *                     four cores of NUMA node 0); '@' joins domains
 *   none              no pinning: the kernel places the Ms
 * LIST: numbers and ranges separated by ',' or '+' ("0-3,8" = "0-3+8";
 * '+' keeps a list whole inside a comma-separated setting).
 * Option: ",smt=auto|off|on" after the policy (not with cpus: or none).
 *   auto (default)  one PU per core until every core has a P, then the
 *                   siblings, in the same order
 *   off             never two Ps on one core's siblings
 *   on              compact places a core's siblings next to each other
 * With pinning, more Ps than the placement's CPUs is refused; nprocs 0
 * means every CPU the placement allows (at most MN_MAX_PROCS).
 *
 * Steal tiers: for each P, the other Ps in six lists, nearest first -
 * MN_TIER_CORE (SMT siblings), MN_TIER_L2, MN_TIER_L3, MN_TIER_NUMA,
 * MN_TIER_PACKAGE, MN_TIER_REST. Each P appears in the nearest tier that
 * applies; unpinned Ps are all in MN_TIER_REST.
 */
#ifndef MNSCHED_TOPO_H
#define MNSCHED_TOPO_H

#include <stdbool.h>
#include <stdint.h>
#include "mnsched.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { MN_TIER_CORE, MN_TIER_L2, MN_TIER_L3, MN_TIER_NUMA, MN_TIER_PACKAGE,
       MN_TIER_REST };

/* One P of a plan. Indexes are hwloc's logical ones unless named OS;
 * -1 where the P is unpinned or the machine lacks the level. */
typedef struct mn_topo_pplan {
    int cpu;                    /* OS index of the PU */
    int core, l2, l3;           /* logical indexes */
    int numa;                   /* OS index of the NUMA node */
    int package;                /* logical index */
    int ntier[MN_STEAL_TIERS];
    int *tier[MN_STEAL_TIERS];  /* victim P ids, sorted */
} mn_topo_pplan_t;

typedef struct mn_topo_node {
    int os;                     /* OS index */
    uint64_t memory;            /* bytes local to the node */
    char cpus[64];              /* allowed CPUs as a list ("0-7"), "" if none */
} mn_topo_node_t;

typedef struct mn_topo_cache {
    int level;                  /* 1, 2, 3... */
    char type;                  /* 'd' data, 'i' instruction, 'u' unified */
    uint64_t size;              /* bytes, each */
    int count;                  /* caches of this kind with allowed CPUs */
} mn_topo_cache_t;

typedef struct mn_topo_plan {
    /* The machine, restricted to the allowed CPUs. */
    int packages, numa_nodes, cores, pus;
    mn_topo_node_t *nodes;      /* numa_nodes entries, logical order */
    uint64_t *distances;        /* numa_nodes^2, row-major (10 = local); NULL: unknown */
    mn_topo_cache_t *caches;
    int ncaches;
    /* The plan. */
    bool pinned;                /* false for placement none */
    int nprocs;
    mn_topo_pplan_t *p;         /* nprocs entries */
    char error[256];            /* one line when mn_topo_plan fails */
} mn_topo_plan_t;

/* Plans nprocs Ps (0: every CPU the placement allows) on topology with
 * placement (NULL: compact). Callable from any thread, runtime or not.
 * Returns 0, or -EINVAL / -ENOMEM with a one-line message naming the
 * culprit and what is allowed in out->error. Free with mn_topo_plan_free,
 * after a failure too. */
int  mn_topo_plan(const char *topology, const char *placement, int nprocs,
                  mn_topo_plan_t *out);
void mn_topo_plan_free(mn_topo_plan_t *plan);

#ifdef __cplusplus
}
#endif
#endif
