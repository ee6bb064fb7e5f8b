/* test_compare.c - the Mann-Whitney U test (bench/mwu.c) against p-values
 * derived independently, and `mnbench compare`'s model (bench/compare.c)
 * on synthetic runs with known outcomes.
 *
 * The exact p-values were enumerated in Python over every placement of
 * the x values among the pooled ranks (itertools.combinations): 3 vs 3
 * fully separated is 2 * 1/20; 4 vs 4 is 2 * 1/70; R's ?wilcox.test
 * example (x of 10, y of 5) has W = 35, one-sided p = 382/3003 = 0.1272,
 * as R prints. The normal approximations were computed from the textbook
 * formula (average ranks, tie-corrected variance, continuity correction
 * 1/2) in a separate Python script.
 */
#include "harness_test.h"
#include "compare.h"
#include "mwu.h"
#include "runjson.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static mnb_mwu mwu(const double *x, size_t nx, const double *y, size_t ny)
{
    mnb_mwu r;
    ASSERT_EQ(mnb_mwu_test(x, nx, y, ny, &r), 0);
    return r;
}

static void mwu_exact_tiny(void)
{
    const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
    const double c[] = { 1, 2, 3, 4 }, d[] = { 5, 6, 7, 8 };
    mnb_mwu r;

    r = mwu(a, 3, b, 3);
    ASSERT_TRUE(r.exact);
    ASSERT_DEQ(r.u, 0);
    ASSERT_NEAR(r.p, 0.1, 1e-15);
    r = mwu(b, 3, a, 3);                /* the other direction: U = 9, same p */
    ASSERT_DEQ(r.u, 9);
    ASSERT_NEAR(r.p, 0.1, 1e-15);
    r = mwu(c, 4, d, 4);
    ASSERT_NEAR(r.p, 2.0 / 70, 1e-15);
}

static void mwu_exact_r_example(void)
{
    const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
    const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
    const double p[] = { 3.1, 4.7, 2.2, 9.0, 5.5 };
    const double q[] = { 6.1, 7.3, 8.8, 1.9, 10.2, 11.4, 12.0 };
    mnb_mwu r = mwu(x, 10, y, 5);

    ASSERT_TRUE(r.exact);
    ASSERT_DEQ(r.u, 35);
    ASSERT_NEAR(r.p, 2 * 382.0 / 3003, 1e-13);   /* 0.2544122544 */
    r = mwu(p, 5, q, 7);
    ASSERT_DEQ(r.u, 8);
    ASSERT_NEAR(r.p, 0.14898989898989898, 1e-13); /* 2 * 59/792 */
}

static void mwu_normal_ties(void)
{
    const double a[] = { 1, 2, 2, 3, 4 }, b[] = { 2, 3, 4, 5, 5, 6 };
    const double c[] = { 10, 10, 11, 12, 12, 12, 13 }, d[] = { 12, 13, 13, 14, 15, 15 };
    mnb_mwu r = mwu(a, 5, b, 6);

    ASSERT_TRUE(!r.exact && r.ties);
    ASSERT_DEQ(r.u, 5);
    ASSERT_NEAR(r.p, 0.07794691458872482, 1e-12);
    r = mwu(c, 7, d, 6);
    ASSERT_DEQ(r.u, 3.5);
    ASSERT_NEAR(r.p, 0.012999854364387314, 1e-12);
}

/* 50 a side: past the exact limit even without ties. */
static void mwu_normal_large(void)
{
    double x[50], y[50];
    mnb_mwu r;

    for (int i = 0; i < 50; i++) {
        x[i] = i;
        y[i] = i + 10.5;
    }
    r = mwu(x, 50, y, 50);
    ASSERT_TRUE(!r.exact && !r.ties);
    ASSERT_DEQ(r.u, 780);
    ASSERT_NEAR(r.p, 0.001209423107033346, 1e-12);
}

