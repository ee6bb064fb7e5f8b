/* spin.c - the two low-level waits: a spinlock for sections of a few
 * instructions, and futex wait/wake for Ms that sleep. */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

void mn__spin_lock(mn_spin *l)
{
    for (int spins = 0;; spins++) {
        /* acquire: pairs with the release in mn__spin_unlock */
        if (atomic_load_explicit(l, memory_order_relaxed) == 0 &&
            !atomic_exchange_explicit(l, 1, memory_order_acquire))
            return;
        if (spins < 64)
            __builtin_ia32_pause();
        else
            sched_yield();      /* the holder may have been descheduled */
    }
}

void mn__futex_wait(atomic_uint *addr, unsigned val, const struct timespec *timeout)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, timeout, NULL, 0);
}

void mn__futex_wake(atomic_uint *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}
