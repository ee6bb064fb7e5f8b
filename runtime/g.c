/* g.c - G: a coroutine's lifecycle. States and their one transition
 * function; G structures and their caches; spawn, join, exit.
 *
 * G structures are allocated in chunks and never returned to malloc while
 * the runtime runs: a stale pointer to a recycled G still points at a G,
 * which lets thieves and wakers validate with a CAS instead of a lock.
 * Each P caches up to MN_GCACHE_MAX free Gs and spills half to a shared
 * pool beyond that. All chunks are freed when mn_run returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sanitize.h"

#define MN_GCHUNK 64

typedef struct gchunk {
    struct gchunk *next;
    mn_g g[MN_GCHUNK];
} gchunk;

static struct {
    mn_spin lock;
    gchunk *chunks;             /* under lock */
    mn_g *pool;                 /* under lock */
    int npool;
} gs;

static const char *const status_names[MN_G_NSTATES] = {
    "idle", "runnable", "running", "waiting", "syscall", "dead",
};


const char *mn__g_status_name(unsigned st)
{
    return st < MN_G_NSTATES ? status_names[st] : "?";
}

void mn__g_bad_transition(mn_g *g, unsigned from, unsigned to)
{
    char buf[160];
    snprintf(buf, sizeof buf, "g_setstatus: G %llu is %s, not %s, or %s -> %s is illegal",
             (unsigned long long)g->id, mn__g_status_name(atomic_load(&g->status)),
             mn__g_status_name(from), mn__g_status_name(from), mn__g_status_name(to));
    mn__throw(buf);
}


/* A new context's first frame, as mn__switch leaves one (switch.S): the
 * default MXCSR and x87 control word, r12 = arg, rbx = fn, and
 * mn__ctx_entry as the return address. */
void *mn__ctx_init(char *stack_top, void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((uintptr_t)stack_top & ~(uintptr_t)15) - 8;
    sp[0] = 0x1F80u | ((uint64_t)0x037Fu << 32);   /* MXCSR, x87 CW */
    sp[1] = (uint64_t)(uintptr_t)arg;              /* r12 */
    sp[2] = sp[3] = sp[4] = 0;                     /* r13, r14, r15 */
    sp[5] = (uint64_t)(uintptr_t)fn;               /* rbx */
    sp[6] = 0;                                     /* rbp */
    sp[7] = (uint64_t)(uintptr_t)mn__ctx_entry;    /* return address */
    return sp;
}

/* ---- G structures ---------------------------------------------------------- */

static int grow(mn_p *p)
{
    gchunk *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    for (int i = 0; i < MN_GCHUNK; i++) {
        c->g[i].schedlink = p->gfree;
        p->gfree = &c->g[i];
    }
    p->ngfree += MN_GCHUNK;
    mn__spin_lock(&gs.lock);
    c->next = gs.chunks;
    gs.chunks = c;
    mn__spin_unlock(&gs.lock);
    return 0;
}

static void refill(mn_p *p)
{
    mn__spin_lock(&gs.lock);
    while (gs.pool && p->ngfree < MN_GCACHE_MAX / 2) {
        mn_g *g = gs.pool;
        gs.pool = g->schedlink;
        gs.npool--;
        g->schedlink = p->gfree;
        p->gfree = g;
        p->ngfree++;
    }
    mn__spin_unlock(&gs.lock);
}

mn_g *mn__g_alloc(mn_p *p)
{
    if (MN_UNLIKELY(!p->gfree)) {
        refill(p);
        if (!p->gfree && grow(p))
            return NULL;
    }
    mn_g *g = p->gfree;
    p->gfree = g->schedlink;
    p->ngfree--;
    g->schedlink = NULL;
    return g;
}

