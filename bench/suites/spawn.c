/* spawn.c - spawn a G and have it finish: the cost of a G's whole life,
 * and how soon a spawned G starts. */
#include <stdlib.h>
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "n", "", 100000, 1, 10000000, "Gs spawned per repetition, then waited for", NULL },
    { "trials", "", 1000, 1, 1000000, "spawn-to-run latency samples per repetition", NULL },
};
enum { M_NS_PER_G, M_SPAWN_TO_RUN };
static const mnb_metric metrics[] = {
    [M_NS_PER_G] = { "ns_per_g", "ns", MNB_LOWER, MNB_SAMPLE,
                     "spawn + run + exit of one G, N spawned back to back, then a wait" },
    [M_SPAWN_TO_RUN] = { "spawn_to_run", "ns", MNB_LOWER, MNB_LATENCY,
                         "from mn_spawn of one G to its first instruction, spawner waiting" },
};

static mn_wg_t wg;

static void leaf(void *arg)
{
    mn_wg_done(&wg);
}

static void timed_leaf(void *arg)
{
    *(uint64_t *)arg = mnb_now_ns();
    mn_wg_done(&wg);
}

static int rep(mnb_ctx *ctx)
{
    int64_t n = mnb_param_get(ctx, "n");
    mn_wg_init(&wg);
    mn_wg_add(&wg, (int)n);
    uint64_t t0 = mnb_now_ns();
    for (int64_t i = 0; i < n; i++) {
        int err = mn_spawn(leaf, NULL);
        if (err)
            return mnb_fail(ctx, err, "mn_spawn: %s", mn_strerror(err));
    }
    mn_wg_wait(&wg);
    mnb_sample(ctx, M_NS_PER_G, (double)(mnb_now_ns() - t0) / (double)n);
    mnb_ops(ctx, (double)n);    /* counters per G (the latency trials are few) */

    int64_t trials = mnb_param_get(ctx, "trials");
    for (int64_t i = 0; i < trials; i++) {
        uint64_t started = 0;
        mn_wg_init(&wg);
        mn_wg_add(&wg, 1);
        uint64_t t = mnb_now_ns();
        mn_spawn(timed_leaf, &started);
        mn_wg_wait(&wg);
        mnb_latency(ctx, M_SPAWN_TO_RUN, (double)(started - t));
    }
    return 0;
}

const mnb_bench mnb_bench_spawn = {
    .name = "spawn",
    .summary = "spawn N Gs that finish at once, wait for all: ns per G; spawn-to-run latency",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
