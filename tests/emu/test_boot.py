"""Issue 2 scenarios: boot and memory report, fault reports, no VT-x under
QEMU TCG (serial and VGA screen), and a malformed command line.

Each test boots one scenario and judges its log with keeltest.assert_markers;
the checks below add what the markers alone cannot say (ranges, register
values, where Keel's .text lies).
"""
import re

import pytest

from keeltest import (Scenario, assert_markers, check_fault, find, guest, keel_lines,
                      parse_fault, report, run)

# A clean boot with no guests ends with this status.
CLEAN_END_STATUS = 0
KEEL_STATUS_BUG = 2  # lib/panic.h: a fault or failed CHECK in Keel
NO_VTX_STATUS = 1

MEM_USABLE_RE = re.compile(r"^keel: mem: usable (\d+) MiB in (\d+) regions$")
MEM_FREE_RE = re.compile(r"^keel: mem: free frames (\d+) \((\d+) MiB\), used (\d+)$")

# Usable MiB Keel must report, by configured memory, measured from the
# memory map Bochs 2.7's BIOS hands GRUB (GRUB's lsmmap):
#   guest=256:  available [0, 0x9f000) and [0x100000, 0xfff0000): 0x9f000 +
#               0xfef0000 bytes = 255.6 MiB; lost: the EBDA page, the
#               640 KiB-1 MiB VGA/BIOS area and 64 KiB of ACPI tables at the top.
#   guest=4096: available [0, 0x9f000) and [0x100000, 0xbfff0000) = 3071.6 MiB;
#               the PCI hole takes 3-4 GiB and this BIOS maps no RAM above 4 GiB.
# Whole MiB rounded down gives 255 / 3071; a count of RAM above 1 MiB only
# gives 254 / 3070. Anything else means the map was misread.
USABLE_MIB = {256: (254, 255), 4096: (3070, 3071)}
USABLE_REGIONS = (1, 2)
# What Keel keeps out of the free pool at the report: the first MiB, its image,
# the multiboot2 info and the allocator's metadata, well under 8 MiB here.
MAX_NOT_FREE_MIB = 8


@pytest.mark.parametrize("memory", sorted(USABLE_MIB))
def test_boot_memory_report(memory):
    r = run(Scenario(f"boot-mem{memory}", memory=memory))
    assert_markers(r, passes=[MEM_USABLE_RE, MEM_FREE_RE], end_status=CLEAN_END_STATUS)
    usable = find(r, MEM_USABLE_RE)
    free = find(r, MEM_FREE_RE)
    usable_mib, regions = int(usable.group(1)), int(usable.group(2))
    frames, free_mib, used = (int(free.group(i)) for i in (1, 2, 3))
    lo, hi = USABLE_MIB[memory]
    problems = []
    if not lo <= usable_mib <= hi:
        problems.append(f"usable {usable_mib} MiB not in [{lo}, {hi}] for a {memory} MiB machine")
    if not USABLE_REGIONS[0] <= regions <= USABLE_REGIONS[1]:
        problems.append(f"{regions} usable regions, expected {USABLE_REGIONS}")
    if frames <= 0:
        problems.append("no free frames")
    if frames * 4 > usable_mib * 1024 + 1023:
        problems.append(f"{frames} free frames exceed the {usable_mib} usable MiB")
    if frames * 4 < (usable_mib - MAX_NOT_FREE_MIB) * 1024:
        problems.append(f"only {frames} free frames: more than {MAX_NOT_FREE_MIB} MiB withheld")
    if free_mib != frames * 4 // 1024:
        problems.append(f"free {free_mib} MiB does not match {frames} frames")
    if (frames + used) * 4 > (usable_mib + 1) * 1024:
        problems.append(f"free {frames} + used {used} frames exceed usable memory")
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


# test= action, mnemonic, name, vector.
FAULTS = [
    ("fault-ud", "#UD", "invalid opcode", 6),
    ("fault-pf", "#PF", "page fault", 14),
    ("fault-gp", "#GP", "general protection", 13),
    ("fault-de", "#DE", "divide error", 0),
]

PF_P, PF_W, PF_US = 1 << 0, 1 << 1, 1 << 2
FOUR_GIB = 1 << 32


# boot/selftest.c names the address it is about to read.
SELFTEST_PF_RE = re.compile(r"^keel: selftest fault-pf: .*?\b0x([0-9a-f]+)\b")


