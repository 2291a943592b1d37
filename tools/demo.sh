#!/bin/bash
# The main job on the bundled simulated hosts, exactly as libvirt calls the
# hook during `virsh start` and `virsh destroy`:
#  1. vGPU: the reference doc's V100 (0000:41:00.0, IOMMU group 66). A domain
#     asks for a "GRID V100-8C" vGPU in its metadata; gpuhook creates it at
#     `prepare begin` and removes it at `release end`.
#  2. GPU passthrough: a desktop's RTX 2080 Ti (01:00.0, four functions in one
#     IOMMU group); the domain names one function, gpuhook moves the whole
#     group to vfio-pci and gives every function back to its driver.
#  3. A refusal: a domain naming the iGPU that drives the host's console.
# Runs as root (private mount namespaces); touches nothing outside a
# temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
# --build DIR: an existing test build to use as it is (the meson test `demo`
# runs the demo on the build under test, without set-up).
if [ "${1:-}" = --build ] && [ -n "${2:-}" ]; then
  build=$(cd "$2" && pwd)
else
  tools/bootstrap.sh "${GPUHOOK_DEMO_BUILD:-build}" -Dtest_hooks=true
  build=$PWD/${GPUHOOK_DEMO_BUILD:-build}
fi
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

# 2. Whole-group passthrough on the desktop host.
desk() { "$build/sim/gpuhook-sim" --testbed "$tmp/desk" --host "$PWD/tests/hosts/desktop-rtx.umockdev" -- "$@"; }
card=(0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3)
drivers() {
  local f d
  for f in "${card[@]}"; do
    d=$(readlink "$tmp/desk/sys/bus/pci/devices/$f/driver" 2>/dev/null) || d=none
    printf '    %s %-7s driver %s\n' "$f" "$(cut -c3-6 "$tmp/desk/sys/bus/pci/devices/$f/class")" "${d##*/}"
  done
}
desk true
before=$(drivers)
echo
echo "== simulated desktop: RTX 2080 Ti at 0000:01:00.0, IOMMU group $(basename "$(readlink "$tmp/desk/sys/bus/pci/devices/0000:01:00.0/iommu_group")"); the domain names only its VGA function"
echo "== before:"
echo "$before"
for step in "prepare begin" "release end"; do
  echo
  echo "== libvirt runs: gpuhook demo-gaming $step -"
  desk "$build/hooks/gpuhook" demo-gaming $step - < "$PWD/tools/demo/rtx-passthrough.xml"
  drivers
done
if [ "$(drivers)" != "$before" ]; then
  echo "demo: FAILED: the card's functions are not back on their drivers after release" >&2
  exit 1
fi
echo
echo "demo: the whole IOMMU group moved to vfio-pci at prepare and every function given back at release."

# 3. A refusal, as `virsh start` would show it.
echo
echo "== libvirt runs: gpuhook demo-console prepare begin - (the iGPU drives the host's console)"
if desk "$build/hooks/gpuhook" demo-console prepare begin - < "$PWD/tools/demo/boot-vga.xml" 2>"$tmp/refusal"; then
  echo "demo: FAILED: the boot VGA device was not refused" >&2
  exit 1
fi
sed 's/^/    virsh start says: /' "$tmp/refusal"
d=$(readlink "$tmp/desk/sys/bus/pci/devices/0000:00:02.0/driver")
[ "${d##*/}" = i915 ] || { echo "demo: FAILED: the console's iGPU lost its driver" >&2; exit 1; }
echo "    0000:00:02.0 driver ${d##*/} (untouched)"
echo
echo "demo: done."