void mn__g_free(mn_p *p, mn_g *g)
{
    mn__g_setstatus(g, MN_G_DEAD, MN_G_IDLE);
    g->flags = 0;
    g->home = NULL;
    g->schedlink = p->gfree;
    p->gfree = g;
    if (MN_LIKELY(++p->ngfree <= MN_GCACHE_MAX))
        return;
    mn__spin_lock(&gs.lock);
    while (p->ngfree > MN_GCACHE_MAX / 2) {
        mn_g *t = p->gfree;
        p->gfree = t->schedlink;
        p->ngfree--;
        t->schedlink = gs.pool;
        gs.pool = t;
        gs.npool++;
    }
    mn__spin_unlock(&gs.lock);
}

/* Calls fn on every G structure ever allocated (free ones included). */
void mn__g_foreach(void (*fn)(mn_g *g, void *arg), void *arg)
{
    mn__spin_lock(&gs.lock);
    for (gchunk *c = gs.chunks; c; c = c->next)
        for (int i = 0; i < MN_GCHUNK; i++)
            fn(&c->g[i], arg);
    mn__spin_unlock(&gs.lock);
}

void mn__g_pools_free(void)
{
    gchunk *c = gs.chunks;
    while (c) {
        gchunk *next = c->next;
        free(c);
        c = next;
    }
    gs.chunks = NULL;
    gs.pool = NULL;
    gs.npool = 0;
}

/* ---- spawn ---------------------------------------------------------------- */

static uint64_t next_goid(mn_p *p)
{
    if (MN_UNLIKELY(p->goid_next == p->goid_end)) {
        p->goid_next = atomic_fetch_add(&mn__sched.goid_gen, 1024);
        p->goid_end = p->goid_next + 1024;
    }
    return p->goid_next++;
}

/* mn_debug_inject("alloc"): every Nth spawn fails as if out of memory. */
atomic_uint mn__inject_alloc_every;
static atomic_uint inject_alloc_n;

mn_g *mn__g_new(mn_p *p, unsigned flags)
{
    unsigned every = atomic_load_explicit(&mn__inject_alloc_every, memory_order_relaxed);
    if (MN_UNLIKELY(every) && atomic_fetch_add(&inject_alloc_n, 1) % every == every - 1)
        return NULL;
    mn_g *g = mn__g_alloc(p);
    if (MN_UNLIKELY(!g))
        return NULL;
    g->flags = flags;
    g->id = next_goid(p);
    g->stack = NULL;
    g->ret = NULL;
    g->done = false;
    g->joiner = NULL;
    g->lockedm = NULL;
    mn__g_setstatus(g, MN_G_IDLE, MN_G_RUNNABLE);
    MN_STAT_INC(p->st.g_spawned);
    return g;
}

int mn_spawn(void (*fn)(void *), void *arg)
{
    mn_m *m = mn__getm();
    if (MN_UNLIKELY(!m || !m->p))
        return -EPERM;
    mn_p *p = m->p;
    mn_g *g = mn__g_new(p, 0);
    if (MN_UNLIKELY(!g))
        return -ENOMEM;
    g->fn = fn;
    g->jfn = NULL;
    g->arg = arg;
    mn__runq_put(p, g, true);
    mn__wakep_maybe();
    if (MN_UNLIKELY(atomic_load_explicit(&p->attn, memory_order_relaxed) & MN_ATTN_PREEMPT))
        mn_preempt_point();
    return 0;
}

mn_g *mn_spawn_joinable(void *(*fn)(void *), void *arg)
{
    mn_m *m = mn__getm();
    if (!m || !m->p) {
        errno = EPERM;
        return NULL;
    }
    mn_p *p = m->p;
    mn_g *g = mn__g_new(p, MN_G_JOINABLE);
    if (!g) {
        errno = ENOMEM;
        return NULL;
    }
    g->fn = NULL;
    g->jfn = fn;
    g->arg = arg;
    mn__runq_put(p, g, true);
    mn__wakep_maybe();
    return g;
}

