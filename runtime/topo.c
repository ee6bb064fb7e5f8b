/* topo.c - the machine's topology (hwloc), placement plans, pinning, NUMA
 * memory binding and steal tiers.
 *
 * The planner is a pure function, mn__topo_plan: a loaded topology, the
 * CPUs allowed, a placement and a P count in; for each P a CPU (with its
 * core, caches, NUMA node, package) and its steal victims in six distance
 * tiers out. mn_run plans on the real machine (sched_init, through
 * mn__topo_start); `mnbench topo` and the tests plan on any topology,
 * synthetic or XML included, through mn_topo_plan (mnsched/topo.h, which
 * also gives the grammar of placements).
 *
 * How a plan is made:
 *   1. Units: every core with allowed PUs (a PU without a core is its own
 *      unit), keyed by (package, NUMA node, L3, L2, core).
 *   2. Order: compact sorts units by key; scatter deals them round-robin
 *      at each level of the key, recursively (packages, then nodes within
 *      each, then caches); numa:LIST and domains take compact's order
 *      within the nodes or domain.
 *   3. Expand units into PUs by the smt option: one PU per unit first and
 *      the siblings after (auto), first PUs only (off), or each unit's PUs
 *      together (on). cpus:LIST names PUs directly.
 *   4. P i takes the i-th PU; its victims go to the nearest tier that
 *      applies (same core, L2, L3, NUMA node, package, the rest).
 *
 * The real machine is loaded once per process (~7 ms here) and kept: a
 * harness starts a fresh runtime per configuration and checks each
 * configuration first. hwloc allows concurrent reads of a loaded topology.
 * Binding always goes through it: through a synthetic or XML topology
 * hwloc binds nothing and says nothing, so a run refuses those.
 *
 * Memory (MN_MEM): the run's memory comes in pools, one per NUMA node for
 * `local` with pinned Ps, one otherwise; each pool has a node set and a
 * policy. P structures are allocated from their P's pool; stacks are
 * bound to the pool of the P where their G first runs (stack.c).
 */
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define MAX_LIST 4096           /* items in one CPU or node list */

_Static_assert(MN_MAX_PROCS <= 256, "mn_p.victims and tier_of hold P ids in uint8_t");

typedef struct pu_info {
    hwloc_obj_t obj;
    int os, core, l2, l3, numa, numa_l, package;
} pu_info;

/* A core with allowed PUs: pus[first .. first+npu) of the PU table. */
typedef struct unit {
    int key[5];                 /* package, NUMA node (logical), L3, L2, core */
    int first, npu;
} unit;

enum smt_mode { SMT_AUTO, SMT_OFF, SMT_ON };

/* The machine as the planner sees it. */
typedef struct machine {
    hwloc_topology_t topo;
    pu_info *pus;
    int npus;
    unit *units;                /* compact order */
    int nunits;
    const char *placement;      /* for messages */
    char *error;
} machine;

static int fail(char *error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, 256, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ---- lists: "0-3,8" or "0-3+8" ------------------------------------------------- */

/* Parses s (up to end) into *out (malloc'd, freed by the caller in every
 * case); 0, or -EINVAL. */
static int parse_list(const char *s, const char *end, int **out, int *n)
{
    int *v = *out = malloc(MAX_LIST * sizeof *v);
    *n = 0;
    if (!v)
        return -ENOMEM;
    if (s == end)
        return -EINVAL;
    while (s < end) {
        const char *item = s;
        char *e;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        long lo = strtol(item, &e, 10), hi = lo;
        if (*e == '-') {
            if (e[1] < '0' || e[1] > '9')
                return -EINVAL;
            hi = strtol(e + 1, &e, 10);
        }
        if (e > end || (e < end && *e != ',' && *e != '+') || lo > hi || hi > INT_MAX / 2)
            return -EINVAL;
        if (*n + (hi - lo) >= MAX_LIST)
            return -E2BIG;
        for (long x = lo; x <= hi; x++)
            v[(*n)++] = (int)x;
        s = e < end ? e + 1 : e;
        if (e < end && s == end)
            return -EINVAL;     /* a trailing separator */
    }
    return 0;
}

/* ---- the machine ------------------------------------------------------------- */

static int ancestor_index(hwloc_topology_t t, hwloc_obj_type_t type, hwloc_obj_t o)
{
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(t, type, o);
    return a ? (int)a->logical_index : -1;
}

static int unit_cmp(const void *a, const void *b)
{
    const unit *x = a, *y = b;
    for (int k = 0; k < 5; k++)
        if (x->key[k] != y->key[k])
            return x->key[k] < y->key[k] ? -1 : 1;
    return x->first - y->first;
}

/* Fills m's PU and unit tables from the allowed PUs of topo. */
static int machine_init(machine *m, hwloc_topology_t topo, hwloc_const_cpuset_t allowed)
{
    int total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    bool packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE) > 0;
    m->topo = topo;
    m->pus = calloc((size_t)total + 1, sizeof *m->pus);
    m->units = calloc((size_t)total + 1, sizeof *m->units);
    if (!m->pus || !m->units)
        return -ENOMEM;
    for (int i = 0; i < total; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
        if (!hwloc_bitmap_isset(allowed, pu->os_index))
            continue;
        pu_info *q = &m->pus[m->npus];
        int node_os = hwloc_bitmap_first(pu->nodeset);
        hwloc_obj_t node = node_os >= 0 ? hwloc_get_numanode_obj_by_os_index(topo, (unsigned)node_os) : NULL;
        *q = (pu_info){ .obj = pu, .os = (int)pu->os_index,
                        .core = ancestor_index(topo, HWLOC_OBJ_CORE, pu),
                        .l2 = ancestor_index(topo, HWLOC_OBJ_L2CACHE, pu),
                        .l3 = ancestor_index(topo, HWLOC_OBJ_L3CACHE, pu),
                        .numa = node ? (int)node->os_index : -1,
                        .numa_l = node ? (int)node->logical_index : -1,
                        .package = packages ? ancestor_index(topo, HWLOC_OBJ_PACKAGE, pu) : 0 };
        /* PUs of one core are consecutive in logical order. */
        unit *u = m->nunits ? &m->units[m->nunits - 1] : NULL;
        if (u && q->core >= 0 && m->pus[u->first].core == q->core) {
            u->npu++;
        } else {
            u = &m->units[m->nunits++];
            *u = (unit){ { q->package, q->numa_l, q->l3, q->l2, q->core }, m->npus, 1 };
        }
        m->npus++;
    }
    qsort(m->units, (size_t)m->nunits, sizeof *m->units, unit_cmp);
    return 0;
}

