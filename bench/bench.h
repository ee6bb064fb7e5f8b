/* bench.h - the contract between mnbench's runner and its benchmarks.
 *
 * A benchmark is data: a static mnb_bench with its name, summary,
 * parameters and metrics, and a function that runs one repetition inside
 * the runtime (its first G) and records what it measured. The runner owns
 * everything else: sweeps, warm-up, repetition counts, statistics, files.
 *
 * Two kinds of figures (DESIGN.md, "Harness"):
 *   MNB_SAMPLE  - one value per repetition (e.g. ns/op); statistics and
 *                 comparisons use these.
 *   MNB_LATENCY - one value per event (e.g. each spawn-to-run delay), kept
 *                 as a histogram plus raw values up to a cap.
 */
#ifndef MNBENCH_BENCH_H
#define MNBENCH_BENCH_H

#include <stdint.h>
#include <stddef.h>

typedef enum { MNB_LOWER = 0, MNB_HIGHER = 1 } mnb_better;
typedef enum { MNB_SAMPLE = 0, MNB_LATENCY = 1 } mnb_kind;

/* An integer parameter; `choices` (NULL-terminated) makes it an
 * enumeration whose value is the index of the chosen word. */
typedef struct mnb_param {
    const char *name;
    const char *unit;           /* "" when dimensionless */
    int64_t def, min, max;
    const char *help;
    const char *const *choices;
} mnb_param;

typedef struct mnb_metric {
    const char *name;           /* "ns_per_g" */
    const char *unit;           /* "ns", "ms", "ratio", "%", "bytes", ... */
    mnb_better better;
    mnb_kind kind;
    const char *help;
} mnb_metric;

typedef struct mnb_ctx mnb_ctx;  /* the runner's, opaque to benchmarks */

typedef struct mnb_bench {
    const char *name;
    const char *summary;
    const mnb_param *params;
    int nparams;
    const mnb_metric *metrics;
    int nmetrics;
    int min_procs;              /* refuse configurations with fewer Ps */
    /* One repetition, called from the runtime's main G. Records one
     * mnb_sample() per MNB_SAMPLE metric (those not recorded are missing
     * for this repetition) and any number of mnb_latency(). Returns 0, or
     * a negative errno that aborts the configuration with a message
     * (mnb_fail). */
    int (*rep)(mnb_ctx *ctx);
} mnb_bench;

/* For benchmarks: called from inside rep(). */
int64_t mnb_param_get(const mnb_ctx *ctx, const char *name);
void    mnb_sample(mnb_ctx *ctx, int metric, double value);
void    mnb_latency(mnb_ctx *ctx, int metric, double value);
int     mnb_fail(mnb_ctx *ctx, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));   /* returns err */
uint64_t mnb_now_ns(void);                        /* CLOCK_MONOTONIC */

/* The registry (bench/registry.c): every benchmark, in `list` order. */
extern const mnb_bench *const mnb_benches[];
extern const int mnb_nbenches;

extern const mnb_bench mnb_bench_spawn, mnb_bench_switch, mnb_bench_chan,
                       mnb_bench_steal, mnb_bench_skynet, mnb_bench_syscall,
                       mnb_bench_sleep, mnb_bench_preempt, mnb_bench_stw;


/* Counters */

/* The operations this repetition performed (any G may call it; calls
 * add up). With --counters, each counter is divided by it and reported
 * per operation; a benchmark that never calls it has its counters
 * reported per repetition, and labelled so ("switches/rep"). */
void    mnb_ops(mnb_ctx *ctx, double ops);

#endif
