/* internal.h - the runtime's private structures and internal calls.
 *
 * Names: mn_ public (include/mnsched.h), mn__ internal across files,
 * static within one. Every cross-thread field says who writes it and how
 * it is read.
 */
#ifndef MN_INTERNAL_H
#define MN_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include "mnsched.h"
#include "mnsched/topo.h"

#define MN_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MN_CACHELINE   64
#define MN_ALIGNED     __attribute__((aligned(MN_CACHELINE)))

/* Broken invariants abort loudly with the function's name. */
void mn__throw(const char *what) __attribute__((noreturn, cold));

/* Relaxed atomics for fields with one writer: plain loads and stores on
 * x86, yet race-free for other readers (and for TSan). */
#define MN_LOAD(x)      atomic_load_explicit(&(x), memory_order_relaxed)
#define MN_STORE(x, v)  atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define MN_STAT_INC(x)  MN_STORE(x, MN_LOAD(x) + 1)

/* ---- spinlock (spin.c) ---------------------------------------------------
 * For sections of a few instructions (wait queues, inboxes, pools). Spins
 * with pause, then yields the CPU: a holder may be descheduled. */
typedef atomic_int mn_spin;
void mn__spin_lock(mn_spin *l);
static inline bool mn__spin_trylock(mn_spin *l)
{
    /* acquire: pairs with the release in mn__spin_unlock */
    return atomic_load_explicit(l, memory_order_relaxed) == 0 &&
           !atomic_exchange_explicit(l, 1, memory_order_acquire);
}
static inline void mn__spin_unlock(mn_spin *l)
{
    atomic_store_explicit(l, 0, memory_order_release); /* pairs with the acquire in mn__spin_lock */
}

/* ---- futex (spin.c) ----------------------------------------------------- */
void mn__futex_wait(atomic_uint *addr, unsigned val, const struct timespec *timeout);
void mn__futex_wake(atomic_uint *addr, int n);

/* ---- contexts (arch/x86_64/switch.S, g.c) -------------------------------- */
void mn__switch(void **save_sp, void *load_sp);
void mn__ctx_entry(void);

/* Enters mn__switch with push + jmp rather than call. mn__switch leaves by
 * pop + jmp (switch.S), so a call would push a return-stack-buffer entry
 * that no ret pops: every later ret would then be predicted to the wrong
 * place (measured here: a yield at 19 ns instead of 6). Pushing the return
 * address by hand keeps the RSB balanced. The asm steps over the 128-byte
 * red zone first; everything mn__switch does not save is clobbered. */
#ifdef __AVX512F__
#define MN_CLOBBER_AVX512 , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
    "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", \
    "xmm31", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define MN_CLOBBER_AVX512
#endif
static inline __attribute__((always_inline)) void mn__switch_inline(void **save_sp, void *load_sp)
{
    register void **rdi __asm__("rdi") = save_sp;
    register void *rsi __asm__("rsi") = load_sp;
    __asm__ volatile(
        "leaq -128(%%rsp), %%rsp\n\t"   /* step over the red zone */
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"               /* return address, no RSB entry */
        "jmp mn__switch\n"
        "1:\n\t"
        "leaq 128(%%rsp), %%rsp"
        : "+r"(rdi), "+r"(rsi)
        :
        : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc",
          "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"
          MN_CLOBBER_AVX512);
}
void *mn__ctx_init(char *stack_top, void (*fn)(void *), void *arg);

/* ---- stacks (stack.c) ---------------------------------------------------- */
enum mn_guard { MN_GUARD_AUTO, MN_GUARD_MADVISE, MN_GUARD_MPROTECT, MN_GUARD_CANARY };

typedef struct mn_stack {
    struct mn_stack *next;      /* cache or pool link; owner of the list writes */
    struct mn_stack *all_next;  /* every stack, for shutdown; under the pool lock */
    char *map;                  /* the mapping, guard page first */
    size_t map_size;
    char *lo;                   /* lowest usable byte (just above the guard) */
    size_t size;                /* usable bytes, up to this descriptor */
    enum mn_guard guard;        /* how overflow is caught for this stack */
    void *tsan_fiber;           /* one TSan fiber per stack, not per G */
    unsigned vg_id;             /* Valgrind's stack id */
    int pool;                   /* the memory pool (NUMA node) it is bound to */
} mn_stack;

