#!/bin/bash
# Run a command inside Debian 12's own kernel, booted under QEMU, with real
# vfio, an emulated IOMMU and real mdev parents (the kernel's mtty, mdpy and
# mbochs samples):
#
#   tools/kernel-bed.sh [--rebuild] [--console] [--timeout SECS] -- CMD ARGS...
#
# The guest's root is this machine's / shared read-only over virtio-9p with a
# tmpfs overlay on top (so the project tree is at the same path, writable, and
# every change is thrown away), the unpacked kernel's modules bound over
# /lib/modules. CMD runs as root from the current directory; its stdout and
# stderr come out here and its exit status is this script's.
#
# PCI topology (see docs in tests/kernel/README.md):
#   00:05.0              boot VGA (bochs-drm, boot_vga=1)
#   root port 00:06.0 -> 01:00.0 VGA, 01:00.1 HDA (snd_hda_intel), 01:00.2 xHCI
#                        (one multi-function card, one IOMMU group)
#   root port 00:07.0 -> PCIe-to-PCI bridge -> VGA + NVMe (one group, no ACS)
#   root port 00:08.0 -> 04:00.0 NVMe with SR-IOV (2 VFs at 04:00.1-.2 once
#                        sriov_numvfs is written; QEMU's nvme sriov_max_vfs)
#
# Built from Debian packages only (the kernel linux-image-amd64 depends on,
# linux-source-6.1 + linux-headers for the samples, busybox-static, kmod),
# cached in /var/cache/gpuhook-kernel-bed/<hash of the inputs and of this
# script> ($KERNEL_BED_CACHE overrides) and rebuilt when an input changes.
# Nothing of the host's /etc, /run or sysfs is touched: the guest gets the host
# root read-only, and writes only to a temporary directory shared for the exit
# status. Every wait is bounded: the boot ($KERNEL_BED_BOOT_TIMEOUT, 300 s)
# and the whole run (--timeout / $KERNEL_BED_TIMEOUT, 1800 s); then the QEMU
# started here (and only it, by pid) is killed and the run fails.
#
# Environment variables named GPUHOOK_*, KERNEL_BED_* and KERNEL_TEST_* are
# passed to CMD. $KERNEL_BED_ACCEL (default tcg) picks the accelerator.
set -euo pipefail

self=$(readlink -f "$0")
prog=kernel-bed
die() { echo "$prog: error: $*" >&2; exit 125; }
say() { echo "$prog: $*" >&2; }

rebuild=0 console=0 timeout=${KERNEL_BED_TIMEOUT:-1800}
boot_timeout=${KERNEL_BED_BOOT_TIMEOUT:-300}
while [ $# -gt 0 ]; do
  case $1 in
    --rebuild) rebuild=1 ;;
    --console) console=1 ;;
    --timeout) timeout=$2; shift ;;
    --timeout=*) timeout=${1#*=} ;;
    --) shift; break ;;
    -h|--help) sed -n '2,30p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (usage: $0 [--rebuild] [--console] [--timeout SECS] -- CMD ARGS...)" ;;
  esac
  shift
done
[ $# -gt 0 ] || die "no command (usage: $0 [--rebuild] [--console] [--timeout SECS] -- CMD ARGS...)"
[ "$(id -u)" -eq 0 ] || die "run as root: the guest shares the host root read-only and runs CMD as root"

# ---------------------------------------------------------------- inputs ---
apt_updated=0
apt_update() {
  [ $apt_updated -eq 1 ] && return 0
  apt_updated=1
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
}

kernel_version() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -1
}
KV=$(kernel_version)
if [ -z "$KV" ]; then apt_update; KV=$(kernel_version); fi
[ -n "$KV" ] || die "apt-cache depends linux-image-amd64 names no kernel; is this Debian 12 with its main archive in sources.list?"

PACKAGES=(qemu-system-x86 busybox-static cpio kmod xz-utils make gcc "linux-headers-$KV" linux-source-6.1)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt_update; apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

