/* test_preempt.c - time slices: a spinning G is preempted within its slice
 * plus a bound; registers survive thousands of asynchronous preemptions;
 * a G inside libc is not preempted there; a preempted G resumes on its M
 * with errno intact; cooperative mode; off never preempts. The signal
 * cases run where async preemption exists (not in the TSan tree, whose
 * mode is forced to cooperative). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "mnsched.h"
#include "testlib.h"

#ifdef MN_TSAN
#define ASYNC 0
#else
#define ASYNC 1
#endif

int mnt_regs_spin(uint64_t seed, uint64_t iters);

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_with(const char *mode, uint64_t slice, void (*fn)(void *))
{
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    cfg.nprocs = 1;
    cfg.preempt_mode = mode;
    cfg.timeslice_ns = slice;
    ASSERT_EQ(mn_run(&cfg, fn, NULL), 0);
}

static struct {
    _Atomic uint64_t hog_start, hog_end, victim_start;
    atomic_int stop;
    atomic_int hog_tid_changed;
    atomic_int errno_lost;
    int coop;                   /* the hog calls mn_preempt_point() */
    uint64_t limit_ns;          /* the hog gives up after this */
    mn_wg_t wg;
} st;

static void hog(void *arg)
{
    pid_t tid = gettid();
    errno = 4242;
    uint64_t start = now_ns();
    atomic_store(&st.hog_start, start);
    volatile unsigned long x = 0;
    while (!atomic_load_explicit(&st.stop, memory_order_relaxed)) {
        if (++x % 4096 == 0 && now_ns() - start > st.limit_ns)
            break;
        if (st.coop)
            mn_preempt_point();
    }
    atomic_store(&st.hog_end, now_ns());
    if (gettid() != tid)
        atomic_store(&st.hog_tid_changed, 1);
    if (errno != 4242)
        atomic_store(&st.errno_lost, 1);
    mn_wg_done(&st.wg);
}

static void victim(void *arg)
{
    atomic_store(&st.victim_start, now_ns());
    atomic_store(&st.stop, 1);
    mn_wg_done(&st.wg);
}

static void hog_and_victim(void *arg)
{
    atomic_store(&st.stop, 0);
    atomic_store(&st.hog_tid_changed, 0);
    atomic_store(&st.errno_lost, 0);
    mn_wg_init(&st.wg);
    mn_wg_add(&st.wg, 2);
    mn_spawn_on(0, MN_NOMIGRATE, hog, NULL);
    mn_spawn_on(0, MN_NOMIGRATE, victim, NULL);
    mn_wg_wait(&st.wg);
}

/* Signal mode: a tight loop is preempted at the end of its slice. */
static void spinning_g_is_preempted(void)
{
    if (!ASYNC) {
        /* TSan tree: the runtime forces cooperative mode, and says so. */
        st.coop = 0;
        st.limit_ns = 100000000;
        run_with("signal", 2000000, hog_and_victim);
        ASSERT_TRUE(atomic_load(&st.victim_start) >= atomic_load(&st.hog_end));
        return;
    }
    st.coop = 0;
    st.limit_ns = 2000000000;   /* the hog would spin 2 s without preemption */
    for (int i = 0; i < 5; i++) {
        run_with("signal", 2000000, hog_and_victim);
        uint64_t delay = atomic_load(&st.victim_start) - atomic_load(&st.hog_start);
        ASSERT_TRUE(delay >= 1900000);                         /* not before the slice */
        ASSERT_LE(delay, 2000000 + 50000000ull * MN_TEST_SCALE); /* slice + bound */
        ASSERT_EQ(atomic_load(&st.hog_tid_changed), 0);     /* resumed on its M */
        ASSERT_EQ(atomic_load(&st.errno_lost), 0);          /* errno intact */
    }
}

/* ---- registers ------------------------------------------------------------------- */

static atomic_int reg_failures;
static mn_wg_t reg_wg;

static void reg_g(void *arg)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull * ((uint64_t)(uintptr_t)arg + 1);
    uint64_t end = now_ns() + 400000000u / MN_TEST_SCALE;
    while (now_ns() < end)
        reg_failures += mnt_regs_spin(seed, 2000000);
    mn_wg_done(&reg_wg);
}

static void regs_main(void *arg)
{
    mn_wg_init(&reg_wg);
    mn_wg_add(&reg_wg, 3);
    for (uintptr_t i = 0; i < 3; i++)
        mn_spawn_on(0, MN_NOMIGRATE, reg_g, (void *)i);
    mn_wg_wait(&reg_wg);
    static mn_sched_stats s;
    mn_stats(&s);
    ASSERT_TRUE(s.p[0].async_preempts >= 1000 / MN_TEST_SCALE);
}

static void registers_survive_preemption(void)
{
    if (!ASYNC)
        return;                 /* no async preemption under TSan: nothing to check */
    atomic_store(&reg_failures, 0);
    run_with("signal", 100000, regs_main);      /* 100 us slices: thousands */
    ASSERT_EQ(atomic_load(&reg_failures), 0);
}

/* ---- not inside libc ----------------------------------------------------------------- */

static char *big;
#define BIG (256u << 20)

static void libc_hog(void *arg)
{
    atomic_store(&st.hog_start, now_ns());
    memset(big, 1, BIG);        /* tens of ms inside libc: never a safe point */
    atomic_store(&st.hog_end, now_ns());
    mn_wg_done(&st.wg);
}

