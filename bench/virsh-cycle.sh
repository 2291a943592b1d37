#!/bin/bash
# Time added to a real `virsh start` + `virsh destroy` cycle by the hook.
#
#   bench/virsh-cycle.sh BUILD_DIR BENCH_BIN_DIR [CYCLES_PER_BLOCK] [BLOCKS]
#
# A private libvirtd (modelled on tests/e2e/with-libvirtd.sh: private mount
# namespace, fresh tmpfs over /run, copies/temp dirs over /etc/libvirt,
# /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt; its own virtlogd
# and libvirtd, stopped by their pids) runs a small KVM domain without
# hostdev (64 MiB, no disk: it sits in the firmware). Variants of the QEMU
# hook directory:
#   none             no hook at all (hooks/ empty when the daemon reads it)
#   gpuhook          hooks/qemu.d/50-gpuhook -> BUILD_DIR/hooks/gpuhook, the
#                    installed shape (a symlink, run directly by libvirt)
#   bash-dispatcher  hooks/qemu = bench/dispatcher.sh (VFIO-Tools style)
# libvirt caches whether hooks exist when the daemon starts and re-scans on
# SIGHUP, so each block switches the variant, sends SIGHUP, waits for the
# reload, then times CYCLES_PER_BLOCK cycles (after one untimed warm-up);
# blocks rotate the variants, BLOCKS times. Before timing, a marker hook
# checks that all five hook calls happen after such a switch, and that none
# happen once the hooks are gone again.
#
# Nothing outside the namespace is touched: the machine's /etc/libvirt,
# /run/libvirt and daemons are never used.
set -euo pipefail

if [ "${1:-}" != --inside ]; then
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) bin=$(cd "$2" && pwd) per_block=${3:-10} blocks=${4:-5}

work=$(mktemp -d /tmp/gpuhook-bench-virsh.XXXXXX)
mkdir -p "$work"/{etc,lib,log,cache}
cp -a /etc/libvirt "$work/etc/libvirt"
rm -rf "$work/etc/libvirt/qemu/networks/autostart" "$work/etc/libvirt/hooks"
hooks=$work/etc/libvirt/hooks
mkdir -p "$hooks/qemu.d"

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
libvirtd -d -p /run/libvirtd.pid
for _ in $(seq 200); do [ -S /run/libvirt/libvirt-sock ] && [ -s /run/libvirtd.pid ] && break; sleep 0.05; done
libvirtd_pid=$(cat /run/libvirtd.pid)
pids+=("$libvirtd_pid")
[ -S /run/libvirt/libvirt-sock ] || { echo "virsh-cycle: error: libvirtd did not start; see $work/log" >&2; exit 1; }
export LIBVIRT_DEFAULT_URI=qemu:///system

cat > "$work/plain.xml" <<'XML'
<domain type='kvm'>
  <name>bench-plain</name>
  <uuid>0b5e1c4a-6c61-4b8e-9f0d-2b7a3c9d1e01</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga'/></video>
  </devices>
</domain>
XML
virsh -q define "$work/plain.xml" >/dev/null

# Reload: libvirtd re-scans the hook directory on SIGHUP. Wait until it
# answers again, plus a little for the reload thread to finish.
reload() {
  kill -HUP "$libvirtd_pid"
  sleep 1
  for _ in $(seq 100); do virsh -q list >/dev/null 2>&1 && break; sleep 0.05; done
}
set_variant() {
  rm -rf "$hooks/qemu" "$hooks/qemu.d"
  mkdir -p "$hooks/qemu.d"
  case $1 in
    none) ;;
    gpuhook) ln -s "$build/hooks/gpuhook" "$hooks/qemu.d/50-gpuhook" ;;
    bash-dispatcher) install -m 755 "$here/dispatcher.sh" "$hooks/qemu" ;;
    marker) printf '#!/bin/sh\necho "$2 $3" >> /run/hook-marker\n' > "$hooks/qemu.d/00-marker"
            chmod 755 "$hooks/qemu.d/00-marker" ;;
  esac
  reload
}
cycle="virsh -q start bench-plain >/dev/null && virsh -q destroy bench-plain >/dev/null"

# Check the switching: hooks appear after SIGHUP, and go away again.
set_variant marker
sh -c "$cycle"
calls=$(tr '\n' ',' < /run/hook-marker)
[ "$calls" = "prepare begin,start begin,started begin,stopped end,release end," ] || {
  echo "virsh-cycle: error: after SIGHUP the hooks ran as '$calls', not the five calls of a cycle" >&2; exit 1; }
set_variant none
sh -c "$cycle"
[ "$(wc -l < /run/hook-marker)" -eq 5 ] || { echo "virsh-cycle: error: hooks still ran after they were removed" >&2; exit 1; }

raw=$work/raw.txt
variants=(none gpuhook bash-dispatcher)
for b in $(seq 0 $((blocks - 1))); do
  for k in 0 1 2; do
    v=${variants[$(((b + k) % 3))]}
    set_variant "$v"
    "$bin/cmdbench" -n "$per_block" -w 1 -o "$raw" "$v" "$cycle" >/dev/null
  done
done
# Report in a fixed order: none first (the baseline).
for v in "${variants[@]}"; do grep "^$v " "$raw"; done > "$raw.sorted"
"$bin/cmdbench" -l "virsh start + destroy ($blocks blocks x $per_block cycles)" -s "$raw.sorted"
