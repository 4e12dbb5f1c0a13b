#!/usr/bin/env python3
"""`make profile OP=...`: where Keel's ticks go on one path, function by function.

Boots the bench guest (tests/guests/bench.c, run=profile) under Bochs
(corei7_skylake_x, clock sync=none: one TSC tick per instruction) with
Bochs' magic breakpoint on. The guest runs a few warm-up operations, then
XCHG BX,BX, k operations, XCHG BX,BX again. Bochs' debugger (its -rc file)
continues to the first marker, turns `trace on`, continues to the second,
turns it off and lets the run end. The trace (Bochs' -dbglog) is read by
profile_trace.py: every line in Keel's code to its function (`nm -n -S
build/keel.elf`) with a shadow call stack, the rest to the guest.

  profile_run.py OP [--k N] [--out DIR]     OP: cpuid, vmcall, io-in, io-out, io-pic, touch4k, switch

Prints the table (Keel function, ticks and instructions per operation,
share of the path, inclusive ticks), the check against the guest's own
figure for the same k operations, and writes to build/profile/OP/:
table.txt, table.md, folded.txt (folded stacks), flame.svg and serial.log;
with --keep-trace also the trace (trace.log: the switch's is about 200 MB). `--all` profiles every OP into build/profile/ and
writes one chart of them all (profile.svg); `--docs` with --all copies it
to docs/profile.svg and the tables into docs/benchmarks.md.

The checks: a profile fails (exit 1, one line) when a marker or the trace is
missing, Keel's run did not end cleanly, the window holds another number of
VM exits than operations, or Keel's ticks in the window differ from the sum
of the guest's own RDTSC samples of the same operations (its BENCH line):
the two measure the same thing, so they must agree to the tick.
"""
import argparse
import dataclasses
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import flame  # noqa: E402
import profile_trace as pt  # noqa: E402
import run as bench  # noqa: E402  (tests/bench/run.py: paths, judge, BENCH lines)

keelrun, mkiso = bench.keelrun, bench.mkiso
RC = "c\ntrace on\nc\ntrace off\nc\n"
SWITCH_SLICE = bench.SWITCH_SLICE


@dataclasses.dataclass
class Op:
    name: str
    what: str
    cmdline: str
    modules: list  # guest module lines, {k} filled in
    k: int  # default operations traced
    bench_op: str = None  # the guest's BENCH op whose sum must equal Keel's ticks
    retried: int = 0  # guest ticks per op in the guest's sample besides Keel's path
    keep: object = pt.every_path  # which exits' paths are operations
    memory: int = 256


def solo(op, k, mem="16M", extra=""):
    return [f"name=profile mem={mem}{extra} -- run=profile op={op} k={k}"]


OPS = {
    "cpuid": Op("cpuid", "CPUID leaf 0 exit round trip", bench.SOLO_SLICE,
                solo("cpuid", "{k}"), 200, "cpuid-0"),
    "vmcall": Op("vmcall", "VMCALL KEEL_HC_NOP round trip", bench.SOLO_SLICE,
                 solo("vmcall", "{k}"), 200, "vmcall-nop"),
    "io-in": Op("io-in", "IN from the UART's LSR (0x3FD)", bench.SOLO_SLICE,
                solo("io-in", "{k}"), 200, "in-uart-lsr"),
    "io-out": Op("io-out", "OUT to an unclaimed port (0x2F0)", bench.SOLO_SLICE,
                 solo("io-out", "{k}"), 200, "out-unclaimed"),
    "io-pic": Op("io-pic", "IN from the master PIC's IMR (0x21)", bench.SOLO_SLICE,
                 solo("io-pic", "{k}"), 200, "in-pic-imr"),
    "touch4k": Op("touch4k", "first touch of a 4 KiB page (ept=4k)", bench.SOLO_SLICE,
                  solo("touch4k", "{k}", mem="32M", extra=" ept=4k"), 256, "touch4k",
                  retried=1),  # the store runs again after the fault: 1 tick
    # k here is guest 1's loop count in thousands; the operations are the switches
    # (VM exits) that land between its markers.
    "switch": Op("switch", f"guest switch, 2 spinning guests, slice={SWITCH_SLICE}",
                 f"slice={SWITCH_SLICE}",
                 ["name=spin1 mem=16M -- run=spin loops={k}K mark=1",
                  "name=spin2 mem=16M -- run=spin loops={k2}K"], 500, keep=pt.switches),
}
DOC_OPS = ["cpuid", "vmcall", "io-in", "io-out", "io-pic", "touch4k", "switch"]
# --smoke (make bench-smoke, CI): a few operations each, to build/bench/smoke/profile.
SMOKE_K = {"cpuid": 5, "vmcall": 5, "io-in": 5, "io-out": 5, "io-pic": 5, "touch4k": 5,
           "switch": 250}
