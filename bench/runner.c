/* runner.c - runs a plan's configurations in fresh runtimes, repetition
 * by repetition (lifecycle in runner.h), with Ctrl-C and a progress line. */
#include "runner.h"
#include "counters.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* One mn_run of one configuration. */
typedef struct session {
    mnb_conf *conf;
    const mnb_opts *o;
    bool one_rep;               /* --interleave: one measured repetition */
    bool failed;
    mnb_ctx ctx;
} session;

/* The run in progress; one per process, like the SIGINT handler. */
static struct {
    const mnb_plan *plan;
    const mnb_opts *o;
    int cur;                    /* index of the configuration running */
    uint64_t t0, last_print;
    bool progress;              /* stderr is a terminal and not --quiet */
    bool shown;                 /* a progress line is on screen */
} run;

static atomic_int sigints;

/* Async-signal-safe: an atomic add, write(2) and _exit(2) only. */
static void on_sigint(int sig)
{
    static const char msg[] = "\nmnbench: interrupted: finishing the current "
                              "repetition (Ctrl-C again to quit now)\n";
    (void)sig;
    if (atomic_fetch_add(&sigints, 1) > 0)
        _exit(MNB_EXIT_INTERRUPTED);
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        return;
}

void mnb_sigint_install(void)
{
    struct sigaction sa = { .sa_handler = on_sigint };

    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
}

bool mnb_interrupted(void)
{
    return atomic_load(&sigints) > 0;
}

/* --- progress ------------------------------------------------------------ */

static double conf_fraction(const mnb_conf *c, const mnb_opts *o)
{
    double by_reps, by_time;

    if (c->error)
        return 1;
    by_reps = (double)c->reps_done / (double)o->reps;
    by_time = o->min_time_ns ? (double)c->measured_ns / (double)o->min_time_ns : 1;
    return fmin(1, fmin(by_reps, by_time));
}

static void fmt_secs(double s, char *buf, size_t len)
{
    if (s < 60)
        snprintf(buf, len, "%.1fs", s);
    else
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

static int term_width(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        return ws.ws_col;
    return 80;
}

/* At most ten times a second, and only once the run is past a second:
 * short runs should not flicker. */
static void progress_tick(void)
{
    uint64_t now = mnb_now_ns();
    double done = 0, elapsed, left;
    char e[32], l[32], line[512];
    const mnb_conf *c;

    if (!run.progress || now - run.t0 < 1000000000 || now - run.last_print < 100000000)
        return;
    run.last_print = now;
    for (int i = 0; i < run.plan->n; i++)
        done += conf_fraction(&run.plan->confs[i], run.o);
    done /= run.plan->n;
    elapsed = (double)(now - run.t0) / 1e9;
    left = done > 0 ? elapsed * (1 - done) / done : NAN;
    fmt_secs(elapsed, e, sizeof e);
    if (isnan(left))
        snprintf(l, sizeof l, "?");
    else
        fmt_secs(left, l, sizeof l);
    c = &run.plan->confs[run.cur];
    snprintf(line, sizeof line, "[%d/%d] %s rep %d, %s elapsed, ~%s left",
             run.cur + 1, run.plan->n, c->name, c->reps_done + 1, e, l);
    if (term_width() - 1 < (int)sizeof line)
        line[term_width() - 1] = '\0';  /* a wrapped line defeats the \r */
    fprintf(stderr, "\r\033[K%s", line);
    run.shown = true;
}

void mnb_progress_clear(void)
{
    if (run.shown)
        fputs("\r\033[K", stderr);
    run.shown = false;
}

/* --- repetitions --------------------------------------------------------- */

static void series_push(mnb_series *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            fputs("mnbench: out of memory keeping samples\n", stderr);
            abort();
        }
    }
    s->v[s->n++] = v;
}

static void conf_fail(mnb_conf *c, int rc, const char *why, const char *what)
{
    char buf[512];

    if (why)
        snprintf(buf, sizeof buf, "%s: %s (%s)", what, why, mn_strerror(rc));
    else
        snprintf(buf, sizeof buf, "%s: %s", what, mn_strerror(rc));
    c->error = strdup(buf);
    mnb_progress_clear();
    fprintf(stderr, "mnbench: %s: %s\n", c->name, c->error);
}

/* One repetition; false when it failed (the configuration stops). */
static bool run_rep(session *s, bool warm)
{
    mnb_conf *c = s->conf;
    const mnb_bench *b = c->bench;
    char what[64];
    uint64_t t0, dt;
    int rc;

    s->ctx.warm = warm;
    free(s->ctx.fail);          /* a reason from a repetition that then succeeded */
    s->ctx.fail = NULL;
    for (int m = 0; m < b->nmetrics; m++)
        s->ctx.pending[m] = NAN;
    mnb_counters_rep_begin();
    t0 = mnb_now_ns();
    rc = b->rep(&s->ctx);
    dt = mnb_now_ns() - t0;
    mnb_counters_rep_end(c, !warm && rc == 0);
    if (rc != 0) {
        snprintf(what, sizeof what, "%s repetition %d failed",
                 warm ? "warm-up" : "measured", c->reps_done + 1);
        conf_fail(c, rc, s->ctx.fail, what);
        return false;
    }
    if (!warm) {
        for (int m = 0; m < b->nmetrics; m++)
            if (b->metrics[m].kind == MNB_SAMPLE)
                series_push(&c->samples[m], s->ctx.pending[m]);
        c->reps_done++;
        c->measured_ns += dt;
    }
    progress_tick();
    return true;
}

