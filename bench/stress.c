/* stress.c - `mnbench stress`: the command. Options, the run's first G,
 * the watchdog and kicker threads, the report and the results folder; the
 * operations are in stress_ops.c, the lifecycle of a run in stress.h. */
#include "stress.h"
#include "cli.h"
#include "machine.h"
#include "parse.h"
#include "plan.h"
#include "results.h"
#include "runner.h"
#include "mnsched/debug.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEC_NS          INT64_C(1000000000)
#define DAY_NS          (86400 * SEC_NS)
#define STALL_NS        (5 * SEC_NS)    /* no step of any G for this long: stuck */
#define OP_BOUND_NS     (10 * SEC_NS)   /* one worker operation for this long: stuck */
#define WATCH_GAP_NS    SEC_NS          /* the watchdog itself did not run: not counted */
#define DUMP_WAIT_NS    (2 * SEC_NS)    /* for the dumper G to stop the world */
#define NUMG_WAIT_NS    (5 * SEC_NS)    /* for mn_num_g to settle at the end */
#define ALLOC_EVERY     50              /* --inject alloc: every 50th spawn fails */
#define MAX_WEIGHT      1000

mns_state mns = {
    .inv = {
        [MNS_INV_SPAWN] = { .name = "spawn", .what = "every spawned G ran exactly once and returned" },
        [MNS_INV_CHAN] = { .name = "channels", .what = "every message sent was received exactly "
                           "once (counts and checksums per channel)" },
        [MNS_INV_MUTEX] = { .name = "mutex", .what = "a mutex never had two owners" },
        [MNS_INV_SEMA] = { .name = "sema", .what = "a semaphore never had more holders than units" },
        [MNS_INV_TIMER] = { .name = "timers", .what = "no mn_sleep_ns or mn_nanosleep returned early" },
        [MNS_INV_SYSCALL] = { .name = "syscalls", .what = "mn_read on a pipe returned what mn_write "
                              "wrote" },
        [MNS_INV_LOCKED] = { .name = "locked", .what = "a locked G stayed on its thread" },
        [MNS_INV_STW] = { .name = "stw", .what = "no other G ran while the world was stopped" },
        [MNS_INV_STACKS] = { .name = "stacks", .what = "stacks allocated == cached + live, caches "
                             "within their bound (world stopped)" },
        [MNS_INV_NUMG] = { .name = "num_g", .what = "mn_num_g returned to its baseline" },
        [MNS_INV_WATCHDOG] = { .name = "watchdog", .what = "no G waited forever (a step every 5 s, "
                               "each operation under 10 s)" },
    },
};

/* A hog lasts about a slice, ~25 times the other operations: at these
 * weights it takes about a quarter of the workers' time. */
static const unsigned default_mix[MNS_NKINDS] = {
    [MNS_SPAWN] = 10, [MNS_YIELD] = 10, [MNS_CHAN] = 10, [MNS_MUTEX] = 8, [MNS_SEMA] = 8,
    [MNS_SLEEP] = 8, [MNS_SYSCALL] = 8, [MNS_HOG] = 1, [MNS_STW] = 2, [MNS_LOCK] = 4,
};
#define DEFAULT_MIX "spawn=10,yield=10,chan=10,mutex=8,sema=8,sleep=8,syscall=8,hog=1,stw=2,lock=4"

/* Unless --timeslice or MN_TIMESLICE says otherwise: ten times the
 * runtime's default, so that hogs are preempted often. */
#define STRESS_SLICE_NS 1000000

/* One sample metric per kind, and the total: operations per second. */
static const mnb_metric metrics[MNS_NKINDS + 1] = {
    [MNS_SPAWN] = { "spawn", "ops/s", MNB_HIGHER, MNB_SAMPLE,
                    "a tree of 1-84 Gs spawned (detached or joinable, here or on any P) and finished" },
    [MNS_YIELD] = { "yield", "ops/s", MNB_HIGHER, MNB_SAMPLE, "1-8 mn_yield calls" },
    [MNS_CHAN] = { "chan", "ops/s", MNB_HIGHER, MNB_SAMPLE,
                   "a token ring of 2-6 Gs (1-32 rounds), or 1-200 values fanned out to 1-4 Gs "
                   "and in again" },
    [MNS_MUTEX] = { "mutex", "ops/s", MNB_HIGHER, MNB_SAMPLE, "a shared mutex taken (or tried) and released" },
    [MNS_SEMA] = { "sema", "ops/s", MNB_HIGHER, MNB_SAMPLE, "a shared semaphore unit acquired and released" },
    [MNS_SLEEP] = { "sleep", "ops/s", MNB_HIGHER, MNB_SAMPLE, "one mn_sleep_ns of 1 us to 2 ms" },
    [MNS_SYSCALL] = { "syscall", "ops/s", MNB_HIGHER, MNB_SAMPLE,
                      "an mn_nanosleep of 10-500 us, or a blocking mn_read of bytes another G writes" },
    [MNS_HOG] = { "hog", "ops/s", MNB_HIGHER, MNB_SAMPLE,
                  "a spin of half a time slice to two (at most 20 ms) without yielding" },
    [MNS_STW] = { "stw", "ops/s", MNB_HIGHER, MNB_SAMPLE, "a stop-the-world, stacks counted inside" },
    [MNS_LOCK] = { "lock", "ops/s", MNB_HIGHER, MNB_SAMPLE,
                   "mn_lock_thread, 1-6 waits on the locked thread, mn_unlock_thread" },
    [MNS_NKINDS] = { "total", "ops/s", MNB_HIGHER, MNB_SAMPLE, "every operation" },
};

