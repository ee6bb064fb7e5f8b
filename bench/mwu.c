/* mwu.c - the Mann-Whitney U test: U from average ranks, the exact null
 * distribution for small samples without ties, the normal approximation
 * with tie and continuity corrections otherwise (which and why: mwu.h). */
#include "mwu.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Counts of orderings by U: f(i, j) is the distribution for i x values and
 * j y values; placing the largest value last, it is an x (above all j y
 * values: U grows by j) or a y (U unchanged):
 *     f(i, j)[u] = f(i-1, j)[u - j] + f(i, j-1)[u]
 * with f(0, j) = f(i, 0) = [1]. Counts reach C(98, 49) ~ 2.5e28 at most,
 * far inside a double's range; only additions, so no cancellation. The
 * result, f(nx, ny), has nx * ny + 1 entries (malloc'd), or NULL. */
static double *u_counts(size_t nx, size_t ny)
{
    size_t len = nx * ny + 1;
    double *prev = calloc((ny + 1) * len, sizeof *prev);
    double *cur = calloc((ny + 1) * len, sizeof *cur);
    double *out = NULL;

    if (!prev || !cur)
        goto done;
    for (size_t j = 0; j <= ny; j++)
        prev[j * len] = 1;                          /* f(0, j) */
    for (size_t i = 1; i <= nx; i++) {
        memset(cur, 0, (ny + 1) * len * sizeof *cur);
        cur[0] = 1;                                 /* f(i, 0) */
        for (size_t j = 1; j <= ny; j++) {
            double *c = cur + j * len, *left = cur + (j - 1) * len, *up = prev + j * len;
            for (size_t u = 0; u <= i * j; u++) {
                double v = u <= i * (j - 1) ? left[u] : 0;
                if (u >= j && u - j <= (i - 1) * j)
                    v += up[u - j];
                c[u] = v;
            }
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    if ((out = malloc(len * sizeof *out)))
        memcpy(out, prev + ny * len, len * sizeof *out);
done:
    free(prev);
    free(cur);
    return out;
}

double mnb_mwu_cdf(size_t nx, size_t ny, long u)
{
    double *f, below = 0, total = 0;

    if (nx >= MNB_MWU_EXACT_MAX || ny >= MNB_MWU_EXACT_MAX || !(f = u_counts(nx, ny)))
        return NAN;
    for (size_t k = 0; k <= nx * ny; k++) {
        total += f[k];
        if ((long)k <= u)
            below += f[k];
    }
    free(f);
    return below / total;
}

typedef struct {
    double v;
    int side;                   /* 0: x, 1: y */
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    double x = ((const tagged *)a)->v, y = ((const tagged *)b)->v;
    return (x > y) - (x < y);
}

/* Two-sided p of the exact test: U's distribution is symmetric about
 * nx ny / 2, so the smaller tail doubled. */
static double exact_p(size_t nx, size_t ny, double u)
{
    double *f = u_counts(nx, ny), lo = 0, hi = 0, total = 0, p;

    if (!f)
        return NAN;
    for (size_t k = 0; k <= nx * ny; k++) {
        total += f[k];
        lo += (double)k <= u ? f[k] : 0;
        hi += (double)k >= u ? f[k] : 0;
    }
    free(f);
    p = 2 * (lo < hi ? lo : hi) / total;
    return p < 1 ? p : 1;
}

int mnb_mwu_test(const double *x, size_t nx, const double *y, size_t ny, mnb_mwu *out)
{
    size_t n = nx + ny, i = 0;
    double rank_x = 0, ties = 0, mean, sigma, z;
    tagged *t;

    *out = (mnb_mwu){ .u = NAN, .p = NAN };
    if (nx == 0 || ny == 0)
        return -EINVAL;
    if (!(t = malloc(n * sizeof *t)))
        return -ENOMEM;
    for (size_t k = 0; k < nx; k++)
        t[k] = (tagged){ x[k], 0 };
    for (size_t k = 0; k < ny; k++)
        t[nx + k] = (tagged){ y[k], 1 };
    qsort(t, n, sizeof *t, cmp_tagged);
    /* Average ranks (1-based) over each run of equal values. */
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v)
            j++;
        double r = (double)(i + j + 2) / 2, g = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (t[k].side == 0)
                rank_x += r;
        ties += g * g * g - g;
        i = j + 1;
    }
    free(t);
    out->u = rank_x - (double)nx * (double)(nx + 1) / 2;
    out->ties = ties > 0;
    if (!out->ties && nx < MNB_MWU_EXACT_MAX && ny < MNB_MWU_EXACT_MAX) {
        out->exact = true;
        out->p = exact_p(nx, ny, out->u);
        return isnan(out->p) ? -ENOMEM : 0;
    }
    mean = (double)nx * (double)ny / 2;
    sigma = sqrt((double)nx * (double)ny / 12 *
                 ((double)(n + 1) - ties / ((double)n * (double)(n - 1))));
    if (sigma == 0) {
        out->p = 1;
        return 0;
    }
    z = out->u - mean;
    z = (z - (z > 0 ? 0.5 : z < 0 ? -0.5 : 0)) / sigma;
    out->p = erfc(fabs(z) / M_SQRT2);       /* 2 (1 - Phi(|z|)) */
    if (out->p > 1)
        out->p = 1;
    return 0;
}
