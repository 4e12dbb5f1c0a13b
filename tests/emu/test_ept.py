"""Issue 4 scenarios: per-guest 4-level EPT populated on demand from EPT-violation exits.

Three boots, each running several instances of the `ept` guest
(tests/guests/ept.c) one after another; each instance's arguments pick
what it tests, and it judges itself with PASS/FAIL lines from KEEL_HC_STATS
deltas (exact fault and leaf counts). On top of the guests' own markers
these tests read Keel's lines:

- `keel: guest NAME: ended by HOW status=N, ...`: how each guest ended;
- `keel: guest NAME: ept: violations V, leaves 4k A 2m B 1g C, fallbacks F,
  spurious S, tables T, invept I; ...`: must agree with the counters the
  guest read last (`[NAME] ept stats: ...`), and cover the pages it touched;
- `keel: guest NAME: EPT violation: ACCESS at gpa 0x... outside guest RAM
  and MMIO, rip 0x..., linear 0x...` for accesses outside RAM;
- `keel: guest NAME: out of memory at gpa 0x...: it holds its limit, N frames`
  when a guest reaches the frames it may hold (maxmem=);
- `keel: guest NAME: cannot reserve N KiB for it (...)` when the machine
  cannot promise a guest what its mem= needs: the guest is refused, the
  others run;
- `keel: guest NAME: free frames before X after Y` (guests run one after
  another) or `keel: guest NAME: frames held X returned Y` (guests scheduled
  together): X == Y for every guest, and `keel: free frames before guests X
  after Y` has X == Y when Keel prints it.

A later guest's `ended by` line follows an earlier one's in both models (the
guests here finish within their first time slice), which is how these tests
show that the guest after one Keel ended still runs.

Boots: "ept-demand" (Keel's default command line: on-demand faults, zero
fill, patterns, accesses outside RAM, the test hypercalls absent; 512 MiB,
since Keel reserves each guest's frames when it starts), "ept-testhc"
(testhc=on: KEEL_HC_TEST_UNMAP / _PROTECT and bad arguments), "ept-oom" (a
128 MiB machine: a guest whose mem=256M is overcommitted with maxmem=24M
runs out alone, and one asking mem=256M outright is refused).
"""
import os
import re

import pytest

from keeltest import (DEFAULT_CMDLINE, FAIL_MARKERS, Scenario, check_markers, guest, on_cpu0, report,
                      run)

TESTHC_CMDLINE = DEFAULT_CMDLINE + " testhc=on"
SUCCESS_STATUS = 1  # debug-exit with v = 0
MiB = 1 << 20
PAGE = 4096
REGION_PAGES = 512  # 4 KiB pages in a 2 MiB leaf

OUT_OF_RAM = 0x6000000  # mem=32M + 64 MiB
NOT_RAM = 0xC0000000

