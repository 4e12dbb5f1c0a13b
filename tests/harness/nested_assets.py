#!/usr/bin/env python3
"""The nested-KVM machine's files: Debian's Linux with KVM, and QEMU, on Keel's ISO.

    nested_assets.py --iso KEEL_ISO [--out build/nested]

Everything comes from Debian's archive at test time (`apt-get download` into
OUT/debs, unpacked there with dpkg-deb; never committed), through
tests/harness/linux_assets.py's fetching:

- the kernel package linux-image-amd64 depends on: its vmlinuz (OUT/vmlinuz)
  and, from the same package, kvm-intel.ko and the modules it depends on
  (their `depends=` in .modinfo), loaded in that order with `nested=1`;
- qemu-system-x86_64 from qemu-system-x86, with every shared library it
  needs: the ELF NEEDED entries are resolved in the unpacked packages, and
  while some are missing the packages that the ones used so far depend on
  (`apt-cache depends`) are fetched too; only the libraries in
  that closure go in, with the dynamic loader;
- SeaBIOS (seabios: bios-256k.bin, QEMU's default for its `pc` machine) and
  QEMU's kvmvapic.bin (qemu-system-data), in /usr/share/qemu; QEMU runs with
  -nodefaults, so no network card and no option ROM of one;
- busybox-static, and tests/harness/nested_init.sh as /init;
- KEEL_ISO as /keel.iso, and QEMU's command line as /etc/qemu-cmdline
  (tests/harness/keelrun.py qemu_cmd, as `keel run` boots under KVM: -enable-kvm
  -cpu host, Keel's serial console on QEMU's stdio, which is Linux's console).

The initramfs, OUT/initramfs.cpio, is uncompressed (nothing to decompress in the
emulator). Prints the paths of vmlinuz and the initramfs. Exits with status 3
(linux_assets.EXIT_UNREACHABLE) when the archive cannot be reached, 1 with a
one-line reason for anything else missing.
"""
import argparse
import functools
import glob
import os
import shlex
import subprocess
import sys

import keelrun
import linux_assets

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(linux_assets.ROOT, "build", "nested")
INIT = os.path.join(HERE, "nested_init.sh")
QEMU_PKG = "qemu-system-x86"
QEMU_BIN = "usr/bin/qemu-system-x86_64"
LIB_DIR = "lib/x86_64-linux-gnu"
LOADER = "lib64/ld-linux-x86-64.so.2"
SEARCH_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib")
# QEMU's firmware: (package, file in it, name in /usr/share/qemu).
FIRMWARE = [("seabios", "usr/share/seabios/bios-256k.bin", "bios-256k.bin"),
            ("qemu-system-data", "usr/share/qemu/kvmvapic.bin", "kvmvapic.bin")]
KVM_MODULE = "kvm-intel"
KVM_ARGS = {"kvm-intel": "nested=1"}
# The machine QEMU gives Keel: Keel and its two demo guests of 16 MiB fit in 256 MiB.
KEEL_MIB = 256
QEMU_EXTRA = ["-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
              "-L", "/usr/share/qemu"]


def fail(msg):
    sys.exit(f"nested_assets: {msg}")


@functools.lru_cache(maxsize=None)
def _needed(elf):
    """The sonames an ELF file names in NEEDED entries (readelf -d)."""
    out = subprocess.run(["readelf", "-d", elf], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    return tuple(line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines()
                 if "(NEEDED)" in line)


def _find(soname, trees):
    """(package, real file) of soname in the unpacked packages, or None."""
    for pkg, tree in trees.items():
        for d in SEARCH_DIRS:
            path = os.path.join(tree, d, soname)
            if os.path.lexists(path):
                real = os.path.realpath(path)
                if not real.startswith(os.path.realpath(tree) + os.sep):
                    real = os.path.join(tree, os.path.relpath(os.readlink(path), "/"))
                if os.path.isfile(real):
                    return pkg, real
    return None


def _closure(binary, trees):
    """({soname: file}, {packages used}, {sonames not found}) for binary's libraries."""
    found, used, missing, todo = {}, {QEMU_PKG}, set(), list(_needed(binary))
    while todo:
        soname = todo.pop()
        if soname in found or soname in missing:
            continue
        hit = _find(soname, trees)
        if hit is None:
            missing.add(soname)
            continue
        used.add(hit[0])
        found[soname] = hit[1]
        todo += _needed(hit[1])
    return found, used, missing


@functools.lru_cache(maxsize=None)
def _depends(pkg):
    """The packages pkg depends on (apt-cache depends: Depends and PreDepends; no virtual
    package)."""
    out = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                          pkg], stdout=subprocess.PIPE, text=True, check=False).stdout
    deps = []
    for line in out.splitlines():
        kind, _, name = line.strip().partition(": ")
        if kind in ("Depends", "PreDepends") and not name.startswith("<"):
            deps.append(name)
    return tuple(deps)


