/* stack.c - G stacks: mapping, guard pages, the per-P caches and the
 * shared pool, and the SIGSEGV handler that names a stack overflow.
 *
 * A stack is one anonymous mapping: a guard page at the low end, the
 * usable stack, and this file's descriptor at the very top. Stacks are
 * bound to a G when it first runs and released when it exits, so a burst
 * of spawns touches no new pages and a G that runs to completion hands a
 * hot stack to the next.
 *
 * Guards, best first (MN_STACK_GUARD=auto picks the first that works):
 *   madvise   MADV_GUARD_INSTALL (Linux 6.13+): a guard inside the mapping,
 *             no VMA split; overflow faults at once.
 *   mprotect  a PROT_NONE page: splits the mapping, two VMAs per stack, so
 *             vm.max_map_count (65530 by default) caps live stacks at about
 *             32,700. When mprotect fails with ENOMEM there, the stack is
 *             kept without a guard and canary-checked instead, with one
 *             warning naming vm.max_map_count.
 *   canary    no guard page: a pattern at the low end, checked when the G
 *             exits; an overflow is reported then, not when it happens.
 *
 * Caches: each P keeps up to MN_SCACHE_MAX stacks; beyond that half go to
 * the pool of its NUMA node, and an empty cache refills from it. A G
 * spawned on one P often exits on another, so without the pool one cache
 * would drain and the other grow.
 *
 * NUMA: a new stack is bound (before its first touch) to the memory pool
 * of the P where its G first runs (topo.c: the P's node under MN_MEM=local,
 * one pool otherwise). A stack released on a P of another pool goes back
 * to its own pool, never into that P's cache, so reuse stays local.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "internal.h"
#include "sanitize.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define MN_CANARY 0x6d6e73636865642eULL    /* "mnsched." */
#define MN_CANARY_WORDS 8

/* One pool per memory pool of topo.c, each under its own lock. */
typedef struct stack_pool {
    MN_ALIGNED mn_spin lock;
    mn_stack *head;
    size_t n;
} stack_pool;

static struct {
    mn_spin lock;               /* the list of every stack */
    stack_pool *pools;
    int npools;
    mn_stack *all;              /* every stack, under lock */
    size_t nall;
    size_t size;                /* usable size asked for */
    size_t page;
    enum mn_guard guard;        /* what new stacks try first */
    bool warned;
    struct sigaction old_segv;
    bool installed;
} st;

