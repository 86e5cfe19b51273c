#!/bin/bash
# tests/run.sh BUILD_DIR - run every test binary BUILD_DIR/tests/test_* and print
# one aggregate line "N passed, N failed[, N skipped]" (the line CI counts).
# Each binary's line ends with its wall time, so a slow suite shows where the
# time went (the real-broker tests take minutes; a busy machine stretches them).
#
# Each binary is a cmocka group run with TAP output, so every test is one
# "ok"/"not ok" line. cmocka writes a skipped test as "not ok N # SKIP name"
# (TAP's directive): it is counted as skipped, neither passed nor failed, and
# listed. A binary that dies before reporting (abort, sanitizer error)
# counts as one extra failure, so a crash can never look like a pass.
# Test binaries find the mqsim executable through $MQSIM and the repository
# root through $MQSIM_ROOT.
set -u
build=${1:?usage: tests/run.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
export MQSIM_ROOT="$root" MQSIM="${MQSIM:-$root/$build/mqsim}" CMOCKA_MESSAGE_OUTPUT=TAP
passed=0; failed=0; skipped=0
for t in "$root/$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    t0=$(date +%s.%N)
    out=$(cd "$root" && "$t" 2>&1); rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    p=$(grep -cE '^ok [0-9]+' <<<"$out")
    s=$(grep -cE '^not ok [0-9]+ # SKIP' <<<"$out")
    f=$(grep -E '^not ok [0-9]+' <<<"$out" | grep -cvE '^not ok [0-9]+ # SKIP')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    sk=""; [ "$s" -gt 0 ] && sk=", $s skipped: $(grep -E '^not ok [0-9]+ # SKIP' <<<"$out" | sed 's/.*# SKIP //' | tr '\n' ' ')"
    if [ "$f" -gt 0 ]; then
        echo "== $name: $p passed, $f failed$sk (exit $rc, $secs s)"
        grep -vE '^ok [0-9]+' <<<"$out" | tail -n 40
    else
        echo "== $name: $p passed$sk ($secs s)"
    fi
done
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"
else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
