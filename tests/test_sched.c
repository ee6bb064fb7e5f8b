/* test_sched.c - the scheduler across Ps: skynet's sum in both queue
 * disciplines, stealing, oversubscription, per-P counters. The watchdog
 * (testlib) fails any run with a lost wake-up. */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "mnsched.h"
#include "testlib.h"

struct node { long num, size; mn_chan_t *out; };

static void skynet(void *arg)
{
    struct node self = *(struct node *)arg;
    if (self.size == 1) {
        mn_chan_send(self.out, &self.num);
        return;
    }
    struct node kids[10];
    mn_chan_t *c = mn_chan_make(sizeof(long), 10);
    long sub = self.size / 10;
    for (int i = 0; i < 10; i++) {
        kids[i] = (struct node){ self.num + i * sub, sub, c };
        ASSERT_EQ(mn_spawn(skynet, &kids[i]), 0);
    }
    long sum = 0, v;
    for (int i = 0; i < 10; i++) {
        ASSERT_EQ(mn_chan_recv(c, &v), 0);
        sum += v;
    }
    mn_chan_free(c);
    mn_chan_send(self.out, &sum);
}

static long leaves;

static void skynet_main(void *arg)
{
    mn_chan_t *out = mn_chan_make(sizeof(long), 1);
    struct node root = { 0, leaves, out };
    mn_spawn(skynet, &root);
    long sum;
    ASSERT_EQ(mn_chan_recv(out, &sum), 0);
    ASSERT_EQ(sum, leaves * (leaves - 1) / 2);
    mn_chan_free(out);
    /* The root sent its sum and exits right after: wait for it to go. */
    for (int i = 0; i < 100000 && mn_num_g() > 1; i++)
        mn_sleep_ns(100000);    /* its M may be descheduled (4 Ps on 2 CPUs) */
    ASSERT_EQ(mn_num_g(), 1);
}

static void skynet_sums(void)
{
    /* 100,000 leaves here; the 1,000,000-leaf tree is skynet_million. */
    leaves = MN_TEST_SCALE > 1 ? 10000 : 100000;
    const char *queues[] = { "fifo", "lifo" };
    for (int q = 0; q < 2; q++)
        for (int procs = 1; procs <= 2; procs++)
            mnt_run(procs, queues[q], skynet_main, NULL);
}

static void skynet_million(void)
{
    leaves = MN_TEST_SCALE > 1 ? 100000 : 1000000;   /* reduced in sanitizer trees */
    mnt_run(2, "lifo", skynet_main, NULL);
    mnt_run(2, "fifo", skynet_main, NULL);
}

static mn_wg_t wg;
static atomic_int ran_elsewhere;

static void spin_task(void *arg)
{
    /* 100 us of work, by the clock: sanitizer trees start threads slowly,
     * and the thief must be up before the work is gone. */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 100000);
    if (mn_self_p() != 0)
        atomic_fetch_add(&ran_elsewhere, 1);
    mn_wg_done(&wg);
}

static void steal_main(void *arg)
{
    atomic_store(&ran_elsewhere, 0);
    int n = 200;                /* fits the ring: stealing is the only way out */
    mn_wg_init(&wg);
    mn_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        mn_spawn(spin_task, NULL);
    mn_wg_wait(&wg);
    static mn_sched_stats st;   /* large: not on a 64 KiB G stack */
    mn_stats(&st);
    ASSERT_EQ(st.nprocs, 2);
    uint64_t in = 0, out = 0, spawned = 0;
    for (int i = 0; i < st.nprocs; i++) {
        in += st.p[i].stolen_in;
        out += st.p[i].stolen_out;
        spawned += st.p[i].g_spawned;
    }
    ASSERT_EQ(in, out);
    ASSERT_TRUE(in > 0);
    ASSERT_EQ(spawned, (uint64_t)n + 1);       /* and the main G */
    ASSERT_TRUE(atomic_load(&ran_elsewhere) > 0);
    ASSERT_TRUE(st.threads >= 2);
}

/* A busy P's queued Gs are stolen by the idle one. */
static void idle_p_steals(void)
{
    mnt_run(2, NULL, steal_main, NULL);
    mnt_run(2, "lifo", steal_main, NULL);
}

static void four_ps_main(void *arg)
{
    ASSERT_EQ(mn_nprocs(), 4);
    leaves = SCALED(10000);
    skynet_main(NULL);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 400);
    for (int i = 0; i < 400; i++)
        mn_spawn_on(i % 4, 0, spin_task, NULL);
    mn_wg_wait(&wg);
}

/* More Ps than CPUs, unpinned (MN_PLACEMENT=none, as tests must). */
static void oversubscribed(void)
{
    mnt_run(4, NULL, four_ps_main, NULL);
}

static void yielders(void *arg)
{
    for (int i = 0; i < SCALED(100000); i++)
        mn_yield();
    mn_wg_done(&wg);
}

/* Two yielding Gs and an idle P: the thief's request publishes the yield
 * slot, so both Ps end up busy and nothing is lost. */
static void yield_slot_main(void *arg)
{
    mn_wg_init(&wg);
    mn_wg_add(&wg, 3);
    for (int i = 0; i < 3; i++)
        mn_spawn(yielders, NULL);
    mn_wg_wait(&wg);
}

static void yield_slot_is_stolen(void)
{
    mnt_run(2, NULL, yield_slot_main, NULL);
    mnt_run(2, "lifo", yield_slot_main, NULL);
}

MNT_MAIN(CASE(skynet_sums), CASE(idle_p_steals), CASE(oversubscribed),
         CASE(yield_slot_is_stolen), CASE(skynet_million))
