/*
 * Host tests for vm/emulate.c: decoded instructions (vm/decode.c) run
 * against a fake device (64 bytes of registers at MMIO_BASE, every access
 * logged) and fake guest RAM at linear RAM_BASE. Flags are checked
 * against values worked out by hand from the SDM's definitions (Vol. 1
 * 3.4.3.1; Vol. 2 "CMP", "AND", "TEST"), register effects against the
 * partial-register rules (Vol. 1 3.4.1.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/cr.h"
#include "vm/cpuid_policy.h"
#include "vm/emulate.h"
#include "vmx/vcpu_regs.h"

#define MMIO_BASE 0xfee00000ULL
#define RAM_BASE  0x10000ULL
#define RAM_SIZE  0x1000
#define FS_BASE	  0x800ULL
#define RIP0	  0x400000ULL

#define CF	     RFLAGS_CF
#define PF	     RFLAGS_PF
#define AF	     RFLAGS_AF
#define ZF	     RFLAGS_ZF
#define SF	     RFLAGS_SF
#define OF	     RFLAGS_OF
#define DF	     RFLAGS_DF
#define STATUS_FLAGS (CF | PF | AF | ZF | SF | OF)

static u8 dev[64];
static unsigned dev_reads, dev_writes;
static u64 last_gpa;
static unsigned last_size;
static bool dev_fail, ram_fail;
static u8 ram[RAM_SIZE];
static struct emulate_regs regs;
static struct emulate_env env;
static u8 vregs[16][32]; /* the fake XMM/YMM registers */
static bool vec_avx;	 /* whether the fake CPU lets YMM and VEX loads through */

static bool fake_mmio_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	assert_ptr_equal(ctx, dev);
	assert_true(gpa >= MMIO_BASE && gpa + size <= MMIO_BASE + sizeof(dev));
	dev_reads++;
	last_gpa = gpa;
	last_size = size;
	if (dev_fail)
		return false;
	*val = 0;
	memcpy(val, dev + (gpa - MMIO_BASE), size);
	return true;
}

static bool fake_mmio_write(void *ctx, u64 gpa, unsigned size, u64 val)
{
	assert_true(gpa >= MMIO_BASE && gpa + size <= MMIO_BASE + sizeof(dev));
	assert_true(size == 8 || val < BIT(8 * size)); /* truncated to the access */
	dev_writes++;
	last_gpa = gpa;
	last_size = size;
	if (dev_fail)
		return false;
	memcpy(dev + (gpa - MMIO_BASE), &val, size);
	return true;
}

static bool fake_mem_read(void *ctx, u64 linear, unsigned size, u64 *val)
{
	if (ram_fail || linear < RAM_BASE || linear + size > RAM_BASE + RAM_SIZE)
		return false;
	*val = 0;
	memcpy(val, ram + (linear - RAM_BASE), size);
	return true;
}

/* Linear DEV_LIN.. maps to the device, everything else to itself. */
#define DEV_LIN 0x7000ULL
static bool fake_mem_gpa(void *ctx, u64 linear, u64 *gpa)
{
	*gpa = linear >= DEV_LIN && linear < DEV_LIN + sizeof(dev) ? MMIO_BASE + (linear - DEV_LIN)
								   : linear;
	return true;
}

static bool fake_mem_write(void *ctx, u64 linear, unsigned size, u64 val)
{
	if (ram_fail || linear < RAM_BASE || linear + size > RAM_BASE + RAM_SIZE)
		return false;
	memcpy(ram + (linear - RAM_BASE), &val, size);
	return true;
}

static bool fake_vec_read(void *ctx, unsigned reg, unsigned size, u8 *buf)
{
	assert_true(reg < 16 && (size == 16 || size == 32));
	if (size == 32 && !vec_avx)
		return false;
	memcpy(buf, vregs[reg], size);
	return true;
}

/* As arch/x86/vec_regs.c: legacy loads keep bits 255:128, VEX loads zero above `size`. */
static bool fake_vec_write(void *ctx, unsigned reg, unsigned size, bool vex, const u8 *buf)
{
	assert_true(reg < 16 && (size == 16 || size == 32));
	if ((vex || size == 32) && !vec_avx)
		return false;
	if (vex)
		memset(vregs[reg], 0, sizeof(vregs[reg]));
	memcpy(vregs[reg], buf, size);
	return true;
}

static int setup(void **state)
{
	memset(dev, 0, sizeof(dev));
	memset(ram, 0, sizeof(ram));
	dev_reads = dev_writes = 0;
	dev_fail = ram_fail = false;
	memset(&regs, 0, sizeof(regs));
	regs.rip = RIP0;
	regs.rflags = RFLAGS_FIXED1;
	env = (struct emulate_env){.ctx = dev,
				   .mmio_read = fake_mmio_read,
				   .mmio_write = fake_mmio_write,
				   .mem_read = fake_mem_read,
				   .mem_write = fake_mem_write,
				   .mem_gpa = fake_mem_gpa};
	env.seg_base[DECODE_SEG_FS] = FS_BASE;
	env.stack_size = 8;
	env.vec_read = fake_vec_read;
	env.vec_write = fake_vec_write;
	env.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	env.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	env.xcr0 = 7;
	env.cpuid1_ecx = CPUID1_ECX_CX16;
	env.cpuid1_edx = CPUID1_EDX_CX8;
	for (unsigned i = 0; i < 16; i++)
		for (unsigned b = 0; b < 32; b++)
			vregs[i][b] = (u8)(0x80 + 16 * i + b);
	vec_avx = true;
	return 0;
}

static void dev_set(unsigned off, u64 v, unsigned size)
{
	memcpy(dev + off, &v, size);
}

static u64 dev_get(unsigned off, unsigned size)
{
	u64 v = 0;

	memcpy(&v, dev + off, size);
	return v;
}

/* Decodes `str` in `mode` and emulates it against gpa; returns the status. */
static int run_n(const char *str, unsigned n, enum decode_mode mode, u64 gpa, bool write)
{
	struct decode_insn d;

	assert_int_equal(decode_insn((const u8 *)str, n, mode, &d), DECODE_OK);
	assert_int_equal(d.len, n);
	return emulate_insn(&d, gpa, write, &regs, &env);
}

#define RUN(str, mode, gpa, write) run_n(str, sizeof(str) - 1, mode, gpa, write)
#define OK(str, gpa, write)	   assert_int_equal(RUN(str, DECODE_MODE_64, gpa, write), EMULATE_OK)
#define READ(str)		   OK(str, MMIO_BASE, false)
#define WRITE(str)		   OK(str, MMIO_BASE, true)
#define FLAGS()			   (regs.rflags & STATUS_FLAGS)

static void test_mov_store(void **state)
{
	regs.gpr[GPR_RCX] = 0xaabbccdd11223344ULL;
	WRITE("\x89\x08"); /* mov [rax],ecx */
	assert_int_equal(dev_get(0, 8), 0x11223344);
	assert_int_equal(last_size, 4);
	assert_int_equal(regs.rip, RIP0 + 2);
	WRITE("\x48\x89\x08"); /* mov [rax],rcx */
	assert_int_equal(dev_get(0, 8), 0xaabbccdd11223344ULL);
	assert_int_equal(regs.rip, RIP0 + 5);
	memset(dev, 0, sizeof(dev));
	WRITE("\x66\x89\x08"); /* mov [rax],cx */
	assert_int_equal(dev_get(0, 8), 0x3344);
	regs.gpr[GPR_RAX] = 0x1234;
	OK("\x88\x20", MMIO_BASE + 8, true); /* mov [rax],ah */
	assert_int_equal(dev_get(8, 1), 0x12);
	assert_int_equal(last_gpa, MMIO_BASE + 8);
	regs.gpr[GPR_RSP] = 0x77;
	OK("\x40\x88\x20", MMIO_BASE + 9, true); /* mov [rax],spl */
	assert_int_equal(dev_get(9, 1), 0x77);
	assert_int_equal(dev_reads, 0);
	assert_int_equal(FLAGS(), 0);
}

static void test_mov_store_imm(void **state)
{
	WRITE("\xc7\x00\xef\xbe\xad\xde"); /* mov dword [rax],0xdeadbeef */
	assert_int_equal(dev_get(0, 8), 0xdeadbeef);
	WRITE("\x48\xc7\x00\xff\xff\xff\xff"); /* mov qword [rax],-1 */
	assert_int_equal(dev_get(0, 8), ~0ULL);
	memset(dev, 0, sizeof(dev));
	WRITE("\xc6\x00\xff"); /* mov byte [rax],0xff */
	assert_int_equal(dev_get(0, 8), 0xff);
	WRITE("\x66\xc7\x00\x00\x80"); /* mov word [rax],0x8000 */
	assert_int_equal(dev_get(0, 8), 0x8000);
	OK("\xc7\x05\x08\x00\x00\x00\x01\x00\x00\x00", MMIO_BASE + 16, true);
	assert_int_equal(dev_get(16, 4), 1);
	assert_int_equal(regs.rip, RIP0 + 6 + 7 + 3 + 5 + 10);
}

/* Loads: 32-bit destinations zero-extend, 8/16-bit ones keep the rest. */
static void test_mov_load_partial(void **state)
{
	dev_set(0, 0x0123456789abcdefULL, 8);
	regs.gpr[GPR_RAX] = ~0ULL;
	READ("\x8b\x03"); /* mov eax,[rbx] */
	assert_int_equal(regs.gpr[GPR_RAX], 0x89abcdef);
	regs.gpr[GPR_RAX] = 0x1111222233334444ULL;
	READ("\x66\x8b\x03"); /* mov ax,[rbx] */
	assert_int_equal(regs.gpr[GPR_RAX], 0x111122223333cdefULL);
	READ("\x8a\x03"); /* mov al,[rbx] */
	assert_int_equal(regs.gpr[GPR_RAX], 0x111122223333cdefULL);
	regs.gpr[GPR_RAX] = 0x1111222233334444ULL;
	READ("\x8a\x23"); /* mov ah,[rbx] */
	assert_int_equal(regs.gpr[GPR_RAX], 0x111122223333ef44ULL);
	regs.gpr[GPR_RSP] = 0x5555;
	READ("\x40\x8a\x23"); /* mov spl,[rbx] */
	assert_int_equal(regs.gpr[GPR_RSP], 0x55ef);
	READ("\x4c\x8b\x2b"); /* mov r13,[rbx] */
	assert_int_equal(regs.gpr[13], 0x0123456789abcdefULL);
	assert_int_equal(last_size, 8);
	regs.gpr[GPR_RAX] = ~0ULL;
	READ("\xa1\x00\x00\xe0\xfe\x00\x00\x00\x00"); /* mov eax,[moffs] */
	assert_int_equal(regs.gpr[GPR_RAX], 0x89abcdef);
	assert_int_equal(dev_writes, 0);
}

static void test_movzx_movsx(void **state)
{
	dev_set(0, 0x8080, 2);
	regs.gpr[GPR_RAX] = ~0ULL;
	READ("\x0f\xb6\x03"); /* movzx eax,byte */
	assert_int_equal(regs.gpr[GPR_RAX], 0x80);
	READ("\x0f\xbe\x03"); /* movsx eax,byte: 32-bit result zero-extends */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffff80);
	READ("\x48\x0f\xbe\x03"); /* movsx rax,byte */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffffffffff80ULL);
	regs.gpr[GPR_RAX] = 0xaaaaaaaaaaaaaaaaULL;
	READ("\x66\x0f\xbe\x03"); /* movsx ax,byte */
	assert_int_equal(regs.gpr[GPR_RAX], 0xaaaaaaaaaaaaff80ULL);
	READ("\x48\x0f\xbf\x03"); /* movsx rax,word */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffffffff8080ULL);
	READ("\x0f\xb7\x03"); /* movzx eax,word */
	assert_int_equal(regs.gpr[GPR_RAX], 0x8080);
	assert_int_equal(last_size, 2);
	dev_set(0, 0x80000000, 4);
	READ("\x48\x63\x03"); /* movsxd rax,dword */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffff80000000ULL);
	dev_set(0, 0x7fffffff, 4);
	READ("\x48\x63\x03");
	assert_int_equal(regs.gpr[GPR_RAX], 0x7fffffff);
}

static void test_logic(void **state)
{
	regs.rflags |= CF | OF | AF | DF;
	dev_set(0, 0xf0f0, 4);
	regs.gpr[GPR_RCX] = 0xff00;
	WRITE("\x21\x08"); /* and [rax],ecx: 0xf000 */
	assert_int_equal(dev_get(0, 4), 0xf000);
	assert_int_equal(FLAGS(), PF); /* low byte 0x00: even parity */
	assert_true(regs.rflags & DF);
	dev_set(0, 0x0f, 4);
	READ("\x23\x08"); /* and ecx,[rax]: 0xff00 & 0x0f = 0 */
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(FLAGS(), ZF | PF);
	assert_int_equal(dev_get(0, 4), 0x0f);
	dev_set(0, 1, 4);
	WRITE("\x83\x08\x80"); /* or dword [rax],-128: 0xffffff81 */
	assert_int_equal(dev_get(0, 8), 0xffffff81);
	assert_int_equal(FLAGS(), SF | PF); /* 0x81: two bits */
	regs.gpr[GPR_RCX] = 0xffffffff00000001ULL;
	READ("\x33\x08"); /* xor ecx,[rax]: 1 ^ 0xffffff81 = 0xffffff80 */
	assert_int_equal(regs.gpr[GPR_RCX], 0xffffff80);
	assert_int_equal(FLAGS(), SF);
	dev_set(0, 0x5a, 1);
	WRITE("\x80\x30\x5a"); /* xor byte [rax],0x5a */
	assert_int_equal(dev_get(0, 1), 0);
	assert_int_equal(FLAGS(), ZF | PF);
	regs.gpr[GPR_RAX] = 0x0700;
	dev_set(0, 0x10, 1);
	WRITE("\x08\x20"); /* or [rax],ah: 0x17 */
	assert_int_equal(dev_get(0, 1), 0x17);
	assert_int_equal(FLAGS(), PF); /* 0x17: four bits */
	dev_set(0, 0x8000000000000000ULL, 8);
	WRITE("\x48\x81\x08\x01\x00\x00\x00"); /* or qword [rax],1 */
	assert_int_equal(dev_get(0, 8), 0x8000000000000001ULL);
	assert_int_equal(FLAGS(), SF);
	assert_int_equal(last_size, 8);
}