static void machine_free(machine *m)
{
    free(m->pus);
    free(m->units);
}

/* ---- orders ----------------------------------------------------------------- */

/* Deals units [lo, hi), sorted by key, round-robin across the groups of
 * key[level], each group dealt the same way one level down. */
static void scatter_order(const unit *in, unit *out, int lo, int hi, int level, unit *tmp)
{
    if (level == 5 || hi - lo <= 1) {
        memcpy(out + lo, in + lo, (size_t)(hi - lo) * sizeof *in);
        return;
    }
    int starts[hi - lo + 1], ngroups = 0;
    for (int i = lo; i < hi; i++)
        if (i == lo || in[i].key[level] != in[i - 1].key[level])
            starts[ngroups++] = i;
    starts[ngroups] = hi;
    /* Each group in scatter order, into tmp. */
    for (int g = 0; g < ngroups; g++)
        scatter_order(in, tmp, starts[g], starts[g + 1], level + 1, out);
    int taken[ngroups];
    memset(taken, 0, sizeof taken);
    for (int k = lo; k < hi;)
        for (int g = 0; g < ngroups; g++)
            if (starts[g] + taken[g] < starts[g + 1])
                out[k++] = tmp[starts[g] + taken[g]++];
}

/* A sequence longer than the PUs there are names one twice. */
static int named_twice(machine *m)
{
    return fail(m->error, "MN_PLACEMENT=%s: names a CPU twice; allowed: each CPU once "
                "(two Ps on one CPU: MN_PLACEMENT=none)", m->placement);
}

/* Appends the PUs of units[0..n) to seq (room for m->npus) in the smt
 * mode's order. */
static int expand(machine *m, const unit *units, int n, enum smt_mode smt, int *seq, int *nseq)
{
    int total = 0;
    for (int u = 0; u < n; u++)
        total += smt == SMT_OFF ? 1 : units[u].npu;
    if (*nseq + total > m->npus)
        return named_twice(m);
    if (smt == SMT_ON) {
        for (int u = 0; u < n; u++)
            for (int k = 0; k < units[u].npu; k++)
                seq[(*nseq)++] = units[u].first + k;
        return 0;
    }
    for (int rank = 0;; rank++) {
        bool any = false;
        for (int u = 0; u < n; u++)
            if (rank < units[u].npu) {
                seq[(*nseq)++] = units[u].first + rank;
                any = true;
            }
        if (!any || smt == SMT_OFF)
            return 0;
    }
}

/* ---- placements --------------------------------------------------------------- */

static int pu_by_os(const machine *m, int os)
{
    for (int i = 0; i < m->npus; i++)
        if (m->pus[i].os == os)
            return i;
    return -1;
}

static void allowed_cpus_text(const machine *m, char *buf, size_t len)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < m->npus; i++)
        hwloc_bitmap_set(set, (unsigned)m->pus[i].os);
    hwloc_bitmap_list_snprintf(buf, len, set);
    hwloc_bitmap_free(set);
}

static void nodes_text(const machine *m, char *buf, size_t len)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < m->npus; i++)
        if (m->pus[i].numa >= 0)
            hwloc_bitmap_set(set, (unsigned)m->pus[i].numa);
    hwloc_bitmap_list_snprintf(buf, len, set);
    hwloc_bitmap_free(set);
}

