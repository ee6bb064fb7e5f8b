/* test_stack.c - stacks: every guard path catches an overflow and names
 * it; stacks are reused from the caches. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "internal.h"
#include "mnsched.h"
#include "testlib.h"

static volatile int sink;

static int kernel_has_guard_install(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = madvise(p, page, 102 /* MADV_GUARD_INSTALL */) == 0;
    munmap(p, 2 * page);
    return ok;
}

/* Recurses with 1 KiB frames, each written, `depth` times. */
static int __attribute__((noinline)) dig(int depth)
{
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i += 64)
        frame[i] = (char)depth;
    if (depth <= 0)
        return frame[0];
    return dig(depth - 1) + frame[512];
}

static int dig_depth;

static void overflow_g(void *arg)
{
    if (dig_depth) {
        sink = dig(dig_depth);
        return;
    }
    /* Canary: scribble across the bottom of the usable stack and into the
     * unguarded page below it, then exit normally. */
    char *lo = mn__getm()->curg->stack_lo;
    memset(lo - 256, 0xa5, 512);
}

static void overflow_main(void *arg)
{
    mn_spawn(overflow_g, NULL);
    for (int i = 0; i < 100; i++)
        mn_yield();
}

/* Runs an overflowing G in a child with the given guard; returns what the
 * child wrote on stderr, and checks that it aborted. */
static void expect_overflow(const char *guard, int depth, const char *extra)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        mn_config cfg;
        mn_config_default(&cfg);
        cfg.nprocs = 1;
        cfg.stack_guard = guard;
        cfg.stack_size = 64 << 10;
        dig_depth = depth;
        if (mn_run(&cfg, overflow_main, NULL))
            _exit(77);          /* the guard was refused */
        _exit(0);               /* not reached when the overflow is caught */
    }
    close(fds[1]);
    char buf[4096] = "";
    size_t got = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    close(fds[0]);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (!strcmp(guard, "madvise") && !kernel_has_guard_install()) {
        /* Forcing a guard the kernel lacks must be refused, by name. */
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 77);
        ASSERT_STR_CONTAINS(buf, "MADV_GUARD_INSTALL");
        return;
    }
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fprintf(stderr, "guard %s: child status %#x, stderr: %s\n", guard, status, buf);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGABRT);
    ASSERT_STR_CONTAINS(buf, "mnsched: stack overflow in G ");
    ASSERT_STR_CONTAINS(buf, "(stack 64 KiB");
    ASSERT_STR_CONTAINS(buf, "raise MN_STACK_SIZE");
    if (extra)
        ASSERT_STR_CONTAINS(buf, extra);
}

static void overflow_madvise(void)
{
    expect_overflow("madvise", 1 << 20, NULL);
}

static void overflow_mprotect(void)
{
    expect_overflow("mprotect", 1 << 20, NULL);
}

/* No guard page: overflow by a little (into the page below the usable
 * stack, which is mapped but unguarded), and be caught at exit. */
static void overflow_canary(void)
{
    expect_overflow("canary", 0, "detected by canary");
}

static void stacks_come_from_the_cache(void *arg)
{
    size_t alloc0, cached0, alloc1, cached1;
    mn_wg_t wg;
    for (int round = 0; round < 3; round++) {
        mn_wg_init(&wg);
        mn_wg_add(&wg, 1000);
        for (int i = 0; i < 1000; i++)
            mn_spawn((void (*)(void *))mn_wg_done, &wg);
        mn_wg_wait(&wg);
        if (round == 0)
            mn__stack_counts(&alloc0, &cached0);
    }
    mn__stack_counts(&alloc1, &cached1);
    ASSERT_EQ(alloc1, alloc0);          /* warm: no new stacks */
    ASSERT_TRUE(alloc1 <= 4);           /* each G ran to completion on a hot stack */
}

static void stack_reuse(void)
{
    mnt_run(1, NULL, stacks_come_from_the_cache, NULL);
}

MNT_MAIN(CASE(overflow_madvise), CASE(overflow_mprotect), CASE(overflow_canary),
         CASE(stack_reuse))
