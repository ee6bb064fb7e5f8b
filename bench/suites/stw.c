/* stw.c - stop the world and start it again: how long stopping takes, by
 * the load on the other Ps (run with --procs to sweep the P count):
 * idle Ps, Ps running Gs that spin without yielding (stopped by
 * preemption), or Ps whose Gs are blocked in system calls. */
#include <stdatomic.h>
#include <time.h>
#include "bench.h"
#include "mnsched.h"

static const char *const loads[] = { "idle", "spinning", "syscall", NULL };
static const mnb_param params[] = {
    { "load", "", 0, 0, 2, "what the other Ps do: idle, spinning Gs, Gs in system calls", loads },
    { "trials", "", 50, 1, 100000, "stops per repetition", NULL },
};
enum { M_STOP };
static const mnb_metric metrics[] = {
    [M_STOP] = { "stop", "ns", MNB_LOWER, MNB_LATENCY, "mn_stop_the_world: until every other P stopped" },
};

static atomic_int quit;
static mn_wg_t wg;

static void spinner(void *arg)
{
    volatile unsigned long x = 0;
    while (!atomic_load_explicit(&quit, memory_order_relaxed))
        x++;
    mn_wg_done(&wg);
}

static void blocker(void *arg)
{
    struct timespec ts = { 0, 2000000 };
    while (!atomic_load(&quit))
        mn_nanosleep(&ts, NULL);
    mn_wg_done(&wg);
}

static int rep(mnb_ctx *ctx)
{
    int64_t load = mnb_param_get(ctx, "load"), trials = mnb_param_get(ctx, "trials");
    int self = mn_self_p(), n = mn_nprocs();
    atomic_store(&quit, 0);
    mn_wg_init(&wg);
    int started = 0;
    for (int p = 0; p < n && load; p++) {
        if (p == self)
            continue;
        mn_wg_add(&wg, 1);
        mn_spawn_on(p, MN_NOMIGRATE, load == 1 ? spinner : blocker, NULL);
        started++;
    }
    mn_sleep_ns(2000000);       /* let them get going */
    for (int64_t i = 0; i < trials; i++) {
        uint64_t ns = mn_stop_the_world();
        mn_start_the_world();
        mnb_latency(ctx, M_STOP, (double)ns);
        mn_sleep_ns(200000);
    }
    atomic_store(&quit, 1);
    if (started)
        mn_wg_wait(&wg);
    mnb_ops(ctx, (double)trials);
    return 0;
}

const mnb_bench mnb_bench_stw = {
    .name = "stw",
    .summary = "stop the world and restart it: time to stop, by P count and load",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
