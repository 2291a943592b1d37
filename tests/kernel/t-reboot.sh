# Across a host reboot, on the real kernel: a persistently defined vGPU
# (mdevctl define, made automatic the way `virsh nodedev-autostart` does it:
# libvirt's nodeDeviceGetMdevctlSetAutostartCommand runs `mdevctl modify
# --uuid U --auto`) and an autostarted domain. The reboot as it touches
# gpuhook and libvirt: the VM stopped and libvirtd with it, /run/gpuhook gone
# and libvirt's once-per-boot autostart marker with it (virDriverShouldAutostart()
# keeps it in the driver's run directory, /run/libvirt/qemu/autostarted),
# the mdevs gone (the VM's stop removed the one in use), /etc kept. Then boot:
# udev's mdevctl rule (or not), libvirtd (which autostarts the domain), and
# the gpuhook-reconcile unit that runs after it.

# reboot_then_boot START_AT_BOOT: shut down, clear /run, boot.
reboot_then_boot() {
  destroy autovm
  platform_stop_libvirtd
  rm -rf /run/gpuhook
  rm -f /run/libvirt/qemu/autostarted
  expect_eq "mdevs after the shutdown" "$(mdev_count)" 0
  # udev: 60-mdevctl.rules runs `mdevctl start-parent-mdevs %k` for a parent
  # that has /etc/mdevctl.d/<parent>. Debian 12's rule names /usr/sbin/mdevctl,
  # which the package does not install (mdevctl issue #82), so there it does
  # nothing.
  if [ "$1" = yes ]; then
    ok mdevctl start-parent-mdevs $MTTY
  fi
  platform_restart_libvirtd || fail "libvirtd did not come back"
  local i
  for i in $(seq 120); do [ "$(dom_state autovm)" = running ] && break; nap 1; done
  expect_eq "autovm after the boot" "$(dom_state autovm)" running
  ok gpuhookctl reconcile
}

autostart_domain() {
  AUTO_MDEV=$(new_uuid)
  AUTO_AVAIL=$(avail $MTTY mtty-1)
  ok mdevctl define -u "$AUTO_MDEV" -p $MTTY -t mtty-1
  ok mdevctl modify --uuid "$AUTO_MDEV" --auto
  define autovm "$(hd_mdev "$AUTO_MDEV")"
  ok virsh autostart autovm
  start_ok autovm
  expect_in_guest autovm $ID_MTTY "the vGPU before the reboot"
}

autostart_cleanup() {
  ok virsh autostart --disable autovm
  ok mdevctl undefine -u "$AUTO_MDEV"
}

# Debian 12: nothing starts the definition at boot; gpuhook's prepare of the
# autostart starts it and records it in a new ledger; the stop gives it back.
test_reboot_autostart_gets_defined_vgpu() {
  autostart_domain
  reboot_then_boot no
  expect_mdev "$AUTO_MDEV"
  expect_in_guest autovm $ID_MTTY "the vGPU after the reboot"
  [ -f "/run/gpuhook/domains/$DOM_UUID.xml" ] || fail "no ledger for autovm after the boot"
  expect_contains "autovm's ledger" "$(cat "/run/gpuhook/domains/$DOM_UUID.xml")" "$AUTO_MDEV"
  destroy autovm
  expect_no_mdev "$AUTO_MDEV"
  expect_contains "mdevctl list --defined" "$(mdevctl list --defined)" "$AUTO_MDEV"
  expect_eq "mtty-1 available_instances after the stop" "$(avail $MTTY mtty-1)" "$AUTO_AVAIL"
  autostart_cleanup
}

# mdevctl's rule working: the vGPU is running before libvirtd; gpuhook finds
# an mdev it did not create and leaves it, before and after the VM.
test_reboot_autostart_uses_vgpu_started_at_boot() {
  autostart_domain
  reboot_then_boot yes
  expect_mdev "$AUTO_MDEV"
  expect_in_guest autovm $ID_MTTY "the vGPU after the reboot"
  if [ -f "/run/gpuhook/domains/$DOM_UUID.xml" ]; then
    expect_not_contains "autovm's ledger" "$(cat "/run/gpuhook/domains/$DOM_UUID.xml")" "$AUTO_MDEV"
  fi
  destroy autovm
  expect_mdev "$AUTO_MDEV"
  ok mdevctl stop -u "$AUTO_MDEV"
  autostart_cleanup
}
