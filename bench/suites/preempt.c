/* preempt.c - a hog G spins without yielding while a victim G waits in
 * the same P's queue: how late after the hog's slice does the victim
 * start? Both are held on one P (MN_NOMIGRATE), so only preemption can let
 * the victim in. Run with --timeslice and --preempt to compare.
 *
 * Hog kinds: a tight loop of the program's own code (preemptible by
 * signal anywhere), or a loop calling a libc function (memchr: a signal
 * landing inside libc is not a safe point, and is tried again). A hog
 * never runs longer than 500 ms, so that --preempt off ends too. */
#include <stdatomic.h>
#include <string.h>
#include "bench.h"
#include "mnsched.h"

static const char *const kinds[] = { "loop", "libc", NULL };
static const mnb_param params[] = {
    { "hog", "", 0, 0, 1, "what the hog runs: a tight loop, or a libc call in a loop", kinds },
    { "trials", "", 20, 1, 10000, "hog/victim pairs per repetition", NULL },
};
enum { M_LATE, M_DELAY, M_RATE };
static const mnb_metric metrics[] = {
    [M_LATE]  = { "victim_late", "ns", MNB_LOWER, MNB_LATENCY,
                  "victim start - (hog start + slice); 0 when earlier" },
    [M_DELAY] = { "victim_delay", "ns", MNB_LOWER, MNB_LATENCY, "victim start - hog start" },
    [M_RATE]  = { "preempts_per_s", "1/s", MNB_HIGHER, MNB_SAMPLE,
                  "slices enforced per second of the repetition" },
};

static struct {
    _Atomic uint64_t hog_start, victim_start;
    atomic_int stop;
    int kind;
    mn_wg_t wg;
} st;

static char buf[256];

static void hog(void *arg)
{
    uint64_t start = mnb_now_ns(), limit = start + 500000000u;
    atomic_store(&st.hog_start, start);
    volatile unsigned long x = 0;
    if (st.kind == 0) {
        while (!atomic_load_explicit(&st.stop, memory_order_relaxed))
            if (++x % 65536 == 0 && mnb_now_ns() > limit)
                break;
    } else {
        while (!atomic_load_explicit(&st.stop, memory_order_relaxed)) {
            x += (unsigned long)(uintptr_t)memchr(buf, 1, sizeof buf);
            if (++x % 4096 == 0 && mnb_now_ns() > limit)
                break;
        }
    }
    mn_wg_done(&st.wg);
}

static void victim(void *arg)
{
    atomic_store(&st.victim_start, mnb_now_ns());
    atomic_store(&st.stop, 1);
    mn_wg_done(&st.wg);
}

static int rep(mnb_ctx *ctx)
{
    st.kind = (int)mnb_param_get(ctx, "hog");
    int64_t trials = mnb_param_get(ctx, "trials");
    static mn_sched_stats s0, s1;   /* large: not on a 64 KiB G stack */
    mn_stats(&s0);
    double slice = (double)s0.timeslice_ns;
    int p = mn_self_p();
    uint64_t t0 = mnb_now_ns();
    for (int64_t i = 0; i < trials; i++) {
        atomic_store(&st.stop, 0);
        mn_wg_init(&st.wg);
        mn_wg_add(&st.wg, 2);
        int err = mn_spawn_on(p, MN_NOMIGRATE, hog, NULL);
        if (!err)
            err = mn_spawn_on(p, MN_NOMIGRATE, victim, NULL);
        if (err)
            return mnb_fail(ctx, err, "mn_spawn_on: %s", mn_strerror(err));
        mn_wg_wait(&st.wg);
        double delay = (double)(atomic_load(&st.victim_start) - atomic_load(&st.hog_start));
        double late = delay - slice;
        mnb_latency(ctx, M_LATE, late > 0 ? late : 0);
        mnb_latency(ctx, M_DELAY, delay);
    }
    double secs = (double)(mnb_now_ns() - t0) / 1e9;
    mn_stats(&s1);
    uint64_t n = 0;
    for (int i = 0; i < s1.nprocs; i++)
        n += s1.p[i].preempts - s0.p[i].preempts;
    mnb_sample(ctx, M_RATE, (double)n / secs);
    mnb_ops(ctx, (double)trials);
    return 0;
}

const mnb_bench mnb_bench_preempt = {
    .name = "preempt",
    .summary = "a hog spinning past its slice, a victim waiting on its P: how late the victim starts",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