/* CMP a, b: flags of a - b, nothing written. */
static void test_cmp(void **state)
{
	regs.gpr[GPR_RCX] = 5;
	dev_set(0, 0, 8);
	WRITE("\x83\x38\x01"); /* cmp dword [rax],1: 0 - 1 = 0xffffffff */
	assert_int_equal(FLAGS(), CF | SF | AF | PF);
	dev_set(0, 0x80, 1);
	READ("\x80\x38\x7f"); /* cmp byte [rax],0x7f: 0x80 - 0x7f = 0x01, signed overflow */
	assert_int_equal(FLAGS(), OF | AF);
	dev_set(0, 5, 4);
	READ("\x39\x08"); /* cmp [rax],ecx: equal */
	assert_int_equal(FLAGS(), ZF | PF);
	dev_set(0, 7, 4);
	READ("\x3b\x08"); /* cmp ecx,[rax]: 5 - 7 = 0xfffffffe */
	assert_int_equal(FLAGS(), CF | SF | AF);
	READ("\x39\x08"); /* cmp [rax],ecx: 7 - 5 = 2 */
	assert_int_equal(FLAGS(), 0);
	dev_set(0, 0x8000000000000000ULL, 8);
	regs.gpr[GPR_RCX] = 1;
	READ("\x48\x39\x08"); /* cmp [rax],rcx: 0x7fff...ffff */
	assert_int_equal(FLAGS(), OF | AF | PF);
	dev_set(0, 0, 8);
	READ("\x66\x81\x38\x00\x80"); /* cmp word [rax],0x8000: 0 - 0x8000 = 0x8000 */
	assert_int_equal(FLAGS(), CF | OF | SF | PF);
	dev_set(0, 0x10, 1);
	regs.gpr[GPR_RCX] = 0x0100;
	READ("\x3a\x28"); /* cmp ch,[rax]: 1 - 0x10 = 0xf1 */
	assert_int_equal(FLAGS(), CF | SF);
	assert_int_equal(dev_writes, 0);
	assert_int_equal(regs.gpr[GPR_RCX], 0x0100);
}

static void test_test(void **state)
{
	regs.rflags |= CF | OF;
	dev_set(0, 0x80000000, 4);
	READ("\xf7\x00\x00\x00\x00\x80"); /* test dword [rax],0x80000000 */
	assert_int_equal(FLAGS(), SF | PF);
	READ("\xf6\x00\x01"); /* test byte [rax],1 */
	assert_int_equal(FLAGS(), ZF | PF);
	regs.gpr[GPR_RAX] = 0x0300;
	dev_set(0, 0x01, 1);
	READ("\x84\x20"); /* test [rax],ah */
	assert_int_equal(FLAGS(), 0);
	assert_int_equal(dev_writes, 0);
	assert_int_equal(regs.gpr[GPR_RAX], 0x0300);
}

static void test_xchg(void **state)
{
	dev_set(0, 0x22222222, 4);
	regs.gpr[GPR_RCX] = 0xffffffff11111111ULL;
	WRITE("\x87\x08"); /* xchg [rax],ecx */
	assert_int_equal(dev_get(0, 8), 0x11111111);
	assert_int_equal(regs.gpr[GPR_RCX], 0x22222222);
	regs.gpr[GPR_RAX] = 0xabcd;
	dev_set(0, 0x5a, 1);
	WRITE("\x86\x20"); /* xchg [rax],ah */
	assert_int_equal(dev_get(0, 1), 0xab);
	assert_int_equal(regs.gpr[GPR_RAX], 0x5acd);
	assert_int_equal(dev_reads, 2);
	assert_int_equal(dev_writes, 2);
	assert_int_equal(regs.rip, RIP0 + 4);
}

static void test_stos(void **state)
{
	regs.gpr[GPR_RAX] = 0x1122334455667788ULL;
	regs.gpr[GPR_RDI] = 0x1000;
	WRITE("\xaa"); /* stosb */
	assert_int_equal(dev_get(0, 8), 0x88);
	assert_int_equal(regs.gpr[GPR_RDI], 0x1001);
	OK("\x48\xab", MMIO_BASE + 8, true); /* stosq */
	assert_int_equal(dev_get(8, 8), 0x1122334455667788ULL);
	assert_int_equal(regs.gpr[GPR_RDI], 0x1009);
	regs.rflags |= DF;
	OK("\x66\xab", MMIO_BASE + 16, true); /* stosw, DF=1 */
	assert_int_equal(dev_get(16, 8), 0x7788);
	assert_int_equal(regs.gpr[GPR_RDI], 0x1007);
	assert_int_equal(regs.rip, RIP0 + 5);
	assert_int_equal(dev_reads, 0);
}

/* REP STOS: one element per call, RIP held until rCX reaches zero. */
static void test_rep_stos(void **state)
{
	regs.gpr[GPR_RAX] = 0xcafef00d;
	regs.gpr[GPR_RCX] = 3;
	regs.gpr[GPR_RDI] = 0x2000;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(regs.rip, RIP0);
		OK("\xf3\xab", MMIO_BASE + 4 * i, true);
		assert_int_equal(regs.gpr[GPR_RCX], 2 - i);
		assert_int_equal(regs.gpr[GPR_RDI], 0x2000 + 4 * (i + 1));
		assert_int_equal(dev_get(4 * i, 4), 0xcafef00d);
	}
	assert_int_equal(regs.rip, RIP0 + 2);
	/* rCX already zero: nothing is written, RIP moves on */
	WRITE("\xf3\xab");
	assert_int_equal(dev_writes, 3);
	assert_int_equal(regs.rip, RIP0 + 4);
	assert_int_equal(regs.gpr[GPR_RDI], 0x200c);
}

/* With a 32-bit address size, ECX/EDI count and wrap, zero-extended. */
static void test_rep_stos_addr32(void **state)
{
	regs.gpr[GPR_RCX] = 0xffffffff00000001ULL;
	regs.gpr[GPR_RDI] = 0x1fffffffcULL;
	WRITE("\x67\xf3\xab");
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RDI], 0);
	assert_int_equal(regs.rip, RIP0 + 3);
	assert_int_equal(dev_writes, 1);
}

/* 16-bit code: DI wraps at 16 bits and the rest of RDI stays; IP wraps too. */
static void test_16bit(void **state)
{
	regs.gpr[GPR_RDI] = 0xabcd0000ffffULL;
	regs.gpr[GPR_RAX] = 0x42;
	regs.rip = 0xffff;
	assert_int_equal(RUN("\xaa", DECODE_MODE_16, MMIO_BASE, true), EMULATE_OK);
	assert_int_equal(regs.gpr[GPR_RDI], 0xabcd00000000ULL);
	assert_int_equal(regs.rip, 0);
	regs.rip = 0xfffe;
	dev_set(0, 0xbeef, 2);
	regs.gpr[GPR_RAX] = 0x12345678;
	assert_int_equal(RUN("\x8b\x07", DECODE_MODE_16, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(regs.gpr[GPR_RAX], 0x1234beef);
	assert_int_equal(regs.rip, 0);
	regs.rip = 0xfffffffe;
	assert_int_equal(RUN("\x8b\x03", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(regs.rip, 0);
}

/* MOVS with the MMIO side as the source (a read fault): RAM at ES:rDI is written. */
static void test_movs_from_mmio(void **state)
{
	dev_set(0, 0xdeadbeef, 4);
	regs.gpr[GPR_RSI] = 0x7000; /* MMIO's linear address: not used for the MMIO side */
	regs.gpr[GPR_RDI] = RAM_BASE + 0x10;
	READ("\xa5"); /* movsd */
	assert_int_equal(*(u32 *)(ram + 0x10), 0xdeadbeef);
	assert_int_equal(regs.gpr[GPR_RSI], 0x7004);
	assert_int_equal(regs.gpr[GPR_RDI], RAM_BASE + 0x14);
	regs.rflags |= DF;
	READ("\xa4"); /* movsb, DF=1 */
	assert_int_equal(ram[0x14], 0xef);
	assert_int_equal(regs.gpr[GPR_RSI], 0x7003);
	assert_int_equal(regs.gpr[GPR_RDI], RAM_BASE + 0x13);
	assert_int_equal(dev_writes, 0);
}

/* MOVS with the MMIO side as the destination (a write fault): RAM at seg:rSI is read. */
static void test_movs_to_mmio(void **state)
{
	u64 v = 0x0102030405060708ULL;

	memcpy(ram + 0x20, &v, 8);
	regs.gpr[GPR_RSI] = RAM_BASE + 0x20;
	regs.gpr[GPR_RDI] = 0x9000;
	WRITE("\x48\xa5"); /* movsq */
	assert_int_equal(dev_get(0, 8), v);
	assert_int_equal(regs.gpr[GPR_RSI], RAM_BASE + 0x28);
	assert_int_equal(regs.gpr[GPR_RDI], 0x9008);
	/* fs:[rsi]: the segment base is added */
	ram[0x30] = 0x99;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x30 - FS_BASE;
	OK("\x64\xa4", MMIO_BASE + 8, true);
	assert_int_equal(dev_get(8, 1), 0x99);
	assert_int_equal(dev_reads, 0);
}

static void test_rep_movs(void **state)
{
	ram[0x40] = 0x11;
	ram[0x41] = 0x22;
	regs.rflags |= DF;
	regs.gpr[GPR_RCX] = 2;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x41;
	regs.gpr[GPR_RDI] = 0x501;
	OK("\xf3\xa4", MMIO_BASE + 1, true);
	assert_int_equal(regs.rip, RIP0);
	OK("\xf3\xa4", MMIO_BASE + 0, true);
	assert_int_equal(regs.rip, RIP0 + 2);
	assert_int_equal(dev_get(0, 2), 0x2211);
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RSI], RAM_BASE + 0x3f);
	assert_int_equal(regs.gpr[GPR_RDI], 0x4ff);
}

/*
 * The RAM side's linear address (SDM Vol. 1 3.3.7.1, Vol. 3A 3.4): 64-bit
 * code ignores the ES and DS bases (FS and GS count); elsewhere base +
 * offset wraps at 4 GiB. Found by tests/fuzz/fuzz_emulate.c (seeds
 * movs64_es_base, movs64_ds_base, movs32_wrap).
 */
static void test_movs_segment_bases(void **state)
{
	env.seg_base[DECODE_SEG_ES] = 0x7c00;
	env.seg_base[DECODE_SEG_DS] = 0x5000;
	dev_set(0, 0x11, 1);
	regs.gpr[GPR_RDI] = RAM_BASE + 0x10;
	READ("\xa4"); /* movsb: ES:rDI is rDI in 64-bit code */
	assert_int_equal(ram[0x10], 0x11);
	dev_set(0, 0x5a, 1);
	ram[0x20] = 0xa5;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x20;
	WRITE("\xa4"); /* movsb: DS:rSI is rSI */
	assert_int_equal(dev_get(0, 1), 0xa5);
	ram[0x30] = 0x3c;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x30 - FS_BASE;
	OK("\x64\xa4", MMIO_BASE + 1, true); /* FS's base still counts */
	assert_int_equal(dev_get(1, 1), 0x3c);

	/* 32-bit code: ES base 0xfffff000 + EDI 0x1000 + RAM_BASE wraps to RAM_BASE */
	env.seg_base[DECODE_SEG_ES] = 0xfffff000ULL;
	regs.gpr[GPR_RDI] = 0x1000 + RAM_BASE + 0x40;
	dev_set(0, 0x77, 1);
	assert_int_equal(RUN("\xa4", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(ram[0x40], 0x77);
	/* and the DS base is added there */
	ram[0x50] = 0x66;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x50 - 0x5000;
	assert_int_equal(RUN("\xa4", DECODE_MODE_32, MMIO_BASE + 2, true), EMULATE_OK);
	assert_int_equal(dev_get(2, 1), 0x66);
	assert_int_equal(dev_writes, 3);
}

/* The linear address of the device access, per form (vm/mmio.c checks it reaches the exit's page).
 */
static unsigned dev_lin(const char *str, unsigned n, enum decode_mode mode, bool write, u64 lin[2])
{
	struct decode_insn d;

	assert_int_equal(decode_insn((const u8 *)str, n, mode, &d), DECODE_OK);
	return emulate_device_linear(&d, write, &regs, &env, lin);
}

#define DEV_LIN_OF(str, mode, write, lin) dev_lin(str, sizeof(str) - 1, mode, write, lin)

static void test_device_linear(void **state)
{
	u64 lin[2];

	regs.gpr[GPR_RAX] = 0x1ffe;
	assert_int_equal(DEV_LIN_OF("\x89\x08", DECODE_MODE_64, true, lin), 1); /* mov [rax],ecx */
	assert_int_equal(lin[0], 0x1ffe);
	assert_int_equal(DEV_LIN_OF("\x64\x89\x08", DECODE_MODE_64, true, lin), 1);
	assert_int_equal(lin[0], 0x1ffe + FS_BASE);
	/* 32-bit code: DS base + EA wraps at 4 GiB */
	env.seg_base[DECODE_SEG_DS] = 0xfffff000ULL;
	assert_int_equal(DEV_LIN_OF("\x89\x08", DECODE_MODE_32, true, lin), 1);
	assert_int_equal(lin[0], 0xffeULL);
	/* bt [rax],rcx with rcx = -1: the unit below; with 65: two units up */
	regs.gpr[GPR_RCX] = ~0ULL;
	assert_int_equal(DEV_LIN_OF("\x48\x0f\xa3\x08", DECODE_MODE_64, false, lin), 1);
	assert_int_equal(lin[0], 0x1ffe - 8);
	regs.gpr[GPR_RCX] = 129;
	assert_int_equal(DEV_LIN_OF("\x0f\xa3\x08", DECODE_MODE_64, false, lin), 1);
	assert_int_equal(lin[0], 0x1ffe + 16); /* 32-bit operand: 129 / 32 = 4 units */
	/* movsb: the source on a read fault, ES:rDI on a write fault; cmpsb: both */
	regs.gpr[GPR_RSI] = 0x3000;
	regs.gpr[GPR_RDI] = 0x4000;
	assert_int_equal(DEV_LIN_OF("\xa4", DECODE_MODE_64, false, lin), 1);
	assert_int_equal(lin[0], 0x3000);
	assert_int_equal(DEV_LIN_OF("\xa4", DECODE_MODE_64, true, lin), 1);
	assert_int_equal(lin[0], 0x4000);
	assert_int_equal(DEV_LIN_OF("\xa6", DECODE_MODE_64, false, lin), 2);
	assert_int_equal(lin[0], 0x3000);
	assert_int_equal(lin[1], 0x4000);
	/* push [rax]: the operand on a read fault, rSP - 8 on a write fault; pop: rSP, operand */
	regs.gpr[GPR_RSP] = 0x9000;
	assert_int_equal(DEV_LIN_OF("\xff\x30", DECODE_MODE_64, false, lin), 1);
	assert_int_equal(lin[0], 0x1ffe);
	assert_int_equal(DEV_LIN_OF("\xff\x30", DECODE_MODE_64, true, lin), 1);
	assert_int_equal(lin[0], 0x8ff8);
	assert_int_equal(DEV_LIN_OF("\x8f\x04\x24", DECODE_MODE_64, true, lin), 1);
	assert_int_equal(lin[0], 0x9008); /* pop [rsp]: rSP after the pop */
	assert_int_equal(DEV_LIN_OF("\x8f\x04\x24", DECODE_MODE_64, false, lin), 1);
	assert_int_equal(lin[0], 0x9000);
}

/* Segment checks of the side the CPU did not check (SDM Vol. 3A 5.3, 5.4, 3.3.7.1). */
static void test_segment_checks(void **state)
{
	u64 lin;

	env.seg_checks = EMULATE_SEGS_PROTECTED;
	env.canon_bits = 48;
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++) {
		env.seg_limit[i] = 0xffffffff;
		env.seg_ar[i] = 0xc093; /* read/write data, accessed, G, D/B */
	}
	env.seg_base[DECODE_SEG_ES] = 0x1000;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0xffffffff, 1, true, &lin),
	    EMULATE_OK);
	assert_int_equal(lin, 0xfff); /* wraps at 4 GiB */
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0xffffffff, 2, true, &lin),
	    EMULATE_GP);		    /* the second byte past the limit */
	env.seg_ar[DECODE_SEG_ES] = 0xc091; /* read-only */
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0, 1, false, &lin),
			 EMULATE_OK);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0, 1, true, &lin),
			 EMULATE_GP);
	env.seg_ar[DECODE_SEG_ES] = 0xc09b; /* code, readable */
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0, 1, false, &lin),
			 EMULATE_OK);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0, 1, true, &lin),
			 EMULATE_GP);
	env.seg_ar[DECODE_SEG_ES] = 0xc099; /* code, execute-only */
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0, 1, false, &lin),
			 EMULATE_GP);
	env.seg_ar[DECODE_SEG_DS] = 0x10000; /* unusable: a null selector */
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_DS, 0, 1, false, &lin),
			 EMULATE_GP);
	/* SS past its limit: #SS; expand-down (limit, 0xffff] with B=0 */
	env.seg_limit[DECODE_SEG_SS] = 0xfff;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_SS, 0xffe, 4, true, &lin),
	    EMULATE_SS);
	env.seg_ar[DECODE_SEG_SS] = 0x0097; /* read/write expand-down, B=0 */
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_16, DECODE_SEG_SS, 0xfff, 2, true, &lin),
	    EMULATE_SS);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_16, DECODE_SEG_SS, 0x1000, 2, true, &lin),
	    EMULATE_OK);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_16, DECODE_SEG_SS, 0xffff, 2, true, &lin),
	    EMULATE_SS);
	/* real mode: limits only, whatever the type */
	env.seg_checks = EMULATE_SEGS_REAL;
	env.seg_ar[DECODE_SEG_ES] = 0x91;
	env.seg_limit[DECODE_SEG_ES] = 0xffff;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_16, DECODE_SEG_ES, 0xfffe, 2, true, &lin),
	    EMULATE_OK);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_16, DECODE_SEG_ES, 0xffff, 2, true, &lin),
	    EMULATE_GP);
	/* 64-bit code: canonical only, #SS for SS */
	env.seg_checks = EMULATE_SEGS_PROTECTED;
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_64, DECODE_SEG_ES,
					   0x00007ffffffffffcULL, 4, true, &lin),
			 EMULATE_OK);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_64, DECODE_SEG_ES,
					   0x00007ffffffffffdULL, 4, true, &lin),
			 EMULATE_GP);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_64, DECODE_SEG_SS,
					   0x0000800000000000ULL, 1, false, &lin),
			 EMULATE_SS);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_64, DECODE_SEG_DS,
					   0xffff800000000000ULL, 8, false, &lin),
			 EMULATE_OK);
	/* through MOVS: a read fault (the device is the source) into a read-only ES */
	env.seg_checks = EMULATE_SEGS_PROTECTED;
	env.seg_ar[DECODE_SEG_ES] = 0xc091;
	env.seg_base[DECODE_SEG_ES] = 0;
	regs.gpr[GPR_RDI] = RAM_BASE;
	ram[0] = 0xee;
	assert_int_equal(RUN("\xa4", DECODE_MODE_32, MMIO_BASE, false), EMULATE_GP);
	assert_int_equal(ram[0], 0xee);
	assert_int_equal(dev_reads, 0); /* checked before the device is read */
	assert_int_equal(regs.gpr[GPR_RDI], RAM_BASE);
	/* PUSH m from the device onto an SS whose limit the slot passes: #SS(0) */
	env.seg_limit[DECODE_SEG_SS] = 0xfff;
	env.seg_ar[DECODE_SEG_SS] = 0xc093;
	env.seg_ar[DECODE_SEG_DS] = 0xc093;
	regs.gpr[GPR_RSP] = 0x1002;
	env.stack_size = 4;
	assert_int_equal(RUN("\xff\x30", DECODE_MODE_32, MMIO_BASE, false), EMULATE_SS);
}

