/* escape.h - every way a string from a run.json (untrusted: labels, host
 * names, parameters, benchmark names) leaves mnbench for another language.
 *
 *   gnuplot:  only as a single-quoted literal. Inside '...' gnuplot expands
 *             nothing - no `backquote` commands (which it runs even inside
 *             double quotes), no @macros, no backslash escapes - and '' is
 *             a quote. Newlines and other control bytes are removed (a
 *             newline would end the command).
 *   data files (gnuplot reads them, never runs them): a field in double
 *             quotes, with " turned into ' and tabs/control bytes into
 *             spaces, so that a label cannot split a column or start a
 *             comment.
 *   HTML:     & < > " ' as entities; control bytes dropped.
 *   Markdown: HTML-escaped, then its own punctuation backslash-escaped, so
 *             text never becomes markup, a link, a table column or code.
 *   file names: [A-Za-z0-9._+-] kept, the rest '_' (mnb_sanitise).
 */
#ifndef MNBENCH_ESCAPE_H
#define MNBENCH_ESCAPE_H

#include <stdio.h>

void mnb_gp_quote(FILE *f, const char *s);
void mnb_dat_field(FILE *f, const char *s);
void mnb_html(FILE *f, const char *s);
void mnb_md(FILE *f, const char *s);

/* Control bytes replaced by spaces, in place (terminal output). */
void mnb_one_line(char *s);

#endif
