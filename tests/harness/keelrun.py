#!/usr/bin/env python3
"""Boots a Keel ISO under Bochs or QEMU and captures the serial console.

Library use (the pytest harness, tests/emu/keeltest.py): boot_bochs(),
boot_qemu() and boot_qemu_vga() return a Run with the serial log; a run that
does not end by itself within its timeout is killed and marked timed_out.
boot_bochs(..., interact=fn) puts COM1 on a TCP socket instead of a file
and calls fn(console) while Keel runs: a SerialConsole that reads the
output as it comes and can expect() a pattern and send() keys. Every wait
is bounded; a wait that runs out ends the run (Run.interaction_error).
Bochs' exit status is never consulted: a run is judged by its serial log.
Keel ends Bochs through its shutdown port (0x8900) and QEMU through ACPI S5
or the isa-debug-exit device at 0x501, which every QEMU command line here
adds.

Command-line use:
  keelrun.py run --iso ISO     what `make run` (through tools/keel) does: the best emulator
                               available (QEMU with KVM where the host has
                               VT-x with nested virtualisation, else Bochs
                               with a VMX CPU model), serial on this terminal,
                               keys typed going to Keel's console
  keelrun.py boot --iso ISO    boot once (Bochs, or --qemu for QEMU TCG) and
                               print the serial log; --vga (QEMU) also prints
                               the VGA text screen read through the monitor,
                               --fb the framebuffer console (--uefi: OVMF)
"""
import argparse
import dataclasses
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/vgabios/vgabios.bin"
BOCHS_SDL_PLUGIN_DIRS = ("/usr/lib/x86_64-linux-gnu/bochs/plugins", "/usr/lib/bochs/plugins")
DEFAULT_MODEL = "corei7_skylake_x"
END_MARKER = "keel: end status="
QEMU = "qemu-system-x86_64"
OVMF = "/usr/share/ovmf/OVMF.fd"  # Debian's ovmf: UEFI firmware for QEMU's -bios

# VGA text mode: 80x25 cells of (character, attribute) bytes at 0xB8000.
VGA_TEXT_BASE = 0xB8000
VGA_COLS = 80
VGA_ROWS = 25
VGA_TEXT_BYTES = VGA_COLS * VGA_ROWS * 2


@dataclasses.dataclass
class Run:
    log: str
    timed_out: bool
    seconds: float
    emulator_output: str = ""
    screen: list = None  # VGA text or framebuffer cell rows, when the run read the screen back
    screen_cols: int = VGA_COLS  # the screen's columns: a full row continues on the next
    interaction_error: str = None  # why an interactive run stopped early

    def lines(self):
        """The log's lines as a terminal shows them: a backspace moves back
        over the line and what follows overwrites (Keel redraws a guest's
        edited line so, lib/term_line.h)."""
        return [_drawn(line) for line in self.log.replace("\r", "").splitlines()]

    def tail(self, n=30):
        return "\n".join(self.lines()[-n:])


def _drawn(line):
    if "\b" not in line:
        return line
    cells, at = [], 0
    for ch in line:
        if ch == "\b":
            at = max(at - 1, 0)
            continue
        if at == len(cells):
            cells.append(ch)
        else:
            cells[at] = ch
        at += 1
    return "".join(cells).rstrip(" ")


def missing_packages(emulator):
    """Debian packages the given emulator ("bochs" or "qemu") still needs."""
    if emulator == "qemu":
        return [] if shutil.which(QEMU) else ["qemu-system-x86"]
    if emulator == "qemu-uefi":
        return missing_packages("qemu") + ([] if os.path.exists(OVMF) else ["ovmf"])
    need = []
    if not shutil.which("bochs-bin"):
        need.append("bochs")
    if not os.path.exists(BOCHS_BIOS):
        need.append("bochsbios")
    if not os.path.exists(VGA_BIOS):
        need.append("vgabios")
    if not any(os.path.exists(os.path.join(d, "libbx_sdl2_gui.so"))
               for d in BOCHS_SDL_PLUGIN_DIRS):
        need.append("bochs-sdl")
    return need


