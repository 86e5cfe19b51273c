/*
** fuzz_set.c - libFuzzer harness for `--set KEY=VALUE` (sweep, plan): the
** input is up to four lines "KEY=VALUE" applied by scn_override_apply to
** the small scenario below (every top-level section a key can reach), and
** the result loaded again. Invalid keys and values must come back as
** errors.
** Seeds: tests/corpus/fuzz/set/.
*/
#include "io/scn_load.h"
#include "io/scn_override.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
    "name: fuzz\n"
    "description: \"a scenario for --set\"\n"
    "run: { duration: 1m, sample_interval: 1s, seed: 3 }\n"
    "instance: { kind: rabbitmq, edition: professional, deployment: shared }\n"
    "clusters:\n  - name: main\n    brokers:\n      - name: b1\n"
    "queues:\n  - { name: orders, broker: b1 }\n"
    "producers:\n  - { name: web, queue: orders, count: 2, rate: 50 }\n"
    "consumers:\n  - name: workers\n    queue: orders\n    count: 2\n"
    "    processing: { dist: exponential, mean: 10ms }\n"
    "backlog:\n  - { queue: orders, messages: 100 }\n"
    "events:\n  - { at: 10s, type: broker_restart, duration: 5s }\n"
    "budget: [\"lost == 0\"]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (!in) return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    const char *keys[4], *vals[4];
    size_t n = 0;
    for (char *line = in, *next; line && n < 4; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        keys[n] = line;
        vals[n++] = eq + 1;
    }
    char *out = NULL;
    size_t outlen = 0;
    sim_err err = {{0}};
    if (n && scn_override_apply(base, sizeof base - 1, keys, vals, n, &out, &outlen, &err) == 0) {
        mq_scenario s;
        if (scn_load_string("set.yaml", out, outlen, &s, &err) == 0) mq_scenario_free(&s);
        free(out);
    }
    free(in);
    return 0;
}
