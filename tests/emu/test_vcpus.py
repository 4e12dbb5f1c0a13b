"""Guests with several vCPUs (`vcpus=N` on the module line), judged by the `smp` guest.

The guest reads N from its ACPI MADT, starts its APs the PC way (INIT,
SIPI, SIPI through its xAPIC to a trampoline it wrote below 1 MiB), and
then, on all N vCPUs at once: fresh RAM of its own and slots of shared
pages written and cross-checked every round between barriers, a fixed IPI
passed round the ring of vCPUs, a broadcast to all but itself, a
logical-flat IPI to a set and an NMI to vCPU 1, each counted where it
lands; every AP ends parked in `cli; hlt` (tests/guests/smp.c).

What these scenarios prove: the MADT lists N processors with APIC IDs
0..N-1; each AP starts once, in real mode at the SIPI vector, and reaches
64-bit mode with its own APIC ID; one EPT serves every vCPU (each sees the
others' writes, a page first touched by several vCPUs at once is zero and
loses no write); IPIs between vCPUs reach exactly their destinations, with
four vCPUs on four CPUs, on two, and four sharing one CPU; each AP's one
line through COM1 comes out whole. What they cannot prove: memory ordering
a real multi-core machine would stress (Bochs runs its CPUs in turns), or
timing: the SDM's INIT and SIPI waits are shortened to fixed tick counts.
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find_all, guest, report, run_all

# name -> (Bochs CPUs, vCPUs, rounds, ring trips)
SCENARIOS = {
    "four-on-four": (4, 4, 10, 50),
    "four-on-one": (1, 4, 4, 20),
    "two-on-two": (2, 2, 3, 20),
}


def _module(vcpus, rounds, ring):
    return f"name=smp mem=32M vcpus={vcpus} -- rounds={rounds} ring={ring}"


@pytest.fixture(scope="module")
def boots():
    return run_all({k: Scenario(f"vcpus-{k}", cmdline="console=com1 onexit=shutdown",
                                modules=((guest("smp"), _module(n, rounds, ring)),),
                                cpus=cpus, timeout=180)
                    for k, (cpus, n, rounds, ring) in SCENARIOS.items()})


def _passes(n, rounds, ring):
    """The guest's PASS lines for N vCPUs, in the order it prints them."""
    logical_set = (0xAA | 1) & ((1 << n) - 1)  # vCPU 0 and the odd ones (smp.c, ipi_checks)
    return [f"[smp] PASS madt lists {n} local APICs",
            f"[smp] PASS madt local APIC IDs 0..{n - 1}, all enabled",
            f"[smp] PASS all {n} vCPUs started",
            f"[smp] PASS own and shared pages over {rounds} rounds",
            f"[smp] PASS ipi ring: {ring} trips over {n} vCPUs",
            "[smp] PASS ipi all-excluding-self: once on each AP, not on vCPU 0",
            f"[smp] PASS ipi logical flat to {logical_set:#x}: once on each vCPU in the set",
            "[smp] PASS nmi ipi to vCPU 1: once there, nowhere else",
            f"[smp] PASS all {n - 1} APs parked, each started once",
            "[smp] RESULT pass",
            re.compile(r"^keel: guest smp: ended by debug-exit status=1,")]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_vcpus(boots, name):
    _, n, rounds, ring = SCENARIOS[name]
    r = boots[name]
    problems = check_markers(r, passes=_passes(n, rounds, ring),
                             fails=["[smp] FAIL", "[smp] RESULT fail"] + list(FAIL_MARKERS),
                             end_status=0)
    for i in range(1, n):  # each AP printed its one line, whole (a guest lock around it)
        hits = find_all(r, rf"\[smp\] vCPU {i} up: APIC ID {i}, EFER 0x500$")
        if len(hits) != 1:
            problems.append(f"vCPU {i}'s start line came out {len(hits)} times whole, want 1")
    if problems:
        pytest.fail(report(r, problems), pytrace=False)