# name -> (module string, how Keel must say it ended); each boot runs its guests in order.
DEMAND = {
    "ept-count": ("mem=16M ept=4k -- test=count pages=512", "debug-exit"),
    # mem=33M: 8 whole 2 MiB regions, and a top region only half RAM (4 KiB leaves).
    "ept-regions": ("mem=33M ept=2m -- test=regions2m regions=8 leaf=2m", "debug-exit"),
    "ept-pattern": ("mem=96M ept=2m -- test=pattern size=64M leaf=2m", "debug-exit"),
    # Run one after another, these get frames the pattern guest left dirty
    # (ept-after in the OOM boot checks that case whatever the scheduling).
    "ept-zero4k": ("mem=16M ept=4k -- test=zero pages=256", "debug-exit"),
    "ept-zero2m": ("mem=32M ept=2m -- test=zero size=8M leaf=2m", "debug-exit"),
    "ept-out-read": (f"mem=32M expect=ept-violation -- test=outside access=read "
                     f"addr={OUT_OF_RAM:#x}", "ept-violation"),
    "ept-out-write": (f"mem=32M expect=ept-violation -- test=outside access=write "
                      f"addr={NOT_RAM:#x}", "ept-violation"),
    "ept-out-fetch": (f"mem=32M expect=ept-violation -- test=outside access=fetch "
                      f"addr={NOT_RAM:#x}", "ept-violation"),
    "ept-nohc": ("mem=16M ept=4k -- test=nohc", "debug-exit"),
}
TESTHC = {
    "ept-unmap4k": ("mem=16M ept=4k -- test=unmap", "debug-exit"),
    "ept-unmap2m": ("mem=32M ept=2m -- test=unmap leaf=2m", "debug-exit"),
    "ept-protect4k": ("mem=16M ept=4k -- test=protect", "debug-exit"),
    "ept-protect2m": ("mem=32M ept=2m -- test=protect leaf=2m", "debug-exit"),
    "ept-badargs": ("mem=16M ept=4k -- test=badargs", "debug-exit"),
    "ept-rmap4k": ("mem=16M ept=4k -- test=rmap", "debug-exit"),
    "ept-rmap2m": ("mem=32M ept=2m -- test=rmap leaf=2m", "debug-exit"),
}
# When Keel schedules these guests together, the delays (TSC ticks, about one
# per instruction under Bochs) make them take memory one after another: ept-oom
# starts once ept-fill has ended, ept-after once ept-oom has ended, and
# ept-after then gets back the frames ept-oom left dirty and must read zeros.
# test_overcommit_runs_out_alone checks that order held. ept-big asks for more
# than the machine can promise: refused at once.
OOM = {
    "ept-fill": ("mem=32M -- test=touchall", "debug-exit"),
    "ept-oom": ("mem=256M maxmem=24M expect=out-of-memory -- test=touchall delay=100M",
                "out-of-memory"),
    "ept-after": ("mem=32M -- test=touchall delay=512M", "debug-exit"),
    "ept-big": ("mem=256M expect=out-of-memory -- test=touchall", "out-of-memory"),
}
OOM_MACHINE_MIB = 128
DEMAND_MACHINE_MIB = 512

# Guests that judge themselves and end by the debug-exit port.
SELF_CHECKING = [(boot, name) for boot, table in (("demand", DEMAND), ("testhc", TESTHC),
                                                  ("oom", OOM))
                 for name, (_, how) in table.items() if how == "debug-exit"]

# Lower bounds Keel's own summary must show (the leaves the guest's touches need).
SUMMARY_MIN = {
    "ept-count": {"leaves_4k": 512, "violations": 512},
    "ept-regions": {"leaves_2m": 8, "leaves_4k": 256},
    "ept-pattern": {"leaves_2m": 32},
    "ept-zero4k": {"leaves_4k": 256},
    "ept-zero2m": {"leaves_2m": 4},
    "ept-unmap4k": {"invept": 1},
    "ept-unmap2m": {"invept": 1},
    "ept-protect4k": {"invept": 1},
    "ept-protect2m": {"invept": 1},
    "ept-rmap4k": {"invept": 2},
    "ept-rmap2m": {"invept": 2},
}

EPT_FIELDS = ("violations", "leaves_4k", "leaves_2m", "leaves_1g", "fallbacks", "spurious")
_COUNTS = (r"violations (\d+), leaves 4k (\d+) 2m (\d+) 1g (\d+), fallbacks (\d+), "
           r"spurious (\d+)")
SUMMARY_EPT_RE = re.compile(r"^keel: guest (\S+): ept: " + _COUNTS +
                            r", tables (\d+), invept (\d+);")
GUEST_EPT_RE = re.compile(r"^\[(\S+)\] ept stats: " + _COUNTS + r"$")
FREE_RE = re.compile(r"^keel: guest (\S+): (?:free frames before|frames held) (\d+) "
                     r"(?:after|returned) (\d+)")
TOTAL_FREE_RE = re.compile(r"^keel: free frames before guests (\d+) after (\d+)")


