#!/bin/bash
# Install, build (warnings are errors) and run every test suite twice:
# a plain build and an ASan+UBSan build. Prints "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

tools/bootstrap.sh build -Dwerror=true
tools/bootstrap.sh build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

status=0
meson test -C build --print-errorlogs --num-processes 2 || status=1
meson test -C build-asan --print-errorlogs --num-processes 2 || status=1

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
