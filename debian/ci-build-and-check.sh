#!/bin/bash
# Build the gpuhook .deb from this tree, lint it, install it, check that the
# installed package works, and purge it again.
#
#   sudo debian/ci-build-and-check.sh [--keep DIR]
#
# 1. installs the build dependencies (apt-get build-dep on debian/control)
#    and dpkg-dev, debhelper, fakeroot, lintian (only what is missing);
# 2. copies the tree (without .git and build dirs) to a temporary directory
#    and runs `dpkg-buildpackage -us -uc -b` there: the checkout stays clean;
# 3. lintian: fails on any error (E:); warnings are printed;
# 4. `apt-get install ./gpuhook_*.deb`, then checks, as the installed
#    package (nothing from the tree):
#    - /etc/libvirt/hooks/qemu.d/50-gpuhook resolves to an executable;
#    - the hook, run as libvirt runs it for a domain without hostdev, exits
#      0 for prepare/start/started/stopped/release and prints nothing;
#    - `gpuhookctl check` runs and prints its report, which mentions the
#      IOMMU (a machine without IOMMU gets a failing check and exit 1: that
#      is the expected report, not a failure here);
#    - the files the package must ship are in `dpkg -L gpuhook`;
# 5. purges gpuhook (and any package apt pulled in for it), also when a step
#    failed, so the machine is left as found.
# --keep DIR copies the built .deb and the lintian report to DIR.
#
# Prints "deb: N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
keep=
if [ "${1:-}" = --keep ]; then keep=$2; fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ci-build-and-check: error: run as root (it installs and purges the package)" >&2
  exit 1
fi
if dpkg-query -W -f='${Status}' gpuhook 2>/dev/null | grep -q 'install ok installed'; then
  echo "ci-build-and-check: error: gpuhook is already installed on this machine; purge it first (apt-get purge gpuhook) so the check can leave the machine as it found it" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
tools=(dpkg-dev debhelper fakeroot lintian)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || ! dpkg-checkbuilddeps debian/control >/dev/null 2>&1; then
  apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  apt-get build-dep -y -qq --no-install-recommends "$src" >/dev/null
fi

tmp=$(mktemp -d /tmp/gpuhook-deb.XXXXXX)
before=$tmp/packages-before
dpkg-query -W -f='${Package}\n' | sort > "$before"
passed=0 failed=0
ok() { echo "deb: ok: $*"; passed=$((passed + 1)); }
bad() { echo "deb: FAILED: $*" >&2; failed=$((failed + 1)); }

