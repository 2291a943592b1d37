#!/bin/bash
# Differential scenarios: raw writes to the kernel's sysfs ABI (driver
# binding, driver_override, SR-IOV, mdev create/remove) and what a user or
# libvirt can then observe (driver links, driver_override, IOMMU groups, the
# mdev files, available_instances, /dev/vfio nodes, the errno of each write),
# printed as a transcript, one observation per line:
#
#   KEY: VALUE
#
# Platform-neutral: it touches only /sys and /dev/vfio, so the same script
# runs in the real-kernel bed (tools/kernel-bed.sh, as root) and in
# gpuhook-sim with tests/hosts/kernel-bed.umockdev (the bed's topology).
# tests/differential/compare.sh compares the two transcripts; the recorded
# bed transcript is tests/differential/kernel-bed.transcript (regenerate it
# with `tests/differential/record-bed.sh`). Every scenario leaves the devices
# as it found them.
#
# Device names default to the bed's (tests/kernel/platform-bed.sh); the
# environment may override them.
set -u
GPU=${GPU:-0000:01:00.0} GPU_AUDIO=${GPU_AUDIO:-0000:01:00.1} GPU_USB=${GPU_USB:-0000:01:00.2}
BOOT_VGA=${BOOT_VGA:-0000:00:05.0} NOACS_VGA=${NOACS_VGA:-0000:03:01.0} NOACS_NVME=${NOACS_NVME:-0000:03:02.0}
NOACS_BRIDGE=${NOACS_BRIDGE:-0000:02:00.0} SRIOV_PF=${SRIOV_PF:-0000:04:00.0} MTTY=${MTTY:-mtty} MDPY=${MDPY:-mdpy}
NOSUCH=0000:99:1f.7
U1=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 U2=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
U3=83b8f4f2-509f-382f-3c1e-e6bfe0fa1003
P=/sys/bus/pci
section=

# sleep without an exec (each costs ~70 ms under TCG)
_fifo=/tmp/.d-sysfs-nap.$$
mkfifo "$_fifo" 2>/dev/null && exec 8<>"$_fifo" && rm -f "$_fifo"
nap() { read -r -t "$1" -u 8 _ || true; }

out() { echo "$section/$1: $2"; }
begin() { section=$1; }

# The errno name of a failed write, from the message bash prints (strerror).
errname() {
  case $1 in
    *"No such device or address"*) echo ENXIO ;;
    *"No such device"*) echo ENODEV ;;
    *"No such file or directory"*) echo ENOENT ;;
    *"Device or resource busy"*) echo EBUSY ;;
    *"Invalid argument"*) echo EINVAL ;;
    *"Numerical result out of range"*) echo ERANGE ;;
    *"File exists"*) echo EEXIST ;;
    *"No space left on device"*) echo ENOSPC ;;
    *"Too many users"*) echo EUSERS ;;
    *"Operation not permitted"*) echo EPERM ;;
    *"Permission denied"*) echo EACCES ;;
    *"Input/output error"*) echo EIO ;;
    *"Argument list too long"*) echo E2BIG ;;
    *"Resource temporarily unavailable"*) echo EAGAIN ;;
    *"Operation not supported"*) echo EOPNOTSUPP ;;
    *"Cannot allocate memory"*) echo ENOMEM ;;
    *) echo "other(${1##*: })" ;;
  esac
}
# put FILE TEXT: write TEXT (no newline) to FILE in one write(2) (dd: one
# block, read in full first); the message on failure. Not bash's builtin
# printf: its stdio splits long writes and loses the errno of the first, and
# gpuhook-sim's shim sees a program's write(2) calls, not bash's internal
# stdio (sim/README.md, "Kernel behaviour").
put() { printf '%s' "$2" | dd of="$1" bs=8192 count=1 iflag=fullblock status=none 2>&1; }
# w KEY FILE TEXT: put, and record OK or the errno name.
w() {
  local key=$1 file=$2 text=$3 err
  err=$(put "$file" "$text")
  if [ -z "$err" ]; then out "$key" OK; else out "$key" "$(errname "$err")"; fi
}

