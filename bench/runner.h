/* runner.h - running a plan: fresh runtimes, warm-up, repetitions until
 * both --reps and --min-time are met, --interleave, Ctrl-C, progress.
 *
 * Lifecycle of one configuration (one mn_run):
 *   1. mn_run(&conf->cfg, ...) starts a fresh runtime; its first G runs
 *      the session below.
 *   2. --warmup repetitions: run, their figures dropped.
 *   3. Measured repetitions until reps_done >= --reps and measured_ns >=
 *      --min-time (with --interleave: one, then the next configuration).
 *   4. Between repetitions: Ctrl-C checked, progress line updated.
 */
#ifndef MNBENCH_RUNNER_H
#define MNBENCH_RUNNER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "bench.h"
#include "cli.h"
#include "plan.h"

/* What a benchmark's rep() sees (opaque to it, bench.h). */
struct mnb_ctx {
    mnb_conf *conf;
    bool warm;                  /* a warm-up repetition: figures dropped */
    double *pending;            /* this repetition's samples, per metric */
    atomic_flag lock;           /* Gs on several Ms may record at once */
    char *fail;                 /* mnb_fail's message, or NULL */
};

/* mnb_run_plan's result. */
#define MNB_RUN_OK 0
#define MNB_RUN_FAILED 1        /* some configuration stopped early */
#define MNB_RUN_SETUP 2         /* the runtime refused to start before any measurement */

/* Allocates each configuration's sample and latency stores. */
void mnb_plan_alloc(mnb_plan *p);

int  mnb_run_plan(mnb_plan *p, const mnb_opts *o);

/* Statistics of every configuration and metric into conf->stats/latq. */
void mnb_summarise(mnb_plan *p);

/* Ctrl-C: the first lets the current repetition finish and skips the
 * rest; the second exits at once with 130. */
void mnb_sigint_install(void);
bool mnb_interrupted(void);

/* Erases the progress line, if one is showing, before other stderr
 * output. */
void mnb_progress_clear(void);

#endif
