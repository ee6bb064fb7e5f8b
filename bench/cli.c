/* cli.c - mnbench's command line: the flag table, --help generated from
 * it, and getopt_long parsing into mnb_opts (grammar in cli.h). */
#include "cli.h"
#include "bench.h"
#include "counters.h"
#include "parse.h"
#include "plan.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Settings: how each writes its mn_config field and reads it back. */
#define STR_SETTING(fn, field)                                               \
    static void apply_##fn(mn_config *c, const mnb_value *v) { c->field = v->s; } \
    static void get_##fn(const mn_config *c, int64_t *i, const char **s)      \
    { *i = 0; *s = c->field; }
#define NUM_SETTING(fn, field, type)                                         \
    static void apply_##fn(mn_config *c, const mnb_value *v) { c->field = (type)v->i; } \
    static void get_##fn(const mn_config *c, int64_t *i, const char **s)      \
    { *i = (int64_t)c->field; *s = NULL; }

NUM_SETTING(procs, nprocs, int)
STR_SETTING(queue, queue)
NUM_SETTING(stack_size, stack_size, size_t)
STR_SETTING(placement, placement)
STR_SETTING(topology, topology)
STR_SETTING(mem, mem_policy)
STR_SETTING(steal, steal_policy)
NUM_SETTING(timeslice, timeslice_ns, uint64_t)
STR_SETTING(preempt, preempt_mode)
NUM_SETTING(syscall_handoff, syscall_handoff_ns, uint64_t)

static const char *const queue_words[] = { "fifo", "lifo", NULL };
static const char *const preempt_words[] = { "signal", "cooperative", "off", NULL };
static const char *const steal_words[] = { "hier", "random", NULL };

#define DAY_NS (86400 * INT64_C(1000000000))

/* A harness option. */
#define OPTION(nm, arg, sh, mv, df, avail, hl)                              \
    { .name = nm, .has_arg = arg, .short_opt = sh, .metavar = mv,           \
      .def = df, .available = avail, .help = hl }

