/* test_parse.c - the command line's value grammar (bench/parse.c). */
#include "harness_test.h"
#include "parse.h"

#include <errno.h>
#include <stdint.h>

static void integers(void)
{
    int64_t v;

    ASSERT_EQ(mnb_parse_int("42", &v), 0);
    ASSERT_EQ(v, 42);
    ASSERT_EQ(mnb_parse_int("-3", &v), 0);
    ASSERT_EQ(v, -3);
    ASSERT_EQ(mnb_parse_int("", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_int(" 4", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_int("4a", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_int("abc", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_int("99999999999999999999", &v), -ERANGE);
}

static void sizes(void)
{
    int64_t v;

    ASSERT_EQ(mnb_parse_size("4096", &v), 0);
    ASSERT_EQ(v, 4096);
    ASSERT_EQ(mnb_parse_size("64K", &v), 0);
    ASSERT_EQ(v, 65536);
    ASSERT_EQ(mnb_parse_size("1m", &v), 0);
    ASSERT_EQ(v, 1 << 20);
    ASSERT_EQ(mnb_parse_size("2G", &v), 0);
    ASSERT_EQ(v, INT64_C(2) << 30);
    ASSERT_EQ(mnb_parse_size("", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_size("K", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_size("64Q", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_size("-1K", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_size("9999999999999G", &v), -ERANGE);
}

static void durations(void)
{
    int64_t v;

    ASSERT_EQ(mnb_parse_duration("10ms", &v), 0);
    ASSERT_EQ(v, 10000000);
    ASSERT_EQ(mnb_parse_duration("0.5s", &v), 0);
    ASSERT_EQ(v, 500000000);
    ASSERT_EQ(mnb_parse_duration("1.5us", &v), 0);
    ASSERT_EQ(v, 1500);
    ASSERT_EQ(mnb_parse_duration("20\xc2\xb5s", &v), 0);
    ASSERT_EQ(v, 20000);
    ASSERT_EQ(mnb_parse_duration("250ns", &v), 0);
    ASSERT_EQ(v, 250);
    ASSERT_EQ(mnb_parse_duration("0", &v), 0);
    ASSERT_EQ(v, 0);
    ASSERT_EQ(mnb_parse_duration("5", &v), -EINVAL);       /* a unit is required */
    ASSERT_EQ(mnb_parse_duration("ms", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_duration("1parsec", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_duration("-1s", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_duration("0x10ms", &v), -EINVAL);
    ASSERT_EQ(mnb_parse_duration("1e30s", &v), -ERANGE);
}

static void ranges(void)
{
    int64_t lo, hi;

    ASSERT_EQ(mnb_parse_range("3", &lo, &hi), 0);
    ASSERT_EQ(lo, 3);
    ASSERT_EQ(hi, 3);
    ASSERT_EQ(mnb_parse_range("1-4", &lo, &hi), 0);
    ASSERT_EQ(lo, 1);
    ASSERT_EQ(hi, 4);
    ASSERT_EQ(mnb_parse_range("-3-2", &lo, &hi), 0);
    ASSERT_EQ(lo, -3);
    ASSERT_EQ(hi, 2);
    ASSERT_EQ(mnb_parse_range("4-1", &lo, &hi), -EINVAL);
    ASSERT_EQ(mnb_parse_range("1-", &lo, &hi), -EINVAL);
    ASSERT_EQ(mnb_parse_range("", &lo, &hi), -EINVAL);
}

static void lists(void)
{
    char **it;
    int n;

    ASSERT_EQ(mnb_split("fifo,lifo", &it, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_STREQ(it[0], "fifo");
    ASSERT_STREQ(it[1], "lifo");
    mnb_split_free(it, n);
    ASSERT_EQ(mnb_split("1", &it, &n), 0);
    ASSERT_EQ(n, 1);
    mnb_split_free(it, n);
    ASSERT_EQ(mnb_split("", &it, &n), -EINVAL);
    ASSERT_EQ(mnb_split("1,,2", &it, &n), -EINVAL);
    ASSERT_EQ(mnb_split("1,", &it, &n), -EINVAL);
    ASSERT_EQ(mnb_split(",1", &it, &n), -EINVAL);
}

static void canonical_text(void)
{
    char b[32];

    mnb_fmt_size(65536, b, sizeof b);
    ASSERT_STREQ(b, "64K");
    mnb_fmt_size(1 << 20, b, sizeof b);
    ASSERT_STREQ(b, "1M");
    mnb_fmt_size(1536, b, sizeof b);
    ASSERT_STREQ(b, "1536");
    mnb_fmt_size(INT64_C(3) << 30, b, sizeof b);
    ASSERT_STREQ(b, "3G");
    mnb_fmt_duration(10000000, b, sizeof b);
    ASSERT_STREQ(b, "10ms");
    mnb_fmt_duration(1500, b, sizeof b);
    ASSERT_STREQ(b, "1500ns");
    mnb_fmt_duration(2000000000, b, sizeof b);
    ASSERT_STREQ(b, "2s");
}

MNT_MAIN(CASE(integers), CASE(sizes), CASE(durations), CASE(ranges), CASE(lists),
         CASE(canonical_text))
