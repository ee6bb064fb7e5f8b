/* hist.c - the log-linear latency histogram and its raw-value reservoir
 * (layout and guarantees in hist.h). */
#include "hist.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAST_BUCKET (MNB_HIST_NBUCKETS - 1)

void mnb_hist_init(mnb_hist *h, size_t raw_cap)
{
    memset(h, 0, sizeof *h);
    h->min = INFINITY;
    h->max = -INFINITY;
    h->raw_cap = raw_cap;
    h->rng = 0x9e3779b97f4a7c15ull;
}

void mnb_hist_free(mnb_hist *h)
{
    free(h->raw);
    h->raw = NULL;
    h->nraw = h->raw_alloc = 0;
}

int mnb_hist_bucket_of(double v)
{
    int e;
    double m;

    if (!(v >= ldexp(1, MNB_HIST_EMIN)))
        return 0;
    if (v >= ldexp(1, MNB_HIST_EMAX))
        return LAST_BUCKET;
    m = frexp(v, &e);           /* v = m 2^e, m in [0.5, 1) */
    return 1 + (e - 1 - MNB_HIST_EMIN) * MNB_HIST_SUB +
           (int)((2 * m - 1) * MNB_HIST_SUB);
}

void mnb_hist_bounds(const mnb_hist *h, int b, double *lo, double *hi)
{
    int e = MNB_HIST_EMIN + (b - 1) / MNB_HIST_SUB, s = (b - 1) % MNB_HIST_SUB;

    if (b == 0) {
        *lo = h ? h->min : -INFINITY;
        *hi = ldexp(1, MNB_HIST_EMIN);
    } else if (b == LAST_BUCKET) {
        *lo = ldexp(1, MNB_HIST_EMAX);
        *hi = h ? h->max : INFINITY;
    } else {
        *lo = ldexp(1 + (double)s / MNB_HIST_SUB, e);
        *hi = ldexp(1 + (double)(s + 1) / MNB_HIST_SUB, e);
    }
}

static uint64_t xorshift64s(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Algorithm R: event number i (0-based) replaces a random slot with
 * probability cap/(i+1), which keeps raw a uniform sample of all events. */
static int keep_raw(mnb_hist *h, double v)
{
    uint64_t slot;

    if (h->nraw < h->raw_cap) {
        if (h->nraw == h->raw_alloc) {
            size_t n = h->raw_alloc ? 2 * h->raw_alloc : 1024;
            double *p;
            if (n > h->raw_cap)
                n = h->raw_cap;
            if (!(p = realloc(h->raw, n * sizeof *p)))
                return -ENOMEM;
            h->raw = p;
            h->raw_alloc = n;
        }
        h->raw[h->nraw++] = v;
        return 0;
    }
    slot = xorshift64s(&h->rng) % (h->count);   /* count already includes v */
    if (slot < h->raw_cap)
        h->raw[slot] = v;
    return 0;
}

int mnb_hist_add(mnb_hist *h, double v)
{
    double delta = v - h->mean;

    h->count++;
    h->mean += delta / (double)h->count;
    h->m2 += delta * (v - h->mean);
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->buckets[mnb_hist_bucket_of(v)]++;
    return keep_raw(h, v);
}

bool mnb_hist_truncated(const mnb_hist *h)
{
    return h->count > h->nraw;
}

double mnb_hist_quantile(const mnb_hist *h, double q)
{
    double rank, lo, hi, v;
    uint64_t below = 0;

    if (h->count == 0)
        return NAN;
    rank = q * (double)(h->count - 1);
    for (int b = 0; b < MNB_HIST_NBUCKETS; b++) {
        uint64_t c = h->buckets[b];
        if (c == 0 || (double)(below + c) <= rank) {
            below += c;
            continue;
        }
        /* The c values of this bucket are taken as evenly spread: the
         * r-th of them sits at (r + 1/2)/c of the way through. */
        mnb_hist_bounds(h, b, &lo, &hi);
        v = lo + (rank - (double)below + 0.5) / (double)c * (hi - lo);
        return fmin(fmax(v, h->min), h->max);
    }
    return h->max;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int mnb_hist_summary(const mnb_hist *h, mnb_latq *out)
{
    *out = (mnb_latq){ .count = h->count, .min = NAN, .mean = NAN,
                       .stddev = NAN, .p50 = NAN, .p90 = NAN, .p99 = NAN,
                       .p999 = NAN, .max = NAN };
    if (h->count == 0)
        return 0;
    out->min = h->min;
    out->max = h->max;
    out->mean = h->mean;
    out->stddev = h->count > 1 ? sqrt(h->m2 / (double)(h->count - 1)) : NAN;
    out->exact = !mnb_hist_truncated(h);
    if (out->exact) {
        double *v = malloc(h->nraw * sizeof *v);
        if (!v)
            return -ENOMEM;
        memcpy(v, h->raw, h->nraw * sizeof *v);
        qsort(v, h->nraw, sizeof *v, cmp_double);
        out->p50 = mnb_quantile_sorted(v, h->nraw, 0.50);
        out->p90 = mnb_quantile_sorted(v, h->nraw, 0.90);
        out->p99 = mnb_quantile_sorted(v, h->nraw, 0.99);
        out->p999 = mnb_quantile_sorted(v, h->nraw, 0.999);
        free(v);
        return 0;
    }
    out->p50 = mnb_hist_quantile(h, 0.50);
    out->p90 = mnb_hist_quantile(h, 0.90);
    out->p99 = mnb_hist_quantile(h, 0.99);
    out->p999 = mnb_hist_quantile(h, 0.999);
    return 0;
}
