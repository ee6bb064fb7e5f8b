/* counters.h - hardware and software counters per M, read at the
 * boundaries of every repetition, summed over the Ms and divided per
 * operation (DESIGN.md, "Harness").
 *
 * Lifecycle:
 *   1. cli.c hands over --counters[=LIST] and --multiplex
 *      (mnb_counters_option, mnb_counters_set_multiplex).
 *   2. mnb_counters_setup() resolves the request against this machine
 *      before anything is written: a name that is unknown, or known but not
 *      countable here, is one line and exit 2.
 *   3. mnb_counters_announce() says once what cannot be counted and why.
 *   4. Each runtime: every M opens its counters on its own thread when it
 *      starts (mn_config.on_m_start = mnb_counters_m_start) and keeps them
 *      until it stops (on_m_stop, which takes a last reading).
 *   5. Around each repetition the runner calls rep_begin / rep_end from
 *      its own G. Nothing is sent to the Ms: a parked M stays parked.
 *      Every source here is readable from outside the thread it counts:
 *        perf-sw  read(2) of the M's group fd (opened for the M's TID);
 *        papi     an EventSet attached (PAPI_attach) to the M's TID, read
 *                 with PAPI_read from the runner's thread; attaching is
 *                 what makes PAPI read the counters by the TID's file
 *                 descriptors, never with rdpmc on the reading CPU. Where
 *                 PAPI_attach is refused, PAPI is treated as unusable.
 *        rusage   the M's CPU clock (pthread_getcpuclockid) and its
 *                 rusage counters through /proc/self/task/TID/{stat,status}
 *                 - the fields getrusage(RUSAGE_THREAD) returns, which the
 *                 M itself reads at on_m_start and on_m_stop;
 *        tsc      rdtsc on the runner's thread: elapsed ticks, not per M.
 *      An M that starts within a repetition counts from zero; one that
 *      stops within it contributes its last reading.
 *   6. mnb_counters_summarise() turns the totals into figures: per
 *      operation when the benchmark reported its operation count for every
 *      repetition (mnb_ops in bench.h), otherwise per repetition, and says
 *      which in the unit ("switches/op", "switches/rep").
 *
 * Sources, best first: PAPI hardware events; Linux perf software events
 * (task-clock, context-switches, cpu-migrations, page-faults); the
 * thread's rusage and CPU clock where perf is closed. IPC is derived only
 * from PAPI_TOT_INS / PAPI_TOT_CYC, never from TSC ticks.
 *
 * MNBENCH_COUNTERS_FORCE=perf-sw|rusage (tests only): behave as if PAPI
 * had no usable hardware counters (perf-sw), or as if perf_event_open
 * were refused too (rusage).
 */
#ifndef MNBENCH_COUNTERS_H
#define MNBENCH_COUNTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "bench.h"
#include "plan.h"

/* --counters (list NULL: the default set) and --multiplex. */
void mnb_counters_option(const char *list);
void mnb_counters_set_multiplex(void);

/* Step 2 above. Bad input: one line on stderr and exit(MNB_EXIT_USAGE). */
void mnb_counters_setup(void);
bool mnb_counters_enabled(void);
void mnb_counters_announce(void);

/* mn_config hooks; called on the M's own thread. */
void mnb_counters_m_start(int m_id, void *arg);
void mnb_counters_m_stop(int m_id, void *arg);

/* The runner, from its G: around each repetition (keep: a measured
 * repetition that succeeded, whose figures are kept for c), and after
 * each mn_run returns. No-ops when counters are off. */
void mnb_counters_rep_begin(void);
void mnb_counters_rep_end(const mnb_conf *c, bool keep);
void mnb_counters_session_end(void);

void mnb_counters_summarise(const mnb_plan *p);

/* One figure of one configuration, for the reporters. */
typedef struct mnb_cfigure {
    const char *name;           /* "context-switches", "PAPI_TOT_CYC", "ipc", "tsc" */
    const char *source;         /* "papi", "perf-sw", "rusage", "tsc" */
    const char *unit;           /* as reported: "switches/op", "ns/rep", "instructions/cycle" */
    mnb_better better;
    bool per_m;                 /* summed over the Ms (tsc: elapsed, not per M) */
    const double *totals;       /* per measured repetition, summed over Ms */
    const double *samples;      /* totals per operation (or per repetition) */
    size_t n;
    mnb_stats stats;            /* of samples */
} mnb_cfigure;

/* c's figures after mnb_counters_summarise (0 when counters are off);
 * per_op: divided by the operation count; ops: per repetition (NaN where
 * the benchmark did not report it). */
int mnb_counters_of(const mnb_conf *c, const mnb_cfigure **figs, bool *per_op,
                    const double **ops);

/* run.json's top-level "counters" block: what was asked, what this
 * machine can count and why not the rest. A new reference; NULL when
 * counters are off. */
json_t *mnb_counters_info_json(void);

void mnb_counters_free(void);

/* What this machine offers, as mnb_counters_setup found it. */
typedef struct mnb_cmachine {
    bool hw_ok;                 /* PAPI counts the hardware events asked for */
    const char *hw_why;         /* why not (PAPI's own reason first) */
    const char *papi_version;   /* NULL: PAPI did not start */
    int papi_counters;          /* the perf_event component's counters */
    bool papi_kernel;           /* PAPI counts the kernel domain too */
    const char *dropped;        /* default presets left out, or NULL */
    const char *sw_source;      /* "perf-sw", "rusage", or NULL */
    const char *sw_why;         /* why not perf-sw, or NULL */
    bool perf_open;             /* perf_event_open works for software events */
    int paranoid;               /* kernel.perf_event_paranoid (INT32_MIN: unknown) */
    bool privileged;            /* root, CAP_PERFMON or CAP_SYS_ADMIN */
    double tsc_hz;
    const char *tsc_from;       /* "perf mmap page" or "calibrated against ..." */
    bool tsc_invariant;
} mnb_cmachine;
const mnb_cmachine *mnb_counters_machine(void);

/* Figure i of what is counted (after mnb_counters_setup): its name, or
 * NULL past the last. */
const char *mnb_counters_figure(int i, const char **source, const char **unit);

/* mnbench counters: what this machine can count, and why not the rest. */
int mnb_counters_cmd(FILE *out);

#endif
