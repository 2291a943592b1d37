# PCI passthrough on the real kernel: IOMMU groups, driver moves, refusals.

# The whole multi-function card and a just-in-time mtty mdev in one running
# guest; QEMU's monitor sees all four.
test_group_and_mdev_in_running_guest() {
  local u; u=$(new_uuid)
  local before; before=$(avail $MTTY mtty-1)
  define vm1 "$(hd_pci $GPU) $(hd_pci $GPU_AUDIO) $(hd_pci $GPU_USB) $(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm1
  expect_eq "vm1 state" "$(dom_state vm1)" running
  expect_drv $GPU vfio-pci
  expect_drv $GPU_AUDIO vfio-pci
  expect_drv $GPU_USB vfio-pci
  expect_mdev "$u"
  expect_eq "mtty-1 available_instances while vm1 runs" "$(avail $MTTY mtty-1)" $((before - 1))
  expect_in_guest vm1 $ID_VGA "the GPU"
  expect_in_guest vm1 $ID_HDA "the GPU's audio"
  expect_in_guest vm1 $ID_XHCI "the GPU's USB controller"
  expect_in_guest vm1 $ID_MTTY "the mtty mdev"
  destroy vm1
}

# virsh destroy gives every function back to its host driver, clears
# driver_override, removes the mdev and frees its instance.
test_destroy_restores_drivers_and_capacity() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_pci $GPU) $(hd_pci $GPU_AUDIO) $(hd_pci $GPU_USB) $(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm1
  destroy vm1
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB xhci_hcd
  expect_eq "driver_override of $GPU" "$(override $GPU)" "(null)"
  expect_eq "driver_override of $GPU_AUDIO" "$(override $GPU_AUDIO)" "(null)"
  expect_eq "driver_override of $GPU_USB" "$(override $GPU_USB)" "(null)"
  expect_no_mdev "$u"
  expect_eq "mtty-1 available_instances after destroy" "$(avail $MTTY mtty-1)" 24
  # The host has its devices back: a DRM card for the GPU, the USB bus.
  [ -d "$(pci $GPU)/drm" ] || fail "$GPU has no DRM card after destroy"
  ls "$(pci $GPU_USB)" | grep -q '^usb' || fail "$GPU_USB has no USB bus after destroy"
  expect_restored
}

# Only the VGA function named: gpuhook takes its audio and USB companions to
# vfio-pci (the group must be viable), the guest gets only the VGA.
test_companions_moved_for_one_function() {
  define vm1 "$(hd_pci $GPU)"
  start_ok vm1
  expect_drv $GPU vfio-pci
  expect_drv $GPU_AUDIO vfio-pci
  expect_drv $GPU_USB vfio-pci
  expect_in_guest vm1 $ID_VGA "the GPU"
  expect_not_in_guest vm1 $ID_HDA "the audio companion"
  destroy vm1
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB xhci_hcd
}

# managed='yes' on the VGA: libvirt detaches and reattaches it, gpuhook moves
# the companions and gives them back. (A fresh libvirtd, as after a boot: see
# the next scenario for why.)
test_managed_yes_with_companions() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  define vm1 "$(hd_pci $GPU yes)"
  start_ok vm1
  expect_drv $GPU vfio-pci
  expect_drv $GPU_AUDIO vfio-pci
  expect_drv $GPU_USB vfio-pci
  expect_in_guest vm1 $ID_VGA "the GPU"
  destroy vm1
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB xhci_hcd
  expect_eq "driver_override of $GPU_AUDIO" "$(override $GPU_AUDIO)" "(null)"
}

# The same GPU first used with managed='no', then by a managed='yes' VM: the
# user expects the GPU back on its host driver after the second VM too.
# libvirt 9.0 remembers the function from the managed='no' use in its
# inactive list, as unmanaged and found on vfio-pci, and does not reattach it
# after the managed='yes' VM (src/hypervisor/virhostdev.c); gpuhook recorded
# where the host had it at prepare and gives it back at release (core/pci.c
# watch()). More orders and combinations: t-seq.sh.
test_managed_yes_after_managed_no_use() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  local u; u=$(new_uuid)
  define vm-no "$(hd_pci $GPU) $(hd_pci $GPU_AUDIO) $(hd_pci $GPU_USB) $(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm-no
  destroy vm-no
  expect_home "after vm-no" $GPU $GPU_AUDIO $GPU_USB
  define vm-one "$(hd_pci $GPU no)"
  start_ok vm-one
  destroy vm-one
  expect_home "after vm-one" $GPU $GPU_AUDIO $GPU_USB
  define vm-yes "$(hd_pci $GPU yes)"
  start_ok vm-yes
  expect_drv $GPU vfio-pci
  destroy vm-yes
  expect_home "after vm-yes (managed='yes' after managed='no')" $GPU $GPU_AUDIO $GPU_USB
}

