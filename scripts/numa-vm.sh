#!/usr/bin/env bash
# numa-vm.sh - runs one command on an emulated multi-NUMA machine: a QEMU
# guest (software emulation, TCG) with N NUMA nodes of C CPUs each, booting
# Debian's cloud kernel with an initramfs made of busybox, the command's
# program and its shared libraries. The command's output (stdout and
# stderr, in order) comes back on this script's stdout, and its exit status
# is this script's.
#
#   scripts/numa-vm.sh [--nodes 2] [--cpus-per-node 2] [--mem-per-node 256]
#                      [--distance 20] [--timeout 300] [--file PATH]...
#                      [--env NAME=VALUE]... [--workdir DIR] [--collect DIR]
#                      -- COMMAND [ARGS...]
#   scripts/numa-vm.sh [VM OPTIONS] --compare-numa [COMPARE-NUMA ARGS...]
#   scripts/numa-vm.sh --fetch-kernel
#
#   --nodes N           NUMA nodes (1-8), one socket each            [2]
#   --cpus-per-node C   CPUs per node (1-16); node i has CPUs i*C..i*C+C-1 [2]
#   --mem-per-node MB   memory per node, at least 64  [256; --compare-numa 512]
#   --distance D        SLIT distance between two nodes (11-254); a node
#                       is at 10 from itself                         [20]
#   --timeout S         the whole boot-run-poweroff, in seconds; then QEMU
#                       is killed and the exit status is 124
#                                                [300; --compare-numa 7200]
#   --file PATH         also copy PATH (a file or folder) into the guest,
#                       at the same absolute path; a program gets its
#                       shared libraries (ldd) too. COMMAND's program is
#                       always copied (a name is looked up in PATH).
#   --env NAME=VALUE    set in COMMAND's environment (MN_* are passed on
#                       by default, from this environment)
#   --workdir DIR       COMMAND runs there in the guest [the current folder]
#   --collect DIR       after COMMAND, bring the guest's folder DIR (relative
#                       to --workdir) back into DIR here: it travels as a
#                       tar on a fourth serial port, size and MD5 checked
#   --accel tcg|kvm     QEMU accelerator [tcg; kvm needs a host that nests]
#   --compare-numa      run scripts/compare-numa.sh inside the guest (the
#                       arguments after it are compare-numa.sh's), bring its
#                       folder back and mark it EMULATED (compare-numa.sh
#                       --vm comes here)
#   --fetch-kernel      download the guest kernel into the cache and exit
#
# Files:
#   ${MNVM_CACHE:-~/.cache/mnsched-vm}/<package>/boot/vmlinuz-*
#       the guest kernel: the package linux-image-cloud-amd64 depends on,
#       fetched with `apt-get download` and unpacked with dpkg-deb (nothing
#       is installed; /boot is not touched). A missing kernel is fetched
#       when this runs as root; otherwise the error says what to run.
#       MNVM_KERNEL=/path/to/vmlinuz uses that kernel instead.
# The guest: `-cpu max`, one socket per node, `-numa node` and `-numa dist`
# options (ACPI SRAT/SLIT, so libnuma, numactl and hwloc see the nodes,
# their CPUs and distances), transparent huge pages off (move_pages can
# return EBUSY for a huge page's head) and automatic NUMA balancing off
# (it would move pages the tests check). Serial ports: ttyS0 the console
# (its last lines are shown on failure), ttyS1 the command's output, ttyS2
# its exit status, ttyS3 the --collect tar (gzip). Hostname: mnsched-vm.
# The work folder (initramfs, serial port files) is removed at the end;
# MNVM_KEEP=1 keeps it and says where.
#
# Exit status: COMMAND's; 2 for bad arguments or a missing tool or kernel
# (one line naming the Debian packages); 124 on timeout; 125 when the
# guest died without reporting a status (kernel panic, init failure: the
# console's last lines are shown). Timings inside are emulated: they are
# not a hardware measurement.
set -euo pipefail

me=numa-vm.sh
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${MNVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnsched-vm}
qemu=${MNVM_QEMU:-qemu-system-x86_64}
nodes=2 cpn=2 mempn="" distance=20 timeout="" accel=tcg
files=() envs=() workdir=$PWD collect="" mode=run