/* A runtime setting: option text, then how values parse and apply. */
#define SETTING(nm, mv, df, env_, avail, hl, k, kd, one, lo, hi, w, allow)  \
    { .name = nm, .has_arg = required_argument, .metavar = mv, .def = df,   \
      .env = env_, .available = avail, .help = hl, .key = #k, .kind = kd,   \
      .one_per_flag = one, .min = lo, .max = hi, .words = w,                \
      .allowed = allow, .apply = apply_##k, .get = get_##k }

const mnb_flag mnb_flags[] = {
    OPTION("param", required_argument, 0, "NAME=V[,V...]", NULL, true,
           "a benchmark parameter; commas sweep; repeat for more parameters"),
    OPTION("warmup", required_argument, 0, "N", "1", true,
           "unmeasured repetitions at the start of each fresh runtime"),
    OPTION("reps", required_argument, 0, "N", "10", true,
           "at least N measured repetitions per configuration"),
    OPTION("min-time", required_argument, 0, "D", "0.5s", true,
           "and at least D of measured time per configuration (ns, us, ms, s)"),
    OPTION("interleave", no_argument, 0, NULL, "off", true,
           "configurations round-robin, one repetition each per round, so that "
           "drift hits all alike"),
    OPTION("format", required_argument, 0, "text|csv|json", "text", true,
           "what stdout gets: the table, or summary rows as CSV or JSON"),
    OPTION("results-dir", required_argument, 0, "DIR", "results", true,
           "where the run's folder <stamp>-<host>-<label>/ is made"),
    OPTION("label", required_argument, 0, "NAME", "BENCH+BENCH...", true,
           "the folder's label (characters outside [A-Za-z0-9._+-] become _)"),
    OPTION("quiet", no_argument, 'q', NULL, NULL, true, "no progress line on stderr"),
    OPTION("dry-run", no_argument, 0, NULL, NULL, true,
           "list the instances that would run, run nothing"),
    OPTION("counters", optional_argument, 0, "=EVENT,...", NULL, true,
           "counters per M, summed and per operation: without =, the default set "
           "(PAPI hardware events where usable, perf software events, TSC); "
           "mnbench counters lists what this machine has"),
    OPTION("multiplex", no_argument, 0, NULL, "off", true,
           "with --counters: PAPI time-shares more events than hardware counters "
           "(the counts become scaled estimates)"),
    OPTION("help", no_argument, 'h', NULL, NULL, true, "this text"),
    OPTION("version", no_argument, 0, NULL, NULL, true, "mnbench's version"),

    /* Runtime settings: one fresh runtime per combination. */
    SETTING("procs", "N,...", "every CPU", "MN_PROCS", true,
            "Ps (a list 1,2,4 or a range 1-4)",
            procs, MNB_V_INT, false, 1, MN_MAX_PROCS, NULL,
            "integers 1 to 256, as a list 1,2,4 or a range 1-4"),
    SETTING("queue", "fifo,lifo", "fifo", "MN_QUEUE", true,
            "run-queue discipline of the owner P",
            queue, MNB_V_WORD, false, 0, 0, queue_words, "fifo, lifo"),
    SETTING("stack-size", "SIZE,...", "64K", "MN_STACK_SIZE", true,
            "usable bytes per G stack (64K, 1M)",
            stack_size, MNB_V_SIZE, false, 16384, INT64_C(1) << 30, NULL,
            "sizes 16K to 1G, with an optional K, M or G suffix"),
    SETTING("placement", "POLICY", "compact", "MN_PLACEMENT", true,
            "where Ps run: compact, scatter, numa:LIST, cpus:LIST (0-3,8 or 0-3+8), "
            "likwid domains (S0, M0:0-3, S0@S1), none (unpinned); then ,smt=auto|off|on; "
            "one policy per flag, repeat to sweep (mnbench topo shows the plan)",
            placement, MNB_V_EXPR, true, 0, 0, NULL, "one placement policy per flag"),
    SETTING("topology", "T", "machine", "MN_TOPOLOGY", true,
            "synthetic:DESC or xml:FILE: for mnbench topo only (a run needs the real "
            "machine); one per flag",
            topology, MNB_V_EXPR, true, 0, 0, NULL, "one topology per flag"),
    SETTING("mem", "POLICY,...", "local", "MN_MEM", true,
            "memory policy: local (P structures and stacks on the P's NUMA node), "
            "interleave, node:N, firsttouch",
            mem, MNB_V_EXPR, false, 0, 0, NULL, "local, interleave, node:N, firsttouch"),
    SETTING("steal", "hier,random", "hier", "MN_STEAL", true,
            "victim order when stealing: nearest tier first (hier) or random",
            steal, MNB_V_WORD, false, 0, 0, steal_words, "hier, random"),
    SETTING("timeslice", "D,...", "10ms", "MN_TIMESLICE", true,
            "time slice before preemption (0 or off: none)",
            timeslice, MNB_V_DURATION, false, 0, DAY_NS, NULL,
            "durations with a unit (ns, us, ms, s), or off"),
    SETTING("preempt", "MODE,...", "signal", "MN_PREEMPT", true,
            "how a slice's end is enforced: signal, cooperative, off",
            preempt, MNB_V_WORD, false, 0, 0, preempt_words, "signal, cooperative, off"),
    SETTING("syscall-handoff", "D,...", "20us", "MN_SYSCALL_HANDOFF", true,
            "hand a P off after a G spent D in a system call (0 or off: never)",
            syscall_handoff, MNB_V_DURATION, false, 0, DAY_NS, NULL,
            "durations with a unit (ns, us, ms, s), or off"),
};
const int mnb_nflags = sizeof mnb_flags / sizeof mnb_flags[0];

_Static_assert(sizeof mnb_flags / sizeof mnb_flags[0] <= MNB_MAX_FLAGS,
               "raise MNB_MAX_FLAGS");

/* Subcommands main() dispatches before parsing: here only when an option
 * came first (getopt moved it out of the way). */
static const char *const reader_commands[] = {
    "compare", "plot", "report", NULL,
};

#define FLAG_VAL(f) (256 + (f))

void mnb_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("mnbench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(MNB_EXIT_USAGE);
}

void mnb_runtime_refused(const char *what, const char *msg)
{
    if (strstr(msg, "allowed:"))
        mnb_usage_error("%s: %s", what, msg);
    mnb_usage_error("%s: %s; allowed: a configuration the runtime accepts "
                    "(see mnbench --help)", what, msg);
}

const mnb_bench *mnb_bench_find(const char *name)
{
    for (int i = 0; i < mnb_nbenches; i++)
        if (strcmp(mnb_benches[i]->name, name) == 0)
            return mnb_benches[i];
    return NULL;
}

const char *mnb_bench_names(void)
{
    static char buf[1024];
    size_t len = 0;

    if (buf[0])
        return buf;
    for (int i = 0; i < mnb_nbenches && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                i ? ", " : "", mnb_benches[i]->name);
    return buf;
}

/* "--param, --warmup, ...": every flag that is not refused. */
static const char *flag_names(void)
{
    static char buf[1024];
    size_t len = 0;

    for (int f = 0; f < mnb_nflags && len < sizeof buf; f++)
        if (mnb_flags[f].available)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s--%s",
                                    len ? ", " : "", mnb_flags[f].name);
    return buf;
}

