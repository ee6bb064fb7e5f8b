/* hist.h - event latencies: a log-linear histogram plus raw values.
 *
 * Buckets (HDR-like, in the metric's own unit): each power of two
 * [2^e, 2^(e+1)) for MNB_HIST_EMIN <= e < MNB_HIST_EMAX is split into 16
 * equal sub-buckets, so a bucket is at most 1/16 = 6.25% of its lower
 * bound wide. For nanoseconds that spans ~1 ps to 2^40 ns (~18 min); for
 * microseconds 1 ns to ~35 years. Bucket 0 holds everything below
 * 2^MNB_HIST_EMIN (zero and negative values too), the last bucket
 * everything from 2^MNB_HIST_EMAX up; their outer bounds are the exact
 * minimum and maximum, which are kept separately.
 *
 * Raw values: the first `raw_cap` events are all kept; past that, raw is a
 * uniform random sample of every event so far (reservoir sampling,
 * Vitter's Algorithm R, fixed seed so runs are reproducible).
 * Quantiles are exact (definition 7, as in stats.h) while every value is
 * kept, and from the histogram (within one bucket) once some were dropped.
 */
#ifndef MNBENCH_HIST_H
#define MNBENCH_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MNB_HIST_SUB 16
#define MNB_HIST_EMIN (-10)
#define MNB_HIST_EMAX 40
#define MNB_HIST_NBUCKETS ((MNB_HIST_EMAX - MNB_HIST_EMIN) * MNB_HIST_SUB + 2)
#define MNB_RAW_CAP 100000

typedef struct mnb_hist {
    uint64_t count;
    double min, max;
    double mean, m2;            /* Welford's running moments */
    uint64_t buckets[MNB_HIST_NBUCKETS];
    double *raw;
    size_t nraw, raw_alloc, raw_cap;
    uint64_t rng;               /* xorshift64* state for the reservoir */
} mnb_hist;

/* Quantiles and moments of everything added. */
typedef struct mnb_latq {
    uint64_t count;
    bool exact;                 /* quantiles from raw values, not buckets */
    double min, mean, stddev, p50, p90, p99, p999, max;
} mnb_latq;

void mnb_hist_init(mnb_hist *h, size_t raw_cap);
void mnb_hist_free(mnb_hist *h);

/* Adds one value (not NaN). Allocates only when raw grows. 0, or -ENOMEM
 * (the value still counts in the histogram). */
int  mnb_hist_add(mnb_hist *h, double v);

int  mnb_hist_bucket_of(double v);
/* Bounds of bucket b as [lo, hi); for the two open-ended buckets, the
 * histogram's min or max (pass NULL for the pure bucket geometry: -inf,
 * +inf). */
void mnb_hist_bounds(const mnb_hist *h, int b, double *lo, double *hi);

/* The q-quantile estimated from the buckets alone (interpolating within
 * the bucket that holds rank q(count-1)); NaN when empty. */
double mnb_hist_quantile(const mnb_hist *h, double q);

bool mnb_hist_truncated(const mnb_hist *h);
int  mnb_hist_summary(const mnb_hist *h, mnb_latq *out);   /* 0, or -ENOMEM */

#endif
