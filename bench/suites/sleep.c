/* sleep.c - timer precision: how late mn_sleep_ns wakes a G, with the P
 * otherwise idle (sysmon starts an M for the due timer) or busy with
 * another G that yields (the P's own scheduler runs the timer). */
#include <stdatomic.h>
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "d", "us", 100, 1, 1000000, "sleep length", NULL },
    { "n", "", 200, 1, 1000000, "sleeps per repetition", NULL },
};
enum { M_LATE_IDLE, M_LATE_BUSY };
static const mnb_metric metrics[] = {
    [M_LATE_IDLE] = { "wake_late_idle", "ns", MNB_LOWER, MNB_LATENCY,
                      "wake-up minus deadline, nothing else to run" },
    [M_LATE_BUSY] = { "wake_late_busy", "ns", MNB_LOWER, MNB_LATENCY,
                      "wake-up minus deadline, another G yielding on the P" },
};

static atomic_int stop;
static mn_wg_t wg;

static void busy(void *arg)
{
    while (!atomic_load(&stop))
        mn_yield();
    mn_wg_done(&wg);
}

static void sleeps(mnb_ctx *ctx, int metric, int64_t n, uint64_t d)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t deadline = mnb_now_ns() + d;
        mn_sleep_ns(d);
        mnb_latency(ctx, metric, (double)(mnb_now_ns() - deadline));
    }
}

static int rep(mnb_ctx *ctx)
{
    uint64_t d = (uint64_t)mnb_param_get(ctx, "d") * 1000u;
    int64_t n = mnb_param_get(ctx, "n");
    sleeps(ctx, M_LATE_IDLE, n, d);
    atomic_store(&stop, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 1);
    mn_spawn_on(mn_self_p(), 0, busy, NULL);
    sleeps(ctx, M_LATE_BUSY, n, d);
    atomic_store(&stop, 1);
    mn_wg_wait(&wg);
    mnb_ops(ctx, (double)(2 * n));      /* counters per sleep */
    return 0;
}

const mnb_bench mnb_bench_sleep = {
    .name = "sleep",
    .summary = "mn_sleep_ns precision: wake-up minus deadline, P idle and P busy",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
