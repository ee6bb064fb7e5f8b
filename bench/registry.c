/* registry.c - every benchmark mnbench knows, in the order `list` shows. */
#include "bench.h"

const mnb_bench *const mnb_benches[] = {
    &mnb_bench_spawn,
    &mnb_bench_switch,
    &mnb_bench_chan,
    &mnb_bench_steal,
    &mnb_bench_skynet,
    &mnb_bench_syscall,
    &mnb_bench_sleep,
    &mnb_bench_preempt,
    &mnb_bench_stw,
};
const int mnb_nbenches = sizeof mnb_benches / sizeof mnb_benches[0];
