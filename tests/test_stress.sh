#!/bin/bash
# test_stress.sh MNBENCH SOURCE_DIR CASE [STRESS ARGS...] - mnbench stress.
#
#   run ARGS...  a short stress passes: exit 0, "stress: PASS", the seed
#                printed first, every invariant "pass" or unexercised, and
#                a run.json that validates (jsonschema when Python has it,
#                and mnbench compare, which validates what it reads)
#   lose         --test-lose-message drops one received message: exit 1,
#                the channels invariant FAILs, the seed and a replay
#                command (same options, --seed fixed) are printed
#   bad          bad input: exit 2, one line "mnbench: ...; allowed: ...",
#                naming the culprit, nothing on stdout, nothing written
set -u
MNBENCH=${1:?usage: test_stress.sh MNBENCH SOURCE_DIR run|lose|bad [ARGS...]}
SRC=${2:?usage: test_stress.sh MNBENCH SOURCE_DIR run|lose|bad [ARGS...]}
CASE=${3:?usage: test_stress.sh MNBENCH SOURCE_DIR run|lose|bad [ARGS...]}
shift 3
TMP=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
show() { echo "--- stdout"; cat "$TMP/out"; echo "--- stderr"; tail -40 "$TMP/err"; } >&2

# The seed on the first line: "stress: seed N (--seed N replays this run)".
first_seed() {
    head -1 "$TMP/out" | sed -n 's/^stress: seed \([0-9][0-9]*\) .*/\1/p'
}

case_run() {
    "$MNBENCH" stress "$@" --quiet --results-dir "$TMP/res" >"$TMP/out" 2>"$TMP/err"
    local rc=$? seed
    seed=$(first_seed)
    [ "$rc" = 0 ] || { fail "mnbench stress $*: exit $rc, want 0"; show; return; }
    [ -n "$seed" ] || fail "the first line does not give the seed: $(head -1 "$TMP/out")"
    grep -q "^stress: PASS: every invariant held (seed $seed)" "$TMP/out" ||
        fail "no PASS line with seed $seed"
    grep -qE '^[a-z_]+ +FAIL ' "$TMP/out" && fail "an invariant FAILed: $(grep FAIL "$TMP/out")"
    for inv in spawn channels mutex sema timers syscalls locked stw stacks num_g watchdog; do
        grep -qE "^$inv +(pass|-) " "$TMP/out" || fail "invariant $inv not reported"
    done
    grep -qE '^total +[0-9]+ +[0-9.]+$' "$TMP/out" || fail "no total ops/s line"
    local run
    run=$(echo "$TMP"/res/*/run.json)
    [ -f "$run" ] || { fail "no run.json under $TMP/res"; return; }
    if python3 -c 'import jsonschema' 2>/dev/null; then
        python3 - "$SRC/bench/schema/mnbench-run-1.schema.json" "$run" "$seed" <<'PY' ||
import json, sys
import jsonschema
schema, doc, seed = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
jsonschema.Draft202012Validator(schema).validate(doc)
c = doc['configurations'][0]
assert c['name'] == 'stress' and c['benchmark'] == 'stress', c['name']
assert c['stress']['seed'] == seed and c['stress']['passed'] is True, c['stress']
assert c['error'] is None, c['error']
assert c['samples']['total'][0] > 0, c['samples']
assert {i['name'] for i in c['stress']['invariants']} >= {'spawn', 'channels', 'watchdog'}
PY
        fail "run.json: see above"
    fi
    "$MNBENCH" compare "$(dirname "$run")" "$(dirname "$run")" >"$TMP/cmp" 2>&1 ||
        fail "mnbench compare refused the run: $(cat "$TMP/cmp")"
}

case_lose() {
    "$MNBENCH" stress --duration 2s --mix chan=1 --test-lose-message --quiet \
        --results-dir "$TMP/res" >"$TMP/out" 2>"$TMP/err"
    local rc=$? seed
    seed=$(first_seed)
    [ "$rc" = 1 ] || { fail "a lost message: exit $rc, want 1"; show; return; }
    [ -n "$seed" ] || fail "the first line does not give the seed: $(head -1 "$TMP/out")"
    grep -qE '^channels +FAIL +[0-9]+ +channel [0-9]+ .*sent [0-9]+ messages .*received' \
        "$TMP/out" || { fail "the channels invariant does not FAIL naming a channel"; show; }
    grep -q "^stress: FAIL: channels (seed $seed)" "$TMP/out" ||
        fail "no 'stress: FAIL: channels (seed $seed)' line"
    grep -qE "^replay: .*mnbench stress --duration 2s --mix chan=1 --test-lose-message --quiet --results-dir [^ ]+ --seed $seed\$" \
        "$TMP/out" || { fail "no replay command with the same options and --seed $seed"; show; }
    grep -q '"passed": false' "$TMP"/res/*/run.json || fail "run.json does not say passed: false"
}

# bad CULPRIT ARGS...: exit 2, one line naming the culprit, nothing written.
bad() {
    local culprit=$1 rc
    shift
    "$MNBENCH" stress "$@" --results-dir "$TMP/never" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ "$rc" = 2 ] || fail "stress $*: exit $rc, want 2"
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "stress $*: not one line on stderr: $(cat "$TMP/err")"
    grep -q '^mnbench: .*; allowed: ' "$TMP/err" ||
        fail "stress $*: not 'mnbench: ...; allowed: ...': $(cat "$TMP/err")"
    grep -qF -- "$culprit" "$TMP/err" || fail "stress $*: '$culprit' not named: $(cat "$TMP/err")"
    [ ! -s "$TMP/out" ] || fail "stress $*: wrote to stdout: $(head -2 "$TMP/out")"
    [ ! -e "$TMP/never" ] || fail "stress $*: created the results folder"
    rm -rf "$TMP/never"
}

