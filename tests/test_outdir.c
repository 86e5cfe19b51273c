/*
** test_outdir.c - a results folder is replaced as one unit (io/out_dir.h).
**
** - The fault harness: `mqsim run --report` into one folder, SIGKILLed at a
**   random moment of its run (uniform over 0..2x a full run's wall time,
**   so kills land in the simulation, in the writing and after the end),
**   many trials in a row, alternating seeds. After every trial the folder
**   must be byte-for-byte the complete output of the previous seed (old) or
**   of the new seed (new): same file names, same bytes. Mixed or missing
**   folders fail the test. The counts are printed; both old and new must
**   occur, or the kill times did not cover the swap (MQSIM_KILL_TRIALS sets
**   the number of trials, 60 by default). Temporary folders of
**   killed runs are removed by the next run.
** - A second writer is refused with exit 2 while the lock is held; so is
**   `report` into a folder whose lock is held.
** - A folder of other files is refused, never replaced.
** - A bad --out exits 2 before any simulation in run, sweep, plan and load.
** - A scenario `name:` cannot point outside the results folder.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCN "scenarios/broker-restart.yaml"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return scratch_make(dir, sizeof dir, "outdir");
}

static int teardown(void **state)
{
    (void)state;
    return scratch_remove(dir);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Start `mqsim run SCN --report --seed seed --out out`, quiet. */
static pid_t start_run(const char *out, int seed)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        char s[16];
        snprintf(s, sizeof s, "%d", seed);
        execl(getenv("MQSIM"), "mqsim", "run", SCN, "--report", "--seed", s, "--out", out,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_rc(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int same_tree(const char *a, const char *b)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "diff -rq '%s' '%s' >/dev/null 2>&1", a, b);
    return sh(cmd) == 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *d, const char *prefix)
{
    DIR *dp = opendir(d);
    int n = 0;
    for (struct dirent *e; dp && (e = readdir(dp));)
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
    if (dp) closedir(dp);
    return n;
}

static void test_kill_harness(void **state)
{
    (void)state;
    char ref[2][128], target[128];
    double full = 0;
    for (int k = 0; k < 2; k++) {
        snprintf(ref[k], sizeof ref[k], "%s/ref%d", dir, k);
        double t0 = now();
        assert_int_equal(wait_rc(start_run(ref[k], k + 1)), 0);
        full += (now() - t0) / 2;
    }
    assert_false(same_tree(ref[0], ref[1]));
    snprintf(target, sizeof target, "%s/t", dir);
    assert_int_equal(wait_rc(start_run(target, 1)), 0);
    int cur = 0, trials = getenv("MQSIM_KILL_TRIALS") ? atoi(getenv("MQSIM_KILL_TRIALS")) : 60, old = 0, fresh = 0, mixed = 0;
    srand(12345);
    for (int i = 0; i < trials; i++) {
        int next = 1 - cur;
        pid_t pid = start_run(target, next + 1);
        double delay = full * 2.0 * rand() / (double)RAND_MAX;
        struct timespec ts = {(time_t)delay, (long)((delay - (time_t)delay) * 1e9)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        wait_rc(pid);
        if (same_tree(target, ref[cur])) old++;
        else if (same_tree(target, ref[next])) fresh++, cur = next;
        else mixed++;
    }
    print_message("kill harness: %d trials (full run %.3f s): %d old, %d new, %d mixed\n",
                  trials, full, old, fresh, mixed);
    assert_int_equal(mixed, 0);
    assert_true(old > 0);
    assert_true(fresh > 0);
    /* a complete run clears what the killed ones left */
    assert_int_equal(wait_rc(start_run(target, 1)), 0);
    assert_true(same_tree(target, ref[0]));
    assert_int_equal(count_prefixed(dir, ".t.tmp-"), 0);
    assert_int_equal(count_prefixed(dir, ".t.old"), 0);
}

static void test_second_writer_refused(void **state)
{
    (void)state;
    char out[128], lock[160], cmd[512];
    snprintf(out, sizeof out, "%s/busy", dir);
    snprintf(lock, sizeof lock, "%s/.busy.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    snprintf(cmd, sizeof cmd, "'%s' run " SCN " --out %s >/dev/null 2>%s/busy.err",
             getenv("MQSIM"), out, dir);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "grep -q 'another mqsim run is writing' %s/busy.err", dir);
    assert_int_equal(sh(cmd), 0);
    close(fd);
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0); /* nothing was written */
    snprintf(cmd, sizeof cmd, "'%s' run " SCN " --out %s >/dev/null 2>&1", getenv("MQSIM"), out);
    assert_int_equal(sh(cmd), 0);
}

