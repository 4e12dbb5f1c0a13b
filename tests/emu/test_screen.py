"""Issue 16 item 1: Keel's console on the screen, read back from the emulator.

One ISO (`console=both onexit=halt`, mkiso.py's grub.cfg) boots under QEMU
TCG, where Keel finds no VT-x, prints its "no VT-x" line and ends:
- with OVMF (UEFI), GRUB hands Keel the GOP framebuffer: Keel says so on
  serial (`keel: console: framebuffer WxH, B bits per pixel at A: CxR
  cells of GWxGH`) and draws every line on it. The screen is read with the
  QEMU monitor's `screendump` and decoded cell by cell against the font
  Keel links in (tests/harness/screen.py: each cell must equal a glyph of
  the font bit for bit): Keel's lines on the screen must be its lines on
  serial, in order, from the framebuffer line on;
- with SeaBIOS (BIOS), GRUB keeps VGA text mode (gfxpayload=keep): no
  framebuffer line, and the same lines are in the VGA text page.
Two more boots ask GRUB for a 640x480 VBE mode on BIOS (80x30 cells, 32
and 16 bits per pixel) and
prints more than 30 rows (loglevel=debug, then a fault report): the screen
must be exactly the last 30 rows of the serial lines drawn as Keel draws
them (so it scrolled, and a line longer than 80 columns wrapped).

A Keel that draws nothing (console=com1) fails each of these: the screen
has no Keel line (docs/testing.md says how this was shown).
"""
import re

import pytest

import keeltest
from keeltest import Scenario, assert_markers, find, keel_lines, report

NO_VTX_LINE = "keel: VT-x unavailable: CPUID.1:ECX.VMX=0"
FIRST_LINE = "keel: Keel microhypervisor starting"
NO_VTX_STATUS = 1
FAULT_STATUS = 2  # lib/panic.h: a fault in Keel
FB_LINE_RE = re.compile(r"^keel: console: framebuffer (\d+)x(\d+), (\d+) bits per pixel "
                        r"at 0x([0-9a-f]+): (\d+)x(\d+) cells of (\d+)x(\d+)$")
TIMEOUT = 60  # OVMF under TCG takes about 6 s to Keel's end


@pytest.fixture(scope="module")
def novtx_iso():
    """The ISO both firmwares boot."""
    return keeltest.build_iso(Scenario("screen-novtx", cmdline="console=both onexit=halt"))


def boot(iso, emulator, name):
    sc = Scenario(name, cmdline="console=both onexit=halt", emulator=emulator, timeout=TIMEOUT)
    return keeltest.boot(sc, iso)


def serial_from_fb_line(r):
    """Keel's serial lines from its framebuffer line on (what went to the screen)."""
    lines = keel_lines(r)
    starts = [i for i, line in enumerate(lines) if FB_LINE_RE.match(line)]
    return lines[starts[0]:] if starts else []


def same_lines(r, want, problems):
    got = keel_lines(r, "screen")
    if got != want:
        problems.append(f"Keel's lines on the screen ({len(got)}) differ from serial's "
                        f"({len(want)}); first difference: " + next(
                            (f"screen {g!r} vs serial {w!r}" for g, w in zip(got, want) if g != w),
                            "one is a prefix of the other"))