/*
 * #AC on the accesses the CPU did not make (SDM Vol. 3A 6.15): with
 * alignment checking on (CR0.AM, RFLAGS.AC, CPL 3: env.align_check) a 2-,
 * 4- or 8-byte access must be aligned to its size; segment faults first.
 */
static void test_alignment_checks(void **state)
{
	u64 lin;

	env.seg_checks = EMULATE_SEGS_PROTECTED;
	env.canon_bits = 48;
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++) {
		env.seg_limit[i] = 0xffffffff;
		env.seg_ar[i] = 0xc0f3; /* read/write data, DPL 3 */
	}
	env.align_check = true;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1002, 4, true, &lin),
	    EMULATE_AC);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1004, 4, true, &lin),
	    EMULATE_OK);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1001, 1, true, &lin),
	    EMULATE_OK);
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1001, 2, true, &lin),
	    EMULATE_AC);
	assert_int_equal(emulate_seg_check(&env, DECODE_MODE_64, DECODE_SEG_SS, 0x7ffffffffff4ULL,
					   8, true, &lin),
			 EMULATE_AC);
	/* the base counts: the linear address is checked, not the offset */
	env.seg_base[DECODE_SEG_ES] = 0x2;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1002, 4, true, &lin),
	    EMULATE_OK);
	env.seg_base[DECODE_SEG_ES] = 0;
	/* a segment fault comes first */
	env.seg_limit[DECODE_SEG_SS] = 0xfff;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_SS, 0xffe, 4, true, &lin),
	    EMULATE_SS);
	/* off: nothing */
	env.align_check = false;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1002, 4, true, &lin),
	    EMULATE_OK);
	/* no segment checks at all (the locator's own use): nothing either */
	env.align_check = true;
	env.seg_checks = EMULATE_SEGS_NONE;
	assert_int_equal(
	    emulate_seg_check(&env, DECODE_MODE_32, DECODE_SEG_ES, 0x1002, 4, true, &lin),
	    EMULATE_OK);
	/* MOVSD from the device to an unaligned ES:EDI in RAM: #AC, nothing read or written */
	env.seg_checks = EMULATE_SEGS_PROTECTED;
	env.seg_limit[DECODE_SEG_SS] = 0xffffffff;
	regs.gpr[GPR_RSI] = 0;
	regs.gpr[GPR_RDI] = RAM_BASE + 2;
	memset(ram, 0xee, 8);
	assert_int_equal(RUN("\xa5", DECODE_MODE_32, MMIO_BASE, false), EMULATE_AC);
	assert_int_equal(ram[2], 0xee);
	assert_int_equal(dev_reads, 0);
	assert_int_equal(regs.gpr[GPR_RDI], RAM_BASE + 2);
	assert_int_equal(regs.rip, RIP0);
	/* aligned, it copies */
	regs.gpr[GPR_RDI] = RAM_BASE + 4;
	dev_set(0, 0x11223344, 4);
	assert_int_equal(RUN("\xa5", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(*(u32 *)(ram + 4), 0x11223344);
	/* PUSH m from the device onto an unaligned stack: #AC; onto an aligned one: pushed */
	regs.rip = RIP0;
	env.stack_size = 4;
	regs.gpr[GPR_RAX] = 0;
	regs.gpr[GPR_RSP] = RAM_BASE + 0x102;
	assert_int_equal(RUN("\xff\x30", DECODE_MODE_32, MMIO_BASE, false), EMULATE_AC);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x102);
	regs.gpr[GPR_RSP] = RAM_BASE + 0x104;
	assert_int_equal(RUN("\xff\x30", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x100);
	assert_int_equal(*(u32 *)(ram + 0x100), 0x11223344);
	assert_string_equal(emulate_status_name(EMULATE_AC), "#AC(0)");
}

/* CALL m / JMP m (near): the target from the device, CALL's return address pushed to RAM. */
static void test_call_jmp(void **state)
{
	dev_set(0, 0x401234, 8);
	READ("\xff\x20"); /* jmp [rax] */
	assert_int_equal(regs.rip, 0x401234);
	regs.rip = RIP0;
	regs.gpr[GPR_RSP] = RAM_BASE + 0x100;
	READ("\xff\x10"); /* call [rax]: pushes RIP0 + 2 */
	assert_int_equal(regs.rip, 0x401234);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0xf8);
	assert_int_equal(*(u64 *)(ram + 0xf8), RIP0 + 2);
	/* the stack on the device (a write fault): the target from RAM */
	*(u64 *)(ram + 0x10) = 0x405678;
	regs.rip = RIP0;
	regs.gpr[GPR_RSP] = MMIO_BASE + 0x10;
	regs.gpr[GPR_RBX] = RAM_BASE + 0x10;
	OK("\xff\x13", MMIO_BASE + 8, true); /* call [rbx] */
	assert_int_equal(regs.rip, 0x405678);
	assert_int_equal(dev_get(8, 8), RIP0 + 2);
	/* 32-bit code, 16-bit operand: IP = the word, 2 bytes pushed */
	regs.rip = 0x1000;
	regs.gpr[GPR_RSP] = RAM_BASE + 0x200;
	env.stack_size = 4;
	dev_set(0, 0xffff2222, 4);
	assert_int_equal(RUN("\x66\xff\x10", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(regs.rip, 0x2222);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x1fe);
	assert_int_equal(*(u16 *)(ram + 0x1fe), 0x1003);
	/* a target past CS's limit, or not canonical: #GP, nothing changed */
	env.seg_checks = EMULATE_SEGS_PROTECTED;
	env.canon_bits = 48;
	for (unsigned i = 0; i < DECODE_SEG_COUNT; i++) {
		env.seg_limit[i] = 0xffffffff;
		env.seg_ar[i] = 0xc093;
	}
	env.seg_limit[DECODE_SEG_CS] = 0xffff;
	dev_set(0, 0x10000, 4);
	assert_int_equal(RUN("\xff\x10", DECODE_MODE_32, MMIO_BASE, false), EMULATE_GP);
	assert_int_equal(regs.rip, 0x2222);
	env.stack_size = 8;
	dev_set(0, 0x0000800000000000ULL, 8);
	assert_int_equal(RUN("\xff\x20", DECODE_MODE_64, MMIO_BASE, false), EMULATE_GP);
}

/*
 * emulate_locate's fake page tables: linear page 0x10000 is RAM at 0x3000,
 * 0x11000 the device (MMIO_BASE), 0x12000 not present (status 14), and
 * anything else maps to itself.
 */
static unsigned xlate_calls;

static int fake_xlate(void *ctx, u64 lin, bool write, u64 *gpa)
{
	u64 page = lin & ~0xfffULL, off = lin & 0xfff;

	(void)ctx;
	(void)write;
	xlate_calls++;
	if (page == 0x12000)
		return 14;
	if (page == 0x20000) /* the device again, RAM after it */
		page = MMIO_BASE;
	*gpa = (page == 0x10000 ? 0x3000 : page == 0x11000 ? MMIO_BASE : page) + off;
	return 0;
}

static int locate(const char *str, unsigned n, u64 gpa, bool write, struct emulate_operand *op)
{
	struct decode_insn d;

	assert_int_equal(decode_insn((const u8 *)str, n, DECODE_MODE_64, &d), DECODE_OK);
	return emulate_locate(&d, gpa, write, &regs, &env, ~0ULL, fake_xlate, NULL, op);
}

#define LOCATE(str, gpa, write, op) locate(str, sizeof(str) - 1, gpa, write, op)

static void test_locate(void **state)
{
	struct emulate_operand op;

	/* a 4-byte write at 0xffe of the RAM page: the exit names the device page */
	regs.gpr[GPR_RAX] = 0x10ffe;
	assert_int_equal(LOCATE("\x89\x08", MMIO_BASE, true, &op), EMULATE_LOCATED);
	assert_true(op.split);
	assert_int_equal(op.lin, 0x10ffe);
	assert_int_equal(op.g[0], 0x3ffe);
	assert_int_equal(op.g[1], MMIO_BASE);
	assert_int_equal(op.size, 4);
	/* device then a page not present: a fault on the second page */
	regs.gpr[GPR_RAX] = 0x11ffe;
	assert_int_equal(LOCATE("\x89\x08", MMIO_BASE + 0xffe, true, &op), EMULATE_LOCATE_FAULT);
	assert_int_equal(op.status, 14);
	assert_int_equal(op.fault_lin, 0x12000);
	/* within the device page: one translation, no split */
	regs.gpr[GPR_RAX] = 0x11010;
	xlate_calls = 0;
	assert_int_equal(LOCATE("\x8b\x08", MMIO_BASE + 0x10, false, &op), EMULATE_LOCATED);
	assert_false(op.split);
	assert_int_equal(op.g[0], MMIO_BASE + 0x10);
	assert_int_equal(xlate_calls, 1);
	/* the operand is RAM only: the code changed since the exit */
	regs.gpr[GPR_RAX] = 0x10010;
	assert_int_equal(LOCATE("\x8b\x08", MMIO_BASE + 0x10, false, &op),
			 EMULATE_LOCATE_ELSEWHERE);
	/* CMPS: the device is the ES:rDI side */
	regs.gpr[GPR_RSI] = 0x10020;
	regs.gpr[GPR_RDI] = 0x11020;
	assert_int_equal(LOCATE("\xa6", MMIO_BASE + 0x20, false, &op), EMULATE_LOCATED);
	assert_int_equal(op.lin, 0x11020);
	assert_int_equal(op.size, 1);
	/* MOVS with a write fault: ES:rDI, whatever rSI is */
	assert_int_equal(LOCATE("\xa4", MMIO_BASE + 0x20, true, &op), EMULATE_LOCATED);
	assert_int_equal(op.lin, 0x11020);
	/* and with a read fault the source, which is RAM here: elsewhere */
	assert_int_equal(LOCATE("\xa4", MMIO_BASE + 0x20, false, &op), EMULATE_LOCATE_ELSEWHERE);
}

/* ADD/ADC/SUB/SBB: CF OF SF ZF PF AF as the SDM defines them, ADC/SBB with CF in. */
static void test_add_sub(void **state)
{
	dev_set(0, 0xffffffff, 4);
	regs.gpr[GPR_RCX] = 1;
	WRITE("\x01\x08"); /* add [rax],ecx: 0, carry out of bits 31 and 3 */
	assert_int_equal(dev_get(0, 8), 0);
	assert_int_equal(FLAGS(), CF | ZF | PF | AF);
	dev_set(0, 0x7f, 1);
	WRITE("\x80\x00\x01"); /* add byte [rax],1: 0x80, signed overflow */
	assert_int_equal(dev_get(0, 1), 0x80);
	assert_int_equal(FLAGS(), OF | SF | AF);
	regs.rflags |= CF;
	dev_set(0, 0x10, 4);
	regs.gpr[GPR_RCX] = 0x20;
	WRITE("\x11\x08"); /* adc [rax],ecx: 0x10 + 0x20 + 1 */
	assert_int_equal(dev_get(0, 4), 0x31);
	assert_int_equal(FLAGS(), 0);
	dev_set(0, 5, 4);
	regs.gpr[GPR_RCX] = 0xffffffff00000003ULL;
	READ("\x2b\x08"); /* sub ecx,[rax]: 3 - 5, zero-extended */
	assert_int_equal(regs.gpr[GPR_RCX], 0xfffffffe);
	assert_int_equal(FLAGS(), CF | SF | AF);
	dev_set(0, 0, 8);
	WRITE("\x48\x83\x18\x00"); /* sbb qword [rax],0 with CF=1: -1 */
	assert_int_equal(dev_get(0, 8), ~0ULL);
	assert_int_equal(FLAGS(), CF | SF | PF | AF);
	dev_set(0, 0, 8);
	WRITE("\x66\x81\x28\x00\x80"); /* sub word [rax],0x8000: 0x8000 */
	assert_int_equal(dev_get(0, 8), 0x8000);
	assert_int_equal(FLAGS(), CF | OF | SF | PF);
	regs.gpr[GPR_RAX] = 0x0100;
	dev_set(0, 0xff, 1);
	READ("\x02\x20"); /* add ah,[rax]: 1 + 0xff */
	assert_int_equal(regs.gpr[GPR_RAX], 0);
	assert_int_equal(FLAGS(), CF | ZF | PF | AF);
	assert_int_equal(regs.rip, RIP0 + 2 + 3 + 2 + 2 + 4 + 5 + 2);
}

/* INC/DEC keep CF; NEG is 0 - m (CF unless m was 0); NOT changes no flag. */
static void test_inc_dec_neg_not(void **state)
{
	regs.rflags |= CF;
	dev_set(0, 0xff, 1);
	WRITE("\xfe\x00"); /* inc byte [rax] */
	assert_int_equal(dev_get(0, 8), 0);
	assert_int_equal(FLAGS(), CF | ZF | PF | AF);
	regs.rflags &= ~CF;
	dev_set(0, 0x80000000, 4);
	WRITE("\xff\x08"); /* dec dword [rax] */
	assert_int_equal(dev_get(0, 8), 0x7fffffff);
	assert_int_equal(FLAGS(), OF | AF | PF);
	dev_set(0, 0x7fffffffffffffffULL, 8);
	WRITE("\x48\xff\x00"); /* inc qword [rax] */
	assert_int_equal(dev_get(0, 8), 0x8000000000000000ULL);
	assert_int_equal(FLAGS(), OF | SF | AF | PF);
	dev_set(0, 1, 8);
	WRITE("\xf7\x18"); /* neg dword [rax] */
	assert_int_equal(dev_get(0, 8), 0xffffffff);
	assert_int_equal(FLAGS(), CF | SF | PF | AF);
	dev_set(0, 0, 8);
	WRITE("\xf0\xf7\x18"); /* lock neg dword [rax] of 0 */
	assert_int_equal(FLAGS(), ZF | PF);
	regs.rflags = RFLAGS_FIXED1 | CF | OF | SF;
	dev_set(0, 0x00ff00ff00ff00ffULL, 8);
	WRITE("\x48\xf7\x10"); /* not qword [rax] */
	assert_int_equal(dev_get(0, 8), 0xff00ff00ff00ff00ULL);
	assert_int_equal(FLAGS(), CF | OF | SF);
	assert_int_equal(dev_reads, 6);
	assert_int_equal(dev_writes, 6);
}

/* SHL/SHR/SAR: CF the last bit out, OF for a count of 1; a count of 0 writes nothing. */
static void test_shifts(void **state)
{
	dev_set(0, 0x80000001, 4);
	WRITE("\xd1\x20"); /* shl dword [rax],1 */
	assert_int_equal(dev_get(0, 8), 2);
	assert_int_equal(FLAGS(), CF | OF);
	dev_set(0, 0x81, 1);
	WRITE("\xd0\x28"); /* shr byte [rax],1 */
	assert_int_equal(dev_get(0, 1), 0x40);
	assert_int_equal(FLAGS(), CF | OF);
	dev_set(0, 0x80000010, 4);
	regs.gpr[GPR_RCX] = 4;
	WRITE("\xd3\x38"); /* sar dword [rax],cl */
	assert_int_equal(dev_get(0, 4), 0xf8000001);
	assert_int_equal(FLAGS(), SF);
	dev_set(0, 0x5a, 1);
	WRITE("\xc0\x20\x09"); /* shl byte [rax],9: all out, CF 0 past the width */
	assert_int_equal(dev_get(0, 1), 0);
	assert_int_equal(FLAGS(), ZF | PF);
	dev_set(0, 3, 8);
	regs.gpr[GPR_RCX] = 0x41;
	WRITE("\x48\xd3\x28"); /* shr qword [rax],cl: 0x41 & 63 = 1 */
	assert_int_equal(dev_get(0, 8), 1);
	assert_int_equal(FLAGS(), CF);
	regs.rflags |= ZF | AF;
	regs.gpr[GPR_RCX] = 0x20;
	dev_writes = 0;
	WRITE("\xd3\x20"); /* shl dword [rax],cl: 32 & 31 = 0, nothing */
	assert_int_equal(dev_writes, 0);
	assert_int_equal(FLAGS(), CF | ZF | AF);
	assert_int_equal(dev_get(0, 8), 1);
	dev_set(0, 0x8000, 2);
	WRITE("\x66\xc1\x38\x0f"); /* sar word [rax],15 */
	assert_int_equal(dev_get(0, 2), 0xffff);
	assert_int_equal(FLAGS(), SF | PF);
}

/* ROL/ROR/RCL/RCR: only CF and OF change; RCL/RCR turn through CF. */
static void test_rotates(void **state)
{
	regs.rflags |= ZF;
	dev_set(0, 0x81, 1);
	WRITE("\xd0\x00"); /* rol byte [rax],1 */
	assert_int_equal(dev_get(0, 1), 0x03);
	assert_int_equal(FLAGS(), ZF | CF | OF);
	dev_set(0, 0x1f, 4);
	WRITE("\xc1\x08\x05"); /* ror dword [rax],5 */
	assert_int_equal(dev_get(0, 4), 0xf8000000);
	assert_int_equal(FLAGS(), ZF | CF);
	dev_set(0, 0x80, 1);
	regs.rflags |= CF;
	WRITE("\xd0\x10"); /* rcl byte [rax],1, CF=1 */
	assert_int_equal(dev_get(0, 1), 0x01);
	assert_int_equal(FLAGS(), ZF | CF | OF);
	regs.rflags &= ~CF;
	dev_set(0, 1, 2);
	WRITE("\x66\xd1\x18"); /* rcr word [rax],1, CF=0 */
	assert_int_equal(dev_get(0, 2), 0);
	assert_int_equal(FLAGS(), ZF | CF);
	dev_set(0, 0x5a, 1);
	WRITE("\xc0\x10\x09"); /* rcl byte [rax],9: a whole turn through CF */
	assert_int_equal(dev_get(0, 1), 0x5a);
	assert_int_equal(FLAGS() & ~OF, ZF | CF); /* OF: undefined for counts but 1 */
	regs.rflags &= ~CF;
	dev_set(0, 0x01, 1);
	WRITE("\xc0\x00\x08"); /* rol byte [rax],8: value kept, CF = its LSB */
	assert_int_equal(dev_get(0, 1), 0x01);
	assert_true(regs.rflags & CF);
	dev_set(0, 0x8000000000000001ULL, 8);
	regs.rflags &= ~CF;
	WRITE("\x48\xc1\x18\x3f");	    /* rcr qword [rax],63 = rcl by 2 */
	assert_int_equal(dev_get(0, 8), 5); /* 1 -> 0x2 (CF 1), then 0x5 (CF 0) */
	assert_int_equal(FLAGS() & CF, 0);
}

/* BT*: CF = the bit (offset modulo the width); set, clear, flip it; other flags kept. */
static void test_bt(void **state)
{
	regs.rflags |= ZF;
	dev_set(0, 0x20, 4);
	READ("\x0f\xba\x20\x05"); /* bt dword [rax],5 */
	assert_int_equal(FLAGS(), ZF | CF);
	assert_int_equal(dev_writes, 0);
	dev_set(0, 0, 4);
	regs.gpr[GPR_RCX] = 0x21;
	WRITE("\x0f\xab\x08"); /* bts [rax],ecx: bit 33 mod 32 */
	assert_int_equal(dev_get(0, 4), 2);
	assert_int_equal(FLAGS(), ZF);
	dev_set(0, 0x8000000000000001ULL, 8);
	WRITE("\x48\x0f\xba\x30\x3f"); /* btr qword [rax],63 */
	assert_int_equal(dev_get(0, 8), 1);
	assert_int_equal(FLAGS(), ZF | CF);
	dev_set(0, 0x8000, 2);
	regs.gpr[GPR_RCX] = 0xffff;    /* -1: bit 15 of the word below EA, which faulted */
	WRITE("\xf0\x66\x0f\xbb\x08"); /* lock btc [rax],cx */
	assert_int_equal(dev_get(0, 2), 0);
	assert_int_equal(FLAGS(), ZF | CF);
	dev_set(0, 0, 4);
	WRITE("\x0f\xba\x38\x24"); /* btc dword [rax],36: bit 4 */
	assert_int_equal(dev_get(0, 4), 0x10);
	assert_int_equal(FLAGS(), ZF);
}

/* XADD; CMPXCHG hit (rAX kept whole) and miss (rAX loaded, memory written back). */
static void test_xadd_cmpxchg(void **state)
{
	dev_set(0, 0xfffffff0, 4);
	regs.gpr[GPR_RCX] = 0xaaaaaaaa00000020ULL;
	WRITE("\x0f\xc1\x08"); /* xadd [rax],ecx */
	assert_int_equal(dev_get(0, 8), 0x10);
	assert_int_equal(regs.gpr[GPR_RCX], 0xfffffff0);
	assert_int_equal(FLAGS(), CF);
	regs.gpr[GPR_RAX] = 0xaaaaaaaa00001234ULL;
	regs.gpr[GPR_RCX] = 0x5678;
	dev_set(0, 0x1234, 4);
	WRITE("\xf0\x0f\xb1\x08"); /* lock cmpxchg [rax],ecx: equal */
	assert_int_equal(dev_get(0, 4), 0x5678);
	assert_int_equal(regs.gpr[GPR_RAX], 0xaaaaaaaa00001234ULL);
	assert_int_equal(FLAGS(), ZF | PF);
	dev_writes = 0;
	dev_set(0, 0x1000, 4);
	WRITE("\x0f\xb1\x08"); /* cmpxchg [rax],ecx: differ */
	assert_int_equal(dev_writes, 1);
	assert_int_equal(dev_get(0, 4), 0x1000);
	assert_int_equal(regs.gpr[GPR_RAX], 0x1000);
	assert_int_equal(FLAGS(), 0);
	regs.gpr[GPR_RAX] = 0x7f;
	dev_set(0, 0x80, 1);
	WRITE("\x0f\xb0\x08"); /* cmpxchg [rax],cl: 0x7f - 0x80 */
	assert_int_equal(regs.gpr[GPR_RAX], 0x80);
	assert_int_equal(FLAGS(), CF | OF | SF | PF);
}

/*
 * MUL and IMUL: rDX:rAX (AX for bytes), or IMUL's register; CF = OF = the
 * result does not fit the low half; SF and PF from the low half, ZF and AF
 * cleared (undefined in the SDM; as Intel processors leave them).
 */
static void test_mul_imul(void **state)
{
	regs.gpr[GPR_RAX] = 0xffffffffffff1280ULL;
	regs.gpr[GPR_RDX] = 0x1111111111111111ULL;
	regs.rflags |= ZF | AF;
	dev_set(0, 0x02, 1);
	READ("\xf6\x26"); /* mul byte [rsi]: AX = 0x80 * 2 */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffffffff0100ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0x1111111111111111ULL);
	assert_int_equal(FLAGS(), CF | OF | PF);
	assert_int_equal(dev_reads, 1);
	assert_int_equal(dev_writes, 0);
	assert_int_equal(last_size, 1);
	assert_int_equal(regs.rip, RIP0 + 2);
	regs.gpr[GPR_RAX] = 0xffff;
	dev_set(0, 0xffff, 2);
	READ("\x66\xf7\x26"); /* mul word [rsi]: DX:AX = 0xfffe:0001 */
	assert_int_equal(regs.gpr[GPR_RAX], 1);
	assert_int_equal(regs.gpr[GPR_RDX], 0x111111111111fffeULL);
	assert_int_equal(FLAGS(), CF | OF);
	regs.gpr[GPR_RAX] = 0xaaaaaaaa80000000ULL;
	dev_set(0, 2, 4);
	READ("\xf7\x26"); /* mul dword [rsi]: EDX:EAX = 1:0, ZF still clear */
	assert_int_equal(regs.gpr[GPR_RAX], 0);
	assert_int_equal(regs.gpr[GPR_RDX], 1);
	assert_int_equal(FLAGS(), CF | OF | PF);
	regs.gpr[GPR_RAX] = ~0ULL;
	dev_set(0, ~0ULL, 8);
	READ("\x48\xf7\x26"); /* mul qword [rsi]: (2^64 - 1)^2 */
	assert_int_equal(regs.gpr[GPR_RAX], 1);
	assert_int_equal(regs.gpr[GPR_RDX], 0xfffffffffffffffeULL);
	assert_int_equal(FLAGS(), CF | OF);
	regs.gpr[GPR_RAX] = 3;
	dev_set(0, 5, 8);
	READ("\x48\xf7\x26"); /* mul qword [rsi]: 15, fits */
	assert_int_equal(regs.gpr[GPR_RAX], 15);
	assert_int_equal(regs.gpr[GPR_RDX], 0);
	assert_int_equal(FLAGS(), PF);
	regs.gpr[GPR_RAX] = 0x12ff;
	dev_set(0, 0x80, 1);
	READ("\xf6\x2e"); /* imul byte [rsi]: -1 * -128 = 128 does not fit */
	assert_int_equal(regs.gpr[GPR_RAX], 0x0080);
	assert_int_equal(FLAGS(), CF | OF | SF);
	regs.gpr[GPR_RAX] = 0xfffffffe;
	dev_set(0, 3, 4);
	READ("\xf7\x2e"); /* imul dword [rsi]: -2 * 3 = -6 fits */
	assert_int_equal(regs.gpr[GPR_RAX], 0xfffffffa);
	assert_int_equal(regs.gpr[GPR_RDX], 0xffffffff);
	assert_int_equal(FLAGS(), SF | PF);
	regs.gpr[GPR_RAX] = 0x8000000000000000ULL;
	dev_set(0, ~0ULL, 8);
	READ("\x48\xf7\x2e"); /* imul qword [rsi]: INT64_MIN * -1 = 2^63 */
	assert_int_equal(regs.gpr[GPR_RAX], 0x8000000000000000ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0);
	assert_int_equal(FLAGS(), CF | OF | SF | PF);
	regs.gpr[GPR_RAX] = (u64)-3;
	dev_set(0, 0x7fffffffffffffffULL, 8);
	READ("\x48\xf7\x2e"); /* imul qword [rsi]: -3 * INT64_MAX */
	assert_int_equal(regs.gpr[GPR_RAX], 0x8000000000000003ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0xfffffffffffffffeULL);
	assert_int_equal(FLAGS(), CF | OF | SF | PF);
	/* the register forms: the destination is truncated, rDX untouched */
	regs.gpr[GPR_RDX] = 0x1111111111111111ULL;
	regs.gpr[GPR_RAX] = 0xaaaaaaaa00010000ULL;
	dev_set(0, 0x10000, 4);
	READ("\x0f\xaf\x06"); /* imul eax,[rsi]: 2^32 truncates to 0 */
	assert_int_equal(regs.gpr[GPR_RAX], 0);
	assert_int_equal(regs.gpr[GPR_RDX], 0x1111111111111111ULL);
	assert_int_equal(FLAGS(), CF | OF | PF);
	regs.gpr[GPR_RDX] = 0x222222222222fffdULL;
	dev_set(0, 7, 2);
	READ("\x66\x0f\xaf\x16"); /* imul dx,[rsi]: -3 * 7 = -21 */
	assert_int_equal(regs.gpr[GPR_RDX], 0x222222222222ffebULL);
	assert_int_equal(FLAGS(), SF | PF);
	dev_set(0, 2, 8);
	READ("\x48\x69\x0e\x00\x00\x00\x80"); /* imul rcx,[rsi],-0x80000000 */
	assert_int_equal(regs.gpr[GPR_RCX], 0xffffffff00000000ULL);
	assert_int_equal(FLAGS(), SF | PF);
	regs.gpr[GPR_RAX] = 0x5555;
	dev_set(0, 0x40000000, 4);
	READ("\x6b\x06\xfd"); /* imul eax,[rsi],-3: -3 * 2^30 does not fit */
	assert_int_equal(regs.gpr[GPR_RAX], 0x40000000);
	assert_int_equal(FLAGS(), CF | OF | PF);
	assert_int_equal(regs.rip, RIP0 + 2 + 3 + 2 + 3 + 3 + 2 + 2 + 3 + 3 + 3 + 4 + 7 + 3);
}