static int cpus_policy(machine *m, const char *list, const char *end, int *seq, int *nseq)
{
    int *v, n, err = 0;
    char allowed[128];
    allowed_cpus_text(m, allowed, sizeof allowed);
    if (parse_list(list, end, &v, &n))
        err = fail(m->error, "MN_PLACEMENT=%s: malformed CPU list; allowed: OS CPU numbers "
                   "and ranges joined by ',' or '+' (0-3+8) from %s", m->placement, allowed);
    for (int i = 0; !err && i < n; i++) {
        int k = pu_by_os(m, v[i]);
        if (k < 0)
            err = fail(m->error, "MN_PLACEMENT=%s: CPU %d is not among this machine's allowed "
                       "CPUs; allowed: %s", m->placement, v[i], allowed);
        else if (*nseq >= m->npus)
            err = named_twice(m);
        else
            seq[(*nseq)++] = k;
    }
    free(v);
    return err;
}

static int numa_policy(machine *m, const char *list, const char *end, enum smt_mode smt,
                       int *seq, int *nseq)
{
    int *v, n, nsel = 0, err = 0;
    char allowed[128];
    nodes_text(m, allowed, sizeof allowed);
    if (parse_list(list, end, &v, &n)) {
        free(v);
        return fail(m->error, "MN_PLACEMENT=%s: malformed NUMA node list; allowed: OS node "
                    "numbers joined by ',' or '+' from %s", m->placement, allowed);
    }
    unit *sel = malloc((size_t)m->nunits * sizeof *sel);
    if (!sel)
        err = -ENOMEM;
    for (int i = 0; !err && i < n; i++) {
        int before = nsel;
        for (int j = 0; !err && j < i; j++)
            if (v[j] == v[i])
                err = fail(m->error, "MN_PLACEMENT=%s: NUMA node %d given twice; allowed: "
                           "each node once", m->placement, v[i]);
        for (int u = 0; !err && u < m->nunits; u++)
            if (m->pus[m->units[u].first].numa == v[i])
                sel[nsel++] = m->units[u];
        if (!err && nsel == before)
            err = fail(m->error, "MN_PLACEMENT=%s: NUMA node %d has no allowed CPUs here; "
                       "allowed: %s", m->placement, v[i], allowed);
    }
    if (!err)
        err = expand(m, sel, nsel, smt, seq, nseq);
    free(sel);
    free(v);
    return err;
}

/* A likwid-style domain, "M0" or "S1:0-3": its units in compact order,
 * expanded, then the positions LIST picks. */
static int domain_policy(machine *m, const char *s, const char *end, enum smt_mode smt,
                         int *seq, int *nseq)
{
    char d = *s;
    const char *p = s + 1, *colon = memchr(s, ':', (size_t)(end - s));
    int index = 0, level;
    bool l3 = false;
    for (int i = 0; i < m->npus && !l3; i++)
        l3 = m->pus[i].l3 >= 0;
    switch (d) {
    case 'N': level = -1; break;
    case 'S': level = 0; break;
    case 'M': level = 1; break;
    case 'C': level = l3 ? 2 : 3; break;
    default: return -ENOENT;
    }
    const char *num_end = colon ? colon : end;
    if (d == 'N' ? p != num_end : p == num_end)
        return -ENOENT;
    for (; p < num_end; p++) {
        if (*p < '0' || *p > '9' || index > 100000)
            return -ENOENT;
        index = index * 10 + (*p - '0');
    }
    unit *sel = malloc((size_t)m->nunits * sizeof *sel);
    int *dom = malloc((size_t)m->npus * sizeof *dom), nsel = 0, ndom = 0, err = 0;
    if (!sel || !dom) {
        free(sel);
        free(dom);
        return -ENOMEM;
    }
    for (int u = 0; u < m->nunits; u++)
        if (level < 0 || m->units[u].key[level] == index)
            sel[nsel++] = m->units[u];
    expand(m, sel, nsel, smt, dom, &ndom);
    if (!ndom) {
        err = fail(m->error, "MN_PLACEMENT=%s: domain %.*s has no allowed CPUs here; allowed: "
                   "N, S<i>, M<i>, C<i> with logical indexes of this machine (mnbench topo)",
                   m->placement, (int)(num_end - s), s);
    } else if (!colon && *nseq + ndom > m->npus) {
        err = named_twice(m);
    } else if (!colon) {
        memcpy(seq + *nseq, dom, (size_t)ndom * sizeof *dom);
        *nseq += ndom;
    } else {
        int *v, n;
        if (parse_list(colon + 1, end, &v, &n))
            err = fail(m->error, "MN_PLACEMENT=%s: malformed position list after %.*s; allowed: "
                       "numbers and ranges joined by ',' or '+'", m->placement,
                       (int)(colon - s), s);
        for (int i = 0; !err && i < n; i++) {
            if (v[i] >= ndom)
                err = fail(m->error, "MN_PLACEMENT=%s: %.*s has %d CPUs, no position %d; "
                           "allowed: 0-%d", m->placement, (int)(colon - s), s, ndom, v[i], ndom - 1);
            else if (*nseq >= m->npus)
                err = named_twice(m);
            else
                seq[(*nseq)++] = dom[v[i]];
        }
        free(v);
    }
    free(sel);
    free(dom);
    return err;
}