static const mnb_bench stress_bench = {
    .name = "stress",
    .summary = "a seeded random mix of runtime operations, checked against invariants",
    .metrics = metrics,
    .nmetrics = MNS_NKINDS + 1,
};

/* The command line, as parsed. */
typedef struct sopts {
    int argc;
    char **argv;
    bool *is_seed;              /* per argv index: --seed or its value (left out of replays) */
    const char *results_dir, *label;
    bool quiet;
    int64_t workers;
} sopts;

/* The run besides mns: what the report and the files need. */
static struct {
    sopts o;
    mnb_plan plan;              /* one configuration, "stress" */
    mnb_opts mo;                /* for run.json's options and command line */
    mnb_run_info info;
    char *folder;
    bool ran;                   /* mn_run started the first G */
    bool progress;              /* a progress line on stderr */
    atomic_int shown;           /* the progress line is on screen (mns_fail reads it) */
    size_t baseline;
    uint64_t preempts, async_preempts, threads;
    atomic_int reporting;       /* the report is written once: the end of the run or the watchdog */
    pthread_t watchdog, kicker;
    atomic_int watchdog_quit, kicker_quit, dumper_quit, dump_req, dump_done;
    uint64_t rng;               /* the first G's stream */
} S;

uint64_t mns_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * (uint64_t)SEC_NS + (uint64_t)ts.tv_nsec;
}

/* splitmix64: a stream per index, each value a step of it. */
uint64_t mns_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t mns_stream(uint64_t seed, uint64_t index)
{
    uint64_t s = seed ^ (index * 0xd1b54a32d192ed03ull);

    return mns_next(&s);
}

void mns_fail(int inv, const char *fmt, ...)
{
    mns_inv_state *s = &mns.inv[inv];
    va_list ap;

    atomic_fetch_add(&s->fails, 1);
    if (atomic_exchange(&s->claimed, 1))
        return;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
    /* store-release: pairs with the load-acquire in the report */
    atomic_store_explicit(&s->detail_ready, 1, memory_order_release);
    fprintf(stderr, "%smnbench: stress: %s: FAIL: %s\n", atomic_load(&S.shown) ? "\n" : "",
            s->name, s->detail);
}

/* --- options ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("Usage: mnbench stress [options]\n"
          "\n"
          "Runs a random mix of runtime operations on every P for a while, and checks as\n"
          "it goes and at the end that every spawned G ran exactly once, every message\n"
          "sent was received once, a mutex never had two owners nor a semaphore more\n"
          "holders than units, no sleep returned early, pipes returned what was written,\n"
          "a locked G stayed on its thread, nothing ran while the world was stopped,\n"
          "stacks allocated == cached + live, mn_num_g returned to its baseline, and no\n"
          "G waited forever (a watchdog thread stops the world and lists the Gs). The\n"
          "seed is printed first; each worker G draws from its own stream of it, so a\n"
          "seed replays the same operations (the interleaving is the scheduler's).\n"
          "Writes run.json and summary.csv (operations per second by kind) like a run.\n"
          "\n"
          "Options:\n"
          "  --duration D       how long the workers draw operations (default 30s; 100ms\n"
          "                     to 1 day, with a unit ns, us, ms or s)\n"
          "  --seed N           the seed, 0 to 2^64-1 (default: from the clock)\n"
          "  --mix K=W,...      the kinds drawn and their weights 0-1000; kinds not named\n"
          "                     are not drawn; default:\n"
          "                     " DEFAULT_MIX "\n"
          "  --inject F,...     faults: alloc or alloc=N (every Nth spawn fails with ENOMEM;\n"
          "                     default 50); wake, signal (both start a thread calling\n"
          "                     mn_debug_kick every 10-500 us: spurious wake-ups of parked\n"
          "                     Ms, and SIGURG to every M wherever it is; not in the\n"
          "                     TSan build)\n"
          "  --workers N        worker Gs, 1-256, each with a pipe (default 4 per P)\n"
          "  --procs N          Ps (MN_PROCS)\n"
          "  --placement P      as for mnbench run (MN_PLACEMENT)\n"
          "  --queue Q          fifo or lifo (MN_QUEUE)\n"
          "  --timeslice D      the time slice, or off (MN_TIMESLICE; default here 1ms,\n"
          "                     so that hogs are preempted often)\n"
          "  --preempt M        signal, cooperative or off (MN_PREEMPT)\n"
          "  --results-dir DIR  where the run's folder is made (default results)\n"
          "  --label NAME       the folder's label (default stress)\n"
          "  -q, --quiet        no progress line\n"
          "  -h, --help         this text\n"
          "\n"
          "Kinds: spawn (trees of Gs), yield, chan (rings, fan-out/fan-in), mutex, sema,\n"
          "sleep (mn_sleep_ns), syscall (mn_read on pipes, mn_nanosleep), hog (spins past\n"
          "its slice), stw (stop the world), lock (mn_lock_thread).\n"
          "\n"
          "Exit status: 0 every invariant held; 1 one failed (the report names it, with\n"
          "the seed and the command that replays the run); 2 bad input; 130 interrupted.\n",
          f);
}

enum {
    O_DURATION = 256, O_SEED, O_MIX, O_INJECT, O_WORKERS, O_PROCS, O_PLACEMENT, O_QUEUE,
    O_TIMESLICE, O_PREEMPT, O_RESULTS_DIR, O_LABEL, O_LOSE,
};

static const struct option longopts[] = {
    { "duration", required_argument, NULL, O_DURATION },
    { "seed", required_argument, NULL, O_SEED },
    { "mix", required_argument, NULL, O_MIX },
    { "inject", required_argument, NULL, O_INJECT },
    { "workers", required_argument, NULL, O_WORKERS },
    { "procs", required_argument, NULL, O_PROCS },
    { "placement", required_argument, NULL, O_PLACEMENT },
    { "queue", required_argument, NULL, O_QUEUE },
    { "timeslice", required_argument, NULL, O_TIMESLICE },
    { "preempt", required_argument, NULL, O_PREEMPT },
    { "results-dir", required_argument, NULL, O_RESULTS_DIR },
    { "label", required_argument, NULL, O_LABEL },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    /* Tests only: drop one received message, to show the checker sees it. */
    { "test-lose-message", no_argument, NULL, O_LOSE },
    { NULL, 0, NULL, 0 },
};

