/* skynet.c - the skynet tree: 1,000,000 leaves, 10 children per node,
 * each node a G that sums its children's numbers over a channel. Checks
 * the sum (499999500000 for a million leaves) and reports the time per
 * run and the peak resident memory of the run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "mnsched.h"

static const mnb_param params[] = {
    { "leaves", "", 1000000, 10, 100000000, "leaves of the tree (a power of the fan-out)", NULL },
    { "div", "", 10, 2, 100, "children per node", NULL },
};
enum { M_MS, M_RSS };
static const mnb_metric metrics[] = {
    [M_MS]  = { "ms_per_run", "ms", MNB_LOWER, MNB_SAMPLE, "one whole tree, spawn to sum" },
    [M_RSS] = { "peak_rss", "MiB", MNB_LOWER, MNB_SAMPLE,
                "peak resident memory during the run (VmHWM after a reset)" },
};

struct node {
    int64_t num, size, div;
    mn_chan_t *out;
};

static void skynet(void *arg)
{
    struct node self = *(struct node *)arg;   /* the parent's copy may go */
    if (self.size == 1) {
        mn_chan_send(self.out, &self.num);
        return;
    }
    struct node kids[self.div];
    mn_chan_t *c = mn_chan_make(sizeof(int64_t), (size_t)self.div);
    if (!c) {
        fprintf(stderr, "skynet: out of memory\n");
        abort();
    }
    int64_t sub = self.size / self.div;
    for (int64_t i = 0; i < self.div; i++) {
        kids[i] = (struct node){ self.num + i * sub, sub, self.div, c };
        if (mn_spawn(skynet, &kids[i])) {
            fprintf(stderr, "skynet: mn_spawn failed\n");
            abort();
        }
    }
    int64_t sum = 0, v;
    for (int64_t i = 0; i < self.div; i++) {
        mn_chan_recv(c, &v);
        sum += v;
    }
    mn_chan_free(c);
    mn_chan_send(self.out, &sum);
}

/* Resets the kernel's peak-RSS mark (Linux 4.0+), so each run has its own. */
static void reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd >= 0) {
        (void)!write(fd, "5", 1);
        close(fd);
    }
}

static double peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    double kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = atof(line + 6);
    fclose(f);
    return kib / 1024.0;
}

static int rep(mnb_ctx *ctx)
{
    int64_t leaves = mnb_param_get(ctx, "leaves"), div = mnb_param_get(ctx, "div");
    int64_t size = 1;
    while (size < leaves)
        size *= div;
    if (size != leaves)
        return mnb_fail(ctx, -22, "skynet: leaves=%lld is not a power of div=%lld",
                        (long long)leaves, (long long)div);
    reset_peak_rss();
    mn_chan_t *out = mn_chan_make(sizeof(int64_t), 1);
    struct node root = { 0, leaves, div, out };
    uint64_t t0 = mnb_now_ns();
    if (mn_spawn(skynet, &root))
        return mnb_fail(ctx, -12, "skynet: mn_spawn failed");
    int64_t sum;
    mn_chan_recv(out, &sum);
    uint64_t t1 = mnb_now_ns();
    mn_chan_free(out);
    int64_t want = leaves * (leaves - 1) / 2;
    if (sum != want)
        return mnb_fail(ctx, -5, "skynet: sum %lld, expected %lld", (long long)sum, (long long)want);
    mnb_sample(ctx, M_MS, (double)(t1 - t0) / 1e6);
    mnb_ops(ctx, 1);            /* counters per tree */
    double rss = peak_rss_mib();
    if (rss >= 0)
        mnb_sample(ctx, M_RSS, rss);
    return 0;
}

const mnb_bench mnb_bench_skynet = {
    .name = "skynet",
    .summary = "the 1,000,000-leaf skynet tree of Gs summing over channels: ms per run, peak RSS",
    .params = params, .nparams = sizeof params / sizeof params[0],
    .metrics = metrics, .nmetrics = sizeof metrics / sizeof metrics[0],
    .rep = rep,
};