/*
 * DIV and IDIV: quotient and remainder; flags kept (undefined in the SDM;
 * as Intel processors leave them); #DE after the read, nothing changed,
 * for a zero divisor or a quotient that does not fit.
 */
static void test_div_idiv(void **state)
{
	struct emulate_regs before;

	regs.rflags |= CF | ZF | AF;
	regs.gpr[GPR_RAX] = 0xffffffffffff0105ULL;
	dev_set(0, 0x10, 1);
	READ("\xf6\x36"); /* div byte [rsi]: 261 / 16 = 16 r 5 */
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffffffff0510ULL);
	assert_int_equal(FLAGS(), CF | ZF | AF);
	regs.gpr[GPR_RAX] = 0xaaaaaaaa00000005ULL;
	regs.gpr[GPR_RDX] = 0xbbbbbbbb00000001ULL;
	READ("\xf7\x36"); /* div dword [rsi]: (2^32 + 5) / 16 */
	assert_int_equal(regs.gpr[GPR_RAX], 0x10000000);
	assert_int_equal(regs.gpr[GPR_RDX], 5);
	regs.gpr[GPR_RAX] = 0;
	regs.gpr[GPR_RDX] = 1;
	dev_set(0, 3, 8);
	READ("\x48\xf7\x36"); /* div qword [rsi]: 2^64 / 3 */
	assert_int_equal(regs.gpr[GPR_RAX], 0x5555555555555555ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 1);
	regs.gpr[GPR_RAX] = 0xfffffff9;
	regs.gpr[GPR_RDX] = 0xffffffff;
	dev_set(0, 2, 4);
	READ("\xf7\x3e"); /* idiv dword [rsi]: -7 / 2 = -3 r -1 */
	assert_int_equal(regs.gpr[GPR_RAX], 0xfffffffd);
	assert_int_equal(regs.gpr[GPR_RDX], 0xffffffff);
	regs.gpr[GPR_RAX] = 0;
	regs.gpr[GPR_RDX] = ~0ULL;
	dev_set(0, 2, 8);
	READ("\x48\xf7\x3e"); /* idiv qword [rsi]: -2^64 / 2 = INT64_MIN */
	assert_int_equal(regs.gpr[GPR_RAX], 0x8000000000000000ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0);
	regs.gpr[GPR_RAX] = 0x1234ff80;
	dev_set(0, 1, 1);
	READ("\xf6\x3e"); /* idiv byte [rsi]: -128 / 1 */
	assert_int_equal(regs.gpr[GPR_RAX], 0x12340080);
	regs.gpr[GPR_RAX] = 0xfff9;
	dev_set(0, 0xfe, 1);
	READ("\xf6\x3e"); /* idiv byte [rsi]: -7 / -2 = 3 r -1 */
	assert_int_equal(regs.gpr[GPR_RAX], 0xff03);
	assert_int_equal(FLAGS(), CF | ZF | AF);

	/* #DE: the read, then nothing */
	static const struct {
		const char *insn;
		unsigned n;
		u64 rax, rdx, m;
	} de[] = {
	    {"\xf7\x36", 2, 5, 0, 0},			   /* div dword by 0 */
	    {"\xf6\x3e", 2, 5, 0, 0},			   /* idiv byte by 0 */
	    {"\xf7\x36", 2, 0, 2, 2},			   /* 2^33 / 2: 2^32 */
	    {"\x48\xf7\x36", 3, 0, 7, 7},		   /* 7 * 2^64 / 7 */
	    {"\xf6\x36", 2, 0x0100, 0, 1},		   /* 256 / 1 */
	    {"\xf6\x3e", 2, 0xff80, 0, 0xff},		   /* -128 / -1 */
	    {"\x66\xf7\x3e", 3, 0x8000, 0xffff, 0xffff},   /* -32768 / -1 */
	    {"\x48\xf7\x3e", 3, 1ULL << 63, ~0ULL, ~0ULL}, /* INT64_MIN / -1 */
	    {"\x48\xf7\x3e", 3, 0, ~0ULL, (u64)-2},	   /* -2^64 / -2 = 2^63 */
	    {"\xf7\x3e", 2, 0x80000000, 0, 1},		   /* +2^31 / 1 */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(de); i++) {
		regs.gpr[GPR_RAX] = de[i].rax;
		regs.gpr[GPR_RDX] = de[i].rdx;
		dev_set(0, de[i].m, 8);
		dev_reads = 0;
		before = regs;
		assert_int_equal(run_n(de[i].insn, de[i].n, DECODE_MODE_64, MMIO_BASE, false),
				 EMULATE_FAULT_DE);
		assert_int_equal(dev_reads, 1);
		assert_memory_equal(&regs, &before, sizeof(regs));
	}
	assert_string_equal(emulate_status_name(EMULATE_FAULT_DE), "#DE");
	dev_fail = true;
	before = regs;
	assert_int_equal(RUN("\xf7\x26", DECODE_MODE_64, MMIO_BASE, false), EMULATE_MMIO_FAILED);
	assert_memory_equal(&regs, &before, sizeof(regs));
}