die() { echo "$me: $*" >&2; exit 2; }
need_int() {  # need_int OPTION VALUE MIN MAX
  [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
    die "$1 $2: not a whole number in $3-$4"
}

# ---- the kernel ----------------------------------------------------------------

# The versioned package the metapackage depends on: linux-image-6.1.0-NN-cloud-amd64.
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

find_kernel() {
  if [ -n "${MNVM_KERNEL:-}" ]; then
    [ -r "$MNVM_KERNEL" ] || die "MNVM_KERNEL=$MNVM_KERNEL: cannot read it; allowed: a bzImage (vmlinuz)"
    echo "$MNVM_KERNEL"
    return
  fi
  local k
  k=$(ls -1 "$cache"/*/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$k" ] && echo "$k"
  return 0
}

fetch_kernel() {
  local pkg tmp
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "no apt-get/dpkg-deb to fetch the guest kernel; set MNVM_KERNEL=/path/to/vmlinuz (a Debian cloud kernel)"
  pkg=$(kernel_package)
  [ -n "$pkg" ] || die "apt knows no linux-image-cloud-amd64 (run apt-get update first), or set MNVM_KERNEL=/path/to/vmlinuz"
  echo "$me: fetching the guest kernel ($pkg) into $cache/$pkg (apt-get download; nothing is installed)" >&2
  tmp=$(mktemp -d)
  # As root, apt drops to the _apt user, which cannot write the temporary folder.
  local sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  if ! (cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg" >/dev/null); then
    rm -rf "$tmp"
    die "apt-get download $pkg failed (is the network or an apt mirror reachable? apt-get update first)"
  fi
  dpkg-deb -x "$tmp"/*.deb "$tmp/x"
  mkdir -p "$cache/$pkg/boot"
  cp "$tmp"/x/boot/vmlinuz-* "$tmp"/x/boot/config-* "$cache/$pkg/boot/"
  rm -rf "$tmp"
}

# ---- arguments -----------------------------------------------------------------

while [ $# -gt 0 ]; do
  case $1 in
    --nodes) need_int "$1" "${2-}" 1 8; nodes=$2; shift 2 ;;
    --cpus-per-node) need_int "$1" "${2-}" 1 16; cpn=$2; shift 2 ;;
    --mem-per-node) need_int "$1" "${2-}" 64 65536; mempn=$2; shift 2 ;;
    --distance) need_int "$1" "${2-}" 11 254; distance=$2; shift 2 ;;
    --timeout) need_int "$1" "${2-}" 1 604800; timeout=$2; shift 2 ;;
    --file) [ -e "${2-}" ] || die "--file ${2-}: no such file or folder"; files+=("$2"); shift 2 ;;
    --env) [[ ${2-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env ${2-}: allowed: NAME=VALUE"
           envs+=("$2"); shift 2 ;;
    --workdir) [ -n "${2-}" ] || die "--workdir needs a folder"; workdir=$2; shift 2 ;;
    --collect) [ -n "${2-}" ] || die "--collect needs a folder"; collect=$2; shift 2 ;;
    --accel) case ${2-} in tcg|kvm) accel=$2 ;; *) die "--accel ${2-}: allowed: tcg, kvm" ;; esac
             shift 2 ;;
    --fetch-kernel) mode=fetch; shift ;;
    --compare-numa) mode=compare; shift; break ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'; allowed: --nodes, --cpus-per-node, --mem-per-node, --distance, --timeout, --file, --env, --workdir, --collect, --accel, --compare-numa, --fetch-kernel, -- COMMAND" ;;
  esac
done

if [ $mode = fetch ]; then
  # Quiet when the kernel is there already (setup.sh calls this each time).
  if [ -z "$(find_kernel)" ]; then
    fetch_kernel
    echo "$me: guest kernel: $(find_kernel)" >&2
  fi
  exit 0
fi

# ---- what the guest needs ------------------------------------------------------

missing=()
command -v "$qemu" >/dev/null || missing+=(qemu-system-x86)
# busybox-static's /bin/busybox (busybox's is dynamic: ldd succeeds on it).
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
kernel=$(find_kernel)
if [ -z "$kernel" ] && [ ${#missing[@]} -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
  fetch_kernel
  kernel=$(find_kernel)
fi
if [ ${#missing[@]} -gt 0 ] || [ -z "$kernel" ]; then
  kp=$(kernel_package || true)
  kp=${kp:-linux-image-<version>-cloud-amd64}
  what=()
  for p in "${missing[@]}"; do
    case $p in
      qemu-system-x86) what+=("$qemu (Debian package qemu-system-x86)") ;;
      busybox-static) what+=("a static /bin/busybox (Debian package busybox-static)") ;;
    esac
  done
  [ -z "$kernel" ] && what+=("the guest kernel in $cache (Debian package $kp, unpacked there, not installed)")
  fix=()
  [ ${#missing[@]} -gt 0 ] && fix+=("apt-get install ${missing[*]} as root (scripts/setup.sh does it)")
  [ -z "$kernel" ] && fix+=("scripts/numa-vm.sh --fetch-kernel as this user")
  die "cannot boot the NUMA guest: missing $(IFS=';'; echo "${what[*]}" | sed 's/;/, /g'); it needs qemu-system-x86, busybox-static and $kp: run $(IFS=';'; echo "${fix[*]}" | sed 's/;/, then /g')"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mnsched-vm.XXXXXX")
qpid="" tpid=""
cleanup() {
  set +e
  if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
  if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null; fi
  if [ "${MNVM_KEEP:-0}" = 1 ]; then echo "$me: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

root=$work/root
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,dev,proc,sys,tmp,root,etc,mnvm}
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"

is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_in PATH: PATH (file or folder, symlinks followed) at the same
# absolute path in the guest; a program with its ldd closure.
copy_in() {
  local src dst lib
  src=$(realpath -s "$1")
  dst=$root$src
  [ -e "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  if [ -d "$src" ]; then
    cp -rL "$src" "$dst"
  else
    cp -L "$src" "$dst"
  fi
  if is_elf "$src"; then
    for lib in $(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      [ -e "$root$lib" ] && continue
      mkdir -p "$(dirname "$root$lib")"
      cp -L "$lib" "$root$lib"
    done
  fi
}

# Python with just the modules a `python3 -c 'import json, sys'` loads
# (compare-numa.sh's use), not the 50 MB standard library.
copy_python() {
  local py=${1:-/usr/bin/python3} f
  copy_in "$py"
  while IFS= read -r f; do
    [ -n "$f" ] && [ -e "$f" ] || continue
    mkdir -p "$(dirname "$root$f")"
    cp -L "$f" "$root$f"
    is_elf "$f" && copy_in "$f"
  done < <("$py" -c 'import json, sys, importlib.util as u
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f:
        print(f)
        if f.endswith(".py"):
            print(u.cache_from_source(f))
')
  # Its landmark (lib/python3.X/os.py) is among those; lib-dynload must exist.
  mkdir -p "$root$("$py" -c 'import sysconfig; print(sysconfig.get_path("platstdlib"))')/lib-dynload"
}

# ---- the command ---------------------------------------------------------------

quote() { local s=$1; printf "'%s'" "${s//\'/\'\\\'\'}"; }   # for the guest's sh

if [ $mode = compare ]; then
  # compare-numa.sh in the guest: bash, python3 (json), mnbench, gnuplot
  # and its fonts, the templates; the folder comes back, marked EMULATED.
  cmp_args=("$@") out=""
  for ((i = 0; i < ${#cmp_args[@]}; i++)); do
    case ${cmp_args[i]} in
      --out) out=${cmp_args[i + 1]:-} ;;
      --) break ;;
    esac
  done
  if [ -z "${MNBENCH:-}" ]; then
    (cd "$repo" && scripts/setup.sh && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null &&
       cmake --build build -j"$(nproc)" >/dev/null)
    MNBENCH=$repo/build/mnbench
  fi
  MNBENCH=$(realpath "$MNBENCH")
  if [ -z "$out" ]; then
    out=$repo/results/$(date -u +%Y%m%dT%H%M%SZ)-mnsched-vm-numa-${nodes}x${cpn}
    cmp_args=(--out "$out" "${cmp_args[@]}")
  fi
  out=$(realpath -m "$out")
  for ((i = 0; i < ${#cmp_args[@]}; i++)); do
    [ "${cmp_args[i]}" = --out ] && cmp_args[i + 1]=$out && break
  done
  copy_in "$(command -v bash)"
  copy_python /usr/bin/python3
  copy_in "$MNBENCH"
  copy_in "$repo/scripts/compare-numa.sh"
  copy_in "$repo/plots"
  if command -v gnuplot >/dev/null; then
    copy_in "$(command -v gnuplot)"
    for f in /usr/share/gnuplot /etc/fonts /usr/share/fonts/truetype/dejavu; do
      [ -e "$f" ] && copy_in "$f"
    done
  fi
  envs+=("MNBENCH=$MNBENCH" "MNBENCH_PLOTS=$repo/plots")
  workdir=$repo
  collect=$out
  set -- bash "$repo/scripts/compare-numa.sh" "${cmp_args[@]}"
  timeout=${timeout:-7200} mempn=${mempn:-512}
fi

timeout=${timeout:-300} mempn=${mempn:-256}
[ $# -gt 0 ] || die "no command; usage: scripts/numa-vm.sh [OPTIONS] -- COMMAND [ARGS...] (--help)"
prog=$1
if [[ $prog != */* ]]; then
  prog=$(command -v "$prog" || true)
  [ -n "$prog" ] && [ -f "$prog" ] || die "$1: no such program in PATH"
fi
[ -f "$prog" ] || die "$prog: no such file"
copy_in "$prog"
for f in "${files[@]}"; do copy_in "$f"; done
[[ $workdir = /* ]] || workdir=$PWD/$workdir
mkdir -p "$root$workdir"
if [ -n "$collect" ]; then
  [[ $collect = /* ]] || collect=$workdir/$collect
fi

# busybox for everything else: init, sh, mount, stty, tar...
cp /bin/busybox "$root/usr/bin/busybox"
while IFS= read -r a; do
  a=${a#/}
  case $a in bin/*) a=usr/$a ;; sbin/*) a=usr/$a ;; esac
  [ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /usr/bin/busybox "$root/$a"
done < <(/bin/busybox --list-full)
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

{
  printf 'export PATH=%s HOME=/root TERM=dumb\n' /usr/local/bin:/usr/bin:/usr/sbin
  for e in $(compgen -e); do
    [[ $e = MN_* ]] && printf 'export %s=%s\n' "$e" "$(quote "${!e}")"
  done
  for e in "${envs[@]}"; do
    printf 'export %s=%s\n' "${e%%=*}" "$(quote "${e#*=}")"
  done
} >"$root/mnvm/env"
{
  printf '%s' "$(quote "$prog")"
  shift
  for a in "$@"; do printf ' %s' "$(quote "$a")"; done
  echo
} >"$root/mnvm/cmd"
printf '%s\n' "$(quote "$workdir")" >"$root/mnvm/workdir"
printf '%s\n' "$(quote "$collect")" >"$root/mnvm/collect"

cat >"$root/init" <<'EOF'
#!/bin/sh
# numa-vm.sh's init: mount, run the command with its output on ttyS1, its
# status on ttyS2 and the --collect folder as a tar on ttyS3, power off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
hostname mnsched-vm
for t in 1 2 3; do stty -F /dev/ttyS$t raw -echo -onlcr 115200; done
. /mnvm/env
eval "workdir=$(cat /mnvm/workdir) collect=$(cat /mnvm/collect)"
cd "$workdir"
exec 3>/dev/ttyS1
( eval "set -- $(cat /mnvm/cmd)"; exec "$@" ) </dev/null >&3 2>&3
rc=$?
exec 3>&-
coll="collect none"
if [ -n "$collect" ]; then
  if [ -d "$collect" ] && tar -czf /tmp/collect.tar -C "$collect" .; then
    coll="collect $(wc -c </tmp/collect.tar) $(md5sum </tmp/collect.tar | cut -d' ' -f1)"
    cat /tmp/collect.tar >/dev/ttyS3
  else
    coll="collect missing"
  fi
fi
printf 'status %s\n%s\n' "$rc" "$coll" >/dev/ttyS2
sync
poweroff -f
EOF
chmod 755 "$root/init"

(cd "$root" && find . -mindepth 1 | busybox cpio -o -H newc 2>/dev/null) >"$work/initrd.cpio"

# ---- the machine ---------------------------------------------------------------

qargs=(-machine pc,accel="$accel" -cpu max -m $((nodes * mempn))
       -smp $((nodes * cpn)),sockets="$nodes",cores="$cpn",threads=1
       -nodefaults -no-user-config -display none -monitor none -no-reboot
       -kernel "$kernel" -initrd "$work/initrd.cpio"
       -append "console=ttyS0 rdinit=/init quiet panic=-1 transparent_hugepage=never numa_balancing=disable 8250.nr_uarts=4")
for ((n = 0; n < nodes; n++)); do
  qargs+=(-object memory-backend-ram,id=m$n,size=${mempn}M
          -numa node,nodeid=$n,cpus=$((n * cpn))-$((n * cpn + cpn - 1)),memdev=m$n)
done
for ((a = 0; a < nodes; a++)); do
  for ((b = a + 1; b < nodes; b++)); do
    qargs+=(-numa dist,src=$a,dst=$b,val=$distance)
  done
done
for s in console out status collect; do
  : >"$work/$s"
  qargs+=(-chardev file,id=$s,path="$work/$s",append=on -serial chardev:$s)
done

# The output as it comes; QEMU killed at the timeout (SIGKILL 5 s later).
timeout -k 5 "$timeout" "$qemu" "${qargs[@]}" </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
tail -c +1 -s 0.1 -f --pid=$qpid "$work/out" &
tpid=$!
qrc=0
wait $qpid || qrc=$?
qpid=""
wait $tpid || true
tpid=""

if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
  echo "$me: timeout: the guest ran for more than ${timeout}s and was killed (--timeout S)" >&2
  tail -n 5 "$work/console" | sed 's/^/  console: /' >&2
  exit 124
fi
status=$(awk '$1 == "status" { print $2 }' "$work/status")
if [ -z "$status" ]; then
  echo "$me: the guest stopped without reporting the command's status (QEMU exit $qrc); the console's and QEMU's last lines:" >&2
  tail -n 15 "$work/console" | sed 's/^/  console: /' >&2
  tail -n 5 "$work/qemu.log" | sed 's/^/  qemu: /' >&2
  exit 125
fi
if [ -n "$collect" ]; then
  read -r _ size sum < <(grep '^collect' "$work/status")
  if [ "$size" = missing ] || [ "$size" = none ]; then
    echo "$me: --collect $collect: no such folder in the guest after the command" >&2
    [ "$status" -ne 0 ] || status=1
  elif [ "$(wc -c <"$work/collect")" != "$size" ] || [ "$(md5sum <"$work/collect" | cut -d' ' -f1)" != "$sum" ]; then
    echo "$me: --collect $collect: the tar arrived damaged ($(wc -c <"$work/collect") of $size bytes)" >&2
    [ "$status" -ne 0 ] || status=1
  else
    mkdir -p "$collect"
    tar -xzf "$work/collect" -C "$collect"
    collected=1
  fi
fi
if [ $mode = compare ] && [ -n "${collected:-}" ]; then
  # The folder and each run in it say where they were measured.
  emulated="Measured on an emulated machine, not hardware: a QEMU $accel guest ($("$qemu" --version | head -n 1 | sed 's/^QEMU emulator version //')) with $nodes NUMA nodes x $cpn CPUs, $mempn MiB per node, distance $distance, kernel $(basename "$kernel"), on host $(hostname). Placements and memory binding are real in the guest; the timings are an emulator's, not a hardware measurement."
  for d in "$collect" "$collect"/runs/*/; do
    [ -d "$d" ] && echo "$emulated" >"${d%/}/EMULATED"
  done
  echo "$me: results in $collect (emulated: see $collect/EMULATED)" >&2
fi
exit "$status"