/* "--procs, --queue, --stack-size": the settings that exist today. */
static const char *available_settings(void)
{
    static char buf[256];
    size_t len = 0;

    for (int f = 0; f < mnb_nflags && len < sizeof buf; f++)
        if (mnb_flags[f].available && mnb_flags[f].kind != MNB_V_NONE)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s--%s",
                                    len ? ", " : "", mnb_flags[f].name);
    return buf;
}

/* Prints text's words from column col on, wrapping at 79 columns to
 * `indent`; returns the column reached. */
static int wrap(FILE *out, const char *text, int col, int indent)
{
    bool first = true;

    while (*text) {
        int w = (int)strcspn(text, " ");
        if (!first && col + 1 + w > 79) {
            col = fprintf(out, "\n%*s", indent, "") - 1;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%.*s", w, text);
        text += w;
        while (*text == ' ')
            text++;
        first = false;
    }
    return col;
}

static void usage_flag(FILE *out, const mnb_flag *fl)
{
    char left[64], def[64] = "", env[64] = "";
    int n, col;

    n = fl->short_opt ? snprintf(left, sizeof left, "-%c, ", fl->short_opt)
                      : snprintf(left, sizeof left, "    ");
    snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", fl->name,
             fl->metavar && fl->metavar[0] != '=' ? " " : "",
             fl->metavar ? fl->metavar : "");
    col = fprintf(out, "  %-28s ", left);
    col = wrap(out, fl->help, col, 31);
    /* Each bracket is one unit: "[every CPU]" is never split. */
    if (fl->def)
        snprintf(def, sizeof def, "[%s]", fl->def);
    if (fl->env)
        snprintf(env, sizeof env, "(env %s)", fl->env);
    const char *extra[] = { def, env, fl->available ? "" : "(not available yet)" };
    for (int i = 0; i < 3; i++) {
        int w = (int)strlen(extra[i]);
        if (w == 0)
            continue;
        if (col + 1 + w > 79) {
            col = fprintf(out, "\n%*s", 31, "") - 1;
        } else {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%s", extra[i]);
    }
    fputc('\n', out);
}

void mnb_usage(FILE *out)
{
    fputs("Usage: mnbench [run] [BENCH...] [options]\n"
          "       mnbench list [BENCH]\n"
          "       mnbench counters\n"
          "       mnbench topo [--topology T] [--placement P] [--procs N] [--format text|json]\n"
          "       mnbench plot [--out DIR] RESULTS_DIR...\n"
          "       mnbench compare [--by SETTING] [--alpha A] [--format F] RESULTS_DIR...\n"
          "       mnbench report [--out DIR] [--no-plots] RESULTS_DIR...\n"
          "       mnbench stress [--duration D] [--seed N] [--mix K=W,...] [--inject F,...]\n"
          "\n"
          "Runs the benchmarks of the mnsched runtime (no BENCH: the default\n"
          "suite below) over every combination of the swept values, one fresh\n"
          "runtime per combination, and writes run.json and summary.csv to\n"
          "DIR/<UTC stamp>-<host>-<label>/. `list` shows the benchmarks, their\n"
          "parameters and metrics. `topo` prints the machine and the placement\n"
          "plan: each P's CPU, core, NUMA node, package and steal tiers.\n"
          "`counters` says what --counters can count on this machine, and why\n"
          "not the rest. `plot` draws a run's figures with gnuplot into\n"
          "RESULTS_DIR/plots/ (PNG and SVG); `compare` tables runs, or the\n"
          "configurations of runs by a setting, with medians, 95% CIs, changes\n"
          "and Mann-Whitney U p-values; `report` writes report.html and\n"
          "report.md. `stress` runs a seeded random mix of runtime operations\n"
          "and checks the runtime's invariants. Each has --help.\n"
          "\nOptions:\n", out);
    for (int f = 0; f < mnb_nflags; f++)
        if (mnb_flags[f].kind == MNB_V_NONE)
            usage_flag(out, &mnb_flags[f]);
    fputs("\nRuntime settings (commas sweep; one fresh runtime per combination;\n"
          "unset: the runtime's default, which reads the MN_* variable):\n", out);
    for (int f = 0; f < mnb_nflags; f++)
        if (mnb_flags[f].kind != MNB_V_NONE)
            usage_flag(out, &mnb_flags[f]);
    fputs("\nInstances are named BENCH/setting:value/.../param:value: settings\n"
          "in the order above, then parameters in the benchmark's order; an axis\n"
          "appears when it is swept or differs from its default\n"
          "(switch/procs:2/queue:lifo).\n"
          "\nDefault suite (mnbench with no BENCH):\n", out);
    mnb_default_suite_print(out);
    fputs("\nExit status: 0 done; 1 a configuration failed while measuring;\n"
          "2 bad input, nothing written; 130 interrupted (Ctrl-C: the current\n"
          "repetition finishes and what was measured is saved; twice: quit now).\n",
          out);
}

static int64_t int_option(const mnb_flag *fl, const char *arg, int64_t lo, int64_t hi)
{
    int64_t v;

    if (mnb_parse_int(arg, &v) < 0 || v < lo || v > hi)
        mnb_usage_error("--%s %s: %s; allowed: integers %" PRId64 " to %" PRId64,
                        fl->name, arg, "not an integer in range", lo, hi);
    return v;
}

static int64_t duration_option(const mnb_flag *fl, const char *arg)
{
    int64_t v;

    if (mnb_parse_duration(arg, &v) < 0 || v > DAY_NS)
        mnb_usage_error("--%s %s: not a duration; allowed: 0 to 1 day with a "
                        "unit ns, us, ms or s (0.5s, 200ms)", fl->name, arg);
    return v;
}

static void harness_option(mnb_opts *o, const mnb_flag *fl, const char *arg);
static void param_option(mnb_opts *o, const char *arg);
static void setting_option(mnb_opts *o, int f, const char *arg);

/* Which flag getopt_long returned, or -1 for an error return. */
static int flag_of(int c)
{
    if (c >= FLAG_VAL(0) && c < FLAG_VAL(mnb_nflags))
        return c - FLAG_VAL(0);
    for (int f = 0; f < mnb_nflags; f++)
        if (mnb_flags[f].short_opt && mnb_flags[f].short_opt == c)
            return f;
    return -1;
}

static void getopt_error(int c, char **argv)
{
    int f = flag_of(optopt);

    if (c == ':' && f >= 0)
        mnb_usage_error("--%s needs a value (%s); allowed: see mnbench --help",
                        mnb_flags[f].name, mnb_flags[f].metavar);
    if (f >= 0)
        mnb_usage_error("--%s takes no value; allowed: --%s alone",
                        mnb_flags[f].name, mnb_flags[f].name);
    if (optopt)
        mnb_usage_error("unknown option '-%c'; allowed: %s", optopt, flag_names());
    mnb_usage_error("unknown or ambiguous option '%s'; allowed: %s",
                    argv[optind - 1], flag_names());
}

static void build_getopt_tables(struct option *lo, char *shorts)
{
    char *p = shorts;

    *p++ = ':';                 /* ':' for a missing value, '?' for the rest */
    for (int f = 0; f < mnb_nflags; f++) {
        lo[f] = (struct option){ mnb_flags[f].name, mnb_flags[f].has_arg,
                                 NULL, FLAG_VAL(f) };
        if (mnb_flags[f].short_opt)
            *p++ = (char)mnb_flags[f].short_opt;
    }
    lo[mnb_nflags] = (struct option){ 0 };
    *p = '\0';
}

static void positionals(mnb_opts *o, int argc, char **argv);

void mnb_cli_parse(int argc, char **argv, mnb_opts *o)
{
    struct option lo[MNB_MAX_FLAGS + 1];
    char shorts[MNB_MAX_FLAGS + 2];
    bool run_options = false;
    int c, f;

    *o = (mnb_opts){ .cmd = MNB_CMD_RUN, .warmup = 1, .reps = 10,
                     .min_time_ns = 500000000, .format = MNB_FMT_TEXT,
                     .results_dir = "results", .argc = argc, .argv = argv };
    build_getopt_tables(lo, shorts);
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (c == '?' || c == ':' || (f = flag_of(c)) < 0)
            getopt_error(c, argv);
        if (!mnb_flags[f].available)
            mnb_usage_error("--%s: the mechanism is not available yet; allowed: %s",
                            mnb_flags[f].name, available_settings());
        run_options = true;
        o->given[f] = true;
        if (strcmp(mnb_flags[f].name, "param") == 0)
            param_option(o, optarg);
        else if (mnb_flags[f].kind != MNB_V_NONE)
            setting_option(o, f, optarg);
        else
            harness_option(o, &mnb_flags[f], optarg);
    }
    positionals(o, argc - optind, argv + optind);
    if (o->cmd == MNB_CMD_LIST && run_options)
        mnb_usage_error("list takes no options; allowed: mnbench list [BENCH]");
    for (f = 0; o->cmd == MNB_CMD_TOPO && f < mnb_nflags; f++)
        if (o->given[f] && strcmp(mnb_flags[f].name, "topology") != 0 &&
            strcmp(mnb_flags[f].name, "placement") != 0 &&
            strcmp(mnb_flags[f].name, "procs") != 0 && strcmp(mnb_flags[f].name, "format") != 0)
            mnb_usage_error("topo --%s: not a topo option; allowed: --topology, --placement, "
                            "--procs, --format", mnb_flags[f].name);
}

