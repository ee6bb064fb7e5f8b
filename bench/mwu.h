/* mwu.h - the Mann-Whitney U test (Wilcoxon rank-sum), two-sided, for two
 * independent samples of repetition figures.
 *
 * U counts the pairs (x_i, y_j) with x_i > y_j, ties counting one half.
 * Which p-value:
 *
 *   - exact, when both samples have fewer than 50 values and no value
 *     occurs twice in the pooled sample: the null distribution of U is
 *     enumerated (the number of orderings of the pooled sample giving each
 *     U), and p = min(1, 2 min(P(U <= u), P(U >= u)));
 *   - otherwise the normal approximation: mean n1 n2 / 2, variance
 *     n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))) over the tie
 *     groups t, with a continuity correction of 1/2 towards the mean.
 *
 * These are R's wilcox.test(x, y) defaults (exact = NULL, correct = TRUE),
 * so its p-values can be checked there. When every value is the same
 * (variance 0) there is no evidence of a difference: p = 1.
 */
#ifndef MNBENCH_MWU_H
#define MNBENCH_MWU_H

#include <stdbool.h>
#include <stddef.h>

#define MNB_MWU_EXACT_MAX 50    /* exact below this many values per side */

typedef struct mnb_mwu {
    double u;                   /* U of x: pairs x > y, ties one half */
    double p;                   /* two-sided */
    bool exact;                 /* enumerated; false: normal approximation */
    bool ties;                  /* some value occurs more than once */
} mnb_mwu;

/* x[0..nx-1] against y[0..ny-1], finite values in any order (neither is
 * modified). 0, -EINVAL when a side is empty, or -ENOMEM. */
int mnb_mwu_test(const double *x, size_t nx, const double *y, size_t ny, mnb_mwu *out);

/* P(U <= u) for samples of nx and ny values without ties (u an integer
 * from 0 to nx * ny). NaN beyond MNB_MWU_EXACT_MAX or without memory. */
double mnb_mwu_cdf(size_t nx, size_t ny, long u);

#endif
