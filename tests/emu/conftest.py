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


@pytest.fixture(scope="session")
def keel_sections():
    """Addresses of Keel's linker symbols (linker.ld), read from build/keel.elf."""
    return keeltest.elf_symbols(["__image_start", "__image_end", "__text_start",
                                 "__text_end", "__bss_start", "__bss_end"])
