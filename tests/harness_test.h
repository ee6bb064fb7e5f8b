/* harness_test.h - testlib.h plus the comparisons of floating-point
 * figures the harness tests need; both operands are printed. */
#ifndef MNB_HARNESS_TEST_H
#define MNB_HARNESS_TEST_H

#include <math.h>

#include "testlib.h"

/* |a - b| <= tol; NaN never passes. */
#define ASSERT_NEAR(a, b, tol) do { double _a = (a), _b = (b), _t = (tol);         \
    if (!(fabs(_a - _b) <= _t)) { fprintf(stderr,                                  \
        "%s:%d: ASSERT_NEAR(%s, %s, %s): %.17g vs %.17g (tol %g)\n", __FILE__,     \
        __LINE__, #a, #b, #tol, _a, _b, _t); abort(); } } while (0)
#define ASSERT_DEQ(a, b) ASSERT_NEAR(a, b, 0)
#define ASSERT_NAN(a) do { double _a = (a); if (!isnan(_a)) { fprintf(stderr,    \
        "%s:%d: ASSERT_NAN(%s): %.17g\n", __FILE__, __LINE__, #a, _a); abort(); } } while (0)
#define ASSERT_STREQ(a, b) do { const char *_a = (a), *_b = (b);                  \
    if (!_a || !_b || strcmp(_a, _b)) { fprintf(stderr,                            \
        "%s:%d: ASSERT_STREQ(%s, %s): \"%s\" vs \"%s\"\n", __FILE__, __LINE__,     \
        #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); abort(); } } while (0)

#endif
