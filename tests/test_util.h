/*
** test_util.h - tiny helpers shared by the cmocka test files.
**
** cmocka 1.1.5 has no assert_double_equal and its assert_float_equal casts
** to float, so it cannot compare doubles tighter than ~1e-7 relative.
** assert_near(a, b, tol) compares doubles with an absolute tolerance and, on
** failure, prints both values, the difference and the tolerance with 17
** significant digits before failing the test through cmocka's fail_msg.
** A NaN on either side always fails. Header-only (static inline) so each
** test binary can include it without a separate object.
**
** Include after <cmocka.h>.
*/
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define assert_near(a, b, tol)                                                \
    do {                                                                      \
        double an_a_ = (double)(a), an_b_ = (double)(b);                      \
        double an_t_ = (double)(tol);                                         \
        if (!(fabs(an_a_ - an_b_) <= an_t_))                                  \
            fail_msg("assert_near(%s, %s, %s): %.17g vs %.17g, "              \
                     "|diff| %.3g > tol %.3g", #a, #b, #tol, an_a_, an_b_,    \
                     fabs(an_a_ - an_b_), an_t_);                             \
    } while (0)

/* Run a shell command; its exit status, or -1 if it did not exit normally
** (killed by a signal). Tests use it to drive the mqsim binary. */
static inline int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A private scratch folder /tmp/mqsim-TAG-XXXXXX (other checkouts may run
** the same test at once, so no fixed names) into dir; 0 ok. And its removal
** with everything in it; 0 ok. */
static inline int scratch_make(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/mqsim-%s-XXXXXX", tag);
    return mkdtemp(dir) ? 0 : -1;
}

static inline int scratch_remove(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return sh(cmd) == 0 ? 0 : -1;
}

/* The mqsim binary the tests drive: $MQSIM, else ./mqsim. */
static inline const char *mqsim_bin(void)
{
    const char *m = getenv("MQSIM");
    return m ? m : "./mqsim";
}

/* CLOCK_MONOTONIC in seconds. */
static inline double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* DIR/NAME in one of four rotating buffers (so up to four can be used in
** one call). */
static inline const char *path_in(const char *dir, const char *name)
{
    static char buf[4][512];
    static int k;
    char d[256]; /* dir may be an earlier result of this function */
    snprintf(d, sizeof d, "%s", dir);
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", d, name);
    return buf[k];
}

/* The first 128 KiB of a text file ("" when it cannot be read), in a
** buffer the next call overwrites. */
static inline char *slurp_text(const char *path)
{
    static char buf[1 << 17];
    FILE *f = fopen(path, "r");
    if (!f) return strcpy(buf, "");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

#endif
