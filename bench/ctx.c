/* ctx.c - what benchmarks call from inside rep() (declared in bench.h):
 * parameters, samples, latencies, failures, the clock. */
#include "runner.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A misuse of the contract is a bug in the benchmark: abort naming it. */
static void __attribute__((noreturn, format(printf, 1, 2)))
contract_broken(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("mnbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void check_metric(const mnb_ctx *ctx, int metric, mnb_kind kind, const char *fn)
{
    const mnb_bench *b = ctx->conf->bench;

    if (metric < 0 || metric >= b->nmetrics || b->metrics[metric].kind != kind)
        contract_broken("%s: %s has no %s metric %d", fn, b->name,
                        kind == MNB_SAMPLE ? "sample" : "latency", metric);
}

/* The critical sections are a store or a histogram update: a spin is
 * cheaper than parking, and a G must not block its M here. */
static void lock(mnb_ctx *ctx)
{
    while (atomic_flag_test_and_set_explicit(&ctx->lock, memory_order_acquire))
        __builtin_ia32_pause();
}

static void unlock(mnb_ctx *ctx)
{
    atomic_flag_clear_explicit(&ctx->lock, memory_order_release);
}

int64_t mnb_param_get(const mnb_ctx *ctx, const char *name)
{
    const mnb_bench *b = ctx->conf->bench;

    for (int i = 0; i < b->nparams; i++)
        if (strcmp(b->params[i].name, name) == 0)
            return ctx->conf->params[i];
    contract_broken("mnb_param_get: %s has no parameter '%s'", b->name, name);
}

/* Any G may call this. NaN records nothing (the slot stays missing). */
void mnb_sample(mnb_ctx *ctx, int metric, double value)
{
    check_metric(ctx, metric, MNB_SAMPLE, "mnb_sample");
    lock(ctx);
    ctx->pending[metric] = value;
    unlock(ctx);
}

/* Any G may call this. Dropped during warm-up. */
void mnb_latency(mnb_ctx *ctx, int metric, double value)
{
    check_metric(ctx, metric, MNB_LATENCY, "mnb_latency");
    if (isnan(value))
        contract_broken("mnb_latency: %s: NaN for %s", ctx->conf->bench->name,
                        ctx->conf->bench->metrics[metric].name);
    if (ctx->warm)
        return;
    lock(ctx);
    mnb_hist_add(ctx->conf->lat[metric], value);
    unlock(ctx);
}

int mnb_fail(mnb_ctx *ctx, int err, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    lock(ctx);
    if (!ctx->fail)             /* the first reason is the one that matters */
        ctx->fail = msg;
    else
        free(msg);
    unlock(ctx);
    return err;
}

uint64_t mnb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
