/* counters_src.c - the sources behind mnbench's counters (interface in
 * counters_src.h): PAPI EventSets attached to the M's TID, perf software
 * event groups, the thread's rusage and CPU clock, and the TSC's rate. */
#include "counters_src.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <math.h>
#include <papi.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

const mnb_swev mnb_swevs[MNB_NSW] = {
    [MNB_SW_TASK_CLOCK] = { "task-clock", PERF_COUNT_SW_TASK_CLOCK, "ns", true,
                            "CPU time of the Ms (spinning included)" },
    [MNB_SW_CSWITCH] = { "context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES, "switches", true,
                         "times the kernel switched an M out: parking, blocking, preemption" },
    [MNB_SW_MIGRATIONS] = { "cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS, "migrations", false,
                            "times the kernel moved an M to another CPU" },
    [MNB_SW_FAULTS] = { "page-faults", PERF_COUNT_SW_PAGE_FAULTS, "faults", true,
                        "page faults of the Ms (first touch of stacks and heap)" },
};

mnb_csrc_conf mnb_csrc_cf;

_Static_assert(MNB_PAPI_ENOEVNT == PAPI_ENOEVNT && MNB_PAPI_ECNFLCT == PAPI_ECNFLCT,
               "papi.h renumbered its errors");

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!why || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* --- PAPI ------------------------------------------------------------------ */

/* PAPI keys its threads by this: the kernel TID, so that an EventSet
 * attached to an M's TID and the M's own registration are one thread. */
static unsigned long papi_tid(void)
{
    return (unsigned long)gettid();
}

static struct {
    bool tried;
    int rc;
    char why[256];
    int cidx;
    char version[32];
    bool multiplex_ready;
} papi;

int mnb_papi_init(char *why, size_t len)
{
    int v, rc;

    if (!papi.tried) {
        papi.tried = true;
        papi.cidx = -1;
        v = PAPI_library_init(PAPI_VER_CURRENT);
        if (v != PAPI_VER_CURRENT) {
            papi.rc = v < 0 ? v : PAPI_EINVAL;
            snprintf(papi.why, sizeof papi.why, "PAPI_library_init: %s",
                     v < 0 ? PAPI_strerror(v) : "the library is not the version mnbench was built with");
        } else if ((rc = PAPI_thread_init(papi_tid)) != PAPI_OK) {
            papi.rc = rc;
            snprintf(papi.why, sizeof papi.why, "PAPI_thread_init: %s", PAPI_strerror(rc));
        } else if ((papi.cidx = PAPI_get_component_index("perf_event")) < 0) {
            papi.rc = papi.cidx;
            snprintf(papi.why, sizeof papi.why, "PAPI has no perf_event component");
        }
        if (v == PAPI_VER_CURRENT) {
            v = PAPI_get_opt(PAPI_LIB_VERSION, NULL);
            snprintf(papi.version, sizeof papi.version, "%d.%d.%d.%d",
                     PAPI_VERSION_MAJOR(v), PAPI_VERSION_MINOR(v),
                     PAPI_VERSION_REVISION(v), PAPI_VERSION_INCREMENT(v));
        }
    }
    if (papi.rc)
        set_why(why, len, "%s", papi.why);
    return papi.rc;
}

int mnb_papi_cidx(void)
{
    return papi.rc ? -1 : papi.cidx;
}

const char *mnb_papi_version(void)
{
    return papi.version[0] ? papi.version : NULL;
}

int mnb_papi_code(const char *name, int *code)
{
    return PAPI_event_name_to_code(name, code);
}

const char *mnb_papi_strerror(int rc)
{
    const char *s = PAPI_strerror(rc);
    return s ? s : "unknown PAPI error";
}

bool mnb_papi_query(int code)
{
    return PAPI_query_event(code) == PAPI_OK;
}

bool mnb_papi_component(int i, const char **name, const char **disabled,
                        int *ncntrs, int *npresets, int *nnatives)
{
    const PAPI_component_info_t *ci;

    if (i >= PAPI_num_components() || !(ci = PAPI_get_component_info(i)))
        return false;
    *name = ci->name;
    *disabled = ci->disabled ? ci->disabled_reason : "";
    *ncntrs = ci->num_cntrs;
    *npresets = ci->num_preset_events;
    *nnatives = ci->num_native_events;
    return true;
}

