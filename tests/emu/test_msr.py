"""Issue 15 scenario: MSRs as the SDM says, seen from a guest.

One boot runs the `msr` guest (tests/guests/msr.c) with loglevel=debug:
IA32_MISC_ENABLE's writable bits take effect (Limit CPUID Maxval caps leaf
0, ENABLE MONITOR FSM clear leaves CPUID.1:ECX.MONITOR clear, XD bit
disable hides NX and makes EFER.NXE reserved), the bits CPUID does not
allow and the reserved ones raise #GP(0); the machine-check banks keep
what they accept (MCi_CTL 0 or all ones, MCi_STATUS 0, MCi_ADDR/MISC any
value, MCG_STATUS.MCIP) and refuse the rest. Keel counts each #GP it
injects per MSR in the guest's summary and logs it at loglevel=debug
(docs/platform-cpu.md, MSRs). The guest's summary line lists the MSRs in
the order they first got #GP: the counts below are the guest's own
faulting accesses, so a #GP Keel forgets to count, or one it injects
where the guest expects none, changes the line.
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find_all, guest, report, run

SUCCESS_STATUS = 1

PASSES = [
    "IA32_MISC_ENABLE fast strings off: 0x",
    "IA32_MISC_ENABLE automatic thermal control circuit: 0x",
    "IA32_MISC_ENABLE Limit CPUID Maxval: 0x",
    "with Limit CPUID Maxval, CPUID.0:EAX is 2",
    "Limit CPUID Maxval cleared: CPUID.0:EAX back",
    "ENABLE MONITOR FSM clear: CPUID.1:ECX.MONITOR clear",
    "wrmsr IA32_MISC_ENABLE ENABLE MONITOR FSM without MONITOR raises #GP(0)",
    "wrmsr IA32_MISC_ENABLE EIST without CPUID EIST raises #GP(0)",
    "wrmsr IA32_MISC_ENABLE xTPR disable without CPUID xTPR raises #GP(0)",
    "wrmsr IA32_MISC_ENABLE XD bit disable while EFER.NXE raises #GP(0)",
    "IA32_MISC_ENABLE XD bit disable: 0x",
    "with XD bit disable, CPUID.80000001H:EDX.NX reads 0",
    "wrmsr IA32_EFER.NXE with XD bit disable raises #GP(0)",
    "XD bit disable cleared: NX back",
    "IA32_EFER.NXE without XD bit disable: 0x",
    "wrmsr IA32_MISC_ENABLE reserved bit 1 raises #GP(0)",
    "wrmsr IA32_MISC_ENABLE reserved bit 35 raises #GP(0)",
    "wrmsr IA32_MISC_ENABLE read-only bit 11 raises #GP(0)",
    "IA32_MISC_ENABLE unchanged after the checks",
    "IA32_MC0_CTL all ones: 0xffffffffffffffff reads back",
    "IA32_MC0_CTL zero: 0x0 reads back",
    "wrmsr IA32_MC0_CTL = 1 raises #GP(0)",
    "IA32_MC0_STATUS zero: 0x0 reads back",
    "wrmsr IA32_MC0_STATUS = 1 raises #GP(0)",
    "IA32_MC0_ADDR: 0x12345678abcd reads back",
    "IA32_MC1_MISC: 0xfedcba9876543210 reads back",
    "IA32_MCG_STATUS MCIP: 0x4 reads back",
    "wrmsr IA32_MCG_STATUS reserved bit 3 raises #GP(0)",
    "rdmsr IA32_MCG_CTL (no MCG_CTL_P) raises #GP(0)",
]

# The #GPs the guest provokes, per MSR in first-fault order (8 slots, then "other").
GP_LINE = ("keel: guest msr: msr: #GP injected for 0x1a0 x7, 0xc0000080 x2, 0x400 x1, "
           "0x401 x1, 0x17a x1, 0x17b x1, 0x12345678 x2, 0x40000000 x1, other x3")

DEBUG_LINES = [
    re.compile(r"^keel: guest msr: msr: #GP for wrmsr 0x1a0 value 0x4[0-9a-f]{4}$"),
    re.compile(r"^keel: guest msr: msr: #GP for wrmsr 0x401 value 0x1$"),
    re.compile(r"^keel: guest msr: msr: #GP for rdmsr 0x17b$"),
]


@pytest.fixture(scope="module")
def boot():
    return run(Scenario("msr", cmdline="console=com1 onexit=shutdown loglevel=debug",
                        modules=((guest("msr"), "name=msr mem=16M"),)))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def test_guest_passes(boot):
    """Every check passes and the guest leaves with status 1."""
    passes = ["[msr] RESULT pass",
              re.compile(rf"^keel: guest msr: ended by debug-exit status={SUCCESS_STATUS},")]
    passes += [f"[msr] PASS {p}" for p in PASSES]
    _fail_if(boot, check_markers(boot, passes=passes,
                                 fails=["[msr] FAIL", "[msr] RESULT fail"] + list(FAIL_MARKERS)))


def test_gp_summary(boot):
    """The summary counts each #GP Keel injected, per MSR."""
    _fail_if(boot, check_markers(boot, passes=[GP_LINE]))


def test_gp_debug_log(boot):
    """Each #GP is logged at loglevel=debug with the MSR and the value written."""
    problems = [f"no line matching {p.pattern}" for p in DEBUG_LINES if not find_all(boot, p)]
    _fail_if(boot, problems)
