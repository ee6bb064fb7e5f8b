#!/usr/bin/env bash
# bench.sh - installs what is missing, builds the Release tree and runs
# mnbench's default suite; the results folder is printed at the end.
# Extra arguments go to mnbench (e.g. scripts/bench.sh --reps 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/mnbench run "$@"
