#!/usr/bin/env python3
"""Writes the linux_boot fuzz target's seeds, tests/fuzz/corpus/linux_boot/.

Run from the repository root. Each seed is the target's parameter bytes (RAM
size selector, initrd size in 256-byte units (3 bytes), command-line length
(2), ACPI size (3); see tests/fuzz/fuzz_linux_boot.c) and then a small
bzImage made here: a boot sector, setup sectors and a protected-mode part of
syssize * 16 bytes, with a setup header like a distribution kernel's.
"""
import os
import struct

C = 'tests/fuzz/corpus/linux_boot'
os.makedirs(C, exist_ok=True)


def bzimage(version=0x020F, sects=2, syssize=0x40, loadflags=0x01, xlf=0x7F,
            reloc=1, align=0x200000, pref=0x1000000, init_size=0x2000000,
            cmdline_size=2047, initrd_max=0x7FFFFFFF, hdr_len=0x6A, cut=None):
    code_off = ((sects or 4) + 1) * 512
    b = bytearray(code_off + syssize * 16)
    b[0x1EF] = 0xFF
    b[0x1F1] = sects
    struct.pack_into('<I', b, 0x1F4, syssize)
    struct.pack_into('<H', b, 0x1FA, 0xFFFF)
    struct.pack_into('<H', b, 0x1FE, 0xAA55)
    b[0x200], b[0x201] = 0xEB, hdr_len
    b[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', b, 0x206, version)
    b[0x211] = loadflags
    struct.pack_into('<I', b, 0x214, 0x100000)
    struct.pack_into('<IIBBHI', b, 0x22C, initrd_max, align, reloc, 21, xlf, cmdline_size)
    struct.pack_into('<QII', b, 0x258, pref, init_size, 0x190)
    struct.pack_into('<I', b, 0x268, 0x100)
    for i in range(code_off, len(b)):
        b[i] = (i * 7) & 0xFF
    return bytes(b[:cut] if cut is not None else b)


def params(mem_sel, initrd, cmdline, acpi):
    return struct.pack('<B', mem_sel) + (initrd // 256).to_bytes(3, 'little') + \
        struct.pack('<H', cmdline) + acpi.to_bytes(3, 'little')


def w(name, p, img):
    with open(f'{C}/{name}', 'wb') as f:
        f.write(p + img)


# mem selector b: (b + 1) * 4 MiB; 63 = 256 MiB, 11 = 48 MiB, 0xFE past 0xFEC00000.
w('debian_like', params(63, 32 << 20, 100, 0x2000),
  bzimage(init_size=0x3F98000, syssize=0x30))
w('protocol_2_12', params(63, 1 << 20, 0, 0), bzimage(version=0x020C, hdr_len=0x66))
w('not_relocatable', params(127, 4096, 2047, 0x20000), bzimage(reloc=0, pref=0x3000000))
w('initrd_below_kernel', params(11, 8 << 20, 10, 0x1000), bzimage())
w('initrd_addr_max_low', params(63, 3 << 20, 10, 0), bzimage(initrd_max=0x3FFFFF))
w('setup_sects_zero', params(63, 0, 0, 0), bzimage(sects=0))
w('mem_too_big', params(0xFE, 0, 0, 0), bzimage())
w('protocol_2_11', params(63, 0, 0, 0), bzimage(version=0x020B))
w('no_kernel_64', params(63, 0, 0, 0), bzimage(xlf=0x7E))
w('truncated', params(63, 0, 0, 0), bzimage(cut=0x260))
w('code_outside', params(63, 0, 0, 0), bzimage(cut=0x700))
