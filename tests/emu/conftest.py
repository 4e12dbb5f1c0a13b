"""pytest set-up for the emulator scenarios (tests/emu).

Checks once per session that Keel is built and that the emulators are
installed, failing the whole run with the fix when they are not: a missing
tool must never turn into skipped tests that look green. Fixtures shared by
the scenario files live here; the library itself is keeltest.py.
"""
import os

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


@pytest.fixture(scope="session")
def keel_sections():
    """Addresses of Keel's linker symbols (linker.ld), read from build/keel.elf."""
    return keeltest.elf_symbols(["__image_start", "__image_end", "__text_start",
                                 "__text_end", "__bss_start", "__bss_end"])
