/* counters.c - mnbench's counters (design in counters.h): what was asked
 * against what this machine can count, the registry of Ms and their
 * counters, the readings around each repetition, and the figures. */
#include "counters.h"
#include "cli.h"
#include "counters_src.h"
#include "parse.h"
#include "results.h"
#include "warn.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default set's hardware part, each where PAPI has it. */
static const char *const default_presets[] = {
    "PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_BR_MSP",
};
#define NDEFAULT (int)(sizeof default_presets / sizeof default_presets[0])

typedef enum { F_PAPI, F_SW, F_TSC, F_IPC } fig_kind;

/* One figure: a per-M count (its index in the slots' value vectors), the
 * TSC, or IPC. */
typedef struct fig {
    char name[128];
    fig_kind kind;
    int idx;
    const char *unit;           /* of the count: "switches", "cycles", ... */
    const char *source;
} fig;

#define MAX_FIGS (MNB_CMAX + 2)

static struct {
    bool on, multiplex, ready;
    const char *list;           /* NULL: the default set */
    const char *force;          /* MNBENCH_COUNTERS_FORCE */
    mnb_cmachine m;             /* what this machine offers */
    char hw_why[768], sw_why[768], dropped[256];
    const mnb_csource *sw;      /* perf-sw, rusage, or NULL */
    bool papi_checked, papi_base;
    fig figs[MAX_FIGS];
    int nfig, nvals;            /* figures; per-M values (PAPI, then software) */
    int ins, cyc;               /* PAPI_TOT_INS / PAPI_TOT_CYC figures, or -1 */
} C = { .ins = -1, .cyc = -1 };

/* --- options ----------------------------------------------------------------- */

void mnb_counters_option(const char *list)
{
    C.on = true;
    C.list = list;
}

void mnb_counters_set_multiplex(void)
{
    C.multiplex = true;
}

bool mnb_counters_enabled(void)
{
    return C.on;
}

const mnb_cmachine *mnb_counters_machine(void)
{
    return &C.m;
}

const char *mnb_counters_figure(int i, const char **source, const char **unit)
{
    if (i < 0 || i >= C.nfig)
        return NULL;
    *source = C.figs[i].source;
    *unit = C.figs[i].unit;
    return C.figs[i].name;
}

