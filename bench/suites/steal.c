/* steal.c - work stealing: one G on a busy P spawns N tiny Gs; the other
 * Ps must steal them. Reports the cost per task, the delay from a task's
 * enqueue to its start on a thief, the share thieves ran, and how far
 * they stole from (the mean steal tier: placement and MN_STEAL decide it). */
#include <stdatomic.h>
#include <stdlib.h>
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "n", "", 100000, 1, 10000000, "tiny Gs spawned per repetition", NULL },
};
enum { M_NS_PER_TASK, M_THIEF_SHARE, M_STEAL_TIER, M_STEAL_LATENCY };
static const mnb_metric metrics[] = {
    [M_NS_PER_TASK] = { "ns_per_task", "ns", MNB_LOWER, MNB_SAMPLE,
                        "wall time / N, from the first spawn to the last task's end" },
    [M_THIEF_SHARE] = { "thief_share", "%", MNB_HIGHER, MNB_SAMPLE,
                        "tasks run on a P other than the spawner's" },
    [M_STEAL_TIER] = { "steal_tier", "tier", MNB_LOWER, MNB_SAMPLE,
                       "mean distance tier of the stolen Gs: 0 same core, 1 L2, 2 L3, "
                       "3 NUMA node, 4 package, 5 farther or unpinned (mnbench topo)" },
    [M_STEAL_LATENCY] = { "steal_latency", "ns", MNB_LOWER, MNB_LATENCY,
                          "enqueue (spawn) to start, for tasks run by thieves" },
};

struct task {
    uint64_t enq, start;
    int p;
};

static struct task *tasks;
static mn_wg_t wg;
static mn_sched_stats before, after;    /* too big for a G's stack */

/* Gs stolen during the repetition, and their mean tier. */
static double mean_tier(uint64_t *stolen)
{
    double sum = 0;
    *stolen = 0;
    for (int i = 0; i < after.nprocs; i++)
        for (int t = 0; t < MN_STEAL_TIERS; t++) {
            uint64_t d = after.p[i].stolen_tier[t] - before.p[i].stolen_tier[t];
            *stolen += d;
            sum += (double)t * (double)d;
        }
    return *stolen ? sum / (double)*stolen : 0;
}

static void tiny(void *arg)
{
    struct task *t = arg;
    t->start = mnb_now_ns();
    t->p = mn_self_p();
    mn_wg_done(&wg);
}

static int rep(mnb_ctx *ctx)
{
    int64_t n = mnb_param_get(ctx, "n");
    tasks = calloc((size_t)n, sizeof *tasks);
    if (!tasks)
        return mnb_fail(ctx, -12, "steal: cannot allocate %lld task records", (long long)n);
    int home = mn_self_p();
    mn_wg_init(&wg);
    mn_wg_add(&wg, (int)n);
    mn_stats(&before);
    uint64_t t0 = mnb_now_ns();
    for (int64_t i = 0; i < n; i++) {
        tasks[i].enq = mnb_now_ns();
        int err = mn_spawn(tiny, &tasks[i]);
        if (err) {
            free(tasks);
            return mnb_fail(ctx, err, "mn_spawn: %s", mn_strerror(err));
        }
    }
    mn_wg_wait(&wg);
    uint64_t t1 = mnb_now_ns();
    mn_stats(&after);
    int64_t stolen = 0;
    for (int64_t i = 0; i < n; i++)
        if (tasks[i].p != home) {
            stolen++;
            mnb_latency(ctx, M_STEAL_LATENCY, (double)(tasks[i].start - tasks[i].enq));
        }
    mnb_sample(ctx, M_NS_PER_TASK, (double)(t1 - t0) / (double)n);
    mnb_ops(ctx, (double)n);
    mnb_sample(ctx, M_THIEF_SHARE, 100.0 * (double)stolen / (double)n);
    uint64_t taken;
    double tier = mean_tier(&taken);
    if (taken)
        mnb_sample(ctx, M_STEAL_TIER, tier);
    free(tasks);
    return 0;
}

const mnb_bench mnb_bench_steal = {
    .name = "steal",
    .summary = "one busy P spawns N tiny Gs that other Ps steal: ns per task, steal latency",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .min_procs = 2,
    .rep = rep,
};
