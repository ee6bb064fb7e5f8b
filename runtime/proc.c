/* proc.c - Ms, Ps and the scheduler.
 *
 * G, M, P. A G is a coroutine (g.c). An M is an OS thread; each M has a
 * scheduler context, g0, that runs on the thread's own stack. A P is the
 * right to run Gs: it owns a local run queue (runq.c) and caches of Gs and
 * stacks; an M runs Gs only while it holds a P. There are nprocs Ps, fixed
 * for the life of mn_run, and one M per P at start (more only when Ms block,
 * in a later issue). With pinning on, each P has a CPU and an M that takes
 * a P moves to that CPU (only when it differs from its own).
 *
 * The scheduler loop, on g0, in phases (findrunnable):
 *   1. attend: honour the P's attention bits (a thief's request, stopping).
 *   2. local:  the global queue every 61st tick (so it cannot starve), then
 *              runnext, the inbox, the ring.
 *   3. global: a fair share of the global queue.
 *   4. steal:  as a spinning M, 4 passes over the other Ps, nearest tier
 *              first (MN_STEAL=hier; random order with MN_STEAL=random);
 *              due timers of other Ps too; runnext only on the last pass.
 *   5. park:   give up the P, do the spinning handshake, sleep on a futex.
 *
 * Switching G to G. When the next G is known - a yield with work queued, a
 * park with a local G ready - the running G switches straight to it, not
 * through g0: one switch instead of two. The price is the switch protocol:
 * the G that leaves cannot publish itself (make itself runnable, release
 * the lock of the queue it waits on, free its stack) before it is off its
 * stack, or another M could resume it while its registers are half saved.
 * So it writes what remains to be done in m->after, and whatever runs next
 * on this M - another G or g0 - does it right after the switch
 * (mn__after_switch). Every resume point in the runtime calls it.
 *
 * The private yield slot. mn_yield must cost little more than the bare
 * switch (a few ns), but taking a G from a queue thieves can touch costs a
 * locked instruction (~5 ns here). So a yielding G goes into p->yieldslot,
 * which only the owner writes: two Gs yielding to each other swap through
 * it with plain loads and stores. The slot is the ring's unpublished tail:
 * when other work is queued, a yield first publishes the slot's G to the
 * ring. Thieves cannot take from it; a thief that finds nothing else but
 * sees an occupied slot sets MN_ATTN_STEAL on the victim, and the owner
 * publishes the G (and wakes an M) at its next scheduling point. The slot
 * is only occupied while its P runs a G: g0 always empties it first.
 *
 * The spinning handshake (Go's, proc.go "Worker thread parking/unparking"):
 *   1. An M looking for work may spin (nmspinning++) only while
 *      2 * nmspinning < busy Ps, so spinning Ms never outnumber half the
 *      busy ones.
 *   2. Whoever queues a G (spawn, ready) does so with a locked instruction
 *      (runq.c), then reads npidle and nmspinning; if a P idles and nobody
 *      spins, it wakes an M to spin (wakep). The locked instruction orders
 *      the queue store before those loads.
 *   3. A spinning M that finds work stops spinning, and if it was the last
 *      spinner and Ps idle, wakes another (there may be more work).
 *   4. A spinning M that finds none releases its P, decrements nmspinning
 *      (a seq_cst RMW), and only then looks at every P's queue once more;
 *      if any has work it takes an idle P back and starts over.
 * Steps 2 and 4 are a Dekker pair: either the queuer sees the spinner, or
 * the spinner sees the queued G. No wake-up is lost.
 *
 * The inbox handshake: a G sent to a given P (mn_spawn_on, waking a
 * NOMIGRATE G) goes to that P's inbox (seq_cst count), then the sender reads
 * the P's status (seq_cst) and starts an M for it if it idles. A P going
 * idle stores its status (seq_cst), then reads its inbox count. Again a
 * Dekker pair.
 *
 * Rejected: Go's immediate parking costs a futex wake per handoff, ~30-50
 * us across CPUs on these VMs. So a spinning M keeps stealing for up to
 * MN_SPIN_NS before it parks (bounded by rule 1), and an M that may not
 * spin watches only its own P's queues for as long (poll_local) before it
 * gives the P up. An idle P thus burns its CPU for MN_SPIN_NS at most.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "sanitize.h"

#define MN_SPIN_NS 50000        /* how long a spinning M polls before parking */
#define MN_TIMER_SPIN_NS 250000 /* ... or longer, up to this, for its own timer */
/* pauses between two looks at the queues while polling: the two vCPUs
 * here may be SMT siblings, and a tighter loop slows the one doing the
 * work (cross-P handoff measured: 1 pause ~470 ns, 10 ~440, 100 ~880). */
#define MN_POLL_PAUSES 10

mn_sched mn__sched;
__thread mn_m *mn__tls_m __attribute__((tls_model("initial-exec")));

static mn_g *findrunnable(mn_m *m, bool *inherit);

/* ---- the switch protocol --------------------------------------------------- */

/* Inlined into the hot paths: a call here costs as much as the switch. */
static inline __attribute__((always_inline)) void gogo(mn_m *m, mn_g *from, mn_g *to, bool dying)
{
    m->curg = to;
    mn__san_start(from, to, dying);
    mn__switch_inline(&from->sp, to->sp);
    /* Resumed: perhaps on another M. */
    mn__san_finish(from);
    mn__after_switch(mn__getm());
}

void mn__gogo(mn_m *m, mn_g *from, mn_g *to, bool dying)
{
    gogo(m, from, to, dying);
}

void mn__after_switch_slow(mn_m *m)
{
    enum mn_after what = m->after;
    void *arg = m->after_arg;
    m->after = MN_AFTER_NONE;
    m->after_arg = NULL;
    switch (what) {
    case MN_AFTER_UNLOCK:
        mn__spin_unlock(arg);
        break;
    case MN_AFTER_EXIT:
        mn__g_exit_finish(m, arg);
        break;
    case MN_AFTER_RUNQ:
        mn__runq_put(m->p, arg, false);
        break;
    case MN_AFTER_SEND: {
        /* A G back from a system call with no P for it: ahead of the ring
         * of the P it came from (its home, if it may not move). */
        mn_g *g = arg;
        mn_p *to = (g->flags & MN_G_NOMIGRATE) ? g->home :
                   m->lastp ? m->lastp : mn__sched.allp[0];
        mn__send(to, g);
        break;
    }
    case MN_AFTER_NONE:
        break;
    }
}

