"""Issue 7 scenarios: the local APIC and interrupt delivery (tests/guests/apic.c).

The `apic` guest checks Keel's virtual local APIC against the Intel SDM's
xAPIC architecture (Vol. 3A, "Advanced Programmable Interrupt Controller")
and judges itself with one PASS or FAIL line per check. It boots once per
Bochs CPU model, because Keel reaches the APIC two ways:

- corei7_skylake_x has APIC-register virtualization and virtual-interrupt
  delivery: the CPU completes most accesses and delivers from the virtual IRR;
- corei7_sandy_bridge_2600k has neither: every APIC access is an EPT
  violation Keel emulates, and Keel injects every interrupt itself;
- corei7_skylake_x with Keel's apicv=off: the emulated path on the CPU that
  could virtualize.

Each boot must print every PASS line below (the groups' checks; the
TSC-deadline lines depend on CPUID.1:ECX[24], which the guest prints), no
FAIL line, `RESULT pass`, and end by the debug-exit port with status 1.
To debug one part: `-- only=GROUP[,GROUP...]` (tests/guests/README.md).

The same boots run the `intr` guest (tests/guests/intr.c, ept=4k): the STI
shadow, a self NMI, `sti; hlt` woken by one-shot and periodic timers, and an
interrupt whose frame push is the first touch of a stack page, so that its
delivery ends in an EPT violation and Keel must inject it again. Keel's
summary must say which APIC path ran (`apic virtualized` / `apic emulated`).
"""
import pytest

from keeltest import DEFAULT_CMDLINE, FAIL_MARKERS, Scenario, check_markers, find, guest, report, run

# (Bochs model, Keel option): the virtualized path, the emulated path on a
# CPU without APIC-register virtualization, and the emulated path forced
# on the CPU that has it (apicv=off).
MODELS = (("corei7_skylake_x", ""), ("corei7_sandy_bridge_2600k", ""),
          ("corei7_skylake_x", "apicv=off"))
MODULE = "name=apic mem=16M"
INTR_MODULE = "name=intr mem=16M ept=4k"
APIC_PATH = {("corei7_skylake_x", ""): "virtualized",
             ("corei7_sandy_bridge_2600k", ""): "emulated",
             ("corei7_skylake_x", "apicv=off"): "emulated"}
INTR_PASSES = [
    "self IPI with IF=0 waits",
    "self IPI delivered once after STI",
    "the instruction after STI ran before the handler",
    "self IPI sent in the MOV SS shadow is taken once",
    "... right after the ICR write",
    "self NMI through the ICR reaches vector 2",
    "one-shot timer wakes sti;hlt",
    "periodic timer wakes hlt five times",
    "interrupt delivered once onto a never-touched stack page",
    "the frame push cost an EPT violation (delivery re-injected)",
    "frame RIP is the instruction after sti; nop",
    "INT n delivered once onto a never-touched stack page",
    "INT3 delivered once onto a never-touched stack page",
    "both frame pushes cost an EPT violation",
    "INT n frame RIP is the instruction after it",
    "INT3 frame RIP is the instruction after it",
]

