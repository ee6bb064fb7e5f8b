/* sync.c - wait groups, mutexes and semaphores that park the G, never the
 * thread. Each object has a spinlock over its state and a FIFO of waiting
 * Gs; a waiter parks with the lock held and the switch protocol releases it
 * once the waiter is off its stack (proc.c). A woken G goes to the waker's
 * runnext. */
#include <errno.h>
#include "internal.h"

static void waitq_push(mn_waitq *q, mn_g *g)
{
    g->schedlink = NULL;
    if (q->tail)
        q->tail->schedlink = g;
    else
        q->head = g;
    q->tail = g;
}

static mn_g *waitq_pop(mn_waitq *q)
{
    mn_g *g = q->head;
    if (g) {
        q->head = g->schedlink;
        if (!q->head)
            q->tail = NULL;
        g->schedlink = NULL;
    }
    return g;
}

/* Parks the running G on q; lock must be held and is released. */
static void wait_on(mn_waitq *q, mn_spin *lock, const char *why)
{
    waitq_push(q, mn__getm()->curg);
    mn__park(lock, why);
}

/* ---- wait groups ---------------------------------------------------------------- */

void mn_wg_init(mn_wg_t *wg)
{
    wg->lock = 0;
    wg->count = 0;
    wg->waiters.head = wg->waiters.tail = NULL;
}

void mn_wg_add(mn_wg_t *wg, int n)
{
    mn__spin_lock(&wg->lock);
    wg->count += n;
    if (wg->count < 0)
        mn__throw("mn_wg_add: negative counter");
    mn_g *woken = NULL;
    if (wg->count == 0) {
        woken = wg->waiters.head;
        wg->waiters.head = wg->waiters.tail = NULL;
    }
    mn__spin_unlock(&wg->lock);
    while (woken) {
        mn_g *next = woken->schedlink;
        mn__ready(woken);
        woken = next;
    }
}

void mn_wg_done(mn_wg_t *wg)
{
    mn_wg_add(wg, -1);
}

void mn_wg_wait(mn_wg_t *wg)
{
    mn__spin_lock(&wg->lock);
    if (wg->count == 0) {
        mn__spin_unlock(&wg->lock);
        return;
    }
    wait_on(&wg->waiters, &wg->lock, "wait group");
}

/* ---- mutexes --------------------------------------------------------------------
 * Handoff: unlock passes ownership straight to the first waiter, so a
 * woken G never finds the mutex taken again (no starvation). */

void mn_mutex_init(mn_mutex_t *m)
{
    m->lock = 0;
    m->locked = 0;
    m->waiters.head = m->waiters.tail = NULL;
}

void mn_mutex_lock(mn_mutex_t *m)
{
    mn_preempt_point();
    mn__spin_lock(&m->lock);
    if (!m->locked) {
        m->locked = 1;
        mn__spin_unlock(&m->lock);
        return;
    }
    wait_on(&m->waiters, &m->lock, "mutex");
    /* Woken: the unlocker handed us the mutex. */
}

int mn_mutex_trylock(mn_mutex_t *m)
{
    mn__spin_lock(&m->lock);
    int busy = m->locked;
    m->locked = 1;
    mn__spin_unlock(&m->lock);
    return busy ? -EBUSY : 0;
}

void mn_mutex_unlock(mn_mutex_t *m)
{
    mn__spin_lock(&m->lock);
    if (!m->locked)
        mn__throw("mn_mutex_unlock: not locked");
    mn_g *g = waitq_pop(&m->waiters);
    if (!g)
        m->locked = 0;          /* else it stays locked, now g's */
    mn__spin_unlock(&m->lock);
    if (g)
        mn__ready(g);
}

/* ---- semaphores ------------------------------------------------------------------ */

void mn_sema_init(mn_sema_t *s, unsigned n)
{
    s->lock = 0;
    s->count = n;
    s->waiters.head = s->waiters.tail = NULL;
}

void mn_sema_acquire(mn_sema_t *s)
{
    mn__spin_lock(&s->lock);
    if (s->count > 0) {
        s->count--;
        mn__spin_unlock(&s->lock);
        return;
    }
    wait_on(&s->waiters, &s->lock, "semaphore");
    /* Woken: the releaser passed its unit to us. */
}

void mn_sema_release(mn_sema_t *s)
{
    mn__spin_lock(&s->lock);
    mn_g *g = waitq_pop(&s->waiters);
    if (!g)
        s->count++;
    mn__spin_unlock(&s->lock);
    if (g)
        mn__ready(g);
}