/*
 * CMPXCHG8B/16B: one 8-byte access per half, reads then writes, low
 * first; the operand written back on a miss; rDX:rAX loaded only on a
 * miss (32-bit halves zero-extend then); #UD without the CPUID bit,
 * #GP(0) for a CMPXCHG16B not 16-byte aligned, both before any access.
 */
static void test_cmpxchg8b_16b(void **state)
{
	regs.gpr[GPR_RAX] = 0xaaaaaaaa22222222ULL;
	regs.gpr[GPR_RDX] = 0xdddddddd11111111ULL;
	regs.gpr[GPR_RBX] = 0xffffffff33333333ULL;
	regs.gpr[GPR_RCX] = 0xffffffff44444444ULL;
	regs.rflags |= CF;
	dev_set(8, 0x1111111122222222ULL, 8);
	OK("\xf0\x0f\xc7\x0e", MMIO_BASE + 8, true); /* lock cmpxchg8b [rsi]: equal */
	assert_int_equal(dev_get(8, 8), 0x4444444433333333ULL);
	assert_int_equal(regs.gpr[GPR_RAX], 0xaaaaaaaa22222222ULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0xdddddddd11111111ULL);
	assert_int_equal(FLAGS(), CF | ZF);
	assert_int_equal(dev_reads, 1);
	assert_int_equal(dev_writes, 1);
	assert_int_equal(last_size, 8);
	OK("\x0f\xc7\x0e", MMIO_BASE + 8, true); /* cmpxchg8b [rsi]: differ */
	assert_int_equal(dev_get(8, 8), 0x4444444433333333ULL);
	assert_int_equal(dev_writes, 2); /* its own value back */
	assert_int_equal(regs.gpr[GPR_RAX], 0x33333333);
	assert_int_equal(regs.gpr[GPR_RDX], 0x44444444);
	assert_int_equal(FLAGS(), CF);
	assert_int_equal(RUN("\x0f\xc7\x0e", DECODE_MODE_32, MMIO_BASE + 8, true), EMULATE_OK);
	assert_int_equal(dev_get(8, 8), 0x4444444433333333ULL);
	assert_int_equal(FLAGS(), CF | ZF); /* equal now: ECX:EBX stored again */

	regs.gpr[GPR_RSI] = 0x1010;
	regs.gpr[GPR_RAX] = 0x0102030405060708ULL;
	regs.gpr[GPR_RDX] = 0x1112131415161718ULL;
	regs.gpr[GPR_RBX] = 0xaaaaaaaaaaaaaaaaULL;
	regs.gpr[GPR_RCX] = 0xbbbbbbbbbbbbbbbbULL;
	dev_set(16, 0x0102030405060708ULL, 8);
	dev_set(24, 0x1112131415161718ULL, 8);
	dev_reads = dev_writes = 0;
	OK("\x48\x0f\xc7\x0e", MMIO_BASE + 16, true); /* cmpxchg16b [rsi]: equal */
	assert_int_equal(dev_get(16, 8), 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(dev_get(24, 8), 0xbbbbbbbbbbbbbbbbULL);
	assert_int_equal(dev_reads, 2);
	assert_int_equal(dev_writes, 2);
	assert_int_equal(last_gpa, MMIO_BASE + 24); /* the high half last */
	assert_int_equal(FLAGS(), CF | ZF);
	OK("\xf0\x48\x0f\xc7\x0e", MMIO_BASE + 16, true); /* lock cmpxchg16b: differ */
	assert_int_equal(regs.gpr[GPR_RAX], 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(regs.gpr[GPR_RDX], 0xbbbbbbbbbbbbbbbbULL);
	assert_int_equal(dev_get(16, 8), 0xaaaaaaaaaaaaaaaaULL);
	assert_int_equal(dev_writes, 4);
	assert_int_equal(FLAGS(), CF);

	/* the faults, before any access */
	dev_reads = dev_writes = 0;
	regs.gpr[GPR_RSI] = 0x1018;
	assert_int_equal(RUN("\x48\x0f\xc7\x0e", DECODE_MODE_64, MMIO_BASE + 24, true),
			 EMULATE_FAULT_GP);
	regs.gpr[GPR_RSI] = 0x1010;
	env.seg_base[DECODE_SEG_FS] = 0x808;
	assert_int_equal(RUN("\x64\x48\x0f\xc7\x0e", DECODE_MODE_64, MMIO_BASE + 24, true),
			 EMULATE_FAULT_GP); /* FS.base counts */
	env.cpuid1_ecx = 0;
	assert_int_equal(RUN("\x48\x0f\xc7\x0e", DECODE_MODE_64, MMIO_BASE + 16, true),
			 EMULATE_FAULT_UD);
	OK("\x0f\xc7\x0e", MMIO_BASE + 16, true); /* CMPXCHG8B needs CX8 only */
	env.cpuid1_edx = 0;
	dev_reads = dev_writes = 0;
	assert_int_equal(RUN("\x0f\xc7\x0e", DECODE_MODE_64, MMIO_BASE + 16, true),
			 EMULATE_FAULT_UD);
	assert_int_equal(dev_reads + dev_writes, 0);
}

/* SETcc writes 1 or 0 by the condition; no flag changes. */
static void test_setcc(void **state)
{
	static const struct {
		const char *insn;
		u64 flags;
		u8 want;
	} cases[] = {
	    {"\x0f\x94\x00", ZF, 1},	  /* sete */
	    {"\x0f\x95\x00", ZF, 0},	  /* setne */
	    {"\x0f\x9c\x00", SF, 1},	  /* setl */
	    {"\x0f\x9c\x00", SF | OF, 0}, /* setl */
	    {"\x0f\x9f\x00", 0, 1},	  /* setg */
	    {"\x0f\x9e\x00", OF, 1},	  /* setle */
	    {"\x0f\x96\x00", CF, 1},	  /* setbe */
	    {"\x0f\x97\x00", ZF, 0},	  /* seta */
	    {"\x0f\x9a\x18", PF, 1},	  /* setp (ModRM.reg 3) */
	    {"\x0f\x91\x00", OF, 0},	  /* setno */
	    {"\x0f\x99\x00", SF, 0},	  /* setns */
	    {"\x0f\x93\x00", CF | ZF, 0}, /* setae */
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		regs.rflags = RFLAGS_FIXED1 | cases[i].flags;
		dev_set(0, 0xcc, 1);
		assert_int_equal(run_n(cases[i].insn, 3, DECODE_MODE_64, MMIO_BASE, true),
				 EMULATE_OK);
		assert_int_equal(dev_get(0, 1), cases[i].want);
		assert_int_equal(FLAGS(), cases[i].flags);
	}
}

/* MOVNTI stores as MOV does; MOVBE swaps the bytes either way. */
static void test_movnti_movbe(void **state)
{
	regs.gpr[GPR_RCX] = 0xaabbccdd11223344ULL;
	WRITE("\x0f\xc3\x08"); /* movnti [rax],ecx */
	assert_int_equal(dev_get(0, 8), 0x11223344);
	READ("\x0f\x38\xf0\x08"); /* movbe ecx,[rax] */
	assert_int_equal(regs.gpr[GPR_RCX], 0x44332211);
	regs.gpr[GPR_RCX] = 0xaabb;
	WRITE("\x66\x0f\x38\xf1\x08"); /* movbe [rax],cx */
	assert_int_equal(dev_get(0, 8), 0x1122bbaa);
	regs.gpr[GPR_RCX] = 0x0102030405060708ULL;
	WRITE("\x48\x0f\x38\xf1\x08"); /* movbe [rax],rcx */
	assert_int_equal(dev_get(0, 8), 0x0807060504030201ULL);
	assert_int_equal(FLAGS(), 0);
}

/* PUSH m / POP m: the stack side is guest RAM at SS:rSP, either side may be the device. */
static void test_push_pop(void **state)
{
	u64 v;

	dev_set(0, 0x1122334455667788ULL, 8);
	regs.gpr[GPR_RSP] = RAM_BASE + 0x100;
	READ("\xff\x30"); /* push qword [rax] */
	memcpy(&v, ram + 0xf8, 8);
	assert_int_equal(v, 0x1122334455667788ULL);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0xf8);
	READ("\x66\xff\x30"); /* push word [rax] */
	assert_int_equal(*(u16 *)(ram + 0xf6), 0x7788);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0xf6);
	regs.gpr[GPR_RSP] = RAM_BASE + 0xf8;
	memset(dev, 0, sizeof(dev));
	WRITE("\x8f\x00"); /* pop qword [rax] */
	assert_int_equal(dev_get(0, 8), 0x1122334455667788ULL);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x100);
	/* the stack is the device: pop [rsp] writes RAM at rSP after the pop */
	dev_set(8, 0xcafe, 8);
	regs.gpr[GPR_RSP] = RAM_BASE + 0x200;
	OK("\x8f\x04\x24", MMIO_BASE + 8, false);
	memcpy(&v, ram + 0x208, 8);
	assert_int_equal(v, 0xcafe);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x208);
	/* push [rsp] onto a device stack reads RAM at rSP before the push */
	v = 0xf00d;
	memcpy(ram + 0x300, &v, 8);
	regs.gpr[GPR_RSP] = RAM_BASE + 0x300;
	OK("\xff\x34\x24", MMIO_BASE + 16, true);
	assert_int_equal(dev_get(16, 8), 0xf00d);
	assert_int_equal(regs.gpr[GPR_RSP], RAM_BASE + 0x2f8);
	/* a 16-bit stack (SS.B=0) in 32-bit code: SP wraps, the rest of ESP stays */
	env.stack_size = 2;
	env.seg_base[DECODE_SEG_SS] = RAM_BASE + 0x400 - 0xfffc;
	regs.gpr[GPR_RSP] = 0xabcd0000;
	dev_set(0, 0x89abcdef, 4);
	assert_int_equal(RUN("\xff\x30", DECODE_MODE_32, MMIO_BASE, false), EMULATE_OK);
	assert_int_equal(*(u32 *)(ram + 0x400), 0x89abcdef);
	assert_int_equal(regs.gpr[GPR_RSP], 0xabcdfffc);
	ram_fail = true;
	assert_int_equal(RUN("\xff\x30", DECODE_MODE_32, MMIO_BASE, false), EMULATE_MEM_FAILED);
	assert_int_equal(regs.gpr[GPR_RSP], 0xabcdfffc);
}

