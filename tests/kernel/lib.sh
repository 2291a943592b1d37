# Helpers for the real-kernel scenarios (sourced by run.sh). A scenario is a
# function test_NAME in a t-*.sh file; it runs in a subshell and fails with
# `fail MESSAGE` (or any expect_* helper). Everything here reads and writes
# the platform's /sys and talks to its libvirtd with virsh, so the same
# scenario can run on any platform that names the devices (platform-*.sh).

export LIBVIRT_DEFAULT_URI=qemu:///system

fail() { echo "FAIL: $*"; exit 1; }
# sleep without an exec (each costs ~70 ms under TCG): read with a timeout
# on a FIFO nobody writes.
_nap_fifo=/tmp/.kernel-test-nap.$$
mkfifo "$_nap_fifo" 2>/dev/null && exec 8<>"$_nap_fifo" && rm -f "$_nap_fifo"
nap() { read -r -t "$1" -u 8 _ || true; }
note() { echo "  $*"; }

# ------------------------------------------------------------ sysfs facts ---
pci() { echo "/sys/bus/pci/devices/$1"; }
drv() { local l; l=$(readlink "$(pci "$1")/driver" 2>/dev/null) && basename "$l" || echo none; }
override() { cat "$(pci "$1")/driver_override"; }
group_of() { basename "$(readlink "$(pci "$1")/iommu_group")"; }
mdev_exists() { [ -e "/sys/bus/mdev/devices/$1" ]; }
mdev_type_of() { basename "$(readlink "/sys/bus/mdev/devices/$1/mdev_type")"; }
avail() { cat "/sys/class/mdev_bus/$1/mdev_supported_types/$2/available_instances"; }
mdev_count() { find /sys/bus/mdev/devices -mindepth 1 -maxdepth 1 | wc -l; }

expect_eq() { # WHAT GOT WANT
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
expect_drv() { # BDF DRIVER
  expect_eq "driver of $1" "$(drv "$1")" "$2"
}
expect_contains() { # WHAT TEXT NEEDLE
  case $2 in *"$3"*) ;; *) fail "$1 does not contain '$3'; it is: $2" ;; esac
}
expect_not_contains() {
  case $2 in *"$3"*) fail "$1 contains '$3'; it is: $2" ;; esac
}
expect_mdev() { mdev_exists "$1" || fail "mdev $1 does not exist"; }
expect_no_mdev() { mdev_exists "$1" && fail "mdev $1 still exists"; return 0; }

# Run and require success; the command's output is in $OUT.
ok() {
  OUT=$("$@" 2>&1) || fail "'$*' failed: $OUT"
}
# Run and require failure; the output is in $OUT.
fails() {
  if OUT=$("$@" 2>&1); then fail "'$*' succeeded, it should have failed: $OUT"; fi
  return 0
}