/* ---- G ------------------------------------------------------------------
 * States and who owns what in each:
 *   IDLE      in a free cache; nobody runs it; no stack.
 *   RUNNABLE  on a run queue, runnext, an inbox or a yield slot; its stack
 *             (if it ever ran) is owned by no M.
 *   RUNNING   an M runs it on its stack; only that M touches its context.
 *   WAITING   parked on a wait queue; the queue's lock owns the G.
 *   SYSCALL   in a system call (later issue).
 *   DEAD      finished; stack released; a joinable G waits for mn_join.
 * Every change goes through mn__g_setstatus, which aborts on an illegal move. */
enum mn_gstatus { MN_G_IDLE, MN_G_RUNNABLE, MN_G_RUNNING, MN_G_WAITING,
                  MN_G_SYSCALL, MN_G_DEAD, MN_G_NSTATES };

#define MN_G_JOINABLE   0x1u     /* a handle exists; mn_join frees it */
#define MN_G_NOMIGRATE  0x2u     /* never leaves g->home (MN_NOMIGRATE) */
#define MN_G_SYSTEM     0x4u     /* an M's scheduler context (g0) */
#define MN_G_MAIN       0x8u     /* the G running mn_run's main_fn */

typedef struct mn_p mn_p;
typedef struct mn_m mn_m;

struct mn_g {
    void *sp;                   /* saved context while not RUNNING */
    mn_stack *stack;            /* bound at first run, released at exit */
    char *stack_lo;             /* bounds for the sanitizers (g0 too) */
    size_t stack_size;
    atomic_uint status;         /* enum mn_gstatus */
    unsigned flags;             /* MN_G_*; set at spawn */
    uint64_t id;
    void (*fn)(void *);
    void *(*jfn)(void *);
    void *arg;
    void *ret;
    struct mn_g *schedlink;     /* global queue, inbox, wait queue, free list */
    mn_p *home;                 /* NOMIGRATE: the only P that runs it */
    /* join: under join_lock */
    mn_spin join_lock;
    bool done;
    struct mn_g *joiner;
    /* wait bookkeeping for sync.c and chan.c: under the object's lock */
    void *wait_elem;
    int wait_result;
    /* sanitizers */
    void *asan_fake;
    void *tsan_fiber;
    mn_m *lockedm;              /* mn_lock_thread: the only M that runs it */
    const char *waitreason;     /* what it parked for (mn_debug_dump) */
    int lastp;                  /* the P that last ran it */
    uint64_t syscall_enter;     /* for the syscall benchmark: when it last entered */
};

/* legal[from] has bit `to` set when from -> to is allowed. Here, not in
 * g.c, so that the check folds away where from and to are constants. */
#define MN__B(s) (1u << (s))
static const unsigned mn__g_legal[MN_G_NSTATES] = {
    [MN_G_IDLE]     = MN__B(MN_G_RUNNABLE),
    [MN_G_RUNNABLE] = MN__B(MN_G_RUNNING),
    [MN_G_RUNNING]  = MN__B(MN_G_RUNNABLE) | MN__B(MN_G_WAITING) | MN__B(MN_G_SYSCALL) | MN__B(MN_G_DEAD),
    [MN_G_WAITING]  = MN__B(MN_G_RUNNABLE),
    [MN_G_SYSCALL]  = MN__B(MN_G_RUNNING) | MN__B(MN_G_RUNNABLE),
    [MN_G_DEAD]     = MN__B(MN_G_IDLE),
};
#undef MN__B
void mn__g_bad_transition(mn_g *g, unsigned from, unsigned to) __attribute__((noreturn, cold));

/* The one way a G changes state; aborts on an illegal move. Inline: on
 * the switch path from and to are constants and the table check folds. */
