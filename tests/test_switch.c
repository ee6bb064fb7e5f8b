/* test_switch.c - the context switch: callee-saved registers, MXCSR and
 * the x87 control word survive, per G, across switches. */
#include <fenv.h>
#include <xmmintrin.h>
#include "mnsched.h"
#include "testlib.h"

int mnt_yield_keeps_regs(uint64_t seed, void (*yield)(void));

static mn_wg_t wg;
static int failures;

static void reg_g(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 1000003u;
    for (int i = 0; i < SCALED(20000); i++)
        failures += mnt_yield_keeps_regs(seed + (uint64_t)i * 7, mn_yield);
    mn_wg_done(&wg);
}

static void regs_main(void *arg)
{
    mn_wg_init(&wg);
    mn_wg_add(&wg, 4);
    for (uintptr_t i = 1; i <= 4; i++)
        mn_spawn_on(0, MN_NOMIGRATE, reg_g, (void *)i);
    mn_wg_wait(&wg);
}

static void callee_saved_registers(void)
{
    failures = 0;
    mnt_run(1, NULL, regs_main, NULL);
    ASSERT_EQ(failures, 0);
}

static unsigned short get_cw(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static void set_cw(unsigned short cw)
{
    __asm__ volatile("fldcw %0" : : "m"(cw));
}

/* Each G sets its own rounding mode and x87 precision; yields between
 * them must not leak one G's modes into the other. */
static void fp_g(void *arg)
{
    int mine = (int)(uintptr_t)arg;
    unsigned mx = (_mm_getcsr() & ~0x6000u) | (mine ? 0x6000u : 0x2000u); /* toward zero / down */
    unsigned short cw = (unsigned short)((get_cw() & ~0x0300u) | (mine ? 0x0000u : 0x0200u));
    _mm_setcsr(mx);
    set_cw(cw);
    for (int i = 0; i < SCALED(10000); i++) {
        mn_yield();
        if ((_mm_getcsr() & 0xffc0u) != (mx & 0xffc0u) || get_cw() != cw)
            failures++;
        volatile double x = 1.0 / 3.0;   /* sets MXCSR's sticky flags: they are not state */
        (void)x;
    }
    mn_wg_done(&wg);
}

static void fp_main(void *arg)
{
    mn_wg_init(&wg);
    mn_wg_add(&wg, 2);
    mn_spawn_on(0, MN_NOMIGRATE, fp_g, (void *)0);
    mn_spawn_on(0, MN_NOMIGRATE, fp_g, (void *)1);
    mn_wg_wait(&wg);
}

static void mxcsr_and_x87_control_word(void)
{
    failures = 0;
    unsigned mx = _mm_getcsr();
    unsigned short cw = get_cw();
    mnt_run(1, NULL, fp_main, NULL);
    ASSERT_EQ(failures, 0);
    ASSERT_EQ(_mm_getcsr() & 0xffc0u, mx & 0xffc0u);   /* the caller's modes come back */
    ASSERT_EQ(get_cw(), cw);
}

static void bare_switch_measures(void)
{
    double ns = mn_bare_switch_ns(100000);
#if defined(__SANITIZE_ADDRESS__) || defined(MN_TSAN) || defined(MN_ASAN)
    ASSERT_TRUE(ns == 0);
#else
    ASSERT_TRUE(ns > 0 && ns < 1e6);
#endif
}

MNT_MAIN(CASE(callee_saved_registers), CASE(mxcsr_and_x87_control_word),
         CASE(bare_switch_measures))
