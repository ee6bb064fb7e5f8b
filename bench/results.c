/* results.c - run.json and summary.csv, the run's folder, and the
 * summary rows the console reporters share (formats in results.h). */
#include "results.h"
#include "counters.h"
#include "machine.h"
#include "warn.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- JSON helpers -------------------------------------------------------- */

json_t *mnb_json_string(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j)
        return j;
    copy = strdup(s);
    for (char *c = copy; *c; c++)
        if ((unsigned char)*c >= 0x80)
            *c = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

json_t *mnb_json_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr_or_null(const char *s)
{
    return s ? mnb_json_string(s) : json_null();
}

/* --- rows ------------------------------------------------------------------ */

static void sample_row(mnb_row *r, const mnb_stats *s)
{
    r->n = (double)s->n;
    r->median = s->median;
    r->ci_lo = s->ci_lo;
    r->ci_hi = s->ci_hi;
    r->min = s->min;
    r->max = s->max;
    r->mean = s->mean;
    r->stddev = s->stddev;
    r->cv = s->cv;
    r->p90 = s->p90;
    r->p99 = s->p99;
    r->p999 = NAN;
}

static void latency_row(mnb_row *r, const mnb_latq *q)
{
    r->latency = true;
    r->n = (double)q->count;
    r->median = q->p50;
    r->ci_lo = r->ci_hi = NAN;
    r->min = q->min;
    r->max = q->max;
    r->mean = q->mean;
    r->stddev = q->stddev;
    r->cv = q->mean != 0 ? q->stddev / fabs(q->mean) : NAN;
    r->p90 = q->p90;
    r->p99 = q->p99;
    r->p999 = q->p999;
}

int mnb_rows(const mnb_plan *p, mnb_row **rows)
{
    int n = 0, k = 0;

    for (int i = 0; i < p->n; i++)
        n += p->confs[i].bench->nmetrics;
    *rows = calloc((size_t)n + 1, sizeof **rows);
    for (int i = 0; i < p->n; i++) {
        const mnb_conf *c = &p->confs[i];
        for (int m = 0; m < c->bench->nmetrics; m++, k++) {
            mnb_row *r = &(*rows)[k];
            r->conf = c;
            r->m = m;
            r->metric = &c->bench->metrics[m];
            if (r->metric->kind == MNB_LATENCY)
                latency_row(r, &c->latq[m]);
            else
                sample_row(r, &c->stats[m]);
        }
    }
    return n;
}

/* --- settings and parameters --------------------------------------------- */

static json_t *settings_json(const mnb_conf *c)
{
    json_t *s = json_object();

    for (int f = 0; f < mnb_nflags; f++) {
        const mnb_flag *fl = &mnb_flags[f];
        int64_t i;
        const char *str;
        if (fl->kind == MNB_V_NONE)
            continue;
        fl->get(&c->cfg, &i, &str);
        if (fl->kind == MNB_V_WORD || fl->kind == MNB_V_EXPR) {
            json_object_set_new(s, fl->key, jstr_or_null(str));
        } else if (fl->kind == MNB_V_DURATION) {
            char key[64];       /* the unit in the name: "timeslice_ns" */
            snprintf(key, sizeof key, "%s_ns", fl->key);
            json_object_set_new(s, key, json_integer(i));
        } else {
            json_object_set_new(s, fl->key, json_integer(i));
        }
    }
    /* The Ps the runtime actually had, not the request (0 = every CPU). */
    json_object_set_new(s, "procs", json_integer(c->nprocs ? c->nprocs : c->expected_procs));
    json_object_set_new(s, "stack_guard", jstr_or_null(c->cfg.stack_guard));
    json_object_set_new(s, "max_threads", json_integer(c->cfg.max_threads));
    return s;
}

static json_t *params_json(const mnb_conf *c)
{
    json_t *o = json_object();

    for (int i = 0; i < c->bench->nparams; i++) {
        const mnb_param *p = &c->bench->params[i];
        json_object_set_new(o, p->name, p->choices ?
                            json_string(p->choices[c->params[i]]) :
                            json_integer(c->params[i]));
    }
    return o;
}

