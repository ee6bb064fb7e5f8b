/* test_counters_papi.c - the PAPI path, for real: EventSets attached to
 * the Ms' TIDs, read from another thread (the runner's role) while the Ms
 * work or sleep. Where PAPI has no usable hardware counters it prints
 * PAPI's reason and exits 77, which CTest reports as skipped
 * (SKIP_RETURN_CODE in tests/harness.cmake): never a pass. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "testlib.h"

#define SKIP 77

static atomic_int phase;        /* 0 wait, 1 work, 2 done, 3 exit */
static atomic_long iters;
static volatile double sink;

/* Work with a fixed instruction count per iteration. */
static void work(long n)
{
    double x = 1;

    for (long i = 0; i < n; i++)
        x = x * 1.0000001 + 1e-9;
    sink = x;
}

static void *fake_m(void *arg)
{
    mnb_counters_m_start(1, NULL);
    for (;;) {
        while (atomic_load(&phase) == 0 || atomic_load(&phase) == 2)
            usleep(200);
        if (atomic_load(&phase) == 3)
            break;
        work(atomic_load(&iters));
        atomic_store(&phase, 2);
    }
    mnb_counters_m_stop(1, NULL);
    return NULL;
}

static void rep(mnb_conf *c, long n)
{
    mnb_counters_rep_begin();
    atomic_store(&iters, n);
    atomic_store(&phase, 1);
    while (atomic_load(&phase) != 2)
        usleep(200);
    mnb_counters_rep_end(c, true);
    atomic_store(&phase, 0);
}

static const mnb_cfigure *figure(const mnb_cfigure *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

int main(void)
{
    static mnb_conf one, two;
    const mnb_cmachine *m;
    const mnb_cfigure *f1, *f2, *ins1, *ins2, *ipc;
    const double *ops;
    bool per_op;
    pthread_t t;
    int n;

    mnb_counters_option(NULL);
    mnb_counters_setup();
    m = mnb_counters_machine();
    if (!m->hw_ok) {
        printf("SKIPPED: PAPI has no usable hardware counters here: %s\n", m->hw_why);
        return SKIP;
    }
    ASSERT_EQ(pthread_create(&t, NULL, fake_m, NULL), 0);
    usleep(20000);
    rep(&one, 20000000);
    rep(&two, 40000000);
    atomic_store(&phase, 3);
    pthread_join(t, NULL);
    mnb_counters_summarise(&(mnb_plan){ .confs = &one, .n = 1 });
    mnb_counters_summarise(&(mnb_plan){ .confs = &two, .n = 1 });
    n = mnb_counters_of(&one, &f1, &per_op, &ops);
    ASSERT_EQ(mnb_counters_of(&two, &f2, &per_op, &ops), n);
    ins1 = figure(f1, n, "PAPI_TOT_INS");
    ins2 = figure(f2, n, "PAPI_TOT_INS");
    if (!ins1 || !figure(f1, n, "PAPI_TOT_CYC")) {
        printf("SKIPPED: PAPI counts neither PAPI_TOT_INS nor PAPI_TOT_CYC here\n");
        return SKIP;
    }
    ASSERT_TRUE(!strcmp(ins1->source, "papi"));
    /* The M's instructions, read from this thread: twice the work, twice
     * the count (within 10%: the loop dominates). */
    ASSERT_TRUE(ins1->totals[0] > 20000000);
    double ratio = ins2->totals[0] / ins1->totals[0];
    if (ratio < 1.8 || ratio > 2.2) {
        fprintf(stderr, "PAPI_TOT_INS: %g then %g, ratio %g, want ~2\n", ins1->totals[0],
                ins2->totals[0], ratio);
        abort();
    }
    ipc = figure(f1, n, "ipc");
    ASSERT_TRUE(ipc != NULL);
    ASSERT_TRUE(ipc->totals[0] > 0.05 && ipc->totals[0] < 10);
    ASSERT_TRUE(!strcmp(ipc->unit, "instructions/cycle"));
    printf("ok test_counters_papi (PAPI %s, %s domain, ipc %.2f)\n", m->papi_version,
           m->papi_kernel ? "user+kernel" : "user", ipc->totals[0]);
    return 0;
}
