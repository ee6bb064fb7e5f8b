/* test_results.c - run.json and summary.csv (bench/results.c): written
 * atomically, read back with jansson, every figure equal to what was
 * measured; the folder's name. */
#include "harness_test.h"
#include "results.h"
#include "machine.h"
#include "runner.h"

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static const mnb_param params[] = {
    { "n", "", 10, 1, 100, "count", NULL },
    { "mode", "", 0, 0, 1, "how", (const char *const[]){ "wg", "join", NULL } },
};
static const mnb_metric metrics[] = {
    { "ns_per_op", "ns", MNB_LOWER, MNB_SAMPLE, "time" },
    { "wake", "us", MNB_LOWER, MNB_LATENCY, "latency" },
    { "rate", "ops/s", MNB_HIGHER, MNB_SAMPLE, "throughput" },
};
static const mnb_bench fake = { "fake", "a bench for this test", params, 2, metrics, 3, 1, NULL };

static void put(mnb_series *s, const double *v, size_t n)
{
    s->v = malloc(n * sizeof *v);
    memcpy(s->v, v, n * sizeof *v);
    s->n = s->cap = n;
}

/* Two configurations; the second has a repetition that skipped `rate`. */
static void make_plan(mnb_plan *p)
{
    static const double a[] = { 12.5, 11.25, 13.0, 12.0, 11.75, 12.25, 12.125, 1.0 / 3 };
    static const double r[] = { 1e9, NAN, 2.5e9 };

    p->n = 2;
    p->confs = calloc(2, sizeof *p->confs);
    for (int i = 0; i < 2; i++) {
        mnb_conf *c = &p->confs[i];
        c->bench = &fake;
        c->name = strdup(i ? "fake/mode:join" : "fake");
        c->params = calloc(2, sizeof *c->params);
        c->params[0] = 10;
        c->params[1] = i;
        ASSERT_EQ(mn_config_default(&c->cfg), 0);
        c->expected_procs = c->nprocs = 1;
    }
    mnb_plan_alloc(p);
    for (int i = 0; i < 2; i++) {
        mnb_conf *c = &p->confs[i];
        put(&c->samples[0], a, i ? 3 : 8);
        put(&c->samples[2], r, 3);
        c->reps_done = i ? 3 : 8;
        for (int k = 0; k < 1000; k++)
            mnb_hist_add(c->lat[1], 0.5 + k * 0.01);
    }
    mnb_summarise(p);
}

static json_t *load(const char *folder, const char *name)
{
    char path[PATH_MAX];
    json_error_t err;
    json_t *j;

    snprintf(path, sizeof path, "%s/%s", folder, name);
    j = json_load_file(path, 0, &err);
    if (!j)
        fprintf(stderr, "%s: %s (line %d)\n", path, err.text, err.line);
    ASSERT_TRUE(j);
    return j;
}

static void check_conf(json_t *jc, const mnb_conf *c)
{
    json_t *s = json_object_get(json_object_get(jc, "samples"), "ns_per_op");
    json_t *sum = json_object_get(json_object_get(jc, "summaries"), "ns_per_op");
    json_t *lat = json_object_get(json_object_get(jc, "latencies"), "wake");
    json_t *rate = json_object_get(json_object_get(jc, "samples"), "rate");
    json_t *ci = json_object_get(sum, "ci95");

    ASSERT_STREQ(json_string_value(json_object_get(jc, "name")), c->name);
    ASSERT_STREQ(json_string_value(json_object_get(jc, "benchmark")), "fake");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(jc, "params"), "n")), 10);
    ASSERT_STREQ(json_string_value(json_object_get(json_object_get(jc, "params"), "mode")),
                 params[1].choices[c->params[1]]);
    ASSERT_EQ(json_array_size(s), c->samples[0].n);
    for (size_t i = 0; i < c->samples[0].n; i++)
        ASSERT_DEQ(json_real_value(json_array_get(s, i)), c->samples[0].v[i]);
    ASSERT_TRUE(json_is_null(json_array_get(rate, 1)));
    ASSERT_DEQ(json_real_value(json_array_get(rate, 2)), 2.5e9);
    ASSERT_EQ(json_integer_value(json_object_get(sum, "n")), c->stats[0].n);
    ASSERT_DEQ(json_real_value(json_object_get(sum, "median")), c->stats[0].median);
    ASSERT_DEQ(json_real_value(json_object_get(sum, "mean")), c->stats[0].mean);
    ASSERT_DEQ(json_real_value(json_object_get(sum, "stddev")), c->stats[0].stddev);
    ASSERT_DEQ(json_real_value(json_object_get(sum, "p99")), c->stats[0].p99);
    if (c->stats[0].n < 6) {
        ASSERT_TRUE(json_is_null(ci));
    } else {
        ASSERT_DEQ(json_real_value(json_array_get(ci, 0)), c->stats[0].ci_lo);
        ASSERT_DEQ(json_real_value(json_array_get(ci, 1)), c->stats[0].ci_hi);
    }
    ASSERT_STREQ(json_string_value(json_object_get(
        json_object_get(json_object_get(jc, "summaries"), "rate"), "better")), "higher");
    ASSERT_EQ(json_integer_value(json_object_get(lat, "count")), 1000);
    ASSERT_TRUE(json_is_false(json_object_get(lat, "truncated")));
    for (size_t i = 0; i < 1000; i++)
        ASSERT_DEQ(json_real_value(json_array_get(json_object_get(lat, "raw"), i)),
                   c->lat[1]->raw[i]);
    json_int_t total = 0;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(json_object_get(lat, "histogram"), "buckets"), i, b)
        total += json_integer_value(json_array_get(b, 2));
    ASSERT_EQ(total, 1000);
}

