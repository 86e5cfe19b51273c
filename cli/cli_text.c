/*
** cli_text.c - bounded label joining; see cli_text.h. Every append goes
** through put(), which tracks the used length and never passes cap - 1.
*/
#include "cli/cli_text.h"

#include <string.h>

/* Append s to buf (used bytes *len, capacity cap). Returns 1 if cut. */
static int put(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t room = cap - 1 - *len, n = strlen(s);
    int cut = n > room;
    if (cut) n = room;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return cut;
}

int cli_label(char *buf, size_t cap, const char *const *keys, const char *const *vals, size_t n)
{
    size_t len = 0;
    int cut = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && !cut; i++)
        cut = (i > 0 && put(buf, cap, &len, ", ")) || put(buf, cap, &len, keys[i]) ||
              put(buf, cap, &len, "=") || put(buf, cap, &len, vals[i]);
    if (cut && cap > 4) memcpy(buf + cap - 4, "...", 4);
    return cut;
}