/* --- run.json ------------------------------------------------------------ */

static json_t *series_json(const mnb_series *s)
{
    json_t *a = json_array();

    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, mnb_json_real(s->v[i]));
    return a;
}

static json_t *hist_json(const mnb_hist *h)
{
    json_t *buckets = json_array(), *raw = json_array();
    double lo, hi;

    for (int b = 0; b < MNB_HIST_NBUCKETS; b++) {
        if (!h->buckets[b])
            continue;
        mnb_hist_bounds(h, b, &lo, &hi);
        json_array_append_new(buckets, json_pack("[f, f, I]", lo, hi,
                                                 (json_int_t)h->buckets[b]));
    }
    for (size_t i = 0; i < h->nraw; i++)
        json_array_append_new(raw, json_real(h->raw[i]));
    return json_pack("{s:I, s:b, s:{s:i, s:i, s:i, s:o}, s:o}",
                     "count", (json_int_t)h->count,
                     "truncated", mnb_hist_truncated(h),
                     "histogram", "sub_buckets", MNB_HIST_SUB,
                     "min_exp", MNB_HIST_EMIN, "max_exp", MNB_HIST_EMAX,
                     "buckets", buckets,
                     "raw", raw);
}

static json_t *ci_json(const mnb_stats *s)
{
    if (isnan(s->ci_lo))
        return json_null();
    return json_pack("[o, o]", mnb_json_real(s->ci_lo), mnb_json_real(s->ci_hi));
}

static json_t *summary_json(const mnb_metric *m, const mnb_row *r)
{
    json_t *s = json_pack("{s:s, s:s, s:s}", "kind", r->latency ? "latency" : "sample",
                          "unit", m->unit, "better",
                          m->better == MNB_HIGHER ? "higher" : "lower");
    const struct { const char *k; double v; } f[] = {
        { "min", r->min }, { "mean", r->mean }, { "stddev", r->stddev },
        { "cv", r->cv }, { "max", r->max },
    };

    json_object_set_new(s, r->latency ? "count" : "n", json_integer((json_int_t)r->n));
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(s, f[i].k, mnb_json_real(f[i].v));
    if (r->latency) {
        json_object_set_new(s, "p50", mnb_json_real(r->median));
        json_object_set_new(s, "p90", mnb_json_real(r->p90));
        json_object_set_new(s, "p99", mnb_json_real(r->p99));
        json_object_set_new(s, "p999", mnb_json_real(r->p999));
        json_object_set_new(s, "exact", json_boolean(r->conf->latq[r->m].exact));
    } else {
        json_object_set_new(s, "median", mnb_json_real(r->median));
        json_object_set_new(s, "p90", mnb_json_real(r->p90));
        json_object_set_new(s, "p99", mnb_json_real(r->p99));
        json_object_set_new(s, "ci95", ci_json(&r->conf->stats[r->m]));
    }
    return s;
}

/* --- counters in run.json ------------------------------------------------- */

static json_t *doubles_json(const double *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, mnb_json_real(v[i]));
    return a;
}

/* A counter's statistics, in the shape of a sample summary. */
static json_t *cfigure_summary_json(const mnb_cfigure *f)
{
    const mnb_stats *st = &f->stats;
    json_t *s = json_pack("{s:s, s:s, s:s, s:I}", "kind", "sample", "unit", f->unit,
                          "better", f->better == MNB_HIGHER ? "higher" : "lower",
                          "n", (json_int_t)st->n);
    const struct { const char *k; double v; } v[] = {
        { "min", st->min }, { "mean", st->mean }, { "stddev", st->stddev }, { "cv", st->cv },
        { "max", st->max }, { "median", st->median }, { "p90", st->p90 }, { "p99", st->p99 },
    };

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        json_object_set_new(s, v[i].k, mnb_json_real(v[i].v));
    json_object_set_new(s, "ci95", ci_json(st));
    return s;
}

