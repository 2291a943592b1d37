#!/bin/bash
# valgrind memcheck over every hook invocation of the integration suites (and
# the fault and hostile suites): the suites run unchanged, but the build root
# they see has a hooks/gpuhook that runs the real hook under memcheck inside
# the simulated host, following its exec of gpuhook-full (and nothing it runs
# from /usr, /bin: mdevctl, sh); valgrind and the umockdev/shim preloads
# coexist: the preloads go to the client. Fails on any memcheck error, any definite or
# indirect leak, or a failing suite.
#
#   tests/faults/valgrind.sh BUILD_ROOT [SOURCE_ROOT] [SUITE...]
#
# SUITE: a test executable's path relative to BUILD_ROOT; default: every
# tests/integration/test-* and every 10th case of tests/hostile/test-hostile
# (the refusal paths). GPUHOOK_VALGRIND_ALL=1 adds tests/faults/test-crash,
# tests/faults/test-concurrency and the whole hostile corpus (under memcheck
# each hook run costs about a second: that is ~30 minutes on 2 cores).
# Summary in BUILD_ROOT/meson-logs/valgrind-summary.txt; the per-process
# logs stay in BUILD_ROOT/meson-logs/valgrind/ when something is wrong.
set -euo pipefail

build=$(cd "${1:?usage: valgrind.sh BUILD_ROOT [SOURCE_ROOT] [SUITE...]}" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
shift $(( $# >= 2 ? 2 : 1 ))
command -v valgrind >/dev/null || { echo "valgrind.sh: error: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$build/hooks/gpuhook" ] || { echo "valgrind.sh: error: no $build/hooks/gpuhook; build first" >&2; exit 1; }
sanitize=$(python3 -c 'import json,sys; print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "b_sanitize"), "none"))' \
  "$build/meson-info/intro-buildoptions.json" 2>/dev/null || echo none)
if [ "$sanitize" != none ]; then
  echo "valgrind.sh: error: $build is built with -fsanitize=$sanitize; valgrind needs a plain build" >&2; exit 1
fi

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  for f in "$build"/tests/integration/test-*; do
    [ -x "$f" ] && [ -f "$f" ] && suites+=("${f#"$build"/}")
  done
  extra=(tests/hostile/test-hostile)
  [ -n "${GPUHOOK_VALGRIND_ALL:-}" ] && extra+=(tests/faults/test-concurrency tests/faults/test-crash)
  for f in "${extra[@]}"; do
    [ -x "$build/$f" ] && suites+=("$f")
  done
fi

logs="$build/meson-logs/valgrind"
root=$(mktemp -d "${TMPDIR:-/tmp}/gpuhook-vg.XXXXXX")
trap 'rm -rf "$root"' EXIT
rm -rf "$logs"
mkdir -p "$logs" "$root/hooks"
# Everything but the hook is the real build tree.
for e in "$build"/*; do
  [ "$(basename "$e")" = hooks ] || ln -s "$e" "$root/$(basename "$e")"
done
# One log per invocation, on an fd every valgrind of the chain inherits: the
# front end and the gpuhook-full it execs share a pid (a --log-file=%p would
# let the second overwrite the first), forked writers append to it too.
# The installed front end is static-pie, and memcheck cannot replace a static
# binary's malloc and string functions (it reports their own uninitialised
# reads): it runs the same front.c linked dynamically (hooks/meson.build).
for exe in "$build"/hooks/*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe")
  [ "$name" = gpuhook-dynamic ] && continue
  [ "$name" = gpuhook ] && [ -x "$build/hooks/gpuhook-dynamic" ] && exe=$build/hooks/gpuhook-dynamic
  cat > "$root/hooks/$name" <<EOF
#!/bin/sh
exec 9>>"$logs/vg.\$\$.log"
exec valgrind --tool=memcheck --quiet --leak-check=full --show-leak-kinds=definite,indirect \\
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
  --trace-children=yes --trace-children-skip='/usr/*,/bin/*,/sbin/*,*/mdevctl,*/modprobe,*/.sim/*' \\
  --log-fd=9 "$exe" "\$@"
EOF
  chmod 755 "$root/hooks/$name"
done

failed_suites=()
start=$(date +%s)
for s in "${suites[@]}"; do
  echo "valgrind: $s ..."
  set +e
  GPUHOOK_BUILD_ROOT="$root" GPUHOOK_SOURCE_ROOT="$src" \
    GPUHOOK_HOSTILE_STRIDE=${GPUHOOK_HOSTILE_STRIDE:-$([ -n "${GPUHOOK_VALGRIND_ALL:-}" ] && echo 1 || echo 10)} \
    ASAN_OPTIONS=verify_asan_link_order=0 "$build/$s" > "$logs/$(basename "$s").out" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    failed_suites+=("$s")
    echo "valgrind: $s FAILED (exit $rc); its output: $logs/$(basename "$s").out"
    grep -E "FAILED|CU_ASSERT|unexpected|error" "$logs/$(basename "$s").out" | head -20 || true
  fi
done

# One log per hook invocation (front end, gpuhook-full, forked writers);
# --quiet: a clean one is empty.
runs=0 errors=0 leaks=0
bad=()
for f in "$logs"/vg.*.log; do
  [ -e "$f" ] || continue
  runs=$((runs + 1))
  if [ -s "$f" ]; then
    # --quiet: a clean run writes nothing; anything else is an error or a leak report
    if grep -qE "definitely lost|indirectly lost" "$f"; then leaks=$((leaks + 1)); fi
    n=$(grep -cE "^==[0-9]+== (Invalid|Conditional|Syscall param|Mismatched|Source and destination|Argument|[0-9,]+ bytes in [0-9,]+ blocks are (definitely|indirectly))" "$f" || true)
    errors=$((errors + n))
    [ "$n" -gt 0 ] && bad+=("$f")
  fi
done
secs=$(( $(date +%s) - start ))
summary="valgrind memcheck: ${#suites[@]} suites, $runs hook invocations, $errors errors, $leaks with leaks, ${#failed_suites[@]} failed suites, ${secs}s"
echo "$summary" | tee "$build/meson-logs/valgrind-summary.txt"
for f in "${bad[@]}"; do
  echo "--- $f" >&2
  head -60 "$f" >&2
done
if [ "$errors" -ne 0 ] || [ "$leaks" -ne 0 ] || [ ${#failed_suites[@]} -ne 0 ]; then
  exit 1
fi
rm -rf "$logs"
exit 0
