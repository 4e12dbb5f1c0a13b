"""The Linux row of `make bench` (docs/benchmarks.md, "The Linux row"): tests/bench/run.py
imports it.

Debian's stock kernel and the busybox initramfs (tests/harness/linux_assets.py)
booted twice, at the same time, in the same Bochs model:

- under Keel: one guest, `mem=256M`, on a 512 MiB machine. The start is
  Keel's `keel: bench: boot to first VMLAUNCH N ticks, TSC T` (T: Keel's TSC
  just before the first VM entry; a guest's TSC is Keel's);
- natively: the same two files booted by GRUB itself (`linux`, `initrd`:
  tests/harness/mkiso.py build_linux_iso) on a 256 MiB machine. The start is
  GRUB's hand-over: Bochs' debugger stops at the kernel's first instruction
  (a physical breakpoint at the address GRUB loads it to, the header's
  pref_address) and prints `ptime`, its tick count, which is the TSC (Keel's
  own entry shows ptime + 4 == its first RDTSC, the fifth instruction).

The end, in both, is /init's first line, `keel-linux: tsc N` (RDTSC in
tests/harness/linux_tsc.c, the first program /init runs). The kernel
command line is the same in both (GRUB puts BOOT_IMAGE= in front of it).

Both boots repeat to the tick: Bochs answers RDRAND and RDSEED with the host
C library's rand(), seeded anew each run, and the RTC starts at the host's
clock, so the kernel is told not to use them (no KASLR, no RDRAND or RDSEED)
and the RTC starts at a fixed date.
"""
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys

import keelrun
import mkiso

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINUX_DIR = os.path.join(ROOT, "build", "linux")
ASSETS = os.path.join(ROOT, "tests", "harness", "linux_assets.py")

# nokaslr and clearcpuid= (X86_FEATURE_RDRAND 4*32+30, X86_FEATURE_RDSEED
# 9*32+18): without them the same boot varies by millions of ticks run to run.
KERNEL_ARGS = "console=ttyS0 panic=-1 keel.auto=poweroff nokaslr clearcpuid=158,306"
TIME0 = 1767225600  # the RTC's start: 2026-01-01 00:00:00 UTC
GUEST_MIB = 256  # the Linux machine: Keel's guest mem= and the native machine
KEEL_MACHINE_MIB = 512  # Keel's own machine: Keel, then the 256 MiB guest
KEEL_CMDLINE = "console=com1 onexit=shutdown"
TIMEOUT = 1500  # seconds per boot: about 70 s each on an idle machine

# Linux boot protocol (Documentation/arch/x86/boot.rst): setup header fields.
HDR_SETUP_SECTS = 0x1F1
HDR_RELOCATABLE = 0x234
HDR_PREF_ADDRESS = 0x258
BZIMAGE_DEFAULT_LOAD = 0x100000

LAUNCH_RE = re.compile(r"^keel: bench: boot to first VMLAUNCH (\d+) ticks, TSC (\d+)$")
INIT_RE = re.compile(r"keel-linux: tsc (\d+)$")
ENDED_RE = re.compile(r"^keel: guest linux: ended by (.+?) status=(-?\d+), exits (\d+) \((.*)\)$")
TIME_RE = re.compile(r"^keel: guest linux: time: ran (\d+) ticks: guest (\d+), keel (\d+) "
                     r"\(([\d.]+)%\); halted (\d+)$")
EPT_RE = re.compile(r"^keel: guest linux: ept: (.*)$")
PTIME_RE = re.compile(r"^ptime: (\d+)$")
XP_RE = re.compile(r"^0x([0-9a-f]{16}) <[^>]*>:((?:\s+0x[0-9a-f]{2})+)$")
BOCHS_LOG_RE = re.compile(r"^\d{11}[a-z]\[")  # Bochs' own log lines (RDMSR of unknown MSRs...)


class Skip(Exception):
    """The Linux row cannot run here (its inputs cannot be fetched)."""


class Failed(Exception):
    """A Linux boot did not give its figure."""