#define PLACEMENTS "compact, scatter, numa:LIST, cpus:LIST, likwid domains (S0, M0:0-3, " \
                   "N, C0, joined by @), none; then ,smt=auto|off|on"

/* Splits "policy,opt=v,..." into the policy (with its own commas) and
 * the smt option. */
static int parse_options(machine *m, const char *pl, char *policy, size_t len, enum smt_mode *smt,
                         bool *smt_given)
{
    size_t n = 0;
    *smt = SMT_AUTO;
    *smt_given = false;
    policy[0] = 0;
    for (const char *s = pl;;) {
        const char *e = strchr(s, ',');
        size_t w = e ? (size_t)(e - s) : strlen(s);
        if (memchr(s, '=', w)) {
            if (w == 8 && !strncmp(s, "smt=auto", 8))
                *smt = SMT_AUTO;
            else if (w == 7 && !strncmp(s, "smt=off", 7))
                *smt = SMT_OFF;
            else if (w == 6 && !strncmp(s, "smt=on", 6))
                *smt = SMT_ON;
            else
                return fail(m->error, "MN_PLACEMENT=%s: unknown option '%.*s'; allowed: "
                            "smt=auto, smt=off, smt=on", pl, (int)w, s);
            *smt_given = true;
        } else {
            if (n + w + 2 >= len)
                return fail(m->error, "MN_PLACEMENT=%.40s...: too long; allowed: %s", pl, PLACEMENTS);
            if (n)
                policy[n++] = ',';
            memcpy(policy + n, s, w);
            policy[n += w] = 0;
        }
        if (!e)
            return 0;
        s = e + 1;
    }
}

/* The PU sequence a placement gives (indexes into m->pus), its length in
 * *nseq; *pinned false for none. */
static int placement_seq(machine *m, const char *pl, int *seq, int *nseq, bool *pinned)
{
    char policy[1024];
    enum smt_mode smt;
    bool smt_given;
    int err = parse_options(m, pl, policy, sizeof policy, &smt, &smt_given);
    if (err)
        return err;
    *nseq = 0;
    *pinned = true;
    if (!strcmp(policy, "none") || !strcmp(policy, "cpus") || !strncmp(policy, "cpus:", 5)) {
        if (smt_given)
            return fail(m->error, "MN_PLACEMENT=%s: smt= has no meaning with %s; allowed: "
                        "compact, scatter, numa:LIST or a domain with smt=", pl, policy);
    }
    if (!strcmp(policy, "none")) {
        *pinned = false;
        return 0;
    }
    if (!strcmp(policy, "compact"))
        return expand(m, m->units, m->nunits, smt, seq, nseq);
    if (!strcmp(policy, "scatter")) {
        unit *out = malloc((size_t)(m->nunits + 1) * sizeof *out);
        unit *tmp = malloc((size_t)(m->nunits + 1) * sizeof *tmp);
        if (!out || !tmp) {
            free(out);
            free(tmp);
            return -ENOMEM;
        }
        scatter_order(m->units, out, 0, m->nunits, 0, tmp);
        /* Scatter reaches siblings last in every mode but off. */
        err = expand(m, out, m->nunits, smt == SMT_OFF ? SMT_OFF : SMT_AUTO, seq, nseq);
        free(out);
        free(tmp);
        return err;
    }
    if (!strncmp(policy, "cpus:", 5))
        return cpus_policy(m, policy + 5, policy + strlen(policy), seq, nseq);
    if (!strncmp(policy, "numa:", 5))
        return numa_policy(m, policy + 5, policy + strlen(policy), smt, seq, nseq);
    /* likwid domains, joined by '@' */
    for (const char *s = policy; *s;) {
        const char *e = strchr(s, '@');
        if (!e)
            e = s + strlen(s);
        err = s == e ? -ENOENT : domain_policy(m, s, e, smt, seq, nseq);
        if (err == -ENOENT)
            return fail(m->error, "MN_PLACEMENT=%s: unknown placement; allowed: %s", pl, PLACEMENTS);
        if (err)
            return err;
        s = *e ? e + 1 : e;
        if (e[0] == '@' && !e[1])
            return fail(m->error, "MN_PLACEMENT=%s: unknown placement; allowed: %s", pl, PLACEMENTS);
    }
    return 0;
}

/* ---- the plan ------------------------------------------------------------------ */

