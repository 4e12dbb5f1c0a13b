"""Issue 5 scenarios: VPID-tagged TLBs and many guests sharing a CPU.

All guests are resident at once and Keel switches between them on the
VMX-preemption timer every `slice=` ticks (under Bochs with clock
sync=none one tick is one instruction). Four boots:

- sched: two `isolate` guests (tests/guests/isolate.c) map the same GVA to
  their own page with their own pattern and check it after each of 50
  switches; `cpuid` and `invlpg` (the guest's own INVLPG / MOV CR3 / #PF on
  a cleared PTE) run beside them. One isolate guest also gives its page
  back each round (KEEL_HC_TEST_UNMAP, testhc=on), so Keel issues INVEPTs.
  The isolate guests print their VPIDs: non-zero and distinct.
- vpid-off: the same with `vpid=off`: Keel says so once, the guests see
  VPID 0 and Keel issues no INVVPID.
- spin: a guest looping for ever with interrupts off (`cli; 1: jmp 1b`)
  next to an isolate guest: it is preempted like any other and ended by its
  `timeout=`; the isolate guest passes.
- hidecap: single-context INVEPT, individual-address and single-context
  INVVPID hidden: Keel falls back to all-context types and counts them so.

Each guest's `keel: guest NAME: sched: ...` line is parsed (SCHED_RE).
Bochs only: QEMU TCG has no VT-x. Note that Bochs flushes its whole TLB on
every VM entry and exit (docs/testing.md, "What Bochs can and cannot show"), so these
scenarios prove that guests run correctly interleaved and that Keel's
invalidation bookkeeping follows the capabilities; they cannot catch a
missing INVVPID on this emulator.
"""
import re

import pytest

from keeltest import (FAIL_MARKERS, Scenario, check_markers, find, find_all, guest, on_cpu0,
                      report, run)

SLICE = "200K"
SLICE_TICKS = 200 * 1024
ROUNDS = 50
BASE_CMDLINE = f"console=com1 onexit=shutdown slice={SLICE}"
HIDECAP = "invept-single,invvpid-addr,invvpid-single"

ISO1 = (guest("isolate"),
        on_cpu0(f"name=iso1 mem=16M -- gpa=0x800000 tag=0xA11CE rounds={ROUNDS}"))
ISO2_UNMAP = (guest("isolate"),
              on_cpu0(f"name=iso2 mem=16M -- gpa=0x900000 tag=0xB0B rounds={ROUNDS} unmap=1"))
ISO2 = (guest("isolate"),
        on_cpu0(f"name=iso2 mem=16M -- gpa=0x900000 tag=0xB0B rounds={ROUNDS}"))
CPUID = (guest("cpuid"), on_cpu0("name=cpuid mem=16M"))
INVLPG = (guest("invlpg"), on_cpu0("name=invlpg mem=16M"))

SPIN_TIMEOUT = "20M"
SPIN_TIMEOUT_TICKS = 20 * 1024 * 1024
SPIN_ROUNDS = 20
SPIN = (guest("spin"), on_cpu0(f"name=spin mem=16M timeout={SPIN_TIMEOUT} expect=timeout"))
SPIN_ISO = (guest("isolate"),
            on_cpu0(f"name=iso mem=16M -- gpa=0x800000 tag=0x5EED rounds={SPIN_ROUNDS}"))

VPID_OFF_LINE = "keel: vmx: VPID off (vpid=off): "

SCHED_RE = re.compile(
    r"^keel: guest (?P<name>\S+): sched: switches (?P<switches>\d+), ran (?P<ran>\d+) ticks; "
    r"invvpid addr (?P<addr>\d+) single (?P<single>\d+) single-globals (?P<globals>\d+) "
    r"all (?P<vpid_all>\d+); invept single (?P<ept_single>\d+) all (?P<ept_all>\d+)$")
# Any guest's FAIL line or failed result.
GUEST_FAILS = [re.compile(r"^\[[\w.-]+\] FAIL "), re.compile(r"^\[[\w.-]+\] RESULT fail")]


def _scenario(name, cmdline, modules):
    return Scenario(name, cmdline=cmdline, modules=tuple(modules), timeout=90)


@pytest.fixture(scope="module")
def sched():
    return run(_scenario("sched", f"{BASE_CMDLINE} testhc=on", [ISO1, ISO2_UNMAP, CPUID, INVLPG]))


