/* plot.h - `mnbench plot`: a run's figures, drawn by gnuplot from the
 * templates in plots/ (*.gp) and data files written beside them, as PNG
 * (pngcairo) and SVG, into RESULTS_DIR/plots/:
 *
 *   bars-BENCH-METRIC       the median per configuration, 95% CI bars
 *   sweep-BENCH-METRIC-AXIS the metric against a swept setting or
 *                           parameter, one line per combination of the
 *                           other settings that differ (placement, mem...)
 *   cdf-BENCH-METRIC        event latencies as CDFs on a log time axis
 *   hist-BENCH-METRIC       their histograms (log-log)
 *                           (more configurations than lines a figure can
 *                           tell apart - 8 CDFs, 3 histograms - are split
 *                           into one figure per value of the settings
 *                           other than placement and mem: -procs_2-n_1000)
 *   counter-BENCH-FIGURE    a counter per operation, as bars
 *
 * Each figure is four files: NAME.png, NAME.svg, NAME.dat, NAME.gp (the
 * script gnuplot ran, which draws it again). The folder is built aside
 * and then swapped in whole.
 *
 * Templates come from $MNBENCH_PLOTS, else the source tree's plots/.
 * gnuplot runs as `gnuplot NAME.gp` (no shell) in the folder being built.
 */
#ifndef MNBENCH_PLOT_H
#define MNBENCH_PLOT_H

#include "runjson.h"

typedef enum {
    MNB_PLOT_BARS, MNB_PLOT_SWEEP, MNB_PLOT_CDF, MNB_PLOT_HIST, MNB_PLOT_COUNTER,
} mnb_plot_kind;

typedef struct mnb_plot {
    mnb_plot_kind kind;
    const char *bench, *metric; /* owned by the set's documents */
    const char *axis;           /* sweeps: the x axis */
    char *group;                /* latency figures split by configuration
                                   ("procs:1/n:1000"), or NULL */
    char *file;                 /* base name in plots/ */
} mnb_plot;

typedef struct mnb_plots {
    mnb_plot *v;
    int n;
} mnb_plots;

/* Draws every figure of s into dir/plots/. 0, or -1 with a message on
 * stderr (no templates, no gnuplot, gnuplot failed, a file not written);
 * dir/plots is then left as it was. */
int mnb_plot_set(const mnb_set *s, const char *dir, mnb_plots *out);
void mnb_plots_free(mnb_plots *p);

/* Is gnuplot on PATH? */
int mnb_plot_available(void);

/* "Intel Xeon · 1 NUMA node, 2 cores · Linux 6.1 · host · 2026-12-03":
 * the machine of the set's first run (untrusted text: escape it). */
void mnb_plot_machine(const mnb_set *s, char *buf, size_t len);

/* mnbench plot ARGS (argv[0] is "plot"); returns the exit status. */
int mnb_plot_cmd(int argc, char **argv);

#endif