static void harness_option(mnb_opts *o, const mnb_flag *fl, const char *arg)
{
    const char *n = fl->name;

    if (strcmp(n, "help") == 0) {
        mnb_usage(stdout);
        exit(MNB_EXIT_OK);
    } else if (strcmp(n, "version") == 0) {
        printf("mnbench %s\n", MN_VERSION);
        exit(MNB_EXIT_OK);
    } else if (strcmp(n, "warmup") == 0) {
        o->warmup = int_option(fl, arg, 0, 1000000);
    } else if (strcmp(n, "reps") == 0) {
        o->reps = int_option(fl, arg, 1, 1000000000);
    } else if (strcmp(n, "min-time") == 0) {
        o->min_time_ns = duration_option(fl, arg);
    } else if (strcmp(n, "interleave") == 0) {
        o->interleave = true;
    } else if (strcmp(n, "quiet") == 0) {
        o->quiet = true;
    } else if (strcmp(n, "dry-run") == 0) {
        o->dry_run = true;
    } else if (strcmp(n, "counters") == 0) {
        if (arg && *arg == '\0')
            mnb_usage_error("--counters=: empty list; allowed: --counters alone (the "
                            "default set) or --counters=NAME,NAME");
        mnb_counters_option(arg);
    } else if (strcmp(n, "multiplex") == 0) {
        mnb_counters_set_multiplex();
    } else if (strcmp(n, "format") == 0) {
        static const char *const fmts[] = { "text", "csv", "json" };
        for (int i = 0; i < 3; i++)
            if (strcmp(arg, fmts[i]) == 0) {
                o->format = (mnb_format)i;
                return;
            }
        mnb_usage_error("--format %s: unknown format; allowed: text, csv, json", arg);
    } else if (strcmp(n, "results-dir") == 0 || strcmp(n, "label") == 0) {
        if (*arg == '\0')
            mnb_usage_error("--%s '': empty; allowed: a %s", n,
                            n[0] == 'l' ? "label such as numa-compare" : "directory");
        *(n[0] == 'l' ? &o->label : &o->results_dir) = arg;
    }
}