#define OPTIONS_ALLOWED "--duration, --seed, --mix, --inject, --workers, --procs, " \
    "--placement, --queue, --timeslice, --preempt, --results-dir, --label, --quiet, --help"

static const char *kinds_allowed(void)
{
    static char buf[128];
    size_t n = 0;

    for (int k = 0; k < MNS_NKINDS && n < sizeof buf; k++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", k ? ", " : "", mns_kind_names[k]);
    return buf;
}

static void parse_mix(const char *arg)
{
    char **items;
    int n;
    bool seen[MNS_NKINDS] = { false };

    if (mnb_split(arg, &items, &n) < 0)
        mnb_usage_error("stress --mix '%s': empty list or empty item; allowed: KIND=WEIGHT,... "
                        "with kinds %s", arg, kinds_allowed());
    memset(mns.weight, 0, sizeof mns.weight);
    for (int i = 0; i < n; i++) {
        char *eq = strchr(items[i], '=');
        int64_t w;
        int k;
        if (eq)
            *eq = '\0';
        for (k = 0; k < MNS_NKINDS && strcmp(items[i], mns_kind_names[k]) != 0; k++)
            ;
        if (k == MNS_NKINDS)
            mnb_usage_error("stress --mix %s: unknown kind '%s'; allowed: %s", arg, items[i],
                            kinds_allowed());
        if (!eq || mnb_parse_int(eq + 1, &w) < 0 || w < 0 || w > MAX_WEIGHT)
            mnb_usage_error("stress --mix %s: %s needs a weight; allowed: %s=W with W an "
                            "integer 0 to %d", arg, items[i], items[i], MAX_WEIGHT);
        if (seen[k])
            mnb_usage_error("stress --mix %s: %s given twice; allowed: each kind once", arg,
                            items[i]);
        seen[k] = true;
        mns.weight[k] = (unsigned)w;
    }
    mnb_split_free(items, n);
}

static void parse_inject(const char *arg)
{
    char **items;
    int n;

    if (mnb_split(arg, &items, &n) < 0)
        mnb_usage_error("stress --inject '%s': empty list or empty item; allowed: alloc, "
                        "alloc=N, wake, signal", arg);
    for (int i = 0; i < n; i++) {
        int64_t every;
        if (strcmp(items[i], "alloc") == 0) {
            mns.alloc_every = ALLOC_EVERY;
        } else if (strncmp(items[i], "alloc=", 6) == 0) {
            if (mnb_parse_int(items[i] + 6, &every) < 0 || every < 1 || every > 1000000000)
                mnb_usage_error("stress --inject %s: alloc=%s: not a count; allowed: alloc=N "
                                "with N 1 to 1000000000 (every Nth spawn fails)", arg, items[i] + 6);
            mns.alloc_every = (unsigned)every;
        } else if (strcmp(items[i], "wake") == 0 || strcmp(items[i], "signal") == 0) {
#ifdef MN_TSAN
            /* TSan defers a signal and handles it later on whatever stack
             * runs: on a G's fiber it crashes in ProcessPendingSignals. */
            mnb_usage_error("stress --inject %s: %s: mn_debug_kick sends SIGURG, which the TSan "
                            "build cannot take on a G; allowed in this build: alloc, alloc=N",
                            arg, items[i]);
#endif
            mns.kick = true;
        } else {
            mnb_usage_error("stress --inject %s: unknown fault '%s'; allowed: alloc, alloc=N, "
                            "wake, signal", arg, items[i]);
        }
    }
    mnb_split_free(items, n);
}

static uint64_t parse_seed(const char *arg)
{
    unsigned long long v;
    char *end;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end || errno)
        mnb_usage_error("stress --seed %s: not a seed; allowed: an integer 0 to "
                        "18446744073709551615", arg);
    return v;
}

static int64_t parse_count(const char *opt, const char *arg, int64_t lo, int64_t hi)
{
    int64_t v;

    if (mnb_parse_int(arg, &v) < 0 || v < lo || v > hi)
        mnb_usage_error("stress --%s %s: not an integer in range; allowed: %lld to %lld", opt,
                        arg, (long long)lo, (long long)hi);
    return v;
}

static const char *parse_word(const char *opt, const char *arg, const char *const *words,
                              const char *allowed)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(arg, words[i]) == 0)
            return words[i];
    mnb_usage_error("stress --%s %s: unknown value; allowed: %s", opt, arg, allowed);
}

