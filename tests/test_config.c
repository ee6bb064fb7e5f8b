/* test_config.c - defaults, the MN_* environment, and refusals that name
 * the variable and what is allowed. */
#include <errno.h>
#include "internal.h"
#include "mnsched.h"
#include "testlib.h"

static const char *const vars[] = {
    "MN_PROCS", "MN_PLACEMENT", "MN_TOPOLOGY", "MN_MEM", "MN_STEAL", "MN_QUEUE",
    "MN_STACK_SIZE", "MN_TIMESLICE", "MN_PREEMPT", "MN_SYSCALL_HANDOFF",
    "MN_SCHEDTRACE", "MN_MAX_THREADS", "MN_STACK_GUARD",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void defaults(void)
{
    clear_env();
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    ASSERT_EQ(cfg.nprocs, 0);
    ASSERT_EQ(cfg.stack_size, 64 << 10);
    ASSERT_TRUE(!strcmp(cfg.queue, "fifo"));
    ASSERT_TRUE(!strcmp(cfg.placement, "compact"));
    ASSERT_EQ(cfg.syscall_handoff_ns, 20000);
    ASSERT_EQ(cfg.error[0], 0);
}

static void environment_applies(void)
{
    clear_env();
    setenv("MN_PROCS", "1", 1);
    setenv("MN_QUEUE", "lifo", 1);
    setenv("MN_STACK_SIZE", "128K", 1);
    setenv("MN_TIMESLICE", "off", 1);
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    ASSERT_EQ(cfg.nprocs, 1);
    ASSERT_TRUE(!strcmp(cfg.queue, "lifo"));
    ASSERT_EQ(cfg.stack_size, 128 << 10);
    ASSERT_EQ(cfg.timeslice_ns, 0);
    setenv("MN_SYSCALL_HANDOFF", "off", 1);
    ASSERT_EQ(mn_config_default(&cfg), 0);
    ASSERT_EQ(cfg.syscall_handoff_ns, 0);
    setenv("MN_SYSCALL_HANDOFF", "50us", 1);
    ASSERT_EQ(mn_config_default(&cfg), 0);
    ASSERT_EQ(cfg.syscall_handoff_ns, 50000);
    clear_env();
}

static void refused(const char *var, const char *val, const char *allowed)
{
    clear_env();
    setenv(var, val, 1);
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, var);
    ASSERT_STR_CONTAINS(cfg.error, val);
    ASSERT_STR_CONTAINS(cfg.error, allowed);
    ASSERT_TRUE(!strchr(cfg.error, '\n'));
    clear_env();
}

static void bad_values_refused(void)
{
    refused("MN_PROCS", "abc", "whole number");
    refused("MN_PROCS", "-1", "whole number");
    refused("MN_PROCS", "100000", "whole number");
    refused("MN_QUEUE", "stack", "fifo, lifo");
    refused("MN_STACK_SIZE", "12Q", "64K");
    refused("MN_STACK_SIZE", "1K", "16K to 1G");
    refused("MN_TIMESLICE", "10", "unit");
    refused("MN_TIMESLICE", "50us", "at least 100us");
    refused("MN_PREEMPT", "sometimes", "signal, cooperative, off");
    refused("MN_PLACEMENT", "sideways", "compact, scatter");
    refused("MN_PLACEMENT", "cpus:0-4095", "allowed CPUs");
    refused("MN_TOPOLOGY", "synthetic:pack:2 core:2", "real machine");
    refused("MN_MEM", "node:4095", "node:N");
    refused("MN_STEAL", "nearest", "hier, random");
    refused("MN_STACK_GUARD", "paper", "auto, madvise");
    refused("MN_SCHEDTRACE", "1", "unit");
    refused("MN_SYSCALL_HANDOFF", "fast", "unit");
    refused("MN_MAX_THREADS", "0", "whole number");
}

static void too_many_procs_pinned(void)
{
    clear_env();
    mn_config cfg;
    ASSERT_EQ(mn_config_default(&cfg), 0);
    int cpus[1024];
    int n = mn__allowed_cpus(cpus, 1024);
    cfg.nprocs = n + 1;
    ASSERT_EQ(mn_config_check(&cfg), -EINVAL);
    ASSERT_STR_CONTAINS(cfg.error, "MN_PLACEMENT=none");
    cfg.placement = "none";
    ASSERT_EQ(mn_config_check(&cfg), 0);
    /* mn_run refuses it too, with the message on stderr */
    cfg.placement = "compact";
    ASSERT_EQ(mn_run(&cfg, (void (*)(void *))abort, NULL), -EINVAL);
}

static void parsers(void)
{
    size_t sz;
    uint64_t ns;
    ASSERT_EQ(mn__parse_size("64K", &sz), 0);
    ASSERT_EQ(sz, 65536);
    ASSERT_EQ(mn__parse_size("1M", &sz), 0);
    ASSERT_EQ(sz, 1 << 20);
    ASSERT_EQ(mn__parse_size("", &sz), -EINVAL);
    ASSERT_EQ(mn__parse_size("K", &sz), -EINVAL);
    ASSERT_EQ(mn__parse_duration("20us", &ns), 0);
    ASSERT_EQ(ns, 20000);
    ASSERT_EQ(mn__parse_duration("1.5ms", &ns), 0);
    ASSERT_EQ(ns, 1500000);
    ASSERT_EQ(mn__parse_duration("off", &ns), 0);
    ASSERT_EQ(ns, 0);
    ASSERT_EQ(mn__parse_duration("5", &ns), -EINVAL);
    ASSERT_EQ(mn__parse_duration("5 ms", &ns), -EINVAL);
}

MNT_MAIN(CASE(defaults), CASE(environment_applies), CASE(bad_values_refused),
         CASE(too_many_procs_pinned), CASE(parsers))
