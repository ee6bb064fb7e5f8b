/* plan.h - configurations: for each benchmark, the Cartesian product of
 * the swept runtime settings and parameters, each with its instance name
 * and its mn_config; and the default suite.
 *
 * Order: benchmarks as given (the registry's order for the default
 * suite); within one, settings axes in flag-table order, then parameters
 * in the benchmark's order, the last axis varying fastest.
 *
 * Names: BENCH, then "/key:value" for each setting and "/param:value" for
 * each parameter that is swept (several values) or differs from its
 * default (the runtime's, after MN_* variables, for settings; the table's
 * for parameters). Values are canonical (64K, 10ms, choice words).
 */
#ifndef MNBENCH_PLAN_H
#define MNBENCH_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "bench.h"
#include "cli.h"
#include "hist.h"
#include "mnsched.h"
#include "stats.h"

/* Samples of one metric, one slot per measured repetition (NaN: the
 * repetition did not record it). */
typedef struct mnb_series {
    double *v;
    size_t n, cap;
} mnb_series;

typedef struct mnb_conf {
    const mnb_bench *bench;
    char *name;
    const mnb_value *set[MNB_MAX_FLAGS];  /* per setting flag; NULL: runtime default */
    int64_t *params;            /* per bench->params entry */
    mn_config cfg;              /* mn_config_default() with the settings applied */
    int expected_procs;         /* Ps before running (cfg.nprocs, or the CPU count) */

    /* Filled by the runner. */
    int nprocs;                 /* Ps the runtime reported (0: never ran) */
    mnb_series *samples;        /* per metric (MNB_SAMPLE ones) */
    mnb_hist **lat;             /* per metric; NULL for MNB_SAMPLE ones */
    int reps_done;
    uint64_t measured_ns;       /* sum of measured repetitions' wall time */
    char *error;                /* why it stopped early, or NULL */

    /* Filled by mnb_summarise(). */
    mnb_stats *stats;           /* per MNB_SAMPLE metric */
    mnb_latq *latq;             /* per MNB_LATENCY metric */
} mnb_conf;

typedef struct mnb_plan {
    mnb_conf *confs;
    int n;
} mnb_plan;

/* Builds every configuration of the run `o` asks for. With names_only the
 * runtime is not consulted (for --help): no mn_config, no P-count check.
 * Bad input: one line and exit(MNB_EXIT_USAGE). */
void mnb_plan_build(const mnb_opts *o, bool names_only, mnb_plan *p);

/* Frees every configuration and what the runner and mnb_summarise hung
 * on it. */
void mnb_plan_free(mnb_plan *p);

/* The flag index of a setting by key ("procs"), or -1. */
int mnb_setting_index(const char *key);

/* Text of parameter value v: the choice word, or the integer. */
const char *mnb_param_text(const mnb_param *p, int64_t v, char *buf, size_t len);

/* The default suite's instance names, one per line, indented (for
 * --help; --dry-run without BENCH prints the same names). */
void mnb_default_suite_print(FILE *out);

#endif
