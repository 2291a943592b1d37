#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Outside plugin/drivers/ no code names a PCI vendor id, a vendor or a vendor
# driver: the core, the CLI and the callout call the vendor table
# (plugin/drivers/vendor.h). Comments and message texts (string literals
# with a space in them) may name them.
# Usage: vendor-neutral.sh SOURCE_ROOT
set -eu
root=${1:-$(dirname "$0")/../..}
cd "$root"

# Not moved to the vendor table yet; each entry says why.
#   plugin/callout/gpuhook-callout.c: the nvidia/vgpu_params attribute rules
#     (callout attributes) still live in the callout, not in an mdev driver op.
allow="plugin/callout/gpuhook-callout.c"

files=$(ls core/*.[ch] lib/*.[ch] hooks/*.[ch] cli/*.[ch] plugin/*.[ch] plugin/callout/*.[ch] 2>/dev/null || true)
bad=0
for f in $files; do
        case " $allow " in *" $f "*) continue ;; esac
        # Drop comments, then string literals that are messages (contain a
        # space); what is left is code and short code strings.
        hits=$(perl -0777 -ne '
                s{/\*.*?\*/}{ ($& =~ tr/\n//) ? "\n" x ($& =~ tr/\n//) : " " }gse;
                s{//[^\n]*}{}g;
                s{"(?:[^"\\\n]|\\.)*"}{ my $x = $&; ($x =~ / /) ? q("") : $x }ge;
                my $n = 0;
                for my $l (split /\n/, $_, -1) {
                        $n++;
                        print "$ARGV:$n: $l\n" if $l =~ /0x(?:10de|8086|1002)\b|nvidia|nouveau|i915|amdgpu|radeon|"xe"|\bgim\b/i;
                }' "$f")
        if [ -n "$hits" ]; then
                echo "$hits"
                bad=1
        fi
done
if [ "$bad" -ne 0 ]; then
        echo "vendor-neutral: the lines above name a vendor outside plugin/drivers/; add an op or a field to struct gpu_vendor (plugin/drivers/vendor.h)" >&2
        exit 1
fi
echo "vendor-neutral: ok"