static void parse_option(int c, const char *arg, mn_config *cfg)
{
    static const char *const queues[] = { "fifo", "lifo", NULL };
    static const char *const modes[] = { "signal", "cooperative", "off", NULL };
    int64_t v;

    switch (c) {
    case O_DURATION:
        if (mnb_parse_duration(arg, &v) < 0 || v < SEC_NS / 10 || v > DAY_NS)
            mnb_usage_error("stress --duration %s: not a duration from 100ms to 1 day; allowed: "
                            "a number with a unit ns, us, ms or s (30s, 500ms)", arg);
        mns.duration_ns = (uint64_t)v;
        break;
    case O_SEED: mns.seed = parse_seed(arg); break;
    case O_MIX: parse_mix(arg); break;
    case O_INJECT: parse_inject(arg); break;
    case O_WORKERS: S.o.workers = parse_count("workers", arg, 1, 256); break;
    case O_PROCS: cfg->nprocs = (int)parse_count("procs", arg, 1, MN_MAX_PROCS); break;
    case O_PLACEMENT:
        if (!*arg)
            mnb_usage_error("stress --placement '': empty; allowed: a placement policy "
                            "(mnbench --help)");
        cfg->placement = arg;
        break;
    case O_QUEUE: cfg->queue = parse_word("queue", arg, queues, "fifo, lifo"); break;
    case O_PREEMPT:
        cfg->preempt_mode = parse_word("preempt", arg, modes, "signal, cooperative, off");
        break;
    case O_TIMESLICE:
        if (strcmp(arg, "off") == 0)
            v = 0;
        else if (mnb_parse_duration(arg, &v) < 0 || v > DAY_NS)
            mnb_usage_error("stress --timeslice %s: not a duration; allowed: a number with a "
                            "unit ns, us, ms or s (10ms), or off", arg);
        cfg->timeslice_ns = (uint64_t)v;
        break;
    case O_RESULTS_DIR:
    case O_LABEL:
        if (!*arg)
            mnb_usage_error("stress --%s '': empty; allowed: a %s", c == O_LABEL ? "label" :
                            "results-dir", c == O_LABEL ? "label such as nightly" : "directory");
        *(c == O_LABEL ? &S.o.label : &S.o.results_dir) = arg;
        break;
    case O_LOSE: mns.lose_one = true; break;
    case 'q': S.o.quiet = true; break;
    }
}

