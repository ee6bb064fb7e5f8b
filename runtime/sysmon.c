/* sysmon.c - the monitor thread, deadline-driven.
 *
 * sysmon sleeps on a futex until the earliest of its deadlines:
 *   - a G in a system call crossing the handoff threshold: sysmon retakes
 *     its P (CAS SYSCALL -> RUNNING) and hands it to another M;
 *   - a timer due on an idle P: sysmon starts an M for that P;
 *   - the next MN_SCHEDTRACE line.
 * Whoever creates an earlier deadline (a system call entry, a P going idle
 * with timers) pokes it: the poke lowers mn__sysmon_deadline and bumps the futex
 * word, and only when that deadline really is earlier, so a steady stream
 * of system calls wakes sysmon at most once per threshold. (A fixed 20 us
 * nanosleep tick was measured here to wake at ~60 us median and to burn up
 * to two thirds of a CPU.) Its timer slack is set to 1 ns: the default
 * 50 us would blur every deadline.
 *
 * The poke handshake: the poker changes the state (seq_cst), then reads
 * mn__sysmon_deadline; sysmon stores SCANNING there (seq_cst), reads the futex
 * word, then scans. Either sysmon's scan sees the new state, or the poker
 * sees SCANNING or a later deadline and bumps the word, so sysmon's futex
 * wait returns at once and it scans again. No deadline is lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include "internal.h"

/* When sysmon will wake by itself (SCANNING while it is awake). Global so
 * that starting a slice can test it inline. */
_Atomic uint64_t mn__sysmon_deadline;
#define deadline_v mn__sysmon_deadline

static struct {
    pthread_t thread;
    bool running;
    atomic_uint word;           /* futex word: bumped by every poke */
    atomic_int stop;
    uint64_t trace_ns, start, next_trace;
} sm;

/* mn__sysmon_deadline is SCANNING while sysmon is awake: a poke then only makes it
 * scan again. */
#define SCANNING 0

void mn__sysmon_poke(uint64_t deadline)
{
    if (!sm.running)
        return;
    /* seq_cst load after the caller's seq_cst state change: pairs with
     * sysmon's store of SCANNING before it scans (the poke handshake) */
    uint64_t cur = atomic_load(&deadline_v);
    for (;;) {
        if (cur == SCANNING)
            break;
        if (deadline >= cur)
            return;             /* it wakes by then anyway */
        if (atomic_compare_exchange_weak(&deadline_v, &cur, deadline))
            break;
    }
    atomic_fetch_add(&sm.word, 1);
    mn__futex_wake(&sm.word, 1);
}

/* Retakes p if its system call has lasted past the threshold; else
 * returns when it will have. */
static uint64_t retake(mn_p *p, uint64_t now)
{
    if (atomic_load(&p->status) != MN_P_SYSCALL)
        return UINT64_MAX;
    uint64_t due = atomic_load(&p->syscall_when) + mn__sched.handoff_ns;
    if (now < due)
        return due;
    unsigned want = MN_P_SYSCALL;
    /* CAS: the race with the M's own exit (syscall.c); the winner owns p */
    if (!atomic_compare_exchange_strong(&p->status, &want, MN_P_RUNNING))
        return UINT64_MAX;
    MN_STAT_INC(p->st.handoffs);
    mn__m_unpin(p->m);          /* the M in the call: off the P's CPU */
    mn__handoffp(p);
    return UINT64_MAX;
}

/* Asks for preemption when p's slice has run out; else returns when it
 * will. A request not honoured is made again (a signal that found no safe
 * point) every retry. */
static uint64_t slice_check(mn_p *p, uint64_t now)
{
    uint64_t ts = mn__sched.timeslice_ns;
    if (!ts || atomic_load(&p->status) != MN_P_RUNNING)
        return UINT64_MAX;
    if (atomic_load(&mn__stw_active) && atomic_load(&mn__stw_owner) == p)
        return UINT64_MAX;      /* the G that stopped the world runs alone, unpreempted */
    uint64_t start = MN_LOAD(p->slice_start);
    if (!start)
        return UINT64_MAX;
    if (now < start + ts)
        return start + ts;
    MN_STAT_INC(p->st.preempts);
    mn__preempt_request(p, start);
    uint64_t retry = ts / 4 < 50000 ? ts / 4 : 50000;
    return now + (retry ? retry : 1000);
}

