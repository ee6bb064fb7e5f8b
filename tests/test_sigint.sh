#!/bin/bash
# test_sigint.sh MNBENCH SOURCE_DIR - Ctrl-C in the middle of a run: the
# first SIGINT lets the repetition finish and saves a valid run.json
# marked interrupted (exit 130); a second SIGINT quits at once (exit 130).
set -u
MNBENCH=${1:?usage: test_sigint.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A run that would take hours: only the signal ends it.
"$MNBENCH" switch --param n=1000 --reps 100000 --min-time 1000s -q \
    --results-dir "$TMP/one" >"$TMP/one.out" 2>"$TMP/one.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
[ "$rc" = 130 ] || fail "first SIGINT: exit $rc, want 130: $(cat "$TMP/one.err")"
grep -q 'interrupted' "$TMP/one.err" || fail "no 'interrupted' message on stderr"
python3 - "$SRC/bench/schema/mnbench-run-1.schema.json" "$TMP"/one/*/run.json <<'PY' || exit 1
import json, sys, jsonschema
doc = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(doc)
assert doc['interrupted'] is True, doc['interrupted']
c = doc['configurations'][0]
assert c['reps'] >= 1 and len(c['samples']['ns_per_switch']) == c['reps'], c['reps']
assert c['reps'] < 100000
assert c['summaries']['ns_per_switch']['median'] > 0
PY

# Long repetitions (10 million spawns each); the second signal must not
# wait for the current one to finish.
"$MNBENCH" spawn --param n=10000000 --param trials=1 --reps 1000 --min-time 1000s -q \
    --results-dir "$TMP/two" >"$TMP/two.out" 2>"$TMP/two.err" &
pid=$!
sleep 1.5
kill -INT $pid
sleep 0.2
t0=$(date +%s%N)
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 130 ] || fail "second SIGINT: exit $rc, want 130: $(cat "$TMP/two.err")"
[ "$ms" -lt 500 ] || fail "second SIGINT: took ${ms} ms to exit"
echo "ok test_sigint"
