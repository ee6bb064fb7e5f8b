/* preempt.c - time slices and preemption: the cheap clock slices are
 * measured with, the request sysmon makes when a slice runs out, the
 * cooperative check, and asynchronous preemption by signal.
 *
 * A slice starts when a P runs a G taken from anywhere but runnext (a
 * runnext G inherits the slice, so a chain of hand-offs counts as one) or
 * through a slow-path yield. Two Gs trading the P through the private
 * yield slot share one slice: neither hogs the P, and an expiry lands on
 * whichever runs, which yields soon anyway. Slices are timed with the TSC
 * (~9 ns here against ~18 for clock_gettime), calibrated once per process.
 *
 * When a slice runs out, sysmon sets MN_ATTN_PREEMPT on the P, tagged with
 * the slice's start (p->preempt_slice), so that a request that arrives
 * after the slice ended anyway is recognised as stale and dropped. Then:
 *   - cooperative: mn_preempt_point(), mn_yield and runtime entries see
 *     the bit and yield;
 *   - signal (the default on x86_64 Linux): sysmon also sends SIGURG to
 *     the P's M (at most one pending per M). The handler preempts only at
 *     an async-safe point:
 *       1. the M runs a user G (not its scheduler context), holds a P and
 *          is not in a system call;
 *       2. the interrupted PC is in the main program's own text, not in a
 *          shared library (libc may hold locks: malloc, stdio) and not in
 *          the runtime (mnsched_text, gathered by runtime/mnsched.ld: the
 *          runtime's locks and half-made switches live there);
 *     and then rewrites the context to enter mn__async_preempt (preempt.S),
 *     which saves every register and the xsave state and yields. Anywhere
 *     else it does nothing: sysmon tries again at its next deadline.
 *   What cannot be preempted: code in shared libraries, the runtime itself,
 *   a program linked without runtime/mnsched.ld (cooperative only), and,
 *   in the TSan build, anything (TSan holds signals until its runtime runs:
 *   the mode is forced to cooperative there).
 * A G stopped by a signal may hold pthread locks or cached TLS addresses,
 * so it resumes on the same M: it is locked to the M for the yield (as by
 * mn_lock_thread) and unlocked once it runs again; its next cooperative
 * switch may move it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <cpuid.h>
#include "internal.h"
#include "sanitize.h"

/* The TSC clock: ns = ns0 + ((tsc - tsc0) * mult) >> 32. */
uint64_t mn__tsc0, mn__ns0, mn__tsc_mult;
unsigned mn__xsave_size;

static uint64_t mono_raw(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Once per process: 2 ms against CLOCK_MONOTONIC gives the TSC's rate to
 * a few parts per million, and ties its zero to CLOCK_MONOTONIC. */
void mn__clock_init(void)
{
    if (mn__tsc_mult)
        return;
    uint64_t n0 = mono_raw(), t0 = __builtin_ia32_rdtsc(), n1, t1;
    do {
        n1 = mono_raw();
        t1 = __builtin_ia32_rdtsc();
    } while (n1 - n0 < 2000000);
    mn__tsc_mult = (uint64_t)(((unsigned __int128)(n1 - n0) << 32) / (t1 - t0));
    mn__tsc0 = t0;
    mn__ns0 = n0;
    unsigned a, b, c, d;
    if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b)
        mn__xsave_size = (b + 63) & ~63u;       /* for what XCR0 enables */
    else
        mn__xsave_size = 4096;
    mn__xsave_size += 64;                       /* room to align */
}

/* ---- requests --------------------------------------------------------------- */

/* sysmon: p's slice started at `start` and has run out. */
void mn__preempt_request(mn_p *p, uint64_t start)
{
    atomic_store_explicit(&p->preempt_slice, start, memory_order_relaxed);
    atomic_fetch_or(&p->attn, MN_ATTN_PREEMPT);
    mn_m *m = p->m;
    if (mn__sched.preempt != MN_PREEMPT_SIGNAL || !m || !m->tid)
        return;
    int zero = 0;
    /* at most one pending signal per M: the handler clears it */
    if (atomic_compare_exchange_strong(&m->preempt_pending, &zero, 1))
        syscall(SYS_tgkill, getpid(), m->tid, SIGURG);
}