/* A configuration's counters: the operation counts, and per figure its
 * source, unit, totals over the Ms, the figures per op (or rep) and
 * their statistics. NULL when counters are off. */
static json_t *counters_conf_json(const mnb_conf *c)
{
    const mnb_cfigure *f;
    const double *ops;
    bool per_op;
    int n = mnb_counters_of(c, &f, &per_op, &ops);
    size_t reps = n > 0 ? f[0].n : 0;
    json_t *figs;

    if (n == 0)
        return NULL;
    figs = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(figs, f[i].name,
                            json_pack("{s:s, s:s, s:b, s:o, s:o, s:o}",
                                      "source", f[i].source, "unit", f[i].unit,
                                      "per_m", f[i].per_m,
                                      "totals", doubles_json(f[i].totals, f[i].n),
                                      "samples", doubles_json(f[i].samples, f[i].n),
                                      "summary", cfigure_summary_json(&f[i])));
    return json_pack("{s:s, s:o, s:o}", "per", per_op ? "op" : "rep",
                     "ops", doubles_json(ops, reps), "figures", figs);
}

static json_t *conf_json(const mnb_conf *c, const mnb_row *rows)
{
    json_t *samples = json_object(), *lats = json_object(), *sums = json_object();
    json_t *o, *ctr;

    for (int m = 0; m < c->bench->nmetrics; m++) {
        const mnb_metric *mt = &c->bench->metrics[m];
        if (mt->kind == MNB_LATENCY)
            json_object_set_new(lats, mt->name, hist_json(c->lat[m]));
        else
            json_object_set_new(samples, mt->name, series_json(&c->samples[m]));
        json_object_set_new(sums, mt->name, summary_json(mt, &rows[m]));
    }
    o = json_pack("{s:o, s:s, s:o, s:o, s:i, s:I, s:o, s:o, s:o, s:o}",
                     "name", mnb_json_string(c->name),
                     "benchmark", c->bench->name,
                     "settings", settings_json(c),
                     "params", params_json(c),
                     "reps", c->reps_done,
                     "measured_ns", (json_int_t)c->measured_ns,
                     "error", jstr_or_null(c->error),
                     "samples", samples,
                     "latencies", lats,
                     "summaries", sums);
    if ((ctr = counters_conf_json(c)))
        json_object_set_new(o, "counters", ctr);
    return o;
}