/* --- what this machine offers ---------------------------------------------------- */

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;

    if (n + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

static void read_force(void)
{
    const char *f = getenv("MNBENCH_COUNTERS_FORCE");

    if (!f || !*f)
        return;
    if (strcmp(f, "perf-sw") != 0 && strcmp(f, "rusage") != 0)
        mnb_usage_error("MNBENCH_COUNTERS_FORCE=%s: unknown fallback; allowed: perf-sw, "
                        "rusage (for tests), or unset", f);
    C.force = f;
}

/* Why perf_event_open(rc) refused the software events, naming the sysctl. */
static void explain_perf(int rc, bool forced)
{
    const char *who = C.m.privileged ? "this user may count the kernel (root or CAP_PERFMON)"
                                     : "this user is neither root nor has CAP_PERFMON";

    if (forced)
        snprintf(C.sw_why, sizeof C.sw_why,
                 "forced by MNBENCH_COUNTERS_FORCE=rusage, as if perf_event_open were "
                 "refused (EACCES: kernel.perf_event_paranoid >= 2 for a user without "
                 "CAP_PERFMON; it is %d here)", C.m.paranoid);
    else if (rc == -EACCES || rc == -EPERM)
        snprintf(C.sw_why, sizeof C.sw_why,
                 "perf_event_open: %s: kernel.perf_event_paranoid is %d and %s; context "
                 "switches and migrations happen in the kernel, which such a user may "
                 "count only at kernel.perf_event_paranoid <= 1 (at 2 only user space, "
                 "where they read 0; Debian's 3 refuses perf_event_open altogether)",
                 strerror(-rc), C.m.paranoid, who);
    else if (rc == -ENOSYS || rc == -ENOENT)
        snprintf(C.sw_why, sizeof C.sw_why, "perf_event_open: %s: this kernel has no perf "
                 "events (CONFIG_PERF_EVENTS)", strerror(-rc));
    else
        snprintf(C.sw_why, sizeof C.sw_why, "perf_event_open: %s "
                 "(kernel.perf_event_paranoid is %d)", strerror(-rc), C.m.paranoid);
}

/* Which software source counts here: perf-sw, else rusage, else none. */
static void probe_software(void)
{
    mnb_csrc_conf *cf = &mnb_csrc_cf;
    bool forced = C.force && strcmp(C.force, "rusage") == 0;
    int rc;

    cf->nsw = MNB_NSW;
    for (int i = 0; i < MNB_NSW; i++)
        cf->sw[i] = i;
    C.m.paranoid = mnb_perf_paranoid();
    C.m.privileged = mnb_perf_privileged();
    rc = forced ? -EACCES : mnb_perf_sw_probe();
    C.m.perf_open = rc == 0;
    if (rc == 0) {
        C.sw = &mnb_csrc_perf_sw;
        return;
    }
    explain_perf(rc, forced);
    C.m.sw_why = C.sw_why;
    if ((rc = mnb_rusage_probe()) == 0) {
        C.sw = &mnb_csrc_rusage;
        return;
    }
    C.sw = NULL;
    append(C.sw_why, sizeof C.sw_why, "; and the rusage fallback cannot read "
           "/proc/self/task (%s)", strerror(-rc));
}

/* Why the kernel cannot count hardware events, if it is the kernel. */
static void kernel_pmu_note(char *buf, size_t len)
{
    int rc = mnb_perf_hw_probe();

    if (rc == -ENOENT || rc == -EOPNOTSUPP || rc == -ENODEV)
        append(buf, len, "; perf_event_open(cycles): %s: the kernel exposes no CPU PMU "
               "(no /sys/bus/event_source/devices/cpu: a VM without a virtual PMU?)",
               strerror(-rc));
    else if (rc == -EACCES || rc == -EPERM)
        append(buf, len, "; perf_event_open(cycles): %s (kernel.perf_event_paranoid is %d)",
               strerror(-rc), C.m.paranoid);
    else if (rc < 0)
        append(buf, len, "; perf_event_open(cycles): %s", strerror(-rc));
}

/* Can PAPI count anything here? PAPI is started even when forced off, so
 * that names are still recognised. Why not into C.hw_why. */
static bool papi_base(void)
{
    const char *name, *dis;
    int nc, np, nn, cidx;
    char why[256];

    if (C.papi_checked)
        return C.papi_base;
    C.papi_checked = true;
    C.m.hw_why = C.hw_why;
    if (mnb_papi_init(why, sizeof why) < 0) {
        snprintf(C.hw_why, sizeof C.hw_why, "%s", why);
        return false;
    }
    C.m.papi_version = mnb_papi_version();
    if (C.force) {
        snprintf(C.hw_why, sizeof C.hw_why, "forced by MNBENCH_COUNTERS_FORCE=%s", C.force);
        return false;
    }
    cidx = mnb_papi_cidx();
    mnb_papi_component(cidx, &name, &dis, &nc, &np, &nn);
    C.m.papi_counters = nc;
    if (*dis)
        snprintf(C.hw_why, sizeof C.hw_why, "PAPI %s's perf_event component is disabled: %s",
                 C.m.papi_version, dis);
    else if (nc <= 0)
        snprintf(C.hw_why, sizeof C.hw_why, "PAPI %s's perf_event component reports no "
                 "counters", C.m.papi_version);
    else
        return C.papi_base = true;
    kernel_pmu_note(C.hw_why, sizeof C.hw_why);
    return false;
}

/* Opens the PAPI events the way an M will, on this thread. On a failure
 * to count the kernel domain, retries user-only. 0, or PAPI's code with
 * the event to blame in *bad. */
static int papi_try(int *bad, char *why, size_t len)
{
    int rc;

    mnb_csrc_cf.multiplex = C.multiplex;
    mnb_csrc_cf.papi_kernel = true;
    if ((rc = mnb_papi_trial(bad, why, len)) == 0)
        return 0;
    mnb_csrc_cf.papi_kernel = false;
    return mnb_papi_trial(bad, why, len);
}

/* The unit of a PAPI count, from the preset's name. */
static const char *papi_unit(const char *name)
{
    static const struct { const char *suffix, *unit; } t[] = {
        { "_CYC", "cycles" }, { "_INS", "instructions" }, { "_DCM", "misses" },
        { "_ICM", "misses" }, { "_TCM", "misses" }, { "_LDM", "misses" },
        { "_STM", "misses" }, { "_DM", "misses" }, { "_IM", "misses" },
        { "_MSP", "mispredictions" },
    };
    size_t n = strlen(name);

    if (strncmp(name, "PAPI_", 5) == 0)
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
            size_t k = strlen(t[i].suffix);
            if (n > k && strcmp(name + n - k, t[i].suffix) == 0)
                return t[i].unit;
        }
    return "events";
}

