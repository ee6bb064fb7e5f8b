/* stats.h - statistics of repetition samples.
 *
 * Quantiles use linear interpolation between order statistics, Hyndman
 * and Fan's definition 7 (R's default, numpy's "linear"): for sorted
 * x[0..n-1], h = (n-1)q and Q(q) = x[floor h] + (h - floor h) *
 * (x[floor h + 1] - x[floor h]). The median is Q(0.5).
 *
 * The median's 95% confidence interval comes from order statistics, with no
 * assumption about the distribution: the number of samples below the true
 * median is Binomial(n, 1/2), so [x(j), x(k)] (1-based ranks, k = n+1-j)
 * covers it with probability P(j <= B <= k-1) = 1 - 2 P(B <= j-1). j is the
 * largest rank whose coverage is still >= 95%, from the exact binomial
 * distribution. For n < 6 even [x(1), x(n)] covers less than 95%
 * (1 - 2^(1-n) = 93.75% at n = 5), so there is no interval: NaN.
 *
 * Missing figures are NaN: n = 0 gives NaN everywhere, n = 1 no stddev.
 */
#ifndef MNBENCH_STATS_H
#define MNBENCH_STATS_H

#include <stddef.h>

typedef struct mnb_stats {
    size_t n;                   /* values used (NaN inputs are skipped) */
    double min, median, mean, max;
    double stddev;              /* sample standard deviation (n - 1) */
    double cv;                  /* stddev / mean */
    double p90, p99;
    double ci_lo, ci_hi;        /* the median's 95% CI; NaN when n < 6 */
} mnb_stats;

/* Q(q) of sorted x (definition 7 above); NaN when n = 0. */
double mnb_quantile_sorted(const double *x, size_t n, double q);

/* 1-based ranks [j, k] of the order-statistic CI for the median at the
 * given level (0.95); 0, or -1 when n is too small for that level. */
int mnb_median_ci_ranks(size_t n, double level, size_t *j, size_t *k);

/* P(B <= i) for B ~ Binomial(n, 1/2), exact up to double rounding. */
double mnb_binom_half_cdf(size_t n, size_t i);

/* Everything above for x[0..n-1] in any order; x is not modified. Returns
 * 0, or -ENOMEM. */
int mnb_stats_compute(const double *x, size_t n, mnb_stats *out);

#endif
