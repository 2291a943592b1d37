#!/bin/bash
# Compare two transcripts of tests/differential/d-sysfs.sh (the real
# kernel's, recorded in the bed, and gpuhook-sim's): every observation must
# be equal, except those sim/README.md lists as deliberate differences
# ("Deliberate differences" section, lines "- `KEY`[, `KEY`...]: reason",
# KEY a shell glob on the observation key).
#
#   tests/differential/compare.sh KERNEL-TRANSCRIPT SIM-TRANSCRIPT
#
# Prints each difference and a summary line; exits 1 on any difference that
# is not listed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
readme=${DIFF_DELIBERATE:-$here/../../sim/README.md}
[ $# -eq 2 ] || { echo "usage: compare.sh KERNEL-TRANSCRIPT SIM-TRANSCRIPT" >&2; exit 2; }
for f in "$1" "$2"; do [ -s "$f" ] || { echo "compare: $f is missing or empty" >&2; exit 2; }; done

# The listed keys: between the section heading and the next heading.
mapfile -t deliberate < <(awk '/^## Deliberate differences/ { on = 1; next } /^## / { on = 0 }
  on && /^- `[^`]+`/ { s = $0; sub(/`:.*/, "`", s); while (match(s, /`[^`]+`/)) { print substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH) } }' "$readme")

declare -A kern simv
order=()
while IFS= read -r line; do
  k=${line%%: *}; v=${line#*: }
  [ -n "${kern[$k]+x}" ] || order+=("$k")
  kern[$k]=$v
done < "$1"
while IFS= read -r line; do
  k=${line%%: *}; v=${line#*: }
  simv[$k]=$v
  [ -n "${kern[$k]+x}" ] || order+=("$k")
done < "$2"

total=0 equal=0 listed=0 bad=0
for k in "${order[@]}"; do
  total=$((total + 1))
  kv=${kern[$k]-<absent>} sv=${simv[$k]-<absent>}
  if [ "$kv" = "$sv" ]; then equal=$((equal + 1)); continue; fi
  d=0
  for p in "${deliberate[@]}"; do
    # shellcheck disable=SC2053
    [[ $k == $p ]] && { d=1; break; }
  done
  if [ $d -eq 1 ]; then
    listed=$((listed + 1))
    [ -n "${DIFF_VERBOSE:-}" ] && printf 'deliberate %s\n  kernel: %s\n  sim:    %s\n' "$k" "$kv" "$sv"
  else
    bad=$((bad + 1))
    printf 'DIFFERENT %s\n  kernel: %s\n  sim:    %s\n' "$k" "$kv" "$sv"
  fi
done
echo "$total observations compared: $equal equal, $listed deliberate differences (sim/README.md), $bad unexplained"
[ $bad -eq 0 ]
