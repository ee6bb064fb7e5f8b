/* bare.c - the reference row of the switch benchmark: the runtime's
 * context switch with no scheduler around it. Two contexts, reused, each
 * switching to the other; what mn_yield costs beyond this is the
 * scheduler's. Returns 0 in sanitizer builds. */
#include <stdlib.h>
#include <time.h>
#include "internal.h"
#include "sanitize.h"

static struct {
    void *main_sp, *co_sp;
    uint64_t n;
} bare;

static void co_fn(void *arg)
{
    for (;;)
        mn__switch_inline(&bare.co_sp, bare.main_sp);
}

double mn_bare_switch_ns(uint64_t n)
{
    enum { SIZE = 16 << 10 };
#if defined(MN_SAN_ASAN) || defined(MN_SAN_TSAN)
    /* Unannotated stack switches confuse the sanitizers, and their
     * timings mean nothing: not measured there. */
    return 0;
#endif
    char *stack = malloc(SIZE);
    if (!stack || n == 0) {
        free(stack);
        return 0;
    }
    bare.co_sp = mn__ctx_init(stack + SIZE, co_fn, NULL);
    mn__switch_inline(&bare.main_sp, bare.co_sp);     /* warm: enter co once */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t i = 0; i < n; i++)
        mn__switch_inline(&bare.main_sp, bare.co_sp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(stack);                /* co is parked in its loop: just drop it */
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    return ns / (double)(2 * n);
}
