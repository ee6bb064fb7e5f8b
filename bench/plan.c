/* plan.c - from parsed options to the list of configurations (rules in
 * plan.h), and the default suite's parameter overrides. */
#include "plan.h"
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* The default suite: every registered benchmark, at its defaults except
 * for these values, sized so the whole suite stays within two minutes on
 * 2 cores with the default --reps/--min-time. The one place to edit;
 * `mnbench --help` prints the resulting instances. */
static const struct { const char *bench, *param, *values; } default_suite[] = {
    /* A cross-CPU handoff costs ~0.5 us while an M spins, but ~30 us when
     * one must be woken on a KVM guest: the default 200,000 round trips
     * could take 13 s a repetition. 20,000 bound it to ~1.3 s. */
    { "chan", "n", "20000" },
    /* Two phases of `ms` a repetition: 50 ms each keeps it near 1 s. */
    { "syscall", "ms", "50" },
    /* Each trial lasts a 10 ms slice. */
    { "preempt", "trials", "5" },
    { "stw", "trials", "20" },
    { "sleep", "n", "50" },
    { NULL, NULL, NULL },
};

/* One axis of the product: a setting flag or a benchmark parameter. */
typedef struct axis {
    int flag;                   /* setting flag index, or -1 for a parameter */
    int param;                  /* parameter index, or -1 */
    int n;                      /* values */
    int64_t *vals;              /* parameters only */
    bool named;                 /* appears in instance names */
} axis;

int mnb_setting_index(const char *key)
{
    for (int f = 0; f < mnb_nflags; f++)
        if (mnb_flags[f].key && strcmp(mnb_flags[f].key, key) == 0)
            return f;
    return -1;
}

const char *mnb_param_text(const mnb_param *p, int64_t v, char *buf, size_t len)
{
    if (p->choices)
        return p->choices[v];
    snprintf(buf, len, "%" PRId64, v);
    return buf;
}

/* Canonical text of a setting's effective value in cfg, as a value given
 * on the command line would read. */
static void setting_text(const mnb_flag *fl, const mn_config *cfg, char *buf, size_t len)
{
    int64_t i;
    const char *s;

    fl->get(cfg, &i, &s);
    if (fl->kind == MNB_V_SIZE)
        mnb_fmt_size(i, buf, len);
    else if (fl->kind == MNB_V_DURATION && i == 0)
        snprintf(buf, len, "off");
    else if (fl->kind == MNB_V_DURATION)
        mnb_fmt_duration(i, buf, len);
    else if (fl->kind == MNB_V_INT)
        snprintf(buf, len, "%" PRId64, i);
    else
        snprintf(buf, len, "%s", s ? s : "");
}

