"""Issue 14 scenarios, part 1: every CPU of the machine in VMX root operation.

Bochs gives N CPUs of the same model with `cpu: count=N`; its BIOS lists them
in the MADT (local APIC structures, APIC IDs 0..N-1) and starts them itself
at power-on, then parks them, so Keel's INIT-SIPI-SIPI is what brings each
into Keel. Each scenario boots the hello guest too, so the boot CPU is seen
to go on running guests after the others came up.

What the scenarios can prove here: that every CPU the MADT lists takes
Keel's trampoline into long mode, loads its own GDT, TSS and stack, checks
its own VMX capability MSRs and executes VMXON (the line counts only CPUs
whose VMXON succeeded); that each then idles halted and wakes on an IPI
(the boot CPU wakes each once and waits for its answer); that `cpus=`
limits them; and that a CPU which does
not answer or does not match the boot CPU is named and left out while the
run goes on. What they cannot: the SDM's delays (Bochs starts a CPU at
once, and its TSC counts instructions, so the 10 ms and 200 us waits are
only checked to be waited, not needed), and CPUs that differ for real
(every Bochs CPU is the same model; `test=smp-mismatch` makes the last
one's secondary controls look different).
"""
import re

import pytest

from keeltest import Scenario, check_markers, guest, report, run_all

HELLO = ((guest("hello"), "name=hello"),)
GUEST_OK = "keel: guests ok=1 failed=0"


def woken(n):
    """The line saying n idle CPUs woke from HLT on an IPI and answered."""
    return re.compile(rf"^keel: smp: {n} idle CPU\(s\) woken from HLT by an IPI and answered: "
                      r"round trip min \d+ mean \d+ max \d+ ticks$")

SCENARIOS = {
    "one": dict(cpus=1, cmdline=""),
    "two": dict(cpus=2, cmdline=""),
    "four": dict(cpus=4, cmdline=""),
    "limit": dict(cpus=4, cmdline="cpus=2"),
    "silent": dict(cpus=2, cmdline="test=smp-silent"),
    "mismatch": dict(cpus=4, cmdline="test=smp-mismatch"),
    "console": dict(cpus=4, cmdline="test=smp-console"),
}
CONSOLE_LINES = 20
CONSOLE_LINE_RE = re.compile(r"^keel: smp: console check: CPU (\d+) line (\d+) of 20: "
                             r"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$")


@pytest.fixture(scope="module")
def boots():
    return run_all({k: Scenario(f"smp-{k}",
                                cmdline=f"console=com1 onexit=shutdown {v['cmdline']}".strip(),
                                modules=HELLO, cpus=v["cpus"], timeout=180)
                    for k, v in SCENARIOS.items()})


def _judge(r, passes, extra=()):
    problems = check_markers(r, passes=list(passes) + [GUEST_OK], end_status=0)
    problems += [p for p in extra if p]
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


@pytest.mark.parametrize("name,count", [("one", 1), ("two", 2), ("four", 4)])
def test_every_cpu_comes_up(boots, name, count):
    r = boots[name]
    ids = " ".join(str(i) for i in range(count))
    passes = [f"keel: smp: {count} of {count} CPUs in VMX root operation (APIC IDs {ids})"]
    if count > 1:
        passes.append(woken(count - 1))
    _judge(r, passes, ["a CPU was left out" for line in r.lines() if "left out" in line])


def test_cpus_option_limits(boots):
    r = boots["limit"]
    _judge(r, ["keel: smp: 2 of 4 CPUs in VMX root operation (APIC IDs 0 1), cpus= limits it",
               woken(1)])


def test_silent_cpu_named_and_left_out(boots):
    r = boots["silent"]
    _judge(r, ["keel: smp: CPU 1 (APIC ID 1) left out: it did not answer within 100 ms",
               "keel: smp: 1 of 2 CPUs in VMX root operation (APIC IDs 0)"])


def test_mismatched_cpu_named_and_left_out(boots):
    r = boots["mismatch"]
    _judge(r, [re.compile(r"^keel: smp: CPU 3 \(APIC ID 3\) left out: "
                          r"IA32_VMX_PROCBASED_CTLS2 is 0x[0-9a-f]+, the boot CPU's 0x[0-9a-f]+$"),
               "keel: smp: 3 of 4 CPUs in VMX root operation (APIC IDs 0 1 2)", woken(2)])


def test_console_lines_stay_whole(boots):
    """Four CPUs print 20 lines each at once: the console lock keeps every line whole."""
    r = boots["console"]
    seen, broken = {}, []
    for line in r.lines():
        if "console check" not in line or "done" in line:
            continue
        m = CONSOLE_LINE_RE.match(line)
        if not m or line.count("console check") != 1:
            broken.append(line)
            continue
        seen.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    want = {cpu: list(range(1, CONSOLE_LINES + 1)) for cpu in range(4)}
    _judge(r, [woken(3), "keel: smp: console check: done, 0 CPU(s) late"],
           [f"{len(broken)} line(s) not whole, the first {broken[0]!r}" if broken else "",
            "" if seen == want else f"lines per CPU {seen} instead of 1..20 for CPUs 0-3"])