/* argv[1] is "stress". Bad input: one line and exit 2, nothing written. */
static void parse(int argc, char **argv, mn_config *cfg)
{
    struct timespec ts;
    bool seed_given = false;
    int c, at;

    S.o = (sopts){ .argc = argc, .argv = argv, .results_dir = "results", .label = "stress" };
    S.o.is_seed = calloc((size_t)argc + 1, sizeof *S.o.is_seed);
    mns.duration_ns = 30 * (uint64_t)SEC_NS;
    memcpy(mns.weight, default_mix, sizeof mns.weight);
    if (mn_config_default(cfg) < 0)
        mnb_runtime_refused("stress: the environment", cfg->error);
    if (!getenv("MN_TIMESLICE"))
        cfg->timeslice_ns = STRESS_SLICE_NS;
    optind = 2;
    opterr = 0;
    /* '+': no permuting, so argv indices stay those of the command line */
    while (at = optind, (c = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
        if (c == '?' && optopt)
            mnb_usage_error("stress: %s takes no value or is unknown; allowed: %s",
                            argv[optind - 1], OPTIONS_ALLOWED);
        if (c == '?')
            mnb_usage_error("stress: unknown or ambiguous option '%s'; allowed: %s",
                            argv[optind - 1], OPTIONS_ALLOWED);
        if (c == ':')
            mnb_usage_error("stress: %s needs a value; allowed: %s (mnbench stress --help)",
                            argv[optind - 1], OPTIONS_ALLOWED);
        if (c == 'h') {
            usage(stdout);
            exit(MNB_EXIT_OK);
        }
        if (c == O_SEED) {
            seed_given = true;
            for (int i = at; i < optind; i++)
                S.o.is_seed[i] = true;
        }
        parse_option(c, optarg, cfg);
    }
    if (optind < argc)
        mnb_usage_error("stress: unexpected argument '%s'; allowed: options only (mnbench "
                        "stress --help)", argv[optind]);
    mns.wsum = 0;
    for (int k = 0; k < MNS_NKINDS; k++)
        mns.wsum += mns.weight[k];
    if (mns.wsum == 0)
        mnb_usage_error("stress --mix: every weight is 0; allowed: at least one of %s with a "
                        "weight above 0", kinds_allowed());
    if (mn_config_check(cfg) < 0)
        mnb_runtime_refused("stress", cfg->error);
    if (!seed_given) {
        clock_gettime(CLOCK_REALTIME, &ts);
        mns.seed = mns_stream((uint64_t)ts.tv_sec * (uint64_t)SEC_NS + (uint64_t)ts.tv_nsec,
                              (uint64_t)getpid());
    }
}

/* --- the replay command ---------------------------------------------------------- */

static void shell_word(FILE *f, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                     "_@%+=:,./-") == strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* The MN_* variables in force, the command as given without --seed,
 * then --seed with this run's seed. malloc'd. */
static char *replay_command(void)
{
    extern char **environ;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    for (char **e = environ; *e; e++)
        if (strncmp(*e, "MN_", 3) == 0) {
            shell_word(f, *e);
            fputc(' ', f);
        }
    shell_word(f, S.o.argv[0]);
    fputs(" stress", f);
    for (int i = 2; i < S.o.argc; i++)
        if (!S.o.is_seed[i]) {
            fputc(' ', f);
            shell_word(f, S.o.argv[i]);
        }
    fprintf(f, " --seed %llu", (unsigned long long)mns.seed);
    fclose(f);
    return buf;
}

/* --- the report ----------------------------------------------------------------- */

static bool passed(void)
{
    for (int i = 0; i < MNS_NINV; i++)
        if (atomic_load(&mns.inv[i].fails))
            return false;
    return true;
}

static const char *inv_detail(mns_inv_state *s)
{
    /* load-acquire: pairs with the store-release in mns_fail */
    return atomic_load_explicit(&s->detail_ready, memory_order_acquire) ? s->detail
                                                                         : "(being written)";
}

static uint64_t total_ops(void)
{
    uint64_t n = 0;

    for (int k = 0; k < MNS_NKINDS; k++)
        n += atomic_load(&mns.ops[k]);
    return n;
}

static void report(FILE *f, double secs, const char *replay)
{
    fprintf(f, "\n%-9s %12s %12s\n", "kind", "ops", "ops/s");
    for (int k = 0; k < MNS_NKINDS; k++)
        if (mns.weight[k])
            fprintf(f, "%-9s %12llu %12.1f\n", mns_kind_names[k],
                    (unsigned long long)atomic_load(&mns.ops[k]),
                    (double)atomic_load(&mns.ops[k]) / secs);
    fprintf(f, "%-9s %12llu %12.1f\n", "total", (unsigned long long)total_ops(),
            (double)total_ops() / secs);
    fprintf(f, "\n%llu Gs spawned, %llu refused (ENOMEM); %llu messages; %llu kicks; "
            "%llu slices enforced (%llu by signal); %llu Ms\n",
            (unsigned long long)mns_spawned(), (unsigned long long)atomic_load(&mns.enomem),
            (unsigned long long)atomic_load(&mns.chan_sent),
            (unsigned long long)atomic_load(&mns.kicks), (unsigned long long)S.preempts,
            (unsigned long long)S.async_preempts, (unsigned long long)S.threads);
    fprintf(f, "\n%-9s %-6s %12s  %s\n", "invariant", "result", "checks", "what, or the first failure");
    for (int i = 0; i < MNS_NINV; i++) {
        mns_inv_state *s = &mns.inv[i];
        uint64_t fails = atomic_load(&s->fails), checks = atomic_load(&s->checks);
        fprintf(f, "%-9s %-6s %12llu  ", s->name, fails ? "FAIL" : checks ? "pass" : "-",
                (unsigned long long)checks);
        if (fails > 1)
            fprintf(f, "%s (and %llu more)\n", inv_detail(s), (unsigned long long)(fails - 1));
        else
            fprintf(f, "%s\n", fails ? inv_detail(s) : s->what);
    }
    if (passed()) {
        fprintf(f, "\nstress: PASS: every invariant held (seed %llu)\n",
                (unsigned long long)mns.seed);
        return;
    }
    fputs("\nstress: FAIL:", f);
    for (int i = 0; i < MNS_NINV; i++)
        if (atomic_load(&mns.inv[i].fails))
            fprintf(f, " %s", mns.inv[i].name);
    fprintf(f, " (seed %llu)\nreplay: %s\n", (unsigned long long)mns.seed, replay);
}

/* The configuration's extra fields: seed, mix, injection, counts and
 * every invariant's result (readers of mnbench-run/1 skip them). */
static json_t *stress_json(double secs, const char *replay)
{
    json_t *mix = json_object(), *ops = json_object(), *invs = json_array();
    char seed[32];

    for (int k = 0; k < MNS_NKINDS; k++) {
        json_object_set_new(mix, mns_kind_names[k], json_integer(mns.weight[k]));
        json_object_set_new(ops, mns_kind_names[k],
                            json_integer((json_int_t)atomic_load(&mns.ops[k])));
    }
    for (int i = 0; i < MNS_NINV; i++) {
        mns_inv_state *s = &mns.inv[i];
        uint64_t fails = atomic_load(&s->fails), checks = atomic_load(&s->checks);
        json_array_append_new(invs, json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}",
            "name", s->name, "what", s->what,
            "result", fails ? "fail" : checks ? "pass" : "unchecked",
            "checks", (json_int_t)checks, "failures", (json_int_t)fails,
            "detail", fails ? mnb_json_string(inv_detail(s)) : json_null()));
    }
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)mns.seed);
    return json_pack("{s:s, s:I, s:f, s:i, s:o, s:{s:I, s:b}, s:o, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I, s:o, s:b, s:s}",
                     "seed", seed,
                     "duration_ns", (json_int_t)mns.duration_ns,
                     "elapsed_s", secs,
                     "workers", mns.nworkers,
                     "mix", mix,
                     "inject", "alloc_every", (json_int_t)mns.alloc_every, "kick", mns.kick,
                     "ops", ops,
                     "gs_spawned", (json_int_t)mns_spawned(),
                     "enomem", (json_int_t)atomic_load(&mns.enomem),
                     "messages", (json_int_t)atomic_load(&mns.chan_sent),
                     "kicks", (json_int_t)atomic_load(&mns.kicks),
                     "slices_enforced", (json_int_t)S.preempts,
                     "async_preempts", (json_int_t)S.async_preempts,
                     "threads", (json_int_t)S.threads,
                     "invariants", invs,
                     "passed", passed(),
                     "replay", replay);
}

static void record_samples(mnb_conf *c, uint64_t elapsed)
{
    double secs = (double)elapsed / 1e9;

    for (int m = 0; m <= MNS_NKINDS; m++) {
        mnb_series *s = &c->samples[m];
        s->v = malloc(sizeof *s->v);
        s->n = s->cap = 1;
        if (m == MNS_NKINDS)
            s->v[0] = (double)total_ops() / secs;
        else
            s->v[0] = mns.weight[m] ? (double)atomic_load(&mns.ops[m]) / secs : NAN;
    }
    c->reps_done = 1;
    c->measured_ns = elapsed;
}