static json_t *iso_time(time_t t)
{
    struct tm tm;
    char buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static json_t *run_context(const mnb_run_info *info)
{
    json_t *ctx = json_deep_copy(info->context), *argv = json_array(), *w = json_array();
    const char *const *warnings;
    size_t nw;

    for (int i = 0; i < info->o->argc; i++)
        json_array_append_new(argv, mnb_json_string(info->o->argv[i]));
    warnings = mnb_warnings(&nw);
    for (size_t i = 0; i < nw; i++)
        json_array_append_new(w, mnb_json_string(warnings[i]));
    json_object_set_new(ctx, "command_line", argv);
    json_object_set_new(ctx, "start", iso_time(info->start));
    json_object_set_new(ctx, "end", iso_time(info->end));
    json_object_set_new(ctx, "warnings", w);
    return ctx;
}

json_t *mnb_run_json(const mnb_run_info *info, const mnb_plan *p)
{
    json_t *confs = json_array(), *doc, *ctr;
    mnb_row *rows;
    int k = 0;

    mnb_rows(p, &rows);
    for (int i = 0; i < p->n; i++) {
        json_array_append_new(confs, conf_json(&p->confs[i], rows + k));
        k += p->confs[i].bench->nmetrics;
    }
    free(rows);
    doc = json_pack("{s:s, s:b, s:o, s:{s:I, s:I, s:I, s:b}, s:o}",
                     "schema", MNB_SCHEMA,
                     "interrupted", info->interrupted,
                     "context", run_context(info),
                     "options", "warmup", (json_int_t)info->o->warmup,
                     "reps", (json_int_t)info->o->reps,
                     "min_time_ns", (json_int_t)info->o->min_time_ns,
                     "interleave", info->o->interleave,
                     "configurations", confs);
    /* What the counters are and where they come from; run.json readers
     * that do not know them skip both this and configurations[].counters. */
    if ((ctr = mnb_counters_info_json()))
        json_object_set_new(doc, "counters", ctr);
    return doc;
}

/* --- summary rows as CSV and JSON ------------------------------------------ */

/* Quoted only when it must be (RFC 4180). */
static void csv_field(FILE *f, const char *s, bool comma)
{
    if (comma)
        fputc(',', f);
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.10g", v);
}

/* Union of parameter names over the plan, in first-seen order. */
static int param_columns(const mnb_plan *p, const char **names, int max)
{
    int n = 0;

    for (int i = 0; i < p->n; i++)
        for (int k = 0; k < p->confs[i].bench->nparams; k++) {
            const char *name = p->confs[i].bench->params[k].name;
            int j;
            for (j = 0; j < n && strcmp(names[j], name) != 0; j++)
                ;
            if (j == n && n < max)
                names[n++] = name;
        }
    return n;
}

static void csv_scalar(FILE *f, json_t *v)
{
    char buf[64];

    if (json_is_string(v))
        csv_field(f, json_string_value(v), true);
    else if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        csv_field(f, buf, true);
    } else {
        csv_field(f, NULL, true);
    }
}

static const char *const num_cols[] = {
    "n", "median", "ci_lo", "ci_hi", "min", "max", "mean", "stddev", "cv", "p99",
};

/* Parameter columns are prefixed: a parameter called n must not collide
 * with the count column n. Settings columns are the keys of run.json's
 * settings object, the same for every configuration. */
static void csv_header(FILE *f, json_t *settings, const char *const *pcols, int np)
{
    const char *key;
    json_t *v;
    char col[128];

    fputs("name,benchmark", f);
    json_object_foreach(settings, key, v)
        csv_field(f, key, true);
    for (int i = 0; i < np; i++) {
        snprintf(col, sizeof col, "param.%s", pcols[i]);
        csv_field(f, col, true);
    }
    fputs(",metric,unit,kind,better", f);
    for (size_t i = 0; i < sizeof num_cols / sizeof num_cols[0]; i++)
        fprintf(f, ",%s", num_cols[i]);
    /* With --counters: where each figure came from (empty for the
     * benchmark's own metrics). */
    if (mnb_counters_enabled())
        fputs(",source", f);
    fputc('\n', f);
}

/* name, benchmark, settings and parameter columns of configuration c. */
static void csv_conf_fields(FILE *f, const mnb_conf *c, json_t *keys,
                            const char *const *pcols, int np)
{
    json_t *s = settings_json(c), *pj = params_json(c), *v;
    const char *key;

    csv_field(f, c->name, false);
    csv_field(f, c->bench->name, true);
    json_object_foreach(keys, key, v)
        csv_scalar(f, json_object_get(s, key));
    for (int i = 0; i < np; i++)
        csv_scalar(f, json_object_get(pj, pcols[i]));
    json_decref(s);
    json_decref(pj);
}

static void csv_row(FILE *f, const mnb_row *r, json_t *keys, const char *const *pcols, int np)
{
    const double nums[] = { r->n, r->median, r->ci_lo, r->ci_hi, r->min, r->max,
                            r->mean, r->stddev, r->cv, r->p99 };

    csv_conf_fields(f, r->conf, keys, pcols, np);
    csv_field(f, r->metric->name, true);
    csv_field(f, r->metric->unit, true);
    csv_field(f, r->latency ? "latency" : "sample", true);
    csv_field(f, r->metric->better == MNB_HIGHER ? "higher" : "lower", true);
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        csv_num(f, nums[i]);
    if (mnb_counters_enabled())
        csv_field(f, NULL, true);
    fputc('\n', f);
}

