"""Keel's emulator-test library: scenarios, booting and judging by markers.

A scenario is a name, Keel's command line, guest modules as (path, guest
command line) pairs, an emulator, a CPU model, a memory size and a timeout.
run(scenario) builds build/emu/<name>.iso with its own grub.cfg
(tests/harness/mkiso.py), boots it (tests/harness/keelrun.py) and returns a
keelrun.Run. assert_markers() judges it: a run passes only with every pass
marker, no failure marker, no timeout, and `keel: end status=N` as its last
Keel line; a failure names each broken condition and shows the last 40 log
lines. The emulator's exit status is never consulted.

    from keeltest import Scenario, run, assert_markers, guest
    sc = Scenario("cpuid", modules=[(guest("cpuid"), "name=cpuid mem=16M")])
    r = run(sc)
    assert_markers(r, passes=["[cpuid] RESULT pass"], end_status=0)

A scenario that types into Keel's console passes run(sc, interact=fn): COM1
is then a TCP socket, and fn(console) runs while Keel does, with
console.expect(regex, timeout_s) and console.send(text)
(keelrun.SerialConsole). An expect() that does not match in time stops the
run and fails it; the whole log is judged by markers as any other.

docs/testing.md describes how to add a scenario.
"""
import concurrent.futures
import dataclasses
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
# Where ISOs and serial logs go; KEEL_EMU_BUILD moves them (the second-model run
# beside the first, conftest.py, must not overwrite its files).
EMU_BUILD = os.environ.get("KEEL_EMU_BUILD") or os.path.join(BUILD, "emu")
KEEL_ELF = os.path.join(BUILD, "keel.elf")
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))

import keelrun  # noqa: E402
import mkiso  # noqa: E402

# KEEL_TEST_OPTIONS: Keel options added to every scenario that starts from
# the default command line (say zeropage=on, to run them all with it).
DEFAULT_CMDLINE = " ".join(["console=com1 onexit=shutdown",
                            *filter(None, [os.environ.get("KEEL_TEST_OPTIONS")])])
# CPUs of a Bochs machine unless a scenario says: KEEL_TEST_CPUS=2 runs the
# whole suite on two (docs/testing.md).
DEFAULT_CPUS = int(os.environ.get("KEEL_TEST_CPUS", "1"))
DEFAULT_TIMEOUT = 120  # seconds per scenario; reaching it fails the scenario
# Every scenario's timeout is multiplied by this. conftest.py makes it 2 while the long
# Linux boots run in the background beside the other scenarios (more emulators than
# cores); a hang still fails, only later.
TIMEOUT_SCALE = float(os.environ.get("KEEL_TIMEOUT_SCALE", "1"))
# The Bochs CPU model of every scenario that names none: KEEL_MODEL=corei7_sandy_bridge_2600k
# runs the suite on another (docs/testing.md); scenarios that depend on a model name it.
DEFAULT_MODEL = os.environ.get("KEEL_MODEL", keelrun.DEFAULT_MODEL)
TAIL_LINES = 40

# Lines that fail any scenario that does not expect them.
FAIL_MARKERS = ("PANIC", "FAULT in Keel", "fault while reporting")

