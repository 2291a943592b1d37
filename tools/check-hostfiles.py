#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check the simulated hosts (tests/hosts/*.umockdev) against their sources.

Every PCI device record is checked against pci.ids (the names udev's hwdb
builds from it), the kernel's uevent/sysfs formats, and every mdev type
against the tables below, each cited to where it comes from. Each file must
carry a "# Sources:" header.

Usage: tools/check-hostfiles.py [--pci-ids FILE] [--hwdb DIR] [FILE...]
       tools/check-hostfiles.py --self-test

One line per problem on stderr, "FILE:LINE: what is wrong; what the source
says (source)", exit 1 if any. A problem listed in KNOWN below (a value a
source contradicts but a test still pins) is printed as a note and does not
fail; a KNOWN entry that no longer matches anything is an error, so the list
shrinks as the tests are fixed. Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_PCI_IDS = "/usr/share/misc/pci.ids"
DEFAULT_HWDB = "/usr/lib/udev/hwdb.d"

# ---------------------------------------------------------------------------
# Source tables
# ---------------------------------------------------------------------------

# Kernel formats (drivers/pci/pci-driver.c pci_uevent(); drivers/pci/pci-sysfs.c
# modalias_show(), Linux 6.1): PCI_CLASS=%04X, PCI_ID=%04X:%04X,
# PCI_SUBSYS_ID=%04X:%04X, PCI_SLOT_NAME=pci_name(),
# MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X; sysfs vendor/device/
# subsystem_* "0x%04x", class "0x%06x"; sriov_vf_device "%x"
# (drivers/pci/iov.c sriov_vf_device_show).

# mdev core (drivers/vfio/mdev/mdev_sysfs.c, Linux 6.1): the type directory is
# "<driver name>-<sysfs_name>"; name shows pretty_name if the driver set one,
# else sysfs_name; device_api comes from the mdev driver.

# samples/vfio-mdev/mtty.c (Linux 6.1): MAX_MTTYS 24 ports;
# mtty_types[] = { nr_ports 1, sysfs_name "1", pretty_name "Single port serial" },
# { nr_ports 2, "2", "Dual port serial" }; mtty_get_available() =
# avail_ports / nr_ports; device_api VFIO_DEVICE_API_PCI_STRING.
# samples/vfio-mdev/mdpy.c: max_devices = 4 (module parameter "count"), types
# "vga" 640x480, "xga" 1024x768, "hd" 1920x1080, pretty_name "mdpy-<type>";
# one counter for all types (mdpy_driver.max_instances), so each reads 4 at rest.
# samples/vfio-mdev/mbochs.c: max_mbytes = 256; "small" 4 MB, "medium" 16 MB,
# "large" 64 MB, pretty_name "mbochs-<type>"; available = avail_mbytes / mbytes.
SAMPLE_TYPES = {
    "mtty-1": ("Single port serial", "vfio-pci", 24, "samples/vfio-mdev/mtty.c: MAX_MTTYS 24 / nr_ports 1"),
    "mtty-2": ("Dual port serial", "vfio-pci", 12, "samples/vfio-mdev/mtty.c: MAX_MTTYS 24 / nr_ports 2"),
    "mdpy-vga": ("mdpy-vga", "vfio-pci", 4, "samples/vfio-mdev/mdpy.c: max_devices 4"),
    "mdpy-xga": ("mdpy-xga", "vfio-pci", 4, "samples/vfio-mdev/mdpy.c: max_devices 4"),
    "mdpy-hd": ("mdpy-hd", "vfio-pci", 4, "samples/vfio-mdev/mdpy.c: max_devices 4"),
    "mbochs-small": ("mbochs-small", "vfio-pci", 64, "samples/vfio-mdev/mbochs.c: max_mbytes 256 / 4 MB"),
    "mbochs-medium": ("mbochs-medium", "vfio-pci", 16, "samples/vfio-mdev/mbochs.c: max_mbytes 256 / 16 MB"),
    "mbochs-large": ("mbochs-large", "vfio-pci", 4, "samples/vfio-mdev/mbochs.c: max_mbytes 256 / 64 MB"),
    # drivers/s390/cio/vfio_ccw_drv.c vfio_ccw_sch_probe(): sysfs_name "io",
    # pretty_name "I/O subchannel (Non-QDIO)"; vfio_ccw_mdev_driver.max_instances 1
    # (vfio_ccw_ops.c), device_api VFIO_DEVICE_API_CCW_STRING.
    "vfio_ccw-io": ("I/O subchannel (Non-QDIO)", "vfio-ccw", 1,
                    "drivers/s390/cio/vfio_ccw_drv.c, vfio_ccw_ops.c: one instance per subchannel"),
    # drivers/s390/crypto/vfio_ap_ops.c: VFIO_AP_MDEV_TYPE_HWVIRT "passthrough",
    # VFIO_AP_MDEV_NAME_HWVIRT "VFIO AP Passthrough Device", max_instances
    # MAX_ZDEV_ENTRIES_EXT = 256 * 256 (arch/s390/include/uapi/asm/zcrypt.h).
    "vfio_ap-passthrough": ("VFIO AP Passthrough Device", "vfio-ap", 65536,
                            "drivers/s390/crypto/vfio_ap_ops.c: MAX_ZDEV_ENTRIES_EXT 65536"),
}

