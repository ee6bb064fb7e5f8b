/* chan.c - one handoff over an unbuffered channel: two Gs ping-pong,
 * first held on the same P, then (with two Ps or more) on two Ps. */
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "n", "", 200000, 1000, 100000000, "round trips per repetition", NULL },
};
enum { M_SAME, M_CROSS };
static const mnb_metric metrics[] = {
    [M_SAME]  = { "ns_per_handoff_same_p", "ns", MNB_LOWER, MNB_SAMPLE,
                  "one-way handoff, both Gs held on one P (MN_NOMIGRATE)" },
    [M_CROSS] = { "ns_per_handoff_two_p", "ns", MNB_LOWER, MNB_SAMPLE,
                  "one-way handoff, the Gs held on two Ps (needs procs >= 2)" },
};

struct pair {
    mn_chan_t *ping, *pong;
    int64_t n;
    mn_wg_t wg;
    uint64_t t0, t1;
};

static void ponger(void *arg)
{
    struct pair *pr = arg;
    int64_t v;
    for (int64_t i = 0; i < pr->n; i++) {
        mn_chan_recv(pr->ping, &v);
        mn_chan_send(pr->pong, &v);
    }
    mn_wg_done(&pr->wg);
}

static void pinger(void *arg)
{
    struct pair *pr = arg;
    int64_t v = 0;
    pr->t0 = mnb_now_ns();
    for (int64_t i = 0; i < pr->n; i++) {
        mn_chan_send(pr->ping, &v);
        mn_chan_recv(pr->pong, &v);
    }
    pr->t1 = mnb_now_ns();
    mn_wg_done(&pr->wg);
}

/* ns per one-way handoff with the pinger on P a and the ponger on P b. */
static int measure(mnb_ctx *ctx, int a, int b, int64_t n, double *out)
{
    struct pair pr = { .n = n };
    pr.ping = mn_chan_make(sizeof(int64_t), 0);
    pr.pong = mn_chan_make(sizeof(int64_t), 0);
    if (!pr.ping || !pr.pong) {
        mn_chan_free(pr.ping);
        mn_chan_free(pr.pong);
        return mnb_fail(ctx, -12, "mn_chan_make: out of memory");
    }
    mn_wg_init(&pr.wg);
    mn_wg_add(&pr.wg, 2);
    int err = mn_spawn_on(b, MN_NOMIGRATE, ponger, &pr);
    if (!err)
        err = mn_spawn_on(a, MN_NOMIGRATE, pinger, &pr);
    if (err)
        return mnb_fail(ctx, err, "mn_spawn_on: %s", mn_strerror(err));
    mn_wg_wait(&pr.wg);
    mn_chan_free(pr.ping);
    mn_chan_free(pr.pong);
    *out = (double)(pr.t1 - pr.t0) / (double)(2 * n);
    return 0;
}

static int rep(mnb_ctx *ctx)
{
    int64_t n = mnb_param_get(ctx, "n");
    double ns;
    int err = measure(ctx, 0, 0, n, &ns);
    if (err)
        return err;
    mnb_sample(ctx, M_SAME, ns);
    mnb_ops(ctx, (double)(2 * n));      /* counters per handoff, both rows together */
    if (mn_nprocs() >= 2) {
        if ((err = measure(ctx, 0, 1, n, &ns)))
            return err;
        mnb_sample(ctx, M_CROSS, ns);
        mnb_ops(ctx, (double)(2 * n));
    }
    return 0;
}

const mnb_bench mnb_bench_chan = {
    .name = "chan",
    .summary = "unbuffered channel ping-pong: ns per handoff on one P and across two",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
