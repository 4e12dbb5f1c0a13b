"""Fault injection (issue 15): every frame allocation of a guest's life fails in turn.

A guest's `failalloc=N` (test-only, honoured with Keel's `testhc=on`) makes
the Nth frame allocation Keel makes on its behalf fail as if the machine had
no frame (or aligned run) left: its EPT root and tables, the loader's pages,
its VMCS, register save area and APIC pages, the pages its EPT-violation
faults take (large leaves included), the tables a split needs, and all of
that again when it restarts. The count is per guest, so one boot holds a
guest for each N, each failing at a different allocation.

Four lives are swept, each over every N from 1 to one past the allocations
a clean run makes (`keel: guest NAME: frames: allocations C`; the last guest
of each sweep never reaches its N and must end as a clean run):

- "touchall" (28; 25 where the APIC is emulated, as on corei7_sandy_bridge_2600k:
  no APIC-access page and no two EPT tables to map it): the `ept` guest, mem=4160K ept=2m, touching every page:
  the image's 2 MiB leaf mapped by the loader, one 2 MiB leaf and 16 4 KiB
  leaves taken by its own faults;
- "hello" (40, 37): `hello`, mem=2M ept=4k vcpus=2: the loader maps the image
  with 4 KiB leaves, the AP in wait-for-SIPI has its own VMCS, register area
  and APIC page, and vCPU 0's APIC timer must tick through whatever APIC
  it ends up with;
- "restart" (20, 14): `power`, resetting once through port 0xCF9: the whole
  build again (guest_restart), then ACPI S5;
- "unmap" (17, 14): the `ept` guest's KEEL_HC_TEST_UNMAP tests with 2 MiB
  leaves: unmapping pages inside a 2 MiB leaf splits it (one table).

The guests are packed 32 to a boot (Keel's limit): four boots, and a fifth
without testhc=on that refuses a failalloc= line, run two at a time in
30-45 s. Each failing guest must do one of:

- end `by out-of-memory` with a line naming what it found no memory for
  (`no memory for its EPT`, `... for the VMCS`, `out of memory loading the
  image`, `out of memory at gpa 0x...`);
- fall back: a 2 MiB leaf becomes 4 KiB leaves (the EPT line's fallbacks,
  or more allocations than a clean life), or the APIC's accesses are
  emulated for want of its access page (`apic: no frame for its
  APIC-access page: emulated`) or of the tables to map it (`apic: no room
  to map its APIC-access page at 0xfee00000 (out of memory): accesses there
  are emulated`, APIC virtualization kept, its EOIs emulated); then it ends as a clean
  run does (touchall: with every one of its own checks passing; unmap: its
  checks of leaf sizes fail, as they should, and it ends by debug-exit);
- (unmap) be refused: the split found no table, and the guest's hypercall
  returned KEEL_HC_EFAULT (`FAIL unmap: TEST_UNMAP(...): returned -3`).

In every boot Keel does not fault or panic, every guest gives back every
frame (`frames held H returned H`, `free frames before guests X after X`),
and the run's `guests ok=A failed=B` counts exactly the guests that did not
end as a clean run does as failed. Every life must show both an
out-of-memory end and a fallback (hello, of 4 KiB leaves, only where its APIC is virtualized: its one
fallback is to emulate it), and some unmap must be refused.
"""
import dataclasses
import re

import pytest

from keeltest import DEFAULT_CMDLINE, Scenario, check_markers, find, guest, report, run_all

CMDLINE = DEFAULT_CMDLINE + " testhc=on"
MAX_GUESTS = 32  # VM_MAX_GUESTS (vm/vm.c): guests per boot
MEMORY = 512  # MiB: room to promise every guest of a boot its frames


@dataclasses.dataclass(frozen=True)
class Life:
    """A guest's life swept over N = 1 .. count + 1 (count: its allocations, clean)."""
    prefix: str  # the guests are named PREFIX + N
    image: str
    opts: str  # Keel's keys on its module line
    args: str  # "-- ..." for the guest
    count: int  # with the APIC virtualized (corei7_skylake_x)
    count_emulated: int  # with it emulated (corei7_sandy_bridge_2600k): no access page, 2 tables
    clean: tuple  # how a clean run ends: (end name, status)
    self_checked: bool = True  # its checks all pass after a fallback (RESULT pass)
    # it can fall back only to an emulated APIC (4 KiB leaves only): not where it is
    # emulated anyway
    fallback_apic_only: bool = False