/* Is p's pending request for the slice now running? Clears it either way. */
bool mn__preempt_take(mn_p *p)
{
    unsigned a = atomic_fetch_and(&p->attn, ~MN_ATTN_PREEMPT);
    return (a & MN_ATTN_PREEMPT) &&
           atomic_load_explicit(&p->preempt_slice, memory_order_relaxed) ==
           MN_LOAD(p->slice_start);
}

/* ---- the signal --------------------------------------------------------------- */

extern char __executable_start[], etext[];
extern char __mnsched_text_start[] __attribute__((weak));
extern char __mnsched_text_end[] __attribute__((weak));

/* Condition 2 above, from the PC alone. */
static bool pc_safe(uintptr_t pc)
{
    if (!__mnsched_text_start)
        return false;           /* not linked with mnsched.ld: cannot tell */
    if (pc >= (uintptr_t)__mnsched_text_start && pc < (uintptr_t)__mnsched_text_end)
        return false;
    return pc >= (uintptr_t)__executable_start && pc < (uintptr_t)etext;
}

bool mn__async_preempt_available(void)
{
    return __mnsched_text_start != NULL;
}

void mn__async_preempt(void);

static void sigurg(int sig, siginfo_t *si, void *uctx_)
{
    int saved = errno;
    mn_m *m = mn__tls_m;
    if (!m)
        goto out;
    atomic_fetch_add_explicit(&m->sigs, 1, memory_order_relaxed);
    atomic_store_explicit(&m->preempt_pending, 0, memory_order_relaxed);
    mn_p *p = m->p;
    mn_g *g = m->curg;
    if (!p || !g || (g->flags & MN_G_SYSTEM) || m->in_syscall || m->lockedg ||
        (atomic_load_explicit(&mn__stw_active, memory_order_relaxed) &&
         atomic_load_explicit(&mn__stw_owner, memory_order_relaxed) == p) ||
        !(atomic_load_explicit(&p->attn, memory_order_relaxed) & MN_ATTN_PREEMPT))
        goto out;
    ucontext_t *uc = uctx_;
    greg_t *r = uc->uc_mcontext.gregs;
    if (!pc_safe((uintptr_t)r[REG_RIP]))
        goto out;               /* sysmon retries at its next deadline */
    /* Below the red zone push the PC: as if the G had called
     * mn__async_preempt from where it was. Exactly 136 bytes down, so the
     * trampoline's `ret $128` restores the G's own rsp; it aligns for
     * itself. */
    uintptr_t sp = (uintptr_t)r[REG_RSP] - 128 - 8;
    *(uint64_t *)sp = (uint64_t)r[REG_RIP];
    r[REG_RSP] = (greg_t)sp;
    r[REG_RIP] = (greg_t)(uintptr_t)mn__async_preempt;
    MN_STAT_INC(p->st.async_preempts);
out:
    errno = saved;
}

/* Called by the trampoline on the preempted G's stack, registers saved. */
void mn__async_preempt_c(void)
{
    int saved_errno = errno;    /* the yield makes system calls of its own */
    mn_m *m = mn__getm();
    mn_g *g = m->curg;
    /* Resume on this M: it may hold pthread locks or cached TLS. */
    m->lockedg = g;
    g->lockedm = m;
    mn__preempt_yield(m);
    m = mn__getm();             /* the same M, by the lock */
    m->lockedg = NULL;
    g->lockedm = NULL;
    errno = saved_errno;
}

/* SIGURG is the runtime's signal: preemption, and wrappers retry the
 * EINTR it causes. On each M's alternate stack: G stacks are small. */
void mn__sigurg_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigurg;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, NULL);
}
