/* parse.c - sizes, durations, integers, ranges and comma lists for the
 * command line (see parse.h for the grammar). */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mnb_parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v;

    /* strtoll skips leading blanks and accepts "": refuse both. */
    if (*s == '\0' || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || end == s)
        return -EINVAL;
    if (errno == ERANGE)
        return -ERANGE;
    *out = v;
    return 0;
}

int mnb_parse_size(const char *s, int64_t *out)
{
    char num[32];
    size_t len = strlen(s);
    int shift = 0;
    int64_t v;
    int rc;

    if (len == 0 || len >= sizeof num)
        return -EINVAL;
    memcpy(num, s, len + 1);
    switch (num[len - 1]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    }
    if (shift)
        num[len - 1] = '\0';
    if ((rc = mnb_parse_int(num, &v)) < 0)
        return rc;
    if (v < 0)
        return -EINVAL;
    if (v > (INT64_MAX >> shift))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

static const struct { const char *name; double ns; } time_units[] = {
    { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
};

int mnb_parse_duration(const char *s, int64_t *ns)
{
    char *end;
    double v, scaled;

    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    /* strtod would also take "inf", "nan" and hex: none is a duration. */
    if (((*s < '0' || *s > '9') && *s != '.') || strpbrk(s, "xX"))
        return -EINVAL;
    v = strtod(s, &end);
    if (end == s)
        return -EINVAL;
    for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++) {
        if (strcmp(end, time_units[i].name) != 0)
            continue;
        scaled = v * time_units[i].ns;
        if (!isfinite(scaled) || scaled >= 9.2e18)
            return -ERANGE;
        *ns = (int64_t)llround(scaled);
        return 0;
    }
    return -EINVAL;
}

int mnb_parse_range(const char *s, int64_t *lo, int64_t *hi)
{
    char buf[64];
    const char *dash;
    int rc;

    /* The separator is the first '-' after the first character, so a
     * negative lower bound ("-3-2") still parses. */
    dash = *s ? strchr(s + 1, '-') : NULL;
    if (!dash) {
        if ((rc = mnb_parse_int(s, lo)) < 0)
            return rc;
        *hi = *lo;
        return 0;
    }
    if ((size_t)(dash - s) >= sizeof buf)
        return -EINVAL;
    memcpy(buf, s, (size_t)(dash - s));
    buf[dash - s] = '\0';
    if ((rc = mnb_parse_int(buf, lo)) < 0 || (rc = mnb_parse_int(dash + 1, hi)) < 0)
        return rc;
    return *lo <= *hi ? 0 : -EINVAL;
}

int mnb_split(const char *s, char ***items, int *n)
{
    int count = 1, i = 0;
    char **v;
    const char *p, *q;

    for (p = s; *p; p++)
        count += *p == ',';
    v = calloc((size_t)count, sizeof *v);
    if (!v)
        return -ENOMEM;
    for (p = s;; p = q + 1) {
        q = strchrnul(p, ',');
        if (q == p) {
            mnb_split_free(v, i);
            return -EINVAL;
        }
        v[i++] = strndup(p, (size_t)(q - p));
        if (*q == '\0')
            break;
    }
    *items = v;
    *n = count;
    return 0;
}

void mnb_split_free(char **items, int n)
{
    for (int i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

void mnb_fmt_size(int64_t bytes, char *buf, size_t len)
{
    static const char suffix[] = "GMK";

    for (int i = 0; i < 3; i++) {
        int64_t unit = (int64_t)1 << (30 - 10 * i);
        if (bytes != 0 && bytes % unit == 0) {
            snprintf(buf, len, "%" PRId64 "%c", bytes / unit, suffix[i]);
            return;
        }
    }
    snprintf(buf, len, "%" PRId64, bytes);
}

void mnb_fmt_duration(int64_t ns, char *buf, size_t len)
{
    static const struct { const char *name; int64_t ns; } u[] = {
        { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 },
    };

    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        if (ns != 0 && ns % u[i].ns == 0) {
            snprintf(buf, len, "%" PRId64 "%s", ns / u[i].ns, u[i].name);
            return;
        }
    }
    snprintf(buf, len, "%" PRId64 "ns", ns);
}
