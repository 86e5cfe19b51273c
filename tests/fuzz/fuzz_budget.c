/*
** fuzz_budget.c - libFuzzer harness for the risk budget expressions
** ("metric OP limit"): each input line is one budget line for
** scn_budget_add; accepted lines are checked against the metric table
** (scn_budget_check_names) and evaluated (mq_budget_eval) against a small
** metric set, as `run` does.
** Seeds: tests/corpus/fuzz/budget/.
*/
#include "io/scn_budget.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in) return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    mq_budget *b = mq_budget_new();
    sim_err err = {{0}};
    int line = 1;
    for (char *s = in, *next; b && s; s = next, line++) {
        next = strchr(s, '\n');
        if (next) *next++ = '\0';
        (void)scn_budget_add(b, s, (mq_loc){line, 1}, "fuzz.yaml", &err);
    }
    sim_metrics m = {0};
    sim_metrics_add(&m, "lost", 0, "msgs", SIM_BETTER_LOWER);
    sim_metrics_add(&m, "delay_p99_s", 1.5, "s", SIM_BETTER_LOWER);
    sim_metrics_add(&m, "duplicates", NAN, "msgs", SIM_BETTER_LOWER);
    sim_metrics_add(&m, "messages_consumed", 1e6, "msgs", SIM_BETTER_HIGHER);
    if (b && scn_budget_check_names(b, "fuzz.yaml", &err) == 0) {
        mq_budget_verdict v[1024];
        if (b->n <= 1024) mq_budget_eval(b, &m, v);
    }
    sim_metrics_free(&m);
    mq_budget_free(b);
    free(in);
    return 0;
}