# Intel GVT-g. drivers/gpu/drm/i915/gvt/vgpu.c intel_vgpu_configs[] (vgpu_types[]
# before Linux 6.2; same values since 4.10):
#   { MB_TO_BYTES(64),  MB_TO_BYTES(384),  4, VGPU_WEIGHT(8), GVT_EDID_1024_768,  "8" },
#   { MB_TO_BYTES(128), MB_TO_BYTES(512),  4, VGPU_WEIGHT(4), GVT_EDID_1920_1200, "4" },
#   { MB_TO_BYTES(256), MB_TO_BYTES(1024), 4, VGPU_WEIGHT(2), GVT_EDID_1920_1200, "2" },
#   { MB_TO_BYTES(512), MB_TO_BYTES(2048), 4, VGPU_WEIGHT(1), GVT_EDID_1920_1200, "1" },
# VGPU_WEIGHT(n) = 16 / n; name "GVTg_V%u_%s" with 4 on GRAPHICS_VER 8, else 5;
# display.h vgpu_edid_str(): "1024x768" / "1920x1200".
# kvmgt.c intel_vgpu_show_description(): "low_gm_size: %dMB\nhigh_gm_size: %dMB\n"
# "fence: %d\nresolution: %s\nweight: %d\n"; intel_vgpu_get_available() =
# min3(low_gm_avail / low, high_gm_avail / high, fence_avail / fence) with
# fence_avail = num_fences - HOST_FENCE (gvt.h: HOST_FENCE 4, HOST_LOW_GM_SIZE
# 128 MB, HOST_HIGH_GM_SIZE 384 MB) and num_fences = 32 on GRAPHICS_VER >= 7
# (gt/intel_ggtt_fencing.c intel_ggtt_init_fences()): at most 28 / 4 = 7.
GVT_SRC = "drivers/gpu/drm/i915/gvt/vgpu.c intel_vgpu_configs[], kvmgt.c intel_vgpu_show_description()"
GVT_TYPES = {
    "8": (64, 384, 4, "1024x768", 2),
    "4": (128, 512, 4, "1920x1200", 4),
    "2": (256, 1024, 4, "1920x1200", 8),
    "1": (512, 2048, 4, "1920x1200", 16),
}
GVT_ORDER = ["8", "4", "2", "1"]
GVT_MAX_BY_FENCES = (32 - 4) // 4
# What the capacities at rest also depend on, and no source here settles: the
# firmware's aperture (BAR 2, gt/intel_ggtt.c gen8_gmch_probe() mappable_end;
# a power of two) and GGTT size (GGMS in GMCH_CTRL, gen8_get_total_gtt_size():
# 2/4/8 MB of PTEs, so 1/2/4 GB). The types registered are those with
# low GM avail / low_mm > 0 (vgpu.c intel_gvt_init_vgpu_types()).
GVT_APERTURES_MB = (128, 256, 512, 1024, 2048)
GVT_GGTT_MB = (1024, 2048, 4096)


