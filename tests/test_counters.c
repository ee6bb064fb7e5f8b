/* test_counters.c - the counters' registry without a runtime: plain
 * threads stand in for Ms (they call the on_m_start/on_m_stop hooks
 * themselves) and the main thread plays the runner. One case per process
 * (CTest runs each by name): the setup is once per process, like mnbench's.
 *
 * MNBENCH_COUNTERS_FORCE=rusage in the environment runs the same cases on
 * the rusage source (tests/harness.cmake registers both). */
#include <errno.h>
#include <linux/perf_event.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "counters_src.h"
#include "testlib.h"

#define ASSERT_GE(a, b) do { double _a = (a), _b = (b); if (!(_a >= _b)) { \
    fprintf(stderr, "%s:%d: ASSERT_GE(%s, %s): %g < %g\n", __FILE__, __LINE__, #a, #b, \
            _a, _b); abort(); } } while (0)

static mnb_conf conf, conf2;

static const char *want_source(void)
{
    const char *f = getenv("MNBENCH_COUNTERS_FORCE");
    struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof a,
                                 .config = PERF_COUNT_SW_CONTEXT_SWITCHES };
    long fd;

    if (f && strcmp(f, "rusage") == 0)
        return "rusage";
    /* What perf itself says, asked independently of mnbench. */
    fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0)
        return "rusage";
    close((int)fd);
    return "perf-sw";
}

static void setup(const char *list)
{
    mnb_counters_option(list);
    mnb_counters_setup();
    ASSERT_TRUE(mnb_counters_enabled());
}

/* The figure called name in f[0..n), or abort. */
static const mnb_cfigure *figure(const mnb_cfigure *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    fprintf(stderr, "no figure %s\n", name);
    abort();
}

static void summarise(const mnb_cfigure **f, int *n, bool *per_op)
{
    const double *ops;

    mnb_counters_summarise(&(mnb_plan){ .confs = &conf, .n = 1 });
    *n = mnb_counters_of(&conf, f, per_op, &ops);
    ASSERT_TRUE(*n > 0);
}

static double thread_cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void burn_ms(double ms)
{
    double t0 = thread_cpu_ms();

    while (thread_cpu_ms() - t0 < ms)
        ;
}

/* --- a fake M ------------------------------------------------------------- */

typedef struct fake_m {
    pthread_t t;
    int id;
    atomic_int go, stop;        /* the main thread's orders */
    atomic_int started, worked; /* the M's replies */
    double burn;                /* ms of CPU when told to go */
    int sleeps;                 /* then this many 200 us sleeps */
    size_t touch;               /* then first-touch this many bytes */
    bool stop_after_work;       /* on_m_stop and exit right after the work */
} fake_m;

static void wait_for(atomic_int *flag)
{
    while (!atomic_load(flag))
        usleep(100);
}

static void *fake_m_main(void *arg)
{
    fake_m *m = arg;

    mnb_counters_m_start(m->id, NULL);
    atomic_store(&m->started, 1);
    wait_for(&m->go);
    burn_ms(m->burn);
    for (int i = 0; i < m->sleeps; i++)
        usleep(200);
    if (m->touch) {
        volatile char *p = malloc(m->touch);
        for (size_t i = 0; i < m->touch; i += 4096)
            p[i] = 1;
        free((void *)p);
    }
    if (!m->stop_after_work) {
        atomic_store(&m->worked, 1);
        wait_for(&m->stop);
    }
    mnb_counters_m_stop(m->id, NULL);
    atomic_store(&m->worked, 1);
    return NULL;
}

static void fake_m_start(fake_m *m)
{
    ASSERT_EQ(pthread_create(&m->t, NULL, fake_m_main, m), 0);
    wait_for(&m->started);
}

static void fake_m_end(fake_m *m)
{
    atomic_store(&m->stop, 1);
    atomic_store(&m->go, 1);
    pthread_join(m->t, NULL);
}

/* --- cases ------------------------------------------------------------------ */

