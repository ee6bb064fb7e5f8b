/* test_syscall.c - system calls, sysmon, timers, locked threads: a G
 * blocked in the kernel does not stop the others; every way out of a system
 * call; wrappers retry runtime signals; timers in deadline order;
 * MN_SCHEDTRACE; MN_MAX_THREADS. */
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mnsched.h"
#include "testlib.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A plain thread that writes one byte to fd after ms. */
struct delayed { int fd; int ms; pthread_t t; };
static void *delayed_write(void *arg)
{
    struct delayed *d = arg;
    struct timespec ts = { d->ms / 1000, (long)(d->ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    (void)!write(d->fd, "x", 1);
    return NULL;
}
static void write_later(struct delayed *d, int fd, int ms)
{
    d->fd = fd;
    d->ms = ms;
    pthread_create(&d->t, NULL, delayed_write, d);
}

static atomic_long progress;
static atomic_int stop;
static mn_wg_t wg;

static void worker(void *arg)
{
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&progress, 1);
        mn_yield();
    }
    mn_wg_done(&wg);
}

/* One P: a G blocked 200 ms in read() leaves the P to the others. */
static void blocked_read_main(void *arg)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    atomic_store(&progress, 0);
    atomic_store(&stop, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 1);
    mn_spawn(worker, NULL);
    struct delayed d;
    write_later(&d, fds[1], 200);
    char c;
    uint64_t t0 = now_ns();
    ASSERT_EQ(mn_read(fds[0], &c, 1), 1);
    ASSERT_TRUE(now_ns() - t0 >= 190000000u);
    ASSERT_TRUE(atomic_load(&progress) > 1000);     /* the worker ran meanwhile */
    static mn_sched_stats st;   /* large: not on a 64 KiB G stack */
    mn_stats(&st);
    ASSERT_TRUE(st.p[0].handoffs >= 1);
    ASSERT_TRUE(st.threads >= 2);
    atomic_store(&stop, 1);
    mn_wg_wait(&wg);
    pthread_join(d.t, NULL);
    close(fds[0]);
    close(fds[1]);
}

static void blocked_read_one_p(void)
{
    mnt_run(1, NULL, blocked_read_main, NULL);
}

/* Exit path 1: a short call keeps its own P, nothing handed over. */
static void own_p_main(void *arg)
{
    static mn_sched_stats a, b;   /* large: not on a 64 KiB G stack */
    mn_stats(&a);
    for (int i = 0; i < 1000; i++) {
        mn_syscall_enter();
        (void)getppid();
        mn_syscall_exit();
    }
    mn_stats(&b);
    ASSERT_EQ(mn_self_p(), 0);
    ASSERT_LE(b.p[0].handoffs - a.p[0].handoffs, 5);   /* sysmon may catch a preempted one */
}

static void exit_own_p(void)
{
    mnt_run(1, NULL, own_p_main, NULL);
}

/* Exit path 2: the old P is busy, another is idle: take that one. */
static void blocker_on_p0(void *arg)
{
    int *fd = arg;
    char c;
    ASSERT_EQ(mn_self_p(), 0);
    ASSERT_EQ(mn_read(fd[0], &c, 1), 1);
    fd[2] = mn_self_p();
    atomic_store(&stop, 1);
    mn_wg_done(&wg);
}

static void hog_p0(void *arg)
{
    while (!atomic_load(&stop))
        mn_yield();             /* keeps P0 busy (NOMIGRATE holds it there) */
    mn_wg_done(&wg);
}

static void other_p_main(void *arg)
{
    int fd[3];
    ASSERT_EQ(pipe(fd), 0);
    atomic_store(&stop, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 2);
    struct delayed d;
    write_later(&d, fd[1], 100);
    mn_spawn_on(0, 0, blocker_on_p0, fd);
    mn_spawn_on(0, MN_NOMIGRATE, hog_p0, NULL);
    mn_wg_wait(&wg);
    ASSERT_EQ(fd[2], 1);        /* came back on the idle P */
    pthread_join(d.t, NULL);
    close(fd[0]);
    close(fd[1]);
}

static void exit_other_p(void)
{
    mnt_run(2, NULL, other_p_main, NULL);
}

