#!/bin/sh
# scripts/bench-tables.sh MQSIM BUILD_DIR - the metric-table benchmark rows of
# `make bench`: a scenario with 16 000 producer groups (one client each,
# 0.1 msg/s, one minute) run end to end, and `compare` of two results folders
# with a 40 000-row summary.csv. Both once cost O(n^2) string compares in
# the metric tables (66 s and 17 s); the tables are hashed (sim_table.h).
# The inputs are generated here, so nothing of this size is committed.
set -e
mqsim=${1:?usage: scripts/bench-tables.sh MQSIM BUILD_DIR}
b=${2:?usage: scripts/bench-tables.sh MQSIM BUILD_DIR}/bench-tables
rm -rf "$b"
mkdir -p "$b/a" "$b/b"
f=$b/groups-16000.yaml
{
    printf 'name: groups-16000\nrun: { duration: 1m, seed: 7 }\n'
    printf 'instance: { kind: rabbitmq, edition: professional, deployment: shared }\n'
    printf 'clusters:\n  - name: main\n    brokers:\n      - name: b1\n'
    printf 'queues:\n  - { name: orders, broker: b1 }\n'
    printf 'consumers:\n  - { name: workers, count: 4, concurrency: 5, prefetch: 50, '
    printf 'processing: { dist: constant, value: 10ms } }\n'
    printf 'producers:\n'
    awk 'BEGIN { for (i = 0; i < 16000; i++) printf "  - { name: p%d, rate: 0.1 }\n", i }'
} > "$f"
t0=$(date +%s.%N)
"$mqsim" run "$f" --no-baseline --out "$b/run" > /dev/null
t1=$(date +%s.%N)
echo "16000 producer groups, 1 min simulated: $(echo "$t1 - $t0" | bc) s (before the hashed tables: 66-77 s)"
for d in a b; do
    awk -v d=$d 'BEGIN { print "metric,value,ci95_low,ci95_high,unit";
        for (i = 0; i < 40000; i++) printf "m%d,%d,,,s\n", i, (d == "a" ? i : i + 1) }' > "$b/$d/summary.csv"
done
# The generated names are in no metric table, so compare reads, matches and
# prints all 40 000 rows and then refuses to judge (exit 2, by design:
# tests/test_compare.c); the row times that whole pass.
t0=$(date +%s.%N)
rc=0
"$mqsim" compare "$b/a" "$b/b" > /dev/null 2>&1 || rc=$?
t1=$(date +%s.%N)
echo "compare, 40000-row summary.csv: $(echo "$t1 - $t0" | bc) s (before: 17 s; exit $rc: no direction for generated names)"