static bool conf_done(const mnb_conf *c, const mnb_opts *o)
{
    return c->error || (c->reps_done >= o->reps && c->measured_ns >= (uint64_t)o->min_time_ns);
}

/* The first G of a configuration's runtime. */
static void session_main(void *arg)
{
    session *s = arg;
    int measured = 0;

    s->conf->nprocs = mn_nprocs();
    for (int w = 0; w < s->o->warmup && !mnb_interrupted(); w++)
        if (!run_rep(s, true))
            return;
    while (!conf_done(s->conf, s->o) && !mnb_interrupted()) {
        if (!run_rep(s, false))
            return;
        if (s->one_rep && ++measured == 1)
            return;
    }
}

/* One fresh runtime for configuration i. MNB_RUN_SETUP when the runtime
 * would not start and nothing has been measured in this run yet. */
static int run_session(mnb_plan *p, int i, const mnb_opts *o, bool one_rep)
{
    mnb_conf *c = &p->confs[i];
    mn_config cfg = c->cfg;
    session s = { .conf = c, .o = o, .one_rep = one_rep };
    bool measured = false;
    int rc;

    s.ctx.conf = c;
    s.ctx.pending = calloc((size_t)c->bench->nmetrics + 1, sizeof *s.ctx.pending);
    atomic_flag_clear(&s.ctx.lock);
    run.cur = i;
    if (mnb_counters_enabled()) {
        /* Each M opens its counters on its own thread and keeps them. */
        cfg.on_m_start = mnb_counters_m_start;
        cfg.on_m_stop = mnb_counters_m_stop;
    }
    rc = mn_run(&cfg, session_main, &s);
    mnb_counters_session_end();
    free(s.ctx.pending);
    free(s.ctx.fail);
    if (rc == 0)
        return c->error ? MNB_RUN_FAILED : MNB_RUN_OK;
    for (int k = 0; k < p->n; k++)
        measured |= p->confs[k].reps_done > 0;
    if (!measured) {
        mnb_progress_clear();
        fprintf(stderr, "mnbench: %s: the runtime did not start (%s); allowed: a "
                "configuration the runtime can start\n", c->name,
                cfg.error[0] ? cfg.error : mn_strerror(rc));
        return MNB_RUN_SETUP;
    }
    conf_fail(c, rc, cfg.error[0] ? cfg.error : NULL, "mn_run");
    return MNB_RUN_FAILED;
}

static int run_sequential(mnb_plan *p, const mnb_opts *o)
{
    int status = MNB_RUN_OK, rc;

    for (int i = 0; i < p->n && !mnb_interrupted(); i++) {
        if ((rc = run_session(p, i, o, false)) == MNB_RUN_SETUP)
            return rc;
        if (rc)
            status = rc;
    }
    return status;
}

/* Rounds: every unfinished configuration gets one measured repetition in
 * its own runtime, so slow drift (thermal, other tenants) spreads evenly. */
static int run_interleaved(mnb_plan *p, const mnb_opts *o)
{
    int status = MNB_RUN_OK, rc;
    bool more = true;

    while (more && !mnb_interrupted()) {
        more = false;
        for (int i = 0; i < p->n && !mnb_interrupted(); i++) {
            if (conf_done(&p->confs[i], o))
                continue;
            more = true;
            if ((rc = run_session(p, i, o, true)) == MNB_RUN_SETUP)
                return rc;
            if (rc)
                status = rc;
        }
    }
    return status;
}

void mnb_plan_alloc(mnb_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        mnb_conf *c = &p->confs[i];
        int nm = c->bench->nmetrics;
        c->samples = calloc((size_t)nm + 1, sizeof *c->samples);
        c->lat = calloc((size_t)nm + 1, sizeof *c->lat);
        for (int m = 0; m < nm; m++) {
            if (c->bench->metrics[m].kind != MNB_LATENCY)
                continue;
            c->lat[m] = malloc(sizeof *c->lat[m]);
            mnb_hist_init(c->lat[m], MNB_RAW_CAP);
        }
    }
}

int mnb_run_plan(mnb_plan *p, const mnb_opts *o)
{
    int rc;

    run.plan = p;
    run.o = o;
    run.t0 = mnb_now_ns();
    run.progress = !o->quiet && isatty(STDERR_FILENO);
    rc = o->interleave ? run_interleaved(p, o) : run_sequential(p, o);
    mnb_progress_clear();
    return rc;
}

/* --- summaries ----------------------------------------------------------- */

void mnb_summarise(mnb_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        mnb_conf *c = &p->confs[i];
        int nm = c->bench->nmetrics;
        c->stats = calloc((size_t)nm + 1, sizeof *c->stats);
        c->latq = calloc((size_t)nm + 1, sizeof *c->latq);
        for (int m = 0; m < nm; m++) {
            if (c->bench->metrics[m].kind == MNB_LATENCY)
                mnb_hist_summary(c->lat[m], &c->latq[m]);
            else
                mnb_stats_compute(c->samples[m].v, c->samples[m].n, &c->stats[m]);
        }
    }
    mnb_counters_summarise(p);
}
