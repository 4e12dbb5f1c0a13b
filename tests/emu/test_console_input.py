"""Issue 13: keys typed at Keel's serial console reach one guest at a time.

Two `echo` guests (tests/guests/echo.c: an interrupt-driven COM1, IRQ 4
through the 8259, FIFO trigger 8 so single keys come by the character
timeout) run side by side; Bochs' COM1 is a TCP socket and the test types
into it (keeltest.run(..., interact=...)). It checks: the first guest has
the keys at first and its prompt shows without a newline (`[e1] echo> `)
while it waits; a line typed is answered reversed by that guest only;
Ctrl-A three times moves the keys to the second guest, then to Keel's
monitor (`l` lists both guests, `v` their vCPUs halted with nothing
pending), then back to the first; a Ctrl-A followed
by another key reaches the guest as both; a line edited with Backspace and
an erase shows as a terminal draws it, and no ESC a guest writes reaches
Keel's console; when the focused guest ends the
keys move on by themselves; the run ends clean.
"""
import re

from keeltest import Scenario, assert_markers, find_all, guest, report, run

import pytest

CTRL_A3 = "\x01\x01\x01"
WAIT = 60  # seconds per expected answer (Bochs; a few are needed)


def _session(con):
    """What a person would do; each expect fails the run if it does not come."""
    # The first guest's prompt, shown while it waits and with nothing after it yet.
    con.expect(r"keel: input: to guest e1 \(Ctrl-A three times: next\)", WAIT)
    con.expect(r"\[e1\] echo> \Z", WAIT)
    con.send("hello\r")
    con.expect(r"hello\r\n", WAIT)  # the guest's echo, on its prompt's line (checked below)
    con.expect(r"\[e1\] echo: olleh\r\n", WAIT)
    con.expect(r"\[e1\] echo> ", WAIT)
    # A Ctrl-A followed by another key passes both on (the guest shows it as '.').
    con.send("\x01x\r")
    con.expect(r"\[e1\] echo: x\.\r\n", WAIT)
    # Keys a terminal acts on: the echoed Backspace and erase-to-end take the X
    # back; the answer (the bytes reversed) has an ESC, which goes nowhere.
    # Typed one at a time, each shows at once: Keel backs up over the X, then
    # blanks it.
    con.expect(r"\[e1\] echo> ", WAIT)
    con.send("abX")
    con.expect(r"abX", WAIT)  # each expect reads on from the last match
    con.send("\b")
    con.expect(r"\x08", WAIT)
    con.send("\x1b[K")
    con.expect(r" \x08", WAIT)
    con.send("\r")
    con.expect(r"\[e1\] echo: [^\r\n]*\r\n", WAIT)
    # Ctrl-A three times: the second guest, whose prompt shows once it has the keys.
    con.send(CTRL_A3)
    con.expect(r"keel: input: to guest e2 \(Ctrl-A three times: next\)\r\n", WAIT)
    con.expect(r"\[e2\] echo> ", WAIT)
    con.send("world\r")
    con.expect(r"\[e2\] echo: dlrow\r\n", WAIT)
    # Then the monitor: `l` lists both guests.
    con.send(CTRL_A3)
    con.expect(r"keel: input: to the monitor \(Ctrl-A three times: next\)\r\n", WAIT)
    con.expect(r"keel> ", WAIT)
    con.send("l\r")
    con.expect(r"keel: monitor: guest e1: halted, exits \d+, frames held \d+, ticks \d+", WAIT)
    con.expect(r"keel: monitor: guest e2: halted, exits \d+, frames held \d+, ticks \d+", WAIT)
    con.expect(r"keel> ", WAIT)
    # `v`: each vCPU, halted in `sti; hlt` waiting for the UART's IRQ 4 (nothing pending).
    con.send("v\r")
    for name in ("e1", "e2"):
        con.expect(rf"keel: monitor: guest {name}: vcpu 0 on CPU 0: halted, IF=1 \(rip "
                   r"0x[0-9a-f]+ after HLT, 0x[0-9a-f]+ IF=[01] at the last timer exit\), "
                   r"intr_dirty 0, NMI pending 0, signals 0; APIC IRR top -1, ISR top -1, TPR "
                   r"0x0, PPR 0x0, timer off", WAIT)
    con.expect(r"keel> ", WAIT)
    # And back to the first guest: it ends on `quit`, and the keys move on to e2.
    con.send(CTRL_A3)
    con.expect(r"keel: input: to guest e1 \(Ctrl-A three times: next\)", WAIT)
    con.expect(r"\[e1\] echo> ", WAIT)
    con.send("quit\r")
    con.expect(r"\[e1\] echo: tiuq\r\n", WAIT)
    con.expect(r"keel: input: to guest e2 \(Ctrl-A three times: next\)", WAIT)
    con.send("quit\r")
    con.expect(r"\[e2\] echo: tiuq\r\n", WAIT)