# --------------------------------------------------------- observations ---
drv() { local l; l=$(readlink "$P/devices/$1/driver" 2>/dev/null) && echo "${l##*/}" || echo none; }
ovr() { local v; v=$(cat "$P/devices/$1/driver_override" 2>/dev/null) || v=absent; echo "$v"; }
grp() { local l; l=$(readlink "$P/devices/$1/iommu_group" 2>/dev/null) && echo "${l##*/}" || echo none; }
members() { # GROUP: the member names, sorted
  local g=$1 m list=
  for m in /sys/kernel/iommu_groups/"$g"/devices/*; do [ -e "$m" ] && list="$list ${m##*/}"; done
  echo "${list# }"
}
node() { [ -e "/dev/vfio/$1" ] && echo present || echo absent; }
# the state of a PCI function: driver, driver_override, group, group node
pcistate() {
  local b=$1 g
  g=$(grp "$b")
  out "$2" "driver=$(drv "$b") override=$(ovr "$b") group-node=$(node "$g")"
}
# a file's contents (or "absent")
val() { local v; v=$(cat "$1" 2>/dev/null) || v=absent; echo "$v"; }
# the names in a directory, sorted, excluding the kernel's power/ and uevent
# bookkeeping that is not ABI for libvirt
names() {
  local f list=
  for f in "$1"/*; do [ -e "$f" ] || [ -L "$f" ] || continue; list="$list ${f##*/}"; done
  echo "${list# }"
}

# ------------------------------------------------------------- topology ---
begin topology
for b in $BOOT_VGA $GPU $GPU_AUDIO $GPU_USB $NOACS_BRIDGE $NOACS_VGA $NOACS_NVME $SRIOV_PF; do
  g=$(grp "$b")
  out "$b" "driver=$(drv "$b") override=$(ovr "$b") group-members=$(members "$g")"
done
out boot_vga "$(val $P/devices/$BOOT_VGA/boot_vga) $(val $P/devices/$GPU/boot_vga) $(val $P/devices/$NOACS_VGA/boot_vga)"
out vfio-pci-loaded "$( [ -d $P/drivers/vfio-pci ] && echo yes || echo no)"

# --------------------------------------------------------- bind/unbind ---
begin bind
a=$GPU_AUDIO
ad=$(drv "$a")
w bind-already-bound "$P/drivers/$ad/bind" "$a"
w bind-wrong-driver "$P/drivers/$(drv "$GPU_USB")/bind" "$a"
w bind-vfio-without-override "$P/drivers/vfio-pci/bind" "$a"
w unbind-not-bound-to-it "$P/drivers/$ad/unbind" "$GPU"
w unbind-no-such-device "$P/drivers/$ad/unbind" "$NOSUCH"
w bind-no-such-device "$P/drivers/$ad/bind" "$NOSUCH"
w probe-no-such-device "$P/drivers_probe" "$NOSUCH"
w probe-bound "$P/drivers_probe" "$a"
pcistate "$a" after-probe-bound
w unbind-trailing-newline "$P/drivers/$ad/unbind" "$a
"
pcistate "$a" after-unbind
w unbind-unbound "$P/drivers/$ad/unbind" "$a"
w bind-native "$P/drivers/$ad/bind" "$a"
pcistate "$a" after-bind-native
w unbind-via-device-link "$P/devices/$a/driver/unbind" "$a"
pcistate "$a" after-unbind-via-link
w probe-unbound "$P/drivers_probe" "$a"
pcistate "$a" after-probe

