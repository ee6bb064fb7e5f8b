/* runjson.h - run folders read back for plot, compare and report.
 *
 * Result folders travel between people, so a run.json is untrusted: it is
 * validated against the schema compiled into mnbench
 * (bench/schema/mnbench-run-1.schema.json, embedded at build time) before
 * anything reads it, and what it holds is data only: strings from it reach
 * gnuplot single-quoted, HTML escaped (plot.c, report.c).
 *
 * A set is the configurations of one or more runs, pooled. Axes are what
 * tells configurations apart: the runtime settings (run.json `settings`
 * keys: procs, placement, mem, queue...) and the benchmark parameters
 * (`params`). A configuration's label is its benchmark, then "/axis:value"
 * for each axis whose value differs among the set's configurations of
 * that benchmark: switch/procs:2/placement:scatter.
 */
#ifndef MNBENCH_RUNJSON_H
#define MNBENCH_RUNJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mnb_run {
    char *dir;                  /* the folder as given */
    char *name;                 /* its last path component */
    json_t *doc;                /* run.json, validated */
} mnb_run;

typedef struct mnb_axis {
    const char *name;           /* a settings or params key (owned by a doc) */
    bool param;
} mnb_axis;

typedef struct mnb_cfg {
    const mnb_run *run;
    json_t *j;                  /* configurations[k] (borrowed) */
    const char *bench;
    char *label;                /* bench[/axis:value...] */
    const char *tail;           /* label after "bench/"; "" when nothing differs */
} mnb_cfg;

typedef struct mnb_set {
    mnb_run *runs;
    int nruns;
    mnb_cfg *cfgs;
    int ncfgs;
    const char **benches;       /* distinct benchmarks, first-seen order */
    int nbenches;
} mnb_set;

/* Reads and validates DIR/run.json for each of dirs[0..n-1] (a path to a
 * run.json file is taken too). Bad input - a missing folder, no run.json,
 * not JSON, a schema violation - gets one line "mnbench: CMD: ..." on
 * stderr and exit(MNB_EXIT_USAGE); nothing has been written by then. */
void mnb_set_load(mnb_set *s, char *const *dirs, int n, const char *cmd);
void mnb_set_free(mnb_set *s);

/* 0 when doc satisfies the schema; otherwise -1 and one line in err
 * naming the JSON pointer and the rule ("/configurations/0/reps: not an
 * integer"). */
int mnb_runjson_validate(json_t *doc, char *err, size_t len);

/* The compiled-in schema text. */
extern const char mnb_schema_text[];

/* axis's value in c as text: strings as they are, numbers in decimal,
 * "-" for null or absent. Returns buf. */
const char *mnb_cfg_axis(const mnb_cfg *c, mnb_axis a, char *buf, size_t len);

/* axis's value as a number; false when it is not one. */
bool mnb_cfg_axis_num(const mnb_cfg *c, mnb_axis a, double *v);

bool mnb_axis_eq(mnb_axis a, mnb_axis b);

/* An axis by the name a user types ("placement", "n"): settings first,
 * then parameters, over the set's configurations. false when none has it. */
bool mnb_axis_find(const mnb_set *s, const char *name, mnb_axis *out);

/* The axes whose values differ among the configurations idx[0..n-1] of
 * s, settings before parameters, each in first-seen order. Returns the
 * count (at most max). */
int mnb_axes_varying(const mnb_set *s, const int *idx, int n, mnb_axis *axes, int max);

/* The finite values of sample metric `metric` of c (nulls skipped), or
 * of counter figure `metric` when counter is true, in *x (malloc'd, NULL
 * when there are none). Returns their count. */
size_t mnb_cfg_values(const mnb_cfg *c, const char *metric, bool counter, double **x);

/* The unit of a metric (summaries) or counter figure of c; "" if unknown. */
const char *mnb_cfg_unit(const mnb_cfg *c, const char *metric, bool counter);

/* "lower" is better unless the summary says "higher". */
bool mnb_cfg_higher(const mnb_cfg *c, const char *metric, bool counter);

/* obj[key] as a string, or NULL. */
const char *mnb_jstr(json_t *obj, const char *key);

/* The configurations of benchmark b, as indices into s->cfgs (malloc'd);
 * returns the count. */
int mnb_set_bench(const mnb_set *s, const char *b, int **idx);

/* Names of the sample metrics (kind 0), latency metrics (kind 1) or
 * counter figures (kind 2) among configurations idx[0..n-1], first-seen
 * order; returns the count (at most max). Names are owned by the docs. */
int mnb_metric_names(const mnb_set *s, const int *idx, int n, int kind,
                     const char **names, int max);

#endif