static int tier(const mn_topo_pplan_t *a, const mn_topo_pplan_t *b)
{
    if (a->cpu < 0 || b->cpu < 0)
        return MN_TIER_REST;
    if (a->core >= 0 && a->core == b->core)
        return MN_TIER_CORE;
    if (a->l2 >= 0 && a->l2 == b->l2)
        return MN_TIER_L2;
    if (a->l3 >= 0 && a->l3 == b->l3)
        return MN_TIER_L3;
    if (a->numa >= 0 && a->numa == b->numa)
        return MN_TIER_NUMA;
    if (a->package == b->package)
        return MN_TIER_PACKAGE;
    return MN_TIER_REST;
}

static int plan_tiers(mn_topo_plan_t *out)
{
    int n = out->nprocs;
    for (int i = 0; i < n; i++) {
        mn_topo_pplan_t *a = &out->p[i];
        int *blk = malloc((size_t)n * sizeof *blk), k = 0;
        if (!blk)
            return -ENOMEM;
        for (int t = 0; t < MN_STEAL_TIERS; t++) {
            a->tier[t] = blk + k;
            for (int j = 0; j < n; j++)
                if (j != i && tier(a, &out->p[j]) == t)
                    blk[k++] = j;
            a->ntier[t] = (int)(blk + k - a->tier[t]);
        }
    }
    return 0;
}

static void summary_caches(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, mn_topo_plan_t *out)
{
    static const hwloc_obj_type_t types[] = {
        HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
        HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
    };
    out->caches = calloc(sizeof types / sizeof types[0], sizeof *out->caches);
    for (size_t i = 0; out->caches && i < sizeof types / sizeof types[0]; i++) {
        mn_topo_cache_t c = { 0 };
        for (hwloc_obj_t o = hwloc_get_next_obj_by_type(topo, types[i], NULL); o;
             o = hwloc_get_next_obj_by_type(topo, types[i], o)) {
            if (!hwloc_bitmap_intersects(o->cpuset, allowed))
                continue;
            c.level = (int)o->attr->cache.depth;
            c.type = o->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? 'd' :
                     o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? 'i' : 'u';
            c.size = o->attr->cache.size;
            c.count++;
        }
        if (c.count)
            out->caches[out->ncaches++] = c;
    }
}

static void summary_distances(hwloc_topology_t topo, hwloc_obj_t *nodes, mn_topo_plan_t *out)
{
    struct hwloc_distances_s *d[1];
    unsigned nr = 1;
    int n = out->numa_nodes;
    if (hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, &nr, d,
                                    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) || nr == 0)
        return;
    uint64_t *m = calloc((size_t)n * (size_t)n, sizeof *m);
    for (int i = 0; m && i < n * n; i++) {
        int a = hwloc_distances_obj_index(d[0], nodes[i / n]);
        int b = hwloc_distances_obj_index(d[0], nodes[i % n]);
        if (a < 0 || b < 0) {
            free(m);
            m = NULL;
            break;
        }
        m[i] = d[0]->values[(unsigned)a * d[0]->nbobjs + (unsigned)b];
    }
    out->distances = m;
    hwloc_distances_release(topo, d[0]);
}

/* Packages, NUMA nodes (memory, CPUs, distances), caches, cores, PUs. */
static int summary(const machine *m, hwloc_const_cpuset_t allowed, mn_topo_plan_t *out)
{
    hwloc_topology_t topo = m->topo;
    hwloc_const_nodeset_t anodes = hwloc_topology_get_allowed_nodeset(topo);
    int total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    hwloc_obj_t nodes[total + 1];
    out->pus = m->npus;
    out->cores = m->nunits;
    for (int i = 0, last = INT_MIN; i < m->npus; i++)
        if (m->pus[i].package != last) {
            /* PUs are in logical order: packages come in runs. */
            last = m->pus[i].package;
            out->packages++;
        }
    out->nodes = calloc((size_t)total + 1, sizeof *out->nodes);
    if (!out->nodes)
        return -ENOMEM;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < total; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (!hwloc_bitmap_isset(anodes, o->os_index))
            continue;
        mn_topo_node_t *nd = &out->nodes[out->numa_nodes];
        nd->os = (int)o->os_index;
        nd->memory = o->attr->numanode.local_memory;
        hwloc_bitmap_and(set, o->cpuset, allowed);
        if (!hwloc_bitmap_iszero(set))
            hwloc_bitmap_list_snprintf(nd->cpus, sizeof nd->cpus, set);
        nodes[out->numa_nodes++] = o;
    }
    hwloc_bitmap_free(set);
    summary_caches(topo, allowed, out);
    summary_distances(topo, nodes, out);
    return 0;
}