/* Binds a stack to a G that has never run. */
static void __attribute__((noinline)) bind_stack(mn_p *p, mn_g *g)
{
    mn_stack *s = mn__stack_get(p);
    if (MN_UNLIKELY(!s)) {
        fprintf(stderr, "mnsched: cannot map a %zu KiB stack for G %llu: out of memory "
                        "or vm.max_map_count reached\n",
                mn__sched.stack_size >> 10, (unsigned long long)g->id);
        abort();
    }
    g->stack = s;
    g->stack_lo = s->lo;
    g->stack_size = s->size;
    g->tsan_fiber = s->tsan_fiber;
    g->asan_fake = NULL;
    g->sp = mn__ctx_init(s->lo + s->size, mn__g_main, NULL);
}

static inline __attribute__((always_inline)) void run_g(mn_m *m, mn_g *from, mn_g *g);

/* A new time slice on p (not for a runnext G: it inherits the slice).
 * Tells sysmon only when this is its earliest deadline, or it is awake. */
static inline void start_slice(mn_p *p)
{
    uint64_t ts = mn__sched.timeslice_ns;
    if (!ts)
        return;
    uint64_t now = mn__fastns();
    MN_STORE(p->slice_start, now);
    uint64_t d = atomic_load_explicit(&mn__sysmon_deadline, memory_order_relaxed);
    if (MN_UNLIKELY(d == 0 || now + ts < d))
        mn__sysmon_poke(now + ts);
}

/* Makes g the running G of this M's P and switches to it from `from`;
 * a new slice unless it inherits the current one. */
static inline void run_g_slice(mn_m *m, mn_g *from, mn_g *g, bool inherit)
{
    g->lastp = m->p->id;        /* (the yield slot's swaps stay on their P) */
    if (!inherit)
        start_slice(m->p);
    run_g(m, from, g);
}

/* Makes g the running G of this M's P and switches to it from `from`. */
static inline __attribute__((always_inline)) void run_g(mn_m *m, mn_g *from, mn_g *g)
{
    mn_p *p = m->p;
    if (MN_UNLIKELY(!g->stack))
        bind_stack(p, g);
    mn__g_setstatus(g, MN_G_RUNNABLE, MN_G_RUNNING);
    p->schedtick++;
    MN_STAT_INC(p->st.g_run);
    gogo(m, from, g, false);
}

/* ---- Ps ------------------------------------------------------------------------ */

static void bind_cpu(mn_m *m, int cpu)
{
    if (!mn__sched.pin || cpu < 0 || m->cpu == cpu)
        return;
    /* Through the real machine's hwloc topology (topo.c). */
    if (mn__topo_bind_cpu(cpu) == 0)
        m->cpu = cpu;
}

static void acquirep(mn_m *m, mn_p *p)
{
    if (atomic_exchange_explicit(&m->unpinned, 0, memory_order_acquire))
        m->cpu = -1;            /* float since its system call: bind again */
    m->p = p;
    p->m = m;
    atomic_store(&p->status, MN_P_RUNNING);
    m->lastp = p;
    bind_cpu(m, p->cpu);
}

static mn_p *releasep(mn_m *m)
{
    mn_p *p = m->p;
    p->m = NULL;
    m->p = NULL;
    return p;
}

/* sched lock must be held. */
static void pidleput(mn_p *p)
{
    /* seq_cst: the inbox handshake; pairs with the load in mn__send */
    atomic_store(&p->status, MN_P_IDLE);
    p->link = mn__sched.pidle;
    mn__sched.pidle = p;
    atomic_fetch_add(&mn__sched.npidle, 1);
    /* Nobody runs an idle P's timers but sysmon. */
    uint64_t tn = MN_LOAD(p->timer_next);
    if (tn != UINT64_MAX)
        mn__sysmon_poke(tn);
}

/* sched lock must be held. want = NULL takes any idle P. */
static mn_p *pidleget(mn_p *want)
{
    mn_p **pp = &mn__sched.pidle;
    while (*pp && want && *pp != want)
        pp = &(*pp)->link;
    mn_p *p = *pp;
    if (!p)
        return NULL;
    *pp = p->link;
    p->link = NULL;
    atomic_fetch_sub(&mn__sched.npidle, 1);
    /* Claimed: not idle any more for mn__send's check. */
    atomic_store(&p->status, MN_P_RUNNING);
    return p;
}

/* ---- Ms --------------------------------------------------------------------- */

static void *m_main(void *arg);

static void g0_init(mn_m *m)
{
    memset(&m->g0, 0, sizeof m->g0);
    m->g0.flags = MN_G_SYSTEM;
    atomic_store(&m->g0.status, MN_G_RUNNING);
    m->g0.tsan_fiber = mn__tsan_current_fiber();
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        pthread_attr_getstack(&attr, &lo, &size);
        m->g0.stack_lo = lo;
        m->g0.stack_size = size;
        pthread_attr_destroy(&attr);
    }
    m->curg = &m->g0;
}

/* sched lock must be held. */
static mn_m *allocm(void)
{
    if (mn__sched.nm >= mn__sched.max_threads)
        return NULL;
    mn_m *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->id = mn__sched.nm++;
    m->cpu = -1;
    m->all_next = mn__sched.allm;
    mn__sched.allm = m;
    return m;
}

/* Starts a thread for m; it begins with p (or idle when p is NULL). */
static int newm(mn_m *m, mn_p *p, bool spinning)
{
    m->nextp = p;
    m->spinning = spinning;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    int err = pthread_create(&m->thread, &attr, m_main, m);
    pthread_attr_destroy(&attr);
    if (err)
        return -err;
    atomic_fetch_add(&mn__sched.threads_created, 1);
    return 0;
}

