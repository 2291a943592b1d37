# The real-kernel bed as a platform for the scenario scripts (sourced by
# run.sh inside the guest tools/kernel-bed.sh boots). A platform names the
# devices the scenarios use and provides setup/teardown; another platform
# (gpuhook-sim with a host file of the same topology) provides the same names.
#
# The guest root is a throwaway overlay, so gpuhook is installed into it the
# way the package installs it (`meson install`: the hook as
# /etc/libvirt/hooks/qemu.d/50-gpuhook, the mdevctl callout, gpuhookctl,
# gpuhook.conf) and libvirt's state directories are fresh tmpfs mounts.

PLATFORM=bed

# The topology tools/kernel-bed.sh builds.
BOOT_VGA=0000:00:05.0      # bochs-drm, boot_vga=1, group of its own
GPU=0000:01:00.0           # VGA (bochs-drm)      \
GPU_AUDIO=0000:01:00.1     # HDA (snd_hda_intel)   } one card, one group
GPU_USB=0000:01:00.2       # xHCI (xhci_hcd)      /
NOACS_VGA=0000:03:01.0     # VGA (bochs-drm)  \ behind a PCIe-to-PCI bridge,
NOACS_NVME=0000:03:02.0    # NVMe (nvme)      / one group, no ACS
NOACS_BRIDGE=0000:02:00.0
# The devices scenarios may change (reset_host puts only these back).
PLATFORM_PCI="$BOOT_VGA $GPU $GPU_AUDIO $GPU_USB $NOACS_VGA $NOACS_NVME"
# mdev parents (the kernel's samples)
MTTY=mtty MDPY=mdpy MBOCHS=mbochs

HOOK_LINK=/etc/libvirt/hooks/qemu.d/50-gpuhook

platform_describe() {
  echo "Linux $(uname -r) $(uname -v)"
}

platform_setup() {
  local build=$1
  # Host drivers for the emulated devices, vfio, and the mdev samples (no
  # udev in the guest, so nothing is loaded by itself).
  local m
  for m in bochs snd_hda_intel xhci_pci nvme vfio-pci mdev mtty mdpy mbochs; do
    modprobe "$m" || { echo "platform: modprobe $m failed" >&2; return 1; }
  done

  # Fresh libvirt state; the host's domains, networks and hooks stay unseen.
  local d
  for d in /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt/qemu /etc/libvirt/hooks; do
    mkdir -p "$d" && mount -t tmpfs -o mode=755 tmpfs "$d" || return 1
  done
  mkdir -p /var/lib/libvirt/qemu /var/lib/libvirt/images /var/log/libvirt/qemu /run/libvirt /run/lock
  chown libvirt-qemu:kvm /var/lib/libvirt/qemu 2>/dev/null || true
  # Any mdevctl definitions the host has are not the guest's.
  if [ -d /etc/mdevctl.d ]; then
    find /etc/mdevctl.d -mindepth 1 -maxdepth 1 ! -name scripts.d -exec rm -rf {} +
  fi

  # gpuhook, installed as the package installs it.
  meson install -C "$build" --no-rebuild --quiet >/tmp/gpuhook-install.log 2>&1 ||
    { cat /tmp/gpuhook-install.log >&2; return 1; }
  [ -x "$HOOK_LINK" ] || { echo "platform: meson install made no $HOOK_LINK" >&2; return 1; }
  HOOK_TARGET=$(readlink -f "$HOOK_LINK")
  HOOK_DIR=$(dirname "$HOOK_TARGET")
  GPUHOOK_CONF=$(meson introspect "$build" --installed |
    python3 -c 'import json,sys; print(next(v for v in json.load(sys.stdin).values() if v.endswith("/gpuhook.conf")))')
  cp "$GPUHOOK_CONF" /tmp/gpuhook.conf.orig 2>/dev/null || true
  # Fault points work in a build with the test hooks (or one from before the
  # option existed).
  FAULT_POINTS=$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("yes" if o.get("test_hooks", True) else "no: the build has -Dtest_hooks=false")')

  # libvirtd's warnings and errors in a file the runner shows on a hang.
  echo 'log_outputs="3:file:/var/log/libvirt/libvirtd.log"' >> /etc/libvirt/libvirtd.conf

  platform_start_daemons
}

platform_start_daemons() {
  rm -f /run/virtlogd.pid /run/libvirtd.pid
  virtlogd -d -p /run/virtlogd.pid || return 1
  local i
  for i in $(seq 100); do [ -s /run/virtlogd.pid ] && break; sleep 0.1; done
  VIRTLOGD_PID=$(cat /run/virtlogd.pid)
  libvirtd -d -p /run/libvirtd.pid || return 1
  for i in $(seq 300); do
    [ -S /run/libvirt/libvirt-sock ] && [ -s /run/libvirtd.pid ] && virsh -q version >/dev/null 2>&1 && break
    sleep 0.1
  done
  LIBVIRTD_PID=$(cat /run/libvirtd.pid)
  virsh -q version >/dev/null 2>&1 || { echo "platform: libvirtd did not start" >&2; return 1; }
}

# platform_stop_libvirtd: lib.sh.
# A fresh libvirtd (its in-memory PCI device lists start empty, as after a
# host boot); the running VMs are kept.
platform_restart_libvirtd() {
  platform_stop_libvirtd
  libvirtd -d -p /run/libvirtd.pid || return 1
  local i
  for i in $(seq 300); do
    [ -s /run/libvirtd.pid ] && virsh -q version >/dev/null 2>&1 && return 0
    nap 0.1
  done
  return 1
}
platform_teardown() {
  platform_stop_libvirtd
  local pid
  for pid in $(cat /run/virtlogd.pid 2>/dev/null); do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

# hook_env, hook_restore, hook_remove: lib.sh (on HOOK_LINK and HOOK_TARGET).

# udev for the scenarios that need its events: libvirt's node-device driver
# learns of new and removed devices (mdevs) only from udev's netlink
# broadcasts, which the bed has no udevd to send. Started on demand, stopped
# by pid.
platform_udev_start() {
  local d
  for d in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do
    [ -x "$d" ] && break
  done
  [ -x "$d" ] || { echo "platform: no systemd-udevd" >&2; return 1; }
  "$d" >/dev/null 2>&1 &
  UDEVD_PID=$!
  local i
  for i in $(seq 50); do
    [ -S /run/udev/control ] && return 0
    kill -0 "$UDEVD_PID" 2>/dev/null || return 1
    nap 0.1
  done
  return 1
}
platform_udev_stop() {
  [ -n "${UDEVD_PID:-}" ] || return 0
  kill "$UDEVD_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$UDEVD_PID" 2>/dev/null || break; nap 0.1; done
  kill -9 "$UDEVD_PID" 2>/dev/null
  UDEVD_PID=
  return 0
}
