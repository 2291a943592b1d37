#!/bin/bash
# Build the libFuzzer targets with clang (ASan + UBSan + libFuzzer) straight
# from lib/ (pure code: no sysfs), then run each for a bounded time from its
# seed corpus. Fails if a target crashes, leaks, trips UBSan or an invariant.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     (default 60 s each; all targets)
#
# Environment: CLANG (default clang), GPUHOOK_FUZZ_OUT (default
# build-fuzz/ in the source tree), GPUHOOK_FUZZ_SECONDS (when no SECONDS).
# Results: one line per target in $GPUHOOK_FUZZ_OUT/results.txt
# (target, seconds, executions, exec/s, corpus size, coverage, result);
# crash inputs in $GPUHOOK_FUZZ_OUT/artifacts/.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${GPUHOOK_FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(domain config ledger owners)
out=${GPUHOOK_FUZZ_OUT:-$src/build-fuzz}
cc=${CLANG:-clang}

command -v "$cc" >/dev/null || { echo "fuzz/run.sh: error: $cc not found; install clang and libclang-rt-dev" >&2; exit 1; }
case $secs in ''|*[!0-9]*) echo "fuzz/run.sh: error: SECONDS must be a number, got '$secs'" >&2; exit 2;; esac

mkdir -p "$out/obj" "$out/artifacts"
# lib/ wants config.h; these are the only values it reads from it (the fuzzed
# parsers run nothing, so the helper paths lead nowhere).
cat > "$out/config.h" <<'H'
#pragma once
#define GPUHOOK_VERSION "fuzz"
#define GPUHOOK_CONFIG_PATH "/nonexistent/gpuhook.conf"
#define GPUHOOK_STATE_DIR_DEFAULT "/nonexistent/gpuhook"
#define GPUHOOK_LIBEXECDIR "/nonexistent"
#define GPUHOOK_BUILD_ROOT "/nonexistent"
#define GPUHOOK_SOURCE_ROOT "/nonexistent"
#define GPUHOOK_TEST_HOOKS 0
#define GPUHOOK_MDEVCTL_PATH "/nonexistent/mdevctl"
#define GPUHOOK_MODPROBE_PATH "/nonexistent/modprobe"
#define GPUHOOK_UPDATE_INITRAMFS_PATH "/nonexistent/update-initramfs"
#define GPUHOOK_DRACUT_PATH "/nonexistent/dracut"
#define GPUHOOK_CHROOT_PATH "/nonexistent/chroot"
#define GPUHOOK_SYSTEMCTL_PATH "/nonexistent/systemctl"
H

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=gnu11 -O1 -g -D_GNU_SOURCE -Wall -Wno-unused-parameter $san -I$out -I$src/lib $(pkg-config --cflags libxml-2.0)"
libs="$(pkg-config --libs libxml-2.0)"

# lib/ as the project builds it: every source lib/meson.build lists
mapfile -t sources < <(grep -o "'[a-z0-9_-]*\.c'" "$src/lib/meson.build" | tr -d "'" | sort -u)
objs=()
for s in "${sources[@]}"; do
  o="$out/obj/${s%.c}.o"
  "$cc" $cflags -fsanitize=fuzzer-no-link -c "$src/lib/$s" -o "$o"
  objs+=("$o")
done

status=0
: > "$out/results.txt.new"
for t in "${targets[@]}"; do
  exe="$out/fuzz-$t"
  "$cc" $cflags -fsanitize=fuzzer "$src/fuzz/fuzz-$t.c" "${objs[@]}" $libs -o "$exe"
  mkdir -p "$out/corpus-$t"
  seeds=("$src/fuzz/corpus/$t")
  # the hostile-input corpus seeds the domain parser too
  [ "$t" = domain ] && seeds+=("$src/tests/hostile/cases")
  dict=()
  [ -f "$src/fuzz/$t.dict" ] && dict=(-dict="$src/fuzz/$t.dict")
  log="$out/fuzz-$t.log"
  echo "fuzz: $t for ${secs}s ..."
  set +e
  # ledger: every input is written to a file; keep that in memory when we can
  tmp=${TMPDIR:-/tmp}
  { [ "$t" = ledger ] || [ "$t" = owners ]; } && [ -w /dev/shm ] && tmp=/dev/shm
  TMPDIR=$tmp ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$exe" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
      "${dict[@]}" -artifact_prefix="$out/artifacts/$t-" "$out/corpus-$t" "${seeds[@]}" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  rate=$(sed -n 's/.*exec\/s: *\([0-9]*\).*/\1/p' "$log" | tail -1 || true)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  size=$(find "$out/corpus-$t" -type f | wc -l)
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (exit $rc)"; status=1; fi
  line="fuzz-$t seconds=$secs executions=${execs:-0} exec/s=${rate:-0} corpus=$size coverage=${cov:-0} result=$result"
  echo "$line" | tee -a "$out/results.txt.new"
  if [ $rc -ne 0 ]; then
    echo "--- last lines of $log:" >&2
    tail -40 "$log" >&2
  fi
done
mv "$out/results.txt.new" "$out/results.txt"
exit $status