LIVES = {
    "touchall": Life("t", "ept", "mem=4160K ept=2m", "-- test=touchall", 28, 25,
                     ("debug-exit", 1)),
    "hello": Life("h", "hello", "mem=2M ept=4k vcpus=2", "", 40, 37, ("debug-exit", 1),
                  self_checked=False, fallback_apic_only=True),
    "restart": Life("r", "power", "mem=2M ept=2m", "-- action=cf9 restarts=1", 20, 14,
                    ("poweroff", 0), self_checked=False),
    # Its own checks count leaves: after a fallback to 4 KiB they fail, as they should.
    "unmap": Life("u", "ept", "mem=8M ept=2m", "-- test=unmap leaf=2m", 17, 14,
                  ("debug-exit", 1), self_checked=False),
}


def _guests():
    """(life, N) for every guest of every sweep, in boot order."""
    return [(name, n) for name, life in LIVES.items() for n in range(1, life.count + 2)]


def _scenarios():
    """The sweeps packed into boots of at most MAX_GUESTS guests: {index: (guests, Scenario)}."""
    out, guests = {}, _guests()
    for b in range(0, len(guests), MAX_GUESTS):
        part = guests[b:b + MAX_GUESTS]
        mods = tuple((guest(LIVES[lf].image),
                      f"name={LIVES[lf].prefix}{n} {LIVES[lf].opts} failalloc={n} "
                      f"{LIVES[lf].args}".strip()) for lf, n in part)
        out[b // MAX_GUESTS] = (part, Scenario(f"failalloc-{b // MAX_GUESTS}", cmdline=CMDLINE,
                                               modules=mods, memory=MEMORY))
    return out


# Without testhc=on a failalloc= line is refused; the guest beside it runs.
GATE = Scenario("failalloc-gate", modules=((guest("hello"), "name=gated mem=2M failalloc=1"),
                                           (guest("hello"), "name=beside mem=2M")))


@pytest.fixture(scope="module")
def all_runs():
    sc = _scenarios()
    runs = run_all({**{k: s for k, (_, s) in sc.items()}, "gate": GATE})
    return {k: (sc[k][0], runs[k]) for k in sc}, runs["gate"]


@pytest.fixture(scope="module")
def boots(all_runs):
    return all_runs[0]


def test_failalloc_needs_testhc(all_runs):
    r = all_runs[1]
    problems = check_markers(r, passes=[
        "keel: guest gated: failalloc= is test-only: Keel's testhc=on enables it",
        re.compile(r"^keel: guest beside: ended by debug-exit status=1,"),
        "keel: guests ok=1 failed=1"], end_status=1)
    if find(r, re.compile(r"^keel: guest gated: starting")):
        problems.append("the guest with failalloc= started without testhc=on")
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def _line(r, name, pattern):
    return find(r, re.compile(rf"^keel: guest {re.escape(name)}: {pattern}"))


OOM_DETAIL = r"(no memory .+|out of memory .+)$"
ENDED = r"ended by (\S+) status=(-?\d+),"
ALLOCS = r"frames: allocations (\d+); failalloc=(\d+): (that one failed|not reached)$"
HELD = r"frames held (\d+) returned (\d+)$"
EPT = r"ept: violations \d+, leaves 4k \d+ 2m \d+ 1g \d+, fallbacks (\d+), "
IRQ = r"irq: apic (virtualized|emulated),"
APIC_FALLBACK = (r"apic: (no frame for its APIC-access page: emulated|no room to map its "
                 r"APIC-access page at 0x[0-9a-f]+ \(.+\): accesses there are emulated)$")
# The test hypercall's answer when a split found no frame: KEEL_HC_EFAULT.
REFUSED = r"FAIL unmap: TEST_UNMAP\(.*\): returned -3, want 0$"


def _counts(boots):
    """Each life's clean allocation count on this model: its clean guest (N = count + 1,
    never reached) says whether the APIC was virtualized, which takes an APIC-access page
    and the two EPT tables that map it per build; on a model without APIC-register
    virtualization (corei7_sandy_bridge_2600k) the guests N > count_emulated are clean."""
    out = {lf: life.count for lf, life in LIVES.items()}
    for part, r in boots.values():
        for lf, n in part:
            if n == LIVES[lf].count + 1:
                irq = _line(r, f"{LIVES[lf].prefix}{n}", IRQ)
                if irq and irq.group(1) == "emulated":
                    out[lf] = LIVES[lf].count_emulated
    return out