/* The report on stdout, then run.json and summary.csv. Once: whoever
 * comes second (the end of the run racing the watchdog) waits for exit. */
static int finish(void)
{
    mnb_conf *c = S.plan.confs;
    uint64_t end = atomic_load(&mns.t_end), elapsed;
    bool ok = passed(), interrupted = mnb_interrupted();
    char *replay;
    json_t *doc, *stress;
    int wrc;

    if (atomic_exchange(&S.reporting, 1))
        for (;;)
            pause();
    elapsed = (end ? end : mns_now()) - mns.t0;
    if (elapsed == 0)
        elapsed = 1;
    if (atomic_exchange(&S.shown, 0))
        fputs("\r\033[K", stderr);
    replay = replay_command();
    report(stdout, (double)elapsed / 1e9, replay);
    if (interrupted)
        printf("stress: interrupted after %.1f s\n", (double)elapsed / 1e9);
    fflush(stdout);

    record_samples(c, elapsed);
    if (!ok) {
        char buf[256];
        size_t n = (size_t)snprintf(buf, sizeof buf, "invariants failed:");
        for (int i = 0; i < MNS_NINV && n < sizeof buf; i++)
            if (atomic_load(&mns.inv[i].fails))
                n += (size_t)snprintf(buf + n, sizeof buf - n, " %s", mns.inv[i].name);
        snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, " (seed %llu)",
                 (unsigned long long)mns.seed);
        c->error = strdup(buf);
    }
    S.info.end = time(NULL);
    S.info.interrupted = interrupted;
    mnb_summarise(&S.plan);
    doc = mnb_run_json(&S.info, &S.plan);
    stress = stress_json((double)elapsed / 1e9, replay);
    json_object_set_new(json_array_get(json_object_get(doc, "configurations"), 0), "stress",
                        stress);
    wrc = mnb_results_write(S.folder, doc, &S.plan);
    printf("results: %s\n", S.folder);
    fflush(stdout);
    json_decref(doc);
    free(replay);
    if (!ok)
        return MNB_EXIT_FAILED;
    if (interrupted)
        return MNB_EXIT_INTERRUPTED;
    return wrc < 0 ? MNB_EXIT_FAILED : MNB_EXIT_OK;
}

/* Ms created and slices enforced, for the report. Any thread. */
static void runtime_counts(void)
{
    mn_sched_stats *st = calloc(1, sizeof *st);

    if (!st)
        return;
    mn_stats(st);
    S.threads = st->threads;
    S.preempts = S.async_preempts = 0;
    for (int p = 0; p < st->nprocs; p++) {
        S.preempts += st->p[p].preempts;
        S.async_preempts += st->p[p].async_preempts;
    }
    free(st);
}

/* --- the watchdog ------------------------------------------------------------------
 * A thread, not a G: it must see a runtime that no longer schedules.
 * Stuck: no step of any G for STALL_NS, or one worker operation past
 * OP_BOUND_NS. Then it asks the dumper G to stop the world and list the
 * Gs (id, state, P, wait reason); if the dumper does not run within
 * DUMP_WAIT_NS the list is taken with the world running. Then the report,
 * and the process ends with 1: the stuck Gs would never let mn_run return. */

static void dumper_main(void *arg)
{
    mn_debug_counts c;

    while (!atomic_load(&S.dumper_quit)) {
        if (!atomic_load(&S.dump_req)) {
            mn_sleep_ns(10000000);      /* not a step: the watchdog must not see it */
            continue;
        }
        mn_stop_the_world();
        fprintf(stderr, "mnbench: stress: the Gs not free, with the world stopped (id, state, "
                "P it is on or last ran on, wait reason):\n");
        mn_debug_dump(stderr);
        mn_debug_counts_get(&c);
        fprintf(stderr, "mnbench: stress: stacks allocated %zu, cached %zu, live %zu; "
                "Gs live %zu\n", c.stacks_allocated, c.stacks_cached, c.stacks_live, c.gs_live);
        fflush(stderr);
        /* store-release: pairs with the watchdog's load-acquire */
        atomic_store_explicit(&S.dump_done, 1, memory_order_release);
        return;                 /* the world stays stopped: the process is ending */
    }
}