# ------------------------------------------------------ driver_override ---
begin override
a=$GPU_AUDIO
ad=$(drv "$a")
w 4096-bytes "$P/devices/$a/driver_override" "$(printf '%4096s' '' | tr ' ' a)"
w 4095-bytes "$P/devices/$a/driver_override" "$(printf '%4095s' '' | tr ' ' a)"
out after-long "$(ovr "$a")"
w 4094-bytes "$P/devices/$a/driver_override" "$(printf '%4094s' '' | tr ' ' a)"
out after-4094 "$(ovr "$a" | wc -c)"
w newline-clears "$P/devices/$a/driver_override" "
"
out after-newline "$(ovr "$a")"
w set-vfio "$P/devices/$a/driver_override" "vfio-pci"
out after-set "$(ovr "$a")"
pcistate "$a" set-does-not-rebind
w bind-native-over-override "$P/drivers/$ad/bind" "$a"
w unbind "$P/drivers/$ad/unbind" "$a"
w bind-native-mismatch "$P/drivers/$ad/bind" "$a"
pcistate "$a" after-mismatch
w probe "$P/drivers_probe" "$a"
pcistate "$a" on-vfio
w vfio-bind-again "$P/drivers/vfio-pci/bind" "$a"
w set-while-bound "$P/devices/$a/driver_override" "nosuchdrv"
pcistate "$a" on-vfio-override-changed
w unbind-vfio "$P/drivers/vfio-pci/unbind" "$a"
pcistate "$a" off-vfio
w probe-no-such-driver "$P/drivers_probe" "$a"
pcistate "$a" after-probe-no-such-driver
w set-empty "$P/devices/$a/driver_override" ""
out after-empty-write "$(ovr "$a")"
w set-with-newline "$P/devices/$a/driver_override" "vfio-pci
"
out after-with-newline "$(ovr "$a")"
w clear "$P/devices/$a/driver_override" "
"
w probe-native "$P/drivers_probe" "$a"
pcistate "$a" back

# ------------------------------------- vfio-pci on a group, on a bridge ---
begin vfio-group
# one function of the card on vfio-pci: the group node exists (viability is
# checked only when the group is opened)
g=$GPU
gd=$(drv "$g")
w set-vfio "$P/devices/$g/driver_override" vfio-pci
w unbind "$P/drivers/$gd/unbind" "$g"
w probe "$P/drivers_probe" "$g"
pcistate "$g" gpu
pcistate "$GPU_AUDIO" audio-untouched
w clear "$P/devices/$g/driver_override" "
"
w unbind-vfio "$P/drivers/vfio-pci/unbind" "$g"
pcistate "$g" gpu-off-vfio
w probe-native "$P/drivers_probe" "$g"
pcistate "$g" gpu-back
# the PCIe-to-PCI bridge: vfio-pci refuses a non-type-0 header
br=$NOACS_BRIDGE
w bridge-set-vfio "$P/devices/$br/driver_override" vfio-pci
w bridge-bind "$P/drivers/vfio-pci/bind" "$br"
w bridge-probe "$P/drivers_probe" "$br"
pcistate "$br" bridge
w bridge-clear "$P/devices/$br/driver_override" "
"
# the NVMe behind it, alone of its no-ACS group on vfio-pci
n=$NOACS_NVME
nd=$(drv "$n")
w nvme-set-vfio "$P/devices/$n/driver_override" vfio-pci
w nvme-unbind "$P/drivers/$nd/unbind" "$n"
w nvme-probe "$P/drivers_probe" "$n"
pcistate "$n" nvme
pcistate "$NOACS_VGA" noacs-vga-untouched
w nvme-clear "$P/devices/$n/driver_override" "
"
w nvme-unbind-vfio "$P/drivers/vfio-pci/unbind" "$n"
w nvme-probe-native "$P/drivers_probe" "$n"
pcistate "$n" nvme-back

# ---------------------------------------------------------------- SR-IOV ---
begin sriov
pf=$SRIOV_PF
pd=$(drv "$pf")
for f in sriov_totalvfs sriov_numvfs sriov_offset sriov_stride sriov_drivers_autoprobe; do
  out "$f" "$(val "$P/devices/$pf/$f")"
