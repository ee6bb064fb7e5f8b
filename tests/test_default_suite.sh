#!/bin/bash
# test_default_suite.sh MNBENCH SOURCE_DIR [run] - the default suite that
# `mnbench --help` announces is the one `mnbench --dry-run` would run, and
# it holds every registered benchmark. With `run`: it runs in two minutes.
set -u
MNBENCH=${1:?usage: test_default_suite.sh MNBENCH SOURCE_DIR [run]}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

help=$("$MNBENCH" --help | sed -n '/^Default suite/,/^$/p' | sed '1d;/^$/d;s/^  //')
dry=$("$MNBENCH" --dry-run --results-dir "$TMP/res") || fail "--dry-run: exit $?"
[ -n "$dry" ] || fail "empty default suite"
[ "$help" = "$dry" ] || fail "--help says
$help
but --dry-run runs
$dry"
[ ! -e "$TMP/res" ] || fail "--dry-run wrote $TMP/res"
benches=$("$MNBENCH" list | sed -n '2,/^$/p' | awk 'NF { print $1 }')
[ "$(echo "$dry" | cut -d/ -f1 | uniq)" = "$benches" ] ||
    fail "default suite benchmarks $(echo "$dry" | cut -d/ -f1 | uniq | tr '\n' ' ') != list $benches"

if [ "${3:-}" = run ]; then
    t0=$(date +%s)
    "$MNBENCH" -q --results-dir "$TMP/res" >"$TMP/out" 2>"$TMP/err" || fail "suite: exit $?: $(cat "$TMP/err")"
    secs=$(($(date +%s) - t0))
    echo "default suite: ${secs}s"
    [ "$secs" -le 120 ] || fail "the default suite took ${secs}s, more than two minutes"
fi
echo "ok test_default_suite"
