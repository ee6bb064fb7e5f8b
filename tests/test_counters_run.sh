#!/bin/bash
# test_counters_run.sh MNBENCH SOURCE_DIR - counters end to end, on the
# source this machine has (perf software events where PAPI has no usable
# hardware counters) and on the rusage fallback:
#   - a yield is a user-space switch: ~0 kernel context switches per switch;
#   - Ms that park (chan across two Ps, steal) show context switches;
#   - pinned Ms do not migrate;
#   - TSC ticks agree with the wall time; one M's task-clock stays within it;
#   - "no hardware counters, because ..." is said once, with PAPI's reason;
#   - run.json validates and names each figure's source and unit; the
#     table, summary.csv and --format csv agree with it.
set -u
MNBENCH=${1:?usage: test_counters_run.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

run() {   # run NAME ARGS...: one run into $TMP/NAME, stdout and stderr kept
    local name=$1
    shift
    "$MNBENCH" "$@" --results-dir "$TMP/$name" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        { echo "FAIL: mnbench $*: exit $?: $(cat "$TMP/$name.err")" >&2; exit 1; }
}

Q=(--counters -q --reps 6 --min-time 0)
run switch switch "${Q[@]}" --param n=200000
run chan chan "${Q[@]}" --procs 2 --param n=2000
run steal steal "${Q[@]}" --procs 2 --param n=10000
run pinned switch "${Q[@]}" --procs 1 --param n=200000
run csv switch "${Q[@]}" --param n=100000 --format csv
MNBENCH_COUNTERS_FORCE=rusage run rusage switch chan "${Q[@]}" --procs 2 --param n=2000
MNBENCH_COUNTERS_FORCE=perf-sw run forced switch "${Q[@]}" --param n=100000

# Perf closed for real: an unprivileged user under kernel.perf_event_paranoid
# >= 2 (where this test runs as root and can become nobody).
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
NOBODY=no
if [ "$(id -u)" = 0 ] && [ "$paranoid" -ge 2 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$MNBENCH"; then
    mkdir -m 777 "$TMP/nobody"
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$MNBENCH" switch "${Q[@]}" \
        --param n=100000 --results-dir "$TMP/nobody/out" >"$TMP/nobody.out" 2>"$TMP/nobody.err" ||
        { echo "FAIL: mnbench as nobody: exit $?: $(cat "$TMP/nobody.err")" >&2; exit 1; }
    NOBODY=yes
fi

python3 - "$SRC/bench/schema/mnbench-run-1.schema.json" "$TMP" "$(id -u)" "$paranoid" \
    "$NOBODY" <<'PY'
import csv, glob, io, json, os, statistics, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
tmp, uid, paranoid, nobody = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
V = jsonschema.Draft202012Validator(schema)

def load(name, sub=''):
    dirs = glob.glob(os.path.join(tmp, name, sub, '*'))
    assert len(dirs) == 1, dirs
    doc = json.load(open(os.path.join(dirs[0], 'run.json')))
    V.validate(doc)
    return dirs[0], doc

def figs(doc, i=0):
    return doc['configurations'][i]['counters']['figures']

def per_op(doc, i, name, ops_per_rep):
    """The figure per operation: as reported, or per repetition / ops."""
    c = doc['configurations'][i]['counters']
    xs = c['figures'][name]['samples']
    return [x / ops_per_rep for x in xs] if c['per'] == 'rep' else xs

def err(name):
    return open(os.path.join(tmp, name + '.err')).read()

# Which software source perf allows (root, or paranoid <= 1).
want_sw = 'perf-sw' if uid == 0 or paranoid <= 1 else 'rusage'

# --- the machine's own source ---------------------------------------------------
d, doc = load('switch')
info = doc['counters']
assert info['requested'] == 'default'
assert info['software']['source'] == want_sw, info['software']
assert info['software']['perf_event_paranoid'] == paranoid
hw = info['hardware']
lines = [l for l in err('switch').splitlines() if 'no hardware counters' in l]
if hw['usable']:
    assert lines == [], lines
    assert any(f['source'] == 'papi' for f in info['figures'])
else:
    # Said once, with the reason run.json keeps (PAPI's own words first).
    assert len(lines) == 1, lines
    assert hw['reason'] and hw['reason'] in lines[0], (hw['reason'], lines)
    assert 'PAPI' in hw['reason']
    assert all(f['source'] in ('perf-sw', 'rusage', 'tsc') for f in info['figures'])
    assert 'ipc' not in figs(doc)           # IPC only from real cycles
for name, f in figs(doc).items():
    assert f['source'] in ('papi', 'perf-sw', 'rusage', 'tsc') and f['unit'], (name, f)
    assert f['summary']['unit'] == f['unit']
    assert len(f['totals']) == len(f['samples']) == doc['configurations'][0]['reps']
names = set(figs(doc))
assert {'task-clock', 'context-switches', 'page-faults', 'tsc'} <= names, names
if want_sw == 'perf-sw':
    assert 'cpu-migrations' in names
    assert figs(doc)['context-switches']['source'] == 'perf-sw'

# A yield switches in user space: ~0 kernel context switches per switch
# (two Gs, n yields each).
n = doc['configurations'][0]['params']['n']
cs = per_op(doc, 0, 'context-switches', 2 * n)
assert statistics.median(cs) < 1e-3, cs

# TSC ticks, converted with the machine's rate, are the repetitions' wall
# time (the counters bracket the timed part, a little wider).
hz = info['tsc']['hz']
c = doc['configurations'][0]
secs = sum(c['counters']['figures']['tsc']['totals']) / hz
assert 0.95 < secs * 1e9 / c['measured_ns'] < 1.2, (secs, c['measured_ns'])
assert c['counters']['figures']['tsc']['unit'].startswith('ticks/')

# The text table: counter rows with their source, and the footnote.
text = open(os.path.join(tmp, 'switch.out')).read()
rows = [l.split() for l in text.splitlines() if 'context-switches' in l]
assert rows and rows[0][2] == want_sw, rows
assert 'Counters: summed over the Ms' in text

# Ms that park: chan across two Ps, steal. An idle M polls its queues for
# up to 50 us before it parks, so a short repetition may see none: the
# whole run must.
for name in ('chan', 'steal'):
    d, doc = load(name)
    tot = figs(doc)['context-switches']['totals']
    assert sum(tot) >= 1, (name, tot)

# Pinned, one P: the M never migrates, and its task-clock cannot exceed
# the wall time (other tenants of the machine may make it smaller).
d, doc = load('pinned')
c = doc['configurations'][0]
if want_sw == 'perf-sw':
    assert all(x == 0 for x in figs(doc)['cpu-migrations']['totals']), figs(doc)['cpu-migrations']
cpu = sum(figs(doc)['task-clock']['totals'])
assert 0 < cpu < 1.1 * c['measured_ns'] + 1e6, (cpu, c['measured_ns'])

# summary.csv and --format csv: counter rows, their source, the same medians.
d, doc = load('csv')
disk = open(os.path.join(d, 'summary.csv')).read()
assert open(os.path.join(tmp, 'csv.out')).read() == disk
rows = list(csv.DictReader(io.StringIO(disk)))
crow = {r['metric']: r for r in rows if r['kind'] == 'counter'}
assert set(crow) == set(figs(doc)), (set(crow), set(figs(doc)))
for name, f in figs(doc).items():
    assert crow[name]['source'] == f['source'] and crow[name]['unit'] == f['unit']
    assert abs(float(crow[name]['median']) - f['summary']['median']) <= 1e-9 * max(1, abs(f['summary']['median']))
assert all(r['source'] == '' for r in rows if r['kind'] != 'counter')

# rusage, forced: said once naming the sysctl; no migrations; still counts.
d, doc = load('rusage')
info = doc['counters']
assert info['software']['source'] == 'rusage'
assert 'kernel.perf_event_paranoid' in info['software']['reason']
lines = [l for l in err('rusage').splitlines() if 'perf software events are closed' in l]
assert len(lines) == 1 and 'kernel.perf_event_paranoid' in lines[0], lines
for i, cf in enumerate(doc['configurations']):
    fs = cf['counters']['figures']
    assert 'cpu-migrations' not in fs
    assert {f['source'] for f in fs.values()} == {'rusage', 'tsc'}
    assert statistics.median(fs['task-clock']['totals']) > 0
chan = next(cf for cf in doc['configurations'] if cf['benchmark'] == 'chan')
assert statistics.median(chan['counters']['figures']['context-switches']['totals']) >= 1

# perf-sw, forced: no hardware, "because forced", software events per M.
d, doc = load('forced')
assert doc['counters']['hardware']['usable'] is False
assert 'MNBENCH_COUNTERS_FORCE=perf-sw' in doc['counters']['hardware']['reason']
assert len([l for l in err('forced').splitlines() if 'no hardware counters' in l]) == 1
if want_sw == 'perf-sw':
    assert figs(doc)['context-switches']['source'] == 'perf-sw'

# Perf refused for real (nobody, paranoid >= 2): rusage, and why.
if nobody == 'yes':
    d, doc = load('nobody', 'out')
    sw = doc['counters']['software']
    assert sw['source'] == 'rusage' and sw['privileged'] is False, sw
    assert 'Permission denied' in sw['reason'] and \
        'kernel.perf_event_paranoid is %d' % paranoid in sw['reason'], sw['reason']
    assert 'kernel.perf_event_paranoid' in err('nobody')
else:
    print('note: the unprivileged (nobody) run was not possible here')
print('ok test_counters_run')
PY