static void mwu_identical(void)
{
    const double a[] = { 5, 5, 5, 5, 5 };
    mnb_mwu r = mwu(a, 5, a, 5);

    ASSERT_DEQ(r.p, 1);
    ASSERT_EQ(mnb_mwu_test(a, 0, a, 5, &r), -EINVAL);
}

/* The null distribution is symmetric and sums to one. */
static void mwu_cdf(void)
{
    ASSERT_NEAR(mnb_mwu_cdf(3, 3, 0), 0.05, 1e-15);
    ASSERT_NEAR(mnb_mwu_cdf(3, 3, 9), 1, 1e-15);
    for (long u = 0; u < 49 * 30; u++)
        ASSERT_NEAR(mnb_mwu_cdf(49, 30, u), 1 - mnb_mwu_cdf(49, 30, 49 * 30 - u - 1), 1e-12);
    ASSERT_NAN(mnb_mwu_cdf(50, 3, 1));
}

/* --- runs on disk ---------------------------------------------------------- */

static char tmpdir[] = "/tmp/test_compare.XXXXXX";
static int nfolders;

static void cleanup(void)
{
    char cmd[300];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static json_t *doc_new(void)
{
    json_t *ctx = json_pack("{s:s, s:n, s:n, s:n, s:s, s:s, s:s, s:n, s:s, s:[], s:s, s:s, "
                            "s:[], s:b}", "host", "h", "cpu_model", "topology", "kernel",
                            "compiler", "cc", "cflags", "", "build_type", "Release",
                            "git_revision", "mnbench_version", "0.1.0", "command_line",
                            "start", "2026-01-01T00:00:00Z", "end", "2026-01-01T00:00:01Z",
                            "warnings", "virtual_machine", 0);
    return json_pack("{s:s, s:b, s:o, s:[]}", "schema", "mnbench-run/1", "interrupted", 0,
                     "context", ctx, "configurations");
}

static void add_conf(json_t *doc, const char *bench, const char *placement, int procs,
                     const char *metric, const double *x, int n)
{
    json_t *vals = json_array(), *c;
    char name[128];

    for (int i = 0; i < n; i++)
        json_array_append_new(vals, json_real(x[i]));
    snprintf(name, sizeof name, "%s/procs:%d/placement:%s", bench, procs, placement);
    c = json_pack("{s:s, s:s, s:{s:i, s:s}, s:{}, s:i, s:{s:o}, s:{}, s:{s:{s:s, s:s, s:s, "
                  "s:n, s:n, s:n, s:n, s:n, s:i, s:n, s:n, s:n, s:n}}}",
                  "name", name, "benchmark", bench, "settings", "procs", procs, "placement",
                  placement, "params", "reps", n, "samples", metric, vals, "latencies",
                  "summaries", metric, "kind", "sample", "unit", "ns", "better", "lower",
                  "min", "mean", "stddev", "cv", "max", "n", n, "median", "p90", "p99",
                  "ci95");
    ASSERT_TRUE(c != NULL);
    json_array_append_new(json_object_get(doc, "configurations"), c);
}

/* Writes doc as DIR/run.json under the test's folder; returns DIR. */
static char *save(json_t *doc)
{
    char *dir = malloc(256), file[300];

    if (nfolders == 0) {
        ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
        atexit(cleanup);
    }
    snprintf(dir, 256, "%s/run%d", tmpdir, nfolders++);
    ASSERT_EQ(mkdir(dir, 0777), 0);
    snprintf(file, sizeof file, "%s/run.json", dir);
    ASSERT_EQ(json_dump_file(doc, file, 0), 0);
    json_decref(doc);
    return dir;
}

/* Twenty samples around m, all distinct. */
static void series(double m, double *x)
{
    for (int i = 0; i < 20; i++)
        x[i] = m * (1 + 0.01 * ((i * 7) % 20 - 9.5) / 10);
}

static void load2(mnb_set *s, char *a, char *b)
{
    char *dirs[] = { a, b };
    mnb_set_load(s, dirs, 2, "test");
}

static void compare_identical(void)
{
    double x[20];
    json_t *a = doc_new(), *b = doc_new();
    char t[64], *da, *db;
    mnb_set s;
    mnb_cmp c;

    series(100, x);
    add_conf(a, "switch", "compact", 1, "ns_per_switch", x, 20);
    add_conf(b, "switch", "compact", 1, "ns_per_switch", x, 20);
    load2(&s, da = save(a), db = save(b));
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, t, sizeof t), 0);
    ASSERT_EQ(c.nsides, 2);
    ASSERT_EQ(c.nrows, 1);
    ASSERT_EQ(c.rows[0].cells[1].verdict, MNB_CMP_SAME);
    ASSERT_DEQ(c.rows[0].cells[1].delta, 0);
    ASSERT_DEQ(c.rows[0].cells[1].p, 1);
    mnb_cmp_delta_text(&c, &c.rows[0], 1, t, sizeof t);
    ASSERT_STREQ(t, "~");
    ASSERT_EQ(c.ngeo, 1);
    ASSERT_NEAR(c.geo_delta[1], 0, 1e-12);
    mnb_cmp_free(&c);
    mnb_set_free(&s);
    free(da);
    free(db);
}

