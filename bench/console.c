/* console.c - stdout reporters: `list`, and the run's results as an
 * aligned text table (units chosen per row), CSV or JSON rows. */
#include "console.h"
#include "counters.h"
#include "results.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- a small aligned table ------------------------------------------------- */

#define MAX_COLS 12

typedef struct table {
    int ncols, nrows;
    char **cells;               /* nrows * ncols, row-major */
    bool right[MAX_COLS];       /* right-aligned (numbers) */
} table;

static void table_add(table *t, const char *const *row)
{
    t->cells = realloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells);
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = strdup(row[c] ? row[c] : "");
    t->nrows++;
}

/* Columns on screen, not bytes: "µs" is three bytes wide in UTF-8. */
static int width(const char *s)
{
    int w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void table_free(table *t)
{
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}

static void table_print(FILE *out, table *t)
{
    int wd[MAX_COLS] = { 0 };

    for (int i = 0; i < t->nrows * t->ncols; i++)
        if (width(t->cells[i]) > wd[i % t->ncols])
            wd[i % t->ncols] = width(t->cells[i]);
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            int pad = wd[c] - width(s);
            bool last = c == t->ncols - 1;
            if (t->right[c])
                fprintf(out, "%*s%s", pad, "", s);
            else
                fprintf(out, "%s%*s", s, last ? 0 : pad, "");
            fputs(last ? "\n" : "  ", out);
        }
    }
    table_free(t);
}

/* --- list ------------------------------------------------------------------ */

void mnb_console_list(FILE *out)
{
    table t = { .ncols = 2 };

    table_add(&t, (const char *[]){ "BENCH", "SUMMARY" });
    for (int i = 0; i < mnb_nbenches; i++)
        table_add(&t, (const char *[]){ mnb_benches[i]->name, mnb_benches[i]->summary });
    table_print(out, &t);
    fputs("\nmnbench list BENCH shows its parameters and metrics.\n", out);
}

static void param_row(table *t, const mnb_param *p)
{
    char def[64], range[256];
    size_t n = 0;

    if (p->choices) {
        for (int c = 0; p->choices[c] && n < sizeof range; c++)
            n += (size_t)snprintf(range + n, sizeof range - n, "%s%s", c ? "|" : "",
                                  p->choices[c]);
        snprintf(def, sizeof def, "%s", p->choices[p->def]);
    } else {
        snprintf(range, sizeof range, "%" PRId64 "..%" PRId64, p->min, p->max);
        snprintf(def, sizeof def, "%" PRId64, p->def);
    }
    table_add(t, (const char *[]){ p->name, p->choices ? "choice" : "integer", def, range,
                                   *p->unit ? p->unit : "-", p->help });
}

void mnb_console_bench(FILE *out, const mnb_bench *b)
{
    table t = { .ncols = 6 };

    fprintf(out, "%s: %s\n", b->name, b->summary);
    if (b->min_procs > 1)
        fprintf(out, "needs at least %d Ps (--procs)\n", b->min_procs);
    fputs("\nParameters (--param NAME=V[,V...]):\n", out);
    table_add(&t, (const char *[]){ "  NAME", "TYPE", "DEFAULT", "RANGE", "UNIT", "HELP" });
    for (int i = 0; i < b->nparams; i++) {
        param_row(&t, &b->params[i]);
        char *cell = t.cells[(t.nrows - 1) * t.ncols];
        if (asprintf(&t.cells[(t.nrows - 1) * t.ncols], "  %s", cell) > 0)
            free(cell);
    }
    if (b->nparams == 0)
        fputs("  none\n", out);
    else
        table_print(out, &t);
    fputs("\nMetrics:\n", out);
    t = (table){ .ncols = 5 };
    table_add(&t, (const char *[]){ "  NAME", "UNIT", "BETTER", "KIND", "HELP" });
    for (int i = 0; i < b->nmetrics; i++) {
        const mnb_metric *m = &b->metrics[i];
        char name[128];
        snprintf(name, sizeof name, "  %s", m->name);
        table_add(&t, (const char *[]){ name, m->unit,
                  m->better == MNB_HIGHER ? "higher" : "lower",
                  m->kind == MNB_LATENCY ? "latency (per event)" : "sample (per rep)",
                  m->help });
    }
    table_print(out, &t);
}

