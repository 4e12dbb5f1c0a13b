#!/usr/bin/env python3
"""Boots a Keel ISO under Bochs or QEMU and captures the serial console.

Library use (the pytest harness): boot_bochs() / boot_qemu() return a Run
with the serial log; a run that does not end by itself within its timeout
is killed and marked timed_out. Bochs' exit status is never consulted: a
run is judged by its serial log.

Command-line use: `keelrun.py run --iso ISO` (what `make run` does) picks
the best emulator: QEMU with KVM where the host has VT-x with nested
virtualisation, else Bochs with a VMX CPU model.
"""
import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time

BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/vgabios/vgabios.bin"
DEFAULT_MODEL = "corei7_skylake_x"


@dataclasses.dataclass
class Run:
    log: str
    timed_out: bool
    seconds: float
    emulator_output: str = ""

    def lines(self):
        return self.log.replace("\r", "").splitlines()

    def tail(self, n=30):
        return "\n".join(self.lines()[-n:])


def bochsrc(iso, serial, model=DEFAULT_MODEL, memory=256, cpus=1):
    host = min(memory, 512)
    iso = os.path.abspath(iso)
    return "\n".join([
        f"cpu: model={model}, count={cpus}, ips=50000000",
        f"memory: guest={memory}, host={host}",
        f"romimage: file={BOCHS_BIOS}",
        f"vgaromimage: file={VGA_BIOS}",
        "display_library: sdl2",
        f"ata0-master: type=cdrom, path={iso}, status=inserted",
        "boot: cdrom",
        "clock: sync=none, time0=local",
        f"com1: enabled=1, mode=file, dev={serial}",
        "speaker: enabled=0",
        "log: -",
        "panic: action=fatal",
        "error: action=report",
        "info: action=ignore",
        "debug: action=ignore",
        "",
    ])


def _wait(proc, serial, timeout, end_marker):
    """Waits for proc to exit or the end marker to show; kills on timeout."""
    start = time.monotonic()
    while True:
        if proc.poll() is not None:
            return False
        if end_marker and os.path.exists(serial):
            with open(serial, "rb") as f:
                if end_marker.encode() in f.read():
                    # Keel has said its last line; give Bochs a moment to stop.
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                    return False
        if time.monotonic() - start > timeout:
            proc.kill()
            proc.wait()
            return True
        time.sleep(0.1)


def boot_bochs(iso, model=DEFAULT_MODEL, memory=256, cpus=1, timeout=60,
               end_marker="keel: end status="):
    """Boots iso under Bochs; returns a Run (serial log, timed_out)."""
    with tempfile.TemporaryDirectory(prefix="keel-bochs-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        rc = os.path.join(tmp, "bochsrc")
        cmds = os.path.join(tmp, "cmds")
        with open(rc, "w") as f:
            f.write(bochsrc(iso, serial, model, memory, cpus))
        with open(cmds, "w") as f:
            f.write("c\n")
        env = dict(os.environ, SDL_VIDEODRIVER="dummy")
        start = time.monotonic()
        with open(os.path.join(tmp, "bochs.out"), "w") as out:
            proc = subprocess.Popen(["bochs-bin", "-q", "-f", rc, "-rc", cmds],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env, cwd=tmp)
            timed_out = _wait(proc, serial, timeout, end_marker)
        seconds = time.monotonic() - start
        log = open(serial, "rb").read().decode("latin-1") if os.path.exists(serial) else ""
        emu = open(os.path.join(tmp, "bochs.out")).read()
    return Run(log=log, timed_out=timed_out, seconds=seconds, emulator_output=emu)


def qemu_cmd(iso, memory=256, kvm=False, extra=()):
    cmd = ["qemu-system-x86_64", "-m", str(memory), "-cdrom", iso, "-boot", "d",
           "-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=1"]
    cmd += ["-enable-kvm", "-cpu", "host"] if kvm else ["-cpu", "max"]
    return cmd + list(extra)


def boot_qemu(iso, memory=256, timeout=60, extra=(), end_marker="keel: end status="):
    """Boots iso under QEMU (TCG: no VT-x); returns a Run."""
    with tempfile.TemporaryDirectory(prefix="keel-qemu-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        cmd = qemu_cmd(iso, memory) + ["-display", "none", "-serial", f"file:{serial}",
                                        "-monitor", "none"] + list(extra)
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        timed_out = _wait(proc, serial, timeout, end_marker)
        seconds = time.monotonic() - start
        log = open(serial, "rb").read().decode("latin-1") if os.path.exists(serial) else ""
        emu = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    return Run(log=log, timed_out=timed_out, seconds=seconds, emulator_output=emu)


def host_has_nested_vmx():
    """True when QEMU/KVM can run Keel's VMX guests on this host."""
    if not os.path.exists("/dev/kvm"):
        return False
    try:
        if " vmx" not in open("/proc/cpuinfo").read():
            return False
        nested = open("/sys/module/kvm_intel/parameters/nested").read().strip()
    except OSError:
        return False
    return nested in ("Y", "1")


def run_interactive(iso, emulator, model, memory):
    """`make run`: the serial console on this terminal until Keel ends."""
    if emulator == "auto":
        emulator = "qemu-kvm" if host_has_nested_vmx() else "bochs"
    if emulator == "qemu-kvm":
        print("keelrun: QEMU with KVM (host has nested VT-x)", file=sys.stderr)
        cmd = qemu_cmd(iso, memory, kvm=True) + ["-nographic"]
        return subprocess.call(cmd)
    if not shutil.which("bochs-bin"):
        sys.exit("keelrun: bochs-bin not found: run `make deps` (Debian: bochs bochs-sdl)")
    print(f"keelrun: Bochs, cpu model {model}, {memory} MiB (no usable VT-x here)",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="keel-run-") as tmp:
        rc = os.path.join(tmp, "bochsrc")
        cmds = os.path.join(tmp, "cmds")
        with open(rc, "w") as f:
            f.write(bochsrc(iso, "/dev/stdout", model, memory))
        with open(cmds, "w") as f:
            f.write("c\n")
        env = dict(os.environ, SDL_VIDEODRIVER="dummy")
        proc = subprocess.Popen(["bochs-bin", "-q", "-f", rc, "-rc", cmds],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env, cwd=tmp)
        try:
            proc.wait()
        except KeyboardInterrupt:
            proc.kill()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot an ISO with the serial console here")
    r.add_argument("--iso", required=True)
    r.add_argument("--emulator", choices=["auto", "bochs", "qemu-kvm"], default="auto")
    r.add_argument("--model", default=DEFAULT_MODEL)
    r.add_argument("--memory", type=int, default=256)
    b = sub.add_parser("boot", help="boot once under Bochs and print the serial log")
    b.add_argument("--iso", required=True)
    b.add_argument("--model", default=DEFAULT_MODEL)
    b.add_argument("--memory", type=int, default=256)
    b.add_argument("--timeout", type=int, default=60)
    b.add_argument("--qemu", action="store_true")
    a = ap.parse_args()
    if a.cmd == "run":
        sys.exit(run_interactive(a.iso, a.emulator, a.model, a.memory))
    run = (boot_qemu(a.iso, a.memory, a.timeout) if a.qemu
           else boot_bochs(a.iso, a.model, a.memory, timeout=a.timeout))
    sys.stdout.write(run.log)
    print(f"--- {'TIMEOUT' if run.timed_out else 'ended'} after {run.seconds:.1f}s")
    if run.timed_out:
        print(run.emulator_output[-3000:])


if __name__ == "__main__":
    main()
