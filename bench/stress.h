/* stress.h - `mnbench stress`: a seeded random mix of runtime operations on
 * every P for a duration, with invariants checked as it runs and at the end.
 *
 *   bench/stress.c      the command: options, the runtime's first G, the
 *                       watchdog and kicker threads, the report, run.json
 *   bench/stress_ops.c  the operations each worker G draws, and the
 *                       bookkeeping the invariants read
 *
 * Replay: worker i draws its operations and their sizes from its own
 * PRNG stream, split from the seed and i; every G it spawns gets a stream
 * split from its parent's. So a seed replays the same operations in the
 * same order per worker; only the interleaving, which is the scheduler's,
 * differs between runs.
 *
 * Lifecycle of a run:
 *   1. Options parsed and refused before anything runs (exit 2).
 *   2. mn_run: the first G takes the mn_num_g baseline, starts the
 *      watchdog thread, spawns the dumper G and the workers, then turns
 *      on fault injection (alloc failures, the kicker thread).
 *   3. Workers draw operations until the deadline; every completed step
 *      bumps `progress`, which the watchdog reads.
 *   4. The first G joins the workers, turns injection off, waits for
 *      mn_num_g to return to the baseline, stops the world for the stack
 *      counts, scans the spawn-id table and the channel totals.
 *   5. The report, run.json and summary.csv; exit 0 only if every
 *      invariant held (1 otherwise, 130 on Ctrl-C).
 * A watchdog failure ends the run from the watchdog thread instead: the
 * world is stopped (by the dumper G, or not at all if it cannot run), the
 * Gs are dumped, and the report is written with what is known.
 */
#ifndef MNBENCH_STRESS_H
#define MNBENCH_STRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mnsched.h"

/* The operations a worker draws (the --mix kinds). */
enum mns_kind {
    MNS_SPAWN,      /* a tree of Gs: detached (wait group) or joinable, any P */
    MNS_YIELD,      /* mn_yield, a few times */
    MNS_CHAN,       /* a token ring, or fan-out/fan-in through two channels */
    MNS_MUTEX,      /* a contended mutex, its owner checked inside */
    MNS_SEMA,       /* a contended semaphore, its holders counted */
    MNS_SLEEP,      /* mn_sleep_ns */
    MNS_SYSCALL,    /* mn_read on a pipe another G writes, or mn_nanosleep */
    MNS_HOG,        /* spin past the time slice without yielding */
    MNS_STW,        /* stop the world, check the stack counts, start it */
    MNS_LOCK,       /* mn_lock_thread, park a few times, check the thread */
    MNS_NKINDS
};
extern const char *const mns_kind_names[MNS_NKINDS];

/* The invariants, in report order. */
enum mns_inv {
    MNS_INV_SPAWN,      /* every spawned G ran exactly once and exited */
    MNS_INV_CHAN,       /* every message sent was received exactly once */
    MNS_INV_MUTEX,      /* a mutex never had two owners */
    MNS_INV_SEMA,       /* a semaphore never had more holders than units */
    MNS_INV_TIMER,      /* no sleep returned early */
    MNS_INV_SYSCALL,    /* mn_read returned what mn_write wrote */
    MNS_INV_LOCKED,     /* a locked G stayed on its thread */
    MNS_INV_STW,        /* nothing else ran while the world was stopped */
    MNS_INV_STACKS,     /* allocated == cached + live, caches within bounds */
    MNS_INV_NUMG,       /* mn_num_g returned to its baseline */
    MNS_INV_WATCHDOG,   /* no G waited forever */
    MNS_NINV
};

typedef struct mns_inv_state {
    const char *name;
    const char *what;
    _Atomic uint64_t checks;
    _Atomic uint64_t fails;
    atomic_int claimed;         /* the first failure writes detail */
    atomic_int detail_ready;    /* store-release once detail is written */
    char detail[512];
} mns_inv_state;

/* One worker G's slot: the watchdog reads op_start and op_kind. */
typedef struct mns_worker {
    int index;
    uint64_t rng;
    _Atomic uint64_t op_start;  /* CLOCK_MONOTONIC ns the current operation began; 0 between */
    atomic_int op_kind;
    int pipe[2];                /* for MNS_SYSCALL's reads */
    mn_g *g;
} mns_worker;

