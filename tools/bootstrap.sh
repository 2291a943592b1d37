#!/bin/bash
# Install what gpuhook needs on Debian 12 (only what is missing) and build it.
# Usage: tools/bootstrap.sh [BUILD_DIR [meson setup options...]]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # build
  gcc meson ninja-build pkg-config libxml2-dev libudev-dev libvirt-dev libjson-c-dev
  # tests and the simulated host
  libcunit1-dev umockdev libumockdev-dev mdevctl util-linux
  # tools/check-hostfiles.py: the host files against pci.ids (tests/hosts/)
  python3 pci.ids
  # real libvirt for the end-to-end tests and templates
  libvirt-daemon-system libvirt-clients qemu-system-x86 libxml2-utils
  # real clients in the real-kernel suite (virt-install, virt-xml)
  virtinst
  # qemu-system-s390x: libvirt validates the s390x domains (vfio-ccw, vfio-ap)
  # of tests/cli/test-cli-define.c against it
  qemu-system-misc
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: error: missing packages: ${missing[*]}; run as root (sudo) so apt-get can install them" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${1:-build}
shift || true
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$@" >/dev/null
elif [ $# -gt 0 ]; then
  # An existing build dir takes the options asked for now (e.g. -Dtest_hooks=true).
  meson configure "$build" "$@" >/dev/null
fi
meson compile -C "$build" >/dev/null
echo "bootstrap: built gpuhook in $build"
