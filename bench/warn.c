/* warn.c - "mnbench: warning: ..." once per distinct text, remembered for
 * run.json's context.warnings. */
#include "warn.h"
#include "runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **warnings;
static size_t nwarnings;

void mnb_warn(const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg)
        return;
    for (size_t i = 0; i < nwarnings; i++)
        if (strcmp(warnings[i], msg) == 0) {
            free(msg);
            return;
        }
    warnings = realloc(warnings, (nwarnings + 1) * sizeof *warnings);
    warnings[nwarnings++] = msg;
    mnb_progress_clear();
    fprintf(stderr, "mnbench: warning: %s\n", msg);
}

const char *const *mnb_warnings(size_t *n)
{
    *n = nwarnings;
    return (const char *const *)warnings;
}
