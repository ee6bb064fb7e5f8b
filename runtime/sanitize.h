/* sanitize.h - telling ASan, TSan and Valgrind about our stacks and
 * switches. Compiled to nothing in a normal build.
 *
 * ASan: __sanitizer_start_switch_fiber before every switch (NULL fake-stack
 * save for a G that will never run again), __sanitizer_finish_switch_fiber
 * on the new stack right after it. TSan: one fiber per pooled stack (and
 * the thread's own for g0); __tsan_switch_to_fiber right before the switch.
 */
#ifndef MN_SANITIZE_H
#define MN_SANITIZE_H

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__) || defined(MN_ASAN)
#define MN_SAN_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__) || defined(MN_TSAN)
#define MN_SAN_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif
#ifdef MN_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

static inline void mn__san_start(mn_g *from, mn_g *to, bool dying)
{
#ifdef MN_SAN_ASAN
    __sanitizer_start_switch_fiber(dying ? NULL : &from->asan_fake,
                                   to->stack_lo, to->stack_size);
#endif
#ifdef MN_SAN_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    (void)from; (void)to; (void)dying;
}

static inline void mn__san_finish(mn_g *self)
{
#ifdef MN_SAN_ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake, NULL, NULL);
#endif
    (void)self;
}

static inline void *mn__tsan_fiber_create(void)
{
#ifdef MN_SAN_TSAN
    return __tsan_create_fiber(0);
#else
    return NULL;
#endif
}

static inline void mn__tsan_fiber_destroy(void *f)
{
#ifdef MN_SAN_TSAN
    if (f)
        __tsan_destroy_fiber(f);
#endif
    (void)f;
}

static inline void *mn__tsan_current_fiber(void)
{
#ifdef MN_SAN_TSAN
    return __tsan_get_current_fiber();
#else
    return NULL;
#endif
}

/* A stack that will be reused or unmapped may still carry the poisoned
 * redzones of frames that never returned (a dead or dropped G): ASan does
 * not clear them on munmap, and a later mapping at the same address would
 * inherit them. */
static inline void mn__asan_unpoison(void *lo, size_t size)
{
#ifdef MN_SAN_ASAN
    __asan_unpoison_memory_region(lo, size);
#endif
    (void)lo; (void)size;
}

static inline unsigned mn__vg_register(char *lo, char *hi)
{
#ifdef MN_HAVE_VALGRIND_H
    return VALGRIND_STACK_REGISTER(lo, hi);
#else
    (void)lo; (void)hi;
    return 0;
#endif
}

static inline void mn__vg_deregister(unsigned id)
{
#ifdef MN_HAVE_VALGRIND_H
    VALGRIND_STACK_DEREGISTER(id);
#endif
    (void)id;
}

#endif
