/* plot.c - `mnbench plot`: data files and gnuplot scripts for a run's
 * figures, gnuplot run on each, the plots folder swapped in whole (what is
 * drawn: plot.h; how strings from the run are kept inert: escape.h). */
#include "plot.h"
#include "cli.h"
#include "compare.h"
#include "escape.h"
#include "results.h"
#include "stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WIDTH 1280
#define HEIGHT 720
#define CDF_POINTS 1500         /* evenly spaced ranks per CDF line... */
#define CDF_TAIL 600            /* ...plus every one of the top ranks */
#define CDF_LINES 8             /* CDFs one figure can hold */
#define HIST_SERIES 3           /* overlaid histograms one figure can hold */

typedef struct pctx {
    const mnb_set *s;
    char tdir[PATH_MAX];        /* the templates */
    char tmp[PATH_MAX];         /* the folder being built */
    char machine[1024];         /* the subtitle */
    mnb_plots *out;
    int failed;
} pctx;

/* One figure being written. */
typedef struct fig {
    pctx *x;
    mnb_plot p;
    FILE *dat;
    char *vars, *cmds;          /* variable assignments; commands of numbers only */
    size_t vlen, clen;
    FILE *fv, *fc;
    char note[512];
} fig;

/* --- templates and gnuplot --------------------------------------------------- */

static bool has_templates(const char *dir)
{
    char p[PATH_MAX + 16];

    snprintf(p, sizeof p, "%s/common.gp", dir);
    return access(p, R_OK) == 0;
}

/* $MNBENCH_PLOTS, else the source tree's plots/. Templates are code that
 * gnuplot runs: never looked for in places others can write (a folder
 * guessed from where the binary is could be /tmp/plots). */
static int find_templates(char *dir, size_t len)
{
    const char *env = getenv("MNBENCH_PLOTS");

    snprintf(dir, len, "%s", env && *env ? env : MN_SOURCE_DIR "/plots");
    return has_templates(dir) ? 0 : -1;
}

int mnb_plot_available(void)
{
    const char *path = getenv("PATH");
    char *copy, *save, *d, exe[PATH_MAX];
    int found = 0;

    copy = strdup(path ? path : "/usr/bin:/bin");
    for (d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(exe, sizeof exe, "%s/gnuplot", *d ? d : ".");
        found = access(exe, X_OK) == 0;
    }
    free(copy);
    return found;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *m;

    if (!f)
        return NULL;
    m = open_memstream(&buf, &len);
    for (int c; (c = fgetc(f)) != EOF;)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* gnuplot SCRIPT in dir, stdin from /dev/null, its output into a log that
 * is shown (last line) only when it fails. 0 or -1. */
static int run_gnuplot(const char *dir, const char *name)
{
    char script[300], log[PATH_MAX + 320], last[512] = "", line[512];
    int logfd, status;
    pid_t pid;
    FILE *lf;

    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(log, sizeof log, "%s/.%s.log", dir, name);
    if ((logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "mnbench: plot: cannot write %s: %s\n", log, strerror(errno));
        return -1;
    }
    fflush(NULL);
    if ((pid = fork()) == 0) {
        int nul = open("/dev/null", O_RDONLY);
        if (nul < 0 || dup2(nul, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
            chdir(dir) < 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "mnbench: plot: cannot run gnuplot: %s\n", strerror(errno));
        unlink(log);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        unlink(log);
        return 0;
    }
    if ((lf = fopen(log, "r"))) {
        while (fgets(line, sizeof line, lf))
            if (strspn(line, " \t\n^") != strlen(line))
                snprintf(last, sizeof last, "%s", line);
        fclose(lf);
    }
    unlink(log);
    last[strcspn(last, "\n")] = '\0';
    mnb_one_line(last);
    fprintf(stderr, "mnbench: plot: gnuplot failed on %s (%s%s%s)\n", script,
            WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "gnuplot not found" :
            "exit status", WIFEXITED(status) && WEXITSTATUS(status) == 127 ? "" : ": ",
            last);
    return -1;
}

/* --- the machine ------------------------------------------------------------------ */

void mnb_plot_machine(const mnb_set *s, char *buf, size_t len)
{
    json_t *ctx = json_object_get(s->runs[0].doc, "context");
    json_t *topo = json_object_get(ctx, "topology");
    const char *cpu = mnb_jstr(ctx, "cpu_model"), *kernel = mnb_jstr(ctx, "kernel");
    const char *host = mnb_jstr(ctx, "host"), *start = mnb_jstr(ctx, "start");
    const char *hyp = mnb_jstr(ctx, "hypervisor");
    size_t n = 0;

    n += (size_t)snprintf(buf + n, len - n, "%s", cpu ? cpu : "unknown CPU");
    if (json_is_object(topo)) {
        json_int_t nodes = json_integer_value(json_object_get(topo, "numa_nodes"));
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
                              " · %lld NUMA node%s, %lld cores, %lld PUs", (long long)nodes,
                              nodes == 1 ? "" : "s",
                              (long long)json_integer_value(json_object_get(topo, "cores")),
                              (long long)json_integer_value(json_object_get(topo, "pus")));
    }
    if (kernel && n < len) {
        int w = (int)strcspn(kernel, " ");
        int w2 = kernel[w] ? (int)strcspn(kernel + w + 1, " ") : -1;
        n += (size_t)snprintf(buf + n, len - n, " · %.*s", w + 1 + w2, kernel);
    }
    if (json_is_true(json_object_get(ctx, "virtual_machine")) && n < len)
        n += (size_t)snprintf(buf + n, len - n, " · %s guest", hyp ? hyp : "VM");
    if (host && n < len)
        n += (size_t)snprintf(buf + n, len - n, " · host %s", host);
    if (start && n < len)
        n += (size_t)snprintf(buf + n, len - n, " · %.10s", start);
    if (s->nruns > 1 && n < len)
        snprintf(buf + n, len - n, " · first of %d runs", s->nruns);
}

/* --- figures ------------------------------------------------------------------ */

static const char *const kind_names[] = { "bars", "sweep", "cdf", "hist", "counter" };

static bool name_taken(const pctx *x, const char *name)
{
    for (int i = 0; i < x->out->n; i++)
        if (!strcmp(x->out->v[i].file, name))
            return true;
    return false;
}

static int fig_open(pctx *x, fig *g, mnb_plot_kind kind, const char *bench, const char *metric,
                    const char *axis, const char *group)
{
    char b[41], m[41], a[41], gr[41], base[200], name[220], path[PATH_MAX + 256];

    *g = (fig){ .x = x, .p = { kind, bench, metric, axis, NULL, NULL } };
    /* Each part cut to 40 characters: long names keep their shape. */
    mnb_sanitise(bench, b, sizeof b);
    mnb_sanitise(metric, m, sizeof m);
    mnb_sanitise(axis ? axis : "", a, sizeof a);
    mnb_sanitise(group ? group : "", gr, sizeof gr);
    snprintf(base, sizeof base, "%s-%s-%s%s%s%s%s", kind_names[kind], b, m, axis ? "-" : "",
             a, group ? "-" : "", gr);
    if (group)
        g->p.group = strdup(group);
    snprintf(name, sizeof name, "%s", base);
    for (int k = 2; name_taken(x, name); k++)
        snprintf(name, sizeof name, "%s-%d", base, k);
    g->p.file = strdup(name);
    snprintf(path, sizeof path, "%s/%s.dat", x->tmp, name);
    if (!(g->dat = fopen(path, "w"))) {
        fprintf(stderr, "mnbench: plot: cannot write %s: %s\n", path, strerror(errno));
        free(g->p.file);
        free(g->p.group);
        return -1;
    }
    g->fv = open_memstream(&g->vars, &g->vlen);
    g->fc = open_memstream(&g->cmds, &g->clen);
    return 0;
}

static void fig_discard(fig *g)
{
    char path[PATH_MAX + 256];

    fclose(g->dat);
    fclose(g->fv);
    fclose(g->fc);
    snprintf(path, sizeof path, "%s/%s.dat", g->x->tmp, g->p.file);
    unlink(path);
    free(g->vars);
    free(g->cmds);
    free(g->p.file);
    free(g->p.group);
}

static void var_num(fig *g, const char *name, double v)
{
    fprintf(g->fv, "%s = %.10g\n", name, isfinite(v) ? v : 0);
}

static void dat_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "\t%.10g", v);
    else
        fputs("\tNaN", f);
}

