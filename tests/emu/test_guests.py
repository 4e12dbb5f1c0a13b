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
import struct

import pytest

from keeltest import (BUILD, EMU_BUILD, FAIL_MARKERS, Scenario, check_markers, elf_symbols, guest,
                      report, run)
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


# --- images below 1 MiB (issue 15) ---

def _elf(path, cls64, paddr, memsz, code, multiboot=False):
    """A minimal ELF executable: one PT_LOAD segment at paddr (its code, then zeros to memsz),
    entered at paddr. ELF32 ones carry a multiboot header (flags 0) in their first bytes."""
    ehsize, phsize = (64, 56) if cls64 else (52, 32)
    off = 0x1000
    if multiboot:
        code = struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xFFFFFFFF) + code
        entry = paddr + 12
    else:
        entry = paddr
    ident = b"\x7fELF" + bytes([2 if cls64 else 1, 1, 1]) + bytes(9)
    if cls64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, ehsize, 0, 0, ehsize, phsize,
                                 1, 0, 0, 0)
        ph = struct.pack("<IIQQQQQQ", 1, 7, off, paddr, paddr, len(code), memsz, 0x1000)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, ehsize, 0, 0, ehsize, phsize,
                                 1, 0, 0, 0)
        ph = struct.pack("<IIIIIIII", 1, off, paddr, paddr, len(code), memsz, 7, 0x1000)
    img = (eh + ph).ljust(off, b"\0") + code
    os.makedirs(EMU_BUILD, exist_ok=True)
    with open(path, "wb") as f:
        f.write(img)
    return path


# mov al, 0; out 0xF4, al (debug-exit v = 0: status 1); hlt
EXIT_OK = bytes([0xB0, 0x00, 0xE6, 0xF4, 0xF4])
LOW_MODULE = "for=mb1low tag=low"
LOW_MODULE_BYTES = b"mb1low module\n" * 100  # 1400 bytes, copied to 1 MiB
MB1_INFO_FIXED = 88 + 24  # struct multiboot1_info, one memory map entry (vm/loader.c)


def _low_scenario():
    low64 = _elf(os.path.join(EMU_BUILD, "low64.elf"), True, 0x20000, 0x1000, EXIT_OK)
    on_pt = _elf(os.path.join(EMU_BUILD, "low64-pt.elf"), True, 0x8000, 0x1000, EXIT_OK)
    full = _elf(os.path.join(EMU_BUILD, "mb1full.elf"), False, 0, 16 << 20, EXIT_OK,
                multiboot=True)
    blob = os.path.join(EMU_BUILD, "mb1low-module.bin")
    with open(blob, "wb") as f:
        f.write(LOW_MODULE_BYTES)
    modules = (
        (guest("mb1low"), "name=mb1low mem=16M -- expect_mem=16M"),
        (blob, LOW_MODULE),
        (low64, "name=low64 mem=16M"),
        (on_pt, "name=onpt mem=16M"),
        (full, "name=mb1full mem=16M"),
        (guest("mb1"), "name=mb1 mem=16M -- expect_mem=16M"),
    )
    info = MB1_INFO_FIXED + len("mb1full") + 1 + len("Keel") + 1
    refused = [
        "keel: guest onpt: image rejected: segment 0 [0x8000, 0x9000) overlaps Keel's page "
        "tables at [0x5000, 0xb000)",
        f"keel: guest mb1full: image rejected: multiboot information ({info} bytes) fits "
        "nowhere in [0x1000, 0x1000000): the image's segments and its modules fill it",
    ]
    return Scenario("guests-low", modules=modules), refused