int mn__topo_plan(struct hwloc_topology *topo, const struct hwloc_bitmap_s *allowed,
                  const char *placement, int nprocs, mn_topo_plan_t *out)
{
    machine m = { .placement = placement ? placement : "compact", .error = out->error };
    int err, nseq = 0, *seq = NULL;
    bool pinned;
    if (nprocs < 0 || nprocs > MN_MAX_PROCS)
        return fail(out->error, "MN_PROCS=%d: out of range; allowed: 0 (every CPU the "
                    "placement allows) to %d", nprocs, MN_MAX_PROCS);
    if ((err = machine_init(&m, topo, allowed)))
        goto done;
    if (m.npus == 0) {
        err = fail(out->error, "no allowed CPUs in this topology; allowed: a topology with CPUs");
        goto done;
    }
    seq = malloc((size_t)m.npus * sizeof *seq);
    if (!seq) {
        err = -ENOMEM;
        goto done;
    }
    if ((err = placement_seq(&m, m.placement, seq, &nseq, &pinned)))
        goto done;
    for (int i = 0; i < nseq; i++)
        for (int j = 0; j < i; j++)
            if (seq[i] == seq[j]) {
                err = fail(out->error, "MN_PLACEMENT=%s: CPU %d is named twice; allowed: each "
                           "CPU once (two Ps on one CPU: MN_PLACEMENT=none)", m.placement,
                           m.pus[seq[i]].os);
                goto done;
            }
    int cap = pinned ? nseq : m.npus;
    if (pinned && nprocs > cap) {
        err = fail(out->error, "MN_PROCS=%d: more Ps than the %d CPUs placement %s allows with "
                   "pinning on; allowed: at most %d, or MN_PLACEMENT=none to oversubscribe",
                   nprocs, cap, m.placement, cap);
        goto done;
    }
    int n = nprocs ? nprocs : cap < MN_MAX_PROCS ? cap : MN_MAX_PROCS;
    out->pinned = pinned;
    out->nprocs = n;
    out->p = calloc((size_t)n, sizeof *out->p);
    if (!out->p) {
        err = -ENOMEM;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        mn_topo_pplan_t *p = &out->p[i];
        if (!pinned) {
            *p = (mn_topo_pplan_t){ .cpu = -1, .core = -1, .l2 = -1, .l3 = -1, .numa = -1,
                                  .package = -1 };
            continue;
        }
        const pu_info *q = &m.pus[seq[i]];
        *p = (mn_topo_pplan_t){ .cpu = q->os, .core = q->core, .l2 = q->l2, .l3 = q->l3,
                              .numa = q->numa, .package = q->package };
    }
    if ((err = plan_tiers(out)) || (err = summary(&m, allowed, out)))
        goto done;
done:
    free(seq);
    machine_free(&m);
    if (err == -ENOMEM)
        fail(out->error, "out of memory while planning; allowed: fewer Ps");
    return err;
}

/* ---- topologies --------------------------------------------------------------- */

static struct {
    pthread_once_t once;
    hwloc_topology_t topo;      /* the real machine, kept for the process */
    int err;
} real = { .once = PTHREAD_ONCE_INIT };

static void real_load(void)
{
    if (hwloc_topology_init(&real.topo)) {
        real.err = -ENOMEM;
        real.topo = NULL;
    } else if (hwloc_topology_load(real.topo) || !hwloc_topology_is_thissystem(real.topo)) {
        /* HWLOC_XMLFILE or HWLOC_SYNTHETIC in the environment make hwloc
         * describe another machine, and binding through it does nothing. */
        real.err = hwloc_topology_is_thissystem(real.topo) ? -EIO : -EXDEV;
        hwloc_topology_destroy(real.topo);
        real.topo = NULL;
    }
}

static hwloc_topology_t real_topology(void)
{
    pthread_once(&real.once, real_load);
    return real.topo;
}

bool mn__topo_is_real(const char *topology)
{
    return !topology || !*topology || !strcmp(topology, "machine");
}

/* The CPUs this thread may use on the real machine: hwloc's allowed set
 * (cgroups) and the affinity mask. */
static hwloc_bitmap_t real_allowed(hwloc_topology_t topo)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return NULL;
    if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD))
        hwloc_bitmap_copy(set, hwloc_topology_get_allowed_cpuset(topo));
    else
        hwloc_bitmap_and(set, set, hwloc_topology_get_allowed_cpuset(topo));
    return set;
}

/* Loads topology spec; *shared: the real machine's, not to destroy. */
static int topo_load(const char *spec, hwloc_topology_t *out, bool *shared, char *error)
{
    *shared = mn__topo_is_real(spec);
    *out = NULL;
    if (*shared) {
        if (!(*out = real_topology()) && real.err == -EXDEV)
            return fail(error, "HWLOC_XMLFILE or HWLOC_SYNTHETIC: hwloc reads another machine's "
                        "topology from the environment; allowed: unset them (MN_TOPOLOGY plans "
                        "on other machines)");
        if (!*out)
            return fail(error, "MN_TOPOLOGY: hwloc cannot read this machine's topology; "
                        "allowed: a machine hwloc supports");
        return 0;
    }
    bool synth = !strncmp(spec, "synthetic:", 10), xml = !strncmp(spec, "xml:", 4);
    if (!synth && !xml)
        return fail(error, "MN_TOPOLOGY=%s: unknown topology; allowed: machine, "
                    "synthetic:DESCRIPTION ('synthetic:pack:2 numa:2 core:4 pu:2'), xml:FILE", spec);
    if (xml && access(spec + 4, R_OK))
        return fail(error, "MN_TOPOLOGY=%s: cannot read %s (%s); allowed: an hwloc XML file "
                    "(lstopo FILE.xml)", spec, spec + 4, strerror(errno));
    hwloc_topology_t t;
    if (hwloc_topology_init(&t))
        return -ENOMEM;
    int rc = synth ? hwloc_topology_set_synthetic(t, spec + 10) : hwloc_topology_set_xml(t, spec + 4);
    if (rc || hwloc_topology_load(t)) {
        hwloc_topology_destroy(t);
        return synth ? fail(error, "MN_TOPOLOGY=%s: hwloc cannot read this synthetic "
                            "description; allowed: e.g. synthetic:pack:2 numa:2 core:4 pu:2", spec)
                     : fail(error, "MN_TOPOLOGY=%s: not a valid hwloc XML topology; allowed: "
                            "a file written by lstopo FILE.xml", spec);
    }
    *out = t;
    return 0;
}