/* s cut to at most max characters (UTF-8), with an ellipsis: names from a
 * run can be any length, and a figure has room for a line. */
static void clip(const char *s, char *buf, size_t len, int max)
{
    size_t i = 0;
    int chars = 0;

    while (s[i] && i + 4 < len) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars > max)
            break;
        buf[i] = s[i];
        i++;
    }
    /* Back to a character boundary. */
    while (i > 0 && s[i] && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    buf[i] = '\0';
    if (s[i])
        snprintf(buf + i, len - i, "…");
}

static void gp_clipped(FILE *f, const char *s, int max)
{
    char buf[1024];

    clip(s, buf, sizeof buf, max);
    mnb_gp_quote(f, buf);
}

static void dat_label(FILE *f, const char *s)
{
    char buf[512];

    clip(s, buf, sizeof buf, 72);
    mnb_dat_field(f, buf);
}

/* Writes NAME.gp - variables, common.gp, the commands, the template, the
 * SVG copy - and has gnuplot draw it. */
static int fig_draw(fig *g, const char *tmpl, const char *title, const char *xlabel,
                    const char *ylabel, int height)
{
    pctx *x = g->x;
    char path[PATH_MAX + 256], tpath[PATH_MAX + 32], *common, *body;
    FILE *f;
    int rc = -1;

    fclose(g->fv);
    fclose(g->fc);
    if (fclose(g->dat) != 0)
        goto out;
    snprintf(tpath, sizeof tpath, "%s/common.gp", x->tdir);
    common = slurp(tpath);
    snprintf(tpath, sizeof tpath, "%s/%s", x->tdir, tmpl);
    body = slurp(tpath);
    snprintf(path, sizeof path, "%s/%s.gp", x->tmp, g->p.file);
    if (!common || !body || !(f = fopen(path, "w"))) {
        fprintf(stderr, "mnbench: plot: cannot read %s or write %s\n", tpath, path);
        free(common);
        free(body);
        goto out;
    }
    fprintf(f, "# %s.gp - written by mnbench plot from %s.dat; `gnuplot %s.gp` in this\n"
            "# folder draws %s.png and %s.svg again. Strings from the run are\n"
            "# single-quoted ('' is a quote) and expand nothing.\n\n",
            g->p.file, g->p.file, g->p.file, g->p.file, g->p.file);
    fprintf(f, "out = '%s'\ndata = '%s.dat'\nwidth = %d\nheight = %d\n", g->p.file,
            g->p.file, WIDTH, height);
    fprintf(f, "title_text = ");
    gp_clipped(f, title, 90);
    fprintf(f, "\nsubtitle_text = ");
    gp_clipped(f, x->machine, 150);
    fprintf(f, "\nnote_text = ");
    mnb_gp_quote(f, g->note);
    fprintf(f, "\nxlabel_text = ");
    gp_clipped(f, xlabel, 130);
    fprintf(f, "\nylabel_text = ");
    gp_clipped(f, ylabel, 80);
    fprintf(f, "\n%s\n# --- common.gp\n%s\n", g->vars, common);
    if (g->clen)
        fprintf(f, "# --- this figure\n%s\n", g->cmds);
    fprintf(f, "# --- %s\n%s\n", tmpl, body);
    fprintf(f, "# --- the same as SVG\n"
            "set terminal svg size width, height font 'DejaVu Sans,13' noenhanced "
            "background rgb 'white'\n"
            "set termoption noenhanced\nset output out . '.svg'\nreplot\nunset output\n");
    free(common);
    free(body);
    if (fclose(f) != 0) {
        fprintf(stderr, "mnbench: plot: cannot write %s: %s\n", path, strerror(errno));
        goto out;
    }
    if ((rc = run_gnuplot(x->tmp, g->p.file)) == 0) {
        x->out->v = realloc(x->out->v, (size_t)(x->out->n + 1) * sizeof *x->out->v);
        x->out->v[x->out->n++] = g->p;
        g->p.file = g->p.group = NULL;
    }
out:
    free(g->vars);
    free(g->cmds);
    free(g->p.file);
    free(g->p.group);
    if (rc < 0)
        x->failed = 1;
    return rc;
}

