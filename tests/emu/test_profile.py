"""`make profile`'s pure part on hand-written traces, no emulator: Bochs'
trace lines parsed, Keel's addresses named from nm output, each tick
attributed to the guest, the exit or a Keel function with its call stack,
the folded stacks and the flame chart; and every way a profile must fail
loudly instead of printing a table (tests/bench/profile_trace.py, flame.py).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "bench"))

import flame  # noqa: E402
import profile_trace as pt  # noqa: E402

NM = """\
0000000000200000 T __text_start
0000000000200000 t mb2_header
0000000000200100 0000000000000040 T exit_handler
0000000000200140 0000000000000020 T cpuid_handle
0000000000200160 0000000000000010 t helper.isra.0
0000000000200200 T vmx_exit
0000000000200240 t leave
0000000000200300 0000000000000010 T vcpu_load
0000000000200400 T __text_end
0000000000300000 B some_data
"""
GUEST = 0x100000


def line(tick, rip, text, nbytes=1):
    return (f"(0).[{tick}] [0x{rip:012x}] 0008:{rip:016x} (unk. ctxt): {text:<26}; "
            + "90" * nbytes)


def window(body, markers=2):
    """A debugger log: the commands, the first marker, body, the second marker."""
    out = ["Next at t=0", "c"]
    if markers >= 1:
        out += ["(0) Magic breakpoint", "Next at t=1000", "trace on", "Tracing enabled for CPU0",
                "c"]
    out += body
    if markers >= 2:
        out += ["(0) Magic breakpoint", "Next at t=9999", "trace off", "c",
                line(99999, 0x200000, "out dx, al")]
    return out


def one_exit(t0=1000, rep=1, guest_rip=GUEST):
    """Guest: 2 instructions and a CPUID that exits; Keel: the stub calls the
    handler, which calls cpuid_handle (a REP of `rep` ticks), which tail-jumps
    to helper and returns; the stub VMRESUMEs; the guest runs 1 instruction."""
    rows = [(guest_rip, "lfence", 3), (guest_rip + 3, "rdtsc", 2), (guest_rip + 5, "cpuid", 2),
            (0x200200, "push rdi", 1), (0x200201, "call .+10", 5),
            (0x200100, "push rbp", 1), (0x200101, "call .+10", 5),
            (0x200140, "rep stosq", 3), (0x200143, "jmp .+10", 2),
            (0x200160, "ret", 1),
            (0x200106, "pop rbp", 1), (0x200107, "ret", 1),
            (0x200206, "test eax, eax", 2), (0x200208, "vmresume", 3),
            (guest_rip + 7, "lfence", 3)]
    lines, t = [], t0
    for rip, text, size in rows:
        lines.append(line(t, rip, text, size))
        t += rep if text.startswith("rep") else 1
    return lines, t


@pytest.fixture
def syms():
    return pt.Symbols(NM)


def test_parse_trace_reads_the_window_only():
    body, _ = one_exit()
    insns = list(pt.parse_trace(window(body)))
    assert len(insns) == len(body)
    assert (insns[0].tick, insns[0].rip, insns[0].mnemonic, insns[0].size) == (1000, GUEST,
                                                                              "lfence", 3)
    assert insns[-1].rip == GUEST + 7  # nothing after the second marker


@pytest.mark.parametrize("markers,why", [(0, "no magic breakpoint"),
                                         (1, "never reached its end marker")])
def test_parse_trace_fails_without_its_markers(markers, why):
    body, _ = one_exit()
    with pytest.raises(pt.ProfileError, match=why):
        list(pt.parse_trace(window(body, markers)))


def test_parse_trace_fails_on_an_empty_window():
    with pytest.raises(pt.ProfileError, match="empty"):
        list(pt.parse_trace(window(["Tracing disabled for CPU0"])))


def test_symbols_name_functions_and_drop_local_labels(syms):
    assert syms.name(0x200100) == "exit_handler"
    assert syms.name(0x20013f) == "exit_handler"
    assert syms.name(0x200165) == "helper.isra.0"
    assert syms.name(0x200241) == "vmx_exit"  # `leave` is a label inside the stub
    assert syms.name(0x2003ff) == "vcpu_load"  # past its size: the next symbol is far
    assert syms.name(0x200050) is None  # before the first function (mb2_header dropped)
    assert syms.name(GUEST) is None
    assert syms.name(0x200400) is None  # __text_end
    assert syms.address("vmx_exit") == 0x200200


def test_symbols_refuse_what_is_not_nm_output():
    with pytest.raises(pt.ProfileError, match="__text_start"):
        pt.Symbols("hello world\n")


def test_attribute_counts_each_tick_once(syms):
    body, end = one_exit(rep=512)
    p = pt.attribute(pt.parse_trace(window(body)), syms)
    assert (p.exits, p.entries, p.kept) == (1, 1, 1)
    assert p.self_ticks == {pt.EXIT_ROW: 1, "vmx_exit": 4, "exit_handler": 4,
                            "cpuid_handle": 512 + 1, "helper.isra.0": 1}
    assert p.insns["cpuid_handle"] == 2  # the REP is one line and 512 ticks
    assert p.guest_ticks == 2 + 1  # lfence, rdtsc; the last lfence gets 1
    assert p.keel_ticks + p.guest_ticks == end - 1000


def test_attribute_builds_stacks_from_call_and_ret(syms):
    body, _ = one_exit()
    p = pt.attribute(pt.parse_trace(window(body)), syms)
    assert p.stacks == {
        pt.EXIT_ROW: 1,
        "vmx_exit": 4,  # push, call, then test and vmresume after the return
        "vmx_exit;exit_handler": 4,
        "vmx_exit;exit_handler;cpuid_handle": 2,
        "vmx_exit;exit_handler;helper.isra.0": 1,  # a tail call replaces its caller's frame
    }
    assert pt.folded(p, "cpuid").splitlines()[1] == "cpuid;vmx_exit 4"


def test_attribute_follows_the_cpu_not_the_addresses(syms):
    """A guest running at Keel's addresses is still the guest's: only the exit
    stub starts Keel, only a VM entry ends it."""
    body, _ = one_exit(guest_rip=0x200300)
    p = pt.attribute(pt.parse_trace(window(body)), syms)
    assert "vcpu_load" not in p.self_ticks
    assert p.guest_ticks == 3


def test_a_ret_past_the_stub_starts_a_new_root(syms):
    body = [line(1000, GUEST, "nop"), line(1001, 0x200200, "push rdi"),
            line(1002, 0x200240, "ret"), line(1003, 0x200100, "push rbp"),
            line(1004, 0x200101, "vmlaunch", 3), line(1005, GUEST + 1, "nop")]
    p = pt.attribute(pt.parse_trace(window(body)), syms)
    assert p.stacks == {pt.EXIT_ROW: 1, "vmx_exit": 2, "exit_handler": 2}


def test_a_failed_entry_stays_in_keel(syms):
    body = [line(1000, GUEST, "nop"), line(1001, 0x200200, "push rdi"),
            line(1002, 0x200208, "vmresume", 3), line(1003, 0x20020b, "jmp .-100"),
            line(1004, 0x200101, "hlt")]
    p = pt.attribute(pt.parse_trace(window(body)), syms)
    assert p.guest_ticks == 0
    assert p.self_ticks["exit_handler"] == 1


def test_keep_selects_whole_paths(syms):
    """Two exits; only the one whose path has a VMPTRLD is a switch."""
    first, t = one_exit()
    second = [line(t, GUEST + 8, "nop"), line(t + 1, 0x200200, "push rdi"),
              line(t + 2, 0x200300, "vmptrld qword ptr ds:[rax]", 3),
              line(t + 3, 0x200208, "vmresume", 3), line(t + 4, GUEST + 9, "nop")]
    p = pt.attribute(pt.parse_trace(window(first + second)), syms, pt.switches)
    assert (p.exits, p.kept) == (2, 1)
    assert p.self_ticks == {pt.EXIT_ROW: 1, "vmx_exit": 2, "vcpu_load": 1}
    assert p.left_ticks == 12  # the CPUID path: exit 1, stub 4, handler 4, REP 1, jmp 1, ret 1


def test_a_window_without_an_exit_fails(syms):
    body = [line(1000, GUEST, "nop"), line(1001, GUEST + 1, "nop")]
    with pytest.raises(pt.ProfileError, match="no VM exit"):
        pt.attribute(pt.parse_trace(window(body)), syms)


def test_table_sorts_by_ticks_and_divides_by_k(syms):
    lines = []
    t = 1000
    for _ in range(4):
        body, t = one_exit(t0=t, rep=8)
        lines += body
    p = pt.attribute(pt.parse_trace(window(lines)), syms)
    rows = pt.top_rows(p, 4)
    assert [r[0] for r in rows[:2]] == ["cpuid_handle", "exit_handler"]
    fn, ticks, insns, share, incl = rows[0]
    assert (ticks, insns, incl) == (9, 2, 9)
    assert share == pytest.approx(9 / 19)
    assert dict((r[0], r[4]) for r in rows)["vmx_exit"] == 18  # inclusive: all but the exit
    text = pt.table(p, 4)
    assert text.splitlines()[2].startswith("cpuid_handle")
    assert "total (Keel's path)" in text.splitlines()[-1] and " 19 " in text.splitlines()[-1]
    md = pt.table(p, 4, limit=2, md=True).splitlines()
    assert md[2].startswith("| `cpuid_handle` | 9 |")
    assert md[-2].startswith("| (3 more) |")


def test_flame_chart_from_folded_stacks():
    stacks = flame.parse_folded("op;a;b 30\nop;a 10\n\nop;c 60\n")
    assert stacks == {("op", "a", "b"): 30, ("op", "a"): 10, ("op", "c"): 60}
    assert flame.tree(stacks)["op"][0] == 100
    out = flame.svg([("cpuid", stacks, 10)], "title <&>")
    assert out.startswith("<svg") and out.rstrip().endswith("</svg>")
    assert out.count("<rect ") == 1 + 4  # background, op, a, b, c
    assert "cpuid: 10.0 ticks per operation" in out
    assert "title &lt;&amp;&gt;" in out
    assert "<title>c (6.0 ticks/op)</title>" in out


def test_flame_refuses_a_bad_folded_line():
    with pytest.raises(ValueError, match="line 2"):
        flame.parse_folded("a;b 1\na;b x\n")
