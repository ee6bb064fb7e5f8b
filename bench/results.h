/* results.h - the run's folder and files: run.json (schema mnbench-run/1,
 * bench/schema/mnbench-run-1.schema.json) and summary.csv, each written to
 * a temporary name in the folder and renamed into place.
 *
 * Summary rows (summary.csv, and stdout with --format csv|json): one per
 * configuration and metric. For latency metrics n is the event count,
 * median the p50, and there is no CI.
 */
#ifndef MNBENCH_RESULTS_H
#define MNBENCH_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "plan.h"

#define MNB_SCHEMA "mnbench-run/1"

typedef struct mnb_row {
    const mnb_conf *conf;
    int m;                      /* index in conf->bench->metrics */
    const mnb_metric *metric;
    bool latency;
    double n, median, ci_lo, ci_hi, min, max, mean, stddev, cv, p90, p99, p999;
} mnb_row;

/* Every row of the plan (free the array); returns the count. */
int mnb_rows(const mnb_plan *p, mnb_row **rows);

/* summary.csv's text: a header, then one line per row. */
void mnb_csv_write(FILE *f, const mnb_plan *p);

/* The rows as a JSON array of objects with the CSV's fields (settings
 * and params nested). A new reference. */
json_t *mnb_rows_json(const mnb_plan *p);

/* What run.json records besides the plan. */
typedef struct mnb_run_info {
    const mnb_opts *o;
    json_t *context;            /* mnb_machine_context(); borrowed */
    time_t start, end;
    bool interrupted;
} mnb_run_info;

/* The whole run.json document. A new reference. */
json_t *mnb_run_json(const mnb_run_info *info, const mnb_plan *p);

/* Exits with a usage error unless a folder can be made under dir (its
 * nearest existing ancestor must be a directory that takes a probe
 * directory, made and removed at once). Nothing is left behind. */
void mnb_results_check(const char *dir);

/* Makes dir (and parents) and dir/<stamp>-<host>-<label>/, adding -2,
 * -3... when that exists. The folder's path (malloc'd), or NULL with a
 * message on stderr. */
char *mnb_results_create(const char *dir, const char *label, time_t start);

/* label with characters outside [A-Za-z0-9._+-] replaced by '_', into buf. */
void mnb_sanitise(const char *label, char *buf, size_t len);

/* Writes run.json and summary.csv into folder. 0, or -errno with a
 * message on stderr. */
int mnb_results_write(const char *folder, json_t *run, const mnb_plan *p);

/* json_string that survives bytes that are not UTF-8 (host names,
 * arguments): those become '?'. */
json_t *mnb_json_string(const char *s);

/* A number, or null for NaN and infinities (JSON has neither). */
json_t *mnb_json_real(double v);

#endif