/* Counter rows: kind "counter", the figure's statistics, its source. */
static void csv_counter_rows(FILE *f, const mnb_conf *c, json_t *keys,
                             const char *const *pcols, int np)
{
    const mnb_cfigure *fg;
    const double *ops;
    bool per_op;
    int n = mnb_counters_of(c, &fg, &per_op, &ops);

    for (int i = 0; i < n; i++) {
        const mnb_stats *st = &fg[i].stats;
        const double nums[] = { (double)st->n, st->median, st->ci_lo, st->ci_hi, st->min,
                                st->max, st->mean, st->stddev, st->cv, st->p99 };
        csv_conf_fields(f, c, keys, pcols, np);
        csv_field(f, fg[i].name, true);
        csv_field(f, fg[i].unit, true);
        csv_field(f, "counter", true);
        csv_field(f, fg[i].better == MNB_HIGHER ? "higher" : "lower", true);
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
            csv_num(f, nums[k]);
        csv_field(f, fg[i].source, true);
        fputc('\n', f);
    }
}

void mnb_csv_write(FILE *f, const mnb_plan *p)
{
    const char *pcols[256];
    int np = param_columns(p, pcols, 256), nrows;
    json_t *keys = p->n ? settings_json(&p->confs[0]) : json_object();
    mnb_row *rows;

    csv_header(f, keys, pcols, np);
    nrows = mnb_rows(p, &rows);
    for (int r = 0; r < nrows; r++)
        csv_row(f, &rows[r], keys, pcols, np);
    for (int i = 0; i < p->n; i++)
        csv_counter_rows(f, &p->confs[i], keys, pcols, np);
    free(rows);
    json_decref(keys);
}

/* Counter rows, as in summary.csv: kind "counter", with their source. */
static void counter_rows_json(json_t *a, const mnb_conf *c)
{
    const mnb_cfigure *fg;
    const double *ops;
    bool per_op;
    int n = mnb_counters_of(c, &fg, &per_op, &ops);

    for (int i = 0; i < n; i++) {
        const mnb_stats *st = &fg[i].stats;
        const double nums[] = { (double)st->n, st->median, st->ci_lo, st->ci_hi, st->min,
                                st->max, st->mean, st->stddev, st->cv, st->p99 };
        json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s}",
                              "name", mnb_json_string(c->name),
                              "benchmark", c->bench->name,
                              "settings", settings_json(c), "params", params_json(c),
                              "metric", fg[i].name, "unit", fg[i].unit, "kind", "counter",
                              "better", fg[i].better == MNB_HIGHER ? "higher" : "lower",
                              "source", fg[i].source);
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
            json_object_set_new(o, num_cols[k], mnb_json_real(nums[k]));
        json_array_append_new(a, o);
    }
}

json_t *mnb_rows_json(const mnb_plan *p)
{
    json_t *a = json_array();
    mnb_row *rows;
    int n = mnb_rows(p, &rows);

    for (int r = 0; r < n; r++) {
        const mnb_row *w = &rows[r];
        const double nums[] = { w->n, w->median, w->ci_lo, w->ci_hi, w->min, w->max,
                                w->mean, w->stddev, w->cv, w->p99 };
        json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:s, s:s, s:s, s:s}",
                              "name", mnb_json_string(w->conf->name),
                              "benchmark", w->conf->bench->name,
                              "settings", settings_json(w->conf),
                              "params", params_json(w->conf),
                              "metric", w->metric->name, "unit", w->metric->unit,
                              "kind", w->latency ? "latency" : "sample",
                              "better", w->metric->better == MNB_HIGHER ? "higher" : "lower");
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
            json_object_set_new(o, num_cols[i], mnb_json_real(nums[i]));
        json_array_append_new(a, o);
    }
    free(rows);
    for (int i = 0; i < p->n; i++)
        counter_rows_json(a, &p->confs[i]);
    return a;
}