static const char *better_text(bool higher)
{
    return higher ? "higher is better" : "lower is better";
}

/* --- bars: the median per configuration --------------------------------------- */

/* Tick labels stay short: values far from 1 are shown in a power of 1000
 * of the unit ("10⁻³ switches/op"). Returns the factor the axis applies. */
static double axis_scale(double xmax, const char *unit, char *shown, size_t len)
{
    static const char *const sup[] = { "⁻⁹", "⁻⁶", "⁻³", "", "³", "⁶", "⁹" };
    int k = 0;

    while (xmax > 0 && xmax * pow(1000, -k) < 0.1 && k > -3)
        k--;
    while (xmax * pow(1000, -k) >= 1e5 && k < 3)
        k++;
    if (k == 0)
        snprintf(shown, len, "%s", unit);
    else
        snprintf(shown, len, "10%s %s", sup[k + 3], unit);
    return pow(1000, -k);
}

static int fig_bars(pctx *x, const int *idx, int n, const char *bench, const char *metric,
                    bool counter)
{
    const mnb_set *s = x->s;
    const char *unit = "";
    char title[512], xlabel[512], med[32], shown[160];
    double xmax = 0;
    int rows = 0, noci = 0;
    bool higher = false;
    fig g;

    if (fig_open(x, &g, counter ? MNB_PLOT_COUNTER : MNB_PLOT_BARS, bench, metric, NULL,
                 NULL) < 0)
        return -1;
    fputs("\"configuration\"\t\"median\"\t\"ci_lo\"\t\"ci_hi\"\t\"n\"\t\"text\"\t\"at\"\t"
          "\"has_ci\"\n", g.dat);
    for (int i = 0; i < n; i++) {
        const mnb_cfg *c = &s->cfgs[idx[i]];
        double *v;
        size_t nv = mnb_cfg_values(c, metric, counter, &v);
        mnb_stats st;
        char text[160];
        if (nv == 0)
            continue;
        mnb_stats_compute(v, nv, &st);
        free(v);
        if (!rows) {
            unit = mnb_cfg_unit(c, metric, counter);
            higher = mnb_cfg_higher(c, metric, counter);
        }
        mnb_fmt_sig(st.median, med, sizeof med);
        snprintf(text, sizeof text, "%s %s  (n=%zu)", med, mnb_cfg_unit(c, metric, counter), nv);
        dat_label(g.dat, c->tail[0] ? c->tail : c->label);
        dat_num(g.dat, st.median);
        dat_num(g.dat, st.ci_lo);
        dat_num(g.dat, st.ci_hi);
        fprintf(g.dat, "\t%zu\t", nv);
        mnb_dat_field(g.dat, text);
        /* gnuplot 5.4 crashes comparing NaN in a using expression: the
         * text's place is worked out here. */
        dat_num(g.dat, isnan(st.ci_hi) ? st.median : fmax(st.ci_hi, st.median));
        fprintf(g.dat, "\t%d\n", !isnan(st.ci_lo));
        xmax = fmax(xmax, isnan(st.ci_hi) ? st.median : fmax(st.ci_hi, st.median));
        noci += isnan(st.ci_lo);
        rows++;
    }
    if (rows == 0) {
        fig_discard(&g);
        return 0;
    }
    var_num(&g, "nrows", rows);
    var_num(&g, "xmax", xmax > 0 ? xmax : 1);
    var_num(&g, "scale", axis_scale(xmax, unit, shown, sizeof shown));
    snprintf(g.note, sizeof g.note, "bar: median of the repetitions · whisker: 95%% CI "
             "of the median%s", noci ? " (none below 6 repetitions)" : "");
    snprintf(title, sizeof title, counter ? "%s: %s per operation (counter)" : "%s: %s",
             bench, metric);
    snprintf(xlabel, sizeof xlabel, "%s (%s), median of the repetitions; %s", metric, shown,
             better_text(higher));
    return fig_draw(&g, "bars.gp", title, xlabel, "", rows * 46 + 190 > 380 ? rows * 46 + 190
                                                                          : 380);
}

