/* escape.c - strings from untrusted run.json files into gnuplot scripts,
 * gnuplot data files, HTML and Markdown (the rules: escape.h). */
#include "escape.h"

#include <string.h>

static int control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

void mnb_gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else if (!control((unsigned char)*s))
            fputc(*s, f);
    }
    fputc('\'', f);
}

void mnb_dat_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++)
        fputc(*s == '"' ? '\'' : control((unsigned char)*s) ? ' ' : *s, f);
    fputc('"', f);
}

void mnb_html(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (!control((unsigned char)*s))
                fputc(*s, f);
            else if (*s == '\n' || *s == '\t')
                fputc(' ', f);
        }
    }
}

void mnb_md(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (strchr("&<>", *s)) {
            fputs(*s == '&' ? "&amp;" : *s == '<' ? "&lt;" : "&gt;", f);
        } else if (strchr("\\`*_{}[]#!|~", *s)) {
            fputc('\\', f);
            fputc(*s, f);
        } else if (control((unsigned char)*s)) {
            fputc(' ', f);
        } else {
            fputc(*s, f);
        }
    }
}

void mnb_one_line(char *s)
{
    for (; s && *s; s++)
        if (control((unsigned char)*s))
            *s = ' ';
}
