# The differential scenarios (tests/differential/d-sysfs.sh): raw sysfs
# writes and what they leave, compared with the real kernel's recorded
# transcript. In the bed this checks that the recording is current (the
# same kernel must give the same transcript); on another platform
# (`run.sh --platform sim`) it is the differential test itself. Deliberate
# differences are listed in sim/README.md.
test_differential_sysfs() {
  local t=/tmp/d-sysfs.$PLATFORM.transcript
  GPU=$GPU GPU_AUDIO=$GPU_AUDIO GPU_USB=$GPU_USB BOOT_VGA=$BOOT_VGA NOACS_VGA=$NOACS_VGA \
    NOACS_NVME=$NOACS_NVME NOACS_BRIDGE=$NOACS_BRIDGE MTTY=$MTTY MDPY=$MDPY \
    bash "$root/tests/differential/d-sysfs.sh" > "$t" 2>/tmp/d-sysfs.err ||
    fail "the differential scenarios failed: $(cat /tmp/d-sysfs.err)"
  OUT=$("$root/tests/differential/compare.sh" "$root/tests/differential/kernel-bed.transcript" "$t" 2>&1) ||
    fail "the transcript differs from tests/differential/kernel-bed.transcript (regenerate it with tests/differential/record-bed.sh if the kernel changed):
$OUT"
  note "$(echo "$OUT" | tail -n 1)"
}