/* --- sweeps: a metric against one axis, a line per the rest ---------------------- */

typedef struct spoint {
    int series;
    double x;                   /* the value, or its position among words */
    char xtext[256];
    mnb_stats st;
} spoint;

static int cmp_point(const void *a, const void *b)
{
    const spoint *p = a, *q = b;

    if (p->series != q->series)
        return p->series - q->series;
    return (p->x > q->x) - (p->x < q->x);
}

static int fig_sweep(pctx *x, const int *idx, int n, const char *bench, const char *metric,
                     mnb_axis ax, const mnb_axis *others, int nothers)
{
    const mnb_set *s = x->s;
    char **series = NULL, **cats = NULL, title[512], xlabel[256], ylabel[512];
    int nseries = 0, ncats = 0, np = 0, longest = 0;
    spoint *pts = calloc((size_t)n, sizeof *pts);
    bool numeric = true, integers = true;
    double lo = INFINITY, hi = -INFINITY, v;
    const char *unit = "";
    fig g;
    int rc = 0;

    for (int i = 0; i < n; i++)
        numeric = numeric && mnb_cfg_axis_num(&s->cfgs[idx[i]], ax, &v);
    for (int i = 0; i < n; i++) {
        const mnb_cfg *c = &s->cfgs[idx[i]];
        char key[1024] = "", val[256];
        size_t kl = 0;
        double *vals;
        size_t nv = mnb_cfg_values(c, metric, false, &vals);
        int k;
        if (nv == 0)
            continue;
        if (np == 0)
            unit = mnb_cfg_unit(c, metric, false);
        for (int a = 0; a < nothers && kl < sizeof key; a++)
            kl += (size_t)snprintf(key + kl, sizeof key - kl, "%s%s:%s", a ? "/" : "",
                                   others[a].name, mnb_cfg_axis(c, others[a], val, sizeof val));
        if (!nothers)
            snprintf(key, sizeof key, "%s", metric);
        for (k = 0; k < nseries && strcmp(series[k], key) != 0; k++)
            ;
        if (k == nseries) {
            series = realloc(series, (size_t)(nseries + 1) * sizeof *series);
            series[nseries++] = strdup(key);
        }
        spoint *p = &pts[np++];
        p->series = k;
        mnb_cfg_axis(c, ax, p->xtext, sizeof p->xtext);
        if (numeric) {
            mnb_cfg_axis_num(c, ax, &p->x);
            integers = integers && p->x == floor(p->x);
            lo = fmin(lo, p->x);
            hi = fmax(hi, p->x);
        } else {
            for (k = 0; k < ncats && strcmp(cats[k], p->xtext) != 0; k++)
                ;
            if (k == ncats) {
                cats = realloc(cats, (size_t)(ncats + 1) * sizeof *cats);
                cats[ncats++] = strdup(p->xtext);
            }
            p->x = k;
        }
        mnb_stats_compute(vals, nv, &p->st);
        free(vals);
    }
    qsort(pts, (size_t)np, sizeof *pts, cmp_point);
    /* A line needs two points somewhere, or there is nothing to sweep. */
    for (int i = 1; i < np; i++)
        longest = pts[i].series == pts[i - 1].series ? longest + 1 : longest;
    if (longest == 0)
        goto done;
    if ((rc = fig_open(x, &g, MNB_PLOT_SWEEP, bench, metric, ax.name, NULL)) < 0)
        goto done;
    for (int k = 0; k < nseries; k++) {
        fprintf(g.dat, "%s\"x\"\t", k ? "\n\n" : "");
        dat_label(g.dat, series[k]);
        fputs("\t\"median\"\t\"ci_lo\"\t\"ci_hi\"\t\"has_ci\"\n", g.dat);
        for (int i = 0; i < np; i++) {
            if (pts[i].series != k)
                continue;
            fprintf(g.dat, "%.10g\t", pts[i].x);
            dat_label(g.dat, pts[i].xtext);
            dat_num(g.dat, pts[i].st.median);
            dat_num(g.dat, pts[i].st.ci_lo);
            dat_num(g.dat, pts[i].st.ci_hi);
            fprintf(g.dat, "\t%d\n", !isnan(pts[i].st.ci_lo));
        }
    }
    var_num(&g, "nseries", nseries);
    var_num(&g, "categorical", !numeric);
    var_num(&g, "ncats", ncats);
    var_num(&g, "logx", numeric && lo > 0 && hi / lo >= 16);
    if (numeric) {
        /* Ticks at the values swept: numbers only, so written as commands. */
        int nt = 0;
        fputs("set xtics (", g.fc);
        for (int i = 0; i < np; i++) {
            bool seen = false;
            for (int k = 0; k < i; k++)
                seen = seen || pts[k].x == pts[i].x;
            if (!seen && nt < 16)
                fprintf(g.fc, "%s%.10g", nt++ ? ", " : "", pts[i].x);
        }
        fputs(")\n", g.fc);
        if (integers)
            fputs("set format x '%.0f'\n", g.fc);
    }
    snprintf(title, sizeof title, "%s: %s against %s", bench, metric, ax.name);
    snprintf(xlabel, sizeof xlabel, "%s", ax.name);
    snprintf(ylabel, sizeof ylabel, "%s (%s), median", metric, unit);
    snprintf(g.note, sizeof g.note, "error bars: 95%% CI of the median (none below 6 "
             "repetitions)");
    rc = fig_draw(&g, "sweep.gp", title, xlabel, ylabel, HEIGHT);
done:
    for (int k = 0; k < nseries; k++)
        free(series[k]);
    for (int k = 0; k < ncats; k++)
        free(cats[k]);
    free(series);
    free(cats);
    free(pts);
    return rc;
}

