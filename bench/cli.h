/* cli.h - mnbench's command line: the one table of flags (harness options
 * and runtime settings alike) and the options it parses into.
 *
 * Grammar (DESIGN.md, "The command line"):
 *   mnbench [run] [BENCH...] [options]     run (no BENCH: the default suite)
 *   mnbench list [BENCH]                   what exists, or one in detail
 *   mnbench topo [--topology T] [--placement P] [--procs N] [--format F]
 *                                          the machine and the placement plan
 * A runtime setting takes a comma list of values to sweep (--procs 1,2),
 * except those whose values contain commas of their own (--placement):
 * those take one value and are repeated to sweep.
 */
#ifndef MNBENCH_CLI_H
#define MNBENCH_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mnsched.h"

/* Exit status. */
#define MNB_EXIT_OK 0
#define MNB_EXIT_FAILED 1       /* a configuration failed while measuring */
#define MNB_EXIT_USAGE 2        /* bad input; nothing was written */
#define MNB_EXIT_INTERRUPTED 130

typedef enum {
    MNB_V_NONE,                 /* not a setting: a harness option */
    MNB_V_INT,                  /* integers and ranges: 1,2,4 or 1-4 */
    MNB_V_WORD,                 /* one of `words` */
    MNB_V_SIZE,                 /* bytes: 64K, 1M */
    MNB_V_DURATION,             /* 10ms, 0.5s; 0 or off */
    MNB_V_EXPR,                 /* free text the runtime validates */
} mnb_vkind;

/* One value of a setting: the number (INT, SIZE in bytes, DURATION in ns)
 * and the canonical text used in instance names. */
typedef struct mnb_value {
    int64_t i;
    char *s;
} mnb_value;

typedef struct mnb_list {
    mnb_value *v;
    int n;
} mnb_list;

typedef struct mnb_flag {
    const char *name;           /* --name */
    int has_arg;                /* no_argument, required_argument, optional_argument */
    int short_opt;              /* 'h', or 0 */
    const char *metavar;
    const char *def;            /* the default, as --help shows it */
    const char *env;            /* the MN_* variable the runtime reads, or NULL */
    /* false: the mechanism has not landed, and the flag is refused with
     * exit 2 rather than accepted and ignored. Landing it flips this. */
    bool available;
    const char *help;
    /* Runtime settings only (kind != MNB_V_NONE): */
    const char *key;            /* instance axis and run.json key */
    mnb_vkind kind;
    bool one_per_flag;          /* repeat the flag to sweep */
    int64_t min, max;
    const char *const *words;
    const char *allowed;        /* what error messages offer */
    void (*apply)(mn_config *cfg, const mnb_value *v);
    /* The effective value in cfg: *i for numbers, *s for text (NULL when
     * the runtime leaves it unset). */
    void (*get)(const mn_config *cfg, int64_t *i, const char **s);
} mnb_flag;

#define MNB_MAX_FLAGS 32
extern const mnb_flag mnb_flags[];
extern const int mnb_nflags;

typedef enum { MNB_CMD_RUN, MNB_CMD_LIST, MNB_CMD_TOPO } mnb_cmd;   /* --help, --version exit at once */
typedef enum { MNB_FMT_TEXT, MNB_FMT_CSV, MNB_FMT_JSON } mnb_format;

/* --param NAME=V,V: the values stay text until a benchmark's parameter
 * table says how to read them (plan.c). */
typedef struct mnb_param_arg {
    char *name;
    char **vals;
    int n;
} mnb_param_arg;

typedef struct mnb_opts {
    mnb_cmd cmd;
    char **names;               /* BENCH... for run, [BENCH] for list */
    int nnames;
    bool default_suite;         /* run with no BENCH */
    mnb_param_arg *params;
    int nparams;
    mnb_list set[MNB_MAX_FLAGS];/* per flag index: the setting's sweep (n = 0: not given) */
    bool given[MNB_MAX_FLAGS];  /* per flag index: on the command line */
    int64_t warmup, reps, min_time_ns;
    bool interleave, quiet, dry_run;
    mnb_format format;
    const char *results_dir;
    const char *label;          /* NULL: derived from the benchmark names */
    int argc;
    char **argv;
} mnb_opts;

/* Parses argv. Bad input: one line on stderr and exit(MNB_EXIT_USAGE). */
void mnb_cli_parse(int argc, char **argv, mnb_opts *o);

void mnb_usage(FILE *f);

/* "mnbench: <message>" on stderr, then exit(MNB_EXIT_USAGE). */
void mnb_usage_error(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* The runtime refused a configuration (mn_config_default or mn_run said
 * -EINVAL): its message, prefixed with what was being set up; "allowed"
 * is added unless the runtime's message already says it. Exits 2. */
void mnb_runtime_refused(const char *what, const char *msg) __attribute__((noreturn));

/* Is `name` a registered benchmark? Its entry, or NULL. */
const struct mnb_bench *mnb_bench_find(const char *name);

/* "spawn, switch, ...": every benchmark name, for error messages. */
const char *mnb_bench_names(void);

#endif
