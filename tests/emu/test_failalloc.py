"""Fault injection (issue 15): every frame allocation of a guest's life fails in turn.

A guest's `failalloc=N` (test-only, honoured with Keel's `testhc=on`) makes
the Nth frame allocation Keel makes on its behalf fail as if the machine had
no frame (or aligned run) left: its EPT root and tables, the loader's pages,
its VMCS, register save area and APIC pages, and the pages its EPT-violation
faults take, large leaves included. The count is per guest, so one boot
holds a guest for each N, each failing at a different allocation.

Two lives are swept, each over every N from 1 to one past the allocations a
clean run makes (`keel: guest NAME: frames: allocations C`, the last guest
of each sweep, whose failalloc is never reached):

- "touchall": the `ept` guest, mem=4160K ept=2m, touching every page: its
  image's 2 MiB leaf mapped by the loader, one 2 MiB leaf and 16 4 KiB
  leaves taken by its own faults (28 allocations; 29 guests, one boot);
- "hello": the `hello` guest, mem=2M ept=4k vcpus=2: the loader maps the
  image with 4 KiB leaves, and the AP in wait-for-SIPI has its own VMCS,
  register area and APIC page (40 allocations; 41 guests, two boots).

Each failing guest must either end `by out-of-memory` with a line naming
what it found no memory for (`no memory for ...`, `out of memory at gpa
...`), or fall back and end as a clean run does: a 2 MiB leaf becomes 4 KiB
leaves (the EPT line's `fallbacks 1`), or the APIC-access page stays
unmapped and the APIC is emulated (`irq: apic emulated`). In every boot Keel
does not fault or panic, every guest gives back every frame (`frames held H
returned H`, `free frames before guests X after X`), and the guests that do
not run out (fallbacks and the clean one) end well: the end line counts the
out-of-memory guests as the failed ones and no other.
"""
import re

import pytest

from keeltest import DEFAULT_CMDLINE, Scenario, check_markers, find, guest, report, run_all

CMDLINE = DEFAULT_CMDLINE + " testhc=on"
MAX_GUESTS = 32  # VM_MAX_GUESTS (vm/vm.c)

# name -> (image, module options, allocations a clean life makes, boots)
LIVES = {
    "touchall": ("ept", "mem=4160K ept=2m", "-- test=touchall", 28, 1),
    "hello": ("hello", "mem=2M ept=4k vcpus=2", "", 40, 2),
}


def _name(life, n):
    return f"{life[0]}{n}"


def _scenarios():
    """One Scenario per boot; each life's N = 1 .. C + 1 split evenly over its boots."""
    out = {}
    for life, (image, opts, args, count, boots) in LIVES.items():
        ns = list(range(1, count + 2))
        per = -(-len(ns) // boots)
        assert per <= MAX_GUESTS
        for b in range(boots):
            part = ns[b * per:(b + 1) * per]
            mods = tuple((guest(image), f"name={_name(life, n)} {opts} failalloc={n} {args}")
                         for n in part)
            out[(life, b)] = (part, Scenario(f"failalloc-{life}-{b}", cmdline=CMDLINE,
                                             modules=mods))
    return out


@pytest.fixture(scope="module")
def boots():
    sc = _scenarios()
    runs = run_all({k: s for k, (_, s) in sc.items()})
    return {k: (sc[k][0], runs[k]) for k in sc}


def _line(r, name, pattern):
    return find(r, re.compile(rf"^keel: guest {re.escape(name)}: {pattern}"))


OOM_DETAIL = r"(no memory .+|out of memory .+)$"
ENDED = r"ended by (\S+) status=(-?\d+),"
ALLOCS = r"frames: allocations (\d+); failalloc=(\d+): (that one failed|not reached)$"
HELD = r"frames held (\d+) returned (\d+)$"
EPT = (r"ept: violations \d+, leaves 4k (\d+) 2m (\d+) 1g (\d+), fallbacks (\d+), ")
IRQ = r"irq: apic (virtualized|emulated),"


def _judge(r, life, n, count, problems):
    """Checks guest n of the life; returns its outcome: 'oom', 'fallback' or 'clean'."""
    name = _name(life, n)
    ended, allocs, held = _line(r, name, ENDED), _line(r, name, ALLOCS), _line(r, name, HELD)
    if not (ended and allocs and held):
        problems.append(f"{name}: no end, allocations or frames line")
        return None
    how, status = ended.group(1), int(ended.group(2))
    made, failed = int(allocs.group(1)), allocs.group(3) == "that one failed"
    if held.group(1) != held.group(2):
        problems.append(f"{name}: held {held.group(1)} frames, returned {held.group(2)}")
    if n > count:
        if failed or made != count or how != "debug-exit" or status != 1:
            problems.append(f"{name} (the clean run): {made} allocations (want {count}), "
                            f"ended by {how} status={status}")
        return "clean"
    if not failed:
        problems.append(f"{name}: made {made} allocations, its failalloc={n} not reached")
    if how == "out-of-memory":
        if not _line(r, name, OOM_DETAIL):
            problems.append(f"{name}: ended by out-of-memory without a line naming it")
        return "oom"
    if how != "debug-exit" or status != 1:
        problems.append(f"{name}: ended by {how} status={status}: neither out of memory "
                        "nor a fallback that ends well")
        return None
    ept, irq = _line(r, name, EPT), _line(r, name, IRQ)
    fell_back = (ept and int(ept.group(4)) == 1) or (irq and irq.group(1) == "emulated")
    if not fell_back:
        problems.append(f"{name}: allocation {n} failed, the guest ended well, but no "
                        "fallback shows (fallbacks 1, or the APIC emulated)")
    if life == "touchall" and not find(r, re.escape(f"[{name}] RESULT pass")):
        problems.append(f"{name}: the guest's own checks did not pass after its fallback")
    return "fallback"


@pytest.mark.parametrize("life", list(LIVES))
def test_every_allocation_fails_in_turn(boots, life):
    count = LIVES[life][3]
    outcomes = {}
    for (lf, _), (part, r) in boots.items():
        if lf != life:
            continue
        problems = []
        # The out-of-memory guests are the failed ones: the run ends with status 1.
        problems.extend(check_markers(r, end_status=1))
        mine = {n: _judge(r, life, n, count, problems) for n in part}
        outcomes.update(mine)
        total = find(r, re.compile(r"^keel: free frames before guests (\d+) after (\d+)"))
        if not total or total.group(1) != total.group(2):
            problems.append(f"free frames before and after the guests differ: "
                            f"{total.group(0) if total else 'no line'}")
        oks = find(r, re.compile(r"^keel: guests ok=(\d+) failed=(\d+)"))
        ooms = sum(1 for o in mine.values() if o == "oom")
        if not oks or (int(oks.group(1)), int(oks.group(2))) != (len(part) - ooms, ooms):
            problems.append(f"want guests ok={len(part) - ooms} failed={ooms} (the "
                            f"out-of-memory ones), got {oks.group(0) if oks else 'no line'}")
        if problems:
            pytest.fail(report(r, problems), pytrace=False)
    kinds = {o: [n for n, k in outcomes.items() if k == o] for o in ("oom", "fallback")}
    assert kinds["oom"] and kinds["fallback"], f"{life}: outcomes {kinds}"
    print(f"{life}: out of memory at N={kinds['oom']}, fell back at N={kinds['fallback']}")