static inline void mn__g_setstatus(mn_g *g, unsigned from, unsigned to)
{
    unsigned cur = atomic_load_explicit(&g->status, memory_order_relaxed);
    if (MN_UNLIKELY(cur != from || from >= MN_G_NSTATES || !(mn__g_legal[from] & (1u << to))))
        mn__g_bad_transition(g, from, to);
    /* store-release: a G seen RUNNABLE has its context saved */
    atomic_store_explicit(&g->status, to, memory_order_release);
}
const char *mn__g_status_name(unsigned st);
mn_g *mn__g_alloc(mn_p *p);            /* Only the owner P calls this. */
void  mn__g_free(mn_p *p, mn_g *g);    /* Only the owner P calls this. */
void  mn__g_pools_free(void);          /* shutdown */
void  mn__g_foreach(void (*fn)(mn_g *g, void *arg), void *arg);
extern atomic_uint mn__inject_alloc_every;
void  mn__g_exit_finish(mn_m *m, mn_g *g); /* on g0, after a G's last switch */

/* ---- P ------------------------------------------------------------------ */
#define MN_RUNQ_SIZE 256u
#define MN_GCACHE_MAX 64
#define MN_SCACHE_MAX 16

/* P states: IDLE on the idle list, owned by no M; RUNNING owned by p->m;
 * SYSCALL: p->m is in a system call and still owns it, until either it
 * comes back (CAS SYSCALL -> RUNNING) or sysmon retakes it (CAS SYSCALL ->
 * RUNNING, then hands it to another M). Whoever wins the CAS owns the P. */
enum mn_pstatus { MN_P_IDLE, MN_P_RUNNING, MN_P_SYSCALL, MN_P_STOPPED };
/* STOPPED: held by a stop-the-world (stw.c); no M runs it until the world starts. */

/* Bits of p->attn: why the owner must leave the yield fast path. */
#define MN_ATTN_STEAL 0x1u   /* a thief asked for the yield slot's G */
#define MN_ATTN_STOP  0x2u   /* the runtime is stopping */
#define MN_ATTN_PREEMPT 0x4u /* sysmon: the slice p->preempt_slice ran out */
#define MN_ATTN_STW   0x8u   /* stop the world: give this P up at the next chance */

typedef struct mn_p_counters {
    _Atomic uint64_t g_run, g_spawned, g_exited, stolen_in, stolen_out,
                     steal_attempts, parks, wakes, global_takes,
                     handoffs, preempts, async_preempts;
    _Atomic uint64_t stolen_tier[MN_STEAL_TIERS]; /* stolen_in by the victim's tier */
} mn_p_counters;

struct mn_p {
    int id;
    int cpu;                    /* OS CPU to pin to, -1 = unpinned */
    atomic_uint status;         /* enum mn_pstatus; seq_cst (the inbox handshake) */
    _Atomic(mn_m *) m;          /* the M that owns it; its owner writes, sysmon and STW read */
    mn_p *link;                 /* idle list, under sched.lock */
    _Atomic uint64_t syscall_when; /* when p->m entered its system call; its M writes */
    _Atomic uint64_t slice_start;  /* when the current slice began (TSC ns); the owner writes */
    _Atomic uint64_t preempt_slice;/* the slice a MN_ATTN_PREEMPT request is for; sysmon writes */
    atomic_uint syscall_seq;    /* bumped at each system call entry: sysmon's generation */
    uint32_t schedtick;         /* Only the owner P writes. */
    uint64_t rand;              /* Only the owner P uses it. */
    uint64_t goid_next, goid_end;

    /* The local run queue (runq.c): ring + runnext + yield slot. */
    MN_ALIGNED _Atomic uint64_t runq_ht;   /* head:24 | tag:16 | tail:24 */
    _Atomic(mn_g *) runq[MN_RUNQ_SIZE];
    MN_ALIGNED _Atomic(mn_g *) runnext;
    _Atomic(mn_g *) yieldslot;  /* the private yield slot: owner writes; thieves only peek */
    atomic_uint attn;           /* MN_ATTN_*: anyone sets, the owner clears */

