# Real clients: domains made and edited by Debian's virtinst (virt-install,
# virt-xml), mdevs made through libvirt's node-device API beside gpuhook's
# own, and gpuhookctl agreeing with `virsh nodedev-list`.

# virt-install with one function of the card by PCI address (managed='yes',
# virtinst's default), started by virt-install itself; then virt-xml adds
# the audio function and removes the VGA, which becomes a companion. After
# every stop the card is where the host had it.
test_clients_virt_install_and_virt_xml() {
  command -v virt-install >/dev/null || fail "virt-install is not installed (Debian package virtinst; tools/bootstrap.sh installs it)"
  platform_restart_libvirtd || fail "libvirtd did not restart"
  # No disk, no network, no display: SeaBIOS finds nothing to boot and waits.
  ok timeout 180 virt-install --name vi1 --memory 96 --vcpus 1 --osinfo generic --import --disk none \
    --network none --graphics none --controller usb,model=none --hostdev $GPU --noautoconsole
  expect_eq "vi1 state" "$(dom_state vi1)" running
  expect_contains "vi1's hostdev" "$(virsh dumpxml vi1)" "managed='yes'"
  expect_drv $GPU vfio-pci
  expect_drv $GPU_AUDIO vfio-pci
  expect_in_guest vi1 $ID_VGA "the GPU virt-install gave it"
  expect_not_in_guest vi1 $ID_HDA "the audio companion"
  destroy vi1
  expect_home "after vi1 (virt-install)" $GPU $GPU_AUDIO $GPU_USB

  ok timeout 120 virt-xml vi1 --add-device --hostdev $GPU_AUDIO
  start_ok vi1
  expect_in_guest vi1 $ID_HDA "the audio function virt-xml added"
  destroy vi1
  expect_home "after vi1 with the audio function added" $GPU $GPU_AUDIO $GPU_USB

  ok timeout 120 virt-xml vi1 --remove-device --hostdev $GPU
  expect_not_contains "vi1's XML" "$(virsh dumpxml vi1)" "bus='0x01' slot='0x00' function='0x0'"
  start_ok vi1
  expect_drv $GPU vfio-pci
  expect_not_in_guest vi1 $ID_VGA "the VGA virt-xml removed (now a companion)"
  destroy vi1
  expect_home "after vi1 with the VGA removed" $GPU $GPU_AUDIO $GPU_USB
  ok virsh undefine vi1
}

# The mdev UUIDs each view lists, one per line, sorted: sysfs, libvirt's
# node devices (active), gpuhookctl status (its ledgers and the others).
mdevs_sysfs() { ls /sys/bus/mdev/devices | sort; }
mdevs_libvirt() {
  timeout 60 virsh nodedev-list --cap mdev | sed -n 's/^mdev_\([0-9a-f_]\{36\}\)_.*/\1/p' | tr _ - | sort
}
mdevs_gpuhookctl() {
  gpuhookctl status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
ids = [e["id"] for d in s["domains"] for e in d["entries"] if e["kind"] == "mdev" and e.get("present")]
ids += [m["id"] for m in s.get("other_mdevs", [])]
print("\n".join(sorted(set(ids))))'
}
# in use per type, "parent/type N" lines, as gpuhookctl types counts them
types_in_use() {
  gpuhookctl types --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["mdev"]:
    for t in p["types"]:
        if t["in_use"]:
            print("%s/%s %d" % (p["parent"], t["id"], t["in_use"]))'
}
types_in_sysfs() {
  local d
  for d in /sys/bus/mdev/devices/*; do
    [ -e "$d" ] && echo "$(basename "$(readlink -f "$d/..")")/$(basename "$(readlink "$d/mdev_type")")"
  done | sort | uniq -c | awk '{print $2, $1}'
}
# All views agree (libvirt's after its udev event: waited for).
expect_views_agree() { # WHAT
  local want i got
  want=$(mdevs_sysfs)
  for i in $(seq 50); do
    got=$(mdevs_libvirt)
    [ "$got" = "$want" ] && break
    nap 0.2
  done
  expect_eq "$1: virsh nodedev-list --cap mdev vs /sys/bus/mdev/devices" "$(echo $got)" "$(echo $want)"
  expect_eq "$1: gpuhookctl status vs virsh nodedev-list --cap mdev" "$(echo $(mdevs_gpuhookctl))" "$(echo $got)"
  expect_eq "$1: gpuhookctl types (in use) vs the mdevs there are" "$(echo $(types_in_use))" "$(echo $(types_in_sysfs))"
}

# libvirt's node-device API (nodedev-define/-start/-destroy/-undefine, which
# run mdevctl) beside gpuhook's own vGPUs: a domain uses a JIT mdev and a
# libvirt-defined one (gpuhook starts the definition and stops it, the
# definition stays), then the libvirt-defined one started by nodedev-start
# (gpuhook leaves it running). gpuhookctl and virsh list the same mdevs
# throughout.
test_clients_nodedev_mdevs_beside_gpuhook() {
  declare -F platform_udev_start >/dev/null || fail "the platform has no udev for libvirt's node-device events"
  platform_udev_start || fail "cannot start systemd-udevd"
  trap platform_udev_stop EXIT
  local nd u parent name
  nd=$(new_uuid) u=$(new_uuid)
  parent=$(timeout 60 virsh nodedev-list --cap mdev_types | grep "$MTTY" | head -1)
  [ -n "$parent" ] || fail "libvirt lists no node device with mdev types for $MTTY"
  echo "<device><parent>$parent</parent><capability type='mdev'><type id='mtty-2'/><uuid>$nd</uuid></capability></device>" > /tmp/nd-$nd.xml
  ok timeout 60 virsh nodedev-define /tmp/nd-$nd.xml
  name=$(timeout 60 virsh nodedev-list --cap mdev --all | grep "${nd//-/_}")
  [ -n "$name" ] || fail "virsh nodedev-list --cap mdev --all does not list the defined $nd"
  expect_contains "mdevctl list --defined" "$(mdevctl list --defined)" "$nd"

  define nd-vm "$(hd_mdev "$u") $(hd_mdev "$nd")" "$(meta_mdev "$u" mtty-1 $MTTY)"
  start_ok nd-vm
  expect_mdev "$u"
  expect_mdev "$nd"
  expect_views_agree "while nd-vm runs (a JIT mdev and a started definition)"
  destroy nd-vm
  expect_no_mdev "$u"
  expect_no_mdev "$nd"
  expect_views_agree "after nd-vm"
  expect_contains "virsh nodedev-list --cap mdev --all" "$(timeout 60 virsh nodedev-list --cap mdev --all)" "$name"

  ok timeout 60 virsh nodedev-start "$name"
  expect_mdev "$nd"
  start_ok nd-vm
  expect_views_agree "while nd-vm runs (a JIT mdev and one libvirt started)"
  destroy nd-vm
  expect_mdev "$nd"
  expect_no_mdev "$u"
  expect_views_agree "after nd-vm (libvirt's mdev kept)"
  ok timeout 60 virsh nodedev-destroy "$name"
  expect_no_mdev "$nd"
  ok timeout 60 virsh nodedev-undefine "$name"
  expect_not_contains "mdevctl list --defined" "$(mdevctl list --defined)" "$nd"
  expect_views_agree "after nodedev-destroy and -undefine"
  ok virsh undefine nd-vm
}
