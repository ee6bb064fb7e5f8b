/* syscall.c - Gs blocked in real system calls beside a compute G: how soon
 * the P is handed to another M, how much compute survives, and how close
 * the blocked Gs get to their ideal call rate.
 *
 * Each repetition runs two phases of `ms` each on the same runtime: the
 * compute G alone (the baseline), then with K Gs looping on a blocking
 * call of D us (nanosleep, or a read on a pipe that a plain thread writes
 * every D us). The compute G works in chunks of ~2 us and yields between
 * them (cooperatively: preemption is a later mechanism). A gap between
 * two chunks longer than 5 us is a stall; the handoff latency is the time
 * from the latest blocked G's system call entry inside that gap to the
 * compute G running again - the method of bench/peers/go/syscall.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "mnsched.h"

static const char *const kinds[] = { "nanosleep", "read", NULL };
static const mnb_param params[] = {
    { "k", "", 4, 1, 256, "Gs looping on a blocking system call", NULL },
    { "d", "us", 1000, 10, 1000000, "duration of each blocking call", NULL },
    { "kind", "", 0, 0, 1, "the blocking call: nanosleep, or read on a pipe", kinds },
    { "ms", "ms", 200, 10, 100000, "length of each phase (baseline, then loaded)", NULL },
};
enum { M_HANDOFF, M_KEPT, M_RATE, M_THREADS };
static const mnb_metric metrics[] = {
    [M_HANDOFF] = { "handoff", "ns", MNB_LOWER, MNB_LATENCY,
                    "blocked G's system call entry to the compute G running again" },
    [M_KEPT]    = { "compute_kept", "%", MNB_HIGHER, MNB_SAMPLE,
                    "compute chunks per second, loaded / baseline" },
    [M_RATE]    = { "syscall_rate", "%", MNB_HIGHER, MNB_SAMPLE,
                    "blocking calls completed / the ideal K * ms / D" },
    [M_THREADS] = { "threads", "Ms", MNB_LOWER, MNB_SAMPLE, "Ms the runtime has created in all" },
};

static struct {
    int64_t k, d_us, kind;
    atomic_int stop;
    atomic_long calls;
    _Atomic uint64_t last_entry;
    int (*pipes)[2];
    mn_wg_t wg;
} st;

static uint64_t now(void)
{
    return mnb_now_ns();
}

static void sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    char c;
    struct timespec ts = { (time_t)(st.d_us / 1000000), (long)(st.d_us % 1000000) * 1000 };
    while (!atomic_load(&st.stop)) {
        atomic_store(&st.last_entry, now());
        if (st.kind == 0)
            mn_nanosleep(&ts, NULL);
        else if (mn_read(st.pipes[i][0], &c, 1) != 1)
            break;
        atomic_fetch_add(&st.calls, 1);
        mn_yield();             /* cooperative until preemption exists */
    }
    mn_wg_done(&st.wg);
}

/* Writes one byte to every pipe each D us until told to stop. */
static void *ticker(void *arg)
{
    struct timespec ts = { (time_t)(st.d_us / 1000000), (long)(st.d_us % 1000000) * 1000 };
    while (!atomic_load(&st.stop)) {
        nanosleep(&ts, NULL);
        for (int i = 0; i < st.k; i++)
            (void)!write(st.pipes[i][1], "x", 1);
    }
    for (int i = 0; i < st.k; i++)   /* unblock every reader */
        (void)!write(st.pipes[i][1], "x", 1);
    return NULL;
}

/* Runs the compute loop for ms; returns chunks done; records stalls. */
static long compute(mnb_ctx *ctx, int64_t ms, bool record)
{
    uint64_t end = now() + (uint64_t)ms * 1000000u, t = now();
    long chunks = 0;
    while (t < end) {
        uint64_t stop = t + 2000;
        while ((t = now()) < stop)
            ;
        chunks++;
        uint64_t before = t;
        mn_yield();
        t = now();
        uint64_t entry = atomic_load(&st.last_entry);
        if (record && t - before > 5000 && entry >= before && entry <= t)
            mnb_latency(ctx, M_HANDOFF, (double)(t - entry));
    }
    return chunks;
}

static int rep(mnb_ctx *ctx)
{
    st.k = mnb_param_get(ctx, "k");
    st.d_us = mnb_param_get(ctx, "d");
    st.kind = mnb_param_get(ctx, "kind");
    int64_t ms = mnb_param_get(ctx, "ms");
    long base = compute(ctx, ms, false);

    atomic_store(&st.stop, 0);
    atomic_store(&st.calls, 0);
    atomic_store(&st.last_entry, 0);
    pthread_t tick;
    if (st.kind == 1) {
        st.pipes = calloc((size_t)st.k, sizeof *st.pipes);
        for (int i = 0; i < st.k; i++)
            if (pipe(st.pipes[i]))
                return mnb_fail(ctx, -24, "syscall: cannot make %lld pipes", (long long)st.k);
        pthread_create(&tick, NULL, ticker, NULL);
    }
    mn_wg_init(&st.wg);
    mn_wg_add(&st.wg, (int)st.k);
    for (int i = 0; i < st.k; i++)
        mn_spawn(sleeper, (void *)(intptr_t)i);
    uint64_t t0 = now();
    long loaded = compute(ctx, ms, true);
    uint64_t elapsed = now() - t0;
    long calls = atomic_load(&st.calls);
    atomic_store(&st.stop, 1);
    mn_wg_wait(&st.wg);
    if (st.kind == 1) {
        pthread_join(tick, NULL);
        for (int i = 0; i < st.k; i++) {
            close(st.pipes[i][0]);
            close(st.pipes[i][1]);
        }
        free(st.pipes);
    }
    double ideal = (double)st.k * (double)elapsed / ((double)st.d_us * 1000.0);
    mnb_sample(ctx, M_KEPT, 100.0 * (double)loaded / (double)base);
    mnb_ops(ctx, (double)calls);        /* counters per blocking call */
    mnb_sample(ctx, M_RATE, 100.0 * (double)calls / ideal);
    static mn_sched_stats s;        /* large: not on a G stack */
    mn_stats(&s);
    mnb_sample(ctx, M_THREADS, (double)s.threads);
    return 0;
}

const mnb_bench mnb_bench_syscall = {
    .name = "syscall",
    .summary = "K Gs blocked in system calls beside a compute G: handoff latency, compute kept, call rate",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
