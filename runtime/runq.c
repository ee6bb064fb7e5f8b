/* runq.c - run queues: each P's 256-slot ring, its runnext slot and its
 * inbox, and the global queue.
 *
 * The ring. One 64-bit word holds head (24 bits), an ABA tag (16) and tail
 * (24): head:24 | tag:16 | tail:24. Indices are free-running and wrap at
 * 2^24; a slot is ring[index % 256].
 *   - The owner pushes at the tail: it writes the slot (which no one else
 *     reads: it lies outside [head, tail)), then adds 1 to the word. The
 *     add is a locked instruction, so it is also the full barrier the
 *     spinning handshake needs between queuing work and reading
 *     sched.nmspinning (proc.c).
 *   - fifo: the owner pops at the head with a CAS on the word; lifo: at
 *     the tail, with a CAS that also bumps the tag.
 *   - A thief copies the oldest half, then CASes head forward by that
 *     many. Any change the owner made meanwhile changes the word, so the
 *     CAS fails and the thief retries. The tag exists for lifo: a pop then
 *     a push at the tail would otherwise restore the very word the thief
 *     read, with a different G in a slot it copied.
 * Go keeps head and tail apart so that a push is a plain store; here lifo
 * pops make the owner change the tail under thieves' CAS, so both share
 * one word and a push costs one locked add.
 *
 * runnext holds the G most recently spawned or readied on this P; it runs
 * before the ring. Thieves take it only on their last pass.
 *
 * The inbox takes Gs that other Ps send to this one (mn_spawn_on, wake-ups
 * of NOMIGRATE Gs). It is a list under a spinlock, never stolen from.
 */
#include "internal.h"

#define HT_TAIL(w)  ((uint32_t)((w) & 0xffffffu))
#define HT_TAG(w)   ((uint32_t)(((w) >> 24) & 0xffffu))
#define HT_HEAD(w)  ((uint32_t)((w) >> 40))
#define HT_SIZE(w)  ((HT_TAIL(w) - HT_HEAD(w)) & 0xffffffu)
#define HT_MAKE(h, tag, t) ((((uint64_t)(h) & 0xffffffu) << 40) | \
                            (((uint64_t)(tag) & 0xffffu) << 24) | ((uint64_t)(t) & 0xffffffu))

static inline _Atomic(mn_g *) *slot(mn_p *p, uint32_t i)
{
    return &p->runq[i % MN_RUNQ_SIZE];
}

bool mn__runq_empty(mn_p *p)
{
    /* load-acquire: pairs with the owner's locked add in mn__runq_put */
    uint64_t w = atomic_load_explicit(&p->runq_ht, memory_order_acquire);
    return HT_SIZE(w) == 0 && !atomic_load_explicit(&p->runnext, memory_order_acquire);
}

/* The ring is full: move half of it and g to the global queue in one go.
 * Returns false when a thief got in first; the caller retries. */
unsigned mn__runq_len(mn_p *p)
{
    uint64_t w = atomic_load_explicit(&p->runq_ht, memory_order_acquire);
    return HT_SIZE(w) + (atomic_load_explicit(&p->runnext, memory_order_relaxed) ? 1 : 0);
}

static bool runq_put_slow(mn_p *p, mn_g *g, uint64_t w)
{
    mn_g *batch[MN_RUNQ_SIZE / 2 + 1];
    uint32_t h = HT_HEAD(w), n = HT_SIZE(w) / 2;
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(slot(p, h + i), memory_order_relaxed);
    /* CAS-release: pairs with the acquire loads of thieves */
    if (!atomic_compare_exchange_strong_explicit(&p->runq_ht, &w,
            HT_MAKE(h + n, HT_TAG(w), HT_TAIL(w)),
            memory_order_acq_rel, memory_order_relaxed))
        return false;
    batch[n] = g;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    pthread_mutex_lock(&mn__sched.lock);
    mn__globrunq_putbatch(batch[0], g, (int)n + 1);
    pthread_mutex_unlock(&mn__sched.lock);
    return true;
}

void mn__runq_put(mn_p *p, mn_g *g, bool next)
{
    if (next) {
        /* seq_cst: thieves CAS runnext too; also a full barrier */
        mn_g *old = atomic_load_explicit(&p->runnext, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&p->runnext, &old, g))
            ;
        if (!old)
            return;
        g = old;                /* the previous occupant goes to the tail */
    }
    for (;;) {
        uint64_t w = atomic_load_explicit(&p->runq_ht, memory_order_acquire);
        if (MN_LIKELY(HT_SIZE(w) < MN_RUNQ_SIZE)) {
            atomic_store_explicit(slot(p, HT_TAIL(w)), g, memory_order_relaxed);
            /* seq_cst add: publishes the slot (release) and is the full
             * barrier of the spinning handshake. A carry out of the tail
             * only bumps the tag. */
            atomic_fetch_add(&p->runq_ht, 1);
            return;
        }
        if (runq_put_slow(p, g, w))
            return;
    }
}

static mn_g *ring_get(mn_p *p)
{
    for (;;) {
        uint64_t w = atomic_load_explicit(&p->runq_ht, memory_order_acquire);
        if (HT_SIZE(w) == 0)
            return NULL;
        mn_g *g;
        uint64_t nw;
        if (mn__sched.lifo) {
            uint32_t t = HT_TAIL(w) - 1;
            g = atomic_load_explicit(slot(p, t), memory_order_relaxed);
            nw = HT_MAKE(HT_HEAD(w), HT_TAG(w) + 1, t);
        } else {
            uint32_t h = HT_HEAD(w);
            g = atomic_load_explicit(slot(p, h), memory_order_relaxed);
            nw = HT_MAKE(h + 1, HT_TAG(w), HT_TAIL(w));
        }
        /* CAS-acq_rel: against thieves' CAS on the same word */
        if (atomic_compare_exchange_weak_explicit(&p->runq_ht, &w, nw,
                memory_order_acq_rel, memory_order_relaxed))
            return g;
    }
}

