#!/usr/bin/env python3
"""Checks the ACPI tables dev/acpi_gen.c builds with ACPICA's iasl.

    acpi_gen_iasl.py DUMP_TOOL WORKDIR

DUMP_TOOL (tests/unit/acpi_gen_dump.c) writes every table of several
configurations under WORKDIR. For each table:

  1. `iasl -d` disassembles it. iasl runs ACPICA's own table checks on the
     way (for the FADT the same register-block checks Linux runs at boot);
     any warning or error it prints, and any complaint it writes into the
     disassembly (an incorrect checksum, an unknown or truncated subtable),
     fails the table.
  2. `iasl -w3 -we` compiles the disassembly back; it must report 0 errors
     and 0 warnings, and give back the same bytes, except the checksum and
     the creator ID and revision, which iasl sets to its own.

iasl cannot read an RSDP from a file, so the RSDP is checked the other
way round: its fields are written as an iasl data-table source, and the
RSDP iasl compiles from it (computing both checksums itself) must be ours
byte for byte.

Prints one line per failure and a summary; exits 1 on any failure.
"""

import pathlib
import re
import shutil
import struct
import subprocess
import sys

# Words iasl uses when it objects to a table, in its messages or in the
# comments it writes into the disassembly.
COMPLAINTS = re.compile(r"warning|error|incorrect|invalid|unknown|\*\*\*\*", re.IGNORECASE)
SUMMARY = re.compile(r"(\d+) Errors, (\d+) Warnings, (\d+) Remarks")
CHECKSUM_OFFSET = 9
CREATOR_FIELDS = range(28, 36)  # creator ID and creator revision
FACS_SIGNATURE = b"FACS"


def run(args, cwd):
    """Runs iasl in cwd; returns its combined output."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr


def iasl_banner_free(output):
    """iasl's output without its banner (which names no problem)."""
    return "\n".join(line for line in output.splitlines()
                     if "Intel ACPI Component Architecture" not in line
                     and "Copyright (c)" not in line
                     and "Compiler/Disassembler version" not in line)


def compile_clean(work, source, remarks):
    """Compiles source in work; returns (problem or None, output bytes)."""
    status, out = run(["iasl", "-w3", "-we", source.name], work)
    summary = SUMMARY.search(out)
    if status != 0 or not summary:
        return f"recompiling failed (status {status}): {iasl_banner_free(out).strip()}", None
    errors, warnings, notes = (int(n) for n in summary.groups())
    remarks.append(notes)
    if errors or warnings:
        return f"recompiling reported {errors} errors, {warnings} warnings: {out.strip()}", None
    return None, source.with_suffix(".aml").read_bytes()


def differences(ours, theirs, masked):
    """Offsets where two tables differ, outside the masked offsets."""
    if len(ours) != len(theirs):
        return [f"length {len(ours)} vs {len(theirs)}"]
    return [f"0x{i:x}: 0x{a:02x} vs 0x{b:02x}"
            for i, (a, b) in enumerate(zip(ours, theirs)) if a != b and i not in masked]


def check_table(path, remarks):
    """Disassembles and recompiles one table; returns a problem or None."""
    work = path.parent / (path.stem + ".iasl")
    work.mkdir()
    shutil.copy(path, work / path.name)
    status, out = run(["iasl", "-d", path.name], work)
    dsl = work / (path.stem + ".dsl")
    if status != 0 or not dsl.exists():
        return f"iasl -d failed (status {status}): {iasl_banner_free(out).strip()}"
    said = [line.strip() for line in iasl_banner_free(out).splitlines()
            if COMPLAINTS.search(line)]
    if said:
        return "iasl -d says: " + " | ".join(said)
    for line in dsl.read_text().splitlines():
        if not line.startswith(" *") and COMPLAINTS.search(line):
            return f"the disassembly says: {line.strip()}"
    problem, rebuilt = compile_clean(work, dsl, remarks)
    if problem:
        return problem
    ours = path.read_bytes()
    masked = set() if ours[:4] == FACS_SIGNATURE else {CHECKSUM_OFFSET, *CREATOR_FIELDS}
    diff = differences(ours, rebuilt, masked)
    if diff:
        return "iasl compiles the disassembly to other bytes: " + ", ".join(diff[:8])
    return None


def check_rsdp(path, remarks):
    """Compiles our RSDP's fields with iasl; returns a problem or None."""
    ours = path.read_bytes()
    if len(ours) != 36:
        return f"RSDP is {len(ours)} bytes, not 36"
    sig, _, oem, rev, rsdt, length, xsdt, _, _ = struct.unpack("<8sB6sBII QB3s", ours)
    source = "\n".join([
        f'[0008] Signature : "{sig.decode("ascii")}"',
        "[0001] Checksum : 00",
        f'[0006] Oem ID : "{oem.decode("ascii")}"',
        f"[0001] Revision : {rev:02X}",
        f"[0004] RSDT Address : {rsdt:08X}",
        f"[0004] Length : {length:08X}",
        f"[0008] XSDT Address : {xsdt:016X}",
        "[0001] Extended Checksum : 00",
        "[0003] Reserved : 000000",
        "",
    ])
    work = path.parent / "rsdp.iasl"
    work.mkdir()
    src = work / "rsdp.asl"
    src.write_text(source)
    problem, rebuilt = compile_clean(work, src, remarks)
    if problem:
        return problem
    diff = differences(ours, rebuilt, set())
    if diff:
        return "iasl builds this RSDP with other bytes: " + ", ".join(diff[:8])
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: acpi_gen_iasl.py DUMP_TOOL WORKDIR")
    tool, top = sys.argv[1], pathlib.Path(sys.argv[2])
    if not shutil.which("iasl"):
        sys.exit("acpi_gen_iasl: iasl not found (Debian package acpica-tools; see make deps)")
    shutil.rmtree(top, ignore_errors=True)
    top.mkdir(parents=True)
    dumped = subprocess.run([tool, str(top)], capture_output=True, text=True, check=False)
    if dumped.returncode != 0:
        sys.exit(f"acpi_gen_iasl: {tool} failed: {dumped.stderr.strip()}")
    failures, remarks, count = [], [], 0
    for path in sorted(top.glob("*/*.dat")):
        check = check_rsdp if path.stem == "rsdp" else check_table
        problem = check(path, remarks)
        count += 1
        if problem:
            failures.append(f"acpi_gen_iasl: {path.parent.name}/{path.name}: {problem}")
    for line in failures:
        print(line)
    configs = len(list(top.glob("*/")))
    verdict = "FAILED" if failures else "ok"
    print(f"acpi_gen_iasl: {count} tables in {configs} configurations through iasl: "
          f"{len(failures)} failed, {sum(remarks)} remarks: {verdict}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
