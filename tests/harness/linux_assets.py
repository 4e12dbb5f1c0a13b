#!/usr/bin/env python3
"""Debian's own Linux kernel and a busybox initramfs for Keel's Linux guests.

    linux_assets.py [--out build/linux] [--init FILE]

Fetches at build or test time, never committed (docs/linux.md):

- the kernel: the package `linux-image-amd64` depends on (Debian 12:
  linux-image-6.1.0-N-amd64), `apt-get download`ed and unpacked with
  dpkg-deb; its /boot/vmlinuz-* becomes OUT/vmlinuz, unmodified;
- busybox-static, whose /bin/busybox goes into the initramfs with a link
  per applet and an /init script (tests/harness/linux_init.sh, or --init);
- /bin/keel-tsc, which /init runs first: it prints `keel-linux: tsc N`, the
  TSC when /init starts (tests/harness/linux_tsc.c, built here with Debian's
  gcc, static, no libc; `make bench` reads the line);
- the initramfs, OUT/initramfs.cpio, built by Debian's cpio (newc format,
  uncompressed: nothing to decompress in the emulator).

Prints the two paths. Runs `apt-get download` as whatever user runs it
(no root needed); the packages come from the machine's configured Debian
archive. A second run with the files present does nothing.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "build", "linux")
DEFAULT_INIT = os.path.join(HERE, "linux_init.sh")
TSC_SRC = os.path.join(HERE, "linux_tsc.c")
TSC_CFLAGS = ["-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-pie",
              "-no-pie", "-mgeneral-regs-only", "-fno-asynchronous-unwind-tables", "-O2", "-Wall",
              "-Wextra", "-Werror", "-Wl,--build-id=none"]
DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root", "etc")
# busybox init, which /init hands over to: a shell on the console, respawned;
# its terminal size set so that the shell's line editing need not ask for it.
INITTAB = """::respawn:/bin/cttyhack /bin/sh -c 'stty cols 100 rows 40 2>/dev/null; exec /bin/sh -l'
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
"""


def _run(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       check=False)
    if r.returncode != 0:
        sys.exit(f"linux_assets: {' '.join(cmd)} failed ({r.returncode}): "
                 f"{r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'no message'}")
    return r.stdout


def kernel_package():
    """The versioned image package linux-image-amd64 depends on."""
    out = _run(["apt-cache", "depends", "linux-image-amd64"])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split(":", 1)[1].strip()
    sys.exit("linux_assets: apt-cache shows no kernel image that linux-image-amd64 depends on")


# apt-get's words when the archive cannot be reached (not a missing package): the
# scenarios that need these files may then be skipped, with the reason.
UNREACHABLE = ("Failed to fetch", "Could not resolve", "Temporary failure resolving",
               "Unable to connect", "Could not connect", "Connection timed out")
EXIT_UNREACHABLE = 3


def fetch_debs(pkgs, work):
    """Downloads each package's .deb into work, unless there already, and unpacks it into
    work/PKG unless that exists; returns {pkg: unpacked tree}. One `apt-get download` for
    all that are missing. Exits with EXIT_UNREACHABLE when the archive cannot be reached."""
    def deb(pkg):
        found = glob.glob(os.path.join(work, f"{pkg}_*.deb"))
        return found[0] if found else None
    missing = [p for p in pkgs if deb(p) is None]
    if missing:
        r = subprocess.run(["apt-get", "download", *missing], cwd=work, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, check=False)
        err = r.stderr.strip().splitlines()
        if r.returncode != 0 and any(w in r.stderr for w in UNREACHABLE):
            print(f"linux_assets: the Debian archive cannot be reached: {err[-1]}",
                  file=sys.stderr)
            sys.exit(EXIT_UNREACHABLE)
        if r.returncode != 0:
            sys.exit(f"linux_assets: apt-get download {' '.join(missing)} failed "
                     f"({r.returncode}): {err[-1] if err else 'no message'}")
    trees = {}
    for pkg in pkgs:
        if deb(pkg) is None:
            sys.exit(f"linux_assets: apt-get download {pkg} left no .deb")
        tree = os.path.join(work, pkg)
        if not os.path.isdir(tree):
            _run(["dpkg-deb", "-x", deb(pkg), tree + ".tmp"])
            os.replace(tree + ".tmp", tree)
        trees[pkg] = tree
    return trees


def fetch_deb(pkg, work):
    """Downloads pkg's .deb into work and unpacks it; returns the unpacked tree."""
    return fetch_debs([pkg], work)[pkg]


