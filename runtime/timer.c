/* timer.c - per-P timer heaps: mn_sleep_ns parks the G on its P's heap.
 *
 * Who runs a due timer: the P's own scheduler (local_next, whenever the P
 * has timers), any idle M looking for work (steal_timers), and sysmon, which
 * starts an M for an idle P whose timer is due. One due timer is readied
 * per look, into the caller's runnext, so that Gs wake in deadline order in
 * either queue discipline.
 */
#include <stdlib.h>
#include <time.h>
#include "internal.h"

static void sift_up(struct mn_timer *h, int i)
{
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (h[parent].when <= h[i].when)
            break;
        struct mn_timer t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

static void sift_down(struct mn_timer *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].when < h[m].when)
            m = l;
        if (r < n && h[r].when < h[m].when)
            m = r;
        if (m == i)
            return;
        struct mn_timer t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* timer_lock must be held. */
static void set_next(mn_p *p)
{
    MN_STORE(p->timer_next, p->ntimers ? p->timers[0].when : UINT64_MAX);
}

void mn_sleep_ns(uint64_t ns)
{
    mn_m *m = mn__getm();
    if (!m || !m->p || !m->curg || (m->curg->flags & MN_G_SYSTEM)) {
        struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
        nanosleep(&ts, NULL);
        return;
    }
    if (ns == 0) {
        mn_yield();
        return;
    }
    mn_p *p = m->p;
    uint64_t when = mn__nanotime() + ns;
    mn__spin_lock(&p->timer_lock);
    if (p->ntimers == p->timers_cap) {
        int cap = p->timers_cap ? 2 * p->timers_cap : 64;
        struct mn_timer *t = realloc(p->timers, (size_t)cap * sizeof *t);
        if (!t)
            mn__throw("mn_sleep_ns: out of memory for the timer heap");
        p->timers = t;
        p->timers_cap = cap;
    }
    p->timers[p->ntimers] = (struct mn_timer){ when, m->curg };
    sift_up(p->timers, p->ntimers++);
    set_next(p);
    mn__park(&p->timer_lock, "sleep");   /* the lock is released after the switch */
}

bool mn__timers_run(mn_p *p, uint64_t now)
{
    if (MN_LOAD(p->timer_next) > now)
        return false;
    /* A try: the caller may be a G parking in mn_sleep_ns, which holds
     * this very lock until its switch is done. Due timers wait for the
     * next look. */
    if (!mn__spin_trylock(&p->timer_lock))
        return false;
    mn_g *g = NULL;
    if (p->ntimers && p->timers[0].when <= now) {
        g = p->timers[0].g;
        p->timers[0] = p->timers[--p->ntimers];
        sift_down(p->timers, p->ntimers, 0);
    }
    set_next(p);
    mn__spin_unlock(&p->timer_lock);
    if (!g)
        return false;
    mn__ready(g);
    return true;
}

void mn__timers_free(mn_p *p)
{
    free(p->timers);
    p->timers = NULL;
    p->ntimers = p->timers_cap = 0;
    MN_STORE(p->timer_next, UINT64_MAX);
}