/* --- latencies: CDFs and histograms ---------------------------------------------- */

/* Seconds per unit for time units, 0 for the rest. */
static double time_scale(const char *unit)
{
    static const struct { const char *u; double s; } t[] = {
        { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
    };

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(unit, t[i].u))
            return t[i].s;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static json_t *latency(const mnb_cfg *c, const char *metric)
{
    return json_object_get(json_object_get(c->j, "latencies"), metric);
}

/* Latency figures: configurations drawn together, at most `cap` (the
 * lines a reader can tell apart). More are split by the values of the
 * axes other than placement and mem - lines then compare the policies at
 * one procs, n... - and groups still too big into parts. */
typedef struct lgroup {
    int *idx, n;
    char base[512];             /* the values the group shares */
    char key[600];              /* base, and the part when split further; "" for all */
    mnb_axis axes[64];          /* what tells the group's lines apart */
    int naxes;
} lgroup;

static bool is_policy(mnb_axis a);

static bool has_events(const mnb_cfg *c, const char *metric)
{
    json_t *lat = json_object_get(json_object_get(c->j, "latencies"), metric);
    return json_integer_value(json_object_get(lat, "count")) > 0;
}

static void group_key(const mnb_cfg *c, const mnb_axis *keys, int nk, char *key, size_t len)
{
    char v[256];
    size_t kl = 0;

    key[0] = '\0';
    for (int a = 0; a < nk && kl < len; a++)
        kl += (size_t)snprintf(key + kl, len - kl, "%s%s:%s", a ? "/" : "", keys[a].name,
                               mnb_cfg_axis(c, keys[a], v, sizeof v));
}

/* The size of the largest group the key axes make. */
static int largest_group(const mnb_set *s, const int *idx, int n, const mnb_axis *keys, int nk)
{
    int most = 0;

    for (int i = 0; i < n; i++) {
        char ki[512], kj[512];
        int same = 0;
        group_key(&s->cfgs[idx[i]], keys, nk, ki, sizeof ki);
        for (int j = 0; j < n; j++) {
            group_key(&s->cfgs[idx[j]], keys, nk, kj, sizeof kj);
            same += strcmp(ki, kj) == 0;
        }
        most = same > most ? same : most;
    }
    return most;
}

static int latency_groups(const mnb_set *s, const int *all, int nall, const char *metric,
                          int cap, lgroup **out)
{
    int *idx = malloc((size_t)(nall + 1) * sizeof *idx), n = 0, ng = 0, na, nk = 0;
    mnb_axis axes[64], keys[64];
    lgroup *g = NULL;

    for (int i = 0; i < nall; i++)
        if (has_events(&s->cfgs[all[i]], metric))
            idx[n++] = all[i];
    if (n == 0) {
        free(idx);
        *out = NULL;
        return 0;
    }
    na = mnb_axes_varying(s, idx, n, axes, 64);
    /* As few key axes as make every group small enough. */
    for (int a = 0; a < na && largest_group(s, idx, n, keys, nk) > cap; a++)
        if (!is_policy(axes[a]))
            keys[nk++] = axes[a];
    for (int i = 0; i < n; i++) {
        char key[512];
        int k;
        group_key(&s->cfgs[idx[i]], keys, nk, key, sizeof key);
        /* A new group for a new key, or when the last of this key is full. */
        for (k = ng - 1; k >= 0 && strcmp(g[k].base, key) != 0; k--)
            ;
        if (k < 0 || g[k].n >= cap) {
            int part = 1;
            for (int j = 0; j < ng; j++)
                part += strcmp(g[j].base, key) == 0;
            g = realloc(g, (size_t)(ng + 1) * sizeof *g);
            g[ng] = (lgroup){ .idx = malloc((size_t)(cap + 1) * sizeof(int)) };
            snprintf(g[ng].base, sizeof g[ng].base, "%s", key);
            if (part > 1 && key[0])
                snprintf(g[ng].key, sizeof g[ng].key, "%s/part:%d", key, part);
            else if (part > 1 || (!key[0] && n > cap))
                snprintf(g[ng].key, sizeof g[ng].key, "part:%d", part);
            else
                snprintf(g[ng].key, sizeof g[ng].key, "%s", key);
            k = ng++;
        }
        g[k].idx[g[k].n++] = idx[i];
    }
    for (int k = 0; k < ng; k++)
        g[k].naxes = mnb_axes_varying(s, g[k].idx, g[k].n, g[k].axes, 64);
    free(idx);
    *out = g;
    return ng;
}

static void series_header(FILE *dat, int k, const lgroup *grp, const mnb_cfg *c,
                          json_int_t count)
{
    char name[1200], v[256];
    size_t n = 0;

    for (int a = 0; a < grp->naxes && n < sizeof name; a++)
        n += (size_t)snprintf(name + n, sizeof name - n, "%s%s:%s", a ? "/" : "",
                              grp->axes[a].name, mnb_cfg_axis(c, grp->axes[a], v, sizeof v));
    if (n == 0)
        n = (size_t)snprintf(name, sizeof name, "%s", c->tail[0] ? c->tail : c->label);
    if (n < sizeof name)
        snprintf(name + n, sizeof name - n, " (%lld events)", (long long)count);
    fputs(k ? "\n\n" : "", dat);
    dat_label(dat, name);
    fputs("\t\"y\"\t\"lo\"\t\"hi\"\n", dat);
}

static int fig_cdf(pctx *x, const lgroup *grp, const char *bench, const char *metric)
{
    const int *idx = grp->idx;
    int n = grp->n;
    const mnb_set *s = x->s;
    const char *unit = "";
    char title[512], xlabel[512];
    int nseries = 0, truncated = 0;
    long dropped = 0;
    double scale = 1;
    fig g;

    if (fig_open(x, &g, MNB_PLOT_CDF, bench, metric, NULL, grp->key[0] ? grp->key : NULL) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const mnb_cfg *c = &s->cfgs[idx[i]];
        json_t *lat = latency(c, metric), *raw = json_object_get(lat, "raw"), *e;
        size_t m = 0, k, nraw = json_array_size(raw);
        double *v;
        if (nraw == 0)
            continue;
        if (nseries == 0) {
            unit = mnb_cfg_unit(c, metric, false);
            scale = time_scale(unit) ? time_scale(unit) : 1;
        }
        v = malloc(nraw * sizeof *v);
        json_array_foreach(raw, k, e)
            if (json_number_value(e) > 0)
                v[m++] = json_number_value(e);
        dropped += (long)(nraw - m);
        truncated += json_is_true(json_object_get(lat, "truncated"));
        if (m == 0) {
            free(v);
            continue;
        }
        qsort(v, m, sizeof *v, cmp_double);
        series_header(g.dat, nseries++, grp, c,
                      json_integer_value(json_object_get(lat, "count")));
        /* Evenly spaced ranks for the body, every rank in the tail. */
        size_t tail = m > CDF_TAIL ? m - CDF_TAIL : 0, step = m / CDF_POINTS + 1;
        for (size_t r = 0; r < m; r++)
            if (r >= tail || r % step == 0 || r + 1 == m)
                fprintf(g.dat, "%.10g\t%.10g\n", v[r] * scale, (double)(r + 1) / (double)m);
        free(v);
    }
    if (nseries == 0) {
        fig_discard(&g);
        return 0;
    }
    var_num(&g, "nseries", nseries);
    var_num(&g, "timeaxis", time_scale(unit) > 0);
    if (truncated || dropped)
        snprintf(g.note, sizeof g.note, "%s%s%s", truncated ?
                 "from raw values: a uniform sample of 100,000 where more events were "
                 "recorded" : "", truncated && dropped ? "; " : "",
                 dropped ? "values at or below 0 left out (log axis)" : "");
    snprintf(title, sizeof title, "%s: %s, distribution of event latencies%s%s%s", bench,
             metric, grp->key[0] ? " (" : "", grp->key, grp->key[0] ? ")" : "");
    snprintf(xlabel, sizeof xlabel, "%s%s%s (log scale)", metric,
             time_scale(unit) > 0 ? "" : ", ", time_scale(unit) > 0 ? "" : unit);
    return fig_draw(&g, "cdf.gp", title, xlabel, "fraction of events at or below x", HEIGHT);
}

static int fig_hist(pctx *x, const lgroup *grp, const char *bench, const char *metric)
{
    const int *idx = grp->idx;
    int n = grp->n;
    const mnb_set *s = x->s;
    const char *unit = "";
    char title[512], xlabel[512];
    int nseries = 0;
    long dropped = 0;
    double scale = 1, ymin = INFINITY;
    fig g;

    if (fig_open(x, &g, MNB_PLOT_HIST, bench, metric, NULL, grp->key[0] ? grp->key : NULL) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const mnb_cfg *c = &s->cfgs[idx[i]];
        json_t *lat = latency(c, metric), *b, *buckets;
        double total = 0;
        size_t k;
        buckets = json_object_get(json_object_get(lat, "histogram"), "buckets");
        json_array_foreach(buckets, k, b)
            total += json_number_value(json_array_get(b, 2));
        if (total <= 0)
            continue;
        if (nseries == 0) {
            unit = mnb_cfg_unit(c, metric, false);
            scale = time_scale(unit) ? time_scale(unit) : 1;
        }
        series_header(g.dat, nseries++, grp, c, (json_int_t)total);
        json_array_foreach(buckets, k, b) {
            double lo = json_number_value(json_array_get(b, 0));
            double hi = json_number_value(json_array_get(b, 1));
            double cnt = json_number_value(json_array_get(b, 2)), d;
            if (!(lo > 0) || !(hi > lo)) {
                dropped += (long)cnt;
                continue;
            }
            d = 100 * cnt / total / log2(hi / lo);
            ymin = fmin(ymin, d);
            fprintf(g.dat, "%.10g\t%.10g\t%.10g\t%.10g\n", sqrt(lo * hi) * scale, d,
                    lo * scale, hi * scale);
        }
    }
    if (nseries == 0) {
        fig_discard(&g);
        return 0;
    }
    var_num(&g, "nseries", nseries);
    var_num(&g, "timeaxis", time_scale(unit) > 0);
    var_num(&g, "yfloor", isfinite(ymin) ? pow(10, floor(log10(ymin))) : 1e-3);
    if (dropped)
        snprintf(g.note, sizeof g.note, "%ld event%s at or below 0 left out (log axis)", dropped,
                 dropped == 1 ? "" : "s");
    snprintf(title, sizeof title, "%s: %s, histogram of event latencies%s%s%s", bench, metric,
             grp->key[0] ? " (" : "", grp->key, grp->key[0] ? ")" : "");
    snprintf(xlabel, sizeof xlabel, "%s%s%s (log scale)", metric,
             time_scale(unit) > 0 ? "" : ", ", time_scale(unit) > 0 ? "" : unit);
    return fig_draw(&g, "hist.gp", title, xlabel,
                    "density: % of events per octave of latency (log scale)", HEIGHT);
}

/* --- one benchmark, the whole set ------------------------------------------------- */

static bool is_policy(mnb_axis a)
{
    return !a.param && (!strcmp(a.name, "placement") || !strcmp(a.name, "mem"));
}

static void plot_bench(pctx *x, const char *bench)
{
    const char *names[128];
    mnb_axis axes[64], others[64];
    int *idx, n = mnb_set_bench(x->s, bench, &idx), nm, na;

    na = mnb_axes_varying(x->s, idx, n, axes, 64);
    nm = mnb_metric_names(x->s, idx, n, 0, names, 128);
    for (int m = 0; m < nm && !x->failed; m++)
        fig_bars(x, idx, n, bench, names[m], false);
    /* Placement and memory policy are the lines, never the x axis. */
    for (int a = 0; a < na && !x->failed; a++) {
        int no = 0;
        if (is_policy(axes[a]))
            continue;
        for (int b = 0; b < na; b++)
            if (b != a)
                others[no++] = axes[b];
        /* Policies first in the line names: they are what lines compare. */
        for (int i = 0, j = 0; i < no; i++)
            if (is_policy(others[i])) {
                mnb_axis t = others[j];
                others[j++] = others[i];
                others[i] = t;
            }
        for (int m = 0; m < nm && !x->failed; m++)
            fig_sweep(x, idx, n, bench, names[m], axes[a], others, no);
    }
    nm = mnb_metric_names(x->s, idx, n, 1, names, 128);
    for (int m = 0; m < nm && !x->failed; m++) {
        lgroup *grp;
        int ng = latency_groups(x->s, idx, n, names[m], CDF_LINES, &grp);
        for (int k = 0; k < ng; k++) {
            if (!x->failed)
                fig_cdf(x, &grp[k], bench, names[m]);
            free(grp[k].idx);
        }
        free(grp);
        ng = latency_groups(x->s, idx, n, names[m], HIST_SERIES, &grp);
        for (int k = 0; k < ng; k++) {
            if (!x->failed)
                fig_hist(x, &grp[k], bench, names[m]);
            free(grp[k].idx);
        }
        free(grp);
    }
    nm = mnb_metric_names(x->s, idx, n, 2, names, 128);
    for (int m = 0; m < nm && !x->failed; m++)
        fig_bars(x, idx, n, bench, names[m], true);
    free(idx);
}

/* Removes a plots folder mnbench wrote: its figures' files, then the
 * folder. Result folders come from anyone, so plots/ may be a symbolic
 * link (only the link goes) or hold files of someone else's (they stay,
 * and so does the folder). */
static void remove_folder(const char *dir)
{
    static const char *const ours[] = { ".png", ".svg", ".dat", ".gp", ".log" };
    char p[PATH_MAX + 300];
    struct dirent *e;
    struct stat st;
    DIR *d;

    if (lstat(dir, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(dir);
        return;
    }
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
            size_t k = strlen(ours[i]);
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (n > k && !strcmp(e->d_name + n - k, ours[i]) && lstat(p, &st) == 0 &&
                S_ISREG(st.st_mode)) {
                unlink(p);
                break;
            }
        }
    }
    closedir(d);
    if (rmdir(dir) < 0)
        fprintf(stderr, "mnbench: plot: left %s in place: it holds files mnbench did not "
                "write\n", dir);
}

