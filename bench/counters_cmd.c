/* counters_cmd.c - `mnbench counters`: what this machine can count per
 * M, and for what it cannot, why (PAPI's reason, perf's availability,
 * kernel.perf_event_paranoid). */
#include "cli.h"
#include "counters.h"
#include "counters_src.h"

#include <stdint.h>
#include <string.h>

static void why_line(FILE *out, const char *why)
{
    fprintf(out, "  why: %s\n", why);
}

static void hardware(FILE *out, const mnb_cmachine *m)
{
    const char *name, *dis;
    int nc, np, nn, code = 0, shown = 0;
    char sym[128], descr[256];

    if (m->hw_ok)
        fprintf(out, "Hardware counters (papi): PAPI %s, %d counters, counting %s\n",
                m->papi_version, m->papi_counters,
                m->papi_kernel ? "user and kernel" : "user space only (the kernel is not allowed)");
    else
        fprintf(out, "Hardware counters (papi): none usable\n");
    if (!m->hw_ok)
        why_line(out, m->hw_why);
    if (m->dropped)
        fprintf(out, "  left out of the default set (more events than counters; --multiplex "
                "keeps them): %s\n", m->dropped);
    if (!m->papi_version)
        return;
    fprintf(out, "  PAPI components:\n");
    for (int i = 0; mnb_papi_component(i, &name, &dis, &nc, &np, &nn); i++) {
        if (*dis)
            fprintf(out, "    %-18s disabled: %s\n", name, dis);
        else
            fprintf(out, "    %-18s enabled: %d counters, %d preset events, %d native events\n",
                    name, nc, np, nn);
    }
    fprintf(out, "  PAPI presets available here:");
    while (mnb_papi_next_preset(&code, sym, sizeof sym, descr, sizeof descr))
        fprintf(out, "%s%-14s %s", shown++ ? "\n    " : "\n    ", sym, descr);
    fprintf(out, "%s\n", shown ? "" : " none");
    if (m->hw_ok)
        fprintf(out, "  native events: papi_native_avail lists them; --counters=NAME takes "
                "any of them\n");
}

static void software(FILE *out, const mnb_cmachine *m)
{
    char level[32];

    if (m->paranoid == INT32_MIN)
        snprintf(level, sizeof level, "unknown");
    else
        snprintf(level, sizeof level, "%d", m->paranoid);
    fprintf(out, "\nSoftware events per M (perf-sw): %s\n",
            m->perf_open ? "available, perf_event_open on each M's thread" : "closed");
    fprintf(out, "  kernel.perf_event_paranoid = %s; %s\n", level,
            m->privileged ? "root or CAP_PERFMON: kernel-side events may be counted"
                          : "neither root nor CAP_PERFMON: kernel-side events (context "
                            "switches, migrations) need kernel.perf_event_paranoid <= 1");
    if (!m->perf_open)
        why_line(out, m->sw_why);
    fprintf(out, "Fallback (rusage): %s\n",
            !m->sw_source ? "not available either (see above)" :
            strcmp(m->sw_source, "rusage") == 0 ? "in use: getrusage(RUSAGE_THREAD) fields and "
                                                  "the thread CPU clock, read through "
                                                  "/proc/self/task/TID (no cpu-migrations)" :
            "available, not needed");
    fprintf(out, "\nTSC (tsc): %.4g GHz, %s; %s; ticks, never core cycles\n",
            m->tsc_hz / 1e9, m->tsc_from,
            m->tsc_invariant ? "invariant (constant_tsc, nonstop_tsc)"
                             : "NOT invariant: ticks follow the clock speed");
}

/* The table: every counter mnbench knows by name, where it comes from
 * here, and whether the default set has it. */
static void table(FILE *out, const mnb_cmachine *m)
{
    static const struct { const char *name, *unit; } presets[] = {
        { "PAPI_TOT_CYC", "cycles" }, { "PAPI_TOT_INS", "instructions" },
        { "PAPI_L1_DCM", "misses" }, { "PAPI_L2_DCM", "misses" },
        { "PAPI_BR_MSP", "mispredictions" },
    };
    const char *src, *unit, *name;
    bool in_default;

    fprintf(out, "\n%-18s %-8s %-15s %-8s %s\n", "COUNTER", "SOURCE", "UNIT", "DEFAULT",
            "HERE");
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        in_default = false;
        for (int f = 0; (name = mnb_counters_figure(f, &src, &unit)); f++)
            in_default |= strcmp(name, presets[i].name) == 0;
        fprintf(out, "%-18s %-8s %-15s %-8s %s\n", presets[i].name, "papi", presets[i].unit,
                in_default ? "yes" : "no",
                in_default ? "available" : "not available (see Hardware counters)");
    }
    for (int e = 0; e < MNB_NSW; e++) {
        bool here = m->sw_source && (m->perf_open || mnb_swevs[e].in_rusage);
        fprintf(out, "%-18s %-8s %-15s %-8s %s\n", mnb_swevs[e].name,
                here ? m->sw_source : "-", mnb_swevs[e].unit, here ? "yes" : "no",
                here ? mnb_swevs[e].help : "not available (see Software events)");
    }
    fprintf(out, "%-18s %-8s %-15s %-8s %s\n", "tsc", "tsc", "ticks", "yes",
            "elapsed reference ticks over the repetition (not per M)");
    fprintf(out, "%-18s %-8s %-15s %-8s %s\n", "ipc", "papi", "ins/cycle", m->hw_ok ? "derived" : "no",
            m->hw_ok ? "PAPI_TOT_INS / PAPI_TOT_CYC, whenever both are counted"
                     : "not available: needs PAPI_TOT_INS and PAPI_TOT_CYC");
}

int mnb_counters_cmd(FILE *out)
{
    const mnb_cmachine *m;
    const char *src, *unit, *name;

    mnb_counters_option(NULL);
    mnb_counters_setup();
    m = mnb_counters_machine();
    hardware(out, m);
    software(out, m);
    table(out, m);
    fprintf(out, "\n--counters counts the default set:");
    for (int f = 0; (name = mnb_counters_figure(f, &src, &unit)); f++)
        fprintf(out, "%s %s", f ? "," : "", name);
    fprintf(out, ".\n--counters=LIST counts the names given (the table's, or any PAPI preset\n"
            "or native event this machine has); --multiplex lets PAPI time-share more\n"
            "events than there are counters. Figures are summed over the Ms and given\n"
            "per operation (per repetition where a benchmark does not report its\n"
            "operation count).\n");
    return MNB_EXIT_OK;
}
