/*
** fuzz_scenario.c - libFuzzer harness for the scenario loader: any bytes as
** a scenario file (scn_load_string, all three stages), then the size
** estimate and check a loaded scenario goes through before a run, and the
** one-line summary. Loading must end in a scenario or a file:line:col
** error, never a crash, a leak or undefined behaviour (ASan + UBSan).
** Seeds: tests/corpus/fuzz/scenario/ (the bundled scenarios and the
** loader's error corpus). `make fuzz` runs it.
*/
#include "io/scn_load.h"
#include "models/mq_size.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mq_scenario s;
    sim_err err = {{0}};
    if (scn_load_string("fuzz.yaml", (const char *)data, size, &s, &err) == 0) {
        mq_limits lim = {MQ_SIZE_MAX_BYTES_DEFAULT, MQ_SIZE_MAX_EVENTS_DEFAULT};
        (void)mq_size_check(&s, &lim, &err);
        char line[256];
        scn_summary(&s, line, sizeof line);
        mq_scenario_free(&s);
    }
    return 0;
}
