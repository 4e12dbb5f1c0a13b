"""Issue 13 scenarios: the I/O APIC every guest gets (docs/platform.md).

The `ioapic` guest (tests/guests/ioapic.c) masks the 8259 pair and LINT0,
then checks the I/O APIC at 0xFEC00000 register by register (ID, VER, ARB,
IOREGSEL/IOWIN at every width, the redirection entries' writable, read-only
and reserved bits), the PIT on pin 2 edge-triggered through `sti; hlt` at
1 kHz, physical and logical destinations, a masked edge being lost,
level-triggered delivery with remote IRR held until the EOI (pin 2 held
high by PIT channel 0 in mode 0), NMI delivery mode, and finally the 8259
path through LINT0 again. It must print every PASS line below, no FAIL
line, and `RESULT pass`.

Three machines, so both ways a level-triggered EOI reaches the I/O APIC are
used: corei7_skylake_x with APIC-register virtualization and
virtual-interrupt delivery (the EOI exits through the EOI-exit bitmap:
"virtualized EOI" exits must appear), corei7_sandy_bridge_2600k without
them, and corei7_skylake_x with Keel's apicv=off (both emulated: the EOI
register write is emulated, no "virtualized EOI" exit).
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find, find_all, guest, report, run

# Every check the guest makes, as the start of its PASS line.
IOAPIC_PASSES = [
    "regs: ID reads 1 (the MADT's I/O APIC ID)",
    "regs: VER is 0x00170011 (version 0x11, 24 entries)",
    "regs: ARB reads the ID",
    "regs: ID keeps bits 27:24 only",
    "regs: ARB is loaded when ID is written",
    "regs: ARB is read-only",
    "regs: VER is read-only",
    "regs: ID and ARB back to 1",
    "regs: registers 0x03, 0x40, 0xFF do not exist (read 0, writes ignored)",
    "regs: IOREGSEL keeps bits 7:0",
    "regs: IOWIN reads VER (32-bit)",
    "regs: IOWIN byte 2 reads VER bits 23:16",
    "regs: IOWIN 16-bit read",
    "regs: IOWIN 64-bit read covers IOWIN and zeros",
    "regs: a byte write to IOREGSEL is ignored",
    "regs: byte and 16-bit writes to IOWIN are ignored",
    "regs: the rest of the page reads 0 (no EOI register at 0x40)",
    "regs: all 24 entries masked, other bits 0, at entry",
    "regs: entry bits 31:0 written all ones (12, 14 read-only, 31:17 reserved)",
    "regs: entry bits 63:32 written all ones (55:32 reserved)",
    "regs: the neighbouring entries are untouched",
    "regs: entry 5 restored",
    "regs: entry 23 is registers 0x3E-0x3F",
    "edge: the PIT reaches vector 0x30 through pin 2 with IF=1",
    "edge: in the handler ISR is set, TMR clear (edge)",
    "edge: 20 interrupts through sti; hlt in ",
    "edge: 20 interrupts took ",
    "edge: the masked 8259 latched IRQ 0 in its IRR too",
    "edge: nothing came through the 8259",
    "edge: remote IRR stays 0 for an edge entry",
    "dest: physical, another APIC ID: nothing",
    "dest: physical 0xFF (broadcast): delivered",
    "dest: logical flat 0x01, LDR 0x01: delivered",
    "dest: logical flat 0x02, LDR 0x01: nothing",
    "mask: an edge while masked is lost, not delivered on unmask",
    "mask: the next edge after unmasking is delivered",
    "level: asserted while masked: nothing sent, remote IRR 0",
    "level: unmasked while asserted: delivered (in IRR, IF=0)",
    "level: TMR set for a level-triggered vector",
    "level: remote IRR set once the local APIC accepted it",
    "level: the handler runs with the vector in service, no EOI yet",
    "level: remote IRR stays set until the EOI",
    "level: EOI with the line high: remote IRR cleared and set again, in IRR again",
    "level: masked, the EOI clears remote IRR and nothing is sent",
    "level: unmasked with the line high: delivered again",
    "level: the line lowered, the EOI ends it: remote IRR 0, nothing pending",
    "level: and nothing more arrives",
    "level: rewritten edge-triggered, remote IRR reads 0",
    "nmi: pin 2 in NMI mode delivers the PIT's edge as an NMI",
    "pic: 20 IRQ 0s at the 8259's vector 0x20 through LINT0 (ExtINT)",
    "pic: the masked I/O APIC entry delivered nothing",
    "end: no stray or spurious interrupts",
]

# (scenario suffix, Bochs model, Keel's extra options, how the APIC runs)
MACHINES = [
    ("skylake", "corei7_skylake_x", "", "virtualized"),
    ("sandy", "corei7_sandy_bridge_2600k", "", "emulated"),
    ("skylake-apicv-off", "corei7_skylake_x", " apicv=off", "emulated"),
]


@pytest.fixture(scope="module", params=MACHINES, ids=[m[0] for m in MACHINES])
def machine(request):
    suffix, model, opts, apic = request.param
    r = run(Scenario(f"ioapic-{suffix}", model=model,
                     cmdline=f"console=com1 onexit=shutdown{opts}",
                     modules=((guest("ioapic"), "name=ioapic mem=32M"),)))
    return r, apic


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def test_ioapic_guest_passes(machine):
    r, _ = machine
    problems = check_markers(r, passes=[
        *(f"[ioapic] PASS {p}" for p in IOAPIC_PASSES),
        "[ioapic] RESULT pass",
        re.compile(r"^keel: guest ioapic: ended by debug-exit status=1,"),
        "keel: guests ok=1 failed=0",
    ], fails=[*FAIL_MARKERS, "[ioapic] FAIL"], end_status=0)
    checks = find(r, r"^\[ioapic\] checks (\d+), failed 0$")
    passed = len(find_all(r, r"^\[ioapic\] PASS "))
    if checks and int(checks.group(1)) != passed:
        problems.append(f"ioapic: {checks.group(1)} checks but {passed} PASS lines")
    if passed != len(IOAPIC_PASSES):
        problems.append(f"ioapic: {passed} PASS lines, this test knows {len(IOAPIC_PASSES)}")
    _fail_if(r, problems)


def test_level_eoi_path(machine):
    """The EOIs of the level-triggered vector reached the I/O APIC the way the APIC runs."""
    r, apic = machine
    problems = []
    irq = find(r, r"^keel: guest ioapic: irq: apic (\w+),")
    if not irq or irq.group(1) != apic:
        problems.append(f"want `irq: apic {apic}`, got {irq.group(0) if irq else None!r}")
    ended = find(r, r"^keel: guest ioapic: ended by \S+ status=-?\d+, exits \d+ \((.*)\)$")
    eoi_exits = re.search(r"virtualized EOI (\d+)", ended.group(1)) if ended else None
    if apic == "virtualized" and not (eoi_exits and int(eoi_exits.group(1)) >= 4):
        problems.append("APIC virtualized: want at least 4 `virtualized EOI` exits "
                        f"(the level-triggered EOIs), got {eoi_exits.group(0) if eoi_exits else None!r}")
    if apic == "emulated" and eoi_exits:
        problems.append(f"APIC emulated: no EOI-induced exit expected, got {eoi_exits.group(0)!r}")
    _fail_if(r, problems)
