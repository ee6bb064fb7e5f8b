#!/usr/bin/env bash
# test.sh - installs what is missing, builds the normal, ASan+UBSan and
# TSan trees, and runs ctest in each:
#   build/       Release, every test (runtime, harness, heavy, and numa-vm:
#                the placement tests inside a 2-node QEMU guest, scripts/numa-vm.sh)
#   build-asan/  ASan+UBSan (gcc), the runtime tests at reduced sizes
#   build-tsan/  TSan (clang-14), the runtime tests at reduced sizes
# Usage: scripts/test.sh [normal|asan|tsan ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

jobs=$(nproc)
trees=("$@")
[ ${#trees[@]} -eq 0 ] && trees=(normal asan tsan)

run_tree() {
  local name=$1 dir=$2 label=$3; shift 3
  echo "== $name tree ($dir)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  if [ -n "$label" ]; then
    ctest --test-dir "$dir" --output-on-failure -L "$label" -LE heavy
  else
    ctest --test-dir "$dir" --output-on-failure
  fi
}

for t in "${trees[@]}"; do
  case $t in
    normal) run_tree normal build "" ;;
    asan)   ASAN_OPTIONS=detect_leaks=1 \
            run_tree "ASan+UBSan" build-asan runtime -DMN_ASAN=ON -DMN_TEST_SCALE=10 ;;
    tsan)   CC=clang-14 run_tree TSan build-tsan runtime -DMN_TSAN=ON -DMN_TEST_SCALE=10 \
              -DCMAKE_C_COMPILER=clang-14 ;;
    *) echo "test.sh: unknown tree '$t'; allowed: normal, asan, tsan" >&2; exit 2 ;;
  esac
done
echo "test.sh: all trees passed"