/* The source is the one perf itself allows (or the forced one). */
static void source_chosen(void)
{
    const mnb_cmachine *m;

    setup(NULL);
    m = mnb_counters_machine();
    ASSERT_TRUE(m->sw_source != NULL);
    if (strcmp(m->sw_source, want_source()) != 0) {
        fprintf(stderr, "software source %s, want %s\n", m->sw_source, want_source());
        abort();
    }
    if (strcmp(m->sw_source, "rusage") == 0)
        ASSERT_STR_CONTAINS(m->sw_why, "kernel.perf_event_paranoid");
    if (!m->hw_ok)
        ASSERT_TRUE(m->hw_why && *m->hw_why);
}

/* Work done between rep_begin and rep_end is counted, summed over the
 * Ms: by an M there from the start, by one that stops within the
 * repetition (its last reading), by one that starts within it (from
 * zero); sleeps are context switches; first touches are page faults. */
static void work_is_counted(void)
{
    fake_m a = { .id = 1, .burn = 20, .stop_after_work = true };
    fake_m b = { .id = 2, .burn = 20, .touch = 200 * 4096 };
    fake_m c = { .id = 3, .sleeps = 50 };
    const mnb_cfigure *f;
    bool per_op;
    int n;

    setup(NULL);
    fake_m_start(&a);
    fake_m_start(&c);
    mnb_counters_rep_begin();
    atomic_store(&a.go, 1);
    atomic_store(&c.go, 1);
    fake_m_start(&b);
    atomic_store(&b.go, 1);
    wait_for(&a.worked);
    wait_for(&b.worked);
    wait_for(&c.worked);
    pthread_join(a.t, NULL);    /* a has stopped: its slot holds the last reading */
    mnb_counters_rep_end(&conf, true);
    fake_m_end(&b);
    fake_m_end(&c);
    summarise(&f, &n, &per_op);
    ASSERT_TRUE(!per_op);
    ASSERT_GE(figure(f, n, "task-clock")->totals[0], 0.9 * 40e6);
    ASSERT_GE(figure(f, n, "context-switches")->totals[0], 50);
    ASSERT_GE(figure(f, n, "page-faults")->totals[0], 100);
    ASSERT_STR_CONTAINS(figure(f, n, "task-clock")->unit, "ns/rep");
    ASSERT_STR_CONTAINS(figure(f, n, "task-clock")->source, want_source());
    ASSERT_TRUE(!figure(f, n, "tsc")->per_m);
}

/* Reading a parked M does not wake it: an M blocked in read(2) for the
 * whole run shows no context switch and no CPU time, however often the
 * runner reads it. */
static int park_pipe[2];

static void *blocked_m(void *arg)
{
    char c;

    mnb_counters_m_start(7, NULL);
    atomic_store((atomic_int *)arg, 1);
    if (read(park_pipe[0], &c, 1) < 0)
        abort();
    mnb_counters_m_stop(7, NULL);
    return NULL;
}

static void blocked_m_reads_zero(void)
{
    atomic_int started = 0;
    const mnb_cfigure *f;
    pthread_t t;
    bool per_op;
    int n;

    setup(NULL);
    ASSERT_EQ(pipe(park_pipe), 0);
    ASSERT_EQ(pthread_create(&t, NULL, blocked_m, &started), 0);
    wait_for(&started);
    usleep(50000);              /* into read(2), and switched out */
    for (int r = 0; r < 50; r++) {
        mnb_counters_rep_begin();
        usleep(500);
        mnb_counters_rep_end(&conf, true);
    }
    ASSERT_EQ(write(park_pipe[1], "x", 1), 1);
    pthread_join(t, NULL);
    summarise(&f, &n, &per_op);
    ASSERT_EQ(f[0].n, 50);
    for (size_t r = 0; r < f[0].n; r++) {
        ASSERT_EQ(figure(f, n, "context-switches")->totals[r], 0);
        ASSERT_EQ(figure(f, n, "task-clock")->totals[r], 0);
    }
}

/* mnb_ops: counts add up within a repetition; figures are per operation
 * only when every repetition reported a count. */