def fetch_assets():
    """(vmlinuz, initramfs), fetched and built by linux_assets.py; Skip when it cannot."""
    try:
        r = subprocess.run([sys.executable, ASSETS, "--out", LINUX_DIR], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        raise Skip("linux_assets.py took more than 900 s") from None
    paths = r.stdout.split()
    if r.returncode != 0 or len(paths) != 2:
        msg = (r.stderr.strip() or r.stdout.strip() or f"exit status {r.returncode}")
        raise Skip(msg.splitlines()[-1])
    return paths[0], paths[1]


def kernel_entry(vmlinuz):
    """(physical address, first 16 bytes) of the protected-mode kernel as GRUB
    enters it: loaded at pref_address when relocatable (GRUB 2.06's i386-pc
    loader), entered at its start (code32_start, startup_32)."""
    with open(vmlinuz, "rb") as f:
        data = f.read()
    setup_sects = data[HDR_SETUP_SECTS] or 4
    relocatable = data[HDR_RELOCATABLE]
    addr = (int.from_bytes(data[HDR_PREF_ADDRESS:HDR_PREF_ADDRESS + 8], "little")
            if relocatable else BZIMAGE_DEFAULT_LOAD)
    start = (setup_sects + 1) * 512
    return addr, data[start:start + 16]


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _init_tsc(lines, prefix):
    """N of /init's `keel-linux: tsc N` lines that start with prefix (every copy equal)."""
    found = {int(m.group(1)) for line in lines if line.startswith(prefix)
             for m in [INIT_RE.search(line)] if m}
    if len(found) > 1:
        raise Failed(f"/init printed different TSCs: {sorted(found)}")
    return found.pop() if found else None


def _tail(run, n=25):
    return "\n".join(run.lines()[-n:]) or "(empty serial log)"


def _keel_figures(run):
    """Keel's start TSC, /init's TSC and Keel's summary of the guest."""
    lines = run.lines()
    launch = next((m for m in map(LAUNCH_RE.match, lines) if m), None)
    init = _init_tsc(lines, "[linux] ")
    ended = next((m for m in map(ENDED_RE.match, lines) if m), None)
    time_ = next((m for m in map(TIME_RE.match, lines) if m), None)
    problems = []
    if run.timed_out:
        problems.append(f"Bochs timed out after {run.seconds:.0f}s")
    if not launch:
        problems.append("no `keel: bench: boot to first VMLAUNCH N ticks, TSC T` line")
    if init is None:
        problems.append("no `[linux] ... keel-linux: tsc N` line from /init")
    if not ended or ended.group(1) != "poweroff":
        problems.append("the guest did not end by poweroff")
    if not time_:
        problems.append("no `keel: guest linux: time:` line")
    if "keel: end status=0" not in lines:
        problems.append("Keel did not end with status 0")
    if problems:
        raise Failed(f"under Keel: {'; '.join(problems)}\n--- last serial lines:\n{_tail(run)}")
    reasons = {}
    for part in ended.group(4).split(", "):
        name, _, count = part.rpartition(" ")
        reasons[name] = int(count)
    start = int(launch.group(2))
    ept = next((m.group(1) for m in map(EPT_RE.match, lines) if m), None)
    return {"start_tsc": start, "init_tsc": init, "ticks": init - start,
            "boot_to_vmlaunch": int(launch.group(1)), "exits": int(ended.group(3)),
            "exits_by_reason": reasons,
            "time": {"ran": int(time_.group(1)), "guest": int(time_.group(2)),
                     "keel": int(time_.group(3)), "keel_percent": float(time_.group(4)),
                     "halted": int(time_.group(5))},
            "ept": ept}


def _handover(debugger_out, entry, entry_bytes):
    """The ptime at the breakpoint on the kernel's entry, after checking that
    the break is there and that the kernel's bytes are in place."""
    lines = debugger_out.replace("\r", "").splitlines()
    hit = f"Breakpoint 1, 0x{entry:016x} in"
    at = next((i for i, line in enumerate(lines) if hit in line), None)
    if at is None:
        raise Failed(f"Bochs never stopped at 0x{entry:x}: GRUB did not enter the kernel there "
                     "(not loaded at its pref_address?)")
    ptime = next((int(m.group(1)) for m in map(PTIME_RE.match, lines[at:]) if m), None)
    dump = b""
    for m in map(XP_RE.match, lines[at:]):
        if m and int(m.group(1), 16) == entry + len(dump):
            dump += bytes(int(b, 16) for b in m.group(2).split())
    if ptime is None:
        raise Failed("no `ptime` after the breakpoint")
    if dump[:16] != entry_bytes:
        raise Failed(f"at 0x{entry:x}: {dump[:16].hex()}, not the kernel's {entry_bytes.hex()}")
    return ptime


def _native_figures(run, entry, entry_bytes):
    if run.timed_out:
        raise Failed(f"natively: Bochs timed out after {run.seconds:.0f}s\n"
                     f"--- last serial lines:\n{_tail(run)}")
    init = _init_tsc(run.lines(), "")
    if init is None:
        raise Failed(f"natively: no `keel-linux: tsc N` line from /init\n"
                     f"--- last serial lines:\n{_tail(run)}")
    start = _handover(run.emulator_output, entry, entry_bytes)
    return {"start_tsc": start, "init_tsc": init, "ticks": init - start, "entry": hex(entry)}


def _save(outdir, name, run):
    logs = os.path.join(outdir, "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, f"{name}.log"), "w") as f:
        f.write(run.log)
    with open(os.path.join(logs, f"{name}.bochs.txt"), "w") as f:  # the debugger's lines
        f.write("\n".join(line for line in run.emulator_output.splitlines()
                          if not BOCHS_LOG_RE.match(line)) + "\n")


def measure(outdir, keel_elf, model):
    """Boots both; returns the Linux row's figures. Raises Skip or Failed."""
    vmlinuz, initramfs = fetch_assets()
    entry, entry_bytes = kernel_entry(vmlinuz)
    isodir = os.path.join(outdir, "iso")
    keel_iso = mkiso.build_iso(os.path.join(isodir, "linux-keel.iso"), keel_elf, KEEL_CMDLINE, [
        (vmlinuz, f"name=linux mem={GUEST_MIB}M -- {KERNEL_ARGS}"), (initramfs, "for=linux")])
    native_iso = mkiso.build_linux_iso(os.path.join(isodir, "linux-native.iso"), vmlinuz,
                                       initramfs, KERNEL_ARGS)
    # Natively: stop at the kernel's first instruction, say the tick count and
    # what is there, drop the breakpoint, run on until the kernel powers off.
    debugger = [f"pb 0x{entry:x}", "c", "ptime", "r", f"xp /16bx 0x{entry:x}", "d 1", "c"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        keel_f = pool.submit(keelrun.boot_bochs, keel_iso, model, KEEL_MACHINE_MIB,
                             timeout=TIMEOUT, time0=TIME0)
        native_f = pool.submit(keelrun.boot_bochs, native_iso, model, GUEST_MIB,
                               timeout=TIMEOUT, end_marker=None, debugger=debugger, time0=TIME0)
        keel_run, native_run = keel_f.result(), native_f.result()
    _save(outdir, "linux-keel", keel_run)
    _save(outdir, "linux-native", native_run)
    keel = _keel_figures(keel_run)
    native = _native_figures(native_run, entry, entry_bytes)
    keel["seconds"], native["seconds"] = round(keel_run.seconds, 1), round(native_run.seconds, 1)
    kernel = None
    if os.path.exists(os.path.join(LINUX_DIR, "kernel-package")):
        with open(os.path.join(LINUX_DIR, "kernel-package")) as f:
            kernel = f.read().strip()
    return {"keel": keel, "native": native,
            "ratio": round(keel["ticks"] / native["ticks"], 4), "kernel": kernel,
            "cmdline": KERNEL_ARGS, "memory_mib": GUEST_MIB, "rtc_time0": TIME0,
            "keel_machine_mib": KEEL_MACHINE_MIB,
            "sha256": {"vmlinuz": _sha256(vmlinuz), "initramfs": _sha256(initramfs)}}