static fig *add_fig(const char *name, fig_kind kind, const char *unit, const char *source)
{
    fig *f = &C.figs[C.nfig++];

    snprintf(f->name, sizeof f->name, "%s", name);
    f->kind = kind;
    f->unit = unit;
    f->source = source;
    return f;
}

/* Per-M value indices: PAPI's first, then the software events. */
static void index_figs(void)
{
    int sw = 0;

    for (int i = 0; i < C.nfig; i++)
        if (C.figs[i].kind == F_SW)
            C.figs[i].idx = mnb_csrc_cf.npapi + sw++;
    C.nvals = mnb_csrc_cf.npapi + mnb_csrc_cf.nsw;
    for (int i = 0; i < C.nfig; i++) {
        if (C.figs[i].kind != F_PAPI)
            continue;
        if (strcmp(C.figs[i].name, "PAPI_TOT_INS") == 0)
            C.ins = i;
        if (strcmp(C.figs[i].name, "PAPI_TOT_CYC") == 0)
            C.cyc = i;
    }
    /* IPC only from real core cycles, never from TSC ticks. */
    if (C.ins >= 0 && C.cyc >= 0)
        add_fig("ipc", F_IPC, "instructions/cycle", "papi");
}

static void add_sw_fig(int e)
{
    mnb_csrc_conf *cf = &mnb_csrc_cf;

    cf->sw[cf->nsw++] = e;
    add_fig(mnb_swevs[e].name, F_SW, mnb_swevs[e].unit, C.sw->name);
}

static void add_papi_fig(const char *name, int code)
{
    mnb_csrc_conf *cf = &mnb_csrc_cf;
    fig *f = add_fig(name, F_PAPI, papi_unit(name), "papi");

    f->idx = cf->npapi;
    cf->papi_codes[cf->npapi++] = code;
}

/* The default set: PAPI's default presets where they can be counted,
 * every software event the software source has, and the TSC. */
