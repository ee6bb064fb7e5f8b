/* errors.c - one table of messages for the errors the API returns, and
 * mn__throw for broken invariants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

static const struct { int err; const char *msg; } mn_errors[] = {
    { 0,          "success" },
    { -EINVAL,    "invalid argument or configuration" },
    { -ENOMEM,    "out of memory (stacks or G structures)" },
    { -EAGAIN,    "resource temporarily unavailable (thread limit)" },
    { -EPIPE,     "channel closed" },
    { -EBUSY,     "busy (lock held)" },
    { -EPERM,     "not called from inside a G" },
    { -ESRCH,     "no such P" },
    { -EALREADY,  "the runtime is already running" },
    { -EDEADLK,   "a G cannot join itself" },
};

const char *mn_strerror(int err)
{
    if (err > 0)
        err = -err;
    for (size_t i = 0; i < sizeof mn_errors / sizeof mn_errors[0]; i++)
        if (mn_errors[i].err == err)
            return mn_errors[i].msg;
    return strerror(-err);
}

void mn__throw(const char *what)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "mnsched: fatal: %s\n", what);
    if (n > 0)
        (void)!write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    abort();
}