# Keel's zeropage=on from KEEL_TEST_OPTIONS: the ept guests are told (zeropage=1), since a
# first read then maps the shared zero frame instead of a leaf of RAM.
ZEROPAGE_ON = "zeropage=on" in DEFAULT_CMDLINE.split()


def _modules(table):
    extra = " zeropage=1" if ZEROPAGE_ON else ""
    return tuple((guest("ept"), f"name={name} {args}{extra if ' -- ' in args else ''}")
                 for name, (args, _) in table.items())


@pytest.fixture(scope="module")
def boots():
    """The three boots, each made once when a test first needs it."""
    made = {}
    scenarios = {
        "demand": lambda: Scenario("ept-demand", memory=DEMAND_MACHINE_MIB,
                                   modules=_modules(DEMAND)),
        "testhc": lambda: Scenario("ept-testhc", cmdline=TESTHC_CMDLINE,
                                   modules=_modules(TESTHC)),
        "oom": lambda: Scenario("ept-oom", memory=OOM_MACHINE_MIB, modules=_modules(OOM)),
    }

    def get(name):
        if name not in made:
            made[name] = run(scenarios[name]())
        return made[name]
    return get


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def _ended_re(name, how, status=None):
    st = str(status) if status is not None else r"-?\d+"
    return re.compile(rf"^keel: guest {re.escape(name)}: ended by {re.escape(how)} status={st},")


def _index(lines, pattern):
    for i, line in enumerate(lines):
        if pattern.search(line) if isinstance(pattern, re.Pattern) else pattern in line:
            return i
    return None


def _summary(r, name):
    """Keel's ept counters for the guest as a dict, or None."""
    for line in r.lines():
        m = SUMMARY_EPT_RE.match(line)
        if m and m.group(1) == name:
            vals = [int(x) for x in m.groups()[1:]]
            return dict(zip(EPT_FIELDS + ("tables", "invept"), vals))
    return None


def _guest_counts(r, name):
    """The counters the guest printed last (`[NAME] ept stats: ...`), or None."""
    found = None
    for line in r.lines():
        m = GUEST_EPT_RE.match(line)
        if m and m.group(1) == name:
            found = dict(zip(EPT_FIELDS, (int(x) for x in m.groups()[1:])))
    return found


def _summary_problems(r, name):
    """Keel's summary for the guest: present, equal to the guest's last reading, big enough."""
    keel = _summary(r, name)
    if keel is None:
        return [f"no `keel: guest {name}: ept: ...` summary line"]
    problems = []
    mine = _guest_counts(r, name)
    if mine is None:
        problems.append(f"guest {name} printed no `ept stats:` line")
    else:
        differ = {k: (mine[k], keel[k]) for k in EPT_FIELDS if mine[k] != keel[k]}
        if differ:
            problems.append(f"{name}: Keel's summary differs from the guest's last "
                            f"KEEL_HC_STATS (field: guest, Keel): {differ}")
    for field, least in SUMMARY_MIN.get(name, {}).items():
        if ZEROPAGE_ON and field.startswith("leaves"):
            continue  # reads map the zero frame: no leaf of RAM
        if keel[field] < least:
            problems.append(f"{name}: summary {field} {keel[field]}, want at least {least}")
    return problems


@pytest.mark.parametrize("boot,name", SELF_CHECKING)
def test_guest_passes(boots, boot, name):
    """The guest's exact KEEL_HC_STATS checks pass; Keel's summary agrees with them."""
    r = boots(boot)
    problems = check_markers(
        r, passes=[f"[{name}] RESULT pass", _ended_re(name, "debug-exit", SUCCESS_STATUS)],
        fails=[f"[{name}] FAIL", f"[{name}] RESULT fail"] + list(FAIL_MARKERS))
    _fail_if(r, problems + _summary_problems(r, name))