def test_images_below_1m():
    """mb1low at 0x8000 (its scratch at 0x1000) gets its multiboot information above its image,
    its module above 1 MiB, and goes to real mode and back; an ELF64 image at 0x20000 runs; an
    ELF64 segment on Keel's page tables and a multiboot image filling RAM are refused, each
    with its one named line; mb1 above 1 MiB still finds its information at 0x1000."""
    sc, refused = _low_scenario()
    r = run(sc)
    problems = check_markers(r, passes=refused + [
        "[mb1low] RESULT pass",
        "[mb1low] PASS EBX is the first free page at or above 0x1000: the image's end",
        "[mb1low] PASS real mode: the flags read at (EBX >> 4):(EBX & 15)",
        f'[mb1low] module [0x100000, {0x100000 + len(LOW_MODULE_BYTES):#x}), its string '
        f'{len(LOW_MODULE)} bytes: "{LOW_MODULE}"',
        _summary_re("mb1low", "debug-exit", SUCCESS_STATUS),
        _summary_re("low64", "debug-exit", SUCCESS_STATUS),
        "[mb1] PASS EBX is KEEL_GUEST_BOOT_INFO_GPA",
        _summary_re("mb1", "debug-exit", SUCCESS_STATUS),
        "keel: guests ok=3 failed=2",
    ], fails=["[mb1low] FAIL", "[mb1] FAIL"] + list(FAIL_MARKERS), end_status=1)
    end = elf_symbols(["__image_end"], guest("mb1low"))["__image_end"]
    at = re.search(r"multiboot information at (0x[0-9a-f]+)", r.log)
    if not at or int(at.group(1), 16) != end:
        problems.append(f"mb1low's information: {at and at.group(0)}, want {end:#x} "
                        "(its image's end, __image_end)")
    for line in refused:
        name = line.split()[2].rstrip(":")
        if not any(x.startswith(f"keel: guest {name}: ended by error") for x in r.lines()):
            problems.append(f"guest {name}: no `ended by error` summary")
    _fail_if(r, problems)


# --- names of 63 characters and module strings of 4 KiB (issue 15) ---

LONG_NAME = "n" * 62 + "x"  # 63 characters: the longest name
STRING_MAX = 4095  # bytes in a module string, its NUL not counted


def _padded(prefix, length):
    """prefix, then one pad= word making the string exactly length bytes."""
    return prefix + " pad=" + "p" * (length - len(prefix) - len(" pad="))


def test_longest_names_and_strings():
    """A guest named with 63 characters runs and is named in full in each of Keel's lines; mb1low
    with a module string and a for= line of 4095 bytes each sees both whole; a guest line and a
    for= line of 4096 bytes are refused, each with its one named line; an ELF64 guest whose
    command line and two module strings of 4 KiB overflow its fixed 11 KiB of boot information
    is refused by name; the rest run."""
    blob = os.path.join(EMU_BUILD, "mb1low-module.bin")
    with open(blob, "wb") as f:
        f.write(LOW_MODULE_BYTES)
    low = _padded("name=mb1low mem=16M -- expect_mem=16M", STRING_MAX)
    low_for = _padded("for=mb1low tag=long", STRING_MAX)
    too_long = _padded("name=big -- x", STRING_MAX + 1)
    for_too_long = _padded("for=mb1low", STRING_MAX + 1)
    bi64 = _padded("name=bi64 mem=16M -- x", STRING_MAX)
    bi64_for = _padded("for=bi64", STRING_MAX)
    modules = ((guest("cpuid"), f"name={LONG_NAME} mem=16M"), (guest("mb1low"), low),
               (blob, low_for), (guest("cpuid"), too_long), (blob, for_too_long),
               (guest("cpuid"), bi64), (blob, bi64_for), (blob, bi64_for))
    r = run(Scenario("guests-limits", modules=modules))
    cmdline_len = len("mb1low ") + len(low) - len("name=mb1low mem=16M -- ")  # "NAME ARGS"
    # "NAME ARGS" and each module's string, with their NULs (vm/loader.c strings_size).
    bi64_strings = len("bi64 ") + len(bi64) - len("name=bi64 mem=16M -- ") + 1 + 2 * (STRING_MAX + 1)
    problems = check_markers(r, passes=[
        f"[{LONG_NAME}] RESULT pass",
        f"keel: guest {LONG_NAME}: starting, mem=16 MiB",
        _summary_re(LONG_NAME, "debug-exit", SUCCESS_STATUS),
        f"keel: guest {LONG_NAME}: frames held ",
        f"[mb1low] PASS cmdline ({cmdline_len} bytes) starts with the name",
        f'[mb1low] module [0x100000, {0x100000 + len(LOW_MODULE_BYTES):#x}), its string '
        f'{STRING_MAX} bytes: "{low_for[:40]}"',
        "[mb1low] RESULT pass",
        f"keel: guest 3 ('{too_long[:96]}...'): module string is {STRING_MAX + 1} bytes, at most "
        f"{STRING_MAX}",
        f"keel: module 4: for=mb1low: module string is {STRING_MAX + 1} bytes, at most "
        f"{STRING_MAX}",
        f"keel: guest bi64: image rejected: boot information: its strings ({bi64_strings} bytes: "
        "the command line and 2 module lines) do not fit [0x1400, 0x4000)",
        "keel: guests ok=2 failed=3",
    ], fails=["[mb1low] FAIL"] + list(FAIL_MARKERS), end_status=1)
    _fail_if(r, problems)
