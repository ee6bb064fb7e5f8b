/* console.h - what mnbench prints on stdout: the benchmark list, one
 * benchmark in detail, and the run's results as a table, CSV or JSON. */
#ifndef MNBENCH_CONSOLE_H
#define MNBENCH_CONSOLE_H

#include <stdio.h>

#include "bench.h"
#include "cli.h"
#include "plan.h"

void mnb_console_list(FILE *out);
void mnb_console_bench(FILE *out, const mnb_bench *b);

/* The results in `format`; with text, one aligned table of sample
 * metrics (and one of latency metrics when there are any). */
void mnb_console_report(FILE *out, const mnb_plan *p, mnb_format format, bool interrupted);

#endif
