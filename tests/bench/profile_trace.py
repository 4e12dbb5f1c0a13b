"""The pure part of `make profile` (tests/bench/profile_run.py): Bochs' instruction
trace in, Keel's functions and call stacks out. No emulator, no files: the
host tests (tests/emu/test_profile.py) run it on hand-written traces.

The trace is what Bochs' debugger prints with `trace on`, one line per
executed instruction, between two magic breakpoints (XCHG BX,BX) the bench
guest runs around its k operations:

  (0).[282943707] [0x00000fd00258] 0008:0000000000100258 (unk. ctxt): cpuid   ; 0fa2
       TSC tick      physical          CS:linear address               text      bytes

With clock sync=none the tick in brackets counts instructions (one per
REP iteration, one for the instruction that exits), so the ticks an
instruction costs are the next line's tick less its own.

Who runs each line is followed as the CPU goes, not guessed from addresses
(a guest may run at the same linear addresses as Keel): the window starts
in the guest; a line at Keel's VM-exit entry (the VMCS host RIP, `vmx_exit`)
starts Keel; the line after a VMLAUNCH or VMRESUME is the guest's again
(unless it is the instruction after the VMRESUME: the entry failed).

Each exit's path (its tick, Keel's code, the VM entry) is kept or left
out as a whole: a caller may keep only the paths that switch guests.

Call stacks are a shadow stack of Keel's CALL and RET (IRET too), reset to
the exit stub at each exit; the top frame is the function of the current
RIP (a tail call replaces it). A RET past the stub's frame (a switch: the
stub returns to the scheduler, which enters another guest) starts a new
root at the function returned to.
"""
import re

TRACE_RE = re.compile(
    r"^\(\d+\)\.\[(?P<tick>\d+)\] \[0x[0-9a-f]+\] [0-9a-f]{4}:(?P<rip>[0-9a-f]+) "
    r"\(.*?\): (?P<text>.*?)\s*; (?P<bytes>[0-9a-f]+)\s*$")
MARKER = "Magic breakpoint"
EXIT_ENTRY = "vmx_exit"  # Keel's VM-exit stub (vmx/entry.S), the VMCS host RIP
EXIT_ROW = "(VM exit)"  # the tick of the guest instruction that exits
GUEST_ROW = "(guest)"


class ProfileError(Exception):
    """Why a profile cannot be trusted (one line)."""


class Insn:
    __slots__ = ("tick", "rip", "text", "size")

    def __init__(self, tick, rip, text, size):
        self.tick, self.rip, self.text, self.size = tick, rip, text, size

    @property
    def mnemonic(self):
        return self.text.split(" ", 1)[0]


