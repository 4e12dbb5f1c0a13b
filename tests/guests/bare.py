#!/usr/bin/env python3
"""Runs test guests on a bare PC (QEMU TCG) under GRUB, without Keel.

For trying the guests and their runtime while Keel cannot run them: Multiboot
v1 guests boot straight from GRUB's `multiboot` command (with loader=grub, so
they expect GRUB's command line and the firmware's memory map); ELF64 guests
go through build/guests/tools/shim.elf, which builds Keel's ELF64 entry state.
QEMU's isa-debug-exit at 0xF4 ends the run as Keel's port would.

What the machine does differs from Keel (no CPUID policy, real MSRs and
ports), so some checks fail here by design, e.g. the hypervisor signature.

  python3 tests/guests/bare.py               # every guest
  python3 tests/guests/bare.py mb1 io        # some guests
  python3 tests/guests/bare.py --args "expect_mem=64M" mb1   # Keel's strict checks
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUESTS = os.path.join(ROOT, "build", "guests")
SHIM = os.path.join(GUESTS, "tools", "shim.elf")

# name -> (32-bit multiboot?, guest arguments after the name)
# Guests that end by halting run until the timeout: keep theirs short.
HALTS = {"hlt": 5}

SPECS = {
    "cpuid": (False, ""),
    "io": (False, "uart_wide=0"),  # QEMU's 16550 asserts on word/dword accesses
    "msr": (False, ""),
    "vmxud": (False, ""),
    "hlt": (False, ""),
    "triple": (False, ""),
    "vmxon": (False, ""),
    "args": (False, "alpha beta=2 expect_mem=32M"),
    "hypercall": (False, ""),
    "hello": (False, ""),
    "mb1": (True, "expect_mem=16M loader=grub"),
    "hello32": (True, ""),
}


def grub_cfg(name, mb1, args):
    cmd = f"{name} {args}".strip()
    if mb1:
        body = [f"  multiboot /boot/{name}.elf {cmd}"]
    else:
        body = ["  multiboot /boot/shim.elf mem=32M", f"  module /boot/{name}.elf {cmd}"]
    return "\n".join(["set timeout=0", "set default=0", 'menuentry "guest" {'] + body +
                     ["  boot", "}", ""])


def build_iso(name, mb1, args, out):
    with tempfile.TemporaryDirectory(prefix="keel-bare-") as tmp:
        os.makedirs(os.path.join(tmp, "boot", "grub"))
        shutil.copy(os.path.join(GUESTS, f"{name}.elf"), os.path.join(tmp, "boot"))
        if not mb1:
            shutil.copy(SHIM, os.path.join(tmp, "boot", "shim.elf"))
        with open(os.path.join(tmp, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(grub_cfg(name, mb1, args))
        subprocess.run(["grub-mkrescue", "-o", out, tmp], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(name, timeout, args=None):
    """Boots one guest (args: its arguments, else SPECS'); returns (how it ended, log)."""
    mb1, default_args = SPECS[name]
    args = default_args if args is None else args
    with tempfile.TemporaryDirectory(prefix="keel-bare-") as tmp:
        iso, log = os.path.join(tmp, "g.iso"), os.path.join(tmp, "serial.log")
        build_iso(name, mb1, args, iso)
        cmd = ["qemu-system-x86_64", "-m", "64", "-cpu", "max", "-cdrom", iso, "-boot", "d",
               "-display", "none", "-monitor", "none", "-serial", f"file:{log}",
               "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            rc = proc.wait(timeout=timeout)
            how = (f"debug-exit v={rc >> 1} (status {rc})" if rc & 1
                   else f"reset or shutdown (QEMU exit {rc}: triple fault with -no-reboot)")
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            how = f"still running after {timeout}s (halted or hung)"
        text = open(log, "rb").read().decode("latin-1") if os.path.exists(log) else ""
    return how, text


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="guests (default: all)")
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--args", default=None, help="the guests' arguments instead of the defaults")
    a = ap.parse_args()
    names = a.names or list(SPECS)
    for n in names:
        if n not in SPECS:
            sys.exit(f"bare.py: unknown guest {n!r}")
    for n in names:
        start = time.monotonic()
        how, text = run(n, HALTS.get(n, a.timeout), a.args)
        lines = [l for l in text.replace("\r", "").splitlines() if l.strip()]
        print(f"=== {n}: {how}, {time.monotonic() - start:.1f}s")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