/* LODS loads rAX and moves rSI; SCAS compares and moves rDI; REPE/REPNE stop on ZF. */
static void test_lods_scas(void **state)
{
	regs.gpr[GPR_RAX] = 0x1111111111111111ULL;
	regs.gpr[GPR_RSI] = 0x7000;
	dev_set(0, 0x89abcdef, 4);
	READ("\xac"); /* lodsb */
	assert_int_equal(regs.gpr[GPR_RAX], 0x11111111111111efULL);
	assert_int_equal(regs.gpr[GPR_RSI], 0x7001);
	READ("\xad"); /* lodsd: zero-extends */
	assert_int_equal(regs.gpr[GPR_RAX], 0x89abcdef);
	regs.rflags |= DF;
	READ("\x48\xad"); /* lodsq, DF=1 */
	assert_int_equal(regs.gpr[GPR_RSI], 0x7005 - 8);
	regs.rflags &= ~DF;
	regs.gpr[GPR_RCX] = 2;
	regs.rip = RIP0;
	READ("\xf3\x66\xad"); /* rep lodsw: RIP held while rCX > 0 */
	assert_int_equal(regs.rip, RIP0);
	READ("\xf3\x66\xad");
	assert_int_equal(regs.rip, RIP0 + 3);
	assert_int_equal(regs.gpr[GPR_RCX], 0);
	assert_int_equal(regs.gpr[GPR_RAX], 0x89abcdef); /* AX = 0xcdef, the rest kept */
	assert_int_equal(dev_writes, 0);
	assert_int_equal(FLAGS(), 0);

	/* repne scasb: the second element matches, the run ends with rCX 3 */
	regs.rip = RIP0;
	regs.gpr[GPR_RAX] = 0x33;
	regs.gpr[GPR_RCX] = 5;
	regs.gpr[GPR_RDI] = 0x9000;
	dev_set(0, 0x11, 1);
	READ("\xf2\xae");
	assert_int_equal(regs.rip, RIP0);
	assert_int_equal(FLAGS() & ZF, 0);
	dev_set(0, 0x33, 1);
	READ("\xf2\xae");
	assert_int_equal(regs.rip, RIP0 + 2);
	assert_int_equal(FLAGS(), ZF | PF);
	assert_int_equal(regs.gpr[GPR_RCX], 3);
	assert_int_equal(regs.gpr[GPR_RDI], 0x9002);
	/* repe scasd: equal, then 7 - 8 ends it */
	regs.rip = RIP0;
	regs.gpr[GPR_RAX] = 0xffffffff00000007ULL;
	regs.gpr[GPR_RCX] = 3;
	dev_set(0, 7, 4);
	READ("\xf3\xaf");
	assert_int_equal(regs.rip, RIP0);
	assert_int_equal(FLAGS(), ZF | PF);
	dev_set(0, 8, 4);
	READ("\xf3\xaf");
	assert_int_equal(regs.rip, RIP0 + 2);
	assert_int_equal(FLAGS(), CF | SF | PF | AF);
	assert_int_equal(regs.gpr[GPR_RCX], 1);
	assert_int_equal(regs.gpr[GPR_RDI], 0x900a);
	assert_int_equal(regs.gpr[GPR_RAX], 0xffffffff00000007ULL);
	/* repe scasb that still matches when rCX runs out */
	regs.rip = RIP0;
	regs.gpr[GPR_RCX] = 1;
	dev_set(0, 7, 1);
	READ("\xf3\xae");
	assert_int_equal(regs.rip, RIP0 + 2);
	assert_int_equal(FLAGS(), ZF | PF);
}

/* CMPS: the side whose linear address reaches the fault's GPA is the device. */
static void test_cmps(void **state)
{
	dev_set(0, 0xa8, 1);
	ram[0] = 0x40;
	regs.gpr[GPR_RSI] = DEV_LIN;
	regs.gpr[GPR_RDI] = RAM_BASE;
	READ("\xa6"); /* cmpsb: device - RAM = 0xa8 - 0x40 */
	assert_int_equal(FLAGS(), OF);
	assert_int_equal(regs.gpr[GPR_RSI], DEV_LIN + 1);
	assert_int_equal(regs.gpr[GPR_RDI], RAM_BASE + 1);
	regs.gpr[GPR_RSI] = RAM_BASE;
	regs.gpr[GPR_RDI] = DEV_LIN;
	READ("\xa6"); /* cmpsb: RAM - device = 0x40 - 0xa8 */
	assert_int_equal(FLAGS(), CF | SF | OF | AF);
	/* repne cmpsw with DF=1: the second pair matches */
	regs.rip = RIP0;
	regs.rflags |= DF;
	regs.gpr[GPR_RCX] = 4;
	regs.gpr[GPR_RSI] = RAM_BASE + 0x12;
	regs.gpr[GPR_RDI] = DEV_LIN + 2;
	*(u16 *)(ram + 0x12) = 0x1234;
	*(u16 *)(ram + 0x10) = 0x5678;
	dev_set(2, 0x1111, 2);
	OK("\xf2\x66\xa7", MMIO_BASE + 2, false);
	assert_int_equal(regs.rip, RIP0);
	dev_set(0, 0x5678, 2);
	OK("\xf2\x66\xa7", MMIO_BASE + 0, false);
	assert_int_equal(regs.rip, RIP0 + 3);
	assert_int_equal(FLAGS(), ZF | PF);
	assert_int_equal(regs.gpr[GPR_RCX], 2);
	assert_int_equal(regs.gpr[GPR_RSI], RAM_BASE + 0xe);
	assert_int_equal(regs.gpr[GPR_RDI], DEV_LIN - 2);
	assert_int_equal(dev_writes, 0);
}

/* A failed access leaves every register as it was. */
/* The pattern register i holds at byte b after setup(). */
static u8 vpat(unsigned i, unsigned b)
{
	return (u8)(0x80 + 16 * i + b);
}

static void dev_fill(void)
{
	for (unsigned b = 0; b < sizeof(dev); b++)
		dev[b] = (u8)(0x10 + b);
}

/* The device at offset off, and RSI and R8 pointing at the same page offset (vector_in_page). */
static u64 at(unsigned off)
{
	regs.gpr[GPR_RSI] = regs.gpr[8] = 0x1000 + off;
	return MMIO_BASE + off;
}

/* Stores: the register's bytes in 8-byte device accesses, lowest first (4 for MOVD). */
static void test_vector_stores(void **state)
{
	struct emulate_regs before;

	before = regs;
	OK("\xf3\x0f\x7f\x06", at(0), true); /* movdqu [rsi],xmm0 */
	assert_memory_equal(dev, vregs[0], 16);
	assert_int_equal(dev_writes, 2);
	assert_int_equal(last_gpa, MMIO_BASE + 8);
	assert_int_equal(last_size, 8);
	assert_int_equal(dev_get(16, 8), 0);
	assert_int_equal(regs.rip, RIP0 + 4);
	before.rip = regs.rip;
	before.gpr[GPR_RSI] = before.gpr[8] = 0x1000;
	assert_memory_equal(&regs, &before, sizeof(regs));

	dev_writes = 0;
	OK("\x66\x0f\x7e\x0e", at(0x20), true); /* movd [rsi],xmm1 */
	assert_int_equal(dev_writes, 1);
	assert_int_equal(last_size, 4);
	assert_memory_equal(dev + 0x20, vregs[1], 4);
	assert_int_equal(dev_get(0x24, 4), 0);

	dev_writes = 0;
	OK("\x66\x0f\xd6\x1e", at(0x28), true); /* movq [rsi],xmm3 */
	assert_int_equal(dev_writes, 1);
	assert_int_equal(last_size, 8);
	assert_memory_equal(dev + 0x28, vregs[3], 8);

	dev_writes = 0;
	OK("\xc5\x7e\x7f\x3e", at(0x20), true); /* vmovdqu [rsi],ymm15 */
	assert_int_equal(dev_writes, 4);
	assert_memory_equal(dev + 0x20, vregs[15], 32);

	dev_writes = 0;
	OK("\x0f\x29\x16", at(0), true); /* movaps [rsi],xmm2 (aligned) */
	assert_int_equal(dev_writes, 2);
	assert_memory_equal(dev, vregs[2], 16);

	dev_writes = 0;
	OK("\xc5\xfc\x11\x26", at(0x18), true); /* vmovups [rsi],ymm4 */
	assert_int_equal(dev_writes, 4);
	assert_memory_equal(dev + 0x18, vregs[4], 32);

	OK("\xc4\x41\x7d\x7f\x00", at(0x20), true); /* vmovdqa [r8],ymm8 (32-byte aligned) */
	assert_memory_equal(dev + 0x20, vregs[8], 32);
}

