#!/usr/bin/env bash
# compare-numa.sh - the NUMA comparison in one command: mnbench's suite
# under each placement x memory policy this machine can run, then
# comparisons by placement and by memory policy, figures and a report, all
# in one folder, whose path is the last line printed.
#
#   scripts/compare-numa.sh [--placements "compact scatter none"]
#                           [--mems "local interleave"] [--out DIR] [--vm]
#                           [-- MNBENCH RUN ARGUMENTS...]
#
# Arguments after -- go to every mnbench run: benchmarks and options
# (scripts/compare-numa.sh -- steal chan --procs 2 --reps 20). MNBENCH=path
# uses that mnbench instead of building build/ (as scripts/bench.sh does).
#
# --vm: the same workflow inside an emulated 2-node x 2-CPU machine (a QEMU
# guest, scripts/numa-vm.sh --compare-numa; MNVM_ARGS="--nodes 4
# --cpus-per-node 1" for another shape). The folder comes back through a
# serial port and holds a file EMULATED: its timings are an emulator's, not
# a hardware measurement; placements and memory binding are real there.
#
# Limited to what the machine has (mnbench topo --format json):
#   - one NUMA node: interleave is local there, so it is skipped, said so;
#   - a placement whose plan is the same as an earlier one's (scatter is
#     compact on one node) is skipped, said so;
#   - a combination mnbench refuses (mnbench run --dry-run exits 2, e.g. a
#     policy the runtime does not have yet, node:N beyond the machine) is
#     skipped with mnbench's own reason.
# The combinations left run as one mnbench run when they form a full
# product (then --interleave spreads drift over all of them alike), else
# as one run per placement. Then, into DIR:
#   runs/*/             the run folders (run.json, summary.csv)
#   compare-placement.{txt,md,csv}, compare-mem.{txt,md,csv}
#                       mnbench compare --by placement / --by mem
#   plots/, report.html, report.md
#                       mnbench report --out DIR over every run
# Exit status: mnbench's (2 for bad arguments, nothing run; 130 when
# interrupted, after writing what was measured).
set -euo pipefail
cd "$(dirname "$0")/.."

placements="compact scatter none"
mems="local interleave"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --placements) placements=${2:?--placements needs a list}; shift 2 ;;
    --mems) mems=${2:?--mems needs a list}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --vm) vm=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-numa.sh: unknown argument '$1'; allowed: --placements, --mems, --out, --vm, -- ARGS" >&2
       exit 2 ;;
  esac
done
run_args=("$@")
if [ -n "${vm:-}" ]; then
  # shellcheck disable=SC2086  # MNVM_ARGS: numa-vm.sh options, split on spaces
  exec scripts/numa-vm.sh ${MNVM_ARGS:-} --compare-numa --placements "$placements" \
    --mems "$mems" ${out:+--out "$out"} -- "${run_args[@]}"
fi

note() { echo "compare-numa.sh: $*" >&2; notes+=("$*"); }
notes=()

if [ -z "${MNBENCH:-}" ]; then
  scripts/setup.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null
  MNBENCH=build/mnbench
fi

# Bad run arguments are mnbench's to refuse, before anything is made.
"$MNBENCH" run "${run_args[@]}" --dry-run >/dev/null

topo_json=$("$MNBENCH" topo --format json)
nodes=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["topology"]["numa_nodes"])' \
        <<<"$topo_json")

# A placement's plan, as "p:cpu:numa ..." (empty when mnbench refuses it).
plan_of() {
  "$MNBENCH" topo --placement "$1" --format json 2>/dev/null |
    python3 -c 'import json,sys; print(" ".join("%s:%s:%s" % (e["p"], e["cpu"], e["numa"]) for e in json.load(sys.stdin)["plan"]))' \
    2>/dev/null || true
}

# Memory policies: interleave over one node is local.
mem_ok=()
for m in $mems; do
  if [ "$m" = interleave ] && [ "$nodes" -le 1 ]; then
    note "mem interleave skipped: this machine has one NUMA node, where interleave is local"
    continue
  fi
  mem_ok+=("$m")
done