pkgver() { dpkg-query -W -f='${Version}' "$1"; }
image_version=$(apt-cache show --no-all-versions "linux-image-$KV" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
inputs="kernel=$KV
linux-image-$KV=$image_version
linux-headers-$KV=$(pkgver "linux-headers-$KV")
linux-source-6.1=$(pkgver linux-source-6.1)
busybox-static=$(pkgver busybox-static)
kmod=$(pkgver kmod)
script=$(sha256sum "$self" | cut -c1-64)"
hash=$(printf '%s\n' "$inputs" | sha256sum | cut -c1-16)

cache_root=${KERNEL_BED_CACHE:-/var/cache/gpuhook-kernel-bed}
mkdir -p "$cache_root"
bed=$cache_root/$hash

# ----------------------------------------------------------------- build ---
# Modules the initramfs loads, in dependency order, to mount the 9p root.
INITRD_MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
                9pnet 9pnet_virtio netfs fscache 9p overlay)

build_bed() {
  local t0=$SECONDS out=$1
  local b=$out.build
  rm -rf "$b"; mkdir -p "$b"
  say "building the bed for Linux $KV in $out (once per change of its inputs)"

  # The kernel, unpacked: vmlinuz and its modules.
  (cd "$b" && apt-get download -o APT::Sandbox::User=root -qq "linux-image-$KV" >/dev/null 2>&1) ||
    { apt_update; (cd "$b" && apt-get download -o APT::Sandbox::User=root -qq "linux-image-$KV" >/dev/null); }
  dpkg-deb -x "$b"/linux-image-"$KV"_*.deb "$b/root"
  rm -f "$b"/linux-image-"$KV"_*.deb
  mv "$b/root/boot/vmlinuz-$KV" "$b/vmlinuz"
  local moddir=$b/root/lib/modules/$KV
  [ -d "$moddir" ] || die "linux-image-$KV has no lib/modules/$KV"

  # The mdev samples, built out of tree against the matching headers.
  tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$b" --wildcards '*/samples/vfio-mdev/*'
  local src
  src=$(echo "$b"/linux-source-6.1/samples/vfio-mdev)
  echo 'obj-m := mtty.o mdpy.o mbochs.o' > "$src/Kbuild"
  make -s -C "/usr/src/linux-headers-$KV" M="$src" -j"$(nproc)" modules >"$b/samples.log" 2>&1 ||
    { cat "$b/samples.log" >&2; die "building the mdev samples failed"; }
  mkdir -p "$moddir/extra"
  cp "$src"/mtty.ko "$src"/mdpy.ko "$src"/mbochs.ko "$moddir/extra/"
  rm -rf "$b/linux-source-6.1"
  depmod -b "$b/root" "$KV"

  # The initramfs: static busybox, the 9p/overlay modules and /init.
  local ir=$b/initramfs
  mkdir -p "$ir"/{bin,dev,proc,sys,lower,upper,newroot,modules}
  cp /bin/busybox "$ir/bin/busybox"
  for m in "${INITRD_MODULES[@]}"; do
    local f
    f=$(find "$moddir/kernel" -name "$m.ko" | head -1)
    [ -n "$f" ] || die "module $m not found in linux-image-$KV"
    cp "$f" "$ir/modules/"
  done
  cat > "$ir/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "kernel-bed: initramfs: \$*"; echo "kernel-bed: exit 125"; echo o > /proc/sysrq-trigger; sleep 30; }
for m in ${INITRD_MODULES[*]}; do insmod /modules/\$m.ko || fail "insmod \$m failed"; done
modules=
for a in \$(cat /proc/cmdline); do case \$a in kernel_bed.modules=*) modules=\${a#*=} ;; esac; done
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 root /lower && { ok=1; break; }
  sleep 1
done
[ \$ok = 1 ] || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=755 tmpfs /upper
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot || fail "overlay mount failed"
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mkdir -p /newroot/run/kernel-bed
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 share /newroot/run/kernel-bed || fail "cannot mount the share"
mount -o bind "/newroot\$modules" /newroot/lib/modules || fail "cannot bind \$modules"
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /bin/bash /run/kernel-bed/stage2
INIT
  chmod 755 "$ir/init"
  (cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) > "$b/initrd.img"
  rm -rf "$ir"

  printf '%s\n' "$inputs" > "$b/inputs"
  echo "$KV" > "$b/kernel-version"
  rm -rf "$out"
  mv "$b" "$out"
  say "built in $((SECONDS - t0)) s"
}

