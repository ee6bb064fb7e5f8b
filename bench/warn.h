/* warn.h - warnings about conditions that make timings noisy: each
 * distinct one printed once on stderr and kept for run.json. */
#ifndef MNBENCH_WARN_H
#define MNBENCH_WARN_H

#include <stddef.h>

void mnb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Every distinct warning so far, in order. */
const char *const *mnb_warnings(size_t *n);

#endif
