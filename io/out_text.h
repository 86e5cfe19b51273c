/*
** out_text.h - the text pieces every writer shares: escaping data into
** markup (report.html, JUnit XML) and a value with its interval for people
** (the report and the run console).
**
** Data is never markup. out_esc_markup writes & < > " as entities, keeps
** newlines and shows every other control character (an ANSI escape starts
** with ESC, 0x1b) as visible "\xNN" text, which is valid in HTML and in
** XML 1.0 alike, so nothing copied from a scenario can restyle a terminal
** or a page. Attributes are always double-quoted, so '\'' needs no entity.
*/
#ifndef OUT_TEXT_H
#define OUT_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Write c as "\xNN" if it is a control character and return 1, else write
** nothing and return 0. */
int out_esc_ctl(FILE *f, char c);

/* s escaped for HTML and XML text and double-quoted attributes. */
void out_esc_markup(FILE *f, const char *s);

/* "v [lo, hi]" with units_format_human; the interval only when there is
** one (neither bound NAN, not both equal to v) and the whole of it fits in
** n, since a cut-off interval would misread; else "v". Returns buf. */
char *out_fmt_value_ci(char *buf, size_t n, double v, double lo, double hi, const char *unit);

/* A count's unit agrees with its number: units_format_human writes the
** unit as given ("msgs", "clients", "events"), so where a value of exactly
** 1 heads buf ("1 msgs [0 msgs, 3 msgs]") the head loses its plural s
** ("1 msg [0 msgs, 3 msgs]"); rates (msg/s) and other text are left alone.
** Returns buf. */
char *out_singular_head(char *buf, double v, const char *unit);

#endif