def build_tsc(out):
    """Builds keel-tsc (tests/harness/linux_tsc.c) at out unless it is newer than its source."""
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(TSC_SRC):
        return
    _run(["gcc", *TSC_CFLAGS, "-o", out + ".tmp", TSC_SRC])
    os.replace(out + ".tmp", out)


def build_initramfs(busybox, init, tsc, out, extra=()):
    """A newc cpio with busybox, a link per applet, keel-tsc, the /init script and empty
    mount points; extra: (path in the initramfs, file) pairs copied in as well."""
    root = tempfile.mkdtemp(prefix="initramfs-")
    try:
        for d in DIRS:
            os.makedirs(os.path.join(root, d), exist_ok=True)
        shutil.copy(busybox, os.path.join(root, "bin", "busybox"))
        os.chmod(os.path.join(root, "bin", "busybox"), 0o755)
        for applet in _run([busybox, "--list-full"]).split():
            link = os.path.join(root, applet)
            if not os.path.lexists(link):
                os.makedirs(os.path.dirname(link), exist_ok=True)
                os.symlink("/bin/busybox", link)
        shutil.copy(tsc, os.path.join(root, "bin", "keel-tsc"))
        os.chmod(os.path.join(root, "bin", "keel-tsc"), 0o755)
        shutil.copy(init, os.path.join(root, "init"))
        os.chmod(os.path.join(root, "init"), 0o755)
        for dest, src in extra:
            path = os.path.join(root, dest.lstrip("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy(src, path)
        with open(os.path.join(root, "etc", "inittab"), "w", encoding="utf-8") as f:
            f.write(INITTAB)
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            for n in sorted(dirnames) + sorted(filenames):
                names.append(os.path.relpath(os.path.join(dirpath, n), root))
        with open(out, "wb") as f:
            subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=root,
                           input="\n".join(names).encode(), stdout=f, check=True)
    finally:
        shutil.rmtree(root)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--init", default=DEFAULT_INIT, help="the initramfs's /init script")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    vmlinuz = os.path.join(a.out, "vmlinuz")
    initramfs = os.path.join(a.out, "initramfs.cpio")
    busybox = os.path.join(a.out, "busybox")
    tsc = os.path.join(a.out, "keel-tsc")
    with tempfile.TemporaryDirectory(prefix="linux-assets-") as work:
        if not os.path.exists(vmlinuz):
            pkg = kernel_package()
            tree = fetch_deb(pkg, work)
            found = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
            if not found:
                sys.exit(f"linux_assets: {pkg} holds no /boot/vmlinuz-*")
            shutil.copy(found[0], vmlinuz + ".tmp")
            os.replace(vmlinuz + ".tmp", vmlinuz)
            with open(os.path.join(a.out, "kernel-package"), "w", encoding="utf-8") as f:
                f.write(pkg + "\n")
        if not os.path.exists(busybox):
            tree = fetch_deb("busybox-static", work)
            shutil.copy(os.path.join(tree, "bin", "busybox"), busybox)
    build_tsc(tsc)
    if not os.path.exists(initramfs) or any(os.path.getmtime(initramfs) < os.path.getmtime(p)
                                            for p in (a.init, busybox, tsc, __file__)):
        build_initramfs(busybox, a.init, tsc, initramfs + ".tmp")
        os.replace(initramfs + ".tmp", initramfs)
    print(vmlinuz)
    print(initramfs)


if __name__ == "__main__":
    main()
