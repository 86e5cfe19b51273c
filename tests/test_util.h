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
#include <sys/wait.h>

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

#endif