@pytest.fixture(scope="module")
def vpid_off():
    return run(_scenario("sched-vpid-off", f"{BASE_CMDLINE} vpid=off", [ISO1, ISO2, CPUID]))


@pytest.fixture(scope="module")
def spin():
    return run(_scenario("sched-spin", BASE_CMDLINE, [SPIN, SPIN_ISO]))


@pytest.fixture(scope="module")
def hidecap():
    return run(_scenario("sched-hidecap", f"{BASE_CMDLINE} testhc=on hidecap={HIDECAP}",
                         [ISO1, ISO2_UNMAP, INVLPG]))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def _summary(name, how, status):
    return re.compile(rf"^keel: guest {re.escape(name)}: ended by {re.escape(how)} "
                      rf"status={status},")


def _passes(names, how="debug-exit"):
    """Markers of self-checking guests that passed and left with success (status 1)."""
    out = []
    for n in names:
        out += [f"[{n}] RESULT pass", _summary(n, how, 1)]
    return out


def _sched(r, name):
    """The guest's sched line as {field: int}, or None."""
    for m in find_all(r, SCHED_RE):
        if m.group("name") == name:
            return {k: int(v) for k, v in m.groupdict().items() if k != "name"}
    return None


def _vpid(r, name):
    m = find(r, rf"^\[{re.escape(name)}\] vpid (\d+)$")
    return int(m.group(1)) if m else None


def _sched_problems(r, name, **want):
    """Checks fields of NAME's sched line: want maps field -> predicate (text, test)."""
    s = _sched(r, name)
    if s is None:
        return [f"no `keel: guest {name}: sched: ...` line"]
    return [f"guest {name}: sched {field} = {s[field]}, want {text}"
            for field, (text, ok) in want.items() if not ok(s[field])]


def _at_least(n):
    return (f">= {n}", lambda v: v >= n)


ZERO = ("0", lambda v: v == 0)


# --- (a) two isolate guests, cpuid and invlpg, slice=200K ---------------------------------

def test_sched_isolated_guests_pass(sched):
    problems = check_markers(
        sched, passes=_passes(["iso1", "iso2", "cpuid", "invlpg"]) +
        ["keel: guests ok=4 failed=0"],
        fails=GUEST_FAILS + list(FAIL_MARKERS), end_status=0)
    _fail_if(sched, problems)


def test_sched_switches_counted(sched):
    """Each isolate guest was switched away from at least once per round."""
    problems = []
    for name in ("iso1", "iso2"):
        problems += _sched_problems(sched, name, switches=_at_least(ROUNDS))
    _fail_if(sched, problems)


def test_sched_narrow_invalidations(sched):
    """With every capability present Keel uses single-context types, never all-context."""
    problems = []
    for name in ("iso1", "iso2", "cpuid", "invlpg"):
        s = _sched(sched, name)
        if s is None:
            problems.append(f"no sched line for {name}")
            continue
        if s["addr"] + s["single"] + s["globals"] < 1:
            problems.append(f"guest {name}: no INVVPID before its VPID's first use: {s}")
        problems += _sched_problems(sched, name, vpid_all=ZERO, ept_all=ZERO)
    # iso2 gives its page back every round: one single-context INVEPT each.
    problems += _sched_problems(sched, "iso2", ept_single=_at_least(ROUNDS))
    _fail_if(sched, problems)


# --- (d) the guest's own TLB flushes --------------------------------------------------------

def test_invlpg_guest_passes(sched):
    problems = check_markers(
        sched, passes=["[invlpg] PASS after INVLPG the read gives P2",
                       "[invlpg] PASS after MOV CR3 the read gives P2",
                       "[invlpg] PASS read of X after clearing P and INVLPG raises #PF",
                       "[invlpg] PASS read #PF: CR2 is X",
                       "[invlpg] PASS write #PF: CR2 is X",
                       *_passes(["invlpg"])],
        fails=["[invlpg] FAIL", "[invlpg] RESULT fail"])
    _fail_if(sched, problems)


# --- (f) VPIDs as the guests see them --------------------------------------------------------

