"""The judge judged: keeltest's marker checks, fault-report parser and VGA
decoding on hand-written logs, no emulator needed. Each case shows that a
check can fail, so a green scenario means what it says.
"""
import os
import re
import socket
import time

import pytest

import keelrun
import keeltest
from keeltest import check_fault, check_markers, parse_fault

GOOD = """\
garbage from the firmware
keel: Keel microhypervisor starting
keel: mem: usable 255 MiB in 2 regions
keel: end status=0
"""


def mkrun(log, timed_out=False, screen=None):
    return keelrun.Run(log=log, timed_out=timed_out, seconds=1.0, screen=screen)


def test_clean_run_passes():
    assert check_markers(mkrun(GOOD), passes=["microhypervisor"], end_status=0) == []


def test_regex_marker():
    r = mkrun(GOOD)
    assert check_markers(r, passes=[re.compile(r"usable \d+ MiB")]) == []
    assert check_markers(r, passes=[re.compile(r"usable \d+ GiB")]) != []


def test_missing_pass_marker_fails():
    problems = check_markers(mkrun(GOOD), passes=["keel: mem: free frames"])
    assert problems == ["missing pass marker 'keel: mem: free frames'"]


def test_failure_marker_fails():
    log = GOOD.replace("keel: end", "keel: PANIC at x.c:1: boom\nkeel: end")
    problems = check_markers(mkrun(log))
    assert len(problems) == 1 and "'PANIC'" in problems[0]


def test_timeout_fails_even_with_markers():
    problems = check_markers(mkrun(GOOD, timed_out=True), passes=["microhypervisor"])
    assert len(problems) == 1 and problems[0].startswith("timed out")


def test_end_line_must_be_last_keel_line():
    log = GOOD + "keel: late line\n"
    assert any("last Keel line" in p for p in check_markers(mkrun(log)))
    assert any("last Keel line" in p for p in check_markers(mkrun("")))
    # Lines that are not Keel's (no "keel:" prefix) may follow.
    assert check_markers(mkrun(GOOD + "emulator noise\n")) == []


def test_interaction_error_fails_even_with_markers():
    r = keelrun.Run(log=GOOD, timed_out=False, seconds=1.0,
                    interaction_error="expected /x/ but 5s passed")
    problems = check_markers(r, passes=["microhypervisor"], end_status=0)
    assert problems == ["interaction: expected /x/ but 5s passed"]


def test_serial_console_expect_and_send():
    """The interactive handle on a socket pair: matches come in order, a wait
    is bounded, and a closed line ends a wait at once."""
    ours, theirs = socket.socketpair()
    con = keelrun.SerialConsole(ours, deadline=time.monotonic() + 30)
    try:
        theirs.sendall(b"keel: input: to guest a\r\n[a] echo> ")
        assert con.expect(r"\[a\] echo> \Z", 5)
        con.send("hi\r")
        assert theirs.recv(16) == b"hi\r"
        # The next expect looks only after the last match.
        with pytest.raises(keelrun.ExpectError, match="0.2s passed"):
            con.expect(r"keel: input", 0.2)
        theirs.sendall(b"hi\r\n[a] echo: ih\r\n")
        assert con.expect(r"echo: (\w+)", 5).group(1) == "ih"
        theirs.close()
        start = time.monotonic()
        with pytest.raises(keelrun.ExpectError, match="closed"):
            con.expect(r"never", 10)
        assert time.monotonic() - start < 5
        assert con.text().endswith("[a] echo: ih\r\n")
    finally:
        con.close()


def test_end_status_checked():
    assert check_markers(mkrun(GOOD), end_status=1) == ["end status 0, expected 1"]
    # A lost final newline (the UART still shifting it out at power-off) is fine.
    assert keeltest.end_status(mkrun(GOOD.rstrip("\n"))) == 0


def test_failure_report_shows_tail_and_timeout():
    log = "".join(f"keel: line {i}\n" for i in range(100))
    with pytest.raises(pytest.fail.Exception) as e:
        keeltest.assert_markers(mkrun(log, timed_out=True), passes=["nothing"])
    text = str(e.value)
    assert "TIMED OUT" in text and "missing pass marker 'nothing'" in text
    assert "keel: line 99" in text and "keel: line 60" in text
    assert "keel: line 59\n" not in text  # only the last 40 lines


def test_screen_is_judged_separately():
    r = mkrun("", screen=["keel: VT-x unavailable: CPUID.1:ECX.VMX=0", "keel: end status=1"])
    assert check_markers(r, passes=["VT-x unavailable"], end_status=1, where="screen") == []
    assert check_markers(r, passes=["VT-x unavailable"], end_status=1) != []