static void libc_main(void *arg)
{
    mn_wg_init(&st.wg);
    mn_wg_add(&st.wg, 2);
    mn_spawn_on(0, MN_NOMIGRATE, libc_hog, NULL);
    mn_spawn_on(0, MN_NOMIGRATE, victim, NULL);
    mn_wg_wait(&st.wg);
    static mn_sched_stats s;
    mn_stats(&s);
    ASSERT_TRUE(s.p[0].preempts >= 1);          /* it was asked, many times */
}

static void g_in_libc_is_not_preempted_there(void)
{
    if (!ASYNC)
        return;
    big = malloc(BIG);
    memset(big, 0, BIG);        /* fault it in: the hog's memset is pure libc */
    run_with("signal", 1000000, libc_main);
    /* The victim cannot start while the memset runs. Right after it
     * returns the hog is in its own code again and may be preempted, so
     * the victim must start after most of the memset: had it started
     * inside, the hog would have finished its memset long after. */
    uint64_t hs = atomic_load(&st.hog_start), he = atomic_load(&st.hog_end);
    ASSERT_TRUE(he - hs > 2000000);                  /* longer than a slice */
    ASSERT_TRUE(atomic_load(&st.victim_start) >= hs + (he - hs) * 9 / 10);
    free(big);
}

/* ---- cooperative and off ---------------------------------------------------------------- */

static void cooperative_mode(void)
{
    st.coop = 1;
    st.limit_ns = 2000000000;
    run_with("cooperative", 2000000, hog_and_victim);
    uint64_t delay = atomic_load(&st.victim_start) - atomic_load(&st.hog_start);
    ASSERT_TRUE(delay >= 1900000);
    ASSERT_LE(delay, 2000000 + 50000000ull * MN_TEST_SCALE);
    /* without preemption points a cooperative hog runs to its end */
    st.coop = 0;
    st.limit_ns = 30000000;
    run_with("cooperative", 2000000, hog_and_victim);
    ASSERT_TRUE(atomic_load(&st.victim_start) >= atomic_load(&st.hog_end));
}

static void off_main(void *arg)
{
    hog_and_victim(NULL);
    static mn_sched_stats s;
    mn_stats(&s);
    ASSERT_EQ(s.p[0].preempts, 0);
    ASSERT_TRUE(!strcmp(s.preempt_mode, "off"));
}

static void off_never_preempts(void)
{
    st.coop = 1;
    st.limit_ns = 30000000;
    run_with("off", 2000000, off_main);
    ASSERT_TRUE(atomic_load(&st.victim_start) >= atomic_load(&st.hog_end));
    run_with("signal", 0, off_main);            /* a zero slice is off too */
}

/* ---- stop the world ---------------------------------------------------------------- */

static atomic_long spins[8];
static atomic_int quit;

static void spinner(void *arg)
{
    int i = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&spins[i], 1, memory_order_relaxed);
        if (!ASYNC)
            mn_preempt_point();     /* cooperative under TSan */
    }
    mn_wg_done(&st.wg);
}

static void stw_main(void *arg)
{
    int n = mn_nprocs(), self = mn_self_p();
    bool has[8] = { false };
    atomic_store(&quit, 0);
    mn_wg_init(&st.wg);
    for (int p = 0; p < n; p++) {
        atomic_store(&spins[p], 0);
        if (p == self)
            continue;
        has[p] = true;
        mn_wg_add(&st.wg, 1);
        mn_spawn_on(p, MN_NOMIGRATE, spinner, (void *)(intptr_t)p);
    }
    mn_sleep_ns(5000000);
    for (int round = 0; round < 5; round++) {
        uint64_t ns = mn_stop_the_world();
        ASSERT_TRUE(ns > 0);
        self = mn_self_p();     /* the P we stopped from (we may have moved) */
        for (int p = 0; p < n; p++)
            if (p != self)
                ASSERT_EQ(atomic_load(&mn__sched.allp[p]->status), MN_P_STOPPED);
        long before[8];
        for (int p = 0; p < n; p++)
            before[p] = atomic_load(&spins[p]);
        uint64_t t = now_ns();
        while (now_ns() - t < 5000000)
            ;                   /* we run alone: nobody else counts */
        for (int p = 0; p < n; p++)
            if (p != self)
                ASSERT_EQ(atomic_load(&spins[p]), before[p]);
        mn_start_the_world();
        /* every spinner runs again (waiting for it, not for a set time) */
        for (int p = 0; p < n; p++) {
            if (!has[p])
                continue;
            for (int ms = 0; ms < 5000 && atomic_load(&spins[p]) == before[p]; ms++)
                mn_sleep_ns(1000000);
            ASSERT_TRUE(atomic_load(&spins[p]) > before[p]);
        }
    }
    atomic_store(&quit, 1);
    mn_wg_wait(&st.wg);
}

static void stop_the_world(void)
{
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    for (int procs = 2; procs <= 4; procs += 2) {
        cfg.nprocs = procs;
        cfg.placement = procs > 2 ? "none" : "compact";
        cfg.timeslice_ns = 1000000;
        ASSERT_EQ(mn_run(&cfg, stw_main, NULL), 0);
    }
}

MNT_MAIN(CASE(spinning_g_is_preempted), CASE(registers_survive_preemption),
         CASE(g_in_libc_is_not_preempted_there), CASE(cooperative_mode),
         CASE(off_never_preempts), CASE(stop_the_world))