int mn_topo_plan(const char *topology, const char *placement, int nprocs, mn_topo_plan_t *out)
{
    hwloc_topology_t topo;
    bool shared;
    memset(out, 0, sizeof *out);
    int err = topo_load(topology, &topo, &shared, out->error);
    if (err)
        return err;
    hwloc_bitmap_t allowed = shared ? real_allowed(topo)
                                    : hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(topo));
    err = allowed ? mn__topo_plan(topo, allowed, placement, nprocs, out) : -ENOMEM;
    hwloc_bitmap_free(allowed);
    if (!shared)
        hwloc_topology_destroy(topo);
    return err;
}

void mn_topo_plan_free(mn_topo_plan_t *plan)
{
    for (int i = 0; plan->p && i < plan->nprocs; i++)
        free(plan->p[i].tier[0]);
    free(plan->p);
    free(plan->nodes);
    free(plan->distances);
    free(plan->caches);
    plan->p = NULL;
    plan->nodes = NULL;
    plan->distances = NULL;
    plan->caches = NULL;
}

/* ---- the run: checks, pinning, memory --------------------------------------------- */

enum mem_kind { MEM_LOCAL, MEM_INTERLEAVE, MEM_NODE, MEM_FIRSTTOUCH };

static int mem_parse(hwloc_topology_t topo, const char *spec, enum mem_kind *kind, int *node,
                     char *error)
{
    const char *s = spec && *spec ? spec : "local";
    if (!strcmp(s, "local") || !strcmp(s, "interleave") || !strcmp(s, "firsttouch")) {
        *kind = s[0] == 'l' ? MEM_LOCAL : s[0] == 'i' ? MEM_INTERLEAVE : MEM_FIRSTTOUCH;
        return 0;
    }
    char nodes[128];
    hwloc_bitmap_list_snprintf(nodes, sizeof nodes, hwloc_topology_get_allowed_nodeset(topo));
    if (strncmp(s, "node:", 5))
        return fail(error, "MN_MEM=%s: unknown memory policy; allowed: local, interleave, "
                    "node:N, firsttouch", s);
    char *end;
    errno = 0;
    long n = strtol(s + 5, &end, 10);
    if (s[5] < '0' || s[5] > '9' || *end || errno || n > INT_MAX)
        return fail(error, "MN_MEM=%s: malformed node; allowed: node:N with N one of %s", s, nodes);
    if (!hwloc_bitmap_isset(hwloc_topology_get_allowed_nodeset(topo), (unsigned)n))
        return fail(error, "MN_MEM=%s: this machine has no NUMA node %ld; allowed: node:N with "
                    "N one of %s", s, n, nodes);
    *kind = MEM_NODE;
    *node = (int)n;
    return 0;
}

static int steal_parse(const char *spec, bool *hier, char *error)
{
    const char *s = spec && *spec ? spec : "hier";
    if (strcmp(s, "hier") && strcmp(s, "random"))
        return fail(error, "MN_STEAL=%s: unknown steal policy; allowed: hier, random", s);
    *hier = s[0] == 'h';
    return 0;
}

int mn__topo_check(mn_config *cfg)
{
    if (!mn__topo_is_real(cfg->topology))
        return fail(cfg->error, "MN_TOPOLOGY=%s: a synthetic or XML topology is for planning "
                    "(mnbench topo), a run needs the real machine; allowed: machine (or unset)",
                    cfg->topology);
    mn_topo_plan_t plan;
    enum mem_kind kind;
    bool hier;
    int node;
    int err = mn_topo_plan(NULL, cfg->placement, cfg->nprocs, &plan);
    if (!err)
        err = mem_parse(real.topo, cfg->mem_policy, &kind, &node, plan.error);
    if (!err)
        err = steal_parse(cfg->steal_policy, &hier, plan.error);
    if (err)
        snprintf(cfg->error, sizeof cfg->error, "%s", plan.error);
    mn_topo_plan_free(&plan);
    return err;
}

