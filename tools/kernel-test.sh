#!/bin/bash
# The real-kernel suite: boot Debian 12's kernel under QEMU (tools/kernel-bed.sh)
# and run tests/kernel/ inside it, against a real libvirtd with gpuhook
# installed as the package installs it, in one boot.
#
#   tools/kernel-test.sh [PATTERN...]     (as root; PATTERNs select scenarios)
#
# Prints the guest kernel ("Linux 6.1.0-..."), one line per scenario, and ends
# with "N passed, N failed"; exits non-zero if any failed (or the bed did not
# boot). Builds build/ first unless $KERNEL_TEST_NO_BUILD is set (tools/test.sh
# has just built it). The whole boot may take $KERNEL_TEST_TIMEOUT seconds
# (default 3600: the suite takes about 25 minutes on a busy 2-CPU machine).
set -uo pipefail
cd "$(dirname "$0")/.."

t0=$SECONDS
if [ -z "${KERNEL_TEST_NO_BUILD:-}" ]; then
  opts=()
  grep -q "'test_hooks'" meson_options.txt && opts+=(-Dtest_hooks=true)
  tools/bootstrap.sh build "${opts[@]}" >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi

out=$(mktemp /tmp/kernel-test.XXXXXX)
trap 'rm -f "$out"' EXIT
tools/kernel-bed.sh --timeout "${KERNEL_TEST_TIMEOUT:-3600}" -- tests/kernel/run.sh --build build "$@" | tee "$out"
rc=${PIPESTATUS[0]}

if ! tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
  # The bed failed before the suite could report (kernel-bed.sh said why):
  # what did not pass counts as failed.
  n=$(tests/kernel/run.sh --list "$@" 2>/dev/null | wc -l)
  p=$(grep -c '^ok ' "$out")
  echo "$p passed, $((n - p)) failed"
  rc=1
fi
echo "kernel-test: $((SECONDS - t0)) s in all" >&2
exit $rc
