#!/usr/bin/env python3
"""Every mutable global says at its definition who owns it (`make lint`).

CONTRIBUTING.md, Time and shared state: every mutable global says whether it
belongs to one CPU or is shared, and what protects a shared one. The
convention (docs/architecture.md, The other CPUs, Globals) is a comment that
starts with one of

    /* Per-CPU: ...                    indexed by CPU, or one CPU's code path only
    /* Shared, write-once at boot: ... written by the boot CPU before any
                                       other CPU reads it, read-only after
    /* Shared, boot CPU only: ...      only the boot CPU touches it today;
                                       says what it needs later
    /* Shared, atomic: ...
    /* Shared, lock NAME: ...

(or a block comment whose first line after `/*` is ` * <prefix>`), on the
definition's line or within the 3 lines above it. Definitions on consecutive
lines form a run that one comment above the run's first line covers; a
definition that ends a multi-line `static struct { ... } name;` starts at
its `{` line.

The globals are read from the built image, not guessed from the sources:
`nm -S -l` lists the symbols of type b/B/d/D (function-scope statics carry a
`.N` suffix) and, from the debug information, the file and line of each C
definition. The debug information, not a grep, places a symbol, because
static names repeat across files (`done`, `r`, `m`, `pool`, `ready`).
Assembler data has no such line: its label is looked up in the .S files
under Keel's folders, and its comment follows the same convention. What is
no variable at all (linker-script boundaries, end labels) is in ALLOWED
below, each with its reason; an entry the image no longer has is reported.

Prints one line per offender (file:line: symbol: what is wrong) and exits 1;
prints a one-line count per class and exits 0 when every global is stated.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEEL_DIRS = ("boot", "arch/x86", "mm", "vmx", "vm", "dev", "lib")

# Symbols of type b/B/d/D that are no variable: nothing to say about them.
ALLOWED = {
    "__data_start": "linker.ld: start of .data, a boundary, no storage",
    "__bss_start": "linker.ld: start of .bss, a boundary, no storage",
    "__bss_end": "linker.ld: end of .bss, a boundary, no storage",
    "__data_end": "linker.ld: end of the writable sections, a boundary",
    "__image_end": "linker.ld: end of Keel's image, a boundary",
    "boot_gdt_end": "boot/entry.S: end label of boot_gdt, no storage of its own",
    "boot_stack_top": "boot/entry.S: end label of boot_stack, no storage of its own",
}

CLASSES = (
    "Per-CPU",
    "Shared, write-once at boot",
    "Shared, boot CPU only",
    "Shared, atomic",
    "Shared, lock",
)
PREFIX = (
    r"(Per-CPU|Shared, write-once at boot|Shared, boot CPU only|Shared, atomic"
    r"|Shared, lock [A-Za-z_][A-Za-z0-9_]*):"
)
TAG_OPEN = re.compile(r"/\*\s*" + PREFIX)  # /* Prefix: ...
TAG_BLOCK = re.compile(r"^\s*\*\s*" + PREFIX)  # /*  then  * Prefix: ...


def nm_symbols(nm, elf):
    """(name, path or None, line or None, has_size) for each b/B/d/D symbol."""
    out = subprocess.run(
        [nm, "-S", "-l", "--defined-only", elf],
        check=True, capture_output=True, text=True).stdout
    syms = []
    for row in out.splitlines():
        head, _, loc = row.partition("\t")
        f = head.split()
        if len(f) == 4:
            _, _, kind, name = f
            sized = True
        elif len(f) == 3:
            _, kind, name = f
            sized = False
        else:
            continue
        if kind not in "bBdD":
            continue
        path, line = None, None
        m = re.match(r"(.*):(\d+)$", loc.strip())
        if m:
            path, line = m.group(1), int(m.group(2))
        syms.append((name, path, line, sized))
    return syms


def relative(path):
    """path relative to the repository, or None if it is not in it."""
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(ROOT, path))
    rel = os.path.relpath(full, ROOT)
    if rel.startswith("..") or not os.path.isfile(full):
        return None
    return rel


_sources = {}


def source(rel):
    if rel not in _sources:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            _sources[rel] = f.read().split("\n")
    return _sources[rel]


def asm_label(name):
    """(file, line) of `name:` in a .S file under Keel's folders, or None."""
    pat = re.compile(r"^\s*" + re.escape(name) + r"\s*:")
    hits = []
    for d in KEEL_DIRS:
        for fn in sorted(os.listdir(os.path.join(ROOT, d))):
            if fn.endswith(".S"):
                rel = os.path.join(d, fn)
                for i, text in enumerate(source(rel), 1):
                    if pat.match(text):
                        hits.append((rel, i))
    return hits[0] if len(hits) == 1 else None


