/* test_runq.c - the ring under a concurrent owner and thieves: every G is
 * taken exactly once, in both disciplines. No runtime: the queues are
 * driven directly. */
#include <stdatomic.h>
#include <stdlib.h>
#include "internal.h"
#include "testlib.h"

enum { THIEVES = 3 };
static long total;
static mn_g *gs;
static atomic_uchar *seen;
static atomic_long taken;
static mn_p *ps[THIEVES + 1];

static void take(mn_g *g)
{
    long i = g - gs;
    ASSERT_TRUE(i >= 0 && i < total);
    ASSERT_EQ(atomic_fetch_add(&seen[i], 1), 0);      /* never twice */
    atomic_fetch_add(&taken, 1);
}

static void *thief(void *arg)
{
    mn_p *me = arg;
    while (atomic_load(&taken) < total) {
        mn_g *g = mn__runq_steal(me, ps[0], true);
        if (!g)
            continue;
        take(g);
        while ((g = mn__runq_get(me)))   /* drain what came with it */
            take(g);
    }
    return NULL;
}

static void drain_global(mn_p *p)
{
    pthread_mutex_lock(&mn__sched.lock);
    mn_g *g;
    while ((g = mn__sched.gq_head)) {
        mn__sched.gq_head = g->schedlink;
        atomic_fetch_sub(&mn__sched.gq_size, 1);
        take(g);
    }
    mn__sched.gq_tail = NULL;
    pthread_mutex_unlock(&mn__sched.lock);
}

static void run(bool lifo)
{
    memset(&mn__sched, 0, sizeof mn__sched);
    pthread_mutex_init(&mn__sched.lock, NULL);
    mn__sched.nprocs = THIEVES + 1;
    mn__sched.lifo = lifo;
    total = SCALED(1000000);
    gs = calloc((size_t)total, sizeof *gs);
    seen = calloc((size_t)total, 1);
    atomic_store(&taken, 0);
    for (int i = 0; i <= THIEVES; i++) {
        ps[i] = aligned_alloc(64, (sizeof(mn_p) + 63) & ~(size_t)63);
        memset(ps[i], 0, sizeof(mn_p));
        ps[i]->id = i;
    }
    mn__sched.allp = ps;
    pthread_t t[THIEVES];
    for (int i = 0; i < THIEVES; i++)
        pthread_create(&t[i], NULL, thief, ps[i + 1]);
    /* The owner: pushes (some via runnext), pops now and then. */
    for (long i = 0; i < total; i++) {
        mn__runq_put(ps[0], &gs[i], i % 5 == 0);
        if (i % 3 == 0) {
            mn_g *g = mn__runq_get(ps[0]);
            if (g)
                take(g);
        }
        if (i % 4096 == 0)
            drain_global(ps[0]);
    }
    while (atomic_load(&taken) < total) {
        mn_g *g = mn__runq_get(ps[0]);
        if (g)
            take(g);
        drain_global(ps[0]);
    }
    for (int i = 0; i < THIEVES; i++)
        pthread_join(t[i], NULL);
    ASSERT_EQ(atomic_load(&taken), total);
    for (long i = 0; i < total; i++)
        ASSERT_EQ(atomic_load(&seen[i]), 1);
    for (int i = 0; i <= THIEVES; i++)
        free(ps[i]);
    free(gs);
    free((void *)seen);
    pthread_mutex_destroy(&mn__sched.lock);
    memset(&mn__sched, 0, sizeof mn__sched);
}

static void fifo_each_g_once(void)
{
    run(false);
}

static void lifo_each_g_once(void)
{
    run(true);
}

static void lifo_pops_newest(void)
{
    memset(&mn__sched, 0, sizeof mn__sched);
    mn__sched.nprocs = 1;
    mn_p *p = aligned_alloc(64, (sizeof(mn_p) + 63) & ~(size_t)63);
    memset(p, 0, sizeof *p);
    mn_g g[3];
    for (int lifo = 0; lifo < 2; lifo++) {
        mn__sched.lifo = lifo;
        for (int i = 0; i < 3; i++)
            mn__runq_put(p, &g[i], false);
        ASSERT_TRUE(mn__runq_get(p) == &g[lifo ? 2 : 0]);
        ASSERT_TRUE(mn__runq_get(p) == &g[1]);
        ASSERT_TRUE(mn__runq_get(p) == &g[lifo ? 0 : 2]);
        ASSERT_TRUE(mn__runq_get(p) == NULL);
        ASSERT_TRUE(mn__runq_empty(p));
    }
    free(p);
    memset(&mn__sched, 0, sizeof mn__sched);
}

MNT_MAIN(CASE(fifo_each_g_once), CASE(lifo_each_g_once), CASE(lifo_pops_newest))