done
vfs() { # the VFs, by virtfnN link, with their state
  local l i=0 list=
  while [ -L "$P/devices/$pf/virtfn$i" ]; do
    l=$(readlink "$P/devices/$pf/virtfn$i"); list="$list ${l##*/}"; i=$((i + 1))
  done
  echo "${list# }"
}
vfstate() { # KEY: each VF's driver, override, group members, physfn
  local v l s=
  for v in $(vfs); do
    l=$(readlink "$P/devices/$v/physfn" 2>/dev/null)
    s="$s [$v driver=$(drv "$v") override=$(ovr "$v") group-members=$(members "$(grp "$v")") physfn=${l##*/} node=$(node "$(grp "$v")")]"
  done
  out "$1" "numvfs=$(val "$P/devices/$pf/sriov_numvfs") vfs=${s# }"
}
w numvfs-too-many "$P/devices/$pf/sriov_numvfs" 3
w numvfs-not-a-number "$P/devices/$pf/sriov_numvfs" abc
w numvfs-same-as-now "$P/devices/$pf/sriov_numvfs" 0
w autoprobe-not-a-bool "$P/devices/$pf/sriov_drivers_autoprobe" maybe
w autoprobe-off "$P/devices/$pf/sriov_drivers_autoprobe" 0
out autoprobe-after-off "$(val "$P/devices/$pf/sriov_drivers_autoprobe")"
w enable-2 "$P/devices/$pf/sriov_numvfs" 2
vfstate enabled-no-autoprobe
w enable-1-while-2 "$P/devices/$pf/sriov_numvfs" 1
w enable-2-again "$P/devices/$pf/sriov_numvfs" 2
# shellcheck disable=SC2046 # the names, split on purpose
set -- $(vfs)
vf0=${1:-none} vf1=${2:-none}
w vf0-set-vfio "$P/devices/$vf0/driver_override" vfio-pci
w vf0-probe "$P/drivers_probe" "$vf0"
w vf1-bind-native "$P/drivers/$pd/bind" "$vf1"
nap 2
vfstate vf0-on-vfio
# vfio-pci refuses a PF with VFs enabled (vfio_pci_core_register_device)
w pf-unbind "$P/drivers/$pd/unbind" "$pf"
vfstate pf-unbound
w pf-disable-no-driver "$P/devices/$pf/sriov_numvfs" 0
w pf-set-vfio "$P/devices/$pf/driver_override" vfio-pci
w pf-bind-vfio "$P/drivers/vfio-pci/bind" "$pf"
w pf-probe "$P/drivers_probe" "$pf"
pcistate "$pf" pf-vfio-refused
w pf-clear "$P/devices/$pf/driver_override" "
"
w pf-probe-native "$P/drivers_probe" "$pf"
pcistate "$pf" pf-native-again
w vf1-unbind "$P/drivers/$pd/unbind" "$vf1"
w disable-with-vf-on-vfio "$P/devices/$pf/sriov_numvfs" 0
vfstate after-disable-with-vf-on-vfio
# (where a platform refused: take the VF off vfio-pci and disable again;
# unrecorded, so the rest compares on equal terms)
if [ -e "$P/devices/$vf0" ]; then
  put "$P/devices/$vf0/driver_override" "
" >/dev/null
  put "$P/drivers/vfio-pci/unbind" "$vf0" >/dev/null
  put "$P/devices/$pf/sriov_numvfs" 0 >/dev/null
fi
vfstate disabled
out vf0-node-after-disable "$( [ -e "$P/devices/$vf0" ] && echo present || echo gone)"
# sriov_numvfs on a PF bound to vfio-pci (enable_sriov=0: vfio_pci_sriov_configure)
w pf-set-vfio-2 "$P/devices/$pf/driver_override" vfio-pci
w pf-unbind-2 "$P/drivers/$pd/unbind" "$pf"
w pf-probe-vfio "$P/drivers_probe" "$pf"
pcistate "$pf" pf-on-vfio
w enable-on-vfio "$P/devices/$pf/sriov_numvfs" 1
vfstate on-vfio
w pf-clear-2 "$P/devices/$pf/driver_override" "
"
w pf-unbind-vfio "$P/drivers/vfio-pci/unbind" "$pf"
w pf-probe-native-2 "$P/drivers_probe" "$pf"
pcistate "$pf" pf-back
# autoprobe on: the VFs' driver is probed when they are made
w autoprobe-on "$P/devices/$pf/sriov_drivers_autoprobe" 1
w enable-1-autoprobe "$P/devices/$pf/sriov_numvfs" 1
nap 3
vfstate enabled-autoprobe
w disable "$P/devices/$pf/sriov_numvfs" 0
vfstate end

