/* switch.c - one mn_yield between two Gs held on one P, against the bare
 * switch (the same save set, no scheduler) measured in the same
 * repetition: the ratio is what the scheduler adds. */
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "n", "", 1000000, 1000, 1000000000, "yields per G per repetition", NULL },
};
enum { M_YIELD, M_BARE, M_RATIO };
static const mnb_metric metrics[] = {
    [M_YIELD] = { "ns_per_switch", "ns", MNB_LOWER, MNB_SAMPLE,
                  "one mn_yield from one G to the other, both held on one P" },
    [M_BARE]  = { "bare_ns_per_switch", "ns", MNB_LOWER, MNB_SAMPLE,
                  "the reference: the bare context switch, two contexts, no scheduler" },
    [M_RATIO] = { "ratio_to_bare", "x", MNB_LOWER, MNB_SAMPLE,
                  "ns_per_switch / bare_ns_per_switch" },
};

static mn_wg_t wg;
static int64_t iters;

static void pinger(void *arg)
{
    for (int64_t i = 0; i < iters; i++)
        mn_yield();
    mn_wg_done(&wg);
}

static int rep(mnb_ctx *ctx)
{
    iters = mnb_param_get(ctx, "n");
    int p = mn_self_p();
    mn_wg_init(&wg);
    mn_wg_add(&wg, 2);
    uint64_t t0 = mnb_now_ns();
    for (int i = 0; i < 2; i++) {
        int err = mn_spawn_on(p, MN_NOMIGRATE, pinger, NULL);
        if (err)
            return mnb_fail(ctx, err, "mn_spawn_on: %s", mn_strerror(err));
    }
    mn_wg_wait(&wg);
    double yield = (double)(mnb_now_ns() - t0) / (double)(2 * iters);
    double bare = mn_bare_switch_ns((uint64_t)iters);
    mnb_sample(ctx, M_YIELD, yield);
    mnb_ops(ctx, (double)(2 * iters));   /* counters per switch (the bare row adds its own) */
    if (bare > 0) {
        mnb_sample(ctx, M_BARE, bare);
        mnb_sample(ctx, M_RATIO, yield / bare);
    }
    return 0;
}

const mnb_bench mnb_bench_switch = {
    .name = "switch",
    .summary = "mn_yield between two Gs on one P, and the bare switch as reference",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
