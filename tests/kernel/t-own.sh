# Ownership (issue 11) on the real kernel: a running VM's devices are never
# handed to another VM or given back under it; a bad gpuhook.conf does not
# fail VMs that need no GPU, and never stops devices from coming back.

# VM B names the audio function that gpuhook moved to vfio-pci for VM A
# (libvirt knows only A's VGA): B is refused naming A, A keeps it.
test_companion_of_running_vm_not_taken() {
  define vm-a "$(hd_pci $GPU)"
  start_ok vm-a
  define vm-b "$(hd_pci $GPU_AUDIO)"
  start_fails vm-b
  expect_contains "vm-b's virsh start error" "$START_ERR" "vm-a"
  expect_eq "vm-a state" "$(dom_state vm-a)" running
  expect_drv $GPU_AUDIO vfio-pci
  destroy vm-a
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
}

# The same GPU for a second VM: refused naming the VM that has it; the
# refusal does not give A's devices back.
test_same_gpu_second_vm_refused() {
  define vm-a "$(hd_pci $GPU)"
  start_ok vm-a
  define vm-b "$(hd_pci $GPU)"
  start_fails vm-b
  expect_contains "vm-b's virsh start error" "$START_ERR" "vm-a"
  expect_drv $GPU vfio-pci
  expect_drv $GPU_AUDIO vfio-pci
  expect_drv $GPU_USB vfio-pci
  expect_in_guest vm-a $ID_VGA "the GPU"
  destroy vm-a
  expect_drv $GPU bochs-drm
}

# A running VM's mdev named by a second VM: refused, the first keeps it.
test_running_vms_mdev_not_shared() {
  local u; u=$(new_uuid)
  define vm-a "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm-a
  define vm-b "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_fails vm-b
  expect_contains "vm-b's virsh start error" "$START_ERR" "$u"
  expect_mdev "$u"
  expect_eq "vm-a state" "$(dom_state vm-a)" running
  destroy vm-a
  expect_no_mdev "$u"
}

# A typo in gpuhook.conf: a VM without GPUs still starts; one with a GPU is
# refused naming file:line; a VM started before the typo still gets
# everything back at destroy.
test_bad_config_fails_only_what_needs_it() {
  define vm-gpu "$(hd_pci $GPU)"
  start_ok vm-gpu
  echo "placment = spread" >> "$GPUHOOK_CONF"
  define vm-plain ""
  start_ok vm-plain
  destroy vm-plain
  local u; u=$(new_uuid)
  define vm-new "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_fails vm-new
  expect_contains "vm-new's virsh start error" "$START_ERR" "gpuhook.conf:"
  destroy vm-gpu
  expect_drv $GPU bochs-drm
  expect_drv $GPU_AUDIO snd_hda_intel
  expect_drv $GPU_USB xhci_hcd
  cp /tmp/gpuhook.conf.orig "$GPUHOOK_CONF"
}

# An mdev QEMU holds open: removing it by hand does not fail and does not
# take it from the VM: the write blocks in the kernel (vfio waits for the
# device to be closed; the mdev leaves /sys/bus/mdev/devices at once) until
# the VM stops, then completes; the VM stops normally and gpuhook's release
# copes with the mdev being gone already.
test_mdev_held_open_by_qemu() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mtty-1)"
  start_ok vm1
  sh -c "echo 1 > /sys/bus/mdev/devices/$u/remove" 2>/tmp/remove.err &
  local rpid=$!
  nap 3
  kill -0 $rpid 2>/dev/null || { wait $rpid; fail "removing the open mdev returned at once (status $?: $(cat /tmp/remove.err)); the kernel blocks it until the device is closed"; }
  expect_eq "vm1 state while the remove waits" "$(dom_state vm1)" running
  expect_in_guest vm1 $ID_MTTY "the mtty mdev while the remove waits"
  if mdev_exists "$u"; then note "the mdev is still listed while the remove waits"
  else note "the mdev left /sys/bus/mdev/devices while the remove waits"; fi
  destroy vm1
  local i
  for i in $(seq 100); do kill -0 $rpid 2>/dev/null || break; nap 0.1; done
  kill -0 $rpid 2>/dev/null && fail "the remove still blocks after the VM stopped"
  wait $rpid || fail "the remove failed after the VM stopped: $(cat /tmp/remove.err)"
  expect_no_mdev "$u"
  expect_eq "mtty-1 available_instances" "$(avail $MTTY mtty-1)" 24
}
