#!/bin/bash
# gpuhook benchmarks: builds what they need and prints Markdown tables (the
# figures in BENCHMARKS.md).
#
#   sudo bench/run.sh [--quick] [--build DIR] [SECTION...]
#
# SECTIONs (default: all, in this order):
#   hook        hook latency per libvirt op, domain without hostdev:
#               floor / gpuhook / bash dispatcher (+ diagnostics), interleaved
#   virsh       time added to a real `virsh start` + `virsh destroy` cycle
#   jit         just-in-time create + destroy of 1, 4, 16 mdevs vs mdevctl
#   placement   placement_choose over 256 parents x 32 types (ns per call)
#   concurrent  32 concurrent prepares vs the same 32 in series
# --quick: fewer repetitions (a smoke test, not figures to publish).
# --build DIR: the meson build dir to use/create (default: build-bench).
# --deb FILE: also time the hook from this gpuhook .deb (as dpkg-buildpackage
#   built it: Debian's hardening flags, -z now) in the hook section.
#
# Runs as root (namespaces, a private libvirtd); touches nothing outside
# temporary directories and private mount namespaces. Needs the packages of
# tools/bootstrap.sh; uses no other tool (hyperfine is not needed).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

quick=0 build=build-bench deb= sections=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --build) build=$2; shift ;;
    --deb) deb=$(realpath "$2"); shift ;;
    hook|virsh|jit|placement|concurrent) sections+=("$1") ;;
    *) echo "bench/run.sh: error: unknown argument '$1'; see the comment at the top of bench/run.sh" >&2; exit 2 ;;
  esac
  shift
done
[ ${#sections[@]} -gt 0 ] || sections=(hook virsh jit placement concurrent)
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/run.sh: error: run as root (private namespaces and a private libvirtd)" >&2
  exit 1
fi

if [ $quick = 1 ]; then
  hook_rounds=30 virsh_per_block=2 virsh_blocks=2 jit_runs=5 conc_runs=3 place_repeats=5
else
  hook_rounds=300 virsh_per_block=10 virsh_blocks=4 jit_runs=30 conc_runs=30 place_repeats=31
fi

# The project's own build (its default buildtype, as `meson setup build`),
# without the CLI and tests: the benchmarks need the hook, gpuhook-sim and
# libgpuhook.a only.
tools/bootstrap.sh "$build" -Dtests=disabled -Dcli=disabled >&2
build=$(cd "$build" && pwd)
bin=$build/bench-bin
mkdir -p "$bin"
CC=${CC:-cc}
# The floor is built like the hook: same compiler, -O2 -g, PIE (the
# toolchain's default), glibc; link flags of the hook's own link line.
cflags=(-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror)
"$CC" "${cflags[@]}" -o "$bin/hookbench" bench/hookbench.c
"$CC" "${cflags[@]}" -o "$bin/cmdbench" bench/cmdbench.c
"$CC" "${cflags[@]}" -o "$bin/floor" bench/floor.c
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" -o "$bin/floor-libs" bench/floor.c -Wl,--no-as-needed $(pkg-config --libs libxml-2.0 libudev)
"$CC" "${cflags[@]}" -shared -fPIC -o "$bin/proto-flock-wait.so" bench/proto-flock-wait.c -ldl
# These two use gpuhook's internal headers (lib/): if an API they use
# changed, the section that needs them says so instead of the whole run
# failing.
rm -f "$bin/placebench" "$bin/fastpath-proto"
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" -I"$build" -Ilib -o "$bin/placebench" bench/placebench.c "$build/libgpuhook.a" \
  $(pkg-config --libs libxml-2.0 libudev) 2>"$bin/placebench.log" ||
  echo "bench/run.sh: warning: bench/placebench.c does not build against this tree (see $bin/placebench.log); the placement section is skipped" >&2
"$CC" "${cflags[@]}" -I"$build" -Ilib -o "$bin/fastpath-proto" bench/fastpath-proto.c "$build/libgpuhook.a" \
  2>"$bin/fastpath-proto.log" ||
  echo "bench/run.sh: warning: bench/fastpath-proto.c does not build against this tree (see $bin/fastpath-proto.log); its column is left out" >&2
if [ -x "$bin/fastpath-proto" ] && ldd "$bin/fastpath-proto" | grep -q libxml2; then
  echo "bench/run.sh: error: fastpath-proto links libxml2; the prototype must stay libc-only" >&2
  exit 1
fi

echo "# gpuhook benchmarks"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- lib core plugin hooks 2>/dev/null || echo ' (+ uncommitted changes in lib/core/plugin/hooks)')"
echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- Debian $(cat /etc/debian_version), $(cc --version | head -1), libvirt $(dpkg-query -W -f='${Version}' libvirt-daemon 2>/dev/null), mdevctl $(dpkg-query -W -f='${Version}' mdevctl 2>/dev/null), umockdev $(dpkg-query -W -f='${Version}' umockdev 2>/dev/null), qemu $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)"
echo "- build: meson buildtype $(python3 -c 'import json, sys; print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"))' "$build/meson-info/intro-buildoptions.json") ($build)"
echo "- command: bench/run.sh$([ $quick = 1 ] && echo ' --quick')$([ -n "$deb" ] && echo " --deb $(basename "$deb")") ${sections[*]}"
echo