def gvt_at_rest(aperture, ggtt):
    """{size: available_instances} i915 shows at rest for one firmware
    setting (MB), or None where the kernel's unsigned sums would wrap."""
    low, high, fences = aperture - 128, ggtt - aperture - 384, 32 - 4
    if low < 0 or high < 0:
        return None
    out = {}
    for s in GVT_ORDER:
        lo, hi, fe = GVT_TYPES[s][0], GVT_TYPES[s][1], GVT_TYPES[s][2]
        if low // lo == 0:
            break
        out[s] = min(low // lo, high // hi, fences // fe)
    return out

# NVIDIA legacy mdev types (nvidia_vgpu_vfio): id -> (name, framebuffer MB,
# num_heads, max_resolution, frl_config). Source: the vGPU type list taken
# from vgpuConfig.xml of the 510.47.03 vGPU host driver (vGPU 14.0) as a
# community vGPU wiki page publishes it ("vGPU Types List"); the name of
# nvidia-222 is also what KubeVirt's functional tests read from a real T4
# (kubevirt/kubevirt tests/mdev_configuration_allocation_test.go: "nvidia-222",
# "GRID T4-1B", 16 instances; "nvidia-223", "GRID T4-2B", 8), and the A2 ids
# match a recorded sysfs listing (harvester/pcidevices pkg/util/gpuhelper/
# gpuhelper.go: nvidia-742 "NVIDIA A2-1B" ... nvidia-756 "NVIDIA A2-16C").
# frl_config is 45 for B-series, 60 otherwise; the description format is
# "num_heads=%u, frl_config=%u, framebuffer=%uM, max_resolution=%ux%u,
# max_instance=%u" (as `mdevctl types` prints it on real hosts, e.g. the P40
# listings on atl.kr "NVIDIA vGPU types" and pastebin n3JfMkmR).
NV_SRC = "vgpuConfig.xml of vGPU driver 510.47.03 (vGPU types list)"


def _nv(rows):
    out = {}
    for tid, name, fb in rows:
        suffix = re.search(r"-(\d+)([ABCQ])\d*$", name)
        s = suffix.group(2)
        if s == "B":
            heads, res, frl = 4, "5120x2880", 45
        elif s == "A":
            heads, res, frl = 1, "1280x1024", 60
        elif s == "C":
            heads, res, frl = 1, "4096x2160", 60
        else:  # Q
            heads, res, frl = 4, ("5120x2880" if fb == 1024 else "7680x4320"), 60
        out[tid] = (name, fb, heads, res, frl)
    return out


NV_TYPES = {}
# GRID T4 (10de:1eb8)
NV_TYPES.update(_nv([
    (222, "GRID T4-1B", 1024), (223, "GRID T4-2B", 2048), (224, "GRID T4-2B4", 2048),
    (225, "GRID T4-1A", 1024), (226, "GRID T4-2A", 2048), (227, "GRID T4-4A", 4096),
    (228, "GRID T4-8A", 8192), (229, "GRID T4-16A", 16384), (230, "GRID T4-1Q", 1024),
    (231, "GRID T4-2Q", 2048), (232, "GRID T4-4Q", 4096), (233, "GRID T4-8Q", 8192),
    (234, "GRID T4-16Q", 16384), (252, "GRID T4-1B4", 1024), (319, "GRID T4-4C", 4096),
    (320, "GRID T4-8C", 8192), (321, "GRID T4-16C", 16384)]))
# GRID V100 (V100 PCIe 16GB)
NV_TYPES.update(_nv([
    (105, "GRID V100-1Q", 1024), (106, "GRID V100-2Q", 2048), (107, "GRID V100-4Q", 4096),
    (108, "GRID V100-8Q", 8192), (109, "GRID V100-16Q", 16384), (110, "GRID V100-1A", 1024),
    (111, "GRID V100-2A", 2048), (112, "GRID V100-4A", 4096), (113, "GRID V100-8A", 8192),
    (114, "GRID V100-16A", 16384), (115, "GRID V100-1B", 1024), (163, "GRID V100-2B", 2048),
    (217, "GRID V100-2B4", 2048), (247, "GRID V100-1B4", 1024), (299, "GRID V100-4C", 4096),
    (300, "GRID V100-8C", 8192), (301, "GRID V100-16C", 16384)]))
# NVIDIA A10 (10de:2236)
NV_TYPES.update(_nv([
    (588, "NVIDIA A10-1B", 1024), (589, "NVIDIA A10-2B", 2048), (590, "NVIDIA A10-1Q", 1024),
    (591, "NVIDIA A10-2Q", 2048), (592, "NVIDIA A10-3Q", 3072), (593, "NVIDIA A10-4Q", 4096),
    (594, "NVIDIA A10-6Q", 6144), (595, "NVIDIA A10-8Q", 8192), (596, "NVIDIA A10-12Q", 12288),
    (597, "NVIDIA A10-24Q", 24576), (598, "NVIDIA A10-1A", 1024), (599, "NVIDIA A10-2A", 2048),
    (600, "NVIDIA A10-3A", 3072), (601, "NVIDIA A10-4A", 4096), (602, "NVIDIA A10-6A", 6144),
    (603, "NVIDIA A10-8A", 8192), (604, "NVIDIA A10-12A", 12288), (605, "NVIDIA A10-24A", 24576),
    (610, "NVIDIA A10-4C", 4096), (611, "NVIDIA A10-6C", 6144), (612, "NVIDIA A10-8C", 8192),
    (613, "NVIDIA A10-12C", 12288), (614, "NVIDIA A10-24C", 24576)]))
# GRID A100 (time-sliced C types; the MIG-backed ones, 474-478, are left out)
NV_TYPES.update(_nv([
    (468, "GRID A100-4C", 4096), (469, "GRID A100-5C", 5120), (470, "GRID A100-8C", 8192),
    (471, "GRID A100-10C", 10240), (472, "GRID A100-20C", 20480), (473, "GRID A100-40C", 40960)]))
# GRID A100D (A100 80GB)
NV_TYPES.update(_nv([
    (692, "GRID A100D-4C", 4096), (693, "GRID A100D-8C", 8192), (694, "GRID A100D-10C", 10240),
    (695, "GRID A100D-16C", 16384), (696, "GRID A100D-20C", 20480), (697, "GRID A100D-40C", 40960),
    (698, "GRID A100D-80C", 81920)]))

# Card memory per PCI device (MB), for max_instance = card memory / profile
# size: the pci.ids names (10de:1db4 "Tesla V100 PCIe 16GB", 10de:20b5 "A100
# PCIe 80GB", 10de:20f1 "A100 PCIe 40GB") and NVIDIA's data sheets (T4 16 GB,
# A10 24 GB, L40S 48 GB).
CARD_MB = {("10de", "1eb8"): 16384, ("10de", "1db4"): 16384, ("10de", "2236"): 24576,
           ("10de", "20b5"): 81920, ("10de", "20f1"): 40960, ("10de", "26b9"): 49152}

# NVIDIA vendor-specific VFIO (vGPU 17+): nvidia/creatable_vgpu_types on an
# L40S VF, as recorded on a real host (harvester/pcidevices, the comment
# "cat creatable_vgpu_types" on VF 0000:3d:00.4 in its gpuhelper code) and as
# OpenNebula's PCI monitoring lists them (PROFILES = "1145 (NVIDIA L40S-1B),
# 1146 (NVIDIA L40S-2B), 1147 (NVIDIA L40S-1Q), ...").
VFIO_SRC = "creatable_vgpu_types of a real L40S VF (harvester/pcidevices gpuhelper)"
VFIO_TYPES = {
    1145: "NVIDIA L40S-1B", 1146: "NVIDIA L40S-2B", 1147: "NVIDIA L40S-1Q", 1148: "NVIDIA L40S-2Q",
    1149: "NVIDIA L40S-3Q", 1150: "NVIDIA L40S-4Q", 1151: "NVIDIA L40S-6Q", 1152: "NVIDIA L40S-8Q",
    1153: "NVIDIA L40S-12Q", 1154: "NVIDIA L40S-16Q", 1155: "NVIDIA L40S-24Q", 1156: "NVIDIA L40S-48Q",
    1157: "NVIDIA L40S-1A", 1158: "NVIDIA L40S-2A", 1159: "NVIDIA L40S-3A", 1160: "NVIDIA L40S-4A",
    1161: "NVIDIA L40S-6A", 1162: "NVIDIA L40S-8A", 1163: "NVIDIA L40S-12A", 1164: "NVIDIA L40S-16A",
    1165: "NVIDIA L40S-24A", 1166: "NVIDIA L40S-48A", 2164: "NVIDIA L40S-3B",
}

# PCI ids that neither Debian 12's pci.ids (2023.04.10) nor systemd 252's hwdb
# knows: no public source here settles their names, which are accepted with a
# note (newer pci.ids releases list them; not verified here).
UNSETTLED_IDS = {
    ("8086", "352a"): "Sapphire Rapids root port: not in pci.ids 2023.04.10 nor systemd 252's hwdb",
    ("8086", "4fa0"): "DG2 switch upstream port: not in pci.ids 2023.04.10 nor systemd 252's hwdb",
    ("8086", "4fa4"): "DG2 switch downstream port: not in pci.ids 2023.04.10 nor systemd 252's hwdb",
    ("8086", "347a"): "Ice Lake-SP root port: not in pci.ids 2023.04.10 nor systemd 252's hwdb",
}

# PCI ids in a recording of a real kernel (kernel-bed.umockdev: QEMU 7.2's
# devices as Linux 6.1 saw them, tools/kernel-bed.sh): the recording is their
# source even where pci.ids lacks them.
RECORDED_FILES = {"kernel-bed.umockdev"}

# Values a source contradicts but a test still asserts: (file, code) -> why.
# Printed as notes; remove an entry once its test and data are fixed. Empty:
# the last ones (GVT-g V5_8's resolution and capacities, nvidia-222 x8 on
# mdev-24, nvidia-592/601 on a10x2, the A100 ids on a100-vf, the L40S ids on
# l40s-vfio and server-mixed) were fixed with their tests; the self-test below
# keeps a broken copy of each, which must fail.
KNOWN = {
}


# ---------------------------------------------------------------------------
# pci.ids and hwdb
# ---------------------------------------------------------------------------

class PciIds:
    def __init__(self, path):
        self.path = path
        self.version = "?"
        self.vendors, self.devices, self.subsys = {}, {}, {}
        self.classes, self.subclasses, self.progifs = {}, {}, {}
        vendor = device = cls = sub = None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = re.match(r"#\s*Version:\s*(\S+)", line)
                if m:
                    self.version = m.group(1)
                if not line or line.startswith("#"):
                    continue
                if line.startswith("C "):
                    cls = line[2:4].lower()
                    self.classes[cls] = line[6:]
                    vendor = None
                    continue
                if cls is not None and vendor is None:
                    if line.startswith("\t\t"):
                        self.progifs[(cls, sub, line[2:4].lower())] = line[6:]
                        continue
                    if line.startswith("\t"):
                        sub = line[1:3].lower()
                        self.subclasses[(cls, sub)] = line[5:]
                        continue
                if not line.startswith("\t"):
                    cls = None
                    vendor = line[0:4].lower()
                    self.vendors[vendor] = line[6:]
                    continue
                if vendor is None:
                    continue
                if line.startswith("\t\t"):
                    sv, sd = line[2:6].lower(), line[7:11].lower()
                    self.subsys[(vendor, device, sv, sd)] = line[13:]
                else:
                    device = line[1:5].lower()
                    self.devices[(vendor, device)] = line[7:]

    def model(self, v, d, sv, sd):
        """ID_MODEL_FROM_DATABASE as udev's hwdb has it: the device name, or
        "device (subsystem)" where pci.ids lists the subsystem
        (systemd hwdb.d/ids_parser.py)."""
        dev = self.devices.get((v, d))
        if dev is None:
            return None
        s = self.subsys.get((v, d, sv, sd))
        return f"{dev} ({s})" if s else dev


class Hwdb:
    """systemd's own import of pci.ids (20-pci-vendor-model.hwdb), which is
    what udev on the host reads; it may be newer than the pci.ids package."""

    def __init__(self, directory):
        self.props = {}
        path = os.path.join(directory, "20-pci-vendor-model.hwdb") if directory else ""
        if not path or not os.path.exists(path):
            return
        match = None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("pci:"):
                    match = line
                elif line.startswith(" ") and match and "=" in line:
                    k, v = line.strip().split("=", 1)
                    self.props[(match, k)] = v

    def vendor(self, v):
        return self.props.get((f"pci:v0000{v.upper()}*", "ID_VENDOR_FROM_DATABASE"))

    def model(self, v, d, sv, sd):
        key = "ID_MODEL_FROM_DATABASE"
        m = self.props.get((f"pci:v0000{v.upper()}d0000{d.upper()}sv0000{sv.upper()}sd0000{sd.upper()}*", key))
        return m or self.props.get((f"pci:v0000{v.upper()}d0000{d.upper()}*", key))


# ---------------------------------------------------------------------------
# umockdev files
# ---------------------------------------------------------------------------

def unescape(value):
    return value.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


class Record:
    def __init__(self, path, line):
        self.path, self.line = path, line
        self.env, self.attr, self.link = {}, {}, {}   # key -> (value, line)


def parse(path):
    header, records, rec, in_header = [], [], None, True
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if in_header and (line.startswith("#") or not line.strip()):
                header.append((n, line))
                continue
            if line.startswith("P: "):
                in_header = False
                rec = Record(line[3:], n)
                records.append(rec)
                continue
            if rec is None or len(line) < 3 or line[1:3] != ": ":
                continue
            kind, body = line[0], line[3:]
            key, _, value = body.partition("=")
            if kind == "E":
                rec.env[key] = (value, n)
            elif kind == "A":
                rec.attr[key] = (unescape(value), n)
            elif kind == "L":
                rec.link[key] = (value, n)
    return header, records


BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


class Checker:
    def __init__(self, pci, hwdb):
        self.pci, self.hwdb = pci, hwdb
        self.errors, self.notes = [], []
        self.n_files = self.n_pci = self.n_types = 0
        self.known_used = set()
        self.pci_src = f"pci.ids {pci.version}"

    def problem(self, fname, line, msg, code=None):
        base = os.path.basename(fname)
        for (kf, kc), why in KNOWN.items():
            if kf == base and code and (code == kc or code.startswith(kc + ":")):
                self.known_used.add((kf, kc))
                self.notes.append((f"{fname}:{line}: note: known, kept until its test is fixed "
                                   f"({why}): {msg}", (fname, kf, kc)))
                return
        self.errors.append(f"{fname}:{line}: {msg}")

    def note(self, fname, line, msg):
        self.notes.append((f"{fname}:{line}: note: {msg}", (fname, msg)))

    # -- files ---------------------------------------------------------------
    def check_file(self, fname):
        self.n_files += 1
        header, records = parse(fname)
        if not any(re.match(r"#\s*Sources:", t) for _, t in header):
            self.problem(fname, 1, "no '# Sources:' line in the header comment; every host file must "
                         "cite where its data comes from (tests/hosts/README.md)")
        by_path = {r.path: r for r in records}
        for r in records:
            last = r.path.rsplit("/", 1)[-1]
            if r.path.startswith("/devices/pci") and BDF.match(last):
                self.n_pci += 1
                self.check_pci(fname, r)
            self.check_mdev_types(fname, r, by_path)
            if "nvidia/creatable_vgpu_types" in r.attr:
                self.check_vfio_types(fname, r)

    # -- PCI -----------------------------------------------------------------
    def hexattr(self, r, key, width):
        if key not in r.attr:
            return None
        value, n = r.attr[key]
        m = re.fullmatch(r"0x([0-9a-f]+)\n", value)
        return (m.group(1).zfill(width) if m else None), n

    def check_pci(self, f, r):
        last = r.path.rsplit("/", 1)[-1]
        got = {}
        for key, width in (("vendor", 4), ("device", 4), ("subsystem_vendor", 4),
                           ("subsystem_device", 4), ("class", 6)):
            h = self.hexattr(r, key, width)
            if h is None:
                continue
            if h[0] is None:
                self.problem(f, h[1], f"{key} is not '0x%0{width}x\\n'; the kernel prints it so "
                             "(drivers/pci/pci-sysfs.c)", "pci:fmt")
                continue
            got[key] = h
        if "vendor" not in got or "device" not in got:
            self.problem(f, r.line, "PCI device without vendor= and device= attributes", "pci:ids")
            return
        v, d = got["vendor"][0], got["device"][0]
        sv = got.get("subsystem_vendor", ("0000", 0))[0]
        sd = got.get("subsystem_device", ("0000", 0))[0]
        if "subsystem_vendor" not in got and "PCI_SUBSYS_ID" in r.env:
            m = re.fullmatch(r"([0-9A-F]{4}):([0-9A-F]{4})", r.env["PCI_SUBSYS_ID"][0])
            if m:
                sv, sd = m.group(1).lower(), m.group(2).lower()
        cls = got.get("class", (None, 0))[0]
        dline = got["device"][1]

        # vendor:device in pci.ids (or, with a note, in systemd's newer import)
        known = (v, d) in self.pci.devices
        recorded = os.path.basename(f) in RECORDED_FILES
        if not known and recorded:
            self.note(f, dline, f"{v}:{d} is not in {self.pci_src}; taken from the recording of a real kernel")
        elif not known:
            if self.hwdb.model(v, d, sv, sd):
                self.note(f, dline, f"{v}:{d} is not in {self.pci_src}; systemd's hwdb has it "
                          f"('{self.hwdb.model(v, d, sv, sd)}')")
            elif (v, d) in UNSETTLED_IDS:
                self.note(f, dline, f"{v}:{d}: {UNSETTLED_IDS[(v, d)]}; name not verified")
            else:
                self.problem(f, dline, f"{v}:{d} is not a device in {self.pci_src} (nor in systemd's hwdb)",
                             "pci:ids")
        if v not in self.pci.vendors and not recorded:
            self.problem(f, got["vendor"][1], f"vendor {v} is not in {self.pci_src}", "pci:ids")

        # uevent variables and modaliases (drivers/pci/pci-driver.c pci_uevent)
        kern = "drivers/pci/pci-driver.c pci_uevent()"
        expect = {"PCI_ID": f"{v.upper()}:{d.upper()}", "PCI_SLOT_NAME": last}
        if "subsystem_vendor" in got:
            expect["PCI_SUBSYS_ID"] = f"{sv.upper()}:{sd.upper()}"
        if cls:
            expect["PCI_CLASS"] = f"{int(cls, 16):04X}"
            alias = (f"pci:v0000{v.upper()}d0000{d.upper()}sv0000{sv.upper()}sd0000{sd.upper()}"
                     f"bc{cls[0:2].upper()}sc{cls[2:4].upper()}i{cls[4:6].upper()}")
            expect["MODALIAS"] = alias
        for key, want in expect.items():
            if key in r.env and r.env[key][0] != want:
                self.problem(f, r.env[key][1], f"{key}={r.env[key][0]} disagrees with the attributes; "
                             f"the kernel makes it {want} ({kern})", "pci:uevent")
        if cls and "modalias" in r.attr and r.attr["modalias"][0] != expect["MODALIAS"] + "\n":
            self.problem(f, r.attr["modalias"][1], f"modalias={r.attr['modalias'][0].strip()} disagrees "
                         f"with the attributes; the kernel makes it {expect['MODALIAS']} "
                         "(drivers/pci/pci-sysfs.c modalias_show())", "pci:uevent")

        # udev hwdb names
        self.check_name(f, r, "ID_VENDOR_FROM_DATABASE", self.pci.vendors.get(v), self.hwdb.vendor(v))
        self.check_name(f, r, "ID_MODEL_FROM_DATABASE", self.pci.model(v, d, sv, sd),
                        self.hwdb.model(v, d, sv, sd), (v, d) in UNSETTLED_IDS)
        if cls:
            c, s, p = cls[0:2], cls[2:4], cls[4:6]
            self.check_name(f, r, "ID_PCI_CLASS_FROM_DATABASE", self.pci.classes.get(c))
            self.check_name(f, r, "ID_PCI_SUBCLASS_FROM_DATABASE", self.pci.subclasses.get((c, s)))
            self.check_name(f, r, "ID_PCI_INTERFACE_FROM_DATABASE", self.pci.progifs.get((c, s, p)))

        # SR-IOV VF device id (drivers/pci/iov.c sriov_vf_device_show: "%x\n")
        if "sriov_vf_device" in r.attr:
            value, n = r.attr["sriov_vf_device"]
            m = re.fullmatch(r"([0-9a-f]{1,4})\n", value)
            if not m:
                self.problem(f, n, f"sriov_vf_device={value.strip()} is not '%x\\n' "
                             "(drivers/pci/iov.c sriov_vf_device_show())", "pci:vf")
            elif (v, m.group(1).zfill(4)) not in self.pci.devices:
                self.note(f, n, f"VF device {v}:{m.group(1).zfill(4)} is not in {self.pci_src} "
                          "(checked: pci.ids lacks it)")

    def check_name(self, f, r, key, want, hwdb_want=None, unsettled=False):
        if key not in r.env:
            return
        value, n = r.env[key]
        if want is not None and value == want:
            return
        if hwdb_want is not None and value == hwdb_want:
            if want is not None:
                self.note(f, n, f"{key}={value} is systemd's hwdb name; {self.pci_src} has '{want}'")
            return
        if want is None and unsettled:
            return
        if want is None:
            self.problem(f, n, f"{key}={value} has no entry to come from in {self.pci_src}", "pci:name")
            return
        self.problem(f, n, f"{key}={value}; {self.pci_src} (as udev's hwdb builds it) says '{want}'",
                     "pci:name")

    # -- mdev types ----------------------------------------------------------
    def check_mdev_types(self, f, r, by_path):
        types = {}
        for key, (value, n) in r.attr.items():
            m = re.fullmatch(r"mdev_supported_types/([^/]+)/([^/]+)", key)
            if m:
                types.setdefault(m.group(1), {})[m.group(2)] = (value, n)
        for tid in sorted(types, key=lambda t: types[t].get("name", ("", 0))[1]):
            self.n_types += 1
            attrs = types[tid]
            line = min(n for _, n in attrs.values())
            if tid in SAMPLE_TYPES:
                self.check_sample(f, tid, attrs, line)
            elif re.fullmatch(r"i915-GVTg_V[45]_[1248]", tid):
                self.check_gvt(f, tid, attrs, types)
            elif re.fullmatch(r"nvidia-\d+", tid):
                self.check_nvidia(f, r, tid, attrs, by_path)
            else:
                self.problem(f, line, f"mdev type {tid} is in none of the source tables "
                             "(tools/check-hostfiles.py)", f"mdev:{tid}")

    def expect_attr(self, f, tid, attrs, key, want, src, code):
        if key not in attrs:
            return
        value, n = attrs[key]
        if value != want:
            self.problem(f, n, f"{tid}/{key}={value!r}; expected {want!r} ({src})", code)

    def check_sample(self, f, tid, attrs, line):
        name, api, avail, src = SAMPLE_TYPES[tid]
        self.expect_attr(f, tid, attrs, "name", name + "\n", src, f"mdev:{tid}:name")
        self.expect_attr(f, tid, attrs, "device_api", api + "\n", src, f"mdev:{tid}:api")
        self.expect_attr(f, tid, attrs, "available_instances", f"{avail}\n", src + " (at rest)",
                         f"mdev:{tid}:available")

    def check_gvt(self, f, tid, attrs, types):
        gen, size = tid[len("i915-GVTg_V")], tid[-1]
        low, high, fence, res, weight = GVT_TYPES[size]
        self.expect_attr(f, tid, attrs, "name", f"GVTg_V{gen}_{size}\n",
                         "vgpu.c: sprintf(name, \"GVTg_V%u_%s\"), mdev core shows sysfs_name", f"gvt:{tid}:name")
        self.expect_attr(f, tid, attrs, "device_api", "vfio-pci\n", "kvmgt.c intel_vgpu_mdev_driver",
                         f"gvt:{tid}:api")
        desc = (f"low_gm_size: {low}MB\nhigh_gm_size: {high}MB\nfence: {fence}\n"
                f"resolution: {res}\nweight: {weight}\n")
        self.expect_attr(f, tid, attrs, "description", desc, GVT_SRC, f"gvt:{tid}:description")
        if "available_instances" in attrs:
            value, n = attrs["available_instances"]
            try:
                a = int(value)
            except ValueError:
                a = -1
            if a > GVT_MAX_BY_FENCES:
                self.problem(f, n, f"{tid}/available_instances={a}; at most {GVT_MAX_BY_FENCES}: each "
                             "vGPU takes 4 of the 32 - HOST_FENCE 4 fence registers (kvmgt.c "
                             "intel_vgpu_get_available(), gvt.h, gt/intel_ggtt_fencing.c)",
                             f"gvt:{tid}:available")
        # types are registered in the table's order, stopping at the first one
        # that does not fit (vgpu.c intel_gvt_init_vgpu_types()).
        prefix = f"i915-GVTg_V{gen}_"
        have = [s for s in GVT_ORDER if prefix + s in types]
        if have != GVT_ORDER[:len(have)] and size == have[0]:
            self.problem(f, attrs.get("name", ("", 0))[1], f"GVT-g types {have} are not a prefix of "
                         f"{GVT_ORDER} (intel_gvt_init_vgpu_types() stops at the first type that does "
                         "not fit)", f"gvt:{tid}:set")
        # the whole set at rest: what intel_vgpu_get_available() computes for
        # some aperture and GGTT size (firmware settings, not settled here)
        if size == have[0] and all("available_instances" in types[prefix + s] for s in have):
            av = {}
            for s in have:
                try:
                    av[s] = int(types[prefix + s]["available_instances"][0])
                except ValueError:
                    av[s] = None
            settings = [(a, g, gvt_at_rest(a, g)) for a in GVT_APERTURES_MB for g in GVT_GGTT_MB]
            settings = [(a, g, r) for a, g, r in settings if r is not None]
            fits = [(a, g) for a, g, r in settings if r == av]
            shown = "/".join(str(av[s]) for s in have)
            n = types[tid]["available_instances"][1]
            if not fits:
                # the closest setting (most types agreeing) names the first type that is off
                a, g, r = max(settings, key=lambda x: sum(x[2].get(s) == av[s] for s in have))
                off = next(s for s in have if r.get(s) != av[s])
                n = types[prefix + off]["available_instances"][1]
                kernel = "/".join(str(r.get(s, "-")) for s in have)
                self.problem(f, n, f"{prefix}{off}/available_instances={av[off]}: the set {shown} for {have} "
                             f"is what no aperture ({'/'.join(map(str, GVT_APERTURES_MB))} MB) and GGTT size "
                             f"({'/'.join(map(str, GVT_GGTT_MB))} MB) gives; the closest, aperture {a} MB with "
                             f"GGTT {g} MB, gives {kernel}: min(low GM, high GM, fences) per type (kvmgt.c "
                             "intel_vgpu_get_available(), vgpu.c intel_gvt_init_vgpu_types(), gvt.h)",
                             f"gvt:{tid}:available-set")
            else:
                which = ", ".join(f"aperture {a} MB with GGTT {g} MB" for a, g in fits)
                self.note(f, n, f"GVT-g capacities {shown} are the kernel's for {which}: firmware "
                          "settings no source here settles (the fence limit, V5_8 at most "
                          f"{GVT_MAX_BY_FENCES}, holds for any)")

    def card_of(self, r, by_path):
        """The PCI record whose memory the parent shares: the PF for a VF."""
        if "physfn" in r.link:
            pf = os.path.normpath(os.path.join(r.path, r.link["physfn"][0]))
            return by_path.get(pf, r)
        return r

    def check_nvidia(self, f, r, tid, attrs, by_path):
        num = int(tid.split("-")[1])
        entry = NV_TYPES.get(num)
        code = f"nv:{tid}"
        line = min(n for _, n in attrs.values())
        self.expect_attr(f, tid, attrs, "device_api", "vfio-pci\n", "nvidia_vgpu_vfio", code + ":api")
        if entry is None:
            self.problem(f, line, f"{tid} is not in the NVIDIA type table ({NV_SRC})", code + ":name")
            return
        name, fb, heads, res, frl = entry
        self.expect_attr(f, tid, attrs, "name", name + "\n", NV_SRC, code + ":name")
        card = self.card_of(r, by_path)
        cv = card.attr.get("vendor", ("", 0))[0].strip().replace("0x", "")
        cd = card.attr.get("device", ("", 0))[0].strip().replace("0x", "")
        card_mb = CARD_MB.get((cv, cd))
        if "description" in attrs:
            value, n = attrs["description"]
            m = re.fullmatch(r"num_heads=(\d+), frl_config=(\d+), framebuffer=(\d+)M, "
                             r"max_resolution=(\d+x\d+), max_instance=(\d+)\n", value)
            if not m:
                self.problem(f, n, f"{tid}/description={value!r} is not in the driver's format "
                             "'num_heads=N, frl_config=N, framebuffer=NM, max_resolution=WxH, "
                             "max_instance=N'", code + ":description")
            else:
                h, fr, fbm, mr, mi = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4), int(m.group(5))
                want_mi = card_mb // fb if card_mb else mi
                want = (f"num_heads={heads}, frl_config={frl}, framebuffer={fb}M, max_resolution={res}, "
                        f"max_instance={want_mi}\n")
                if value != want:
                    why = f"{NV_SRC}" + (f"; max_instance = {card_mb} MB card / {fb} MB" if card_mb else "")
                    self.problem(f, n, f"{tid}/description={value.strip()!r}; {name} is {want.strip()!r} "
                                 f"({why})", code + ":description")
                if "available_instances" in attrs:
                    av, an = attrs["available_instances"]
                    want_av = 1 if "physfn" in r.link else mi
                    if av.strip() != str(want_av):
                        what = ("one per VF on SR-IOV GPUs" if "physfn" in r.link else
                                "max_instance with no vGPU created")
                        self.problem(f, an, f"{tid}/available_instances={av.strip()}; expected {want_av} "
                                     f"({what})", code + ":available")

    def check_vfio_types(self, f, r):
        value, n = r.attr["nvidia/creatable_vgpu_types"]
        lines = value.rstrip("\n").split("\n")
        if not lines or not lines[0].startswith("ID"):
            self.problem(f, n, "nvidia/creatable_vgpu_types does not start with the 'ID    : vGPU Name' "
                         "header line", "vfio:format")
        for entry in lines[1:]:
            self.n_types += 1
            m = re.fullmatch(r"(\d+)\s+: (.+)", entry)
            if not m:
                self.problem(f, n, f"creatable_vgpu_types line {entry!r} is not '<id> : <name>'",
                             "vfio:format")
                continue
            tid, name = int(m.group(1)), m.group(2)
            want = VFIO_TYPES.get(tid)
            if want is None and name.startswith("NVIDIA L40S"):
                self.problem(f, n, f"vGPU type {tid} ({name}) is not an L40S type ({VFIO_SRC})", "vfio:ids")
            elif want is None:
                self.problem(f, n, f"vGPU type {tid} ({name}) is in no source table", "vfio:ids")
            elif want != name:
                self.problem(f, n, f"vGPU type {tid} is named {name!r}; it is {want!r} ({VFIO_SRC})",
                             "vfio:ids")

    def finish(self):
        for k in sorted(set(KNOWN) - self.known_used):
            if any(os.path.basename(e.split(":", 1)[0]) == k[0] for e in self.checked):
                self.errors.append(f"{os.path.join('tests/hosts', k[0])}:1: KNOWN entry {k[1]!r} matches "
                                   "nothing any more; remove it from tools/check-hostfiles.py")


