/* mnsched/debug.h - hooks for stress tests and fault injection. Not for
 * production use: they cost nothing when unused, but they change the
 * runtime's behaviour on purpose. */
#ifndef MNSCHED_DEBUG_H
#define MNSCHED_DEBUG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fault injection, from any thread while the runtime runs; every = 0 turns
 * a fault off. Faults:
 *   "alloc"  every Nth mn_spawn / mn_spawn_joinable / mn_spawn_on fails
 *            with -ENOMEM (NULL, errno ENOMEM) as if the G or its stack
 *            could not be allocated; nothing is leaked.
 * Returns 0, or -EINVAL for an unknown fault. */
int  mn_debug_inject(const char *fault, unsigned every);

/* Spurious events, from any thread: wakes every parked M without work
 * for it, and sends the runtime's signal (SIGURG) to every M, whatever it
 * is doing (in a switch, in the runtime, in a system call). */
void mn_debug_kick(void);

typedef struct mn_debug_counts {
    size_t stacks_allocated;    /* mapped and not unmapped */
    size_t stacks_cached;       /* in per-P caches and the pools */
    size_t stacks_live;         /* bound to a G */
    size_t cache_max;           /* the largest per-P stack cache now */
    size_t cache_bound;         /* the bound every per-P cache must keep */
    size_t gs_live;             /* G structures not free: runnable, running, waiting, dead-unjoined */
} mn_debug_counts;

/* A snapshot; exact when every P is stopped (mn_stop_the_world), close
 * otherwise. Invariant when exact: allocated == cached + live, and
 * cache_max <= cache_bound. */
void mn_debug_counts_get(mn_debug_counts *out);

/* Writes one line per G that is not free: id, state, the P it is on or
 * last ran on (-1 if none), and what it waits for. Call with the world
 * stopped for an exact picture. Returns the number of lines. */
size_t mn_debug_dump(FILE *f);

#ifdef __cplusplus
}
#endif
#endif
