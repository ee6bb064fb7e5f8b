#!/bin/bash
# test_report.sh MNBENCH SOURCE_DIR - mnbench report on a small real run:
# report.html is self-contained (figures as base64 PNG, no scripts, nothing
# fetched), names every benchmark of the run, holds the machine, tables and
# comparisons; report.md links figures that exist. Without gnuplot the
# report still comes, saying why it has no figures. Several runs pool with
# --out. Bad input: exit 2, one line, nothing written.
set -u
MNBENCH=${1:?usage: test_report.sh MNBENCH SOURCE_DIR}
SRC=${2:-$(dirname "$0")/..}
export MNBENCH_PLOTS="$SRC/plots"
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
RUN=$(run "$TMP/r" switch chan spawn --procs 1,2 --param n=1000 --param trials=30 --reps 6)

"$MNBENCH" report "$RUN" >"$TMP/out" 2>"$TMP/err" || fail "report: $(cat "$TMP/err")"
[ "$(cat "$TMP/out")" = "report: $RUN/report.html
report: $RUN/report.md" ] || fail "report's output: $(cat "$TMP/out")"

# check_html HTML RUN_JSON... [--no-figures]
check_html() {
    python3 - "$@" <<'PY'
import base64, html.parser, json, os, re, sys
args = [a for a in sys.argv[1:] if not a.startswith('--')]
figures = '--no-figures' not in sys.argv
path, runs = args[0], args[1:]
text = open(path, encoding='utf-8').read()

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.h2, self.h3, self.imgs, self.refs, self.tag, self.tables = [], [], [], [], None, 0
        self.csp = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tag = tag
        if tag == 'img':
            self.imgs.append(a.get('src', ''))
        if tag == 'table':
            self.tables += 1
        if tag == 'meta' and a.get('http-equiv') == 'Content-Security-Policy':
            self.csp = "default-src 'none'" in a.get('content', '')
        for k in ('src', 'href'):
            if k in a and not a[k].startswith(('data:image/png;base64,', '#')):
                self.refs.append(a[k])
        assert tag != 'script', 'a <script> tag'
    def handle_data(self, d):
        if self.tag in ('h2', 'h3') and d.strip():
            getattr(self, self.tag).append(d.strip())
    def handle_endtag(self, tag):
        self.tag = None

p = P()
p.feed(text)
assert p.csp, 'no Content-Security-Policy'
assert not p.refs, ('refers to outside files', p.refs[:3])
benches = []
for r in runs:
    for c in json.load(open(r))['configurations']:
        if c['benchmark'] not in benches:
            benches.append(c['benchmark'])
for b in benches:
    assert 'Benchmark ' + b in p.h2, ('benchmark not named', b, p.h2)
assert any(h.startswith('Run') or h.startswith('The run') for h in p.h2), p.h2
assert 'Repetition samples' in p.h3 and 'Event latencies' in p.h3, p.h3
assert 'By procs' in p.h3, ('no comparison by procs', p.h3)
assert p.tables >= 5, p.tables
pngs = sorted(f for f in os.listdir(os.path.join(os.path.dirname(path), 'plots'))
              if f.endswith('.png')) if figures else []
assert len(p.imgs) == len(pngs), (len(p.imgs), len(pngs))
for src in p.imgs:
    data = base64.b64decode(src.split(',', 1)[1], validate=True)
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'an embedded image is not a PNG'
for w in ('Intel', 'AMD', 'CPU'):
    if w in text:
        break
else:
    raise AssertionError('no CPU in the machine table')
print('%d benchmarks, %d figures' % (len(benches), len(p.imgs)))
PY
}
check_html "$RUN/report.html" "$RUN/run.json" || fail "report.html"
python3 - "$RUN/report.md" "$RUN/run.json" <<'PY' || fail "report.md"
import json, os, re, sys
md = open(sys.argv[1]).read()
for c in json.load(open(sys.argv[2]))['configurations']:
    assert '## Benchmark ' + c['benchmark'] in md, c['benchmark']
links = re.findall(r'!\[[^\]]*\]\((plots/[^)]+\.png)\)', md)
assert links, 'no figures linked'
for l in links:
    assert os.path.exists(os.path.join(os.path.dirname(sys.argv[1]), l)), l
assert re.search(r'^\| configuration \| metric \|', md, re.M), 'no table'
PY

# No gnuplot: the report says so, and has no figures.
rm -rf "$RUN/plots"
env PATH=/nonexistent "$MNBENCH" report "$RUN" >/dev/null 2>"$TMP/err" ||
    fail "report without gnuplot: $(cat "$TMP/err")"
grep -q "gnuplot is not installed" "$TMP/err" || fail "no warning without gnuplot"
grep -q "not drawn, gnuplot is not installed" "$RUN/report.html" || fail "no note in the report"
check_html "$RUN/report.html" "$RUN/run.json" --no-figures || fail "report.html without figures"
"$MNBENCH" report --no-plots "$RUN" >/dev/null 2>"$TMP/err" || fail "--no-plots: $(cat "$TMP/err")"
[ ! -e "$RUN/plots" ] || fail "--no-plots drew figures"

# Two runs pooled into one report.
RUN2=$(run "$TMP/r2" switch --placement none --procs 1,2 --param n=1000 --reps 6)
mkdir "$TMP/pooled"
"$MNBENCH" report --out "$TMP/pooled" "$RUN" "$RUN2" >/dev/null 2>"$TMP/err" ||
    fail "pooled report: $(cat "$TMP/err")"
check_html "$TMP/pooled/report.html" "$RUN/run.json" "$RUN2/run.json" || fail "pooled report.html"
grep -q '<h3>By placement</h3>' "$TMP/pooled/report.html" || fail "no comparison by placement"

# Bad input: exit 2, one line, nothing written.
mkdir -p "$TMP/bad/empty" "$TMP/bad/schema"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["context"]["start"]="now"; json.dump(d, open(sys.argv[2], "w"))' \
    "$RUN/run.json" "$TMP/bad/schema/run.json"
before=$(ls -A "$RUN" "$RUN2" "$TMP/bad"/* | md5sum)
for args in "$TMP/bad/missing" "$TMP/bad/empty" "$TMP/bad/schema" "$RUN $RUN2" \
            "--out $TMP/bad/missing $RUN" "--alpha 0 $RUN" "--out $TMP/pooled $RUN $TMP/bad/schema" \
            ""; do
    # shellcheck disable=SC2086
    "$MNBENCH" report $args >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 2 ] || fail "report $args: exit $rc, not 2"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "report $args: not one line: $(cat "$TMP/err")"
    [ ! -s "$TMP/out" ] || fail "report $args: wrote to stdout"
    [ "$(ls -A "$RUN" "$RUN2" "$TMP/bad"/* | md5sum)" = "$before" ] || fail "report $args wrote files"
done
echo ok
