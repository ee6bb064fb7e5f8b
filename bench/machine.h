/* machine.h - the machine a run came from, for run.json's context block. */
#ifndef MNBENCH_MACHINE_H
#define MNBENCH_MACHINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* host, cpu_model, topology {packages, numa_nodes, cores, pus, caches},
 * kernel, compiler, cflags, build_type, git_revision, git_dirty,
 * mnbench_version, virtual_machine, hypervisor, cpu_governor, environment
 * (the MN_* variables set). A new reference. */
json_t *mnb_machine_context(void);

/* A virtual machine? (DMI vendor or product names a hypervisor, or the
 * CPU reports the hypervisor flag.) Its name goes to buf ("KVM", or
 * "unknown"). */
bool mnb_machine_vm(char *buf, size_t len);

/* The scaling governor of CPU 0 into buf; false when there is none
 * (no cpufreq, as in most VMs). */
bool mnb_machine_governor(char *buf, size_t len);

/* gethostname(), "unknown" when that fails. */
const char *mnb_machine_host(void);

#endif
