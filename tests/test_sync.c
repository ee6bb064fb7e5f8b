/* test_sync.c - WaitGroup, mutex, semaphore and channel semantics, on one
 * P and across Ps, both queue disciplines. */
#include <errno.h>
#include <stdatomic.h>
#include "mnsched.h"
#include "testlib.h"

/* ---- mutex: a counter incremented under the lock by many Gs ------------- */
static mn_mutex_t mu;
static long counter;
static atomic_int inside;
static mn_wg_t wg;

static void mutex_g(void *arg)
{
    for (int i = 0; i < SCALED(20000); i++) {
        mn_mutex_lock(&mu);
        ASSERT_EQ(atomic_fetch_add(&inside, 1), 0);   /* never two owners */
        long c = counter;
        if (i % 7 == 0)
            mn_yield();         /* hold it across a switch */
        counter = c + 1;
        atomic_fetch_sub(&inside, 1);
        mn_mutex_unlock(&mu);
    }
    mn_wg_done(&wg);
}

static void mutex_main(void *arg)
{
    mn_mutex_init(&mu);
    counter = 0;
    mn_wg_init(&wg);
    mn_wg_add(&wg, 8);
    for (int i = 0; i < 8; i++)
        mn_spawn(mutex_g, NULL);
    mn_wg_wait(&wg);
    ASSERT_EQ(counter, 8L * SCALED(20000));
    ASSERT_EQ(mn_mutex_trylock(&mu), 0);
    ASSERT_EQ(mn_mutex_trylock(&mu), -EBUSY);
    mn_mutex_unlock(&mu);
}

static void mutex_excludes(void)
{
    mnt_run(1, NULL, mutex_main, NULL);
    mnt_run(2, NULL, mutex_main, NULL);
    mnt_run(2, "lifo", mutex_main, NULL);
}

/* ---- semaphore: at most k inside ----------------------------------------- */
static mn_sema_t sem;
static atomic_int holders, max_holders;

static void sema_g(void *arg)
{
    for (int i = 0; i < SCALED(5000); i++) {
        mn_sema_acquire(&sem);
        int h = atomic_fetch_add(&holders, 1) + 1;
        int m = atomic_load(&max_holders);
        while (h > m && !atomic_compare_exchange_weak(&max_holders, &m, h))
            ;
        mn_yield();
        atomic_fetch_sub(&holders, 1);
        mn_sema_release(&sem);
    }
    mn_wg_done(&wg);
}

static void sema_main(void *arg)
{
    mn_sema_init(&sem, 3);
    atomic_store(&max_holders, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 10);
    for (int i = 0; i < 10; i++)
        mn_spawn(sema_g, NULL);
    mn_wg_wait(&wg);
    ASSERT_LE(atomic_load(&max_holders), 3);
    ASSERT_EQ(atomic_load(&max_holders) >= 1, 1);
}

static void sema_bounds(void)
{
    mnt_run(1, NULL, sema_main, NULL);
    mnt_run(2, NULL, sema_main, NULL);
}

/* ---- wait groups: waiters on several Ps all wake ---------------------------- */
static mn_wg_t gate;
static atomic_int woke;

static void gate_waiter(void *arg)
{
    mn_wg_wait(&gate);
    atomic_fetch_add(&woke, 1);
    mn_wg_done(&wg);
}

static void wg_main(void *arg)
{
    atomic_store(&woke, 0);
    mn_wg_init(&gate);
    mn_wg_add(&gate, 1);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 20);
    for (int i = 0; i < 20; i++)
        mn_spawn_on(i % mn_nprocs(), 0, gate_waiter, NULL);
    for (int i = 0; i < 50; i++)
        mn_yield();
    ASSERT_EQ(atomic_load(&woke), 0);
    mn_wg_done(&gate);
    mn_wg_wait(&wg);
    ASSERT_EQ(atomic_load(&woke), 20);
    mn_wg_wait(&gate);          /* zero: returns at once */
}

static void waitgroup(void)
{
    mnt_run(1, NULL, wg_main, NULL);
    mnt_run(2, NULL, wg_main, NULL);
}

/* ---- channels -------------------------------------------------------------- */
struct chan_case { mn_chan_t *c; long n; long sum; int producers; };

static void producer(void *arg)
{
    struct chan_case *cc = arg;
    for (long i = 1; i <= cc->n; i++)
        ASSERT_EQ(mn_chan_send(cc->c, &i), 0);
    mn_wg_done(&wg);
}

