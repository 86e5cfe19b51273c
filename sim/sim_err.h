/*
** sim_err.h - the two error conventions of mqsim, and nothing else.
**
** 1. Broken invariants (time going backwards, a count below zero, a message
**    unaccounted for) are bugs or model errors. They never return: SIM_ASSERT
**    and sim_fatal() print "file:line: func: message" with the values involved
**    and abort(). A simulator's worst outcome is a plausible wrong answer, so
**    these checks stay on in release builds (cimba's "draconian" stance).
**
** 2. Bad input (scenario files, CSV, command lines) is the user's problem to
**    fix. Functions return int (0 ok, -1 error) and fill a caller-owned
**    sim_err buffer with "path:line:col: what was wrong and what was
**    expected". Library code never prints an error and carries on; only the
**    CLI prints the buffer and picks the exit status.
*/
#ifndef SIM_ERR_H
#define SIM_ERR_H

#include <stdarg.h>

#define SIM_ERR_LEN 1024

typedef struct sim_err {
    char msg[SIM_ERR_LEN];
} sim_err;

/* Fill e (may be NULL) with a printf-style message. Always returns -1, so
** callers can write `return sim_err_set(e, "...")`. */
int sim_err_set(sim_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, prefixed with "path:line:col: ". line and col are 1-based; a col of
** 0 prints "path:line: ", a line of 0 prints "path: ". Returns -1. */
int sim_err_at(sim_err *e, const char *path, int line, int col,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* 3. Running out of memory in the middle of a run is neither a bug nor a
**    scenario error: the machine is too small for what was asked. `check`
**    refuses scenarios beyond a documented ceiling up front
**    (models/mq_size.h); whatever still fails to allocate ends the process
**    through SIM_NEED -> sim_oom: "mqsim: out of memory: <what> (file:line)"
**    and a hint on stderr, exit status 1 (never abort()'s 134, which would
**    read as a crash). It is the one OOM policy of every layer: the engine,
**    the models, io/, load/ and cli/ end the process this way and never
**    turn a failed allocation into a sim_err message. Only the containers of
**    sim/ return -1 (see SIM_NEED_OK), so that their caller states it. */
#define SIM_EXIT_OOM 1
_Noreturn void sim_oom(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What sim_oom runs just before it exits (NULL: nothing). sim_oom may run
** in any thread with the heap exhausted, and _exit skips atexit handlers,
** so the hook must be async-signal-safe: system calls only, no malloc, no
** stdio, no locks. io/out_dir.c registers the removal of the run's
** temporary results folder. Set it before any thread starts. */
typedef void (*sim_oom_hook)(void);
void sim_oom_set_hook(sim_oom_hook fn);

/* Check an allocation: SIM_NEED(p != NULL, "out of memory for %zu x", n). */
#define SIM_NEED(expr, ...)                                                   \
    ((expr) ? (void)0 : sim_oom(__FILE__, __LINE__, __VA_ARGS__))

/* Check a call whose only failure is out-of-memory and which then returns
** nonzero (sim_grow, sim_metrics_add, sim_strs_add, sim_bands_add, ...):
** SIM_NEED_OK(sim_strs_add(&w, "...")). The containers of sim/ return -1
** rather than end the process, so that the caller states the policy; every
** caller above sim/ states it with SIM_NEED or SIM_NEED_OK and defines no
** check of its own (tests/test_layers.c holds that). */
#define SIM_NEED_OK(call) SIM_NEED((call) == 0, "out of memory")

/* Print "file:line: func: " + message to stderr and abort(). */
_Noreturn void sim_fatal(const char *file, int line, const char *func,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define SIM_ASSERT(expr)                                                      \
    ((expr) ? (void)0                                                         \
            : sim_fatal(__FILE__, __LINE__, __func__,                         \
                        "invariant violated: %s", #expr))

/* Like SIM_ASSERT, with a message that shows the values involved. */
#define SIM_ASSERTF(expr, ...)                                                \
    ((expr) ? (void)0 : sim_fatal(__FILE__, __LINE__, __func__, __VA_ARGS__))

#endif
