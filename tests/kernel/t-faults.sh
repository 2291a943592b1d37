# The hook SIGKILLed at each of its named steps ($GPUHOOK_FAULT_KILL_AT, see
# core/state.c) during a real `virsh start`: libvirt sees the start fail and
# runs release, which must give everything back; a release killed half-way is
# finished by `gpuhookctl reconcile`. (Needs a build with the test hooks.)

# A domain that reaches every prepare step: a JIT mdev and the GPU's group.
fault_domain() {
  local u; u=$(new_uuid)
  define crashvm "$(hd_mdev "$u") $(hd_pci $GPU)" "$(meta_mdev "$u" mtty-1 $MTTY)"
  FAULT_MDEV=$u
}

need_fault_points() {
  [ "${FAULT_POINTS:-}" = yes ] || fail "this build ignores GPUHOOK_FAULT_KILL_AT (build/ needs -Dtest_hooks=true): ${FAULT_POINTS:-unknown}"
}

kill_prepare_at() {
  need_fault_points
  fault_domain
  hook_env "GPUHOOK_FAULT_KILL_AT=$1" prepare
  start_fails crashvm
  expect_not_contains "the virsh start error" "$START_ERR" "is not viable"
  expect_eq "crashvm state" "$(dom_state crashvm)" "shut off"
  # libvirt ran release end (with no fault point): everything is back.
  expect_restored "after a prepare killed at $1 and libvirt's release, the host"
  # And the next start works.
  hook_restore
  start_ok crashvm
  expect_mdev "$FAULT_MDEV"
  destroy crashvm
}

test_killed_at_locked() { kill_prepare_at locked; }
test_killed_at_mdev_recorded() { kill_prepare_at mdev-recorded; }
test_killed_at_mdev_created() { kill_prepare_at mdev-created; }
test_killed_at_mdev_committed() { kill_prepare_at mdev-committed; }
test_killed_at_pci_recorded() { kill_prepare_at pci-recorded; }
test_killed_at_pci_bound() { kill_prepare_at pci-bound; }

# Release killed after its first undo: part of the VM's devices stay taken
# (gpuhookctl status says which); reconcile gives back the rest.
test_release_killed_then_reconcile() {
  need_fault_points
  fault_domain
  hook_env "GPUHOOK_FAULT_KILL_AT=released-one" release
  start_ok crashvm
  destroy crashvm
  local now; now=$(snapshot)
  [ "$now" != "$BASELINE" ] || fail "the killed release gave everything back (did the fault point fire?)"
  ok gpuhookctl status
  expect_contains "gpuhookctl status" "$OUT" crashvm
  hook_restore
  ok gpuhookctl reconcile --min-age 0
  expect_contains "gpuhookctl reconcile" "$OUT" crashvm
  expect_restored "after gpuhookctl reconcile, the host"
}

# Both hook calls killed (prepare mid-way, then libvirt's release): the VM
# failed to start and reconcile restores everything.
test_prepare_and_release_killed_then_reconcile() {
  need_fault_points
  fault_domain
  rm -f "$HOOK_LINK"
  cat > "$HOOK_LINK" <<EOF
#!/bin/sh
case \$2 in
prepare) export GPUHOOK_FAULT_KILL_AT=pci-bound ;;
release) export GPUHOOK_FAULT_KILL_AT=released-one ;;
esac
exec $HOOK_TARGET "\$@"
EOF
  chmod 755 "$HOOK_LINK"
  start_fails crashvm
  hook_restore
  ok gpuhookctl reconcile --min-age 0
  expect_restored "after gpuhookctl reconcile, the host"
}