tmp=$(mktemp -d /tmp/gpuhook-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

for s in "${sections[@]}"; do
  case $s in
  hook)
    echo "## Hook latency per op (domain without hostdev)"
    echo
    mkdir -p "$tmp/state"
    extra=()
    [ -x "$bin/fastpath-proto" ] && extra+=(fastpath-proto="$bin/fastpath-proto")
    if [ -n "$deb" ]; then
      dpkg-deb -x "$deb" "$tmp/deb"
      extra+=(gpuhook-deb="$tmp/deb/usr/libexec/gpuhook/gpuhook")
      echo "gpuhook-deb: /usr/libexec/gpuhook/gpuhook from $(basename "$deb")"
      echo
    fi
    # floor first: the ratio column is "x floor". floor-libs and
    # fastpath-proto are diagnostics (see BENCHMARKS.md).
    "$bin/hookbench" -n "$hook_rounds" -w 10 \
      -e GPUHOOK_STATE_DIR="$tmp/state" -e GPUHOOK_CONFIG="$tmp/none.conf" \
      -x bench/domains/debian12-no-hostdev.xml -d debian12 \
      floor="$bin/floor" gpuhook="$build/hooks/gpuhook" bash-dispatcher="$src/bench/dispatcher.sh" \
      floor-libs="$bin/floor-libs" "${extra[@]}"
    echo
    ;;
  virsh)
    echo "## virsh start + destroy cycle, with and without the hook"
    echo
    "$bin/cmdbench" -H
    bench/virsh-cycle.sh "$build" "$bin" "$virsh_per_block" "$virsh_blocks"
    echo
    ;;
  jit)
    echo "## Just-in-time mdevs: gpuhook prepare+release vs plain mdevctl (mtty.umockdev)"
    echo
    "$bin/cmdbench" -H
    bench/jit.sh "$build" "$bin" "$jit_runs"
    echo
    ;;
  placement)
    echo "## Placement (placement_choose, lib/placement.h)"
    echo
    if [ -x "$bin/placebench" ]; then
      "$bin/placebench" -p 256 -t 32 -r "$place_repeats"
    else
      echo "(skipped: bench/placebench.c does not build against this tree)"
    fi
    echo
    ;;
  concurrent)
    echo "## 32 concurrent prepares vs 32 in series"
    echo
    "$bin/cmdbench" -H
    bench/concurrent.sh "$build" "$bin" "$conc_runs"
    echo
    ;;
  esac
done
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