static void resolve_default(void)
{
    mnb_csrc_conf *cf = &mnb_csrc_cf;
    int code, bad, rc, navail = 0, first_rc = 0;
    char why[512];

    cf->npapi = 0;
    if (papi_base()) {
        for (int i = 0; i < NDEFAULT; i++) {
            if ((rc = mnb_papi_code(default_presets[i], &code)) == 0 && mnb_papi_query(code)) {
                add_papi_fig(default_presets[i], code);
                navail++;
            } else if (!first_rc) {
                first_rc = rc ? rc : MNB_PAPI_ENOEVNT;
            }
        }
        if (navail == 0) {
            snprintf(C.hw_why, sizeof C.hw_why, "PAPI %s's perf_event component offers none "
                     "of PAPI_TOT_CYC, PAPI_TOT_INS, PAPI_L1_DCM, PAPI_L2_DCM, PAPI_BR_MSP "
                     "(PAPI_TOT_CYC: %s)", C.m.papi_version, mnb_papi_strerror(first_rc));
            kernel_pmu_note(C.hw_why, sizeof C.hw_why);
        }
        while (cf->npapi > 0 && (rc = papi_try(&bad, why, sizeof why)) != 0) {
            if (rc == MNB_PAPI_ECNFLCT && bad >= 0 && !C.multiplex) {   /* drop it */
                append(C.dropped, sizeof C.dropped, "%s%s", C.dropped[0] ? ", " : "",
                       C.figs[bad].name);
                memmove(&C.figs[bad], &C.figs[bad + 1], (size_t)(C.nfig - bad - 1) * sizeof *C.figs);
                memmove(&cf->papi_codes[bad], &cf->papi_codes[bad + 1],
                        (size_t)(cf->npapi - bad - 1) * sizeof *cf->papi_codes);
                C.nfig--;
                cf->npapi--;
                for (int i = 0; i < C.nfig; i++)
                    C.figs[i].idx = i;
                continue;
            }
            snprintf(C.hw_why, sizeof C.hw_why, "PAPI %s: %s", C.m.papi_version, why);
            kernel_pmu_note(C.hw_why, sizeof C.hw_why);
            C.nfig = cf->npapi = 0;
        }
    }
    C.m.hw_ok = cf->npapi > 0;
    C.m.papi_kernel = C.m.hw_ok && cf->papi_kernel;
    cf->nsw = 0;
    for (int e = 0; C.sw && e < MNB_NSW; e++)
        if (C.sw == &mnb_csrc_perf_sw || mnb_swevs[e].in_rusage)
            add_sw_fig(e);
    add_fig("tsc", F_TSC, "ticks", "tsc");
    index_figs();
}

static void __attribute__((noreturn)) unknown_counter(const char *name)
{
    mnb_usage_error("--counters %s: unknown counter; allowed: task-clock, "
                    "context-switches, cpu-migrations, page-faults, tsc, or a PAPI preset "
                    "or native event (mnbench counters lists what this machine has)", name);
}

static void __attribute__((noreturn)) unavailable(const char *name, const char *why)
{
    mnb_usage_error("--counters %s: not available here (%s); allowed: what mnbench "
                    "counters lists as available", name, why);
}

static void resolve_name(const char *name)
{
    int code, e;
    char why[1024];

    for (e = 0; e < MNB_NSW && strcmp(name, mnb_swevs[e].name) != 0; e++)
        ;
    if (e < MNB_NSW) {
        if (!C.sw)
            unavailable(name, C.sw_why);
        if (!(C.sw == &mnb_csrc_perf_sw || mnb_swevs[e].in_rusage)) {
            snprintf(why, sizeof why, "perf software events are closed and rusage has no "
                     "%s: %s", name, C.sw_why);
            unavailable(name, why);
        }
        add_sw_fig(e);
        return;
    }
    if (strcmp(name, "tsc") == 0) {
        add_fig("tsc", F_TSC, "ticks", "tsc");
        return;
    }
    if (!papi_base() && !C.m.papi_version)
        mnb_usage_error("--counters %s: unknown, or not available here (%s); allowed: "
                        "task-clock, context-switches, cpu-migrations, page-faults, tsc",
                        name, C.hw_why);
    if (mnb_papi_code(name, &code) != 0)
        unknown_counter(name);
    if (!C.papi_base)
        unavailable(name, C.hw_why);
    if (!mnb_papi_query(code)) {
        snprintf(why, sizeof why, "PAPI %s: %s", C.m.papi_version, mnb_papi_strerror(MNB_PAPI_ENOEVNT));
        kernel_pmu_note(why, sizeof why);
        unavailable(name, why);
    }
    if (C.nfig >= MAX_FIGS - 2 || mnb_csrc_cf.npapi >= MNB_CMAX)
        mnb_usage_error("--counters %s: more than %d events; allowed: fewer", name, MNB_CMAX);
    add_papi_fig(name, code);
}