static void closer(void *arg)
{
    struct chan_case *cc = arg;
    mn_wg_wait(&wg);
    mn_chan_close(cc->c);
}

static void chan_main(void *arg)
{
    size_t caps[] = { 0, 1, 16 };
    for (int k = 0; k < 3; k++) {
        struct chan_case cc = { mn_chan_make(sizeof(long), caps[k]), SCALED(20000), 0, 4 };
        mn_wg_init(&wg);
        mn_wg_add(&wg, cc.producers);
        for (int i = 0; i < cc.producers; i++)
            mn_spawn(producer, &cc);
        mn_spawn(closer, &cc);
        long v, got = 0;
        int err;
        while ((err = mn_chan_recv(cc.c, &v)) == 0) {
            cc.sum += v;
            got++;
        }
        ASSERT_EQ(err, -EPIPE);
        ASSERT_EQ(got, cc.n * cc.producers);          /* each exactly once */
        ASSERT_EQ(cc.sum, cc.producers * cc.n * (cc.n + 1) / 2);
        ASSERT_EQ(mn_chan_send(cc.c, &v), -EPIPE);      /* closed */
        ASSERT_EQ(mn_chan_recv(cc.c, &v), -EPIPE);
        mn_chan_free(cc.c);
    }
    /* close drains the buffer first */
    mn_chan_t *c = mn_chan_make(sizeof(int), 4);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(mn_chan_send(c, &i), 0);
    mn_chan_close(c);
    int x;
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(mn_chan_recv(c, &x), 0);
        ASSERT_EQ(x, i);
    }
    ASSERT_EQ(mn_chan_recv(c, &x), -EPIPE);
    mn_chan_free(c);
    ASSERT_TRUE(mn_chan_make(0, 1) == NULL);
}

static void blocked_sender(void *arg)
{
    int v = 7;
    *(int *)((void **)arg)[1] = mn_chan_send(((void **)arg)[0], &v);
    mn_wg_done(&wg);
}

/* A sender parked on an unbuffered channel gets -EPIPE when it closes. */
static void close_wakes_main(void *arg)
{
    mn_chan_t *c = mn_chan_make(sizeof(int), 0);
    int res = 1;
    void *args[2] = { c, &res };
    mn_wg_init(&wg);
    mn_wg_add(&wg, 1);
    mn_spawn(blocked_sender, args);
    for (int i = 0; i < 10; i++)
        mn_yield();
    mn_chan_close(c);
    mn_wg_wait(&wg);
    ASSERT_EQ(res, -EPIPE);
    mn_chan_free(c);
}

static void channels(void)
{
    mnt_run(1, NULL, chan_main, NULL);
    mnt_run(2, NULL, chan_main, NULL);
    mnt_run(2, "lifo", chan_main, NULL);
    mnt_run(1, NULL, close_wakes_main, NULL);
}

/* Two Gs held on two Ps ping-pong: they never move. */
static mn_chan_t *ping, *pong;
static atomic_int moved;

static void held(void *arg)
{
    int home = mn_self_p(), v = 0;
    for (int i = 0; i < SCALED(20000); i++) {
        if (arg) {
            mn_chan_send(ping, &v);
            mn_chan_recv(pong, &v);
        } else {
            mn_chan_recv(ping, &v);
            mn_chan_send(pong, &v);
        }
        if (mn_self_p() != home)
            atomic_fetch_add(&moved, 1);
    }
    mn_wg_done(&wg);
}

static void nomigrate_main(void *arg)
{
    ping = mn_chan_make(sizeof(int), 0);
    pong = mn_chan_make(sizeof(int), 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 2);
    mn_spawn_on(0, MN_NOMIGRATE, held, (void *)1);
    mn_spawn_on(1, MN_NOMIGRATE, held, NULL);
    mn_wg_wait(&wg);
    ASSERT_EQ(atomic_load(&moved), 0);
    mn_chan_free(ping);
    mn_chan_free(pong);
    ASSERT_EQ(mn_spawn_on(5, 0, held, NULL), -ESRCH);
}

static void nomigrate_across_ps(void)
{
    mnt_run(2, NULL, nomigrate_main, NULL);
}

MNT_MAIN(CASE(mutex_excludes), CASE(sema_bounds), CASE(waitgroup), CASE(channels),
         CASE(nomigrate_across_ps))
