#!/bin/bash
# test_topo_cli.sh MNBENCH [SOURCE_DIR] - `mnbench topo` and the placement,
# topology, memory and steal settings on mnbench's command line.
#
# Bad input: exit 2, one line "mnbench: <what>; allowed: <what is>" naming
# the culprit, nothing on stdout, nothing written. Good input: the plan of
# a synthetic machine as text and in DESIGN.md's JSON shape; sweeps of the
# settings name their instances.
set -u
MNBENCH=${1:?usage: test_topo_cli.sh MNBENCH [SOURCE_DIR]}
SRC=${2:-$(dirname "$0")/..}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/out"
FAILS=0
SYN='synthetic:pack:2 numa:2 core:4 pu:2'
XML="xml:$SRC/tests/data/topo-4node.xml"
NCPU=$(nproc)

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

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

# topo: plans that name what the machine lacks, bad topologies, options.
bad "CPU $NCPU" topo --placement "cpus:0+$NCPU"
bad "NUMA node 9" topo --placement numa:9
bad "MN_PROCS=$((NCPU + 1))" topo --procs $((NCPU + 1))
bad "MN_PROCS=17" topo --topology "$SYN" --placement compact,smt=off --procs 17
bad "smt=sometimes" topo --placement compact,smt=sometimes
bad sideways topo --placement sideways
bad "M9" topo --topology "$SYN" --placement M9
bad "xml:/nonexistent.xml" topo --topology xml:/nonexistent.xml
bad "synthetic:nonsense" topo --topology synthetic:nonsense
bad "MN_TOPOLOGY=lstopo" topo --topology lstopo
bad "--reps" topo --reps 3
bad "--queue" topo --queue lifo
bad "--procs" topo --procs 1,2
bad "--placement" topo --placement compact --placement scatter
bad extra topo extra
MN_PLACEMENT=cpus:99999 bad "CPU 99999" topo
# A run: synthetic and XML topologies are for planning; unknown policies;
# nodes and CPUs the machine lacks.
bad "MN_TOPOLOGY=$SYN" switch --topology "$SYN" "${R[@]}"
bad "MN_TOPOLOGY=$XML" switch --topology "$XML" "${R[@]}"
bad "MN_MEM=everywhere" switch --mem everywhere "${R[@]}"
bad "MN_MEM=node:9" switch --mem local,node:9 "${R[@]}"
bad "--steal nearest" switch --steal nearest "${R[@]}"
bad "CPU $NCPU" switch --placement compact --placement "cpus:$NCPU" "${R[@]}"
bad "MN_PLACEMENT=none" switch --procs $((NCPU + 1)) "${R[@]}"

# The plan of the synthetic machine, as text.
"$MNBENCH" topo --topology "$SYN" --procs 8 >"$TMP/text" 2>&1 || fail "topo text: exit $?"
grep -q '2 packages, 4 NUMA nodes, 16 cores, 32 PUs' "$TMP/text" || fail "topo text: $(cat "$TMP/text")"
grep -Eq '^ +4 +8 +4 +1 +0  - \| - \| - \| 5-7 \| 0-3 \| -$' "$TMP/text" ||
    fail "topo text: P 4 should be on CPU 8, core 4, node 1: $(cat "$TMP/text")"

# ... and as JSON, in DESIGN.md's shape.
"$MNBENCH" topo --topology "$SYN" --procs 8 --placement scatter --format json >"$TMP/json" ||
    fail "topo json: exit $?"
python3 - "$TMP/json" <<'PY' || fail "topo json: $(head -c 400 "$TMP/json")"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["topology"]
assert (t["packages"], t["numa_nodes"], t["cores"], t["pus"]) == (2, 4, 16, 32), t
plan = d["plan"]
assert [p["p"] for p in plan] == list(range(8))
assert [p["cpu"] for p in plan] == [0, 16, 8, 24, 2, 18, 10, 26], plan
assert [p["numa"] for p in plan] == [0, 2, 1, 3, 0, 2, 1, 3]
assert [p["package"] for p in plan] == [0, 1, 0, 1, 0, 1, 0, 1]
assert plan[0]["core"] == 0 and plan[1]["core"] == 8
for p in plan:
    assert len(p["tiers"]) == 6 and all(isinstance(x, list) for x in p["tiers"])
    ids = sorted(i for tier in p["tiers"] for i in tier)
    assert ids == [i for i in range(8) if i != p["p"]], p
    assert all(tier == sorted(tier) for tier in p["tiers"])
assert plan[0]["tiers"] == [[], [], [], [4], [2, 6], [1, 3, 5, 7]], plan[0]
PY
# Unpinned: null CPUs, every other P in the last tier.
"$MNBENCH" topo --topology "$SYN" --procs 3 --placement none --format json >"$TMP/none" ||
    fail "topo none: exit $?"
python3 - "$TMP/none" <<'PY' || fail "topo none json: $(head -c 400 "$TMP/none")"
import json, sys
plan = json.load(open(sys.argv[1]))["plan"]
assert [p["cpu"] for p in plan] == [None] * 3
assert plan[1]["tiers"] == [[], [], [], [], [], [0, 2]]
PY
# The XML machine carries its distance matrix.
"$MNBENCH" topo --topology "$XML" --format json >"$TMP/xml" || fail "topo xml: exit $?"
python3 - "$TMP/xml" <<'PY' || fail "topo xml json: $(head -c 400 "$TMP/xml")"
import json, sys
t = json.load(open(sys.argv[1]))["topology"]
assert t["distances"][0] == [10, 12, 20, 20], t["distances"]
PY
# The environment stands in for the flags.
MN_TOPOLOGY="$SYN" MN_PLACEMENT="cpus:3+1" "$MNBENCH" topo --format json >"$TMP/env" ||
    fail "topo env: exit $?"
python3 -c 'import json,sys; assert [p["cpu"] for p in json.load(open(sys.argv[1]))["plan"]] == [3, 1]' \
    "$TMP/env" || fail "topo env: $(cat "$TMP/env")"
# The real machine.
"$MNBENCH" topo >"$TMP/real" || fail "topo: exit $?"
grep -q "plan: placement compact, $NCPU Ps\?, pinned" "$TMP/real" || fail "topo: $(cat "$TMP/real")"

# Sweeps: one placement per flag, commas inside it; lists for mem and steal.
got=$("$MNBENCH" switch --placement compact,smt=off --placement cpus:0,1 --placement none \
      --mem local,interleave --steal hier,random --dry-run "${R[@]}" 2>&1 | wc -l)
[ "$got" = 12 ] || fail "sweep: $got instances, want 12"
got=$("$MNBENCH" switch --placement cpus:0 --placement none --dry-run "${R[@]}" 2>&1 | tr '\n' ' ')
[ "$got" = "switch/placement:cpus:0 switch/placement:none " ] || fail "sweep names: '$got'"
got=$("$MNBENCH" switch --placement "cpus:0" --placement "cpus:0+0" --dry-run "${R[@]}" 2>&1)
echo "$got" | grep -q 'named twice' || fail "cpus:0+0 accepted: $got"

[ "$FAILS" = 0 ] || { echo "$FAILS failures" >&2; exit 1; }
echo "ok test_topo_cli"
