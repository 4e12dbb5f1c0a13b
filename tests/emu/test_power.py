"""Issue 13 scenarios: power off and reset as a PC guest does them
(docs/platform-legacy.md, "Power and reset").

One boot runs the `power` guest (tests/guests/power.c) six times side by
side. Each start checks the ACPI PM registers and the PM timer's rate, then
asks for a reset by one means until Keel has restarted it as often as its
`restarts=` says, and powers off by ACPI S5:

- `s5`: powers off at once: `ended by poweroff`, an ok end;
- `cf9`, `kbc`, `port92`, `triple` (with `ontriple=reset`): each reset
  restarts the guest from its image with fresh memory (`keel: guest NAME:
  reset: ...; restarting from its image (restart N)`), and it powers off
  after the last;
- `end`: `onreboot=end` ends it `by reset` at the first request.

Every start must print `RESULT pass`; every guest must give back what it
held; the run ends `keel: guests ok=6 failed=0`, `keel: end status=0`.
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find_all, guest, report, run

# name -> (module options, guest arguments, restarts, how it ends, what Keel says of a reset)
POWER = {
    "s5": ("", "action=s5", 0, "poweroff", None),
    "cf9": ("", "action=cf9 restarts=2", 2, "poweroff",
            r"reset control register \(0x6 to port 0xCF9\)"),
    "kbc": ("", "action=kbc restarts=1", 1, "poweroff",
            r"the keyboard controller's reset pulse \(0xFE to port 0x64\)"),
    "port92": ("", "action=port92 restarts=1", 1, "poweroff", r"fast reset \(0x\w+ to port 0x92\)"),
    "triple": ("ontriple=reset", "action=triple restarts=1", 1, "poweroff",
               r"triple fault at rip 0x[0-9a-f]+ \(ontriple=reset\)"),
    "end": ("onreboot=end expect=reset", "action=cf9 restarts=1", 0, "reset", None),
}


@pytest.fixture(scope="module")
def power_run():
    mods = tuple((guest("power"), f"name={n} mem=16M {opts} -- {args}")
                 for n, (opts, args, _, _, _) in POWER.items())
    return run(Scenario("power", modules=mods))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


@pytest.mark.parametrize("name", POWER)
def test_guest_ends_as_its_power_action_says(power_run, name):
    r = power_run
    _, _, restarts, how, said = POWER[name]
    starts = [int(m.group(1)) for m in find_all(r, rf"^\[{name}\] power: start (\d+)$")]
    problems = check_markers(
        r, passes=[f"keel: guest {name}: ended by {how} status=0,",
                   re.compile(rf"^keel: guest {name}: frames held (\d+) returned \1$")],
        fails=[f"[{name}] FAIL", f"[{name}] RESULT fail", *FAIL_MARKERS])
    if starts != list(range(restarts + 1)):
        problems.append(f"{name} started {starts}, want 0..{restarts}")
    passes = len(find_all(r, rf"^\[{name}\] RESULT pass$"))
    if passes != restarts + 1:
        problems.append(f"{name}: {passes} `RESULT pass` lines for {restarts + 1} starts")
    if said:
        seen = find_all(r, rf"^keel: guest {name}: reset: {said}; restarting from its image "
                           r"\(restart (\d+)\)$")
        if [int(m.group(1)) for m in seen] != list(range(1, restarts + 1)):
            problems.append(f"{name}: restart lines {[m.group(0) for m in seen]}, want "
                            f"restarts 1..{restarts}")
    if how == "poweroff" and not find_all(r, rf"^keel: guest {name}: ACPI S5: SLP_TYP 5 with "
                                             r"SLP_EN in PM1a_CNT$"):
        problems.append(f"{name}: no ACPI S5 end detail")
    _fail_if(r, problems)


def test_timer_rate():
    """Alone on the CPU, the PM timer counts 3.579545 MHz against the TSC (the guest measures
    the TSC with PIT channel 2 first) and powers off."""
    r = run(Scenario("power-rate", modules=((guest("power"), "name=pmtimer mem=16M -- rate=1"),)))
    problems = check_markers(r, passes=["[pmtimer] PASS PM timer counts at 3.579545 MHz (within 2 %) "
                                        "and ignores writes", "[pmtimer] RESULT pass",
                                        "keel: guest pmtimer: ended by poweroff status=0,",
                                        "keel: guests ok=1 failed=0"],
                             fails=["[pmtimer] FAIL", *FAIL_MARKERS], end_status=0)
    _fail_if(r, problems)


def test_run_clean(power_run):
    _fail_if(power_run, check_markers(power_run, passes=["keel: guests ok=6 failed=0"],
                                      end_status=0))
