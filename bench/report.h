/* report.h - `mnbench report`: one run (or several pooled) as report.html
 * and report.md, beside run.json.
 *
 * report.html is self-contained - the figures are embedded as base64 PNG,
 * the style is inline, nothing is fetched, and a Content-Security-Policy
 * forbids scripts - so it can be mailed or attached to an issue.
 * report.md is for publishing (a wiki, a pull request): the same tables,
 * the figures linked as plots/NAME.png.
 *
 * Contents: the machine and build each run came from (with its warnings),
 * the topology (caches, NUMA nodes) and placement plans when run.json has
 * them, what counters could count; per benchmark, tables of the repetition
 * samples (median, 95% CI, spread), event latencies (percentiles) and
 * counters, then its figures (plot.h); then comparisons between
 * configurations, one table per setting that varies (compare.h).
 *
 * Every string from a run.json is untrusted: HTML-escaped in report.html,
 * escaped for Markdown in report.md (escape.h).
 */
#ifndef MNBENCH_REPORT_H
#define MNBENCH_REPORT_H

/* mnbench report ARGS (argv[0] is "report"); returns the exit status. */
int mnb_report_cmd(int argc, char **argv);

#endif