mn_g *mn__runq_get(mn_p *p)
{
    mn_g *next = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (next && atomic_compare_exchange_strong(&p->runnext, &next, NULL))
        return next;
    return ring_get(p);
}

/* Copies up to half of victim's ring into p's ring, starting at p's tail,
 * and returns how many. Only p's owner calls this, with p's ring empty. */
static uint32_t runq_grab(mn_p *p, mn_p *victim, bool take_runnext)
{
    uint32_t ptail = HT_TAIL(atomic_load_explicit(&p->runq_ht, memory_order_relaxed));
    for (;;) {
        /* load-acquire: pairs with the victim's locked add */
        uint64_t w = atomic_load_explicit(&victim->runq_ht, memory_order_acquire);
        uint32_t h = HT_HEAD(w), n = HT_SIZE(w);
        n -= n / 2;
        if (n == 0) {
            if (!take_runnext)
                return 0;
            mn_g *next = atomic_load_explicit(&victim->runnext, memory_order_acquire);
            if (!next || !atomic_compare_exchange_strong(&victim->runnext, &next, NULL))
                return 0;
            atomic_store_explicit(slot(p, ptail), next, memory_order_relaxed);
            return 1;
        }
        if (n > MN_RUNQ_SIZE / 2)
            continue;           /* torn view of a moving queue: read again */
        for (uint32_t i = 0; i < n; i++) {
            mn_g *g = atomic_load_explicit(slot(victim, h + i), memory_order_relaxed);
            atomic_store_explicit(slot(p, ptail + i), g, memory_order_relaxed);
        }
        if (atomic_compare_exchange_weak_explicit(&victim->runq_ht, &w,
                HT_MAKE(h + n, HT_TAG(w), HT_TAIL(w)),
                memory_order_acq_rel, memory_order_relaxed))
            return n;
    }
}

mn_g *mn__runq_steal(mn_p *p, mn_p *victim, bool take_runnext)
{
    uint32_t n = runq_grab(p, victim, take_runnext);
    if (n == 0)
        return NULL;
    atomic_fetch_add_explicit(&victim->st.stolen_out, n, memory_order_relaxed);
    MN_STORE(p->st.stolen_in, MN_LOAD(p->st.stolen_in) + n);
    uint64_t w = atomic_load_explicit(&p->runq_ht, memory_order_relaxed);
    mn_g *g = atomic_load_explicit(slot(p, HT_TAIL(w) + n - 1), memory_order_relaxed);
    if (n > 1)
        atomic_fetch_add(&p->runq_ht, n - 1);   /* publish the rest */
    return g;
}

/* ---- the global queue ---------------------------------------------------- */

void mn__globrunq_putbatch(mn_g *head, mn_g *tail, int n)
{
    tail->schedlink = NULL;
    if (mn__sched.gq_tail)
        mn__sched.gq_tail->schedlink = head;
    else
        mn__sched.gq_head = head;
    mn__sched.gq_tail = tail;
    atomic_store(&mn__sched.gq_size, atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed) + n);
}

void mn__globrunq_put(mn_g *g)
{
    mn__globrunq_putbatch(g, g, 1);
}

/* Takes a fair share of the global queue: one G to run now, the rest
 * (at most half a ring) into p's ring. */
mn_g *mn__globrunq_get(mn_p *p, int max)
{
    int size = atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed);
    if (size == 0)
        return NULL;
    int n = size / mn__sched.nprocs + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > (int)MN_RUNQ_SIZE / 2)
        n = MN_RUNQ_SIZE / 2;
    atomic_store(&mn__sched.gq_size, size - n);
    mn_g *g = mn__sched.gq_head;
    mn__sched.gq_head = g->schedlink;
    for (int i = 1; i < n; i++) {
        mn_g *g1 = mn__sched.gq_head;
        mn__sched.gq_head = g1->schedlink;
        mn__runq_put(p, g1, false);
    }
    if (!mn__sched.gq_head)
        mn__sched.gq_tail = NULL;
    MN_STORE(p->st.global_takes, MN_LOAD(p->st.global_takes) + (uint64_t)n);
    return g;
}

/* ---- the inbox ----------------------------------------------------------- */

void mn__inbox_put(mn_p *p, mn_g *g)
{
    g->schedlink = NULL;
    mn__spin_lock(&p->inbox_lock);
    if (p->inbox_tail)
        p->inbox_tail->schedlink = g;
    else
        p->inbox_head = g;
    p->inbox_tail = g;
    /* seq_cst: the inbox handshake (proc.c) */
    atomic_fetch_add(&p->inbox_n, 1);
    mn__spin_unlock(&p->inbox_lock);
}

mn_g *mn__inbox_get(mn_p *p)
{
    if (MN_LIKELY(atomic_load_explicit(&p->inbox_n, memory_order_relaxed) == 0))
        return NULL;
    mn__spin_lock(&p->inbox_lock);
    mn_g *g = p->inbox_head;
    if (g) {
        p->inbox_head = g->schedlink;
        if (!p->inbox_head)
            p->inbox_tail = NULL;
        atomic_fetch_sub(&p->inbox_n, 1);
    }
    mn__spin_unlock(&p->inbox_lock);
    return g;
}
