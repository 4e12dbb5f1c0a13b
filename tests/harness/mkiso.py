#!/usr/bin/env python3
"""Builds a bootable Keel ISO: keel.elf, guest modules and a grub.cfg.

Used by the Makefile (the default demo ISO) and by the emulator test
harness (one ISO per scenario). Each --module is PATH or PATH=CMDLINE; the
module string GRUB hands Keel is CMDLINE (the guest's command line).

With --linux KERNEL[=CMDLINE] and --initrd PATH it builds a plain-Linux ISO
instead, without Keel: GRUB boots the kernel itself (`linux` and `initrd`),
the native counterpart `make bench` compares a Linux guest with.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")

# The demo `make run` boots: two guests, one after the other.
DEMO_CMDLINE = "console=both onexit=shutdown"
DEMO_MODULES = [  # (path under build/, module string): tests/guests/hello*.c
    ("guests/hello.elf", "name=hello mem=16M"),
    ("guests/hello32.elf", "name=hello32 mem=16M"),
]
# With --demo-linux DIR, first a Linux guest from DIR's vmlinuz and
# initramfs.cpio (tests/harness/linux_assets.py), whose shell has the keys.
DEMO_LINUX = ("vmlinuz", "name=linux mem=256M -- console=ttyS0 panic=-1")
DEMO_LINUX_INITRD = ("initramfs.cpio", "for=linux")
DEMO_LINUX_MACHINE_MIB = 512  # the machine for that demo (the Makefile's DEMO_LINUX_MIB)


# Every grub.cfg here: boot the only entry at once, GRUB's own output on COM1.
GRUB_HEAD = ["set timeout=0", "set default=0", "serial --unit=0 --speed=115200"]


# The screen GRUB hands Keel. The multiboot2 line sets gfxpayload from
# Keel's framebuffer header tag ("auto": a framebuffer of any mode), so a
# gfxpayload of ours comes after it. By default (None) a BIOS machine keeps
# the VGA text mode GRUB ran in (`keep`, falling back to GRUB's default
# there, "text") and a UEFI machine gets the GOP framebuffer ("auto";
# all_video loads GRUB's GOP driver). A value (WxHxD, `text`, `auto`) is
# set on both.
DEFAULT_GFXPAYLOAD = None


def grub_cfg(keel_cmdline, modules, gfxpayload=DEFAULT_GFXPAYLOAD):
    # GRUB's video drivers (all_video: VBE, GOP and the rest) only where a mode is set:
    # a BIOS machine that keeps VGA text needs none, and loading them costs a Bochs boot
    # 8 M instructions.
    video = ("  insmod all_video" if gfxpayload is not None else
             '  if [ "$grub_platform" = "efi" ]; then insmod all_video; fi')
    lines = GRUB_HEAD + [
        'menuentry "Keel" {',
        video,
        f"  multiboot2 /boot/keel.elf {keel_cmdline}".rstrip(),
    ]
    for i, (_, cmdline) in enumerate(modules):
        lines.append(f"  module2 /boot/mod{i} {cmdline}".rstrip())
    if gfxpayload is None:
        lines.append('  if [ "$grub_platform" = "pc" ]; then set gfxpayload=keep; fi')
    else:
        lines.append(f"  set gfxpayload={gfxpayload}")
    lines += ["  boot", "}", ""]
    return "\n".join(lines)


def linux_grub_cfg(cmdline):
    """GRUB boots a Linux kernel itself: /boot/vmlinuz with /boot/initrd."""
    return "\n".join(GRUB_HEAD + [
        'menuentry "Linux" {',
        f"  linux /boot/vmlinuz {cmdline}".rstrip(),
        "  initrd /boot/initrd",
        "  boot",
        "}",
        "",
    ])


def _strip_debug(src, dst):
    """Keel without its DWARF sections: GRUB's multiboot2 loader reads every section
    into memory for the ELF-sections tag, and the debug ones are most of the file
    (18 M instructions of a Bochs boot). The symbol table stays."""
    r = subprocess.run(["objcopy", "--strip-debug", src, dst], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, check=False)
    if r.returncode != 0:
        sys.stderr.write(r.stdout)
        raise RuntimeError(f"objcopy --strip-debug {src} failed ({r.returncode})")


def _mkrescue(out, files, cfg):
    """An ISO of files ({name under /boot: source path}) and /boot/grub/grub.cfg = cfg."""
    with tempfile.TemporaryDirectory(prefix="keel-iso-") as tmp:
        boot = os.path.join(tmp, "boot")
        os.makedirs(os.path.join(boot, "grub"))
        for name, path in files.items():
            if name == "keel.elf":
                _strip_debug(path, os.path.join(boot, name))
            else:
                shutil.copy(path, os.path.join(boot, name))
        with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
            f.write(cfg)
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        # xorriso 1.5.4 has once died of SIGSEGV while shutting down after "Writing to
        # ... completed successfully" (once, in a run of the whole suite): a crash, not a
        # refusal, so it gets one more try; a refusal repeats and fails here.
        for _ in range(2):
            r = subprocess.run(["grub-mkrescue", "-o", out, tmp], timeout=300,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode == 0 or "UNIX-SIGNAL" not in r.stdout:
                break
        if r.returncode != 0:
            sys.stderr.write(r.stdout)
            raise RuntimeError(f"grub-mkrescue failed ({r.returncode})")
    return out


def build_iso(out, keel_elf, keel_cmdline, modules, gfxpayload=DEFAULT_GFXPAYLOAD):
    """modules: list of (path, cmdline). Returns out."""
    files = {"keel.elf": keel_elf}
    files.update((f"mod{i}", path) for i, (path, _) in enumerate(modules))
    return _mkrescue(out, files, grub_cfg(keel_cmdline, modules, gfxpayload))


def build_linux_iso(out, vmlinuz, initrd, cmdline):
    """A plain-Linux ISO (no Keel): GRUB's `linux` and `initrd`. Returns out."""
    return _mkrescue(out, {"vmlinuz": vmlinuz, "initrd": initrd}, linux_grub_cfg(cmdline))