static void resolve_list(const char *list)
{
    mnb_csrc_conf *cf = &mnb_csrc_cf;
    char **items, why[512];
    int n, bad, rc;

    if (mnb_split(list, &items, &n) < 0)
        mnb_usage_error("--counters=%s: empty list or empty name; allowed: --counters "
                        "alone (the default set) or --counters=NAME,NAME", list);
    cf->nsw = cf->npapi = 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++)
            if (strcmp(items[k], items[i]) == 0)
                mnb_usage_error("--counters %s: given twice; allowed: each counter once",
                                items[i]);
        resolve_name(items[i]);
    }
    if (cf->npapi > 0 && (rc = papi_try(&bad, why, sizeof why)) != 0) {
        const char *culprit = NULL;
        for (int i = 0; i < C.nfig; i++)
            if (C.figs[i].kind == F_PAPI && (!culprit || C.figs[i].idx == bad))
                culprit = C.figs[i].name;
        if (rc == MNB_PAPI_ECNFLCT && bad >= 0)
            mnb_usage_error("--counters %s: does not fit in the %d hardware counters with "
                            "the events before it; allowed: fewer events, or --multiplex",
                            culprit, C.m.papi_counters);
        kernel_pmu_note(why, sizeof why);
        unavailable(culprit, why);
    }
    C.m.hw_ok = cf->npapi > 0;
    C.m.papi_kernel = C.m.hw_ok && cf->papi_kernel;
    mnb_split_free(items, n);
    index_figs();
}

void mnb_counters_setup(void)
{
    if (C.multiplex && !C.on)
        mnb_usage_error("--multiplex: without --counters there is nothing to multiplex; "
                        "allowed: --counters --multiplex");
    if (!C.on || C.ready)
        return;
    read_force();
    probe_software();
    C.m.sw_source = C.sw ? C.sw->name : NULL;
    if (C.list)
        resolve_list(C.list);
    else
        resolve_default();
    if (!C.papi_checked)
        papi_base();        /* run.json says what PAPI offers either way */
    C.m.hw_why = C.m.hw_ok ? NULL : C.hw_why;
    C.m.dropped = C.dropped[0] ? C.dropped : NULL;
    C.m.tsc_hz = mnb_tsc_hz(&C.m.tsc_from, &C.m.tsc_invariant, C.m.perf_open);
    C.ready = true;
}

void mnb_counters_announce(void)
{
    if (!C.on)
        return;
    if (!C.m.hw_ok && !C.list)
        mnb_warn("no hardware counters: %s; counting %s instead", C.hw_why,
                 C.sw == &mnb_csrc_perf_sw ? "Linux perf software events per M" :
                 C.sw ? "the Ms' rusage and CPU clocks" : "TSC ticks only");
    if (C.sw == &mnb_csrc_rusage)
        mnb_warn("perf software events are closed: %s; counting with "
                 "getrusage(RUSAGE_THREAD) and the thread CPU clock instead (no "
                 "cpu-migrations)", C.sw_why);
    else if (!C.sw && !C.list)
        mnb_warn("no software counters either: %s", C.sw_why);
    if (C.dropped[0])
        mnb_warn("counters: %s left out of the default set: more events than the %d "
                 "hardware counters (--multiplex keeps them)", C.dropped, C.m.papi_counters);
    if (C.m.tsc_hz > 0 && !C.m.tsc_invariant)
        mnb_warn("the TSC is not invariant here (no constant_tsc and nonstop_tsc): "
                 "tsc ticks follow the clock speed");
}

/* --- the registry of Ms ---------------------------------------------------------- */

/* Every M's slot. The lock serialises the Ms' opens and closes with the
 * runner's readings, and every PAPI call mnbench makes (PAPI's EventSet
 * map is not safe to grow while another thread reads through it). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static mnb_cslot **slots;
static int nslots, capslots;
static char m_fail[320];        /* the first M that could not open, and why */
static bool m_lost;             /* an M has no slot at all (out of memory) */

static struct {
    uint64_t tsc0;
    _Atomic uint64_t ops_bits;  /* a double; NaN: not reported */
} rep;