# Everything gpuhook or libvirt may change, one line per fact, sorted: each
# PCI function's driver and driver_override, each mdev and its type, each
# type's available_instances, the /dev/vfio nodes, gpuhook's ledgers, mdevctl
# definitions. Equal snapshots: the host is back where it was. (Few
# processes: under TCG every exec costs ~70 ms.)
snapshot() {
  local d
  {
    stat -c 'drv %N' /sys/bus/pci/devices/*/driver
    grep -H . /sys/bus/pci/devices/*/driver_override | sed 's/^/ovr /'
    stat -c 'mdev %N' /sys/bus/mdev/devices/*/mdev_type
    grep -H . /sys/class/mdev_bus/*/mdev_supported_types/*/available_instances | sed 's/^/avail /'
    for d in /sys/bus/pci/devices/*; do echo "dev $d"; done
    for d in /dev/vfio/*; do [ -e "$d" ] && echo "node $d"; done
    for d in /run/gpuhook/domains/*; do [ -e "$d" ] && echo "ledger ${d##*/}"; done
    for d in /etc/mdevctl.d/*/*; do [ -f "$d" ] && echo "defined ${d#/etc/mdevctl.d/}"; done
  } 2>/dev/null | awk '
    $1 == "dev" { n = split($2, a, "/"); b = a[n]; if (!(b in driver)) driver[b] = "none"; next }
    $1 == "drv" { gsub(/\047/, ""); n = split($2, a, "/"); m = split($4, c, "/"); driver[a[n-1]] = c[m]; next }
    $1 == "ovr" { sub(/^ovr \/sys\/bus\/pci\/devices\//, ""); split($0, a, "/driver_override:"); ovr[a[1]] = a[2]; next }
    $1 == "mdev" { gsub(/\047/, ""); n = split($2, a, "/"); m = split($4, c, "/"); print "mdev " a[n-1] " type=" c[m]; next }
    $1 == "avail" { sub(/^avail \/sys\/class\/mdev_bus\//, ""); sub(/\/available_instances:/, " available="); print "type " $0; next }
    { print }
    END { for (b in driver) print "pci " b " driver=" driver[b] " override=" ovr[b] }
  ' | sort
}
expect_restored() { # WHAT: the host is at the baseline snapshot
  local now diff
  now=$(snapshot)
  if [ "$now" != "$BASELINE" ]; then
    diff=$(diff <(echo "$BASELINE") <(echo "$now") | grep '^[<>]' | sed 's/^</  was:/; s/^>/  now:/')
    fail "${1:-the host} is not back where it was:
$diff"
  fi
}

# ---------------------------------------------------------------- domains ---
new_uuid() { cat /proc/sys/kernel/random/uuid; }

# <hostdev> for a PCI function: hd_pci BDF [managed=no]
hd_pci() {
  local b=$1 m=${2:-no}
  local dom=${b%%:*} rest=${b#*:}
  local bus=${rest%%:*} sf=${rest#*:}
  local slot=${sf%%.*} fn=${sf#*.}
  echo "<hostdev mode='subsystem' type='pci' managed='$m'><source><address domain='0x$dom' bus='0x$bus' slot='0x$slot' function='0x$fn'/></source><rom bar='off'/></hostdev>"
}
hd_mdev() { # UUID
  echo "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='$1'/></source></hostdev>"
}
meta_mdev() { # UUID TYPE [PARENT]
  echo "<gpuhook:mdev uuid='$1' type='$2'${3:+ parent='$3'}/>"
}
meta_pci() { # BDF ATTRS (e.g. "allow='yes'")
  echo "<gpuhook:pci address='$1' $2/>"
}

# dom_xml NAME UUID HOSTDEVS [METADATA]: a type='qemu' domain with no disk
# that sits in its firmware; only the hostdevs are of interest.
dom_xml() {
  local name=$1 uuid=$2 devs=$3 meta=${4:-}
  cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <metadata>
    <gpuhook:devices xmlns:gpuhook="urn:gpuhook:domain:1">$meta</gpuhook:devices>
  </metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
    $devs
  </devices>
</domain>
XML
}

# define NAME HOSTDEVS [METADATA]: define it (a fresh UUID); $DOM_UUID is set.
define() {
  local name=$1 f=/tmp/dom-$1.xml
  DOM_UUID=$(new_uuid)
  dom_xml "$name" "$DOM_UUID" "$2" "${3:-}" > "$f"
  ok virsh define "$f"
}
start_ok() { ok timeout 120 virsh start "$1"; }
start_fails() { fails timeout 120 virsh start "$1"; START_ERR=$OUT; note "virsh start $1: $(echo "$OUT" | tr -s '\n' ' ')"; }
destroy() { ok timeout 120 virsh destroy "$1"; }
dom_state() { timeout 60 virsh domstate "$1" 2>/dev/null | head -1; }
# What the guest sees: QEMU's `info pci`.
guest_pci() { timeout 60 virsh qemu-monitor-command "$1" --hmp info pci 2>&1; }
expect_in_guest() { # DOM VENDOR:DEVICE WHAT
  local v=${2%%:*} d=${2#*:} seen
  seen=$(guest_pci "$1")
  case $seen in *"PCI device $v:$d"*) ;; *) fail "the guest of $1 does not see $3 ($2); info pci: $(echo "$seen" | grep 'PCI device' | tr -s ' ' | tr '\n' ';')" ;; esac
}
expect_not_in_guest() {
  local v=${2%%:*} d=${2#*:} seen
  seen=$(guest_pci "$1")
  case $seen in *"PCI device $v:$d"*) fail "the guest of $1 sees $3 ($2)" ;; esac
  return 0
}
# PCI ids the guest shows for what it was given
ID_VGA=1234:1111 ID_HDA=8086:293e ID_XHCI=1b36:000d ID_NVME=1b36:0010 ID_MTTY=4348:3253 ID_MDPY=1b36:000f

# ------------------------------------------------------------------- reset ---
# Put the host back to BASELINE whatever a scenario left (so one failure does
# not cascade): no domains, no mdevs, every PCI function on its first driver.
reset_host() {
  local d n
  for n in $(timeout 60 virsh list --all --name 2>/dev/null); do
    timeout 60 virsh destroy "$n" >/dev/null 2>&1
    timeout 60 virsh undefine "$n" >/dev/null 2>&1
  done
  hook_restore
  [ -f /tmp/gpuhook.conf.orig ] && cp /tmp/gpuhook.conf.orig "$GPUHOOK_CONF"
  local now; now=$(snapshot)
  [ "$now" = "$BASELINE" ] && return 0
  for d in /sys/bus/mdev/devices/*; do
    [ -e "$d/remove" ] && timeout 20 sh -c "echo 1 > $d/remove" 2>/dev/null
  done
  for d in /etc/mdevctl.d/*/*; do
    [ -f "$d" ] && mdevctl undefine -u "${d##*/}" >/dev/null 2>&1
  done
  rm -rf /run/gpuhook/domains/* 2>/dev/null
  # Only the platform's test devices: never the bed's own (its 9p root).
  local b want wov cur
  echo "$BASELINE" | grep '^pci ' | while read -r _ b want wov; do
    case " $PLATFORM_PCI " in *" $b "*) ;; *) continue ;; esac
    want=${want#driver=} wov=${wov#override=}
    cur=$(drv "$b")
    [ "$(override "$b")" = "$wov" ] || echo "${wov/(null)/}" > "$(pci "$b")/driver_override" 2>/dev/null
    if [ "$cur" != "$want" ]; then
      [ "$cur" != none ] && timeout 20 sh -c "echo $b > $(pci "$b")/driver/unbind" 2>/dev/null
      [ "$want" != none ] && timeout 20 sh -c "echo $b > /sys/bus/pci/drivers/$want/bind" 2>/dev/null
    fi
  done
  true
}

# expect_home WHAT BDF...: each function on the driver and driver_override
# the host had in the first snapshot (BASELINE). Reads sysfs in the shell:
# no exec per function.
expect_home() {
  local what=$1 b l was now ovr
  shift
  for b in "$@"; do
    was=
    while read -r l; do
      case $l in "pci $b "*) was=${l#pci $b } ;; esac
    done <<< "$BASELINE"
    l=$(pci "$b")/driver
    if [ -L "$l" ]; then l=$(readlink "$l"); now="driver=${l##*/}"; else now="driver=none"; fi
    read -r ovr < "$(pci "$b")/driver_override"
    now="$now override=$ovr"
    [ "$now" = "$was" ] || fail "$what: $b is not back where the host had it: was '$was', now '$now'"
  done
}

