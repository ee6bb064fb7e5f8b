/* registry.c - every benchmark mnbench knows, in the order `list` shows. */
#include "bench.h"

const mnb_bench *const mnb_benches[] = {
    &mnb_bench_spawn,
    &mnb_bench_switch,
    &mnb_bench_chan,
    &mnb_bench_steal,
    &mnb_bench_skynet,
};
const int mnb_nbenches = sizeof mnb_benches / sizeof mnb_benches[0];
