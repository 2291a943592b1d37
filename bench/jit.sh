#!/bin/bash
# Just-in-time create + destroy of 1, 4 and 16 mdevs on a simulated host:
# gpuhook (`prepare begin` then `release end` of a domain asking for N
# mtty-1 instances in its metadata) against the same work as plain mdevctl
# calls (`mdevctl start -u U -p mtty -t mtty-1` x N, then `mdevctl stop -u U`
# x N). Both run inside ONE gpuhook-sim (tests/hosts/mtty.umockdev, 24
# ports), so the simulated sysfs, umockdev's preload and the real mdevctl
# 1.2.0 cost both sides the same; cmdbench interleaves them.
#
#   bench/jit.sh BUILD_DIR BENCH_BIN_DIR [RUNS]
#
# Prints Markdown table rows (cmdbench format). Runs as root; touches only a
# temporary testbed (private mount namespace).
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
tmp=$(mktemp -d /tmp/gpuhook-bench-jit.XXXXXX)
mount -t tmpfs -o size=1g,mode=0755 tmpfs "$tmp"
trap 'umount "$tmp"; rm -rf "$tmp"' EXIT

uuid() { printf '%08x-0000-4000-8000-%012d' "$1" "$2"; }
for n in 1 4 16; do
  mdevs=()
  for i in $(seq "$n"); do mdevs+=("$(uuid 0xa000 "$i")"); done
  "$here/gen-domain.sh" "jit$n" "$(uuid 0xd000 "$n")" mtty-1 "${mdevs[@]}" > "$tmp/jit$n.xml"
  { echo "set -e"
    for m in "${mdevs[@]}"; do echo "mdevctl start -u $m -p mtty -t mtty-1"; done
    for m in "${mdevs[@]}"; do echo "mdevctl stop -u $m"; done
  } > "$tmp/mdevctl$n.sh"
  echo "set -e; $build/hooks/gpuhook jit$n prepare begin - < $tmp/jit$n.xml; $build/hooks/gpuhook jit$n release end - < $tmp/jit$n.xml" > "$tmp/gpuhook$n.sh"
  # Only for the check below: prepare alone.
  echo "$build/hooks/gpuhook jit$n prepare begin - < $tmp/jit$n.xml" > "$tmp/prepare$n.sh"
done

cat > "$tmp/inner.sh" <<INNER
set -eu
count() { ls /sys/bus/mdev/devices | wc -l; }
empty='[ "\$(ls /sys/bus/mdev/devices | wc -l)" -eq 0 ] && [ -z "\$(ls \$GPUHOOK_STATE_DIR/domains 2>/dev/null)" ]'
for n in 1 4 16; do
  # Check once that both sides do the work: N instances, then none.
  sh $tmp/prepare\$n.sh
  [ "\$(count)" -eq "\$n" ] || { echo "jit: gpuhook prepare made \$(count) mdevs, not \$n" >&2; exit 1; }
  $build/hooks/gpuhook jit\$n release end - < $tmp/jit\$n.xml
  [ "\$(count)" -eq 0 ] || { echo "jit: gpuhook release left \$(count) mdevs" >&2; exit 1; }
  $bin/cmdbench -n $runs -w 2 -l "\$n mdev(s) create+destroy" -a "\$empty" \
    mdevctl "sh $tmp/mdevctl\$n.sh" gpuhook "sh $tmp/gpuhook\$n.sh"
done
INNER
"$build/sim/gpuhook-sim" --testbed "$tmp/host" --host "$src/tests/hosts/mtty.umockdev" -- sh "$tmp/inner.sh"
