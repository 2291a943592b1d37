#!/bin/bash
# Real-kernel benchmarks: gpuhook on Debian 12's own kernel (tools/kernel-bed.sh:
# QEMU/TCG, emulated intel-iommu, the kernel's mtty/mdpy/mbochs samples, a
# real libvirtd), installed as the package installs it. Prints Markdown (the
# "Real kernel" section of BENCHMARKS.md).
#
#   bench/kernel.sh [--quick] [--build DIR] [--rounds N] [--virsh-blocks B]
#                   [--virsh-cycles K] [--parent mtty|mdpy] [--no-profile]
#
# From the host it builds the drivers (bench/cmdbench.c, bench/hookbench.c)
# into DIR/bench-bin and boots the bed (tools/kernel-bed.sh -- bench/kernel.sh
# --inside ...); run as root. DIR (default build-bench) is built with the
# project's default options (as packaged: no test hooks) if it is not yet.
#
# Sections, all in the same boot, variants interleaved (round r starts with
# variant r mod N; cmdbench and hookbench do this):
#   lifecycle  one mdev created and removed, N rounds:
#                sysfs    write U to mdev_supported_types/TYPE/create, then
#                         1 to the mdev's remove (shell builtins)
#                mdevctl  `mdevctl start -u U -p PARENT -t TYPE` + `mdevctl
#                         stop -u U` (gpuhook's callout installed, as packaged)
#                hook     the installed hook as libvirt runs it: `prepare
#                         begin -` then `release end -`, the domain XML (an
#                         mdev hostdev + <gpuhook:mdev> creating it) on stdin
#                sh       `sh -c :`, the driver's own cost (every variant runs
#                         under one `sh -c`), to subtract
#              every timed command checks that the mdev exists between the
#              two steps, and an untimed check after it that the mdev is
#              gone, the type's available_instances back and no ledger left.
#   noop       the hook for a domain without hostdevs or gpuhook metadata
#              (prepare, start, started, stopped, release) vs /bin/true, N
#              rounds (hookbench, which runs it as libvirt does).
#   virsh      `virsh start` + `virsh destroy` of a small type='qemu' domain
#              (no disk, no hostdevs, no gpuhook metadata)
#              with gpuhook in hooks/qemu.d vs removed from it. libvirtd
#              looks for hooks once, at daemon start (virHookInitialize, called
#              from daemon start-up in src/remote/remote_daemon.c, caches the
#              drivers that have hooks in virHooksFound; src/util/virhook.c),
#              so each block switches the variant and restarts libvirtd, then
#              times K cycles after one untimed warm-up; B blocks alternate
#              the variants. A marker hook checks first that a restart picks
#              up added hooks and forgets removed ones.
#   profile    one hook lifecycle and one mdevctl start+stop under strace
#              (execve and exit only): each process's lifetime, to show
#              where the time goes.
#
# --quick: 3 rounds, 1 block of 1 cycle per variant: checks that the script
# works, not figures to publish. Not part of tools/test.sh (not a test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
prog=bench/kernel.sh
die() { echo "$prog: error: $*" >&2; exit 1; }

inside=0 quick=0 build=$root/build-bench rounds='' vblocks='' vcycles='' parent=mtty profile=1
args=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --inside) inside=1 ;;
    --quick) quick=1 ;;
    --build) build=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --virsh-blocks) vblocks=$2; shift ;;
    --virsh-cycles) vcycles=$2; shift ;;
    --parent) parent=$2; shift ;;
    --no-profile) profile=0 ;;
    *) die "unknown argument '$1'; see the comment at the top of $prog" ;;
  esac
  shift
done
if [ $quick = 1 ]; then
  : "${rounds:=3}" "${vblocks:=2}" "${vcycles:=1}"
else
  : "${rounds:=30}" "${vblocks:=3}" "${vcycles:=3}"
fi
case $parent in
  mtty) mtype=mtty-1 ;;
  mdpy) mtype=mdpy-vga ;;
  *) die "--parent $parent: use mtty or mdpy (the kernel samples with a simple type)" ;;
esac