/* `report` writes into a finished results folder: it takes the same lock,
** so it is refused (exit 2, nothing written) while a run holds it, and like
** a run it removes what a killed run left beside the folder. */
static void test_report_takes_lock(void **state)
{
    (void)state;
    char out[128], lock[160], cmd[768];
    snprintf(out, sizeof out, "%s/rep", dir);
    snprintf(cmd, sizeof cmd, "'%s' run " SCN " --out %s >/dev/null 2>&1", getenv("MQSIM"), out);
    assert_int_equal(sh(cmd), 0);
    snprintf(lock, sizeof lock, "%s/.rep.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT, 0666);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    snprintf(cmd, sizeof cmd, "'%s' report %s >/dev/null 2>%s/rep.err", getenv("MQSIM"), out, dir);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "grep -q 'another mqsim run is writing' %s/rep.err && "
             "[ ! -e %s/report.html ] && [ ! -e %s/report.md ]", dir, out, out);
    assert_int_equal(sh(cmd), 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "mkdir %s/.rep.tmp-999999-0 && '%s' report %s >/dev/null "
             "2>%s/rep.err && [ -s %s/report.html ] && grep -q 'removed 1 unfinished' %s/rep.err",
             dir, getenv("MQSIM"), out, dir, out, dir);
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(count_prefixed(dir, ".rep.tmp-"), 0);
}

static void test_foreign_folder_kept(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/mine && echo keep > %s/mine/notes.txt && "
             "'%s' run " SCN " --out %s/mine >/dev/null 2>%s/mine.err", dir, dir,
             getenv("MQSIM"), dir, dir);
    assert_int_equal(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "grep -qx keep %s/mine/notes.txt && grep -q 'not mqsim results' "
             "%s/mine.err && [ ! -e %s/mine/summary.json ]", dir, dir, dir);
    assert_int_equal(sh(cmd), 0);
}

/* Every subcommand that writes results refuses an unwritable --out with
** exit 2, before it simulates (or connects: port 1 would fail later). */
static void test_bad_out_exit_2(void **state)
{
    (void)state;
    const char *cmds[] = {
        "run " SCN,
        "sweep " SCN " --set consumers.workers.count=1,2 --replications 1",
        "plan scenarios/capacity-drain.yaml --vary consumers.workers.count --range 1..16",
        "load " SCN " --broker amqp://127.0.0.1:1",
    };
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "touch %s/afile", dir);
    assert_int_equal(sh(cmd), 0);
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        const char *outs[] = {"/proc/nonexistent/x", "afile/sub", "afile"};
        for (size_t j = 0; j < 3; j++) {
            snprintf(cmd, sizeof cmd, "cd %s && '%s' %s --out %s%s%s >/dev/null 2>%s/bad.err",
                     getenv("MQSIM_ROOT"), getenv("MQSIM"), cmds[i], outs[j][0] == '/' ? "" : dir,
                     outs[j][0] == '/' ? "" : "/", outs[j], dir);
            int rc = sh(cmd);
            if (rc != 2) fail_msg("'%s --out %s' exited %d, expected 2", cmds[i], outs[j], rc);
            snprintf(cmd, sizeof cmd, "grep -q -- '--out' %s/bad.err", dir);
            assert_int_equal(sh(cmd), 0);
        }
    }
}

/* name: with a path in it is refused at its line; the default output
** folder therefore always stays inside results/. */
static void test_name_not_a_path(void **state)
{
    (void)state;
    const char *names[] = {"../../../x", "a/b", "..", ".hidden", "a b", "~root"};
    char cmd[2048];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(cmd, sizeof cmd,
                 "sed 's|^name: .*|name: \"%s\"|' " SCN " > %s/evil.yaml && "
                 "'%s' check %s/evil.yaml >/dev/null 2>%s/evil.err", names[i], dir,
                 getenv("MQSIM"), dir, dir);
        int rc = sh(cmd);
        if (rc != 2) fail_msg("name '%s' passed check (exit %d)", names[i], rc);
        snprintf(cmd, sizeof cmd, "grep -q 'evil.yaml:[0-9]*:[0-9]*: name' %s/evil.err", dir);
        assert_int_equal(sh(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_harness),
        cmocka_unit_test(test_second_writer_refused),
        cmocka_unit_test(test_report_takes_lock),
        cmocka_unit_test(test_foreign_folder_kept),
        cmocka_unit_test(test_bad_out_exit_2),
        cmocka_unit_test(test_name_not_a_path),
    };
    return cmocka_run_group_tests_name("outdir", tests, setup, teardown);
}