/* Parks m until startm hands it a P, or the runtime stops. */
static void stopm(mn_m *m)
{
    pthread_mutex_lock(&mn__sched.lock);
    /* Checked under the lock that mn__runtime_stop takes to wake idle Ms:
     * either it finds us on the list or we see it stopping. */
    if (atomic_load(&mn__sched.stopping)) {
        pthread_mutex_unlock(&mn__sched.lock);
        return;
    }
    m->link = mn__sched.midle;
    mn__sched.midle = m;
    mn__sched.nmidle++;
    pthread_mutex_unlock(&mn__sched.lock);
    if (m->lastp)
        MN_STAT_INC(m->lastp->st.parks);
    for (;;) {
        /* load-acquire: pairs with the release store in notewakeup */
        while (!atomic_load_explicit(&m->park, memory_order_acquire))
            mn__futex_wait(&m->park, 0, NULL);
        /* exchange, not a store: a wake-up that lands between our load
         * and here must not be erased (it is seen on the next round) */
        atomic_exchange_explicit(&m->park, 0, memory_order_acq_rel);
        if (m->nextp || atomic_load(&mn__sched.stopping))
            break;
        /* A spurious wake-up (mn_debug_kick): still on the idle list. */
    }
    mn_p *p = m->nextp;
    m->nextp = NULL;
    if (p)
        acquirep(m, p);
}

/* sched lock must be held. Prefers the M that ran p last (same CPU). */
static mn_m *midleget(mn_p *p)
{
    mn_m **mm = &mn__sched.midle;
    for (mn_m **it = mm; *it; it = &(*it)->link)
        if ((*it)->lastp == p) {
            mm = it;
            break;
        }
    mn_m *m = *mm;
    if (m) {
        *mm = m->link;
        mn__sched.nmidle--;
    }
    return m;
}

static void notewakeup(mn_m *m)
{
    /* store-release: pairs with the acquire load in stopm */
    atomic_store_explicit(&m->park, 1, memory_order_release);
    mn__futex_wake(&m->park, 1);
}

/* Runs p (any idle P when NULL) on an idle or new M. spinning: the caller
 * already counted the new M in nmspinning. */
static void startm(mn_p *p, bool spinning)
{
    pthread_mutex_lock(&mn__sched.lock);
    if (!p) {
        p = pidleget(NULL);
        if (!p) {
            pthread_mutex_unlock(&mn__sched.lock);
            if (spinning)
                atomic_fetch_sub(&mn__sched.nmspinning, 1);
            return;
        }
    }
    mn_m *nm = midleget(p);
    if (!nm) {
        nm = allocm();
        if (!nm) {
            /* Every M is busy (Gs blocked in system calls hold theirs). */
            fprintf(stderr, "mnsched: fatal: MN_MAX_THREADS=%d reached: every M is in use "
                            "(Gs blocked in system calls each hold one); raise MN_MAX_THREADS\n",
                    mn__sched.max_threads);
            abort();
        }
        int err = newm(nm, p, spinning);
        if (err) {
            fprintf(stderr, "mnsched: fatal: cannot create an M thread: %s\n", strerror(-err));
            abort();
        }
        pthread_mutex_unlock(&mn__sched.lock);
        return;
    }
    nm->spinning = spinning;
    nm->nextp = p;
    pthread_mutex_unlock(&mn__sched.lock);
    notewakeup(nm);
}

void mn__startm(mn_p *p, bool spinning) { startm(p, spinning); }
void mn__acquirep(mn_m *m, mn_p *p) { acquirep(m, p); }
mn_p *mn__pidleget(mn_p *want) { return pidleget(want); }
void mn__pidleput(mn_p *p) { pidleput(p); }
void mn__notewakeup(mn_m *m) { notewakeup(m); }

/* An M that gives up its P for a blocking system call need not sit on the
 * P's CPU: pinned there, it would wait for the CPU's current M to be
 * descheduled before it could even return from the call (measured: a 1 ms
 * nanosleep loop reached 25% of its ideal rate beside a busy P). Let it
 * run on any allowed CPU until it takes a P again. */
void mn__m_unpin(mn_m *m)
{
    if (!mn__sched.pin || !m->tid)
        return;
    sched_setaffinity(m->tid, sizeof mn__sched.allowed, &mn__sched.allowed);
    atomic_store_explicit(&m->unpinned, 1, memory_order_release);
}

static void publish_yieldslot(mn_p *p);

/* p's owner is gone - into a system call that sysmon retook it from, or
 * waiting as a locked M. The caller owns p now. Runs it on another M if it
 * has work, else makes it idle (Go's handoffp). */
void mn__handoffp(mn_p *p)
{
    p->m = NULL;
    publish_yieldslot(p);
    if (MN_UNLIKELY(atomic_load(&mn__stw_active)) && mn__stw_take(p))
        return;
    if (!mn__runq_empty(p) || atomic_load(&p->inbox_n) > 0 ||
        atomic_load(&mn__sched.gq_size) > 0) {
        startm(p, false);
        return;
    }
    /* No work here: but if nobody spins or idles, someone must look for
     * work elsewhere. */
    int zero = 0;
    if (atomic_load(&mn__sched.nmspinning) + atomic_load(&mn__sched.npidle) == 0 &&
        atomic_compare_exchange_strong(&mn__sched.nmspinning, &zero, 1)) {
        startm(p, true);
        return;
    }
    pthread_mutex_lock(&mn__sched.lock);
    pidleput(p);
    pthread_mutex_unlock(&mn__sched.lock);
}

void mn__wakep(void)
{
    if (atomic_load(&mn__sched.npidle) == 0)
        return;
    int zero = 0;
    /* seq_cst: the spinning handshake, step 2 */
    if (atomic_load(&mn__sched.nmspinning) != 0 ||
        !atomic_compare_exchange_strong(&mn__sched.nmspinning, &zero, 1))
        return;
    mn_m *m = mn__getm();
    if (m && m->p)
        MN_STAT_INC(m->p->st.wakes);
    startm(NULL, true);
}