def test_console_input_two_guests():
    sc = Scenario("console-input",
                  modules=[(guest("echo"), "name=e1 mem=16M"),
                           (guest("echo"), "name=e2 mem=16M")],
                  timeout=300)
    r = run(sc, interact=_session)
    assert_markers(r, passes=["[e1] RESULT pass", "[e2] RESULT pass",
                              "keel: guests ok=2 failed=0"], end_status=0)
    problems = []
    # The echo of the keys went on the line the prompt had started.
    if not find_all(r, r"^\[e1\] echo> hello$"):
        problems.append("no line `[e1] echo> hello`: the typed keys did not follow the prompt")
    # The edited line as a terminal draws it, and no guest ESC on Keel's line:
    # `abX`, BS, ESC [ K shows `ab`; reversed, `K[`, ESC BS (the BS ends the
    # escape and backs up), `Xba` shows `KXba`.
    if not find_all(r, r"^\[e1\] echo> ab$"):
        problems.append("no line `[e1] echo> ab`: Backspace and ESC [ K not drawn")
    if "\x1b" in r.log:
        problems.append("an ESC byte reached Keel's console")
    # Only the focused guest answered each line.
    for who, line, n in (("e1", "olleh", 1), ("e2", "dlrow", 1), ("e1", "dlrow", 0),
                         ("e2", "olleh", 0), ("e2", r"x\.", 0), ("e1", "KXba", 1)):
        got = len(find_all(r, rf"^\[{who}\] echo: {line}$"))
        if got != n:
            problems.append(f"[{who}] answered {line!r} {got} times, expected {n}")
    # Single keys came by the character timeout (FIFO trigger 8), through IRQ 4.
    for who in ("e1", "e2"):
        m = find_all(r, rf"^\[{who}\] echo: (\d+) lines, (\d+) keys, (\d+) interrupts, "
                        r"(\d+) as character timeouts$")
        if not m or int(m[0].group(4)) == 0:
            problems.append(f"[{who}]: no summary with character timeouts ({m and m[0].group(0)})")
    # Lines never interleave: every line is Keel's, a guest's, or the monitor prompt.
    for line in r.lines():
        if line and not re.match(r"^(keel: |keel> |\[e[12]\] |keelrun|GRUB|\s|Booting|error)",
                                 line):
            problems.append(f"line of unknown origin: {line!r}")
            break
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


KEYS_TYPED = 300
KEYS_TAKEN = 256 + 1  # spin's input queue, and RBR (its FIFO is off)


def _flood_then_escape(con):
    """300 keys to a guest that never reads them, then Ctrl-A three times."""
    con.expect(r"keel: input: to guest spin \(Ctrl-A three times: next\)", WAIT)
    con.expect(r"\[spin\] PASS before spin\r\n", WAIT)
    con.send("k" * KEYS_TYPED)
    con.send(CTRL_A3)
    con.expect(r"keel: input: to guest e \(Ctrl-A three times: next\)", WAIT)
    con.expect(r"\[e\] echo> ", WAIT)
    con.send("ok\r")
    con.expect(r"\[e\] echo: ko\r\n", WAIT)
    con.send("quit\r")
    con.expect(r"\[e\] RESULT pass", WAIT)


def test_a_guest_that_never_reads_cannot_keep_the_keys():
    """The spin guest has the keys first and never reads them: its queue fills, the
    keys after that are dropped and counted, and Ctrl-A still moves the focus on."""
    sc = Scenario("console-input-flood",
                  modules=[(guest("spin"), "name=spin mem=16M timeout=400M expect=timeout"),
                           (guest("echo"), "name=e mem=16M")],
                  timeout=300)
    r = run(sc, interact=_flood_then_escape)
    assert_markers(r, passes=[
        f"keel: guest spin: console: {KEYS_TYPED - KEYS_TAKEN} keys dropped "
        "(typed while its input queue was full)",
        "keel: guest spin: ended by timeout",
        "keel: guests ok=2 failed=0"], end_status=0)