bool mnb_papi_next_preset(int *code, char *name, size_t nlen, char *descr, size_t dlen)
{
    PAPI_event_info_t info;
    int rc;

    if (*code == 0) {
        *code = PAPI_PRESET_MASK;
        rc = PAPI_enum_event(code, PAPI_ENUM_FIRST);
    } else {
        rc = PAPI_enum_event(code, PAPI_PRESET_ENUM_AVAIL);
    }
    /* PAPI_ENUM_FIRST may land on a preset that is not available. */
    while (rc == PAPI_OK && PAPI_query_event(*code) != PAPI_OK)
        rc = PAPI_enum_event(code, PAPI_PRESET_ENUM_AVAIL);
    if (rc != PAPI_OK || PAPI_get_event_info(*code, &info) != PAPI_OK)
        return false;
    snprintf(name, nlen, "%s", info.symbol);
    snprintf(descr, dlen, "%s", info.short_descr);
    return true;
}

/* The steps of opening mnb_csrc_cf's events on an EventSet attached to
 * tid, in the order PAPI accepts them: the component first, multiplexing
 * before the events (so that more events than counters can be added),
 * the events, then the attachment (PAPI's own multiattach test adds
 * before it attaches), the domain, and start. */
static int papi_open_es(pid_t tid, int *es_out, int *bad, char *why, size_t len)
{
    const mnb_csrc_conf *cf = &mnb_csrc_cf;
    int es = PAPI_NULL, rc;
    const char *step;
    char name[PAPI_MAX_STR_LEN];

    *bad = -1;
    PAPI_register_thread();
    if ((rc = PAPI_create_eventset(&es)) != PAPI_OK) {
        step = "PAPI_create_eventset";
        goto fail;
    }
    step = "PAPI_assign_eventset_component";
    if ((rc = PAPI_assign_eventset_component(es, papi.cidx)) != PAPI_OK)
        goto fail_es;
    step = "PAPI_multiplex_init";
    if (cf->multiplex && !papi.multiplex_ready) {
        if ((rc = PAPI_multiplex_init()) != PAPI_OK)
            goto fail_es;
        papi.multiplex_ready = true;
    }
    step = "PAPI_set_multiplex";
    if (cf->multiplex && (rc = PAPI_set_multiplex(es)) != PAPI_OK)
        goto fail_es;
    for (int i = 0; i < cf->npapi; i++)
        if ((rc = PAPI_add_event(es, cf->papi_codes[i])) != PAPI_OK) {
            *bad = i;
            if (PAPI_event_code_to_name(cf->papi_codes[i], name) != PAPI_OK)
                snprintf(name, sizeof name, "event %#x", (unsigned)cf->papi_codes[i]);
            set_why(why, len, "PAPI_add_event(%s): %s", name, mnb_papi_strerror(rc));
            goto fail_quiet;
        }
    step = "PAPI_attach";
    if ((rc = PAPI_attach(es, (unsigned long)tid)) != PAPI_OK)
        goto fail_es;
    if (cf->papi_kernel) {
        PAPI_option_t o = { 0 };
        o.domain.eventset = es;
        o.domain.domain = PAPI_DOM_USER | PAPI_DOM_KERNEL;
        step = "PAPI_set_opt(PAPI_DOMAIN, user+kernel)";
        if ((rc = PAPI_set_opt(PAPI_DOMAIN, &o)) != PAPI_OK)
            goto fail_es;
    }
    step = "PAPI_start";
    if ((rc = PAPI_start(es)) != PAPI_OK)
        goto fail_es;
    *es_out = es;
    return 0;
fail_es:
    set_why(why, len, "%s: %s", step, mnb_papi_strerror(rc));
fail_quiet:
    PAPI_cleanup_eventset(es);
    PAPI_destroy_eventset(&es);
    return rc < 0 ? rc : PAPI_EMISC;
fail:
    set_why(why, len, "%s: %s", step, mnb_papi_strerror(rc));
    return rc < 0 ? rc : PAPI_EMISC;
}

