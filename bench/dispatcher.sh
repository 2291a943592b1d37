#!/bin/bash
# A libvirt QEMU hook dispatcher in the VFIO-Tools style (the hook-helper most
# single-GPU-passthrough guides install as /etc/libvirt/hooks/qemu): bash,
# then a per-domain, per-operation directory lookup
#   $HOOKDIR/qemu.d/DOMAIN/OP/SUBOP        (a script, or a directory of them)
# running whatever is found with the same arguments. Written for the
# benchmark (same behaviour, not a copy); HOOKDIR defaults to this script's
# directory. Like the original it does not read stdin: libvirt's XML stays in
# the pipe buffer.
GUEST_NAME="$1"
HOOK_NAME="$2"
STATE_NAME="$3"
BASEDIR="${HOOKDIR:-$(dirname "$0")}"
HOOKPATH="$BASEDIR/qemu.d/$GUEST_NAME/$HOOK_NAME/$STATE_NAME"

set -e
if [ -f "$HOOKPATH" ] && [ -x "$HOOKPATH" ]; then
  "$HOOKPATH" "$@"
elif [ -d "$HOOKPATH" ]; then
  while read -r file; do
    [ -n "$file" ] && "$file" "$@"
  done <<< "$(find -L "$HOOKPATH" -maxdepth 1 -type f -executable -print)"
fi
