#!/bin/bash
# test_plot.sh MNBENCH SOURCE_DIR - mnbench plot on a small real run: gnuplot
# draws every figure (PNG with a valid header and real content, SVG that
# parses as XML, the .dat and .gp beside each); then on a copy of the run
# whose every string tries to run a command (backquotes, system(), quote
# breaking, newlines) or inject markup: nothing runs, the figures are still
# drawn, and every such string sits in a single-quoted gnuplot literal;
# then bad input: exit 2, one line, nothing written.
set -u
MNBENCH=${1:?usage: test_plot.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
export MNBENCH_PLOTS="$SRC/plots"
TMP=$(mktemp -d)
MARKERS="/tmp/pwned /tmp/pwned2 /tmp/pwned3 /tmp/pwned4 /tmp/pwned5 $TMP/pwned6"
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

for m in $MARKERS; do
    rm -f "$m" 2>/dev/null
    [ ! -e "$m" ] || fail "$m exists before the test and cannot be removed"
done

"$MNBENCH" run switch spawn --procs 1,2 --param n=1000 --param trials=50 --reps 6 \
    --min-time 0 -q --results-dir "$TMP/r" >/dev/null 2>"$TMP/run.err" ||
    fail "mnbench run: $(cat "$TMP/run.err")"
RUN=$(echo "$TMP"/r/*)

# check_plots DIR NAME...: every figure drawn and well-formed; NAMEs present.
check_plots() {
    local dir=$1
    shift
    python3 - "$dir/plots" "$@" <<'PY' || fail "figures in $dir/plots"
import os, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
files = os.listdir(d)
pngs = sorted(f[:-4] for f in files if f.endswith('.png'))
assert pngs, 'no figures'
for base in pngs:
    for ext in ('.svg', '.dat', '.gp'):
        assert base + ext in files, base + ext + ' missing'
    png = open(os.path.join(d, base + '.png'), 'rb').read()
    assert png[:8] == b'\x89PNG\r\n\x1a\n', base + '.png: not a PNG'
    assert png[12:16] == b'IHDR', base + '.png: no IHDR'
    w, h = int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big')
    assert w >= 800 and h >= 300, (base, w, h)
    assert len(png) > 8000, (base, len(png), 'too small to hold a figure')
    root = ET.parse(os.path.join(d, base + '.svg')).getroot()
    assert root.tag.endswith('svg'), base
    assert sum(1 for _ in root.iter()) > 50, base + '.svg: nearly empty'
for want in sys.argv[2:]:
    assert want in pngs, (want, pngs)
leftovers = [f for f in os.listdir(os.path.dirname(d)) if f.startswith('.plots')]
assert not leftovers, leftovers
print('%d figures' % len(pngs))
PY
}

# --- a real run --------------------------------------------------------------
"$MNBENCH" plot "$RUN" >"$TMP/out" 2>"$TMP/err" || fail "plot: $(cat "$TMP/err")"
grep -q "^plots: $RUN/plots (" "$TMP/out" || fail "plot output: $(cat "$TMP/out")"
check_plots "$RUN" bars-switch-ns_per_switch bars-spawn-ns_per_g \
    sweep-switch-ns_per_switch-procs cdf-spawn-spawn_to_run hist-spawn-spawn_to_run
# Drawn again: the folder is replaced whole, nothing left over.
touch "$RUN/plots/stale.png"
"$MNBENCH" plot "$RUN" >/dev/null 2>"$TMP/err" || fail "plot again: $(cat "$TMP/err")"
[ ! -e "$RUN/plots/stale.png" ] || fail "the old plots folder was not replaced"
# A folder from elsewhere whose plots/ is a link: the link goes, never what
# it points to.
mkdir "$TMP/victim"
echo keep >"$TMP/victim/keep.png"
rm -rf "$RUN/plots"
ln -s "$TMP/victim" "$RUN/plots"
"$MNBENCH" plot "$RUN" >/dev/null 2>"$TMP/err" || fail "plot over a link: $(cat "$TMP/err")"
[ -f "$TMP/victim/keep.png" ] || fail "plot removed a file through a plots/ link"
[ -d "$RUN/plots" ] && [ ! -L "$RUN/plots" ] || fail "plots/ is still the link"
# The scripts draw the figures again by themselves.
(cd "$RUN/plots" && gnuplot bars-switch-ns_per_switch.gp) 2>"$TMP/err" ||
    fail "gnuplot on a written script: $(cat "$TMP/err")"

# --- hostile strings -----------------------------------------------------------
EVIL="$TMP/evil"
mkdir "$EVIL"
python3 - "$RUN/run.json" "$EVIL/run.json" "$TMP" <<'PY' || fail "making the hostile run.json"
import json, sys
d = json.load(open(sys.argv[1]))
tmp = sys.argv[3]
bad = ("q'uote \"dq\" `touch /tmp/pwned2` system(\"touch /tmp/pwned\") "
       "'; system('touch /tmp/pwned3'); ' x\nsystem('touch /tmp/pwned4')\n"
       "$(touch /tmp/pwned5) `touch " + tmp + "/pwned6` @ARG0 \\' <script>alert(1)</script> "
       "&amp; mem_policy")
def evil(tag):
    return tag + ' ' + bad

ctx = d['context']
for k in ('host', 'cpu_model', 'kernel', 'compiler', 'cflags', 'build_type', 'hypervisor'):
    ctx[k] = evil(k)
ctx['command_line'].append(evil('arg'))
ctx['warnings'].append(evil('warning'))
ctx['environment'] = {'MN_PROCS': evil('env')}
bench = {'switch': evil('switch-bench'), 'spawn': evil('spawn-bench')}
metric = {'ns_per_switch': evil('metric'), 'spawn_to_run': evil('latency')}
for i, c in enumerate(d['configurations']):
    c['name'] = evil('name')
    c['benchmark'] = bench[c['benchmark']]
    c['settings']['placement'] = evil('placement')
    # procs, swept, moves to a setting with a hostile name: the sweep's axis.
    c['settings'][evil('setting-key')] = c['settings']['procs']
    c['settings']['procs'] = 1
    c['params'][evil('param')] = evil('value')
    for part in ('samples', 'latencies', 'summaries'):
        for old, new in metric.items():
            if old in c[part]:
                c[part][new] = c[part].pop(old)
    for s in c['summaries'].values():
        s['unit'] = evil('unit')
json.dump(d, open(sys.argv[2], 'w'))
PY
cp -r "$EVIL" "$TMP/evil2"
"$MNBENCH" plot "$EVIL" >"$TMP/out" 2>"$TMP/err" || fail "plot (hostile): $(cat "$TMP/err")"
for m in $MARKERS; do
    [ ! -e "$m" ] || fail "plot ran a command from run.json: $m exists"
done
check_plots "$EVIL"
ls "$EVIL/plots" | grep -q '^sweep-.*-setting-key_.*\.png$' || fail "no sweep along the hostile axis"
# Every line of the scripts that carries a run string is one single-quoted
# literal assigned to a variable ('' is the only quote inside).
python3 - "$EVIL/plots" <<'PY' || fail "a run string outside a single-quoted literal"
import os, re, sys
lit = re.compile(r"^[a-z_]+ = '(?:[^'\n]|'')*'$")
n = 0
for f in os.listdir(sys.argv[1]):
    if not f.endswith('.gp'):
        continue
    for line in open(os.path.join(sys.argv[1], f)):
        line = line.rstrip('\n')
        if line.startswith('#'):
            continue
        if 'pwned' in line or 'script>' in line:
            assert lit.match(line), (f, line)
            n += 1
assert n > 0, 'no hostile string reached a script at all'
print('%d quoted lines' % n)
PY
"$MNBENCH" report "$TMP/evil2" >"$TMP/out" 2>"$TMP/err" || fail "report (hostile): $(cat "$TMP/err")"
for m in $MARKERS; do
    [ ! -e "$m" ] || fail "report ran a command from run.json: $m exists"
done
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/evil2/report.html" ||
    fail "report.html does not show the escaped <script>"
! grep -qi '<script' "$TMP/evil2/report.html" || fail "report.html holds a <script> tag"
! grep -qi '<script' "$TMP/evil2/report.md" || fail "report.md holds a <script> tag"

# --- bad input: exit 2, one line, nothing written --------------------------------
mkdir -p "$TMP/bad/empty" "$TMP/bad/notjson" "$TMP/bad/foreign" "$TMP/bad/schema" "$TMP/good"
echo '{"configurations": [' >"$TMP/bad/notjson/run.json"
echo '{"schema": "something-else/1", "data": []}' >"$TMP/bad/foreign/run.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["configurations"][0]["reps"]="six"; json.dump(d, open(sys.argv[2], "w"))' \
    "$RUN/run.json" "$TMP/bad/schema/run.json"
cp "$RUN/run.json" "$TMP/good/"
for args in "$TMP/bad/missing" "$TMP/bad/empty" "$TMP/bad/notjson" "$TMP/bad/foreign" \
            "$TMP/bad/schema" "$TMP/good $TMP/bad/schema" "--out $TMP/nowhere $TMP/good" \
            "--bogus $TMP/good" ""; do
    # shellcheck disable=SC2086
    "$MNBENCH" plot $args >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 2 ] || fail "plot $args: exit $rc, not 2"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "plot $args: not one line: $(cat "$TMP/err")"
    [ ! -s "$TMP/out" ] || fail "plot $args: wrote to stdout"
    for d in "$TMP"/bad/* "$TMP/good"; do
        [ ! -e "$d/plots" ] && ! ls -A "$d" | grep -q '^\.plots' || fail "plot $args wrote in $d"
    done
done
echo "ok"