static void papi_close_es(int *es, double *v)
{
    long long vals[MNB_CMAX] = { 0 };

    if (PAPI_stop(*es, vals) == PAPI_OK && v)
        for (int i = 0; i < mnb_csrc_cf.npapi; i++)
            v[i] = (double)vals[i];
    PAPI_cleanup_eventset(*es);
    PAPI_destroy_eventset(es);
    *es = PAPI_NULL;
}

int mnb_papi_trial(int *bad_event, char *why, size_t len)
{
    int es = PAPI_NULL, rc;

    rc = papi_open_es(gettid(), &es, bad_event, why, len);
    if (rc == 0)
        papi_close_es(&es, NULL);
    return rc;
}

static int papi_open(mnb_cslot *s, char *why, size_t len)
{
    int bad;

    if (mnb_csrc_cf.npapi == 0)
        return 0;
    return papi_open_es(s->tid, &s->papi_es, &bad, why, len);
}

static int papi_read(mnb_cslot *s, double *v)
{
    long long vals[MNB_CMAX];
    int rc;

    if (mnb_csrc_cf.npapi == 0)
        return 0;
    if (s->papi_es == PAPI_NULL)
        return -EBADF;
    if ((rc = PAPI_read(s->papi_es, vals)) != PAPI_OK)
        return rc;
    for (int i = 0; i < mnb_csrc_cf.npapi; i++)
        v[i] = (double)vals[i];
    return 0;
}

static void papi_close(mnb_cslot *s, double *v)
{
    if (s->papi_es == PAPI_NULL)
        return;
    papi_close_es(&s->papi_es, v);
    /* The main thread's registration belongs to PAPI_library_init. */
    if (s->tid != getpid())
        PAPI_unregister_thread();
}

const mnb_csource mnb_csrc_papi = { "papi", papi_open, papi_read, papi_close };

/* --- perf software events ---------------------------------------------------- */

static int perf_open(uint64_t config, int group)
{
    struct perf_event_attr a = {
        .type = PERF_TYPE_SOFTWARE,
        .size = sizeof a,
        .config = config,
        .read_format = PERF_FORMAT_GROUP,
        /* Context switches and migrations happen in the kernel: counting
         * user space only (all that kernel.perf_event_paranoid 2 allows
         * an unprivileged user) would read 0. So the kernel side is
         * asked for, and a refusal sends us to rusage. */
        .exclude_kernel = 0,
    };
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, group, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

/* One group for the calling thread: one read(2) of the leader returns
 * every member's count. */
static int perf_group_open(int *leader, int *members)
{
    const mnb_csrc_conf *cf = &mnb_csrc_cf;
    int fd;

    *leader = -1;
    for (int i = 0; i < cf->nsw; i++) {
        fd = perf_open(mnb_swevs[cf->sw[i]].perf_config, *leader);
        if (fd < 0) {
            for (int k = 0; k < i; k++)
                close(members[k]);
            *leader = -1;
            return fd;
        }
        members[i] = fd;
        if (i == 0)
            *leader = fd;
    }
    return 0;
}

int mnb_perf_sw_probe(void)
{
    int leader, members[MNB_NSW], rc;

    if ((rc = perf_group_open(&leader, members)) < 0)
        return rc;
    for (int i = 0; i < mnb_csrc_cf.nsw; i++)
        close(members[i]);
    return 0;
}

int mnb_perf_hw_probe(void)
{
    struct perf_event_attr a = {
        .type = PERF_TYPE_HARDWARE,
        .size = sizeof a,
        .config = PERF_COUNT_HW_CPU_CYCLES,
        .exclude_kernel = 1,    /* whether a PMU exists, not whether we may count the kernel */
        .exclude_hv = 1,
    };
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

    if (fd < 0)
        return -errno;
    close((int)fd);
    return 0;
}

int mnb_perf_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int v;

    if (!f)
        return INT32_MIN;
    if (fscanf(f, "%d", &v) != 1)
        v = INT32_MIN;
    fclose(f);
    return v;
}

bool mnb_perf_privileged(void)
{
    char line[256];
    unsigned long long caps = 0;
    FILE *f;

    if (geteuid() == 0)
        return true;
    if (!(f = fopen("/proc/self/status", "r")))
        return false;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    fclose(f);
    return caps & ((1ull << 38) | (1ull << 21));   /* CAP_PERFMON, CAP_SYS_ADMIN */
}

