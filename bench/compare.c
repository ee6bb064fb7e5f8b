/* compare.c - `mnbench compare`: sides, rows matched by configuration
 * key, medians with CIs, changes, U tests, geometric means, and the text,
 * CSV, JSON and Markdown tables (definitions in compare.h). */
#include "compare.h"
#include "cli.h"
#include "escape.h"
#include "mwu.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* --- building ---------------------------------------------------------------- */

static int err_out(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int err_out(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    mnb_one_line(err);
    return -1;
}

static char *xstrdup(const char *s)
{
    return strdup(s ? s : "");
}

static void note(mnb_cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(mnb_cmp *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mnb_one_line(buf);
    c->notes = realloc(c->notes, (size_t)(c->nnotes + 1) * sizeof *c->notes);
    c->notes[c->nnotes++] = strdup(buf);
}

static int find_str(char **v, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return i;
    return -1;
}

int mnb_cmp_axes(const mnb_set *s, mnb_axis *axes, int max)
{
    int na = 0;

    for (int b = 0; b < s->nbenches; b++) {
        mnb_axis va[64];
        int *idx, n = mnb_set_bench(s, s->benches[b], &idx);
        int k = mnb_axes_varying(s, idx, n, va, 64);
        for (int i = 0; i < k && na < max; i++) {
            int j;
            for (j = 0; j < na && !mnb_axis_eq(axes[j], va[i]); j++)
                ;
            if (j == na)
                axes[na++] = va[i];
        }
        free(idx);
    }
    return na;
}

static void axes_text(const mnb_set *s, char *buf, size_t len)
{
    mnb_axis axes[64];
    int na = mnb_cmp_axes(s, axes, 64);
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < na && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", axes[i].name);
    if (na == 0)
        snprintf(buf, len, "none: every configuration differs only by benchmark");
}

#define MAX_SIDES 32             /* columns of a table a person can read */

/* The sides, and each configuration's side. */
static int make_sides(const mnb_set *s, const char *by, mnb_axis *bya, int *side_of,
                      mnb_cmp *c, char *err, size_t len)
{
    char allowed[512], v[256];

    if (!by) {
        if (s->nruns < 2)
            return err_out(err, len, "one run; allowed: two or more run folders, or "
                           "--by SETTING to compare the configurations of a run");
        if (s->nruns > MAX_SIDES)
            return err_out(err, len, "%d runs; allowed: at most %d", s->nruns, MAX_SIDES);
        for (int r = 0; r < s->nruns; r++) {
            char name[16], desc[4200];
            snprintf(name, sizeof name, r < 26 ? "%c" : "R%d", r < 26 ? 'A' + r : r + 1);
            snprintf(desc, sizeof desc, "%s", s->runs[r].dir);
            c->sides = realloc(c->sides, (size_t)(r + 1) * sizeof *c->sides);
            c->side_desc = realloc(c->side_desc, (size_t)(r + 1) * sizeof *c->side_desc);
            c->sides[r] = strdup(name);
            c->side_desc[r] = strdup(desc);
        }
        c->nsides = s->nruns;
        for (int i = 0; i < s->ncfgs; i++)
            side_of[i] = (int)(s->cfgs[i].run - s->runs);
        return 0;
    }
    axes_text(s, allowed, sizeof allowed);
    if (!mnb_axis_find(s, by, bya))
        return err_out(err, len, "--by %s: no configuration has that setting or parameter; "
                       "allowed: %s", by, allowed);
    for (int i = 0; i < s->ncfgs; i++) {
        int k = find_str(c->sides, c->nsides, mnb_cfg_axis(&s->cfgs[i], *bya, v, sizeof v));
        if (k < 0) {
            char desc[600];
            c->sides = realloc(c->sides, (size_t)(c->nsides + 1) * sizeof *c->sides);
            c->side_desc = realloc(c->side_desc, (size_t)(c->nsides + 1) * sizeof *c->side_desc);
            snprintf(desc, sizeof desc, "%s=%s", by, v);
            c->sides[c->nsides] = strdup(v);
            c->side_desc[c->nsides] = strdup(desc);
            k = c->nsides++;
        }
        side_of[i] = k;
    }
    if (c->nsides > MAX_SIDES)
        return err_out(err, len, "--by %s: %d values; allowed: a setting with at most %d",
                       by, c->nsides, MAX_SIDES);
    if (c->nsides < 2)
        return err_out(err, len, "--by %s: every configuration has %s %s, nothing to "
                       "compare; allowed: a setting that varies (%s)", by, by, c->sides[0],
                       allowed);
    return 0;
}

/* The key axes of benchmark b: what tells its configurations apart within
 * a side. */
static int key_axes(const mnb_set *s, const char *b, const mnb_axis *bya, mnb_axis *axes,
                    int max)
{
    int *idx, n = mnb_set_bench(s, b, &idx), na = 0;
    mnb_axis va[64];

    if (bya) {
        int k = mnb_axes_varying(s, idx, n, va, 64);
        for (int i = 0; i < k && na < max; i++)
            if (!mnb_axis_eq(va[i], *bya))
                axes[na++] = va[i];
    } else {
        for (int r = 0; r < s->nruns; r++) {
            int m = 0, k;
            int *sub = malloc((size_t)(n + 1) * sizeof *sub);
            for (int i = 0; i < n; i++)
                if (s->cfgs[idx[i]].run == &s->runs[r])
                    sub[m++] = idx[i];
            k = m ? mnb_axes_varying(s, sub, m, va, 64) : 0;
            for (int i = 0; i < k; i++) {
                int j;
                for (j = 0; j < na && !mnb_axis_eq(axes[j], va[i]); j++)
                    ;
                if (j == na && na < max)
                    axes[na++] = va[i];
            }
            free(sub);
        }
    }
    free(idx);
    return na;
}

static char *key_of(const mnb_cfg *c, const mnb_axis *axes, int na)
{
    char buf[2048], v[256];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s", c->bench);

    for (int a = 0; a < na && n < sizeof buf; a++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "/%s:%s", axes[a].name,
                              mnb_cfg_axis(c, axes[a], v, sizeof v));
    return strdup(buf);
}

static void cell_test(mnb_cmp *c, const mnb_cmp_cell *base, mnb_cmp_cell *cell)
{
    mnb_mwu u;

    cell->delta = cell->p = NAN;
    if (!base->x || !cell->x) {
        cell->verdict = MNB_CMP_MISSING;
        return;
    }
    if (base->st.median != 0)
        cell->delta = (cell->st.median - base->st.median) / fabs(base->st.median);
    if (base->n < MNB_CMP_MIN_N || cell->n < MNB_CMP_MIN_N) {
        cell->verdict = MNB_CMP_FEW;
        return;
    }
    if (mnb_mwu_test(cell->x, cell->n, base->x, base->n, &u) < 0) {
        cell->verdict = MNB_CMP_FEW;
        return;
    }
    cell->p = u.p;
    cell->exact = u.exact;
    cell->verdict = u.p < c->alpha ? MNB_CMP_DIFF : MNB_CMP_SAME;
}

/* Adds the rows of one configuration key: one per sample metric that at
 * least two sides have. cfg_of[k]: the configuration of side k, or -1. */
static void add_rows(const mnb_set *s, mnb_cmp *c, const char *key, const int *cfg_of,
                     int *left_out)
{
    const char *metrics[128];
    int idx[64], n = 0, nm;

    for (int k = 0; k < c->nsides && n < 64; k++)
        if (cfg_of[k] >= 0)
            idx[n++] = cfg_of[k];
    nm = mnb_metric_names(s, idx, n, 0, metrics, 128);
    for (int m = 0; m < nm; m++) {
        mnb_cmp_row r = { .metric = metrics[m], .label = strdup(key) };
        int have = 0;
        r.cells = calloc((size_t)c->nsides, sizeof *r.cells);
        for (int k = 0; k < c->nsides; k++) {
            mnb_cmp_cell *cell = &r.cells[k];
            const mnb_cfg *cfg = cfg_of[k] >= 0 ? &s->cfgs[cfg_of[k]] : NULL;
            if (!cfg || !(cell->n = mnb_cfg_values(cfg, metrics[m], false, &cell->x)))
                continue;
            mnb_stats_compute(cell->x, cell->n, &cell->st);
            if (!r.bench) {
                r.bench = cfg->bench;
                r.unit = mnb_cfg_unit(cfg, metrics[m], false);
                r.higher = mnb_cfg_higher(cfg, metrics[m], false);
            }
            have++;
        }
        if (have < 2) {
            for (int k = 0; k < c->nsides; k++)
                free(r.cells[k].x);
            free(r.cells);
            free(r.label);
            ++*left_out;
            continue;
        }
        for (int k = 1; k < c->nsides; k++)
            cell_test(c, &r.cells[0], &r.cells[k]);
        c->rows = realloc(c->rows, (size_t)(c->nrows + 1) * sizeof *c->rows);
        c->rows[c->nrows++] = r;
    }
}

static void geomeans(mnb_cmp *c)
{
    double *sum = calloc((size_t)c->nsides, sizeof *sum);

    c->geo = calloc((size_t)c->nsides, sizeof *c->geo);
    c->geo_delta = calloc((size_t)c->nsides, sizeof *c->geo_delta);
    for (int r = 0; r < c->nrows; r++) {
        bool all = true;
        for (int k = 0; k < c->nsides; k++)
            all = all && c->rows[r].cells[k].x && c->rows[r].cells[k].st.median > 0;
        if (!all)
            continue;
        for (int k = 0; k < c->nsides; k++)
            sum[k] += log(c->rows[r].cells[k].st.median);
        c->ngeo++;
    }
    for (int k = 0; k < c->nsides; k++) {
        c->geo[k] = c->ngeo ? exp(sum[k] / c->ngeo) : NAN;
        c->geo_delta[k] = c->ngeo ? c->geo[k] / c->geo[0] - 1 : NAN;
    }
    free(sum);
}

int mnb_cmp_build(const mnb_set *s, const char *by, double alpha, mnb_cmp *c, char *err,
                  size_t len)
{
    int *side_of = malloc((size_t)(s->ncfgs + 1) * sizeof *side_of), left_out = 0, dups = 0;
    char **keys = calloc((size_t)(s->ncfgs + 1), sizeof *keys), **order = NULL;
    int norder = 0;
    mnb_axis bya;

    *c = (mnb_cmp){ .alpha = alpha, .by = by };
    if (make_sides(s, by, &bya, side_of, c, err, len) < 0)
        goto fail;
    for (int b = 0; b < s->nbenches; b++) {
        mnb_axis axes[64];
        int na = key_axes(s, s->benches[b], by ? &bya : NULL, axes, 64);
        for (int i = 0; i < s->ncfgs; i++)
            if (!strcmp(s->cfgs[i].bench, s->benches[b]))
                keys[i] = key_of(&s->cfgs[i], axes, na);
    }
    /* Row keys: side 0's configurations first, in their order. */
    for (int k = 0; k < c->nsides; k++)
        for (int i = 0; i < s->ncfgs; i++)
            if (side_of[i] == k && find_str(order, norder, keys[i]) < 0) {
                order = realloc(order, (size_t)(norder + 1) * sizeof *order);
                order[norder++] = keys[i];
            }
    for (int o = 0; o < norder; o++) {
        int *cfg_of = malloc((size_t)c->nsides * sizeof *cfg_of);
        for (int k = 0; k < c->nsides; k++)
            cfg_of[k] = -1;
        for (int i = 0; i < s->ncfgs; i++) {
            if (strcmp(keys[i], order[o]) != 0)
                continue;
            if (cfg_of[side_of[i]] < 0)
                cfg_of[side_of[i]] = i;
            else if (dups++ < 5)
                note(c, "%s appears twice on side %s; the first (%s) is used", order[o],
                     c->sides[side_of[i]], s->runs[s->cfgs[cfg_of[side_of[i]]].run - s->runs].name);
        }
        add_rows(s, c, order[o], cfg_of, &left_out);
        free(cfg_of);
    }
    if (left_out)
        note(c, "%d row%s left out: samples on one side only", left_out,
             left_out == 1 ? "" : "s");
    for (int i = 0; i < s->ncfgs; i++)
        free(keys[i]);
    free(keys);
    free(order);
    free(side_of);
    if (c->nrows == 0) {
        mnb_cmp_free(c);
        return err_out(err, len, "nothing in common to compare: no benchmark configuration "
                       "has samples on two sides; allowed: runs of the same benchmarks%s",
                       by ? ", or a --by setting that varies within a benchmark" : "");
    }
    geomeans(c);
    return 0;
fail:
    free(keys);
    free(side_of);
    mnb_cmp_free(c);
    return -1;
}

void mnb_cmp_free(mnb_cmp *c)
{
    for (int r = 0; r < c->nrows; r++) {
        for (int k = 0; k < c->nsides; k++)
            free(c->rows[r].cells[k].x);
        free(c->rows[r].cells);
        free(c->rows[r].label);
    }
    for (int k = 0; k < c->nsides; k++) {
        free(c->sides[k]);
        free(c->side_desc[k]);
    }
    for (int i = 0; i < c->nnotes; i++)
        free(c->notes[i]);
    free(c->rows);
    free(c->sides);
    free(c->side_desc);
    free(c->notes);
    free(c->geo);
    free(c->geo_delta);
    *c = (mnb_cmp){ 0 };
}

/* --- cell texts ----------------------------------------------------------------- */

void mnb_fmt_sig(double v, char *buf, size_t len)
{
    double a = fabs(v);

    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (a >= 1000)
        snprintf(buf, len, "%.0f", v);
    else if (a >= 100)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 10)
        snprintf(buf, len, "%.2f", v);
    else if (a >= 0.01 || a == 0)
        snprintf(buf, len, "%.3f", v);
    else
        snprintf(buf, len, "%.3g", v);
}

void mnb_cmp_value_text(const mnb_cmp_cell *cell, char *buf, size_t len)
{
    char med[32];
    double half;

    if (!cell->x) {
        snprintf(buf, len, "-");
        return;
    }
    mnb_fmt_sig(cell->st.median, med, sizeof med);
    if (isnan(cell->st.ci_lo) || cell->st.median == 0) {
        snprintf(buf, len, "%s ±∞", med);     /* benchstat's mark: no interval */
        return;
    }
    half = fmax(cell->st.median - cell->st.ci_lo, cell->st.ci_hi - cell->st.median) /
           fabs(cell->st.median) * 100;
    snprintf(buf, len, half >= 10 ? "%s ±%.0f%%" : "%s ±%.1f%%", med, half);
}

void mnb_cmp_delta_text(const mnb_cmp *c, const mnb_cmp_row *r, int k, char *buf, size_t len)
{
    const mnb_cmp_cell *cell = &r->cells[k];

    switch (cell->verdict) {
    case MNB_CMP_DIFF:
        if (isfinite(cell->delta))
            snprintf(buf, len, "%+.2f%%", 100 * cell->delta);
        else
            snprintf(buf, len, "-");
        break;
    case MNB_CMP_SAME: snprintf(buf, len, "~"); break;
    case MNB_CMP_FEW: snprintf(buf, len, "?"); break;
    default: snprintf(buf, len, "-");
    }
}

static void p_value(double p, char *buf, size_t len)
{
    if (p < 0.001)
        snprintf(buf, len, "p<0.001");
    else
        snprintf(buf, len, "p=%.3f", p);
}

void mnb_cmp_p_text(const mnb_cmp *c, const mnb_cmp_row *r, int k, char *buf, size_t len)
{
    const mnb_cmp_cell *cell = &r->cells[k], *base = &r->cells[0];
    char p[32];

    switch (cell->verdict) {
    case MNB_CMP_DIFF:
    case MNB_CMP_SAME:
        p_value(cell->p, p, sizeof p);
        snprintf(buf, len, "%s n=%zu+%zu", p, base->n, cell->n);
        break;
    case MNB_CMP_FEW:
        snprintf(buf, len, "n=%zu+%zu: too few for a test", base->n, cell->n);
        break;
    default:
        buf[0] = '\0';
    }
}

/* --- text --------------------------------------------------------------------- */

static int u8width(const char *s)
{
    int w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

typedef struct table {
    int ncols, nrows;
    char **cells;
    bool *right;                /* per column: right-aligned */
} table;

static void t_add(table *t, char **row)
{
    t->cells = realloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells);
    for (int i = 0; i < t->ncols; i++) {
        char *v = xstrdup(row[i]);
        mnb_one_line(v);
        t->cells[t->nrows * t->ncols + i] = v;
    }
    t->nrows++;
}

static void t_print(FILE *f, table *t)
{
    int *w = calloc((size_t)t->ncols, sizeof *w);

    for (int i = 0; i < t->nrows * t->ncols; i++)
        if (u8width(t->cells[i]) > w[i % t->ncols])
            w[i % t->ncols] = u8width(t->cells[i]);
    for (int r = 0; r < t->nrows; r++) {
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        for (int k = 0; k < t->ncols; k++) {
            const char *s = t->cells[r * t->ncols + k];
            int pad = w[k] - u8width(s);
            if (k)
                fputs("  ", m);
            if (t->right[k])
                fprintf(m, "%*s%s", pad, "", s);
            else
                fprintf(m, "%s%*s", s, pad, "");
        }
        fclose(m);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        fprintf(f, "%s\n", line);
        free(line);
    }
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(w);
}

/* Columns: benchmark, metric, unit, then per side its value, and for
 * sides > 0 the change and the p column. */
static int ncols(const mnb_cmp *c)
{
    return 3 + c->nsides + 2 * (c->nsides - 1);
}

static void header_row(const mnb_cmp *c, char **row, char *bufs, size_t blen)
{
    int col = 0;

    row[col++] = "configuration";
    row[col++] = "metric";
    row[col++] = "unit";
    for (int k = 0; k < c->nsides; k++) {
        row[col++] = c->sides[k];
        if (k == 0)
            continue;
        snprintf(bufs + (size_t)k * blen, blen, "%.60s vs %.60s", c->sides[k], c->sides[0]);
        row[col++] = bufs + (size_t)k * blen;
        row[col++] = "p";
    }
}

static void row_cells(const mnb_cmp *c, const mnb_cmp_row *r, char **row, char (*b)[96])
{
    int col = 0, nb = 0;

    row[col++] = r->label;
    row[col++] = (char *)r->metric;
    row[col++] = (char *)r->unit;
    for (int k = 0; k < c->nsides; k++) {
        mnb_cmp_value_text(&r->cells[k], b[nb], 96);
        row[col++] = b[nb++];
        if (k == 0)
            continue;
        mnb_cmp_delta_text(c, r, k, b[nb], 96);
        row[col++] = b[nb++];
        mnb_cmp_p_text(c, r, k, b[nb], 96);
        row[col++] = b[nb++];
    }
}

static void geo_cells(const mnb_cmp *c, char **row, char (*b)[96])
{
    int col = 0, nb = 0;

    snprintf(b[nb], 96, "geomean (%d rows)", c->ngeo);
    row[col++] = b[nb++];
    row[col++] = "";
    row[col++] = "";
    for (int k = 0; k < c->nsides; k++) {
        mnb_fmt_sig(c->geo[k], b[nb], 96);
        row[col++] = b[nb++];
        if (k == 0)
            continue;
        snprintf(b[nb], 96, "%+.2f%%", 100 * c->geo_delta[k]);
        row[col++] = b[nb++];
        row[col++] = "";
    }
}

static void legend_text(FILE *f, const mnb_cmp *c)
{
    for (int k = 0; k < c->nsides; k++) {
        char *d = xstrdup(c->side_desc[k]), *n = xstrdup(c->sides[k]);
        mnb_one_line(d);
        mnb_one_line(n);
        if (!c->by)
            fprintf(f, "%s: %s\n", n, d);
        free(d);
        free(n);
    }
    if (c->by) {
        char *by = xstrdup(c->by);
        mnb_one_line(by);
        fprintf(f, "by %s; each side: median of the repetition samples ±95%% CI\n", by);
        free(by);
    } else {
        fprintf(f, "each side: median of the repetition samples ±95%% CI\n");
    }
    fprintf(f, "p: Mann-Whitney U, two-sided (exact without ties below %d a side, "
            "else normal approximation with tie correction); ~: p >= %g; "
            "?: fewer than %d samples on a side\n\n",
            MNB_MWU_EXACT_MAX, c->alpha, MNB_CMP_MIN_N);
}

static void print_text(FILE *f, const mnb_cmp *c)
{
    int nc = ncols(c);
    table t = { .ncols = nc, .right = calloc((size_t)nc, sizeof(bool)) };
    char **row = calloc((size_t)nc, sizeof *row), hb[64 * 130];
    char (*b)[96] = calloc((size_t)(3 * c->nsides + 2), sizeof *b);

    legend_text(f, c);
    for (int k = 3; k < nc; k++)
        t.right[k] = true;
    header_row(c, row, hb, 130);
    t_add(&t, row);
    for (int r = 0; r < c->nrows; r++) {
        row_cells(c, &c->rows[r], row, b);
        t_add(&t, row);
    }
    if (c->ngeo) {
        geo_cells(c, row, b);
        t_add(&t, row);
    }
    t_print(f, &t);
    for (int i = 0; i < c->nnotes; i++)
        fprintf(f, "note: %s\n", c->notes[i]);
    free(row);
    free(b);
    free(t.right);
}

int mnb_cmp_cells(const mnb_cmp *c, char ***cells, int *ncols_out)
{
    int nc = ncols(c), nr = 0;
    char **row = calloc((size_t)nc, sizeof *row), hb[64 * 130];
    char (*b)[96] = calloc((size_t)(3 * c->nsides + 2), sizeof *b);
    char **out = calloc((size_t)nc * (size_t)(c->nrows + 2), sizeof *out);

    for (int r = -1; r <= c->nrows; r++) {
        if (r < 0)
            header_row(c, row, hb, 130);
        else if (r < c->nrows)
            row_cells(c, &c->rows[r], row, b);
        else if (c->ngeo)
            geo_cells(c, row, b);
        else
            break;
        for (int k = 0; k < nc; k++)
            out[nr * nc + k] = xstrdup(row[k]);
        nr++;
    }
    free(row);
    free(b);
    *cells = out;
    *ncols_out = nc;
    return nr;
}

void mnb_cmp_cells_free(char **cells, int n)
{
    for (int i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

/* --- CSV and JSON ---------------------------------------------------------------- */

static void csv_str(FILE *f, const char *s, bool comma)
{
    if (comma)
        fputc(',', f);
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.10g", v);
}

static const char *verdict_name(mnb_cmp_verdict v)
{
    static const char *const n[] = { "missing", "too_few", "same", "different" };
    return n[v];
}

static void print_csv(FILE *f, const mnb_cmp *c)
{
    fputs("benchmark,config,metric,unit,better,side,n,median,ci_lo,ci_hi,"
          "delta_pct,p,test,verdict\n", f);
    for (int r = 0; r < c->nrows; r++) {
        const mnb_cmp_row *row = &c->rows[r];
        for (int k = 0; k < c->nsides; k++) {
            const mnb_cmp_cell *cell = &row->cells[k];
            csv_str(f, row->bench, false);
            csv_str(f, row->label, true);
            csv_str(f, row->metric, true);
            csv_str(f, row->unit, true);
            csv_str(f, row->higher ? "higher" : "lower", true);
            csv_str(f, c->sides[k], true);
            fprintf(f, ",%zu", cell->n);
            csv_num(f, cell->x ? cell->st.median : NAN);
            csv_num(f, cell->x ? cell->st.ci_lo : NAN);
            csv_num(f, cell->x ? cell->st.ci_hi : NAN);
            csv_num(f, k ? 100 * cell->delta : NAN);
            csv_num(f, k ? cell->p : NAN);
            fprintf(f, ",%s,%s\n", k && !isnan(cell->p) ? (cell->exact ? "exact" : "normal") : "",
                    k ? verdict_name(cell->verdict) : "base");
        }
    }
    for (int k = 0; c->ngeo && k < c->nsides; k++) {
        fputs("\"geomean\",\"\",\"\",\"\",\"\"", f);
        csv_str(f, c->sides[k], true);
        fprintf(f, ",%d", c->ngeo);
        csv_num(f, c->geo[k]);
        fputs(",,", f);
        csv_num(f, k ? 100 * c->geo_delta[k] : NAN);
        fputs(",,,\n", f);
    }
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    return j ? j : json_string("?");
}

static void print_json(FILE *f, const mnb_cmp *c)
{
    json_t *doc = json_object(), *sides = json_array(), *rows = json_array(), *notes = json_array();

    json_object_set_new(doc, "alpha", json_real(c->alpha));
    json_object_set_new(doc, "by", c->by ? jstr(c->by) : json_null());
    json_object_set_new(doc, "test", json_pack("{s:s, s:i, s:i}", "name",
                        "Mann-Whitney U, two-sided", "exact_below", MNB_MWU_EXACT_MAX,
                        "min_n", MNB_CMP_MIN_N));
    for (int k = 0; k < c->nsides; k++)
        json_array_append_new(sides, json_pack("{s:o, s:o}", "name", jstr(c->sides[k]),
                                               "what", jstr(c->side_desc[k])));
    for (int r = 0; r < c->nrows; r++) {
        const mnb_cmp_row *row = &c->rows[r];
        json_t *cells = json_array();
        for (int k = 0; k < c->nsides; k++) {
            const mnb_cmp_cell *cell = &row->cells[k];
            json_t *o = json_pack("{s:o, s:I, s:o, s:o}", "side", jstr(c->sides[k]),
                                  "n", (json_int_t)cell->n,
                                  "median", jnum(cell->x ? cell->st.median : NAN),
                                  "ci95", cell->x && !isnan(cell->st.ci_lo) ?
                                  json_pack("[o, o]", jnum(cell->st.ci_lo), jnum(cell->st.ci_hi)) :
                                  json_null());
            if (k) {
                json_object_set_new(o, "delta_pct", jnum(100 * cell->delta));
                json_object_set_new(o, "p", jnum(cell->p));
                json_object_set_new(o, "test", isnan(cell->p) ? json_null() :
                                    json_string(cell->exact ? "exact" : "normal"));
                json_object_set_new(o, "verdict", json_string(verdict_name(cell->verdict)));
            }
            json_array_append_new(cells, o);
        }
        json_array_append_new(rows, json_pack("{s:o, s:o, s:o, s:o, s:s, s:o}",
                              "benchmark", jstr(row->bench), "config", jstr(row->label),
                              "metric", jstr(row->metric), "unit", jstr(row->unit),
                              "better", row->higher ? "higher" : "lower", "cells", cells));
    }
    json_object_set_new(doc, "sides", sides);
    json_object_set_new(doc, "rows", rows);
    if (c->ngeo) {
        json_t *g = json_array();
        for (int k = 0; k < c->nsides; k++)
            json_array_append_new(g, json_pack("{s:o, s:o}", "value", jnum(c->geo[k]),
                                  "delta_pct", k ? jnum(100 * c->geo_delta[k]) : json_null()));
        json_object_set_new(doc, "geomean", json_pack("{s:i, s:o}", "rows", c->ngeo,
                                                      "sides", g));
    }
    for (int i = 0; i < c->nnotes; i++)
        json_array_append_new(notes, jstr(c->notes[i]));
    json_object_set_new(doc, "notes", notes);
    json_dumpf(doc, f, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    fputc('\n', f);
    json_decref(doc);
}

/* --- Markdown ------------------------------------------------------------------- */

static void md_row(FILE *f, char **row, int n)
{
    fputc('|', f);
    for (int i = 0; i < n; i++) {
        fputc(' ', f);
        mnb_md(f, row[i]);
        fputs(" |", f);
    }
    fputc('\n', f);
}

static void print_md(FILE *f, const mnb_cmp *c)
{
    int nc = ncols(c);
    char **row = calloc((size_t)nc, sizeof *row), hb[64 * 130];
    char (*b)[96] = calloc((size_t)(3 * c->nsides + 2), sizeof *b);

    for (int k = 0; k < c->nsides; k++) {
        fputs("- **", f);
        mnb_md(f, c->sides[k]);
        fputs("**: ", f);
        mnb_md(f, c->side_desc[k]);
        fputc('\n', f);
    }
    fprintf(f, "\nMedian of the repetition samples ±95%% CI; p: Mann-Whitney U, two-sided "
            "(exact without ties below %d a side, else normal approximation with tie "
            "correction); ~: p ≥ %g; ?: fewer than %d samples on a side.\n\n",
            MNB_MWU_EXACT_MAX, c->alpha, MNB_CMP_MIN_N);
    header_row(c, row, hb, 130);
    md_row(f, row, nc);
    fputc('|', f);
    for (int k = 0; k < nc; k++)
        fputs(k >= 3 ? " --: |" : " --- |", f);
    fputc('\n', f);
    for (int r = 0; r < c->nrows; r++) {
        row_cells(c, &c->rows[r], row, b);
        md_row(f, row, nc);
    }
    if (c->ngeo) {
        geo_cells(c, row, b);
        md_row(f, row, nc);
    }
    for (int i = 0; i < c->nnotes; i++) {
        fputs(i ? "\n" : "\n", f);
        fputs("Note: ", f);
        mnb_md(f, c->notes[i]);
        fputc('\n', f);
    }
    free(row);
    free(b);
}

void mnb_cmp_print(FILE *f, const mnb_cmp *c, mnb_cmp_format fmt)
{
    switch (fmt) {
    case MNB_CMPF_TEXT: print_text(f, c); break;
    case MNB_CMPF_CSV: print_csv(f, c); break;
    case MNB_CMPF_JSON: print_json(f, c); break;
    case MNB_CMPF_MD: print_md(f, c); break;
    }
}

/* --- the command --------------------------------------------------------------- */

static void compare_usage(FILE *f)
{
    fprintf(f,
        "Usage: mnbench compare [options] RUN RUN [RUN...]\n"
        "       mnbench compare [options] --by SETTING RUN [RUN...]\n"
        "\n"
        "Compares runs (folders written by mnbench run), or the configurations of\n"
        "runs grouped by one setting or parameter (--by placement, --by mem,\n"
        "--by queue, --by procs, --by n), benchmark by benchmark: for each side\n"
        "the median of the repetition samples with its 95%% CI (order statistics),\n"
        "and against the first side the change of the median in %% and the\n"
        "Mann-Whitney U p-value, two-sided, on the repetition samples: exact\n"
        "(enumerated) when both sides have fewer than %d values and no value\n"
        "repeats, otherwise the normal approximation with tie and continuity\n"
        "corrections (R's wilcox.test defaults). `~`: not significant at\n"
        "--alpha. `?`: fewer than %d samples on a side, no test (3 against 3\n"
        "cannot reach p < 0.1). The last row holds geometric means.\n"
        "\n"
        "Options:\n"
        "      --by SETTING            sides are the values of this setting or\n"
        "                              parameter over the runs' configurations\n"
        "      --alpha A               significance level, 0 < A < 1 [0.05]\n"
        "      --format text|csv|json|markdown   [text]\n"
        "  -h, --help                  this text\n"
        "\n"
        "Exit status: 0 done; 2 bad input (a missing or foreign folder, a run.json\n"
        "that fails the schema, nothing in common to compare).\n",
        MNB_MWU_EXACT_MAX, MNB_CMP_MIN_N);
}

int mnb_compare_cmd(int argc, char **argv)
{
    static const struct option lo[] = {
        { "by", required_argument, NULL, 'b' },
        { "alpha", required_argument, NULL, 'a' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    static const char *const fmts[] = { "text", "csv", "json", "markdown" };
    mnb_cmp_format fmt = MNB_CMPF_TEXT;
    const char *by = NULL;
    double alpha = 0.05;
    char err[1024], *end;
    mnb_set s;
    mnb_cmp c;
    int ch, f;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'b':
            by = optarg;
            break;
        case 'a':
            alpha = strtod(optarg, &end);
            if (*end || end == optarg || !(alpha > 0 && alpha < 1))
                mnb_usage_error("compare --alpha %s: not a level; allowed: a number "
                                "between 0 and 1 (0.05)", optarg);
            break;
        case 'f':
            for (f = 0; f < 4 && strcmp(optarg, fmts[f]) != 0; f++)
                ;
            if (f == 4)
                mnb_usage_error("compare --format %s: unknown format; allowed: text, csv, "
                                "json, markdown", optarg);
            fmt = (mnb_cmp_format)f;
            break;
        case 'h':
            compare_usage(stdout);
            return MNB_EXIT_OK;
        case ':':
            mnb_usage_error("compare %s needs a value; allowed: see mnbench compare --help",
                            argv[optind - 1]);
        default:
            mnb_usage_error("compare: unknown option '%s'; allowed: --by, --alpha, --format, "
                            "--help", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        mnb_usage_error("compare: no run folders; allowed: mnbench compare RUN RUN..., or "
                        "mnbench compare --by SETTING RUN...");
    mnb_set_load(&s, argv + optind, argc - optind, "compare");
    if (mnb_cmp_build(&s, by, alpha, &c, err, sizeof err) < 0)
        mnb_usage_error("compare: %s", err);
    mnb_cmp_print(stdout, &c, fmt);
    mnb_cmp_free(&c);
    mnb_set_free(&s);
    return fflush(stdout) == 0 ? MNB_EXIT_OK : MNB_EXIT_FAILED;
}