static void compare_shift(double factor, const char *text)
{
    double x[20], y[20];
    json_t *a = doc_new(), *b = doc_new();
    char t[64], *da, *db;
    mnb_set s;
    mnb_cmp c;

    series(100, x);
    series(100 * factor, y);
    add_conf(a, "chan", "compact", 2, "ns_per_handoff", x, 20);
    add_conf(b, "chan", "compact", 2, "ns_per_handoff", y, 20);
    load2(&s, da = save(a), db = save(b));
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, t, sizeof t), 0);
    ASSERT_EQ(c.rows[0].cells[1].verdict, MNB_CMP_DIFF);
    ASSERT_NEAR(c.rows[0].cells[1].delta, factor - 1, 1e-9);
    ASSERT_TRUE(c.rows[0].cells[1].p < 1e-6);      /* no overlap: p ~ 1.45e-11 */
    ASSERT_TRUE(c.rows[0].cells[1].exact);         /* 20 a side, no ties */
    mnb_cmp_delta_text(&c, &c.rows[0], 1, t, sizeof t);
    ASSERT_STREQ(t, text);
    mnb_cmp_free(&c);
    mnb_set_free(&s);
    free(da);
    free(db);
}

static void compare_slower(void) { compare_shift(1.2, "+20.00%"); }
static void compare_faster(void) { compare_shift(0.8, "-20.00%"); }

static void compare_too_few(void)
{
    const double x[] = { 1, 2, 3 }, y[] = { 10, 11, 12 };
    json_t *a = doc_new(), *b = doc_new();
    char t[64], *da, *db;
    mnb_set s;
    mnb_cmp c;

    add_conf(a, "spawn", "compact", 1, "ns_per_g", x, 3);
    add_conf(b, "spawn", "compact", 1, "ns_per_g", y, 3);
    load2(&s, da = save(a), db = save(b));
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, t, sizeof t), 0);
    ASSERT_EQ(c.rows[0].cells[1].verdict, MNB_CMP_FEW);
    ASSERT_NAN(c.rows[0].cells[1].p);
    mnb_cmp_delta_text(&c, &c.rows[0], 1, t, sizeof t);
    ASSERT_STREQ(t, "?");
    mnb_cmp_p_text(&c, &c.rows[0], 1, t, sizeof t);
    ASSERT_STR_CONTAINS(t, "too few");
    mnb_cmp_value_text(&c.rows[0].cells[0], t, sizeof t);
    ASSERT_STREQ(t, "2.000 ±∞");                /* no CI below 6 repetitions */
    mnb_cmp_free(&c);
    mnb_set_free(&s);
    free(da);
    free(db);
}

/* One run, two placements and two Ps counts: --by placement pairs the
 * configurations with the same procs. */