# Every check the guest makes, as the start of its PASS line.
PASSES = [
    "cpu: CPUID.1:EDX[9] APIC present",
    "cpu: CPUID.1:ECX[21] x2APIC set",
    "cpu: mov cr8 = 0x10 (bit 4) raises #GP(0)",
    "cpu: mov cr8 = bit 63 raises #GP(0)",
    "msr: rdmsr 0x802 (x2APIC ID) raises #GP(0)",
    "msr: wrmsr 0x802 raises #GP(0)",
    "msr: rdmsr 0x808 (x2APIC TPR) raises #GP(0)",
    "msr: wrmsr 0x808 raises #GP(0)",
    "msr: rdmsr 0x830 (x2APIC ICR) raises #GP(0)",
    "msr: wrmsr 0x830 raises #GP(0)",
    "msr: IA32_APIC_BASE = 0xFEE00000 | EN | BSP",
    "msr: IA32_APIC_BASE bit 0 raises #GP(0)",
    "msr: IA32_APIC_BASE bit 7 raises #GP(0)",
    "msr: IA32_APIC_BASE bit 9 raises #GP(0)",
    "msr: IA32_APIC_BASE bit MAXPHYADDR raises #GP(0)",
    "msr: IA32_APIC_BASE bit 63 raises #GP(0)",
    "msr: IA32_APIC_BASE EXTD=1 EN=0 raises #GP(0)",
    "regs: ID[31:24] = CPUID.1:EBX[31:24]",
    "regs: version 0x1X (integrated APIC)",
    "regs: max LVT entry",
    "regs: TPR 0xAB reads back",
    "regs: TPR 0x5C reads back",
    "regs: PPR = TPR 0x5C with nothing in service",
    "regs: TPR 0 reads back",
    "regs: PPR 0 with TPR 0",
    "regs: TPR 0xAB: CR8 reads 0xA (TPR[7:4])",
    "regs: mov cr8 = 5: TPR reads 0x50",
    "regs: mov cr8 = 5: CR8 reads 5",
    "regs: mov cr8 = 0x10 raises #GP(0)",
    "regs: TPR unchanged by the faulting mov cr8",
    "regs: mov cr8 = 0: TPR reads 0",
    "regs: LDR 0x5A000000 reads back",
    "regs: DFR cluster model 0x0FFFFFFF reads back",
    "regs: DFR bits 27:0 read as ones",
    "regs: LVT error unmasked vector 0xFE reads back",
    "regs: SPIV 0xFF (software disabled) reads back",
    "regs: software disable sets the LVT error mask",
    "regs: software disabled: clearing an LVT mask is ignored",
    "regs: SPIV 0x1FF (software enabled) reads back",
    "regs: software enable leaves the LVT error mask set",
    "regs: enabled: LVT error unmasks",
    "regs: SPIV vector 0xE5 reads back",
    "regs: ICR high destination 0x5A reads back",
    "base: move the APIC to 0xFED00000",
    "base: IA32_APIC_BASE reads 0xFED00900",
    "base: version register at the new base",
    "base: ID register at the new base",
    "base: TPR at the new base keeps its value",
    "base: move the APIC back to 0xFEE00000",
    "base: IA32_APIC_BASE reads 0xFEE00900 again",
    "base: version register at 0xFEE00000 again",
    "base: TPR written at the moved base reads back",
    "esr: back-to-back writes clear ESR",
    "esr: illegal-vector IPI: delivery status idle",
    "esr: read before the write still 0",
    "esr: after the write: send illegal vector",
    "esr: the next write clears it",
    "esr: no IRR bit below 16",
    "esr: LVT error interrupt at 0xFE",
    "esr: vector 3 never delivered",
    "ipi: self: delivery status idle after the send",
    "ipi: self: ICR low reads back the command",
    "ipi: self: IRR bit 0x40 set while IF=0",
    "ipi: self: ISR bit 0x40 clear before delivery",
    "ipi: self: not delivered while IF=0",
    "ipi: self shorthand: handler runs once",
    "ipi: self: ISR bit 0x40 set in the handler",
    "ipi: self: PPR in the handler = 0x40",
    "ipi: self: IRR bit clear after delivery",
    "ipi: self: ISR bit still set before EOI",
    "ipi: self: EOI clears the ISR bit",
    "ipi: self: PPR 0 after EOI",
    "ipi: physical destination = own ID: delivered once",
    "ipi: physical destination = another ID: not delivered",
    "ipi: physical broadcast 0xFF: delivered once",
    "ipi: all including self: delivered once",
    "ipi: all excluding self: not delivered",
    "ipi: logical flat 0x01 (LDR 0x01): delivered once",
    "ipi: logical flat 0x03: delivered once",
    "ipi: logical flat 0x02: not delivered",
    "prio: 0x50 and 0x70 both pending in IRR with IF=0",
    "prio: 0x70 delivered before 0x50",
    "prio: PPR in the 0x70 handler = 0x70",
    "prio: PPR in the 0x50 handler = 0x50",
    "prio: 0x70 delivered, left in service",
    "prio: 0x50 held back while 0x70 is in service",
    "prio: 0x50 still in IRR",
    "prio: PPR 0x70 while 0x70 is in service",
    "prio: EOI of 0x70 lets 0x50 in",
    "prio: ISR clear at the end",
    "prio: nested: 0x50 delivered",
    "prio: nested: 0x70 interrupts the 0x50 handler",
    "prio: nested: ISR has 0x50 and 0x70",
    "prio: nested: first EOI clears 0x70 only",
    "prio: nested: second EOI clears 0x50",
    "prio: nested: 0x50 entered first, then 0x70",
    "tpr: TPR 0x60 holds back 0x50 with IF=1",
    "tpr: TPR 0x60 holds back 0x6F (same class)",
    "tpr: 0x50 stays in IRR",
    "tpr: 0x6F stays in IRR",
    "tpr: PPR = 0x60",
    "tpr: 0x71 (class above TPR) is delivered",
    "tpr: 0x50 and 0x6F still held",
    "tpr: TPR 0 delivers 0x50",
    "tpr: TPR 0 delivers 0x6F",
    "tpr: 0x6F before 0x50 once TPR drops",
    "tpr: CR8 6 holds back 0x50",
    "tpr: CR8 6: 0x50 stays in IRR",
    "tpr: CR8 0 delivers 0x50",
    "nmi: delivery status idle",
    "nmi: NMI IPI to own ID delivered with IF=0",
    "nmi: the second NMI is held while the handler runs",
    "nmi: handlers never nest",
    "nmi: the second NMI arrives after IRET",
    "initsipi: INIT to a missing ID: delivery status idle",
    "initsipi: INIT deassert: delivery status idle",
    "initsipi: SIPI to a missing ID: delivery status idle",
    "initsipi: second SIPI: delivery status idle",
    "initsipi: the guest keeps running, no exception",
    "initsipi: ESR 0 (no send error on an xAPIC)",
    "shadow: pending 0x40 delivered after the instruction after STI",
    "shadow: sti; hlt with 0x40 pending: wakes, delivered after HLT",
    "timer: TDCR divide by 1 (0xB) reads back",
    "timer: TMCCT counts down from TMICT",
    "timer: divide by 16 counts 1/16 as fast",
    "timer: LVT timer one-shot 0x60 reads back",
    "timer: TMICT reads back",
    "timer: TMCCT below TMICT and decreasing",
    "timer: sti; hlt woke on the one-shot interrupt",
    "timer: one-shot after",
    "timer: TMCCT 0 after the one-shot",
    "timer: one-shot does not repeat",
    "timer: masked LVT: no interrupt",
    "timer: masked LVT: TMCCT still counts",
    "timer: masked LVT: TMCCT reaches 0",
    "timer: masked LVT: IRR bit 0x60 clear",
    "timer: rewriting TMICT restarts the count",
    "timer: TMICT 0 stops it: TMCCT 0",
    "periodic: LVT timer periodic 0x20060 reads back",
    "periodic: 4 interrupts arrived",
    "periodic: no period shorter than half the expected",
    "periodic: TMCCT reloads",
    "periodic: TMICT 0: TMCCT 0",
    "periodic: TMICT 0 stops the interrupts",
    "disable: clearing IA32_APIC_BASE.EN is allowed",
    "disable: IA32_APIC_BASE reads 0xFEE00100",
    "disable: CPUID.1:EDX[9] reads 0 while disabled",
    "disable: EN=0 -> EXTD=1 raises #GP(0)",
    "disable: setting EN again is allowed",
    "disable: IA32_APIC_BASE reads 0xFEE00900 again",
    "disable: CPUID.1:EDX[9] set again",
    "disable: version register readable again",
    "disable: re-enabled APIC delivers a self IPI",
    "x2apic: xAPIC -> x2APIC (EXTD) is allowed",
    "x2apic: IA32_APIC_BASE reads EN | EXTD | BSP",
    "x2apic: ID (0x802) = CPUID.1:EBX[31:24]",
    "x2apic: version (0x803) = the xAPIC version",
    "x2apic: LDR (0x80D) = cluster ID[19:4], bit ID[3:0]",
    "x2apic: the memory-mapped page reads all ones",
    "x2apic: rdmsr DFR (0x80E) raises #GP(0)",
    "x2apic: rdmsr EOI (0x80B) raises #GP(0)",
    "x2apic: rdmsr SELF IPI (0x83F) raises #GP(0)",
    "x2apic: wrmsr ID raises #GP(0)",
    "x2apic: wrmsr LDR raises #GP(0)",
    "x2apic: wrmsr EOI of 1 raises #GP(0)",
    "x2apic: wrmsr TPR bit 8 raises #GP(0)",
    "x2apic: wrmsr TPR bit 32 raises #GP(0)",
    "x2apic: TPR 0x50 reads back",
    "x2apic: CR8 reads TPR[7:4]",
    "x2apic: SELF IPI: IRR bit set while IF=0",
    "x2apic: SELF IPI delivered once",
    "x2apic: EOI (0x80B) cleared the ISR bit",
    "x2apic: ICR to the own x2APIC ID delivered once",
    "x2apic: ICR to x2APIC ID 5 (absent) not delivered",
    "x2apic: TMCCT below TMICT",
    "x2apic: sti; hlt woke on the timer",
    "x2apic: TMCCT 0 after the one-shot",
    "x2apic: x2APIC -> xAPIC directly raises #GP(0)",
    "x2apic: x2APIC -> disabled is allowed",
    "x2apic: disabled -> xAPIC is allowed",
    "x2apic: back in xAPIC mode, rdmsr 0x802 raises #GP(0)",
    "x2apic: the memory-mapped version register answers again",
    "end: no stray or spurious interrupts",
]
# Group deadline when CPUID.1:ECX[24] advertises the TSC-deadline timer ...
DEADLINE_PASSES = [
    "deadline: wrmsr IA32_TSC_DEADLINE in one-shot mode does not fault",
    "deadline: one-shot mode: IA32_TSC_DEADLINE reads 0 (write ignored)",
    "deadline: LVT timer TSC-deadline 0x40060 reads back",
    "deadline: TMCCT reads 0 (TMICT ignored)",
    "deadline: armed: IA32_TSC_DEADLINE reads the deadline",
    "deadline: sti; hlt woke on the deadline interrupt",
    "deadline: interrupt at or after the deadline",
    "deadline: IA32_TSC_DEADLINE reads 0 after it fired",
    "deadline: fires once",
    "deadline: a deadline already passed fires at once",
    "deadline: writing 0 disarms it",
    "deadline: disarmed: reads 0",
]
# ... and when it does not.
NO_DEADLINE_PASSES = [
    "deadline: not advertised: rdmsr IA32_TSC_DEADLINE raises #GP(0)",
    "deadline: not advertised: wrmsr IA32_TSC_DEADLINE raises #GP(0)",
]