static void stall(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void stall(const char *fmt, ...)
{
    char why[256];
    va_list ap;
    uint64_t t, now;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    mns_fail(MNS_INV_WATCHDOG, "%s", why);
    atomic_store(&mns.stop, 1);
    atomic_store(&S.dump_req, 1);
    for (t = mns_now(); !atomic_load_explicit(&S.dump_done, memory_order_acquire) &&
                        mns_now() - t < (uint64_t)DUMP_WAIT_NS;)
        usleep(10000);
    if (!atomic_load_explicit(&S.dump_done, memory_order_acquire)) {
        fprintf(stderr, "mnbench: stress: the dumper G did not stop the world within %.0f s; "
                "the Gs not free, seen with the world running (id, state, P, wait reason):\n",
                (double)DUMP_WAIT_NS / 1e9);
        mn_debug_dump(stderr);
    }
    now = mns_now();
    for (int i = 0; i < mns.nworkers; i++) {
        uint64_t s = atomic_load(&mns.workers[i].op_start);
        if (s)
            fprintf(stderr, "mnbench: stress: worker %d: in a %s operation for %.3f s\n", i,
                    mns_kind_names[atomic_load(&mns.workers[i].op_kind)],
                    (double)(now - s) / 1e9);
    }
    fflush(stderr);
    runtime_counts();
    int rc = finish();
    fflush(NULL);
    _exit(rc);
}

/* Only time the watchdog watched counts: when its own 50 ms sleep
 * overran by more than WATCH_GAP_NS (the machine overloaded, the VM
 * paused), nobody was looking, and the clocks start again. */
static void *watchdog_main(void *arg)
{
    uint64_t last = atomic_load(&mns.progress), t = mns_now(), last_t = t;
    uint64_t *op = calloc((size_t)mns.nworkers, sizeof *op);        /* op_start seen */
    uint64_t *op_t = calloc((size_t)mns.nworkers, sizeof *op_t);    /* since when */

    while (!atomic_load(&S.watchdog_quit)) {
        uint64_t now, p;
        usleep(50000);
        now = mns_now();
        if (now - t > (uint64_t)WATCH_GAP_NS) {
            fprintf(stderr, "mnbench: stress: watchdog: did not run for %.1f s (machine "
                    "overloaded?); that time is not held against the Gs\n",
                    (double)(now - t) / 1e9);
            last_t = now;
            memset(op_t, 0, (size_t)mns.nworkers * sizeof *op_t);
        }
        t = now;
        p = atomic_load(&mns.progress);
        mns_checked(MNS_INV_WATCHDOG);
        if (p != last) {
            last = p;
            last_t = now;
        } else if (now - last_t >= (uint64_t)STALL_NS) {
            stall("no G completed a step for %.1f s", (double)(now - last_t) / 1e9);
        }
        for (int i = 0; i < mns.nworkers; i++) {
            uint64_t s = atomic_load(&mns.workers[i].op_start);
            if (s != op[i] || !op_t[i]) {
                op[i] = s;
                op_t[i] = now;
            } else if (s && now - op_t[i] >= (uint64_t)OP_BOUND_NS) {
                stall("worker %d's %s operation has run for %.1f s", i,
                      mns_kind_names[atomic_load(&mns.workers[i].op_kind)],
                      (double)(now - s) / 1e9);
            }
        }
    }
    free(op);
    free(op_t);
    return NULL;
}

/* Spurious events at random short intervals, from the seed's stream
 * after the workers'. */
static void *kicker_main(void *arg)
{
    uint64_t rng = mns_stream(mns.seed, (uint64_t)mns.nworkers + 1);

    while (!atomic_load(&S.kicker_quit)) {
        usleep((useconds_t)(10 + mns_below(&rng, 490)));
        mn_debug_kick();
        atomic_fetch_add(&mns.kicks, 1);
    }
    return NULL;
}

/* --- the run's first G ------------------------------------------------------------- */

static void start_thread(pthread_t *t, void *(*fn)(void *), const char *what)
{
    int rc = pthread_create(t, NULL, fn, NULL);

    if (rc) {
        fprintf(stderr, "mnbench: stress: cannot start the %s thread: %s\n", what, strerror(rc));
        exit(MNB_EXIT_FAILED);
    }
}

/* A thread that ends within its next short sleep; the M says so. */
static void join_thread(pthread_t t, atomic_int *quit)
{
    atomic_store(quit, 1);
    mn_syscall_enter();
    pthread_join(t, NULL);
    mn_syscall_exit();
}

static void progress_line(uint64_t now)
{
    fprintf(stderr, "\r\033[K[%.0f/%.0f s] %llu operations, %llu Gs spawned",
            (double)(now - mns.t0) / 1e9, (double)mns.duration_ns / 1e9,
            (unsigned long long)total_ops(), (unsigned long long)mns_spawned());
    atomic_store(&S.shown, 1);
}

/* Until the deadline or Ctrl-C; no steps here, so that the watchdog sees
 * workers that all stopped. */
static void wait_deadline(void)
{
    uint64_t now, last = 0;

    while ((now = mns_now()) < mns.deadline && !atomic_load(&mns.stop)) {
        if (mnb_interrupted())
            atomic_store(&mns.stop, 1);
        if (S.progress && now - last >= (uint64_t)SEC_NS) {
            progress_line(now);
            last = now;
        }
        mn_sleep_ns(mns.deadline - now < 100000000 ? mns.deadline - now : 100000000);
    }
}

/* Every G of the run has returned; mn_num_g may lag the last exits a
 * little. Steps while it waits: this has its own bound. */
static void num_g_settle(void)
{
    uint64_t end = mns_now() + (uint64_t)NUMG_WAIT_NS;
    size_t n;

    while ((n = mn_num_g()) != S.baseline && mns_now() < end) {
        mn_sleep_ns(1000000);
        mns_step();
    }
    mns_checked(MNS_INV_NUMG);
    if (n == S.baseline)
        return;
    mns_fail(MNS_INV_NUMG, "mn_num_g is %zu %.0f s after every G of the run returned; it was "
             "%zu before the run", n, (double)NUMG_WAIT_NS / 1e9, S.baseline);
    mn_stop_the_world();
    fprintf(stderr, "mnbench: stress: the Gs not free (id, state, P, wait reason):\n");
    mn_debug_dump(stderr);
    mn_start_the_world();
}

static void setup_workers(void)
{
    mns.workers = calloc((size_t)mns.nworkers, sizeof *mns.workers);
    if (!mns.workers) {
        fputs("mnbench: stress: out of memory for the workers\n", stderr);
        exit(MNB_EXIT_FAILED);
    }
    for (int i = 0; i < mns.nworkers; i++) {
        mns_worker *w = &mns.workers[i];
        w->index = i;
        w->rng = mns_stream(mns.seed, (uint64_t)i);
        if (pipe2(w->pipe, O_CLOEXEC) < 0) {
            fprintf(stderr, "mnbench: stress: pipe: %s\n", strerror(errno));
            exit(MNB_EXIT_FAILED);
        }
    }
}

static void stress_main(void *arg)
{
    mn_sched_stats *st = calloc(1, sizeof *st);     /* too big for a G's stack */
    mnb_conf *c = S.plan.confs;
    mn_g *dumper, **h;

    S.ran = true;
    c->nprocs = mn_nprocs();
    mn_stats(st);
    mns.coop = st->preempt_mode && strcmp(st->preempt_mode, "cooperative") == 0;
    mns.timeslice_ns = st->timeslice_ns;
    mns.nworkers = S.o.workers ? (int)S.o.workers : 4 * c->nprocs;
    printf("stress: %d P%s, %d workers, %.1f s; preemption %s, slice %.1f ms; mix", c->nprocs,
           c->nprocs == 1 ? "" : "s", mns.nworkers, (double)mns.duration_ns / 1e9, st->preempt_mode,
           (double)mns.timeslice_ns / 1e6);
    for (int k = 0, first = 1; k < MNS_NKINDS; k++)
        if (mns.weight[k]) {
            printf("%s%s=%u", first ? " " : ",", mns_kind_names[k], mns.weight[k]);
            first = 0;
        }
    if (mns.alloc_every)
        printf("; inject alloc=%u%s\n", mns.alloc_every, mns.kick ? ",wake,signal" : "");
    else
        printf("; inject %s\n", mns.kick ? "wake,signal" : "none");
    fflush(stdout);

    S.baseline = mn_num_g();
    S.rng = mns_stream(mns.seed, (uint64_t)mns.nworkers);
    mns_ops_init();
    setup_workers();
    h = calloc((size_t)mns.nworkers, sizeof *h);
    mns.t0 = mns_now();
    mns.deadline = mns.t0 + mns.duration_ns;
    start_thread(&S.watchdog, watchdog_main, "watchdog");
    mns_go(&S.rng, MNS_GO_JOINABLE, dumper_main, NULL, &dumper);
    for (int i = 0; i < mns.nworkers; i++)
        mns_go(&S.rng, MNS_GO_JOINABLE, mns_worker_main, &mns.workers[i], &h[i]);
    if (mns.alloc_every)
        mn_debug_inject("alloc", mns.alloc_every);
    if (mns.kick)
        start_thread(&S.kicker, kicker_main, "kicker");

    wait_deadline();
    for (int i = 0; i < mns.nworkers; i++)
        mn_join(h[i], NULL);
    atomic_store(&mns.t_end, mns_now());
    mn_debug_inject("alloc", 0);
    if (mns.kick)
        join_thread(S.kicker, &S.kicker_quit);
    atomic_store(&S.dumper_quit, 1);
    mn_join(dumper, NULL);
    if (atomic_exchange(&S.shown, 0))
        fputs("\r\033[K", stderr);

    num_g_settle();
    mn_stop_the_world();
    mns_stacks_check("at the end");
    mn_start_the_world();
    mns_final_checks();
    join_thread(S.watchdog, &S.watchdog_quit);

    runtime_counts();
    for (int i = 0; i < mns.nworkers; i++) {
        close(mns.workers[i].pipe[0]);
        close(mns.workers[i].pipe[1]);
    }
    free(h);
    free(st);
}

/* --- the command ----------------------------------------------------------------- */

static void plan_build(const mn_config *cfg)
{
    mnb_conf *c = calloc(1, sizeof *c);
    cpu_set_t set;

    c->bench = &stress_bench;
    c->name = strdup("stress");
    c->cfg = *cfg;
    c->expected_procs = cfg->nprocs;
    if (!c->expected_procs && sched_getaffinity(0, sizeof set, &set) == 0)
        c->expected_procs = CPU_COUNT(&set);
    S.plan = (mnb_plan){ c, 1 };
    mnb_plan_alloc(&S.plan);
    S.mo = (mnb_opts){ .cmd = MNB_CMD_RUN, .warmup = 0, .reps = 1,
                       .min_time_ns = (int64_t)mns.duration_ns, .results_dir = S.o.results_dir,
                       .label = S.o.label, .argc = S.o.argc, .argv = S.o.argv };
    S.info = (mnb_run_info){ .o = &S.mo };
}

int mnb_stress_cmd(int argc, char **argv)
{
    mn_config cfg;
    int rc;

    /* 1. Everything that can be refused, refused before writing. */
    parse(argc, argv, &cfg);
    mnb_results_check(S.o.results_dir);
    plan_build(&cfg);
    /* 2. The seed first: whatever happens next, it has been printed. */
    printf("stress: seed %llu (--seed %llu replays this run)\n", (unsigned long long)mns.seed,
           (unsigned long long)mns.seed);
    fflush(stdout);
    S.info.context = mnb_machine_context();
    S.progress = !S.o.quiet && isatty(STDERR_FILENO);
    mnb_sigint_install();
    S.info.start = time(NULL);
    if (!(S.folder = mnb_results_create(S.o.results_dir, S.o.label, S.info.start)))
        return MNB_EXIT_FAILED;
    /* 3. Run, check, report. */
    rc = mn_run(&cfg, stress_main, NULL);
    if (rc != 0 && !S.ran) {
        rmdir(S.folder);
        fprintf(stderr, "mnbench: stress: the runtime did not start (%s); allowed: a "
                "configuration the runtime can start\n", cfg.error[0] ? cfg.error : mn_strerror(rc));
        return MNB_EXIT_USAGE;
    }
    rc = finish();
    json_decref(S.info.context);
    mnb_plan_free(&S.plan);
    free(S.folder);
    free(S.o.is_seed);
    free(mns.workers);
    return rc;
}