static void compare_by_placement(void)
{
    double x1[20], x2[20], y1[20], y2[20];
    json_t *a = doc_new();
    char err[256], *da;
    mnb_set s;
    mnb_cmp c;

    series(100, x1);
    series(200, x2);
    series(100, y1);
    series(300, y2);
    add_conf(a, "steal", "compact", 1, "ns_per_task", x1, 20);
    add_conf(a, "steal", "compact", 2, "ns_per_task", x2, 20);
    add_conf(a, "steal", "scatter", 1, "ns_per_task", y1, 20);
    add_conf(a, "steal", "scatter", 2, "ns_per_task", y2, 20);
    da = save(a);
    mnb_set_load(&s, &da, 1, "test");
    ASSERT_EQ(mnb_cmp_build(&s, "placement", 0.05, &c, err, sizeof err), 0);
    ASSERT_EQ(c.nsides, 2);
    ASSERT_STREQ(c.sides[0], "compact");
    ASSERT_STREQ(c.sides[1], "scatter");
    ASSERT_EQ(c.nrows, 2);
    ASSERT_STREQ(c.rows[0].label, "steal/procs:1");
    ASSERT_EQ(c.rows[0].cells[1].verdict, MNB_CMP_SAME);
    ASSERT_STREQ(c.rows[1].label, "steal/procs:2");
    ASSERT_NEAR(c.rows[1].cells[1].delta, 0.5, 1e-9);
    /* Geometric mean of the ratios 1 and 1.5. */
    ASSERT_NEAR(c.geo_delta[1], sqrt(1.5) - 1, 1e-9);
    mnb_cmp_free(&c);
    /* An axis nobody has, and one with a single value. */
    ASSERT_EQ(mnb_cmp_build(&s, "queue", 0.05, &c, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "allowed: procs, placement");
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "one run");
    mnb_set_free(&s);
    free(da);
}

static void compare_nothing_in_common(void)
{
    double x[20];
    json_t *a = doc_new(), *b = doc_new();
    char err[256], *da, *db;
    mnb_set s;
    mnb_cmp c;

    series(100, x);
    add_conf(a, "switch", "compact", 1, "ns_per_switch", x, 20);
    add_conf(b, "spawn", "compact", 1, "ns_per_g", x, 20);
    load2(&s, da = save(a), db = save(b));
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "nothing in common");
    mnb_set_free(&s);
    free(da);
    free(db);
}

/* Runs that differ only in a setting (compact, then scatter) are matched
 * on the rest; the geometric mean of ratios 2 and 8 is 4. */
static void compare_geomean(void)
{
    double x1[20], x2[20], y1[20], y2[20];
    json_t *a = doc_new(), *b = doc_new();
    char err[256], *da, *db;
    mnb_set s;
    mnb_cmp c;

    series(10, x1);
    series(10, x2);
    series(20, y1);
    series(80, y2);
    add_conf(a, "switch", "compact", 1, "ns_per_switch", x1, 20);
    add_conf(a, "switch", "compact", 2, "ns_per_switch", x2, 20);
    add_conf(b, "switch", "scatter", 1, "ns_per_switch", y1, 20);
    add_conf(b, "switch", "scatter", 2, "ns_per_switch", y2, 20);
    load2(&s, da = save(a), db = save(b));
    ASSERT_EQ(mnb_cmp_build(&s, NULL, 0.05, &c, err, sizeof err), 0);
    ASSERT_EQ(c.nrows, 2);
    ASSERT_EQ(c.ngeo, 2);
    ASSERT_NEAR(c.geo_delta[1], 3, 1e-9);
    mnb_cmp_free(&c);
    mnb_set_free(&s);
    free(da);
    free(db);
}

MNT_MAIN(CASE(mwu_exact_tiny), CASE(mwu_exact_r_example), CASE(mwu_normal_ties),
         CASE(mwu_normal_large), CASE(mwu_identical), CASE(mwu_cdf), CASE(compare_identical),
         CASE(compare_slower), CASE(compare_faster), CASE(compare_too_few),
         CASE(compare_by_placement), CASE(compare_nothing_in_common), CASE(compare_geomean))