    /* The inbox: Gs sent to this P by others (mn_spawn_on, NOMIGRATE wakes). */
    MN_ALIGNED mn_spin inbox_lock;
    mn_g *inbox_head, *inbox_tail;
    atomic_int inbox_n;         /* seq_cst: the inbox handshake */

    /* Caches: Only the owner P touches them. */
    MN_ALIGNED mn_g *gfree;
    int ngfree;
    mn_stack *sfree;
    int nsfree;

    /* Timers (timer.c): a binary heap under timer_lock; any P may run
     * another's due timers. timer_next: the earliest deadline, or
     * UINT64_MAX, written under the lock, read without it. */
    MN_ALIGNED mn_spin timer_lock;
    struct mn_timer *timers;
    int ntimers, timers_cap;
    _Atomic uint64_t timer_next;

    /* Placement (topo.c's plan): written by sched_init, read-only after.
     * The victims, nearest tier first and by id within a tier: tier t is
     * victims[tier_end[t - 1] .. tier_end[t]). */
    MN_ALIGNED int mem_pool;    /* memory pool (NUMA node) of this P's stacks */
    bool steal_hier;            /* MN_STEAL=hier: nearest tier first */
    uint16_t tier_end[MN_STEAL_TIERS];
    uint8_t tier_of[MN_MAX_PROCS];    /* by P id: its tier as this P's victim */
    uint8_t victims[MN_MAX_PROCS];

    MN_ALIGNED mn_p_counters st;
};

/* ---- M ------------------------------------------------------------------ */
enum mn_after { MN_AFTER_NONE, MN_AFTER_UNLOCK, MN_AFTER_EXIT, MN_AFTER_RUNQ, MN_AFTER_SEND };

struct mn_m {
    int id;
    pthread_t thread;
    mn_g g0;                    /* this M's scheduler context */
    mn_g *curg;                 /* Only this M writes. */
    mn_p *p;                    /* Only this M writes (while it owns P). */
    mn_p *nextp;                /* handed over by startm, under sched.lock */
    mn_p *lastp;                /* the P it ran last (to keep Ms on their CPUs) */
    mn_m *link;                 /* idle list, under sched.lock */
    mn_m *all_next;
    bool spinning;
    int cpu;                    /* CPU this thread is bound to, -1 = none */
    atomic_uint park;           /* futex word: 1 = woken */
    /* The switch protocol: what the next context to run on this M must
     * finish for the one that left (see proc.c). */
    enum mn_after after;
    void *after_arg;
    void *altstack;
    stack_t old_altstack;       /* restored when the M leaves */
    bool is_main_thread;
    mn_g *lockedg;              /* mn_lock_thread: the only G this M runs */
    bool in_syscall;            /* between mn_syscall_enter and _exit */
    pid_t tid;                  /* for sched_setaffinity from sysmon */
    atomic_int unpinned;        /* mn__m_unpin ran: acquirep must rebind */
    atomic_uint sigs;           /* runtime signals seen (SIGURG): wrappers retry on EINTR */
    atomic_int preempt_pending; /* a SIGURG is on its way: at most one per M */
};

/* The current M, read through an accessor the compiler cannot cache across
 * a switch: a G may resume on another thread, and a cached TLS address
 * would be the old thread's. */
extern __thread mn_m *mn__tls_m __attribute__((tls_model("initial-exec")));
static inline mn_m *mn__getm(void)
{
    mn_m *m;
    __asm__ volatile("movq mn__tls_m@gottpoff(%%rip), %0\n\t"
                     "movq %%fs:(%0), %0" : "=r"(m));
    return m;
}
static inline void mn__setm(mn_m *m) { mn__tls_m = m; }

