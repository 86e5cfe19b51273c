/*
** fuzz_summary.c - libFuzzer harness for the results-folder readers that
** `report` and `compare` use: the first byte picks the file, the rest is
** its content: even = summary.csv (out_read_summary_csv), odd =
** summary.json (report_read_metrics, then report_write on the same folder,
** which reads the whole JSON). Every reader must return a table or an
** error. The folder is a private temp directory made once.
** Seeds: tests/corpus/fuzz/summary/ (baselines' summaries, prefixed).
*/
#include "io/out_csv.h"
#include "io/report.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mqsim-fuzz-summary-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    if (size < 1) return 0;
    int json = data[0] & 1;
    char path[128];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", dir, json ? "summary.json" : "summary.csv");
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    sim_metrics m = {0};
    sim_err err = {{0}};
    char mode[32];
    if (json) {
        if (report_read_metrics(dir, &m, mode, sizeof mode, &err) == 0) sim_metrics_free(&m);
        (void)report_write(dir, &err);
    } else if (out_read_summary_csv(path, &m, &err) == 0) {
        sim_metrics_free(&m);
    }
    return 0;
}