static int open_sources(mnb_cslot *s, char *why, size_t len)
{
    int rc = 0;

    if (mnb_csrc_cf.npapi > 0 && (rc = mnb_csrc_papi.open(s, why, len)) < 0)
        return rc;
    if (mnb_csrc_cf.nsw > 0 && C.sw && (rc = C.sw->open(s, why, len)) < 0)
        return rc;
    return 0;
}

/* Room for one more slot. Registry lock held. */
static bool slots_reserve(void)
{
    mnb_cslot **grown;
    int cap = capslots ? 2 * capslots : 16;

    if (nslots < capslots)
        return true;
    if (!(grown = realloc(slots, (size_t)cap * sizeof *slots)))
        return false;
    slots = grown;
    capslots = cap;
    return true;
}

void mnb_counters_m_start(int m_id, void *arg)
{
    mnb_cslot *s = calloc(1, sizeof *s);
    char why[256];

    pthread_mutex_lock(&reg_lock);
    if (!s || !slots_reserve()) {
        /* Every per-M figure would miss this M: none is given. */
        m_lost = true;
        snprintf(m_fail, sizeof m_fail, "M %d: out of memory for its counters", m_id);
        pthread_mutex_unlock(&reg_lock);
        free(s);
        return;
    }
    *s = (mnb_cslot){ .m_id = m_id, .tid = gettid(), .papi_es = -1, .perf_fd = -1,
                      .stat_fd = -1, .status_fd = -1 };
    if (open_sources(s, why, sizeof why) < 0) {
        s->failed = true;
        if (!m_fail[0])
            snprintf(m_fail, sizeof m_fail, "M %d: %s", m_id, why);
    }
    s->live = true;
    slots[nslots++] = s;
    pthread_mutex_unlock(&reg_lock);
}

static void close_sources(mnb_cslot *s)
{
    if (mnb_csrc_cf.npapi > 0)
        mnb_csrc_papi.close(s, s->last);
    if (mnb_csrc_cf.nsw > 0 && C.sw)
        C.sw->close(s, s->last + mnb_csrc_cf.npapi);
}

void mnb_counters_m_stop(int m_id, void *arg)
{
    pid_t tid = gettid();

    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < nslots; i++)
        if (slots[i]->live && slots[i]->tid == tid) {
            close_sources(slots[i]);
            slots[i]->live = false;
        }
    pthread_mutex_unlock(&reg_lock);
}

/* Counts since the M's open: read now if it lives, its last otherwise.
 * Registry lock held. */
static int slot_read(mnb_cslot *s, double *v)
{
    if (s->failed)
        return -EIO;
    if (!s->live) {
        memcpy(v, s->last, (size_t)C.nvals * sizeof *v);
        return 0;
    }
    if (mnb_csrc_cf.npapi > 0 && mnb_csrc_papi.read(s, v) < 0)
        return -EIO;
    if (mnb_csrc_cf.nsw > 0 && C.sw && C.sw->read(s, v + mnb_csrc_cf.npapi) < 0)
        return -EIO;
    return 0;
}

static void set_ops(double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    atomic_store_explicit(&rep.ops_bits, bits, memory_order_relaxed);
}