int mn_spawn_on(int pid, unsigned flags, void (*fn)(void *), void *arg)
{
    mn_m *m = mn__getm();
    if (!m || !m->p)
        return -EPERM;
    if (pid < 0 || pid >= mn__sched.nprocs)
        return -ESRCH;
    if (flags & ~MN_NOMIGRATE)
        return -EINVAL;
    mn_p *p = m->p, *target = mn__sched.allp[pid];
    mn_g *g = mn__g_new(p, (flags & MN_NOMIGRATE) ? MN_G_NOMIGRATE : 0);
    if (!g)
        return -ENOMEM;
    g->fn = fn;
    g->jfn = NULL;
    g->arg = arg;
    g->home = target;
    if (target == p && !(flags & MN_NOMIGRATE)) {
        mn__runq_put(p, g, true);
        mn__wakep_maybe();
    } else {
        mn__send(target, g);
    }
    return 0;
}

/* ---- join and exit ---------------------------------------------------------- */

int mn_join(mn_g *g, void **ret)
{
    mn_m *m = mn__getm();
    if (!m || !m->curg)
        return -EPERM;
    if (!g || !(g->flags & MN_G_JOINABLE))
        return -EINVAL;
    if (g == m->curg)
        return -EDEADLK;
    mn__spin_lock(&g->join_lock);
    if (!g->done) {
        g->joiner = m->curg;
        mn__park(&g->join_lock, "join");   /* returns with join_lock released */
    } else {
        mn__spin_unlock(&g->join_lock);
    }
    if (ret)
        *ret = g->ret;
    mn__g_free(mn__getm()->p, g);   /* we may be on another M now */
    return 0;
}

/* On g0, after g's last switch: its stack is free to reuse. */
void mn__g_exit_finish(mn_m *m, mn_g *g)
{
#ifdef MN_SAN_TSAN
    /* A dead G never returns from its frames, so TSan's shadow call stack
     * of the stack's fiber would grow with every G that used it: give the
     * stack a fresh fiber (still one per stack, not one per G). */
    mn__tsan_fiber_destroy(g->stack->tsan_fiber);
    g->stack->tsan_fiber = mn__tsan_fiber_create();
#endif
    mn__asan_unpoison(g->stack->lo, g->stack->size);   /* frames that never returned */
    mn__stack_put(m->p, g->stack);
    g->stack = NULL;
    if (!(g->flags & MN_G_JOINABLE)) {
        mn__g_free(m->p, g);
        return;
    }
    mn__spin_lock(&g->join_lock);
    g->done = true;
    mn_g *j = g->joiner;
    mn__spin_unlock(&g->join_lock);
    if (j)
        mn__ready(j);           /* g may be freed by j from here on */
}

void mn_exit(void *ret)
{
    mn_m *m = mn__getm();
    if (!m || !m->curg || (m->curg->flags & MN_G_SYSTEM))
        mn__throw("mn_exit: not called from a G");
    mn_g *g = m->curg;
    g->ret = ret;
    if (m->lockedg == g) {      /* a locked G's death unlocks its M */
        m->lockedg = NULL;
        g->lockedm = NULL;
    }
    if (g->flags & MN_G_MAIN)
        mn__runtime_stop();
    mn__stack_check(g);
    mn__g_setstatus(g, MN_G_RUNNING, MN_G_DEAD);
    MN_STAT_INC(m->p->st.g_exited);
    m->after = MN_AFTER_EXIT;
    m->after_arg = g;
    mn__gogo(m, g, &m->g0, true);
    mn__throw("mn_exit: a dead G was resumed");
}

/* Every G starts here (mn__ctx_entry calls it on the G's new stack). */
void mn__g_main(void *unused)
{
    mn_m *m = mn__getm();
    mn_g *g = m->curg;
    mn__san_finish(g);
    mn__after_switch(m);
    if (g->jfn)
        mn_exit(g->jfn(g->arg));
    g->fn(g->arg);
    mn_exit(NULL);
}

size_t mn_num_g(void)
{
    int64_t n = 0;
    for (int i = 0; i < mn__sched.nprocs; i++) {
        mn_p *p = mn__sched.allp[i];
        n += (int64_t)MN_LOAD(p->st.g_spawned) - (int64_t)MN_LOAD(p->st.g_exited);
    }
    return n > 0 ? (size_t)n : 0;
}

uint64_t mn_self_id(void)
{
    mn_m *m = mn__getm();
    return m && m->curg ? m->curg->id : 0;
}