#define MNS_NMUTEX 4
#define MNS_NSEMA 4

/* The run. One per process: the watchdog thread and the report read it. */
typedef struct mns_state {
    /* Options. */
    uint64_t seed, duration_ns;
    unsigned weight[MNS_NKINDS], wsum;
    unsigned alloc_every;       /* --inject alloc[=N]: every Nth spawn fails; 0 = off */
    bool kick;                  /* --inject wake or signal: the kicker thread */
    bool lose_one;              /* --test-lose-message */
    int nworkers;

    /* Clock: CLOCK_MONOTONIC ns. */
    uint64_t t0, deadline;
    _Atomic uint64_t t_end;     /* when the workers were all back */
    atomic_int stop;            /* Ctrl-C or the watchdog: workers finish now */

    /* Throughput and progress. */
    _Atomic uint64_t ops[MNS_NKINDS];
    _Atomic uint64_t progress;  /* completed steps of any G, for the watchdog */
    _Atomic uint64_t enomem;    /* spawns refused (injected allocation failures) */
    _Atomic uint64_t kicks;

    /* Channels: totals over every channel, checked at the end. */
    _Atomic uint64_t chan_sent, chan_sent_sum, chan_recv, chan_recv_sum;
    _Atomic uint64_t chan_ids;
    atomic_int lost;            /* --test-lose-message: the one message was dropped */

    /* Mutexes and semaphores shared by every worker. */
    mn_mutex_t mutex[MNS_NMUTEX];
    _Atomic uint64_t mutex_owner[MNS_NMUTEX];
    uint64_t mutex_plain[MNS_NMUTEX];           /* incremented under the mutex only */
    _Atomic uint64_t mutex_taken[MNS_NMUTEX];
    _Atomic uint64_t owner_tokens;
    mn_sema_t sema[MNS_NSEMA];
    unsigned sema_units[MNS_NSEMA];
    atomic_uint sema_held[MNS_NSEMA];

    /* Preemption hogs: cooperative mode needs mn_preempt_point calls. */
    bool coop;
    uint64_t timeslice_ns;

    mns_worker *workers;
    mns_inv_state inv[MNS_NINV];
} mns_state;

extern mns_state mns;

/* Any G or thread: records a failure of invariant `inv`; the first one's
 * text is kept for the report and printed on stderr at once. */
void mns_fail(int inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void mns_checked(int inv)
{
    atomic_fetch_add_explicit(&mns.inv[inv].checks, 1, memory_order_relaxed);
}
static inline void mns_step(void)
{
    atomic_fetch_add_explicit(&mns.progress, 1, memory_order_relaxed);
}
uint64_t mns_now(void);                 /* CLOCK_MONOTONIC ns */

/* PRNG streams (splitmix64): a stream from a seed and an index, and the
 * next value of a stream. */
uint64_t mns_stream(uint64_t seed, uint64_t index);
uint64_t mns_next(uint64_t *s);
static inline uint64_t mns_below(uint64_t *s, uint64_t n) { return n ? mns_next(s) % n : 0; }

/* stress_ops.c */
void mns_ops_init(void);                /* before the workers: mutexes, semaphores */
void mns_worker_main(void *arg);        /* a worker G: operations until the deadline */
/* With the world stopped: stacks allocated == cached + live, and every
 * per-P cache within its bound. `when` prefixes a failure. */
void mns_stacks_check(const char *when);
/* Spawns fn(arg) as a tracked G (its spawn id marked when it starts and
 * when it returns): detached on this P, detached on a random P, or
 * joinable (*h). 0, or -ENOMEM (counted, id marked refused). */
enum { MNS_GO_HERE, MNS_GO_ON, MNS_GO_JOINABLE };
int  mns_go(uint64_t *rng, int how, void (*fn)(void *), void *arg, mn_g **h);
/* End of run, every tracked G gone: scans the id table and the channel
 * and mutex totals into their invariants. Frees the id table. */
void mns_final_checks(void);
uint64_t mns_spawned(void);             /* spawn ids handed out */

/* stress.c: `mnbench stress ...` (argv[1] is "stress"); the exit code. */
int mnb_stress_cmd(int argc, char **argv);

#endif
