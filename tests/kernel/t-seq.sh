# Sequences: several domains, one after another, over the same devices, in
# the combinations users produce (managed='yes'/'no', a listed function or a
# companion, an mdev from metadata or from an mdevctl definition), with
# libvirtd restarted (reconnect) while one runs and a hook killed mid-prepare
# between them. libvirt remembers devices across domains (its active and
# inactive PCI lists, and whether it found a function already on vfio-pci:
# src/hypervisor/virhostdev.c, src/util/virpci.c); after every stop every
# function of the card is where the host had it, driver and driver_override.
# (docs/pci-passthrough.md, "What gpuhook leaves to libvirt".)

seq_card() { echo "$GPU $GPU_AUDIO $GPU_USB"; }

# seq_run NAME HOSTDEVS [METADATA]: define, start, destroy, undefine; the
# card is home afterwards.
seq_run() {
  define "$1" "$2" "${3:-}"
  start_ok "$1"
  expect_eq "$1 state" "$(dom_state "$1")" running
  destroy "$1"
  expect_home "after $1" $(seq_card)
  ok virsh undefine "$1"
}

# Listed functions and companions, managed='no' then 'yes' and back, each
# function once listed unmanaged (libvirt keeps it in its inactive list as
# unmanaged from then on) and later listed managed.
test_seq_listed_and_companion_orders() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  # the audio function unmanaged; the VGA and USB companions gpuhook's
  seq_run sq-a "$(hd_pci $GPU_AUDIO no)"
  # both listed managed: libvirt's stale entry for the audio function
  seq_run sq-b "$(hd_pci $GPU yes) $(hd_pci $GPU_AUDIO yes)"
  # VGA unmanaged, USB managed, audio a companion
  seq_run sq-c "$(hd_pci $GPU no) $(hd_pci $GPU_USB yes)"
  # the VGA alone, managed: libvirt's stale entry for it from sq-c
  seq_run sq-d "$(hd_pci $GPU yes)"
  # everything unmanaged, then everything managed
  seq_run sq-e "$(hd_pci $GPU no) $(hd_pci $GPU_AUDIO no) $(hd_pci $GPU_USB no)"
  seq_run sq-f "$(hd_pci $GPU yes) $(hd_pci $GPU_AUDIO yes) $(hd_pci $GPU_USB yes)"
  expect_restored "after six domains over one card, the host"
}

# libvirtd restarted while the VM runs: it rebuilds its active list from the
# domain's status XML (virHostdevUpdateActivePCIDevices, with the origstates
# saved at the start) and its inactive list starts empty.
test_seq_reconnect_between_start_and_destroy() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  seq_run rc-no "$(hd_pci $GPU no)"
  define rc-yes "$(hd_pci $GPU yes)"
  start_ok rc-yes
  platform_restart_libvirtd || fail "libvirtd did not restart"
  expect_eq "rc-yes after the restart" "$(dom_state rc-yes)" running
  expect_drv $GPU_AUDIO vfio-pci
  destroy rc-yes
  expect_home "after rc-yes (libvirtd restarted while it ran)" $(seq_card)
  # the other way round: unmanaged across the restart, then managed
  define rc-no2 "$(hd_pci $GPU no) $(hd_pci $GPU_USB yes)"
  start_ok rc-no2
  platform_restart_libvirtd || fail "libvirtd did not restart"
  destroy rc-no2
  expect_home "after rc-no2 (libvirtd restarted while it ran)" $(seq_card)
  seq_run rc-yes2 "$(hd_pci $GPU yes) $(hd_pci $GPU_USB yes)"
}

# A prepare SIGKILLed after it moved a companion, between two uses of the
# card; the start fails, libvirt's release gives everything back, and the
# next domains (managed='yes', then 'no', then 'yes') still end at home.
test_seq_killed_prepare_between() {
  [ "${FAULT_POINTS:-}" = yes ] || fail "this build ignores GPUHOOK_FAULT_KILL_AT: ${FAULT_POINTS:-unknown}"
  platform_restart_libvirtd || fail "libvirtd did not restart"
  seq_run kp-no "$(hd_pci $GPU no)"
  define kp-yes "$(hd_pci $GPU yes)"
  hook_env "GPUHOOK_FAULT_KILL_AT=pci-bound" prepare
  start_fails kp-yes
  hook_restore
  expect_eq "kp-yes state" "$(dom_state kp-yes)" "shut off"
  expect_home "after the killed prepare of kp-yes" $(seq_card)
  start_ok kp-yes
  destroy kp-yes
  expect_home "after kp-yes" $(seq_card)
  seq_run kp-no2 "$(hd_pci $GPU_AUDIO no)"
  start_ok kp-yes
  destroy kp-yes
  expect_home "after kp-yes, again" $(seq_card)
}

# One UUID, its mdev from the domain metadata (gpuhook creates and removes
# it), then from an mdevctl definition (gpuhook starts and stops it, the
# definition stays), then both (the definition wins), then started by hand
# (foreign: used, never stopped); the card beside it alternately unmanaged
# and managed.
test_seq_mdev_metadata_and_definition() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  local u; u=$(new_uuid)
  local free; free=$(avail $MTTY mtty-1)
  seq_run md-meta "$(hd_mdev "$u") $(hd_pci $GPU no)" "$(meta_mdev "$u" mtty-1 $MTTY)"
  expect_no_mdev "$u"
  ok mdevctl define -u "$u" -p $MTTY -t mtty-2
  seq_run md-def "$(hd_mdev "$u") $(hd_pci $GPU yes)"
  expect_no_mdev "$u"
  expect_contains "mdevctl list --defined" "$(mdevctl list --defined)" "$u"
  # metadata says mtty-1, the definition mtty-2: the definition is started
  define md-both "$(hd_mdev "$u") $(hd_pci $GPU no)" "$(meta_mdev "$u" mtty-1 $MTTY)"
  start_ok md-both
  expect_eq "type of $u" "$(mdev_type_of "$u")" mtty-2
  destroy md-both
  expect_home "after md-both" $(seq_card)
  expect_no_mdev "$u"
  ok mdevctl start -u "$u"
  start_ok md-both
  destroy md-both
  expect_mdev "$u"
  expect_home "after md-both (a started definition)" $(seq_card)
  ok mdevctl stop -u "$u"
  ok mdevctl undefine -u "$u"
  expect_eq "mtty-1 available_instances" "$(avail $MTTY mtty-1)" "$free"
  ok virsh undefine md-both
}

# A managed='yes' function whose driver_override the host set: libvirt's
# reattach clears it (virPCIDeviceUnbindFromStub writes "\n"); gpuhook writes
# the host's back at release. Also after a managed='no' use of it.
test_seq_managed_yes_keeps_driver_override() {
  platform_restart_libvirtd || fail "libvirtd did not restart"
  echo snd_hda_intel > "$(pci $GPU_AUDIO)/driver_override"
  BASELINE=$(snapshot)
  seq_run ov-yes "$(hd_pci $GPU_AUDIO yes)"
  seq_run ov-no "$(hd_pci $GPU_AUDIO no)"
  seq_run ov-yes2 "$(hd_pci $GPU_AUDIO yes)"
  echo > "$(pci $GPU_AUDIO)/driver_override"
}