# The control: without gpuhook the same one-function domain fails with the
# kernel's own message, and libvirt gives its managed device back.
test_without_gpuhook_group_not_viable() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  local g; g=$(group_of $GPU)
  hook_remove
  define vm1 "$(hd_pci $GPU yes)"
  start_fails vm1
  expect_contains "the virsh start error" "$START_ERR" "group $g is not viable"
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB xhci_hcd
}

# A group without ACS: the NVMe beside the VGA is refused by name; it stays
# on nvme and its disk stays usable.
test_noacs_group_refused_naming_nvme() {
  define vm1 "$(hd_pci $NOACS_VGA)"
  start_fails vm1
  expect_contains "the virsh start error" "$START_ERR" "$NOACS_NVME"
  expect_contains "the virsh start error" "$START_ERR" "allow"
  expect_drv $NOACS_NVME nvme
  expect_drv $NOACS_VGA bochs-drm
  [ -n "$(ls /sys/class/nvme 2>/dev/null)" ] || fail "the host lost its NVMe controller"
  [ "$(dom_state vm1)" = "shut off" ] || fail "vm1 is $(dom_state vm1)"
}

# The same group with the NVMe allowed in the domain metadata: both go to
# vfio-pci while the VM runs and come back (the NVMe as a disk again).
test_noacs_group_allowed() {
  define vm1 "$(hd_pci $NOACS_VGA)" "$(meta_pci $NOACS_NVME "allow='yes'")"
  start_ok vm1
  expect_drv $NOACS_VGA vfio-pci
  expect_drv $NOACS_NVME vfio-pci
  expect_drv $NOACS_BRIDGE none
  expect_in_guest vm1 $ID_VGA "the GPU behind the bridge"
  destroy vm1
  expect_drv $NOACS_VGA bochs-drm
  expect_drv $NOACS_NVME nvme
  local i
  for i in $(seq 50); do ls /sys/block | grep -q '^nvme' && break; sleep 0.1; done
  ls /sys/block | grep -q '^nvme' || fail "no NVMe block device after destroy"
}

# The GPU that drives the boot console is refused, and stays the console's.
test_boot_vga_refused() {
  define vm1 "$(hd_pci $BOOT_VGA)"
  start_fails vm1
  expect_contains "the virsh start error" "$START_ERR" "$BOOT_VGA"
  expect_contains "the virsh start error" "$START_ERR" "boot"
  expect_drv $BOOT_VGA bochs-drm
  expect_eq "boot_vga of $BOOT_VGA" "$(cat "$(pci $BOOT_VGA)/boot_vga")" 1
}

# gpuhook gives back the exact driver_override it found.
test_original_driver_override_kept() {
  echo snd_hda_intel > "$(pci $GPU_AUDIO)/driver_override"
  BASELINE=$(snapshot)
  define vm1 "$(hd_pci $GPU)"
  start_ok vm1
  expect_drv $GPU_AUDIO vfio-pci
  expect_eq "driver_override of $GPU_AUDIO while vm1 runs" "$(override $GPU_AUDIO)" vfio-pci
  destroy vm1
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_eq "driver_override of $GPU_AUDIO" "$(override $GPU_AUDIO)" snd_hda_intel
  echo > "$(pci $GPU_AUDIO)/driver_override"
}

# A device the admin already put on vfio-pci is left there after the VM.
test_device_already_on_vfio_left_alone() {
  local p; p=$(pci $GPU_USB)
  echo vfio-pci > "$p/driver_override"
  echo $GPU_USB > "$p/driver/unbind"
  echo $GPU_USB > /sys/bus/pci/drivers_probe
  expect_drv $GPU_USB vfio-pci
  BASELINE=$(snapshot)
  define vm1 "$(hd_pci $GPU)"
  start_ok vm1
  destroy vm1
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB vfio-pci
  expect_eq "driver_override of $GPU_USB" "$(override $GPU_USB)" vfio-pci
  echo > "$p/driver_override"
  echo $GPU_USB > "$p/driver/unbind"
  echo $GPU_USB > /sys/bus/pci/drivers/xhci_hcd/bind
}