/* Spinning handshake, step 3. */
static void reset_spinning(mn_m *m)
{
    m->spinning = false;
    int n = atomic_fetch_sub(&mn__sched.nmspinning, 1) - 1;
    if (n < 0)
        mn__throw("reset_spinning: negative nmspinning");
    if (n == 0 && atomic_load(&mn__sched.npidle) > 0)
        mn__wakep();
}

/* ---- sending Gs to a given P --------------------------------------------------- */

void mn__send(mn_p *target, mn_g *g)
{
    mn__inbox_put(target, g);
    /* seq_cst load after the seq_cst inbox add: the inbox handshake */
    if (atomic_load(&target->status) != MN_P_IDLE)
        return;
    pthread_mutex_lock(&mn__sched.lock);
    mn_p *p = pidleget(target);
    pthread_mutex_unlock(&mn__sched.lock);
    if (p)
        startm(p, false);
}

/* ---- local choices ------------------------------------------------------------- */

/* The yield slot's G goes to the tail of the ring (or the inbox, if it may
 * not leave this P). Only the owner P calls this. */
static void publish_yieldslot(mn_p *p)
{
    mn_g *g = MN_LOAD(p->yieldslot);
    if (!g)
        return;
    MN_STORE(p->yieldslot, NULL);
    if (g->flags & MN_G_NOMIGRATE)
        mn__inbox_put(p, g);
    else
        mn__runq_put(p, g, false);
}

/* Honours a thief's request. Returns the attention bits left (stop). */
static unsigned attend(mn_p *p)
{
    unsigned a = atomic_load_explicit(&p->attn, memory_order_relaxed);
    if (MN_LIKELY(!a))
        return 0;
    if (a & MN_ATTN_STEAL) {
        atomic_fetch_and(&p->attn, ~MN_ATTN_STEAL);
        publish_yieldslot(p);
        mn__wakep_maybe();
    }
    return a & MN_ATTN_STOP;
}

/* The next G from this P's own queues and, every 61st tick, the global
 * queue. Only the owner P calls this. */
static mn_g *local_next(mn_p *p, bool *inherit)
{
    *inherit = false;
    /* Due timers first: only a P with timers reads the clock here. */
    uint64_t tn = MN_LOAD(p->timer_next);
    if (MN_UNLIKELY(tn != UINT64_MAX) && tn <= mn__nanotime())
        mn__timers_run(p, mn__nanotime());
    if (MN_UNLIKELY(p->schedtick % 61 == 0) &&
        atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed) > 0) {
        pthread_mutex_lock(&mn__sched.lock);
        mn_g *g = mn__globrunq_get(p, 1);
        pthread_mutex_unlock(&mn__sched.lock);
        if (g)
            return g;
    }
    mn_g *g = MN_LOAD(p->runnext) ? mn__runq_get(p) : NULL;
    if (g) {
        *inherit = true;        /* runnext: a hand-off keeps the slice */
        return g;
    }
    g = mn__inbox_get(p);
    if (!g)
        g = mn__runq_get(p);
    return g;
}

static bool local_empty(mn_p *p)
{
    return !MN_LOAD(p->runnext) &&
           (MN_LOAD(p->runq_ht) >> 40) == (MN_LOAD(p->runq_ht) & 0xffffffu) &&
           !MN_LOAD(p->inbox_n);
}

/* ---- yield and park --------------------------------------------------------------- */

/* g, unless it is locked to another M: then it goes back to runnext and
 * the scheduler loop hands it to its M. */
static mn_g *runnable_here(mn_m *m, mn_p *p, mn_g *g)
{
    if (MN_LIKELY(!g || !g->lockedm || g->lockedm == m))
        return g;
    mn__runq_put(p, g, true);
    return NULL;
}

static void __attribute__((noinline)) yield_slow(mn_m *m, mn_p *p, mn_g *self)
{
    if (attend(p) & MN_ATTN_STOP) {
        /* Stopping: drop this G and let g0 wind the M down. */
        mn__g_setstatus(self, MN_G_RUNNING, MN_G_RUNNABLE);
        mn__gogo(m, self, &m->g0, false);
        return;
    }
    bool preempted = mn__preempt_take(p);
    publish_yieldslot(p);
    bool inherit;
    mn_g *next = local_next(p, &inherit);
    if (!next && atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed) > 0) {
        pthread_mutex_lock(&mn__sched.lock);
        next = mn__globrunq_get(p, 1);
        pthread_mutex_unlock(&mn__sched.lock);
    }
    bool stw = atomic_load(&p->attn) & MN_ATTN_STW;
    if (!next && !stw) {
        if (preempted)
            start_slice(p);     /* alone on the P: a fresh slice, no more requests */
        return;                 /* nothing else to run here: carry on */
    }
    if (MN_UNLIKELY(m->lockedg || stw) || !runnable_here(m, p, next)) {
        /* A locked M runs only its G, a stopping world wants the P, and
         * next may belong to another M: queue self (after the switch) and
         * let g0 sort it out. */
        if (next && (m->lockedg || stw))
            mn__runq_put(p, next, true);
        mn__g_setstatus(self, MN_G_RUNNING, MN_G_RUNNABLE);
        m->after = MN_AFTER_RUNQ;
        m->after_arg = self;
        mn__gogo(m, self, &m->g0, false);
        return;
    }
    MN_STORE(p->yieldslot, self);
    mn__g_setstatus(self, MN_G_RUNNING, MN_G_RUNNABLE);
    run_g_slice(m, self, next, false);   /* a yield gives the next G a slice of its own */
}

/* The G's slice ran out (preempt.c): yield through the slow path, which
 * starts a new slice for whoever runs next. */
void mn__preempt_yield(mn_m *m)
{
    yield_slow(m, m->p, m->curg);
}

static void __attribute__((noinline)) preempt_coop(mn_m *m)
{
    mn_p *p = m->p;
    if (mn__preempt_take(p)) {
        /* still the slice sysmon meant: give way */
        yield_slow(m, p, m->curg);
    }
}

void mn_preempt_point(void)
{
    mn_m *m = mn__getm();
    if (MN_UNLIKELY(m && m->p && m->curg && !(m->curg->flags & MN_G_SYSTEM) &&
                    (atomic_load_explicit(&m->p->attn, memory_order_relaxed) & MN_ATTN_PREEMPT)))
        preempt_coop(m);
}