static double get_ops(void)
{
    uint64_t bits = atomic_load_explicit(&rep.ops_bits, memory_order_relaxed);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Any G may call this, several times: the counts add up. */
void mnb_ops(mnb_ctx *ctx, double ops)
{
    uint64_t old = atomic_load_explicit(&rep.ops_bits, memory_order_relaxed), new;
    double v;

    (void)ctx;
    if (!C.on || !(ops >= 0))
        return;
    do {
        memcpy(&v, &old, sizeof v);
        v = isnan(v) ? ops : v + ops;
        memcpy(&new, &v, sizeof new);
    } while (!atomic_compare_exchange_weak_explicit(&rep.ops_bits, &old, new,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
}

void mnb_counters_rep_begin(void)
{
    int k = 0;

    if (!C.on)
        return;
    pthread_mutex_lock(&reg_lock);
    /* Ms that stopped since the last repetition have nothing more to say. */
    for (int i = 0; i < nslots; i++) {
        if (!slots[i]->live) {
            free(slots[i]);
            continue;
        }
        slots[k++] = slots[i];
    }
    nslots = k;
    for (int i = 0; i < nslots; i++)
        if (slot_read(slots[i], slots[i]->begin) < 0)
            slots[i]->failed = true;
    pthread_mutex_unlock(&reg_lock);
    set_ops(NAN);
    rep.tsc0 = mnb_rdtsc();
}

/* --- figures per configuration ------------------------------------------------- */

typedef struct crec {
    const mnb_conf *conf;
    mnb_series tot[MAX_FIGS];
    mnb_series ops;
    double *samples[MAX_FIGS];
    char units[MAX_FIGS][48];
    mnb_cfigure figs[MAX_FIGS];
    bool per_op;
} crec;

static crec **recs;
static int nrecs;

static crec *rec_of(const mnb_conf *c, bool create)
{
    for (int i = 0; i < nrecs; i++)
        if (recs[i]->conf == c)
            return recs[i];
    if (!create)
        return NULL;
    recs = realloc(recs, (size_t)(nrecs + 1) * sizeof *recs);
    recs[nrecs] = calloc(1, sizeof **recs);
    recs[nrecs]->conf = c;
    return recs[nrecs++];
}

static void push(mnb_series *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            fputs("mnbench: out of memory keeping counters\n", stderr);
            abort();
        }
    }
    s->v[s->n++] = v;
}

void mnb_counters_rep_end(const mnb_conf *c, bool keep)
{
    uint64_t tsc1 = mnb_rdtsc();
    double sum[MNB_CMAX] = { 0 }, v[MNB_CMAX];
    bool ok;
    crec *r;

    if (!C.on)
        return;
    pthread_mutex_lock(&reg_lock);
    ok = !m_lost;
    for (int i = 0; i < nslots; i++) {
        if (slot_read(slots[i], v) < 0) {
            ok = false;
            continue;
        }
        for (int k = 0; k < C.nvals; k++)
            sum[k] += v[k] - slots[i]->begin[k];
    }
    pthread_mutex_unlock(&reg_lock);
    if (!ok)
        mnb_warn("counters: %s: the per-M figures of repetitions where an M could not "
                 "be read are missing", m_fail[0] ? m_fail : "a read failed");
    if (!keep)
        return;
    r = rec_of(c, true);
    for (int f = 0; f < C.nfig; f++) {
        const fig *g = &C.figs[f];
        double x = NAN;
        if (g->kind == F_TSC)
            x = (double)(tsc1 - rep.tsc0);
        else if (g->kind == F_IPC && ok)
            x = sum[C.figs[C.ins].idx] / sum[C.figs[C.cyc].idx];
        else if (ok)
            x = sum[g->idx];
        push(&r->tot[f], x);
    }
    push(&r->ops, get_ops());
}

void mnb_counters_session_end(void)
{
    if (!C.on)
        return;
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < nslots; i++) {
        /* An M that never said on_m_stop (a runtime that failed to start):
         * its thread is gone, so only the descriptors are left to free. */
        if (slots[i]->live) {
            if (slots[i]->perf_fd >= 0)
                for (int k = 0; k < mnb_csrc_cf.nsw; k++)
                    close(slots[i]->perf_members[k]);
            if (slots[i]->stat_fd >= 0)
                close(slots[i]->stat_fd);
            if (slots[i]->status_fd >= 0)
                close(slots[i]->status_fd);
        }
        free(slots[i]);
    }
    nslots = 0;
    m_lost = false;
    pthread_mutex_unlock(&reg_lock);
}