cleanup() {
  if dpkg-query -W -f='${Status}' gpuhook 2>/dev/null | grep -q 'installed'; then
    apt-get purge -y -qq gpuhook >/dev/null 2>&1 || dpkg --purge gpuhook >/dev/null 2>&1 || true
  fi
  # Anything apt pulled in for the package goes too.
  local added
  added=$(dpkg-query -W -f='${Package}\n' | sort | comm -13 "$before" - || true)
  if [ -n "$added" ]; then
    # shellcheck disable=SC2086
    apt-get purge -y -qq $added >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# 2. Build from a copy of the tree.
version=$(dpkg-parsechangelog -S Version)
tree=$tmp/gpuhook-$version
mkdir -p "$tree"
tar -C "$src" --exclude=./.git --exclude='./build*' --exclude=./debian/gpuhook \
    --exclude=./debian/.debhelper --exclude=./debian/files --exclude='./debian/*.substvars' \
    --exclude='./debian/*.log' -cf - . | tar -C "$tree" -xf -
echo "deb: building gpuhook $version in $tree"
if (cd "$tree" && dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
  ok "dpkg-buildpackage -us -uc -b"
else
  tail -40 "$tmp/build.log" >&2
  bad "dpkg-buildpackage failed (log above)"
  echo "deb: $passed passed, $failed failed"
  exit 1
fi
deb=$(ls "$tmp"/gpuhook_"${version}"_*.deb)
changes=$(ls "$tmp"/gpuhook_"${version}"_*.changes)

# 3. lintian.
lintian --fail-on error --info --display-info "$changes" > "$tmp/lintian.txt" 2>&1 && lint=0 || lint=$?
sed 's/^/    /' "$tmp/lintian.txt"
if [ $lint -eq 0 ] && ! grep -q '^E: ' "$tmp/lintian.txt"; then
  ok "lintian: no errors ($(grep -c '^W: ' "$tmp/lintian.txt" || true) warnings, $(grep -c '^I: ' "$tmp/lintian.txt" || true) info)"
else
  bad "lintian reported errors"
fi
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$deb" "$tmp/lintian.txt" "$tmp/build.log" "$keep/"
fi

# 4. Install and check the installed package.
if apt-get install -y -qq --no-install-recommends "$deb" > "$tmp/install.log" 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else
  cat "$tmp/install.log" >&2
  bad "apt-get install failed"
  echo "deb: $passed passed, $failed failed"
  exit 1
fi

link=/etc/libvirt/hooks/qemu.d/50-gpuhook
target=$(readlink -f "$link" || true)
if [ -L "$link" ] && [ -n "$target" ] && [ -f "$target" ] && [ -x "$target" ]; then
  ok "$link -> $target (executable)"
else
  bad "$link does not resolve to an executable (-> '${target}')"
fi

# The hook as libvirt runs it (environment replaced, XML on stdin), for a
# domain without hostdev: nothing to do, exit 0, stdout empty.
xml='<domain type="kvm"><name>deb-check</name><uuid>5e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6</uuid><memory unit="MiB">64</memory><os><type arch="x86_64">hvm</type></os><devices/></domain>'
hook_ok=1
for op in "prepare begin" "start begin" "started begin" "stopped end" "release end"; do
  # shellcheck disable=SC2086
  out=$(printf '%s' "$xml" | env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        "$link" deb-check $op - 2>"$tmp/hook.err") || { hook_ok=0; echo "deb: hook $op: $(cat "$tmp/hook.err")" >&2; }
  [ -z "$out" ] || { hook_ok=0; echo "deb: hook $op printed to stdout: $out" >&2; }
done
[ $hook_ok = 1 ] && ok "installed hook: 5 ops on a domain without hostdev exit 0, stdout empty" \
                 || bad "installed hook misbehaved"

# The packaged build is not a test build (meson -Dtest_hooks stays false):
# GPUHOOK_CONFIG and GPUHOOK_STATE_DIR must not steer the root hook. Each
# probe fails if the variable is honoured: a config with max_xml_kib = 4
# would refuse an 8 KiB domain; a state dir holding a ledger for the domain
# would send its release to gpuhook-full, which takes STATE_DIR/lock.
mkdir -p "$tmp/steer/domains"
printf 'max_xml_kib = 4\n' > "$tmp/steer/gpuhook.conf"
: > "$tmp/steer/domains/5e0c1d2a-3b4c-4d5e-8f60-718293a4b5c6.xml"
pad=$(head -c 8192 /dev/zero | tr '\0' x)
big="${xml%</domain>}<description>$pad</description></domain>"
steer_ok=1
printf '%s' "$big" | env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin GPUHOOK_CONFIG="$tmp/steer/gpuhook.conf" \
    "$link" deb-check prepare begin - 2>"$tmp/hook.err" || { steer_ok=0; echo "deb: GPUHOOK_CONFIG was honoured: $(cat "$tmp/hook.err")" >&2; }
printf '%s' "$xml" | env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin GPUHOOK_STATE_DIR="$tmp/steer" \
    "$link" deb-check release end - 2>"$tmp/hook.err" || { steer_ok=0; echo "deb: release with GPUHOOK_STATE_DIR: $(cat "$tmp/hook.err")" >&2; }
if [ -e "$tmp/steer/lock" ]; then steer_ok=0; echo "deb: GPUHOOK_STATE_DIR was honoured ($tmp/steer/lock taken)" >&2; fi
[ $steer_ok = 1 ] && ok "installed hook ignores GPUHOOK_CONFIG and GPUHOOK_STATE_DIR (not a test build)" \
                  || bad "installed hook is steered by GPUHOOK_* variables"

ctl=$(dpkg -L gpuhook | grep -E '^/usr/s?bin/gpuhookctl$' | head -1 || true)
if [ -n "$ctl" ] && [ -x "$ctl" ]; then
  rc=0
  "$ctl" check > "$tmp/check.txt" 2>&1 || rc=$?
  sed 's/^/    /' "$tmp/check.txt"
  if [ $rc -le 1 ] && grep -qi 'iommu' "$tmp/check.txt"; then
    ok "gpuhookctl check ran (exit $rc) and its report covers the IOMMU"
  else
    bad "gpuhookctl check: exit $rc, or no IOMMU line in its report"
  fi
else
  bad "gpuhookctl (/usr/sbin or /usr/bin) is not in the package"
fi

# What the package must ship (paths as Debian 12 puts them).
dpkg -L gpuhook > "$tmp/files.txt"
want=(
  /usr/libexec/gpuhook/gpuhook
  /etc/libvirt/hooks/qemu.d/50-gpuhook
  /usr/share/man/man8/gpuhookctl.8.gz
  /usr/share/bash-completion/completions/gpuhookctl
  /lib/systemd/system/gpuhook-reconcile.service
  /usr/share/doc/gpuhook/copyright
)
# The mdevctl callout, once the build installs it.
if grep -qs "subdir('plugin/callout')" "$tree/meson.build" || grep -qs "subdir('callout')" "$tree/plugin/meson.build"; then
  want+=(/usr/libexec/gpuhook/gpuhook-callout /etc/mdevctl.d/scripts.d/callouts/gpuhook)
fi
# ... and everything the package's own meson build installed (new files
# land in the package without a list to keep in step; this proves it).
intro=$(ls "$tree"/obj-*/meson-info/intro-installed.json 2>/dev/null | head -1)
if [ -n "$intro" ]; then
  while IFS= read -r f; do want+=("$f"); done < <(python3 - "$intro" <<'PY'
import json, sys
for dest in sorted(set(json.load(open(sys.argv[1])).values())):
    # Debian 12: units under /lib (debian/rules), man pages gzipped (dh_compress)
    if dest.startswith("/usr/lib/systemd/system/"):
        dest = dest[len("/usr"):]
    if "/share/man/" in dest and not dest.endswith(".gz"):
        dest += ".gz"
    print(dest)
PY
)
else
  bad "no meson-info/intro-installed.json in the package build tree"
fi
lacking=()
for f in "${want[@]}"; do grep -qx "$f" "$tmp/files.txt" || lacking+=("$f"); done
if [ ${#lacking[@]} -eq 0 ]; then
  ok "package ships the ${#want[@]} expected files (the list above and all that meson installs)"
else
  bad "package lacks: ${lacking[*]}"
fi
echo "deb: package contents:"
sed 's/^/    /' "$tmp/files.txt"

# 5. Purge (the trap does it as well, on any exit) and check it is gone.
apt-get purge -y -qq gpuhook >/dev/null
left=$(find /etc/systemd/system /etc/libvirt/hooks /etc/mdevctl.d /usr/libexec/gpuhook /etc/gpuhook -name '*gpuhook*' 2>/dev/null || true)
if [ ! -e "$link" ] && [ ! -L "$link" ] && [ -z "$left" ] && ! dpkg-query -W gpuhook >/dev/null 2>&1; then
  ok "apt-get purge gpuhook removed the hook, the callout and the unit's links"
else
  bad "after purge, still there: ${left:-the package}"
fi

echo "deb: $passed passed, $failed failed"
[ $failed -eq 0 ]