# Placements: each with the memory policies mnbench accepts for it.
declare -A accepted plans
pl_ok=()
for p in $placements; do
  plan=$(plan_of "$p")
  dup=""
  for q in "${pl_ok[@]}"; do
    if [ -n "$plan" ] && [ "${plans[$q]}" = "$plan" ]; then dup=$q; fi
  done
  if [ -n "$dup" ]; then
    note "placement $p skipped: the same plan as $dup on this machine ($nodes NUMA node(s))"
    continue
  fi
  ms=()
  for m in "${mem_ok[@]}"; do
    if err=$("$MNBENCH" run "${run_args[@]}" --placement "$p" --mem "$m" --dry-run 2>&1 >/dev/null); then
      ms+=("$m")
    else
      note "placement $p with mem $m skipped: ${err#mnbench: }"
    fi
  done
  if [ ${#ms[@]} -gt 0 ]; then
    pl_ok+=("$p")
    plans[$p]=$plan
    accepted[$p]="${ms[*]}"
  fi
done
if [ ${#pl_ok[@]} -eq 0 ]; then
  echo "compare-numa.sh: mnbench accepts none of the combinations; nothing to run" >&2
  exit 2
fi

if [ -z "$out" ]; then
  host=$(hostname | tr -c 'A-Za-z0-9._+-\n' '_')
  out="results/$(date -u +%Y%m%dT%H%M%SZ)-$host-numa"
fi
mkdir -p "$out/runs"

# One run for a full product, else one per placement.
full=1
for p in "${pl_ok[@]}"; do
  [ "${accepted[$p]}" = "${accepted[${pl_ok[0]}]}" ] || full=0
done
status=0
measure() {   # measure LABEL ARGS...: one mnbench run into $out/runs
  local label=$1 rc=0
  shift
  "$MNBENCH" run "${run_args[@]}" "$@" --label "$label" --results-dir "$out/runs" || rc=$?
  case $rc in
    0) ;;
    1) note "$label: a configuration failed while measuring (see above); its folder is kept" ;;
    2) note "$label: refused by mnbench (see above); skipped" ;;
    *) status=$rc; return 1 ;;
  esac
  [ $rc -eq 1 ] && [ $status -eq 0 ] && status=1
  return 0
}
if [ $full -eq 1 ]; then
  args=()
  for p in "${pl_ok[@]}"; do args+=(--placement "$p"); done
  mems_csv=$(tr ' ' ',' <<<"${accepted[${pl_ok[0]}]}")
  measure numa "${args[@]}" --mem "$mems_csv" || true
else
  for p in "${pl_ok[@]}"; do
    [ $status -lt 2 ] || break
    measure "numa-$(tr -c 'A-Za-z0-9._+-\n' '_' <<<"$p")" --placement "$p" \
      --mem "$(tr ' ' ',' <<<"${accepted[$p]}")" || break
  done
fi

runs=()
for d in "$out"/runs/*/; do
  [ -f "$d/run.json" ] && runs+=("${d%/}")
done
if [ ${#runs[@]} -eq 0 ]; then
  echo "compare-numa.sh: nothing was measured" >&2
  exit $(( status ? status : 1 ))
fi

# Comparisons: a setting with one value has nothing to compare.
all_mems=$(for p in "${pl_ok[@]}"; do echo "${accepted[$p]}"; done | tr ' ' '\n' | sort -u | wc -l)
for axis in placement mem; do
  if { [ $axis = placement ] && [ ${#pl_ok[@]} -lt 2 ]; } ||
     { [ $axis = mem ] && [ "$all_mems" -lt 2 ]; }; then
    note "no comparison by $axis: one $axis policy ran"
    continue
  fi
  if "$MNBENCH" compare --by $axis "${runs[@]}" >"$out/compare-$axis.txt" 2>"$out/.err"; then
    "$MNBENCH" compare --by $axis --format markdown "${runs[@]}" >"$out/compare-$axis.md"
    "$MNBENCH" compare --by $axis --format csv "${runs[@]}" >"$out/compare-$axis.csv"
    echo
    echo "== by $axis"
    cat "$out/compare-$axis.txt"
  else
    note "no comparison by $axis: $(sed 's/^mnbench: //' "$out/.err")"
    rm -f "$out/compare-$axis.txt"
  fi
  rm -f "$out/.err"
done

"$MNBENCH" report --out "$out" "${runs[@]}"
if [ ${#notes[@]} -gt 0 ]; then
  printf '%s\n' "${notes[@]}" >"$out/notes.txt"
  echo
  echo "notes (also in $out/notes.txt):"
  printf '  %s\n' "${notes[@]}"
fi
echo "$out"
exit $status
