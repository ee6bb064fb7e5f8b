#!/usr/bin/env bash
# run.sh - build the Go peer programs of mnbench and run each one with the
# GOMAXPROCS its comparison calls for; prints their result lines on stdout
# (one `name key=value ...` line per measurement), progress on stderr.
#
#   bench/peers/go/run.sh            # REPS=20 by default
#   REPS=10 bench/peers/go/run.sh
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
    echo "run.sh: 'go' not found; install the Debian package golang-go (apt-get install golang-go)" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
reps=${REPS:-20}   # more than the programs' default 10: shared VMs are noisy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The module has no requirements; GOPROXY=off makes sure a build never
# reaches for the network, and -mod=mod overrides a -mod=vendor someone may
# have in their environment. Without HOME (some CI shells) go has no cache
# directory, so give it one.
export GOPROXY=off GOFLAGS=-mod=mod
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    export GOCACHE="$tmp/gocache"
fi

start=$SECONDS
progs=(spawn switch chan steal skynet syscall preempt)
echo "run.sh: building ${progs[*]} with $(go version)" >&2
for p in "${progs[@]}"; do
    (cd "$here" && go build -o "$tmp/$p" "./$p")
done
built=$SECONDS

# GOMAXPROCS per program: 1 where the comparison is against one P of
# mnsched, 2 where it needs stealing or parallelism (this machine's cores).
run() {
    local procs=$1 prog=$2
    echo "run.sh: GOMAXPROCS=$procs $prog -reps $reps" >&2
    GOMAXPROCS=$procs "$tmp/$prog" -reps "$reps"
}
run 1 spawn
run 1 switch
run 1 chan
run 2 chan
run 2 steal
run 2 skynet
run 1 syscall
run 1 preempt

echo "run.sh: done in $((SECONDS - start)) s (build $((built - start)) s)" >&2
