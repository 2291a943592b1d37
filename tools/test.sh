#!/bin/bash
# Install, build (warnings are errors) and run every test suite twice:
# a plain build and an ASan+UBSan build. Prints "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh build -Dwerror=true -Dtest_hooks=true
tools/bootstrap.sh build-asan -Dwerror=true -Dtest_hooks=true -Db_sanitize=address,undefined -Db_lundef=false

status=0
meson test -C build --print-errorlogs --num-processes 2 || status=1
meson test -C build-asan --print-errorlogs --num-processes 2 || status=1

# The real-kernel suite (Debian's kernel under QEMU, ~10-15 min under TCG);
# its "N passed, N failed" is counted below. GPUHOOK_KERNEL_TEST=0 skips it.
kernel_log=$(mktemp /tmp/gpuhook-kernel-test.XXXXXX)
trap 'rm -f "$kernel_log"' EXIT
if [ "${GPUHOOK_KERNEL_TEST:-1}" != 0 ]; then
  KERNEL_TEST_NO_BUILD=1 tools/kernel-test.sh 2>&1 | tee "$kernel_log" || status=1
else
  echo "kernel-test: skipped (GPUHOOK_KERNEL_TEST=0)" > "$kernel_log"
fi

python3 - "$kernel_log" build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, re, sys
passed = failed = skipped = 0
kernel = re.findall(r"^(\d+) passed, (\d+) failed$", open(sys.argv[1]).read(), re.M)
if kernel:
    passed += int(kernel[-1][0]); failed += int(kernel[-1][1])
    print(f"real-kernel suite: {kernel[-1][0]} passed, {kernel[-1][1]} failed (counted below)")
else:
    skipped += 1  # the real-kernel suite, skipped
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