static void param_option(mnb_opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    mnb_param_arg *p;
    char *name;
    char **vals;
    int n;

    if (!eq || eq == arg)
        mnb_usage_error("--param %s: not NAME=VALUES; allowed: --param n=1000,10000 "
                        "(mnbench list BENCH shows the parameters)", arg);
    if (mnb_split(eq + 1, &vals, &n) < 0)
        mnb_usage_error("--param %s: empty list or empty value; allowed: "
                        "one or more values separated by commas", arg);
    name = strndup(arg, (size_t)(eq - arg));
    /* Repeating a parameter extends its sweep, like repeating a setting. */
    for (int i = 0; i < o->nparams; i++) {
        p = &o->params[i];
        if (strcmp(p->name, name) != 0)
            continue;
        p->vals = realloc(p->vals, (size_t)(p->n + n) * sizeof *p->vals);
        memcpy(p->vals + p->n, vals, (size_t)n * sizeof *vals);
        p->n += n;
        free(vals);
        free(name);
        return;
    }
    o->params = realloc(o->params, (size_t)(o->nparams + 1) * sizeof *o->params);
    o->params[o->nparams++] = (mnb_param_arg){ name, vals, n };
}

/* Reads one item of a setting into v (canonical text included); a range
 * of integers appends several. Bad items end the program. */