# ------------------------------------------------------------------ host ---
if [ $inside = 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root (tools/kernel-bed.sh boots QEMU and runs the command as root in the guest)"
  cd "$root"
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" >/dev/null || die "meson setup $build failed"
  fi
  ninja -C "$build" >/dev/null || die "building $build failed; run ninja -C $build to see why"
  build=$(cd "$build" && pwd)
  bin=$build/bench-bin
  mkdir -p "$bin"
  cflags=(-O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror)
  "${CC:-cc}" "${cflags[@]}" -o "$bin/cmdbench" bench/cmdbench.c
  "${CC:-cc}" "${cflags[@]}" -o "$bin/hookbench" bench/hookbench.c
  load0=$(cut -d' ' -f1-3 /proc/loadavg) t0=$SECONDS
  echo "## Real kernel"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- lib core plugin hooks 2>/dev/null || echo ' (+ uncommitted changes in lib/core/plugin/hooks)')"
  echo "- command: $prog ${args[*]}"
  echo "- host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r), qemu $(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)"
  echo "- host load average at start: $load0"
  rc=0
  KERNEL_BED_QUIET=1 tools/kernel-bed.sh --timeout 3000 -- "$here/kernel.sh" --inside "${args[@]}" --build "$build" || rc=$?
  echo "- host load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (the whole run: $((SECONDS - t0)) s with the boot)"
  [ $rc -eq 0 ] || die "the run in the bed failed (exit $rc); see its messages above"
  exit 0
fi

# ----------------------------------------------------------------- guest ---
[ -d /run/kernel-bed ] || die "--inside is for the guest tools/kernel-bed.sh boots; run $prog without it"
bin=$build/bench-bin
{ [ -x "$bin/cmdbench" ] && [ -x "$bin/hookbench" ]; } || die "no $bin/cmdbench or hookbench; run $prog from the host"
. "$root/tests/kernel/lib.sh"
. "$root/tests/kernel/platform-bed.sh"
say() { echo "bench: $*" >&2; }

say "setup (drivers, meson install, libvirtd)"
platform_setup "$build" >/tmp/bench-setup.log 2>&1 || { cat /tmp/bench-setup.log >&2; die "the bed's platform setup failed"; }
# set -e must not end the teardown early (it kills by pid what may be gone).
trap 'rc=$?; set +e; platform_teardown; exit $rc' EXIT
[ -e /etc/mdevctl.d/scripts.d/callouts/gpuhook ] || die "meson install did not install gpuhook's mdevctl callout"
ptypes=/sys/class/mdev_bus/$parent/mdev_supported_types
[ -d "$ptypes/$mtype" ] || die "$parent has no type $mtype ($ptypes)"

echo "- guest: Linux $(uname -r) $(uname -v), QEMU accel ${KERNEL_BED_ACCEL:-tcg}, $(nproc) vCPUs, libvirt $(libvirtd --version | awk '{print $NF}'), mdevctl $(mdevctl version 2>/dev/null || dpkg-query -W -f='${Version}' mdevctl)"
echo "- gpuhook: $(readlink "$HOOK_LINK") installed by \`meson install\` ($build, buildtype $(meson introspect "$build" --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))'), test hooks: ${FAULT_POINTS%%:*}); callout /etc/mdevctl.d/scripts.d/callouts/gpuhook"
echo "- guest load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
work=/tmp/bench-kernel
mkdir -p "$work"

# ------------------------------------------------------------- lifecycle ---
u=$(new_uuid) dom=bench-mdev dev=/sys/bus/mdev/devices/$u
avail0=$(avail "$parent" "$mtype")
dom_xml "$dom" "$(new_uuid)" "$(hd_mdev "$u")" "$(meta_mdev "$u" "$mtype" "$parent")" > "$work/mdev.xml"
# Each command fails (and the run stops) if the mdev is not there between
# the two steps; `[ -e ]` is a shell builtin, nothing is exec'd for it.
cmd_sysfs="echo $u > $ptypes/$mtype/create && [ -e $dev ] && echo 1 > $dev/remove"
cmd_mdevctl="mdevctl start -u $u -p $parent -t $mtype >/dev/null && [ -e $dev ] && mdevctl stop -u $u >/dev/null"
cmd_hook="$HOOK_LINK $dom prepare begin - < $work/mdev.xml && [ -e $dev ] && $HOOK_LINK $dom release end - < $work/mdev.xml"
# Untimed, after each: gone, the instance given back, no ledger, nothing defined.
cat > "$work/after.sh" <<AFTER
[ ! -e $dev ] || { echo "bench: \$BENCH_VARIANT left mdev $u behind" >&2; exit 1; }
read -r a < $ptypes/$mtype/available_instances
[ "\$a" = $avail0 ] || { echo "bench: after \$BENCH_VARIANT $mtype offers \$a instances, not $avail0" >&2; exit 1; }
for l in /run/gpuhook/domains/*; do [ -e "\$l" ] && { echo "bench: \$BENCH_VARIANT left the ledger \$l" >&2; exit 1; }; done
for d in /etc/mdevctl.d/*/$u; do [ -e "\$d" ] && { echo "bench: \$BENCH_VARIANT left the definition \$d" >&2; exit 1; }; done
exit 0
AFTER