void mn_yield(void)
{
    mn_m *m = mn__getm();
    if (MN_UNLIKELY(!m || !m->p))
        return;
    mn_p *p = m->p;
    mn_g *self = m->curg;
    mn_g *next = MN_LOAD(p->yieldslot);
    /* The fast path: two Gs swapping through the private yield slot. */
    if (MN_LIKELY(next && !atomic_load_explicit(&p->attn, memory_order_relaxed) &&
                  local_empty(p) && p->schedtick % 61 != 0 && !m->lockedg)) {
        MN_STORE(p->yieldslot, self);
        mn__g_setstatus(self, MN_G_RUNNING, MN_G_RUNNABLE);
        run_g(m, self, next);
        return;
    }
    yield_slow(m, p, self);
}

void mn__park(mn_spin *unlock, const char *why)
{
    mn_m *m = mn__getm();
    mn_p *p = m->p;
    mn_g *self = m->curg;
    self->waitreason = why;
    mn__g_setstatus(self, MN_G_RUNNING, MN_G_WAITING);
    m->after = MN_AFTER_UNLOCK;
    m->after_arg = unlock;
    mn_g *next = NULL;
    bool inherit = false;
    if (!(atomic_load_explicit(&p->attn, memory_order_relaxed) & (MN_ATTN_STOP | MN_ATTN_STW)) &&
        !m->lockedg) {
        next = local_next(p, &inherit);
        if (!next) {
            next = MN_LOAD(p->yieldslot);
            MN_STORE(p->yieldslot, NULL);
        }
        next = runnable_here(m, p, next);
    }
    if (next)
        run_g_slice(m, self, next, inherit);
    else
        mn__gogo(m, self, &m->g0, false);
}

void mn__ready(mn_g *g)
{
    mn__g_setstatus(g, MN_G_WAITING, MN_G_RUNNABLE);
    if (MN_UNLIKELY(g->flags & MN_G_NOMIGRATE)) {
        mn__send(g->home, g);
        return;
    }
    mn__runq_put(mn__getm()->p, g, true);
    mn__wakep_maybe();
}

/* ---- findrunnable ------------------------------------------------------------------ */

static uint64_t rand_next(mn_p *p)
{
    /* xorshift64 */
    uint64_t x = p->rand;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return p->rand = x;
}

/* One attempt on victim v, of the given tier; what it took is counted
 * under that tier. (The tier comes from the caller: reading v->id would
 * pull in the line the victim's owner writes at every G it runs.) */
static mn_g *steal_from(mn_p *p, mn_p *v, unsigned tier, bool last)
{
    MN_STAT_INC(p->st.steal_attempts);
    uint64_t before = MN_LOAD(p->st.stolen_in);
    mn_g *g = mn__runq_steal(p, v, last);
    if (g) {
        _Atomic uint64_t *t = &p->st.stolen_tier[tier];
        MN_STORE(*t, MN_LOAD(*t) + MN_LOAD(p->st.stolen_in) - before);
    } else if (last && MN_LOAD(v->yieldslot)) {
        atomic_fetch_or(&v->attn, MN_ATTN_STEAL);
    }
    return g;
}