SWITCH_RE = bench.SWITCH_RE


class Failed(Exception):
    pass


def boot_traced(op, k, outdir, timeout):
    """Boots the op's ISO with the trace on; returns (serial lines, trace path, seconds)."""
    os.makedirs(outdir, exist_ok=True)
    iso = os.path.join(outdir, f"{op.name}.iso")
    modules = [(bench.BENCH_ELF, m.format(k=k, k2=2 * k)) for m in op.modules]
    mkiso.build_iso(iso, bench.KEEL_ELF, f"{bench.CMDLINE} {op.cmdline}", modules)
    serial, trace = os.path.join(outdir, "serial.log"), os.path.join(outdir, "trace.log")
    for path in (serial, trace):
        if os.path.exists(path):
            os.remove(path)
    rc, cmds = os.path.join(outdir, "bochsrc"), os.path.join(outdir, "cmds")
    with open(rc, "w") as f:
        f.write(keelrun.bochsrc(iso, serial, bench.MODEL, op.memory, time0=0))
        f.write("magic_break: enabled=1\n")
    with open(cmds, "w") as f:
        f.write(RC)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    start = time.monotonic()
    with open(os.path.join(outdir, "bochs.out"), "w") as out:
        proc = subprocess.Popen(["bochs-bin", "-q", "-f", rc, "-rc", cmds, "-dbglog", trace],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out,
                                env=env, cwd=outdir)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            timed_out = True
    seconds = time.monotonic() - start
    log = ""
    if os.path.exists(serial):
        with open(serial, "rb") as f:
            log = f.read().decode("latin-1")
    run = keelrun.Run(log=log, timed_out=timed_out, seconds=seconds)
    lines = run.lines()
    problems = bench.judge(run, lines)
    if problems:
        raise Failed(f"{op.name}: {'; '.join(problems)} (serial log {serial})")
    return lines, trace, seconds


def reconcile(op, k, p, lines):
    """The operations the window holds, and the line saying how Keel's ticks
    agree with the guest's (or Keel's) own figure; raises Failed when they do not."""
    figs = bench.parse(lines)
    if op.bench_op:
        if p.exits != k or p.entries != k:
            raise Failed(f"{op.name}: {p.exits} VM exits and {p.entries} entries traced between "
                         f"the markers, want {k} of each (one per operation)")
        b = figs.get(op.bench_op)
        if b is None:
            raise Failed(f"{op.name}: no BENCH op={op.bench_op} line in the serial log")
        want = p.keel_ticks + op.retried * k
        again = (f" + {k:,} (the faulting store, run again after the entry: 1 tick each)"
                 if op.retried else "")
        if b["sum"] != want or b["iters"] != k:
            raise Failed(f"{op.name}: Keel's path in the trace is {p.keel_ticks} ticks over {k}"
                         f"{again}, the guest's samples sum to {b['sum']} over {b['iters']}")
        return k, (f"check: the guest's own RDTSC samples of the same {k} operations "
                   f"(BENCH op={op.bench_op}: median {b['median']}, mean {b['mean']}) sum to "
                   f"{b['sum']:,} ticks = Keel's path in the trace {p.keel_ticks:,}{again}")
    if p.kept < 2:
        raise Failed(f"{op.name}: {p.kept} guest switches (VMPTRLD) between the markers: want "
                     "several")
    if p.entries != p.exits:
        raise Failed(f"{op.name}: {p.exits} exits but {p.entries} entries between the markers")
    sw = figs.get("switch")
    if sw is None:
        raise Failed(f"{op.name}: no `keel: sched: switch cost` line in the serial log")
    other = p.exits - p.kept
    left = f", {p.left_ticks / other:,.1f} ticks each" if other else ""
    return p.kept, (f"check: {p.exits} VM exits between the markers, {p.kept} of them switched "
                    f"guests (a VMPTRLD on the path): the profile holds those; the other {other} "
                    f"(console polls, guest I/O) are left out{left} on average. Keel's own switch cost "
                    f"(its TSC from one guest's last exit to the next guest's entry, over the "
                    f"whole run) is min {sw['min']} mean {sw['mean']:.0f} over {sw['iters']} "
                    f"switches; the traced path, stub to VMRESUME, "
                    f"{p.keel_ticks / p.kept:,.1f} per switch")