def _check_page_fault(r, rep):
    """The test reads an unmapped address: a supervisor read of a not-present
    page, either page 0 (unmapped once Keel's own paging is in) or above the
    boot identity map of 0-4 GiB; cr2 must be the address the self-test
    announced, when it announces one."""
    problems = []
    if rep.error_code & (PF_P | PF_W | PF_US):
        problems.append(f"#PF error code {rep.error_code:#x}: not a supervisor read "
                        "of a not-present page")
    cr2 = rep.regs.get("cr2", 0)
    if not (cr2 < 0x1000 or FOUR_GIB <= cr2 < 1 << 47):
        problems.append(f"cr2 {cr2:#x} is neither in page 0 nor above the 4 GiB identity map")
    announced = find(r, SELFTEST_PF_RE)
    if announced and int(announced.group(1), 16) != cr2:
        problems.append(f"cr2 {cr2:#x} is not the address the self-test read "
                        f"(0x{announced.group(1)})")
    if rep.page_fault is None:
        problems.append("no `keel:   page fault: ...` line")
    elif "read" not in rep.page_fault or "supervisor" not in rep.page_fault:
        problems.append(f"page-fault line {rep.page_fault!r} does not say a supervisor read")
    return problems


@pytest.mark.parametrize("action,mnemonic,name,vector", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_report(action, mnemonic, name, vector, keel_sections):
    r = run(Scenario(action, cmdline=f"console=com1 onexit=shutdown test={action}"))
    header = f"keel: FAULT in Keel: {mnemonic} {name} (vector {vector}), error code 0x"
    assert_markers(r, passes=[header, "keel:   stack: 0x"],
                   fails=["PANIC", "fault while reporting"], end_status=KEEL_STATUS_BUG)
    faults = [line for line in keel_lines(r) if "FAULT in Keel" in line]
    problems = [f"{len(faults)} fault reports, expected one"] if len(faults) != 1 else []
    rep = parse_fault(r)
    problems += check_fault(rep, mnemonic, name, vector, keel_sections)
    if mnemonic == "#PF":
        problems += _check_page_fault(r, rep)
    elif mnemonic in ("#UD", "#DE", "#GP") and rep.error_code != 0:
        problems.append(f"error code {rep.error_code:#x}, expected 0x0")
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


NO_VTX_LINE = "keel: VT-x unavailable: CPUID.1:ECX.VMX=0"


def test_qemu_tcg_no_vtx():
    r = run(Scenario("qemu-novtx", emulator="qemu"))
    assert_markers(r, passes=[NO_VTX_LINE], end_status=NO_VTX_STATUS)


def test_qemu_tcg_no_vtx_vga():
    """console=vga: the line is on the VGA screen and no longer on serial (a
    BIOS machine stays in VGA text mode: mkiso.py's grub.cfg keeps it)."""
    r = run(Scenario("qemu-novtx-vga", cmdline="console=vga onexit=halt", emulator="qemu-vga"))
    assert_markers(r, passes=[NO_VTX_LINE], end_status=NO_VTX_STATUS, where="screen")
    if NO_VTX_LINE in r.log:
        pytest.fail(report(r, ["console=vga, yet the VT-x line went to serial"]),
                    pytrace=False)


def test_bad_cmdline():
    r = run(Scenario("bad-cmdline",
                     cmdline="console=com1 onexit=shutdown loglevel=verbose bogus=1"))
    assert_markers(r, passes=["keel: option loglevel: bad value 'verbose' (default kept)",
                              "keel: unknown option 'bogus' ignored"],
                   end_status=CLEAN_END_STATUS)


@pytest.mark.parametrize("onexit", ["halt", "reboot", "shutdown"])
def test_every_end_drains_serial(onexit):
    """Every end path empties the console's ring before it halts, reboots or powers off:
    the guest's summary lines and the end line, queued last, all reach serial (the run
    stops at the end line; a lost tail is a timeout)."""
    r = run(Scenario(f"onexit-{onexit}", cmdline=f"console=com1 onexit={onexit}",
                     modules=[(guest("hello"), "name=hello mem=16M")], timeout=60))
    assert_markers(r, passes=["[hello] Goodbye", "keel: guest hello: ended by",
                              "keel: guest hello: frames held", "keel: guests ok=1 failed=0"],
                   end_status=CLEAN_END_STATUS)