/* ---- the scheduler (proc.c) ---------------------------------------------- */
typedef struct mn_sched {
    pthread_mutex_t lock;       /* the sched lock */
    mn_g *gq_head, *gq_tail;    /* global run queue, under the sched lock */
    atomic_int gq_size;         /* written under the lock, read without */
    mn_p *pidle;                /* idle Ps, under the sched lock */
    atomic_int npidle;          /* seq_cst: the spinning handshake */
    atomic_int nmspinning;      /* seq_cst: the spinning handshake */
    mn_m *midle;                /* idle Ms, under the sched lock */
    int nmidle;                 /* under the sched lock */
    mn_m *allm;
    int nm;
    atomic_uint_least64_t threads_created;
    atomic_uint_least64_t goid_gen;
    atomic_int stopping;
    int nprocs;
    mn_p **allp;
    bool lifo;                  /* MN_QUEUE=lifo: the owner pops at the tail */
    bool pin;                   /* placement != none */
    size_t stack_size;
    uint64_t handoff_ns;        /* MN_SYSCALL_HANDOFF; 0 = never retake */
    uint64_t timeslice_ns;      /* MN_TIMESLICE; 0 = no slices */
    int preempt;                /* MN_PREEMPT_*: how a slice's end is enforced */
    enum mn_guard guard;
    int max_threads;
    cpu_set_t allowed;          /* the process's affinity mask at mn_run */
    mn_config cfg;
} mn_sched;

extern mn_sched mn__sched;

void  mn__gogo(mn_m *m, mn_g *from, mn_g *to, bool dying);
void  mn__g_main(void *unused);
mn_g *mn__g_new(mn_p *p, unsigned flags);          /* Only the owner P calls this. */
void  mn__send(mn_p *target, mn_g *g);             /* queue g on another P's inbox */
void  mn__runtime_stop(void);

/* Ms and Ps across files (proc.c). */
void  mn__startm(mn_p *p, bool spinning);
void  mn__handoffp(mn_p *p);          /* p has no M: give it to one if there is work */
void  mn__acquirep(mn_m *m, mn_p *p);
mn_p *mn__pidleget(mn_p *want);       /* sched lock must be held. */
void  mn__pidleput(mn_p *p);          /* sched lock must be held. */
void  mn__notewakeup(mn_m *m);
void  mn__m_unpin(mn_m *m);           /* any thread: let a P-less M run anywhere */
uint64_t mn__nanotime(void);

/* preempt.c */
enum { MN_PREEMPT_OFF, MN_PREEMPT_COOP, MN_PREEMPT_SIGNAL };
extern uint64_t mn__tsc0, mn__ns0, mn__tsc_mult;
void  mn__clock_init(void);
/* CLOCK_MONOTONIC's ns from the TSC: ~9 ns instead of ~18. */
static inline uint64_t mn__fastns(void)
{
    uint64_t d = __builtin_ia32_rdtsc() - mn__tsc0;
    return mn__ns0 + (uint64_t)(((unsigned __int128)d * mn__tsc_mult) >> 32);
}
void  mn__sigurg_install(void);
void  mn__preempt_request(mn_p *p, uint64_t slice_start);  /* sysmon */
bool  mn__preempt_take(mn_p *p);      /* Only the owner P calls this. */
void  mn__preempt_yield(mn_m *m);     /* proc.c: yield, a new slice for the next G */
bool  mn__async_preempt_available(void);
extern _Atomic uint64_t mn__sysmon_deadline;

/* stw.c */
extern atomic_int mn__stw_active;      /* a stop-the-world is stopping or holds Ps */
extern _Atomic(mn_p *) mn__stw_owner;
bool  mn__stw_take(mn_p *p);          /* the caller owns p: hand it to the STW; false if none */

/* sysmon.c */
int   mn__sysmon_start(void);
void  mn__sysmon_stop(void);
void  mn__sysmon_poke(uint64_t deadline);   /* wake sysmon if deadline is earlier */

/* timer.c */
struct mn_timer { uint64_t when; mn_g *g; };
bool  mn__timers_run(mn_p *p, uint64_t now); /* readies due Gs; true if any */
uint64_t mn__timers_next_all(void);         /* earliest deadline over every P */
void  mn__timers_free(mn_p *p);
void  mn__ready(mn_g *g);                 /* WAITING -> RUNNABLE, on the caller's P */
void  mn__park(mn_spin *unlock, const char *why); /* RUNNING -> WAITING; unlock after the switch */
void  mn__after_switch_slow(mn_m *m);
static inline void mn__after_switch(mn_m *m)
{
    if (MN_UNLIKELY(m->after != MN_AFTER_NONE))
        mn__after_switch_slow(m);
}
void  mn__wakep(void);
/* After queuing work: wake an M when a P idles and nobody spins. The
 * queuing was a locked instruction, the StoreLoad barrier this needs. */
