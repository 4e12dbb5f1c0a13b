"""Issue 3 scenarios: the test guests (tests/guests) run under Keel.

One boot runs the whole suite: Keel creates every guest from its
module2 lines in order and time-slices them; each guest judges itself with PASS/FAIL lines and a
`RESULT pass|fail` line (tests/guests/README.md), and Keel prints a summary
per guest, `keel: guest NAME: ended by HOW status=N, ...`. The guests that
end on purpose by HLT, triple fault and an unhandled #UD sit between others,
so the suite also shows that Keel goes on to the next guest. A second boot
runs the demo `make run` boots, a third gives the args guest a module.
"""
import os
import re

import pytest

from keeltest import (BUILD, EMU_BUILD, FAIL_MARKERS, Scenario, check_markers, guest, report,
                      run)
import mkiso  # noqa: E402 (tests/harness: keeltest puts it on sys.path)

# (name, module string, how Keel must say it ended); run in this order.
SUITE = [
    ("cpuid", "name=cpuid mem=16M", "debug-exit"),
    ("hlt", "name=hlt mem=16M expect=hlt", "hlt"),
    ("io", "name=io mem=16M", "debug-exit"),
    ("triple", "name=triple mem=16M expect=triple-fault", "triple-fault"),
    ("msr", "name=msr mem=16M", "debug-exit"),
    ("vmxon", "name=vmxon mem=16M expect=triple-fault", "triple-fault"),
    ("vmxud", "name=vmxud mem=16M", "debug-exit"),
    ("args", "name=args mem=32M -- alpha beta=2 expect_mem=32M", "debug-exit"),
    ("mb1", "name=mb1 mem=16M -- expect_mem=16M", "debug-exit"),
    ("hypercall", "name=hypercall mem=16M", "hypercall"),
]
SELF_CHECKING = [name for name, _, _ in SUITE if name not in ("hlt", "triple", "vmxon")]
# The guest that ends on purpose, its marker, and the guest that must run after it.
ENDS_ON_PURPOSE = [
    ("hlt", "[hlt] PASS before hlt", "hlt"),
    ("triple", "[triple] PASS before triple fault", "triple-fault"),
    ("vmxon", "[vmxon] PASS before vmxon", "triple-fault"),
]
SUCCESS_STATUS = 1  # debug-exit v=0 and KEEL_HC_EXIT(1): (0 << 1) | 1
ALL_OK_END_STATUS = 0


def _summary_re(name, how, status=None):
    st = str(status) if status is not None else r"-?\d+"
    return re.compile(rf"^keel: guest {re.escape(name)}: ended by {re.escape(how)} status={st},")


def _index(lines, pattern):
    """Index of the first line matching pattern (substring or regex), or None."""
    for i, line in enumerate(lines):
        if (pattern.search(line) if isinstance(pattern, re.Pattern) else pattern in line):
            return i
    return None


def _fail_if(r, problems):
    if problems:
        pytest.fail(report(r, problems), pytrace=False)


@pytest.fixture(scope="module")
def suite():
    """One boot: every test guest in SUITE order."""
    return run(Scenario("guests", modules=tuple((guest(n), m) for n, m, _ in SUITE)))


@pytest.mark.parametrize("name", SELF_CHECKING)
def test_guest_passes(suite, name):
    """The guest's own checks all pass and Keel saw it leave with success."""
    how = next(h for n, _, h in SUITE if n == name)
    problems = check_markers(
        suite, passes=[f"[{name}] RESULT pass", _summary_re(name, how, SUCCESS_STATUS)],
        fails=[f"[{name}] FAIL", f"[{name}] RESULT fail"] + list(FAIL_MARKERS))
    _fail_if(suite, problems)


@pytest.mark.parametrize("name,marker,how", ENDS_ON_PURPOSE)
def test_guest_ends_and_next_runs(suite, name, marker, how):
    """hlt / triple / vmxon: marker, Keel's summary names how, the others run on.

    All guests are resident and time-sliced (issue 5), so "the next guest
    runs" means: some other guest still produced output after this one's
    summary, and every other guest ended normally.
    """
    problems = check_markers(suite, passes=[marker, _summary_re(name, how)],
                             fails=[f"[{name}] FAIL"] + list(FAIL_MARKERS))
    lines = suite.lines()
    ended = _index(lines, _summary_re(name, how))
    later = [line for line in lines[ended + 1:] if line.startswith("[")] if ended is not None else []
    if ended is None or not any(not line.startswith(f"[{name}]") for line in later):
        problems.append(f"no other guest ran after {name} ended")
    _fail_if(suite, problems)


def test_io_string_output(suite):
    """The io guest's REP OUTSB / OUTSB text reaches Keel's console as lines."""
    problems = check_markers(suite, passes=["[io] rep outsb: string I/O reaches the UART",
                                            "[io] rep outsb backwards",
                                            "[io] outsb single: K"])
    _fail_if(suite, problems)


def test_suite_summary(suite):
    """Every guest ran, in order, and Keel's totals and end status agree."""
    total = len(SUITE)
    problems = check_markers(suite, passes=[f"keel: guests ok={total} failed=0"],
                             end_status=ALL_OK_END_STATUS)
    lines = suite.lines()
    starts = [_index(lines, f"keel: guest {n}: starting") for n, _, _ in SUITE]
    if None in starts or starts != sorted(starts):
        problems.append(f"guests did not all start in order: {starts}")
    _fail_if(suite, problems)


def test_demo_guests():
    """What `make run` boots: hello (ELF64) and hello32 (multiboot), both ending well."""
    modules = tuple((os.path.join(BUILD, p), c) for p, c in mkiso.DEMO_MODULES)
    r = run(Scenario("demo", modules=modules))
    problems = check_markers(r, passes=[
        "[hello] Hello from a Keel guest: 64-bit ELF",
        "[hello] hypervisor present: yes, signature \"KeelKeelKeel\"",
        "[hello] hypercall ABI version 0x10000",
        _summary_re("hello", "debug-exit", SUCCESS_STATUS),
        "[hello32] Hello from a Keel guest: 32-bit Multiboot v1 ELF",
        "[hello32] command line: \"hello32\"",
        _summary_re("hello32", "debug-exit", SUCCESS_STATUS),
        f"keel: guests ok={len(modules)} failed=0",
    ], end_status=ALL_OK_END_STATUS)
    _fail_if(r, problems)


ARGS_MODULE_TAG = b"keel-test-module"  # tests/guests/args.c ARGS_MODULE_TAG


def test_args_with_module():
    """A `for=args` module reaches the args guest: placed, tagged, counted."""
    os.makedirs(EMU_BUILD, exist_ok=True)
    blob = os.path.join(EMU_BUILD, "args-module.bin")
    with open(blob, "wb") as f:
        f.write(ARGS_MODULE_TAG + b"\n" + bytes(range(256)) * 40)  # ~10 KiB: spans pages
    r = run(Scenario("guests-args-module", modules=(
        (guest("args"), "name=args mem=32M -- alpha beta=2 expect_mem=32M expect_modules=1"),
        (blob, "for=args note=payload"),
    )))
    problems = check_markers(
        r, passes=["[args] RESULT pass", "[args] PASS module 0 starts with",
                   '[args] module 0 cmdline "for=args note=payload"',
                   _summary_re("args", "debug-exit", SUCCESS_STATUS)],
        fails=["[args] FAIL"] + list(FAIL_MARKERS), end_status=ALL_OK_END_STATUS)
    _fail_if(r, problems)