def parse_module(spec):
    path, _, cmdline = spec.partition("=")
    return path, cmdline


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keel", default=os.path.join(BUILD, "keel.elf"))
    ap.add_argument("--cmdline", default=None, help="Keel's command line")
    ap.add_argument("--module", action="append", default=[], help="PATH[=CMDLINE]")
    ap.add_argument("--gfxpayload", default=DEFAULT_GFXPAYLOAD,
                    help="GRUB's gfxpayload (WxHxD, text, auto); by default BIOS "
                         "machines keep VGA text and UEFI ones get a framebuffer")
    ap.add_argument("--demo", action="store_true", help="the default demo guests")
    ap.add_argument("--demo-linux", metavar="DIR",
                    help="with --demo: a Linux guest first (DIR/vmlinuz, DIR/initramfs.cpio)")
    ap.add_argument("--linux", metavar="KERNEL[=CMDLINE]",
                    help="a plain-Linux ISO instead: GRUB boots KERNEL (needs --initrd)")
    ap.add_argument("--initrd", help="the initramfs of --linux")
    a = ap.parse_args()
    if a.linux:
        if not a.initrd or a.module or a.demo:
            ap.error("--linux takes --initrd and no --module or --demo")
        kernel, cmdline = parse_module(a.linux)
        build_linux_iso(a.out, kernel, a.initrd, cmdline)
        return
    modules = [parse_module(m) for m in a.module]
    cmdline = a.cmdline
    if a.demo:
        linux = [] if not a.demo_linux else [(os.path.join(a.demo_linux, p), c)
                                             for p, c in (DEMO_LINUX, DEMO_LINUX_INITRD)]
        modules = linux + [(os.path.join(BUILD, p), c) for p, c in DEMO_MODULES] + modules
        cmdline = DEMO_CMDLINE if cmdline is None else cmdline
    build_iso(a.out, a.keel, cmdline or "", modules, a.gfxpayload)


if __name__ == "__main__":
    main()
