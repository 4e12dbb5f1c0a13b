"""Invalidation discipline, proved inside Keel (issues 4 and 5).

Bochs flushes its whole TLB on every VM entry and exit, so no guest can
observe a missing INVEPT or INVVPID on one CPU (docs/testing.md, "What Bochs can and cannot show"). Keel's
debug build checks instead, before every VM entry, that every EPT removal
or downgrade was followed by INVEPT and that the vCPU's VPID is owned by it
and was flushed since it was assigned. These scenarios leave each
invalidation out on purpose (test=skip-invept, test=skip-invvpid, and
test=skip-shootdown for the other CPUs' part with two) and require the
check to fire; the same guests without the option run clean.
"""
from keeltest import Scenario, assert_markers, guest, run

UNMAP = (guest("ept"), "name=ept mem=32M ept=4k -- test=unmap")


def test_unmap_runs_clean_with_invept():
    r = run(Scenario("inv-ept-ok", cmdline="console=com1 onexit=shutdown testhc=on",
                     modules=(UNMAP,)))
    assert_markers(r, passes=["[ept] RESULT pass", "keel: guests ok=1 failed=0"],
                   end_status=0)


def test_missing_invept_is_caught():
    r = run(Scenario("inv-ept-skip",
                     cmdline="console=com1 onexit=shutdown testhc=on test=skip-invept",
                     modules=(UNMAP,)))
    assert_markers(r, passes=[
        "keel: PANIC: guest ept: EPT entry removed or downgraded without INVEPT before VM entry",
    ], fails=["FAULT in Keel", "[ept] RESULT"], end_status=2)


def test_missing_shootdown_is_caught():
    """test=skip-shootdown leaves out the other CPUs' part of each INVEPT.

    The smp guest's test=unmap: vCPU 0 unmaps a page while vCPU 1, on CPU 1,
    reads it in a tight loop. The debug check before CPU 0's next entry
    finds CPU 1 in the guest on an older EPT generation and ends the run
    before the guest can say anything. The same boot with the shootdown is
    tests/emu/test_vcpus.py's test_unmap_while_reading; in a DEBUG=0 build
    (no check) the guest sees the old page (docs/testing.md).
    """
    r = run(Scenario("inv-shootdown-skip", cpus=2,
                     cmdline="console=com1 onexit=shutdown testhc=on test=skip-shootdown",
                     modules=((guest("smp"), "name=smp mem=32M vcpus=2 -- test=unmap rounds=20"),)))
    assert_markers(r, passes=[
        "keel: PANIC: guest smp: CPU 1 runs it with EPT translations removed since "
        "(no TLB shootdown reached it)",
    ], fails=["FAULT in Keel", "[smp] RESULT", "[smp] PASS unmap"], end_status=2)


def test_missing_invvpid_is_caught():
    r = run(Scenario("inv-vpid-skip", cmdline="console=com1 onexit=shutdown test=skip-invvpid",
                     modules=((guest("hello"), "name=hello"),)))
    assert_markers(r, passes=[
        "keel: PANIC: hello: VPID 1 not owned by it or not flushed since it was assigned",
    ], fails=["FAULT in Keel", "[hello]"], end_status=2)


def test_vpid_off_needs_no_flush():
    """With vpid=off there is no VPID to flush: skip-invvpid changes nothing."""
    r = run(Scenario("inv-vpid-off",
                     cmdline="console=com1 onexit=shutdown vpid=off test=skip-invvpid",
                     modules=((guest("hello"), "name=hello"),)))
    assert_markers(r, passes=[
        "keel: vmx: VPID off (vpid=off): the CPU flushes guest TLB entries on every VM entry",
        "[hello] Goodbye", "keel: guests ok=1 failed=0",
    ], end_status=0)