int mn__stack_init(size_t size, enum mn_guard guard)
{
    st.page = (size_t)sysconf(_SC_PAGESIZE);
    st.size = (size + st.page - 1) & ~(st.page - 1);
    st.guard = guard;
    st.all = NULL;
    st.nall = 0;
    st.npools = mn__topo_npools();
    st.pools = aligned_alloc(MN_CACHELINE, (size_t)st.npools * sizeof *st.pools);
    if (!st.pools)
        return -ENOMEM;
    memset(st.pools, 0, (size_t)st.npools * sizeof *st.pools);
    if (guard == MN_GUARD_AUTO || guard == MN_GUARD_MADVISE) {
        /* Probe once: does this kernel have MADV_GUARD_INSTALL? */
        char *p = mmap(NULL, 2 * st.page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -ENOMEM;
        int ok = madvise(p, st.page, MADV_GUARD_INSTALL) == 0;
        munmap(p, 2 * st.page);
        if (!ok && guard == MN_GUARD_MADVISE) {
            fprintf(stderr, "mnsched: MN_STACK_GUARD=madvise: this kernel lacks MADV_GUARD_INSTALL "
                            "(Linux 6.13+); allowed here: auto, mprotect, canary\n");
            return -EINVAL;
        }
        st.guard = ok ? MN_GUARD_MADVISE : MN_GUARD_MPROTECT;
    }
    return 0;
}

static void warn_map_count(void)
{
    if (st.warned)
        return;
    st.warned = true;
    fprintf(stderr, "mnsched: warning: guard pages for %zu stacks reached vm.max_map_count; "
                    "further stacks are canary-checked (overflow reported at G exit). "
                    "Raise vm.max_map_count or use Linux 6.13+ (MADV_GUARD_INSTALL)\n",
            st.nall);
}

static void canary_write(mn_stack *s)
{
    uint64_t *w = (uint64_t *)s->lo;
    for (int i = 0; i < MN_CANARY_WORDS; i++)
        w[i] = MN_CANARY;
}

static mn_stack *stack_map(int pool)
{
    size_t map_size = st.page + st.size;
    char *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    mn__topo_membind(map, map_size, pool);
    mn__spin_lock(&st.lock);
    enum mn_guard g = st.guard;
    if (g == MN_GUARD_MADVISE && madvise(map, st.page, MADV_GUARD_INSTALL))
        g = MN_GUARD_MPROTECT;
    if (g == MN_GUARD_MPROTECT && mprotect(map, st.page, PROT_NONE)) {
        if (errno != ENOMEM) {
            mn__spin_unlock(&st.lock);
            munmap(map, map_size);
            return NULL;
        }
        warn_map_count();
        g = MN_GUARD_CANARY;
    }
    mn_stack *s = (mn_stack *)(map + map_size) - 1;
    s->map = map;
    s->map_size = map_size;
    s->lo = map + st.page;
    s->size = (size_t)((char *)s - s->lo) & ~(size_t)15;
    s->guard = g;
    s->pool = pool;
    s->next = NULL;
    s->tsan_fiber = mn__tsan_fiber_create();
    s->vg_id = mn__vg_register(s->lo, s->lo + s->size);
    if (g == MN_GUARD_CANARY)
        canary_write(s);
    s->all_next = st.all;
    st.all = s;
    st.nall++;
    mn__spin_unlock(&st.lock);
    return s;
}

mn_stack *mn__stack_get(mn_p *p)
{
    mn_stack *s = p->sfree;
    if (MN_LIKELY(s)) {
        p->sfree = s->next;
        p->nsfree--;
        return s;
    }
    stack_pool *pool = &st.pools[p->mem_pool];
    mn__spin_lock(&pool->lock);
    /* Refill half a cache from the pool, so the next gets are local. */
    for (int i = 0; i < MN_SCACHE_MAX / 2 && pool->head; i++) {
        mn_stack *t = pool->head;
        pool->head = t->next;
        pool->n--;
        t->next = p->sfree;
        p->sfree = t;
        p->nsfree++;
    }
    mn__spin_unlock(&pool->lock);
    s = p->sfree;
    if (!s)
        return stack_map(p->mem_pool);
    p->sfree = s->next;
    p->nsfree--;
    return s;
}

static void pool_put(stack_pool *pool, mn_stack *s)
{
    mn__spin_lock(&pool->lock);
    s->next = pool->head;
    pool->head = s;
    pool->n++;
    mn__spin_unlock(&pool->lock);
}

void mn__stack_put(mn_p *p, mn_stack *s)
{
    if (MN_UNLIKELY(s->pool != p->mem_pool)) {
        pool_put(&st.pools[s->pool], s);    /* it migrated across nodes */
        return;
    }
    s->next = p->sfree;
    p->sfree = s;
    if (MN_LIKELY(++p->nsfree <= MN_SCACHE_MAX))
        return;
    /* Spill half to the node's pool. */
    stack_pool *pool = &st.pools[p->mem_pool];
    mn__spin_lock(&pool->lock);
    while (p->nsfree > MN_SCACHE_MAX / 2) {
        mn_stack *t = p->sfree;
        p->sfree = t->next;
        p->nsfree--;
        t->next = pool->head;
        pool->head = t;
        pool->n++;
    }
    mn__spin_unlock(&pool->lock);
}

void mn__stack_counts(size_t *allocated, size_t *cached)
{
    mn__spin_lock(&st.lock);
    *allocated = st.nall;
    mn__spin_unlock(&st.lock);
    size_t n = 0;
    for (int i = 0; i < st.npools; i++) {
        mn__spin_lock(&st.pools[i].lock);
        n += st.pools[i].n;
        mn__spin_unlock(&st.pools[i].lock);
    }
    for (int i = 0; i < mn__sched.nprocs; i++)
        n += (size_t)mn__sched.allp[i]->nsfree;
    *cached = n;
}

/* Unmaps every stack: shutdown, when no G runs any more. */
void mn__stack_fini(void)
{
    mn_stack *s = st.all;
    while (s) {
        mn_stack *next = s->all_next;
        mn__tsan_fiber_destroy(s->tsan_fiber);
        mn__vg_deregister(s->vg_id);
        mn__asan_unpoison(s->map, s->map_size);
        munmap(s->map, s->map_size);
        s = next;
    }
    st.all = NULL;
    st.nall = 0;
    free(st.pools);
    st.pools = NULL;
    st.npools = 0;
}

/* ---- overflow reports ---------------------------------------------------- */

/* Async-signal-safe: formats into buf without stdio. */
static size_t put_str(char *buf, size_t at, const char *s)
{
    while (*s && at < 255)
        buf[at++] = *s++;
    return at;
}

static size_t put_u64(char *buf, size_t at, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at < 255)
        buf[at++] = tmp[--n];
    return at;
}