def qemu_files(debs):
    """[(path in the initramfs, file)]: QEMU, its libraries, the loader, its firmware."""
    trees = linux_assets.fetch_debs([QEMU_PKG], debs)
    binary = os.path.join(trees[QEMU_PKG], QEMU_BIN)
    while True:
        libs, used, missing = _closure(binary, trees)
        if not missing:
            break
        more = sorted({d for p in used for d in _depends(p)} - set(trees))
        if not more:
            fail(f"{QEMU_BIN} needs {', '.join(sorted(missing))}, in no package "
                 f"that {', '.join(sorted(used))} depend on")
        trees.update(linux_assets.fetch_debs(more, debs))
    loader = _find(os.path.basename(LOADER), trees)  # PT_INTERP, not NEEDED
    if loader is None:
        fail(f"no {os.path.basename(LOADER)} in {', '.join(sorted(used))}")
    files = [("/" + QEMU_BIN, binary), ("/" + LOADER, loader[1])]
    files += [(f"/{LIB_DIR}/{soname}", path) for soname, path in sorted(libs.items())]
    fw = linux_assets.fetch_debs(sorted({p for p, _, _ in FIRMWARE}), debs)
    for pkg, path, name in FIRMWARE:
        src = os.path.join(fw[pkg], path)
        if os.path.islink(src) or not os.path.isfile(src):
            fail(f"{pkg} holds no file {path}")
        files.append((f"/usr/share/qemu/{name}", src))
    return files


def _modinfo_depends(ko):
    """The modules a .ko depends on (its .modinfo `depends=`)."""
    with open(ko, "rb") as f:
        data = f.read()
    at = data.find(b"\0depends=")
    if at < 0:
        return []
    value = data[at + len(b"\0depends="):data.index(b"\0", at + 1)].decode()
    return [m for m in value.split(",") if m]


def kernel_files(debs, out):
    """OUT/vmlinuz, and [(path in the initramfs, file)]: the KVM modules and their load
    order (/lib/modules/order: a module and its arguments a line, dependencies first)."""
    pkg = linux_assets.kernel_package()
    tree = linux_assets.fetch_debs([pkg], debs)[pkg]
    kernels = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
    if not kernels:
        fail(f"{pkg} holds no /boot/vmlinuz-*")
    mods = {os.path.basename(p)[:-3].replace("_", "-"): p
            for p in glob.glob(os.path.join(tree, "lib", "modules", "*", "kernel", "**", "*.ko"),
                               recursive=True)}
    order = []

    def add(name):
        name = name.replace("_", "-")
        if name in order:
            return
        if name not in mods:
            fail(f"{pkg} holds no {name}.ko")
        for dep in _modinfo_depends(mods[name]):
            add(dep)
        order.append(name)
    add(KVM_MODULE)
    order_file = os.path.join(out, "module-order")
    with open(order_file, "w", encoding="utf-8") as f:
        f.writelines(f"{m}.ko {KVM_ARGS.get(m, '')}".rstrip() + "\n" for m in order)
    files = [(f"/lib/modules/{m}.ko", mods[m]) for m in order]
    return kernels[0], files + [("/lib/modules/order", order_file)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iso", required=True, help="Keel's ISO, booted by QEMU with KVM")
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args()
    debs = os.path.join(a.out, "debs")
    os.makedirs(debs, exist_ok=True)
    vmlinuz, files = kernel_files(debs, a.out)
    files += qemu_files(debs)
    busybox = os.path.join(linux_assets.fetch_debs(["busybox-static"], debs)["busybox-static"],
                           "bin", "busybox")
    tsc = os.path.join(a.out, "keel-tsc")
    linux_assets.build_tsc(tsc)
    cmdline = os.path.join(a.out, "qemu-cmdline")
    with open(cmdline, "w", encoding="utf-8") as f:
        f.write(shlex.join(keelrun.qemu_cmd("/keel.iso", KEEL_MIB, kvm=True,
                                            extra=QEMU_EXTRA)) + "\n")
    files += [("/keel.iso", a.iso), ("/etc/qemu-cmdline", cmdline)]
    initramfs = os.path.join(a.out, "initramfs.cpio")
    linux_assets.build_initramfs(busybox, INIT, tsc, initramfs + ".tmp", files)
    os.replace(initramfs + ".tmp", initramfs)
    print(vmlinuz)
    print(initramfs)


if __name__ == "__main__":
    main()