static void setting_item(const mnb_flag *fl, const char *item, mnb_list *l);

static void setting_option(mnb_opts *o, int f, const char *arg)
{
    const mnb_flag *fl = &mnb_flags[f];
    mnb_list *l = &o->set[f];
    char **items;
    int n;

    if (fl->one_per_flag) {
        if (*arg == '\0')
            mnb_usage_error("--%s '': empty; allowed: %s", fl->name, fl->allowed);
        setting_item(fl, arg, l);
        return;
    }
    if (mnb_split(arg, &items, &n) < 0)
        mnb_usage_error("--%s '%s': empty list or empty value; allowed: %s",
                        fl->name, arg, fl->allowed);
    for (int i = 0; i < n; i++)
        setting_item(fl, items[i], l);
    mnb_split_free(items, n);
}

#define MAX_SWEEP 256           /* values per axis: a typo like 1-100000 is refused */

static void list_append(const mnb_flag *fl, mnb_list *l, int64_t i, const char *s)
{
    if (l->n >= MAX_SWEEP)
        mnb_usage_error("--%s: more than %d values; allowed: %s", fl->name,
                        MAX_SWEEP, fl->allowed);
    for (int k = 0; k < l->n; k++)
        if (strcmp(l->v[k].s, s) == 0)
            mnb_usage_error("--%s %s: given twice; allowed: each value once",
                            fl->name, s);
    l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
    l->v[l->n++] = (mnb_value){ i, strdup(s) };
}