static unsigned gcd(unsigned a, unsigned b)
{
    while (b) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* MN_STEAL=hier: the victims of p's nearest tier first (topo.c's plan:
 * same core, L2, L3, NUMA node, package, the rest), each tier in a fresh
 * random order (a random start and a random stride coprime with the
 * tier's size). MN_STEAL=random: every other P from a random start. Four
 * passes either way; runnext only on the last. */
static mn_g *steal_work(mn_m *m, mn_p *p)
{
    int n = mn__sched.nprocs;
    for (int pass = 0; pass < 4; pass++) {
        bool last = pass == 3;
        if (!p->steal_hier) {
            int start = (int)(rand_next(p) % (uint64_t)n);
            for (int i = 0; i < n; i++) {
                int id = (start + i) % n;
                mn_p *v = mn__sched.allp[id];
                if (v == p)
                    continue;
                if (atomic_load_explicit(&mn__sched.stopping, memory_order_relaxed))
                    return NULL;
                mn_g *g = steal_from(p, v, p->tier_of[id], last);
                if (g)
                    return g;
            }
            continue;
        }
        for (unsigned t = 0, lo = 0; t < MN_STEAL_TIERS; lo = p->tier_end[t++]) {
            unsigned k = p->tier_end[t] - lo;
            if (!k)
                continue;
            uint64_t r = rand_next(p);
            unsigned at = (unsigned)(r % k), stride = (unsigned)((r >> 32) % k) + 1;
            while (gcd(stride, k) != 1)
                stride--;
            for (unsigned i = 0; i < k; i++, at = (at + stride) % k) {
                if (atomic_load_explicit(&mn__sched.stopping, memory_order_relaxed))
                    return NULL;
                mn_g *g = steal_from(p, mn__sched.allp[p->victims[lo + at]], t, last);
                if (g)
                    return g;
            }
        }
    }
    return NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mn__nanotime(void)
{
    return now_ns();
}

/* An idle M runs other Ps' due timers: their Gs come to p. */
static bool steal_timers(mn_p *p)
{
    uint64_t now = 0;
    bool any = false;
    for (int i = 0; i < mn__sched.nprocs; i++) {
        mn_p *q = mn__sched.allp[i];
        uint64_t tn = MN_LOAD(q->timer_next);
        if (tn == UINT64_MAX)
            continue;
        if (!now)
            now = now_ns();
        if (tn <= now)
            any |= mn__timers_run(q, now);
    }
    return any;
}

/* How long an M out of work polls before parking: MN_SPIN_NS, or until
 * its own next timer when that is due within MN_TIMER_SPIN_NS - parking
 * and being woken by sysmon for it costs ~50 us of lateness here. */
static uint64_t spin_until(mn_p *p, uint64_t now)
{
    uint64_t until = now + MN_SPIN_NS, tn = MN_LOAD(p->timer_next);
    if (tn != UINT64_MAX && tn > until && tn - now <= MN_TIMER_SPIN_NS)
        until = tn;
    return until;
}

/* An M not allowed to spin still keeps its P a moment and watches its own
 * queues: a G readied for this P (a NOMIGRATE partner across a channel)
 * then costs no futex wake, which is ~30-50 us across CPUs on these VMs.
 * It steals nothing, so the spinning rule's bound on thieves holds.
 * Returns true when work arrived. */
static bool poll_local(mn_p *p)
{
    uint64_t until = spin_until(p, now_ns());
    for (unsigned i = 1;; i++) {
        for (int k = 0; k < MN_POLL_PAUSES; k++)
            __builtin_ia32_pause();
        if (atomic_load_explicit(&p->inbox_n, memory_order_relaxed) || !mn__runq_empty(p) ||
            atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed) > 0 ||
            atomic_load_explicit(&mn__sched.stopping, memory_order_relaxed) ||
            (atomic_load_explicit(&p->attn, memory_order_relaxed) & MN_ATTN_STW))
            return true;
        if (i % 8 == 0) {
            uint64_t now = now_ns();
            if (MN_LOAD(p->timer_next) <= now)
                return true;    /* a due timer of our own */
            if (now >= until)
                return false;
        }
    }
}

/* Spinning handshake, step 4: after giving up the P and the spinning
 * count, look once more; take an idle P back if anything is queued. */
static mn_p *recheck(void)
{
    for (int i = 0; i < mn__sched.nprocs; i++) {
        mn_p *q = mn__sched.allp[i];
        mn_p *want = NULL;
        if (atomic_load(&q->inbox_n) > 0 && atomic_load(&q->status) == MN_P_IDLE)
            want = q;
        else if (mn__runq_empty(q))
            continue;
        pthread_mutex_lock(&mn__sched.lock);
        mn_p *p = pidleget(want);
        pthread_mutex_unlock(&mn__sched.lock);
        return p;               /* NULL: every P is busy, they will run it */
    }
    if (atomic_load(&mn__sched.gq_size) > 0) {
        pthread_mutex_lock(&mn__sched.lock);
        mn_p *p = pidleget(NULL);
        pthread_mutex_unlock(&mn__sched.lock);
        return p;
    }
    return NULL;
}

static mn_g *findrunnable(mn_m *m, bool *inherit)
{
    *inherit = false;
top:
    if (atomic_load_explicit(&mn__sched.stopping, memory_order_acquire))
        return NULL;
    if (!m->p) {
        stopm(m);
        goto top;
    }
    mn_p *p = m->p;
    attend(p);
    publish_yieldslot(p);
    if (MN_UNLIKELY(atomic_load_explicit(&p->attn, memory_order_relaxed) & MN_ATTN_STW)) {
        atomic_fetch_and(&p->attn, ~MN_ATTN_STW);
        releasep(m);
        if (!mn__stw_take(p))       /* the world started meanwhile: keep it */
            acquirep(m, p);
        goto top;
    }
    mn_g *g = local_next(p, inherit);
    if (g)
        goto found;
    if (atomic_load_explicit(&mn__sched.gq_size, memory_order_relaxed) > 0) {
        pthread_mutex_lock(&mn__sched.lock);
        g = mn__globrunq_get(p, 0);
        pthread_mutex_unlock(&mn__sched.lock);
        if (g)
            goto found;
    }
    if (steal_timers(p))
        goto top;
    /* Spinning handshake, step 1. */
    int busy = mn__sched.nprocs - atomic_load(&mn__sched.npidle);
    if (m->spinning || 2 * atomic_load(&mn__sched.nmspinning) < busy) {
        if (!m->spinning) {
            m->spinning = true;
            atomic_fetch_add(&mn__sched.nmspinning, 1);
        }
        uint64_t until = 0;
        for (;;) {
            g = steal_work(m, p);
            if (g)
                goto found;
            if (atomic_load(&p->inbox_n) || atomic_load(&mn__sched.gq_size) > 0 ||
                atomic_load(&mn__sched.stopping) || (atomic_load(&p->attn) & MN_ATTN_STW))
                break;          /* rare: let the top handle it */
            uint64_t now = now_ns();
            if (!until)
                until = spin_until(p, now);
            if (now >= until || MN_LOAD(p->timer_next) <= now)
                break;          /* a due timer: the top runs it */
            for (int k = 0; k < MN_POLL_PAUSES; k++)
                __builtin_ia32_pause();
        }
        if (atomic_load(&p->inbox_n) || atomic_load(&mn__sched.gq_size) > 0 ||
            atomic_load(&mn__sched.stopping) || MN_LOAD(p->timer_next) <= now_ns() ||
            (atomic_load(&p->attn) & MN_ATTN_STW))
            goto top;
    } else if (poll_local(p)) {
        goto top;
    }
    /* Phase 5: park. */
    pthread_mutex_lock(&mn__sched.lock);
    if (atomic_load(&mn__sched.gq_size) > 0) {
        g = mn__globrunq_get(p, 0);
        pthread_mutex_unlock(&mn__sched.lock);
        goto found;
    }
    releasep(m);
    pidleput(p);
    pthread_mutex_unlock(&mn__sched.lock);
    bool was_spinning = m->spinning;
    if (m->spinning) {
        m->spinning = false;
        if (atomic_fetch_sub(&mn__sched.nmspinning, 1) <= 0)
            mn__throw("findrunnable: negative nmspinning");
    }
    mn_p *again = recheck();
    if (again) {
        acquirep(m, again);
        if (was_spinning) {
            m->spinning = true;
            atomic_fetch_add(&mn__sched.nmspinning, 1);
        }
        goto top;
    }
    stopm(m);
    goto top;
found:
    if (m->spinning)
        reset_spinning(m);
    return g;
}

/* A locked M whose G is not running gives its P away and sleeps until
 * the G is picked by some M, which hands it a P (startlockedm). Returns
 * false when the runtime stops. */
static bool stoplockedm(mn_m *m)
{
    if (m->p) {
        mn_p *p = releasep(m);
        mn__handoffp(p);
    }
    for (;;) {
        /* load-acquire: pairs with notewakeup in startlockedm */
        while (!atomic_load_explicit(&m->park, memory_order_acquire)) {
            if (atomic_load(&mn__sched.stopping))
                return false;
            mn__futex_wait(&m->park, 0, NULL);
        }
        /* exchange, not a store: a wake-up that lands between our load
         * and here must not be erased (it is seen on the next round) */
        atomic_exchange_explicit(&m->park, 0, memory_order_acq_rel);
        if (m->nextp || atomic_load(&mn__sched.stopping))
            break;              /* else a spurious wake-up: wait on */
    }
    mn_p *p = m->nextp;
    m->nextp = NULL;
    if (!p)
        return false;
    acquirep(m, p);
    return true;
}

/* This M picked g, which is locked to another M: hand it our P. */
static void startlockedm(mn_m *m, mn_g *g)
{
    mn_m *lm = g->lockedm;
    mn_p *p = releasep(m);
    lm->nextp = p;
    notewakeup(lm);
    /* findrunnable parks us: we have no P. */
}

static void schedule(mn_m *m)
{
    for (;;) {
        if (MN_UNLIKELY(m->lockedg)) {
            if (!stoplockedm(m))
                return;
            run_g_slice(m, &m->g0, m->lockedg, false);
            continue;
        }
        bool inherit;
        mn_g *g = findrunnable(m, &inherit);
        if (!g)
            return;
        if (MN_UNLIKELY(g->lockedm && g->lockedm != m)) {
            startlockedm(m, g);
            continue;
        }
        run_g_slice(m, &m->g0, g, inherit);
    }
}

/* ---- threads and the runtime's life ------------------------------------------------ */

static void *m_main(void *arg)
{
    mn_m *m = arg;
    mn__setm(m);
    m->tid = gettid();
    g0_init(m);
    mn__altstack_enter(m);
    if (mn__sched.cfg.on_m_start)
        mn__sched.cfg.on_m_start(m->id, mn__sched.cfg.hook_arg);
    mn_p *p = m->nextp;
    m->nextp = NULL;
    if (p)
        acquirep(m, p);
    else
        stopm(m);
    schedule(m);
    if (mn__sched.cfg.on_m_stop)
        mn__sched.cfg.on_m_stop(m->id, mn__sched.cfg.hook_arg);
    mn__altstack_leave(m);
    mn__setm(NULL);
    return NULL;
}

/* The main G has ended: every M winds down at its next scheduling point. */
void mn__runtime_stop(void)
{
    atomic_store(&mn__sched.stopping, 1);
    for (int i = 0; i < mn__sched.nprocs; i++)
        atomic_fetch_or(&mn__sched.allp[i]->attn, MN_ATTN_STOP);
    pthread_mutex_lock(&mn__sched.lock);
    while (mn__sched.midle) {
        mn_m *m = mn__sched.midle;
        mn__sched.midle = m->link;
        m->nextp = NULL;
        notewakeup(m);
    }
    for (mn_m *m = mn__sched.allm; m; m = m->all_next)
        if (m->lockedg)
            mn__futex_wake(&m->park, 1);    /* it sees stopping */
    pthread_mutex_unlock(&mn__sched.lock);
}

static void main_g_fn(void *arg)
{
    void **a = arg;
    ((void (*)(void *))a[0])(a[1]);
}

static int sched_init(const mn_config *cfg)
{
    memset(&mn__sched, 0, sizeof mn__sched);
    pthread_mutex_init(&mn__sched.lock, NULL);
    mn__sched.cfg = *cfg;
    mn__sched.lifo = cfg->queue && !strcmp(cfg->queue, "lifo");
    mn__sched.max_threads = cfg->max_threads;
    mn__sched.goid_gen = 1;
    /* The plan on the real machine (topo.c): each P's CPU, memory pool
     * and steal victims by tier. */
    mn_topo_plan_t plan;
    int err = mn__topo_start(cfg, &plan);
    if (err)
        return err;
    int n = plan.nprocs;
    mn__sched.pin = plan.pinned;
    mn__sched.allp = calloc((size_t)n, sizeof *mn__sched.allp);
    if (!mn__sched.allp) {
        err = -ENOMEM;
        goto done;
    }
    mn__sched.nprocs = n;
    for (int i = 0; i < n; i++) {
        /* On its node, page-aligned; zeroed (first touched) after binding. */
        mn_p *p = mn__topo_alloc(sizeof *p, mn__topo_pool(&plan, i));
        if (!p) {
            err = -ENOMEM;
            goto done;
        }
        memset(p, 0, sizeof *p);
        p->id = i;
        p->rand = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        mn__topo_setup_p(p, &plan, i);
        mn__sched.allp[i] = p;
    }
    const char *gd = cfg->stack_guard ? cfg->stack_guard : "auto";
    enum mn_guard guard = !strcmp(gd, "madvise") ? MN_GUARD_MADVISE :
                          !strcmp(gd, "mprotect") ? MN_GUARD_MPROTECT :
                          !strcmp(gd, "canary") ? MN_GUARD_CANARY : MN_GUARD_AUTO;
    mn__sched.stack_size = cfg->stack_size;
    err = mn__stack_init(cfg->stack_size, guard);
done:
    mn_topo_plan_free(&plan);
    return err;
}

static void sched_free(void)
{
    for (int i = 0; i < mn__sched.nprocs; i++)
        mn__timers_free(mn__sched.allp[i]);
    for (mn_m *m = mn__sched.allm, *next; m; m = next) {
        next = m->all_next;
        free(m);
    }
    mn__stack_fini();
    mn__g_pools_free();
    for (int i = 0; i < mn__sched.nprocs; i++)
        mn__topo_free(mn__sched.allp[i], sizeof(mn_p));
    free(mn__sched.allp);
    mn__topo_stop();
    pthread_mutex_destroy(&mn__sched.lock);
    memset(&mn__sched, 0, sizeof mn__sched);
}

int mn_run(const mn_config *cfgin, void (*main_fn)(void *), void *arg)
{
    static atomic_int running;
    mn_config cfg;
    if (cfgin)
        cfg = *cfgin;
    int err = cfgin ? mn_config_check(&cfg) : mn_config_default(&cfg);
    if (err) {
        fprintf(stderr, "mnsched: %s\n", cfg.error);
        return err;
    }
    if (atomic_exchange(&running, 1))
        return -EALREADY;
    cpu_set_t old_affinity;
    sched_getaffinity(0, sizeof old_affinity, &old_affinity);
    if ((err = sched_init(&cfg)))
        goto fail_init;
    mn__sched.handoff_ns = cfg.syscall_handoff_ns;
    mn__clock_init();
    mn__sched.timeslice_ns = cfg.timeslice_ns;
    const char *pm = cfg.preempt_mode ? cfg.preempt_mode : "signal";
    mn__sched.preempt = !strcmp(pm, "off") || !cfg.timeslice_ns ? MN_PREEMPT_OFF :
                        !strcmp(pm, "cooperative") ? MN_PREEMPT_COOP : MN_PREEMPT_SIGNAL;
#ifdef MN_SAN_TSAN
    /* TSan holds signals back until its runtime runs: no async preemption. */
    if (mn__sched.preempt == MN_PREEMPT_SIGNAL)
        mn__sched.preempt = MN_PREEMPT_COOP;
#endif
    if (mn__sched.preempt == MN_PREEMPT_SIGNAL && !mn__async_preempt_available())
        mn__sched.preempt = MN_PREEMPT_COOP;    /* not linked with runtime/mnsched.ld */
    if (mn__sched.preempt == MN_PREEMPT_OFF)
        mn__sched.timeslice_ns = 0;
    for (int i = 0; i < mn__sched.nprocs; i++)
        MN_STORE(mn__sched.allp[i]->timer_next, UINT64_MAX);
    if ((err = mn__sigsegv_install()))
        goto fail_init;
    mn__sigurg_install();

    pthread_mutex_lock(&mn__sched.lock);
    mn_m *m0 = allocm();
    pthread_mutex_unlock(&mn__sched.lock);
    if (!m0) {
        err = -ENOMEM;
        goto fail_m0;
    }
    m0->is_main_thread = true;
    m0->tid = gettid();
    mn__sched.allowed = old_affinity;
    mn__setm(m0);
    g0_init(m0);
    mn__altstack_enter(m0);
    acquirep(m0, mn__sched.allp[0]);

    void *main_args[2] = { (void *)main_fn, arg };
    mn_g *mg = mn__g_new(m0->p, MN_G_MAIN);
    if (!mg) {
        err = -ENOMEM;
        goto fail_main;
    }
    mg->fn = main_g_fn;
    mg->arg = main_args;
    mg->jfn = NULL;
    mn__runq_put(m0->p, mg, false);

    /* One M per P: the others start idle and park. */
    pthread_mutex_lock(&mn__sched.lock);
    for (int i = mn__sched.nprocs - 1; i >= 1; i--)
        pidleput(mn__sched.allp[i]);
    for (int i = 1; i < mn__sched.nprocs; i++) {
        mn_m *m = allocm();
        if (!m || (err = newm(m, NULL, false))) {
            pthread_mutex_unlock(&mn__sched.lock);
            fprintf(stderr, "mnsched: cannot start M %d: %s\n", i, strerror(err ? -err : ENOMEM));
            if (!err)
                err = -EAGAIN;
            mn__runtime_stop();
            goto fail_threads;
        }
        m->lastp = mn__sched.allp[i];
    }
    pthread_mutex_unlock(&mn__sched.lock);

    if ((err = mn__sysmon_start())) {
        mn__runtime_stop();
        goto fail_threads;
    }
    if (cfg.on_m_start)
        cfg.on_m_start(m0->id, cfg.hook_arg);
    schedule(m0);
    mn__sysmon_stop();
    if (cfg.on_m_stop)
        cfg.on_m_stop(m0->id, cfg.hook_arg);
    err = 0;
fail_threads:
    for (mn_m *m = mn__sched.allm; m; m = m->all_next)
        if (m != m0 && m->thread)
            pthread_join(m->thread, NULL);
fail_main:
    mn__altstack_leave(m0);
    mn__setm(NULL);
fail_m0:
    mn__sigsegv_uninstall();
fail_init:
    sched_free();
    sched_setaffinity(0, sizeof old_affinity, &old_affinity);
    atomic_store(&running, 0);
    return err;
}

int mn_self_p(void)
{
    mn_m *m = mn__getm();
    return m && m->p ? m->p->id : -1;
}

int mn_nprocs(void)
{
    return mn__sched.nprocs;
}

void mn_stats(mn_sched_stats *out)
{
    memset(out, 0, sizeof *out);
    out->nprocs = mn__sched.nprocs;
    out->timeslice_ns = mn__sched.timeslice_ns;
    out->preempt_mode = mn__sched.preempt == MN_PREEMPT_SIGNAL ? "signal" :
                        mn__sched.preempt == MN_PREEMPT_COOP ? "cooperative" : "off";
    out->threads = atomic_load(&mn__sched.threads_created) + 1;
    for (int i = 0; i < mn__sched.nprocs && i < MN_MAX_PROCS; i++) {
        mn_p_counters *c = &mn__sched.allp[i]->st;
        mn_p_stats *s = &out->p[i];
        s->g_run = MN_LOAD(c->g_run);
        s->g_spawned = MN_LOAD(c->g_spawned);
        s->stolen_in = MN_LOAD(c->stolen_in);
        s->stolen_out = MN_LOAD(c->stolen_out);
        s->steal_attempts = MN_LOAD(c->steal_attempts);
        s->parks = MN_LOAD(c->parks);
        s->wakes = MN_LOAD(c->wakes);
        s->global_takes = MN_LOAD(c->global_takes);
        s->handoffs = MN_LOAD(c->handoffs);
        s->preempts = MN_LOAD(c->preempts);
        s->async_preempts = MN_LOAD(c->async_preempts);
        for (int t = 0; t < MN_STEAL_TIERS; t++)
            s->stolen_tier[t] = MN_LOAD(c->stolen_tier[t]);
    }
}
