/* main.c - mnbench: subcommand dispatch, and the order of a run:
 * validate everything, then make the folder, measure, write, report.
 * Bad input exits 2 before the first byte is written (cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "compare.h"
#include "console.h"
#include "counters.h"
#include "machine.h"
#include "plan.h"
#include "plot.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "stress.h"
#include "topo.h"
#include "warn.h"

static int cmd_list(const mnb_opts *o)
{
    const mnb_bench *b;

    if (o->nnames == 0) {
        mnb_console_list(stdout);
        return MNB_EXIT_OK;
    }
    if (!(b = mnb_bench_find(o->names[0])))
        mnb_usage_error("unknown benchmark '%s'; allowed: %s", o->names[0],
                        mnb_bench_names());
    mnb_console_bench(stdout, b);
    return MNB_EXIT_OK;
}

/* Conditions that make every figure of this run noisier. */
static void warn_machine(const mnb_plan *p)
{
    char buf[64];

    if (mnb_machine_vm(buf, sizeof buf))
        mnb_warn("running in a virtual machine (%s): the hypervisor adds noise, and "
                 "cross-CPU wake-ups cost far more than on bare metal", buf);
    if (mnb_machine_governor(buf, sizeof buf) && strcmp(buf, "performance") != 0)
        mnb_warn("the CPU frequency governor is %s, not performance: clock speed "
                 "varies during the run", buf);
    for (int i = 0; i < p->n; i++) {
        const char *pl = p->confs[i].cfg.placement;
        if (pl && strcmp(pl, "none") == 0) {
            mnb_warn("threads are not pinned (placement none): the kernel may move Ms "
                     "between CPUs in the middle of a repetition");
            break;
        }
    }
}

static void warn_noise(const mnb_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        const mnb_conf *c = &p->confs[i];
        for (int m = 0; m < c->bench->nmetrics; m++)
            if (c->bench->metrics[m].kind == MNB_SAMPLE && c->stats[m].n >= 2 &&
                c->stats[m].cv > 0.05)
                mnb_warn("%s %s: CV %.1f%% > 5%%: the repetitions disagree",
                         c->name, c->bench->metrics[m].name, 100 * c->stats[m].cv);
    }
}

/* --label, or the benchmark names joined with '+'. */
static void run_label(const mnb_opts *o, const mnb_plan *p, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    if (o->label) {
        snprintf(buf, len, "%s", o->label);
        return;
    }
    for (int i = 0; i < p->n && n < len; i++)
        if (i == 0 || p->confs[i].bench != p->confs[i - 1].bench)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "+" : "",
                                  p->confs[i].bench->name);
}

static int finish(const mnb_opts *o, mnb_run_info *info, mnb_plan *p, const char *folder,
                  int run_rc)
{
    json_t *doc;
    int wrc;

    info->end = time(NULL);
    info->interrupted = mnb_interrupted();
    mnb_summarise(p);
    warn_noise(p);
    doc = mnb_run_json(info, p);
    wrc = mnb_results_write(folder, doc, p);
    json_decref(doc);
    mnb_console_report(stdout, p, o->format, info->interrupted);
    fflush(stdout);
    fprintf(o->format == MNB_FMT_TEXT ? stdout : stderr, "results: %s\n", folder);
    if (info->interrupted)
        return MNB_EXIT_INTERRUPTED;
    return wrc < 0 || run_rc != MNB_RUN_OK ? MNB_EXIT_FAILED : MNB_EXIT_OK;
}

static int cmd_run(const mnb_opts *o)
{
    mnb_run_info info = { .o = o };
    mnb_plan plan;
    char label[256], *folder;
    int rc;

    /* 1. Everything that can be refused, refused before writing. */
    mnb_plan_build(o, false, &plan);
    mnb_counters_setup();
    if (o->dry_run) {
        for (int i = 0; i < plan.n; i++)
            puts(plan.confs[i].name);
        mnb_plan_free(&plan);
        return MNB_EXIT_OK;
    }
    mnb_results_check(o->results_dir);
    /* 2. The folder, now that measuring is about to start. */
    mnb_plan_alloc(&plan);
    info.context = mnb_machine_context();
    warn_machine(&plan);
    mnb_counters_announce();
    mnb_sigint_install();
    info.start = time(NULL);
    run_label(o, &plan, label, sizeof label);
    if (!(folder = mnb_results_create(o->results_dir, label, info.start)))
        return MNB_EXIT_FAILED;
    /* 3. Measure, then write what there is, interrupted or not. */
    rc = mnb_run_plan(&plan, o);
    if (rc == MNB_RUN_SETUP) {
        rmdir(folder);
        return MNB_EXIT_USAGE;
    }
    rc = finish(o, &info, &plan, folder, rc);
    json_decref(info.context);
    mnb_counters_free();
    mnb_plan_free(&plan);
    free(folder);
    return rc;
}

int main(int argc, char **argv)
{
    mnb_opts o;

    /* Readers of run folders: their own options (compare.h, plot.h, report.h). */
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return mnb_compare_cmd(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "plot") == 0)
        return mnb_plot_cmd(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return mnb_report_cmd(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "stress") == 0)
        return mnb_stress_cmd(argc, argv);
    if (argc > 1 && strcmp(argv[1], "counters") == 0) {
        if (argc > 2)
            mnb_usage_error("counters %s: no arguments; allowed: mnbench counters", argv[2]);
        return mnb_counters_cmd(stdout);
    }
    mnb_cli_parse(argc, argv, &o);
    if (o.cmd == MNB_CMD_TOPO)
        return mnb_topo_cmd(&o);
    return o.cmd == MNB_CMD_LIST ? cmd_list(&o) : cmd_run(&o);
}
