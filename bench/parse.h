/* parse.h - the value grammar shared by mnbench's options and parameters.
 *
 * Every parser takes the whole string: trailing junk is an error, never
 * ignored. They return 0, or -EINVAL (malformed) / -ERANGE (does not fit),
 * and print nothing: the caller knows which option it was and what is
 * allowed, so it writes the one-line message.
 */
#ifndef MNBENCH_PARSE_H
#define MNBENCH_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal integer, optional sign: "42", "-3". */
int mnb_parse_int(const char *s, int64_t *out);

/* Byte count with an optional binary suffix K, M or G (either case):
 * "4096", "64K", "1M". */
int mnb_parse_size(const char *s, int64_t *out);

/* Duration with a unit ns, us (or µs), ms or s, fractions allowed and
 * rounded to the nearest ns: "10ms", "0.5s". A bare "0" needs no unit. */
int mnb_parse_duration(const char *s, int64_t *ns);

/* "N" or "A-B" (A <= B): one integer or an inclusive range. */
int mnb_parse_range(const char *s, int64_t *lo, int64_t *hi);

/* Splits a comma list into freshly allocated items (free with
 * mnb_split_free). An empty string or an empty item ("1,,2", "1,") is
 * -EINVAL: an empty list is always a mistake on this command line. */
int mnb_split(const char *s, char ***items, int *n);
void mnb_split_free(char **items, int n);

/* Canonical text, used in instance names so that "65536" and "64K" name
 * the same configuration: the largest suffix or unit that divides exactly. */
void mnb_fmt_size(int64_t bytes, char *buf, size_t len);
void mnb_fmt_duration(int64_t ns, char *buf, size_t len);

#endif
