/*
 * Host tests for vm/decode.c: a table of encodings, each with the fields
 * the decoder must produce (Intel SDM Vol. 2A chapter 2 and Appendix A;
 * the byte strings were cross-checked against binutils' disassembler).
 * Every row is decoded from a buffer of exactly its length (ASan catches
 * a read past `avail`), and every proper prefix of a valid encoding must
 * come back truncated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/decode.h"
#include "vmx/vcpu_regs.h"

#define NOREG DECODE_NO_REG
#define M16   DECODE_MODE_16
#define M32   DECODE_MODE_32
#define M64   DECODE_MODE_64
#define TO    DECODE_DIR_TO_MEM
#define FROM  DECODE_DIR_FROM_MEM
#define ES    DECODE_SEG_ES
#define CS    DECODE_SEG_CS
#define SS    DECODE_SEG_SS
#define DS    DECODE_SEG_DS
#define FS    DECODE_SEG_FS
#define GS    DECODE_SEG_GS
#define RAX   GPR_RAX
#define RCX   GPR_RCX
#define RDX   GPR_RDX
#define RBX   GPR_RBX
#define RSP   GPR_RSP
#define RBP   GPR_RBP
#define RSI   GPR_RSI
#define RDI   GPR_RDI

struct row {
	const char *text; /* what the bytes are, for failure messages */
	enum decode_mode mode;
	const char *bytes;
	unsigned n;
	int status;
	/* expected on DECODE_OK */
	enum decode_op op;
	enum decode_dir dir;
	u8 msize, osize, asize; /* asize 0: the mode's default */
	int reg;		/* NOREG: no register operand */
	bool high;
	bool has_imm;
	u64 imm;
	struct decode_mem mem;
	bool override, rep, lock;
	u8 cc;	    /* SETcc */
	bool repne; /* string forms */
	u8 vreg;    /* vector moves: the XMM/YMM register, VEX, 16-byte alignment */
	bool vex, aligned;
};

#define R(m, str, t)	    .mode = m, .bytes = str, .n = sizeof(str) - 1, .text = t
#define OP(o, d, s)	    .op = DECODE_OP_##o, .dir = d, .msize = s, .osize = s
#define OP2(o, ms, os)	    .op = DECODE_OP_##o, .dir = FROM, .msize = ms, .osize = os
#define MEMS(b, i, s, d, g) .mem = {.base = b, .index = i, .scale = s, .disp = d, .seg = g}
#define MEM(b, i, s, d)	    MEMS(b, i, s, d, DS)
#define AT(b)		    MEM(b, NOREG, 1, 0)
#define RIPREL(d)                                                                                  \
	.mem = {.base = NOREG, .index = NOREG, .scale = 1, .rip_rel = true, .disp = d, .seg = DS}
#define IMM(v)		   .has_imm = true, .imm = (u64)(v), .reg = NOREG
#define FAIL(s)		   .status = DECODE_##s
#define STOSMEM		   MEMS(RDI, NOREG, 1, 0, ES)
#define MOVSMEM(g)	   MEMS(RSI, NOREG, 1, 0, g), .reg = NOREG
#define NOR		   .reg = NOREG
#define LODSMEM(g)	   MEMS(RSI, NOREG, 1, 0, g), .reg = RAX
#define WIDE(o, d, ms, os) .op = DECODE_OP_##o, .dir = d, .msize = ms, .osize = os
#define RIMM(r, v)	   .reg = r, .has_imm = true, .imm = (u64)(v)
#define VEC(o, d, s, v)                                                                            \
	.op = DECODE_OP_##o, .dir = d, .msize = s, .osize = s, .reg = NOREG, .vreg = v
/* An aligned form (#GP(0) off its size), VEX or not. */
#define VEC_A(o, d, s, v, x) VEC(o, d, s, v), .aligned = true, .vex = x

