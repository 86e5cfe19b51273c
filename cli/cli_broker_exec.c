/*
** cli_broker_exec.c - `mqsim load` and `mqsim capture` in the mqsim
** executable: they run in mqsim-broker, the executable beside it, which is
** mqsim with the real-broker tester (load/) and its two client libraries.
**
** Why two executables: rabbitmq-c and libcurl bring some thirty more shared
** libraries (OpenSSL, GnuTLS, Kerberos, LDAP, ...), and loading and
** relocating them cost about 6 ms of CPU at every start, before main(): 4 %
** of a whole-process M/M/1 of a million customers, most of a `mqsim check`,
** paid by every run although only these two commands use them. The Makefile
** links this file into mqsim and cmd_load.c / cmd_capture.c into
** mqsim-broker instead, so the command line and its output are the same.
**
** mqsim-broker is looked for in the directory of the running executable
** (/proc/self/exe, symlinks resolved), where `make` and `make install` put
** it; the arguments are passed on unchanged.
*/
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BROKER_EXE "mqsim-broker"

/* argv[0] is the command's name; mqsim-broker gets "mqsim-broker CMD ARGS". */
static int exec_broker(int argc, char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + sizeof BROKER_EXE];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "mqsim %s: cannot find the running executable (/proc/self/exe: %s)\n",
                argv[0], strerror(errno));
        return CLI_INTERNAL;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) slash[1] = '\0';
    snprintf(path, sizeof path, "%s%s", slash ? self : "./", BROKER_EXE);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) {
        fprintf(stderr, "mqsim %s: out of memory\n", argv[0]);
        return CLI_INTERNAL;
    }
    args[0] = path;
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    execv(path, args);
    fprintf(stderr, "mqsim %s: cannot start %s (%s); it is built and installed with mqsim "
                    "(`make`, `make install`) and must be beside it\n",
            argv[0], path, strerror(errno));
    free(args);
    return CLI_INTERNAL;
}

int cli_load(int argc, char **argv)
{
    return exec_broker(argc, argv);
}

int cli_capture(int argc, char **argv)
{
    return exec_broker(argc, argv);
}
