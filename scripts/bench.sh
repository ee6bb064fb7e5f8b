#!/usr/bin/env bash
# bench.sh - installs what is missing, builds the Release tree, runs
# mnbench's default suite, then draws its figures and writes its report
# (mnbench report); the paths of report.html and report.md end the output.
# Extra arguments go to mnbench run (e.g. scripts/bench.sh --reps 20).
# The exit status is mnbench run's: 2 bad input (nothing written, no
# report), 1 a configuration failed, 130 interrupted (the report covers
# what was measured).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

# The folder: mnbench's last line "results: DIR" (stdout with the text
# table; tee -i leaves Ctrl-C to mnbench, which saves what it measured).
# With --format csv|json that line goes to stderr: then the newest run
# written since the start.
log=$(mktemp)
stamp=$(mktemp)
trap 'rm -f "$log" "$stamp"' EXIT
set +e
build/mnbench run "$@" | tee -i "$log"
rc=${PIPESTATUS[0]}
set -e
dir=$(sed -n 's/^results: //p' "$log" | tail -n 1)
out=1                   # the report's paths follow the table; with CSV or JSON, stderr
if [ -z "$dir" ]; then
  out=2
  results=results prev=""
  for a in "$@"; do
    [ "$prev" = --results-dir ] && results=$a
    case $a in --results-dir=*) results=${a#--results-dir=} ;; esac
    prev=$a
  done
  newest=$(find "$results" -mindepth 2 -maxdepth 2 -name run.json -newer "$stamp" \
           -printf '%T@ %h\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
  dir=${newest:-}
fi
if [ -n "$dir" ] && [ -f "$dir/run.json" ]; then
  build/mnbench report "$dir" >/dev/null
  printf 'report: %s\nreport: %s\n' "$dir/report.html" "$dir/report.md" >&$out
fi
exit "$rc"
