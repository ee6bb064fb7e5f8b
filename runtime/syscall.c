/* syscall.c - Gs in system calls: mn_syscall_enter/exit (Go's
 * entersyscall/exitsyscall) and the blocking wrappers.
 *
 * Enter: the G goes SYSCALL, its P goes SYSCALL, and the P stays with the
 * M: nothing is handed over on the fast path. sysmon is told only when
 * this moves its deadline earlier. If the call lasts past the handoff
 * threshold (MN_SYSCALL_HANDOFF, default 20us), sysmon retakes the P with
 * a CAS and gives it to another M.
 *
 * Exit, in order of preference (the first CAS on p->status wins the P):
 *   1. our own P, still ours: CAS SYSCALL -> RUNNING, carry on;
 *   2. our old P or any P, if idle: take it, carry on;
 *   3. no P: the G is sent to its old P's inbox, which runs ahead of that
 *      P's ring at its next scheduling point, and this M parks. (Go puts it
 *      on the global queue, checked only every 61st tick or when a P runs
 *      dry, which starves it while every P is busy; the inbox bounds the
 *      wait by the running G's next scheduling point, or its time slice
 *      once preemption exists.)
 *
 * A call known to block for longer than the threshold (mn_nanosleep) hands
 * the P off at once, as Go's entersyscallblock does: waiting 20 us for
 * sysmon would only idle the P.
 *
 * Wrappers preserve errno and, when EINTR came from a runtime signal
 * (SIGURG), retry with the time left; any other signal's EINTR is
 * returned to the caller.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

static void enter(mn_m *m, bool block)
{
    mn_p *p = m->p;
    mn_g *g = m->curg;
    uint64_t now = mn__nanotime();
    g->syscall_enter = now;
    mn__g_setstatus(g, MN_G_RUNNING, MN_G_SYSCALL);
    m->in_syscall = true;
    atomic_store_explicit(&p->syscall_when, now, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->syscall_seq, 1, memory_order_relaxed);
    uint64_t threshold = mn__sched.handoff_ns;
    if (block && threshold) {
        /* We own p: give it away now. */
        mn__m_unpin(m);
        p->m = NULL;
        m->p = NULL;
        mn__handoffp(p);
        return;
    }
    /* seq_cst: the CAS race with sysmon's retake */
    atomic_store(&p->status, MN_P_SYSCALL);
    if (threshold)
        mn__sysmon_poke(now + threshold);
}

void mn_syscall_enter(void)
{
    mn_m *m = mn__getm();
    if (!m || !m->p || m->in_syscall || !m->curg || (m->curg->flags & MN_G_SYSTEM))
        return;
    enter(m, false);
}

static void __attribute__((noinline)) exit_slow(mn_m *m, mn_g *g)
{
    mn_p *old = m->lastp;
    m->p = NULL;                /* lost to sysmon, or handed off at entry */
    pthread_mutex_lock(&mn__sched.lock);
    mn_p *p = old ? mn__pidleget(old) : NULL;
    if (!p)
        p = mn__pidleget(NULL);
    pthread_mutex_unlock(&mn__sched.lock);
    if (p) {
        mn__acquirep(m, p);
        mn__g_setstatus(g, MN_G_SYSCALL, MN_G_RUNNING);
        return;
    }
    mn__g_setstatus(g, MN_G_SYSCALL, MN_G_RUNNABLE);
    m->after = MN_AFTER_SEND;   /* queued once we are off its stack */
    m->after_arg = g;
    mn__gogo(m, g, &m->g0, false);
    /* Resumed by some M that holds a P. */
}

void mn_syscall_exit(void)
{
    mn_m *m = mn__getm();
    if (!m || !m->in_syscall)
        return;
    mn_g *g = m->curg;
    m->in_syscall = false;
    mn_p *p = m->p;
    unsigned want = MN_P_SYSCALL;
    /* CAS: against sysmon's retake. A P that was retaken, handed on, and
     * is now in another M's system call is SYSCALL again: winning it then
     * takes it from that M, which is allowed (sysmon does the same; that
     * M's exit fails its CAS and goes slow), so rebind it. */
    if (p && atomic_compare_exchange_strong(&p->status, &want, MN_P_RUNNING)) {
        if (MN_UNLIKELY(p->m != m))
            mn__acquirep(m, p); /* took it from another M's system call: allowed, as sysmon does */
        mn__g_setstatus(g, MN_G_SYSCALL, MN_G_RUNNING);
        return;
    }
    exit_slow(m, g);
}

