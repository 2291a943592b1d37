#!/bin/bash
# Run a command next to a private libvirtd whose QEMU hook is the built
# gpuhook running inside a simulated host.
#
#   with-libvirtd.sh BUILD_ROOT TESTBED HOSTFILE -- CMD ARGS...
#
# libvirtd itself runs inside the simulated host (gpuhook-sim), like the hook.
# Everything happens in a private mount namespace: fresh tmpfs over /run and
# fresh directories over /etc/libvirt (a copy, with the hook installed into
# hooks/qemu.d and no autostarted networks), /var/lib/libvirt,
# /var/log/libvirt and /var/cache/libvirt. The machine's real libvirt state
# is never touched; the daemons started here are stopped by their pids.
set -euo pipefail

if [ "${1:-}" != --inside ]; then
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
build=$1 testbed=$2 hostfile=$3
shift 3
[ "$1" = -- ] && shift

work=$(mktemp -d /tmp/gpuhook-e2e.XXXXXX)
mkdir -p "$work"/{etc,lib,log,cache}
cp -a /etc/libvirt "$work/etc/libvirt"
rm -rf "$work/etc/libvirt/qemu/networks/autostart" "$work/etc/libvirt/hooks"
mkdir -p "$work/etc/libvirt/hooks/qemu.d"
# libvirt replaces the hook's environment (only PATH, LD_PRELOAD & co pass),
# so the wrapper names the testbed itself, and carries the sanitizer options
# of a sanitizer build's test run.
cat > "$work/etc/libvirt/hooks/qemu.d/50-gpuhook" <<HOOK
#!/bin/sh
${ASAN_OPTIONS:+export ASAN_OPTIONS='$ASAN_OPTIONS'}
${UBSAN_OPTIONS:+export UBSAN_OPTIONS='$UBSAN_OPTIONS'}
exec "$build/sim/gpuhook-sim" --testbed "$testbed" --host "$hostfile" -- "$build/hooks/gpuhook" "\$@"
HOOK
chmod 755 "$work/etc/libvirt/hooks/qemu.d/50-gpuhook"

mount -t tmpfs tmpfs /run
mkdir -p /run/libvirt /run/lock
mount --bind "$work/etc/libvirt" /etc/libvirt
mount --bind "$work/lib" /var/lib/libvirt
mount --bind "$work/log" /var/log/libvirt
mount --bind "$work/cache" /var/cache/libvirt
mkdir -p /var/lib/libvirt/qemu /var/lib/libvirt/images

pids=()
stop_daemons() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop_daemons EXIT

virtlogd -d -p /run/virtlogd.pid
for _ in $(seq 100); do [ -s /run/virtlogd.pid ] && break; sleep 0.05; done
pids+=("$(cat /run/virtlogd.pid)")
# The testbed (made here if the caller has not), with the machine's real
# cgroup tree and CPUs visible at its /sys/fs/cgroup and
# /sys/devices/system/cpu: umockdev redirects all of /sys, and libvirtd puts
# each QEMU into a cgroup and pins it to the online CPUs.
"$build/sim/gpuhook-sim" --testbed "$testbed" --host "$hostfile" -- true
for real in /sys/fs/cgroup /sys/devices/system/cpu; do
  if [ ! -e "$testbed$real" ] && [ -d "$real" ]; then
    mkdir -p "$(dirname "$testbed$real")"
    ln -s "$real" "$testbed$real"
  fi
done
# libvirtd runs inside the simulated host too, so that it sees the simulated
# PCI devices (config space, IOMMU groups, drivers) and its own
# driver_override/unbind/drivers_probe writes get the kernel's effects; the
# real uevent netlink socket keeps its event loop working (umockdev's
# stand-in cannot be connected by libnl). Its children (QEMU, dmidecode) do
# not get UMOCKDEV_DIR, so they see the real machine.
# Not daemonized: gpuhook-sim execs libvirtd, so $! is its pid even if it
# never gets as far as writing its pid file.
GPUHOOK_SIM_HOST_NETLINK=1 "$build/sim/gpuhook-sim" --testbed "$testbed" --host "$hostfile" -- \
  libvirtd -p /run/libvirtd.pid </dev/null >>"$work/log/libvirtd.out" 2>&1 &
pids+=("$!")
for _ in $(seq 200); do [ -S /run/libvirt/libvirt-sock ] && [ -s /run/libvirtd.pid ] && break; sleep 0.05; done
[ -S /run/libvirt/libvirt-sock ] || { echo "with-libvirtd: error: libvirtd did not start; see $work/log" >&2; exit 1; }

export LIBVIRT_DEFAULT_URI=qemu:///system
set +e
"$@"
status=$?
set -e
exit $status
