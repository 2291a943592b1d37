#!/bin/bash
# The main job on the bundled simulated host: the reference doc's V100
# (0000:41:00.0, IOMMU group 66). A domain asks for a "GRID V100-8C" vGPU in
# its metadata; gpuhook creates it at `prepare begin` and removes it at
# `release end`, exactly as libvirt would call it during `virsh start` and
# `virsh destroy`. Runs as root (private mount namespace); touches nothing
# outside a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh "${GPUHOOK_DEMO_BUILD:-build}" -Dtest_hooks=true

build=$PWD/${GPUHOOK_DEMO_BUILD:-build}
xml=$PWD/tools/demo/v100-vgpu.xml
tmp=$(mktemp -d /tmp/gpuhook-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sim() { "$build/sim/gpuhook-sim" --testbed "$tmp/host" --host "$PWD/tests/hosts/v100.umockdev" -- "$@"; }

parent=0000:41:00.0
uuid=bc127e23-aaaa-4d06-a7aa-88db2dd538e0
capacity() {
  local t
  for t in nvidia-299 nvidia-300 nvidia-301; do
    printf '    %-11s %-15s available_instances %s\n' "$t" \
      "$(cat "$tmp/host/sys/class/mdev_bus/$parent/mdev_supported_types/$t/name")" \
      "$(cat "$tmp/host/sys/class/mdev_bus/$parent/mdev_supported_types/$t/available_instances")"
  done
  if [ -e "$tmp/host/sys/bus/mdev/devices/$uuid" ]; then
    echo "    mdev $uuid: present ($(basename "$(readlink "$tmp/host/sys/bus/mdev/devices/$uuid/mdev_type")"), iommu group $(basename "$(readlink "$tmp/host/sys/bus/mdev/devices/$uuid/iommu_group")"))"
  else
    echo "    mdev $uuid: absent"
  fi
}

sim true
echo "== simulated host: NVIDIA V100 at $parent (what \`mdevctl types\` shows)"
sim mdevctl types | sed 's/^/    /'
echo
echo "== domain $xml asks for: $(grep -o '<gpuhook:mdev [^>]*>' "$xml")"
echo
echo "== before: $parent"
capacity
for step in "prepare begin" "start begin" "started begin" "stopped end" "release end"; do
  echo
  echo "== libvirt runs: gpuhook demo-vgpu $step -"
  sim "$build/hooks/gpuhook" demo-vgpu $step - < "$xml"
  capacity
  if [ "$step" = "prepare begin" ]; then
    echo "    ledger: $(grep -o '<mdev [^>]*>' "$tmp/host/run/gpuhook/domains/"*.xml)"
  fi
done
echo
if [ -e "$tmp/host/sys/bus/mdev/devices/$uuid" ]; then
  echo "demo: FAILED: the vGPU is still there after release" >&2
  exit 1
fi
echo "demo: vGPU created just in time at prepare and removed at release; capacity restored."