# The hook libvirt runs, replaced by a wrapper that sets gpuhook's test
# variables (libvirt gives hooks a scrubbed environment): hook_env 'VAR=val ...' [OP]
# sets them only for OP (prepare, release, ...). hook_restore puts the
# platform's symlink back; hook_remove takes the hook away (control tests).
hook_env() {
  local vars=$1 op=${2:-}
  rm -f "$HOOK_LINK"
  {
    echo '#!/bin/sh'
    if [ -n "$op" ]; then
      echo "[ \"\$2\" = $op ] && export $vars"
    else
      echo "export $vars"
    fi
    echo "exec $HOOK_TARGET \"\$@\""
  } > "$HOOK_LINK"
  chmod 755 "$HOOK_LINK"
}
hook_restore() {
  rm -f "$HOOK_LINK"
  ln -s "$HOOK_TARGET" "$HOOK_LINK"
}
hook_remove() {
  rm -f "$HOOK_LINK"
}

# Every platform sets HOOK_LINK (the hook in libvirt's qemu.d) and HOOK_TARGET
# (what it runs) in platform_setup.

# Stop the libvirtd a platform started, by pid (from its pid file: a
# scenario may have restarted it).
platform_stop_libvirtd() {
  local pid
  pid=$(cat /run/libvirtd.pid 2>/dev/null)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; nap 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f /run/libvirtd.pid
  return 0
}