/* --- results ----------------------------------------------------------------- */

/* Time units are rescaled per row so that the median reads 1 to 999. */
static double unit_scale(const char *unit, double median, const char **shown)
{
    static const struct { const char *u; double ns; } t[] = {
        { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
    };
    static const char *const names[] = { "ns", "\xc2\xb5s", "ms", "s" };
    double ns = 0;
    int k = 0;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(unit, t[i].u) == 0)
            ns = t[i].ns;
    if (ns == 0 || !isfinite(median)) {
        *shown = unit;
        return 1;
    }
    while (k < 3 && fabs(median * ns) >= 1000 * pow(1000, k))
        k++;
    *shown = names[k];
    return ns / pow(1000, k);
}

static void fmt_num(char *buf, size_t len, double v)
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

static void sample_line(table *t, const mnb_row *r)
{
    const char *unit;
    double k = unit_scale(r->metric->unit, r->median, &unit);
    char n[32], med[32], lo[32], hi[32], ci[80], mn[32], mx[32], cv[32];

    snprintf(n, sizeof n, "%.0f", r->n);
    fmt_num(med, sizeof med, r->median * k);
    fmt_num(lo, sizeof lo, r->ci_lo * k);
    fmt_num(hi, sizeof hi, r->ci_hi * k);
    snprintf(ci, sizeof ci, isnan(r->ci_lo) ? "-" : "[%s, %s]", lo, hi);
    fmt_num(mn, sizeof mn, r->min * k);
    fmt_num(mx, sizeof mx, r->max * k);
    if (isfinite(r->cv))
        snprintf(cv, sizeof cv, "%.1f%%", 100 * r->cv);
    else
        snprintf(cv, sizeof cv, "-");
    table_add(t, (const char *[]){ r->conf->name, r->metric->name, n, med, ci, mn, mx,
                                   cv, unit });
}

static void latency_line(table *t, const mnb_row *r)
{
    const char *unit;
    double k = unit_scale(r->metric->unit, r->median, &unit);
    char n[32], c[5][32];
    const double v[5] = { r->median, r->p90, r->p99, r->p999, r->max };

    snprintf(n, sizeof n, "%.0f", r->n);
    for (int i = 0; i < 5; i++)
        fmt_num(c[i], sizeof c[i], v[i] * k);
    table_add(t, (const char *[]){ r->conf->name, r->metric->name, n, c[0], c[1], c[2],
                                   c[3], c[4], unit });
}

/* One counter row. "ns/op" and "ns/rep" rescale like times; the rest
 * print as they are. */
static void counter_line(table *t, const mnb_conf *c, const mnb_cfigure *f)
{
    const mnb_stats *st = &f->stats;
    const char *slash = strchr(f->unit, '/'), *base;
    char n[32], med[32], lo[32], hi[32], ci[80], mn[32], mx[32], cv[32], unit[64], bu[16];
    double k = 1;

    if (slash && (size_t)(slash - f->unit) < sizeof bu) {
        snprintf(bu, sizeof bu, "%.*s", (int)(slash - f->unit), f->unit);
        k = unit_scale(bu, st->median, &base);
        snprintf(unit, sizeof unit, "%s%s", base, slash);
    } else {
        snprintf(unit, sizeof unit, "%s", f->unit);
    }
    snprintf(n, sizeof n, "%zu", st->n);
    fmt_num(med, sizeof med, st->median * k);
    fmt_num(lo, sizeof lo, st->ci_lo * k);
    fmt_num(hi, sizeof hi, st->ci_hi * k);
    snprintf(ci, sizeof ci, isnan(st->ci_lo) ? "-" : "[%s, %s]", lo, hi);
    fmt_num(mn, sizeof mn, st->min * k);
    fmt_num(mx, sizeof mx, st->max * k);
    if (isfinite(st->cv))
        snprintf(cv, sizeof cv, "%.1f%%", 100 * st->cv);
    else
        snprintf(cv, sizeof cv, "-");
    table_add(t, (const char *[]){ c->name, f->name, f->source, n, med, ci, mn, mx, cv,
                                   unit });
}