static void __attribute__((noreturn)) report_overflow(mn_g *g, const char *how)
{
    char buf[256];
    size_t n = put_str(buf, 0, "mnsched: stack overflow in G ");
    n = put_u64(buf, n, g->id);
    n = put_str(buf, n, " (stack ");
    n = put_u64(buf, n, g->stack ? (g->stack->size + 1023) / 1024 : 0);
    n = put_str(buf, n, " KiB");
    n = put_str(buf, n, how);
    n = put_str(buf, n, "); raise MN_STACK_SIZE\n");
    (void)!write(2, buf, n);
    signal(SIGABRT, SIG_DFL);
    abort();
}

void mn__stack_check(mn_g *g)
{
    mn_stack *s = g->stack;
    if (s->guard != MN_GUARD_CANARY)
        return;
    const uint64_t *w = (const uint64_t *)s->lo;
    for (int i = 0; i < MN_CANARY_WORDS; i++)
        if (w[i] != MN_CANARY)
            report_overflow(g, ", detected by canary at exit");
}

static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
    mn_m *m = mn__tls_m;
    mn_g *g = m ? m->curg : NULL;
    if (g && g->stack) {
        char *a = si->si_addr, *guard = g->stack->map;
        if (a >= guard && a < guard + st.page)
            report_overflow(g, "");
        /* Within a page below the guard: a large frame jumped over it. */
        if (a < guard && a >= guard - st.page)
            report_overflow(g, ", a frame skipped the guard page");
    }
    /* Not ours: behave as if we were not here. */
    if (st.old_segv.sa_flags & SA_SIGINFO && st.old_segv.sa_sigaction) {
        st.old_segv.sa_sigaction(sig, si, uctx);
        return;
    }
    if (st.old_segv.sa_handler != SIG_DFL && st.old_segv.sa_handler != SIG_IGN &&
        st.old_segv.sa_handler) {
        st.old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL);   /* the fault repeats and kills as usual */
}

int mn__sigsegv_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &st.old_segv))
        return -errno;
    st.installed = true;
    return 0;
}

void mn__sigsegv_uninstall(void)
{
    if (st.installed)
        sigaction(SIGSEGV, &st.old_segv, NULL);
    st.installed = false;
}

/* Each M handles SIGSEGV on an alternate stack: the faulting stack is the
 * one that overflowed. */
int mn__altstack_enter(mn_m *m)
{
    size_t size = 64 << 10;
    m->altstack = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->altstack == MAP_FAILED) {
        m->altstack = NULL;
        return -ENOMEM;
    }
    stack_t ss = { .ss_sp = m->altstack, .ss_size = size, .ss_flags = 0 };
    if (sigaltstack(&ss, &m->old_altstack)) {
        munmap(m->altstack, size);
        m->altstack = NULL;
        return -errno;
    }
    return 0;
}

void mn__altstack_leave(mn_m *m)
{
    if (!m->altstack)
        return;
    stack_t ss = m->old_altstack;
    if (!ss.ss_sp || (ss.ss_flags & SS_DISABLE))
        ss = (stack_t){ .ss_flags = SS_DISABLE };
    sigaltstack(&ss, NULL);
    munmap(m->altstack, 64 << 10);
    m->altstack = NULL;
}
