#!/usr/bin/env python3
"""Reads Keel's framebuffer console back from a screenshot, glyph by glyph.

QEMU's monitor `screendump FILE` writes the screen as a PPM (P6: a text
header, then 8-bit R, G, B per pixel). Keel draws its console with the PSF
font it links in (build/font/console.psf, lib/console_font.S): a grid of
cells from the top-left pixel, foreground light grey (0xC0 per channel) on
black. decode() thresholds every pixel, cuts the image into cells of the
font's glyph size and compares each cell bit for bit with the font's
rendering of the printable ASCII characters: a cell that is exactly one
glyph is that character, a cell that is none is UNKNOWN. So the rows it
returns say exactly what Keel drew, and a wrong pixel in a glyph shows.

The PSF formats (PSF1, PSF2 and their Unicode tables) are as kbd documents
them; lib/psf.h has the layout, and this reader maps bytes to glyphs as
lib/psf.c does (the first glyph listing the code point alone).
"""
import gzip
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FONT = os.path.join(ROOT, "build", "font", "console.psf")
UNKNOWN = "\ufffd"  # a cell that is no glyph of the font
THRESHOLD = 0x60    # a channel above this is foreground (Keel draws 0xC0 on 0)


class Font:
    """A PSF1 or PSF2 font: width, height, and glyph(ch) as rows of bits."""

    def __init__(self, data):
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if data[:2] == b"\x36\x04":
            mode, self.height = data[2], data[3]
            count, self.width, header, size = (512 if mode & 1 else 256), 8, 4, data[3]
            table = mode & 6
        elif data[:4] == b"\x72\xb5\x4a\x86":
            word = [int.from_bytes(data[i:i + 4], "little") for i in range(0, 32, 4)]
            header, flags, count, size, self.height, self.width = word[2:8]
            table = flags & 1
        else:
            raise ValueError("not a PSF1 or PSF2 font")
        self.row_bytes = (self.width + 7) // 8
        self.glyphs = [data[header + i * size:header + i * size + self.row_bytes * self.height]
                       for i in range(count)]
        end = header + count * size
        self.glyph_for = self._table(data[end:], data[:2] == b"\x36\x04", count) if table \
            else {b: b for b in range(min(count, 256))}

    @staticmethod
    def _table(t, psf1, count):
        """Byte (code point < 256) -> the first glyph listing it alone."""
        out, g, seq = {}, 0, False
        if psf1:
            for i in range(0, len(t) - 1, 2):
                v = t[i] | t[i + 1] << 8
                if v == 0xFFFF:
                    g, seq = g + 1, False
                elif v == 0xFFFE:
                    seq = True
                elif not seq and v < 256 and g < count:
                    out.setdefault(v, g)
            return out
        for entry in t.split(b"\xff")[:count]:
            singles = entry.split(b"\xfe")[0].decode("utf-8", "replace")
            for ch in singles:
                if ord(ch) < 256:
                    out.setdefault(ord(ch), g)
            g += 1
        return out

    def glyph(self, ch):
        """The glyph of byte ch as `height` strings of '0'/'1', `width` long."""
        g = self.glyphs[self.glyph_for.get(ord(ch), self.glyph_for.get(ord("?"), 0))]
        rows = []
        for y in range(self.height):
            bits = int.from_bytes(g[y * self.row_bytes:(y + 1) * self.row_bytes], "big")
            rows.append(format(bits, f"0{self.row_bytes * 8}b")[:self.width])
        return rows

    def cell_key(self, ch):
        """The glyph as decode() sees a cell: bytes of 0/1, row after row."""
        return bytes(int(b) for row in self.glyph(ch) for b in row)


def load_font(path=FONT):
    with open(path, "rb") as f:
        return Font(f.read())


def read_ppm(data):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255)."""
    fields, at = [], 0
    while len(fields) < 4:
        while data[at:at + 1].isspace():
            at += 1
        if data[at:at + 1] == b"#":
            at = data.index(b"\n", at)
            continue
        start = at
        while not data[at:at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"not an 8-bit binary PPM: {fields[0]!r} maxval {fields[3]!r}")
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[at + 1:at + 1 + w * h * 3]


def write_ppm(w, h, rgb):
    return b"P6\n%d %d\n255\n" % (w, h) + bytes(rgb)


def decode(ppm, font):
    """The screen's cell rows as strings (trailing blanks removed) and its columns."""
    w, h, rgb = read_ppm(ppm)
    table = bytes(1 if v > THRESHOLD else 0 for v in range(256))
    # A pixel is foreground when its brightest channel is.
    lit = bytes(a | b | c for a, b, c in zip(rgb[0::3].translate(table),
                                              rgb[1::3].translate(table),
                                              rgb[2::3].translate(table)))
    chars = {}
    for code in range(0x7E, 0x1F, -1):  # the lowest code wins a shared glyph
        chars[font.cell_key(chr(code))] = chr(code)
    cols, rows = w // font.width, h // font.height
    out = []
    for r in range(rows):
        y0 = r * font.height
        line = []
        for c in range(cols):
            x0 = c * font.width
            key = b"".join(lit[(y0 + y) * w + x0:(y0 + y) * w + x0 + font.width]
                           for y in range(font.height))
            line.append(chars.get(key, UNKNOWN))
        out.append("".join(line).rstrip(" "))
    return out, cols


def render(lines, font, w, h, fg=(0xC0, 0xC0, 0xC0)):
    """A PPM of lines drawn as Keel draws them (for the harness's own tests)."""
    rgb = bytearray(w * h * 3)
    for r, text in enumerate(lines):
        for c, ch in enumerate(text):
            for y, bits in enumerate(font.glyph(ch)):
                for x, bit in enumerate(bits):
                    if bit == "1":
                        at = ((r * font.height + y) * w + c * font.width + x) * 3
                        rgb[at:at + 3] = bytes(fg)
    return write_ppm(w, h, rgb)