def _require(emulator):
    need = missing_packages(emulator)
    if need:
        sys.exit(f"keelrun: {emulator} is not usable here: run `make deps`, or "
                 f"`sudo apt-get install {' '.join(need)}`")


BOCHS_HOST_MIB_MAX = 2048  # the largest `memory: host=` Bochs 2.7 accepts


def bochsrc(iso, serial, model=DEFAULT_MODEL, memory=256, cpus=1, port=None, time0="local"):
    """The bochsrc: COM1 to the file `serial`, or with `port` a TCP server
    on localhost:port (Bochs waits in accept() for a client before the
    machine starts). time0: the RTC's start, "local" (the host's clock) or
    seconds since 1970."""
    # Bochs 2.7 pages its own memory once the machine touches more than host= MiB, and its
    # paging corrupts it (a false FAULT in Keel): host= is the machine's size, up to Bochs'
    # limit of 2048 MiB. Larger machines must keep what they touch below that.
    host = min(memory, BOCHS_HOST_MIB_MAX)
    com1 = (f"com1: enabled=1, mode=socket-server, dev=localhost:{port}" if port
            else f"com1: enabled=1, mode=file, dev={serial}")
    iso = os.path.abspath(iso)
    return "\n".join([
        f"cpu: model={model}, count={cpus}, ips=50000000",
        f"memory: guest={memory}, host={host}",
        # fastboot: the BIOS skips its boot-menu wait (about 3 s of emulated time). With
        # one CPU Bochs jumps over that halt; with several it steps through every tick of
        # it (4 CPUs: 5 s of wall time a boot).
        f"romimage: file={BOCHS_BIOS}, options=fastboot",
        f"vgaromimage: file={VGA_BIOS}",
        "display_library: sdl2",
        f"ata0-master: type=cdrom, path={iso}, status=inserted",
        "boot: cdrom",
        f"clock: sync=none, time0={time0}",
        com1,
        "speaker: enabled=0",
        "log: -",
        "panic: action=fatal",
        "error: action=report",
        "info: action=ignore",
        "debug: action=ignore",
        "",
    ])


def _read(path):
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def _stop(proc, grace):
    """Gives proc `grace` seconds to exit by itself, then kills it."""
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait(proc, serial, timeout, end_marker, echo=None):
    """Waits for proc to exit or the end marker to show; kills on timeout.

    Returns True when the timeout was reached. When echo is a binary stream,
    the serial output is copied to it as it grows.
    """
    start = time.monotonic()
    shown = 0

    def show():
        nonlocal shown
        data = _read(serial)
        if echo is not None and len(data) > shown:
            echo.write(data[shown:])
            echo.flush()
            shown = len(data)
        return data

    while True:
        exited = proc.poll() is not None
        data = show()
        if exited:
            return False
        if end_marker and end_marker.encode() in data:
            # Keel has said its last line; give the emulator a moment to stop.
            _stop(proc, 5)
            show()
            return False
        if time.monotonic() - start > timeout:
            proc.kill()
            proc.wait()
            show()
            return True
        time.sleep(0.1)


def _start_bochs(tmp, iso, serial, model, memory, cpus, out, port=None, debugger=("c",),
                 time0="local"):
    rc = os.path.join(tmp, "bochsrc")
    cmds = os.path.join(tmp, "cmds")
    with open(rc, "w") as f:
        f.write(bochsrc(iso, serial, model, memory, cpus, port, time0))
    with open(cmds, "w") as f:
        # The built-in debugger stops at the first instruction: "c" continues.
        f.write("".join(f"{c}\n" for c in debugger))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    return subprocess.Popen(["bochs-bin", "-q", "-f", rc, "-rc", cmds],
                            stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, env=env, cwd=tmp)


class ExpectError(Exception):
    """An expect() that did not match in time, or the serial line closed first."""


