/* test_stats.c - statistics of repetition samples (bench/stats.c) against
 * answers computed by hand and against the exact binomial distribution. */
#include "harness_test.h"
#include "stats.h"

#include <stdint.h>

/* Definition 7: h = (n-1)q, interpolate between x[floor h] and the next. */
static void quantiles_type7(void)
{
    const double x[] = { 1, 2, 3, 4 };

    ASSERT_DEQ(mnb_quantile_sorted(x, 4, 0.0), 1);
    ASSERT_DEQ(mnb_quantile_sorted(x, 4, 0.5), 2.5);
    ASSERT_NEAR(mnb_quantile_sorted(x, 4, 0.9), 3.7, 1e-12);   /* h = 2.7 */
    ASSERT_NEAR(mnb_quantile_sorted(x, 4, 0.99), 3.97, 1e-12); /* h = 2.97 */
    ASSERT_DEQ(mnb_quantile_sorted(x, 4, 1.0), 4);
    ASSERT_DEQ(mnb_quantile_sorted(x, 1, 0.5), 1);
    ASSERT_NAN(mnb_quantile_sorted(x, 0, 0.5));
}

/* The textbook set: mean 5, squared deviations sum to 32, so the sample
 * variance is 32/7. Given unsorted. */
static void moments_by_hand(void)
{
    const double x[] = { 9, 2, 5, 4, 4, 7, 4, 5 };
    mnb_stats s;

    ASSERT_EQ(mnb_stats_compute(x, 8, &s), 0);
    ASSERT_EQ(s.n, 8);
    ASSERT_DEQ(s.min, 2);
    ASSERT_DEQ(s.max, 9);
    ASSERT_DEQ(s.median, 4.5);
    ASSERT_DEQ(s.mean, 5);
    ASSERT_NEAR(s.stddev, sqrt(32.0 / 7), 1e-12);
    ASSERT_NEAR(s.cv, sqrt(32.0 / 7) / 5, 1e-12);
    ASSERT_NEAR(s.p90, 7.6, 1e-12);    /* h = 6.3: 7 + 0.3 * (9 - 7) */
    ASSERT_NEAR(s.p99, 8.86, 1e-12);   /* h = 6.93 */
    ASSERT_DEQ(x[0], 9);               /* the input is left alone */
}

/* P(B <= i) with integers: exact for n <= 62. */
static double exact_cdf(unsigned n, unsigned i)
{
    uint64_t c = 1, sum = 0;

    for (unsigned r = 0; r <= i; r++) {
        sum += c;
        c = c * (n - r) / (r + 1);
    }
    return (double)sum / (double)((uint64_t)1 << n);
}

static void binomial_cdf(void)
{
    ASSERT_NEAR(mnb_binom_half_cdf(10, 1), 11.0 / 1024, 1e-15);
    ASSERT_NEAR(mnb_binom_half_cdf(20, 5), 21700.0 / 1048576, 1e-15);
    for (unsigned n = 1; n <= 62; n++)
        for (unsigned i = 0; i <= n; i++)
            ASSERT_NEAR(mnb_binom_half_cdf(n, i), exact_cdf(n, i), 1e-12);
}

/* The ranks the issue fixes, and for every n up to 62 the defining
 * property: rank j covers >= 95%, rank j + 1 would not (or would cross). */
static void median_ci_ranks(void)
{
    size_t j, k;

    ASSERT_EQ(mnb_median_ci_ranks(10, 0.95, &j, &k), 0);
    ASSERT_EQ(j, 2);
    ASSERT_EQ(k, 9);
    ASSERT_EQ(mnb_median_ci_ranks(20, 0.95, &j, &k), 0);
    ASSERT_EQ(j, 6);
    ASSERT_EQ(k, 15);
    ASSERT_EQ(mnb_median_ci_ranks(6, 0.95, &j, &k), 0);
    ASSERT_EQ(j, 1);
    ASSERT_EQ(k, 6);
    for (size_t n = 0; n < 6; n++)
        ASSERT_EQ(mnb_median_ci_ranks(n, 0.95, &j, &k), -1);
    for (unsigned n = 6; n <= 62; n++) {
        ASSERT_EQ(mnb_median_ci_ranks(n, 0.95, &j, &k), 0);
        ASSERT_EQ(k, n + 1 - j);
        ASSERT_TRUE(1 - 2 * exact_cdf(n, (unsigned)j - 1) >= 0.95);
        ASSERT_TRUE(j + 1 >= k - 1 || 1 - 2 * exact_cdf(n, (unsigned)j) < 0.95);
    }
    /* Large n: close to the normal approximation n/2 - 1.96 sqrt(n)/2. */
    ASSERT_EQ(mnb_median_ci_ranks(1000, 0.95, &j, &k), 0);
    ASSERT_LE(468, j);
    ASSERT_LE(j, 470);
    ASSERT_EQ(mnb_median_ci_ranks(100000, 0.95, &j, &k), 0);
    ASSERT_LE(49688, j);
    ASSERT_LE(j, 49692);
}

/* CI values are the order statistics at those ranks. */
static void ci_values(void)
{
    double x[20];
    mnb_stats s;

    for (int i = 0; i < 10; i++)
        x[i] = (double)((i * 7) % 10 + 1);   /* 1..10, shuffled */
    mnb_stats_compute(x, 10, &s);
    ASSERT_DEQ(s.ci_lo, 2);
    ASSERT_DEQ(s.ci_hi, 9);
    ASSERT_DEQ(s.median, 5.5);
    for (int i = 0; i < 20; i++)
        x[i] = (double)((i * 3) % 20 + 1) * 10;  /* 10..200, shuffled */
    mnb_stats_compute(x, 20, &s);
    ASSERT_DEQ(s.ci_lo, 60);
    ASSERT_DEQ(s.ci_hi, 150);
    mnb_stats_compute(x, 5, &s);             /* too few: no interval */
    ASSERT_NAN(s.ci_lo);
    ASSERT_NAN(s.ci_hi);
}

static void small_and_missing(void)
{
    const double one[] = { 42 }, gaps[] = { NAN, 3, NAN, 1, 2 };
    mnb_stats s;

    mnb_stats_compute(one, 0, &s);
    ASSERT_EQ(s.n, 0);
    ASSERT_NAN(s.median);
    ASSERT_NAN(s.mean);
    mnb_stats_compute(one, 1, &s);
    ASSERT_EQ(s.n, 1);
    ASSERT_DEQ(s.median, 42);
    ASSERT_DEQ(s.mean, 42);
    ASSERT_NAN(s.stddev);
    ASSERT_NAN(s.cv);
    ASSERT_NAN(s.ci_lo);
    mnb_stats_compute(gaps, 5, &s);          /* NaN: a repetition that did not record */
    ASSERT_EQ(s.n, 3);
    ASSERT_DEQ(s.median, 2);
    ASSERT_DEQ(s.mean, 2);
    ASSERT_DEQ(s.stddev, 1);
}

MNT_MAIN(CASE(quantiles_type7), CASE(moments_by_hand), CASE(binomial_cdf),
         CASE(median_ci_ranks), CASE(ci_values), CASE(small_and_missing))