def run(paths, pci_ids, hwdb_dir, quiet_notes=False):
    pci = PciIds(pci_ids)
    c = Checker(pci, Hwdb(hwdb_dir))
    c.checked = paths
    for p in paths:
        c.check_file(p)
    c.finish()
    if not quiet_notes:
        # one line per note, the same note on several records counted once
        seen, order = {}, []
        for n, key in c.notes:
            if key not in seen:
                seen[key] = [n, 0]
                order.append(key)
            seen[key][1] += 1
        for key in order:
            n, count = seen[key]
            print(n + (f" [and {count - 1} more like it]" if count > 1 else ""), file=sys.stderr)
    for e in c.errors:
        print(e, file=sys.stderr)
    if c.errors:
        return 1
    print(f"check-hostfiles: {c.n_files} files, {c.n_pci} PCI devices, {c.n_types} mdev types checked")
    return 0


# ---------------------------------------------------------------------------
# self-test: broken copies must be reported with FILE:LINE and exit 1
# ---------------------------------------------------------------------------

def self_test(pci_ids, hwdb_dir):
    hosts = os.path.join(ROOT, "tests", "hosts")
    cases = [
        # (file, old, new, text the report must contain)
        ("t4.umockdev", "A: device=0x1eb8\\n", "A: device=0x1ebf\\n", "10de:1ebf is not a device"),
        ("t4.umockdev", "E: ID_MODEL_FROM_DATABASE=TU104GL [Tesla T4]",
         "E: ID_MODEL_FROM_DATABASE=TU104GL [Tesla T5]", "ID_MODEL_FROM_DATABASE=TU104GL [Tesla T5]"),
        ("intel-gvtg.umockdev", "low_gm_size: 128MB", "low_gm_size: 192MB", "i915-GVTg_V5_4/description"),
        ("t4.umockdev", "nvidia-230/name=GRID T4-1Q", "nvidia-230/name=GRID T4-3Q", "nvidia-230/name"),
        ("mtty.umockdev", None, None, "no '# Sources:' line"),
        ("v100.umockdev", "E: PCI_SLOT_NAME=0000:41:00.0", "E: PCI_SLOT_NAME=0000:41:00.1", "PCI_SLOT_NAME"),
        # the values once kept as KNOWN notes: each must fail now
        ("intel-gvtg.umockdev", "fence: 4\\nresolution: 1024x768", "fence: 4\\nresolution: 1920x1200",
         "i915-GVTg_V5_8/description"),
        ("intel-gvtg.umockdev", "i915-GVTg_V5_8/available_instances=7\\n",
         "i915-GVTg_V5_8/available_instances=8\\n", "i915-GVTg_V5_8/available_instances=8; at most 7"),
        ("intel-gvtg.umockdev", "i915-GVTg_V5_4/available_instances=5\\n",
         "i915-GVTg_V5_4/available_instances=4\\n", "i915-GVTg_V5_4/available_instances=4: the set"),
        ("mdev-24.umockdev", "nvidia-223/available_instances=8\\n", "nvidia-223/available_instances=16\\n",
         "nvidia-223/available_instances=16; expected 8"),
        ("mdev-24.umockdev", "nvidia-223/name=GRID T4-2B", "nvidia-223/name=GRID T4-1B", "nvidia-223/name"),
        ("a10x2.umockdev", "nvidia-591/name=NVIDIA A10-2Q", "nvidia-592/name=NVIDIA A10-2Q", "nvidia-592/name"),
        ("a10x2.umockdev", "nvidia-610/name=NVIDIA A10-4C", "nvidia-601/name=NVIDIA A10-4C", "nvidia-601/name"),
        ("a100-vf.umockdev", "nvidia-471/name=GRID A100-10C", "nvidia-471/name=GRID A100-4C", "nvidia-471/name"),
        ("l40s-vfio.umockdev", "1147  : NVIDIA L40S-1Q", "1155  : NVIDIA L40S-1Q", "vGPU type 1155 is named"),
        ("server-mixed.umockdev", "1152  : NVIDIA L40S-8Q", "1159  : NVIDIA L40S-8Q", "vGPU type 1159 is named"),
    ]
    failures = 0
    tmp = tempfile.mkdtemp(prefix="check-hostfiles.")
    try:
        for i, (name, old, new, needle) in enumerate(cases):
            src = os.path.join(hosts, name)
            with open(src, encoding="utf-8") as fh:
                text = fh.read()
            if old is None:
                broken = "\n".join(l for l in text.split("\n") if not re.match(r"#\s*Sources:", l))
            else:
                if old not in text:
                    print(f"self-test: case {i}: {old!r} not in {name}", file=sys.stderr)
                    failures += 1
                    continue
                broken = text.replace(old, new, 1)
            d = os.path.join(tmp, str(i))
            os.mkdir(d)
            dst = os.path.join(d, name)
            with open(dst, "w", encoding="utf-8") as fh:
                fh.write(broken)
            # the line that was changed (the first line for a missing header)
            want_line = 1 if old is None else broken[:broken.index(new)].count("\n") + 1
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--pci-ids", pci_ids,
                                "--hwdb", hwdb_dir or "", dst], capture_output=True, text=True)
            errs = [l for l in p.stderr.splitlines() if ": note: " not in l]
            hit = [l for l in errs if l.startswith(f"{dst}:{want_line}:") and needle in l]
            if p.returncode != 1 or not hit:
                print(f"self-test: FAIL case {i} ({name}: {needle}): exit {p.returncode}, wanted "
                      f"{dst}:{want_line}: ...{needle}...; got:\n{p.stderr}", file=sys.stderr)
                failures += 1
            else:
                print(f"self-test: ok {name}: {hit[0][len(d) + 1:]}")
    finally:
        shutil.rmtree(tmp)
    if failures:
        return 1
    print(f"check-hostfiles self-test: {len(cases)} broken copies, each reported with FILE:LINE and exit 1")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pci-ids", default=DEFAULT_PCI_IDS)
    ap.add_argument("--hwdb", default=DEFAULT_HWDB,
                    help="systemd hwdb.d directory (a second, newer import of pci.ids); '' for none")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="do not print notes")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if not os.path.exists(a.pci_ids):
        print(f"check-hostfiles: {a.pci_ids}: not found (Debian package pci.ids)", file=sys.stderr)
        return 2
    if a.self_test:
        return self_test(a.pci_ids, a.hwdb)
    files = a.files
    if not files:
        d = os.path.join(ROOT, "tests", "hosts")
        files = sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".umockdev"))
    return run(files, a.pci_ids, a.hwdb, a.quiet)


if __name__ == "__main__":
    sys.exit(main())
