"""Flame charts as SVG from folded stacks (`a;b;c ticks` lines), for `make
profile` (tests/bench/profile_run.py). Pure: text in, text out.

Each panel is one operation: the root frame spans the panel's width, a
callee sits on top of its caller, a frame's width is its ticks (inclusive),
siblings are ordered by name (as flame graphs are: the x axis is not time).
Each frame carries a <title> tooltip with its ticks per operation.
"""
import hashlib
from xml.sax.saxutils import escape

WIDTH = 1200
ROW = 17
PAD = 10
TITLE = 24
CHAR = 6.6  # average glyph width of the 11 px font, to decide what label fits


def parse_folded(text):
    """{tuple of frames: ticks} from folded lines; blank lines are skipped."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        stack, _, ticks = line.rpartition(" ")
        if not stack or not ticks.isdigit():
            raise ValueError(f"folded line {n}: want 'f1;f2 ticks', got {line!r}")
        key = tuple(stack.split(";"))
        out[key] = out.get(key, 0) + int(ticks)
    return out


def tree(stacks):
    """A nested {name: [ticks, children]} of inclusive ticks."""
    root = {}
    for frames, ticks in stacks.items():
        level = root
        for f in frames:
            node = level.setdefault(f, [0, {}])
            node[0] += ticks
            level = node[1]
    return root


def _color(name):
    if name.startswith("("):
        return "rgb(190,190,190)"
    h = int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)
    return f"rgb({205 + h % 50},{80 + (h >> 8) % 120},{30 + (h >> 16) % 50})"


def _depth(level):
    return 1 + max((_depth(c[1]) for c in level.values()), default=0) if level else 0


def _frames(level, x, y, scale, per_op, out):
    for name in sorted(level):
        ticks, children = level[name]
        w = ticks * scale
        if w >= 0.3:
            label = f"{name} ({ticks / per_op:,.1f} ticks/op)"
            out.append(f'<g><title>{escape(label)}</title>'
                       f'<rect x="{x:.2f}" y="{y}" width="{max(w - 0.4, 0.1):.2f}" '
                       f'height="{ROW - 1}" fill="{_color(name)}" rx="1"/>')
            fit = int((w - 4) / CHAR)
            if fit >= 3:
                text = name if len(name) <= fit else name[:fit - 2] + ".."
                out.append(f'<text x="{x + 2:.2f}" y="{y + ROW - 5}">{escape(text)}</text>')
            out.append("</g>")
            _frames(children, x, y - ROW, scale, per_op, out)
        x += w


def svg(panels, title):
    """One SVG with a flame chart per panel: panels are (heading, stacks as
    parsed by parse_folded, operations the ticks are over)."""
    body, y0 = [], TITLE + PAD
    for heading, stacks, per_op in panels:
        t = tree(stacks)
        total = sum(n[0] for n in t.values())
        depth = _depth(t)
        body.append(f'<text x="{PAD}" y="{y0 + 12}" class="h">{escape(heading)}: '
                    f'{total / per_op:,.1f} ticks per operation</text>')
        base = y0 + 20 + (depth - 1) * ROW
        if total:
            _frames(t, PAD, base, (WIDTH - 2 * PAD) / total, per_op, body)
        y0 = base + ROW + PAD * 2
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y0}" '
        f'viewBox="0 0 {WIDTH} {y0}" font-family="sans-serif" font-size="11">',
        "<style>.h{font-size:13px;font-weight:bold}</style>",
        f'<rect width="{WIDTH}" height="{y0}" fill="white"/>',
        f'<text x="{PAD}" y="{TITLE - 6}" class="h">{escape(title)}</text>',
        *body, "</svg>", ""])