/* Starts an M for an idle P whose timer is due; else returns when. */
static uint64_t idle_timers(mn_p *p, uint64_t now)
{
    uint64_t tn = MN_LOAD(p->timer_next);
    if (tn == UINT64_MAX || atomic_load(&p->status) != MN_P_IDLE)
        return UINT64_MAX;
    if (now < tn)
        return tn;
    pthread_mutex_lock(&mn__sched.lock);
    mn_p *q = mn__pidleget(p);
    pthread_mutex_unlock(&mn__sched.lock);
    if (q)
        mn__startm(q, false);
    return UINT64_MAX;
}

static void schedtrace(uint64_t now)
{
    char line[64 + 24 * MN_MAX_PROCS];
    int n = 0, spinning = atomic_load(&mn__sched.nmspinning);
    pthread_mutex_lock(&mn__sched.lock);
    int idlethreads = mn__sched.nmidle;
    pthread_mutex_unlock(&mn__sched.lock);
    n += snprintf(line + n, sizeof line - (size_t)n,
                  "SCHED %llums: procs=%d idleprocs=%d threads=%llu spinning=%d idlethreads=%d runqueue=%d [",
                  (unsigned long long)((now - sm.start) / 1000000u), mn__sched.nprocs,
                  atomic_load(&mn__sched.npidle),
                  (unsigned long long)atomic_load(&mn__sched.threads_created) + 1,
                  spinning, idlethreads, atomic_load(&mn__sched.gq_size));
    for (int i = 0; i < mn__sched.nprocs && n < (int)sizeof line - 24; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%u", i ? " " : "",
                      mn__runq_len(mn__sched.allp[i]));
    snprintf(line + n, sizeof line - (size_t)n, "]\n");
    fputs(line, stderr);
}

static void *sysmon_main(void *arg)
{
    prctl(PR_SET_TIMERSLACK, 1UL);
    while (!atomic_load(&sm.stop)) {
        atomic_store(&deadline_v, SCANNING);
        unsigned w = atomic_load(&sm.word);
        uint64_t now = mn__nanotime(), next = UINT64_MAX;
        for (int i = 0; i < mn__sched.nprocs; i++) {
            mn_p *p = mn__sched.allp[i];
            uint64_t t = mn__sched.handoff_ns ? retake(p, now) : UINT64_MAX;
            if (t < next)
                next = t;
            t = idle_timers(p, now);
            if (t < next)
                next = t;
            t = slice_check(p, now);
            if (t < next)
                next = t;
            /* A running P is looked at at least once a slice, whatever it
             * told us (a slice start racing with this scan). */
            if (mn__sched.timeslice_ns && atomic_load(&p->status) == MN_P_RUNNING &&
                now + mn__sched.timeslice_ns < next)
                next = now + mn__sched.timeslice_ns;
        }
        if (sm.trace_ns) {
            if (now >= sm.next_trace) {
                schedtrace(now);
                sm.next_trace += sm.trace_ns;
            }
            if (sm.next_trace < next)
                next = sm.next_trace;
        }
        atomic_store(&deadline_v, next);
        if (next == UINT64_MAX) {
            mn__futex_wait(&sm.word, w, NULL);
        } else {
            now = mn__nanotime();
            if (next > now) {
                uint64_t d = next - now;
                struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };
                mn__futex_wait(&sm.word, w, &ts);
            }
        }
    }
    return NULL;
}

int mn__sysmon_start(void)
{
    const char *s = getenv("MN_SCHEDTRACE");
    sm.trace_ns = 0;
    if (s && mn__parse_duration(s, &sm.trace_ns))
        sm.trace_ns = 0;       /* refused earlier by mn_config_default */
    sm.start = mn__nanotime();
    sm.next_trace = sm.start + sm.trace_ns;
    atomic_store(&sm.stop, 0);
    atomic_store(&deadline_v, UINT64_MAX);
    sm.running = true;
    int err = pthread_create(&sm.thread, NULL, sysmon_main, NULL);
    if (err) {
        sm.running = false;
        return -err;
    }
    return 0;
}

void mn__sysmon_stop(void)
{
    if (!sm.running)
        return;
    atomic_store(&sm.stop, 1);
    atomic_fetch_add(&sm.word, 1);
    mn__futex_wake(&sm.word, 1);
    pthread_join(sm.thread, NULL);
    sm.running = false;
}
