/*
** test_plot.c - cmocka tests of io/plot.c: the PNGs are real PNGs of the
** requested size (signature and IHDR parsed here), byte-identical for
** identical input and different for different input, carry no timestamp,
** and awkward input (no lines, empty or one-point series, NaN, all-equal y,
** log axis with zeros, many narrow bands, 1e6 points) draws without
** crashing. Bad sizes and missing directories fail with a message and leave
** any previous file alone.
**
** Files go to a mkdtemp directory under /tmp, removed by the group teardown.
*/
#define _XOPEN_SOURCE 700 /* nftw, for the teardown */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io/plot.h"
#include "tests/test_util.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpdir[64];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/mqsim_test_plot_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct blob {
    unsigned char *b;
    size_t n;
} blob;

static blob load(const char *path)
{
    blob r = {0};
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    r.n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    r.b = malloc(r.n ? r.n : 1);
    assert_non_null(r.b);
    assert_int_equal(fread(r.b, 1, r.n, fp), r.n);
    fclose(fp);
    return r;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Assert path is a PNG of w x h (signature, first chunk IHDR, size) and
** that no "Creation Time" text chunk survived. */
static void assert_png(const char *path, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    blob f = load(path);
    assert_true(f.n > 33);
    assert_memory_equal(f.b, sig, 8);
    assert_int_equal(be32(f.b + 8), 13);
    assert_memory_equal(f.b + 12, "IHDR", 4);
    assert_int_equal(be32(f.b + 16), w);
    assert_int_equal(be32(f.b + 20), h);
    /* Walk the chunks to the end: lengths must be consistent, IEND last. */
    size_t at = 8;
    const unsigned char *last = NULL;
    while (at + 12 <= f.n) {
        uint32_t n = be32(f.b + at);
        last = f.b + at + 4;
        if (memcmp(last, "tEXt", 4) == 0)
            assert_true(n < 13 || memcmp(f.b + at + 8, "Creation Time", 13) != 0);
        at += 12 + (size_t)n;
    }
    assert_int_equal(at, f.n);
    assert_non_null(last);
    assert_memory_equal(last, "IEND", 4);
    free(f.b);
}

static int same_file(const char *a, const char *b)
{
    blob x = load(a), y = load(b);
    int same = x.n == y.n && memcmp(x.b, y.b, x.n) == 0;
    free(x.b);
    free(y.b);
    return same;
}

/* Two lines over an hour with three bands, like a restart run. */
typedef struct demo {
    double x[721], y1[721], y2[721];
    plot_line lines[2];
    sim_bands bands;
} demo;

static void demo_init(demo *d)
{
    for (int i = 0; i < 721; i++) {
        d->x[i] = i * 5.0;
        d->y1[i] = 1000 + 200 * sin(i * 0.05);
        d->y2[i] = (i > 240 && i < 300) ? 4000 * exp(-(i - 240) / 20.0) : 150;
    }
    d->lines[0] = (plot_line){"send rate (msg/s)", d->x, d->y1, 721, NULL, NULL, 0};
    d->lines[1] = (plot_line){"backlog (msgs)", d->x, d->y2, 721, NULL, NULL, 0};
    d->bands = (sim_bands){0};
    assert_int_equal(sim_bands_add(&d->bands, 1200, 1260, "broker restart"), 0);
    assert_int_equal(sim_bands_add(&d->bands, 1800, 2400, "migration"), 0);
    assert_int_equal(sim_bands_add(&d->bands, 3000, 3005, "broker restart"), 0);
}

static const plot_spec demo_spec = {"Backlog during a restart", "time (s)", "messages", 0,
                                    800, 450, NULL, 0, 0, 0};

static void test_lines_png_signature_and_size(void **state)
{
    (void)state;
    demo *d = malloc(sizeof *d);
    assert_non_null(d);
    demo_init(d);
    sim_err e = {{0}};
    assert_int_equal(plot_lines_png(tpath("a.png"), &demo_spec, d->lines, 2, &d->bands, &e), 0);
    assert_png(tpath("a.png"), 800, 450);
    plot_spec def = demo_spec;
    def.width = def.height = 0; /* default size */
    assert_int_equal(plot_lines_png(tpath("def.png"), &def, d->lines, 2, NULL, &e), 0);
    assert_png(tpath("def.png"), 960, 540);
    sim_bands_free(&d->bands);
    free(d);
}

static void test_lines_png_deterministic(void **state)
{
    (void)state;
    demo *d = malloc(sizeof *d);
    assert_non_null(d);
    demo_init(d);
    sim_err e = {{0}};
    assert_int_equal(plot_lines_png(tpath("d1.png"), &demo_spec, d->lines, 2, &d->bands, &e), 0);
    assert_int_equal(plot_lines_png(tpath("d2.png"), &demo_spec, d->lines, 2, &d->bands, &e), 0);
    assert_true(same_file(tpath("d1.png"), tpath("d2.png")));
    /* Different data, different picture. */
    d->y2[400] = 3000;
    assert_int_equal(plot_lines_png(tpath("d3.png"), &demo_spec, d->lines, 2, &d->bands, &e), 0);
    assert_false(same_file(tpath("d1.png"), tpath("d3.png")));
    /* Different bands too. */
    d->y2[400] = 150;
    assert_int_equal(plot_lines_png(tpath("d4.png"), &demo_spec, d->lines, 2, NULL, &e), 0);
    assert_false(same_file(tpath("d1.png"), tpath("d4.png")));
    sim_bands_free(&d->bands);
    free(d);
}

static void test_lines_png_awkward_data(void **state)
{
    (void)state;
    sim_err e = {{0}};
    plot_spec s = {"awkward", "time (s)", "value", 0, 400, 300, NULL, 0, 0, 0};
    double x1[] = {5}, y1[] = {3};
    double xn[] = {0, 1, 2, 3, 4, 5}, yn[] = {NAN, 1, NAN, 2, 3, INFINITY};
    double ye[] = {7, 7, 7, 7, 7, 7}, yz[] = {0, 0, 0, 0, 0, 0};
    double ya[] = {NAN, NAN, NAN, NAN, NAN, NAN};
    double yneg[] = {-5, -1, -3, 0, 2, -8};
    plot_line cases[][2] = {
        {{"empty", xn, yn, 0, NULL, NULL, 0}, {"null", NULL, NULL, 3, NULL, NULL, 0}},
        {{"one point", x1, y1, 1, NULL, NULL, 0}, {NULL, xn, yn, 6, NULL, NULL, 0}},
        {{"all equal", xn, ye, 6, NULL, NULL, 0}, {"zeros", xn, yz, 6, NULL, NULL, 0}},
        {{"all nan", xn, ya, 6, NULL, NULL, 0}, {"", xn, yneg, 6, NULL, NULL, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "awk%zu.png", i);
        assert_int_equal(plot_lines_png(tpath(name), &s, cases[i], 2, NULL, &e), 0);
        assert_png(tpath(name), 400, 300);
        s.log_y = 1; /* zeros, negatives and NaN on a log axis */
        assert_int_equal(plot_lines_png(tpath(name), &s, cases[i], 2, NULL, &e), 0);
        assert_png(tpath(name), 400, 300);
        s.log_y = 0;
    }
    /* No lines at all, no labels at all, no title. */
    plot_spec bare = {NULL, NULL, NULL, 0, 300, 200, NULL, 0, 0, 0};
    assert_int_equal(plot_lines_png(tpath("none.png"), &bare, NULL, 0, NULL, &e), 0);
    assert_png(tpath("none.png"), 300, 200);
}

static void test_lines_png_bands_edge_cases(void **state)
{
    (void)state;
    sim_bands b = {0};
    /* 60 narrow bands sharing 3 labels, a zero-width one, one past the
    ** data, one with a very long label. */
    static const char *const labels[] = {"restart", "disconnect", "resource op"};
    for (int i = 0; i < 60; i++)
        assert_int_equal(sim_bands_add(&b, i * 10.0, i * 10.0 + 2, labels[i % 3]), 0);
    assert_int_equal(sim_bands_add(&b, 300, 300, "instant"), 0);
    assert_int_equal(sim_bands_add(&b, 700, 900, "after the data"), 0);
    assert_int_equal(sim_bands_add(&b, 100, 200,
                                   "a very long band label that cannot possibly fit anywhere"),
                     0);
    double x[] = {0, 100, 200, 300, 400, 500, 600}, y[] = {1, 5, 2, 8, 3, 9, 4};
    plot_line l = {"y", x, y, 7, NULL, NULL, 0};
    sim_err e = {{0}};
    plot_spec s = {"many bands", "time (s)", "y (msgs)", 0, 640, 360, NULL, 0, 0, 0};
    assert_int_equal(plot_lines_png(tpath("bands.png"), &s, &l, 1, &b, &e), 0);
    assert_png(tpath("bands.png"), 640, 360);
    /* Bands alone, no lines. */
    assert_int_equal(plot_lines_png(tpath("bands2.png"), &s, NULL, 0, &b, &e), 0);
    assert_png(tpath("bands2.png"), 640, 360);
    sim_bands_free(&b);
}

static void test_lines_png_million_points(void **state)
{
    (void)state;
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    for (int i = 0; i < N; i++) {
        x[i] = i * 0.01;
        y[i] = 100 + 10 * sin(i * 1e-4) + (i == 654321 ? 5000 : 0); /* one spike */
    }
    plot_line l = {"delay", x, y, N, NULL, NULL, 0};
    plot_spec s = {"1e6 points", "time (s)", "delay (s)", 0, 960, 540, NULL, 0, 0, 0};
    sim_err e = {{0}};
    assert_int_equal(plot_lines_png(tpath("big.png"), &s, &l, 1, NULL, &e), 0);
    assert_png(tpath("big.png"), 960, 540);
    /* Unsorted x takes the draw-everything path; still must finish. */
    x[10] = 1e4;
    assert_int_equal(plot_lines_png(tpath("big2.png"), &s, &l, 1, NULL, &e), 0);
    assert_png(tpath("big2.png"), 960, 540);
    free(x);
    free(y);
}

static void test_bars_png(void **state)
{
    (void)state;
    const char *labels[] = {"steady", "restart", "migration window", NULL, "after"};
    double v[] = {0.012, 3.4, NAN, -0.5, 0.5};
    plot_spec s = {"p99 delay by phase", "phase", "p99 delay (s)", 0, 640, 400, NULL, 0, 0, 0};
    sim_err e = {{0}};
    assert_int_equal(plot_bars_png(tpath("bars1.png"), &s, labels, v, 5, &e), 0);
    assert_png(tpath("bars1.png"), 640, 400);
    assert_int_equal(plot_bars_png(tpath("bars2.png"), &s, labels, v, 5, &e), 0);
    assert_true(same_file(tpath("bars1.png"), tpath("bars2.png")));
    v[1] = 2.4;
    assert_int_equal(plot_bars_png(tpath("bars3.png"), &s, labels, v, 5, &e), 0);
    assert_false(same_file(tpath("bars1.png"), tpath("bars3.png")));
    /* Long labels in narrow slots are slanted; nothing and all-NaN work. */
    const char *longl[] = {"a rather long category name", "another long category name",
                           "third long category name"};
    double w[] = {1, 2, 3};
    plot_spec narrow = {"narrow", NULL, "count", 0, 300, 300, NULL, 0, 0, 0};
    assert_int_equal(plot_bars_png(tpath("bars4.png"), &narrow, longl, w, 3, &e), 0);
    assert_png(tpath("bars4.png"), 300, 300);
    assert_int_equal(plot_bars_png(tpath("bars5.png"), &narrow, NULL, NULL, 0, &e), 0);
    assert_png(tpath("bars5.png"), 300, 300);
    double nn[] = {NAN, NAN};
    assert_int_equal(plot_bars_png(tpath("bars6.png"), &narrow, NULL, nn, 2, &e), 0);
    assert_png(tpath("bars6.png"), 300, 300);
}

static void test_plot_errors_keep_old_file(void **state)
{
    (void)state;
    const char *p = tpath("keep.png");
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    fputs("previous", fp);
    fclose(fp);
    double x[] = {0, 1}, y[] = {1, 2};
    plot_line l = {"y", x, y, 2, NULL, NULL, 0};
    sim_err e = {{0}};
    plot_spec tiny = {"t", "x", "y", 0, 10, 10, NULL, 0, 0, 0};
    assert_int_equal(plot_lines_png(p, &tiny, &l, 1, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "out of range"));
    assert_int_equal(plot_bars_png(p, &tiny, NULL, y, 2, &e), -1);
    blob f = load(p);
    assert_int_equal(f.n, 8);
    assert_memory_equal(f.b, "previous", 8);
    free(f.b);
    plot_spec ok = {"t", "x", "y", 0, 320, 240, NULL, 0, 0, 0};
    const char *missing = tpath("no/such/dir/p.png");
    assert_int_equal(plot_lines_png(missing, &ok, &l, 1, NULL, &e), -1);
    assert_non_null(strstr(e.msg, missing));
    assert_non_null(strstr(e.msg, "No such file or directory"));
}

static void test_environment_cannot_change_output(void **state)
{
    (void)state;
    double x[] = {0, 60, 120}, y[] = {1, 3, 2};
    plot_line l = {"y", x, y, 3, NULL, NULL, 0};
    plot_spec s = {"env", "time (s)", "y", 0, 320, 240, NULL, 0, 0, 0};
    sim_err e = {{0}};
    assert_int_equal(plot_lines_png(tpath("env1.png"), &s, &l, 1, NULL, &e), 0);
    setenv("BITMAPSIZE", "100x100", 1);
    setenv("BG_COLOR", "black", 1);
    setenv("TRANSPARENT_COLOR", "white", 1);
    setenv("INTERLACE", "yes", 1);
    assert_int_equal(plot_lines_png(tpath("env2.png"), &s, &l, 1, NULL, &e), 0);
    unsetenv("BITMAPSIZE");
    unsetenv("BG_COLOR");
    unsetenv("TRANSPARENT_COLOR");
    unsetenv("INTERLACE");
    assert_true(same_file(tpath("env1.png"), tpath("env2.png")));
}

/* A run's plots: clients per group (the group cut off for good stays at 0
** while the others come back), a throughput and a percentile plot, and the
** delay plot's budget line and whiskers render (and change the image). */
static void test_run_plots(void **state)
{
    (void)state;
    const char *m = getenv("MQSIM");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf build/test-plot-run && ('%s' run "
             "scenarios/rocketmq/internet-disable.yaml --out build/test-plot-run >/dev/null "
             "2>&1; r=$?; [ $r -eq 0 ] || [ $r -eq 3 ])", m ? m : "./mqsim");
    assert_int_equal(sh(cmd), 0);
    assert_int_equal(sh("head -1 build/test-plot-run/timeseries.csv | grep -q "
                        "'producers_connected:web,producers_connected:partner-feed,"
                        "consumers_connected:workers,consumers_connected:partner-sync'"), 0);
    /* at the end: web's 4 producers connected, partner-feed's 3 public ones not */
    assert_int_equal(sh("tail -1 build/test-plot-run/timeseries.csv | awk -F, '{exit !($14==4 "
                        "&& $15==0)}'"), 0);
    assert_int_equal(sh("for f in throughput percentiles clients delay; do "
                        "head -c 8 build/test-plot-run/$f.png | od -An -tx1 | "
                        "grep -q '89 50 4e 47' || exit 1; done"), 0);
    /* a budget line and whiskers are drawn: the image differs without them */
    double x[3] = {1, 2, 3}, y[3] = {0.1, 0.2, 0.3}, lo[3] = {0.05, 0.1, 0.2},
           hi[3] = {0.2, 0.3, 0.4};
    plot_hline h = {30, "budget: delay_p99_s <= 30"};
    plot_line with = {"p99", x, y, 3, lo, hi, 1}, without = {"p99", x, y, 3, NULL, NULL, 0};
    plot_spec sa = {"d", "x", "delay (s)", 1, 320, 240, &h, 1, 0, 0};
    plot_spec sb = {"d", "x", "delay (s)", 1, 320, 240, NULL, 0, 0, 0};
    sim_err e = {{0}};
    assert_int_equal(plot_lines_png("build/test-plot-run/a.png", &sa, &with, 1, NULL, &e), 0);
    assert_int_equal(plot_lines_png("build/test-plot-run/b.png", &sb, &without, 1, NULL, &e), 0);
    assert_int_equal(sh("! cmp -s build/test-plot-run/a.png build/test-plot-run/b.png"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_png_signature_and_size),
        cmocka_unit_test(test_lines_png_deterministic),
        cmocka_unit_test(test_lines_png_awkward_data),
        cmocka_unit_test(test_lines_png_bands_edge_cases),
        cmocka_unit_test(test_lines_png_million_points),
        cmocka_unit_test(test_bars_png),
        cmocka_unit_test(test_plot_errors_keep_old_file),
        cmocka_unit_test(test_environment_cannot_change_output),
        cmocka_unit_test(test_run_plots),
    };
    return cmocka_run_group_tests_name("plot", tests, group_setup, group_teardown);
}
