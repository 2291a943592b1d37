#!/bin/bash
# Record the real kernel's transcript of the differential scenarios
# (tests/differential/d-sysfs.sh) in the bed, as root:
#
#   tests/differential/record-bed.sh            # rewrites kernel-bed.transcript
#   tests/differential/record-bed.sh --check    # compares instead (tools/kernel-test.sh)
#
# It boots tools/kernel-bed.sh, loads the drivers the bed's devices use (no
# udev inside) and runs the scenarios; the transcript comes out on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
golden=$here/kernel-bed.transcript

if [ "${1:-}" = --inside ]; then
  for m in bochs snd_hda_intel xhci_pci nvme vfio-pci mdev mtty mdpy mbochs; do
    modprobe "$m" || { echo "record-bed: modprobe $m failed" >&2; exit 1; }
  done
  exec bash "$here/d-sysfs.sh"
fi

out=$(mktemp /tmp/d-sysfs-bed.XXXXXX)
trap 'rm -f "$out"' EXIT
"$root/tools/kernel-bed.sh" -- "$here/record-bed.sh" --inside > "$out" || { echo "record-bed: the bed run failed" >&2; exit 1; }
if [ "${1:-}" = --check ]; then
  exec "$here/compare.sh" "$golden" "$out"
fi
cp "$out" "$golden"
echo "record-bed: $(wc -l < "$golden") observations in $golden"