/* The counters table, one row per configuration and figure; false when
 * there are none. */
static bool report_counters(FILE *out, const mnb_plan *p)
{
    table t = { .ncols = 10, .right = { [3] = 1, 1, 1, 1, 1, 1 } };
    const mnb_cfigure *f;
    const double *ops;
    bool per_op, any_rep = false, any_op = false;

    table_add(&t, (const char *[]){ "instance", "counter", "source", "reps", "median",
                                    "95% CI", "min", "max", "CV", "unit" });
    for (int i = 0; i < p->n; i++) {
        int n = mnb_counters_of(&p->confs[i], &f, &per_op, &ops);
        for (int k = 0; k < n; k++)
            counter_line(&t, &p->confs[i], &f[k]);
        any_rep |= n > 0 && !per_op;
        any_op |= n > 0 && per_op;
    }
    if (t.nrows == 1) {
        table_free(&t);
        return false;
    }
    table_print(out, &t);
    fprintf(out, "Counters: summed over the Ms (tsc: elapsed ticks, not per M); %s.\n",
            !any_rep ? "per operation (/op)" :
            any_op ? "per operation (/op), or per repetition (/rep) where a benchmark does "
                     "not report its operation count" :
                     "per repetition (/rep): the benchmark does not report its operation "
                     "count");
    return true;
}

static void report_text(FILE *out, const mnb_plan *p, bool interrupted)
{
    table s = { .ncols = 9, .right = { [2] = 1, 1, 1, 1, 1, 1 } };
    table l = { .ncols = 9, .right = { [2] = 1, 1, 1, 1, 1, 1 } };
    mnb_row *rows;
    int n = mnb_rows(p, &rows);

    table_add(&s, (const char *[]){ "instance", "metric", "reps", "median", "95% CI",
                                    "min", "max", "CV", "unit" });
    table_add(&l, (const char *[]){ "instance", "metric", "events", "p50", "p90", "p99",
                                    "p99.9", "max", "unit" });
    for (int i = 0; i < n; i++)
        (rows[i].latency ? latency_line : sample_line)(rows[i].latency ? &l : &s, &rows[i]);
    bool shown = s.nrows > 1;

    if (s.nrows > 1)
        table_print(out, &s);
    if (mnb_counters_enabled()) {
        fputs(shown ? "\n" : "", out);
        shown |= report_counters(out, p);
    }
    if (l.nrows > 1) {
        fputs(shown ? "\n" : "", out);
        table_print(out, &l);
    }
    fputs("95% CI: the median's, from order statistics; - for fewer than 6 reps.\n", out);
    if (interrupted)
        fputs("Interrupted: the figures cover the repetitions that finished.\n", out);
    free(rows);
    table_free(&s);
    table_free(&l);
}

void mnb_console_report(FILE *out, const mnb_plan *p, mnb_format format, bool interrupted)
{
    json_t *rows;

    switch (format) {
    case MNB_FMT_TEXT:
        report_text(out, p, interrupted);
        break;
    case MNB_FMT_CSV:
        mnb_csv_write(out, p);
        break;
    case MNB_FMT_JSON:
        rows = mnb_rows_json(p);
        json_dumpf(rows, out, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
        fputc('\n', out);
        json_decref(rows);
        break;
    }
}
