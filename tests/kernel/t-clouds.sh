# Cloud-shaped domains on the real kernel (docs/openstack.md, docs/ovirt.md):
# the devices made the way Nova and VDSM make them, before the domain starts.

# Nova: privsep create_mdev writes the UUID (no newline) to the type's
# `create` (nova/privsep/libvirt.py); the hostdev as
# LibvirtConfigGuestHostdevMDEV formats it (managed='no' model='vfio-pci').
# The guest gets it; gpuhook leaves it, and it outlives the VM (Nova reuses
# it for the next instance).
test_nova_made_mdev_used_and_kept() {
  local u; u=$(new_uuid)
  printf %s "$u" > /sys/class/mdev_bus/$MTTY/mdev_supported_types/mtty-1/create || fail "cannot create $u as Nova does"
  define instance-00000001 "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci'><source><address uuid='$u'/></source></hostdev>"
  start_ok instance-00000001
  expect_in_guest instance-00000001 $ID_MTTY "Nova's mdev"
  if [ -f "/run/gpuhook/domains/$DOM_UUID.xml" ]; then
    expect_not_contains "the instance's ledger" "$(cat "/run/gpuhook/domains/$DOM_UUID.xml")" "$u"
  fi
  destroy instance-00000001
  expect_mdev "$u"
  echo 1 > "/sys/bus/mdev/devices/$u/remove"
}

# VDSM: every function of the group detached through libvirt's
# virNodeDeviceDetachFlags (lib/vdsm/common/hostdev.py detach_detachable;
# `virsh nodedev-detach` is the same call), the GPU passed managed='no'
# (PciDevice.getXML). The guest gets the GPU; gpuhook changes no driver, and
# after the stop the functions are still on vfio-pci (VDSM's teardown does
# not reattach them).
test_vdsm_detached_group_untouched() {
  local b
  for b in $GPU $GPU_AUDIO $GPU_USB; do
    ok virsh nodedev-detach "pci_$(echo "$b" | tr ':.' '__')"
    expect_drv "$b" vfio-pci
  done
  define pci-vm "$(hd_pci $GPU no)"
  start_ok pci-vm
  expect_in_guest pci-vm $ID_VGA "the GPU"
  for b in $GPU $GPU_AUDIO $GPU_USB; do expect_drv "$b" vfio-pci; done
  destroy pci-vm
  for b in $GPU $GPU_AUDIO $GPU_USB; do expect_drv "$b" vfio-pci; done
  for b in $GPU $GPU_AUDIO $GPU_USB; do
    ok virsh nodedev-reattach "pci_$(echo "$b" | tr ':.' '__')"
  done
  ok virsh undefine pci-vm
  expect_restored "after VDSM's reattach, the host"
}