/*
 * Loads: MOVD/MOVQ zero the XMM register above the bytes loaded; legacy
 * loads keep bits 255:128; VEX.128 zeroes them.
 */
static void test_vector_loads(void **state)
{
	dev_fill();
	OK("\xf3\x0f\x6f\x1e", at(8), false); /* movdqu xmm3,[rsi] */
	assert_int_equal(dev_reads, 2);
	assert_memory_equal(vregs[3], dev + 8, 16);
	for (unsigned b = 16; b < 32; b++)
		assert_int_equal(vregs[3][b], vpat(3, b));

	OK("\x66\x0f\x6e\x26", at(4), false); /* movd xmm4,[rsi] */
	assert_memory_equal(vregs[4], dev + 4, 4);
	for (unsigned b = 4; b < 16; b++)
		assert_int_equal(vregs[4][b], 0);
	for (unsigned b = 16; b < 32; b++)
		assert_int_equal(vregs[4][b], vpat(4, b));

	OK("\xf3\x0f\x7e\x2e", at(16), false); /* movq xmm5,[rsi] */
	assert_memory_equal(vregs[5], dev + 16, 8);
	for (unsigned b = 8; b < 16; b++)
		assert_int_equal(vregs[5][b], 0);
	assert_int_equal(vregs[5][16], vpat(5, 16));

	OK("\x66\x48\x0f\x6e\x36", at(24), false); /* movq xmm6,[rsi] (66 REX.W 6E) */
	assert_memory_equal(vregs[6], dev + 24, 8);
	assert_int_equal(vregs[6][8], 0);

	OK("\xc5\xfa\x6f\x3e", at(0), false); /* vmovdqu xmm7,[rsi] */
	assert_memory_equal(vregs[7], dev, 16);
	for (unsigned b = 16; b < 32; b++)
		assert_int_equal(vregs[7][b], 0);

	dev_reads = 0;
	OK("\xc4\x41\x7e\x6f\x00", at(32), false); /* vmovdqu ymm8,[r8] */
	assert_int_equal(dev_reads, 4);
	assert_memory_equal(vregs[8], dev + 32, 32);

	OK("\x44\x0f\x10\x0e", at(3), false); /* movups xmm9,[rsi]: no alignment */
	assert_memory_equal(vregs[9], dev + 3, 16);
}

/* A fault: the status, no device access, and the registers (RIP too) as they were. */
static void expect_fault(const char *str, unsigned n, enum decode_mode mode, int status)
{
	struct emulate_regs before = regs;
	u8 v[16][32];

	memcpy(v, vregs, sizeof(v));
	dev_reads = dev_writes = 0;
	assert_int_equal(run_n(str, n, mode, MMIO_BASE, false), status);
	assert_int_equal(dev_reads + dev_writes, 0);
	assert_memory_equal(&regs, &before, sizeof(regs));
	assert_memory_equal(vregs, v, sizeof(v));
}

#define FAULT(str, mode, st) expect_fault(str, sizeof(str) - 1, mode, EMULATE_FAULT_##st)

/* SDM Vol. 2A 2.4: #UD (CR0.EM, CR4.OSFXSR; VEX: CR4.OSXSAVE, XCR0, real/V86), #NM, #GP. */
static void test_vector_faults(void **state)
{
	u64 cr0 = env.cr0, cr4 = env.cr4;

	regs.gpr[GPR_RSI] = 0x1008;
	FAULT("\x66\x0f\x6f\x06", DECODE_MODE_64, GP); /* movdqa xmm0,[rsi]: misaligned */
	FAULT("\x0f\x29\x06", DECODE_MODE_64, GP);     /* movaps [rsi],xmm0 */
	regs.gpr[GPR_RSI] = 0x1010;
	FAULT("\xc5\xfd\x6f\x06", DECODE_MODE_64, GP); /* vmovdqa ymm0,[rsi]: 16 of 32 aligned */
	FAULT("\xc5\xfc\x29\x06", DECODE_MODE_64, GP); /* vmovaps [rsi],ymm0 */
	regs.gpr[GPR_RSI] = 0x1008;
	FAULT("\xc5\xf8\x28\x06", DECODE_MODE_64, GP); /* vmovaps xmm0,[rsi] */
	regs.gpr[GPR_RSI] = 0x1000;
	env.seg_base[DECODE_SEG_FS] = 0x804;
	FAULT("\x64\x0f\x28\x06", DECODE_MODE_64, GP); /* movaps xmm0,fs:[rsi]: FS.base counts */
	env.seg_base[DECODE_SEG_DS] = 0x804;	       /* ...DS.base does not in 64-bit code */
	OK("\x0f\x28\x06", MMIO_BASE, false);
	assert_int_equal(RUN("\x0f\x28\x06", DECODE_MODE_32, MMIO_BASE, false), EMULATE_FAULT_GP);
	env.seg_base[DECODE_SEG_DS] = 0;

	env.cr0 = cr0 | CR0_TS;
	FAULT("\xf3\x0f\x6f\x06", DECODE_MODE_64, NM);
	FAULT("\xc5\xfe\x6f\x06", DECODE_MODE_64, NM);
	env.cr0 = cr0 | CR0_EM | CR0_TS; /* #UD comes first */
	FAULT("\xf3\x0f\x6f\x06", DECODE_MODE_64, UD);
	env.cr0 = cr0 | CR0_EM; /* VEX ignores CR0.EM */
	OK("\xc5\xfe\x6f\x06", MMIO_BASE, false);
	env.cr0 = cr0;
	env.cr4 = cr4 & ~CR4_OSFXSR;
	FAULT("\x66\x0f\x6e\x06", DECODE_MODE_64, UD);
	env.cr4 = cr4 & ~CR4_OSXSAVE;
	FAULT("\xc5\xfa\x7f\x06", DECODE_MODE_64, UD);
	env.cr4 = cr4;
	env.xcr0 = 3;
	FAULT("\xc5\xfa\x7f\x06", DECODE_MODE_64, UD);
	env.xcr0 = 7;
	env.cr0 = cr0 & ~(CR0_PE | CR0_PG); /* real-address mode: VEX is #UD, SSE is not */
	FAULT("\xc5\xfa\x7f\x04", DECODE_MODE_16, UD);
	assert_int_equal(RUN("\x66\x0f\x7f\x04", DECODE_MODE_16, MMIO_BASE, true), EMULATE_OK);
	env.cr0 = cr0;
	regs.rflags |= RFLAGS_VM; /* virtual-8086 mode */
	FAULT("\xc5\xfa\x7f\x04", DECODE_MODE_16, UD);
}

/* A register file out of reach or a device refusing: nothing changes but the device. */
static void test_vector_failures(void **state)
{
	struct emulate_regs before = regs;

	vec_avx = false;
	assert_int_equal(RUN("\xc5\xfe\x7f\x06", DECODE_MODE_64, MMIO_BASE, true),
			 EMULATE_VEC_FAILED);
	assert_int_equal(RUN("\xc5\xfa\x6f\x06", DECODE_MODE_64, MMIO_BASE, false),
			 EMULATE_VEC_FAILED);
	assert_int_equal(dev_writes, 0);
	vec_avx = true;
	dev_fail = true;
	dev_reads = 0;
	assert_int_equal(RUN("\xf3\x0f\x6f\x06", DECODE_MODE_64, MMIO_BASE, false),
			 EMULATE_MMIO_FAILED);
	assert_int_equal(dev_reads, 1);
	assert_int_equal(vregs[0][0], vpat(0, 0));
	assert_memory_equal(&regs, &before, sizeof(regs));

	/* the fault's page offset is not the operand's (a straddling access's second page) */
	dev_fail = false;
	dev_reads = dev_writes = 0;
	regs.gpr[GPR_RSI] = 0xff8;
	assert_int_equal(RUN("\xf3\x0f\x7f\x06", DECODE_MODE_64, MMIO_BASE, true),
			 EMULATE_MMIO_FAILED);
	assert_int_equal(dev_reads + dev_writes, 0);
	assert_int_equal(regs.gpr[GPR_RSI], 0xff8);
}

/* The pieces a vector move names, for test_vector_straddle: gpa, size, value. */
static struct {
	u64 gpa, val;
	unsigned size;
} pieces[8];
static unsigned piece_count;

static bool piece_write(void *ctx, u64 gpa, unsigned size, u64 val)
{
	assert_true(piece_count < 8);
	pieces[piece_count].gpa = gpa;
	pieces[piece_count].size = size;
	pieces[piece_count++].val = val;
	return true;
}

static bool piece_read(void *ctx, u64 gpa, unsigned size, u64 *val)
{
	*val = 0x1111111111111111ULL * (piece_count + 1);
	return piece_write(ctx, gpa, size, *val);
}

/*
 * A vector move across a page boundary (docs/mmio.md, "Accesses that
 * span two pages"): emulate_locate translates both pages (a missing
 * second page is its #PF, CR2 that page's first byte), the emulator names
 * its pieces as offsets from the operand's first byte, lowest first, and
 * emulate_operand_parts places each on its page, one crossing the
 * boundary as two parts.
 */
static void test_vector_straddle(void **state)
{
	struct emulate_operand op;
	u64 g[2];
	unsigned n[2];

	/* movdqu [rsi],xmm0 at 0xff8 of the RAM page, the device page after it */
	regs.gpr[GPR_RSI] = 0x10ff8;
	assert_int_equal(LOCATE("\xf3\x0f\x7f\x06", MMIO_BASE, true, &op), EMULATE_LOCATED);
	assert_true(op.split);
	assert_int_equal(op.g[0], 0x3ff8);
	assert_int_equal(op.g[1], MMIO_BASE);
	assert_int_equal(op.size, 16);
	assert_int_equal(emulate_operand_parts(&op, 0, 8, g, n), 1);
	assert_int_equal(g[0], 0x3ff8);
	assert_int_equal(n[0], 8);
	assert_int_equal(emulate_operand_parts(&op, 8, 8, g, n), 1);
	assert_int_equal(g[0], MMIO_BASE);
	assert_int_equal(n[0], 8);
	env.mmio_write = piece_write;
	piece_count = 0;
	assert_int_equal(RUN("\xf3\x0f\x7f\x06", DECODE_MODE_64, op.g[0], true), EMULATE_OK);
	assert_int_equal(piece_count, 2);
	assert_int_equal(pieces[0].gpa, 0x3ff8);
	assert_int_equal(pieces[1].gpa, 0x4000); /* offset 8: the caller places it on MMIO_BASE */
	assert_memory_equal(&pieces[0].val, vregs[0], 8);
	assert_memory_equal(&pieces[1].val, vregs[0] + 8, 8);

	/* vmovdqu ymm1,[rsi] at 0xffc of the device page, RAM after it: a piece across */
	regs.gpr[GPR_RSI] = 0x20ffc;
	assert_int_equal(LOCATE("\xc5\xfe\x6f\x0e", MMIO_BASE + 0xffc, false, &op),
			 EMULATE_LOCATED);
	assert_int_equal(op.g[1], 0x21000);
	assert_int_equal(emulate_operand_parts(&op, 0, 8, g, n), 2);
	assert_int_equal(g[0], MMIO_BASE + 0xffc);
	assert_int_equal(n[0], 4);
	assert_int_equal(g[1], 0x21000);
	assert_int_equal(n[1], 4);
	assert_int_equal(emulate_operand_parts(&op, 24, 8, g, n), 1);
	assert_int_equal(g[0], 0x21000 + 20);
	env.mmio_read = piece_read;
	piece_count = 0;
	assert_int_equal(RUN("\xc5\xfe\x6f\x0e", DECODE_MODE_64, op.g[0], false), EMULATE_OK);
	assert_int_equal(piece_count, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pieces[i].gpa, MMIO_BASE + 0xffc + 8 * i);
		assert_memory_equal(vregs[1] + 8 * i, &pieces[i].val, 8);
	}

	/* device then a page not present: the #PF, on the second page, before any access */
	regs.gpr[GPR_RSI] = 0x11ff8;
	assert_int_equal(LOCATE("\x0f\x11\x06", MMIO_BASE + 0xff8, true, &op),
			 EMULATE_LOCATE_FAULT);
	assert_int_equal(op.status, 14);
	assert_int_equal(op.fault_lin, 0x12000);
	/* an operand within one page: one part wherever the piece is */
	regs.gpr[GPR_RSI] = 0x11010;
	assert_int_equal(LOCATE("\xc5\xfe\x7f\x06", MMIO_BASE + 0x10, true, &op), EMULATE_LOCATED);
	assert_false(op.split);
	assert_int_equal(emulate_operand_parts(&op, 16, 8, g, n), 1);
	assert_int_equal(g[0], MMIO_BASE + 0x20);
}

/* The register bytes b0..b1 (exclusive) of register i equal v, or after setup() (v NULL: kept). */
static void vbytes(unsigned i, unsigned b0, unsigned b1, const u8 *v)
{
	for (unsigned b = b0; b < b1; b++)
		assert_int_equal(vregs[i][b], v ? v[b - b0] : vpat(i, b));
}

static void vzero(unsigned i, unsigned b0, unsigned b1)
{
	for (unsigned b = b0; b < b1; b++)
		assert_int_equal(vregs[i][b], 0);
}

