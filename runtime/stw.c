/* stw.c - stop the world.
 *
 * The caller's G keeps its own P; every other P is brought to STOPPED:
 *   - an idle P is taken off the idle list;
 *   - a P whose G is in a system call is retaken, as sysmon does (CAS);
 *   - a running P is asked to preempt (MN_ATTN_STW, plus a preemption
 *     request: signal or cooperative); its M gives the P up at the next
 *     scheduling point (findrunnable's top, or handoffp when a locked or
 *     preempted M lets its P go) and goes idle.
 * The caller re-asks every 50 us until every P is stopped (a signal that
 * found no safe point), sleeping on a futex that each stopped P bumps.
 * Starting the world hands each stopped P on: to an M if it has work,
 * else to the idle list (mn__handoffp).
 */
#include <errno.h>
#include <time.h>
#include "internal.h"

atomic_int mn__stw_active;
static atomic_int stw_lock;         /* one stop at a time */
static atomic_uint stw_word;        /* bumped by each P that stops */
static atomic_int stw_left;         /* Ps still to stop */
_Atomic(mn_p *) mn__stw_owner;     /* the stopper's P: never preempted meanwhile */
#define stw_owner mn__stw_owner

bool mn__stw_take(mn_p *p)
{
    if (!atomic_load(&mn__stw_active) || p == stw_owner)
        return false;
    p->m = NULL;
    atomic_store(&p->status, MN_P_STOPPED);
    atomic_fetch_sub(&stw_left, 1);
    atomic_fetch_add(&stw_word, 1);
    mn__futex_wake(&stw_word, 1);
    return true;
}

/* Tries to stop q from here; returns true when q is (now) stopped. */
static bool stop_one(mn_p *q)
{
    unsigned st = atomic_load(&q->status);
    if (st == MN_P_STOPPED)
        return true;
    if (st == MN_P_IDLE) {
        pthread_mutex_lock(&mn__sched.lock);
        mn_p *got = mn__pidleget(q);
        pthread_mutex_unlock(&mn__sched.lock);
        if (got)
            mn__stw_take(got);
        return got != NULL;
    }
    if (st == MN_P_SYSCALL) {
        unsigned want = MN_P_SYSCALL;
        /* CAS: against the M's own exit and sysmon's retake */
        if (atomic_compare_exchange_strong(&q->status, &want, MN_P_RUNNING)) {
            mn__stw_take(q);
            return true;
        }
        return false;
    }
    /* Running: ask its G to give way (a signal may miss: asked again). */
    atomic_fetch_or(&q->attn, MN_ATTN_STW);
    if (mn__sched.preempt != MN_PREEMPT_OFF)
        mn__preempt_request(q, MN_LOAD(q->slice_start));
    return false;
}

uint64_t mn_stop_the_world(void)
{
    mn_m *m = mn__getm();
    if (!m || !m->p)
        return 0;
    int zero = 0;
    while (!atomic_compare_exchange_weak(&stw_lock, &zero, 1)) {
        zero = 0;
        mn_yield();
    }
    m = mn__getm();
    uint64_t t0 = mn__nanotime();
    stw_owner = m->p;
    atomic_fetch_and(&m->p->attn, ~MN_ATTN_PREEMPT);  /* we run alone: no leftover request */
    atomic_store(&stw_left, mn__sched.nprocs - 1);
    atomic_store(&mn__stw_active, 1);
    for (;;) {
        unsigned w = atomic_load(&stw_word);
        for (int i = 0; i < mn__sched.nprocs; i++) {
            mn_p *q = mn__sched.allp[i];
            if (q != stw_owner)
                stop_one(q);
        }
        if (atomic_load(&stw_left) == 0)
            break;
        struct timespec ts = { 0, 50000 };
        mn__futex_wait(&stw_word, w, &ts);
    }
    return mn__nanotime() - t0;
}

void mn_start_the_world(void)
{
    if (!atomic_load(&mn__stw_active))
        return;
    atomic_store(&mn__stw_active, 0);
    for (int i = 0; i < mn__sched.nprocs; i++) {
        mn_p *q = mn__sched.allp[i];
        if (q == stw_owner)
            continue;
        atomic_fetch_and(&q->attn, ~(MN_ATTN_STW | MN_ATTN_PREEMPT));
        if (atomic_load(&q->status) == MN_P_STOPPED) {
            atomic_store(&q->status, MN_P_RUNNING);     /* ours until handed on */
            mn__handoffp(q);
        }
    }
    stw_owner = NULL;
    atomic_store(&stw_lock, 0);
}
