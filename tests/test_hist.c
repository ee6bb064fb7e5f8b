/* test_hist.c - the latency histogram and raw-value reservoir
 * (bench/hist.c): bucket geometry, quantiles within one bucket, the cap. */
#include "harness_test.h"
#include "hist.h"
#include "stats.h"

#include <stdint.h>

static uint64_t rng = 88172645463325252ull;

static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every value lies in its bucket, and a bucket is at most 1/16 of its
 * lower bound wide. */
static void geometry(void)
{
    double lo, hi;

    for (int i = 0; i < 100000; i++) {
        double v = pow(10, -2 + 14 * uniform());   /* 0.01 .. 1e12 */
        int b = mnb_hist_bucket_of(v);
        mnb_hist_bounds(NULL, b, &lo, &hi);
        ASSERT_TRUE(lo <= v && v < hi);
        ASSERT_TRUE((hi - lo) / lo <= 1.0 / MNB_HIST_SUB + 1e-12);
    }
    mnb_hist_bounds(NULL, mnb_hist_bucket_of(1.0), &lo, &hi);
    ASSERT_DEQ(lo, 1.0);
    ASSERT_DEQ(hi, 1.0625);
    mnb_hist_bounds(NULL, mnb_hist_bucket_of(1000.0), &lo, &hi);
    ASSERT_DEQ(lo, 992);                           /* 512 * (1 + 15/16) */
    ASSERT_DEQ(hi, 1024);
    ASSERT_EQ(mnb_hist_bucket_of(0), 0);
    ASSERT_EQ(mnb_hist_bucket_of(-5), 0);
    ASSERT_EQ(mnb_hist_bucket_of(ldexp(1, MNB_HIST_EMAX)), MNB_HIST_NBUCKETS - 1);
    ASSERT_EQ(mnb_hist_bucket_of(1e300), MNB_HIST_NBUCKETS - 1);
}

/* 200,000 log-normal-ish latencies, raw capped at 1,000 so quantiles come
 * from buckets: each within one bucket (6.25%) of the exact one. */
static void quantiles_within_a_bucket(void)
{
    static double all[200000];
    const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
    mnb_hist h;
    mnb_latq q;

    mnb_hist_init(&h, 1000);
    for (int i = 0; i < 200000; i++) {
        all[i] = 200 * exp(1.5 * (uniform() + uniform() + uniform() - 1.5));
        mnb_hist_add(&h, all[i]);
    }
    qsort(all, 200000, sizeof all[0], cmp);
    ASSERT_TRUE(mnb_hist_truncated(&h));
    ASSERT_EQ(mnb_hist_summary(&h, &q), 0);
    ASSERT_TRUE(!q.exact);
    ASSERT_EQ(q.count, 200000);
    ASSERT_DEQ(q.min, all[0]);
    ASSERT_DEQ(q.max, all[199999]);
    for (int i = 0; i < 4; i++) {
        double exact = mnb_quantile_sorted(all, 200000, qs[i]);
        ASSERT_NEAR(mnb_hist_quantile(&h, qs[i]), exact, exact / MNB_HIST_SUB);
    }
    ASSERT_NEAR(q.p99, mnb_quantile_sorted(all, 200000, 0.99), q.p99 / MNB_HIST_SUB);
    mnb_hist_free(&h);
}

/* Past the cap raw stays full and is a sample of all events, not the
 * first ones (reservoir, not first-N). */
static void raw_cap(void)
{
    mnb_hist h;
    double sum = 0;
    int late = 0;

    mnb_hist_init(&h, 100);
    for (int i = 0; i < 10000; i++)
        mnb_hist_add(&h, i);
    ASSERT_EQ(h.count, 10000);
    ASSERT_EQ(h.nraw, 100);
    ASSERT_TRUE(mnb_hist_truncated(&h));
    for (size_t i = 0; i < h.nraw; i++) {
        ASSERT_TRUE(h.raw[i] == floor(h.raw[i]) && h.raw[i] >= 0 && h.raw[i] < 10000);
        late += h.raw[i] >= 100;
        sum += h.raw[i];
    }
    ASSERT_LE(90, late);
    /* Mean of a uniform sample of 0..9999: 4999.5 +- 289 (sd of the mean). */
    ASSERT_NEAR(sum / 100, 4999.5, 1200);
    mnb_hist_free(&h);
}

/* Up to the cap every value is kept and quantiles are exact; one more and
 * they come from the histogram. */
static void exact_until_cap(void)
{
    mnb_hist h;
    mnb_latq q;

    mnb_hist_init(&h, MNB_RAW_CAP);
    for (int i = 1; i <= 100; i++)
        mnb_hist_add(&h, i);
    mnb_hist_summary(&h, &q);
    ASSERT_TRUE(q.exact);
    ASSERT_DEQ(q.p50, 50.5);
    ASSERT_NEAR(q.p90, 90.1, 1e-9);
    ASSERT_NEAR(q.p99, 99.01, 1e-9);
    ASSERT_NEAR(q.p999, 99.901, 1e-9);
    ASSERT_DEQ(q.max, 100);
    ASSERT_DEQ(q.mean, 50.5);
    ASSERT_NEAR(q.stddev, sqrt(101.0 * 100 / 12), 1e-9);  /* n(n+1)/12 for 1..n */
    for (int i = 100; i < MNB_RAW_CAP; i++)
        mnb_hist_add(&h, 7);
    ASSERT_EQ(h.nraw, MNB_RAW_CAP);
    ASSERT_TRUE(!mnb_hist_truncated(&h));
    mnb_hist_add(&h, 7);
    ASSERT_TRUE(mnb_hist_truncated(&h));
    mnb_hist_summary(&h, &q);
    ASSERT_TRUE(!q.exact);
    ASSERT_NEAR(q.p50, 7, 7.0 / MNB_HIST_SUB);
    mnb_hist_free(&h);
}

static void empty(void)
{
    mnb_hist h;
    mnb_latq q;

    mnb_hist_init(&h, 10);
    ASSERT_EQ(mnb_hist_summary(&h, &q), 0);
    ASSERT_EQ(q.count, 0);
    ASSERT_NAN(q.p50);
    ASSERT_NAN(mnb_hist_quantile(&h, 0.5));
}

MNT_MAIN(CASE(geometry), CASE(quantiles_within_a_bucket), CASE(raw_cap),
         CASE(exact_until_cap), CASE(empty))
