/* mnsched.h - the public API of libmnsched, an M:N coroutine runtime
 * modelled on Go's G/M/P scheduler.
 *
 * Lifecycle:
 *   1. mn_config_default(&cfg) fills defaults, then applies MN_* variables.
 *   2. mn_run(&cfg, main_fn, arg) starts the Ms and Ps, runs main_fn as the
 *      first G and returns after it ends (other Gs still alive are dropped).
 *   3. mn_run may be called again after it returns.
 * Every other function is called from inside a G, unless it says otherwise.
 *
 * Errors are 0 or a negative errno; mn_strerror() names them.
 *
 * TLS and migration: a G may resume on another thread after any call into
 * the runtime that can switch (yield, join, wait, lock, channel operations).
 * Do not keep the address of a thread-local variable (errno included:
 * __errno_location() is declared const, so the compiler may cache it)
 * across such a call.
 */
#ifndef MNSCHED_H
#define MNSCHED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MN_VERSION "0.1.0"

typedef struct mn_g mn_g;             /* opaque: a G (coroutine) */

/* Runtime configuration. Strings are as on the mnbench command line. */
typedef struct mn_config {
    int nprocs;                 /* Ps; 0 = every CPU the placement allows (MN_PROCS) */
    const char *placement;      /* "compact", "scatter", ... (MN_PLACEMENT; mnsched/topo.h) */
    const char *topology;       /* NULL = the real machine (MN_TOPOLOGY; runs refuse others) */
    const char *mem_policy;     /* "local" (default), "interleave", "node:N", "firsttouch" (MN_MEM) */
    const char *steal_policy;   /* "hier" (default: nearest tier first), "random" (MN_STEAL) */
    const char *queue;          /* "fifo" (default) or "lifo" (MN_QUEUE) */
    size_t stack_size;          /* usable bytes per G stack (MN_STACK_SIZE, default 64K) */
    uint64_t timeslice_ns;      /* 0 = off (MN_TIMESLICE) */
    const char *preempt_mode;   /* (MN_PREEMPT) */
    uint64_t syscall_handoff_ns;/* retake a P after this long in a system call; 0 = never (MN_SYSCALL_HANDOFF, 20us) */
    const char *stack_guard;    /* "auto", "madvise", "mprotect", "canary" (MN_STACK_GUARD) */
    int max_threads;            /* bound on Ms (MN_MAX_THREADS) */
    /* Called on each M's own thread when it starts and before it exits. */
    void (*on_m_start)(int m_id, void *arg);
    void (*on_m_stop)(int m_id, void *arg);
    void *hook_arg;
    char error[256];            /* one-line message when a call returns -EINVAL */
} mn_config;

int  mn_config_default(mn_config *cfg);
/* Checks a configuration filled by hand: 0, or -EINVAL with a one-line
 * message in cfg->error. mn_run performs the same checks. */
int  mn_config_check(mn_config *cfg);
int  mn_run(const mn_config *cfg, void (*main_fn)(void *), void *arg);

/* Gs */
#define MN_NOMIGRATE 1u         /* mn_spawn_on: the G never leaves its P */

int   mn_spawn(void (*fn)(void *), void *arg);
mn_g *mn_spawn_joinable(void *(*fn)(void *), void *arg);
int   mn_spawn_on(int p, unsigned flags, void (*fn)(void *), void *arg);
int   mn_join(mn_g *g, void **ret);
void  mn_yield(void);
void  mn_exit(void *ret) __attribute__((noreturn));
size_t mn_num_g(void);
int   mn_self_p(void);
int   mn_nprocs(void);
uint64_t mn_self_id(void);

const char *mn_strerror(int err);

/* System calls. Around a call that may block, mn_syscall_enter/exit let
 * the runtime hand this G's P to another M when the call lasts longer than
 * MN_SYSCALL_HANDOFF (default 20us). The wrappers below do it for you,
 * preserve errno, and retry with the time left when a runtime signal
 * (SIGURG) interrupted them; other signals' EINTR is returned. */
void    mn_syscall_enter(void);
void    mn_syscall_exit(void);
ssize_t mn_read(int fd, void *buf, size_t n);
ssize_t mn_write(int fd, const void *buf, size_t n);
int     mn_accept(int fd, struct sockaddr *addr, socklen_t *len);
int     mn_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
int     mn_nanosleep(const struct timespec *req, struct timespec *rem);

/* Parks the G on its P's timer heap for ns nanoseconds (no thread sleeps). */
void    mn_sleep_ns(uint64_t ns);