static inline void mn__wakep_maybe(void)
{
    if (atomic_load(&mn__sched.npidle) > 0 && atomic_load(&mn__sched.nmspinning) == 0)
        mn__wakep();
}
void  mn__inbox_put(mn_p *p, mn_g *g);

/* ---- run queues (runq.c) ----------------------------------------------- */
void  mn__runq_put(mn_p *p, mn_g *g, bool next);   /* Only the owner P calls this. */
mn_g *mn__runq_get(mn_p *p);                       /* Only the owner P calls this. */
bool  mn__runq_empty(mn_p *p);                     /* Any P may call this. */
mn_g *mn__runq_steal(mn_p *p, mn_p *victim, bool runnext);
void  mn__globrunq_put(mn_g *g);                   /* sched lock must be held. */
void  mn__globrunq_putbatch(mn_g *head, mn_g *tail, int n); /* sched lock must be held. */
mn_g *mn__globrunq_get(mn_p *p, int max);          /* sched lock must be held. */
mn_g *mn__inbox_get(mn_p *p);                      /* Only the owner P calls this. */
unsigned mn__runq_len(mn_p *p);                    /* Any P may call this: a snapshot. */

/* ---- stacks (stack.c) ---------------------------------------------------- */
int   mn__stack_init(size_t size, enum mn_guard guard);
void  mn__stack_fini(void);
mn_stack *mn__stack_get(mn_p *p);                  /* Only the owner P calls this. */
void  mn__stack_put(mn_p *p, mn_stack *s);         /* Only the owner P calls this. */
void  mn__stack_check(mn_g *g);                    /* canary check at exit */
int   mn__sigsegv_install(void);
void  mn__sigsegv_uninstall(void);
int   mn__altstack_enter(mn_m *m);
void  mn__altstack_leave(mn_m *m);
void  mn__stack_counts(size_t *allocated, size_t *cached);

/* ---- config (config.c) --------------------------------------------------- */
int   mn__parse_size(const char *s, size_t *out);
int   mn__parse_duration(const char *s, uint64_t *out_ns);
int   mn__allowed_cpus(int *cpus, int max);

/* ---- topology (topo.c) --------------------------------------------------
 * The planner is pure: hwloc topology + allowed CPUs + placement + nprocs
 * in, a plan out (mnsched/topo.h); the rest serves one run of the real
 * machine: mn__topo_start before any M starts, mn__topo_stop after they
 * all ended, the others in between from any thread. */
struct hwloc_topology;
struct hwloc_bitmap_s;
int   mn__topo_plan(struct hwloc_topology *topo, const struct hwloc_bitmap_s *allowed,
                    const char *placement, int nprocs, mn_topo_plan_t *out);
bool  mn__topo_is_real(const char *topology);     /* NULL, "" or "machine" */
int   mn__topo_check(mn_config *cfg);             /* topology, placement, MN_MEM, MN_STEAL */
int   mn__topo_start(const mn_config *cfg, mn_topo_plan_t *plan);
void  mn__topo_stop(void);
int   mn__topo_pool(const mn_topo_plan_t *plan, int p); /* memory pool of P p */
int   mn__topo_npools(void);
void  mn__topo_setup_p(mn_p *p, const mn_topo_plan_t *plan, int i); /* CPU, pool, victims */
int   mn__topo_bind_cpu(int cpu);                 /* the calling thread, to OS CPU cpu */
void *mn__topo_alloc(size_t len, int pool);       /* page-aligned, on the pool's node(s) */
void  mn__topo_free(void *addr, size_t len);
void  mn__topo_membind(void *addr, size_t len, int pool); /* before the first touch */

#endif