/* --- the folder ------------------------------------------------------------ */

void mnb_sanitise(const char *label, char *buf, size_t len)
{
    size_t i;

    for (i = 0; label[i] && i + 1 < len; i++) {
        char c = label[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || strchr("._+-", c);
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
}

void mnb_results_check(const char *dir)
{
    char path[PATH_MAX], probe[PATH_MAX + 32];
    struct stat st;
    char *slash;

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        mnb_usage_error("--results-dir %s: too long; allowed: a shorter path", dir);
    /* Walk up to the nearest existing ancestor: that is where mkdir -p
     * will have to write first. */
    while (stat(path, &st) < 0) {
        if (errno != ENOENT)
            goto bad;
        slash = strrchr(path, '/');
        if (!slash || slash == path)
            snprintf(path, sizeof path, slash ? "/" : ".");
        else
            *slash = '\0';
    }
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        goto bad;
    }
    snprintf(probe, sizeof probe, "%s/.mnbench-probe-XXXXXX", path);
    if (!mkdtemp(probe))
        goto bad;
    rmdir(probe);
    return;
bad:
    mnb_usage_error("--results-dir %s: cannot create a folder there (%s: %s); "
                    "allowed: a directory you can write to", dir, path, strerror(errno));
}

static int mkdir_p(const char *dir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s", dir);
    for (char *s = path + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return mkdir(path, 0777) < 0 && errno != EEXIST ? -errno : 0;
}

char *mnb_results_create(const char *dir, const char *label, time_t start)
{
    char stamp[32], host[128], lab[128], path[PATH_MAX];
    struct tm tm;
    int rc;

    gmtime_r(&start, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    mnb_sanitise(mnb_machine_host(), host, sizeof host);
    mnb_sanitise(label, lab, sizeof lab);
    if ((rc = mkdir_p(dir)) < 0) {
        fprintf(stderr, "mnbench: cannot create %s: %s\n", dir, strerror(-rc));
        return NULL;
    }
    for (int k = 1; k < 1000; k++) {
        snprintf(path, sizeof path, k == 1 ? "%s/%s-%s-%s" : "%s/%s-%s-%s-%d",
                 dir, stamp, host, lab, k);
        if (mkdir(path, 0777) == 0)
            return strdup(path);
        if (errno != EEXIST)
            break;
    }
    fprintf(stderr, "mnbench: cannot create %s: %s\n", path, strerror(errno));
    return NULL;
}

/* --- files ------------------------------------------------------------- */

typedef int (*writer_fn)(FILE *f, const void *arg);

/* Written in full under a hidden name, synced, then renamed: a reader
 * never sees half a file, and a crash leaves the old one or none. */
static int write_atomic(const char *folder, const char *name, writer_fn fn, const void *arg)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    FILE *f;
    int rc;

    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", folder, name);
    snprintf(dst, sizeof dst, "%s/%s", folder, name);
    if (!(f = fopen(tmp, "w")))
        goto fail;
    rc = fn(f, arg);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || rc < 0) {
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0 || rename(tmp, dst) != 0)
        goto fail;
    return 0;
fail:
    rc = -errno;
    fprintf(stderr, "mnbench: cannot write %s: %s\n", dst, strerror(errno));
    unlink(tmp);
    return rc ? rc : -EIO;
}

static int write_json(FILE *f, const void *doc)
{
    return json_dumpf((json_t *)doc, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
                      JSON_REAL_PRECISION(17)) == 0 && fputc('\n', f) != EOF ? 0 : -1;
}

static int write_csv(FILE *f, const void *plan)
{
    mnb_csv_write(f, plan);
    return ferror(f) ? -1 : 0;
}

int mnb_results_write(const char *folder, json_t *run, const mnb_plan *p)
{
    int rc = write_atomic(folder, "run.json", write_json, run);
    int rc2 = write_atomic(folder, "summary.csv", write_csv, p);

    return rc < 0 ? rc : rc2;
}
