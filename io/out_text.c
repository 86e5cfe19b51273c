/*
** out_text.c - escaping and value formatting shared by the writers (see
** out_text.h).
*/
#include "io/out_text.h"

#include "io/units.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

int out_esc_ctl(FILE *f, char c)
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u != 0x7f) return 0;
    fprintf(f, "\\x%02x", u);
    return 1;
}

void out_esc_markup(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\n': fputc('\n', f); break;
        default:
            if (!out_esc_ctl(f, *s)) fputc(*s, f);
        }
    }
}

char *out_fmt_value_ci(char *buf, size_t n, double v, double lo, double hi, const char *unit)
{
    char a[64], b[64], c[64];
    units_format_human(v, unit, a, sizeof a);
    if (isnan(lo) || isnan(hi) || (lo == v && hi == v) ||
        snprintf(buf, n, "%s [%s, %s]", a, (units_format_human(lo, unit, b, sizeof b), b),
                 (units_format_human(hi, unit, c, sizeof c), c)) >= (int)n)
        snprintf(buf, n, "%s", a);
    return buf;
}

char *out_singular_head(char *buf, double v, const char *unit)
{
    size_t ul = strlen(unit);
    if (v != 1 || ul < 2 || unit[ul - 1] != 's' || strncmp(buf, "1 ", 2) ||
        strncmp(buf + 2, unit, ul) || (buf[2 + ul] && buf[2 + ul] != ' '))
        return buf;
    for (size_t k = 0; k < ul - 1; k++)
        if (!isalpha((unsigned char)unit[k])) return buf; /* a rate (msg/s), not a count */
    memmove(buf + 1 + ul, buf + 2 + ul, strlen(buf + 2 + ul) + 1);
    return buf;
}