static const struct row rows[] = {
    /* MOV r/m, r and r, r/m: sizes, REX, the AH-BH rule */
    {R(M64, "\x89\x08", "mov [rax],ecx"), OP(MOV, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x48\x89\x08", "mov [rax],rcx"), OP(MOV, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\x66\x89\x08", "mov [rax],cx"), OP(MOV, TO, 2), .reg = RCX, AT(RAX)},
    {R(M64, "\x88\x08", "mov [rax],cl"), OP(MOV, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x88\x20", "mov [rax],ah"), OP(MOV, TO, 1), .reg = RAX, .high = true, AT(RAX)},
    {R(M64, "\x88\x38", "mov [rax],bh"), OP(MOV, TO, 1), .reg = RBX, .high = true, AT(RAX)},
    {R(M64, "\x40\x88\x20", "mov [rax],spl"), OP(MOV, TO, 1), .reg = RSP, AT(RAX)},
    {R(M64, "\x40\x88\x38", "mov [rax],dil"), OP(MOV, TO, 1), .reg = RDI, AT(RAX)},
    {R(M64, "\x44\x88\x20", "mov [rax],r12b"), OP(MOV, TO, 1), .reg = 12, AT(RAX)},
    {R(M64, "\x4c\x89\x38", "mov [rax],r15"), OP(MOV, TO, 8), .reg = 15, AT(RAX)},
    {R(M64, "\x49\x89\x00", "mov [r8],rax"), OP(MOV, TO, 8), .reg = RAX, AT(8)},
    {R(M64, "\x8b\x03", "mov eax,[rbx]"), OP(MOV, FROM, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x48\x8b\x43\x10", "mov rax,[rbx+0x10]"), OP(MOV, FROM, 8), .reg = RAX,
     MEM(RBX, NOREG, 1, 0x10)},
    {R(M64, "\x8b\x43\xf0", "mov eax,[rbx-0x10]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, NOREG, 1, -0x10)},
    {R(M64, "\x8b\x83\x00\x10\x00\x00", "mov eax,[rbx+0x1000]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, NOREG, 1, 0x1000)},
    {R(M64, "\x48\x8b\x80\x00\xff\xff\xff", "mov rax,[rax-0x100]"), OP(MOV, FROM, 8), .reg = RAX,
     MEM(RAX, NOREG, 1, -0x100)},
    {R(M64, "\x8a\x27", "mov ah,[rdi]"), OP(MOV, FROM, 1), .reg = RAX, .high = true, AT(RDI)},
    {R(M64, "\x8a\x2e", "mov ch,[rsi]"), OP(MOV, FROM, 1), .reg = RCX, .high = true, AT(RSI)},
    {R(M64, "\x40\x8a\x27", "mov spl,[rdi]"), OP(MOV, FROM, 1), .reg = RSP, AT(RDI)},
    {R(M64, "\x45\x8a\x07", "mov r8b,[r15]"), OP(MOV, FROM, 1), .reg = 8, AT(15)},
    {R(M64, "\x4c\x8b\x2a", "mov r13,[rdx]"), OP(MOV, FROM, 8), .reg = 13, AT(RDX)},
    {R(M64, "\x66\x8b\x11", "mov dx,[rcx]"), OP(MOV, FROM, 2), .reg = RDX, AT(RCX)},

    /* ModRM / SIB / displacement forms (Tables 2-2, 2-3) */
    {R(M64, "\x8b\x04\x25\x00\x00\xe0\xfe", "mov eax,[0xfffffffffee00000]"), OP(MOV, FROM, 4),
     .reg = RAX, MEM(NOREG, NOREG, 1, -0x1200000)},
    {R(M64, "\x8b\x04\x8b", "mov eax,[rbx+rcx*4]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, RCX, 4, 0)},
    {R(M64, "\x8b\x04\x4b", "mov eax,[rbx+rcx*2]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, RCX, 2, 0)},
    {R(M64, "\x8b\x04\x0b", "mov eax,[rbx+rcx]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, RCX, 1, 0)},
    {R(M64, "\x42\x8b\x04\xc3", "mov eax,[rbx+r8*8]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(RBX, 8, 8, 0)},
    {R(M64, "\x43\x8b\x44\xfd\x08", "mov eax,[r13+r15*8+8]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(13, 15, 8, 8)},
    {R(M64, "\x41\x8b\x04\x24", "mov eax,[r12]"), OP(MOV, FROM, 4), .reg = RAX, AT(12)},
    {R(M64, "\x8b\x04\x24", "mov eax,[rsp]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RSP, NOREG, 1, 0, SS)},
    {R(M64, "\x8b\x44\x24\x08", "mov eax,[rsp+8]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RSP, NOREG, 1, 8, SS)},
    {R(M64, "\x8b\x45\x08", "mov eax,[rbp+8]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBP, NOREG, 1, 8, SS)},
    {R(M64, "\x8b\x44\x25\x00", "mov eax,[rbp+0] via SIB"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBP, NOREG, 1, 0, SS)},
    {R(M64, "\x41\x8b\x45\x00", "mov eax,[r13+0]"), OP(MOV, FROM, 4), .reg = RAX, AT(13)},
    {R(M64, "\x8b\x04\x65\x10\x00\x00\x00", "mov eax,[0x10] (SIB, no index)"), OP(MOV, FROM, 4),
     .reg = RAX, MEM(NOREG, NOREG, 1, 0x10)},
    {R(M64, "\x42\x8b\x04\x25\x10\x00\x00\x00", "mov eax,[r12*1+0x10]"), OP(MOV, FROM, 4),
     .reg = RAX, MEM(NOREG, 12, 1, 0x10)},
    {R(M64, "\x4c\x8b\x3c\x9d\x00\x10\x00\x00", "mov r15,[rbx*4+0x1000]"), OP(MOV, FROM, 8),
     .reg = 15, MEM(NOREG, RBX, 4, 0x1000)},
    {R(M64, "\x8b\x84\x88\x00\x01\x00\x00", "mov eax,[rax+rcx*4+0x100]"), OP(MOV, FROM, 4),
     .reg = RAX, MEM(RAX, RCX, 4, 0x100)},
    {R(M64, "\x89\x4c\x24\xfc", "mov [rsp-4],ecx"), OP(MOV, TO, 4), .reg = RCX,
     MEMS(RSP, NOREG, 1, -4, SS)},

    /* RIP-relative (2.2.1.6) */
    {R(M64, "\x8b\x05\x00\x01\x00\x00", "mov eax,[rip+0x100]"), OP(MOV, FROM, 4), .reg = RAX,
     RIPREL(0x100)},
    {R(M64, "\x48\x8b\x0d\xf0\xff\xff\xff", "mov rcx,[rip-0x10]"), OP(MOV, FROM, 8), .reg = RCX,
     RIPREL(-0x10)},
    {R(M64, "\x41\x8b\x05\x00\x00\x00\x00", "mov eax,[rip+0] (REX.B ignored)"), OP(MOV, FROM, 4),
     .reg = RAX, RIPREL(0)},
    {R(M64, "\x67\x8b\x05\x10\x00\x00\x00", "mov eax,[eip+0x10]"), OP(MOV, FROM, 4), .asize = 4,
     .reg = RAX, RIPREL(0x10)},
    {R(M64, "\x89\x15\x20\x00\x00\x00", "mov [rip+0x20],edx"), OP(MOV, TO, 4), .reg = RDX,
     RIPREL(0x20)},
    {R(M64, "\xc7\x05\x08\x00\x00\x00\x01\x00\x00\x00", "mov dword [rip+8],1"), OP(MOV, TO, 4),
     IMM(1), RIPREL(8)},
    {R(M64, "\x0f\xb6\x05\x00\x10\x00\x00", "movzx eax,byte [rip+0x1000]"), OP2(MOVZX, 1, 4),
     .reg = RAX, RIPREL(0x1000)},

    /* segment overrides */
    {R(M64, "\x64\x8b\x04\x25\x30\x00\x00\x00", "mov eax,fs:[0x30]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(NOREG, NOREG, 1, 0x30, FS), .override = true},
    {R(M64, "\x65\x48\x8b\x04\x25\x00\x00\x00\x00", "mov rax,gs:[0]"), OP(MOV, FROM, 8), .reg = RAX,
     MEMS(NOREG, NOREG, 1, 0, GS), .override = true},
    {R(M64, "\x2e\x8b\x03", "mov eax,cs:[rbx] (ignored)"), OP(MOV, FROM, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x26\x8b\x45\x00", "mov eax,es:[rbp] (ignored)"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBP, NOREG, 1, 0, SS)},
    /* found by tests/fuzz/fuzz_decode_ref.c: a later ignored override kept DS */
    {R(M64, "\x64\x36\x8b\x00", "mov eax,fs:[rax] (SS after FS ignored)"), OP(MOV, FROM, 4),
     .reg = RAX, MEMS(RAX, NOREG, 1, 0, FS), .override = true},
    {R(M64, "\x65\x2e\xa5", "movsd gs:[rsi] (CS after GS ignored)"), OP(MOVS, TO, 4), MOVSMEM(GS),
     .override = true},
    {R(M32, "\x64\x36\x8b\x00", "mov eax,ss:[eax] (the last override wins)"), OP(MOV, FROM, 4),
     .reg = RAX, MEMS(RAX, NOREG, 1, 0, SS), .override = true},
    {R(M32, "\x36\x8b\x03", "mov eax,ss:[ebx]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBX, NOREG, 1, 0, SS), .override = true},
    {R(M32, "\x26\x8b\x45\x00", "mov eax,es:[ebp]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBP, NOREG, 1, 0, ES), .override = true},
    {R(M32, "\x3e\x8b\x45\x04", "mov eax,ds:[ebp+4]"), OP(MOV, FROM, 4), .reg = RAX,
     MEMS(RBP, NOREG, 1, 4, DS), .override = true},

    /* prefix interplay */
    {R(M64, "\x48\x66\x89\x08", "mov [rax],cx (REX before 66 ignored)"), OP(MOV, TO, 2), .reg = RCX,
     AT(RAX)},
    {R(M64, "\x66\x48\x89\x08", "mov [rax],rcx (REX.W beats 66)"), OP(MOV, TO, 8), .reg = RCX,
     AT(RAX)},
    {R(M64, "\x44\x66\x88\x20", "mov [rax],ah (REX before 66 ignored)"), OP(MOV, TO, 1), .reg = RAX,
     .high = true, AT(RAX)},
    {R(M64, "\xf3\x89\x08", "rep mov [rax],ecx (REP ignored)"), OP(MOV, TO, 4), .reg = RCX,
     AT(RAX)},
    {R(M64, "\x67\x89\x08", "mov [eax],ecx"), OP(MOV, TO, 4), .asize = 4, .reg = RCX, AT(RAX)},
    {R(M64,
       "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
       "\x89\x08",
       "mov [rax],cx with 13 prefixes: 15 bytes"),
     OP(MOV, TO, 2), .reg = RCX, AT(RAX)},

    /* MOV r/m, imm (C6/C7 /0) */
    {R(M64, "\xc6\x00\x5a", "mov byte [rax],0x5a"), OP(MOV, TO, 1), IMM(0x5a), AT(RAX)},
    {R(M64, "\xc6\x00\xff", "mov byte [rax],0xff"), OP(MOV, TO, 1), IMM(-1), AT(RAX)},
    {R(M64, "\xc6\x40\x10\x01", "mov byte [rax+0x10],1"), OP(MOV, TO, 1), IMM(1),
     MEM(RAX, NOREG, 1, 0x10)},
    {R(M64, "\xc7\x00\x78\x56\x34\x12", "mov dword [rax],0x12345678"), OP(MOV, TO, 4),
     IMM(0x12345678), AT(RAX)},
    {R(M64, "\x66\xc7\x00\x34\x12", "mov word [rax],0x1234"), OP(MOV, TO, 2), IMM(0x1234), AT(RAX)},
    {R(M64, "\x66\xc7\x00\x00\x80", "mov word [rax],0x8000"), OP(MOV, TO, 2), IMM(-0x8000),
     AT(RAX)},
    {R(M64, "\x48\xc7\x00\x00\x00\x00\x80", "mov qword [rax],-0x80000000"), OP(MOV, TO, 8),
     IMM(-0x80000000LL), AT(RAX)},
    {R(M64, "\xc7\x44\x24\x04\xef\xbe\xad\xde", "mov dword [rsp+4],0xdeadbeef"), OP(MOV, TO, 4),
     IMM(0xffffffffdeadbeefULL), MEMS(RSP, NOREG, 1, 4, SS)},
    {R(M64, "\x41\xc7\x04\x24\x01\x00\x00\x00", "mov dword [r12],1"), OP(MOV, TO, 4), IMM(1),
     AT(12)},

    /* MOV with moffs (A0-A3): an address-size offset */
    {R(M64, "\x48\xa1\x00\x00\xe0\xfe\x00\x00\x00\x00", "mov rax,[0xfee00000]"), OP(MOV, FROM, 8),
     .reg = RAX, MEM(NOREG, NOREG, 1, 0xfee00000)},
    {R(M64, "\xa0\x88\x77\x66\x55\x44\x33\x22\x11", "mov al,[0x1122334455667788]"),
     OP(MOV, FROM, 1), .reg = RAX, MEM(NOREG, NOREG, 1, 0x1122334455667788)},
    {R(M64, "\xa2\x00\x10\x00\x00\x00\x00\x00\x00", "mov [0x1000],al"), OP(MOV, TO, 1), .reg = RAX,
     MEM(NOREG, NOREG, 1, 0x1000)},
    {R(M64, "\x67\xa3\x00\x00\x00\xf0", "mov [0xf0000000],eax (addr32)"), OP(MOV, TO, 4),
     .asize = 4, .reg = RAX, MEM(NOREG, NOREG, 1, 0xf0000000)},
    {R(M64, "\x66\xa3\x00\x10\x00\x00\x00\x00\x00\x00", "mov [0x1000],ax"), OP(MOV, TO, 2),
     .reg = RAX, MEM(NOREG, NOREG, 1, 0x1000)},
    {R(M64, "\x65\xa1\x08\x00\x00\x00\x00\x00\x00\x00", "mov eax,gs:[8]"), OP(MOV, FROM, 4),
     .reg = RAX, MEMS(NOREG, NOREG, 1, 8, GS), .override = true},
    {R(M32, "\xa1\x00\x00\xe0\xfe", "mov eax,[0xfee00000]"), OP(MOV, FROM, 4), .reg = RAX,
     MEM(NOREG, NOREG, 1, 0xfee00000)},
    {R(M32, "\x64\xa3\x10\x00\x00\x00", "mov fs:[0x10],eax"), OP(MOV, TO, 4), .reg = RAX,
     MEMS(NOREG, NOREG, 1, 0x10, FS), .override = true},
    {R(M16, "\xa1\x34\x12", "mov ax,[0x1234]"), OP(MOV, FROM, 2), .reg = RAX,
     MEM(NOREG, NOREG, 1, 0x1234)},
    {R(M16, "\xa2\x00\x80", "mov [0x8000],al"), OP(MOV, TO, 1), .reg = RAX,
     MEM(NOREG, NOREG, 1, 0x8000)},

    /* MOVZX / MOVSX / MOVSXD */
    {R(M64, "\x0f\xb6\x03", "movzx eax,byte [rbx]"), OP2(MOVZX, 1, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x48\x0f\xb6\x03", "movzx rax,byte [rbx]"), OP2(MOVZX, 1, 8), .reg = RAX, AT(RBX)},
    {R(M64, "\x66\x0f\xb6\x03", "movzx ax,byte [rbx]"), OP2(MOVZX, 1, 2), .reg = RAX, AT(RBX)},
    {R(M64, "\x0f\xb7\x03", "movzx eax,word [rbx]"), OP2(MOVZX, 2, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x0f\xbe\x03", "movsx eax,byte [rbx]"), OP2(MOVSX, 1, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x48\x0f\xbf\x03", "movsx rax,word [rbx]"), OP2(MOVSX, 2, 8), .reg = RAX, AT(RBX)},
    {R(M64, "\x44\x0f\xb6\x20", "movzx r12d,byte [rax]"), OP2(MOVZX, 1, 4), .reg = 12, AT(RAX)},
    {R(M64, "\x0f\xb6\x20", "movzx esp,byte [rax] (not AH)"), OP2(MOVZX, 1, 4), .reg = RSP,
     AT(RAX)},
    {R(M64, "\x48\x63\x03", "movsxd rax,dword [rbx]"), OP2(MOVSX, 4, 8), .reg = RAX, AT(RBX)},
    {R(M64, "\x4c\x63\x44\x24\x08", "movsxd r8,dword [rsp+8]"), OP2(MOVSX, 4, 8), .reg = 8,
     MEMS(RSP, NOREG, 1, 8, SS)},
    {R(M32, "\x0f\xbf\x06", "movsx eax,word [esi]"), OP2(MOVSX, 2, 4), .reg = RAX, AT(RSI)},
    {R(M16, "\x0f\xb6\x07", "movzx ax,byte [bx]"), OP2(MOVZX, 1, 2), .reg = RAX, AT(RBX)},

    /* STOS / MOVS, with REP */
    {R(M64, "\xaa", "stosb"), OP(STOS, TO, 1), .reg = RAX, STOSMEM},
    {R(M64, "\xab", "stosd"), OP(STOS, TO, 4), .reg = RAX, STOSMEM},
    {R(M64, "\x66\xab", "stosw"), OP(STOS, TO, 2), .reg = RAX, STOSMEM},
    {R(M64, "\x48\xab", "stosq"), OP(STOS, TO, 8), .reg = RAX, STOSMEM},
    {R(M64, "\xf3\x48\xab", "rep stosq"), OP(STOS, TO, 8), .reg = RAX, STOSMEM, .rep = true},
    {R(M64, "\xf3\xaa", "rep stosb"), OP(STOS, TO, 1), .reg = RAX, STOSMEM, .rep = true},
    {R(M64, "\x64\xab", "stosd (FS cannot override ES)"), OP(STOS, TO, 4), .reg = RAX, STOSMEM},
    {R(M64, "\xa4", "movsb"), OP(MOVS, TO, 1), MOVSMEM(DS)},
    {R(M64, "\xa5", "movsd"), OP(MOVS, TO, 4), MOVSMEM(DS)},
    {R(M64, "\xf3\x48\xa5", "rep movsq"), OP(MOVS, TO, 8), MOVSMEM(DS), .rep = true},
    {R(M64, "\xf2\xa5", "repne movsd (REP)"), OP(MOVS, TO, 4), MOVSMEM(DS), .rep = true,
     .repne = true},
    {R(M64, "\x64\xa4", "movsb fs:[rsi]"), OP(MOVS, TO, 1), MOVSMEM(FS), .override = true},
    {R(M64, "\x67\xf3\xa5", "rep movsd (addr32)"), OP(MOVS, TO, 4), .asize = 4, MOVSMEM(DS),
     .rep = true},
    {R(M16, "\xf3\xa5", "rep movsw"), OP(MOVS, TO, 2), MOVSMEM(DS), .rep = true},
    {R(M32, "\x66\xf3\xab", "rep stosw"), OP(STOS, TO, 2), .reg = RAX, STOSMEM, .rep = true},
    {R(M32, "\x26\xa5", "movsd es:[esi]"), OP(MOVS, TO, 4), MOVSMEM(ES), .override = true},

    /* LODS / SCAS, with REP, REPE, REPNE */
    {R(M64, "\xac", "lodsb"), OP(LODS, FROM, 1), LODSMEM(DS)},
    {R(M64, "\x48\xad", "lodsq"), OP(LODS, FROM, 8), LODSMEM(DS)},
    {R(M64, "\xf3\x66\xad", "rep lodsw"), OP(LODS, FROM, 2), LODSMEM(DS), .rep = true},
    {R(M64, "\x65\xad", "lodsd gs:[rsi]"), OP(LODS, FROM, 4), LODSMEM(GS), .override = true},
    {R(M64, "\xae", "scasb"), OP(SCAS, FROM, 1), .reg = RAX, STOSMEM},
    {R(M64, "\xf3\xaf", "repe scasd"), OP(SCAS, FROM, 4), .reg = RAX, STOSMEM, .rep = true},
    {R(M64, "\xf2\x48\xaf", "repne scasq"), OP(SCAS, FROM, 8), .reg = RAX, STOSMEM, .rep = true,
     .repne = true},
    {R(M64, "\xf2\xf3\xae", "repe scasb (the last of F2/F3)"), OP(SCAS, FROM, 1), .reg = RAX,
     STOSMEM, .rep = true},
    {R(M64, "\x64\xae", "scasb (FS cannot override ES)"), OP(SCAS, FROM, 1), .reg = RAX, STOSMEM},
    {R(M64, "\x67\xf2\xae", "repne scasb (addr32)"), OP(SCAS, FROM, 1), .asize = 4, .reg = RAX,
     STOSMEM, .rep = true, .repne = true},
    {R(M16, "\xf3\xac", "rep lodsb"), OP(LODS, FROM, 1), LODSMEM(DS), .rep = true},
    {R(M32, "\x66\xf2\xaf", "repne scasw"), OP(SCAS, FROM, 2), .reg = RAX, STOSMEM, .rep = true,
     .repne = true},

    /* CMPS, with REPE and REPNE */
    {R(M64, "\xa6", "cmpsb"), OP(CMPS, FROM, 1), MOVSMEM(DS)},
    {R(M64, "\xf3\x48\xa7", "repe cmpsq"), OP(CMPS, FROM, 8), MOVSMEM(DS), .rep = true},
    {R(M64, "\xf2\x66\xa7", "repne cmpsw"), OP(CMPS, FROM, 2), MOVSMEM(DS), .rep = true,
     .repne = true},
    {R(M64, "\x64\xa6", "cmpsb fs:[rsi]"), OP(CMPS, FROM, 1), MOVSMEM(FS), .override = true},
    {R(M16, "\xf3\xa7", "repe cmpsw"), OP(CMPS, FROM, 2), MOVSMEM(DS), .rep = true},

    /* AND / OR / XOR / CMP, register forms */
    {R(M64, "\x21\x08", "and [rax],ecx"), OP(AND, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x23\x08", "and ecx,[rax]"), OP(AND, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x20\x08", "and [rax],cl"), OP(AND, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x22\x28", "and ch,[rax]"), OP(AND, FROM, 1), .reg = RCX, .high = true, AT(RAX)},
    {R(M64, "\x48\x21\x08", "and [rax],rcx"), OP(AND, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\x09\x08", "or [rax],ecx"), OP(OR, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x0b\x08", "or ecx,[rax]"), OP(OR, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x08\x08", "or [rax],cl"), OP(OR, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x0a\x08", "or cl,[rax]"), OP(OR, FROM, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x66\x09\x08", "or [rax],cx"), OP(OR, TO, 2), .reg = RCX, AT(RAX)},
    {R(M64, "\x31\x08", "xor [rax],ecx"), OP(XOR, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x33\x08", "xor ecx,[rax]"), OP(XOR, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x30\x38", "xor [rax],bh"), OP(XOR, TO, 1), .reg = RBX, .high = true, AT(RAX)},
    {R(M64, "\x32\x08", "xor cl,[rax]"), OP(XOR, FROM, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x39\x08", "cmp [rax],ecx"), OP(CMP, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x3b\x08", "cmp ecx,[rax]"), OP(CMP, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x38\x08", "cmp [rax],cl"), OP(CMP, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x3a\x08", "cmp cl,[rax]"), OP(CMP, FROM, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x4d\x3b\x4a\x08", "cmp r9,[r10+8]"), OP(CMP, FROM, 8), .reg = 9,
     MEM(10, NOREG, 1, 8)},

    /* AND / OR / XOR / CMP with an immediate (group 1) */
    {R(M64, "\x81\x08\x00\x00\x00\x80", "or dword [rax],0x80000000"), OP(OR, TO, 4),
     IMM(0xffffffff80000000ULL), AT(RAX)},
    {R(M64, "\x81\x20\xff\x00\x00\x00", "and dword [rax],0xff"), OP(AND, TO, 4), IMM(0xff),
     AT(RAX)},
    {R(M64, "\x83\x20\xf0", "and dword [rax],-16"), OP(AND, TO, 4), IMM(-16), AT(RAX)},
    {R(M64, "\x83\x30\x01", "xor dword [rax],1"), OP(XOR, TO, 4), IMM(1), AT(RAX)},
    {R(M64, "\x83\x38\x00", "cmp dword [rax],0"), OP(CMP, TO, 4), IMM(0), AT(RAX)},
    {R(M64, "\x80\x08\x80", "or byte [rax],0x80"), OP(OR, TO, 1), IMM(-0x80), AT(RAX)},
    {R(M64, "\x80\x38\x7f", "cmp byte [rax],0x7f"), OP(CMP, TO, 1), IMM(0x7f), AT(RAX)},
    {R(M64, "\x48\x81\x20\x00\xf0\xff\xff", "and qword [rax],-0x1000"), OP(AND, TO, 8),
     IMM(-0x1000), AT(RAX)},
    {R(M64, "\x48\x83\x08\x01", "or qword [rax],1"), OP(OR, TO, 8), IMM(1), AT(RAX)},
    {R(M64, "\x66\x81\x20\xff\x00", "and word [rax],0xff"), OP(AND, TO, 2), IMM(0xff), AT(RAX)},
    {R(M64, "\x66\x83\x08\xff", "or word [rax],-1"), OP(OR, TO, 2), IMM(-1), AT(RAX)},
    {R(M64, "\x81\x3d\x00\x01\x00\x00\x01\x00\x00\x00", "cmp dword [rip+0x100],1"), OP(CMP, TO, 4),
     IMM(1), RIPREL(0x100)},
    {R(M64, "\xf0\x83\x08\x01", "lock or dword [rax],1"), OP(OR, TO, 4), IMM(1), AT(RAX),
     .lock = true},
    {R(M64, "\xf0\x21\x08", "lock and [rax],ecx"), OP(AND, TO, 4), .reg = RCX, AT(RAX),
     .lock = true},
    {R(M64, "\xf0\x80\x30\x01", "lock xor byte [rax],1"), OP(XOR, TO, 1), IMM(1), AT(RAX),
     .lock = true},

    /* TEST */
    {R(M64, "\x85\x08", "test [rax],ecx"), OP(TEST, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x84\x20", "test [rax],ah"), OP(TEST, TO, 1), .reg = RAX, .high = true, AT(RAX)},
    {R(M64, "\x48\x85\x08", "test [rax],rcx"), OP(TEST, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\xf6\x00\x01", "test byte [rax],1"), OP(TEST, TO, 1), IMM(1), AT(RAX)},
    {R(M64, "\xf7\x00\x00\x00\x00\x80", "test dword [rax],0x80000000"), OP(TEST, TO, 4),
     IMM(0xffffffff80000000ULL), AT(RAX)},
    {R(M64, "\x48\xf7\x00\xff\xff\xff\xff", "test qword [rax],-1"), OP(TEST, TO, 8), IMM(-1),
     AT(RAX)},
    {R(M64, "\x66\xf7\x00\x00\x80", "test word [rax],0x8000"), OP(TEST, TO, 2), IMM(-0x8000),
     AT(RAX)},

    /* XCHG */
    {R(M64, "\x87\x08", "xchg [rax],ecx"), OP(XCHG, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x86\x20", "xchg [rax],ah"), OP(XCHG, TO, 1), .reg = RAX, .high = true, AT(RAX)},
    {R(M64, "\x48\x87\x08", "xchg [rax],rcx"), OP(XCHG, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\xf0\x87\x08", "lock xchg [rax],ecx"), OP(XCHG, TO, 4), .reg = RCX, AT(RAX),
     .lock = true},

    /* ADD / ADC / SUB / SBB, register and immediate forms */
    {R(M64, "\x01\x08", "add [rax],ecx"), OP(ADD, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x03\x08", "add ecx,[rax]"), OP(ADD, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x00\x20", "add [rax],ah"), OP(ADD, TO, 1), .reg = RAX, .high = true, AT(RAX)},
    {R(M64, "\x48\x01\x08", "add [rax],rcx"), OP(ADD, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\x66\x03\x08", "add cx,[rax]"), OP(ADD, FROM, 2), .reg = RCX, AT(RAX)},
    {R(M64, "\x11\x08", "adc [rax],ecx"), OP(ADC, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x12\x08", "adc cl,[rax]"), OP(ADC, FROM, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x19\x08", "sbb [rax],ecx"), OP(SBB, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x1b\x08", "sbb ecx,[rax]"), OP(SBB, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x29\x08", "sub [rax],ecx"), OP(SUB, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x2b\x08", "sub ecx,[rax]"), OP(SUB, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x28\x08", "sub [rax],cl"), OP(SUB, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x83\x00\x01", "add dword [rax],1"), OP(ADD, TO, 4), IMM(1), AT(RAX)},
    {R(M64, "\x81\x28\x01\x00\x00\x00", "sub dword [rax],1"), OP(SUB, TO, 4), IMM(1), AT(RAX)},
    {R(M64, "\x80\x10\xff", "adc byte [rax],0xff"), OP(ADC, TO, 1), IMM(-1), AT(RAX)},
    {R(M64, "\x48\x83\x18\xff", "sbb qword [rax],-1"), OP(SBB, TO, 8), IMM(-1), AT(RAX)},
    {R(M64, "\x66\x81\x00\x34\x12", "add word [rax],0x1234"), OP(ADD, TO, 2), IMM(0x1234), AT(RAX)},
    {R(M64, "\xf0\x01\x08", "lock add [rax],ecx"), OP(ADD, TO, 4), .reg = RCX, AT(RAX),
     .lock = true},
    {R(M64, "\xf0\x83\x28\x01", "lock sub dword [rax],1"), OP(SUB, TO, 4), IMM(1), AT(RAX),
     .lock = true},
    {R(M64, "\xf0\x10\x08", "lock adc [rax],cl"), OP(ADC, TO, 1), .reg = RCX, AT(RAX),
     .lock = true},
    {R(M32, "\x01\x05\x00\x00\xe0\xfe", "add [0xfee00000],eax"), OP(ADD, TO, 4), .reg = RAX,
     MEM(NOREG, NOREG, 1, -0x1200000)},
    {R(M16, "\x01\x07", "add [bx],ax"), OP(ADD, TO, 2), .reg = RAX, AT(RBX)},

    /* INC / DEC / NEG / NOT */
    {R(M64, "\xff\x00", "inc dword [rax]"), OP(INC, TO, 4), NOR, AT(RAX)},
    {R(M64, "\xff\x08", "dec dword [rax]"), OP(DEC, TO, 4), NOR, AT(RAX)},
    {R(M64, "\xfe\x00", "inc byte [rax]"), OP(INC, TO, 1), NOR, AT(RAX)},
    {R(M64, "\xfe\x08", "dec byte [rax]"), OP(DEC, TO, 1), NOR, AT(RAX)},
    {R(M64, "\x48\xff\x00", "inc qword [rax]"), OP(INC, TO, 8), NOR, AT(RAX)},
    {R(M64, "\x66\xff\x08", "dec word [rax]"), OP(DEC, TO, 2), NOR, AT(RAX)},
    {R(M64, "\xf6\x10", "not byte [rax]"), OP(NOT, TO, 1), NOR, AT(RAX)},
    {R(M64, "\xf7\x18", "neg dword [rax]"), OP(NEG, TO, 4), NOR, AT(RAX)},
    {R(M64, "\x48\xf7\x10", "not qword [rax]"), OP(NOT, TO, 8), NOR, AT(RAX)},
    {R(M64, "\x66\xf7\x18", "neg word [rax]"), OP(NEG, TO, 2), NOR, AT(RAX)},
    {R(M64, "\xf0\xff\x00", "lock inc dword [rax]"), OP(INC, TO, 4), NOR, AT(RAX), .lock = true},
    {R(M64, "\xf0\xf6\x18", "lock neg byte [rax]"), OP(NEG, TO, 1), NOR, AT(RAX), .lock = true},
    {R(M32, "\xff\x03", "inc dword [ebx]"), OP(INC, TO, 4), NOR, AT(RBX)},

    /* shifts and rotates: by 1, CL, imm8 */
    {R(M64, "\xd1\x20", "shl dword [rax],1"), OP(SHL, TO, 4), IMM(1), AT(RAX)},
    {R(M64, "\xd0\x28", "shr byte [rax],1"), OP(SHR, TO, 1), IMM(1), AT(RAX)},
    {R(M64, "\xd3\x38", "sar dword [rax],cl"), OP(SAR, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\xd2\x00", "rol byte [rax],cl"), OP(ROL, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\xc1\x08\x05", "ror dword [rax],5"), OP(ROR, TO, 4), IMM(5), AT(RAX)},
    {R(M64, "\xc0\x10\xff", "rcl byte [rax],0xff (zero-extended)"), OP(RCL, TO, 1), IMM(0xff),
     AT(RAX)},
    {R(M64, "\x48\xc1\x18\x3f", "rcr qword [rax],63"), OP(RCR, TO, 8), IMM(63), AT(RAX)},
    {R(M64, "\x66\xd1\x20", "shl word [rax],1"), OP(SHL, TO, 2), IMM(1), AT(RAX)},
    {R(M64, "\xc1\x30\x04", "sal dword [rax],4 (/6)"), OP(SHL, TO, 4), IMM(4), AT(RAX)},
    {R(M64, "\x48\xd3\x28", "shr qword [rax],cl"), OP(SHR, TO, 8), .reg = RCX, AT(RAX)},
    {R(M16, "\xd1\x3f", "sar word [bx],1"), OP(SAR, TO, 2), IMM(1), AT(RBX)},

    /* BT / BTS / BTR / BTC */
    {R(M64, "\x0f\xa3\x08", "bt [rax],ecx"), OP(BT, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x48\x0f\xab\x08", "bts [rax],rcx"), OP(BTS, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\x66\x0f\xb3\x08", "btr [rax],cx"), OP(BTR, TO, 2), .reg = RCX, AT(RAX)},
    {R(M64, "\x0f\xbb\x08", "btc [rax],ecx"), OP(BTC, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x0f\xba\x20\x05", "bt dword [rax],5"), OP(BT, TO, 4), IMM(5), AT(RAX)},
    {R(M64, "\x0f\xba\x28\xff", "bts dword [rax],0xff"), OP(BTS, TO, 4), IMM(0xff), AT(RAX)},
    {R(M64, "\x48\x0f\xba\x30\x3f", "btr qword [rax],63"), OP(BTR, TO, 8), IMM(63), AT(RAX)},
    {R(M64, "\x66\x0f\xba\x38\x0f", "btc word [rax],15"), OP(BTC, TO, 2), IMM(15), AT(RAX)},
    {R(M64, "\xf0\x0f\xab\x08", "lock bts [rax],ecx"), OP(BTS, TO, 4), .reg = RCX, AT(RAX),
     .lock = true},
    {R(M64, "\xf0\x0f\xba\x38\x01", "lock btc dword [rax],1"), OP(BTC, TO, 4), IMM(1), AT(RAX),
     .lock = true},

    /* XADD / CMPXCHG */
    {R(M64, "\x0f\xc1\x08", "xadd [rax],ecx"), OP(XADD, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x0f\xc0\x20", "xadd [rax],ah"), OP(XADD, TO, 1), .reg = RAX, .high = true, AT(RAX)},
    {R(M64, "\x48\x0f\xc1\x08", "xadd [rax],rcx"), OP(XADD, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\xf0\x0f\xc1\x08", "lock xadd [rax],ecx"), OP(XADD, TO, 4), .reg = RCX, AT(RAX),
     .lock = true},
    {R(M64, "\x0f\xb1\x08", "cmpxchg [rax],ecx"), OP(CMPXCHG, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x0f\xb0\x08", "cmpxchg [rax],cl"), OP(CMPXCHG, TO, 1), .reg = RCX, AT(RAX)},
    {R(M64, "\x48\x0f\xb1\x08", "cmpxchg [rax],rcx"), OP(CMPXCHG, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\xf0\x66\x0f\xb1\x08", "lock cmpxchg [rax],cx"), OP(CMPXCHG, TO, 2), .reg = RCX,
     AT(RAX), .lock = true},

    /* SETcc (ModRM.reg ignored) */
    {R(M64, "\x0f\x94\x00", "sete byte [rax]"), OP(SETCC, TO, 1), NOR, AT(RAX), .cc = 4},
    {R(M64, "\x0f\x9f\x00", "setg byte [rax]"), OP(SETCC, TO, 1), NOR, AT(RAX), .cc = 15},
    {R(M64, "\x0f\x90\x18", "seto byte [rax] (reg 3)"), OP(SETCC, TO, 1), NOR, AT(RAX)},
    {R(M64, "\x41\x0f\x92\x00", "setb byte [r8]"), OP(SETCC, TO, 1), NOR, AT(8), .cc = 2},

    /* MOVNTI (NP 0F C3), MOVBE (0F 38 F0/F1), PUSH m (FF /6), POP m (8F /0) */
    {R(M64, "\x0f\xc3\x08", "movnti [rax],ecx"), OP(MOVNTI, TO, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x48\x0f\xc3\x08", "movnti [rax],rcx"), OP(MOVNTI, TO, 8), .reg = RCX, AT(RAX)},
    {R(M32, "\x0f\xc3\x03", "movnti [ebx],eax"), OP(MOVNTI, TO, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x0f\x38\xf0\x08", "movbe ecx,[rax]"), OP(MOVBE, FROM, 4), .reg = RCX, AT(RAX)},
    {R(M64, "\x66\x0f\x38\xf1\x08", "movbe [rax],cx"), OP(MOVBE, TO, 2), .reg = RCX, AT(RAX)},
    {R(M64, "\x48\x0f\x38\xf1\x08", "movbe [rax],rcx"), OP(MOVBE, TO, 8), .reg = RCX, AT(RAX)},
    {R(M64, "\xff\x30", "push qword [rax]"), OP(PUSH, FROM, 8), NOR, AT(RAX)},
    {R(M64, "\x66\xff\x30", "push word [rax]"), OP(PUSH, FROM, 2), NOR, AT(RAX)},
    {R(M64, "\x66\x48\xff\x30", "push qword [rax] (REX.W beats 66)"), OP(PUSH, FROM, 8), NOR,
     AT(RAX)},
    {R(M64, "\x8f\x00", "pop qword [rax]"), OP(POP, TO, 8), NOR, AT(RAX)},
    {R(M64, "\x8f\x04\x24", "pop qword [rsp]"), OP(POP, TO, 8), NOR, MEMS(RSP, NOREG, 1, 0, SS)},
    {R(M32, "\xff\x30", "push dword [eax]"), OP(PUSH, FROM, 4), NOR, AT(RAX)},
    {R(M16, "\x8f\x07", "pop word [bx]"), OP(POP, TO, 2), NOR, AT(RBX)},
    {R(M16, "\x66\xff\x37", "push dword [bx]"), OP(PUSH, FROM, 4), NOR, AT(RBX)},
    {R(M64, "\xff\x10", "call qword [rax]"), OP(CALL, FROM, 8), NOR, AT(RAX)},
    {R(M64, "\x66\xff\x10", "call qword [rax] (66 ignored, as on Intel)"), OP(CALL, FROM, 8), NOR,
     AT(RAX)},
    {R(M64, "\xff\x20", "jmp qword [rax]"), OP(JMP, FROM, 8), NOR, AT(RAX)},
    {R(M32, "\xff\x10", "call dword [eax]"), OP(CALL, FROM, 4), NOR, AT(RAX)},
    {R(M32, "\x66\xff\x20", "jmp word [eax]"), OP(JMP, FROM, 2), NOR, AT(RAX)},
    {R(M16, "\xff\x27", "jmp word [bx]"), OP(JMP, FROM, 2), NOR, AT(RBX)},

    /* 16-bit addressing (Table 2-1) */
    {R(M16, "\x8b\x07", "mov ax,[bx]"), OP(MOV, FROM, 2), .reg = RAX, AT(RBX)},
    {R(M16, "\x8b\x00", "mov ax,[bx+si]"), OP(MOV, FROM, 2), .reg = RAX, MEM(RBX, RSI, 1, 0)},
    {R(M16, "\x8b\x01", "mov ax,[bx+di]"), OP(MOV, FROM, 2), .reg = RAX, MEM(RBX, RDI, 1, 0)},
    {R(M16, "\x8b\x02", "mov ax,[bp+si]"), OP(MOV, FROM, 2), .reg = RAX, MEMS(RBP, RSI, 1, 0, SS)},
    {R(M16, "\x8b\x03", "mov ax,[bp+di]"), OP(MOV, FROM, 2), .reg = RAX, MEMS(RBP, RDI, 1, 0, SS)},
    {R(M16, "\x8b\x04", "mov ax,[si]"), OP(MOV, FROM, 2), .reg = RAX, AT(RSI)},
    {R(M16, "\x8b\x05", "mov ax,[di]"), OP(MOV, FROM, 2), .reg = RAX, AT(RDI)},
    {R(M16, "\x8b\x06\x34\x12", "mov ax,[0x1234]"), OP(MOV, FROM, 2), .reg = RAX,
     MEM(NOREG, NOREG, 1, 0x1234)},
    {R(M16, "\x8b\x46\xfe", "mov ax,[bp-2]"), OP(MOV, FROM, 2), .reg = RAX,
     MEMS(RBP, NOREG, 1, -2, SS)},
    {R(M16, "\x8b\x87\x00\x80", "mov ax,[bx-0x8000]"), OP(MOV, FROM, 2), .reg = RAX,
     MEM(RBX, NOREG, 1, -0x8000)},
    {R(M16, "\x8b\x40\x10", "mov ax,[bx+si+0x10]"), OP(MOV, FROM, 2), .reg = RAX,
     MEM(RBX, RSI, 1, 0x10)},
    {R(M16, "\x66\x8b\x07", "mov eax,[bx]"), OP(MOV, FROM, 4), .reg = RAX, AT(RBX)},
    {R(M16, "\x88\x27", "mov [bx],ah"), OP(MOV, TO, 1), .reg = RAX, .high = true, AT(RBX)},
    {R(M16, "\xc6\x06\x00\x10\xff", "mov byte [0x1000],0xff"), OP(MOV, TO, 1), IMM(-1),
     MEM(NOREG, NOREG, 1, 0x1000)},
    {R(M16, "\xc7\x07\x34\x12", "mov word [bx],0x1234"), OP(MOV, TO, 2), IMM(0x1234), AT(RBX)},
    {R(M16, "\x67\x8b\x03", "mov ax,[ebx]"), OP(MOV, FROM, 2), .asize = 4, .reg = RAX, AT(RBX)},
    {R(M16, "\x67\x8b\x04\x8b", "mov ax,[ebx+ecx*4]"), OP(MOV, FROM, 2), .asize = 4, .reg = RAX,
     MEM(RBX, RCX, 4, 0)},
    {R(M32, "\x67\x8b\x07", "mov eax,[bx]"), OP(MOV, FROM, 4), .asize = 2, .reg = RAX, AT(RBX)},
    {R(M32, "\x8b\x05\x00\x00\xe0\xfe", "mov eax,[0xfee00000] (no RIP-rel)"), OP(MOV, FROM, 4),
     .reg = RAX, MEM(NOREG, NOREG, 1, -0x1200000)},
    {R(M32, "\xc7\x05\x00\x00\xe0\xfe\x01\x00\x00\x00", "mov dword [0xfee00000],1"), OP(MOV, TO, 4),
     IMM(1), MEM(NOREG, NOREG, 1, -0x1200000)},
    {R(M32, "\x66\x89\x08", "mov [eax],cx"), OP(MOV, TO, 2), .reg = RCX, AT(RAX)},

    /* the vector moves: mandatory prefixes, REX.R/REX.W, VEX 2- and 3-byte with L */
    {R(M64, "\x66\x0f\x6e\x06", "movd xmm0,[rsi]"), VEC(MOVD, FROM, 4, 0), AT(RSI)},
    {R(M64, "\x66\x0f\x7e\x0e", "movd [rsi],xmm1"), VEC(MOVD, TO, 4, 1), AT(RSI)},
    {R(M64, "\x66\x48\x0f\x6e\x06", "movq xmm0,[rsi] (66 REX.W 6E)"), VEC(MOVQ, FROM, 8, 0),
     AT(RSI)},
    {R(M64, "\x66\x4c\x0f\x7e\x16", "movq [rsi],xmm10 (66 REX.W 7E)"), VEC(MOVQ, TO, 8, 10),
     AT(RSI)},
    {R(M64, "\xf3\x0f\x7e\x16", "movq xmm2,[rsi] (F3 7E)"), VEC(MOVQ, FROM, 8, 2), AT(RSI)},
    {R(M64, "\xf3\x48\x0f\x7e\x16", "movq xmm2,[rsi] (F3 7E, REX.W ignored)"),
     VEC(MOVQ, FROM, 8, 2), AT(RSI)},
    {R(M64, "\x66\x0f\xd6\x1e", "movq [rsi],xmm3 (66 D6)"), VEC(MOVQ, TO, 8, 3), AT(RSI)},
    {R(M64, "\x66\x0f\x6f\x06", "movdqa xmm0,[rsi]"), VEC(MOVDQA, FROM, 16, 0), AT(RSI),
     .aligned = true},
    {R(M64, "\x66\x44\x0f\x7f\x3e", "movdqa [rsi],xmm15"), VEC(MOVDQA, TO, 16, 15), AT(RSI),
     .aligned = true},
    {R(M64, "\xf3\x0f\x6f\x06", "movdqu xmm0,[rsi]"), VEC(MOVDQU, FROM, 16, 0), AT(RSI)},
    {R(M64, "\xf3\x41\x0f\x7f\x00", "movdqu [r8],xmm0"), VEC(MOVDQU, TO, 16, 0), AT(8)},
    {R(M64, "\x66\xf3\x0f\x6f\x06", "movdqu xmm0,[rsi] (F3 beats 66)"), VEC(MOVDQU, FROM, 16, 0),
     AT(RSI)},
    {R(M64, "\xf3\x66\x0f\x6f\x06", "movdqu xmm0,[rsi] (F3, then 66)"), VEC(MOVDQU, FROM, 16, 0),
     AT(RSI)},
    {R(M64, "\xf2\xf3\x0f\x7f\x06", "movdqu [rsi],xmm0 (the last of F2/F3)"),
     VEC(MOVDQU, TO, 16, 0), AT(RSI)},
    {R(M64, "\x0f\x10\x06", "movups xmm0,[rsi]"), VEC(MOVUPS, FROM, 16, 0), AT(RSI)},
    {R(M64, "\x0f\x11\x4c\x24\x10", "movups [rsp+0x10],xmm1"), VEC(MOVUPS, TO, 16, 1),
     MEMS(RSP, NOREG, 1, 0x10, SS)},
    {R(M64, "\x0f\x28\x06", "movaps xmm0,[rsi]"), VEC(MOVAPS, FROM, 16, 0), AT(RSI),
     .aligned = true},
    {R(M64, "\x45\x0f\x29\x0c\x24", "movaps [r12],xmm9"), VEC(MOVAPS, TO, 16, 9), AT(12),
     .aligned = true},
    {R(M64, "\x64\x66\x0f\x7f\x00", "movdqa fs:[rax],xmm0"), VEC(MOVDQA, TO, 16, 0),
     MEMS(RAX, NOREG, 1, 0, FS), .override = true, .aligned = true},
    {R(M64, "\xc5\xfa\x6f\x06", "vmovdqu xmm0,[rsi]"), VEC(VMOVDQU, FROM, 16, 0), AT(RSI),
     .vex = true},
    {R(M64, "\xc5\xfe\x7f\x0e", "vmovdqu [rsi],ymm1"), VEC(VMOVDQU, TO, 32, 1), AT(RSI),
     .vex = true},
    {R(M64, "\xc5\x7e\x6f\x3e", "vmovdqu ymm15,[rsi]"), VEC(VMOVDQU, FROM, 32, 15), AT(RSI),
     .vex = true},
    {R(M64, "\xc4\xc1\x7e\x6f\x00", "vmovdqu ymm0,[r8] (C4, VEX.B)"), VEC(VMOVDQU, FROM, 32, 0),
     AT(8), .vex = true},
    {R(M64, "\xc4\xa1\x7a\x7f\x04\xc8", "vmovdqu [rax+r9*8],xmm0 (C4, VEX.X)"),
     VEC(VMOVDQU, TO, 16, 0), MEM(RAX, 9, 8, 0), .vex = true},
    {R(M64, "\xc4\xe1\xfa\x7f\x06", "vmovdqu [rsi],xmm0 (VEX.W ignored)"), VEC(VMOVDQU, TO, 16, 0),
     AT(RSI), .vex = true},
    {R(M64, "\x65\x67\xc5\xfe\x6f\x00", "vmovdqu ymm0,gs:[eax]"), VEC(VMOVDQU, FROM, 32, 0),
     .asize = 4, MEMS(RAX, NOREG, 1, 0, GS), .override = true, .vex = true},
    {R(M64, "\xc5\xf8\x10\x00", "vmovups xmm0,[rax]"), VEC(VMOVUPS, FROM, 16, 0), AT(RAX),
     .vex = true},
    {R(M64, "\xc5\xfc\x11\x0e", "vmovups [rsi],ymm1"), VEC(VMOVUPS, TO, 32, 1), AT(RSI),
     .vex = true},
    {R(M64, "\xc5\xf9\x6f\x06", "vmovdqa xmm0,[rsi]"), VEC(VMOVDQA, FROM, 16, 0), AT(RSI),
     .vex = true, .aligned = true},
    {R(M64, "\xc4\x41\x7d\x7f\x00", "vmovdqa [r8],ymm8"), VEC(VMOVDQA, TO, 32, 8), AT(8),
     .vex = true, .aligned = true},
    {R(M64, "\xc5\xfc\x28\x16", "vmovaps ymm2,[rsi]"), VEC(VMOVAPS, FROM, 32, 2), AT(RSI),
     .vex = true, .aligned = true},
    {R(M64, "\xc5\x78\x29\x3e", "vmovaps [rsi],xmm15"), VEC(VMOVAPS, TO, 16, 15), AT(RSI),
     .vex = true, .aligned = true},
    {R(M64, "\x66\x0f\x10\x06", "movupd xmm0,[rsi]"), VEC(MOVUPD, FROM, 16, 0), AT(RSI)},
    {R(M64, "\x66\x41\x0f\x11\x08", "movupd [r8],xmm1"), VEC(MOVUPD, TO, 16, 1), AT(8)},
    {R(M64, "\x66\x0f\x28\x16", "movapd xmm2,[rsi]"), VEC_A(MOVAPD, FROM, 16, 2, false), AT(RSI)},
    {R(M64, "\x66\x44\x0f\x29\x1e", "movapd [rsi],xmm11"), VEC_A(MOVAPD, TO, 16, 11, false),
     AT(RSI)},
    {R(M64, "\x66\x0f\xe7\x06", "movntdq [rsi],xmm0"), VEC_A(MOVNTDQ, TO, 16, 0, false), AT(RSI)},
    {R(M64, "\x0f\x2b\x0e", "movntps [rsi],xmm1"), VEC_A(MOVNTPS, TO, 16, 1, false), AT(RSI)},
    {R(M64, "\x66\x0f\x2b\x0e", "movntpd [rsi],xmm1"), VEC_A(MOVNTPD, TO, 16, 1, false), AT(RSI)},
    {R(M64, "\xf3\x0f\x10\x06", "movss xmm0,[rsi]"), VEC(MOVSS, FROM, 4, 0), AT(RSI)},
    {R(M64, "\xf3\x0f\x11\x0e", "movss [rsi],xmm1"), VEC(MOVSS, TO, 4, 1), AT(RSI)},
    {R(M64, "\x66\xf3\x0f\x10\x06", "movss xmm0,[rsi] (F3 beats 66)"), VEC(MOVSS, FROM, 4, 0),
     AT(RSI)},
    {R(M64, "\xf2\x0f\x10\x06", "movsd xmm0,[rsi]"), VEC(MOVSD, FROM, 8, 0), AT(RSI)},
    {R(M64, "\xf2\x45\x0f\x11\x38", "movsd [r8],xmm15"), VEC(MOVSD, TO, 8, 15), AT(8)},
    {R(M64, "\xf3\xf2\x0f\x11\x06", "movsd [rsi],xmm0 (the last of F2/F3)"), VEC(MOVSD, TO, 8, 0),
     AT(RSI)},
    {R(M64, "\x0f\x12\x06", "movlps xmm0,[rsi]"), VEC(MOVLPS, FROM, 8, 0), AT(RSI)},
    {R(M64, "\x0f\x13\x06", "movlps [rsi],xmm0"), VEC(MOVLPS, TO, 8, 0), AT(RSI)},
    {R(M64, "\x0f\x16\x0e", "movhps xmm1,[rsi]"), VEC(MOVHPS, FROM, 8, 1), AT(RSI)},
    {R(M64, "\x0f\x17\x0e", "movhps [rsi],xmm1"), VEC(MOVHPS, TO, 8, 1), AT(RSI)},
    {R(M64, "\x66\x0f\x12\x16", "movlpd xmm2,[rsi]"), VEC(MOVLPD, FROM, 8, 2), AT(RSI)},
    {R(M64, "\x66\x0f\x13\x16", "movlpd [rsi],xmm2"), VEC(MOVLPD, TO, 8, 2), AT(RSI)},
    {R(M64, "\x66\x0f\x16\x1e", "movhpd xmm3,[rsi]"), VEC(MOVHPD, FROM, 8, 3), AT(RSI)},
    {R(M64, "\x66\x0f\x17\x1e", "movhpd [rsi],xmm3"), VEC(MOVHPD, TO, 8, 3), AT(RSI)},
    {R(M32, "\xf3\x0f\x10\x45\x04", "movss xmm0,[ebp+4]"), VEC(MOVSS, FROM, 4, 0),
     MEMS(RBP, NOREG, 1, 4, SS)},
    {R(M16, "\x66\x0f\xe7\x04", "movntdq [si],xmm0"), VEC_A(MOVNTDQ, TO, 16, 0, false), AT(RSI)},
    {R(M64, "\xc5\xf9\x10\x00", "vmovupd xmm0,[rax]"), VEC(VMOVUPD, FROM, 16, 0), AT(RAX),
     .vex = true},
    {R(M64, "\xc5\xfd\x11\x0e", "vmovupd [rsi],ymm1"), VEC(VMOVUPD, TO, 32, 1), AT(RSI),
     .vex = true},
    {R(M64, "\xc5\xfd\x28\x16", "vmovapd ymm2,[rsi]"), VEC_A(VMOVAPD, FROM, 32, 2, true), AT(RSI)},
    {R(M64, "\xc4\x41\x79\x29\x00", "vmovapd [r8],xmm8"), VEC_A(VMOVAPD, TO, 16, 8, true), AT(8)},
    {R(M64, "\xc5\xfd\xe7\x06", "vmovntdq [rsi],ymm0"), VEC_A(VMOVNTDQ, TO, 32, 0, true), AT(RSI)},
    {R(M64, "\xc5\xf9\xe7\x06", "vmovntdq [rsi],xmm0"), VEC_A(VMOVNTDQ, TO, 16, 0, true), AT(RSI)},
    {R(M64, "\xc5\xfc\x2b\x0e", "vmovntps [rsi],ymm1"), VEC_A(VMOVNTPS, TO, 32, 1, true), AT(RSI)},
    {R(M64, "\xc5\x79\x2b\x16", "vmovntpd [rsi],xmm10"), VEC_A(VMOVNTPD, TO, 16, 10, true),
     AT(RSI)},
    {R(M64, "\xc5\xfa\x10\x06", "vmovss xmm0,[rsi]"), VEC(VMOVSS, FROM, 4, 0), AT(RSI),
     .vex = true},
    {R(M64, "\xc5\xfe\x11\x06", "vmovss [rsi],xmm0 (VEX.L ignored)"), VEC(VMOVSS, TO, 4, 0),
     AT(RSI), .vex = true},
    {R(M64, "\xc5\xfb\x10\x06", "vmovsd xmm0,[rsi]"), VEC(VMOVSD, FROM, 8, 0), AT(RSI),
     .vex = true},
    {R(M64, "\xc4\xc1\x7b\x11\x38", "vmovsd [r8],xmm7 (C4)"), VEC(VMOVSD, TO, 8, 7), AT(8),
     .vex = true},
    {R(M32, "\xc5\xfb\x11\x06", "vmovsd [esi],xmm0"), VEC(VMOVSD, TO, 8, 0), AT(RSI), .vex = true},
    {R(M32, "\xc5\xfa\x6f\x06", "vmovdqu xmm0,[esi]"), VEC(VMOVDQU, FROM, 16, 0), AT(RSI),
     .vex = true},
    {R(M32, "\xc4\xc1\x7e\x7f\x00", "vmovdqu [eax],ymm0 (VEX.B ignored)"), VEC(VMOVDQU, TO, 32, 0),
     AT(RAX), .vex = true},
    {R(M32, "\x66\x0f\x6e\x06", "movd xmm0,[esi]"), VEC(MOVD, FROM, 4, 0), AT(RSI)},
    {R(M32, "\x0f\x29\x45\x00", "movaps [ebp],xmm0"), VEC(MOVAPS, TO, 16, 0),
     MEMS(RBP, NOREG, 1, 0, SS), .aligned = true},
    {R(M16, "\x66\x0f\x7f\x04", "movdqa [si],xmm0"), VEC(MOVDQA, TO, 16, 0), AT(RSI),
     .aligned = true},
    {R(M16, "\xf3\x0f\x7e\x07", "movq xmm0,[bx]"), VEC(MOVQ, FROM, 8, 0), AT(RBX)},
    {R(M16, "\xc5\xfa\x6f\x04", "vmovdqu xmm0,[si] (16-bit protected mode)"),
     VEC(VMOVDQU, FROM, 16, 0), AT(RSI), .vex = true},

    /* MUL, IMUL, DIV, IDIV (F6/F7 /4-/7, 0F AF, 69, 6B): memory is a source */
    {R(M64, "\xf7\x20", "mul dword [rax]"), OP(MUL, FROM, 4), NOR, AT(RAX)},
    {R(M64, "\xf6\x20", "mul byte [rax]"), OP(MUL, FROM, 1), NOR, AT(RAX)},
    {R(M64, "\x48\xf7\x23", "mul qword [rbx]"), OP(MUL, FROM, 8), NOR, AT(RBX)},
    {R(M64, "\x66\xf7\x26", "mul word [rsi]"), OP(MUL, FROM, 2), NOR, AT(RSI)},
    {R(M64, "\xf7\x2e", "imul dword [rsi]"), OP(IMUL, FROM, 4), NOR, AT(RSI)},
    {R(M64, "\xf6\x6c\x24\x08", "imul byte [rsp+8]"), OP(IMUL, FROM, 1), NOR,
     MEMS(RSP, NOREG, 1, 8, SS)},
    {R(M64, "\xf7\x30", "div dword [rax]"), OP(DIV, FROM, 4), NOR, AT(RAX)},
    {R(M64, "\x49\xf7\x30", "div qword [r8]"), OP(DIV, FROM, 8), NOR, AT(8)},
    {R(M64, "\xf6\x38", "idiv byte [rax]"), OP(IDIV, FROM, 1), NOR, AT(RAX)},
    {R(M64, "\x48\xf7\x3c\x24", "idiv qword [rsp]"), OP(IDIV, FROM, 8), NOR,
     MEMS(RSP, NOREG, 1, 0, SS)},
    {R(M64, "\x64\x66\xf7\x3e", "idiv word fs:[rsi]"), OP(IDIV, FROM, 2), NOR,
     MEMS(RSI, NOREG, 1, 0, FS), .override = true},
    {R(M32, "\xf7\x26", "mul dword [esi]"), OP(MUL, FROM, 4), NOR, AT(RSI)},
    {R(M16, "\xf7\x27", "mul word [bx]"), OP(MUL, FROM, 2), NOR, AT(RBX)},
    {R(M16, "\x66\xf7\x37", "div dword [bx]"), OP(DIV, FROM, 4), NOR, AT(RBX)},
    {R(M64, "\x0f\xaf\x03", "imul eax,[rbx]"), OP(IMUL, FROM, 4), .reg = RAX, AT(RBX)},
    {R(M64, "\x66\x0f\xaf\x13", "imul dx,[rbx]"), OP(IMUL, FROM, 2), .reg = RDX, AT(RBX)},
    {R(M64, "\x4c\x0f\xaf\x0e", "imul r9,[rsi]"), OP(IMUL, FROM, 8), .reg = 9, AT(RSI)},
    {R(M64, "\x69\x03\x78\x56\x34\x12", "imul eax,[rbx],0x12345678"), OP(IMUL, FROM, 4),
     RIMM(RAX, 0x12345678), AT(RBX)},
    {R(M64, "\x66\x69\x0e\x34\x12", "imul cx,[rsi],0x1234"), OP(IMUL, FROM, 2), RIMM(RCX, 0x1234),
     AT(RSI)},
    {R(M64, "\x48\x69\x0e\x00\x00\x00\x80", "imul rcx,[rsi],-0x80000000"), OP(IMUL, FROM, 8),
     RIMM(RCX, -0x80000000LL), AT(RSI)},
    {R(M64, "\x6b\x03\xfd", "imul eax,[rbx],-3"), OP(IMUL, FROM, 4), RIMM(RAX, -3), AT(RBX)},
    {R(M64, "\x48\x6b\x1e\x7f", "imul rbx,[rsi],0x7f"), OP(IMUL, FROM, 8), RIMM(RBX, 0x7f),
     AT(RSI)},
    {R(M16, "\x6b\x07\x05", "imul ax,[bx],5"), OP(IMUL, FROM, 2), RIMM(RAX, 5), AT(RBX)},

    /* CMPXCHG8B m64, CMPXCHG16B m128 (0F C7 /1): op_size the half, whatever 66 says */
    {R(M64, "\x0f\xc7\x08", "cmpxchg8b [rax]"), WIDE(CMPXCHG8B, TO, 8, 4), NOR, AT(RAX)},
    {R(M64, "\xf0\x0f\xc7\x0e", "lock cmpxchg8b [rsi]"), WIDE(CMPXCHG8B, TO, 8, 4), NOR, AT(RSI),
     .lock = true},
    {R(M64, "\x66\x0f\xc7\x08", "cmpxchg8b [rax] (66 ignored)"), WIDE(CMPXCHG8B, TO, 8, 4), NOR,
     AT(RAX)},
    {R(M64, "\x48\x0f\xc7\x0e", "cmpxchg16b [rsi]"), WIDE(CMPXCHG16B, TO, 16, 8), NOR, AT(RSI)},
    {R(M64, "\xf0\x49\x0f\xc7\x0f", "lock cmpxchg16b [r15]"), WIDE(CMPXCHG16B, TO, 16, 8), NOR,
     AT(15), .lock = true},
    {R(M32, "\x0f\xc7\x0e", "cmpxchg8b [esi]"), WIDE(CMPXCHG8B, TO, 8, 4), NOR, AT(RSI)},
    {R(M16, "\x0f\xc7\x0f", "cmpxchg8b [bx]"), WIDE(CMPXCHG8B, TO, 8, 4), NOR, AT(RBX)},

    /* rejections */
    {R(M64, "", "nothing"), FAIL(TRUNCATED)},
    {R(M64, "\xf0", "lone LOCK"), FAIL(TRUNCATED)},
    {R(M64, "\x48", "lone REX"), FAIL(TRUNCATED)},
    {R(M64, "\x8b", "mov, no ModRM"), FAIL(TRUNCATED)},
    {R(M64, "\x8b\x04", "mov, no SIB"), FAIL(TRUNCATED)},
    {R(M64, "\x8b\x80\x00\x00", "mov, short disp32"), FAIL(TRUNCATED)},
    {R(M64, "\xc7\x00\x01\x00", "mov imm32, short imm"), FAIL(TRUNCATED)},
    {R(M64, "\x48\xa1\x00\x00\x00\x00", "moffs64 cut short"), FAIL(TRUNCATED)},
    {R(M64, "\x0f", "lone escape"), FAIL(TRUNCATED)},
    {R(M64,
       "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
       "\x89\x08",
       "16 bytes"),
     FAIL(TOO_LONG)},
    {R(M64,
       "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e"
       "\xc7\x00\x01\x00\x00\x00",
       "17 bytes ending in an immediate"),
     FAIL(TOO_LONG)},
    {R(M64, "\x89\xc8", "mov eax,ecx"), FAIL(NOT_MEMORY)},
    {R(M64, "\x0f\xb6\xc1", "movzx eax,cl"), FAIL(NOT_MEMORY)},
    {R(M64, "\x83\xe0\x01", "and eax,1"), FAIL(NOT_MEMORY)},
    {R(M64, "\xf0\x89\x08", "lock mov [rax],ecx"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x8b\x08", "lock mov ecx,[rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xc7\x00\x01\x00\x00\x00", "lock mov dword [rax],1"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x23\x08", "lock and ecx,[rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x83\x38\x00", "lock cmp dword [rax],0"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x85\x08", "lock test [rax],ecx"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x0f\xb6\x03", "lock movzx eax,byte [rbx]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xaa", "lock stosb"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x03\x08", "lock add ecx,[rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x0f\xa3\x08", "lock bt [rax],ecx"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x0f\xba\x20\x01", "lock bt dword [rax],1"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xd1\x20", "lock shl dword [rax],1"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x0f\x94\x00", "lock sete byte [rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xc7\x08\x00\x00\x00\x00", "C7 /1"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf6\x08\x01", "F6 /1 (an undocumented TEST)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xfe\x10", "FE /2"), FAIL(UNSUPPORTED)},
    {R(M64, "\xff\x18", "call far [rax]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xff\x28", "jmp far [rax]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf0\xff\x10", "lock call [rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\x0f\xba\x00\x01", "0F BA /0"), FAIL(UNSUPPORTED)},
    {R(M64, "\x66\x0f\xc3\x08", "66 movnti (NP)"), FAIL(UNSUPPORTED)},
    {R(M16, "\x0f\xc3\x07", "movnti in 16-bit code (no 16-bit form)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf2\x0f\x38\xf1\x08", "crc32 ecx,dword [rax]"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\x38\x00\x08", "pshufb mm1,[rax]"), FAIL(UNSUPPORTED)},
    {R(M64, "\x8f\x08", "8F /1"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf0\xff\x30", "lock push qword [rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf7\xe0", "mul eax"), FAIL(NOT_MEMORY)},
    {R(M64, "\x0f\xaf\xc1", "imul eax,ecx"), FAIL(NOT_MEMORY)},
    {R(M64, "\x0f\xc7\xc8", "cmpxchg8b with a register operand (#UD)"), FAIL(NOT_MEMORY)},
    {R(M64, "\xf0\xf7\x20", "lock mul dword [rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xf6\x38", "lock idiv byte [rax]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x0f\xaf\x03", "lock imul eax,[rbx]"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\x6b\x03\x01", "lock imul eax,[rbx],1"), FAIL(BAD_LOCK)},
    {R(M64, "\x0f\xc7\x10", "0F C7 /2"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\xc7\x20", "xsavec [rax] (0F C7 /4)"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\xc7\x30", "vmptrld [rax] (0F C7 /6)"), FAIL(UNSUPPORTED)},
    {R(M64, "\x69\x03\x01\x02", "imul eax,[rbx],imm32 cut short"), FAIL(TRUNCATED)},
    {R(M64, "\x48\x0f\xc7", "cmpxchg16b without its ModRM"), FAIL(TRUNCATED)},
    {R(M64, "\xd1\xe0", "shl eax,1"), FAIL(NOT_MEMORY)},
    {R(M64, "\x0f\x94\xc0", "sete al"), FAIL(NOT_MEMORY)},
    {R(M64, "\xf3\x0f\xb8\x03", "popcnt eax,[rbx]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc5\xf0\x29\x06", "vmovaps with vvvv 1110"), FAIL(BAD_VEX)},
    {R(M64, "\xf0\xac", "lock lodsb"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xa6", "lock cmpsb"), FAIL(BAD_LOCK)},
    {R(M64, "\xc5\xf2\x6f\x06", "vmovdqu with vvvv 1110"), FAIL(BAD_VEX)},
    {R(M64, "\xc4\xe1\x42\x7f\x06", "vmovdqu (C4) with vvvv 0111"), FAIL(BAD_VEX)},
    {R(M64, "\x66\xc5\xfa\x6f\x06", "66 before VEX"), FAIL(BAD_VEX)},
    {R(M64, "\xf3\xc5\xfa\x6f\x06", "F3 before VEX"), FAIL(BAD_VEX)},
    {R(M64, "\x48\xc5\xfa\x6f\x06", "REX before VEX"), FAIL(BAD_VEX)},
    {R(M64, "\xf0\xc5\xfa\x6f\x06", "lock vmovdqu"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xf3\x0f\x7f\x06", "lock movdqu"), FAIL(BAD_LOCK)},
    {R(M64, "\xc5\xfb\x6f\x06", "VEX.F2.0F 6F"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc4\xe2\x7a\x6f\x06", "VEX map 0F38"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\x6f\x06", "movq mm0,[rsi] (MMX)"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\x7e\x06", "movd [rsi],mm0 (MMX)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf2\x0f\x6f\x06", "F2 0F 6F"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\xe7\x06", "movntq [rsi],mm0 (MMX)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf3\x0f\xe7\x06", "F3 0F E7"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf3\x0f\x12\x06", "movsldup xmm0,[rsi]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf2\x0f\x12\x06", "movddup xmm0,[rsi]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf3\x0f\x16\x06", "movshdup xmm0,[rsi]"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf3\x0f\x2b\x06", "movntss [rsi],xmm0 (AMD)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf2\x0f\x28\x06", "F2 0F 28"), FAIL(UNSUPPORTED)},
    {R(M64, "\xf3\x0f\x13\x06", "F3 0F 13"), FAIL(UNSUPPORTED)},
    {R(M64, "\x0f\x12\xc1", "movhlps xmm0,xmm1"), FAIL(NOT_MEMORY)},
    {R(M64, "\x0f\x16\xc1", "movlhps xmm0,xmm1"), FAIL(NOT_MEMORY)},
    {R(M64, "\x66\x0f\xe7\xc1", "movntdq with a register"), FAIL(NOT_MEMORY)},
    {R(M64, "\xf3\x0f\x10\xc1", "movss xmm0,xmm1"), FAIL(NOT_MEMORY)},
    {R(M64, "\xf0\x66\x0f\xe7\x06", "lock movntdq"), FAIL(BAD_LOCK)},
    {R(M64, "\xf0\xf3\x0f\x10\x06", "lock movss"), FAIL(BAD_LOCK)},
    {R(M64, "\xc5\xf8\x12\x06", "vmovlps xmm0,xmm0,[rsi] (not decoded)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc5\xf9\x17\x06", "vmovhpd [rsi],xmm0 (not decoded)"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc5\xf9\xe7\xc1", "vmovntdq with a register"), FAIL(NOT_MEMORY)},
    {R(M64, "\xc5\xfa\x2b\x06", "VEX.F3.0F 2B"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc5\xf8\xe7\x06", "VEX.NP.0F E7"), FAIL(UNSUPPORTED)},
    {R(M64, "\xc5\xf2\x10\x06", "vmovss xmm0,[rsi] with vvvv 1110"), FAIL(BAD_VEX)},
    {R(M64, "\xc5\xc3\x11\x06", "vmovsd [rsi],xmm0 with vvvv 1000"), FAIL(BAD_VEX)},
    {R(M64, "\xc5\xf1\xe7\x06", "vmovntdq with vvvv 1110"), FAIL(BAD_VEX)},
    {R(M64, "\xc5\xb9\x28\x06", "vmovapd with vvvv 0111"), FAIL(BAD_VEX)},
    {R(M64, "\x66\xc5\xf9\x10\x06", "66 before VEX (vmovupd)"), FAIL(BAD_VEX)},
    {R(M64, "\xf2\xc5\xfb\x10\x06", "F2 before VEX (vmovsd)"), FAIL(BAD_VEX)},
    {R(M64, "\xf0\xc5\xfa\x10\x06", "lock vmovss"), FAIL(BAD_LOCK)},
    {R(M64, "\x62\xf1\x7c\x48\x10\x06", "vmovups zmm0,[rsi] (EVEX)"), FAIL(UNSUPPORTED)},
    {R(M64, "\x62\xf1\xfe\x08\x6f\x06", "vmovdqu64 xmm0,[rsi] (EVEX)"), FAIL(UNSUPPORTED)},
    {R(M64, "\x66\x0f\xfe\x06", "paddd xmm0,[rsi]"), FAIL(UNSUPPORTED)},
    {R(M64, "\x66\x0f\x6f\xc1", "movdqa xmm0,xmm1"), FAIL(NOT_MEMORY)},
    {R(M64, "\xc5\xfe\x6f\xc1", "vmovdqu ymm0,ymm1"), FAIL(NOT_MEMORY)},
    {R(M32, "\xc5\x06", "lds eax,[esi] (not VEX outside 64-bit code)"), FAIL(UNSUPPORTED)},
    {R(M32, "\x63\x03", "arpl (not MOVSXD outside 64-bit)"), FAIL(UNSUPPORTED)},
    {R(M32, "\x40\x8b\x03", "inc eax; mov (no REX in 32-bit)"), FAIL(UNSUPPORTED)},
};

static void hex(const struct row *r, char *buf, unsigned size)
{
	decode_hex((const u8 *)r->bytes, r->n, buf, size);
}

/* Decodes from a heap buffer of exactly n bytes, so ASan sees any over-read. */
static int decode_exact(const char *bytes, unsigned n, enum decode_mode mode, struct decode_insn *d)
{
	u8 *buf = malloc(n ? n : 1);
	int s;

	assert_non_null(buf);
	memcpy(buf, bytes, n);
	s = decode_insn(buf, n, mode, d);
	free(buf);
	return s;
}

static void check_mem(const struct row *r, const struct decode_mem *got)
{
	const struct decode_mem *w = &r->mem;

	assert_int_equal(got->base, w->base);
	assert_int_equal(got->index, w->index);
	assert_int_equal(got->scale, w->scale ? w->scale : 1);
	assert_int_equal(got->rip_rel, w->rip_rel);
	assert_int_equal(got->disp, w->disp);
	assert_int_equal(got->seg, w->seg);
}

static void check_row(const struct row *r, const struct decode_insn *d)
{
	assert_int_equal(d->len, r->n);
	assert_int_equal(d->mode, r->mode);
	assert_int_equal(d->op, r->op);
	assert_int_equal(d->dir, r->dir);
	assert_int_equal(d->mem_size, r->msize);
	assert_int_equal(d->op_size, r->osize);
	assert_int_equal(d->addr_size, r->asize ? r->asize : r->mode);
	assert_int_equal(d->has_reg, r->reg != NOREG);
	if (d->has_reg) {
		assert_int_equal(d->reg, r->reg);
		assert_int_equal(d->reg_high, r->high);
	}
	assert_int_equal(d->has_imm, r->has_imm);
	if (d->has_imm)
		assert_int_equal(d->imm, r->imm);
	check_mem(r, &d->mem);
	assert_int_equal(d->seg_override, r->override);
	assert_int_equal(d->rep, r->rep);
	assert_int_equal(d->lock, r->lock);
	if (d->op == DECODE_OP_SETCC)
		assert_int_equal(d->cc, r->cc);
	assert_int_equal(d->repne, r->repne);
	if (decode_op_is_vector(d->op)) {
		assert_int_equal(d->vreg, r->vreg);
		assert_int_equal(d->vex, r->vex);
		assert_int_equal(d->aligned, r->aligned);
	}
	if (d->op == DECODE_OP_MOVS || d->op == DECODE_OP_CMPS) {
		assert_int_equal(d->mem2.base, RDI);
		assert_int_equal(d->mem2.seg, ES);
	}
}

static void test_table(void **state)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct decode_insn d;
		char h[64];
		int s = decode_exact(r->bytes, r->n, r->mode, &d);

		hex(r, h, sizeof(h));
		if (s != r->status)
			fail_msg("row %u (%s: %s): status %s, want %s", i, r->text, h,
				 decode_status_name(s), decode_status_name(r->status));
		if (s != DECODE_OK)
			continue;
		check_row(r, &d);
		ok++;
	}
	assert_true(ARRAY_SIZE(rows) >= 100);
	assert_true(ok >= 100);
}

/* Every proper prefix of a valid encoding is truncated, never anything else. */
static void test_prefixes_truncated(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct decode_insn d;

		if (r->status != DECODE_OK)
			continue;
		for (unsigned k = 0; k < r->n; k++) {
			int s = decode_exact(r->bytes, k, r->mode, &d);

			if (s != DECODE_TRUNCATED)
				fail_msg("row %u (%s) cut to %u bytes: %s", i, r->text, k,
					 decode_status_name(s));
		}
	}
}

/* Trailing bytes after an instruction are not consumed. */
static void test_trailing_bytes(void **state)
{
	static const u8 b[] = {0x89, 0x08, 0x89, 0x08, 0xcc};
	struct decode_insn d;

	assert_int_equal(decode_insn(b, sizeof(b), M64, &d), DECODE_OK);
	assert_int_equal(d.len, 2);
}

static struct decode_insn decoded(const char *bytes, unsigned n, enum decode_mode mode)
{
	struct decode_insn d;

	assert_int_equal(decode_exact(bytes, n, mode, &d), DECODE_OK);
	return d;
}

#define DECODED(str, mode) decoded(str, sizeof(str) - 1, mode)

static void test_effective_address(void **state)
{
	u64 gpr[16];
	struct decode_insn d;

	for (unsigned i = 0; i < 16; i++)
		gpr[i] = 0x1000 * (i + 1);
	/* [rbx+rcx*4+0x100] */
	d = DECODED("\x8b\x84\x8b\x00\x01\x00\x00", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0x4000 + 0x2000 * 4 + 0x100);
	/* [rip+0x100]: from the next instruction */
	d = DECODED("\x8b\x05\x00\x01\x00\x00", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0x400000), 0x400000 + 6 + 0x100);
	/* [rip-0x10] */
	d = DECODED("\x48\x8b\x0d\xf0\xff\xff\xff", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0x400000), 0x400000 + 7 - 0x10);
	/* [eip+0x10]: wraps at 32 bits */
	d = DECODED("\x67\x8b\x05\x10\x00\x00\x00", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0x1fffffff0), 7);
	/* [0xfee00000] in 64-bit code is sign-extended; in 32-bit code it is not */
	d = DECODED("\x8b\x04\x25\x00\x00\xe0\xfe", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0xfffffffffee00000ULL);
	d = DECODED("\x8b\x05\x00\x00\xe0\xfe", M32);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0xfee00000);
	/* [bp+si-2] wraps at 16 bits */
	gpr[RBP] = 0xfff0;
	gpr[RSI] = 0x10;
	d = DECODED("\x8b\x42\xfe", M16);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0xfffe);
	/* 16-bit addressing ignores the upper halves of BX and SI */
	gpr[RBX] = 0xabcd0010;
	d = DECODED("\x8b\x00", M16);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0x20);
	/* movs: source rSI, destination rDI */
	gpr[RSI] = 0x5000;
	gpr[RDI] = 0x6000;
	d = DECODED("\xa5", M64);
	assert_int_equal(decode_ea(&d, &d.mem, gpr, 0), 0x5000);
	assert_int_equal(decode_ea(&d, &d.mem2, gpr, 0), 0x6000);
}

static void test_hex(void **state)
{
	static const u8 b[] = {0x8b, 0x04, 0x25, 0xff};
	char buf[16];

	assert_int_equal(decode_hex(b, 4, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "8b 04 25 ff");
	assert_int_equal(decode_hex(b, 4, buf, 7), 5); /* whole bytes only */
	assert_string_equal(buf, "8b 04");
	assert_int_equal(decode_hex(b, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_string_equal(decode_status_name(DECODE_TOO_LONG), "longer than 15 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_prefixes_truncated),
	    cmocka_unit_test(test_trailing_bytes),
	    cmocka_unit_test(test_effective_address),
	    cmocka_unit_test(test_hex),
	};

	printf("decode: %zu encodings in the table\n", ARRAY_SIZE(rows));
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
