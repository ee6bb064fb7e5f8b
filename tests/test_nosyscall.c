/* test_nosyscall.c - once warm, a steady spawn/exit loop makes no mapping
 * system call: stacks and G structures come from the caches. mmap,
 * munmap, mprotect and madvise are interposed and counted. Normal tree
 * only: the sanitizers intercept these calls themselves. */
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "mnsched.h"
#include "testlib.h"

static atomic_long nmap;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    atomic_fetch_add(&nmap, 1);
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
    atomic_fetch_add(&nmap, 1);
    return (int)syscall(SYS_munmap, addr, len);
}

int mprotect(void *addr, size_t len, int prot)
{
    atomic_fetch_add(&nmap, 1);
    return (int)syscall(SYS_mprotect, addr, len, prot);
}

int madvise(void *addr, size_t len, int advice)
{
    atomic_fetch_add(&nmap, 1);
    return (int)syscall(SYS_madvise, addr, len, advice);
}

static mn_wg_t wg;

static void leaf(void *arg)
{
    mn_wg_done(&wg);
}

static void round_of(int n)
{
    mn_wg_init(&wg);
    mn_wg_add(&wg, n);
    for (int i = 0; i < n; i++)
        mn_spawn(leaf, NULL);
    mn_wg_wait(&wg);
}

static void steady_main(void *arg)
{
    round_of(100000);           /* warm up: caches fill */
    long before = atomic_load(&nmap);
    for (int r = 0; r < 5; r++)
        round_of(100000);
    ASSERT_EQ(atomic_load(&nmap) - before, 0);
}

static void no_mmap_once_warm(void)
{
    long before = atomic_load(&nmap);
    mnt_run(1, NULL, steady_main, NULL);
    ASSERT_TRUE(atomic_load(&nmap) > before);   /* the counter does count */
}

MNT_MAIN(CASE(no_mmap_once_warm))
