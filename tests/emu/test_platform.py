"""Issue 7 scenarios: the legacy PC devices every guest gets (docs/platform-legacy.md).

One boot, two guests running side by side:

- `legacy` (tests/guests/legacy.c, mem=64M) drives the 8259A pair, the 8254
  PIT (channel 2 through port 0x61, channel 0 latches, read-back, one-shot
  into a masked IRR, the poll command), the RTC and CMOS (formats, SET, the
  memory-size registers for 64 MiB), the empty PCI configuration space,
  ports 0x61 and 0x92, and finally IRQ0 from PIT channel 0 at 1 kHz through
  the master PIC remapped to 0x20: with IF=1 while polling, then through
  `sti; hlt`, at a rate measured against channel 2. It must print every
  PASS line below, no FAIL line, and `RESULT pass`.
- `rst` (mem=6G, maxmem=16M: it touches little) checks the memory-size
  registers where they are capped and where 0x5B-0x5D count RAM above 4 GiB, then writes port 0x92 bit 0:
  with `onreboot=end` Keel must end it as `reset` (its `expect=reset` makes
  that ok; without onreboot=end a reset restarts the guest, test_power.py).

Keel itself must have measured its TSC against the PIT (`keel: tsc: N kHz (PIT)`).
"""
import re

import pytest

from keeltest import FAIL_MARKERS, Scenario, check_markers, find, find_all, guest, report, run

# Every check the legacy guest makes, as the start of its PASS line.
LEGACY_PASSES = [
    "pic: ICW1 clears the master's IMR",
    "pic: master IMR reads back after ICW1-ICW4",
    "pic: slave IMR reads back after ICW1-ICW4",
    "pic: OCW3 reads the IRR (nothing requested)",
    "pic: OCW3 reads the ISR (nothing in service)",
    "pic: slave ISR",
    "pit: channel 2 output low after the control word",
    "pit: gate low holds channel 2's count",
    "pit: channel 2 output stays low while counting",
    "pit: channel 2 output rises through port 0x61 after 10 ms",
    "pit: channel 0 latched counts decrease",
    "pit: read-back status: LSB/MSB, mode 2, binary, count loaded",
    "pit: LSB-only count of 200 reads 1-200",
    "pit: channel 0 mode 0 output rises (read-back status)",
    "pic: masked IRQ0 is latched in IRR",
    "pic: and not in service",
    "pic: poll word names IR0",
    "pic: the poll put IR0 in service",
    "pic: non-specific EOI ends it",
    "pic: IRR clear after the poll",
    "pic: a poll read at the data port is the poll word",
    "pic: and the next one the IMR",
    "cmos: status B is BCD, 24-hour",
    "cmos: status D has VRT",
    "cmos: time ",
    "cmos: the seconds advance",
    "cmos: binary format: seconds < 60, hours < 24",
    "cmos: 12-hour format: hours 1-12 in BCD",
    "cmos: with SET a written year reads back",
    "cmos: year restored",
    "cmos: 0x15/0x16 base memory 640 KiB",
    "cmos: 0x17/0x18 extended memory KiB",
    "cmos: 0x30/0x31 extended memory KiB",
    "cmos: 0x34/0x35 64 KiB blocks from 16 MiB to 4 GiB",
    "cmos: 0x5B-0x5D 64 KiB blocks above 4 GiB",
    "cmos: RAM byte 0x40 reads back",
    "cmos: index port keeps the NMI-disable bit",
    "cmos: and still selects 0x40",
    "pci: 0xCF8 reads back 0x80000000",
    "pci: 0xCF8 reads back 0x80123458",
    "pci: 0xCFC reads all ones",
    "pci: 0xCFE word reads all ones",
    "pci: 0xCFD byte reads all ones",
    "port 0x92: bit 1 (A20) set",
    "port 0x61: speaker enable reads back",
    "port 0x61: the refresh bit toggles",
    "irq: IRQ0 reaches vector 0x20 with IF=1",
    "irq: the handler sees IR0 in service",
    "irq: 20 IRQ0s through sti; hlt in ",
    "irq: 20 IRQ0s took ",
    "irq: no spurious IRQ7/IRQ15",
    "pic: nothing left in service",
]

RESET_PASSES = [
    "cmos: 0x17/0x18 extended memory KiB",  # capped at 0xFFFF
    "cmos: 0x34/0x35 64 KiB blocks from 16 MiB to 4 GiB",  # 0xFF00
    "cmos: 0x5B-0x5D 64 KiB blocks above 4 GiB",  # 0x8000
    "before reset",
]


def _summary(name, how, status):
    return re.compile(rf"^keel: guest {re.escape(name)}: ended by {re.escape(how)} "
                      rf"status={status},")


# With and without APIC-register virtualization: PIC interrupts arrive by
# event injection on both, next to virtual-interrupt delivery on the first.
MODELS = ("corei7_skylake_x", "corei7_sandy_bridge_2600k")


@pytest.fixture(scope="module", params=MODELS)
def platform(request):
    return run(Scenario(f"platform-{request.param}", model=request.param, modules=(
        (guest("legacy"), "name=legacy mem=64M -- expect_mem=64M"),
        (guest("legacy"),
         "name=rst mem=6G maxmem=16M onreboot=end expect=reset -- expect_mem=6G reset=1"),
    )))


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


def test_legacy_devices(platform):
    r = platform
    problems = check_markers(r, passes=[
        *(f"[legacy] PASS {p}" for p in LEGACY_PASSES),
        "[legacy] RESULT pass",
        _summary("legacy", "debug-exit", 1),
    ], fails=[*FAIL_MARKERS, "[legacy] FAIL"])
    checks = find(r, r"^\[legacy\] checks (\d+), failed 0$")
    passed = len(find_all(r, r"^\[legacy\] PASS "))
    if checks and int(checks.group(1)) != passed:
        problems.append(f"legacy: {checks.group(1)} checks but {passed} PASS lines")
    if passed != len(LEGACY_PASSES):
        problems.append(f"legacy: {passed} PASS lines, this test knows {len(LEGACY_PASSES)}")
    _fail_if(r, problems)


def test_fast_reset_ends_the_guest(platform):
    r = platform
    problems = check_markers(r, passes=[
        *(f"[rst] PASS {p}" for p in RESET_PASSES),
        _summary("rst", "reset", 0),
        "keel: guest rst: fast reset (0x3 to port 0x92)",
        "keel: guests ok=2 failed=0",
    ], fails=[*FAIL_MARKERS, "[rst] FAIL", "[rst] RESULT"], end_status=0)
    _fail_if(r, problems)


def test_tsc_measured_against_the_pit(platform):
    r = platform
    tsc = find(r, r"^keel: tsc: (\d+) kHz \(PIT\)$")
    problems = []
    if not tsc:
        problems.append("no `keel: tsc: N kHz (PIT)` line")
    elif not 1000 <= int(tsc.group(1)) <= 100_000_000:
        problems.append(f"tsc: {tsc.group(1)} kHz is not a plausible TSC rate")
    _fail_if(r, problems)