/* Exit path 3: no P free: the G waits in its P's inbox and still runs. */
static void blocker_busy(void *arg)
{
    int *fd = arg;
    char c;
    ASSERT_EQ(mn_read(fd[0], &c, 1), 1);
    fd[2] = mn_self_p();
    atomic_store(&stop, 1);
    mn_wg_done(&wg);
}

static void no_p_main(void *arg)
{
    int fd[3];
    ASSERT_EQ(pipe(fd), 0);
    atomic_store(&stop, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 2);
    struct delayed d;
    write_later(&d, fd[1], 100);
    mn_spawn(blocker_busy, fd);
    mn_spawn(hog_p0, NULL);
    mn_wg_wait(&wg);
    ASSERT_EQ(fd[2], 0);
    pthread_join(d.t, NULL);
    close(fd[0]);
    close(fd[1]);
}

static void exit_no_p(void)
{
    mnt_run(1, NULL, no_p_main, NULL);
}

/* ---- locked threads --------------------------------------------------------- */

static mn_chan_t *lc;

static void locked_g(void *arg)
{
    mn_lock_thread();
    pid_t tid = gettid();
    int v;
    for (int i = 0; i < SCALED(2000); i++) {
        if (i % 3 == 0)
            mn_yield();
        else if (i % 3 == 1)
            mn_chan_recv(lc, &v);
        else
            mn_sleep_ns(10000);
        ASSERT_EQ(gettid(), tid);
    }
    mn_unlock_thread();
    atomic_store(&stop, 1);
    mn_wg_done(&wg);
}

static void feeder(void *arg)
{
    int v = 0;
    for (int i = 0; i < SCALED(2000) / 3 + 1; i++)
        mn_chan_send(lc, &v);
    mn_wg_done(&wg);
}

static void locked_main(void *arg)
{
    lc = mn_chan_make(sizeof(int), 0);
    atomic_store(&stop, 0);
    atomic_store(&progress, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 3);
    mn_spawn(locked_g, NULL);
    mn_spawn(feeder, NULL);
    mn_spawn(worker, NULL);
    mn_wg_wait(&wg);
    ASSERT_TRUE(atomic_load(&progress) > 0);
    mn_chan_free(lc);
}

static void locked_g_never_moves(void)
{
    mnt_run(1, NULL, locked_main, NULL);
    mnt_run(2, NULL, locked_main, NULL);
}

/* ---- timers ----------------------------------------------------------------- */

static int order[16];
static atomic_int norder;

static void sleeper(void *arg)
{
    int i = (int)(intptr_t)arg;
    mn_sleep_ns((uint64_t)(i + 1) * 3000000u);
    order[atomic_fetch_add(&norder, 1)] = i;
    mn_wg_done(&wg);
}

static void timers_main(void *arg)
{
    atomic_store(&norder, 0);
    mn_wg_init(&wg);
    mn_wg_add(&wg, 10);
    for (int i = 9; i >= 0; i--)        /* spawned in reverse */
        mn_spawn(sleeper, (void *)(intptr_t)i);
    uint64_t t0 = now_ns();
    mn_wg_wait(&wg);
    ASSERT_TRUE(now_ns() - t0 >= 30000000u);
    for (int i = 0; i < 10; i++)
        ASSERT_EQ(order[i], i);
    uint64_t t = now_ns();
    mn_sleep_ns(5000000);
    ASSERT_TRUE(now_ns() - t >= 5000000u);
}

static void timers_in_deadline_order(void)
{
    mnt_run(1, NULL, timers_main, NULL);
    mnt_run(2, NULL, timers_main, NULL);
    mnt_run(2, "lifo", timers_main, NULL);
}

/* ---- signals and wrappers ---------------------------------------------------- */

static atomic_int sleeper_tid;

static void *kicker(void *arg)
{
    int sig = (int)(intptr_t)arg;
    while (!atomic_load(&sleeper_tid))
        ;
    struct timespec ts = { 0, 20000000 };
    nanosleep(&ts, NULL);
    syscall(SYS_tgkill, getpid(), atomic_load(&sleeper_tid), sig);
    return NULL;
}

static void usr1(int sig) { }

