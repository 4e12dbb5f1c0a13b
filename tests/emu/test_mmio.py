"""Issue 7 scenarios: MMIO instruction emulation (docs/mmio.md).

Keel's `testmmio=on` gives every guest a 4 KiB scratch-register device at
guest-physical 0xFEB00000; every access to it is an EPT violation Keel
completes by decoding and emulating the instruction. The `mmio` guest
(tests/guests/mmio.c) runs each instruction form twice, natively on RAM and
on the device, and judges itself with PASS/FAIL lines.

Boots:
- "mmio-on" (testmmio=on), on corei7_skylake_x and corei7_sandy_bridge_2600k: five guests whose one access Keel must refuse
  (BSF, SHLD, an SSE arithmetic load (PADDD), a store and a MOVDQU straddling the device's
  end into a page that is neither RAM nor a device), each
  ended with the `MMIO at gpa ...` report, then the `mmio` guest, which
  must still run and pass every form;
- "mmio-off" (Keel's default): the device is absent, so the same access
  ends the guest with the EPT-violation report, and the next guest runs.
"""
import re

import pytest

from keeltest import DEFAULT_CMDLINE, Scenario, check_markers, find, guest, report, run

MMIO_CMDLINE = DEFAULT_CMDLINE + " testmmio=on"
DEV = 0xFEB00000
HELLO_OK = ("[hello] Goodbye: leaving by the debug-exit port with v=0",
            "keel: guest hello: ended by debug-exit status=1,")

# name -> (guest argument, the GPA it touches, Keel's reason, the leading instruction bytes)
REFUSED = {
    "bad-bsf": ("bad=bsf", DEV + 0x40, "unsupported instruction", "0f bc 06"),
    "bad-shld": ("bad=shld", DEV + 0x40, "unsupported instruction", "0f a4 06 01"),
    "bad-sse": ("bad=sse", DEV + 0x40, "unsupported instruction", "66 0f fe 06"),
    "bad-straddle": ("bad=straddle", DEV + 0xFFE, "device access failed", "89 06"),
    "bad-vstraddle": ("bad=vstraddle", DEV + 0xFF8, "device access failed", "f3 0f 7f 06"),
}


def _refused_re(name, gpa, why, insn):
    return re.compile(rf"^keel: guest {re.escape(name)}: MMIO at gpa {gpa:#x}: "
                      rf"{re.escape(why)} at rip 0x[0-9a-f]+: bytes {insn}( |$)")


def _ended_re(name, how):
    return re.compile(rf"^keel: guest {re.escape(name)}: ended by {re.escape(how)} status=")


@pytest.fixture(scope="module", params=("corei7_skylake_x", "corei7_sandy_bridge_2600k"))
def mmio_on(request):
    mods = [(guest("mmio"), f"name={name} mem=16M expect=unhandled-exit -- {arg}")
            for name, (arg, _, _, _) in REFUSED.items()]
    mods.append((guest("mmio"), "name=mmio mem=16M"))
    return run(Scenario(f"mmio-on-{request.param}", model=request.param,
                        cmdline=MMIO_CMDLINE, modules=tuple(mods)))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def test_every_form_matches_the_cpu(mmio_on):
    r = mmio_on
    problems = check_markers(r, passes=[
        "[mmio] PASS fresh device reads 0 at offset 0xff8",
        "[mmio] PASS movq store then load at offset 0",
        "[mmio] RESULT pass",
        _ended_re("mmio", "debug-exit"),
        f"keel: guests ok={len(REFUSED) + 1} failed=0",
    ], fails=["PANIC", "FAULT in Keel", "[mmio] FAIL"], end_status=0)
    forms = find(r, r"^\[mmio\] mmio: (\d+) instruction forms")
    passed = len([line for line in r.lines() if line.startswith("[mmio] PASS ")])
    if forms and passed < int(forms.group(1)):
        problems.append(f"{passed} PASS lines for {forms.group(1)} forms")
    _fail_if(r, problems)


def test_undecodable_access_ends_only_that_guest(mmio_on):
    r = mmio_on
    passes = []
    for name, (arg, gpa, why, insn) in REFUSED.items():
        passes += [f"[{name}] PASS before {arg.split('=')[1]}",
                   _refused_re(name, gpa, why, insn),
                   _ended_re(name, "unhandled-exit")]
    problems = check_markers(r, passes=passes, fails=[
        "PANIC", "FAULT in Keel", *(f"[{name}] FAIL" for name in REFUSED)])
    _fail_if(r, problems)


def test_without_testmmio_the_range_is_unmapped():
    r = run(Scenario("mmio-off", modules=(
        (guest("mmio"), "name=nodev mem=16M expect=ept-violation -- probe=1"),
        (guest("hello"), "name=hello"),
    )))
    problems = check_markers(r, passes=[
        "[nodev] PASS before probe",
        re.compile(rf"^keel: guest nodev: EPT violation: read at gpa {DEV:#x} outside guest "
                   r"RAM and MMIO, rip 0x[0-9a-f]+"),
        _ended_re("nodev", "ept-violation"),
        *HELLO_OK,
        "keel: guests ok=2 failed=0",
    ], fails=["PANIC", "FAULT in Keel", "[nodev] FAIL", "MMIO at gpa"], end_status=0)
    _fail_if(r, problems)