case_bad() {
    bad "'frob'" --mix frob=1
    bad "spawn" --mix spawn
    bad "spawn" --mix spawn=x
    bad "spawn" --mix spawn=1001
    bad "twice" --mix spawn=1,spawn=2
    bad "every weight is 0" --mix spawn=0,chan=0
    bad "--mix" --mix ''
    bad "--duration 5" --duration 5
    bad "--duration abc" --duration abc
    bad "--duration 10ms" --duration 10ms
    bad "--duration 2d" --duration 2d
    bad "--seed -1" --seed -1
    bad "--seed 18446744073709551616" --seed 18446744073709551616
    bad "--seed 12x" --seed 12x
    bad "'nosuch'" --inject nosuch
    bad "alloc=0" --inject alloc=0
    bad "--workers 0" --workers 0
    bad "--procs 0" --procs 0
    bad "--queue stack" --queue stack
    bad "--preempt maybe" --preempt maybe
    bad "--timeslice 1" --timeslice 1
    bad "MN_TIMESLICE" --timeslice 10us
    bad "--bogus" --bogus
    bad "--duration" --duration
    bad "'extra'" extra
    bad "stress" --quiet stress
    # The subcommand after an option reaches the run parser: refused too.
    "$MNBENCH" --quiet stress >"$TMP/out" 2>"$TMP/err"
    [ $? = 2 ] && grep -q 'stress: the subcommand goes first' "$TMP/err" ||
        fail "mnbench --quiet stress: $(cat "$TMP/err")"
    MN_PROCS=zero "$MNBENCH" stress --duration 1s >"$TMP/out" 2>"$TMP/err"
    [ $? = 2 ] && grep -q 'MN_PROCS' "$TMP/err" || fail "MN_PROCS=zero: $(cat "$TMP/err")"
}

case $CASE in
    run) case_run "$@" ;;
    lose) case_lose ;;
    bad) case_bad ;;
    *) echo "test_stress.sh: unknown case '$CASE'; allowed: run, lose, bad" >&2; exit 2 ;;
esac
[ "$FAILS" = 0 ] || { echo "test_stress.sh $CASE: $FAILS failure(s)" >&2; exit 1; }
echo "test_stress.sh $CASE: ok"
