/*
** cli_flags.c - "did you mean" for mistyped command-line flags, with the
** same edit-distance rule as scenario keys (io/scn_yaml.h), so a typo gets
** the same help on the command line as in a file.
*/
#include "cli/cli.h"
#include "io/scn_yaml.h"

#include <stdio.h>
#include <string.h>

void cli_unknown_option(const char *cmd, const char *arg, const char *const *flags)
{
    size_t n = 0;
    while (flags[n]) n++;
    char word[128];
    snprintf(word, sizeof word, "%s", arg);
    char *eq = strchr(word, '='); /* --flag=value */
    if (eq) *eq = '\0';
    const char *s = scn_suggest(word, flags, n);
    if (s) fprintf(stderr, "mqsim %s: unknown option '%s'; did you mean '%s'?\n", cmd, arg, s);
    else fprintf(stderr, "mqsim %s: unknown option '%s'\n", cmd, arg);
}
