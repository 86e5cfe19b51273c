/*
** cli.h - the mqsim subcommands. Each takes the arguments after its own name
** (argv[0] is the subcommand) and returns the process exit status:
**   0 ok, 1 internal error (a broken invariant aborts instead), 2 bad input or
**   usage, 3 risk budget exceeded, 4 regression found by compare.
** Commands print results on stdout and errors on stderr; nothing below cli/
** prints.
*/
#ifndef CLI_H
#define CLI_H

enum { CLI_OK = 0, CLI_INTERNAL = 1, CLI_USAGE = 2, CLI_BUDGET = 3, CLI_REGRESSION = 4 };

int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_bench_e2e(int argc, char **argv); /* bench_e2e.c */
int cli_load(int argc, char **argv);
int cli_capture(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_metrics(int argc, char **argv);

/* Print "mqsim CMD: unknown option 'ARG'" to stderr, with "; did you mean
** 'FLAG'?" when one of the command's `flags` (NULL-terminated) is a likely
** typo of it (cli_flags.c). */
void cli_unknown_option(const char *cmd, const char *arg, const char *const *flags);

#endif