say "lifecycle: $rounds rounds of sysfs / mdevctl / hook / sh on $parent $mtype"
echo "### One mdev's lifecycle on $parent ($mtype): create + remove"
echo
"$bin/cmdbench" -H
"$bin/cmdbench" -n "$rounds" -w 2 -l "create + remove" -a "sh $work/after.sh" -o "$work/lifecycle.raw" \
  sysfs "$cmd_sysfs" mdevctl "$cmd_mdevctl" hook "$cmd_hook" sh ":"
echo
# Medians without the driver's `sh -c` (the sh row), and the ratios of those.
median() { # VARIANT RAWFILE
  grep "^$1 " "$2" | cut -d' ' -f2 | sort -n |
    awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
awk -v f="$(median sh "$work/lifecycle.raw")" -v s="$(median sysfs "$work/lifecycle.raw")" \
    -v c="$(median mdevctl "$work/lifecycle.raw")" -v h="$(median hook "$work/lifecycle.raw")" 'BEGIN {
  printf "Medians without the driver'"'"'s `sh -c` (the sh row, %.1f ms): mdevctl %.1f ms, hook %.1f ms, ", f, c - f, h - f
  printf "the hook %.2f× mdevctl by hand; ", (h - f) / (c - f)
  if (s - f > 0.1 * f) printf "raw sysfs %.1f ms (hook %.1f×, mdevctl %.1f×).\n", s - f, (h - f) / (s - f), (c - f) / (s - f)
  else printf "raw sysfs %.1f ms in all, within the noise of the sh row: its own work is small next to one exec.\n", s
}'
echo

# ------------------------------------------------------------------ noop ---
say "noop: $rounds rounds of the hook vs /bin/true, 5 ops"
# A domain as most are: no hostdevs and no gpuhook metadata (the front end
# answers it; with <gpuhook:devices> present a prepare goes to gpuhook-full).
plain_xml() { dom_xml "$1" "$(new_uuid)" "" | sed '/<metadata>/,/<\/metadata>/d'; }
plain_xml bench-noop > "$work/noop.xml"
echo "### The hook for a domain without hostdevs vs /bin/true"
echo
"$bin/hookbench" -n "$rounds" -w 2 -x "$work/noop.xml" -d bench-noop \
  -p 'prepare begin' -p 'start begin' -p 'started begin' -p 'stopped end' -p 'release end' \
  true=/bin/true gpuhook="$HOOK_LINK"
echo

# ----------------------------------------------------------------- virsh ---
say "virsh: $vblocks blocks x $vcycles cycles"
plain_xml bench-vm > "$work/vm.xml"
virsh -q define "$work/vm.xml" >/dev/null
cycle="timeout 120 virsh -q start bench-vm >/dev/null && timeout 120 virsh -q destroy bench-vm >/dev/null"
marker=/etc/libvirt/hooks/qemu.d/00-marker
restart() { platform_restart_libvirtd || die "libvirtd did not come back after a restart"; }
set_variant() {
  rm -f "$HOOK_LINK" "$marker"
  case $1 in
    without) ;;
    gpuhook) hook_restore ;;
    marker) printf '#!/bin/sh\necho "$2 $3" >> /run/bench-marker\n' > "$marker"; chmod 755 "$marker" ;;
  esac
  restart
}
# The switching works: a restart runs an added hook for all five calls and
# no longer runs a removed one.
set_variant marker
sh -c "$cycle" || die "virsh start + destroy of bench-vm failed"
calls=$(tr '\n' ',' < /run/bench-marker)
[ "$calls" = "prepare begin,start begin,started begin,stopped end,release end," ] ||
  die "after a libvirtd restart the hooks ran as '$calls', not the five calls of a cycle"
set_variant without
sh -c "$cycle" || die "virsh start + destroy of bench-vm failed"
[ "$(wc -l < /run/bench-marker)" -eq 5 ] || die "a removed hook still ran after a libvirtd restart"
rm -f /run/bench-marker
variants=(without gpuhook)
for b in $(seq 0 $((vblocks - 1))); do
  for k in 0 1; do
    v=${variants[$(((b + k) % 2))]}
    set_variant "$v"
    "$bin/cmdbench" -n "$vcycles" -w 1 -o "$work/virsh.raw" "$v" "$cycle" >/dev/null ||
      die "virsh start + destroy failed in the $v block"
  done
