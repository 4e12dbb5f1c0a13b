#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus, tests/fuzz/corpus/NAME/ (docs/fuzzing.md).

Run from the repository root after `make` (the elf seeds are compacted copies
of build/guests/*.elf). Each seed starts with its target's parameter bytes
(see the comment at the top of tests/fuzz/fuzz_NAME.c), then the input.
"""
import struct, os
C = 'tests/fuzz/corpus'
for d in ('mb2','elf','cmdline','ept_qual','gpt','term_line','madt_cpus','decode_ref','emulate','psf'):
    os.makedirs(f'{C}/{d}', exist_ok=True)
def w(t, name, b):
    open(f'{C}/{t}/{name}', 'wb').write(b)

# ---- mb2: 1 byte err_len, 8 bytes info_pa, info block
def tag(t, payload):
    b = struct.pack('<II', t, 8 + len(payload)) + payload
    return b + b'\0' * (-len(b) % 8)
def info(*tags):
    body = b''.join(tags) + tag(0, b'')
    return struct.pack('<II', 8 + len(body), 0) + body
def mmap(entries):
    return tag(6, struct.pack('<II', 24, 0) + b''.join(struct.pack('<QQII', b, l, ty, 0) for b, l, ty in entries))
def s(x): return x.encode() + b'\0'
def mod(a, b, cl): return tag(3, struct.pack('<II', a, b) + s(cl))
pre = struct.pack('<BQ', 160, 0x10000)
mm = mmap([(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2), (0x100000, 0x7ee0000, 1), (0xfffc0000, 0x40000, 2)])
rsdp1 = b'RSD PTR ' + bytes([0]) + b'BOCHS ' + bytes([0]) + struct.pack('<I', 0xfe000)
rsdp2 = b'RSD PTR ' + bytes([0]) + b'BOCHS ' + bytes([2]) + struct.pack('<IIQ', 0xfe000, 36, 0xfe100) + b'\0' * 4
fb = tag(8, struct.pack('<QIIIBBH', 0xb8000, 160, 80, 25, 16, 2, 0))
w('mb2', 'minimal', pre + info(mm))
w('mb2', 'grub_bochs', pre + info(tag(1, s('/boot/keel.elf console=com1 onexit=shutdown')), tag(2, s('GRUB 2.06-13+deb12u1')),
    mod(0x200000, 0x214000, 'name=hello mem=4M'), mod(0x214000, 0x220000, 'for=hello'),
    tag(4, struct.pack('<II', 639, 130048)), mm, fb, tag(14, rsdp1)))
w('mb2', 'acpi_new', pre + info(tag(1, s('console=both')), mm, tag(15, rsdp2), tag(14, rsdp1), tag(21, struct.pack('<I', 0x200000))))
w('mb2', 'efi_tags', pre + info(tag(12, struct.pack('<Q', 0x7f000000)), tag(17, b'\0' * 56), mm, tag(9, b'\0' * 24)))
w('mb2', 'bad_size', pre + struct.pack('<IIII', 24, 0, 1, 200) + b'\0' * 8)
w('mb2', 'no_end', pre + info(mm)[:-8])
# framebuffers as GRUB hands them: OVMF's GOP (800x600x24) and a VBE mode with colour info
def fb_rgb(addr, pitch, wd, ht, bpp, rgb):
    return tag(8, struct.pack('<QIIIBBH', addr, pitch, wd, ht, bpp, 1, 0) + bytes(rgb))
w('mb2', 'fb_gop', pre + info(mm, fb_rgb(0x80000000, 2400, 800, 600, 24, (16, 8, 8, 8, 0, 8))))
w('mb2', 'fb_vbe', pre + info(mm, mod(0x200000, 0x201000, 'g'),
    fb_rgb(0xfd000000, 5120, 1280, 800, 32, (16, 8, 8, 8, 0, 8))))

# ---- psf: 1 byte err_len, then a font (built here: Keel's own font is never committed)
def psf1(count, height, table=b''):
    mode = (1 if count == 512 else 0) | (2 if table else 0)
    return bytes([0x36, 4, mode, height]) + bytes((g ^ y) & 0xff for g in range(count) for y in range(height)) + table
def psf2(count, width, height, table=b''):
    rb = (width + 7) // 8
    head = struct.pack('<8I', 0x864ab572, 0, 32, 1 if table else 0, count, rb * height, height, width)
    return head + bytes((g ^ y) & 0xff for g in range(count) for y in range(height) for _ in range(rb)) + table
t1 = b''.join(struct.pack('<H', g) + (b'\xfe\xff\x41\x00\x42\x00' if g == 65 else b'') + b'\xff\xff' for g in range(256))
t2 = b''.join(chr(g).encode() + (b'\xfe' + 'é'.encode() if g == 101 else b'') + b'\xff' for g in range(128))
w('psf', 'psf1_plain', bytes([120]) + psf1(256, 16))
w('psf', 'psf1_table', bytes([120]) + psf1(256, 8, t1))
w('psf', 'psf2_table', bytes([120]) + psf2(128, 12, 24, t2))
w('psf', 'psf2_short', bytes([120]) + psf2(4, 8, 8)[:40])

# ---- elf: 1 byte mem (127 = 32 MiB), 1 byte min_gpa (16 = 1 MiB), image
def compact(path, keep_hdr=0x400, keep_seg=512):
    img = open(path, 'rb').read()
    out = bytearray(img[:keep_hdr])
    is64 = img[4] == 2
    if is64:
        phoff, = struct.unpack_from('<Q', img, 32); phent, phnum = struct.unpack_from('<HH', img, 54)
        fmt = '<IIQQQQQQ'
    else:
        phoff, = struct.unpack_from('<I', img, 28); phent, phnum = struct.unpack_from('<HH', img, 42)
        fmt = '<IIIIIIII'
    for i in range(phnum):
        at = phoff + i * phent
        f = list(struct.unpack_from(fmt, img, at))
        ty = f[0]
        if ty != 1: continue
        if is64: off, fs = f[2], f[5]
        else: off, fs = f[1], f[4]
        n = min(fs, keep_seg)
        new_off = len(out)
        out += img[off:off + n]
        out += b'\0' * (-len(out) % 16)
        if is64: f[2], f[5] = new_off, n
        else: f[1], f[4] = new_off, n
        struct.pack_into(fmt, out, at, *f)
    return bytes(out)
epre = bytes([127, 16])
for g in ('hello', 'hello32', 'mb1', 'taskswitch'):
    p = f'build/guests/{g}.elf'
    w('elf', f'{g}_compact', epre + compact(p))
for g in ('hello', 'hello32'):
    w('elf', f'{g}_trunc4k', epre + open(f'build/guests/{g}.elf', 'rb').read()[:4096])

# ---- cmdline: 1 byte params, string
for i, t in enumerate([
    (1, 'name=web mem=64M ept=2m expect=triple-fault timeout=50M -- a b c'),
    (1, 'for=web'), (2, 'mem=0x200000 ept=1g'), (3, 'timeout=1K name=g_1.x'),
    (1, 'name= mem= ept= timeout= expect='), (0x81, 'console=com1 loglevel=debug onexit=shutdown test=all'),
    (1, '-- '), (3, 'mem=18446744073709551615'), (3, 'mem=16T timeout=0xFFFFFFFFFFFFFFFF'),
    (1, '\tname=a\r\nmem=2m --args'), (2, 'mem=4G ept=4k -- init=/bin/sh quiet'),
    (1, 'name=pin cpus=1 mem=4M'), (1, 'cpus=0,2-3 cpus=62-63,0,1-3,2'), (1, 'cpus=0-63 -- cpus=x'),
    (1, 'cpus=1,,2'), (1, 'cpus=3-1 cpus=64 cpus=1,'), (1, 'cpus=18446744073709551616-0x1'),
    (1, 'name=smp vcpus=4 cpus=0-3 -- rounds=2'), (1, 'vcpus=9 vcpus=0 vcpus=08 vcpus='),
    # The limits (issue 15): names of 63 and 64 characters, module strings of 4095 and 4096 bytes.
    (1, 'name=' + 'n' * 63 + ' mem=4M'), (1, 'name=' + 'n' * 64), (1, 'for=' + 'f' * 64 + ' x'),
    (1, '-- ' + 'a' * 4092), (1, 'name=big -- ' + 'a' * 4084), (1, 'for=big ' + 'm' * 4087),
    (1, 'name=' + 'n' * 63 + ' --' + ' ' * (4095 - 71)),
    # Fault injection (issue 15): failalloc= from 1 to 2^64 - 1.
    (1, 'name=f mem=4M failalloc=1 -- test=touchall'),
    (1, 'failalloc=18446744073709551615 failalloc=18446744073709551616 failalloc=0 failalloc=0x1')]):
    w('cmdline', f'seed{i:02d}', bytes([t[0]]) + t[1].encode())

# ---- ept_qual: 8 bytes qualification, 1 byte PT_PERM_*, [4 bytes IDT-vectoring information]
for name, q, p in [('read_notpresent', 0x181, 0), ('write_ro', 0x18a, 1), ('fetch_nx', 0x18c, 3),
                   ('walk', 0x81, 7), ('nmi', 0x1002, 2), ('all', 0xffffffffffffffff, 7)]:
    w('ept_qual', name, struct.pack('<QB', q, p))
# A #GP frame push (vectoring valid, vector 13), an APIC-access exit in event delivery (type 3).
for name, q, v in [('gp_push', 0x182, 0x80000B0D), ('apic_delivery', 0x3300, 0)]:
    w('ept_qual', name, struct.pack('<QBI', q, 0, v))

# ---- gpt: flags (mode | access<<2 | nxe<<5 | wp<<6), maxphyaddr sel, cr3, gva, RAM
def gpt(mode, access, nxe, wp, phys, cr3, gva, ents, size):
    ram = bytearray(size)
    for at, v, n in ents: ram[at:at + n] = v.to_bytes(n, 'little')
    return struct.pack('<BBQQ', mode | access << 2 | nxe << 5 | wp << 6, phys, cr3, gva) + bytes(ram)
NX = 1 << 63
w('gpt', '4level_4k', gpt(3, 1, 1, 1, 8, 0, 0x1234, [(0, 0x1007, 8), (0x1000, 0x2007, 8), (0x2000, 0x3007, 8), (0x3008, 0x5007 | NX, 8)], 0x3010))
w('gpt', '4level_2m', gpt(3, 3, 1, 1, 0, 0, 0x3fffff, [(0, 0x1007, 8), (0x1000, 0x2007, 8), (0x2008, 0x400087, 8)], 0x2010))
w('gpt', '4level_1g_kernel', gpt(3, 4, 1, 0, 20, 0x1000, 0xffffffff80001000, [(0x1ff8, 0x3, 8), (0xff0, 0x83, 8)], 0x2000))
w('gpt', '4level_recursive', gpt(3, 0, 0, 1, 0, 0, 0, [(0, 0x7, 8)], 8))
w('gpt', 'pae_2m', gpt(2, 1, 1, 1, 4, 0x20, 0x80201000, [(0x30, 0x1001, 8), (0x1008, 0x200083, 8)], 0x1010))
w('gpt', 'pae_4k', gpt(2, 2, 0, 1, 4, 0, 0x5000, [(0, 0x1001, 8), (0x1000, 0x2007, 8), (0x2028, 0x9007, 8)], 0x2030))
w('gpt', '32bit_4m_pse36', gpt(1, 0, 0, 1, 8, 0, 0xc0001000, [(0xc00, 0x00c0a083, 4)], 0x1000))
w('gpt', '32bit_4k', gpt(1, 3, 0, 1, 0, 0, 0x00403abc, [(4, 0x1007, 4), (0x100c, 0x7007, 4)], 0x1010))
w('gpt', 'nopaging', gpt(0, 0, 0, 0, 0, 0, 0x123456789, [], 0))
w('gpt', 'reserved', gpt(3, 0, 0, 1, 4, 0, 0, [(0, 0x1087, 8), (0x1000, 1 << 45 | 7, 8)], 0x1008))

# ---- term_line: a guest's console output as it writes it (no parameter bytes)
w('term_line', 'busybox_prompt', b'/ # \x1b[6nls\b\x1b[J\x08\x1b[J\r\n')
w('term_line', 'insert_mid_line', b'/ # ech\x08\x08ho\x08\x1b[2D\x1b[C\x1b[K\r\n')
w('term_line', 'colours_titles', b'\x1b[1;32mgreen\x1b[0m\t\x1b]0;title\x07\x1b]2;t\x1b\\\x1b(B\x1b7\x1b[?25l\n')
w('term_line', 'progress', b' 10%\r 55%\r100%\x1b[3D\x1b[1K\x1b[2K\x1b[9Gx\x1b[99999C\n')
w('term_line', 'kernel_log', b'[    0.000000] Linux version 6.1.0 (debian-kernel@lists.debian.org)\r\n\x01\x7f\x80\xff\x00\x07')

# ---- madt_cpus: 1 byte err_len, 1 byte fix-ups (0: none; the tables are sealed here), MADT
def madt(*structs, lapic=0xFEE00000):
    body = b''.join(structs)
    t = bytearray(b'APIC' + struct.pack('<IBB6s8sIII', 44 + len(body), 6, 0, b'BOCHS ', b'BXPC    ', 1, 0x43505842, 1)
                  + struct.pack('<II', lapic, 1) + body)
    t[9] = -sum(t) & 0xff
    return bytes([128, 0]) + bytes(t)
def lapic(uid, i, f=1): return struct.pack('<BBBBI', 0, 8, uid, i, f)
def x2apic(i, uid, f=1): return struct.pack('<BBHIII', 9, 16, 0, i, f, uid)
def lapic_ovr(a): return struct.pack('<BBHQ', 5, 12, 0, a)
pc = (struct.pack('<BBBBII', 1, 12, 0, 0, 0xfec00000, 0) + struct.pack('<BBBBIH', 2, 10, 0, 0, 2, 0)
      + struct.pack('<BBBBIH', 2, 10, 0, 9, 9, 0xd) + struct.pack('<BBBHB', 4, 6, 0xff, 0, 1))
for n in (1, 2, 4):
    w('madt_cpus', f'bochs_{n}cpu', madt(*[lapic(i, i) for i in range(n)], pc))
w('madt_cpus', 'x2apic', madt(lapic(0, 0), *[x2apic(0x100 + i, 0x100 + i) for i in range(3)], x2apic(0xffffffff, 9), pc))
w('madt_cpus', 'override', madt(lapic(0, 0), lapic(1, 1), lapic_ovr(0x1_0000_0000), pc, lapic=0))
w('madt_cpus', 'mixed', madt(lapic(0, 0), lapic(1, 1, 2), lapic(2, 2, 0), x2apic(0, 7), lapic(3, 0xff), lapic(4, 4, 3), pc))
w('madt_cpus', 'many', madt(*[lapic(i, i) for i in range(70)]))

# ---- decode_ref: instruction bytes alone, each decoded in 64-, 32- and 16-bit
# code: the MMIO accesses guests make (Linux's readl/writel, LAPIC and
# IOAPIC registers, string copies to framebuffers), and the two encodings
# the target first disagreed on (docs/fuzzing.md).
for name, b in (
        ('readl', '8b 00'), ('writel', '89 02'), ('readb', '8a 00'), ('writew', '66 89 02'),
        ('writeq', '48 89 10'), ('mov_disp8', '48 8b 43 10'), ('mov_sib_disp', '43 8b 44 fd 08'),
        ('lapic_eoi', 'c7 80 b0 00 00 00 00 00 00 00'), ('rip_imm', 'c7 05 08 00 00 00 01 00 00 00'),
        ('movzx_rip', '0f b6 05 00 10 00 00'), ('movsx_word', '48 0f bf 03'), ('movsxd', '48 63 03'),
        ('fs_abs', '64 8b 04 25 30 00 00 00'), ('moffs64', '48 a1 00 00 e0 fe 00 00 00 00'),
        ('moffs32', '67 a3 00 00 00 f0'), ('rep_stosq', 'f3 48 ab'), ('rep_movsb', 'f3 a4'),
        ('lock_or', 'f0 83 08 01'), ('and_imm32', '81 20 ff 00 00 00'), ('test_imm8', 'f6 00 01'),
        ('xchg', '87 08'), ('cmp_reg', '4d 3b 4a 08'), ('bp_disp16', '8b 46 fe'),
        ('addr16_bx_si', '67 8b 40 10'), ('fs_then_ss', '64 36 8b 00'),
        ('addr32_sib_r13', '67 41 8a 24 9d 00 00 00 10'),
        ('add_reg', '01 08'), ('lock_add_imm', 'f0 83 00 01'), ('sbb_from_mem', '1b 08'),
        ('inc_byte', 'fe 00'), ('lock_dec', 'f0 ff 08'), ('neg_word', '66 f7 18'), ('not_qword', '48 f7 10'),
        ('shl_one', 'd1 20'), ('sar_cl', 'd3 38'), ('rcl_imm', 'c0 10 09'), ('sal_alias', 'c1 30 04'),
        ('bt_reg', '0f a3 08'), ('lock_bts_imm', 'f0 0f ba 28 05'), ('xadd', 'f0 0f c1 08'),
        ('cmpxchg', 'f0 48 0f b1 08'), ('sete', '0f 94 00'), ('movnti', '48 0f c3 08'),
        ('mul_dword', 'f7 26'), ('imul_byte', 'f6 2e'), ('div_qword', '48 f7 36'),
        ('idiv_word_fs', '64 66 f7 3e'), ('imul_reg', '0f af 06'), ('imul_imm32', '69 06 78 56 34 12'),
        ('imul_imm8_16', '66 6b 06 fd'), ('lock_cmpxchg8b', 'f0 0f c7 0e'),
        ('lock_cmpxchg16b', 'f0 48 0f c7 0e'), ('cmpxchg8b_66', '66 0f c7 0e'),
        ('movbe_load', '0f 38 f0 08'), ('movbe_store16', '66 0f 38 f1 08'), ('push_m', 'ff 30'),
        ('pop_rsp', '8f 04 24'), ('push_m_16', '66 ff 37'), ('rep_lodsw', 'f3 66 ad'),
        ('repne_scasb', 'f2 ae'), ('repe_scasq', 'f3 48 af'), ('f2_f3_scasb', 'f2 f3 ae'),
        ('cmpsb', 'a6'), ('repne_cmpsw', 'f2 66 a7'), ('fs_cmpsb', '64 a6'),
        ('movd_load', '66 0f 6e 06'), ('movq_store_w', '66 48 0f 7e 06'), ('movq_f3', 'f3 0f 7e 16'),
        ('movq_d6', '66 0f d6 1e'), ('movdqa_r15', '66 44 0f 7f 3e'), ('movdqu_66_f3', '66 f3 0f 6f 06'),
        ('movups_sib', '0f 11 4c 24 10'), ('movaps', '0f 28 06'), ('vmovdqu_xmm', 'c5 fa 6f 06'),
        ('vmovdqu_ymm15', 'c5 7e 6f 3e'), ('vmovdqu_c4', 'c4 c1 7e 6f 00'),
        ('vmovdqu_bad_vvvv', 'c5 f2 6f 06'), ('vex_after_66', '66 c5 fa 6f 06'),
        ('vmovups_ymm', 'c5 fc 11 0e'), ('vmovdqa_c4', 'c4 41 7d 7f 00'), ('vmovaps', 'c5 f8 28 06'),
        ('movupd', '66 0f 10 06'), ('movapd_store', '66 44 0f 29 1e'), ('movntdq', '66 0f e7 06'),
        ('movntps', '0f 2b 0e'), ('movntpd', '66 0f 2b 0e'), ('movss_load', 'f3 0f 10 06'),
        ('movsd_store', 'f2 45 0f 11 38'), ('movlps', '0f 12 06'), ('movhps_store', '0f 17 0e'),
        ('movlpd_store', '66 0f 13 16'), ('movhpd', '66 0f 16 1e'), ('vmovupd_ymm', 'c5 fd 11 0e'),
        ('vmovapd_c4', 'c4 41 79 29 00'), ('vmovntdq_ymm', 'c5 fd e7 06'),
        ('vmovntps', 'c5 fc 2b 0e'), ('vmovntpd', 'c5 79 2b 16'), ('vmovss_l1', 'c5 fe 11 06'),
        ('vmovsd_c4', 'c4 c1 7b 11 38'), ('vmovss_bad_vvvv', 'c5 f2 10 06'),
        ('evex_vmovups', '62 f1 7c 48 10 06')):
    w('decode_ref', name, bytes.fromhex(b))

# ---- emulate: ctl (mode: 0 64-bit, 1 32-bit, 2 16-bit; bit 2 write fault;
# bits 3-5 refuse the k-th access), the instruction in a 15-byte slot, the
# device offset, RFLAGS, RIP, 16 GPRs, 6 segment bases (ES CS SS DS FS GS),
# the device's and RAM's read values (tests/fuzz/fuzz_emulate.c). Each form
# of docs/mmio.md once, with values that reach its edges; the three seeds
# movs64_es_base, movs64_ds_base and movs32_wrap reproduce the segment-base
# bug the target found (docs/fuzzing.md).
RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
ES, CS, SS, DS, FS, GS = range(6)
DF = 1 << 10
def emu(name, insn, mode=0, write=False, refuse=0, off=0, rflags=2, rip=0x401000, regs=None,
        segs=None, dev=0x8877665544332211, ram=0x0123456789abcdef, short=False, vec=None):
    b = bytes.fromhex(insn)
    ctl = bytes([{64: 0, 32: 1, 16: 2}.get(mode, mode) | (4 if write else 0) | refuse << 3])
    if short:  # the instruction alone: the target makes the values up
        w('emulate', name, ctl + b)
        return
    g = [0] * 16
    for r, v in (regs or {}).items(): g[r] = v
    sb = [0] * 6
    for r, v in (segs or {}).items(): sb[r] = v
    w('emulate', name, ctl + b.ljust(15, b'\x90') + bytes([off]) + struct.pack('<QQ', rflags, rip)
      + struct.pack('<16Q', *g) + struct.pack('<6Q', *sb) + struct.pack('<QQ', dev, ram)
      + (b'' if vec is None else bytes([vec])))
M = 0xfeb00000
emu('readl', '8b 00', regs={RAX: M})
emu('writel', '89 02', write=True, regs={RAX: ~0 & (2**64 - 1), RDX: M})
emu('writeb_ah', '88 20', write=True, off=8, regs={RAX: 0x1234})
emu('readw_16bit', '8b 07', mode=16, rip=0xfffe, regs={RAX: 0x12345678})
emu('movzx_byte', '0f b6 03', dev=0x80, regs={RAX: ~0 & (2**64 - 1)})
emu('movsx_word_rex', '48 0f bf 03', dev=0x8080)
emu('movsxd', '48 63 03', dev=0x80000000)
emu('and_reg', '21 08', write=True, rflags=2 | 0x8d5, regs={RCX: 0xff00}, dev=0xf0f0)
emu('or_imm8', '83 08 80', write=True, dev=1)
emu('xor_from_mem', '33 08', regs={RCX: 0xffffffff00000001}, dev=0xffffff81)
emu('cmp_imm8', '83 38 01', dev=0)
emu('cmp_ch', '3a 28', regs={RCX: 0x0100}, dev=0x10)
emu('cmp_qword', '48 39 08', regs={RCX: 1}, dev=0x8000000000000000)
emu('test_imm32', 'f7 00 00 00 00 80', rflags=2 | 0x801, dev=0x80000000)
emu('xchg', '87 08', write=True, regs={RCX: 0xffffffff11111111}, dev=0x22222222)
emu('lock_or', 'f0 83 08 01', write=True)
emu('lapic_eoi', 'c7 80 b0 00 00 00 00 00 00 00', write=True, off=0x30)
emu('moffs64', '48 a1 00 00 b0 fe 00 00 00 00')
emu('stosb', 'aa', write=True, regs={RAX: 0x42, RDI: 0x1000})
emu('stosw_df', '66 ab', write=True, rflags=2 | DF, regs={RDI: 0x1000})
emu('rep_stosd', 'f3 ab', write=True, regs={RAX: 0xcafef00d, RCX: 3, RDI: 0x2000})
emu('rep_stosq_zero', 'f3 48 ab', write=True, regs={RCX: 0, RDI: 0x2000})
emu('rep_stosd_addr32', '67 f3 ab', write=True, regs={RCX: 0xffffffff00000001, RDI: 0x1fffffffc})
emu('stosb_16bit_wrap', 'aa', mode=16, write=True, rip=0xffff, regs={RDI: 0xabcd0000ffff})
emu('movsd_from_mmio', 'a5', regs={RSI: 0x7000, RDI: 0x10010})
emu('movsb_from_mmio_df', 'a4', rflags=2 | DF, regs={RSI: 0x7000, RDI: 0x10014})
emu('movsq_to_mmio', '48 a5', write=True, regs={RSI: 0x10020, RDI: 0x9000})
emu('movsb_fs_to_mmio', '64 a4', write=True, regs={RSI: 0x30}, segs={FS: 0x10000})
emu('rep_movsb_df', 'f3 a4', write=True, off=1, rflags=2 | DF, regs={RCX: 2, RSI: 0x10041, RDI: 0x501})
emu('rep_movsw_16bit', 'f3 a5', mode=16, regs={RCX: 1, RSI: 0xfffe, RDI: 0x10})
emu('movs64_es_base', 'a4', regs={RDI: 0x10010}, segs={ES: 0x7c00})
emu('movs64_ds_base', 'a5', write=True, regs={RSI: 0x10020}, segs={DS: 0x5000})
emu('movs32_wrap', 'a4', mode=32, regs={RDI: 0x2000}, segs={ES: 0xfffff000})
emu('add_carry', '01 08', write=True, regs={RCX: 1}, dev=0xffffffff)
emu('adc_cf', '11 08', write=True, rflags=2 | 1, regs={RCX: 0x20}, dev=0x10)
emu('sbb_qword', '48 83 18 00', write=True, rflags=2 | 1, dev=0)
emu('sub_from_mem', '2b 08', regs={RCX: 3}, dev=5)
emu('inc_keeps_cf', 'fe 00', write=True, rflags=2 | 1, dev=0xff)
emu('neg_zero', 'f7 18', write=True, dev=0)
emu('not_qword', '48 f7 10', write=True, rflags=2 | 0x8c5)
emu('shl_one', 'd1 20', write=True, dev=0x80000001)
emu('sar_cl', 'd3 38', write=True, regs={RCX: 4}, dev=0x80000010)
emu('shl_byte_9', 'c0 20 09', write=True, dev=0x5a)
emu('shl_cl_zero', 'd3 20', write=True, rflags=2 | 0x51, regs={RCX: 0x20})
emu('rcl_9', 'c0 10 09', write=True, rflags=2 | 1, dev=0x5a)
emu('rcr_qword_63', '48 c1 18 3f', write=True, dev=0x8000000000000001)
emu('bt_imm', '0f ba 20 05', dev=0x20)
emu('btc_neg_offset', 'f0 66 0f bb 08', write=True, regs={RCX: 0xffff}, dev=0x8000)
emu('xadd', '0f c1 08', write=True, regs={RCX: 0x20}, dev=0xfffffff0)
emu('cmpxchg_hit', '0f b1 08', write=True, regs={RAX: 0xaaaaaaaa00001234, RCX: 0x5678}, dev=0x1234)
emu('cmpxchg_miss', '0f b1 08', write=True, regs={RAX: 0xaaaaaaaa00001234}, dev=0x1000)
emu('setl', '0f 9c 00', write=True, rflags=2 | 0x80)
# MUL/IMUL/DIV/IDIV (#DE cases among them) and CMPXCHG8B/16B; the CPUID byte after the
# vector state is made up (fuzz_emulate.c)
emu('mul_byte', 'f6 26', regs={RAX: 0x80}, dev=2)
emu('mul_qword_max', '48 f7 26', regs={RAX: 2**64 - 1}, dev=2**64 - 1)
emu('imul_dword_neg', 'f7 2e', regs={RAX: 0xfffffffe}, dev=3)
emu('imul_reg16', '66 0f af 16', regs={RDX: 0xfffd}, dev=7)
emu('imul_imm8', '6b 06 fd', dev=0x40000000)
emu('imul_imm32_qword', '48 69 0e 00 00 00 80', dev=2)
emu('div_dword', 'f7 36', regs={RAX: 5, RDX: 1}, dev=16)
emu('div_by_zero', 'f7 36', regs={RAX: 5}, dev=0)
emu('div_overflow', '48 f7 36', regs={RDX: 7}, dev=7)
emu('idiv_min_by_minus1', '48 f7 3e', regs={RAX: 2**63, RDX: 2**64 - 1}, dev=2**64 - 1)
emu('idiv_byte', 'f6 3e', regs={RAX: 0xfff9}, dev=0xfe)
emu('cmpxchg8b_hit', 'f0 0f c7 0e', write=True,
    regs={RAX: 0x22222222, RDX: 0x11111111, RBX: 0x33333333, RCX: 0x44444444}, dev=0x1111111122222222)
emu('cmpxchg8b_miss_32bit', '0f c7 0e', mode=32, write=True, regs={RAX: 1}, dev=0x1111111122222222)
emu('cmpxchg16b_hit', '48 0f c7 0e', write=True, off=0x10,
    regs={RSI: 0x1010, RAX: 0x5555555555555555, RDX: 0x5555555555555555}, dev=0x5555555555555555)
emu('cmpxchg16b_misaligned', '48 0f c7 0e', write=True, off=0x18, regs={RSI: 0x1018})
emu('movnti', '48 0f c3 08', write=True, regs={RCX: 0x0102030405060708})
emu('movbe_load', '0f 38 f0 08', dev=0x11223344)
emu('push_from_mmio', 'ff 30', regs={RSP: 0x10100})
emu('pop_to_mmio', '8f 00', write=True, regs={RSP: 0x100f8})
emu('pop_rsp_device_stack', '8f 04 24', regs={RSP: 0x10200})
emu('push_16bit_stack', 'ff 30', mode=32, regs={RSP: 0xabcd0000}, segs={SS: 0x404})
emu('lodsb', 'ac', regs={RAX: 0x1111111111111111, RSI: 0x7000})
emu('rep_lodsw_df', 'f3 66 ad', rflags=2 | DF, regs={RCX: 2, RSI: 0x7000})
emu('repne_scasb_hit', 'f2 ae', regs={RAX: 0x11, RCX: 5, RDI: 0x9000}, dev=0x11)
emu('repe_scasd_miss', 'f3 af', regs={RAX: 7, RCX: 3, RDI: 0x9000}, dev=8)
emu('scasw_16bit', 'f3 af', mode=16, regs={RAX: 0x1234, RCX: 1, RDI: 0xfffe}, dev=0x1234)
emu('cmpsb_device_rsi', 'a6', mode=0x80, regs={RSI: 0x7000, RDI: 0x10000}, dev=0xa8, ram=0x40)
emu('cmpsb_device_rdi', 'a6', regs={RSI: 0x10000, RDI: 0x7000}, dev=0xa8, ram=0x40)
emu('repne_cmpsw_df', 'f2 66 a7', rflags=2 | DF, regs={RCX: 4, RSI: 0x10012, RDI: 0x7002}, dev=0x5678, ram=0x5678)
emu('refuse_read', '8b 00', refuse=1)
emu('refuse_write_after_read', '21 08', write=True, refuse=2)
emu('refuse_ram_write', 'f3 a4', refuse=2, regs={RCX: 5})
emu('straddle_end', '8b 00', off=0x3e)
# the vector moves: vec is the control byte (bit 7 with bits 0-6: a fault
# condition; bit 7 clear, bit 0 set: the operand steered onto the fault's page offset)
emu('movdqu_store', 'f3 0f 7f 06', write=True, off=0x10, regs={RSI: M + 0x10}, vec=1)
emu('movd_load', '66 0f 6e 06', off=4, regs={RSI: M + 4}, vec=1)
emu('movq_load_f3', 'f3 0f 7e 16', off=8, vec=1)
emu('vmovdqu_ymm_store', 'c5 fe 7f 0e', write=True, off=0x20, regs={RSI: M + 0x20}, vec=1)
emu('vmovdqu_xmm_load', 'c5 fa 6f 06', vec=1)
emu('movdqa_misaligned', '66 0f 6f 06', regs={RSI: M + 8}, off=8, vec=1)
emu('movaps_cr0_ts', '0f 29 06', write=True, vec=0x81)
emu('vmovdqu_no_avx', 'c5 fe 6f 06', vec=0xc0)
emu('vmovdqu_past_end', 'c5 fe 7f 06', write=True, off=0x30, vec=1)
emu('vmovups_ymm_store', 'c5 fc 11 26', write=True, off=0x18, vec=1)
emu('vmovdqa_ymm_half_aligned', 'c5 fd 6f 06', off=0x10, vec=1)
emu('movss_load', 'f3 0f 10 06', off=4, regs={RSI: M + 4}, vec=1)
emu('movsd_store', 'f2 0f 11 06', write=True, off=8, regs={RSI: M + 8}, vec=1)
emu('movhps_load', '0f 16 06', off=8, regs={RSI: M + 8}, vec=1)
emu('movlpd_store', '66 0f 13 06', write=True, off=0x10, regs={RSI: M + 0x10}, vec=1)
emu('movntdq_misaligned', '66 0f e7 06', write=True, off=8, regs={RSI: M + 8}, vec=1)
emu('vmovntpd_ymm', 'c5 fd 2b 06', write=True, off=0x20, regs={RSI: M + 0x20}, vec=1)
emu('vmovsd_load', 'c5 fb 10 06', off=0x18, regs={RSI: M + 0x18}, vec=1)
emu('vmovapd_load', 'c5 f9 28 06', off=0x10, regs={RSI: M + 0x10}, vec=1)
emu('movupd_straddle', '66 0f 11 06', write=True, off=0x38, regs={RSI: M + 0x38}, vec=1)
for name, insn, mode in (('short_rep_movsq', 'f3 48 a5', 0), ('short_cmp_32', '66 3b 4c 8d 10', 1),
                         ('short_xor_16', '80 36 34 12 ff', 2), ('short_mov_ah_16', '8a 27', 2)):
    emu(name, insn, mode=mode, short=True)