exec 9>"$cache_root/lock"
flock -w 900 9 || die "another kernel-bed build holds $cache_root/lock"
if [ $rebuild -eq 1 ] || [ ! -f "$bed/kernel-version" ]; then
  build_bed "$bed"
  # Older beds (other inputs) are of no further use.
  for d in "$cache_root"/*; do
    [ -d "$d" ] && [ "$d" != "$bed" ] && rm -rf "$d"
  done
fi
flock -u 9

# ------------------------------------------------------------------ boot ---
tmp=$(mktemp -d /tmp/kernel-bed.XXXXXX)
share=$tmp/share
mkdir -p "$share"
qpid= tails=()
cleanup() {
  local rc=$?
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$qpid" 2>/dev/null || true
  fi
  for p in "${tails[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KERNEL_BED_KEEP:-}" ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What the guest runs: CMD from this directory, with the passed environment.
{
  echo "cd $(printf '%q' "$PWD") || exit 125"
  while IFS= read -r v; do
    echo "export $v=$(printf '%q' "${!v}")"
  done < <(compgen -e | grep -E '^(GPUHOOK_|KERNEL_BED_|KERNEL_TEST_)' || true)
  printf 'exec'; printf ' %q' "$@"; echo
} > "$share/cmd"

cat > "$share/stage2" <<'STAGE2'
# kernel-bed stage 2, PID 1 on the overlay root.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8
exec </dev/null >/dev/ttyS0 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mkdir -p /run/lock
hostname kernel-bed
ip link set lo up 2>/dev/null
stty -F /dev/ttyS1 raw -echo 115200
stty -F /dev/ttyS2 raw -echo 115200
echo "kernel-bed: stage2 $(uname -r)"
bash /run/kernel-bed/cmd </dev/null >/dev/ttyS1 2>/dev/ttyS2
rc=$?
echo "$rc" > /run/kernel-bed/rc.tmp && mv /run/kernel-bed/rc.tmp /run/kernel-bed/rc
sync
echo "kernel-bed: exit $rc"
umount /run/kernel-bed
echo o > /proc/sysrq-trigger
sleep 60
STAGE2

truncate -s 64M "$tmp/nvme.img"
: > "$tmp/console" ; : > "$tmp/stdout" ; : > "$tmp/stderr"

accel=${KERNEL_BED_ACCEL:-tcg}
qemu=(qemu-system-x86_64 -name gpuhook-kernel-bed -nodefaults -no-user-config -no-reboot
  -accel "$accel" -cpu max -m 3G -smp 2 -machine q35 -display none -vga none
  -kernel "$bed/vmlinuz" -initrd "$bed/initrd.img"
  -append "console=ttyS0 loglevel=5 panic=-1 intel_iommu=on kernel_bed.modules=$bed/root/lib/modules"
  -device intel-iommu,intremap=on,caching-mode=on
  -serial "file:$tmp/console" -serial "file:$tmp/stdout" -serial "file:$tmp/stderr"
  -fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=root,mount_tag=root,bus=pcie.0,addr=03.0
  -fsdev "local,id=share,path=$share,security_model=none"
  -device virtio-9p-pci,fsdev=share,mount_tag=share,bus=pcie.0,addr=04.0
  # the boot VGA on the root complex
  -device VGA,id=bootvga,bus=pcie.0,addr=05.0
  # a GPU card: VGA + HDMI audio + USB, one multi-function device, one group
  -device pcie-root-port,id=rp1,bus=pcie.0,addr=06.0,chassis=1,port=1
  -device VGA,id=gpu,bus=rp1,addr=00.0,multifunction=on
  -audiodev none,id=snd0
  -device ich9-intel-hda,id=hda,bus=rp1,addr=00.1
  -device hda-duplex,bus=hda.0,audiodev=snd0
  -device qemu-xhci,id=xhci,bus=rp1,addr=00.2
  # no ACS: a PCIe-to-PCI bridge with a VGA and an NVMe, one shared group
  -device pcie-root-port,id=rp2,bus=pcie.0,addr=07.0,chassis=2,port=2
  -device pcie-pci-bridge,id=br,bus=rp2,addr=00.0
  -device VGA,id=gpu2,bus=br,addr=01.0
  -drive "if=none,id=nvme0,file=$tmp/nvme.img,format=raw"
  -device nvme,drive=nvme0,serial=gpuhook0,bus=br,addr=02.0
  # an SR-IOV PF: QEMU 7.2's nvme reports SR-IOV with sriov_max_vfs, which
  # needs an nvme-subsys and flexible queue/interrupt resources (hw/nvme/ctrl.c
  # nvme_check_constraints: vq >= 2 per VF, vi >= 1 per VF); the kernel's nvme
  # driver enables VFs with pci_sriov_configure_simple (drivers/nvme/host/pci.c)
  -device pcie-root-port,id=rp3,bus=pcie.0,addr=08.0,chassis=3,port=3
  -device nvme-subsys,id=nvmesubsys,nqn=gpuhook-sriov
  -device nvme,id=nvmepf,serial=gpuhook1,subsys=nvmesubsys,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,bus=rp3,addr=00.0
)
"${qemu[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!

tail -n +1 -f --pid="$qpid" "$tmp/stdout" & tails+=($!)
tail -n +1 -f --pid="$qpid" "$tmp/stderr" >&2 & tails+=($!)
if [ $console -eq 1 ]; then tail -n +1 -f --pid="$qpid" "$tmp/console" >&2 & tails+=($!); fi

failed_boot() {
  say "$1; the last console lines:"
  tail -n 40 "$tmp/console" | tr -d '\r' | sed 's/^/  | /' >&2
  [ -s "$tmp/qemu.log" ] && sed 's/^/  qemu: /' "$tmp/qemu.log" >&2
  exit 125
}

start=$SECONDS
until grep -q 'kernel-bed: stage2' "$tmp/console"; do
  kill -0 "$qpid" 2>/dev/null || failed_boot "QEMU ended before the guest booted"
  [ $((SECONDS - start)) -lt "$boot_timeout" ] || failed_boot "the guest did not boot within ${boot_timeout} s"
  sleep 0.5
done
[ -n "${KERNEL_BED_QUIET:-}" ] || say "booted $(grep -a -o 'kernel-bed: stage2 .*' "$tmp/console" | head -1 | tr -d '\r' | cut -d' ' -f3) in $((SECONDS - start)) s"

while kill -0 "$qpid" 2>/dev/null; do
  if [ $((SECONDS - start)) -ge "$timeout" ]; then
    say "CMD did not finish within ${timeout} s; stopping the guest"
    kill "$qpid" 2>/dev/null || true
    failed_boot "timed out"
  fi
  sleep 0.5
done
wait "$qpid" 2>/dev/null || true
qpid=
for p in "${tails[@]}"; do wait "$p" 2>/dev/null || true; done
tails=()

if [ -f "$share/rc" ]; then
  rc=$(cat "$share/rc")
elif grep -aq 'kernel-bed: exit [0-9]' "$tmp/console"; then
  rc=$(grep -a -o 'kernel-bed: exit [0-9]*' "$tmp/console" | tail -1 | cut -d' ' -f3)
else
  failed_boot "the guest powered off without an exit status (a panic?)"
fi
exit "$rc"