# ------------------------------------------------------------------ mdev ---
begin mdev
T=/sys/class/mdev_bus/$MTTY/mdev_supported_types
M=/sys/bus/mdev/devices
avail() { out "avail-$1" "mtty-1=$(val "$T/mtty-1/available_instances") mtty-2=$(val "$T/mtty-2/available_instances")"; }
out parent-types "$(names "$T")"
for t in mtty-1 mtty-2; do
  out "$t-files" "$(names "$T/$t")"
  out "$t" "name=$(val "$T/$t/name") device_api=$(val "$T/$t/device_api") available=$(val "$T/$t/available_instances") devices=$(names "$T/$t/devices")"
done
w create-bad-uuid "$T/mtty-1/create" "not-a-uuid"
w create-1 "$T/mtty-1/create" "$U1"
avail after-create-1
out mdev-files "$(names "$M/$U1")"
out mdev-links "type=$(l=$(readlink "$M/$U1/mdev_type"); echo "${l##*/}") driver=$(l=$(readlink "$M/$U1/driver" 2>/dev/null); echo "${l##*/}") group=$( [ -L "$M/$U1/iommu_group" ] && echo yes || echo no) group-node=$(g=$(readlink "$M/$U1/iommu_group"); node "${g##*/}")"
out type-devices "$(names "$T/mtty-1/devices")"
w create-duplicate "$T/mtty-1/create" "$U1"
w create-duplicate-other-type "$T/mtty-2/create" "$U1"
w create-2 "$T/mtty-2/create" "$U2"
avail after-create-2
w remove-0 "$M/$U2/remove" 0
out after-remove-0 "$( [ -e "$M/$U2" ] && echo present || echo gone)"
w remove-bad "$M/$U2/remove" x
w unbind-vfio-mdev "/sys/bus/mdev/drivers/vfio_mdev/unbind" "$U2"
out after-unbind "driver=$(l=$(readlink "$M/$U2/driver" 2>/dev/null) && echo "${l##*/}" || echo none)"
avail after-unbind
w bind-vfio-mdev "/sys/bus/mdev/drivers/vfio_mdev/bind" "$U2"
out after-bind "driver=$(l=$(readlink "$M/$U2/driver" 2>/dev/null) && echo "${l##*/}" || echo none)"
w remove-2 "$M/$U2/remove" 1
out after-remove-2 "$( [ -e "$M/$U2" ] && echo present || echo gone)"
avail after-remove-2
# fill the ports: 23 left, mtty-2 takes 2 each
n=0 last=OK
while [ $n -lt 12 ]; do
  u=$(printf '83b8f4f2-509f-382f-3c1e-e6bfe0fa2%03d' "$n")
  err=$(put "$T/mtty-2/create" "$u")
  [ -n "$err" ] && { last=$(errname "$err"); break; }
  n=$((n + 1))
done
out fill-mtty-2 "created=$n then=$last"
avail full
w create-when-full "$T/mtty-2/create" "$U3"
w create-1-last-port "$T/mtty-1/create" "$U3"
avail last-port
w create-1-when-full "$T/mtty-1/create" 83b8f4f2-509f-382f-3c1e-e6bfe0fa1004
for u in $(names "$M"); do put "$M/$u/remove" 1 >/dev/null; done
avail all-removed
out mdevs-left "$(names "$M")"
# mdpy: one type per resolution, mdpy-hd has the most instances
D=/sys/class/mdev_bus/$MDPY/mdev_supported_types
out mdpy-types "$(names "$D")"
for t in $(names "$D"); do out "mdpy-$t" "available=$(val "$D/$t/available_instances") device_api=$(val "$D/$t/device_api")"; done
w mdpy-create "$D/mdpy-hd/create" "$U1"
for t in $(names "$D"); do out "mdpy-after-$t" "available=$(val "$D/$t/available_instances")"; done
w mdpy-remove "$M/$U1/remove" 1
out end "$(names "$M")"