def _fell_back(r, life, name, made, count):
    """Keel's lines show a fallback: a large page as small ones (the EPT line's fallbacks,
    or more allocations than a clean life makes: the EPT line starts anew on a restart),
    or the APIC's accesses emulated for want of its access page (said when it happens: the
    summary's irq line tells only of the last build) or of the tables to map it."""
    ept, irq = _line(r, name, EPT), _line(r, name, IRQ)
    return bool((ept and int(ept.group(1)) > 0) or (irq and irq.group(1) == "emulated") or
                _line(r, name, APIC_FALLBACK) or made != count)


def _judge(r, lf, n, problems, count):
    """Checks guest n of life lf, whose clean run makes `count` allocations on this model;
    returns 'oom', 'fallback', 'refused', 'clean' or None."""
    life = LIVES[lf]
    name = f"{life.prefix}{n}"
    ended, allocs, held = _line(r, name, ENDED), _line(r, name, ALLOCS), _line(r, name, HELD)
    if not (ended and allocs and held):
        problems.append(f"{name}: no end, allocations or frames line")
        return None
    end = (ended.group(1), int(ended.group(2)))
    made, failed = int(allocs.group(1)), allocs.group(3) == "that one failed"
    if held.group(1) != held.group(2):
        problems.append(f"{name}: held {held.group(1)} frames, returned {held.group(2)}")
    if n > count:
        if failed or made != count or end != life.clean:
            problems.append(f"{name} (a clean run): {made} allocations (want {count}), "
                            f"ended by {end[0]} status={end[1]} (want {life.clean})")
        return "clean"
    if not failed:
        problems.append(f"{name}: made {made} allocations, its failalloc={n} not reached")
    if end[0] == "out-of-memory":
        if not _line(r, name, OOM_DETAIL):
            problems.append(f"{name}: ended by out-of-memory without a line naming it")
        return "oom"
    if find(r, re.compile(rf"^\[{re.escape(name)}\] {REFUSED}")) and end[0] == "debug-exit":
        return "refused"
    if not _fell_back(r, life, name, made, count):
        problems.append(f"{name}: allocation {n} failed, it ended by {end[0]} status={end[1]} "
                        "but no fallback shows (fallbacks, the APIC emulated, more allocations)")
        return None
    if life.self_checked and (end != life.clean or
                              not find(r, re.escape(f"[{name}] RESULT pass"))):
        problems.append(f"{name}: ended by {end[0]} status={end[1]} after its fallback; want "
                        f"{life.clean} and its RESULT pass")
    elif not life.self_checked and end[0] != life.clean[0]:
        problems.append(f"{name}: ended by {end[0]} after its fallback, want {life.clean[0]}")
    return "fallback"


def test_every_allocation_fails_in_turn(boots):
    outcomes, counts = {}, _counts(boots)
    for part, r in boots.values():
        problems = check_markers(r, end_status=1)  # the out-of-memory guests fail the run
        mine = {(lf, n): _judge(r, lf, n, problems, counts[lf]) for lf, n in part}
        outcomes.update(mine)
        total = find(r, re.compile(r"^keel: free frames before guests (\d+) after (\d+)"))
        if not total or total.group(1) != total.group(2):
            problems.append("free frames before and after the guests differ: "
                            f"{total.group(0) if total else 'no line'}")
        # Keel counts a guest failed unless it ended as a clean run does.
        bad = sum(1 for lf, n in part if not _clean_end(r, lf, n))
        oks = find(r, re.compile(r"^keel: guests ok=(\d+) failed=(\d+)"))
        if not oks or (int(oks.group(1)), int(oks.group(2))) != (len(part) - bad, bad):
            problems.append(f"want guests ok={len(part) - bad} failed={bad} (those that did "
                            "not end as a clean run does), got "
                            f"{oks.group(0) if oks else 'no line'}")
        if problems:
            pytest.fail(report(r, problems), pytrace=False)
    for lf in LIVES:
        kinds = {o: [n for (l2, n), k in outcomes.items() if l2 == lf and k == o]
                 for o in ("oom", "fallback", "refused")}
        can_fall_back = not (LIVES[lf].fallback_apic_only and counts[lf] != LIVES[lf].count)
        assert kinds["oom"] and (kinds["fallback"] or not can_fall_back), \
            f"{lf}: outcomes {kinds}"
        print(f"{lf}: out of memory at N={kinds['oom']}, fell back at N={kinds['fallback']}"
              + (f", refused at N={kinds['refused']}" if kinds["refused"] else ""))
    assert [n for (lf, n), k in outcomes.items() if k == "refused"], "no unmap was refused"


def _clean_end(r, lf, n):
    m = _line(r, f"{LIVES[lf].prefix}{n}", ENDED)
    return bool(m) and (m.group(1), int(m.group(2))) == LIVES[lf].clean