static int sw_open(mnb_cslot *s, char *why, size_t len)
{
    int rc = perf_group_open(&s->perf_fd, s->perf_members);

    if (rc < 0)
        set_why(why, len, "perf_event_open: %s", strerror(-rc));
    return rc;
}

static int sw_read(mnb_cslot *s, double *v)
{
    uint64_t buf[1 + MNB_NSW];
    ssize_t n;

    if (s->perf_fd < 0)
        return -EBADF;
    n = read(s->perf_fd, buf, sizeof buf);
    if (n < (ssize_t)sizeof(uint64_t) || buf[0] != (uint64_t)mnb_csrc_cf.nsw)
        return n < 0 ? -errno : -EIO;
    for (int i = 0; i < mnb_csrc_cf.nsw; i++)
        v[i] = (double)buf[1 + i];
    return 0;
}

static void sw_close(mnb_cslot *s, double *v)
{
    if (s->perf_fd < 0)
        return;
    sw_read(s, v);
    for (int i = 0; i < mnb_csrc_cf.nsw; i++)
        close(s->perf_members[i]);
    s->perf_fd = -1;
}

const mnb_csource mnb_csrc_perf_sw = { "perf-sw", sw_open, sw_read, sw_close };

/* --- rusage ---------------------------------------------------------------- */

/* The counts of the rusage source, by software event: CPU time in ns,
 * context switches (voluntary + involuntary), page faults (minor +
 * major). cpu-migrations has no rusage counterpart. */
static void rusage_pick(const double raw[MNB_NSW], double *v)
{
    for (int i = 0; i < mnb_csrc_cf.nsw; i++)
        v[i] = raw[mnb_csrc_cf.sw[i]];
}

/* On the M's own thread. */
static void rusage_self(double raw[MNB_NSW])
{
    struct rusage ru;
    struct timespec ts;

    memset(raw, 0, MNB_NSW * sizeof *raw);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    raw[MNB_SW_TASK_CLOCK] = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        raw[MNB_SW_CSWITCH] = (double)(ru.ru_nvcsw + ru.ru_nivcsw);
        raw[MNB_SW_FAULTS] = (double)(ru.ru_minflt + ru.ru_majflt);
    }
}

static int pread_text(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);

    if (n <= 0)
        return n < 0 ? -errno : -EIO;
    buf[n] = '\0';
    return 0;
}

/* From any thread: the same kernel fields getrusage(RUSAGE_THREAD)
 * reads (nvcsw, nivcsw, min_flt, maj_flt), by procfs. */
static int rusage_outside(const mnb_cslot *s, double raw[MNB_NSW])
{
    char buf[2048], *p;
    unsigned long long vol = 0, invol = 0, minflt = 0, majflt = 0;
    struct timespec ts;
    int rc;

    memset(raw, 0, MNB_NSW * sizeof *raw);
    if (clock_gettime(s->cpuclock, &ts) < 0)
        return -errno;
    raw[MNB_SW_TASK_CLOCK] = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    if ((rc = pread_text(s->status_fd, buf, sizeof buf)) < 0)
        return rc;
    if (!(p = strstr(buf, "\nvoluntary_ctxt_switches:")) ||
        sscanf(p, "\nvoluntary_ctxt_switches: %llu", &vol) != 1 ||
        !(p = strstr(buf, "\nnonvoluntary_ctxt_switches:")) ||
        sscanf(p, "\nnonvoluntary_ctxt_switches: %llu", &invol) != 1)
        return -EIO;
    raw[MNB_SW_CSWITCH] = (double)(vol + invol);
    /* stat: "tid (comm) state ppid ... minflt cminflt majflt": comm may
     * hold spaces and parentheses, so count fields from the last ')'. */
    if ((rc = pread_text(s->stat_fd, buf, sizeof buf)) < 0)
        return rc;
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %*u %llu", &minflt, &majflt) != 2)
        return -EIO;
    raw[MNB_SW_FAULTS] = (double)(minflt + majflt);
    return 0;
}

