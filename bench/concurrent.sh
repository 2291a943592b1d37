#!/bin/bash
# 32 concurrent `prepare begin` hooks against the same 32 in series, each
# domain asking for one vGPU (nvidia-222 "GRID T4-2Q", parent chosen by
# placement), inside ONE gpuhook-sim:
#   - tests/hosts/mdev-24.umockdev: 3 x T4 = 24 instances, so 24 prepares
#     win and 8 fail with the capacity message (the stampede case: checks
#     that the host lock never lets two prepares take the same instance);
#   - bench/hosts/t4x4.umockdev: 4 x T4 = 32 instances, all 32 win.
# Timed: the 32 prepares only (series: one after the other; concurrent: all
# started at once, then wait). Untimed after each sample: check the number
# of mdevs and ledgers, then release all 32 domains and check the host is
# empty again. A third column, concurrent-blocking-lock-proto, is the
# concurrent case with bench/proto-flock-wait.so preloaded (what the
# proposed lock fix would give; not gpuhook as shipped).
#
#   bench/concurrent.sh BUILD_DIR BENCH_BIN_DIR [RUNS]
set -euo pipefail
# The simulated sysfs and gpuhook's state dir live on a tmpfs, as the real
# /sys and /run do (and so that other disk I/O on the machine does not time
# file-system metadata operations): a private mount namespace, a tmpfs over
# the temporary directory.
if [ "${GPUHOOK_BENCH_NS:-}" != 1 ]; then
  exec env GPUHOOK_BENCH_NS=1 unshare --mount --propagation private "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$(cd "$1" && pwd) bin=$(cd "$2" && pwd) runs=${3:-30}
tmp=$(mktemp -d /tmp/gpuhook-bench-conc.XXXXXX)
mount -t tmpfs -o size=1g,mode=0755 tmpfs "$tmp"
trap 'umount "$tmp"; rm -rf "$tmp"' EXIT

gh=$build/hooks/gpuhook
for i in $(seq 32); do
  "$here/gen-domain.sh" "conc$i" "$(printf 'c0000000-0000-4000-8000-%012d' "$i")" nvidia-222 \
    "$(printf 'b0000000-0000-4000-8000-%012d' "$i")" > "$tmp/conc$i.xml"
done
# A refused prepare exits 1 with the capacity message; the count of mdevs
# afterwards is what is checked, so `|| true`.
{ echo "for i in \$(seq 32); do $gh conc\$i prepare begin - < $tmp/conc\$i.xml 2>>$tmp/refused.log || true; done"; } > "$tmp/series.sh"
{ echo "for i in \$(seq 32); do ($gh conc\$i prepare begin - < $tmp/conc\$i.xml 2>>$tmp/refused.log || true) & done; wait"; } > "$tmp/concurrent.sh"
# The prototype: same as concurrent, the host lock waited for in the kernel
# (bench/proto-flock-wait.c, LD_PRELOAD; gpuhook-sim keeps existing entries).
{ echo "for i in \$(seq 32); do (LD_PRELOAD=\$LD_PRELOAD:$bin/proto-flock-wait.so $gh conc\$i prepare begin - < $tmp/conc\$i.xml 2>>$tmp/refused.log || true) & done; wait"; } > "$tmp/concurrent-proto.sh"
{ echo "for i in \$(seq 32); do $gh conc\$i release end - < $tmp/conc\$i.xml; done"; } > "$tmp/release.sh"
cat > "$tmp/after.sh" <<AFTER
set -e
want=\$1
have=\$(ls /sys/bus/mdev/devices | wc -l)
ledgers=\$(ls \$GPUHOOK_STATE_DIR/domains | wc -l)
refused=\$(grep -c 'no free instance of nvidia-222' $tmp/refused.log || true)
if [ "\$have" -ne "\$want" ] || [ "\$refused" -ne \$((32 - want)) ]; then
  echo "concurrent: \$BENCH_VARIANT: \$have mdevs (want \$want), \$refused refused (want \$((32 - want))), \$ledgers ledgers" >&2
  cat $tmp/refused.log >&2
  exit 1
fi
: > $tmp/refused.log
sh $tmp/release.sh
[ "\$(ls /sys/bus/mdev/devices | wc -l)" -eq 0 ] && [ -z "\$(ls \$GPUHOOK_STATE_DIR/domains)" ]
AFTER

for host in "$src/tests/hosts/mdev-24.umockdev:24" "$here/hosts/t4x4.umockdev:32"; do
  file=${host%:*} want=${host##*:}
  : > "$tmp/refused.log"
  "$build/sim/gpuhook-sim" --testbed "$tmp/host-$want" --host "$file" -- \
    "$bin/cmdbench" -n "$runs" -w 1 -l "32 prepares, $(basename "$file") ($want instances)" -a "sh $tmp/after.sh $want" \
      series "sh $tmp/series.sh" concurrent "sh $tmp/concurrent.sh" \
      concurrent-blocking-lock-proto "sh $tmp/concurrent-proto.sh"
done