def test_vga_decode():
    row0 = b"".join(bytes([c, 0x07]) for c in b"keel: hi".ljust(80))
    blank = bytes([0x20, 0x07]) * 80
    rows = keelrun.vga_decode(row0 + blank * 24)
    assert len(rows) == 25 and rows[0] == "keel: hi" and rows[1:] == [""] * 24


FAULT_LOG = """\
keel: FAULT in Keel: #UD invalid opcode (vector 6), error code 0x0
keel:   rip 0x0000000000201234 cs 0x0008 rflags 0x0000000000010002
keel:   cr0 0x0000000080010011 cr2 0x0000000000000000 cr3 0x0000000000400000 cr4 0x0000000000000020
keel:   rax 0x0000000000000001 rbx 0x0000000000000002 rcx 0x0000000000000003 rdx 0x0000000000000004
keel:   rsi 0x0000000000000005 rdi 0x0000000000000006 rbp 0x0000000000208f00 rsp 0x0000000000208ef0
keel:   r8  0x0000000000000008 r9  0x0000000000000009 r10 0x000000000000000a r11 0x000000000000000b
keel:   r12 0x000000000000000c r13 0x000000000000000d r14 0x000000000000000e r15 0x000000000000000f
keel:   stack: 0x201500 0x2002f0
keel: end status=2
"""
SECTIONS = {"__image_start": 0x200000, "__image_end": 0x210000,
            "__text_start": 0x200000, "__text_end": 0x204000}


def test_fault_report_parsed_and_accepted():
    rep = parse_fault(mkrun(FAULT_LOG))
    assert (rep.mnemonic, rep.name, rep.vector, rep.error_code) == ("#UD", "invalid opcode", 6, 0)
    assert rep.regs["r8"] == 8 and rep.regs["rsp"] == 0x208ef0
    assert rep.stack == [0x201500, 0x2002f0]
    assert check_fault(rep, "#UD", "invalid opcode", 6, SECTIONS) == []


@pytest.mark.parametrize("old,new,why", [
    ("rip 0x0000000000201234", "rip 0x0000000000301234", "outside Keel's .text"),
    ("0x201500 0x2002f0", "0x201500 0x9002f0", "stack walk addresses outside .text"),
    ("keel:   stack: 0x201500 0x2002f0\n", "", "no return addresses"),
    ("rsp 0x0000000000208ef0", "rsp 0x0000000000408ef0", "not on a stack inside"),
    ("cs 0x0008", "cs 0x000b", "not a ring-0 selector"),
    ("cr0 0x0000000080010011", "cr0 0x0000000000010011", "not in long mode"),
    ("r9  0x0000000000000009", "r9  0x9", "r9 printed with 1 hex digits"),
    ("r12 0x000000000000000c ", "", "registers printed"),
    ("#UD invalid opcode (vector 6)", "#GP general protection (vector 13)", "header says"),
])
def test_fault_report_defects_caught(old, new, why):
    assert old in FAULT_LOG
    rep = parse_fault(mkrun(FAULT_LOG.replace(old, new)))
    problems = check_fault(rep, "#UD", "invalid opcode", 6, SECTIONS)
    assert any(why in p for p in problems), problems


def test_no_fault_report():
    assert parse_fault(mkrun(GOOD)) is None
    assert check_fault(None, "#UD", "invalid opcode", 6, SECTIONS) == ["no fault report"]


def test_screen_lines_join_wrapped_rows():
    long = "keel: " + "x" * 90
    rows = [long[:80], long[80:], "keel: end status=1", ""]
    r = mkrun("", screen=rows)
    assert check_markers(r, passes=[long], end_status=1, where="screen") == []
    assert keeltest.screen_lines(["a" * 80, "", "b"]) == ["a" * 80, "b"]


def test_screen_decode_compares_glyphs_bit_for_bit():
    """tests/harness/screen.py reads back what Keel's font draws, and a cell
    one pixel off any glyph is no character."""
    import screen
    if not os.path.exists(screen.FONT):
        pytest.skip(f"{screen.FONT} is built by `make`")
    font = screen.load_font()
    lines = ["keel: VT-x unavailable: CPUID.1:ECX.VMX=0", "", "  x~!"]
    ppm = screen.render(lines, font, 8 * 45 + 5, 16 * 4 + 7)
    rows, cols = screen.decode(ppm, font)
    assert cols == 45 and rows == lines + [""]
    w, h, rgb = screen.read_ppm(ppm)
    spoilt = bytearray(rgb)
    at = ((16 * 0 + 7) * w + 8 * 6 + 3) * 3  # a pixel of the 'V' cell
    spoilt[at:at + 3] = bytes(3) if spoilt[at] else b"\xc0\xc0\xc0"
    rows, _ = screen.decode(screen.write_ppm(w, h, spoilt), font)
    assert rows[0] == "keel: " + screen.UNKNOWN + lines[0][7:]