def parse_trace(lines):
    """The instructions traced between the first two magic breakpoints, as they
    come (a generator: a trace can hold millions of lines).

    Raises ProfileError, once the lines are read, when a marker is missing or
    the window holds no instruction: a profile that measured nothing must not
    print a table."""
    markers, count = 0, 0
    for line in lines:
        if MARKER in line:
            markers += 1
            if markers == 2:
                break
            continue
        if markers != 1:
            continue
        m = TRACE_RE.match(line)
        if m:
            count += 1
            yield Insn(int(m.group("tick")), int(m.group("rip"), 16), m.group("text"),
                       len(m.group("bytes")) // 2)
    if markers == 0:
        raise ProfileError("no magic breakpoint in the trace: the guest never reached its first "
                           "marker")
    if markers == 1:
        raise ProfileError("only one magic breakpoint in the trace: the guest never reached "
                           "its end marker")
    if not count:
        raise ProfileError("the trace between the markers is empty (was `trace on` given?)")


def _pairs(insns):
    """(instruction, the next one or None) for each instruction."""
    prev = None
    for insn in insns:
        if prev is not None:
            yield prev, insn
        prev = insn
    if prev is not None:
        yield prev, None


class Symbols:
    """Keel's functions from `nm -n -S` output: an address to its name.

    Sized symbols are C functions; an unsized global is an assembly entry
    (vmx_exit) and runs to the next symbol; unsized local labels inside
    assembly (leave, out, fail) belong to the entry before them."""

    def __init__(self, nm_text):
        starts = []
        self.text_start = self.text_end = None
        for line in nm_text.splitlines():
            f = line.split()
            if len(f) == 4:
                addr, size, kind, name = int(f[0], 16), int(f[1], 16), f[2], f[3]
            elif len(f) == 3:
                addr, size, kind, name = int(f[0], 16), None, f[1], f[2]
            else:
                continue
            if name == "__text_start":
                self.text_start = addr
            elif name == "__text_end":
                self.text_end = addr
            if kind not in "tT" or name.startswith("__"):
                continue
            if size is None and kind == "t":
                continue
            starts.append((addr, name))
        if self.text_start is None or self.text_end is None or not starts:
            raise ProfileError("nm output has no __text_start/__text_end or no functions: "
                               "is it `nm -n -S build/keel.elf`?")
        starts.sort()
        self._addrs = [a for a, _ in starts]
        self._names = [n for _, n in starts]
        self.by_name = {n: a for a, n in starts}

    def name(self, rip):
        """The function holding rip, or None outside Keel's text."""
        if not self.text_start <= rip < self.text_end or rip < self._addrs[0]:
            return None
        lo, hi = 0, len(self._addrs)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._addrs[mid] <= rip:
                lo = mid
            else:
                hi = mid
        return self._names[lo]

    def address(self, name):
        if name not in self.by_name:
            raise ProfileError(f"Keel has no symbol {name}")
        return self.by_name[name]


class Profile:
    """Ticks per function, per folded stack, and the window's counts."""

    def __init__(self):
        self.self_ticks = {}  # function (or EXIT_ROW) -> ticks in Keel's path
        self.insns = {}  # function -> instructions (trace lines)
        self.stacks = {}  # "f1;f2;f3" -> ticks
        self.guest_ticks = 0
        self.guest_insns = 0
        self.exits = 0  # VM exits in the window
        self.entries = 0  # VM entries in the window
        self.kept = 0  # exits whose path (to the next entry) the profile holds
        self.left_ticks = 0  # Keel's ticks on the paths left out

    @property
    def keel_ticks(self):
        return sum(self.self_ticks.values())

    def add(self, fn, stack, ticks):
        self.self_ticks[fn] = self.self_ticks.get(fn, 0) + ticks
        self.insns[fn] = self.insns.get(fn, 0) + 1
        key = ";".join(stack)
        self.stacks[key] = self.stacks.get(key, 0) + ticks

    def merge(self, other):
        for mine, theirs in ((self.self_ticks, other.self_ticks), (self.insns, other.insns),
                             (self.stacks, other.stacks)):
            for key, v in theirs.items():
                mine[key] = mine.get(key, 0) + v


ENTRY_MNEMONICS = ("vmresume", "vmlaunch")
CALL_MNEMONICS = ("call",)
RET_MNEMONICS = ("ret", "retn", "iret", "iretq", "iretd")


def every_path(mnemonics):
    """attribute()'s default: every exit's path counts."""
    return True


def switches(mnemonics):
    """A path that loads another VMCS (VMPTRLD): a guest switch."""
    return "vmptrld" in mnemonics


def attribute(insns, syms, keep=every_path):
    """Walks the window (any iterable of Insn, such as parse_trace's): each
    line's ticks to the guest or to a Keel function, with its shadow call
    stack. A path is one exit's: from the exiting instruction's tick to the
    VM entry; keep(set of its mnemonics) says whether the profile holds it
    (the rest is only counted). Raises ProfileError when Keel's exit stub is
    never reached."""
    exit_rip = syms.address(EXIT_ENTRY)
    p, path, seen = Profile(), None, set()
    in_keel, stack, entered_from, count = False, [], None, 0

    def close():
        if keep(seen):
            p.merge(path)
            p.kept += 1
        else:
            p.left_ticks += path.keel_ticks

    for insn, nxt in _pairs(insns):
        count += 1
        ticks = nxt.tick - insn.tick if nxt is not None else 1
        if insn.rip == exit_rip:
            in_keel, stack = True, []
            p.exits += 1
        elif entered_from is not None:
            # The line after VMLAUNCH/VMRESUME: the guest's, unless the entry failed.
            in_keel = insn.rip == entered_from
            if not in_keel:
                close()
                path = None
        entered_from = None
        if not in_keel:
            if nxt is not None and nxt.rip == exit_rip:
                path, seen = Profile(), set()
                path.add(EXIT_ROW, [EXIT_ROW], ticks)  # the exiting instruction's tick
            else:
                p.guest_ticks += ticks
                p.guest_insns += 1
            continue
        if path is None:  # the window began inside Keel
            path, seen = Profile(), set()
        fn = syms.name(insn.rip) or f"0x{insn.rip:x}"
        if stack:
            stack[-1] = fn
        else:
            stack = [fn]
        path.add(fn, stack, ticks)
        m = insn.mnemonic
        seen.add(m)
        if m in CALL_MNEMONICS:
            stack.append(None)  # filled by the callee's first line
        elif m in RET_MNEMONICS:
            stack.pop()
        elif m in ENTRY_MNEMONICS:
            p.entries += 1
            entered_from = insn.rip + insn.size
    if path is not None:
        close()
    if p.exits == 0:
        raise ProfileError(f"no VM exit in the traced window ({count} instructions): "
                           f"Keel's {EXIT_ENTRY} never ran")
    return p


def top_rows(p, k):
    """[(function, ticks per op, instructions per op, share of the path, inclusive
    ticks per op)], most ticks first; k is the number of operations."""
    total = p.keel_ticks
    incl = {}
    for key, ticks in p.stacks.items():
        for fn in set(key.split(";")):
            incl[fn] = incl.get(fn, 0) + ticks
    rows = [(fn, t / k, p.insns[fn] / k, t / total if total else 0.0, incl.get(fn, t) / k)
            for fn, t in p.self_ticks.items()]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows


def _num(v):
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def table(p, k, limit=None, md=False):
    """The table as text (or Markdown): function, ticks per op, instructions per
    op, share, inclusive ticks per op; then the total."""
    rows = top_rows(p, k)
    shown = rows[:limit] if limit else rows
    head = ["Keel function", "ticks/op", "insns/op", "share", "incl./op"]
    cells = [[fn, _num(t), _num(i), f"{s * 100:.1f}%", _num(c)] for fn, t, i, s, c in shown]
    if limit and len(rows) > limit:
        rest = rows[limit:]
        cells.append([f"({len(rest)} more)", _num(sum(r[1] for r in rest)),
                      _num(sum(r[2] for r in rest)), f"{sum(r[3] for r in rest) * 100:.1f}%", ""])
    cells.append(["total (Keel's path)", _num(p.keel_ticks / k),
                  _num(sum(p.insns.values()) / k), "100.0%", ""])
    if md:
        out = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|"]
        out += ["| " + " | ".join(c if i else f"`{c}`" if not c.startswith(("(", "total"))
                                  else c for i, c in enumerate(row)) + " |" for row in cells]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in cells + [head]) for i in range(len(head))]
    out = ["  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i])
                     for i, h in enumerate(head))]
    out.append("  ".join("-" * w for w in widths))
    for row in cells:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                             for i, c in enumerate(row)))
    return "\n".join(out)


def folded(p, root):
    """Folded stacks (`root;f1;f2 ticks` per line, sorted), the input of flame charts."""
    return "".join(f"{root};{key} {ticks}\n" for key, ticks in sorted(p.stacks.items()))
