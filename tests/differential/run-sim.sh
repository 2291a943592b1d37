#!/bin/bash
# The differential scenarios on gpuhook-sim, compared with the real kernel's
# recorded transcript (the meson test `differential`):
#
#   tests/differential/run-sim.sh [BUILD_ROOT]     # default $GPUHOOK_BUILD_ROOT
#
# A fresh testbed from tests/hosts/kernel-bed.umockdev (the bed's topology),
# tests/differential/d-sysfs.sh inside it, then compare.sh against
# kernel-bed.transcript (recorded in the bed by record-bed.sh). With
# DIFF_KEEP=1 the sim's transcript stays in /tmp/d-sysfs-sim.transcript.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-${GPUHOOK_BUILD_ROOT:-$root/build}}
sim=$build/sim/gpuhook-sim
[ -x "$sim" ] || { echo "run-sim: no $sim (build with -Dtest_hooks=true)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/d-sysfs-sim.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$sim" --testbed "$tmp/tb" --host "$root/tests/hosts/kernel-bed.umockdev" -- \
  bash "$here/d-sysfs.sh" > "$tmp/sim.transcript" 2> "$tmp/sim.err"
rc=$?
[ $rc -eq 0 ] || { echo "run-sim: the scenarios failed in gpuhook-sim (exit $rc):" >&2; cat "$tmp/sim.err" >&2; exit 1; }
[ -n "${DIFF_KEEP:-}" ] && cp "$tmp/sim.transcript" /tmp/d-sysfs-sim.transcript
"$here/compare.sh" "$here/kernel-bed.transcript" "$tmp/sim.transcript"
