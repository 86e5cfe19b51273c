/*
** test_corpus.c - `mqsim check` against the broken-file corpus.
**
** Every file in tests/corpus/ starts with a line
**     # expect: LINE:COL: <substring of the message>
** or  # expect: <substring>            (whole-file errors, no position)
** and becomes one cmocka test, built at run time (a dynamic CMUnitTest
** array), that runs `$MQSIM check FILE` through fork/exec with stdout and
** stderr on pipes, and asserts exit status 2 and that stderr contains
** "FILE:LINE:COL: <substring>" (or "FILE: " and the substring).
** Fixed tests add what cannot be committed as a file: a nonexistent path,
** a directory, a zero-byte file, a file over the 4 MiB limit (written to
** /tmp at run time), the usage errors, and the bundled scenarios, which
** must check OK (exit 0, summary on stdout).
** Tests run with cwd = repository root; MQSIM names the binary.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CORPUS "tests/corpus"

typedef struct run_out {
    int status;          /* exit status, or 128 + signal */
    char out[4096], err[4096];
} run_out;

static const char *mqsim(void)
{
    const char *m = getenv("MQSIM");
    return m && *m ? m : "build/mqsim";
}

/* Read fd to EOF into buf (truncated, NUL-terminated). */
static void drain(int fd, char *buf, size_t len)
{
    size_t n = 0;
    char sink[4096];
    for (;;) {
        ssize_t k = n + 1 < len ? read(fd, buf + n, len - 1 - n) : read(fd, sink, sizeof sink);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        if (n + 1 < len) n += (size_t)k;
    }
    buf[n] = '\0';
    close(fd);
}

/* Run mqsim with up to 3 arguments (NULL-terminated). */
static void run(run_out *r, const char *a1, const char *a2, const char *a3)
{
    int po[2], pe[2];
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        const char *argv[] = {mqsim(), a1, a2, a3, NULL};
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* outputs are a few lines; stdout first, then stderr, cannot deadlock
       below the pipe buffer size */
    drain(po[0], r->out, sizeof r->out);
    drain(pe[0], r->err, sizeof r->err);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_error(const char *file, const char *where, const char *substring)
{
    run_out r;
    run(&r, "check", file, NULL);
    if (r.status != 2)
        fail_msg("%s: exit %d, want 2; stderr: %s", file, r.status, r.err);
    char want[1024];
    if (where) snprintf(want, sizeof want, "%s:%s", file, where);
    else snprintf(want, sizeof want, "%s: ", file);
    if (!strstr(r.err, want))
        fail_msg("%s: stderr lacks '%s': %s", file, want, r.err);
    if (!strstr(r.err, substring))
        fail_msg("%s: stderr lacks '%s': %s", file, substring, r.err);
    if (r.out[0]) fail_msg("%s: unexpected stdout: %s", file, r.out);
}

/* ---- the corpus ---- */

typedef struct case_t {
    char path[512];
    char where[32];      /* "LINE:COL: " or "" */
    char substring[640];
} case_t;

static void test_corpus_file(void **state)
{
    const case_t *c = *state;
    expect_error(c->path, c->where[0] ? c->where : NULL, c->substring);
}

/* Parse the "# expect:" line of path into c; -1 if absent. */
static int read_expect(const char *path, case_t *c)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char line[600];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    const char *tag = "# expect: ";
    if (!ok || strncmp(line, tag, strlen(tag)) != 0) return -1;
    char *e = line + strlen(tag);
    e[strcspn(e, "\r\n")] = '\0';
    snprintf(c->path, sizeof c->path, "%s", path);
    int l, col, n = 0;
    c->where[0] = '\0';
    if (sscanf(e, "%d:%d: %n", &l, &col, &n) == 2 && n > 0) {
        snprintf(c->where, sizeof c->where, "%d:%d: ", l, col);
        e += n;
    }
    snprintf(c->substring, sizeof c->substring, "%s", e);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const case_t *)a)->path, ((const case_t *)b)->path);
}

