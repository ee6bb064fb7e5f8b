#!/bin/bash
# test_run_json.sh MNBENCH SOURCE_DIR - a real run's files: run.json
# validates against bench/schema/mnbench-run-1.schema.json (and a broken
# one does not), every summary equals the statistics recomputed here from
# the raw figures, summary.csv and the stdout reporters agree with run.json.
set -u
MNBENCH=${1:?usage: test_run_json.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run() {   # run NAME ARGS...: one run into $TMP/NAME, stdout and stderr kept
    local name=$1
    shift
    "$MNBENCH" "$@" -q --results-dir "$TMP/$name" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
        { echo "FAIL: mnbench $*: exit $?: $(cat "$TMP/$name.err")" >&2; exit 1; }
}

# spawn has a latency metric, switch only samples; 7 reps give a CI.
run json spawn switch --param n=1000 --param trials=50 --reps 7 --min-time 0 \
    --format json --label "rt test"
run csv switch --procs 1,2 --param n=1000 --reps 3 --min-time 0 --interleave --format csv
run text switch --param n=1000 --reps 2 --min-time 0

python3 - "$SRC/bench/schema/mnbench-run-1.schema.json" "$TMP" <<'PY'
import copy, csv, glob, io, json, math, os, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
V = jsonschema.Draft202012Validator(schema)
V.check_schema(schema)

def folder(name):
    dirs = glob.glob(os.path.join(tmp, name, '*'))
    assert len(dirs) == 1, dirs
    assert sorted(os.listdir(dirs[0])) == ['run.json', 'summary.csv'], os.listdir(dirs[0])
    return dirs[0]

def q7(xs, q):                      # Hyndman-Fan definition 7
    h = (len(xs) - 1) * q
    i = math.floor(h)
    return xs[-1] if i + 1 >= len(xs) else xs[i] + (h - i) * (xs[i + 1] - xs[i])

def ci_ranks(n):                    # exact binomial, integer arithmetic
    if n < 6:
        return None
    j = 1
    while j + 1 < n - j and 1 - 2 * sum(math.comb(n, i) for i in range(j + 1)) / 2**n >= 0.95:
        j += 1
    return j, n + 1 - j

def close(a, b, rel=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)

def check_sample(name, vals, s):
    xs = sorted(v for v in vals if v is not None)
    n = len(xs)
    assert s['n'] == n, (name, s['n'], n)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else None
    want = {'min': xs[0], 'max': xs[-1], 'median': q7(xs, .5), 'p90': q7(xs, .9),
            'p99': q7(xs, .99), 'mean': mean, 'stddev': sd}
    for k, w in want.items():
        assert close(s[k], w), (name, k, s[k], w)
    r = ci_ranks(n)
    assert (s['ci95'] is None) == (r is None), (name, s['ci95'])
    if r:
        assert s['ci95'] == [xs[r[0] - 1], xs[r[1] - 1]], (name, s['ci95'], r)

def check_latency(name, lat, s):
    assert not lat['truncated'] and len(lat['raw']) == lat['count'] == s['count'], name
    xs = sorted(lat['raw'])
    assert s['exact'] is True
    for k, q in (('p50', .5), ('p90', .9), ('p99', .99), ('p999', .999)):
        assert close(s[k], q7(xs, q)), (name, k, s[k], q7(xs, q))
    assert s['max'] == xs[-1] and s['min'] == xs[0]
    bk = lat['histogram']['buckets']
    assert sum(b[2] for b in bk) == lat['count'], name
    for x in xs:
        assert any(lo <= x <= hi for lo, hi, _ in bk), (name, x)

def check_run(name):
    d = folder(name)
    doc = json.load(open(os.path.join(d, 'run.json')))
    V.validate(doc)
    assert doc['schema'] == 'mnbench-run/1' and doc['interrupted'] is False
    ctx = doc['context']
    assert ctx['command_line'][0].endswith('mnbench') and ctx['start'] <= ctx['end']
    for c in doc['configurations']:
        assert c['error'] is None and c['reps'] >= 2, c['name']
        for m, s in c['summaries'].items():
            if s['kind'] == 'sample':
                assert len(c['samples'][m]) == c['reps']
                check_sample(c['name'] + ' ' + m, c['samples'][m], s)
            else:
                check_latency(c['name'] + ' ' + m, c['latencies'][m], s)
    # summary.csv: one row per configuration and metric, same figures.
    rows = list(csv.DictReader(open(os.path.join(d, 'summary.csv'))))
    want = [(c, m) for c in doc['configurations'] for m in c['summaries']]
    assert len(rows) == len(want), (len(rows), len(want))
    for r, (c, m) in zip(rows, want):
        s = c['summaries'][m]
        assert r['name'] == c['name'] and r['metric'] == m and r['benchmark'] == c['benchmark']
        assert int(r['procs']) == c['settings']['procs']
        med = s['median'] if s['kind'] == 'sample' else s['p50']
        assert close(float(r['median']), med, 1e-9), (r['median'], med)
        for p, v in c['params'].items():
            assert r['param.' + p] == str(v), (p, r)
    return d, doc, rows

# --format json: the rows on stdout, the folder on stderr.
d, doc, rows = check_run('json')
assert d.endswith('-rt_test'), d
out = json.load(open(os.path.join(tmp, 'json.out')))
assert len(out) == len(rows) and [o['name'] for o in out] == [r['name'] for r in rows]
for o, r in zip(out, rows):
    assert close(o['median'], float(r['median']), 1e-9)
assert open(os.path.join(tmp, 'json.err')).read().splitlines()[-1] == 'results: ' + d
assert {c['name'] for c in doc['configurations']} == {'spawn/n:1000/trials:50', 'switch/n:1000'}

# --format csv: stdout is summary.csv, byte for byte.
d, doc, rows = check_run('csv')
assert open(os.path.join(tmp, 'csv.out')).read() == open(os.path.join(d, 'summary.csv')).read()
assert [c['settings']['procs'] for c in doc['configurations']] == [1, 2]
assert doc['options']['interleave'] is True

# text: a table on stdout that ends with the folder.
d, doc, rows = check_run('text')
text = open(os.path.join(tmp, 'text.out')).read().splitlines()
assert text[0].split()[:4] == ['instance', 'metric', 'reps', 'median'], text[0]
assert text[-1] == 'results: ' + d, text[-1]

# Readers ignore unknown fields: later issues add more (counters landed
# with a shape of their own: tests/test_counters_run.sh validates them).
extra = copy.deepcopy(doc)
extra['counters_source'] = 'papi'
extra['configurations'][0]['energy'] = {'RAPL_PKG': [1, 2]}
extra['configurations'][0]['summaries']['ns_per_switch']['source'] = 'clock'
V.validate(extra)

# And broken documents are refused.
def broken(f):
    b = copy.deepcopy(doc)
    f(b)
    assert not V.is_valid(b), 'accepted a broken document'
broken(lambda b: b.pop('context'))
broken(lambda b: b.__setitem__('schema', 'mnbench-run/2'))
broken(lambda b: b['context'].pop('host'))
broken(lambda b: b['configurations'][0]['samples']['ns_per_switch'].append('x'))
broken(lambda b: b['configurations'][0]['summaries']['ns_per_switch'].__setitem__('ci95', [1]))
broken(lambda b: b.__setitem__('interrupted', 'no'))
print('ok test_run_json')
PY
