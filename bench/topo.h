/* topo.h - `mnbench topo`: the machine and the placement plan, as text or
 * JSON (the shape is in DESIGN.md, "Harness"). */
#ifndef MNBENCH_TOPO_H
#define MNBENCH_TOPO_H

#include "cli.h"

/* Prints the plan that --topology, --placement and --procs (else
 * MN_TOPOLOGY, MN_PLACEMENT, MN_PROCS) give. Bad input: one line and
 * exit(MNB_EXIT_USAGE). Returns the exit status. */
int mnb_topo_cmd(const mnb_opts *o);

#endif