/* plots/ replaced by the new folder: readers see the old one or the new. */
static int swap_in(const char *dir, const char *tmp)
{
    char dst[PATH_MAX + 16], old[PATH_MAX + 32];
    struct stat st;

    snprintf(dst, sizeof dst, "%s/plots", dir);
    if (lstat(dst, &st) == 0 && S_ISLNK(st.st_mode) && unlink(dst) < 0) {
        fprintf(stderr, "mnbench: plot: cannot remove the link %s: %s\n", dst, strerror(errno));
        return -1;
    }
    if (lstat(dst, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mnbench: plot: %s is there and is not a folder\n", dst);
        return -1;
    }
    if (lstat(dst, &st) == 0) {
        snprintf(old, sizeof old, "%s/.plots.old-XXXXXX", dir);
        if (!mkdtemp(old) || rename(dst, old) != 0) {
            fprintf(stderr, "mnbench: plot: cannot move %s aside: %s\n", dst, strerror(errno));
            return -1;
        }
        if (rename(tmp, dst) != 0) {
            fprintf(stderr, "mnbench: plot: cannot rename %s: %s\n", tmp, strerror(errno));
            rename(old, dst);
            return -1;
        }
        remove_folder(old);
        return 0;
    }
    if (rename(tmp, dst) != 0) {
        fprintf(stderr, "mnbench: plot: cannot rename %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

int mnb_plot_set(const mnb_set *s, const char *dir, mnb_plots *out)
{
    pctx x = { .s = s, .out = out };

    *out = (mnb_plots){ 0 };
    if (find_templates(x.tdir, sizeof x.tdir) < 0) {
        fprintf(stderr, "mnbench: plot: no gnuplot templates (common.gp) in %s; set "
                "MNBENCH_PLOTS to the plots/ folder of the source tree\n", x.tdir);
        return -1;
    }
    if (!mnb_plot_available()) {
        fprintf(stderr, "mnbench: plot: gnuplot is not installed (Debian: apt-get install "
                "gnuplot-nox)\n");
        return -1;
    }
    snprintf(x.tmp, sizeof x.tmp, "%s/.plots.new-XXXXXX", dir);
    if (!mkdtemp(x.tmp)) {
        fprintf(stderr, "mnbench: plot: cannot create a folder in %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    chmod(x.tmp, 0755);
    mnb_plot_machine(s, x.machine, sizeof x.machine);
    for (int b = 0; b < s->nbenches && !x.failed; b++)
        plot_bench(&x, s->benches[b]);
    if (x.failed || swap_in(dir, x.tmp) < 0) {
        remove_folder(x.tmp);
        mnb_plots_free(out);
        return -1;
    }
    return 0;
}

void mnb_plots_free(mnb_plots *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->v[i].file);
        free(p->v[i].group);
    }
    free(p->v);
    *p = (mnb_plots){ 0 };
}

/* --- the command --------------------------------------------------------------- */

static void plot_usage(FILE *f)
{
    fputs("Usage: mnbench plot [--out DIR] RESULTS_DIR...\n"
          "\n"
          "Draws each run's figures with gnuplot into RESULTS_DIR/plots/, as PNG and SVG,\n"
          "each beside its data (.dat) and the script that drew it (.gp):\n"
          "  bars-BENCH-METRIC         median per configuration, 95% CI of the median\n"
          "  sweep-BENCH-METRIC-AXIS   the metric against a swept setting or parameter,\n"
          "                            one line per placement / memory policy (and any\n"
          "                            other setting that differs)\n"
          "  cdf-BENCH-METRIC          event latencies: CDF on a log time axis\n"
          "  hist-BENCH-METRIC         event latencies: histogram, log-log\n"
          "  counter-BENCH-COUNTER     counters per operation (runs with --counters)\n"
          "\n"
          "Options:\n"
          "      --out DIR   pool the runs' configurations and draw them together into\n"
          "                  DIR/plots/ (default: each run into its own folder)\n"
          "  -h, --help      this text\n"
          "\n"
          "Templates: $MNBENCH_PLOTS, else plots/ of the source tree. run.json files are\n"
          "validated against the schema first; bad input (a missing or foreign folder, a\n"
          "run.json that fails the schema) exits 2 with nothing written.\n", f);
}

static int plot_print(const mnb_set *s, const char *out)
{
    mnb_plots p;
    int rc = mnb_plot_set(s, out, &p);

    if (rc == 0)
        printf("plots: %s/plots (%d figures)\n", out, p.n);
    mnb_plots_free(&p);
    return rc;
}

/* Has run r of the set (NULL: any) anything to draw? */
static bool drawable(const mnb_set *s, const mnb_run *r)
{
    for (int i = 0; i < s->ncfgs; i++) {
        json_t *sm = json_object_get(s->cfgs[i].j, "samples"), *v;
        const char *k;
        if (r && s->cfgs[i].run != r)
            continue;
        json_object_foreach(sm, k, v)
            for (size_t j = 0; j < json_array_size(v); j++)
                if (json_is_number(json_array_get(v, j)))
                    return true;
        json_object_foreach(json_object_get(s->cfgs[i].j, "latencies"), k, v)
            if (json_integer_value(json_object_get(v, "count")) > 0)
                return true;
    }
    return false;
}

int mnb_plot_cmd(int argc, char **argv)
{
    static const struct option lo[] = {
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *out = NULL;
    struct stat st;
    mnb_set all;
    int ch, rc = 0;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (ch == 'o') {
            out = optarg;
        } else if (ch == 'h') {
            plot_usage(stdout);
            return MNB_EXIT_OK;
        } else if (ch == ':') {
            mnb_usage_error("plot %s needs a value; allowed: --out DIR", argv[optind - 1]);
        } else {
            mnb_usage_error("plot: unknown option '%s'; allowed: --out, --help",
                            argv[optind - 1]);
        }
    }
    if (optind >= argc)
        mnb_usage_error("plot: no run folder; allowed: mnbench plot RESULTS_DIR...");
    /* Every folder is read and validated before anything is written. */
    mnb_set_load(&all, argv + optind, argc - optind, "plot");
    for (int r = 0; r < all.nruns; r++)
        if (!(out ? drawable(&all, NULL) : drawable(&all, &all.runs[r])))
            mnb_usage_error("plot: %s: nothing to draw: no configuration has samples or "
                            "latencies; allowed: a run that measured something",
                            out ? "the runs" : all.runs[r].dir);
    if (out && (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)))
        mnb_usage_error("plot --out %s: not a folder; allowed: an existing folder", out);
    if (out) {
        rc = plot_print(&all, out);
        mnb_set_free(&all);
        return rc < 0 ? MNB_EXIT_FAILED : MNB_EXIT_OK;
    }
    mnb_set_free(&all);
    for (int i = optind; i < argc && rc == 0; i++) {
        mnb_set one;
        mnb_set_load(&one, argv + i, 1, "plot");
        rc = plot_print(&one, one.runs[0].dir);
        mnb_set_free(&one);
    }
    return rc < 0 ? MNB_EXIT_FAILED : MNB_EXIT_OK;
}