def test_vpids_distinct_and_nonzero(sched):
    vpids = {n: _vpid(sched, n) for n in ("iso1", "iso2")}
    problems = []
    if None in vpids.values() or 0 in vpids.values():
        problems.append(f"VPIDs {vpids}: want each printed (`[NAME] vpid N`) and non-zero")
    elif vpids["iso1"] == vpids["iso2"]:
        problems.append(f"VPIDs {vpids}: two running guests share a VPID")
    elif not all(1 <= v <= 0xFFFF for v in vpids.values()):
        problems.append(f"VPIDs {vpids}: outside 1..65535")
    _fail_if(sched, problems)


# --- (b) vpid=off ---------------------------------------------------------------------------

def test_vpid_off_guests_pass(vpid_off):
    problems = check_markers(
        vpid_off, passes=[VPID_OFF_LINE, *_passes(["iso1", "iso2", "cpuid"]),
                          "keel: guests ok=3 failed=0"],
        fails=GUEST_FAILS + list(FAIL_MARKERS), end_status=0)
    if len(find_all(vpid_off, "^" + re.escape(VPID_OFF_LINE))) > 1:
        problems.append("the VPID-off line is printed more than once")
    for name in ("iso1", "iso2"):
        problems += _sched_problems(vpid_off, name, switches=_at_least(ROUNDS))
    _fail_if(vpid_off, problems)


def test_vpid_off_guests_see_vpid_0_and_no_invvpid(vpid_off):
    problems = []
    for name in ("iso1", "iso2"):
        v = _vpid(vpid_off, name)
        if v != 0:
            problems.append(f"guest {name}: vpid {v}, want 0 with vpid=off")
    for name in ("iso1", "iso2", "cpuid"):
        problems += _sched_problems(vpid_off, name, addr=ZERO, single=ZERO, globals=ZERO,
                                    vpid_all=ZERO)
    _fail_if(vpid_off, problems)


# --- (c) an endless loop with interrupts off ends by its timeout ------------------------------

def test_spin_ends_by_timeout_and_neighbour_passes(spin):
    problems = check_markers(
        spin, passes=["[spin] PASS before spin", _summary("spin", "timeout", 0),
                      *_passes(["iso"]), "keel: guests ok=2 failed=0"],
        fails=GUEST_FAILS + list(FAIL_MARKERS), end_status=0)
    problems += _sched_problems(spin, "iso", switches=_at_least(SPIN_ROUNDS))
    _fail_if(spin, problems)


def test_spin_used_its_timeout(spin):
    """`used N ticks, timeout=M`: N reaches M and overshoots by at most two slices."""
    m = find(spin, r"^keel: guest spin: used (\d+) ticks, timeout=(\S+)$")
    if not m:
        _fail_if(spin, ["no `keel: guest spin: used N ticks, timeout=M` line"])
    used = int(m.group(1))
    problems = []
    if m.group(2) not in (str(SPIN_TIMEOUT_TICKS), SPIN_TIMEOUT):
        problems.append(f"timeout={m.group(2)}, want {SPIN_TIMEOUT_TICKS} ({SPIN_TIMEOUT})")
    if not SPIN_TIMEOUT_TICKS <= used <= SPIN_TIMEOUT_TICKS + 2 * SLICE_TICKS:
        problems.append(f"spin used {used} ticks, want {SPIN_TIMEOUT_TICKS}.."
                        f"{SPIN_TIMEOUT_TICKS + 2 * SLICE_TICKS}")
    problems += _sched_problems(spin, "spin", ran=_at_least(SPIN_TIMEOUT_TICKS))
    _fail_if(spin, problems)


# --- (e) hidden capabilities: wider invalidation types -----------------------------------------

def test_hidecap_guests_pass(hidecap):
    problems = check_markers(
        hidecap, passes=[*_passes(["iso1", "iso2", "invlpg"]), "keel: guests ok=3 failed=0"],
        fails=GUEST_FAILS + list(FAIL_MARKERS), end_status=0)
    _fail_if(hidecap, problems)


def test_hidecap_counts_all_context(hidecap):
    problems = []
    for name in ("iso1", "iso2", "invlpg"):
        problems += _sched_problems(hidecap, name, addr=ZERO, single=ZERO,
                                    vpid_all=_at_least(1), ept_single=ZERO)
    problems += _sched_problems(hidecap, "iso2", ept_all=_at_least(ROUNDS))
    _fail_if(hidecap, problems)