static void no_leftovers(const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    int files = 0;

    ASSERT_TRUE(d);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            ASSERT_TRUE(e->d_name[0] != '.');      /* no temporary left */
            files++;
        }
    closedir(d);
    ASSERT_EQ(files, 2);
}

static int count_lines(const char *folder, const char *name)
{
    char path[PATH_MAX];
    int n = 0, c;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", folder, name);
    ASSERT_TRUE((f = fopen(path, "r")));
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Leaves /tmp as it was: the folder's files, then the folder. */
static void remove_folder(const char *folder)
{
    char path[PATH_MAX];

    for (const char *const *f = (const char *const[]){ "run.json", "summary.csv", NULL };
         *f; f++) {
        snprintf(path, sizeof path, "%s/%s", folder, *f);
        unlink(path);
    }
    ASSERT_EQ(rmdir(folder), 0);
}

static void round_trip(void)
{
    char tmpl[] = "/tmp/mnb-results-XXXXXX", *argv[] = { "mnbench", "fake", NULL };
    mnb_opts o = { .warmup = 1, .reps = 3, .argc = 2, .argv = argv };
    mnb_plan p;
    mnb_run_info info = { .o = &o, .start = 1700000000, .end = 1700000060 };
    json_t *doc, *back;

    make_plan(&p);
    info.context = mnb_machine_context();
    ASSERT_TRUE(mkdtemp(tmpl));
    doc = mnb_run_json(&info, &p);
    ASSERT_EQ(mnb_results_write(tmpl, doc, &p), 0);
    back = load(tmpl, "run.json");
    ASSERT_STREQ(json_string_value(json_object_get(back, "schema")), "mnbench-run/1");
    ASSERT_TRUE(json_is_false(json_object_get(back, "interrupted")));
    ASSERT_STREQ(json_string_value(json_object_get(json_object_get(back, "context"), "start")),
                 "2023-11-14T22:13:20Z");
    ASSERT_EQ(json_array_size(json_object_get(back, "configurations")), 2);
    for (int i = 0; i < 2; i++)
        check_conf(json_array_get(json_object_get(back, "configurations"), (size_t)i),
                   &p.confs[i]);
    ASSERT_TRUE(json_equal(doc, back));
    ASSERT_EQ(count_lines(tmpl, "summary.csv"), 1 + 2 * 3);
    no_leftovers(tmpl);
    remove_folder(tmpl);
    json_decref(doc);
    json_decref(back);
    json_decref(info.context);
    mnb_plan_free(&p);
}

static void folder_names(void)
{
    char tmpl[] = "/tmp/mnb-folder-XXXXXX", buf[64], want[PATH_MAX], host[128];
    char *a, *b;

    mnb_sanitise("numa compare/2 ok+x_y.z-w", buf, sizeof buf);
    ASSERT_STREQ(buf, "numa_compare_2_ok+x_y.z-w");
    ASSERT_TRUE(mkdtemp(tmpl));
    mnb_sanitise(mnb_machine_host(), host, sizeof host);
    a = mnb_results_create(tmpl, "a b", 1700000000);
    b = mnb_results_create(tmpl, "a b", 1700000000);
    snprintf(want, sizeof want, "%s/20231114T221320Z-%s-a_b", tmpl, host);
    ASSERT_STREQ(a, want);
    strcat(want, "-2");
    ASSERT_STREQ(b, want);
    remove_folder(b);
    remove_folder(a);
    remove_folder(tmpl);
    free(a);
    free(b);
}

MNT_MAIN(CASE(round_trip), CASE(folder_names))
