/* test_g.c - G semantics: spawn, join, exit, yield order, mn_num_g, ids,
 * illegal transitions abort. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "internal.h"
#include "mnsched.h"
#include "mnsched/debug.h"
#include "testlib.h"

static void *ret_arg(void *arg)
{
    return (char *)arg + 1;
}

static void *exits_early(void *arg)
{
    mn_exit((void *)0x1234);
    return NULL;                /* not reached */
}

static void join_main(void *arg)
{
    mn_g *g = mn_spawn_joinable(ret_arg, (void *)100);
    ASSERT_TRUE(g != NULL);
    void *r = NULL;
    ASSERT_EQ(mn_join(g, &r), 0);
    ASSERT_EQ((uintptr_t)r, 101);
    /* joining a G that already finished */
    g = mn_spawn_joinable(exits_early, NULL);
    for (int i = 0; i < 10; i++)
        mn_yield();
    ASSERT_EQ(mn_join(g, &r), 0);
    ASSERT_EQ((uintptr_t)r, 0x1234);
    /* many joinable Gs, joined in reverse */
    enum { N = 1000 };
    static mn_g *gs[N];
    for (int i = 0; i < N; i++)
        gs[i] = mn_spawn_joinable(ret_arg, (void *)(uintptr_t)i);
    for (int i = N - 1; i >= 0; i--) {
        ASSERT_EQ(mn_join(gs[i], &r), 0);
        ASSERT_EQ((uintptr_t)r, i + 1);
    }
}

static void spawn_join_exit(void)
{
    mnt_run(1, NULL, join_main, NULL);
    mnt_run(2, NULL, join_main, NULL);
}

static int order[8], norder;

static void step(void *arg)
{
    int id = (int)(uintptr_t)arg;
    for (int i = 0; i < 2; i++) {
        order[norder++] = id * 10 + i;
        mn_yield();
    }
}

/* On one P, yields round-robin through the runnable Gs in FIFO order. */
static void yield_main(void *arg)
{
    norder = 0;
    mn_wg_t wg;
    mn_wg_init(&wg);
    for (int i = 1; i <= 3; i++)
        mn_spawn(step, (void *)(uintptr_t)i);
    while (mn_num_g() > 1)
        mn_yield();
}

static void yield_order(void)
{
    mnt_run(1, NULL, yield_main, NULL);
    ASSERT_EQ(norder, 6);
    /* spawn puts the newest in runnext: 3 runs first, then 1, 2 in order */
    int want[] = { 30, 10, 20, 31, 11, 21 };
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(order[i], want[i]);
}

static void blocker(void *arg)
{
    mn_sema_acquire(arg);
}

static void num_g_main(void *arg)
{
    ASSERT_EQ(mn_num_g(), 1);
    ASSERT_EQ(mn_self_p(), 0);
    ASSERT_EQ(mn_nprocs(), 1);
    mn_sema_t s;
    mn_sema_init(&s, 0);
    for (int i = 0; i < 50; i++)
        mn_spawn(blocker, &s);
    ASSERT_EQ(mn_num_g(), 51);
    for (int i = 0; i < 50; i++)
        mn_sema_release(&s);
    while (mn_num_g() > 1)
        mn_yield();
    ASSERT_EQ(mn_num_g(), 1);
    uint64_t a = mn_self_id();
    ASSERT_TRUE(a > 0);
}

static void num_g(void)
{
    mnt_run(1, NULL, num_g_main, NULL);
}

static void api_outside_a_g(void)
{
    ASSERT_EQ(mn_spawn(blocker, NULL), -EPERM);
    ASSERT_EQ(mn_self_p(), -1);
    mn_yield();                 /* harmless outside */
    ASSERT_STR_CONTAINS(mn_strerror(-EPIPE), "closed");
}

static void bad_join_main(void *arg)
{
    ASSERT_EQ(mn_join(NULL, NULL), -EINVAL);
}

static void bad_join(void)
{
    mnt_run(1, NULL, bad_join_main, NULL);
}

