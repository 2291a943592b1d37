# Mediated devices on the real kernel's mdev core and its sample parents.

# A JIT mdpy display mdev: created at start on the real parent, seen by the
# guest, removed at destroy, its instance given back.
test_jit_mdpy_lifecycle() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mdpy-vga $MDPY)"
  start_ok vm1
  expect_mdev "$u"
  expect_eq "type of $u" "$(mdev_type_of "$u")" mdpy-vga
  expect_eq "mdpy-vga available_instances while vm1 runs" "$(avail $MDPY mdpy-vga)" 3
  expect_in_guest vm1 $ID_MDPY "the mdpy display"
  destroy vm1
  expect_no_mdev "$u"
  expect_eq "mdpy-vga available_instances after destroy" "$(avail $MDPY mdpy-vga)" 4
}

# A type given by its name ("Single port serial" is mtty-1's name).
test_type_by_name() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" "Single port serial")"
  start_ok vm1
  expect_eq "type of $u" "$(mdev_type_of "$u")" mtty-1
  destroy vm1
  expect_no_mdev "$u"
}

# mbochs shares one memory pool across its types: one large instance takes
# room from the others, and all of it comes back.
test_mbochs_shared_capacity() {
  local u; u=$(new_uuid)
  local med; med=$(avail $MBOCHS mbochs-medium)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mbochs-large)"
  start_ok vm1
  expect_eq "mbochs-large available_instances" "$(avail $MBOCHS mbochs-large)" 3
  [ "$(avail $MBOCHS mbochs-medium)" -lt "$med" ] || fail "mbochs-medium still offers $med with a large instance in use"
  destroy vm1
  expect_eq "mbochs-medium available_instances after destroy" "$(avail $MBOCHS mbochs-medium)" "$med"
}

# An mdev that exists and is not gpuhook's is used and never destroyed.
test_existing_mdev_left_alone() {
  local u; u=$(new_uuid)
  echo "$u" > /sys/class/mdev_bus/$MTTY/mdev_supported_types/mtty-2/create || fail "cannot create $u by hand"
  define vm1 "$(hd_mdev "$u")"
  start_ok vm1
  expect_in_guest vm1 $ID_MTTY "the hand-made mtty"
  destroy vm1
  expect_mdev "$u"
  echo 1 > "/sys/bus/mdev/devices/$u/remove"
}

# An mdevctl definition is started for the VM and stopped (never undefined).
test_mdevctl_definition_started_and_stopped() {
  local u; u=$(new_uuid)
  ok mdevctl define -u "$u" -p $MTTY -t mtty-1
  BASELINE_DEF=$(mdevctl list --defined)
  define vm1 "$(hd_mdev "$u")"
  start_ok vm1
  expect_mdev "$u"
  destroy vm1
  expect_no_mdev "$u"
  expect_contains "mdevctl list --defined" "$(mdevctl list --defined)" "$u"
  ok mdevctl undefine -u "$u"
}

# A UUID nobody describes: one line naming it and both fixes.
test_unknown_mdev_explained() {
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")"
  start_fails vm1
  expect_contains "the virsh start error" "$START_ERR" "$u"
  expect_contains "the virsh start error" "$START_ERR" "gpuhook:mdev"
  expect_contains "the virsh start error" "$START_ERR" "mdevctl"
}

# A full parent: the start fails saying why, nothing is left behind.
test_full_parent_refused() {
  local i mine=()
  for i in 1 2 3 4; do
    mine+=("$(new_uuid)")
    echo "${mine[-1]}" > /sys/class/mdev_bus/$MDPY/mdev_supported_types/mdpy-hd/create || fail "cannot fill mdpy-hd"
  done
  expect_eq "mdpy-hd available_instances" "$(avail $MDPY mdpy-hd)" 0
  local u; u=$(new_uuid)
  define vm1 "$(hd_mdev "$u")" "$(meta_mdev "$u" mdpy-hd)"
  start_fails vm1
  expect_contains "the virsh start error" "$START_ERR" "no free instance of mdpy-hd"
  expect_no_mdev "$u"
  for i in "${mine[@]}"; do echo 1 > "/sys/bus/mdev/devices/$i/remove"; done
}

# Four instances of mdpy-hd, six VMs started at once: exactly four run, the
# other two say there is no free instance, and stopping them gives all back.
test_concurrent_starts_on_mdpy_hd() {
  local i
  for i in 1 2 3 4 5 6; do
    local u; u=$(new_uuid)
    define "c$i" "$(hd_mdev "$u")" "$(meta_mdev "$u" mdpy-hd $MDPY)"
  done
  local pids=()
  for i in 1 2 3 4 5 6; do
    timeout 180 virsh start "c$i" >/tmp/start-c$i.out 2>&1 &
    pids+=($!)
  done
  local won=0 lost=0
  for i in 1 2 3 4 5 6; do
    if wait "${pids[$((i - 1))]}"; then won=$((won + 1)); else
      lost=$((lost + 1))
      expect_contains "c$i's virsh start error" "$(cat /tmp/start-c$i.out)" "no free instance of mdpy-hd"
    fi
  done
  expect_eq "VMs that started" $won 4
  expect_eq "VMs refused" $lost 2
  expect_eq "mdpy-hd available_instances" "$(avail $MDPY mdpy-hd)" 0
  for i in 1 2 3 4 5 6; do
    [ "$(dom_state c$i)" = running ] && destroy "c$i"
  done
  expect_eq "mdpy-hd available_instances after destroy" "$(avail $MDPY mdpy-hd)" 4
  expect_eq "mdevs left" "$(mdev_count)" 0
}

# The mdevctl callout installed as the package installs it leaves the kernel
# samples' types to mdevctl: `mdevctl start`/`stop` by hand work.
test_callout_lets_mdevctl_start_samples() {
  local u; u=$(new_uuid)
  [ -e /etc/mdevctl.d/scripts.d/callouts/gpuhook ] || fail "the callout is not installed in /etc/mdevctl.d/scripts.d/callouts"
  ok mdevctl start -u "$u" -p $MTTY -t mtty-1
  expect_mdev "$u"
  ok mdevctl stop -u "$u"
  expect_no_mdev "$u"
}
