/* debug.c - the hooks of include/mnsched/debug.h: fault injection,
 * spurious events, and snapshots for the stress test's invariants. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"
#include "sanitize.h"
#include "mnsched/debug.h"

int mn_debug_inject(const char *fault, unsigned every)
{
    if (fault && !strcmp(fault, "alloc")) {
        atomic_store(&mn__inject_alloc_every, every);
        return 0;
    }
    return -EINVAL;
}

void mn_debug_kick(void)
{
    if (!mn__sched.nprocs)
        return;
    pthread_mutex_lock(&mn__sched.lock);
    for (mn_m *m = mn__sched.midle; m; m = m->link)
        mn__notewakeup(m);      /* no P for it: a spurious wake-up */
#ifndef MN_SAN_TSAN
    /* (TSan cannot take a signal delivered onto a G's fiber.) */
    for (mn_m *m = mn__sched.allm; m; m = m->all_next)
        if (m->tid)
            syscall(SYS_tgkill, getpid(), m->tid, SIGURG);
#endif
    pthread_mutex_unlock(&mn__sched.lock);
}

struct census { size_t live_stacks, live_gs; };

static void count(mn_g *g, void *arg)
{
    struct census *c = arg;
    if (atomic_load(&g->status) == MN_G_IDLE)
        return;
    c->live_gs++;
    if (g->stack)
        c->live_stacks++;
}

void mn_debug_counts_get(mn_debug_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!mn__sched.nprocs)
        return;
    mn__stack_counts(&out->stacks_allocated, &out->stacks_cached);
    struct census c = { 0, 0 };
    mn__g_foreach(count, &c);
    out->stacks_live = c.live_stacks;
    out->gs_live = c.live_gs;
    out->cache_bound = MN_SCACHE_MAX;
    for (int i = 0; i < mn__sched.nprocs; i++) {
        size_t n = (size_t)mn__sched.allp[i]->nsfree;
        if (n > out->cache_max)
            out->cache_max = n;
    }
}

struct dump { FILE *f; size_t n; };

static void dump_one(mn_g *g, void *arg)
{
    struct dump *d = arg;
    unsigned st = atomic_load(&g->status);
    if (st == MN_G_IDLE)
        return;
    fprintf(d->f, "G %llu: %s, P %d%s%s\n", (unsigned long long)g->id, mn__g_status_name(st),
            g->stack ? g->lastp : -1, st == MN_G_WAITING ? ", waiting for " : "",
            st == MN_G_WAITING && g->waitreason ? g->waitreason : "");
    d->n++;
}

size_t mn_debug_dump(FILE *f)
{
    struct dump d = { f, 0 };
    if (mn__sched.nprocs)
        mn__g_foreach(dump_one, &d);
    return d.n;
}