def tag_on(lines, i):
    """The convention's class on line i (1-based), or None."""
    text = lines[i - 1]
    m = TAG_OPEN.search(text)
    if not m and i > 1 and lines[i - 2].strip() == "/*":
        m = TAG_BLOCK.match(text)
    if not m:
        return None
    return "Shared, lock" if m.group(1).startswith("Shared, lock") else m.group(1)


def statement_start(lines, i):
    """A definition whose line begins with `}` starts at its matching `{`."""
    if not lines[i - 1].lstrip().startswith("}"):
        return i
    depth = 0
    for j in range(i, 0, -1):
        depth += lines[j - 1].count("}") - lines[j - 1].count("{")
        if depth <= 0:
            return j
    return i


def stated_class(rel, line, def_lines):
    """The class stated for the definition at rel:line, or None."""
    lines = source(rel)
    start = statement_start(lines, line)
    while start - 1 in def_lines:
        start = statement_start(lines, start - 1)
    for i in range(line, max(start - 3, 1) - 1, -1):
        c = tag_on(lines, i)
        if c:
            return c
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", default=os.path.join(ROOT, "build", "keel.elf"))
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--list", action="store_true", help="print every global and its class")
    args = ap.parse_args()

    if not os.path.isfile(args.elf):
        print(f"globals_check: {args.elf} not found (run make first)")
        return 1
    offenders, found, allowed_seen = [], [], set()
    for name, path, line, sized in nm_symbols(args.nm, args.elf):
        if name in ALLOWED:
            allowed_seen.add(name)
            continue
        base = re.sub(r"\.\d+$", "", name)
        where = None
        if sized and path:
            rel = relative(path)
            if rel and 0 < line <= len(source(rel)) and re.search(
                    r"\b" + re.escape(base) + r"\b", source(rel)[line - 1]):
                where = (rel, line)
        if not where:
            where = asm_label(name)
        if not where:
            offenders.append(f"{os.path.relpath(args.elf)}: {name}: no definition found in "
                             f"Keel's sources (image older than them? no variable: ALLOWED)")
            continue
        found.append((name, where[0], where[1]))

    def_lines = {}
    for _, rel, line in found:
        def_lines.setdefault(rel, set()).add(line)
    counts = dict.fromkeys(CLASSES, 0)
    for name, rel, line in sorted(found, key=lambda s: (s[1], s[2], s[0])):
        c = stated_class(rel, line, def_lines[rel])
        if not c:
            offenders.append(f"{rel}:{line}: {name}: says neither Per-CPU nor Shared at its "
                             f"definition (docs/architecture.md, Globals)")
            continue
        counts[c] += 1
        if args.list:
            print(f"{rel}:{line}: {name}: {c}")
    for name in sorted(set(ALLOWED) - allowed_seen):
        offenders.append(f"{os.path.relpath(__file__, ROOT)}: {name}: allowed, but not in "
                         f"{args.elf}: drop it from ALLOWED")

    if offenders:
        print("\n".join(offenders))
        print(f"globals_check: {len(offenders)} of {len(found)} globals "
              f"not stated")
        return 1
    print(f"globals_check: {len(found)} stated (" +
          "; ".join(f"{c} {n}" for c, n in counts.items()) +
          f"), {len(allowed_seen)} allowed as no variable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
