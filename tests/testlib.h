/* testlib.h - assertions that print both operands, test registration,
 * sizes scaled per tree, and the scheduler watchdog. */
#ifndef MN_TESTLIB_H
#define MN_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MN_TEST_SCALE
#define MN_TEST_SCALE 1
#endif
/* A size for this tree: sanitizer trees divide by MN_TEST_SCALE. */
#define SCALED(n) ((n) / MN_TEST_SCALE > 0 ? (n) / MN_TEST_SCALE : 1)

#define ASSERT_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) { fprintf(stderr, "%s:%d: ASSERT_EQ(%s, %s): %lld != %lld\n", \
        __FILE__, __LINE__, #a, #b, _a, _b); abort(); } } while (0)
#define ASSERT_NE(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a == _b) { fprintf(stderr, "%s:%d: ASSERT_NE(%s, %s): both %lld\n", \
        __FILE__, __LINE__, #a, #b, _a); abort(); } } while (0)
#define ASSERT_LE(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a > _b) { fprintf(stderr, "%s:%d: ASSERT_LE(%s, %s): %lld > %lld\n", \
        __FILE__, __LINE__, #a, #b, _a, _b); abort(); } } while (0)
#define ASSERT_TRUE(c) do { if (!(c)) { fprintf(stderr, "%s:%d: ASSERT_TRUE(%s) failed\n", \
    __FILE__, __LINE__, #c); abort(); } } while (0)
#define ASSERT_STR_CONTAINS(s, sub) do { const char *_s = (s); \
    if (!_s || !strstr(_s, (sub))) { fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", \
        __FILE__, __LINE__, _s ? _s : "(null)", (sub)); abort(); } } while (0)

typedef struct { const char *name; void (*fn)(void); } mnt_case;

/* Runs the named case (argv[1]) or every case; prints one line each. */
int mnt_main(int argc, char **argv, const mnt_case *cases, int n);
#define MNT_MAIN(...) \
    static const mnt_case mnt_cases[] = { __VA_ARGS__ }; \
    int main(int argc, char **argv) { \
        return mnt_main(argc, argv, mnt_cases, sizeof mnt_cases / sizeof mnt_cases[0]); }
#define CASE(f) { #f, f }

/* Runs fn inside mn_run with the given procs/queue; asserts mn_run's 0. */
void mnt_run(int procs, const char *queue, void (*fn)(void *), void *arg);

/* The lost-wake-up watchdog: fails the process when, for a whole second,
 * work is queued while every M is parked and none spins. */
void mnt_watchdog_start(void);
void mnt_watchdog_stop(void);

#endif