static void setting_item(const mnb_flag *fl, const char *item, mnb_list *l)
{
    char text[64];
    int64_t lo, hi, v = 0;
    int rc = 0;

    switch (fl->kind) {
    case MNB_V_INT:
        if ((rc = mnb_parse_range(item, &lo, &hi)) < 0 || lo < fl->min || hi > fl->max)
            break;
        if (hi - lo >= MAX_SWEEP)
            mnb_usage_error("--%s %s: more than %d values; allowed: %s",
                            fl->name, item, MAX_SWEEP, fl->allowed);
        for (v = lo; v <= hi; v++) {
            snprintf(text, sizeof text, "%" PRId64, v);
            list_append(fl, l, v, text);
        }
        return;
    case MNB_V_WORD:
        for (int w = 0; fl->words[w]; w++)
            if (strcmp(item, fl->words[w]) == 0) {
                list_append(fl, l, w, item);
                return;
            }
        rc = -EINVAL;
        break;
    case MNB_V_SIZE:
        if ((rc = mnb_parse_size(item, &v)) < 0 || v < fl->min || v > fl->max)
            break;
        mnb_fmt_size(v, text, sizeof text);
        list_append(fl, l, v, text);
        return;
    case MNB_V_DURATION:
        if (strcmp(item, "off") != 0 &&
            ((rc = mnb_parse_duration(item, &v)) < 0 || v < fl->min || v > fl->max))
            break;
        if (v == 0)
            snprintf(text, sizeof text, "off");
        else
            mnb_fmt_duration(v, text, sizeof text);
        list_append(fl, l, v, text);
        return;
    case MNB_V_EXPR:
        list_append(fl, l, 0, item);
        return;
    case MNB_V_NONE:
        break;
    }
    mnb_usage_error("--%s %s: %s; allowed: %s", fl->name, item,
                    rc == 0 ? "out of range" : "malformed", fl->allowed);
}

static void positionals(mnb_opts *o, int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "list") == 0) {
        o->cmd = MNB_CMD_LIST;
        if (argc > 2)
            mnb_usage_error("list %s: one benchmark at most; allowed: mnbench list "
                            "[BENCH]", argv[2]);
        o->names = argv + 1;
        o->nnames = argc - 1;
        return;
    }
    /* main() runs a bare `mnbench counters` before parsing anything. */
    if (argc > 0 && strcmp(argv[0], "counters") == 0)
        mnb_usage_error("counters takes no options or arguments; allowed: mnbench counters");
    if (argc > 0 && strcmp(argv[0], "topo") == 0) {
        o->cmd = MNB_CMD_TOPO;
        if (argc > 1)
            mnb_usage_error("topo %s: no arguments; allowed: mnbench topo [--topology T] "
                            "[--placement P] [--procs N] [--format text|json]", argv[1]);
        return;
    }
    for (int i = 0; argc > 0 && reader_commands[i]; i++)
        if (strcmp(argv[0], reader_commands[i]) == 0)
            mnb_usage_error("%s: the subcommand goes first; allowed: mnbench %s [options] "
                            "RESULTS_DIR... (mnbench %s --help)", argv[0], argv[0], argv[0]);
    /* main() runs `mnbench stress ...` before parsing anything. */
    if (argc > 0 && strcmp(argv[0], "stress") == 0)
        mnb_usage_error("stress: the subcommand goes first; allowed: mnbench stress [options] "
                        "(mnbench stress --help)");
    if (argc > 0 && strcmp(argv[0], "run") == 0) {
        argv++;
        argc--;
    } else if (argc > 0 && !mnb_bench_find(argv[0])) {
        mnb_usage_error("unknown subcommand or benchmark '%s'; allowed: run, list, topo, "
                        "counters, plot, compare, report, stress, %s", argv[0], mnb_bench_names());
    }
    for (int i = 0; i < argc; i++) {
        if (!mnb_bench_find(argv[i]))
            mnb_usage_error("unknown benchmark '%s'; allowed: %s", argv[i],
                            mnb_bench_names());
        for (int k = 0; k < i; k++)
            if (strcmp(argv[k], argv[i]) == 0)
                mnb_usage_error("benchmark '%s' given twice; allowed: each once",
                                argv[i]);
    }
    o->names = argv;
    o->nnames = argc;
    o->default_suite = argc == 0;
}
