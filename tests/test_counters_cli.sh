#!/bin/bash
# test_counters_cli.sh MNBENCH - --counters' bad input, and `mnbench
# counters`.
#
# An unknown counter, or one this machine cannot count, asked for by name:
# exit 2, one line naming it and pointing at `mnbench counters`, nothing
# written. `mnbench counters` says what can be counted and, for the rest,
# why: PAPI's reason, perf's availability, kernel.perf_event_paranoid.
set -u
MNBENCH=${1:?usage: test_counters_cli.sh MNBENCH}
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

R=(--results-dir "$OUT" --reps 1 --min-time 0 --param n=1000)

# Unknown names, and how to list the known ones.
bad NO_SUCH_EVENT switch --counters=NO_SUCH_EVENT "${R[@]}"
bad "mnbench counters" switch --counters=NO_SUCH_EVENT "${R[@]}"
bad bogus switch --counters=tsc,bogus "${R[@]}"
bad Context-Switches switch --counters=Context-Switches "${R[@]}"
bad NO_SUCH_EVENT switch --counters=NO_SUCH_EVENT --dry-run "${R[@]}"
# Malformed lists.
bad --counters switch --counters= "${R[@]}"
bad tsc,,task-clock switch --counters=tsc,,task-clock "${R[@]}"
bad "tsc: given twice" switch --counters=tsc,tsc "${R[@]}"
bad --multiplex switch --multiplex "${R[@]}"
# Known but not countable here: the fallbacks, forced.
MNBENCH_COUNTERS_FORCE=rusage bad cpu-migrations switch --counters=cpu-migrations "${R[@]}"
MNBENCH_COUNTERS_FORCE=rusage bad kernel.perf_event_paranoid \
    switch --counters=cpu-migrations "${R[@]}"
MNBENCH_COUNTERS_FORCE=perf-sw bad PAPI_TOT_CYC switch --counters=PAPI_TOT_CYC "${R[@]}"
MNBENCH_COUNTERS_FORCE=perf-sw bad "mnbench counters" switch --counters=PAPI_TOT_INS "${R[@]}"
MNBENCH_COUNTERS_FORCE=sideways bad MNBENCH_COUNTERS_FORCE switch --counters "${R[@]}"
# The subcommand takes nothing.
bad "counters x" counters x
bad counters -q counters

# `mnbench counters`: this machine.
"$MNBENCH" counters >"$TMP/c" 2>"$TMP/cerr" || fail "mnbench counters: exit $?"
[ ! -s "$TMP/cerr" ] || fail "mnbench counters: stderr: $(cat "$TMP/cerr")"
grep -q '^Hardware counters (papi): ' "$TMP/c" || fail "counters: no hardware line"
grep -q '^Software events per M (perf-sw): ' "$TMP/c" || fail "counters: no software line"
grep -q '^TSC (tsc): .* GHz' "$TMP/c" || fail "counters: no TSC line"
grep -q '^--counters counts the default set: .*tsc' "$TMP/c" || fail "counters: no default set"
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
grep -q "kernel.perf_event_paranoid = $paranoid;" "$TMP/c" ||
    fail "counters: paranoid level $paranoid not reported: $(grep paranoid "$TMP/c")"
if grep -q '^Hardware counters (papi): none usable' "$TMP/c"; then
    # Why, in PAPI's words first: its version, and a disabled component's
    # own reason when that is the cause.
    why=$(grep -A1 '^Hardware counters' "$TMP/c" | sed -n 's/^  why: //p')
    [ -n "$why" ] || fail "counters: no hardware, and no reason"
    if command -v papi_avail >/dev/null; then
        v=$(papi_avail 2>/dev/null | sed -n 's/^PAPI version *: *//p' | head -1)
        [ -z "$v" ] || grep -qF "PAPI $v" <<<"$why" || fail "counters: PAPI $v not named: $why"
    fi
    if command -v papi_component_avail >/dev/null; then
        dis=$(papi_component_avail 2>/dev/null |
              awk '/^Name: +perf_event /{p=1; next} /^Name:/{p=0} p && /Disabled:/' |
              sed 's/.*Disabled: *//' | head -1)
        [ -z "$dis" ] || grep -qF "$dis" <<<"$why" ||
            fail "counters: perf_event disabled ($dis), reason not given: $why"
    fi
    grep -q '^PAPI_TOT_CYC .* no ' "$TMP/c" || fail "counters: PAPI_TOT_CYC listed as usable"
fi

# Forced fallbacks: what mnbench counters says about each.
MNBENCH_COUNTERS_FORCE=perf-sw "$MNBENCH" counters >"$TMP/f1" || fail "forced perf-sw: exit $?"
grep -q '^Hardware counters (papi): none usable' "$TMP/f1" || fail "forced perf-sw: hardware"
grep -q 'why: forced by MNBENCH_COUNTERS_FORCE=perf-sw' "$TMP/f1" || fail "forced perf-sw: why"
MNBENCH_COUNTERS_FORCE=rusage "$MNBENCH" counters >"$TMP/f2" || fail "forced rusage: exit $?"
grep -q '^Software events per M (perf-sw): closed' "$TMP/f2" || fail "forced rusage: perf"
grep -q 'why: .*kernel.perf_event_paranoid' "$TMP/f2" || fail "forced rusage: no sysctl named"
grep -q '^Fallback (rusage): in use' "$TMP/f2" || fail "forced rusage: rusage not in use"
grep -q '^--counters counts the default set: task-clock, context-switches, page-faults, tsc' \
    "$TMP/f2" || fail "forced rusage: default set: $(grep default "$TMP/f2")"

# --help has both flags, available, and the subcommand.
"$MNBENCH" --help >"$TMP/help"
grep -A3 -- '--counters' "$TMP/help" | grep -q 'not available yet' && fail "--help: --counters unavailable"
grep -q -- '--multiplex' "$TMP/help" || fail "--help: no --multiplex"
grep -q 'mnbench counters' "$TMP/help" || fail "--help: no counters subcommand"

[ "$FAILS" = 0 ] || { echo "$FAILS failures" >&2; exit 1; }
echo "ok test_counters_cli"
