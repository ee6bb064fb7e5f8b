/* lockthread.c - mn_lock_thread: wiring a G to its M (Go's LockOSThread).
 *
 * While locked, the G runs only on this M and the M runs only this G.
 * When the G waits (parks, yields, or returns from a system call without a
 * P), the M hands its P to another M and sleeps (stoplockedm, proc.c);
 * whichever M later picks the G hands its own P to the locked M and goes
 * idle (startlockedm). A locked G that exits unlocks its M. Calls nest
 * like Go's: not counted; one unlock undoes any number of locks.
 */
#include "internal.h"

void mn_lock_thread(void)
{
    mn_m *m = mn__getm();
    if (!m || !m->curg || (m->curg->flags & MN_G_SYSTEM))
        return;
    m->lockedg = m->curg;
    m->curg->lockedm = m;
}

void mn_unlock_thread(void)
{
    mn_m *m = mn__getm();
    if (!m || !m->curg || m->lockedg != m->curg)
        return;
    m->lockedg = NULL;
    m->curg->lockedm = NULL;
}
