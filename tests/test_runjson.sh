#!/bin/bash
# test_runjson.sh MNBENCH SOURCE_DIR - mnbench's run.json validator
# (bench/runjson_read.c, the schema compiled in) agrees with Python's
# jsonschema on a real run.json and on broken copies of it: each document
# is accepted by `mnbench compare RUN RUN` exactly when jsonschema accepts
# it, and a refusal is one line naming the schema, exit 2. Duplicate keys,
# which Python's json reader lets through, are refused too.
set -u
MNBENCH=${1:?usage: test_runjson.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
TMP=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A run with samples, latencies (spawn) and counters: every part of the schema.
"$MNBENCH" run spawn switch --param n=1000 --param trials=20 --reps 2 --min-time 0 \
    --counters -q --results-dir "$TMP/base" >/dev/null 2>"$TMP/base.err" ||
    fail "mnbench run: $(cat "$TMP/base.err")"
BASE=$(echo "$TMP"/base/*/run.json)

python3 - "$SRC/bench/schema/mnbench-run-1.schema.json" "$BASE" "$TMP/cases" <<'PY' ||
import copy, json, os, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
base = json.load(open(sys.argv[2]))
out = sys.argv[3]
V = jsonschema.Draft202012Validator(schema)

def conf(d, name):
    return next(c for c in d['configurations'] if c['benchmark'] == name)

cases = {}
def case(name, fn):
    d = copy.deepcopy(base)
    fn(d)
    cases[name] = d

case('valid', lambda d: None)
case('unknown_fields_kept', lambda d: d.update(future={'x': 1}))
case('integral_float_is_integer', lambda d: conf(d, 'switch').update(reps=3.0))
case('no_context', lambda d: d.pop('context'))
case('wrong_schema_name', lambda d: d.update(schema='mnbench-run/2'))
case('interrupted_string', lambda d: d.update(interrupted='no'))
case('bad_start_time', lambda d: d['context'].update(start='yesterday'))
case('negative_reps', lambda d: conf(d, 'switch').update(reps=-1))
case('fractional_reps', lambda d: conf(d, 'switch').update(reps=1.5))
case('sample_string', lambda d: conf(d, 'switch')['samples']['ns_per_switch'].append('7'))
case('sample_null_ok', lambda d: conf(d, 'switch')['samples']['ns_per_switch'].append(None))
case('bucket_two_items', lambda d: conf(d, 'spawn')['latencies']['spawn_to_run']
     ['histogram']['buckets'][0].pop())
case('bucket_count_zero', lambda d: conf(d, 'spawn')['latencies']['spawn_to_run']
     ['histogram']['buckets'][0].__setitem__(2, 0))
case('raw_string', lambda d: conf(d, 'spawn')['latencies']['spawn_to_run']['raw']
     .append('1'))
case('summary_kind', lambda d: conf(d, 'switch')['summaries']['ns_per_switch']
     .update(kind='other'))
case('summary_no_ci', lambda d: conf(d, 'switch')['summaries']['ns_per_switch'].pop('ci95'))
case('ci_three', lambda d: conf(d, 'switch')['summaries']['ns_per_switch']
     .update(ci95=[1, 2, 3]))
case('procs_zero', lambda d: conf(d, 'switch')['settings'].update(procs=0))
case('setting_array', lambda d: conf(d, 'switch')['settings'].update(placement=['a']))
case('param_null', lambda d: conf(d, 'switch')['params'].update(n=None))
case('counter_source', lambda d: conf(d, 'switch')['counters']['figures']
     [next(iter(conf(d, 'switch')['counters']['figures']))].update(source='bogus'))
case('counters_per', lambda d: conf(d, 'switch')['counters'].update(per='minute'))
case('topology_no_caches', lambda d: d['context']['topology'].pop('caches'))
case('cache_type', lambda d: d['context']['topology']['caches'][0].update(type='weird'))
case('topology_null_ok', lambda d: d['context'].update(topology=None))
case('configurations_object', lambda d: d.update(configurations={}))
case('hardware_domain', lambda d: d['counters']['hardware'].update(domain='kernel'))
case('warnings_number', lambda d: d['context']['warnings'].append(3))
case('env_number', lambda d: d['context']['environment'].update(MN_PROCS=2))

os.makedirs(out)
with open(os.path.join(out, 'expected'), 'w') as f:
    for name, d in cases.items():
        os.makedirs(os.path.join(out, name))
        json.dump(d, open(os.path.join(out, name, 'run.json'), 'w'))
        f.write('%s %s\n' % (name, 'valid' if V.is_valid(d) else 'invalid'))
PY
    fail "python could not make the cases"

n=0
while read -r name want; do
    dir="$TMP/cases/$name"
    "$MNBENCH" compare "$dir" "$dir" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$want" = valid ]; then
        [ $rc -eq 0 ] || fail "$name: jsonschema accepts it, mnbench says ($rc): $(cat "$TMP/err")"
    else
        [ $rc -eq 2 ] || fail "$name: jsonschema refuses it, mnbench exit $rc"
        [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "$name: not one line: $(cat "$TMP/err")"
        grep -q "schema\|not an mnbench run" "$TMP/err" || fail "$name: $(cat "$TMP/err")"
        [ ! -s "$TMP/out" ] || fail "$name: wrote to stdout"
    fi
    n=$((n + 1))
done <"$TMP/cases/expected"
[ $n -ge 25 ] || fail "only $n cases ran"

# Duplicate keys: Python keeps the last, mnbench refuses the document.
mkdir "$TMP/dup"
sed '0,/"interrupted": false/s//"interrupted": false, "interrupted": true/' "$BASE" \
    >"$TMP/dup/run.json"
grep -q '"interrupted": false, "interrupted": true' "$TMP/dup/run.json" || fail "no duplicate made"
"$MNBENCH" compare "$TMP/dup" "$TMP/dup" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "duplicate" "$TMP/err" || fail "duplicate keys: $(cat "$TMP/err")"
echo "ok: $n documents judged as jsonschema judges them; duplicate keys refused"
