"""pytest set-up for the emulator scenarios (tests/emu).

Checks once per session that Keel is built and that the emulators are
installed, failing the whole run with the fix when they are not: a missing
tool must never turn into skipped tests that look green. Fixtures shared by
the scenario files live here; the library itself is keeltest.py.
"""
import os
import subprocess
import sys
import time

import pytest

import keeltest
import keelrun


def pytest_sessionstart(session):
    problems = []
    if not os.path.exists(keeltest.KEEL_ELF):
        problems.append(f"{keeltest.KEEL_ELF} is missing: run `make all` (make emu does)")
    need = keelrun.missing_packages("bochs") + keelrun.missing_packages("qemu")
    if need:
        problems.append(f"emulators missing: run `make deps` (apt-get install {' '.join(need)})")
    if problems:
        pytest.exit("tests/emu: " + "; ".join(problems), returncode=3)
    os.makedirs(keeltest.EMU_BUILD, exist_ok=True)


def _is_linux(item):
    return os.path.basename(str(item.fspath)) == "test_linux.py"


def pytest_collection_modifyitems(session, config, items):
    """test_linux.py's tests go last: their boots run in the background meanwhile
    (pytest_collection_finish), and each of its tests waits for them."""
    items.sort(key=_is_linux)


def pytest_collection_finish(session):
    """The Linux boots (tests/emu/test_linux.py) take most of the suite's time on one
    emulator each: when they run with other scenarios, they start at once in the
    background and the others run beside them, every timeout doubled (keeltest.py)."""
    linux = [i for i in session.items if _is_linux(i)]
    if linux and len(linux) < len(session.items) and not session.config.option.collectonly:
        keeltest.TIMEOUT_SCALE *= 2
        linux[0].module.start_boots()


# The second model (KEEL_SECOND_MODEL=corei7_sandy_bridge_2600k, set by CI): once
# every other scenario has run and only test_linux.py's are left, whose boots are
# still going in the background, the suite but the Linux and screen scenarios
# (test_screen.py: QEMU only, no Bochs model) and SECOND_MODEL_SKIP runs again on
# that model in a second pytest process, in the time the session would otherwise
# spend waiting. Its files go to build/emu-MODEL; its summary and status join this
# session's.
SECOND_MODEL = os.environ.get("KEEL_SECOND_MODEL", "")
# Files the second run leaves out: what they judge does not depend on the CPU model
# (the boot report and fault reports, `tools/keel`, ACPI power-off and resets, the
# console's keys). Every path that does (the APIC virtualized or emulated, EPT A/D and
# PML, the VMX capabilities, interrupts, SMP) stays in it.
SECOND_MODEL_SKIP = ("test_boot.py", "test_keel_tool.py", "test_power.py",
                     "test_console_input.py")
SECOND_TIMEOUT = 1800  # seconds the session waits for the second run at its end
_second = {}


def _second_dir():
    return os.path.join(keeltest.BUILD, f"emu-{SECOND_MODEL}")


def pytest_runtest_setup(item):
    if not SECOND_MODEL or _second or not _is_linux(item) or os.environ.get("KEEL_SECOND_RUN"):
        return
    out = _second_dir()
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, KEEL_MODEL=SECOND_MODEL, KEEL_EMU_BUILD=out, KEEL_SECOND_RUN="1",
               KEEL_TIMEOUT_SCALE=str(keeltest.TIMEOUT_SCALE))
    log = open(os.path.join(out, "pytest.log"), "w", encoding="utf-8")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", here,
           "--ignore", os.path.join(here, "test_linux.py"),
           "--ignore", os.path.join(here, "test_screen.py"),
           *[a for f in SECOND_MODEL_SKIP for a in ("--ignore", os.path.join(here, f))],
           "--junitxml", os.path.join(out, "junit.xml")]
    _second.update(proc=subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env),
                   log=log, start=time.monotonic())


def pytest_sessionfinish(session, exitstatus):
    if not _second:
        return
    proc = _second["proc"]
    try:
        rc = proc.wait(timeout=max(1.0, SECOND_TIMEOUT - (time.monotonic() - _second["start"])))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
        print(f"\nsecond model {SECOND_MODEL}: killed after {SECOND_TIMEOUT} s")
    _second["log"].close()
    with open(os.path.join(_second_dir(), "pytest.log"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    print(f"\nsecond model {SECOND_MODEL} ({_second_dir()}/pytest.log), status {rc}, "
          f"{time.monotonic() - _second['start']:.0f} s:")
    print("\n".join(lines[-15:] if rc else lines[-1:]))
    if rc != 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def keel_sections():
    """Addresses of Keel's linker symbols (linker.ld), read from build/keel.elf."""
    return keeltest.elf_symbols(["__image_start", "__image_end", "__text_start",
                                 "__text_end", "__bss_start", "__bss_end"])