def test_uefi_framebuffer(novtx_iso):
    """UEFI: the GOP framebuffer shows every line serial shows, glyph for glyph."""
    r = boot(novtx_iso, "qemu-uefi-fb", "screen-novtx-uefi")
    assert_markers(r, passes=[FB_LINE_RE], end_status=NO_VTX_STATUS)
    assert_markers(r, passes=[FIRST_LINE, NO_VTX_LINE, FB_LINE_RE], end_status=NO_VTX_STATUS,
                   where="screen")
    m = FB_LINE_RE.match(find(r, FB_LINE_RE).group(0))
    width, height, cols, rows = (int(m.group(i)) for i in (1, 2, 5, 6))
    problems = []
    if (cols, rows) != (width // int(m.group(7)), height // int(m.group(8))):
        problems.append(f"grid {cols}x{rows} is not {width}x{height} in cells")
    if r.screen_cols != cols or len(r.screen) != rows:
        problems.append(f"screendump holds {r.screen_cols}x{len(r.screen)} cells, Keel said "
                        f"{cols}x{rows}")
    same_lines(r, serial_from_fb_line(r), problems)
    if problems:
        pytest.fail(report(r, problems, "screen"), pytrace=False)


def test_bios_vga_text(novtx_iso):
    """BIOS: GRUB keeps VGA text mode and Keel writes its lines there."""
    r = boot(novtx_iso, "qemu-vga", "screen-novtx-bios")
    assert_markers(r, passes=[FIRST_LINE, NO_VTX_LINE], end_status=NO_VTX_STATUS)
    assert_markers(r, passes=[FIRST_LINE, NO_VTX_LINE], end_status=NO_VTX_STATUS,
                   where="screen")
    problems = []
    if find(r, FB_LINE_RE):
        problems.append("a framebuffer line, yet GRUB was to keep VGA text mode")
    same_lines(r, keel_lines(r), problems)
    if problems:
        pytest.fail(report(r, problems, "screen"), pytrace=False)


def drawn_rows(lines, cols, rows):
    """The rows a cols x rows console shows after lines, as lib/fbcon.c draws them:
    a row takes cols bytes and the next byte starts the next row (so a line of
    exactly cols bytes is followed by a blank row), LF starts a row, and the
    screen scrolls when the cursor passes the last row."""
    out = [""]
    for line in lines:
        for ch in line:
            if len(out[-1]) == cols:
                out.append("")
            out[-1] += ch
        if len(out[-1]) == cols:
            out.append("")
        out.append("")
    return [row.rstrip(" ") for row in out[-rows:]]


@pytest.mark.parametrize("depth", [32, 16])
def test_bios_vbe_scrolls(depth):
    """BIOS with a 640x480 VBE mode of 32 or 16 (5:6:5) bits per pixel: more rows
    than the screen has; it scrolled."""
    r = keeltest.run(Scenario(f"screen-scroll-{depth}", emulator="qemu-fb", timeout=TIMEOUT,
                              cmdline="console=both onexit=halt loglevel=debug test=fault-ud",
                              gfxpayload=f"640x480x{depth}"))
    assert_markers(r, passes=["keel: FAULT in Keel: #UD"], fails=["PANIC"],
                   end_status=FAULT_STATUS)
    assert_markers(r, passes=["keel: FAULT in Keel: #UD", "keel:   stack: "], fails=["PANIC"],
                   end_status=FAULT_STATUS, where="screen")
    problems = []
    m = FB_LINE_RE.match(find(r, FB_LINE_RE).group(0))
    cols, rows = int(m.group(5)), int(m.group(6))
    if int(m.group(3)) != depth:
        problems.append(f"{m.group(3)} bits per pixel, GRUB was asked for {depth}")
    if (cols, rows) != (80, 30) or r.screen_cols != cols or len(r.screen) != rows:
        problems.append(f"a 640x480 mode should give 80x30 cells: Keel says {cols}x{rows}, "
                        f"the screendump holds {r.screen_cols}x{len(r.screen or [])}")
    sent = serial_from_fb_line(r)
    want = drawn_rows(sent, cols, rows)
    if len(sent) <= rows:
        problems.append(f"only {len(sent)} lines: too few to scroll {rows} rows")
    if r.screen != want:
        diff = [f"row {i}: {g!r} vs {w!r}" for i, (g, w) in enumerate(zip(r.screen, want))
                if g != w]
        problems.append("the screen is not the serial lines' last rows: " +
                        "; ".join(diff[:3] or ["row count differs"]))
    if problems:
        pytest.fail(report(r, problems, "screen"), pytrace=False)


def test_console_fb_only():
    """console=fb: the lines are on the framebuffer and no longer on serial."""
    r = keeltest.run(Scenario("screen-fb-only", emulator="qemu-fb", timeout=TIMEOUT,
                              cmdline="console=fb onexit=halt", gfxpayload="640x480x32"))
    assert_markers(r, passes=[FIRST_LINE, NO_VTX_LINE], end_status=NO_VTX_STATUS,
                   where="screen")
    if NO_VTX_LINE in r.log or FIRST_LINE in r.log:
        pytest.fail(report(r, ["console=fb, yet Keel's lines went to serial"]), pytrace=False)
