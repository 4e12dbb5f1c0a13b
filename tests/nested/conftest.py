"""pytest set-up for `make test-nested` (tests/nested): the emulator scenarios' library
(tests/emu/keeltest.py) on the path, and the same session checks as tests/emu's: Keel
built and Bochs installed, or the run fails with the fix (never skipped tests)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emu"))

import keeltest  # noqa: E402
import keelrun  # noqa: E402


def pytest_sessionstart(session):
    problems = []
    if not os.path.exists(keeltest.KEEL_ELF):
        problems.append(f"{keeltest.KEEL_ELF} is missing: run `make all` (make test-nested does)")
    need = keelrun.missing_packages("bochs")
    if need:
        problems.append(f"Bochs missing: run `make deps` (apt-get install {' '.join(need)})")
    if problems:
        pytest.exit("tests/nested: " + "; ".join(problems), returncode=3)
    os.makedirs(keeltest.EMU_BUILD, exist_ok=True)