def _free_frames_problems(r, names):
    """Every guest gave back what it held: its frames line has X == Y, and so has the total."""
    seen = {}
    problems = []
    for line in r.lines():
        m = FREE_RE.match(line)
        if m:
            seen[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        m = TOTAL_FREE_RE.match(line)
        if m and m.group(1) != m.group(2):
            problems.append(f"frames leaked over the run: {line!r}")
    problems += [f"guest {n}: no free-frames line" for n in names if n not in seen]
    problems += [f"guest {n}: frames {b} before/held, {a} after/returned"
                 for n, (b, a) in seen.items() if b != a]
    return problems


@pytest.mark.parametrize("boot,table", [("demand", DEMAND), ("testhc", TESTHC), ("oom", OOM)])
def test_boot_summary(boots, boot, table):
    """Every guest ran in order, ended as expected, gave back every frame."""
    r = boots(boot)
    problems = check_markers(r, passes=[f"keel: guests ok={len(table)} failed=0"], end_status=0)
    lines = r.lines()
    starts = [_index(lines, f"keel: guest {n}: starting") for n in table]
    if None in starts or starts != sorted(starts):
        problems.append(f"guests did not all start in order: {dict(zip(table, starts))}")
    for name, (_, how) in table.items():
        if _index(lines, _ended_re(name, how)) is None:
            problems.append(f"no `keel: guest {name}: ended by {how}` line")
    _fail_if(r, problems + _free_frames_problems(r, table))


OUTSIDE = [("ept-out-read", "read", OUT_OF_RAM, "ept-out-write"),
           ("ept-out-write", "write", NOT_RAM, "ept-out-fetch"),
           ("ept-out-fetch", "fetch", NOT_RAM, "ept-nohc")]
GUEST_IMAGE = (0x100000, 0x200000)  # where the ept guest's code lies


@pytest.mark.parametrize("name,access,gpa,after", OUTSIDE)
def test_outside_ram_ends_guest(boots, name, access, gpa, after):
    """A read, write or fetch outside RAM ends that guest with its report; the next one runs on."""
    r = boots("demand")
    report_re = re.compile(
        rf"^keel: guest {name}: EPT violation: {access} at gpa {gpa:#x} outside guest RAM and "
        rf"MMIO, rip (0x[0-9a-f]+), linear {gpa:#x}$")
    problems = check_markers(
        r, passes=[f"[{name}] PASS outside: {access} at gpa {gpa:#x}", report_re,
                   _ended_re(name, "ept-violation", 0)],
        fails=[f"[{name}] FAIL", f"[{name}] RESULT"] + list(FAIL_MARKERS))
    lines = r.lines()
    hit = next((report_re.match(x) for x in lines if report_re.match(x)), None)
    if hit:
        rip = int(hit.group(1), 16)
        if access == "fetch" and rip != gpa:
            problems.append(f"fetch: rip {rip:#x}, want the target {gpa:#x}")
        if access != "fetch" and not GUEST_IMAGE[0] <= rip < GUEST_IMAGE[1]:
            problems.append(f"{access}: rip {rip:#x} outside the guest's code")
    # With one CPU the next guest ends after this one; with more (KEEL_TEST_CPUS=2) the
    # two may run at once: either way it runs to its end.
    if _index(lines, _ended_re(after, DEMAND[after][1])) is None:
        problems.append(f"guest {after} did not run to its end beside {name}")
    _fail_if(r, problems)


OOM_GPA_RE = re.compile(r"^keel: guest ept-oom: out of memory at gpa (0x[0-9a-f]+): it holds "
                        r"its limit, (\d+) frames$")
BIG_RE = re.compile(r"^keel: guest ept-big: cannot reserve (\d+) KiB for it \(mem= with its EPT "
                    r"tables and devices\); (\d+) KiB are free and not promised to other guests$")


def _order_problems(lines, first, then):
    """The guest `then` started touching memory after guest `first` ended."""
    ended = _index(lines, _ended_re(first, OOM[first][1]))
    touching = _index(lines, f"[{then}] touchall: touching")
    if ended is None or touching is None or touching < ended:
        return [f"{then} did not start touching memory after {first} ended "
                f"(lines {touching} and {ended}): the delays in OOM no longer order them"]
    return []


def test_overcommit_runs_out_alone(boots):
    """mem=256M with maxmem=24M: that guest ends by out-of-memory at its limit, alone; the
    next gets all its frames back, zeroed."""
    r = boots("oom")
    problems = check_markers(
        r, passes=["[ept-oom] touchall: touching", _ended_re("ept-oom", "out-of-memory"),
                   OOM_GPA_RE, "[ept-fill] RESULT pass", "[ept-after] RESULT pass"],
        fails=["[ept-oom] FAIL", "[ept-oom] RESULT"] + list(FAIL_MARKERS))
    lines = r.lines()
    problems += _order_problems(lines, "ept-fill", "ept-oom")
    problems += _order_problems(lines, "ept-oom", "ept-after")
    hit = next((OOM_GPA_RE.match(x) for x in lines if OOM_GPA_RE.match(x)), None)
    if hit:
        gpa, held = int(hit.group(1), 16), int(hit.group(2))
        if not 16 * MiB <= gpa < 24 * MiB:
            problems.append(f"out of memory at gpa {gpa:#x}: want in [16 MiB, 24 MiB), "
                            "below its maxmem=24M")
        if held != 24 * MiB // PAGE:
            problems.append(f"it held {held} frames at the end, want its limit {24 * MiB // PAGE}")
    for name in ("ept-fill", "ept-after"):
        leaves = _summary(r, name)
        if leaves is None:
            problems.append(f"no ept summary for {name}")
        elif leaves["leaves_4k"] + REGION_PAGES * leaves["leaves_2m"] != 32 * MiB // PAGE \
                or leaves["leaves_1g"]:
            problems.append(f"{name} (mem=32M, every page touched): leaves {leaves} do not "
                            "cover exactly 32 MiB")
    _fail_if(r, problems)


def test_unreservable_guest_refused(boots):
    """mem=256M on a 128 MiB machine is refused before it runs, with the line naming what it
    needed and what was free; the other guests run."""
    r = boots("oom")
    problems = check_markers(r, passes=[BIG_RE, _ended_re("ept-big", "out-of-memory", 0),
                                        "[ept-after] RESULT pass"],
                             fails=["[ept-big] "] + list(FAIL_MARKERS))
    hit = next((BIG_RE.match(x) for x in r.lines() if BIG_RE.match(x)), None)
    if hit and not int(hit.group(2)) < int(hit.group(1)):
        problems.append(f"refused although {hit.group(2)} KiB were free for {hit.group(1)} KiB")
    _fail_if(r, problems)


# Issue 18, zero-page sharing (Keel's zeropage=on): the ept guests' own checks
# (tests/guests/ept.c test=zeropage, and guests that write first beside them) and the
# witness, which reads pages it never writes (they map the one zero frame
# every guest shares) and checks on every round that they still read zero
# while the others write over their own zero pages. All on one CPU, so that
# the witness watches the others run.
ZEROPAGE_CMDLINE = DEFAULT_CMDLINE + " zeropage=on testhc=on"
ZEROPAGE = {
    "zp-4k": "mem=16M ept=4k -- test=zeropage",
    "zp-2m": "mem=32M ept=2m -- test=zeropage leaf=2m",
    # Guests that write before they read: no zero mapping, the same counts as without.
    "zp-pattern": "mem=32M ept=2m -- test=pattern size=8M leaf=2m",
    "zp-protect": "mem=16M ept=4k -- test=protect",
}
ZERO_SUMMARY_RE = re.compile(r"^keel: guest (\S+): ept: zero page: (\d+) pages map it at the "
                             r"end, (\d+) read faults mapped it, (\d+) copy-on-write faults, "
                             r"(\d+) 2 MiB promotions, (\d+) frames reclaimed; frames held at "
                             r"peak (\d+)$")


@pytest.fixture(scope="module")
def zeropage():
    mods = [(guest("witness"), on_cpu0("name=witness mem=16M -- pages=64 zeros=64 "
                                       "min_switches=1"))]
    mods += [(guest("ept"), on_cpu0(f"name={n} {a}")) for n, a in ZEROPAGE.items()]
    return run(Scenario("ept-zeropage", cmdline=ZEROPAGE_CMDLINE, modules=tuple(mods)))


@pytest.mark.parametrize("name", list(ZEROPAGE))
def test_zero_page_guest_passes(zeropage, name):
    """Reads and fetches share the zero frame, writes copy or promote, exactly as counted;
    Keel's summary agrees and reports the zero page's counters."""
    r = zeropage
    problems = check_markers(
        r, passes=[f"[{name}] RESULT pass", _ended_re(name, "debug-exit", SUCCESS_STATUS)],
        fails=[f"[{name}] FAIL", f"[{name}] RESULT fail"] + list(FAIL_MARKERS))
    zero = [m for m in map(ZERO_SUMMARY_RE.match, r.lines()) if m and m.group(1) == name]
    if not zero:
        problems.append(f"no `keel: guest {name}: ept: zero page: ...` summary line")
    elif name in ("zp-4k", "zp-2m"):
        faults, cow, promotions = (int(x) for x in zero[0].groups()[2:5])
        want = (64, 1, 1) if name == "zp-2m" else (64, 65, 0)
        if faults < 64 + 1 or (cow, promotions) != want[1:]:
            problems.append(f"{name}: zero page read faults {faults} (want at least 65), "
                            f"copy-on-write {cow}, promotions {promotions} (want {want[1:]})")
    _fail_if(r, problems + _summary_problems(r, name))


def test_zero_page_witness(zeropage):
    """The witness's never-written pages map the shared zero frame and read zero throughout,
    while the others write to theirs; every frame comes back; Keel ends well."""
    r = zeropage
    problems = check_markers(
        r, passes=["[witness] PASS the pages never written map the shared zero frame",
                   "[witness] PASS words changed under the witness",
                   "[witness] PASS the other guests ran while the witness watched",
                   "[witness] RESULT pass", "keel: guest witness: ended by hypercall status=0,",
                   f"keel: guests ok={len(ZEROPAGE) + 1} failed=0"],
        fails=["[witness] FAIL"] + list(FAIL_MARKERS), end_status=0)
    _fail_if(r, problems + _free_frames_problems(r, ["witness", *ZEROPAGE]))


# Issue 18, reclaim (Keel's reclaim=on): the bench guest's run=reclaim writes
# 4 MiB in 4 KiB pages, clears 3/4 of them and halts; while it is idle Keel
# must take back a frame for every page cleared (they then map the zero
# frame: writing them again is one copy-on-write fault each) and leave the
# rest alone. Keel's summary says what the scan did.
RECLAIM_SUMMARY_RE = re.compile(r"^keel: guest reclaim: ept: reclaim: (\d+) passes, (\d+) pages "
                                r"scanned in (\d+) ticks \((\d+) per MiB\), (\d+) frames returned$")


def test_reclaim_takes_cleared_frames_back():
    """Frames a guest cleared come back to Keel while it is idle; its data stays."""
    r = run(Scenario("ept-reclaim", cmdline=DEFAULT_CMDLINE + " reclaim=on zeropool=off",
                     modules=((guest("bench"), "name=reclaim mem=16M ept=4k -- run=reclaim "
                                               "size=4M idle=100M"),)))
    problems = check_markers(
        r, passes=[re.compile(r"^\[reclaim\] PASS reclaim: \d+ frames taken back while idle, "
                              r"768 pages cleared$"),
                   "[reclaim] PASS reclaim: words changed 0",
                   "[reclaim] PASS reclaim: copy-on-write faults writing the cleared pages 768",
                   RECLAIM_SUMMARY_RE, "keel: guests ok=1 failed=0"],
        fails=["[reclaim] FAIL"] + list(FAIL_MARKERS), end_status=0)
    _fail_if(r, problems + _free_frames_problems(r, ["reclaim"]))


# Issue 18, overcommit: on a 512 MiB machine, eight mem=256M guests that read
# all of their RAM and write 1 MiB (test=readmost), each let hold at most 40 MiB
# of host frames (maxmem=40M: 320 MiB promised in all). With zeropage=on they
# all run to completion: their reads map the zero frame. Without it (the
# second boot, one such guest) the reads take frames and the guest ends by
# out-of-memory at its limit: eight would need 2 GiB.
OVERCOMMIT_GUESTS = 8
OVERCOMMIT_ARGS = "mem=256M maxmem=40M ept=2m -- test=readmost write=1M leaf=2m"


def test_overcommit_with_zero_page():
    """Eight mem=256M guests on 512 MiB: each ends well, holding a few MiB; Keel's report says
    per guest its peak frames, zero mappings, copies and frames reclaimed."""
    mods = tuple((guest("ept"), f"name=oc{i} {OVERCOMMIT_ARGS}")
                 for i in range(OVERCOMMIT_GUESTS))
    r = run(Scenario("ept-overcommit", memory=512, cmdline=DEFAULT_CMDLINE + " zeropage=on",
                     modules=mods))
    names = [f"oc{i}" for i in range(OVERCOMMIT_GUESTS)]
    problems = check_markers(
        r, passes=[f"keel: guests ok={OVERCOMMIT_GUESTS} failed=0"] +
        [f"[{n}] RESULT pass" for n in names],
        fails=["RESULT fail", "FAIL "] + list(FAIL_MARKERS), end_status=0)
    peaks = {}
    for m in map(ZERO_SUMMARY_RE.match, r.lines()):
        if m and m.group(1) in names:
            maps, faults, cow, promotions, reclaimed, peak = (int(x) for x in m.groups()[1:])
            peaks[m.group(1)] = peak
            # 256 MiB less the image's 2 MiB region read: 65,024 pages, less the 1 MiB written
            # (promoted to a 2 MiB leaf at its first write)
            if faults < 65024 - 512 or peak > 40 * MiB // PAGE:
                problems.append(f"{m.group(1)}: {faults} zero-page read faults, peak {peak} "
                                "frames: want about 65,000 faults under 40 MiB")
    problems += [f"no zero-page summary for {n}" for n in names if n not in peaks]
    _fail_if(r, problems + _free_frames_problems(r, names))


def test_overcommit_without_zero_page_runs_out():
    """The same guest without the zero page: its reads take frames, and at its 40 MiB limit
    Keel ends it by out-of-memory, naming the limit."""
    r = run(Scenario("ept-overcommit-nozp", memory=512, cmdline=DEFAULT_CMDLINE + " zeropage=off",
                     modules=((guest("ept"), f"name=oc-nozp expect=out-of-memory "
                                             f"{OVERCOMMIT_ARGS}"),)))
    problems = check_markers(
        r, passes=[_ended_re("oc-nozp", "out-of-memory"),
                   re.compile(r"^keel: guest oc-nozp: out of memory at gpa 0x[0-9a-f]+: it holds "
                              rf"its limit, {40 * MiB // PAGE} frames$")],
        fails=["[oc-nozp] RESULT pass"] + list(FAIL_MARKERS))
    _fail_if(r, problems + _free_frames_problems(r, ["oc-nozp"]))


# Issue 18, working sets (Keel's workingset=on): test=workingset reads 256 pages,
# then 32, each for 3.5 of Keel's sample intervals; Keel's last sample of each
# phase must follow (corei7_skylake_x has EPT accessed/dirty flags). On
# corei7_sandy_bridge_2600k, which has none, Keel says so and samples nothing.
WS_SUMMARY_RE = re.compile(r"^keel: guest ws: ept: working set: (\d+) samples, one per 16777216 "
                           r"ticks of its time: last (\d+) pages, mean (\d+), peak (\d+) "
                           r"\((\d+) KiB\)$")


def _first_pass_only():
    """Scenarios that name both their models run once: not again in CI's second-model pass
    (tests/emu/conftest.py), which would boot the same machines a second time."""
    if os.environ.get("KEEL_SECOND_RUN"):
        pytest.skip("names its CPU models: run in the first pass")


@pytest.mark.parametrize("model", ["corei7_skylake_x", "corei7_sandy_bridge_2600k"])
def test_working_set_sampled(model):
    """The sampled working set follows what the guest reads; without A/D flags, said and none."""
    _first_pass_only()
    ad = model == "corei7_skylake_x"
    args = "mem=16M ept=4k -- test=workingset" + ("" if ad else " sampled=0")
    r = run(Scenario(f"ept-workingset-{model}", model=model,
                     cmdline=DEFAULT_CMDLINE + " workingset=on",
                     modules=((guest("ept"), f"name=ws {args}"),)))
    passes = ["[ws] RESULT pass", _ended_re("ws", "debug-exit", SUCCESS_STATUS)]
    if ad:
        passes.append(WS_SUMMARY_RE)
    else:
        passes.append("keel: guest ws: ept: working set: not sampled: the CPU has no EPT "
                      "accessed and dirty flags (IA32_VMX_EPT_VPID_CAP bit 21)")
    problems = check_markers(r, passes=passes, fails=["[ws] FAIL"] + list(FAIL_MARKERS),
                             end_status=0)
    _fail_if(r, problems)


# Issue 18, the dirty log (KEEL_HC_TEST_DIRTY_LOG, testhc=on): test=dirtylog
# writes 9 of 64 pages, then 2 more after a read; the log must name exactly
# those of the 64 each time. corei7_skylake_x with dirtylog=on logs with PML
# (the CPU writes the log: mode 1); corei7_sandy_bridge_2600k has neither EPT
# A/D flags nor PML, so Keel write-protects RAM and notes the faults (mode 2).
@pytest.mark.parametrize("model,mode", [("corei7_skylake_x", 1),
                                        ("corei7_sandy_bridge_2600k", 2)])
def test_dirty_log(model, mode):
    """The dirty log names exactly the pages written, by PML or by write protection."""
    _first_pass_only()
    r = run(Scenario(f"ept-dirtylog-{model}", model=model,
                     cmdline=DEFAULT_CMDLINE + " testhc=on dirtylog=on",
                     modules=((guest("ept"), f"name=dl mem=16M ept=4k -- test=dirtylog "
                                             f"mode={mode}"),)))
    problems = check_markers(
        r, passes=["[dl] RESULT pass", _ended_re("dl", "debug-exit", SUCCESS_STATUS),
                   "[dl] PASS dirtylog: nine pages written: the log names the 9 pages written "
                   "and no other of the 64"],
        fails=["[dl] FAIL"] + list(FAIL_MARKERS), end_status=0)
    _fail_if(r, problems + _free_frames_problems(r, ["dl"]))


def test_reclaim_beside_witness():
    """Reclaim on one CPU, the witness on the other: the frames of zeros one guest gives back
    and takes again never show the witness anything but its own data and zeros."""
    r = run(Scenario("ept-reclaim-witness", cpus=2,
                     cmdline=DEFAULT_CMDLINE + " reclaim=on zeropool=off",
                     modules=((guest("witness"), "name=witness mem=16M cpus=0 -- pages=64 "
                                                 "zeros=64 min_switches=0 alone=400M"),
                              (guest("bench"), "name=reclaim mem=16M ept=4k cpus=1 -- "
                                               "run=reclaim size=4M idle=100M"))))
    problems = check_markers(
        r, passes=["[reclaim] RESULT pass", "[witness] RESULT pass",
                   "[witness] PASS words changed under the witness",
                   "[witness] PASS the pages never written map the shared zero frame",
                   RECLAIM_SUMMARY_RE, "keel: guests ok=2 failed=0"],
        fails=["[reclaim] FAIL", "[witness] FAIL"] + list(FAIL_MARKERS), end_status=0)
    _fail_if(r, problems + _free_frames_problems(r, ["witness", "reclaim"]))
