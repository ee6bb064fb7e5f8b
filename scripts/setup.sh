#!/usr/bin/env bash
# setup.sh - installs the Debian packages mnsched needs to build, test and
# plot. As root it runs apt-get; otherwise it uses sudo if it can, or says
# exactly what to run. Installs only what is missing.
set -euo pipefail

# What each package is for:
#   build-essential cmake pkg-config   the build
#   libhwloc-dev libnuma-dev           topology and NUMA (runtime)
#   libpapi-dev libjansson-dev         counters and run.json (harness)
#   gnuplot-nox                        plots
#   clang-14 libclang-rt-14-dev        the TSan tree (gcc 12's TSan dies at ~8,000 fibers)
#   python3 python3-jsonschema         schema validation in the tests
#   valgrind                           stack registration headers (valgrind/valgrind.h)
#   qemu-system-x86 busybox-static     the multi-NUMA test bed (scripts/numa-vm.sh); its
#                                      guest kernel is fetched below, not installed
PACKAGES=(build-essential cmake pkg-config libhwloc-dev libnuma-dev libpapi-dev
          libjansson-dev gnuplot-nox clang-14 libclang-rt-14-dev python3
          python3-jsonschema valgrind qemu-system-x86 busybox-static)

# The test bed's guest kernel: Debian's cloud kernel package, downloaded and
# unpacked into ~/.cache/mnsched-vm (nothing goes to /boot). Not fatal: only
# the numa-vm tests need it, and they say what is missing.
guest_kernel() {
  "$(dirname "$0")/numa-vm.sh" --fetch-kernel ||
    echo "setup.sh: no guest kernel for the numa-vm tests (scripts/numa-vm.sh --fetch-kernel)" >&2
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  guest_kernel
  exit 0
fi

echo "setup.sh: installing: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup.sh: not root and no sudo; please run:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
guest_kernel