/* The run's memory pools (see the top). Written by mn__topo_start before
 * any M starts, read-only until mn__topo_stop after they all ended. */
static struct {
    int npools;
    hwloc_nodeset_t *set;       /* per pool */
    hwloc_membind_policy_t policy;
    bool bind;
    bool steal_hier;
} run;

int mn__topo_start(const mn_config *cfg, mn_topo_plan_t *plan)
{
    enum mem_kind kind;
    int node = 0, err;
    memset(plan, 0, sizeof *plan);
    if (!mn__topo_is_real(cfg->topology))
        return -EINVAL;
    if ((err = mn_topo_plan(NULL, cfg->placement, cfg->nprocs, plan)) ||
        (err = mem_parse(real.topo, cfg->mem_policy, &kind, &node, plan->error)) ||
        (err = steal_parse(cfg->steal_policy, &run.steal_hier, plan->error)))
        goto fail;
    if (kind == MEM_LOCAL && !plan->pinned)
        kind = MEM_FIRSTTOUCH;  /* an unpinned P has no node */
    run.npools = kind == MEM_LOCAL ? plan->numa_nodes : 1;
    run.bind = kind != MEM_FIRSTTOUCH;
    run.policy = kind == MEM_INTERLEAVE ? HWLOC_MEMBIND_INTERLEAVE : HWLOC_MEMBIND_BIND;
    run.set = calloc((size_t)run.npools, sizeof *run.set);
    if (!run.set) {
        err = -ENOMEM;
        goto fail;
    }
    for (int i = 0; i < run.npools; i++) {
        if (!(run.set[i] = hwloc_bitmap_alloc())) {
            err = -ENOMEM;
            goto fail_sets;
        }
        if (kind == MEM_LOCAL)
            hwloc_bitmap_set(run.set[i], (unsigned)plan->nodes[i].os);
        else if (kind == MEM_NODE)
            hwloc_bitmap_set(run.set[i], (unsigned)node);
        else
            hwloc_bitmap_copy(run.set[i], hwloc_topology_get_allowed_nodeset(real.topo));
    }
    return 0;
fail_sets:
    mn__topo_stop();
fail:
    mn_topo_plan_free(plan);
    if (plan->error[0])
        fprintf(stderr, "mnsched: %s\n", plan->error);
    return err;
}

void mn__topo_stop(void)
{
    for (int i = 0; run.set && i < run.npools; i++)
        hwloc_bitmap_free(run.set[i]);
    free(run.set);
    run.set = NULL;
    run.npools = 0;
    run.bind = false;
}

int mn__topo_npools(void)
{
    return run.npools > 0 ? run.npools : 1;
}

int mn__topo_pool(const mn_topo_plan_t *plan, int p)
{
    if (run.npools <= 1)
        return 0;
    for (int i = 0; i < plan->numa_nodes; i++)
        if (plan->nodes[i].os == plan->p[p].numa)
            return i;
    return 0;
}

void mn__topo_setup_p(mn_p *p, const mn_topo_plan_t *plan, int i)
{
    const mn_topo_pplan_t *pp = &plan->p[i];
    int k = 0;
    p->cpu = pp->cpu;
    p->mem_pool = mn__topo_pool(plan, i);
    p->steal_hier = run.steal_hier;
    for (int t = 0; t < MN_STEAL_TIERS; t++) {
        for (int j = 0; j < pp->ntier[t]; j++) {
            p->victims[k++] = (uint8_t)pp->tier[t][j];
            p->tier_of[pp->tier[t][j]] = (uint8_t)t;
        }
        p->tier_end[t] = (uint16_t)k;
    }
}

int mn__topo_bind_cpu(int cpu)
{
    hwloc_topology_t t = real_topology();
    hwloc_obj_t pu = t ? hwloc_get_pu_obj_by_os_index(t, (unsigned)cpu) : NULL;
    if (!pu)
        return -EINVAL;
    return hwloc_set_cpubind(t, pu->cpuset, HWLOC_CPUBIND_THREAD) ? -errno : 0;
}

void mn__topo_membind(void *addr, size_t len, int pool)
{
    if (!run.bind || pool < 0 || pool >= run.npools)
        return;
    /* Best effort: a kernel without NUMA support still runs, unbound. */
    hwloc_set_area_membind(real.topo, addr, len, run.set[pool], run.policy,
                           HWLOC_MEMBIND_BYNODESET);
}

void *mn__topo_alloc(size_t len, int pool)
{
    hwloc_topology_t t = real_topology();
    void *p = NULL;
    if (!t)
        return NULL;
    if (run.bind && pool >= 0 && pool < run.npools)
        p = hwloc_alloc_membind(t, len, run.set[pool], run.policy, HWLOC_MEMBIND_BYNODESET);
    return p ? p : hwloc_alloc(t, len);
}

void mn__topo_free(void *addr, size_t len)
{
    if (addr)
        hwloc_free(real.topo, addr, len);
}