/* mn_run again and again, with Gs left blocked forever at the end. */
static void leftover_main(void *arg)
{
    static mn_sema_t s;
    mn_sema_init(&s, 0);
    for (int i = 0; i < 100; i++)
        mn_spawn(blocker, &s);
    mn_yield();
}

static void run_again(void)
{
    for (int i = 0; i < 5; i++)
        mnt_run(1 + i % 2, NULL, leftover_main, NULL);
}

static void illegal_transition_aborts(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd[2];
        (void)!pipe(fd);
        dup2(fd[1], 2);
        mn_g g;
        memset(&g, 0, sizeof g);
        atomic_store(&g.status, MN_G_DEAD);
        mn__g_setstatus(&g, MN_G_DEAD, MN_G_RUNNING);
        _exit(0);
    }
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static mn_wg_t big_wg;
static void done(void *arg)
{
    mn_wg_done(&big_wg);
}

static void many_main(void *arg)
{
    int n = SCALED(100000);
    for (int round = 0; round < 3; round++) {
        mn_wg_init(&big_wg);
        mn_wg_add(&big_wg, n);
        for (int i = 0; i < n; i++)
            ASSERT_EQ(mn_spawn(done, NULL), 0);
        mn_wg_wait(&big_wg);
    }
    /* The last G called mn_wg_done and may not have exited yet (on
     * another P): wait for it, by state. */
    for (int i = 0; i < 100000 && mn_num_g() > 1; i++)
        mn_sleep_ns(100000);
    ASSERT_EQ(mn_num_g(), 1);
}

/* 100,000 spawns, three times: everything is returned (LSan checks the
 * ASan tree) and the count comes back to 1. */
static void hundred_thousand_spawns(void)
{
    mnt_run(1, NULL, many_main, NULL);
    mnt_run(2, NULL, many_main, NULL);
}

static mn_sema_t dbg_sema;

static void dbg_blocker(void *arg)
{
    mn_sema_acquire(&dbg_sema);
}

static void debug_main(void *arg)
{
    /* injected allocation failures: -ENOMEM, and nothing half-made */
    size_t before = mn_num_g();
    ASSERT_EQ(mn_debug_inject("alloc", 2), 0);
    int fails = 0;
    for (int i = 0; i < 10; i++)
        if (mn_spawn(dbg_blocker, NULL) == -ENOMEM)
            fails++;
    ASSERT_EQ(mn_debug_inject("alloc", 0), 0);
    ASSERT_EQ(fails, 5);
    ASSERT_EQ(mn_num_g(), before + 5);
    ASSERT_EQ(mn_debug_inject("gremlins", 1), -EINVAL);
    for (int i = 0; i < 20; i++)
        mn_yield();             /* let the five block */
    mn_debug_kick();            /* spurious wake-ups and signals: harmless */
    mn_stop_the_world();
    mn_debug_counts c;
    mn_debug_counts_get(&c);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    size_t lines = mn_debug_dump(f);
    fclose(f);
    mn_start_the_world();
    ASSERT_EQ(c.stacks_allocated, c.stacks_cached + c.stacks_live);
    ASSERT_LE(c.cache_max, c.cache_bound);
    ASSERT_EQ(c.gs_live, 6);            /* five blocked and the main G */
    ASSERT_EQ(lines, 6);
    ASSERT_STR_CONTAINS(buf, "waiting for semaphore");
    for (int i = 0; i < 5; i++)
        mn_sema_release(&dbg_sema);
    while (mn_num_g() > before)
        mn_yield();
}

static void debug_hooks(void)
{
    mn_sema_init(&dbg_sema, 0);
    mnt_run(1, NULL, debug_main, NULL);
    mnt_run(2, NULL, debug_main, NULL);
}

MNT_MAIN(CASE(spawn_join_exit), CASE(yield_order), CASE(num_g), CASE(api_outside_a_g),
         CASE(bad_join), CASE(run_again), CASE(illegal_transition_aborts),
         CASE(hundred_thousand_spawns), CASE(debug_hooks))