done
hook_restore
for v in "${variants[@]}"; do grep "^$v " "$work/virsh.raw"; done > "$work/virsh.sorted"
echo "### \`virsh start\` + \`virsh destroy\`, gpuhook installed vs removed"
echo
"$bin/cmdbench" -H
"$bin/cmdbench" -l "start + destroy ($vblocks blocks x $vcycles)" -s "$work/virsh.sorted"
echo
virsh -q undefine bench-vm >/dev/null

# --------------------------------------------------------------- profile ---
# Each program's lifetime under strace: from its execve to the next execve
# of the same process or its exit (strace's own cost is in every row alike).
# PROFILE_RUNS runs; the rows are the median per position (the runs must
# start the same programs in the same order).
profile_runs=$([ $quick = 1 ] && echo 1 || echo 5)
profile_one() { # WHAT SETUP CMD UNDO (SETUP and UNDO untraced, around each run)
  local f=$work/strace.${1// /-} k rows=$work/profile.rows
  : > "$rows"
  for k in $(seq "$profile_runs"); do
    sh -c "$2" >/dev/null 2>&1 || die "$1: the setup '$2' failed"
    strace -f -ttt -s 256 -e trace=execve,exit_group -e signal=none -o "$f" sh -c "$3" >/dev/null 2>&1 ||
      die "$1 failed under strace"
    sh -c "$4" >/dev/null 2>&1 || die "$1: the undo '$4' failed"
    awk -v u="$u" '
      function close_row(p, t) { if (p in open) { ms[open[p]] = (t - start[open[p]]) * 1000; delete open[p] } }
      # PID TIME execve("path", ["argv0", "a1", ...], 0x... /* N vars */) = 0
      $3 ~ /^execve\(/ && $NF == 0 {
        p = $1; t = $2; line = $0
        sub(/^[^[]*\[/, "", line); sub(/\], 0x.*$/, "", line)
        gsub(/"/, "", line); gsub(/, /, " ", line); gsub(u, "U", line)
        close_row(p, t)
        open[p] = ++n; start[n] = t; cmd[n] = substr(line, 1, 110); next
      }
      $3 ~ /^exit_group\(/ || $3 == "+++" { close_row($1, $2) }
      END { for (i = 1; i <= n; i++) printf "%d\t%s\t%.1f\n", i, cmd[i], ms[i] }' "$f" >> "$rows"
  done
  printf '| %s (median of %d) | ms |\n|---|---:|\n' "$1" "$profile_runs"
  local n i c
  n=$(cut -f1 "$rows" | sort -n | tail -1)
  for i in $(seq "$n"); do
    [ "$(awk -F'\t' -v i="$i" '$1 == i' "$rows" | wc -l)" = "$profile_runs" ] ||
      die "the $1 runs under strace started different programs; see $rows"
    c=$(awk -F'\t' -v i="$i" '$1 == i { print $2; exit }' "$rows")
    printf '| `%s` | %.0f |\n' "$c" "$(awk -F'\t' -v i="$i" '$1 == i { print $3 }' "$rows" | sort -n |
      awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
  done
  echo
}
if [ $profile = 1 ]; then
  say "profile: strace of the hook and of mdevctl, $profile_runs runs each"
  echo "### Where the time goes (\`strace -f -e trace=execve,exit_group\`)"
  echo
  echo "Every program started, in order, and how long it"
  echo "ran, from its execve to the next execve of the same process or its exit (U = the mdev's"
  echo "UUID); strace slows every exec, so read the shares, not the absolute times."
  echo
  prep="$HOOK_LINK $dom prepare begin - < $work/mdev.xml" rel="$HOOK_LINK $dom release end - < $work/mdev.xml"
  start="mdevctl start -u $u -p $parent -t $mtype" stop="mdevctl stop -u $u"
  profile_one "hook prepare, no hostdevs" : "$HOOK_LINK bench-noop prepare begin - < $work/noop.xml" :
  profile_one "hook prepare" : "$prep" "$rel"
  profile_one "hook release" "$prep" "$rel" :
  profile_one "mdevctl start" : "$start" "$stop"
  profile_one "mdevctl stop" "$start" "$stop" :
  sh "$work/after.sh" || die "the profile runs left something behind"
fi
echo "- guest load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
