/* testlib.c - the test runner, mnt_run, and the watchdog. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "mnsched.h"
#include "testlib.h"

int mnt_main(int argc, char **argv, const mnt_case *cases, int n)
{
    int ran = 0;
    for (int i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name))
            continue;
        cases[i].fn();
        printf("ok %s\n", cases[i].name);
        fflush(stdout);
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "(any)");
        return 2;
    }
    return 0;
}

struct wrapped { void (*fn)(void *); void *arg; };

/* The watchdog lives while the runtime does: started and stopped by the
 * main G, so it never reads a scheduler being torn down. */
static void watched(void *arg)
{
    struct wrapped *w = arg;
    mnt_watchdog_start();
    w->fn(w->arg);
    mnt_watchdog_stop();
}

void mnt_run(int procs, const char *queue, void (*fn)(void *), void *arg)
{
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    cfg.nprocs = procs;
    if (queue)
        cfg.queue = queue;
    if (procs > 2)
        cfg.placement = "none";
    int err = mn_config_check(&cfg);
    if (err)
        fprintf(stderr, "config: %s\n", cfg.error);
    ASSERT_EQ(err, 0);
    struct wrapped w = { fn, arg };
    ASSERT_EQ(mn_run(&cfg, watched, &w), 0);
}

/* ---- the watchdog ------------------------------------------------------- */

static pthread_t wd_thread;
static atomic_int wd_stop;

/* A racy snapshot, but a stuck state stays stuck: one second of it in
 * every sample is a lost wake-up, not a race. */
static int stuck(void)
{
    mn_sched *s = &mn__sched;
    if (!s->nprocs || atomic_load(&s->stopping))
        return 0;
    if (atomic_load(&s->nmspinning) || atomic_load(&s->npidle) != s->nprocs)
        return 0;
    if (atomic_load(&s->gq_size) > 0)
        return 1;
    for (int i = 0; i < s->nprocs; i++) {
        mn_p *p = s->allp[i];
        if (!mn__runq_empty(p) || atomic_load(&p->inbox_n) > 0)
            return 1;
    }
    return 0;
}

static void *wd_main(void *arg)
{
    int stuck_ms = 0;
    while (!atomic_load(&wd_stop)) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        stuck_ms = stuck() ? stuck_ms + 10 : 0;
        if (stuck_ms >= 1000) {
            fprintf(stderr, "watchdog: work queued while every M is parked and none spins, "
                            "for 1 s: a lost wake-up (gq=%d npidle=%d)\n",
                    atomic_load(&mn__sched.gq_size), atomic_load(&mn__sched.npidle));
            abort();
        }
    }
    return NULL;
}

void mnt_watchdog_start(void)
{
    atomic_store(&wd_stop, 0);
    pthread_create(&wd_thread, NULL, wd_main, NULL);
}

void mnt_watchdog_stop(void)
{
    atomic_store(&wd_stop, 1);
    pthread_join(wd_thread, NULL);
}