/* ---- fixed tests ---- */

static void test_corpus_is_there(void **state)
{
    size_t n = *(size_t *)*state;
    if (n < 40) fail_msg("only %zu corpus files with '# expect:' found", n);
}

static void test_nonexistent(void **state)
{
    (void)state;
    expect_error("tests/corpus/no-such-file.yaml", NULL, "cannot open: No such file");
}

static void test_directory(void **state)
{
    (void)state;
    expect_error(CORPUS, NULL, "is a directory");
}

static void test_zero_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/mqsim-empty-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    expect_error(path, NULL, "the file is empty");
    unlink(path);
}

static void test_huge_file(void **state)
{
    (void)state;
    char path[] = "/tmp/mqsim-huge-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fputs("description: x\n", f);
    char chunk[4096];
    memset(chunk, '#', sizeof chunk);
    for (int i = 0; i < 5 * 256; i++) fwrite(chunk, 1, sizeof chunk, f); /* 5 MiB */
    fclose(f);
    expect_error(path, NULL, "the file is too large");
    unlink(path);
}

static void test_usage(void **state)
{
    (void)state;
    run_out r;
    run(&r, "check", NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "usage: mqsim check FILE"));
    run(&r, "check", "a.yaml", "b.yaml");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "too many arguments"));
    run(&r, "check", "--bogus", NULL);
    assert_int_equal(r.status, 2);
    run(&r, "check", "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: mqsim check FILE"));
}

static void check_ok(const char *file, const char *summary_start)
{
    run_out r;
    run(&r, "check", file, NULL);
    if (r.status != 0) fail_msg("%s: exit %d; stderr: %s", file, r.status, r.err);
    if (strncmp(r.out, summary_start, strlen(summary_start)) != 0)
        fail_msg("%s: summary '%s' does not start with '%s'", file, r.out,
                 summary_start);
    assert_string_equal(r.err, "");
}

static void test_bundled_steady_state(void **state)
{
    (void)state;
    check_ok("scenarios/steady-state.yaml", "steady-state: rabbitmq professional shared");
}

static void test_bundled_backlog_drain(void **state)
{
    (void)state;
    check_ok("scenarios/backlog-drain.yaml", "backlog-drain: rabbitmq");
}

static void test_bundled_broker_restart(void **state)
{
    (void)state;
    check_ok("scenarios/broker-restart.yaml", "broker-restart: rabbitmq");
}

int main(void)
{
    size_t cap = 16, n = 0;
    case_t *cases = malloc(cap * sizeof *cases);
    if (!cases) return 1;
    DIR *d = opendir(CORPUS);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", CORPUS, de->d_name);
            if (n == cap) {
                case_t *v = realloc(cases, 2 * cap * sizeof *cases);
                if (!v) return 1;
                cases = v, cap *= 2;
            }
            if (read_expect(path, &cases[n]) == 0) n++;
        }
        closedir(d);
    }
    qsort(cases, n, sizeof *cases, by_name);

    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_nonexistent),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_zero_bytes),
        cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_bundled_steady_state),
        cmocka_unit_test(test_bundled_backlog_drain),
        cmocka_unit_test(test_bundled_broker_restart),
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    struct CMUnitTest *tests = calloc(n + nfixed + 1, sizeof *tests);
    if (!tests) return 1;
    size_t k = 0;
    tests[k++] = (struct CMUnitTest){.name = "corpus_is_there",
                                     .test_func = test_corpus_is_there,
                                     .initial_state = &n};
    for (size_t i = 0; i < n; i++)
        tests[k++] = (struct CMUnitTest){.name = cases[i].path,
                                         .test_func = test_corpus_file,
                                         .initial_state = &cases[i]};
    for (size_t i = 0; i < nfixed; i++) tests[k++] = fixed[i];
    int failed = _cmocka_run_group_tests("corpus", tests, k, NULL, NULL);
    free(tests);
    free(cases);
    return failed;
}