static void rec_summarise(crec *r)
{
    size_t n = r->ops.n;

    r->per_op = n > 0;
    for (size_t i = 0; i < n; i++)
        r->per_op &= isfinite(r->ops.v[i]) && r->ops.v[i] > 0;
    for (int f = 0; f < C.nfig; f++) {
        const fig *g = &C.figs[f];
        mnb_cfigure *o = &r->figs[f];
        r->samples[f] = calloc(n + 1, sizeof *r->samples[f]);
        for (size_t i = 0; i < n; i++)
            r->samples[f][i] = g->kind == F_IPC || !r->per_op ? r->tot[f].v[i]
                                                              : r->tot[f].v[i] / r->ops.v[i];
        if (g->kind == F_IPC)
            snprintf(r->units[f], sizeof r->units[f], "%s", g->unit);
        else
            snprintf(r->units[f], sizeof r->units[f], "%s/%s", g->unit,
                     r->per_op ? "op" : "rep");
        *o = (mnb_cfigure){ .name = g->name, .source = g->source, .unit = r->units[f],
                            .better = g->kind == F_IPC ? MNB_HIGHER : MNB_LOWER,
                            .per_m = g->kind != F_TSC, .totals = r->tot[f].v,
                            .samples = r->samples[f], .n = n };
        mnb_stats_compute(o->samples, n, &o->stats);
    }
}

void mnb_counters_summarise(const mnb_plan *p)
{
    if (!C.on)
        return;
    /* A configuration that never finished a repetition still gets (empty)
     * figures, so that every reporter shows the same rows. */
    for (int i = 0; i < p->n; i++)
        rec_summarise(rec_of(&p->confs[i], true));
}

int mnb_counters_of(const mnb_conf *c, const mnb_cfigure **figs, bool *per_op,
                    const double **ops)
{
    crec *r = C.on ? rec_of(c, false) : NULL;

    if (!r)
        return 0;
    *figs = r->figs;
    *per_op = r->per_op;
    *ops = r->ops.v;
    return C.nfig;
}

/* --- run.json's description ---------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s ? mnb_json_string(s) : json_null();
}

json_t *mnb_counters_info_json(void)
{
    json_t *figs, *req;
    const mnb_cmachine *m = &C.m;

    if (!C.on)
        return NULL;
    figs = json_array();
    for (int f = 0; f < C.nfig; f++)
        json_array_append_new(figs, json_pack("{s:s, s:s, s:s, s:b}",
                              "name", C.figs[f].name, "source", C.figs[f].source,
                              "unit", C.figs[f].unit, "per_m", C.figs[f].kind != F_TSC));
    req = C.list ? mnb_json_string(C.list) : json_string("default");
    return json_pack("{s:o, s:b, s:o, s:{s:s, s:b, s:o, s:o, s:o, s:o}, "
                     "s:{s:o, s:o, s:o, s:b}, s:{s:o, s:s, s:b}}",
                     "requested", req,
                     "multiplex", C.multiplex,
                     "figures", figs,
                     "hardware", "source", "papi", "usable", m->hw_ok,
                     "reason", str_or_null(m->hw_ok ? NULL : C.hw_why),
                     "papi_version", str_or_null(m->papi_version),
                     "domain", m->hw_ok ? json_string(m->papi_kernel ? "user+kernel" : "user")
                                        : json_null(),
                     "dropped", str_or_null(m->dropped),
                     "software", "source", str_or_null(m->sw_source),
                     "reason", str_or_null(C.sw == &mnb_csrc_perf_sw ? NULL : C.sw_why),
                     "perf_event_paranoid", m->paranoid == INT32_MIN ? json_null()
                                                                     : json_integer(m->paranoid),
                     "privileged", m->privileged,
                     "tsc", "hz", mnb_json_real(m->tsc_hz), "from", m->tsc_from,
                     "invariant", m->tsc_invariant);
}

void mnb_counters_free(void)
{
    for (int i = 0; i < nrecs; i++) {
        for (int f = 0; f < MAX_FIGS; f++) {
            free(recs[i]->tot[f].v);
            free(recs[i]->samples[f]);
        }
        free(recs[i]->ops.v);
        free(recs[i]);
    }
    free(recs);
    recs = NULL;
    nrecs = 0;
    mnb_counters_session_end();
    free(slots);
    slots = NULL;
    capslots = 0;
}