/* Cooperative preemption check: yields if this G's time slice has run out
 * (MN_TIMESLICE). Cheap enough for inner loops: one load when nothing is
 * pending. In signal mode (MN_PREEMPT=signal, the default) a G in the main
 * program's code is preempted without it. */
void    mn_preempt_point(void);

/* Stop the world: every other P stops at a safe point (idle Ps and Ps
 * whose G is in a system call included) and the calling G runs alone
 * until mn_start_the_world. Returns how long stopping took, in ns. One
 * stop at a time: a second caller waits for the first to start the world. */
uint64_t mn_stop_the_world(void);
void     mn_start_the_world(void);

/* runtime.LockOSThread: the G runs only on the current M, and that M runs
 * only this G; while the G waits, the M gives its P to another M. */
void    mn_lock_thread(void);
void    mn_unlock_thread(void);

/* The floor a yield is compared with: n switches between two contexts with
 * the runtime's own switch (same save set, push/pop + jmp, contexts reused)
 * and no scheduler. Returns ns per switch (0 in sanitizer builds). Callable
 * from any thread. */
double mn_bare_switch_ns(uint64_t n);

/* Synchronisation: caller-allocated, initialised in place; waiting parks the
 * G, never the thread. */
typedef struct mn_waitq { struct mn_g *head, *tail; } mn_waitq;
#ifdef __cplusplus
typedef int mn_lockword_t;
#else
typedef _Atomic int mn_lockword_t;    /* an internal spinlock */
#endif

typedef struct mn_wg_t {
    mn_lockword_t lock;
    int64_t count;
    mn_waitq waiters;
} mn_wg_t;
void mn_wg_init(mn_wg_t *wg);
void mn_wg_add(mn_wg_t *wg, int n);
void mn_wg_done(mn_wg_t *wg);
void mn_wg_wait(mn_wg_t *wg);

typedef struct mn_mutex_t {
    mn_lockword_t lock;
    int locked;
    mn_waitq waiters;
} mn_mutex_t;
void mn_mutex_init(mn_mutex_t *m);
void mn_mutex_lock(mn_mutex_t *m);
int  mn_mutex_trylock(mn_mutex_t *m);   /* 0, or -EBUSY */
void mn_mutex_unlock(mn_mutex_t *m);

typedef struct mn_sema_t {
    mn_lockword_t lock;
    unsigned count;
    mn_waitq waiters;
} mn_sema_t;
void mn_sema_init(mn_sema_t *s, unsigned n);
void mn_sema_acquire(mn_sema_t *s);
void mn_sema_release(mn_sema_t *s);

typedef struct mn_chan mn_chan_t;
mn_chan_t *mn_chan_make(size_t elem_size, size_t capacity);  /* NULL, errno set */
int  mn_chan_send(mn_chan_t *c, const void *elem);   /* 0, or -EPIPE once closed */
int  mn_chan_recv(mn_chan_t *c, void *elem);         /* 0, or -EPIPE when closed and drained */
void mn_chan_close(mn_chan_t *c);
void mn_chan_free(mn_chan_t *c);

/* Per-P counters, cheap enough to leave on. Callable from any thread while
 * the runtime runs; figures are read without stopping the Ps. */
#define MN_MAX_PROCS 256
#define MN_STEAL_TIERS 6
typedef struct mn_p_stats {
    uint64_t g_run;             /* Gs switched to */
    uint64_t g_spawned;
    uint64_t stolen_in;         /* Gs this P took from others */
    uint64_t stolen_out;        /* Gs others took from this P */
    uint64_t steal_attempts;
    uint64_t parks;             /* times this P's M went to sleep */
    uint64_t wakes;             /* times this P woke another M */
    uint64_t global_takes;      /* Gs taken from the global queue */
    uint64_t handoffs;          /* times sysmon took this P from an M in a system call */
    uint64_t preempts;          /* slices that ran out and were enforced */
    uint64_t async_preempts;    /* ... of which by signal */
    /* stolen_in by the victim's distance tier (mnsched/topo.h): same
     * core, same L2, same L3, same NUMA node, same package, the rest. */
    uint64_t stolen_tier[MN_STEAL_TIERS];
} mn_p_stats;

typedef struct mn_sched_stats {
    int nprocs;
    uint64_t timeslice_ns;      /* in force: 0 when preemption is off */
    const char *preempt_mode;   /* in force: "signal", "cooperative" or "off" */
    uint64_t threads;           /* Ms created since mn_run began */
    mn_p_stats p[MN_MAX_PROCS];
} mn_sched_stats;
void mn_stats(mn_sched_stats *out);

#ifdef __cplusplus
}
#endif
#endif
