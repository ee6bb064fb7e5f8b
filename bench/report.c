/* report.c - `mnbench report`: report.html and report.md from one run or
 * several pooled (what they hold and how strings are kept inert:
 * report.h). Both files are written through one small document layer -
 * headings, paragraphs, tables, figures - that escapes every string for
 * the format it writes. */
#include "report.h"
#include "cli.h"
#include "compare.h"
#include "escape.h"
#include "plot.h"
#include "results.h"
#include "runjson.h"
#include "stats.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --- the document layer ------------------------------------------------------- */

typedef struct doc {
    FILE *h, *m;                /* report.html, report.md (temporary names) */
    const char *dir;            /* where plots/ is */
} doc;

static void vtext(char *buf, size_t len, const char *fmt, va_list ap)
{
    vsnprintf(buf, len, fmt, ap);
}

/* A heading; the text (formatted, then escaped) may hold run strings. */
static void heading(doc *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void heading(doc *d, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vtext(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(d->h, "<h%d>", level);
    mnb_html(d->h, buf);
    fprintf(d->h, "</h%d>\n", level);
    fprintf(d->m, "\n%.*s ", level, "######");
    mnb_md(d->m, buf);
    fputs("\n\n", d->m);
}

static void para(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void para(doc *d, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;

    va_start(ap, fmt);
    vtext(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("<p>", d->h);
    mnb_html(d->h, buf);
    fputs("</p>\n", d->h);
    mnb_md(d->m, buf);
    fputs("\n\n", d->m);
}

typedef struct rtable {
    int ncols, nrows;           /* row 0 is the header */
    char **cells;
    bool right[32];             /* per column: numbers, right-aligned */
} rtable;

static void rt_init(rtable *t, int ncols, const char *const *header)
{
    *t = (rtable){ .ncols = ncols };
    t->cells = calloc((size_t)ncols, sizeof *t->cells);
    for (int k = 0; k < ncols; k++)
        t->cells[k] = strdup(header[k]);
    t->nrows = 1;
}

static void rt_add(rtable *t, const char *const *row)
{
    t->cells = realloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells);
    for (int k = 0; k < t->ncols; k++)
        t->cells[t->nrows * t->ncols + k] = strdup(row[k] ? row[k] : "");
    t->nrows++;
}

static void rt_emit(doc *d, rtable *t)
{
    bool header = false;        /* Markdown needs one; HTML only when it says something */

    for (int k = 0; k < t->ncols; k++)
        header = header || t->cells[k][0];
    fputs("<table>\n", d->h);
    for (int r = 0; r < t->nrows; r++) {
        FILE *h = r || header ? d->h : NULL;
        if (h)
            fputs(r == 0 ? "<thead><tr>" : "<tr>", h);
        fputc('|', d->m);
        for (int k = 0; k < t->ncols; k++) {
            const char *c = t->cells[r * t->ncols + k];
            if (h) {
                fprintf(h, "<%s%s>", r ? "td" : "th", t->right[k] ? " class=\"n\"" : "");
                mnb_html(h, c);
                fprintf(h, "</%s>", r ? "td" : "th");
            }
            fputc(' ', d->m);
            mnb_md(d->m, c);
            fputs(" |", d->m);
        }
        if (h)
            fputs(r == 0 ? "</tr></thead>\n" : "</tr>\n", h);
        fputc('\n', d->m);
        if (r == 0) {
            fputc('|', d->m);
            for (int k = 0; k < t->ncols; k++)
                fputs(t->right[k] ? " --: |" : " --- |", d->m);
            fputc('\n', d->m);
        }
    }
    fputs("</table>\n", d->h);
    fputc('\n', d->m);
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
}

/* Two columns: what, value. */
static void kv(rtable *t, const char *k, const char *v)
{
    if (v && *v)
        rt_add(t, (const char *[]){ k, v });
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_file(FILE *out, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char in[3];
    size_t n;

    if (!f)
        return -1;
    while ((n = fread(in, 1, 3, f)) > 0) {
        unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) |
                     (n > 2 ? in[2] : 0);
        fputc(b64[v >> 18 & 63], out);
        fputc(b64[v >> 12 & 63], out);
        fputc(n > 1 ? b64[v >> 6 & 63] : '=', out);
        fputc(n > 2 ? b64[v & 63] : '=', out);
    }
    fclose(f);
    return 0;
}

static void figure(doc *d, const mnb_plot *p, const char *caption)
{
    char path[PATH_MAX + 200], rel[300];

    snprintf(rel, sizeof rel, "plots/%s.png", p->file);
    snprintf(path, sizeof path, "%s/%s", d->dir, rel);
    fputs("<figure><img alt=\"", d->h);
    mnb_html(d->h, caption);
    fputs("\" src=\"data:image/png;base64,", d->h);
    base64_file(d->h, path);
    fputs("\"><figcaption>", d->h);
    mnb_html(d->h, caption);
    fputs("</figcaption></figure>\n", d->h);
    fputs("![", d->m);
    mnb_md(d->m, caption);
    fprintf(d->m, "](%s)\n\n", rel);     /* file names are [A-Za-z0-9._+-] */
}

/* --- numbers and JSON values as text ------------------------------------------------ */

static const char *num(double v, char *buf, size_t len)
{
    mnb_fmt_sig(v, buf, len);
    return buf;
}

static const char *jnum(json_t *o, const char *key, char *buf, size_t len)
{
    json_t *v = json_object_get(o, key);
    return num(json_is_number(v) ? json_number_value(v) : NAN, buf, len);
}

/* Any JSON value as one line: strings as they are, the rest compact. */
static char *jtext(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!v || json_is_null(v))
        return strdup("-");
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
    return s ? s : strdup("?");
}

static void bytes_text(double b, char *buf, size_t len)
{
    static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int k = 0;

    while (b >= 1024 && k < 4) {
        b /= 1024;
        k++;
    }
    snprintf(buf, len, k && b < 10 ? "%.1f %s" : "%.0f %s", b, u[k]);
}

/* An array of objects as a table: the union of their keys as columns. */
static void json_table(doc *d, json_t *arr)
{
    const char *keys[32];
    int nk = 0;
    size_t i;
    json_t *o, *v;
    const char *k;
    rtable t;

    json_array_foreach(arr, i, o)
        json_object_foreach(o, k, v) {
            int j;
            for (j = 0; j < nk && strcmp(keys[j], k) != 0; j++)
                ;
            if (j == nk && nk < 32)
                keys[nk++] = k;
        }
    if (nk == 0)
        return;
    rt_init(&t, nk, keys);
    json_array_foreach(arr, i, o) {
        char *row[32];
        for (int j = 0; j < nk; j++)
            row[j] = jtext(json_object_get(o, keys[j]));
        rt_add(&t, (const char *const *)row);
        for (int j = 0; j < nk; j++)
            free(row[j]);
    }
    rt_emit(d, &t);
}

/* --- the run: machine, topology, counters ---------------------------------------- */

static void machine_table(doc *d, const mnb_run *r)
{
    json_t *ctx = json_object_get(r->doc, "context"), *topo = json_object_get(ctx, "topology");
    json_t *opt = json_object_get(r->doc, "options"), *v;
    char t[512], argv[4096] = "", env[2048] = "", opts[512] = "", *rev;
    size_t n = 0, i;
    const char *k;
    rtable tb;

    rt_init(&tb, 2, (const char *[]){ "", "" });
    kv(&tb, "folder", r->dir);
    kv(&tb, "host", mnb_jstr(ctx, "host"));
    kv(&tb, "CPU", mnb_jstr(ctx, "cpu_model"));
    if (json_is_object(topo)) {
        long long pk = json_integer_value(json_object_get(topo, "packages"));
        long long nn = json_integer_value(json_object_get(topo, "numa_nodes"));
        snprintf(t, sizeof t, "%lld package%s, %lld NUMA node%s, %lld cores, %lld PUs",
                 pk, pk == 1 ? "" : "s", nn, nn == 1 ? "" : "s",
                 (long long)json_integer_value(json_object_get(topo, "cores")),
                 (long long)json_integer_value(json_object_get(topo, "pus")));
        kv(&tb, "topology", t);
    }
    kv(&tb, "kernel", mnb_jstr(ctx, "kernel"));
    snprintf(t, sizeof t, "%s%s%s%s", json_is_true(json_object_get(ctx, "virtual_machine")) ?
             "yes" : "no", mnb_jstr(ctx, "hypervisor") ? " (" : "",
             mnb_jstr(ctx, "hypervisor") ? mnb_jstr(ctx, "hypervisor") : "",
             mnb_jstr(ctx, "hypervisor") ? ")" : "");
    kv(&tb, "virtual machine", t);
    kv(&tb, "CPU frequency governor", mnb_jstr(ctx, "cpu_governor"));
    kv(&tb, "compiler", mnb_jstr(ctx, "compiler"));
    kv(&tb, "build type", mnb_jstr(ctx, "build_type"));
    kv(&tb, "C flags", mnb_jstr(ctx, "cflags"));
    rev = jtext(json_object_get(ctx, "git_revision"));
    snprintf(t, sizeof t, "%s%s", rev, json_is_true(json_object_get(ctx, "git_dirty")) ?
             " (modified tree)" : "");
    free(rev);
    kv(&tb, "git revision", t);
    kv(&tb, "mnbench version", mnb_jstr(ctx, "mnbench_version"));
    json_array_foreach(json_object_get(ctx, "command_line"), i, v)
        if (n < sizeof argv)
            n += (size_t)snprintf(argv + n, sizeof argv - n, "%s%s", i ? " " : "",
                                  json_string_value(v));
    kv(&tb, "command line", argv);
    n = 0;
    json_object_foreach(json_object_get(ctx, "environment"), k, v)
        if (n < sizeof env)
            n += (size_t)snprintf(env + n, sizeof env - n, "%s%s=%s", n ? " " : "", k,
                                  json_string_value(v));
    kv(&tb, "MN_* environment", env);
    kv(&tb, "started", mnb_jstr(ctx, "start"));
    kv(&tb, "ended", mnb_jstr(ctx, "end"));
    if (json_is_object(opt)) {
        snprintf(opts, sizeof opts, "warm-up %lld, at least %lld repetitions and %g s per "
                 "configuration%s",
                 (long long)json_integer_value(json_object_get(opt, "warmup")),
                 (long long)json_integer_value(json_object_get(opt, "reps")),
                 json_number_value(json_object_get(opt, "min_time_ns")) / 1e9,
                 json_is_true(json_object_get(opt, "interleave")) ? ", interleaved" : "");
        kv(&tb, "repetitions", opts);
    }
    if (json_is_true(json_object_get(r->doc, "interrupted")))
        kv(&tb, "interrupted", "yes: Ctrl-C stopped the run; what finished is here");
    rt_emit(d, &tb);
}

static void warnings(doc *d, const mnb_run *r)
{
    json_t *w = json_object_get(json_object_get(r->doc, "context"), "warnings"), *v;
    size_t i;

    if (!json_array_size(w))
        return;
    fputs("<ul class=\"warn\">\n", d->h);
    json_array_foreach(w, i, v) {
        fputs("<li>warning: ", d->h);
        mnb_html(d->h, json_string_value(v));
        fputs("</li>\n", d->h);
        fputs("- warning: ", d->m);
        mnb_md(d->m, json_string_value(v));
        fputc('\n', d->m);
    }
    fputs("</ul>\n", d->h);
    fputc('\n', d->m);
}

static void topology(doc *d, const mnb_set *s, const mnb_run *r)
{
    json_t *topo = json_object_get(json_object_get(r->doc, "context"), "topology");
    json_t *caches = json_object_get(topo, "caches"), *c, *v;
    size_t i;
    bool plans = false;
    rtable t;

    if (json_array_size(caches)) {
        heading(d, 3, "Caches");
        rt_init(&t, 5, (const char *[]){ "level", "type", "size", "line", "instances" });
        t.right[0] = t.right[2] = t.right[3] = t.right[4] = true;
        json_array_foreach(caches, i, c) {
            char lvl[16], size[32], line[32], count[32];
            snprintf(lvl, sizeof lvl, "L%lld", (long long)json_integer_value(
                     json_object_get(c, "level")));
            bytes_text(json_number_value(json_object_get(c, "size")), size, sizeof size);
            v = json_object_get(c, "line_size");
            snprintf(line, sizeof line, v ? "%lld B" : "-", (long long)json_integer_value(v));
            snprintf(count, sizeof count, "%lld", (long long)json_integer_value(
                     json_object_get(c, "count")));
            rt_add(&t, (const char *[]){ lvl, mnb_jstr(c, "type"), size, line, count });
        }
        rt_emit(d, &t);
    }
    /* Later additions to the schema, shown when present. */
    if (json_is_array(json_object_get(topo, "nodes"))) {
        heading(d, 3, "NUMA nodes");
        json_table(d, json_object_get(topo, "nodes"));
    }
    if (json_is_array(json_object_get(topo, "distances"))) {
        heading(d, 3, "NUMA distances");
        json_array_foreach(json_object_get(topo, "distances"), i, v) {
            char *row = jtext(v);
            para(d, "node %zu: %s", i, row);
            free(row);
        }
    }
    for (int k = 0; k < s->ncfgs; k++) {
        json_t *plan = json_object_get(s->cfgs[k].j, "plan");
        if (s->cfgs[k].run != r || !json_is_array(plan) || !json_array_size(plan))
            continue;
        if (!plans)
            heading(d, 3, "Placement plans");
        plans = true;
        para(d, "%s:", s->cfgs[k].label);
        json_table(d, plan);
    }
}

static void counters_info(doc *d, const mnb_run *r)
{
    json_t *ci = json_object_get(r->doc, "counters");
    json_t *hw = json_object_get(ci, "hardware"), *sw = json_object_get(ci, "software");
    json_t *tsc = json_object_get(ci, "tsc");
    char hz[64];
    rtable t;

    if (!json_is_object(ci))
        return;
    heading(d, 3, "Counters");
    rt_init(&t, 2, (const char *[]){ "", "" });
    kv(&t, "requested", mnb_jstr(ci, "requested"));
    kv(&t, "hardware (PAPI)", json_is_true(json_object_get(hw, "usable")) ? "usable" :
       "not usable");
    kv(&t, "why not", mnb_jstr(hw, "reason"));
    kv(&t, "software events", mnb_jstr(sw, "source"));
    kv(&t, "why not perf", mnb_jstr(sw, "reason"));
    if (json_is_number(json_object_get(tsc, "hz"))) {
        snprintf(hz, sizeof hz, "%.4g GHz", json_number_value(json_object_get(tsc, "hz")) / 1e9);
        kv(&t, "TSC", hz);
    }
    rt_emit(d, &t);
}

/* --- per benchmark ------------------------------------------------------------ */

static const char *cfg_name(const mnb_cfg *c)
{
    return c->tail[0] ? c->tail : c->label;
}

static void samples_table(doc *d, const mnb_set *s, const int *idx, int n)
{
    const char *names[128];
    int nm = mnb_metric_names(s, idx, n, 0, names, 128);
    rtable t;

    if (nm == 0)
        return;
    rt_init(&t, 9, (const char *[]){ "configuration", "metric", "reps", "median", "95% CI",
                                      "min", "max", "CV", "unit" });
    for (int k = 2; k < 8; k++)
        t.right[k] = true;
    for (int m = 0; m < nm; m++)
        for (int i = 0; i < n; i++) {
            const mnb_cfg *c = &s->cfgs[idx[i]];
            char reps[32], med[32], lo[32], hi[32], ci[80], mn[32], mx[32], cv[32];
            double *v;
            size_t nv = mnb_cfg_values(c, names[m], false, &v);
            mnb_stats st;
            if (!json_object_get(json_object_get(c->j, "samples"), names[m]))
                continue;
            mnb_stats_compute(v, nv, &st);
            free(v);
            snprintf(reps, sizeof reps, "%zu", nv);
            if (isnan(st.ci_lo))
                snprintf(ci, sizeof ci, "-");
            else
                snprintf(ci, sizeof ci, "[%s, %s]", num(st.ci_lo, lo, sizeof lo),
                         num(st.ci_hi, hi, sizeof hi));
            if (isfinite(st.cv))
                snprintf(cv, sizeof cv, "%.1f%%", 100 * st.cv);
            else
                snprintf(cv, sizeof cv, "-");
            rt_add(&t, (const char *[]){ cfg_name(c), names[m], reps, num(st.median, med, 32),
                                         ci, num(st.min, mn, 32), num(st.max, mx, 32), cv,
                                         mnb_cfg_unit(c, names[m], false) });
        }
    heading(d, 3, "Repetition samples");
    rt_emit(d, &t);
}

static void latency_table(doc *d, const mnb_set *s, const int *idx, int n)
{
    const char *names[128];
    int nm = mnb_metric_names(s, idx, n, 1, names, 128);
    rtable t;

    if (nm == 0)
        return;
    rt_init(&t, 9, (const char *[]){ "configuration", "metric", "events", "p50", "p90", "p99",
                                      "p99.9", "max", "unit" });
    for (int k = 2; k < 8; k++)
        t.right[k] = true;
    for (int m = 0; m < nm; m++)
        for (int i = 0; i < n; i++) {
            const mnb_cfg *c = &s->cfgs[idx[i]];
            json_t *sum = json_object_get(json_object_get(c->j, "summaries"), names[m]);
            json_t *lat = json_object_get(json_object_get(c->j, "latencies"), names[m]);
            char ev[32], a[32], b[32], e[32], f[32], g[32];
            if (!lat)
                continue;
            snprintf(ev, sizeof ev, "%lld",
                     (long long)json_integer_value(json_object_get(lat, "count")));
            rt_add(&t, (const char *[]){ cfg_name(c), names[m], ev, jnum(sum, "p50", a, 32),
                                         jnum(sum, "p90", b, 32), jnum(sum, "p99", e, 32),
                                         jnum(sum, "p999", f, 32), jnum(sum, "max", g, 32),
                                         mnb_cfg_unit(c, names[m], false) });
        }
    heading(d, 3, "Event latencies");
    rt_emit(d, &t);
}

static void counters_table(doc *d, const mnb_set *s, const int *idx, int n)
{
    const char *names[128];
    int nm = mnb_metric_names(s, idx, n, 2, names, 128);
    rtable t;

    if (nm == 0)
        return;
    rt_init(&t, 8, (const char *[]){ "configuration", "counter", "source", "reps", "median",
                                      "95% CI", "CV", "unit" });
    t.right[3] = t.right[4] = t.right[5] = t.right[6] = true;
    for (int m = 0; m < nm; m++)
        for (int i = 0; i < n; i++) {
            const mnb_cfg *c = &s->cfgs[idx[i]];
            json_t *fig = json_object_get(json_object_get(json_object_get(c->j, "counters"),
                                                          "figures"), names[m]);
            char reps[32], med[32], lo[32], hi[32], ci[80], cv[32];
            double *v;
            size_t nv;
            mnb_stats st;
            if (!fig)
                continue;
            nv = mnb_cfg_values(c, names[m], true, &v);
            mnb_stats_compute(v, nv, &st);
            free(v);
            snprintf(reps, sizeof reps, "%zu", nv);
            if (isnan(st.ci_lo))
                snprintf(ci, sizeof ci, "-");
            else
                snprintf(ci, sizeof ci, "[%s, %s]", num(st.ci_lo, lo, 32), num(st.ci_hi, hi, 32));
            if (isfinite(st.cv))
                snprintf(cv, sizeof cv, "%.1f%%", 100 * st.cv);
            else
                snprintf(cv, sizeof cv, "-");
            rt_add(&t, (const char *[]){ cfg_name(c), names[m], mnb_jstr(fig, "source"), reps,
                                         num(st.median, med, 32), ci, cv,
                                         mnb_cfg_unit(c, names[m], true) });
        }
    heading(d, 3, "Counters per operation");
    rt_emit(d, &t);
}

static void caption(const mnb_plot *p, char *buf, size_t len)
{
    const char *g = p->group ? p->group : "";
    const char *sep = p->group ? ", " : "";

    switch (p->kind) {
    case MNB_PLOT_BARS:
        snprintf(buf, len, "%s: %s, median per configuration with the 95%% CI of the median",
                 p->bench, p->metric);
        break;
    case MNB_PLOT_SWEEP:
        snprintf(buf, len, "%s: %s against %s", p->bench, p->metric, p->axis);
        break;
    case MNB_PLOT_CDF:
        snprintf(buf, len, "%s: %s, CDF of event latencies%s%s", p->bench, p->metric, sep, g);
        break;
    case MNB_PLOT_HIST:
        snprintf(buf, len, "%s: %s, histogram of event latencies%s%s", p->bench, p->metric,
                 sep, g);
        break;
    case MNB_PLOT_COUNTER:
        snprintf(buf, len, "%s: counter %s per operation", p->bench, p->metric);
        break;
    }
}

static void bench_section(doc *d, const mnb_set *s, const char *bench, const mnb_plots *pl)
{
    int *idx, n = mnb_set_bench(s, bench, &idx), nfig = 0;
    char cap[1200];

    heading(d, 2, "Benchmark %s", bench);
    para(d, "%d configuration%s.", n, n == 1 ? "" : "s");
    samples_table(d, s, idx, n);
    latency_table(d, s, idx, n);
    counters_table(d, s, idx, n);
    for (int i = 0; pl && i < pl->n; i++) {
        if (strcmp(pl->v[i].bench, bench) != 0)
            continue;
        if (nfig++ == 0)
            heading(d, 3, "Figures");
        caption(&pl->v[i], cap, sizeof cap);
        figure(d, &pl->v[i], cap);
    }
    free(idx);
}

/* --- comparisons ---------------------------------------------------------------- */

static void comparisons(doc *d, const mnb_set *s, double alpha)
{
    mnb_axis axes[64];
    int na = mnb_cmp_axes(s, axes, 64), shown = 0;
    char err[512];

    for (int a = 0; a < na; a++) {
        mnb_cmp c;
        char **cells;
        int nc, nr;
        rtable t;
        if (mnb_cmp_build(s, axes[a].name, alpha, &c, err, sizeof err) < 0)
            continue;
        if (shown++ == 0) {
            heading(d, 2, "Comparisons between configurations");
            para(d, "Per setting that varies: the median of the repetition samples ±95%% CI "
                 "for each value; against the first value, the change of the median and the "
                 "Mann-Whitney U p-value, two-sided (exact without ties below 50 samples a "
                 "side, else the normal approximation with tie correction). ~: not "
                 "significant at alpha = %g. ?: fewer than %d samples on a side, no test. "
                 "The same as mnbench compare --by SETTING.", alpha, MNB_CMP_MIN_N);
        }
        heading(d, 3, "By %s", axes[a].name);
        nr = mnb_cmp_cells(&c, &cells, &nc);
        rt_init(&t, nc, (const char *const *)cells);
        for (int k = 3; k < nc && k < 32; k++)
            t.right[k] = true;
        for (int r = 1; r < nr; r++)
            rt_add(&t, (const char *const *)cells + r * nc);
        rt_emit(d, &t);
        for (int i = 0; i < c.nnotes; i++)
            para(d, "Note: %s", c.notes[i]);
        mnb_cmp_cells_free(cells, nr * nc);
        mnb_cmp_free(&c);
    }
}

/* --- the files ---------------------------------------------------------------------- */

static const char style[] =
    "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1300px;"
    "margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.4}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}"
    "table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}"
    "th,td{border:1px solid #d0d0d0;padding:.25em .6em;text-align:left;vertical-align:top}"
    "thead th{background:#f2f2f2}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #e5e5e5}"
    "figcaption{color:#555;font-size:.9em}.warn{color:#8a4b00}"
    "footer{margin-top:3em;color:#666;font-size:.85em}";

static void write_report(doc *d, const mnb_set *s, const mnb_plots *pl, const char *plot_note,
                         double alpha)
{
    char title[1024], now[64];
    time_t t = time(NULL);

    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    snprintf(title, sizeof title, "mnbench report: %s%s", s->runs[0].name,
             s->nruns > 1 ? " and more" : "");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "img-src data:; style-src 'unsafe-inline'\">\n<title>", d->h);
    mnb_html(d->h, title);
    fprintf(d->h, "</title>\n<style>%s</style>\n</head><body>\n", style);
    fputs("<h1>", d->h);
    mnb_html(d->h, title);
    fputs("</h1>\n", d->h);
    fputs("# ", d->m);
    mnb_md(d->m, title);
    fputs("\n\n", d->m);
    fputs("<p>Benchmarks: ", d->h);
    fputs("Benchmarks: ", d->m);
    for (int b = 0; b < s->nbenches; b++) {
        mnb_html(d->h, s->benches[b]);
        mnb_md(d->m, s->benches[b]);
        fputs(b + 1 < s->nbenches ? ", " : ".</p>\n", d->h);
        fputs(b + 1 < s->nbenches ? ", " : ".\n\n", d->m);
    }
    for (int r = 0; r < s->nruns; r++) {
        heading(d, 2, s->nruns > 1 ? "Run %s" : "The run: %s", s->runs[r].name);
        machine_table(d, &s->runs[r]);
        warnings(d, &s->runs[r]);
        topology(d, s, &s->runs[r]);
        counters_info(d, &s->runs[r]);
    }
    if (plot_note)
        para(d, "%s", plot_note);
    for (int b = 0; b < s->nbenches; b++)
        bench_section(d, s, s->benches[b], pl);
    comparisons(d, s, alpha);
    fprintf(d->h, "<footer>Written by mnbench report %s at %s. Medians and CIs are "
            "recomputed from the repetition samples in run.json (95%% CI of the median "
            "from order statistics; none below 6 repetitions).</footer>\n</body></html>\n",
            MN_VERSION, now);
    fprintf(d->m, "\n---\nWritten by mnbench report %s at %s. Medians and CIs are recomputed "
            "from the repetition samples in run.json (95%% CI of the median from order "
            "statistics; none below 6 repetitions).\n", MN_VERSION, now);
}

static int finish_file(FILE *f, const char *tmp, const char *dst)
{
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, dst) != 0) {
        fprintf(stderr, "mnbench: report: cannot write %s: %s\n", dst, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static FILE *temp_file(char *tmpl)
{
    int fd = mkstemp(tmpl);
    mode_t mask = umask(0);
    FILE *f;

    umask(mask);
    if (fd < 0)
        return NULL;
    fchmod(fd, 0666 & ~mask);   /* mkstemp's 0600 is for secrets; a report is not */
    if (!(f = fdopen(fd, "w"))) {
        close(fd);
        unlink(tmpl);
    }
    return f;
}

static int report_files(const mnb_set *s, const char *out, const mnb_plots *pl,
                        const char *plot_note, double alpha)
{
    char th[PATH_MAX + 32], tm[PATH_MAX + 32], dh[PATH_MAX + 32], dm[PATH_MAX + 32];
    doc d = { .dir = out };
    int rc;

    /* Unique names made with O_EXCL: a folder from elsewhere could hold a
     * link where a fixed temporary name would be. */
    snprintf(th, sizeof th, "%s/.report.html.XXXXXX", out);
    snprintf(tm, sizeof tm, "%s/.report.md.XXXXXX", out);
    snprintf(dh, sizeof dh, "%s/report.html", out);
    snprintf(dm, sizeof dm, "%s/report.md", out);
    if (!(d.h = temp_file(th)) || !(d.m = temp_file(tm))) {
        fprintf(stderr, "mnbench: report: cannot write in %s: %s\n", out, strerror(errno));
        if (d.h) {
            fclose(d.h);
            unlink(th);
        }
        return -1;
    }
    write_report(&d, s, pl, plot_note, alpha);
    rc = finish_file(d.h, th, dh);
    if (finish_file(d.m, tm, dm) < 0 || rc < 0)
        return -1;
    printf("report: %s\nreport: %s\n", dh, dm);
    return 0;
}

static void report_usage(FILE *f)
{
    fputs("Usage: mnbench report [--out DIR] [--alpha A] [--no-plots] RESULTS_DIR...\n"
          "\n"
          "Writes report.html (self-contained: figures embedded as PNG, no scripts) and\n"
          "report.md (figures linked from plots/) into RESULTS_DIR: the machine and build,\n"
          "topology and placement plans when run.json has them, per benchmark the tables\n"
          "of repetition samples, event latencies and counters with their figures\n"
          "(drawn again, as mnbench plot does), and comparisons between configurations\n"
          "for each setting that varies (as mnbench compare --by SETTING).\n"
          "\n"
          "Options:\n"
          "      --out DIR    several runs pooled into one report in DIR (needed for more\n"
          "                   than one RESULTS_DIR)\n"
          "      --alpha A    significance level of the comparisons [0.05]\n"
          "      --no-plots   no figures (and no gnuplot)\n"
          "  -h, --help       this text\n"
          "\n"
          "Bad input (a missing or foreign folder, a run.json that fails the schema)\n"
          "exits 2 with nothing written.\n", f);
}

int mnb_report_cmd(int argc, char **argv)
{
    static const struct option lo[] = {
        { "out", required_argument, NULL, 'o' },
        { "alpha", required_argument, NULL, 'a' },
        { "no-plots", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *out = NULL, *note = NULL;
    bool plots = true;
    double alpha = 0.05;
    mnb_plots pl = { 0 };
    struct stat st;
    char *end;
    mnb_set s;
    int ch, rc;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'o':
            out = optarg;
            break;
        case 'a':
            alpha = strtod(optarg, &end);
            if (*end || end == optarg || !(alpha > 0 && alpha < 1))
                mnb_usage_error("report --alpha %s: not a level; allowed: a number between "
                                "0 and 1 (0.05)", optarg);
            break;
        case 'n':
            plots = false;
            break;
        case 'h':
            report_usage(stdout);
            return MNB_EXIT_OK;
        case ':':
            mnb_usage_error("report %s needs a value; allowed: see mnbench report --help",
                            argv[optind - 1]);
        default:
            mnb_usage_error("report: unknown option '%s'; allowed: --out, --alpha, "
                            "--no-plots, --help", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        mnb_usage_error("report: no run folder; allowed: mnbench report RESULTS_DIR");
    if (argc - optind > 1 && !out)
        mnb_usage_error("report: %d run folders; allowed: one, or several with --out DIR",
                        argc - optind);
    mnb_set_load(&s, argv + optind, argc - optind, "report");
    if (out && (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)))
        mnb_usage_error("report --out %s: not a folder; allowed: an existing folder", out);
    if (!out)
        out = s.runs[0].dir;
    if (plots && !mnb_plot_available()) {
        note = "Figures: not drawn, gnuplot is not installed (Debian: apt-get install "
               "gnuplot-nox).";
        fprintf(stderr, "mnbench: report: gnuplot is not installed: the report has no "
                "figures\n");
    } else if (plots && mnb_plot_set(&s, out, &pl) < 0) {
        mnb_set_free(&s);
        return MNB_EXIT_FAILED;
    }
    rc = report_files(&s, out, plots && !note ? &pl : NULL, note, alpha);
    mnb_plots_free(&pl);
    mnb_set_free(&s);
    return rc < 0 ? MNB_EXIT_FAILED : MNB_EXIT_OK;
}