END_RE = re.compile(r"^keel: end status=(-?\d+)\s*$")
EMULATORS = ("bochs", "qemu", "qemu-vga", "qemu-fb", "qemu-uefi-fb")


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One boot: what goes on the ISO and the machine it boots on.

    emulator: "bochs" (VT-x: the CPU model decides the VMX features),
    "qemu" (QEMU TCG: no VT-x), "qemu-vga" (QEMU TCG, and the VGA text
    screen is read back into Run.screen; use it with onexit=halt and
    gfxpayload="text"), "qemu-fb" or "qemu-uefi-fb" (QEMU TCG with SeaBIOS
    or OVMF, and the framebuffer console is read back into Run.screen,
    tests/harness/screen.py).
    modules: (path, guest command line) pairs, one module2 line each, in order.
    gfxpayload: GRUB's (tests/harness/mkiso.py): "keep" hands Keel the
    firmware's or a VBE framebuffer, "text" keeps a BIOS machine in VGA text.
    """
    name: str
    cmdline: str = DEFAULT_CMDLINE
    modules: tuple = ()
    emulator: str = "bochs"
    model: str = DEFAULT_MODEL
    memory: int = 256
    cpus: int = dataclasses.field(default_factory=lambda: DEFAULT_CPUS)
    timeout: int = DEFAULT_TIMEOUT
    gfxpayload: str = mkiso.DEFAULT_GFXPAYLOAD


def guest(name):
    """Path of a test guest image built by tests/guests/guests.mk."""
    return os.path.join(BUILD, "guests", f"{name}.elf")


def on_cpu0(module):
    """A module string with `cpus=0` added (before any `-- ARGS`).

    Scenarios about guests sharing one CPU (time slices, switches, each
    guest's share) pin their guests to the boot CPU, so that they keep their
    meaning on a machine with more CPUs (KEEL_TEST_CPUS=2), where Keel
    would otherwise spread the guests over the CPUs.
    """
    head, sep, tail = module.partition(" -- ")
    return f"{head} cpus=0{sep}{tail}"


def iso_path(sc):
    return os.path.join(EMU_BUILD, f"{sc.name}.iso")


def build_iso(sc):
    """Builds build/emu/<name>.iso for the scenario; returns its path."""
    if not os.path.exists(KEEL_ELF):
        pytest.fail(f"{KEEL_ELF} is missing: run `make all` (make emu does)", pytrace=False)
    for path, _ in sc.modules:
        if not os.path.exists(path):
            pytest.fail(f"scenario {sc.name}: module {path} is missing "
                        "(tests/guests/guests.mk builds guests with `make all`)", pytrace=False)
    return mkiso.build_iso(iso_path(sc), KEEL_ELF, sc.cmdline, list(sc.modules),
                           sc.gfxpayload)


def boot(sc, iso, interact=None):
    """Boots iso as the scenario says; returns a keelrun.Run. interact: see run()."""
    if interact is not None and sc.emulator != "bochs":
        raise ValueError(f"scenario {sc.name}: interact= needs the bochs emulator")
    timeout = sc.timeout * TIMEOUT_SCALE
    if sc.emulator == "bochs":
        r = keelrun.boot_bochs(iso, sc.model, sc.memory, sc.cpus, timeout=timeout,
                               interact=interact)
    elif sc.emulator == "qemu":
        r = keelrun.boot_qemu(iso, sc.memory, timeout=timeout)
    elif sc.emulator == "qemu-vga":
        r = keelrun.boot_qemu_vga(iso, sc.memory, timeout=timeout)
    elif sc.emulator in ("qemu-fb", "qemu-uefi-fb"):
        r = keelrun.boot_qemu_fb(iso, sc.memory, timeout=timeout,
                                 uefi=sc.emulator == "qemu-uefi-fb")
    else:
        raise ValueError(f"scenario {sc.name}: emulator {sc.emulator!r} not in {EMULATORS}")
    r.scenario = sc
    return r


def run(sc, interact=None):
    """Builds the scenario's ISO and boots it; returns a keelrun.Run. The serial log is
    kept as build/emu/<name>.log for a look after the run.

    interact: a function called with a keelrun.SerialConsole while Keel runs
    (Bochs only: COM1 is then a TCP socket on a free port), for scenarios that
    type into the console; see keelrun.SerialConsole."""
    r = boot(sc, build_iso(sc), interact)
    with open(os.path.join(EMU_BUILD, f"{sc.name}.log"), "w", encoding="utf-8") as f:
        f.write(r.log)
    return r


def run_all(scenarios):
    """Runs a dict of name -> Scenario two at a time (the machines have two cores);
    returns name -> keelrun.Run."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(run, sc) for k, sc in scenarios.items()}
        return {k: f.result() for k, f in futures.items()}


def screen_lines(rows, cols=keelrun.VGA_COLS):
    """Screen rows -> text lines: a full row (cols columns) continues on the next."""
    lines, cur = [], ""
    for row in rows:
        cur += row
        if len(row) < cols:
            lines.append(cur)
            cur = ""
    if cur:
        lines.append(cur)
    return lines


def _lines(run, where):
    if where == "screen":
        return screen_lines(run.screen or [], getattr(run, "screen_cols", keelrun.VGA_COLS))
    return run.lines()


def keel_lines(run, where="serial"):
    """The lines Keel printed (they start with "keel:"), in order."""
    return [line for line in _lines(run, where) if line.startswith("keel:")]


def end_status(run, where="serial"):
    """N from the last Keel line when it is `keel: end status=N`, else None."""
    lines = keel_lines(run, where)
    m = END_RE.match(lines[-1]) if lines else None
    return int(m.group(1)) if m else None


def _matches(marker, line):
    if isinstance(marker, re.Pattern):
        return marker.search(line) is not None
    return marker in line


def find(run, pattern, where="serial"):
    """The first re.Match of pattern (a regex) over the lines, or None."""
    for line in _lines(run, where):
        m = re.search(pattern, line)
        if m:
            return m
    return None


def find_all(run, pattern, where="serial"):
    """Every re.Match of pattern over the lines, in order."""
    return [m for m in (re.search(pattern, line) for line in _lines(run, where)) if m]


def report(run, problems, where="serial"):
    """The failure text: each problem, then the log's (or screen's) tail."""
    sc = getattr(run, "scenario", None)
    head = f"scenario {sc.name} ({sc.emulator}, {sc.memory} MiB)" if sc else "run"
    state = "TIMED OUT" if run.timed_out else "ended"
    lines = _lines(run, where)
    out = [f"{head}: " + "; ".join(problems),
           f"--- {state} after {run.seconds:.1f}s; last {TAIL_LINES} {where} lines:"]
    out += lines[-TAIL_LINES:] or ["(empty)"]
    if run.timed_out or not lines or getattr(run, "interaction_error", None):
        out += ["--- emulator output (tail):", run.emulator_output[-2000:]]
    return "\n".join(out)


def check_markers(run, passes=(), fails=FAIL_MARKERS, end_status=None, where="serial"):
    """The broken conditions of assert_markers, as a list of strings."""
    problems = []
    lines = _lines(run, where)
    if run.timed_out:
        problems.append(f"timed out ({run.seconds:.0f}s)")
    if getattr(run, "interaction_error", None):
        problems.append(f"interaction: {run.interaction_error}")
    for marker in passes:
        if not any(_matches(marker, line) for line in lines):
            problems.append(f"missing pass marker {_show(marker)}")
    for marker in fails:
        hits = [line for line in lines if _matches(marker, line)]
        if hits:
            problems.append(f"failure marker {_show(marker)} in {hits[0]!r}")
    keel = keel_lines(run, where)
    m = END_RE.match(keel[-1]) if keel else None
    if not m:
        last = keel[-1] if keel else None
        problems.append(f"last Keel line is not `keel: end status=N` (it is {last!r})")
    elif end_status is not None and int(m.group(1)) != end_status:
        problems.append(f"end status {m.group(1)}, expected {end_status}")
    return problems


def assert_markers(run, passes=(), fails=FAIL_MARKERS, end_status=None, where="serial"):
    """Fails the test unless the run passes by its markers.

    passes: markers that must each appear on some line; fails: markers that
    must appear on none. A marker is a substring or a compiled regex
    (searched). end_status: the N required in the final `keel: end status=N`
    (None: any N, but the line must still be the last Keel line). where:
    "serial" judges the serial log, "screen" the VGA text read back.
    """
    problems = check_markers(run, passes, fails, end_status, where)
    if problems:
        pytest.fail(report(run, problems, where), pytrace=False)


def _show(marker):
    return f"/{marker.pattern}/" if isinstance(marker, re.Pattern) else repr(marker)


def elf_symbols(names, elf=KEEL_ELF):
    """{name: address} for the given symbols of an ELF file (via nm)."""
    out = subprocess.run(["nm", elf], check=True, stdout=subprocess.PIPE, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in names:
            syms[parts[2]] = int(parts[0], 16)
    missing = set(names) - set(syms)
    if missing:
        raise LookupError(f"{elf}: no symbol {', '.join(sorted(missing))}")
    return syms


# The fault report of arch/x86/exception.c (see docs/testing.md).
FAULT_RE = re.compile(r"^keel: FAULT in Keel: (#[A-Z]+|NMI) (.+) \(vector (\d+)\), "
                      r"error code 0x([0-9a-f]+)$")
REG_LINE_RE = re.compile(r"^keel:   ([a-z0-9]+ +0x[0-9a-f]+)( [a-z0-9]+ +0x[0-9a-f]+)*$")
REG_RE = re.compile(r"([a-z0-9]+) +0x([0-9a-f]+)")
STACK_RE = re.compile(r"^keel:   stack:((?: 0x[0-9a-f]+)+)$")
PF_RE = re.compile(r"^keel:   page fault: (.+)$")
FAULT_REGS = ("rip cs rflags cr0 cr2 cr3 cr4 rax rbx rcx rdx rsi rdi rbp rsp "
              "r8 r9 r10 r11 r12 r13 r14 r15").split()


@dataclasses.dataclass
class FaultReport:
    mnemonic: str
    name: str
    vector: int
    error_code: int
    regs: dict  # name -> int
    digits: dict  # name -> number of hex digits printed
    order: list  # register names in the order printed
    stack: list  # return addresses
    page_fault: str  # the decoded #PF line, or None


def parse_fault(run):
    """The first fault report in the serial log, or None if there is none.

    Reads the lines from `FAULT in Keel` up to `keel: end status=`.
    """
    lines = keel_lines(run)
    start = next((i for i, line in enumerate(lines) if FAULT_RE.match(line)), None)
    if start is None:
        return None
    m = FAULT_RE.match(lines[start])
    rep = FaultReport(m.group(1), m.group(2), int(m.group(3)), int(m.group(4), 16),
                      {}, {}, [], [], None)
    for line in lines[start + 1:]:
        if END_RE.match(line):
            break
        if STACK_RE.match(line):
            rep.stack = [int(x, 16) for x in STACK_RE.match(line).group(1).split()]
        elif PF_RE.match(line):
            rep.page_fault = PF_RE.match(line).group(1)
        elif REG_LINE_RE.match(line):
            for name, val in REG_RE.findall(line):
                rep.regs[name] = int(val, 16)
                rep.digits[name] = len(val)
                rep.order.append(name)
    return rep


CR0_PE, CR0_PG = 1 << 0, 1 << 31
CR4_PAE = 1 << 5
RFLAGS_FIXED1 = 1 << 1


def check_fault(rep, mnemonic, name, vector, sections):
    """Problems with a parsed fault report (parse_fault), as strings.

    sections: Keel's linker symbols (conftest's keel_sections fixture). The
    report must name the exception, print every register in the fixed order
    and width, and show a fault in Keel's own code: rip and the stack walk's
    return addresses in .text, rsp on a stack in Keel's image, ring 0, long
    mode.
    """
    if rep is None:
        return ["no fault report"]
    text = (sections["__text_start"], sections["__text_end"])
    image = (sections["__image_start"], sections["__image_end"])
    problems = []
    if (rep.mnemonic, rep.name, rep.vector) != (mnemonic, name, vector):
        problems.append(f"header says {rep.mnemonic} {rep.name} (vector {rep.vector})")
    if rep.order != FAULT_REGS:
        problems.append(f"registers printed {rep.order}, expected {FAULT_REGS}")
        return problems
    for reg in FAULT_REGS:
        want = 4 if reg == "cs" else 16
        if rep.digits[reg] != want:
            problems.append(f"{reg} printed with {rep.digits[reg]} hex digits, not {want}")
    regs = rep.regs
    if not text[0] <= regs["rip"] < text[1]:
        problems.append(f"rip {regs['rip']:#x} outside Keel's .text [{text[0]:#x}, {text[1]:#x})")
    if regs["cs"] == 0 or regs["cs"] & 3:
        problems.append(f"cs {regs['cs']:#x} is not a ring-0 selector")
    if not regs["rflags"] & RFLAGS_FIXED1:
        problems.append(f"rflags {regs['rflags']:#x} lacks the always-1 bit 1")
    if regs["cr0"] & (CR0_PE | CR0_PG) != CR0_PE | CR0_PG or not regs["cr4"] & CR4_PAE:
        problems.append(f"cr0 {regs['cr0']:#x} / cr4 {regs['cr4']:#x}: not in long mode")
    if regs["cr3"] >> 12 == 0:
        problems.append(f"cr3 {regs['cr3']:#x} has no page-table base")
    if not image[0] <= regs["rsp"] < image[1]:
        problems.append(f"rsp {regs['rsp']:#x} not on a stack inside Keel's image")
    if not rep.stack:
        problems.append("no return addresses in the stack walk")
    outside = [f"{a:#x}" for a in rep.stack if not text[0] <= a < text[1]]
    if outside:
        problems.append(f"stack walk addresses outside .text: {outside}")
    return problems
