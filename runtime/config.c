/* config.c - mn_config: defaults, the MN_* environment, and the checks
 * mn_run applies. A malformed value is refused with a message naming the
 * variable and what is allowed, never silently defaulted. */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MN_STACK_MIN (16u << 10)
#define MN_STACK_MAX (1u << 30)

static int fail(mn_config *cfg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg->error, sizeof cfg->error, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* "64K", "1M", "65536": bytes, with an optional K/M/G suffix (powers of 2). */
int mn__parse_size(const char *s, size_t *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (~0ULL >> shift))
        return -EINVAL;
    *out = (size_t)(v << shift);
    return 0;
}

/* "10ms", "20us", "1s", "500ns"; "0" and "off" mean 0. A bare non-zero
 * number is refused: a duration needs its unit. */
int mn__parse_duration(const char *s, uint64_t *out_ns)
{
    char *end;
    if (!s)
        return -EINVAL;
    if (!strcmp(s, "off") || !strcmp(s, "0")) {
        *out_ns = 0;
        return 0;
    }
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -EINVAL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -EINVAL;
    double mult;
    if (!strcmp(end, "ns"))      mult = 1;
    else if (!strcmp(end, "us")) mult = 1e3;
    else if (!strcmp(end, "ms")) mult = 1e6;
    else if (!strcmp(end, "s"))  mult = 1e9;
    else return -EINVAL;
    if (v * mult > 1e18)
        return -EINVAL;
    *out_ns = (uint64_t)(v * mult + 0.5);
    return 0;
}

/* The CPUs in this process's affinity mask, in increasing order. */
int mn__allowed_cpus(int *cpus, int max)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set))
        return -errno;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return n;
}

static int env_int(mn_config *cfg, const char *var, int lo, int hi, int *out)
{
    const char *s = getenv(var);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return fail(cfg, "%s=%s: expected a whole number from %d to %d", var, s, lo, hi);
    *out = (int)v;
    return 0;
}

static int env_size(mn_config *cfg, const char *var, size_t *out)
{
    const char *s = getenv(var);
    if (!s)
        return 0;
    if (mn__parse_size(s, out))
        return fail(cfg, "%s=%s: expected a size such as 64K or 1M", var, s);
    if (*out < MN_STACK_MIN || *out > MN_STACK_MAX)
        return fail(cfg, "%s=%s: expected 16K to 1G", var, s);
    return 0;
}

static int env_duration(mn_config *cfg, const char *var, uint64_t *out)
{
    const char *s = getenv(var);
    if (!s)
        return 0;
    if (mn__parse_duration(s, out))
        return fail(cfg, "%s=%s: expected a duration with a unit (ns, us, ms, s), or 0/off", var, s);
    return 0;
}

static void env_str(const char *var, const char **out)
{
    const char *s = getenv(var);
    if (s)
        *out = s;
}

int mn_config_default(mn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->placement = "compact";
    cfg->mem_policy = "local";
    cfg->steal_policy = "hier";
    cfg->queue = "fifo";
    cfg->stack_size = 64u << 10;
    cfg->stack_guard = "auto";
    cfg->max_threads = 10000;
    cfg->syscall_handoff_ns = 20000;
    cfg->timeslice_ns = 10000000;
    cfg->preempt_mode = "signal";
    int err;
    if ((err = env_int(cfg, "MN_PROCS", 0, MN_MAX_PROCS, &cfg->nprocs)) ||
        (err = env_size(cfg, "MN_STACK_SIZE", &cfg->stack_size)) ||
        (err = env_duration(cfg, "MN_TIMESLICE", &cfg->timeslice_ns)) ||
        (err = env_duration(cfg, "MN_SYSCALL_HANDOFF", &cfg->syscall_handoff_ns)) ||
        (err = env_int(cfg, "MN_MAX_THREADS", 1, 1000000, &cfg->max_threads)))
        return err;
    if (cfg->timeslice_ns && cfg->timeslice_ns < 100000)
        return fail(cfg, "MN_TIMESLICE=%s: expected at least 100us, or 0/off", getenv("MN_TIMESLICE"));
    env_str("MN_PLACEMENT", &cfg->placement);
    env_str("MN_TOPOLOGY", &cfg->topology);
    env_str("MN_MEM", &cfg->mem_policy);
    env_str("MN_STEAL", &cfg->steal_policy);
    env_str("MN_QUEUE", &cfg->queue);
    env_str("MN_PREEMPT", &cfg->preempt_mode);
    env_str("MN_STACK_GUARD", &cfg->stack_guard);
    const char *trace = getenv("MN_SCHEDTRACE");
    if (trace) {
        uint64_t ns;
        if (mn__parse_duration(trace, &ns))
            return fail(cfg, "MN_SCHEDTRACE=%s: expected a duration with a unit (ns, us, ms, s), or 0/off", trace);
    }
    return mn_config_check(cfg);
}

int mn_config_check(mn_config *cfg)
{
    cfg->error[0] = 0;
    if (cfg->nprocs < 0 || cfg->nprocs > MN_MAX_PROCS)
        return fail(cfg, "MN_PROCS=%d: expected 0 (every allowed CPU) to %d", cfg->nprocs, MN_MAX_PROCS);
    /* Topology, placement (the plan on the real machine: CPUs and nodes it
     * lacks, more Ps than CPUs with pinning on), MN_MEM, MN_STEAL. */
    int err = mn__topo_check(cfg);
    if (err)
        return err;
    const char *q = cfg->queue ? cfg->queue : "fifo";
    if (strcmp(q, "fifo") && strcmp(q, "lifo"))
        return fail(cfg, "MN_QUEUE=%s: unknown queue discipline; allowed: fifo, lifo", q);
    if (cfg->stack_size < MN_STACK_MIN || cfg->stack_size > MN_STACK_MAX)
        return fail(cfg, "MN_STACK_SIZE=%zu: expected 16K to 1G", cfg->stack_size);
    const char *pm = cfg->preempt_mode ? cfg->preempt_mode : "signal";
    if (strcmp(pm, "signal") && strcmp(pm, "cooperative") && strcmp(pm, "off"))
        return fail(cfg, "MN_PREEMPT=%s: allowed: signal, cooperative, off", pm);
    if (cfg->timeslice_ns && cfg->timeslice_ns < 100000)
        return fail(cfg, "MN_TIMESLICE=%lluns: expected at least 100us, or 0/off",
                    (unsigned long long)cfg->timeslice_ns);
    const char *gd = cfg->stack_guard ? cfg->stack_guard : "auto";
    if (strcmp(gd, "auto") && strcmp(gd, "madvise") && strcmp(gd, "mprotect") && strcmp(gd, "canary"))
        return fail(cfg, "MN_STACK_GUARD=%s: allowed: auto, madvise, mprotect, canary", gd);
    if (cfg->max_threads < 1)
        return fail(cfg, "MN_MAX_THREADS=%d: expected at least 1", cfg->max_threads);
    return 0;
}
