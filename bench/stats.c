/* stats.c - order statistics, moments and the median's confidence
 * interval for repetition samples (definitions in stats.h). */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double mnb_quantile_sorted(const double *x, size_t n, double q)
{
    double h, lo;
    size_t i;

    if (n == 0)
        return NAN;
    h = (double)(n - 1) * q;
    lo = floor(h);
    i = (size_t)lo;
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (h - lo) * (x[i + 1] - x[i]);
}

/* log P(B = i): lgamma keeps this finite for any n (2^-n underflows past
 * n = 1074, and repetition counts can be that large). */
static double binom_half_logpmf(size_t n, size_t i)
{
    return lgamma((double)n + 1) - lgamma((double)i + 1) -
           lgamma((double)(n - i) + 1) - (double)n * M_LN2;
}

double mnb_binom_half_cdf(size_t n, size_t i)
{
    double sum = 0;

    if (i >= n)
        return 1;
    for (size_t r = 0; r <= i; r++)
        sum += exp(binom_half_logpmf(n, r));
    return sum < 1 ? sum : 1;
}

int mnb_median_ci_ranks(size_t n, double level, size_t *j, size_t *k)
{
    double below;               /* P(B <= r - 1) for the candidate rank r */
    size_t r = 1;

    if (n == 0)
        return -1;
    below = exp(binom_half_logpmf(n, 0));
    if (1 - 2 * below < level)
        return -1;
    /* Coverage of rank r + 1 is 1 - 2 P(B <= r); move inward while it
     * still reaches the level (and the interval keeps j < k). */
    while (r + 1 < n + 1 - (r + 1)) {
        below += exp(binom_half_logpmf(n, r));
        if (1 - 2 * below < level)
            break;
        r++;
    }
    *j = r;
    *k = n + 1 - r;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean and sample stddev in two passes over sorted values: exact enough
 * for ns figures spanning a few decades, and n is small. */
static void moments(const double *x, size_t n, mnb_stats *s)
{
    double sum = 0, ss = 0;

    for (size_t i = 0; i < n; i++)
        sum += x[i];
    s->mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - s->mean) * (x[i] - s->mean);
    s->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    s->cv = n > 1 && s->mean != 0 ? s->stddev / fabs(s->mean) : NAN;
}

int mnb_stats_compute(const double *x, size_t n, mnb_stats *out)
{
    double *v;
    size_t m = 0, j, k;

    *out = (mnb_stats){ 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
    if (n == 0)
        return 0;
    if (!(v = malloc(n * sizeof *v)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            v[m++] = x[i];
    out->n = m;
    if (m > 0) {
        qsort(v, m, sizeof *v, cmp_double);
        out->min = v[0];
        out->max = v[m - 1];
        out->median = mnb_quantile_sorted(v, m, 0.5);
        out->p90 = mnb_quantile_sorted(v, m, 0.90);
        out->p99 = mnb_quantile_sorted(v, m, 0.99);
        moments(v, m, out);
        if (mnb_median_ci_ranks(m, 0.95, &j, &k) == 0) {
            out->ci_lo = v[j - 1];
            out->ci_hi = v[k - 1];
        }
    }
    free(v);
    return 0;
}