static int proc_task_open(pid_t tid, const char *file)
{
    char path[64];
    int fd;

    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static int ru_open(mnb_cslot *s, char *why, size_t len)
{
    int rc;

    if ((rc = -pthread_getcpuclockid(pthread_self(), &s->cpuclock)) < 0) {
        set_why(why, len, "pthread_getcpuclockid: %s", strerror(-rc));
        return rc;
    }
    if ((s->stat_fd = proc_task_open(s->tid, "stat")) < 0 ||
        (s->status_fd = proc_task_open(s->tid, "status")) < 0) {
        rc = s->stat_fd < 0 ? s->stat_fd : s->status_fd;
        set_why(why, len, "/proc/self/task/%d: %s", (int)s->tid, strerror(-rc));
        if (s->stat_fd >= 0)
            close(s->stat_fd);
        s->stat_fd = s->status_fd = -1;
        return rc;
    }
    rusage_self(s->origin);
    return 0;
}

static int ru_read(mnb_cslot *s, double *v)
{
    double raw[MNB_NSW];
    int rc;

    if (s->stat_fd < 0)
        return -EBADF;
    if ((rc = rusage_outside(s, raw)) < 0)
        return rc;
    for (int i = 0; i < MNB_NSW; i++)
        raw[i] -= s->origin[i];
    rusage_pick(raw, v);
    return 0;
}

static void ru_close(mnb_cslot *s, double *v)
{
    double raw[MNB_NSW];

    if (s->stat_fd < 0)
        return;
    rusage_self(raw);
    for (int i = 0; i < MNB_NSW; i++)
        raw[i] -= s->origin[i];
    rusage_pick(raw, v);
    close(s->stat_fd);
    close(s->status_fd);
    s->stat_fd = s->status_fd = -1;
}

int mnb_rusage_probe(void)
{
    mnb_cslot s = { .tid = gettid(), .stat_fd = -1, .status_fd = -1 };
    double v[MNB_NSW];
    int rc;

    if ((rc = ru_open(&s, NULL, 0)) < 0)
        return rc;
    rc = ru_read(&s, v);
    ru_close(&s, v);
    return rc;
}

const mnb_csource mnb_csrc_rusage = { "rusage", ru_open, ru_read, ru_close };

/* --- the TSC ----------------------------------------------------------------- */

static bool tsc_invariant(void)
{
    char line[4096];
    bool constant = false, nonstop = false;
    FILE *f = fopen("/proc/cpuinfo", "r");

    if (!f)
        return false;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0) {
            constant = strstr(line, " constant_tsc") != NULL;
            nonstop = strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    fclose(f);
    return constant && nonstop;
}

/* The kernel's own conversion: ns = ticks * time_mult >> time_shift,
 * published in a perf event's mmap page when user space may use it. */
static double tsc_hz_perf(void)
{
    struct perf_event_attr a = {
        .type = PERF_TYPE_SOFTWARE, .size = sizeof a,
        .config = PERF_COUNT_SW_DUMMY, .exclude_kernel = 1, .exclude_hv = 1,
    };
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    long page = sysconf(_SC_PAGESIZE);
    volatile struct perf_event_mmap_page *pc;
    uint32_t seq, mult = 0;
    uint16_t shift = 0;
    bool cap = false;
    void *m;

    if (fd < 0)
        return 0;
    m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, (int)fd, 0);
    close((int)fd);
    if (m == MAP_FAILED)
        return 0;
    pc = m;
    do {                        /* the page's seqlock */
        seq = pc->lock;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        cap = pc->cap_user_time;
        mult = pc->time_mult;
        shift = pc->time_shift;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while (pc->lock != seq || (seq & 1));
    munmap(m, (size_t)page);
    return cap && mult ? ldexp(1e9, shift) / mult : 0;
}

static double tsc_hz_calibrated(void)
{
    struct timespec a, b, pause = { 0, 20000000 };
    uint64_t t0, t1;

    clock_gettime(CLOCK_MONOTONIC_RAW, &a);
    t0 = mnb_rdtsc();
    nanosleep(&pause, NULL);
    clock_gettime(CLOCK_MONOTONIC_RAW, &b);
    t1 = mnb_rdtsc();
    return (double)(t1 - t0) /
           ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

double mnb_tsc_hz(const char **from, bool *invariant, bool perf_open)
{
    double hz = perf_open ? tsc_hz_perf() : 0;

    *invariant = tsc_invariant();
    if (hz > 0) {
        *from = "perf mmap page";
        return hz;
    }
    *from = "calibrated against CLOCK_MONOTONIC_RAW";
    return tsc_hz_calibrated();
}