static void per_operation(void)
{
    fake_m m = { .id = 1, .sleeps = 20 };
    const mnb_cfigure *f;
    const double *ops;
    bool per_op;
    int n;

    setup(NULL);
    fake_m_start(&m);
    mnb_counters_rep_begin();
    mnb_ops(NULL, 250);
    mnb_ops(NULL, 750);
    atomic_store(&m.go, 1);
    wait_for(&m.worked);
    mnb_counters_rep_end(&conf, true);
    mnb_counters_rep_begin();   /* conf2: one repetition without a count */
    mnb_counters_rep_end(&conf2, true);
    mnb_counters_rep_begin();
    mnb_ops(NULL, 10);
    mnb_counters_rep_end(&conf2, true);
    mnb_counters_rep_begin();   /* a warm-up's figures are dropped */
    mnb_counters_rep_end(&conf, false);
    fake_m_end(&m);
    mnb_counters_summarise(&(mnb_plan){ .confs = &conf, .n = 1 });
    n = mnb_counters_of(&conf, &f, &per_op, &ops);
    ASSERT_TRUE(per_op);
    ASSERT_EQ(f[0].n, 1);
    ASSERT_EQ(ops[0], 1000);
    const mnb_cfigure *cs = figure(f, n, "context-switches");
    ASSERT_GE(cs->totals[0], 20);
    ASSERT_TRUE(fabs(cs->samples[0] - cs->totals[0] / 1000) < 1e-12);
    ASSERT_STR_CONTAINS(cs->unit, "switches/op");
    mnb_counters_summarise(&(mnb_plan){ .confs = &conf2, .n = 1 });
    n = mnb_counters_of(&conf2, &f, &per_op, &ops);
    ASSERT_TRUE(!per_op);
    ASSERT_EQ(f[0].n, 2);
    ASSERT_TRUE(isnan(ops[0]) && ops[1] == 10);
    ASSERT_STR_CONTAINS(figure(f, n, "context-switches")->unit, "switches/rep");
}

/* The TSC's rate agrees with CLOCK_MONOTONIC_RAW, and the tsc figure is
 * elapsed ticks. */
static void tsc_ticks(void)
{
    struct timespec a, b, pause = { 0, 100000000 };
    const mnb_cfigure *f;
    const mnb_cmachine *m;
    uint64_t t0, t1;
    double secs, hz;
    bool per_op;
    int n;

    setup(NULL);
    m = mnb_counters_machine();
    clock_gettime(CLOCK_MONOTONIC_RAW, &a);
    t0 = mnb_rdtsc();
    nanosleep(&pause, NULL);
    t1 = mnb_rdtsc();
    clock_gettime(CLOCK_MONOTONIC_RAW, &b);
    secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    hz = (double)(t1 - t0) / secs;
    ASSERT_TRUE(fabs(m->tsc_hz - hz) / hz < 0.02);
    mnb_counters_rep_begin();
    nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    mnb_counters_rep_end(&conf, true);
    summarise(&f, &n, &per_op);
    secs = figure(f, n, "tsc")->totals[0] / m->tsc_hz;
    ASSERT_TRUE(secs >= 0.020 && secs < 0.040);
    ASSERT_STR_CONTAINS(figure(f, n, "tsc")->unit, "ticks/");
}

/* An explicit list: those figures, in that order, nothing else. */
static void explicit_list(void)
{
    const char *src, *unit;

    setup("tsc,context-switches");
    ASSERT_TRUE(!strcmp(mnb_counters_figure(0, &src, &unit), "tsc"));
    ASSERT_TRUE(!strcmp(src, "tsc") && !strcmp(unit, "ticks"));
    ASSERT_TRUE(!strcmp(mnb_counters_figure(1, &src, &unit), "context-switches"));
    ASSERT_TRUE(!strcmp(src, want_source()));
    ASSERT_TRUE(mnb_counters_figure(2, &src, &unit) == NULL);
}

MNT_MAIN(CASE(source_chosen), CASE(work_is_counted), CASE(blocked_m_reads_zero), CASE(per_operation), CASE(tsc_ticks),
         CASE(explicit_list))