class SerialConsole:
    """COM1 of a running machine over TCP, as a terminal would use it.

    A thread reads everything the machine sends as it comes (Bochs blocks
    when nobody reads). expect(pattern, timeout_s) waits for a regex in the
    output after the previous match; send(text) types. Every wait is
    bounded, by its own timeout and by the run's deadline.
    """

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.data = bytearray()
        self.pos = 0  # where the next expect() starts looking
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def _reader(self):
        while True:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self.closed = True
                    self._cond.notify_all()
                    return
                self.data += chunk
                self._cond.notify_all()

    def text(self):
        """Everything received so far (latin-1: one character per byte)."""
        with self._cond:
            return self.data.decode("latin-1")

    def expect(self, pattern, timeout_s=30):
        """The re.Match of pattern in the output after the last match; waits up
        to timeout_s (and never past the run's deadline). Raises ExpectError."""
        regex = re.compile(pattern) if isinstance(pattern, (str, bytes)) else pattern
        limit = min(time.monotonic() + timeout_s, self.deadline)
        with self._cond:
            while True:
                m = regex.search(self.data.decode("latin-1"), self.pos)
                if m:
                    self.pos = m.end()
                    return m
                left = limit - time.monotonic()
                if self.closed or left <= 0:
                    why = "the serial line closed" if self.closed else f"{timeout_s}s passed"
                    tail = self.data[self.pos:][-300:].decode("latin-1")
                    raise ExpectError(f"expected /{regex.pattern}/ but {why}; "
                                      f"output since the last match ends {tail!r}")
                self._cond.wait(min(left, 0.5))

    def send(self, text):
        """Types text (latin-1 bytes) on the line."""
        self.sock.sendall(text.encode("latin-1") if isinstance(text, str) else text)

    def wait_closed_or(self, marker, until):
        """Waits until marker is in the output, the line closes or `until` passes;
        True if it did not end by then."""
        with self._cond:
            while marker.encode() not in self.data and not self.closed:
                left = until - time.monotonic()
                if left <= 0:
                    return True
                self._cond.wait(min(left, 0.5))
        return False

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)


def _free_port():
    """A TCP port free on localhost now (the OS picks it: two runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _connect(port, proc, deadline):
    """Connects to Bochs' COM1 server once it listens; None if Bochs exits or time runs out."""
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.05)
    return None


def _start_bochs_socket(tmp, iso, model, memory, cpus, out_path, deadline):
    """Bochs with COM1 as a TCP server on a free port, and a client connected
    to it (Bochs starts the machine only then). Tries another port if the one
    picked was taken meanwhile. Returns (proc, socket); the socket is None
    when no connection came before the deadline."""
    for _ in range(3):
        port = _free_port()
        with open(out_path, "w") as out:
            proc = _start_bochs(tmp, iso, None, model, memory, cpus, out, port)
        sock = _connect(port, proc, deadline)
        if sock is not None:
            sock.settimeout(None)
            return proc, sock
        _stop(proc, 0)
        if "bind() or listen() failed" not in _read(out_path).decode(errors="replace"):
            break
    return proc, None


def _boot_bochs_interactive(iso, model, memory, cpus, timeout, end_marker, interact):
    with tempfile.TemporaryDirectory(prefix="keel-bochs-") as tmp:
        out_path = os.path.join(tmp, "bochs.out")
        start = time.monotonic()
        deadline = start + timeout
        proc, sock = _start_bochs_socket(tmp, iso, model, memory, cpus, out_path, deadline)
        if sock is None:
            _stop(proc, 0)
            emu = _read(out_path).decode(errors="replace")
            return Run(log="", timed_out=True, seconds=time.monotonic() - start,
                       emulator_output=emu,
                       interaction_error="no connection to Bochs' COM1 socket")
        console = SerialConsole(sock, deadline)
        error, timed_out = None, False
        try:
            interact(console)
            timed_out = console.wait_closed_or(end_marker, deadline)
            if not timed_out and proc.poll() is None:
                _stop(proc, 5)  # Keel has said its last line
        except ExpectError as e:
            error = str(e)
        finally:
            proc.kill()
            proc.wait()
            console.close()
        seconds = time.monotonic() - start
        emu = _read(out_path).decode(errors="replace")
    return Run(log=console.text(), timed_out=timed_out, seconds=seconds, emulator_output=emu,
               interaction_error=error)