@pytest.fixture(scope="module", params=MODELS, ids=lambda p: "-".join(filter(None, p)))
def apic_run(request):
    model, opt = request.param
    r = run(Scenario("-".join(filter(None, ("apic", model, opt.replace("=", "-")))), model=model,
                     cmdline=" ".join(filter(None, (DEFAULT_CMDLINE, opt))),
                     modules=((guest("apic"), MODULE), (guest("intr"), INTR_MODULE))))
    r.model = request.param
    return r


def test_every_apic_check_passes(apic_run):
    r = apic_run
    deadline = find(r, r"^\[apic\] apic: CPUID\.1:ECX\[24\] TSC-deadline (set|clear)")
    problems = [] if deadline else ["no `CPUID.1:ECX[24] TSC-deadline` line from the guest"]
    expect = PASSES + (DEADLINE_PASSES if deadline and deadline.group(1) == "set"
                       else NO_DEADLINE_PASSES)
    problems += check_markers(r, passes=[f"[apic] PASS {p}" for p in expect] + [
        "[apic] RESULT pass",
        "keel: guest apic: ended by debug-exit status=1,",
        "keel: guests ok=2 failed=0",
    ], fails=[*FAIL_MARKERS, "[apic] FAIL"], end_status=0)
    passed = len([line for line in r.lines() if line.startswith("[apic] PASS ")])
    if passed != len(expect):
        problems.append(f"{passed} PASS lines, this test knows {len(expect)}")
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def test_interrupt_delivery_edge_cases(apic_run):
    r = apic_run
    path = APIC_PATH[r.model]
    problems = check_markers(r, passes=[f"[intr] PASS {p}" for p in INTR_PASSES] + [
        "[intr] RESULT pass",
        "keel: guest intr: ended by debug-exit status=1,",
        f"keel: guest intr: irq: apic {path},",
        f"keel: guest apic: irq: apic {path},",
    ], fails=[*FAIL_MARKERS, "[intr] FAIL"])
    if problems:
        pytest.fail(report(r, problems), pytrace=False)
