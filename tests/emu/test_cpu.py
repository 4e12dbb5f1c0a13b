"""Issue 7 scenarios: the CPU state a guest sees, exact to the Intel SDM.

One boot per Bochs CPU model runs both guests (docs/platform-cpu.md):

- `lmode` (tests/guests/lmode.c, 32-bit Multiboot v1): 32-bit and PAE paging
  and IA-32e mode, each entered and left by the guest itself, natively and
  through Keel's CR0 emulation (PDPTE loading, EFER.LMA and the "IA-32e mode
  guest" entry control kept in step); 64-bit code prints its own PASS line.
- `cpustate` (tests/guests/cpustate.c, 64-bit): CPUID coherence (maxima,
  leaves 0xB, 0xD, 0x80000008, hidden features), every CR4 bit against the
  features CPUID shows, CR0/CR3 rules, the MSRs (canonical bases, PAT, EFER,
  TSC through the offset, TSC_AUX, TSC_ADJUST, MISC_ENABLE, MTRRs,
  machine-check banks, speculation controls against CPUID.7:EDX), XSETBV
  against leaf 0xD, and the single-step #DB after instructions Keel emulates.

The models differ where it matters: corei7_skylake_x has AVX-512 state,
FSGSBASE, SMEP, SMAP, TSC_ADJUST, leaf 0 up to 0x16; corei7_sandy_bridge_2600k
stops at leaf 0xD with AVX only and no leaf-7 features.

Bochs 2.7 keeps its own single-step trap pending across a VM exit (it saves
DR6.BS into the pending-debug-exceptions field, where the SDM saves 0), so
the TF checks pass here even without Keel's part (vcpu_skip_instruction);
on hardware they need it.
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find_all, guest, report, run

MODELS = ("corei7_skylake_x", "corei7_sandy_bridge_2600k")
GUESTS = (("lmode", "name=lmode mem=16M"), ("cpustate", "name=cpustate mem=16M"))
SUCCESS_STATUS = 1  # debug-exit with v = 0

LMODE_PASSES = [
    "wrmsr EFER.LME with paging on raises #GP(0)",
    "PAE paging with a reserved PDPTE bit: #GP(0) (natively)",
    "PAE paging with a reserved PDPTE bit: #GP(0) (through Keel)",
    "PAE paging on, through Keel",
    "PAE paging through Keel: the PDPTEs are this PDPT's (alias reads)",
    "CR0.PG with EFER.LME and no CR4.PAE: #GP(0) (natively)",
    "CR0.PG with EFER.LME and no CR4.PAE: #GP(0) (through Keel)",
    "IA-32e mode natively: EFER.LME and LMA set",
    "IA-32e mode through Keel: EFER.LME and LMA set",
    "left IA-32e mode natively: EFER.LMA clear, LME set",
    "left IA-32e mode through Keel: EFER.LMA clear, LME set",
    "64-bit code ran with CS = the 64-bit selector",
    "after IA-32e mode: #UD reaches the 32-bit IDT",
]

CPUSTATE_PASSES = [
    "leaf max+1 answers as the highest basic leaf",
    "extended leaf max+1 answers as the highest basic leaf",
    "leaf 0xB.0: SMT level, shift 0, one logical processor, x2APIC ID 0",
    "cpuid: a leaf asked again answers the same",
    "cpuid: every register but RAX-RDX survives, their upper halves 0",
    "leaf 0x80000008: 48 linear address bits",
    "leaf 0xD.0 ECX: area size for every component offered",
    "xsetbv XCR0 = every bit leaf 0xD offers",
    "xsetbv XCR0 with a bit leaf 0xD does not offer raises #GP(0)",
    "rdmsr IA32_XSS (no XSAVES) raises #GP(0)",
    "CR4.VMXE reads 0",
    "mov cr4: each bit CPUID allows",
    "mov cr4: every other bit (VMXE, SMXE, PKE, LA57, reserved) raises #GP(0)",
    "mov cr0 clearing ET: accepted, ET still reads 1",
    "mov cr0 with NW and not CD raises #GP(0)",
    "mov cr0 clearing PG in 64-bit mode raises #GP(0)",
    "mov cr3 with bit MAXPHYADDR raises #GP(0)",
    "wrmsr IA32_LSTAR = 0x800000000000 raises #GP(0)",
    "wrmsr IA32_EFER clearing LME while paging",
    "RDTSC continues from the value written to IA32_TSC",
    "wrmsr IA32_MISC_ENABLE toggling read-only bit 11",
    "with Limit CPUID Maxval, leaf 0 EAX is 2",
    "IA32_MTRR_DEF_TYPE: enabled, write-back",
    "IA32_MCG_CAP: banks, no MCG_CTL, CMCI, SER",
    "wrmsr IA32_MCi_STATUS nonzero",
    "rdmsr IA32_MCi_* one past the last bank raises #GP(0)",
    "TF: #DB with DR6.BS right after CPUID (emulated)",
    "TF: #DB with DR6.BS right after OUT (emulated)",
    "TF: #DB with DR6.BS right after IN (emulated)",
    "TF: #DB with DR6.BS right after RDMSR (emulated)",
    "TF: #DB with DR6.BS right after WRMSR (emulated)",
    "TF: #DB with DR6.BS right after VMCALL (emulated)",
    "VMCALL of an unknown function returns KEEL_HC_ENOSYS",
    "TF: #DB with DR6.BS right after VMCALL KEEL_HC_NOP (emulated)",
    "VMCALL KEEL_HC_NOP single-stepped returns 0",
    "TF: #DB with DR6.BS right after the NOP after a faulting RDMSR",
    "#GP raised by the CPU pushes RFLAGS.RF = 1",
]

# What each model's CPUID must show the guest (cpustate prints these leaves).
MODEL_LEAVES = {
    "corei7_skylake_x": {"0x00000000.0": "00000016", "0x0000000d.0": "000000e7"},
    "corei7_sandy_bridge_2600k": {"0x00000000.0": "0000000d", "0x0000000d.0": "00000007"},
}


@pytest.fixture(scope="module", params=MODELS)
def boot(request):
    """One boot per model: lmode and cpustate, resident together."""
    model = request.param
    return model, run(Scenario(f"cpu-{model}", model=model,
                               modules=tuple((guest(n), m) for n, m in GUESTS)))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def _summary(name):
    return re.compile(rf"^keel: guest {name}: ended by debug-exit status={SUCCESS_STATUS},")


@pytest.mark.parametrize("name", [n for n, _ in GUESTS])
def test_guest_passes(boot, name):
    """Every check passes, the guest says RESULT pass and leaves with status 1."""
    _, r = boot
    passes = [f"[{name}] RESULT pass", _summary(name)]
    passes += [f"[{name}] PASS {p}" for p in (LMODE_PASSES if name == "lmode"
                                              else CPUSTATE_PASSES)]
    problems = check_markers(r, passes=passes,
                             fails=[f"[{name}] FAIL", f"[{name}] RESULT fail"]
                             + list(FAIL_MARKERS))
    _fail_if(r, problems)


def test_lmode_64bit_code(boot):
    """The PASS line printed by lmode's own 64-bit code, once per round."""
    _, r = boot
    lines = find_all(r, re.escape("[lmode] PASS hello from 64-bit code: CS.L=1, RAX holds 64 bits"))
    _fail_if(r, [] if len(lines) == 2 else
             [f"64-bit code printed its PASS line {len(lines)} times, want 2"])


def test_cpuid_per_model(boot):
    """The leaves the guest prints are this model's, through Keel's policy."""
    model, r = boot
    problems = []
    for leaf, eax in MODEL_LEAVES[model].items():
        if not find_all(r, re.compile(rf"^\[cpustate\] cpuid {leaf}: {eax} ")):
            problems.append(f"cpuid {leaf} EAX is not {eax} on {model}")
    _fail_if(r, problems)


def test_run_ends_well(boot):
    """Both guests counted ok, Keel ends with status 0."""
    _, r = boot
    _fail_if(r, check_markers(r, passes=[f"keel: guests ok={len(GUESTS)} failed=0"],
                              end_status=0))


def test_injected_fault_pushes_rf(boot):
    """A #GP Keel injects pushes RF = 1, as the CPU's own #GP does."""
    _, r = boot
    _fail_if(r, check_markers(r, passes=["[cpustate] RF in a #GP Keel injects: 1 "]))