static void nanosleep_main(void *arg)
{
    /* SIGURG, the runtime's signal: the sleep goes on for its full time. */
    atomic_store(&sleeper_tid, 0);
    pthread_t k;
    pthread_create(&k, NULL, kicker, (void *)(intptr_t)SIGURG);
    struct timespec req = { 0, 100000000 };
    atomic_store(&sleeper_tid, gettid());
    uint64_t t0 = now_ns();
    ASSERT_EQ(mn_nanosleep(&req, NULL), 0);
    ASSERT_TRUE(now_ns() - t0 >= 100000000u);
    pthread_join(k, NULL);
    /* Another signal: EINTR, with the time left and errno kept. */
    struct sigaction sa = { .sa_handler = usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    atomic_store(&sleeper_tid, 0);
    pthread_create(&k, NULL, kicker, (void *)(intptr_t)SIGUSR1);
    struct timespec rem = { 0, 0 };
    atomic_store(&sleeper_tid, gettid());
    errno = 0;
    ASSERT_EQ(mn_nanosleep(&req, &rem), -1);
    ASSERT_EQ(errno, EINTR);
    ASSERT_TRUE(rem.tv_nsec > 0 && rem.tv_nsec < 100000000);
    pthread_join(k, NULL);
    signal(SIGUSR1, SIG_DFL);
    /* errno survives a wrapper that fails */
    errno = 0;
    char c;
    ASSERT_EQ(mn_read(-1, &c, 1), -1);
    ASSERT_EQ(errno, EBADF);
}

static void interrupted_nanosleep_sleeps_full_time(void)
{
    mnt_run(1, NULL, nanosleep_main, NULL);
}

/* ---- MN_SCHEDTRACE and MN_MAX_THREADS, in children ----------------------------- */

static void spin_300ms(void *arg)
{
    uint64_t end = now_ns() + 300000000u;
    while (now_ns() < end)
        mn_sleep_ns(1000000);
}

static int child_stderr(void (*fn)(void), char *buf, size_t size)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + got, size - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return status;
}

static void trace_child(void)
{
    setenv("MN_SCHEDTRACE", "50ms", 1);
    setenv("MN_PROCS", "2", 1);
    mn_run(NULL, spin_300ms, NULL);
}

static void schedtrace_lines_parse(void)
{
    char buf[16384];
    int status = child_stderr(trace_child, buf, sizeof buf);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    regex_t re;
    ASSERT_EQ(regcomp(&re, "^SCHED [0-9]+ms: procs=2 idleprocs=[0-2] threads=[0-9]+ spinning=[0-9]+ "
                           "idlethreads=[0-9]+ runqueue=[0-9]+ \\[[0-9]+ [0-9]+\\]$",
                      REG_EXTENDED | REG_NOSUB), 0);
    int lines = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (regexec(&re, line, 0, NULL, 0))
            fprintf(stderr, "bad line: %s\n", line);
        ASSERT_EQ(regexec(&re, line, 0, NULL, 0), 0);
        lines++;
    }
    regfree(&re);
    ASSERT_TRUE(lines >= 3 && lines <= 8);     /* 300 ms at 50 ms */
}

static int never[2];

static void stuck(void *arg)
{
    char c;
    mn_read(never[0], &c, 1);
}

static void threads_main(void *arg)
{
    for (int i = 0; i < 4; i++)
        mn_spawn(stuck, NULL);
    for (int i = 0; i < 1000; i++)
        mn_sleep_ns(100000);
}

static void max_threads_child(void)
{
    (void)!pipe(never);
    mn_config cfg;
    mn_config_default(&cfg);
    cfg.nprocs = 1;
    cfg.max_threads = 3;
    mn_run(&cfg, threads_main, NULL);
}

static void max_threads_is_a_clear_error(void)
{
    char buf[4096];
    int status = child_stderr(max_threads_child, buf, sizeof buf);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    ASSERT_STR_CONTAINS(buf, "MN_MAX_THREADS=3 reached");
}

MNT_MAIN(CASE(blocked_read_one_p), CASE(exit_own_p), CASE(exit_other_p), CASE(exit_no_p),
         CASE(locked_g_never_moves), CASE(timers_in_deadline_order),
         CASE(interrupted_nanosleep_sleeps_full_time), CASE(schedtrace_lines_parse),
         CASE(max_threads_is_a_clear_error))