def profile(name, k, outdir, timeout, keep_trace=False):
    """Runs one profile; returns a dict of its results. Raises Failed or ProfileError."""
    op = OPS[name]
    k = op.k if k is None else k
    lines, trace, seconds = boot_traced(op, k, outdir, timeout)
    nm = subprocess.run(["nm", "-n", "-S", bench.KEEL_ELF], stdout=subprocess.PIPE, text=True,
                        check=True).stdout
    syms = pt.Symbols(nm)
    try:
        with open(trace, errors="replace") as f:
            p = pt.attribute(pt.parse_trace(f), syms, op.keep)
    finally:
        if not keep_trace and os.path.exists(trace):
            os.remove(trace)
    ops, check = reconcile(op, k, p, lines)
    folded = pt.folded(p, name)
    text, md = pt.table(p, ops), pt.table(p, ops, limit=8, md=True)
    head = (f"profile {name}: {op.what}: {ops} operations, Keel's path "
            f"{p.keel_ticks / ops:,.1f} ticks per operation (guest code between them "
            f"{p.guest_ticks / ops:,.1f}, outside the path), Bochs {seconds:.1f}s")
    for fname, body in (("table.txt", f"{head}\n\n{text}\n\n{check}\n"),
                        ("table.md", md + "\n"), ("folded.txt", folded)):
        with open(os.path.join(outdir, fname), "w") as f:
            f.write(body)
    with open(os.path.join(outdir, "flame.svg"), "w") as f:
        f.write(flame.svg([(f"{name}: {op.what}", flame.parse_folded(folded), ops)],
                          f"Keel make profile OP={name}: ticks per operation"))
    return {"name": name, "op": op, "ops": ops, "head": head, "text": text, "md": md,
            "check": check, "folded": folded, "seconds": seconds, "profile": p}


DOCS = bench.DOCS
DOCS_SVG = os.path.join(bench.ROOT, "docs", "profile.svg")


def docs_block(results):
    out = [f"Measured at `{bench.git_revision()}`.", ""]
    for r in results:
        out += [f"**{r['name']}** ({r['op'].what}): {r['profile'].keel_ticks / r['ops']:,.1f} "
                f"ticks per operation over {r['ops']}; {r['check'][7:]}.", "", r["md"], ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("op", nargs="?", choices=sorted(OPS), help="the path to profile")
    ap.add_argument("--all", action="store_true", help=f"every op of the docs: {DOC_OPS}")
    ap.add_argument("--k", type=int, help="operations traced (switch: guest 1's loops in K)")
    ap.add_argument("--out", help="output folder (default build/profile)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per boot")
    ap.add_argument("--keep-trace", action="store_true",
                    help="keep Bochs' trace as OUT/OP/trace.log")
    ap.add_argument("--smoke", action="store_true",
                    help=f"a few operations each ({SMOKE_K}), to build/bench/smoke/profile")
    ap.add_argument("--docs", action="store_true",
                    help="with --all: write the tables into docs/benchmarks.md and the chart "
                         "to docs/profile.svg")
    a = ap.parse_args()
    if bool(a.op) == a.all:
        ap.error("give one OP or --all")
    if a.docs and (not a.all or a.smoke):
        ap.error("--docs needs --all, without --smoke")
    for path in (bench.KEEL_ELF, bench.BENCH_ELF):
        if not os.path.exists(path):
            sys.exit(f"profile: {path} is missing: run `make all`")
    need = keelrun.missing_packages("bochs")
    if need:
        sys.exit(f"profile: Bochs is not usable: `sudo apt-get install {' '.join(need)}`")
    base = a.out or os.path.join(bench.BUILD, *(("bench", "smoke", "profile") if a.smoke
                                                 else ("profile",)))
    results = []
    for name in DOC_OPS if a.all else [a.op]:
        try:
            k = a.k if a.k is not None else SMOKE_K[name] if a.smoke else None
            r = profile(name, k, os.path.join(base, name), a.timeout, a.keep_trace)
        except (Failed, pt.ProfileError, OSError, subprocess.SubprocessError) as e:
            print(f"profile: FAILED: {name}: {e}", flush=True)
            return 1
        print(f"{r['head']}\n\n{r['text']}\n\n{r['check']}\n", flush=True)
        results.append(r)
    panels = [(f"{r['name']}: {r['op'].what}", flame.parse_folded(r["folded"]), r["ops"])
              for r in results]
    svg = os.path.join(base, "profile.svg")
    with open(svg, "w") as f:
        f.write(flame.svg(panels, "Keel make profile: where each path's ticks go "
                                  "(Bochs corei7_skylake_x, clock sync=none)"))
    print(f"profile: wrote {base} (tables, folded stacks, flame.svg), chart {svg}")
    if a.docs:
        with open(DOCS) as f:
            text = f.read()
        text = bench.replace_block(text, "profile", docs_block(results))
        with open(DOCS, "w") as f:
            f.write(text)
        with open(svg) as src, open(DOCS_SVG, "w") as dst:
            dst.write(src.read())
        print(f"profile: updated {DOCS} and {DOCS_SVG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