def boot_bochs(iso, model=DEFAULT_MODEL, memory=256, cpus=1, timeout=60,
               end_marker=END_MARKER, interact=None, debugger=("c",), time0="local",
               echo=None):
    """Boots iso under Bochs; returns a Run (serial log, timed_out).

    interact: COM1 is a TCP socket and interact(SerialConsole) runs while
    Keel does (see SerialConsole); an expect() that fails stops the run and
    is reported in Run.interaction_error. debugger: the commands Bochs'
    built-in debugger runs, one a line (its -rc file), for example a
    breakpoint and `ptime` before the "c" that runs the machine; what they
    print is in the Run's emulator_output. With end_marker None the run
    lasts until Bochs exits or the timeout. time0: the RTC's start
    (bochsrc); a fixed one makes what a guest reads from the RTC repeat.
    echo: a binary stream that gets the serial output as it comes (not with interact).
    """
    if interact is not None:
        return _boot_bochs_interactive(iso, model, memory, cpus, timeout, end_marker,
                                       interact)
    with tempfile.TemporaryDirectory(prefix="keel-bochs-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        start = time.monotonic()
        with open(os.path.join(tmp, "bochs.out"), "w") as out:
            proc = _start_bochs(tmp, iso, serial, model, memory, cpus, out, None, debugger,
                                time0)
            timed_out = _wait(proc, serial, timeout, end_marker, echo)
        seconds = time.monotonic() - start
        log = _read(serial).decode("latin-1")
        with open(os.path.join(tmp, "bochs.out"), errors="replace") as f:
            emu = f.read()
    return Run(log=log, timed_out=timed_out, seconds=seconds, emulator_output=emu)


def qemu_cmd(iso, memory=256, kvm=False, extra=(), uefi=False):
    """QEMU's command line: SeaBIOS, or with uefi OVMF (the same ISO boots both)."""
    cmd = [QEMU, "-m", str(memory), "-cdrom", iso, "-boot", "d",
           "-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=1"]
    cmd += ["-enable-kvm", "-cpu", "host"] if kvm else ["-cpu", "max"]
    cmd += ["-bios", OVMF] if uefi else []
    return cmd + list(extra)


def boot_qemu(iso, memory=256, timeout=60, extra=(), end_marker=END_MARKER):
    """Boots iso under QEMU (TCG: no VT-x); returns a Run."""
    with tempfile.TemporaryDirectory(prefix="keel-qemu-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        out_path = os.path.join(tmp, "qemu.out")
        cmd = qemu_cmd(iso, memory) + ["-display", "none", "-serial", f"file:{serial}",
                                        "-monitor", "none"] + list(extra)
        start = time.monotonic()
        with open(out_path, "w") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
            timed_out = _wait(proc, serial, timeout, end_marker)
        seconds = time.monotonic() - start
        log = _read(serial).decode("latin-1")
        emu = _read(out_path).decode(errors="replace")
    return Run(log=log, timed_out=timed_out, seconds=seconds, emulator_output=emu)


def vga_decode(dump):
    """80x25 VGA text cells (char, attribute pairs) -> list of 25 strings."""
    rows = []
    for r in range(VGA_ROWS):
        cells = dump[r * VGA_COLS * 2:(r + 1) * VGA_COLS * 2:2]
        rows.append(cells.decode("cp437").rstrip())
    return rows


class _Monitor:
    """QEMU's human monitor on a Unix socket: one command at a time."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self._until_prompt()

    def _until_prompt(self):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("QEMU monitor closed")
            data += chunk
        return data

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self._until_prompt()

    def close(self):
        self.sock.close()


def _read_screen(mon, dump):
    """Saves the VGA text page through the monitor; returns (its rows, 80)."""
    if os.path.exists(dump):
        os.unlink(dump)
    # Quoted: unquoted, "4000 /tmp/..." would parse as a division.
    mon.command(f'pmemsave {VGA_TEXT_BASE:#x} {VGA_TEXT_BYTES} "{dump}"')
    data = _read(dump)
    return (vga_decode(data), VGA_COLS) if len(data) == VGA_TEXT_BYTES else None


def _fb_reader(font):
    """Reads the framebuffer console: a screendump, decoded cell by cell (screen.py)."""
    import screen as fbscreen  # tests/harness/screen.py, beside this file

    def read(mon, dump):
        if os.path.exists(dump):
            os.unlink(dump)
        mon.command(f'screendump "{dump}"')
        data = _read(dump)
        return fbscreen.decode(data, font) if data.startswith(b"P6") else None
    return read


def boot_qemu_vga(iso, memory=256, timeout=60, until=END_MARKER, extra=()):
    """Boots iso under QEMU TCG and reads the VGA text screen back.

    Polls the screen (QEMU monitor `pmemsave` of 0xB8000) until a row
    contains `until` or the timeout passes, then stops QEMU. Meant for runs
    with onexit=halt, so the machine stays up with its last screen. Returns a
    Run whose .screen holds the last 25 rows read and .log the serial log.
    """
    return _boot_qemu_screen(iso, memory, timeout, until, extra, False, _read_screen)


def boot_qemu_fb(iso, memory=256, timeout=60, until=END_MARKER, extra=(), uefi=False,
                 font=None):
    """Boots iso under QEMU TCG (SeaBIOS, or OVMF with uefi) and reads the
    framebuffer console back as boot_qemu_vga reads VGA text: QEMU monitor
    `screendump`, each cell compared with the font's glyphs (screen.py;
    font: a screen.Font, by default build/font/console.psf). .screen holds
    the cell rows, .screen_cols the grid's columns."""
    import screen as fbscreen

    reader = _fb_reader(font or fbscreen.load_font())
    return _boot_qemu_screen(iso, memory, timeout, until, extra, uefi, reader)


def _boot_qemu_screen(iso, memory, timeout, until, extra, uefi, reader):
    with tempfile.TemporaryDirectory(prefix="keel-qemu-screen-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        sock = os.path.join(tmp, "monitor.sock")
        dump = os.path.join(tmp, "screen.bin")
        out_path = os.path.join(tmp, "qemu.out")
        cmd = qemu_cmd(iso, memory, uefi=uefi) + [
            "-display", "none", "-serial", f"file:{serial}",
            "-monitor", f"unix:{sock},server=on,wait=off"] + list(extra)
        start = time.monotonic()
        screen, timed_out = None, False
        with open(out_path, "w") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
            try:
                mon = _Monitor(sock, timeout)
                while proc.poll() is None:
                    screen = reader(mon, dump) or screen
                    if screen and any(until in row for row in screen[0]):
                        break
                    if time.monotonic() - start > timeout:
                        timed_out = True
                        break
                    time.sleep(0.5)
                mon.close()
            except OSError as e:
                # The monitor closes when QEMU exits; the exit is reported below.
                if proc.poll() is None:
                    out.write(f"\nkeelrun: QEMU monitor: {e}\n")
            finally:
                exited = proc.poll()
                proc.kill()
                proc.wait()
            if exited is not None:
                out.write(f"\nkeelrun: QEMU exited (status {exited}) before the "
                          f"screen showed {until!r}\n")
        seconds = time.monotonic() - start
        log = _read(serial).decode("latin-1")
        emu = _read(out_path).decode(errors="replace")
    rows, cols = screen or (None, VGA_COLS)
    return Run(log=log, timed_out=timed_out, seconds=seconds, emulator_output=emu,
               screen=rows, screen_cols=cols)


def host_has_nested_vmx():
    """True when QEMU/KVM can run Keel's VMX guests on this host."""
    if not os.path.exists("/dev/kvm"):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            if " vmx" not in f.read():
                return False
        with open("/sys/module/kvm_intel/parameters/nested") as f:
            nested = f.read().strip()
    except OSError:
        return False
    return nested in ("Y", "1")


# With nobody at a terminal, `make run` answers a Linux guest's shell itself
# so that the run ends: the first prompt gets `poweroff`.
AUTO_KEYS = ((re.compile(rb"\] / # [^\n]*\Z"), b"poweroff\r"),)


def _run_bochs_here(iso, model, memory, timeout, cpus=1):
    """Bochs with the serial console on this terminal until Keel ends: with a
    terminal on stdin, keys typed go to Keel's console; without one, a Linux
    guest's shell is told to power off (AUTO_KEYS) and the run stops after
    timeout seconds."""
    if sys.stdin.isatty():
        return _run_bochs_keys(iso, model, memory, cpus)
    return _run_bochs_keys(iso, model, memory, cpus, auto=AUTO_KEYS, deadline_s=timeout)


SILENCE_NOTE_S = 30  # seconds without output before `keel run` says it is still running


def _copy_keys_and_output(proc, sock, auto=None, deadline=None):
    """Terminal keys to COM1, COM1 to the terminal, until Keel's last line or
    Bochs exits; a person is at the keyboard, so there is no time limit.
    With auto, ((regex, keys), ...), there is no person: each regex that
    matches the end of the output sends its keys once, and the run stops at
    the deadline (time.monotonic()). Returns False on reaching the deadline."""
    out, seen = sys.stdout.buffer, b""
    stdin = None if auto is not None else sys.stdin.fileno()
    pending = list(auto or ())
    start = last_output = last_note = time.monotonic()
    while proc.poll() is None:
        now = time.monotonic()
        if deadline is not None and now > deadline:
            return False
        # A long silence (GRUB loading a large module, a guest computing) is not a hang:
        # say so, between lines only, so that no output line is cut.
        if now - max(last_output, last_note) > SILENCE_NOTE_S and (not seen or
                                                                    seen.endswith(b"\n")):
            print(f"keelrun: still running, {now - start:.0f} s so far, nothing new for "
                  f"{now - last_output:.0f} s (Bochs runs about 100-200 M instructions/s)",
                  file=sys.stderr)
            last_note = now
        ready, _, _ = select.select([sock] + ([stdin] if stdin is not None else []), [], [],
                                    0.2)
        if stdin is not None and stdin in ready:
            keys = os.read(stdin, 256)
            if keys:
                sock.sendall(keys)
        if sock in ready:
            data = sock.recv(4096)
            if not data:
                return True  # Bochs closed COM1: it has ended
            last_output = time.monotonic()
            out.write(data)
            out.flush()
            seen = (seen + data)[-4096:]
            for pair in list(pending):
                if pair[0].search(seen):
                    sock.sendall(pair[1])
                    pending.remove(pair)
            if END_MARKER.encode() in seen and seen.endswith(b"\n"):
                return True
    return True


def _run_bochs_keys(iso, model, memory, cpus=1, auto=None, deadline_s=None):
    """`make run` under Bochs: COM1 on a socket. At a terminal, the terminal
    in cbreak mode (keys go out as typed, Ctrl-C still stops the run);
    with auto (no terminal), its keys instead, until deadline_s seconds."""
    with tempfile.TemporaryDirectory(prefix="keel-run-") as tmp:
        out_path = os.path.join(tmp, "bochs.out")
        proc, sock = _start_bochs_socket(tmp, iso, model, memory, cpus, out_path,
                                         time.monotonic() + 60)
        if sock is None:
            _stop(proc, 0)
            print("keelrun: no connection to Bochs' COM1 socket:\n" +
                  _read(out_path).decode(errors="replace")[-2000:], file=sys.stderr)
            return 1
        if auto is not None:
            try:
                done = _copy_keys_and_output(proc, sock, auto,
                                             time.monotonic() + (deadline_s or 600))
            finally:
                _stop(proc, 5)
                sock.close()
            if not done:
                print(f"\nkeelrun: no `{END_MARKER}` line after {deadline_s}s: stopped Bochs",
                      file=sys.stderr)
                return 1
            return 0
        return _keys_from_terminal(proc, sock)


def _keys_from_terminal(proc, sock):
    """The person's terminal in cbreak mode on COM1 until Keel ends."""
    import termios
    import tty

    print("keelrun: keys go to Keel's console (Ctrl-A three times: next guest, "
          "then Keel's monitor; Ctrl-C stops)", file=sys.stderr)
    saved = termios.tcgetattr(sys.stdin)
    try:
        tty.setcbreak(sys.stdin.fileno())
        _copy_keys_and_output(proc, sock)
        _stop(proc, 5)
    except KeyboardInterrupt:
        return 130
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)
        proc.kill()
        proc.wait()
        sock.close()
    print()
    return 0


def run_interactive(iso, emulator, model, memory, timeout=600, cpus=1):
    """`make run`, `keel run`: the serial console on this terminal until Keel ends.
    emulator: "auto" (QEMU with KVM where the host nests VT-x, else Bochs), "qemu-kvm"
    or "bochs"."""
    if emulator == "auto":
        emulator = "qemu-kvm" if host_has_nested_vmx() else "bochs"
    if emulator == "qemu-kvm":
        _require("qemu")
        print("keelrun: QEMU with KVM (host has nested VT-x); QEMU's own escape key is "
              "Ctrl-T (Ctrl-T x quits), so Ctrl-A reaches Keel", file=sys.stderr)
        cmd = qemu_cmd(iso, memory, kvm=True) + ["-smp", str(cpus), "-nographic", "-echr", "20"]
        return subprocess.call(cmd)
    _require("bochs")
    print(f"keelrun: Bochs, cpu model {model}, {cpus} CPU(s), {memory} MiB "
          "(no nested VT-x here)", file=sys.stderr)
    return _run_bochs_here(iso, model, memory, timeout, cpus)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot an ISO with the serial console here")
    r.add_argument("--iso", required=True)
    r.add_argument("--emulator", choices=["auto", "bochs", "qemu-kvm"], default="auto")
    r.add_argument("--model", default=DEFAULT_MODEL)
    r.add_argument("--memory", type=int, default=256)
    r.add_argument("--timeout", type=int, default=600)
    b = sub.add_parser("boot", help="boot once and print the serial log")
    b.add_argument("--iso", required=True)
    b.add_argument("--model", default=DEFAULT_MODEL)
    b.add_argument("--memory", type=int, default=256)
    b.add_argument("--timeout", type=int, default=60)
    b.add_argument("--qemu", action="store_true", help="QEMU TCG instead of Bochs")
    b.add_argument("--vga", action="store_true",
                   help="QEMU: read the VGA text screen back (use onexit=halt)")
    b.add_argument("--fb", action="store_true",
                   help="QEMU: read the framebuffer console back (use onexit=halt)")
    b.add_argument("--uefi", action="store_true", help="QEMU: boot with OVMF (UEFI)")
    a = ap.parse_args()
    if a.cmd == "run":
        sys.exit(run_interactive(a.iso, a.emulator, a.model, a.memory, a.timeout))
    if a.fb:
        _require("qemu-uefi" if a.uefi else "qemu")
        run = boot_qemu_fb(a.iso, a.memory, a.timeout, uefi=a.uefi)
    elif a.vga:
        _require("qemu")
        run = boot_qemu_vga(a.iso, a.memory, a.timeout)
    elif a.qemu:
        _require("qemu")
        run = boot_qemu(a.iso, a.memory, a.timeout)
    else:
        _require("bochs")
        run = boot_bochs(a.iso, a.model, a.memory, timeout=a.timeout)
    sys.stdout.write(run.log)
    if run.screen is not None:
        print("--- screen:")
        print("\n".join(run.screen))
    print(f"--- {'TIMEOUT' if run.timed_out else 'ended'} after {run.seconds:.1f}s")
    if run.timed_out:
        print(run.emulator_output[-3000:])


if __name__ == "__main__":
    main()
