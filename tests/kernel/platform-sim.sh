# gpuhook-sim as a platform for the scenario scripts (sourced by run.sh:
# `tests/kernel/run.sh --platform sim [--build DIR] [PATTERN...]`, as root):
# the host file tests/hosts/kernel-bed.umockdev (the bed's topology, recorded
# inside it), the same device names as platform-bed.sh, and a private
# libvirtd inside the simulated host as tests/e2e/with-libvirtd.sh runs it.
#
# Sourcing this re-executes run.sh inside a private mount namespace and a
# fresh testbed (so the scenarios' /sys and /dev/vfio are the simulated
# host's); nothing of the machine's /etc, /run or sysfs is touched.
#
# Only scenarios that need no running guest make sense here: QEMU runs
# outside the simulated host and cannot use a simulated device (see
# tests/e2e/test-e2e-libvirt.c), so platform_skip names the others.

PLATFORM=sim
if [ -z "${GPUHOOK_SIM_DIR:-}" ] && [ "${list:-0}" -ne 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "platform-sim: run as root (private mount namespace, libvirtd)" >&2; exit 2; }
  [ -x "$build/sim/gpuhook-sim" ] || { echo "platform-sim: no $build/sim/gpuhook-sim (build with -Dtest_hooks=true)" >&2; exit 2; }
  SIM_TMP=$(mktemp -d /tmp/kernel-sim.XXXXXX)
  export SIM_TMP SIM_BUILD=$build
  exec unshare --mount --propagation private "$build/sim/gpuhook-sim" --testbed "$SIM_TMP/tb" \
    --host "$root/tests/hosts/kernel-bed.umockdev" -- bash "$here/run.sh" "${RUN_ARGS[@]}"
fi

# The topology of tests/hosts/kernel-bed.umockdev (= tools/kernel-bed.sh).
BOOT_VGA=0000:00:05.0
GPU=0000:01:00.0
GPU_AUDIO=0000:01:00.1
GPU_USB=0000:01:00.2
NOACS_VGA=0000:03:01.0
NOACS_NVME=0000:03:02.0
NOACS_BRIDGE=0000:02:00.0
PLATFORM_PCI="$BOOT_VGA $GPU $GPU_AUDIO $GPU_USB $NOACS_VGA $NOACS_NVME"
MTTY=mtty MDPY=mdpy MBOCHS=mbochs   # (no mbochs in the host file)

HOOK_LINK=/etc/libvirt/hooks/qemu.d/50-gpuhook

platform_describe() {
  echo "gpuhook-sim $GPUHOOK_SIM_DIR, host tests/hosts/kernel-bed.umockdev (the bed's topology)"
}

# Scenarios that need a guest QEMU can run print why they are skipped.
platform_skip() {
  [ -n "${KERNEL_TEST_SIM_ALL:-}" ] && return 1   # to try them all
  case $1 in
    # (each of these passed here; KERNEL_TEST_SIM_ALL=1 tries the rest)
    differential_*|list_shows_groups_and_drivers|unknown_mdev_explained|boot_vga_refused) return 1 ;;
    check_sees_iommu_and_vfio) echo "gpuhookctl check reads the machine's /proc/interrupts and CPU"; return 0 ;;
  esac
  echo "needs a running guest (QEMU cannot use a simulated device) or the bed's real processes"
}

platform_setup() {
  local build=$1 tb=$GPUHOOK_SIM_DIR work=$SIM_TMP/work
  mkdir -p "$work"/{lib,log,cache}
  cp -a /etc/libvirt "$work/etc-libvirt"
  rm -rf "$work/etc-libvirt/qemu/networks/autostart" "$work/etc-libvirt/hooks"
  mkdir -p "$work/etc-libvirt/hooks/qemu.d"
  # The hook, inside the simulated host like everything else.
  HOOK_TARGET=$work/gpuhook-hook
  printf '#!/bin/sh\nexec %q --testbed %q -- %q "$@"\n' "$build/sim/gpuhook-sim" "$tb" "$build/hooks/gpuhook" > "$HOOK_TARGET"
  chmod 755 "$HOOK_TARGET"
  mount -t tmpfs tmpfs /run || return 1
  mkdir -p /run/libvirt /run/lock /run/gpuhook
  # lib.sh's snapshot reads the ledgers at /run/gpuhook.
  mount --bind "$tb/run/gpuhook" /run/gpuhook || return 1
  mount --bind "$work/etc-libvirt" /etc/libvirt || return 1
  mount --bind "$work/lib" /var/lib/libvirt || return 1
  mount --bind "$work/log" /var/log/libvirt || return 1
  mount --bind "$work/cache" /var/cache/libvirt || return 1
  mkdir -p /var/lib/libvirt/qemu /var/lib/libvirt/images /var/log/libvirt/qemu
  hook_restore
  GPUHOOK_CONF=$GPUHOOK_CONFIG
  [ -f "$GPUHOOK_CONF" ] || cp "$root/conf/gpuhook.conf" "$GPUHOOK_CONF"
  cp "$GPUHOOK_CONF" /tmp/gpuhook.conf.orig
  export PATH=$build/cli:$PATH
  # libvirtd puts each QEMU into a cgroup and pins it to the online CPUs:
  # the machine's, as in with-libvirtd.sh.
  local real
  for real in /sys/fs/cgroup /sys/devices/system/cpu; do
    if [ ! -e "$tb$real" ] && [ -d "$real" ]; then
      mkdir -p "$(dirname "$tb$real")"
      ln -s "$real" "$tb$real"
    fi
  done
  platform_start_daemons
}

platform_start_daemons() {
  rm -f /run/virtlogd.pid /run/libvirtd.pid
  virtlogd -d -p /run/virtlogd.pid || return 1
  local i
  for i in $(seq 100); do [ -s /run/virtlogd.pid ] && break; sleep 0.05; done
  platform_start_libvirtd
}
platform_start_libvirtd() {
  # the real uevent socket keeps libvirtd's event loop working (with-libvirtd.sh)
  GPUHOOK_SIM_HOST_NETLINK=1 libvirtd -d -p /run/libvirtd.pid >>/var/log/libvirt/libvirtd.out 2>&1 || return 1
  local i
  for i in $(seq 300); do
    [ -S /run/libvirt/libvirt-sock ] && [ -s /run/libvirtd.pid ] && virsh -q version >/dev/null 2>&1 && return 0
    nap 0.1
  done
  echo "platform: libvirtd did not start" >&2
  return 1
}
# platform_stop_libvirtd: lib.sh.
platform_restart_libvirtd() {
  platform_stop_libvirtd
  platform_start_libvirtd
}
platform_teardown() {
  platform_stop_libvirtd
  local pid
  for pid in $(cat /run/virtlogd.pid 2>/dev/null); do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$SIM_TMP"
}

# hook_env, hook_restore, hook_remove: lib.sh.
