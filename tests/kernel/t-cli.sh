# gpuhookctl on the real kernel: what an admin reads about real devices.

test_check_sees_iommu_and_vfio() {
  OUT=$(gpuhookctl check 2>&1)
  expect_contains "gpuhookctl check" "$OUT" "IOMMU: active"
  expect_contains "gpuhookctl check" "$OUT" "interrupt remapping: enabled"
  expect_not_contains "gpuhookctl check" "$OUT" "IOMMU: not active"
}

test_list_shows_groups_and_drivers() {
  ok gpuhookctl list
  local g; g=$(group_of $GPU)
  local line
  line=$(echo "$OUT" | grep "${GPU#0000:}\|$GPU" | head -1)
  [ -n "$line" ] || fail "gpuhookctl list does not show $GPU: $OUT"
  expect_contains "gpuhookctl list's line for $GPU" "$line" bochs-drm
  expect_contains "gpuhookctl list's line for $GPU" "$line" "$g"
  expect_contains "gpuhookctl list" "$OUT" "${GPU_AUDIO#0000:}"
  expect_contains "gpuhookctl list" "$OUT" snd_hda_intel
  expect_contains "gpuhookctl list" "$OUT" "${BOOT_VGA#0000:}"
  ok gpuhookctl list --json
  echo "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "gpuhookctl list --json is not JSON: $OUT"
}

test_types_shows_real_capacity() {
  ok gpuhookctl types
  local l
  l=$(echo "$OUT" | grep -w mdpy-hd | head -1)
  [ -n "$l" ] || fail "gpuhookctl types does not list mdpy-hd: $OUT"
  expect_contains "gpuhookctl types' mdpy-hd line" "$l" " 4"
  l=$(echo "$OUT" | grep -w mtty-1 | head -1)
  expect_contains "gpuhookctl types' mtty-1 line" "$l" "24"
  # One instance in use shows as such.
  local u; u=$(new_uuid)
  echo "$u" > /sys/class/mdev_bus/$MDPY/mdev_supported_types/mdpy-hd/create
  ok gpuhookctl types --json
  echo 1 > "/sys/bus/mdev/devices/$u/remove"
  echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
def walk(x):
    if isinstance(x, dict):
        yield x
        for v in x.values(): yield from walk(v)
    elif isinstance(x, list):
        for v in x: yield from walk(v)
hits = [o for o in walk(d) if "mdpy-hd" in json.dumps(o) and any(k in o for k in ("free", "available", "available_instances"))]
assert hits, "no mdpy-hd entry"
o = hits[-1]
free = o.get("free", o.get("available", o.get("available_instances")))
assert int(free) == 3, "free=%r in %r" % (free, o)
' || fail "gpuhookctl types --json does not show 3 free mdpy-hd with one in use: $OUT"
}

test_status_shows_what_a_running_vm_holds() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_pci $GPU) $(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm1
  ok gpuhookctl status
  expect_contains "gpuhookctl status" "$OUT" vm1
  expect_contains "gpuhookctl status" "$OUT" "$u"
  expect_contains "gpuhookctl status" "$OUT" "${GPU_AUDIO#0000:}"
  expect_contains "gpuhookctl status" "$OUT" snd_hda_intel
  destroy vm1
  ok gpuhookctl status
  expect_not_contains "gpuhookctl status after destroy" "$OUT" vm1
}

test_reconcile_leaves_running_vm_alone() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm1
  ok gpuhookctl reconcile --min-age 0
  expect_mdev "$u"
  expect_eq "vm1 state" "$(dom_state vm1)" running
  destroy vm1
  expect_no_mdev "$u"
}

# libvirt runs no hook for hot-plug: an mdev added with `virsh attach-device`
# is invisible to the hook, and `gpuhookctl status` shows it with the domain
# that uses it, as not gpuhook's.
test_status_shows_hotplugged_foreign_mdev() {
  local u; u=$(new_uuid)
  # pci.0 of this machine type takes no hot-plug in the bed (QEMU: "Bus
  # 'pci.0' does not support hotplugging"); a pci-bridge does
  define vm1 "<controller type='pci' index='1' model='pci-bridge'/>"
  start_ok vm1
  echo "$u" > /sys/class/mdev_bus/$MTTY/mdev_supported_types/mtty-1/create || fail "cannot create $u by hand"
  # on the bridge: libvirt would pick pci.0, which refuses hot-plug here
  printf "%s" "$(hd_mdev "$u" | sed "s|</source>|</source><address type='pci' domain='0x0000' bus='0x01' slot='0x01' function='0x0'/>|")" > /tmp/hd.xml
  ok timeout 120 virsh attach-device vm1 /tmp/hd.xml --live
  ok gpuhookctl status
  expect_contains "gpuhookctl status" "$OUT" "not gpuhook's"
  echo "$OUT" | grep "$u" | grep -q "^vm1 " || fail "status does not name vm1 as the user of $u: $OUT"
  ok gpuhookctl held
  destroy vm1
  expect_mdev "$u"
  echo 1 > "/sys/bus/mdev/devices/$u/remove"
}

# The host-wide switch: off, a VM whose mdev only gpuhook would create does
# not start (libvirt's own error, nothing from gpuhook); on again, it starts.
test_disable_leaves_start_to_libvirt() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  trap "gpuhookctl enable >/dev/null 2>&1" EXIT
  ok gpuhookctl disable --reason kernel-bed
  start_fails vm1
  expect_not_contains "virsh start while disabled" "$START_ERR" "gpuhook:"
  expect_no_mdev "$u"
  ok gpuhookctl status
  expect_contains "gpuhookctl status" "$OUT" "switched off"
  ok gpuhookctl enable
  start_ok vm1
  expect_mdev "$u"
  destroy vm1
  expect_no_mdev "$u"
}

# A managed='no' PCI hostdev the admin bound to vfio-pci by hand: gpuhook
# leaves it alone (it is not gpuhook's), and status says so for the
# running domain; the admin's binding is theirs to undo.
test_status_shows_pci_not_prepared_by_gpuhook() {
  local f
  local -A home=([$GPU]=$(drv $GPU) [$GPU_AUDIO]=$(drv $GPU_AUDIO) [$GPU_USB]=$(drv $GPU_USB))
  for f in $GPU $GPU_AUDIO $GPU_USB; do
    echo vfio-pci > "$(pci $f)/driver_override"
    echo "$f" > "$(pci $f)/driver/unbind"
    echo "$f" > /sys/bus/pci/drivers_probe
    expect_drv $f vfio-pci
  done
  define vm1 "$(hd_pci $GPU no)"
  start_ok vm1
  ok gpuhookctl status
  echo "$OUT" | grep "$GPU" | grep -q "not prepared by gpuhook" ||
    fail "status does not say that $GPU of vm1 is not gpuhook's: $OUT"
  ok gpuhookctl status --json
  echo "$OUT" | grep -Eq "\"id\": ?\"$GPU\"" || fail "status --json does not list $GPU: $OUT"
  destroy vm1
  for f in $GPU $GPU_AUDIO $GPU_USB; do
    expect_drv $f vfio-pci # gpuhook gave back nothing it did not take
    echo > "$(pci $f)/driver_override"
    echo "$f" > "$(pci $f)/driver/unbind"
    echo "$f" > /sys/bus/pci/drivers_probe
    expect_drv $f "${home[$f]}"
  done
}