/*
 * MOVAPD/MOVUPD, MOVNTDQ/MOVNTPS/MOVNTPD, MOVSS/MOVSD, MOVLPS/MOVHPS/
 * MOVLPD/MOVHPD and the VEX forms: the bytes each moves, what a load keeps
 * or zeroes (SDM Vol. 2B under each name; Vol. 2A 2.3.10), the aligned
 * forms' #GP(0) and the other faults before any access.
 */
static void test_vector_more(void **state)
{
	u64 cr0 = env.cr0;

	OK("\x66\x0f\x11\x0e", at(3), true); /* movupd [rsi],xmm1 */
	assert_memory_equal(dev + 3, vregs[1], 16);
	OK("\x66\x0f\x29\x16", at(0x10), true); /* movapd [rsi],xmm2 */
	assert_memory_equal(dev + 0x10, vregs[2], 16);
	OK("\x66\x0f\xe7\x1e", at(0x20), true); /* movntdq [rsi],xmm3 */
	assert_memory_equal(dev + 0x20, vregs[3], 16);
	OK("\x0f\x2b\x26", at(0), true); /* movntps [rsi],xmm4 */
	assert_memory_equal(dev, vregs[4], 16);
	OK("\x66\x0f\x2b\x2e", at(0x30), true); /* movntpd [rsi],xmm5 */
	assert_memory_equal(dev + 0x30, vregs[5], 16);
	memset(dev, 0, sizeof(dev));
	dev_writes = 0;
	OK("\xf3\x0f\x11\x36", at(4), true); /* movss [rsi],xmm6: 4 bytes */
	assert_int_equal(dev_writes, 1);
	assert_int_equal(last_size, 4);
	assert_memory_equal(dev + 4, vregs[6], 4);
	assert_int_equal(dev_get(8, 8), 0);
	OK("\xf2\x0f\x11\x3e", at(8), true); /* movsd [rsi],xmm7: 8 bytes */
	assert_int_equal(dev_writes, 2);
	assert_memory_equal(dev + 8, vregs[7], 8);
	assert_int_equal(dev_get(16, 8), 0);
	OK("\x0f\x13\x0e", at(16), true); /* movlps [rsi],xmm1: the low quadword */
	assert_memory_equal(dev + 16, vregs[1], 8);
	OK("\x0f\x17\x16", at(24), true); /* movhps [rsi],xmm2: the high quadword */
	assert_memory_equal(dev + 24, vregs[2] + 8, 8);
	OK("\x66\x0f\x13\x1e", at(32), true); /* movlpd [rsi],xmm3 */
	assert_memory_equal(dev + 32, vregs[3], 8);
	OK("\x66\x0f\x17\x26", at(40), true); /* movhpd [rsi],xmm4 */
	assert_memory_equal(dev + 40, vregs[4] + 8, 8);
	assert_int_equal(dev_writes, 6);
	OK("\xc5\xfd\x11\x0e", at(8), true); /* vmovupd [rsi],ymm1 */
	assert_memory_equal(dev + 8, vregs[1], 32);
	OK("\xc5\xfd\xe7\x16", at(0x20), true); /* vmovntdq [rsi],ymm2 */
	assert_memory_equal(dev + 0x20, vregs[2], 32);
	OK("\xc5\xf8\x2b\x1e", at(0x10), true); /* vmovntps [rsi],xmm3 */
	assert_memory_equal(dev + 0x10, vregs[3], 16);
	OK("\xc5\xfd\x2b\x26", at(0), true); /* vmovntpd [rsi],ymm4 */
	assert_memory_equal(dev, vregs[4], 32);
	OK("\xc5\xf9\x29\x2e", at(0x30), true); /* vmovapd [rsi],xmm5 */
	assert_memory_equal(dev + 0x30, vregs[5], 16);
	dev_writes = 0;
	OK("\xc5\xfa\x11\x2e", at(0x3c), true); /* vmovss [rsi],xmm5 */
	OK("\xc5\xff\x11\x36", at(0x28), true); /* vmovsd [rsi],xmm6 (VEX.L ignored) */
	assert_int_equal(dev_writes, 2);
	assert_memory_equal(dev + 0x3c, vregs[5], 4);
	assert_memory_equal(dev + 0x28, vregs[6], 8);

	dev_fill();
	OK("\xf3\x0f\x10\x0e", at(4), false); /* movss xmm1,[rsi]: 127:32 zeroed, 255:128 kept */
	vbytes(1, 0, 4, dev + 4);
	vzero(1, 4, 16);
	vbytes(1, 16, 32, NULL);
	OK("\xf2\x0f\x10\x16", at(8), false); /* movsd xmm2,[rsi] */
	vbytes(2, 0, 8, dev + 8);
	vzero(2, 8, 16);
	vbytes(2, 16, 32, NULL);
	OK("\x0f\x12\x1e", at(16), false); /* movlps xmm3,[rsi]: the rest kept */
	vbytes(3, 0, 8, dev + 16);
	vbytes(3, 8, 32, NULL);
	OK("\x0f\x16\x26", at(24), false); /* movhps xmm4,[rsi] */
	vbytes(4, 0, 8, NULL);
	vbytes(4, 8, 16, dev + 24);
	vbytes(4, 16, 32, NULL);
	OK("\x66\x0f\x12\x2e", at(32), false); /* movlpd xmm5,[rsi] */
	vbytes(5, 0, 8, dev + 32);
	vbytes(5, 8, 32, NULL);
	OK("\x66\x0f\x16\x36", at(40), false); /* movhpd xmm6,[rsi] */
	vbytes(6, 0, 8, NULL);
	vbytes(6, 8, 16, dev + 40);
	OK("\x66\x0f\x10\x3e", at(3), false); /* movupd xmm7,[rsi] */
	vbytes(7, 0, 16, dev + 3);
	vbytes(7, 16, 32, NULL);
	OK("\x66\x44\x0f\x28\x06", at(0x10), false); /* movapd xmm8,[rsi] */
	vbytes(8, 0, 16, dev + 0x10);
	OK("\xc5\x7a\x10\x0e", at(4), false); /* vmovss xmm9,[rsi]: every bit above zeroed */
	vbytes(9, 0, 4, dev + 4);
	vzero(9, 4, 32);
	OK("\xc5\x7f\x10\x16", at(8), false); /* vmovsd xmm10,[rsi] (VEX.L=1: ignored) */
	vbytes(10, 0, 8, dev + 8);
	vzero(10, 8, 32);
	OK("\xc5\x7d\x10\x1e", at(0x20), false); /* vmovupd ymm11,[rsi] */
	vbytes(11, 0, 32, dev + 0x20);
	OK("\xc5\x79\x28\x26", at(0x10), false); /* vmovapd xmm12,[rsi] */
	vbytes(12, 0, 16, dev + 0x10);
	vzero(12, 16, 32);

	regs.gpr[GPR_RSI] = 0x1008;
	FAULT("\x66\x0f\x28\x06", DECODE_MODE_64, GP); /* movapd: misaligned */
	FAULT("\x66\x0f\xe7\x06", DECODE_MODE_64, GP); /* movntdq */
	FAULT("\x0f\x2b\x06", DECODE_MODE_64, GP);     /* movntps */
	FAULT("\x66\x0f\x2b\x06", DECODE_MODE_64, GP); /* movntpd */
	regs.gpr[GPR_RSI] = 0x1010;
	FAULT("\xc5\xfd\xe7\x06", DECODE_MODE_64, GP); /* vmovntdq ymm: 16 of 32 aligned */
	FAULT("\xc5\xfd\x2b\x06", DECODE_MODE_64, GP); /* vmovntpd ymm */
	FAULT("\xc5\xfc\x2b\x06", DECODE_MODE_64, GP); /* vmovntps ymm */
	FAULT("\xc5\xfd\x28\x06", DECODE_MODE_64, GP); /* vmovapd ymm */
	regs.gpr[GPR_RSI] = 0x1001;		       /* the unaligned forms take any address */
	OK("\xf3\x0f\x10\x06", MMIO_BASE + 1, false);
	OK("\x66\x0f\x11\x06", MMIO_BASE + 1, true);
	env.cr0 = cr0 | CR0_TS;
	FAULT("\xf3\x0f\x10\x06", DECODE_MODE_64, NM);
	FAULT("\xc5\xfb\x11\x06", DECODE_MODE_64, NM);
	env.cr0 = cr0 | CR0_EM;
	FAULT("\x0f\x12\x06", DECODE_MODE_64, UD);
	env.cr0 = cr0;
	env.xcr0 = 3;
	FAULT("\xc5\xfa\x10\x06", DECODE_MODE_64, UD);
	env.xcr0 = 7;
}

static void test_failures(void **state)
{
	struct emulate_regs before;

	regs.gpr[GPR_RCX] = 4;
	regs.gpr[GPR_RSI] = RAM_BASE;
	regs.gpr[GPR_RDI] = RAM_BASE + 0x100;
	before = regs;
	dev_fail = true;
	assert_int_equal(RUN("\x8b\x08", DECODE_MODE_64, MMIO_BASE, false), EMULATE_MMIO_FAILED);
	assert_int_equal(RUN("\x21\x08", DECODE_MODE_64, MMIO_BASE, true), EMULATE_MMIO_FAILED);
	assert_int_equal(RUN("\xf3\xab", DECODE_MODE_64, MMIO_BASE, true), EMULATE_MMIO_FAILED);
	assert_memory_equal(&regs, &before, sizeof(regs));
	dev_fail = false;
	ram_fail = true;
	assert_int_equal(RUN("\xf3\xa5", DECODE_MODE_64, MMIO_BASE, false), EMULATE_MEM_FAILED);
	assert_int_equal(RUN("\xf3\xa5", DECODE_MODE_64, MMIO_BASE, true), EMULATE_MEM_FAILED);
	assert_memory_equal(&regs, &before, sizeof(regs));
	assert_string_equal(emulate_status_name(EMULATE_MEM_FAILED), "guest memory access failed");
}

/* The flag helpers on their own, at each size. */
static void test_flag_helpers(void **state)
{
	u64 keep = RFLAGS_FIXED1 | DF | RFLAGS_IF;

	assert_int_equal(emulate_flags_sub(keep | STATUS_FLAGS, 3, 3, 4), keep | ZF | PF);
	assert_int_equal(emulate_flags_sub(keep, 0x7f, 0xff, 1), keep | CF | SF | OF);
	assert_int_equal(emulate_flags_sub(keep, 0x100, 0x1, 2), keep | AF | PF);
	assert_int_equal(emulate_flags_sub(keep, 0x08, 0x01, 1), keep); /* no borrow from bit 4 */
	assert_int_equal(emulate_flags_sub(keep, 0x20, 0x01, 1), keep | AF);
	assert_int_equal(emulate_flags_sub(keep, 0x100000000ULL, 1, 4), keep | CF | SF | AF | PF);
	assert_int_equal(emulate_flags_sub(keep, 0, 1, 8), keep | CF | SF | AF | PF);
	assert_int_equal(emulate_flags_logic(keep | STATUS_FLAGS, 0x100, 1), keep | ZF | PF);
	assert_int_equal(emulate_flags_logic(keep, 0x8000, 2), keep | SF | PF);
	assert_int_equal(emulate_flags_logic(keep, 0x03, 4), keep | PF);
	assert_int_equal(emulate_flags_logic(keep, 0x07, 4), keep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_mov_store, setup),
	    cmocka_unit_test_setup(test_mov_store_imm, setup),
	    cmocka_unit_test_setup(test_mov_load_partial, setup),
	    cmocka_unit_test_setup(test_movzx_movsx, setup),
	    cmocka_unit_test_setup(test_logic, setup),
	    cmocka_unit_test_setup(test_cmp, setup),
	    cmocka_unit_test_setup(test_test, setup),
	    cmocka_unit_test_setup(test_xchg, setup),
	    cmocka_unit_test_setup(test_add_sub, setup),
	    cmocka_unit_test_setup(test_inc_dec_neg_not, setup),
	    cmocka_unit_test_setup(test_shifts, setup),
	    cmocka_unit_test_setup(test_rotates, setup),
	    cmocka_unit_test_setup(test_bt, setup),
	    cmocka_unit_test_setup(test_xadd_cmpxchg, setup),
	    cmocka_unit_test_setup(test_mul_imul, setup),
	    cmocka_unit_test_setup(test_div_idiv, setup),
	    cmocka_unit_test_setup(test_cmpxchg8b_16b, setup),
	    cmocka_unit_test_setup(test_setcc, setup),
	    cmocka_unit_test_setup(test_movnti_movbe, setup),
	    cmocka_unit_test_setup(test_push_pop, setup),
	    cmocka_unit_test_setup(test_lods_scas, setup),
	    cmocka_unit_test_setup(test_cmps, setup),
	    cmocka_unit_test_setup(test_stos, setup),
	    cmocka_unit_test_setup(test_rep_stos, setup),
	    cmocka_unit_test_setup(test_rep_stos_addr32, setup),
	    cmocka_unit_test_setup(test_16bit, setup),
	    cmocka_unit_test_setup(test_movs_from_mmio, setup),
	    cmocka_unit_test_setup(test_movs_to_mmio, setup),
	    cmocka_unit_test_setup(test_rep_movs, setup),
	    cmocka_unit_test_setup(test_movs_segment_bases, setup),
	    cmocka_unit_test_setup(test_vector_stores, setup),
	    cmocka_unit_test_setup(test_vector_loads, setup),
	    cmocka_unit_test_setup(test_vector_faults, setup),
	    cmocka_unit_test_setup(test_vector_failures, setup),
	    cmocka_unit_test_setup(test_vector_straddle, setup),
	    cmocka_unit_test_setup(test_vector_more, setup),
	    cmocka_unit_test_setup(test_device_linear, setup),
	    cmocka_unit_test_setup(test_segment_checks, setup),
	    cmocka_unit_test_setup(test_alignment_checks, setup),
	    cmocka_unit_test_setup(test_call_jmp, setup),
	    cmocka_unit_test_setup(test_locate, setup),
	    cmocka_unit_test_setup(test_failures, setup),
	    cmocka_unit_test_setup(test_flag_helpers, setup),
	};

	return cmocka_run_group_tests_name("emulate", tests, NULL, NULL);
}
