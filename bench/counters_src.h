/* counters_src.h - the sources behind mnbench's counters: one small
 * static interface, the implementation chosen at run time (counters.h
 * has the design; this is the boundary between it and the sources).
 *
 *   papi     hardware events through PAPI's perf_event component
 *   perf-sw  Linux perf software events, perf_event_open on the M's TID
 *   rusage   the thread's rusage counters and CPU clock, where perf is closed
 *   tsc      the time-stamp counter (not per M: read by the runner)
 *
 * A per-M source opens its counters on the M's own thread (on_m_start),
 * is read from any thread while the M runs or sleeps, and is closed on
 * the M's own thread (on_m_stop) after a last read. Counts are relative
 * to the open: an M that starts in the middle of a repetition counts
 * from zero.
 */
#ifndef MNBENCH_COUNTERS_SRC_H
#define MNBENCH_COUNTERS_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MNB_CMAX 32             /* events per M, all sources together */
#define MNB_NSW 4               /* software events */

/* The software events, in table order (perf's names). */
enum { MNB_SW_TASK_CLOCK, MNB_SW_CSWITCH, MNB_SW_MIGRATIONS, MNB_SW_FAULTS };

typedef struct mnb_swev {
    const char *name;           /* perf's name: "context-switches" */
    uint64_t perf_config;       /* PERF_COUNT_SW_* */
    const char *unit;
    bool in_rusage;             /* the rusage source can count it */
    const char *help;
} mnb_swev;
extern const mnb_swev mnb_swevs[MNB_NSW];

/* One M's counters. Owned by counters.c's registry (its lock held). */
typedef struct mnb_cslot {
    int m_id;
    pid_t tid;
    bool live;                  /* between open and close */
    bool failed;                /* an open or read failed: figures missing */
    int papi_es;                /* PAPI EventSet, or -1 (PAPI_NULL) */
    int perf_fd;                /* perf-sw group leader, or -1 */
    int perf_members[MNB_NSW];
    clockid_t cpuclock;         /* rusage: the thread's CPU clock */
    int stat_fd, status_fd;     /* rusage: /proc/self/task/TID/{stat,status} */
    double origin[MNB_NSW];     /* rusage: counts at the open */
    double begin[MNB_CMAX];     /* counts at the repetition's start */
    double last[MNB_CMAX];      /* counts at close */
} mnb_cslot;

/* A per-M source. n events, filled into v[0..n-1] in the order the
 * configuration below lists them. */
typedef struct mnb_csource {
    const char *name;           /* "papi", "perf-sw", "rusage" */
    /* On the M's own thread. 0, or a negative errno / PAPI code with the
     * reason in why. */
    int  (*open)(mnb_cslot *s, char *why, size_t len);
    /* Any thread; the M is not disturbed. 0, or < 0. */
    int  (*read)(mnb_cslot *s, double *v);
    /* On the M's own thread: the last counts into v, then release. */
    void (*close)(mnb_cslot *s, double *v);
} mnb_csource;

extern const mnb_csource mnb_csrc_papi, mnb_csrc_perf_sw, mnb_csrc_rusage;

/* What the per-M sources count, set before the first M starts. */
typedef struct mnb_csrc_conf {
    int papi_codes[MNB_CMAX];
    int npapi;
    bool multiplex;             /* PAPI: kernel multiplexing of its events */
    bool papi_kernel;           /* PAPI: count the kernel domain too */
    int sw[MNB_NSW];            /* indices into mnb_swevs */
    int nsw;
} mnb_csrc_conf;
extern mnb_csrc_conf mnb_csrc_cf;

/* --- PAPI ------------------------------------------------------------------ */

/* PAPI's codes that counters.c acts on (checked against papi.h). */
#define MNB_PAPI_ENOEVNT (-7)   /* the event does not exist here */
#define MNB_PAPI_ECNFLCT (-8)   /* exists, but does not fit in the counters */

/* PAPI_library_init and PAPI_thread_init, once (later calls return the
 * first answer). 0, or < 0 with why. */
int  mnb_papi_init(char *why, size_t len);
int  mnb_papi_cidx(void);       /* the perf_event component, or < 0 */
const char *mnb_papi_version(void);
/* A name to a code: 0, or < 0 (PAPI's code). */
int  mnb_papi_code(const char *name, int *code);
const char *mnb_papi_strerror(int rc);
/* Is the event countable here (PAPI_query_event)? */
bool mnb_papi_query(int code);
/* Opens mnb_csrc_cf's PAPI events for the calling thread and closes
 * them again: the same steps an M takes. 0, or < 0 with the failing step
 * (and the event, index into papi_codes, when one is to blame) in why. */
int  mnb_papi_trial(int *bad_event, char *why, size_t len);
/* Component i: name, disabled reason ("" when enabled), counters,
 * presets, natives; false past the last one. */
bool mnb_papi_component(int i, const char **name, const char **disabled,
                        int *ncntrs, int *npresets, int *nnatives);
/* The next available preset after *code (start with *code = 0): its
 * name and description; false at the end. */
bool mnb_papi_next_preset(int *code, char *name, size_t nlen, char *descr, size_t dlen);

/* --- perf ------------------------------------------------------------------ */

/* Opens the software events in mnb_csrc_cf.sw for the calling thread and
 * closes them: 0 or -errno. */
int  mnb_perf_sw_probe(void);
/* perf_event_open of the hardware cycles event on the calling thread:
 * 0 or -errno (ENOENT: the kernel has no CPU PMU). */
int  mnb_perf_hw_probe(void);
/* kernel.perf_event_paranoid, or INT32_MIN when unreadable. */
int  mnb_perf_paranoid(void);
/* Root, or CAP_PERFMON / CAP_SYS_ADMIN in the effective set. */
bool mnb_perf_privileged(void);

/* --- rusage ---------------------------------------------------------------- */

/* The calling thread's rusage counts can be read from outside it? 0 or
 * -errno (procfs missing). */
int  mnb_rusage_probe(void);

/* --- tsc ------------------------------------------------------------------- */

static inline uint64_t mnb_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* Ticks per second, and where that came from ("perf mmap page" or
 * "calibrated against CLOCK_MONOTONIC_RAW"); invariant: constant_tsc and
 * nonstop_tsc are both in /proc/cpuinfo. */
double mnb_tsc_hz(const char **from, bool *invariant, bool perf_open);

#endif
