#!/bin/sh
# Print a libvirt domain XML that asks gpuhook for vGPUs just in time:
#   gen-domain.sh NAME DOMAIN-UUID TYPE MDEV-UUID...
# one <hostdev type='mdev'> per MDEV-UUID and the matching <gpuhook:mdev
# type=TYPE> request in the metadata (the README's format).
set -eu
name=$1 uuid=$2 type=$3
shift 3
printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n" "$name" "$uuid"
printf "  <metadata>\n    <gpuhook:devices xmlns:gpuhook=\"urn:gpuhook:domain:1\">\n"
for m in "$@"; do
  printf "      <gpuhook:mdev uuid=\"%s\" type=\"%s\"/>\n" "$m" "$type"
done
printf "    </gpuhook:devices>\n  </metadata>\n"
printf "  <memory unit='MiB'>2048</memory>\n  <vcpu>2</vcpu>\n"
printf "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n"
for m in "$@"; do
  printf "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>\n"
  printf "      <source><address uuid='%s'/></source>\n    </hostdev>\n" "$m"
done
printf "  </devices>\n</domain>\n"
