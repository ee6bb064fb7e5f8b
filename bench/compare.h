/* compare.h - `mnbench compare`: benchstat-style tables of runs, or of the
 * configurations of runs grouped by a setting.
 *
 * Sides: each run given (mnbench compare A B C), or each value of one axis
 * over the pooled configurations (mnbench compare RUN... --by placement).
 * Rows: a benchmark, a configuration key and a sample metric; the key is
 * the values of the axes that tell configurations apart within a side (in
 * run mode: the axes that vary inside some run; with --by: the axes other
 * than the --by one that vary at all), so that settings which differ only
 * between the sides are what is compared.
 *
 * For each row and side: the median of the repetition samples with its
 * 95% CI (stats.h); for each side after the first, the change of the
 * median against the first side in %, and the Mann-Whitney U p-value
 * (mwu.h: exact without ties below 50 values a side, normal approximation
 * with tie correction otherwise). `~` marks a change not significant at
 * alpha; with fewer than MNB_CMP_MIN_N samples on a side there is no test
 * (even fully separated samples of 3 and 3 give p = 0.1). A last row
 * holds the geometric means over the rows every side has, with positive
 * medians.
 */
#ifndef MNBENCH_COMPARE_H
#define MNBENCH_COMPARE_H

#include <stdbool.h>
#include <stdio.h>

#include "runjson.h"
#include "stats.h"

#define MNB_CMP_MIN_N 4         /* samples per side below which there is no test */

typedef enum {
    MNB_CMP_MISSING,            /* a side has no samples for the row */
    MNB_CMP_FEW,                /* fewer than MNB_CMP_MIN_N on a side: no test */
    MNB_CMP_SAME,               /* p >= alpha: shown as ~ */
    MNB_CMP_DIFF,               /* p < alpha */
} mnb_cmp_verdict;

typedef struct mnb_cmp_cell {
    double *x;                  /* finite samples (malloc'd), NULL when missing */
    size_t n;
    mnb_stats st;
    /* Against side 0 (sides > 0 only): */
    double delta;               /* (median - base) / |base|, NaN when undefined */
    double p;                   /* NaN: no test */
    bool exact;
    mnb_cmp_verdict verdict;
} mnb_cmp_cell;

typedef struct mnb_cmp_row {
    const char *bench, *metric, *unit;
    char *label;                /* bench[/axis:value...] */
    bool higher;                /* higher is better */
    mnb_cmp_cell *cells;        /* one per side */
} mnb_cmp_row;

typedef struct mnb_cmp {
    double alpha;
    const char *by;             /* the --by axis, or NULL for runs */
    int nsides;
    char **sides;               /* column names: A, B... or the axis values */
    char **side_desc;           /* what each side is: the run folder, or axis=value */
    mnb_cmp_row *rows;
    int nrows;
    /* Geometric means over the rows with a positive median on every side
     * (ngeo of them): per side, and each side's ratio to side 0 - 1. */
    int ngeo;
    double *geo, *geo_delta;
    char **notes;               /* rows left out, duplicates (one line each) */
    int nnotes;
} mnb_cmp;

typedef enum { MNB_CMPF_TEXT, MNB_CMPF_CSV, MNB_CMPF_JSON, MNB_CMPF_MD } mnb_cmp_format;

/* Builds the comparison of the set's runs (by NULL) or of the values of
 * axis `by`. 0, or -1 with one line in err (an unknown axis, one side
 * only, nothing in common). */
int mnb_cmp_build(const mnb_set *s, const char *by, double alpha, mnb_cmp *out,
                  char *err, size_t len);
void mnb_cmp_free(mnb_cmp *c);

void mnb_cmp_print(FILE *f, const mnb_cmp *c, mnb_cmp_format fmt);

/* "+1.73%", "~", "?" and the p column's text of cell k (> 0) of row r. */
void mnb_cmp_delta_text(const mnb_cmp *c, const mnb_cmp_row *r, int k, char *buf, size_t len);
void mnb_cmp_p_text(const mnb_cmp *c, const mnb_cmp_row *r, int k, char *buf, size_t len);
/* "7.384 ±0.5%" (±∞ without a CI), "-" when missing. */
void mnb_cmp_value_text(const mnb_cmp_cell *cell, char *buf, size_t len);

/* The table as the text format shows it, as strings: *cells holds
 * nrows x ncols (malloc'd each), the header first, the geometric-mean row
 * last when there is one. Returns nrows; mnb_cmp_cells_free frees. */
int mnb_cmp_cells(const mnb_cmp *c, char ***cells, int *ncols);
void mnb_cmp_cells_free(char **cells, int n);

/* A number with 4 significant digits, as the console shows them. */
void mnb_fmt_sig(double v, char *buf, size_t len);

/* The axes worth comparing by in the set: those that vary among some
 * benchmark's configurations. Returns the count (at most max). */
int mnb_cmp_axes(const mnb_set *s, mnb_axis *axes, int max);

/* mnbench compare ARGS (argv[0] is "compare"); returns the exit status. */
int mnb_compare_cmd(int argc, char **argv);

#endif