/* ---- wrappers --------------------------------------------------------------------- */

/* Was the EINTR just seen caused by a runtime signal on this thread? */
static bool ours(mn_m *m, unsigned sigs_before)
{
    return m && atomic_load_explicit(&m->sigs, memory_order_relaxed) != sigs_before;
}

/* errno through a call the compiler cannot see into: after
 * mn_syscall_exit the G may run on another thread, and a cached
 * __errno_location() would be the old thread's. */
static void __attribute__((noinline)) set_errno(int e)
{
    errno = e;
}

#define SIGS(m) ((m) ? atomic_load_explicit(&(m)->sigs, memory_order_relaxed) : 0u)

ssize_t mn_read(int fd, void *buf, size_t n)
{
    for (;;) {
        mn_m *m = mn__getm();
        unsigned s0 = SIGS(m);
        mn_syscall_enter();
        ssize_t r = read(fd, buf, n);
        int e = errno;
        bool retry = r < 0 && e == EINTR && ours(m, s0);
        mn_syscall_exit();
        if (!retry) {
            set_errno(e);
            return r;
        }
    }
}

ssize_t mn_write(int fd, const void *buf, size_t n)
{
    for (;;) {
        mn_m *m = mn__getm();
        unsigned s0 = SIGS(m);
        mn_syscall_enter();
        ssize_t r = write(fd, buf, n);
        int e = errno;
        bool retry = r < 0 && e == EINTR && ours(m, s0);
        mn_syscall_exit();
        if (!retry) {
            set_errno(e);
            return r;
        }
    }
}

int mn_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    for (;;) {
        mn_m *m = mn__getm();
        unsigned s0 = SIGS(m);
        mn_syscall_enter();
        int r = accept(fd, addr, len);
        int e = errno;
        bool retry = r < 0 && e == EINTR && ours(m, s0);
        mn_syscall_exit();
        if (!retry) {
            set_errno(e);
            return r;
        }
    }
}

int mn_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    uint64_t deadline = timeout_ms > 0 ? mn__nanotime() + (uint64_t)timeout_ms * 1000000u : 0;
    int left = timeout_ms;
    for (;;) {
        mn_m *m = mn__getm();
        unsigned s0 = SIGS(m);
        mn_syscall_enter();
        int r = poll(fds, n, left);
        int e = errno;
        bool retry = r < 0 && e == EINTR && ours(m, s0);
        mn_syscall_exit();
        if (!retry) {
            set_errno(e);
            return r;
        }
        if (timeout_ms > 0) {       /* the time left, rounded up */
            uint64_t now = mn__nanotime();
            left = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        }
    }
}

int mn_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0) {
        errno = EINVAL;
        return -1;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += req->tv_sec;
    until.tv_nsec += req->tv_nsec;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    uint64_t ns = (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
    for (;;) {
        mn_m *m = mn__getm();
        unsigned s0 = SIGS(m);
        if (m && m->p && !m->in_syscall && m->curg && !(m->curg->flags & MN_G_SYSTEM))
            enter(m, ns >= mn__sched.handoff_ns);   /* known to block */
        /* Absolute deadline: a retry sleeps only the time left. */
        int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        bool retry = err == EINTR && ours(m, s0);
        mn_syscall_exit();
        if (!err)
            return 0;
        if (retry)
            continue;
        if (err == EINTR && rem) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t left = (until.tv_sec - now.tv_sec) * 1000000000L + (until.tv_nsec - now.tv_nsec);
            if (left < 0)
                left = 0;
            rem->tv_sec = left / 1000000000L;
            rem->tv_nsec = left % 1000000000L;
        }
        set_errno(err);
        return -1;
    }
}