static void params_allowed(const mnb_param *p, char *buf, size_t len)
{
    size_t n = 0;

    if (p->choices) {
        for (int c = 0; p->choices[c] && n < len; c++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", c ? ", " : "", p->choices[c]);
        return;
    }
    snprintf(buf, len, "integers %" PRId64 " to %" PRId64 "%s%s%s", p->min, p->max,
             *p->unit ? " (" : "", p->unit, *p->unit ? ")" : "");
}

static int64_t unit_ns(const char *unit)
{
    static const struct { const char *u; int64_t ns; } t[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(unit, t[i].u) == 0)
            return t[i].ns;
    return 0;
}

/* One item of --param for parameter p: appends its value(s) to vals.
 * Integers take ranges (1-4), byte counts suffixes (64K), times a unit
 * converted to the parameter's (10us for an ns parameter). */
static int param_item(const mnb_param *p, const char *item, int64_t *lo, int64_t *hi)
{
    int64_t per = unit_ns(p->unit), ns;
    int rc;

    if (p->choices) {
        for (int c = 0; p->choices[c]; c++)
            if (strcmp(item, p->choices[c]) == 0) {
                *lo = *hi = c;
                return 0;
            }
        return -EINVAL;
    }
    if (strcmp(p->unit, "bytes") == 0 && mnb_parse_size(item, lo) == 0) {
        *hi = *lo;
    } else if (per && mnb_parse_duration(item, &ns) == 0 && strcmp(item, "0") != 0) {
        if (ns % per)
            return -EINVAL;
        *lo = *hi = ns / per;
    } else if ((rc = mnb_parse_range(item, lo, hi)) < 0) {
        return rc;
    }
    return *lo < p->min || *hi > p->max ? -ERANGE : 0;
}

#define MAX_SWEEP 256

static void param_values(const mnb_bench *b, int pi, char **items, int n, axis *ax)
{
    const mnb_param *p = &b->params[pi];
    char allowed[256];
    int64_t lo, hi;
    int rc;

    for (int i = 0; i < n; i++) {
        if ((rc = param_item(p, items[i], &lo, &hi)) < 0 || hi - lo >= MAX_SWEEP) {
            params_allowed(p, allowed, sizeof allowed);
            mnb_usage_error("--param %s=%s: %s for %s; allowed: %s", p->name, items[i],
                            rc == -ERANGE ? "out of range" : rc ? "malformed" :
                            "too many values", b->name, allowed);
        }
        for (int64_t v = lo; v <= hi; v++) {
            for (int k = 0; k < ax->n; k++)
                if (ax->vals[k] == v)
                    mnb_usage_error("--param %s=%s: value given twice; allowed: "
                                    "each value once", p->name, items[i]);
            if (ax->n >= MAX_SWEEP)
                mnb_usage_error("--param %s: more than %d values; allowed: at most %d",
                                p->name, MAX_SWEEP, MAX_SWEEP);
            ax->vals = realloc(ax->vals, (size_t)(ax->n + 1) * sizeof *ax->vals);
            ax->vals[ax->n++] = v;
        }
    }
}

/* The values of parameter pi: --param, else the default suite's, else
 * the table default. */
static void param_axis(const mnb_opts *o, const mnb_bench *b, int pi, axis *ax)
{
    const mnb_param *p = &b->params[pi];

    *ax = (axis){ .flag = -1, .param = pi };
    for (int i = 0; i < o->nparams; i++)
        if (strcmp(o->params[i].name, p->name) == 0) {
            param_values(b, pi, o->params[i].vals, o->params[i].n, ax);
            break;
        }
    for (size_t i = 0; !ax->n && o->default_suite && default_suite[i].bench; i++) {
        char **items;
        int n;
        if (strcmp(default_suite[i].bench, b->name) != 0 ||
            strcmp(default_suite[i].param, p->name) != 0)
            continue;
        if (mnb_split(default_suite[i].values, &items, &n) < 0)
            abort();            /* the table above is malformed */
        param_values(b, pi, items, n, ax);
        mnb_split_free(items, n);
    }
    if (!ax->n) {
        ax->vals = malloc(sizeof *ax->vals);
        ax->vals[ax->n++] = p->def;
    }
    ax->named = ax->n > 1 || ax->vals[0] != p->def;
}

static bool setting_named(const mnb_opts *o, int f, const mn_config *base)
{
    char def[128];

    if (o->set[f].n > 1)
        return true;
    if (!base)                  /* --help: nothing to compare with */
        return true;
    setting_text(&mnb_flags[f], base, def, sizeof def);
    return strcmp(def, o->set[f].v[0].s) != 0;
}

/* Axes of benchmark b: given settings, then every parameter. */
static int build_axes(const mnb_opts *o, const mnb_bench *b, const mn_config *base,
                      axis *ax)
{
    int n = 0;

    for (int f = 0; f < mnb_nflags; f++)
        if (o->set[f].n > 0)
            ax[n++] = (axis){ .flag = f, .param = -1, .n = o->set[f].n,
                              .named = setting_named(o, f, base) };
    for (int pi = 0; pi < b->nparams; pi++)
        param_axis(o, b, pi, &ax[n++]);
    return n;
}

static int cpu_count(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return 1;
    return CPU_COUNT(&set);
}

/* Configuration number `idx` of benchmark b's product, idx decoded as a
 * mixed-radix number whose last digit is the last axis. */
static void make_conf(const mnb_opts *o, const mnb_bench *b, axis *ax, int nax,
                      long idx, const mn_config *base, mnb_conf *c)
{
    char name[1024], buf[64];
    size_t len = (size_t)snprintf(name, sizeof name, "%s", b->name);
    int k[MNB_MAX_FLAGS + 64];

    for (int a = nax - 1; a >= 0; a--) {
        k[a] = (int)(idx % ax[a].n);
        idx /= ax[a].n;
    }
    *c = (mnb_conf){ .bench = b };
    c->params = calloc((size_t)b->nparams + 1, sizeof *c->params);
    if (base)
        c->cfg = *base;
    for (int a = 0; a < nax; a++) {
        const char *key, *text;
        if (ax[a].flag >= 0) {
            c->set[ax[a].flag] = &o->set[ax[a].flag].v[k[a]];
            if (base)
                mnb_flags[ax[a].flag].apply(&c->cfg, c->set[ax[a].flag]);
            key = mnb_flags[ax[a].flag].key;
            text = c->set[ax[a].flag]->s;
        } else {
            c->params[ax[a].param] = ax[a].vals[k[a]];
            key = b->params[ax[a].param].name;
            text = mnb_param_text(&b->params[ax[a].param], ax[a].vals[k[a]], buf, sizeof buf);
        }
        if (ax[a].named && len < sizeof name)
            len += (size_t)snprintf(name + len, sizeof name - len, "/%s:%s", key, text);
    }
    c->name = strdup(name);
    c->expected_procs = c->cfg.nprocs > 0 ? c->cfg.nprocs : cpu_count();
    /* The runtime judges its own settings (and knows which mechanisms it
     * has): a configuration it would refuse is bad input, caught here
     * before anything is written. */
    if (base && mn_config_check(&c->cfg) < 0)
        mnb_runtime_refused(c->name, c->cfg.error);
}

static void check_params_exist(const mnb_opts *o, const mnb_bench *const *b, int nb)
{
    char allowed[512];
    size_t len = 0;

    for (int i = 0; i < o->nparams; i++) {
        for (int k = 0; k < nb; k++)
            for (int pi = 0; pi < b[k]->nparams; pi++)
                if (strcmp(b[k]->params[pi].name, o->params[i].name) == 0)
                    goto found;
        allowed[0] = '\0';
        for (int k = 0; k < nb; k++)
            for (int pi = 0; pi < b[k]->nparams && len < sizeof allowed; pi++)
                len += (size_t)snprintf(allowed + len, sizeof allowed - len, "%s%s.%s",
                                        len ? ", " : "", b[k]->name, b[k]->params[pi].name);
        mnb_usage_error("--param %s: no selected benchmark has this parameter; allowed: %s",
                        o->params[i].name, len ? allowed : "none (no parameters)");
    found:;
    }
}

static void add_bench(const mnb_opts *o, const mnb_bench *b, const mn_config *base,
                      mnb_plan *p)
{
    axis ax[MNB_MAX_FLAGS + 64];
    int nax = build_axes(o, b, base, ax);
    long total = 1;

    for (int a = 0; a < nax; a++)
        total *= ax[a].n;
    if (total > 100000)
        mnb_usage_error("%s: %ld configurations; allowed: at most 100000", b->name, total);
    p->confs = realloc(p->confs, (size_t)(p->n + total) * sizeof *p->confs);
    for (long i = 0; i < total; i++) {
        mnb_conf *c = &p->confs[p->n++];
        make_conf(o, b, ax, nax, i, base, c);
        if (base && c->expected_procs < b->min_procs)
            mnb_usage_error("%s: %s needs at least %d Ps, this configuration has %d; "
                            "allowed: --procs %d or more", c->name, b->name,
                            b->min_procs, c->expected_procs, b->min_procs);
    }
    for (int a = 0; a < nax; a++)
        free(ax[a].vals);
}

/* A default-suite entry naming a benchmark or parameter that no longer
 * exists is a bug in the table above: say so loudly. */
static void check_default_suite(void)
{
    for (int i = 0; default_suite[i].bench; i++) {
        const mnb_bench *b = mnb_bench_find(default_suite[i].bench);
        for (int pi = 0; b && pi < b->nparams; pi++)
            if (strcmp(b->params[pi].name, default_suite[i].param) == 0)
                goto ok;
        fprintf(stderr, "mnbench: default_suite: %s.%s does not exist\n",
                default_suite[i].bench, default_suite[i].param);
        abort();
    ok:;
    }
}

void mnb_plan_build(const mnb_opts *o, bool names_only, mnb_plan *p)
{
    const mnb_bench *benches[64];
    mn_config base;
    int nb = 0;

    if (!names_only && mn_config_default(&base) < 0)
        mnb_runtime_refused("the runtime's defaults", base.error);
    if (o->default_suite)
        check_default_suite();
    if (o->default_suite)
        for (int i = 0; i < mnb_nbenches && nb < 64; i++)
            benches[nb++] = mnb_benches[i];
    for (int i = 0; i < o->nnames && nb < 64; i++)
        benches[nb++] = mnb_bench_find(o->names[i]);
    check_params_exist(o, benches, nb);
    *p = (mnb_plan){ 0 };
    for (int i = 0; i < nb; i++)
        add_bench(o, benches[i], names_only ? NULL : &base, p);
}

void mnb_plan_free(mnb_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        mnb_conf *c = &p->confs[i];
        for (int m = 0; m < c->bench->nmetrics; m++) {
            if (c->samples)
                free(c->samples[m].v);
            if (c->lat && c->lat[m]) {
                mnb_hist_free(c->lat[m]);
                free(c->lat[m]);
            }
        }
        free(c->samples);
        free(c->lat);
        free(c->stats);
        free(c->latq);
        free(c->params);
        free(c->name);
        free(c->error);
    }
    free(p->confs);
    *p = (mnb_plan){ 0 };
}

void mnb_default_suite_print(FILE *out)
{
    mnb_opts o = { .default_suite = true };
    mnb_plan p;

    mnb_plan_build(&o, true, &p);
    for (int i = 0; i < p.n; i++)
        fprintf(out, "  %s\n", p.confs[i].name);
    mnb_plan_free(&p);
}
