#!/bin/bash
# test_compare_cli.sh MNBENCH SOURCE_DIR - mnbench compare on small real
# runs: the four formats carry the same table (text, CSV and JSON parse,
# Markdown is a table), a run against itself is unchanged everywhere (~),
# --help says which U test is used; bad input (one run without --by, an
# unknown axis, nothing in common, a bad level or format, a missing folder)
# exits 2 with one line and nothing on stdout.
set -u
MNBENCH=${1:?usage: test_compare_cli.sh MNBENCH SOURCE_DIR}
TMP=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

run() {   # run DIR ARGS...
    local dir=$1
    shift
    "$MNBENCH" run "$@" --min-time 0 -q --results-dir "$dir" >/dev/null 2>"$TMP/run.err" ||
        fail "mnbench run $*: $(cat "$TMP/run.err")"
    echo "$dir"/*
}
A=$(run "$TMP/a" switch --procs 1,2 --param n=1000 --reps 8)
C=$(run "$TMP/c" chan --param n=1000 --reps 2)

"$MNBENCH" compare --by procs "$A" >"$TMP/text" 2>"$TMP/err" || fail "text: $(cat "$TMP/err")"
grep -Eq '^configuration +metric +unit +1 +2 +2 vs 1 +p$' "$TMP/text" || fail "text header: $(cat "$TMP/text")"
grep -Eq '^switch +ns_per_switch +ns +[0-9.]+ ±' "$TMP/text" || fail "text row: $(cat "$TMP/text")"
grep -q '^geomean (3 rows)' "$TMP/text" || fail "no geomean row: $(cat "$TMP/text")"
for f in csv json markdown; do
    "$MNBENCH" compare --by procs --format $f "$A" >"$TMP/$f" 2>"$TMP/err" || fail "$f: $(cat "$TMP/err")"
done
python3 - "$TMP" <<'PY' || fail "formats disagree"
import csv, json, sys
t = sys.argv[1]
rows = list(csv.DictReader(open(t + '/csv')))
metrics = [r for r in rows if r['benchmark'] != 'geomean']
assert len(metrics) == 6, len(metrics)              # 3 metrics x 2 sides
assert {r['side'] for r in metrics} == {'1', '2'}
doc = json.load(open(t + '/json'))
assert [s['name'] for s in doc['sides']] == ['1', '2']
assert len(doc['rows']) == 3 and doc['geomean']['rows'] == 3
for r, c in zip(doc['rows'], [m for m in metrics if m['side'] == '2']):
    cell = r['cells'][1]
    assert cell['verdict'] in ('same', 'different'), cell
    assert cell['test'] in ('exact', 'normal'), cell   # normal when samples tie
    assert abs(cell['p'] - float(c['p'])) < 1e-9, (cell['p'], c['p'])
    assert abs(cell['delta_pct'] - float(c['delta_pct'])) < 1e-6
    med = float(c['median'])
    assert abs(cell['median'] - med) < 1e-9 * med
md = [l for l in open(t + '/markdown') if l.startswith('|')]
assert md[0].startswith('| configuration | metric | unit | 1 | 2 |'), md[0]
assert set(md[1].replace('|', '').split()) <= {'---', '--:'}, md[1]
assert len(md) == 2 + 3 + 1, len(md)
PY

# A run against itself: nothing changed, every row ~.
"$MNBENCH" compare --format json "$A" "$A" >"$TMP/self" 2>"$TMP/err" || fail "self: $(cat "$TMP/err")"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["rows"]) == 6
for r in d["rows"]:
    c = r["cells"][1]
    assert c["verdict"] == "same" and c["delta_pct"] == 0 and c["p"] == 1, c
' "$TMP/self" || fail "a run against itself"
# Two repetitions a side: no test, said so.
"$MNBENCH" compare "$C" "$C" >"$TMP/few" 2>"$TMP/err" || fail "few: $(cat "$TMP/err")"
grep -q 'n=2+2: too few for a test' "$TMP/few" || fail "too few not said: $(cat "$TMP/few")"

"$MNBENCH" compare --help >"$TMP/help" || fail "--help"
grep -q "exact" "$TMP/help" && grep -q "normal approximation" "$TMP/help" ||
    fail "--help does not say which test"

for args in "$A" "--by queue $A" "--by nosuch $A" "$A $C" "--alpha 2 --by procs $A" \
            "--format xml --by procs $A" "--bogus $A $A" "$TMP/missing $A" "--by" ""; do
    # shellcheck disable=SC2086
    "$MNBENCH" compare $args >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 2 ] || fail "compare $args: exit $rc, not 2"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "compare $args: not one line: $(cat "$TMP/err")"
    [ ! -s "$TMP/out" ] || fail "compare $args: wrote to stdout"
done
"$MNBENCH" compare "$A" "$C" 2>&1 | grep -q "nothing in common" || fail "nothing in common not said"
echo ok
