#!/bin/bash
# test_cli.sh MNBENCH [SOURCE_DIR] - mnbench's command line.
#
# Every kind of bad input must give exit code 2, exactly one line on
# stderr ("mnbench: <what>; allowed: <what is>") naming the culprit, and
# write nothing (the results directory given must not even be created).
# Then the good paths: --help, --version, list, --dry-run names.
set -u
MNBENCH=${1:?usage: test_cli.sh MNBENCH}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/out"          # never created by a refused command
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# bad CULPRIT ARGS...: refused, culprit named, one line, nothing written.
bad() {
    local culprit=$1 rc lines
    shift
    "$MNBENCH" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    lines=$(wc -l <"$TMP/stderr")
    [ "$rc" = 2 ] || fail "mnbench $*: exit $rc, want 2"
    [ "$lines" = 1 ] || fail "mnbench $*: $lines lines on stderr, want 1: $(cat "$TMP/stderr")"
    grep -q '^mnbench: .*; allowed: ' "$TMP/stderr" ||
        fail "mnbench $*: not 'mnbench: ...; allowed: ...': $(cat "$TMP/stderr")"
    grep -qF -- "$culprit" "$TMP/stderr" ||
        fail "mnbench $*: culprit '$culprit' not named: $(cat "$TMP/stderr")"
    [ ! -s "$TMP/stdout" ] || fail "mnbench $*: wrote to stdout: $(head -3 "$TMP/stdout")"
    [ ! -e "$OUT" ] || fail "mnbench $*: created $OUT"
    rm -rf "$OUT"
}

R=(--results-dir "$OUT")

# Unknown subcommand, benchmark, parameter, setting, option.
bad frobnicate frobnicate "${R[@]}"
bad "topo --results-dir" topo "${R[@]}"
bad nosuch run nosuch "${R[@]}"
bad nosuch switch nosuch "${R[@]}"
bad switch switch switch "${R[@]}"
bad nosuch list nosuch
bad spawn list switch spawn
bad list list --procs 2
bad nosuch switch --param nosuch=1 "${R[@]}"
bad --bogus switch --bogus "${R[@]}"
bad -x switch -x "${R[@]}"
bad quiet switch --quiet=1 "${R[@]}"
bad reps switch "${R[@]}" --reps
# Malformed or out-of-range values, empty lists.
bad abc switch --param n=abc "${R[@]}"
bad n=0 switch --param n=0 "${R[@]}"
bad n= switch --param n= "${R[@]}"
bad n=1000,,2000 switch --param n=1000,,2000 "${R[@]}"
bad "--param n" switch --param n "${R[@]}"
bad =5 switch --param =5 "${R[@]}"
bad 1000 switch --param n=1000,1000 "${R[@]}"
bad "--reps 0" switch --reps 0 "${R[@]}"
bad "--reps abc" switch --reps abc "${R[@]}"
bad "--warmup -1" switch --warmup -1 "${R[@]}"
bad "--min-time 5" switch --min-time 5 "${R[@]}"
bad 1parsec switch --min-time 1parsec "${R[@]}"
bad "--procs ''" switch --procs "" "${R[@]}"
bad "--procs 0" switch --procs 0 "${R[@]}"
bad 1,,2 switch --procs 1,,2 "${R[@]}"
bad "--procs 1-1000" switch --procs 1-1000 "${R[@]}"
bad "--procs 2" switch --procs 1,2,2 "${R[@]}"
bad stack switch --queue stack "${R[@]}"
bad 64Q switch --stack-size 64Q "${R[@]}"
bad 1K switch --stack-size 1K "${R[@]}"
bad xml switch --format xml "${R[@]}"
bad label switch --label "" "${R[@]}"
bad results-dir switch --results-dir ""
# Preemption settings: malformed or out of range values are refused.
bad "--preempt" switch --preempt async "${R[@]}"
bad "MN_TIMESLICE" switch --timeslice 10us "${R[@]}"
# Placement, topology, memory and steal policies: tests/test_topo_cli.sh.
bad "MN_PLACEMENT=sideways" switch --placement sideways "${R[@]}"
# --counters landed: its bad input is in tests/test_counters_cli.sh.
# Fewer Ps than the benchmark needs; more than the runtime allows.
bad "steal needs at least 2 Ps" steal --procs 1 "${R[@]}"
bad "procs:$(($(nproc) + 1))" switch --procs "$(($(nproc) + 1))" "${R[@]}"
# A bad MN_* variable is refused too.
MN_QUEUE=bogus bad MN_QUEUE switch "${R[@]}"
# An unwritable results folder (a regular file in the way: root ignores
# permission bits, not that).
touch "$TMP/file"
bad "$TMP/file/sub" switch --results-dir "$TMP/file/sub"

# --help and --version: exit 0, stdout.
"$MNBENCH" --help >"$TMP/help" 2>&1 || fail "--help: exit $?"
grep -q '^Usage: mnbench' "$TMP/help" || fail "--help: no usage line"
grep -q -- '--procs' "$TMP/help" || fail "--help: no --procs"
"$MNBENCH" --version | grep -q '^mnbench [0-9]' || fail "--version"
# list, and list BENCH with parameters and metrics.
"$MNBENCH" list | grep -q '^switch ' || fail "list: no switch"
"$MNBENCH" list switch >"$TMP/list" || fail "list switch: exit $?"
grep -q 'Parameters' "$TMP/list" && grep -q 'Metrics' "$TMP/list" &&
    grep -q 'lower' "$TMP/list" || fail "list switch: $(cat "$TMP/list")"

# Instance names: swept or non-default axes, settings first, canonical
# values; a range expands; repeating a flag extends the sweep.
expect_names() {
    local want=$1
    shift
    got=$("$MNBENCH" "$@" --dry-run "${R[@]}" 2>&1 | tr '\n' ' ')
    [ "$got" = "$want" ] || fail "mnbench $* --dry-run: '$got', want '$want'"
    [ ! -e "$OUT" ] || fail "--dry-run created $OUT"
}
expect_names "switch " switch
expect_names "switch " switch --queue fifo --stack-size 65536
expect_names "switch/queue:lifo/stack_size:1M " switch --queue lifo --stack-size 1024K
expect_names "switch/procs:1/n:1000 switch/procs:1/n:2000 switch/procs:2/n:1000 switch/procs:2/n:2000 " \
    switch --procs 1-2 --param n=1000,2000
expect_names "switch/queue:fifo switch/queue:lifo spawn/queue:fifo spawn/queue:lifo " \
    switch spawn --queue fifo --queue lifo

[ "$FAILS" = 0 ] || { echo "$FAILS failures" >&2; exit 1; }
echo "ok test_cli"
