/*
 * Guest "mmio": Keel's MMIO instruction emulation (docs/mmio.md), form by
 * form, against the test device Keel's testmmio=on gives every guest at
 * guest-physical 0xFEB00000 (4 KiB of little-endian scratch registers).
 *
 * Each case is one instruction written out in assembly (a naked function,
 * so the compiler cannot change the encoding), run twice: once with its
 * memory operand in a RAM mirror of the window (the CPU executes it
 * natively) and once in the device (every access is an EPT violation
 * Keel emulates). Both runs start from the same registers, flags, window
 * bytes and RAM buffer; after them every GPR, the status flags and DF,
 * the 64-byte window and the 64-byte RAM buffer must be equal, and one or
 * two hand-computed values (a memory qword, a register, flags) must hold.
 * Cases whose address is part of the instruction (moffs, absolute disp32,
 * EIP-relative) run in the device only and are judged by those values.
 *
 * The vector moves (SSE enabled at start; the AVX forms only where CPUID
 * has XSAVE and AVX, SKIP lines elsewhere) compare XMM/YMM values through
 * the RAM buffer, which gives a store its source and takes a load's result.
 * INS/OUTS (REP, DF=0 and DF=1) go between the window and the UART's
 * scratch register; Keel makes their memory side in its I/O exit.
 *
 * Not covered: RIP-relative without 67 (the device is more than 2 GiB
 * from the image at 1 MiB, so no disp32 reaches it); the EIP-relative
 * (67) form stands in for it.
 *
 * Arguments (after `--`):
 *   bad=bsf|shld|sse|straddle|vstraddle
 *                              one access Keel must refuse, ending the guest:
 *                              BSF, SHLD (not emulated), an SSE
 *                              arithmetic load (PADDD) and a 4-byte store and a
 *                              16-byte MOVDQU straddling the end of the device
 *                              (the next page is neither RAM nor a device);
 *                              prints "PASS before <bad>"
 *   probe=1                    one 4-byte load from the device (for a Keel
 *                              without testmmio=on); prints "PASS before probe"
 * The guest's name is the first word of its command line, so a guest named
 * "bad" or "probe" would shadow these keys.
 */
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define MMIO_DEV      0xFEB00000ULL
#define MMIO_DEV_SIZE 4096
#define MMIO_WIN_OFF  0x800 /* the window the cases use, inside the device */
#define MMIO_WIN      (MMIO_DEV + MMIO_WIN_OFF)
#define MMIO_QWORDS   8 /* window and RAM buffer: 64 bytes each */

/* RFLAGS status bits (Intel SDM Vol. 1 3.4.3.1) and DF. */
#define F_CF	 BIT(0)
#define F_PF	 BIT(2)
#define F_AF	 BIT(4)
#define F_ZF	 BIT(6)
#define F_SF	 BIT(7)
#define F_DF	 BIT(10)
#define F_OF	 BIT(11)
#define F_STATUS (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* GPR numbers as the ModRM encoding (and vmx/vcpu_regs.h) number them. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* The machine state a case starts from and ends in; the naked forms load
 * mmio_in and save into mmio_out (offsets: gpr[i] at 8*i, flags at 128). */
struct mmio_cpu {
	u64 gpr[16]; /* RSP and RBP are not loaded or saved */
	u64 flags;
};
_Static_assert(sizeof(struct mmio_cpu) == 136, "mmio_cpu offsets are used in assembly");

struct mmio_cpu mmio_in, mmio_out;

/* Loads every GPR but RSP/RBP and RFLAGS from mmio_in. */
#define MMIO_LOAD                                                                                  \
	"push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"                       \
	"mov mmio_in+0(%rip), %rax; mov mmio_in+8(%rip), %rcx\n"                                   \
	"mov mmio_in+16(%rip), %rdx; mov mmio_in+24(%rip), %rbx\n"                                 \
	"mov mmio_in+48(%rip), %rsi; mov mmio_in+56(%rip), %rdi\n"                                 \
	"mov mmio_in+64(%rip), %r8; mov mmio_in+72(%rip), %r9\n"                                   \
	"mov mmio_in+80(%rip), %r10; mov mmio_in+88(%rip), %r11\n"                                 \
	"mov mmio_in+96(%rip), %r12; mov mmio_in+104(%rip), %r13\n"                                \
	"mov mmio_in+112(%rip), %r14; mov mmio_in+120(%rip), %r15\n"                               \
	"pushq mmio_in+128(%rip); popfq\n"

/* Saves RFLAGS and the GPRs into mmio_out, clears DF, restores, returns. */
#define MMIO_SAVE                                                                                  \
	"pushfq; popq mmio_out+128(%rip); cld\n"                                                   \
	"mov %rax, mmio_out+0(%rip); mov %rcx, mmio_out+8(%rip)\n"                                 \
	"mov %rdx, mmio_out+16(%rip); mov %rbx, mmio_out+24(%rip)\n"                               \
	"mov %rsi, mmio_out+48(%rip); mov %rdi, mmio_out+56(%rip)\n"                               \
	"mov %r8, mmio_out+64(%rip); mov %r9, mmio_out+72(%rip)\n"                                 \
	"mov %r10, mmio_out+80(%rip); mov %r11, mmio_out+88(%rip)\n"                               \
	"mov %r12, mmio_out+96(%rip); mov %r13, mmio_out+104(%rip)\n"                              \
	"mov %r14, mmio_out+112(%rip); mov %r15, mmio_out+120(%rip)\n"                             \
	"pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"                             \
	"ret\n"

/* One instruction form: NAME() runs insn between MMIO_LOAD and MMIO_SAVE. */
#define FORM(name, insn)                                                                           \
	static const char name##_text[] = insn;                                                    \
	static __attribute__((naked)) void name(void)                                              \
	{                                                                                          \
		__asm__(MMIO_LOAD insn "\n" MMIO_SAVE);                                            \
	}

/* EIP-relative (67 + ModRM 00/101): disp32 = this - EIP of the next insn,
 * so EIP + disp32 wraps to 0xFEB00828 within 32 bits. GAS takes an absolute
 * symbol in sym(%eip) as the displacement itself, so those forms are
 * written as bytes with a PC-relative .long. */
__asm__(".set mmio_eiprel, 0xFFFFFFFFFEB00828\n");

/* MOV stores */
FORM(st8, "movb %al, (%rsi)")
FORM(st16, "movw %ax, (%rsi)")
FORM(st32, "movl %eax, (%rsi)")
FORM(st64, "movq %rax, (%rsi)")
FORM(st8_ah, "movb %ah, 1(%rsi)")
FORM(st8_ch, "movb %ch, 3(%rsi)")
FORM(st8_dh, "movb %dh, 5(%rbx)")
FORM(st8_bh, "movb %bh, 7(%rdi)")
FORM(st8_sil, "movb %sil, (%rdi)")
FORM(st8_r12b, "movb %r12b, (%rsi)")
FORM(st16_r13w, "movw %r13w, 6(%rsi)")
FORM(st32_r14d, "movl %r14d, (%rsi)")
FORM(st64_r9, "movq %r9, (%rsi)")
FORM(st64_r10base, "movq %rax, (%r10)")
FORM(st32_r13base, "movl %eax, (%r13)")
FORM(st64_r12base, "movq %r15, 8(%r12)")
FORM(st32_sib32, "movl %eax, -0x300(%rbx,%rcx,8)")
FORM(st64_sibx, "movq %rdx, 0x10(%r8,%r11,4)")
FORM(st16_disp32, "movw %dx, -0x400(%rsi)")
FORM(st32_a32, "movl %eax, (%esi)")
FORM(st_66rexw, ".byte 0x66, 0x48, 0x89, 0x06")
FORM(st_rex66, ".byte 0x48, 0x66, 0x89, 0x06")
FORM(st32_ds, ".byte 0x3e, 0x89, 0x06")
FORM(im8, "movb $0x5a, (%rsi)")
FORM(im16, "movw $0xbeef, 2(%rsi)")
FORM(im32, "movl $0x89abcdef, 4(%rsi)")
FORM(im64n, "movq $-2, (%rsi)")
FORM(im64p, "movq $0x7fffffff, 8(%rsi)")
FORM(im32_disp32, "movl $0x11223344, -0x400(%rsi)")
FORM(im8_sib32, "movb $0x7f, -0x300(%rbx,%rcx,8)")
FORM(im64_r9, "movq $-0x80000000, 0x10(%r9)")
/* MOV loads */
FORM(ld8, "movb (%rsi), %al")
FORM(ld16, "movw (%rsi), %ax")
FORM(ld32, "movl (%rsi), %eax")
FORM(ld64, "movq (%rsi), %rax")
FORM(ld8_ah, "movb 1(%rsi), %ah")
FORM(ld8_bh, "movb 2(%rdi), %bh")
FORM(ld8_ch, "movb 3(%rsi), %ch")
FORM(ld8_dh, "movb 5(%rsi), %dh")
FORM(ld8_dil, "movb (%rsi), %dil")
FORM(ld8_r11b, "movb (%rsi), %r11b")
FORM(ld16_r11w, "movw (%rsi), %r11w")
FORM(ld32_r11d, "movl (%rsi), %r11d")
FORM(ld64_r15base, "movq (%r15), %r8")
/* moffs, absolute and EIP-relative: device only */
FORM(mo_ld8, "movabs 0xfeb00800, %al")
FORM(mo_ld16, "movabs 0xfeb00800, %ax")
FORM(mo_ld32, "movabs 0xfeb00800, %eax")
FORM(mo_ld64, "movabs 0xfeb00800, %rax")
FORM(mo_ld32_a32, ".byte 0x67, 0xa1; .long 0xfeb00804")
FORM(mo_st8, "movabs %al, 0xfeb00808")
FORM(mo_st64, "movabs %rax, 0xfeb00810")
FORM(mo_st32_a32, ".byte 0x67, 0xa3; .long 0xfeb00818")
FORM(abs32_st, ".byte 0x67, 0x89, 0x04, 0x25; .long 0xfeb00820")
FORM(eip_st, ".byte 0x67, 0x89, 0x05; .long mmio_eiprel - 1f; 1:")
FORM(eip_ld, ".byte 0x67, 0x48, 0x8b, 0x0d; .long mmio_eiprel - 1f; 1:")
/* MOVZX, MOVSX, MOVSXD */
FORM(zx_bl, "movzbl (%rsi), %eax")
FORM(zx_bw, "movzbw (%rsi), %ax")
FORM(zx_bq, "movzbq (%rsi), %r10")
FORM(zx_wl, "movzwl (%rsi), %ecx")
FORM(zx_wq, "movzwq (%rsi), %rdx")
FORM(zx_bl_d8, "movzbl 1(%rsi), %eax")
FORM(sx_bl, "movsbl (%rsi), %eax")
FORM(sx_bw, "movsbw (%rsi), %ax")
FORM(sx_bq, "movsbq (%rsi), %rbx")
FORM(sx_wl, "movswl (%rsi), %r9d")
FORM(sx_wq, "movswq (%rsi), %rax")
FORM(sxd, "movslq (%rsi), %rax")
FORM(sxd_r12, "movslq 4(%rsi), %r12")
/* STOS */
FORM(rep_stosb, "rep stosb")
FORM(rep_stosw, "rep stosw")
FORM(rep_stosl, "rep stosl")
FORM(rep_stosq, "rep stosq")
FORM(stosq1, "stosq")
FORM(std_stosb, "std; rep stosb")
FORM(std_stosq, "std; rep stosq")
FORM(a32_stosb, "addr32 rep stosb")
/* MOVS */
FORM(rep_movsb, "rep movsb")
FORM(rep_movsq, "rep movsq")
FORM(movsl1, "movsl")
FORM(movsw1, "movsw")
FORM(std_movsb, "std; rep movsb")
FORM(std_movsw, "std; rep movsw")
FORM(std_movsq, "std; rep movsq")
FORM(fs_movsb, "rep movsb %fs:(%rsi), %es:(%rdi)")
FORM(a32_movsb, "addr32 rep movsb")
/* AND, OR, XOR */
FORM(and_mr32, "andl %eax, (%rsi)")
FORM(or_mr64, "orq %rax, (%rsi)")
FORM(xor_mr8, "xorb %al, (%rsi)")
FORM(or_mr16, "orw %dx, (%rsi)")
FORM(and_mr8h, "andb %ah, 1(%rsi)")
FORM(xor_mr64x, "xorq %r10, (%rsi)")
FORM(and_rm32, "andl (%rsi), %eax")
FORM(or_rm8h, "orb (%rsi), %ah")
FORM(xor_rm64x, "xorq (%rsi), %r9")
FORM(and_rm16, "andw (%rsi), %dx")
FORM(or_rm8x, "orb (%rsi), %r11b")
FORM(and_i8, "andb $0x0f, (%rsi)")
FORM(or_i32, "orl $0x80000000, (%rsi)")
FORM(xor_i16, "xorw $0x1234, (%rsi)")
FORM(and_i64s8, "andq $-16, (%rsi)")
FORM(or_i32s8, "orl $-1, (%rsi)")
FORM(xor_i64s32, "xorq $-0x80000000, (%rsi)")
FORM(and_i16s8, "andw $-2, (%rsi)")
FORM(xor_i8d, "xorb $0xff, 7(%rsi)")
FORM(lock_or, "lock orl %eax, (%rsi)")
FORM(lock_and, "lock andq $-256, (%rsi)")
FORM(lock_xor, "lock xorb $0x55, (%rsi)")
/* CMP, TEST */
FORM(cmp_mr32, "cmpl %eax, (%rsi)")
FORM(cmp_mr64, "cmpq %rax, (%rsi)")
FORM(cmp_mr8, "cmpb %al, (%rsi)")
FORM(cmp_mr16, "cmpw %dx, (%rsi)")
FORM(cmp_rm32, "cmpl (%rsi), %eax")
FORM(cmp_rm8h, "cmpb (%rsi), %ah")
FORM(cmp_rm64x, "cmpq (%rsi), %r8")
FORM(cmp_i8, "cmpb $0x80, (%rsi)")
FORM(cmp_i32, "cmpl $0x12345678, (%rsi)")
FORM(cmp_i64s8, "cmpq $-1, (%rsi)")
FORM(cmp_i16, "cmpw $0x7fff, (%rsi)")
FORM(cmp_i32s8, "cmpl $1, (%rsi)")
FORM(test_mr8, "testb %al, (%rsi)")
FORM(test_mr64, "testq %rax, (%rsi)")
FORM(test_mr8h, "testb %bh, (%rsi)")
FORM(test_i32, "testl $0x80000000, (%rsi)")
FORM(test_i8, "testb $0x01, (%rsi)")
FORM(test_i16, "testw $0x8000, (%rsi)")
/* XCHG */
FORM(xchg32, "xchgl %eax, (%rsi)")
FORM(xchg64x, "xchgq %r9, (%rsi)")
FORM(xchg8h, "xchgb %ah, 1(%rsi)")
FORM(xchg16, "xchgw %dx, (%rsi)")
FORM(xchg8sil, "xchgb %sil, (%rdi)")
FORM(lock_xchg, "lock xchgq %rax, 8(%rsi)")

/* ADD, ADC, SUB, SBB */
FORM(add_mr32, "addl %eax, (%rsi)")
FORM(add_mr8h, "addb %ah, 1(%rsi)")
FORM(add_rm64, "addq (%rsi), %r9")
FORM(add_i8, "addb $0x80, (%rsi)")
FORM(add_i32s8, "addl $-1, (%rsi)")
FORM(adc_mr64, "adcq %rax, (%rsi)")
FORM(adc_rm16, "adcw (%rsi), %dx")
FORM(adc_i32, "adcl $0x7fffffff, (%rsi)")
FORM(sub_mr16, "subw %dx, (%rsi)")
FORM(sub_rm32, "subl (%rsi), %eax")
FORM(sub_i64s32, "subq $0x12345678, (%rsi)")
FORM(sbb_mr8, "sbbb %al, (%rsi)")
FORM(sbb_rm64, "sbbq (%rsi), %r10")
FORM(sbb_i16s8, "sbbw $1, (%rsi)")
FORM(lock_add, "lock addq %rax, 8(%rsi)")
FORM(lock_sub, "lock subl $1, (%rsi)")
FORM(lock_adc, "lock adcb $0x7f, (%rsi)")
FORM(lock_sbb, "lock sbbw %dx, (%rsi)")
/* INC, DEC, NEG, NOT */
FORM(inc8, "incb (%rsi)")
FORM(inc32, "incl 4(%rsi)")
FORM(inc64, "incq (%rsi)")
FORM(dec16, "decw (%rsi)")
FORM(dec64, "decq (%rsi)")
FORM(neg8, "negb (%rsi)")
FORM(neg32, "negl (%rsi)")
FORM(neg64, "negq (%rsi)")
FORM(not16, "notw (%rsi)")
FORM(not64, "notq (%rsi)")
FORM(lock_inc, "lock incl (%rsi)")
FORM(lock_dec, "lock decb 7(%rsi)")
FORM(lock_neg, "lock negq (%rsi)")
FORM(lock_not, "lock notl (%rsi)")
/* shifts and rotates */
FORM(shl1_32, "shll $1, (%rsi)")
FORM(shr1_8, "shrb $1, (%rsi)")
FORM(sar1_64, "sarq $1, (%rsi)")
FORM(shl_cl16, "shlw %cl, (%rsi)")
FORM(shr_cl64, "shrq %cl, (%rsi)")
FORM(sar_cl8, "sarb %cl, (%rsi)")
FORM(shl_i8, "shlb $4, (%rsi)")
FORM(shr_i32, "shrl $31, (%rsi)")
FORM(sar_i16, "sarw $15, 2(%rsi)")
FORM(sal6, ".byte 0xc1, 0x36, 0x04")
FORM(shl_cl0, "shll %cl, (%rsi)")
FORM(rol1_8, "rolb $1, (%rsi)")
FORM(ror_cl32, "rorl %cl, (%rsi)")
FORM(rcl1_64, "rclq $1, (%rsi)")
FORM(rcr_i16, "rcrw $3, (%rsi)")
FORM(rcl_i8_9, "rclb $9, (%rsi)")
FORM(rol_i64, "rolq $0x3c, (%rsi)")
/* BT, BTS, BTR, BTC */
FORM(bt_i32, "btl $5, (%rsi)")
FORM(bts_r64, "btsq %rax, (%rsi)")
FORM(btr_i16, "btrw $15, (%rsi)")
FORM(btc_r32, "btcl %eax, (%rsi)")
FORM(bts_far, "btsl %eax, (%rsi)")
FORM(btc_neg64, "btcq %rax, 16(%rsi)")
FORM(bts_neg16, "btsw %ax, 2(%rsi)")
FORM(lock_bts, "lock btsl $31, (%rsi)")
FORM(lock_btr, "lock btrq %rax, (%rsi)")
FORM(lock_btc, "lock btcw $0, (%rsi)")
/* XADD, CMPXCHG */
FORM(xadd32, "xaddl %eax, (%rsi)")
FORM(xadd8h, "xaddb %ah, 1(%rsi)")
FORM(lock_xadd64, "lock xaddq %r9, (%rsi)")
FORM(cmpxchg32_hit, "cmpxchgl %ecx, (%rsi)")
FORM(cmpxchg32_miss, "cmpxchgl %ecx, (%rsi)")
FORM(cmpxchg8, "cmpxchgb %cl, (%rsi)")
FORM(lock_cmpxchg64, "lock cmpxchgq %rcx, 8(%rsi)")
FORM(cmpxchg16_miss, "cmpxchgw %dx, (%rsi)")
/* SETcc */
FORM(sete_, "sete (%rsi)")
FORM(setne_, "setne 1(%rsi)")
FORM(setl_, "setl (%rsi)")
FORM(setg_, "setg (%rsi)")
FORM(setb_, "setb 7(%rsi)")
FORM(seta_, "seta (%rsi)")
FORM(setp_, "setp (%rsi)")
FORM(setno_, "setno (%rsi)")

/* MUL, IMUL, DIV, IDIV (#DE: mmio_check_de), CMPXCHG8B, CMPXCHG16B (needs CPUID.1:ECX.CX16) */
FORM(mul8, "mulb (%rsi)")
FORM(mul16, "mulw 2(%rsi)")
FORM(mul32, "mull (%rsi)")
FORM(mul64, "mulq (%rsi)")
FORM(imul8, "imulb (%rsi)")
FORM(imul32, "imull 4(%rsi)")
FORM(imul64, "imulq (%rsi)")
FORM(imul_rm16, "imulw (%rsi), %dx")
FORM(imul_rm32, "imull (%rsi), %r9d")
FORM(imul_rm64, "imulq (%rsi), %rax")
FORM(imul_ib32, "imull $-3, (%rsi), %ecx")
FORM(imul_iw16, "imulw $0x1234, 2(%rsi), %ax")
FORM(imul_id64, "imulq $0x12345678, (%rsi), %rbx")
FORM(div8, "divb (%rsi)")
FORM(div16, "divw (%rsi)")
FORM(div32, "divl (%rsi)")
FORM(div64, "divq (%rsi)")
FORM(idiv8, "idivb (%rsi)")
FORM(idiv32, "idivl 4(%rsi)")
FORM(idiv64, "idivq (%rsi)")
FORM(cmpxchg8b_hit, "cmpxchg8b (%rsi)")
FORM(cmpxchg8b_miss, "lock cmpxchg8b 4(%rsi)")
FORM(cmpxchg16b_hit, "lock cmpxchg16b (%rsi)")
FORM(cmpxchg16b_miss, "cmpxchg16b 16(%rsi)")

/* MOVNTI, MOVBE (needs CPUID.1:ECX.MOVBE), PUSH m and POP m (the stack is RAM) */
FORM(movnti32, "movnti %eax, (%rsi)")
FORM(movnti64, "movnti %r9, 8(%rsi)")
FORM(movbe_ld32, "movbe (%rsi), %eax")
FORM(movbe_ld16, "movbe (%rsi), %dx")
FORM(movbe_st64, "movbe %rcx, (%rsi)")
FORM(movbe_st16, "movbe %ax, 2(%rsi)")
FORM(push_m64, "pushq (%rsi); popq %rax")
FORM(push_m16, "pushw 2(%rsi); popw %dx")
FORM(pop_m64, "pushq %rax; popq 8(%rsi)")
FORM(pop_m16, "pushw %dx; popw (%rsi)")

/* LODS, SCAS (with REP, REPE, REPNE) */
FORM(lodsb1, "lodsb")
FORM(lodsl1, "lodsl")
FORM(lodsq1, "lodsq")
FORM(rep_lodsw, "rep lodsw")
FORM(std_lodsq, "std; lodsq")
FORM(scasb1, "scasb")
FORM(scasq1, "scasq")
FORM(repne_scasb, "repne scasb")
FORM(repe_scasl, "repe scasl")
FORM(std_repne_scasw, "std; repne scasw")
FORM(a32_repne_scasb, "addr32 repne scasb")
/* CMPS: one side the device, the other the RAM buffer */
FORM(cmpsb_dev_src, "cmpsb")
FORM(cmpsq_dev_dst, "cmpsq")
FORM(repe_cmpsb, "repe cmpsb")
FORM(repne_cmpsw, "repne cmpsw")
FORM(std_repe_cmpsl, "std; repe cmpsl")

/* The vector moves (the guest enables SSE, and AVX where CPUID has it): RDX points at the RAM
 * buffer, which gives a store its source and takes a load's result, so both are compared. */
FORM(movdqu_st, "movdqu (%rdx), %xmm3; movdqu %xmm3, 8(%rsi)")
FORM(movdqa_st_x9, "movdqa (%rdx), %xmm9; movdqa %xmm9, 16(%rsi)")
FORM(movups_st, "movups 16(%rdx), %xmm0; movups %xmm0, 4(%rsi)")
FORM(movaps_st_x15, "movaps (%rdx), %xmm15; movaps %xmm15, 32(%rsi)")
FORM(movd_st, "movdqu (%rdx), %xmm1; movd %xmm1, 4(%rsi)")
FORM(movq_st, "movdqu (%rdx), %xmm2; movq %xmm2, 8(%rsi)")
/* 66 REX.W 0F 7E: movq [rsi+8], xmm2 (GAS writes 66 0F D6 for it) */
FORM(movq_st_w, "movdqu (%rdx), %xmm2; .byte 0x66, 0x48, 0x0f, 0x7e, 0x56, 0x08")
FORM(movdqu_ld, "movdqu (%rdx), %xmm4; movdqu 8(%rsi), %xmm4; movdqu %xmm4, (%rdx)")
FORM(movd_ld, "movdqu (%rdx), %xmm5; movd 4(%rsi), %xmm5; movdqu %xmm5, (%rdx)")
FORM(movq_ld, "movdqu (%rdx), %xmm6; movq (%rsi), %xmm6; movdqu %xmm6, (%rdx)")
/* 66 REX.W 0F 6E: movq xmm6, [rsi] */
FORM(movq_ld_w, "movdqu (%rdx), %xmm6; .byte 0x66, 0x48, 0x0f, 0x6e, 0x36; movdqu %xmm6, (%rdx)")
FORM(movdqa_ld_x12, "movdqa 16(%rsi), %xmm12; movdqa %xmm12, (%rdx)")
FORM(movaps_ld, "movaps (%rsi), %xmm7; movaps %xmm7, 16(%rdx)")
FORM(movups_ld, "movups 3(%rsi), %xmm7; movups %xmm7, (%rdx)")
FORM(vmovdqu_st_y, "vmovdqu (%rdx), %ymm3; vmovdqu %ymm3, (%rsi)")
FORM(vmovdqu_st_x11, "vmovdqu (%rdx), %xmm11; vmovdqu %xmm11, 8(%rsi)")
FORM(vmovdqu_st_r8, "vmovdqu (%rdx), %ymm0; vmovdqu %ymm0, 32(%r8)")
FORM(vmovdqu_ld_y14, "vmovdqu (%rsi), %ymm14; vmovdqu %ymm14, 32(%rdx)")
FORM(vmovdqu_ld_x_zero, "vmovdqu (%rdx), %ymm2; vmovdqu 8(%rsi), %xmm2; vmovdqu %ymm2, (%rdx)")
FORM(movdqu_ld_keep, "vmovdqu (%rdx), %ymm2; movdqu 8(%rsi), %xmm2; vmovdqu %ymm2, (%rdx)")
FORM(movd_ld_keep, "vmovdqu (%rdx), %ymm8; movd (%rsi), %xmm8; vmovdqu %ymm8, (%rdx)")
FORM(vmovups_st_y, "vmovdqu (%rdx), %ymm5; vmovups %ymm5, 8(%rsi)")
FORM(vmovaps_ld_y, "vmovaps 32(%rsi), %ymm6; vmovdqu %ymm6, (%rdx)")
FORM(vmovdqa_st_x, "vmovdqu (%rdx), %xmm13; vmovdqa %xmm13, 16(%rsi)")
FORM(vmovups_ld_x, "vmovdqu (%rdx), %ymm1; vmovups 4(%rsi), %xmm1; vmovdqu %ymm1, (%rdx)")
/* Issue 15 item 3: the other moves compilers emit */
FORM(movupd_st, "movdqu (%rdx), %xmm3; movupd %xmm3, 8(%rsi)")
FORM(movupd_ld, "movupd 3(%rsi), %xmm7; movupd %xmm7, (%rdx)")
FORM(movapd_ld, "movapd 16(%rsi), %xmm7; movdqu %xmm7, (%rdx)")
FORM(movntdq_st, "movdqu (%rdx), %xmm2; movntdq %xmm2, 16(%rsi)")
FORM(movntps_st, "movdqu (%rdx), %xmm4; movntps %xmm4, 32(%rsi)")
FORM(movntpd_st, "movdqu 16(%rdx), %xmm5; movntpd %xmm5, (%rsi)")
FORM(movss_st, "movdqu (%rdx), %xmm1; movss %xmm1, 4(%rsi)")
FORM(movsd_st, "movdqu (%rdx), %xmm2; movsd %xmm2, 8(%rsi)")
FORM(movss_ld, "movdqu (%rdx), %xmm5; movss 4(%rsi), %xmm5; movdqu %xmm5, (%rdx)")
FORM(movsd_ld, "movdqu (%rdx), %xmm6; movsd (%rsi), %xmm6; movdqu %xmm6, (%rdx)")
FORM(movlps_ld, "movdqu (%rdx), %xmm3; movlps 8(%rsi), %xmm3; movdqu %xmm3, (%rdx)")
FORM(movhps_ld, "movdqu (%rdx), %xmm3; movhps 8(%rsi), %xmm3; movdqu %xmm3, (%rdx)")
FORM(movlps_st, "movdqu (%rdx), %xmm12; movlps %xmm12, 40(%rsi)")
FORM(movhps_st, "movdqu (%rdx), %xmm9; movhps %xmm9, 24(%rsi)")
FORM(movlpd_ld, "movdqu (%rdx), %xmm10; movlpd (%rsi), %xmm10; movdqu %xmm10, (%rdx)")
FORM(movhpd_ld, "movdqu (%rdx), %xmm11; movhpd (%rsi), %xmm11; movdqu %xmm11, (%rdx)")
FORM(movlpd_st, "movdqu (%rdx), %xmm4; movlpd %xmm4, 8(%rsi)")
FORM(movhpd_st, "movdqu (%rdx), %xmm4; movhpd %xmm4, 8(%rsi)")
FORM(vmovupd_st_y, "vmovdqu (%rdx), %ymm5; vmovupd %ymm5, 8(%rsi)")
FORM(vmovapd_ld_x, "vmovdqu (%rdx), %ymm1; vmovapd 16(%rsi), %xmm1; vmovdqu %ymm1, (%rdx)")
FORM(vmovntdq_st_y, "vmovdqu (%rdx), %ymm2; vmovntdq %ymm2, 32(%rsi)")
FORM(vmovntps_st_x, "vmovdqu (%rdx), %xmm3; vmovntps %xmm3, 16(%rsi)")
FORM(vmovntpd_st_y, "vmovdqu (%rdx), %ymm4; vmovntpd %ymm4, (%rsi)")
FORM(vmovss_ld, "vmovdqu (%rdx), %ymm6; vmovss 4(%rsi), %xmm6; vmovdqu %ymm6, (%rdx)")
FORM(vmovss_st, "vmovdqu (%rdx), %xmm9; vmovss %xmm9, 4(%rsi)")
FORM(vmovsd_ld, "vmovdqu (%rdx), %ymm8; vmovsd (%rsi), %xmm8; vmovdqu %ymm8, (%rdx)")
FORM(vmovsd_st, "vmovdqu (%rdx), %xmm7; vmovsd %xmm7, 8(%rsi)")
FORM(movss_ld_keep, "vmovdqu (%rdx), %ymm10; movss 4(%rsi), %xmm10; vmovdqu %ymm10, (%rdx)")
FORM(movhps_ld_keep, "vmovdqu (%rdx), %ymm11; movhps (%rsi), %xmm11; vmovdqu %ymm11, (%rdx)")

/* INS/OUTS with the memory side in the window (Keel completes the element in its I/O exit),
 * through the UART's scratch register (COM1 + 7): INS reads what the OUT put there, OUTS leaves
 * its last byte there for the IN after it. */
#define UART_SCR "mov $0x3ff, %dx; "
FORM(rep_insb, UART_SCR "mov $0x5a, %al; outb %al, %dx; rep insb")
FORM(std_rep_insb, UART_SCR "mov $0xc3, %al; outb %al, %dx; std; rep insb")
FORM(rep_outsb, UART_SCR "rep outsb; inb %dx, %al")
FORM(std_rep_outsb, UART_SCR "std; rep outsb; inb %dx, %al")
FORM(insb1, UART_SCR "mov $0x7e, %al; outb %al, %dx; insb")
/* Word and dword elements: the unclaimed port 0x2F0 reads all ones and drops writes */
#define UNCLAIMED "mov $0x2f0, %dx; "
FORM(rep_insl, UNCLAIMED "rep insl")
FORM(std_rep_insw, UNCLAIMED "std; rep insw")
FORM(rep_outsl, UNCLAIMED "rep outsl")

/* How a case sets a register: a value, or an offset from the window or the RAM buffer. */
enum mmio_kind { K_NONE, K_ABS, K_WIN, K_BUF };

struct mmio_reg {
	u8 kind;
	u8 reg;
	u64 val;
};

/* What a case wants afterwards (device run): a window or buffer qword, a
 * register (K_WIN/K_BUF pointers as offsets), or (flags & mask) == val. */
enum mmio_want_kind { W_NONE, W_MEM, W_BUF, W_REG, W_FLAGS };

struct mmio_want {
	u8 kind;
	u8 idx;
	u64 val;
	u64 mask;
};

struct mmio_case {
	const char *text; /* the instruction, for PASS/FAIL lines */
	void (*run)(void);
	u64 m0, m1;    /* window qwords 0 and 1; 2..7 are MMIO_DEF(i) */
	u64 flags;     /* status flags and DF before */
	u64 undef;     /* flags the SDM leaves undefined: not compared */
	bool dev_only; /* the address is in the instruction: no RAM run */
	bool fs_buf;   /* FS.base = the RAM buffer for the case */
	bool movbe;    /* runs only where CPUID.1:ECX.MOVBE[bit 22] says MOVBE exists */
	bool cx16;     /* runs only where CPUID.1:ECX.CX16[bit 13] says CMPXCHG16B exists */
	bool avx;      /* runs only where the guest could enable AVX (mmio_enable_vector()) */
	struct mmio_reg r[4];
	struct mmio_want w[3];
};

#define MMIO_DEF(i) (0xB0B0B0B0B0B0B0B0ULL + (i)*0x0101010101010101ULL)
#define MA	    0xA1A2A3A4A5A6A7A8ULL /* a store's background */
#define MB	    0xB1B2B3B4B5B6B7B8ULL
#define ML	    0x0123456789ABCDEFULL /* a load's source: byte, word, dword negative */
#define D5A	    0x5A5A5A5A5A5A5A5AULL /* a load's destination background */
#define JUNK_HI	    0xDEAD00000000ULL	  /* above 4 GiB: addr32 forms must drop it */
#define C(f, ...)                                                                                  \
	{                                                                                          \
		.text = f##_text, .run = f, __VA_ARGS__                                            \
	}
#define R(k, n, v)                                                                                 \
	{                                                                                          \
		K_##k, n, v                                                                        \
	}
#define WM(i, v)                                                                                   \
	{                                                                                          \
		W_MEM, i, v, 0                                                                     \
	}
#define WB(i, v)                                                                                   \
	{                                                                                          \
		W_BUF, i, v, 0                                                                     \
	}
#define WR(n, v)                                                                                   \
	{                                                                                          \
		W_REG, n, v, 0                                                                     \
	}
#define WF(mask, v)                                                                                \
	{                                                                                          \
		W_FLAGS, 0, v, mask                                                                \
	}
#define LOGIC	 (F_CF | F_OF | F_ZF | F_SF | F_PF)
#define ARITH	 (F_CF | F_OF | F_ZF | F_SF)
#define BUF_Q(i) (0x4746454443424140ULL + (i)*0x0808080808080808ULL)
/* Flags the SDM leaves undefined (Vol. 2B per instruction): AF after a
 * shift by a non-zero count, OF after a shift or rotate by more than 1,
 * CF after SHL/SHR by the width or more, OF SF AF PF after BT*. */
#define SH_U1	   F_AF
#define SH_U	   (F_AF | F_OF)
#define BT_U	   (F_OF | F_SF | F_AF | F_PF)
#define SZPC	   (F_CF | F_ZF | F_SF | F_PF)
#define MUL_U	   (F_SF | F_ZF | F_AF | F_PF) /* after MUL/IMUL */
#define DIV_U	   F_STATUS		       /* after DIV/IDIV */
#define WIN_PTR(n) R(WIN, n, 0)
#define VBUF	   R(BUF, RDX, 0)

static const struct mmio_case mmio_cases[] = {
    /* MOV r/m, r (88/89) */
    C(st8, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A4A5A6A788)}),
    C(st16, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A4A5A67788)}),
    C(st32, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A455667788)}),
    C(st64, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0x1122334455667788)}),
    C(st8_ah, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A4A5A677A8)}),
    C(st8_ch, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RCX, 0xBEEF)}, .w = {WM(0, 0xA1A2A3A4BEA6A7A8)}),
    C(st8_dh, .m0 = MA, .r = {WIN_PTR(RBX), R(ABS, RDX, 0xCA00)}, .w = {WM(0, 0xA1A2CAA4A5A6A7A8)}),
    C(st8_bh, .m0 = MA, .r = {WIN_PTR(RDI), R(ABS, RBX, 0x4200)}, .w = {WM(0, 0x42A2A3A4A5A6A7A8)}),
    C(st8_sil, .m0 = MA, .r = {WIN_PTR(RDI), R(ABS, RSI, 0x99)}, .w = {WM(0, 0xA1A2A3A4A5A6A799)}),
    C(st8_r12b, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, R12, 0x3C)}, .w = {WM(0, 0xA1A2A3A4A5A6A73C)}),
    C(st16_r13w, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, R13, 0xD00D)},
      .w = {WM(0, 0xD00DA3A4A5A6A7A8)}),
    C(st32_r14d, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, R14, 0xFFFFFFFF01234567)},
      .w = {WM(0, 0xA1A2A3A401234567)}),
    C(st64_r9, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, R9, 0x0102030405060708)},
      .w = {WM(0, 0x0102030405060708)}),
    C(st64_r10base, .m0 = MA, .r = {WIN_PTR(R10), R(ABS, RAX, 0xCAFEBABEDEADBEEF)},
      .w = {WM(0, 0xCAFEBABEDEADBEEF)}),
    C(st32_r13base, .m0 = MA, .r = {WIN_PTR(R13), R(ABS, RAX, 0x12345678)},
      .w = {WM(0, 0xA1A2A3A412345678)}),
    C(st64_r12base, .m1 = MB, .r = {WIN_PTR(R12), R(ABS, R15, 0x5555AAAA5555AAAA)},
      .w = {WM(1, 0x5555AAAA5555AAAA)}),
    C(st32_sib32, .m1 = MB, .r = {R(WIN, RBX, 0x300), R(ABS, RCX, 1), R(ABS, RAX, 0x600DF00D)},
      .w = {WM(1, 0xB1B2B3B4600DF00D)}),
    C(st64_sibx, .r = {WIN_PTR(R8), R(ABS, R11, 2), R(ABS, RDX, 0x0BADC0DE0BADC0DE)},
      .w = {WM(3, 0x0BADC0DE0BADC0DE), WM(2, MMIO_DEF(2))}),
    C(st16_disp32, .m0 = MA, .r = {R(WIN, RSI, 0x400), R(ABS, RDX, 0x7E57)},
      .w = {WM(0, 0xA1A2A3A4A5A67E57)}),
    C(st32_a32, .m0 = MA, .r = {R(WIN, RSI, JUNK_HI), R(ABS, RAX, 0x13579BDF)},
      .w = {WM(0, 0xA1A2A3A413579BDF), WR(RSI, JUNK_HI)}),
    C(st_66rexw, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0x1122334455667788)}),
    C(st_rex66, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A4A5A67788)}),
    C(st32_ds, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A455667788)}),
    /* MOV r/m, imm (C6/C7) */
    C(im8, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A75A)}),
    C(im16, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4BEEFA7A8)}),
    C(im32, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0x89ABCDEFA5A6A7A8)}),
    C(im64n, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xFFFFFFFFFFFFFFFE)}),
    C(im64p, .m1 = MB, .r = {WIN_PTR(RSI)}, .w = {WM(1, 0x7FFFFFFF)}),
    C(im32_disp32, .m0 = MA, .r = {R(WIN, RSI, 0x400)}, .w = {WM(0, 0xA1A2A3A411223344)}),
    C(im8_sib32, .m1 = MB, .r = {R(WIN, RBX, 0x300), R(ABS, RCX, 1)},
      .w = {WM(1, 0xB1B2B3B4B5B6B77F)}),
    C(im64_r9, .r = {WIN_PTR(R9)}, .w = {WM(2, 0xFFFFFFFF80000000)}),
    /* MOV r, r/m (8A/8B) */
    C(ld8, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x5A5A5A5A5A5A5AEF)}),
    C(ld16, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x5A5A5A5A5A5ACDEF)}),
    C(ld32, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x89ABCDEF)}),
    C(ld64, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, ML)}),
    C(ld8_ah, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x5A5A5A5A5A5ACD5A)}),
    C(ld8_bh, .m0 = ML, .r = {WIN_PTR(RDI), R(ABS, RBX, D5A)}, .w = {WR(RBX, 0x5A5A5A5A5A5AAB5A)}),
    C(ld8_ch, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RCX, D5A)}, .w = {WR(RCX, 0x5A5A5A5A5A5A895A)}),
    C(ld8_dh, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RDX, D5A)}, .w = {WR(RDX, 0x5A5A5A5A5A5A455A)}),
    C(ld8_dil, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RDI, D5A)}, .w = {WR(RDI, 0x5A5A5A5A5A5A5AEF)}),
    C(ld8_r11b, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R11, D5A)},
      .w = {WR(R11, 0x5A5A5A5A5A5A5AEF)}),
    C(ld16_r11w, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R11, D5A)},
      .w = {WR(R11, 0x5A5A5A5A5A5ACDEF)}),
    C(ld32_r11d, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R11, D5A)}, .w = {WR(R11, 0x89ABCDEF)}),
    C(ld64_r15base, .m0 = ML, .r = {WIN_PTR(R15), R(ABS, R8, D5A)}, .w = {WR(R8, ML)}),
    /* moffs (A0-A3), absolute disp32 with 67, EIP-relative: device only */
    C(mo_ld8, .dev_only = true, .m0 = ML, .r = {R(ABS, RAX, D5A)},
      .w = {WR(RAX, 0x5A5A5A5A5A5A5AEF)}),
    C(mo_ld16, .dev_only = true, .m0 = ML, .r = {R(ABS, RAX, D5A)},
      .w = {WR(RAX, 0x5A5A5A5A5A5ACDEF)}),
    C(mo_ld32, .dev_only = true, .m0 = ML, .r = {R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x89ABCDEF)}),
    C(mo_ld64, .dev_only = true, .m0 = ML, .r = {R(ABS, RAX, D5A)}, .w = {WR(RAX, ML)}),
    C(mo_ld32_a32, .dev_only = true, .m0 = ML, .r = {R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x01234567)}),
    C(mo_st8, .dev_only = true, .m1 = MB, .r = {R(ABS, RAX, 0x1122334455667799)},
      .w = {WM(1, 0xB1B2B3B4B5B6B799)}),
    C(mo_st64, .dev_only = true, .r = {R(ABS, RAX, 0x1122334455667799)},
      .w = {WM(2, 0x1122334455667799)}),
    C(mo_st32_a32, .dev_only = true, .r = {R(ABS, RAX, 0x1122334455667799)},
      .w = {WM(3, (MMIO_DEF(3) & ~0xFFFFFFFFULL) | 0x55667799)}),
    C(abs32_st, .dev_only = true, .r = {R(ABS, RAX, 0x1122334455667799)},
      .w = {WM(4, (MMIO_DEF(4) & ~0xFFFFFFFFULL) | 0x55667799)}),
    C(eip_st, .dev_only = true, .r = {R(ABS, RAX, 0x1122334455667799)},
      .w = {WM(5, (MMIO_DEF(5) & ~0xFFFFFFFFULL) | 0x55667799)}),
    C(eip_ld, .dev_only = true, .r = {R(ABS, RCX, D5A)}, .w = {WR(RCX, MMIO_DEF(5))}),
    /* MOVZX, MOVSX, MOVSXD */
    C(zx_bl, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0xEF)}),
    C(zx_bw, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x5A5A5A5A5A5A00EF)}),
    C(zx_bq, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R10, D5A)}, .w = {WR(R10, 0xEF)}),
    C(zx_wl, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RCX, D5A)}, .w = {WR(RCX, 0xCDEF)}),
    C(zx_wq, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RDX, D5A)}, .w = {WR(RDX, 0xCDEF)}),
    C(zx_bl_d8, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0xCD)}),
    C(sx_bl, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0xFFFFFFEF)}),
    C(sx_bw, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x5A5A5A5A5A5AFFEF)}),
    C(sx_bq, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RBX, D5A)}, .w = {WR(RBX, 0xFFFFFFFFFFFFFFEF)}),
    C(sx_wl, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R9, D5A)}, .w = {WR(R9, 0xFFFFCDEF)}),
    C(sx_wq, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0xFFFFFFFFFFFFCDEF)}),
    C(sxd, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0xFFFFFFFF89ABCDEF)}),
    C(sxd_r12, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R12, D5A)}, .w = {WR(R12, 0x01234567)}),
    /* STOS (AA/AB), one element per exit */
    C(rep_stosb, .m0 = 0x1010101010101010, .m1 = 0x2020202020202020,
      .r = {WIN_PTR(RDI), R(ABS, RCX, 11), R(ABS, RAX, 0x5C)},
      .w = {WM(1, 0x20202020205C5C5C), WR(RDI, 11), WR(RCX, 0)}),
    C(rep_stosw, .m0 = 0x1010101010101010, .m1 = 0x2020202020202020,
      .r = {WIN_PTR(RDI), R(ABS, RCX, 5), R(ABS, RAX, 0xABCD)},
      .w = {WM(1, 0x202020202020ABCD), WR(RDI, 10), WR(RCX, 0)}),
    C(rep_stosl, .m0 = 0x1010101010101010, .m1 = 0x2020202020202020,
      .r = {WIN_PTR(RDI), R(ABS, RCX, 3), R(ABS, RAX, 0x12345678)},
      .w = {WM(1, 0x2020202012345678), WR(RDI, 12), WR(RCX, 0)}),
    C(rep_stosq, .r = {R(WIN, RDI, 8), R(ABS, RCX, 3), R(ABS, RAX, 0x0102030405060708)},
      .w = {WM(3, 0x0102030405060708), WM(4, MMIO_DEF(4)), WR(RDI, 32)}),
    C(stosq1, .r = {R(WIN, RDI, 0x10), R(ABS, RCX, 5), R(ABS, RAX, 0x0102030405060708)},
      .w = {WM(2, 0x0102030405060708), WR(RDI, 0x18), WR(RCX, 5)}),
    C(std_stosb, .m0 = 0x1010101010101010, .m1 = 0x2020202020202020,
      .r = {R(WIN, RDI, 9), R(ABS, RCX, 4), R(ABS, RAX, 0xEE)},
      .w = {WM(0, 0xEEEE101010101010), WM(1, 0x202020202020EEEE), WR(RDI, 5)}),
    C(std_stosq, .m0 = 0x1010101010101010,
      .r = {R(WIN, RDI, 0x18), R(ABS, RCX, 3), R(ABS, RAX, 0x0102030405060708)},
      .w = {WM(1, 0x0102030405060708), WM(0, 0x1010101010101010), WR(RDI, 0)}),
    C(a32_stosb, .m0 = 0x1010101010101010,
      .r = {R(WIN, RDI, JUNK_HI + 2), R(ABS, RCX, 0xFFFF000000000003), R(ABS, RAX, 0x77)},
      .w = {WM(0, 0x1010107777771010)}),
    /* MOVS (A4/A5): RAM to the device */
    C(rep_movsb, .m0 = 0x1010101010101010, .m1 = 0x2020202020202020,
      .r = {R(BUF, RSI, 0), WIN_PTR(RDI), R(ABS, RCX, 11)},
      .w = {WM(1, 0x20202020204A4948), WR(RSI, 11), WR(RDI, 11)}),
    C(rep_movsq, .r = {R(BUF, RSI, 8), R(WIN, RDI, 0x10), R(ABS, RCX, 2)},
      .w = {WM(2, BUF_Q(1)), WM(3, BUF_Q(2)), WR(RCX, 0)}),
    C(movsl1, .m0 = 0x1010101010101010, .r = {R(BUF, RSI, 4), WIN_PTR(RDI), R(ABS, RCX, 9)},
      .w = {WM(0, 0x1010101047464544), WR(RCX, 9), WR(RDI, 4)}),
    C(std_movsw, .m0 = 0x1010101010101010, .flags = F_DF,
      .r = {R(BUF, RSI, 6), R(WIN, RDI, 6), R(ABS, RCX, 3)},
      .w = {WM(0, 0x4746454443421010), WR(RSI, 0), WR(RDI, 0)}),
    C(std_movsq, .r = {R(BUF, RSI, 0x18), R(WIN, RDI, 0x18), R(ABS, RCX, 2)},
      .w = {WM(3, BUF_Q(3)), WM(2, BUF_Q(2)), WR(RSI, 8)}),
    C(fs_movsb, .m0 = 0x1010101010101010, .fs_buf = true,
      .r = {R(ABS, RSI, 0x10), WIN_PTR(RDI), R(ABS, RCX, 3)},
      .w = {WM(0, 0x1010101010525150), WR(RSI, 0x13)}),
    C(a32_movsb, .m0 = 0x1010101010101010,
      .r = {R(BUF, RSI, JUNK_HI), R(WIN, RDI, JUNK_HI), R(ABS, RCX, 0xFFFF000000000002)},
      .w = {WM(0, 0x1010101010104140)}),
    /* MOVS: the device to RAM */
    C(rep_movsb, .m0 = ML, .m1 = 0xFEDCBA9876543210,
      .r = {R(WIN, RSI, 1), R(BUF, RDI, 0), R(ABS, RCX, 9)},
      .w = {WB(0, 0x100123456789ABCD), WB(1, 0x4F4E4D4C4B4A4932), WR(RCX, 0)}),
    C(rep_movsq, .m0 = ML, .m1 = 0xFEDCBA9876543210,
      .r = {WIN_PTR(RSI), R(BUF, RDI, 0x10), R(ABS, RCX, 2)},
      .w = {WB(2, ML), WB(3, 0xFEDCBA9876543210), WR(RDI, 0x20)}),
    C(std_movsb, .m0 = ML, .r = {R(WIN, RSI, 3), R(BUF, RDI, 3), R(ABS, RCX, 4)},
      .w = {WB(0, 0x4746454489ABCDEF), WR(RSI, (u64)-1), WR(RDI, (u64)-1)}),
    C(movsw1, .m1 = 0xFEDCBA9876543210, .r = {R(WIN, RSI, 8), R(BUF, RDI, 0), R(ABS, RCX, 7)},
      .w = {WB(0, 0x4746454443423210), WR(RCX, 7)}),
    /* AND, OR, XOR (20-23, 08-0B, 30-33; 80/81/83), with flags */
    C(and_mr32, .m0 = 0xA1A2A3A4F0F0F0F0, .flags = F_CF | F_OF, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x0FF00FF0)},
      .w = {WM(0, 0xA1A2A3A400F000F0), WF(LOGIC, F_PF)}),
    C(or_mr64, .m0 = 1, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x8000000000000000)},
      .w = {WM(0, 0x8000000000000001), WF(LOGIC, F_SF)}),
    C(xor_mr8, .m0 = MA, .flags = F_CF, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xA8)},
      .w = {WM(0, 0xA1A2A3A4A5A6A700), WF(LOGIC, F_ZF | F_PF)}),
    C(or_mr16, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RDX, 0x0101)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7A9), WF(LOGIC, F_SF | F_PF)}),
    C(and_mr8h, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x0F00)},
      .w = {WM(0, 0xA1A2A3A4A5A607A8), WF(LOGIC, 0)}),
    C(xor_mr64x, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, R10, MA)},
      .w = {WM(0, 0), WF(LOGIC, F_ZF | F_PF)}),
    C(and_rm32, .m0 = 0xA1A2A3A412345678, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFF0000FFFF)},
      .w = {WR(RAX, 0x5678), WM(0, 0xA1A2A3A412345678)}),
    C(or_rm8h, .m0 = 0xA1A2A3A4A5A6A780, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455660077)},
      .w = {WR(RAX, 0x1122334455668077), WF(LOGIC, F_SF)}),
    C(xor_rm64x, .m0 = ML, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, R9, 0xFFFF0000FFFF0000)},
      .w = {WR(R9, 0xFEDC45677654CDEF), WF(LOGIC, F_SF)}),
    C(and_rm16, .m0 = 0xA1A2A3A4A5A600FF, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, RDX, 0x1234567890ABFFFF)}, .w = {WR(RDX, 0x1234567890AB00FF)}),
    C(or_rm8x, .m0 = 0xA1A2A3A4A5A6A700, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, R11, 0x5A5A5A5A5A5A5A00)},
      .w = {WR(R11, 0x5A5A5A5A5A5A5A00), WF(LOGIC, F_ZF | F_PF)}),
    C(and_i8, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A708)}),
    C(or_i32, .m0 = 0xA1A2A3A400000001, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A480000001), WF(LOGIC, F_SF)}),
    C(xor_i16, .m0 = 0xA1A2A3A4A5A61234, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A60000), WF(LOGIC, F_ZF | F_PF)}),
    C(and_i64s8, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7A0), WF(F_SF | F_ZF, F_SF)}),
    C(or_i32s8, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4FFFFFFFF), WF(LOGIC, F_SF | F_PF)}),
    C(xor_i64s32, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0x5E5D5C5B25A6A7A8), WF(F_SF | F_ZF, 0)}),
    C(and_i16s8, .m0 = 0xA1A2A3A4A5A6A7A9, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7A8)}),
    C(xor_i8d, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0x5EA2A3A4A5A6A7A8)}),
    C(lock_or, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xF000)},
      .w = {WM(0, 0xA1A2A3A4A5A6F7A8)}),
    C(lock_and, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A700), WF(F_SF | F_ZF, F_SF)}),
    C(lock_xor, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A7FD)}),
    /* CMP (38-3B, 80/81/83 /7), TEST (84/85, F6/F7 /0): memory unchanged */
    C(cmp_mr32, .m0 = 0xA1A2A3A400000005, .r = {WIN_PTR(RSI), R(ABS, RAX, 7)},
      .w = {WF(ARITH, F_CF | F_SF), WM(0, 0xA1A2A3A400000005)}),
    C(cmp_mr64, .m0 = 0x8000000000000000, .r = {WIN_PTR(RSI), R(ABS, RAX, 1)},
      .w = {WF(ARITH, F_OF)}),
    C(cmp_mr8, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xA8)}, .w = {WF(ARITH, F_ZF)}),
    C(cmp_mr16, .m0 = 0xA1A2A3A4A5A67FFF, .r = {WIN_PTR(RSI), R(ABS, RDX, 0xFFFF)},
      .w = {WF(ARITH, F_CF | F_SF | F_OF)}),
    C(cmp_rm32, .m0 = 7, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFF00000005)},
      .w = {WF(ARITH, F_CF | F_SF), WR(RAX, 0xFFFFFFFF00000005)}),
    C(cmp_rm8h, .m0 = 1, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x8000)}, .w = {WF(ARITH, F_OF)}),
    C(cmp_rm64x, .m0 = 0x123, .flags = F_CF | F_SF, .r = {WIN_PTR(RSI), R(ABS, R8, 0x123)},
      .w = {WF(ARITH, F_ZF)}),
    C(cmp_i8, .m0 = 0x7F, .r = {WIN_PTR(RSI)}, .w = {WF(ARITH, F_CF | F_OF | F_SF)}),
    C(cmp_i32, .m0 = 0xA1A2A3A412345678, .r = {WIN_PTR(RSI)},
      .w = {WF(ARITH, F_ZF), WM(0, 0xA1A2A3A412345678)}),
    C(cmp_i64s8, .m0 = 0, .r = {WIN_PTR(RSI)}, .w = {WF(ARITH, F_CF)}),
    C(cmp_i16, .m0 = 0x8000, .r = {WIN_PTR(RSI)}, .w = {WF(ARITH, F_OF)}),
    C(cmp_i32s8, .m0 = 0xFFFFFFFF00000000, .r = {WIN_PTR(RSI)},
      .w = {WF(F_STATUS, F_CF | F_SF | F_AF | F_PF)}),
    C(test_mr8, .m0 = 0xF0, .flags = F_CF | F_OF, .undef = F_AF,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x0F)}, .w = {WF(LOGIC, F_ZF | F_PF), WM(0, 0xF0)}),
    C(test_mr64, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x8000000000000000)},
      .w = {WF(LOGIC, F_SF | F_PF)}),
    C(test_mr8h, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI), R(ABS, RBX, 0x0800)},
      .w = {WF(LOGIC, 0)}),
    C(test_i32, .m0 = MA, .flags = F_CF | F_OF, .undef = F_AF, .r = {WIN_PTR(RSI)},
      .w = {WF(LOGIC, F_SF | F_PF)}),
    C(test_i8, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)}, .w = {WF(LOGIC, F_ZF | F_PF)}),
    C(test_i16, .m0 = MA, .undef = F_AF, .r = {WIN_PTR(RSI)}, .w = {WF(LOGIC, F_SF | F_PF)}),
    /* XCHG (86/87) */
    C(xchg32, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFF11223344)},
      .w = {WM(0, 0xA1A2A3A411223344), WR(RAX, 0xA5A6A7A8)}),
    C(xchg64x, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, R9, 0x0102030405060708)},
      .w = {WM(0, 0x0102030405060708), WR(R9, MA)}),
    C(xchg8h, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x5A5A5A5A5A5A335A)},
      .w = {WM(0, 0xA1A2A3A4A5A633A8), WR(RAX, 0x5A5A5A5A5A5AA75A)}),
    C(xchg16, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RDX, 0x5A5A5A5A5A5ABEEF)},
      .w = {WM(0, 0xA1A2A3A4A5A6BEEF), WR(RDX, 0x5A5A5A5A5A5AA7A8)}),
    C(xchg8sil, .m0 = MA, .r = {WIN_PTR(RDI), R(ABS, RSI, 0x5A5A5A5A5A5A5A77)},
      .w = {WM(0, 0xA1A2A3A4A5A6A777), WR(RSI, 0x5A5A5A5A5A5A5AA8)}),
    C(lock_xchg, .m1 = MB, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x99)}, .w = {WM(1, 0x99), WR(RAX, MB)}),
    /* ADD, ADC, SUB, SBB (00-03, 10-13, 18-1B, 28-2B; 80/81/83 /0 /2 /3 /5) */
    C(add_mr32, .m0 = 0xA1A2A3A4FFFFFFFF, .r = {WIN_PTR(RSI), R(ABS, RAX, 1)},
      .w = {WM(0, 0xA1A2A3A400000000), WF(F_STATUS, F_CF | F_ZF | F_PF | F_AF)}),
    C(add_mr8h, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x7000)},
      .w = {WM(0, 0xA1A2A3A4A5A617A8), WF(F_STATUS, F_CF | F_PF)}),
    C(add_rm64, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, R9, 0x1111111111111111)},
      .w = {WR(R9, 0x123456789ABCDF00), WF(F_STATUS, F_PF | F_AF)}),
    C(add_i8, .m0 = MA, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A728), WF(F_STATUS, F_CF | F_OF | F_PF)}),
    C(add_i32s8, .m0 = 0xA1A2A3A400000000, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4FFFFFFFF), WF(F_STATUS, F_SF | F_PF)}),
    C(adc_mr64, .m0 = 0x7FFFFFFFFFFFFFFF, .flags = F_CF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0)},
      .w = {WM(0, 0x8000000000000000), WF(F_STATUS, F_OF | F_SF | F_AF | F_PF)}),
    C(adc_rm16, .m0 = 0xA1A2A3A4A5A6FFFF, .flags = F_CF,
      .r = {WIN_PTR(RSI), R(ABS, RDX, 0x1234567890AB0000)},
      .w = {WR(RDX, 0x1234567890AB0000), WF(F_STATUS, F_CF | F_ZF | F_PF | F_AF)}),
    C(adc_i32, .m0 = 0xA1A2A3A400000000, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A480000000), WF(F_STATUS, F_OF | F_SF | F_AF | F_PF)}),
    C(sub_mr16, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RDX, 0xA7A8)},
      .w = {WM(0, 0xA1A2A3A4A5A60000), WF(F_STATUS, F_ZF | F_PF)}),
    C(sub_rm32, .m0 = 0xA1A2A3A400000001, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFF00000000)},
      .w = {WR(RAX, 0xFFFFFFFF), WF(F_STATUS, F_CF | F_SF | F_PF | F_AF)}),
    C(sub_i64s32, .m0 = 0x12345678, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0), WF(F_STATUS, F_ZF | F_PF)}),
    C(sbb_mr8, .m0 = MA, .flags = F_CF, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x28)},
      .w = {WM(0, 0xA1A2A3A4A5A6A77F), WF(F_STATUS, F_OF | F_AF)}),
    C(sbb_rm64, .m0 = 1, .flags = F_CF, .r = {WIN_PTR(RSI), R(ABS, R10, 2)},
      .w = {WR(R10, 0), WF(F_STATUS, F_ZF | F_PF)}),
    C(sbb_i16s8, .m0 = 0xA1A2A3A4A5A60001, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6FFFF), WF(F_STATUS, F_CF | F_SF | F_PF | F_AF)}),
    C(lock_add, .m1 = MB, .r = {WIN_PTR(RSI), R(ABS, RAX, 1)}, .w = {WM(1, 0xB1B2B3B4B5B6B7B9)}),
    C(lock_sub, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A7A7)}),
    C(lock_adc, .m0 = 0, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0x80), WF(F_STATUS, F_OF | F_SF | F_AF)}),
    C(lock_sbb, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RDX, 8)}, .w = {WM(0, 0xA1A2A3A4A5A6A7A0)}),
    /* INC, DEC (FE/FF /0 /1: CF kept), NEG, NOT (F6/F7 /2 /3) */
    C(inc8, .m0 = 0xFF, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0), WF(F_STATUS, F_CF | F_ZF | F_PF | F_AF)}),
    C(inc32, .m0 = 0x7FFFFFFF00000000, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0x8000000000000000), WF(F_STATUS, F_OF | F_SF | F_AF | F_PF)}),
    C(inc64, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A7A9)}),
    C(dec16, .m0 = 0xA1A2A3A4A5A60000, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6FFFF), WF(F_STATUS, F_SF | F_PF | F_AF)}),
    C(dec64, .m0 = 1, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0), WF(F_STATUS, F_CF | F_ZF | F_PF)}),
    C(neg8, .m0 = MA, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A758), WF(F_STATUS, F_CF | F_AF)}),
    C(neg32, .m0 = 0xA1A2A3A480000000, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A480000000), WF(F_STATUS, F_CF | F_OF | F_SF | F_PF)}),
    C(neg64, .m0 = 0, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0), WF(F_STATUS, F_ZF | F_PF)}),
    C(not16, .m0 = MA, .flags = F_CF | F_ZF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A65857), WF(F_STATUS, F_CF | F_ZF)}),
    C(not64, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0x5E5D5C5B5A595857)}),
    C(lock_inc, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A7A9)}),
    C(lock_dec, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA0A2A3A4A5A6A7A8)}),
    C(lock_neg, .m0 = 1, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xFFFFFFFFFFFFFFFF)}),
    C(lock_not, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A45A595857)}),
    /* shifts and rotates (D0-D3, C0/C1; /6 as SHL) */
    C(shl1_32, .m0 = 0xA1A2A3A480000001, .undef = SH_U1, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A400000002), WF(SZPC | F_OF, F_CF | F_OF)}),
    C(shr1_8, .m0 = MA, .undef = SH_U1, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A754), WF(SZPC | F_OF, F_OF)}),
    C(sar1_64, .m0 = 0x8000000000000003, .undef = SH_U1, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xC000000000000001), WF(SZPC | F_OF, F_CF | F_SF)}),
    C(shl_cl16, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI), R(ABS, RCX, 3)},
      .w = {WM(0, 0xA1A2A3A4A5A63D40), WF(SZPC, F_CF)}),
    C(shr_cl64, .m0 = 3, .undef = SH_U1, .r = {WIN_PTR(RSI), R(ABS, RCX, 0x41)},
      .w = {WM(0, 1), WF(SZPC | F_OF, F_CF)}),
    C(sar_cl8, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI), R(ABS, RCX, 9)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7FF), WF(SZPC, F_CF | F_SF | F_PF)}),
    C(shl_i8, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A780), WF(SZPC, F_SF)}),
    C(shr_i32, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A400000001), WF(SZPC, 0)}),
    C(sar_i16, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4FFFFA7A8), WF(SZPC, F_SF | F_PF)}),
    C(sal6, .m0 = MA, .undef = SH_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A45A6A7A80), WF(SZPC, 0)}),
    C(shl_cl0, .m0 = MA, .flags = F_CF | F_ZF | F_AF | F_OF, .r = {WIN_PTR(RSI), R(ABS, RCX, 0x20)},
      .w = {WM(0, MA), WF(F_STATUS, F_CF | F_ZF | F_AF | F_OF)}),
    C(rol1_8, .m0 = MA, .flags = F_ZF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A751), WF(F_STATUS, F_ZF | F_CF | F_OF)}),
    C(ror_cl32, .m0 = 0xA1A2A3A40000001F, .undef = F_OF, .r = {WIN_PTR(RSI), R(ABS, RCX, 5)},
      .w = {WM(0, 0xA1A2A3A4F8000000), WF(F_CF, F_CF)}),
    C(rcl1_64, .m0 = 0x8000000000000000, .flags = F_CF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 1), WF(F_CF | F_OF, F_CF | F_OF)}),
    C(rcr_i16, .m0 = 0xA1A2A3A4A5A60004, .flags = F_CF, .undef = F_OF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A62000), WF(F_CF, F_CF)}),
    C(rcl_i8_9, .m0 = MA, .undef = F_OF, .r = {WIN_PTR(RSI)}, .w = {WM(0, MA), WF(F_CF, 0)}),
    C(rol_i64, .m0 = ML, .undef = F_OF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xF0123456789ABCDE), WF(F_CF, 0)}),
    /* BT, BTS, BTR, BTC (0F A3/AB/B3/BB, 0F BA /4-/7): a register offset may
     * reach outside the operand */
    C(bt_i32, .m0 = 0x20, .flags = F_ZF, .undef = BT_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0x20), WF(F_CF | F_ZF, F_CF | F_ZF)}),
    C(bts_r64, .m0 = 0, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 33)},
      .w = {WM(0, 0x200000000), WF(F_CF, 0)}),
    C(btr_i16, .m0 = MA, .undef = BT_U, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A627A8), WF(F_CF, F_CF)}),
    C(btc_r32, .m0 = MA, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7A9), WF(F_CF, 0)}),
    C(bts_far, .m1 = MB, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 66)},
      .w = {WM(1, 0xB1B2B3B4B5B6B7BC), WM(0, 0), WF(F_CF, 0)}),
    C(btc_neg64, .m1 = MB, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, (u64)-1)},
      .w = {WM(1, 0x31B2B3B4B5B6B7B8), WM(2, MMIO_DEF(2)), WF(F_CF, F_CF)}),
    C(bts_neg16, .m0 = MA, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFF0)},
      .w = {WM(0, 0xA1A2A3A4A5A6A7A9), WF(F_CF, 0)}),
    C(lock_bts, .m0 = 0, .undef = BT_U, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0x80000000)}),
    C(lock_btr, .m0 = 0x8000000000000001, .undef = BT_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 63)},
      .w = {WM(0, 1), WF(F_CF, F_CF)}),
    C(lock_btc, .m0 = MA, .undef = BT_U, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A7A9)}),
    /* XADD (0F C0/C1), CMPXCHG (0F B0/B1) */
    C(xadd32, .m0 = 0xA1A2A3A4FFFFFFF0, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xAAAAAAAA00000020)},
      .w = {WM(0, 0xA1A2A3A400000010), WR(RAX, 0xFFFFFFF0), WF(F_STATUS, F_CF)}),
    C(xadd8h, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455660177)},
      .w = {WM(0, 0xA1A2A3A4A5A6A8A8), WR(RAX, 0x112233445566A777)}),
    C(lock_xadd64, .m0 = 5, .r = {WIN_PTR(RSI), R(ABS, R9, (u64)-5)},
      .w = {WM(0, 0), WR(R9, 5), WF(F_STATUS, F_CF | F_ZF | F_PF | F_AF)}),
    C(cmpxchg32_hit, .m0 = MA,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x12345678A5A6A7A8), R(ABS, RCX, 0x11223344)},
      .w = {WM(0, 0xA1A2A3A411223344), WR(RAX, 0x12345678A5A6A7A8), WF(F_ZF, F_ZF)}),
    C(cmpxchg32_miss, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1234567800000000)},
      .w = {WM(0, MA), WR(RAX, 0xA5A6A7A8), WF(F_STATUS, F_CF | F_AF)}),
    C(cmpxchg8, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xA8), R(ABS, RCX, 0x33)},
      .w = {WM(0, 0xA1A2A3A4A5A6A733), WF(F_STATUS, F_ZF | F_PF)}),
    C(lock_cmpxchg64, .m1 = MB, .r = {WIN_PTR(RSI), R(ABS, RAX, MB), R(ABS, RCX, 0x99)},
      .w = {WM(1, 0x99), WF(F_ZF, F_ZF)}),
    C(cmpxchg16_miss, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x5555555555555555)},
      .w = {WR(RAX, 0x555555555555A7A8), WF(F_STATUS, F_CF | F_SF | F_OF | F_AF)}),
    /* MUL, IMUL (F6/F7 /4 /5, 0F AF, 69, 6B), DIV, IDIV (F6/F7 /6 /7) */
    C(mul8, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WR(RAX, 0x1122334455667EF8), WF(F_CF | F_OF, F_CF | F_OF)}),
    C(mul16, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WR(RAX, 0x1122334455669FD8), WF(F_CF | F_OF, F_CF | F_OF)}),
    C(mul32, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WR(RAX, 0x68397FF8), WR(RDX, 0x2DED261C)}),
    C(mul64, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, ~0ULL)},
      .w = {WR(RAX, 0xFEDCBA9876543211), WR(RDX, 0x0123456789ABCDEE)}),
    C(imul8, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x88)},
      .w = {WR(RAX, 0x07F8), WF(F_CF | F_OF, F_CF | F_OF)}),
    C(imul32, .m0 = ML, .undef = MUL_U, .flags = F_CF | F_OF,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFE)},
      .w = {WR(RAX, 0xFDB97532), WR(RDX, 0xFFFFFFFF), WF(F_CF | F_OF, 0)}),
    C(imul64, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, ~0ULL)},
      .w = {WR(RAX, 0xFEDCBA9876543211), WR(RDX, ~0ULL), WF(F_CF | F_OF, 0)}),
    C(imul_rm16, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RDX, 0xFFFD)},
      .w = {WR(RDX, 0x9633), WF(F_CF | F_OF, F_CF | F_OF)}),
    C(imul_rm32, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, R9, 0xFFFFFFFF00010000)},
      .w = {WR(R9, 0xCDEF0000)}),
    C(imul_rm64, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x100000000)},
      .w = {WR(RAX, 0x89ABCDEF00000000)}),
    C(imul_ib32, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI)}, .w = {WR(RCX, 0x62FC9633)}),
    C(imul_iw16, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0)},
      .w = {WR(RAX, 0xFCBC)}),
    C(imul_id64, .m0 = ML, .undef = MUL_U, .r = {WIN_PTR(RSI)}, .w = {WR(RBX, 0xC28F5C28E242D208)}),
    C(div8, .m0 = ML, .undef = DIV_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1234)},
      .w = {WR(RAX, 0x7713)}),
    C(div16, .m0 = ML, .undef = DIV_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x2345), R(ABS, RDX, 1)},
      .w = {WR(RAX, 1), WR(RDX, 0x5556)}),
    C(div32, .m0 = ML, .undef = DIV_U,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x456789AB), R(ABS, RDX, 0x123)},
      .w = {WR(RAX, 0x21D), WR(RDX, 0x55555798)}),
    C(div64, .m0 = ML, .undef = DIV_U,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0x456789ABCDEF0123), R(ABS, RDX, 0x123)},
      .w = {WR(RAX, 0x10000), WR(RDX, 0x123)}),
    C(idiv8, .m0 = ML, .undef = DIV_U, .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFF00)},
      .w = {WR(RAX, 0xFF0F)}),
    C(idiv32, .m0 = 0xFFFFFFF900000000, .undef = DIV_U,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 100), R(ABS, RDX, 0)},
      .w = {WR(RAX, 0xFFFFFFF2), WR(RDX, 2)}),
    C(idiv64, .m0 = 1000, .undef = DIV_U,
      .r = {WIN_PTR(RSI), R(ABS, RAX, (u64)-1000000007), R(ABS, RDX, ~0ULL)},
      .w = {WR(RAX, 0xFFFFFFFFFFF0BDC0), WR(RDX, 0xFFFFFFFFFFFFFFF9)}),
    /* CMPXCHG8B, CMPXCHG16B (0F C7 /1): rDX:rAX loaded only on a miss, the operand written */
    C(cmpxchg8b_hit, .m0 = 0xA1A2A3A4A5A6A7A8,
      .r = {WIN_PTR(RSI), R(ABS, RAX, 0xFFFFFFFFA5A6A7A8), R(ABS, RDX, 0xA1A2A3A4),
	    R(ABS, RBX, 0x33333333)},
      .w = {WM(0, 0x1111111133333333), WR(RAX, 0xFFFFFFFFA5A6A7A8), WF(F_ZF, F_ZF)}),
    C(cmpxchg8b_miss, .m0 = MA, .m1 = MB, .flags = F_ZF, .r = {WIN_PTR(RSI)},
      .w = {WR(RAX, 0xA1A2A3A4), WR(RDX, 0xB5B6B7B8), WF(F_ZF, 0)}),
    C(cmpxchg16b_hit, .cx16 = true, .m0 = MA, .m1 = MB,
      .r = {WIN_PTR(RSI), R(ABS, RAX, MA), R(ABS, RDX, MB), R(ABS, RBX, 0x0102030405060708)},
      .w = {WM(0, 0x0102030405060708), WM(1, 0x8BADF00D11111111), WF(F_ZF, F_ZF)}),
    C(cmpxchg16b_miss, .cx16 = true, .flags = F_ZF | F_CF, .r = {WIN_PTR(RSI)},
      .w = {WR(RAX, MMIO_DEF(2)), WR(RDX, MMIO_DEF(3)), WF(F_ZF | F_CF, F_CF)}),
    /* SETcc (0F 90-9F) */
    C(sete_, .m0 = MA, .flags = F_ZF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A701)}),
    C(setne_, .m0 = MA, .flags = F_ZF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A600A8)}),
    C(setl_, .m0 = MA, .flags = F_SF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A701)}),
    C(setg_, .m0 = MA, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A701)}),
    C(setb_, .m0 = MA, .flags = F_CF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0x01A2A3A4A5A6A7A8)}),
    C(seta_, .m0 = MA, .flags = F_CF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A700)}),
    C(setp_, .m0 = MA, .flags = F_PF, .r = {WIN_PTR(RSI)}, .w = {WM(0, 0xA1A2A3A4A5A6A701)}),
    C(setno_, .m0 = MA, .flags = F_OF, .r = {WIN_PTR(RSI)},
      .w = {WM(0, 0xA1A2A3A4A5A6A700)}), /* MOVNTI (0F C3), MOVBE (0F 38 F0/F1), PUSH m (FF /6), POP
					    m (8F /0) */
    C(movnti32, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(0, 0xA1A2A3A455667788)}),
    C(movnti64, .m1 = MB, .r = {WIN_PTR(RSI), R(ABS, R9, 0x0102030405060708)},
      .w = {WM(1, 0x0102030405060708)}),
    C(movbe_ld32, .movbe = true, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)},
      .w = {WR(RAX, 0xEFCDAB89)}),
    C(movbe_ld16, .movbe = true, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RDX, D5A)},
      .w = {WR(RDX, 0x5A5A5A5A5A5AEFCD)}),
    C(movbe_st64, .movbe = true, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RCX, 0x0102030405060708)},
      .w = {WM(0, 0x0807060504030201)}),
    C(movbe_st16, .movbe = true, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1234)},
      .w = {WM(0, 0xA1A2A3A43412A7A8)}),
    C(push_m64, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, ML)}),
    C(push_m16, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RDX, D5A)},
      .w = {WR(RDX, 0x5A5A5A5A5A5AA5A6)}),
    C(pop_m64, .m1 = MB, .r = {WIN_PTR(RSI), R(ABS, RAX, 0x1122334455667788)},
      .w = {WM(1, 0x1122334455667788)}),
    C(pop_m16, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RDX, 0xBEEF)},
      .w = {WM(0, 0xA1A2A3A4A5A6BEEF)}), /* LODS (AC/AD), SCAS (AE/AF): one element per exit,
					    REPE/REPNE stop on ZF */
    C(lodsb1, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)},
      .w = {WR(RAX, 0x5A5A5A5A5A5A5AEF), WR(RSI, 1)}),
    C(lodsl1, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A)}, .w = {WR(RAX, 0x89ABCDEF)}),
    C(lodsq1, .m1 = MB, .r = {R(WIN, RSI, 8), R(ABS, RAX, D5A)}, .w = {WR(RAX, MB), WR(RSI, 16)}),
    C(rep_lodsw, .m0 = ML, .r = {WIN_PTR(RSI), R(ABS, RAX, D5A), R(ABS, RCX, 3)},
      .w = {WR(RAX, 0x5A5A5A5A5A5A4567), WR(RSI, 6), WR(RCX, 0)}),
    C(std_lodsq, .m1 = MB, .r = {R(WIN, RSI, 8), R(ABS, RAX, D5A)}, .w = {WR(RAX, MB), WR(RSI, 0)}),
    C(scasb1, .m0 = ML, .r = {WIN_PTR(RDI), R(ABS, RAX, 0xEF)},
      .w = {WR(RDI, 1), WF(F_STATUS, F_ZF | F_PF)}),
    C(scasq1, .m1 = MB, .r = {R(WIN, RDI, 8), R(ABS, RAX, MB)}, .w = {WR(RDI, 16), WF(F_ZF, F_ZF)}),
    C(repne_scasb, .m0 = 0x0706050403020100, .r = {WIN_PTR(RDI), R(ABS, RAX, 5), R(ABS, RCX, 10)},
      .w = {WR(RDI, 6), WR(RCX, 4), WF(F_ZF, F_ZF)}),
    C(repe_scasl, .m0 = 0x1111111111111111, .m1 = MB,
      .r = {WIN_PTR(RDI), R(ABS, RAX, 0x11111111), R(ABS, RCX, 4)},
      .w = {WR(RDI, 12), WR(RCX, 1), WF(F_STATUS, F_CF | F_PF | F_AF)}),
    C(std_repne_scasw, .m0 = ML, .r = {R(WIN, RDI, 6), R(ABS, RAX, 0x89AB), R(ABS, RCX, 8)},
      .w = {WR(RDI, 0), WR(RCX, 5), WF(F_ZF, F_ZF)}),
    C(a32_repne_scasb, .m0 = 0x0706050403020100,
      .r = {R(WIN, RDI, JUNK_HI), R(ABS, RAX, 2), R(ABS, RCX, 0xFFFF000000000004)},
      .w = {WR(RDI, 3), WR(RCX, 1), WF(F_ZF, F_ZF)}),
    /* CMPS (A6/A7): the side whose address reaches the device is emulated */
    C(cmpsb_dev_src, .m0 = MA, .r = {WIN_PTR(RSI), R(BUF, RDI, 0)},
      .w = {WR(RSI, 1), WR(RDI, 1), WF(F_STATUS, F_OF)}),
    C(cmpsq_dev_dst, .m0 = BUF_Q(0), .r = {R(BUF, RSI, 0), WIN_PTR(RDI)},
      .w = {WR(RSI, 8), WR(RDI, 8), WF(F_STATUS, F_ZF | F_PF)}),
    C(repe_cmpsb, .m0 = BUF_Q(0), .m1 = MB, .r = {WIN_PTR(RSI), R(BUF, RDI, 0), R(ABS, RCX, 12)},
      .w = {WR(RSI, 9), WR(RDI, 9), WR(RCX, 3)}),
    C(repne_cmpsw, .m0 = MA, .m1 = 0x4948, .r = {R(BUF, RSI, 0), WIN_PTR(RDI), R(ABS, RCX, 10)},
      .w = {WR(RDI, 10), WR(RCX, 5), WF(F_ZF, F_ZF)}),
    C(std_repe_cmpsl, .m0 = BUF_Q(0), .r = {R(WIN, RSI, 4), R(BUF, RDI, 4), R(ABS, RCX, 2)},
      .w = {WR(RSI, (u64)-4), WR(RCX, 0), WF(F_ZF, F_ZF)}),
    /* The vector moves: 16 and 32 bytes reach the device as 8-byte accesses */
    C(movdqu_st, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(2, BUF_Q(1)), WM(3, MMIO_DEF(3))}),
    C(movdqa_st_x9, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(2, BUF_Q(0)), WM(3, BUF_Q(1))}),
    C(movups_st, .m0 = MA, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(0, 0x53525150A5A6A7A8), WM(1, 0x5B5A595857565554)}),
    C(movaps_st_x15, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(4, BUF_Q(0)), WM(5, BUF_Q(1))}),
    C(movd_st, .m0 = MA, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(0, 0x43424140A5A6A7A8)}),
    C(movq_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(1, BUF_Q(0)), WM(2, MMIO_DEF(2))}),
    C(movq_st_w, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(1, BUF_Q(0)), WM(2, MMIO_DEF(2))}),
    C(movdqu_ld, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, MB), WB(1, MMIO_DEF(2)), WB(2, BUF_Q(2))}),
    C(movd_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, 0x01234567), WB(1, 0)}),
    C(movq_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, ML), WB(1, 0)}),
    C(movq_ld_w, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, ML), WB(1, 0)}),
    C(movdqa_ld_x12, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, MMIO_DEF(2)), WB(1, MMIO_DEF(3))}),
    C(movaps_ld, .m0 = ML, .m1 = MB, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(2, ML), WB(3, MB)}),
    C(movups_ld, .m0 = ML, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0xB6B7B80123456789), WB(1, 0xB2B2B2B1B2B3B4B5)}),
    C(vmovdqu_st_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(0, BUF_Q(0)), WM(3, BUF_Q(3)), WM(4, MMIO_DEF(4))}),
    C(vmovdqu_st_x11, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(2, BUF_Q(1)), WM(3, MMIO_DEF(3))}),
    C(vmovdqu_st_r8, .avx = true, .r = {WIN_PTR(R8), VBUF},
      .w = {WM(4, BUF_Q(0)), WM(7, BUF_Q(3))}),
    C(vmovdqu_ld_y14, .avx = true, .m0 = ML, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(4, ML), WB(5, MB), WB(7, MMIO_DEF(3))}),
    C(vmovdqu_ld_x_zero, .avx = true, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, MB), WB(2, 0), WB(3, 0)}),
    C(movdqu_ld_keep, .avx = true, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, MB), WB(2, BUF_Q(2)), WB(3, BUF_Q(3))}),
    C(movd_ld_keep, .avx = true, .m0 = ML, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0x89ABCDEF), WB(1, 0), WB(2, BUF_Q(2))}),
    C(vmovups_st_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(4, BUF_Q(3)), WM(5, MMIO_DEF(5))}),
    C(vmovaps_ld_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, MMIO_DEF(4)), WB(3, MMIO_DEF(7)), WB(4, BUF_Q(4))}),
    C(vmovdqa_st_x, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(2, BUF_Q(0)), WM(3, BUF_Q(1)), WM(4, MMIO_DEF(4))}),
    C(vmovups_ld_x, .avx = true, .m0 = ML, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0xB5B6B7B801234567), WB(2, 0), WB(3, 0)}),
    /* MOVAPD/MOVUPD, MOVNT*, MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD and their VEX forms */
    C(movupd_st, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(2, BUF_Q(1)), WM(3, MMIO_DEF(3))}),
    C(movupd_ld, .m0 = ML, .m1 = MB, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0xB6B7B80123456789), WB(1, 0xB2B2B2B1B2B3B4B5)}),
    C(movapd_ld, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, MMIO_DEF(2)), WB(1, MMIO_DEF(3))}),
    C(movntdq_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(2, BUF_Q(0)), WM(3, BUF_Q(1))}),
    C(movntps_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(4, BUF_Q(0)), WM(5, BUF_Q(1))}),
    C(movntpd_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(0, BUF_Q(2)), WM(1, BUF_Q(3))}),
    C(movss_st, .m0 = MA, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(0, 0x43424140A5A6A7A8)}),
    C(movsd_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(1, BUF_Q(0)), WM(2, MMIO_DEF(2))}),
    C(movss_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, 0x01234567), WB(1, 0)}),
    C(movsd_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, ML), WB(1, 0)}),
    C(movlps_ld, .m1 = MB, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, MB), WB(1, BUF_Q(1))}),
    C(movhps_ld, .m1 = MB, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, BUF_Q(0)), WB(1, MB)}),
    C(movlps_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(5, BUF_Q(0)), WM(6, MMIO_DEF(6))}),
    C(movhps_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(3, BUF_Q(1)), WM(4, MMIO_DEF(4))}),
    C(movlpd_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, ML), WB(1, BUF_Q(1))}),
    C(movhpd_ld, .m0 = ML, .r = {WIN_PTR(RSI), VBUF}, .w = {WB(0, BUF_Q(0)), WB(1, ML)}),
    C(movlpd_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(1, BUF_Q(0)), WM(2, MMIO_DEF(2))}),
    C(movhpd_st, .r = {WIN_PTR(RSI), VBUF}, .w = {WM(1, BUF_Q(1)), WM(2, MMIO_DEF(2))}),
    C(vmovupd_st_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(4, BUF_Q(3)), WM(5, MMIO_DEF(5))}),
    C(vmovapd_ld_x, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, MMIO_DEF(2)), WB(1, MMIO_DEF(3)), WB(2, 0)}),
    C(vmovntdq_st_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(4, BUF_Q(0)), WM(7, BUF_Q(3))}),
    C(vmovntps_st_x, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(2, BUF_Q(0)), WM(3, BUF_Q(1)), WM(4, MMIO_DEF(4))}),
    C(vmovntpd_st_y, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(0, BUF_Q(0)), WM(3, BUF_Q(3)), WM(4, MMIO_DEF(4))}),
    C(vmovss_ld, .avx = true, .m0 = ML, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0x01234567), WB(1, 0), WB(2, 0)}),
    C(vmovss_st, .avx = true, .m0 = MA, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(0, 0x43424140A5A6A7A8)}),
    C(vmovsd_ld, .avx = true, .m0 = ML, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, ML), WB(1, 0), WB(3, 0)}),
    C(vmovsd_st, .avx = true, .r = {WIN_PTR(RSI), VBUF},
      .w = {WM(1, BUF_Q(0)), WM(2, MMIO_DEF(2))}),
    C(movss_ld_keep, .avx = true, .m0 = ML, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, 0x01234567), WB(1, 0), WB(2, BUF_Q(2))}),
    C(movhps_ld_keep, .avx = true, .m0 = ML, .r = {WIN_PTR(RSI), VBUF},
      .w = {WB(0, BUF_Q(0)), WB(1, ML), WB(3, BUF_Q(3))}),
    /* INS/OUTS (6C/6E) with REP, DF=0 and DF=1 */
    C(rep_insb, .m0 = MA, .r = {R(WIN, RDI, 1), R(ABS, RCX, 3)},
      .w = {WM(0, 0xA1A2A3A45A5A5AA8), WR(RDI, 4), WR(RCX, 0)}),
    C(std_rep_insb, .m0 = MA, .r = {R(WIN, RDI, 6), R(ABS, RCX, 3)},
      .w = {WM(0, 0xA1C3C3C3A5A6A7A8), WR(RDI, 3), WR(RCX, 0)}),
    C(rep_outsb, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RCX, 3), R(ABS, RAX, 0)},
      .w = {WR(RAX, 0xA6), WR(RSI, 3), WR(RCX, 0)}),
    C(std_rep_outsb, .m0 = MA, .r = {R(WIN, RSI, 7), R(ABS, RCX, 4), R(ABS, RAX, 0)},
      .w = {WR(RAX, 0xA4), WR(RSI, 3), WR(RCX, 0)}),
    C(insb1, .m0 = MA, .r = {WIN_PTR(RDI)}, .w = {WM(0, 0xA1A2A3A4A5A6A77E), WR(RDI, 1)}),
    C(rep_insl, .m0 = MA, .m1 = MB, .r = {R(WIN, RDI, 4), R(ABS, RCX, 2)},
      .w = {WM(0, 0xFFFFFFFFA5A6A7A8), WM(1, 0xB1B2B3B4FFFFFFFF), WR(RDI, 12)}),
    C(std_rep_insw, .m0 = MA, .r = {R(WIN, RDI, 6), R(ABS, RCX, 2)},
      .w = {WM(0, 0xFFFFFFFFA5A6A7A8), WR(RDI, 2), WR(RCX, 0)}),
    C(rep_outsl, .m0 = MA, .r = {WIN_PTR(RSI), R(ABS, RCX, 3)},
      .w = {WR(RSI, 12), WR(RCX, 0), WM(0, MA)}),
};

/* The RAM side: a mirror of the window, and the buffer MOVS reads or writes. */
static u64 mmio_ram_win[MMIO_QWORDS] __aligned(64);
static u64 mmio_buf[MMIO_QWORDS] __aligned(64);

/* A run's outcome, pointer registers as offsets from their base. */
struct mmio_result {
	struct mmio_cpu cpu;
	u64 win[MMIO_QWORDS];
	u64 buf[MMIO_QWORDS];
};

/* 64-bit MOV store and load at an address (the base forms every case relies on). */
static void mmio_store64(uintptr_t at, u64 v)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(at), "r"(v) : "memory");
}

static u64 mmio_load64(uintptr_t at)
{
	u64 v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(at) : "memory");
	return v;
}

static void mmio_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static u64 mmio_reg_base(const struct mmio_reg *r, uintptr_t win)
{
	if (r->kind == K_WIN)
		return win;
	return r->kind == K_BUF ? (uintptr_t)mmio_buf : 0;
}

/* Sets up the window at win (RAM or device) and the registers, runs c once. */
static void mmio_run(const struct mmio_case *c, uintptr_t win, struct mmio_result *out)
{
	for (u32 i = 0; i < MMIO_QWORDS; i++) {
		mmio_store64(win + 8 * i, i == 0 ? c->m0 : i == 1 ? c->m1 : MMIO_DEF(i));
		mmio_buf[i] = BUF_Q(i);
	}
	for (u32 i = 0; i < 16; i++)
		mmio_in.gpr[i] = 0x8BADF00D00000000ULL | (i * 0x11111111ULL);
	for (u32 i = 0; i < ARRAY_SIZE(c->r) && c->r[i].kind != K_NONE; i++)
		mmio_in.gpr[c->r[i].reg] = mmio_reg_base(&c->r[i], win) + c->r[i].val;
	mmio_in.flags = X86_RFLAGS_FIXED1 | c->flags;
	if (c->fs_buf)
		mmio_wrmsr(X86_MSR_IA32_FS_BASE, (uintptr_t)mmio_buf);
	c->run();
	if (c->fs_buf)
		mmio_wrmsr(X86_MSR_IA32_FS_BASE, 0);
	out->cpu = mmio_out;
	for (u32 i = 0; i < ARRAY_SIZE(c->r) && c->r[i].kind != K_NONE; i++)
		out->cpu.gpr[c->r[i].reg] -= mmio_reg_base(&c->r[i], win);
	for (u32 i = 0; i < MMIO_QWORDS; i++) {
		out->win[i] = mmio_load64(win + 8 * i);
		out->buf[i] = mmio_buf[i];
	}
}

static const char *const mmio_reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

/* The first difference between the device run and the native one, or false. */
static bool mmio_differs(const struct mmio_case *c, const struct mmio_result *dev,
			 const struct mmio_result *ram)
{
	u64 mask = (F_STATUS | F_DF) & ~c->undef;

	for (u32 i = 0; i < 16; i++) {
		if (i == RSP || i == RBP || dev->cpu.gpr[i] == ram->cpu.gpr[i])
			continue;
		check_fail("%s: %s 0x%lx, native 0x%lx", c->text, mmio_reg_names[i],
			   dev->cpu.gpr[i], ram->cpu.gpr[i]);
		return true;
	}
	if ((dev->cpu.flags & mask) != (ram->cpu.flags & mask)) {
		check_fail("%s: rflags 0x%lx, native 0x%lx (compared 0x%lx)", c->text,
			   dev->cpu.flags, ram->cpu.flags, mask);
		return true;
	}
	for (u32 i = 0; i < MMIO_QWORDS; i++) {
		if (dev->win[i] != ram->win[i]) {
			check_fail("%s: window qword %u 0x%lx, native 0x%lx", c->text, i,
				   dev->win[i], ram->win[i]);
			return true;
		}
		if (dev->buf[i] != ram->buf[i]) {
			check_fail("%s: RAM qword %u 0x%lx, native 0x%lx", c->text, i, dev->buf[i],
				   ram->buf[i]);
			return true;
		}
	}
	return false;
}

/* The first hand-computed value that does not hold, or false. */
static bool mmio_wrong(const struct mmio_case *c, const struct mmio_result *r)
{
	for (u32 i = 0; i < ARRAY_SIZE(c->w) && c->w[i].kind != W_NONE; i++) {
		const struct mmio_want *w = &c->w[i];
		u64 got = w->kind == W_MEM   ? r->win[w->idx]
			  : w->kind == W_BUF ? r->buf[w->idx]
			  : w->kind == W_REG ? r->cpu.gpr[w->idx]
					     : r->cpu.flags & w->mask;
		const char *what = w->kind == W_MEM   ? "window qword"
				   : w->kind == W_BUF ? "RAM qword"
				   : w->kind == W_REG ? mmio_reg_names[w->idx]
						      : "flags";

		if (got == w->val)
			continue;
		if (w->kind == W_MEM || w->kind == W_BUF)
			check_fail("%s: %s %u 0x%lx, want 0x%lx", c->text, what, w->idx, got,
				   w->val);
		else
			check_fail("%s: %s 0x%lx, want 0x%lx", c->text, what, got, w->val);
		return true;
	}
	return false;
}

/* CPUID.1:ECX.MOVBE[bit 22] (SDM Vol. 2A "CPUID", Table 3-10). */
static bool mmio_has_movbe(void)
{
	return x86_cpuid(1, 0).ecx & BIT(22);
}

/* CPUID.1:ECX.CX16[bit 13]: CMPXCHG16B. */
static bool mmio_has_cx16(void)
{
	return x86_cpuid(1, 0).ecx & BIT(13);
}

/* Whether the AVX cases can run: set by mmio_enable_vector(). */
static bool mmio_avx;

static void mmio_xsetbv(u32 index, u64 v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

/*
 * SSE: CR4.OSFXSR and OSXMMEXCPT (SDM Vol. 3A 13.1.3). AVX where
 * CPUID.1:ECX says XSAVE (bit 26) and AVX (bit 28) exist and leaf 0DH
 * lists the SSE and AVX state: CR4.OSXSAVE, then XCR0 = x87|SSE|AVX
 * (Vol. 1 13.3, 14.3).
 */
static void mmio_enable_vector(void)
{
	u32 ecx = x86_cpuid(1, 0).ecx;

	x86_write_cr4(x86_read_cr4() | BIT(9) | BIT(10));
	if (!(ecx & BIT(26)) || !(ecx & BIT(28)) || (x86_cpuid(0xD, 0).eax & 6) != 6)
		return;
	x86_write_cr4(x86_read_cr4() | BIT(18));
	mmio_xsetbv(0, 7);
	mmio_avx = true;
}

/* Whether case c runs on this CPU. */
static bool mmio_case_runs(const struct mmio_case *c)
{
	return (!c->movbe || mmio_has_movbe()) && (!c->avx || mmio_avx) &&
	       (!c->cx16 || mmio_has_cx16());
}

static void mmio_case_check(const struct mmio_case *c)
{
	static struct mmio_result dev, ram;

	if (c->movbe && !mmio_has_movbe()) {
		print("SKIP %s: no MOVBE on this CPU\n", c->text);
		return;
	}
	if (c->avx && !mmio_avx) {
		print("SKIP %s: no AVX on this CPU\n", c->text);
		return;
	}
	if (c->cx16 && !mmio_has_cx16()) {
		print("SKIP %s: no CMPXCHG16B on this CPU\n", c->text);
		return;
	}
	mmio_run(c, MMIO_WIN, &dev);
	if (!c->dev_only) {
		mmio_run(c, (uintptr_t)mmio_ram_win, &ram);
		if (mmio_differs(c, &dev, &ram))
			return;
	}
	if (!mmio_wrong(c, &dev))
		check_pass("%s%s", c->text, c->dev_only ? " (device only)" : " (= native)");
}

/* The device itself: zero at first, 8-byte round trip, bytes at both ends. */
static void mmio_check_device(void)
{
	check_eq("fresh device reads 0 at offset 0xff8", mmio_load64(MMIO_DEV + 0xFF8), 0);
	check_eq("fresh device reads 0 at offset 0", mmio_load64(MMIO_DEV), 0);
	mmio_store64(MMIO_DEV, 0x1122334455667788);
	check_eq("movq store then load at offset 0", mmio_load64(MMIO_DEV), 0x1122334455667788);
	mmio_store64(MMIO_DEV + 0xFF8, 0x8877665544332211);
	check_eq("movq store then load at offset 0xff8", mmio_load64(MMIO_DEV + 0xFF8),
		 0x8877665544332211);
	check_eq("offset 0 kept its value", mmio_load64(MMIO_DEV), 0x1122334455667788);
}

/*
 * Issue 15 item 6 in 64-bit code: a MOVSB from the device to a
 * non-canonical RDI must give #GP(0) (the CPU checks only the access it
 * makes, the device read), and CALL/JMP through the device reach their
 * 64-bit targets.
 */
void mmio_ret_target(void);
__asm__(".text\n"
	"mmio_ret_target: ret\n");

static void mmio_check_64(void)
{
	volatile u64 *dev = (volatile u64 *)(uintptr_t)MMIO_DEV;
	u64 si = MMIO_DEV + 0x40, di = 0x0000800000000000ULL, sp0, sp1;

	trap_reset();
	__asm__ volatile(TRAP_INSN("movsb") : "+S"(si), "+D"(di) : : "memory");
	if (trap_expect("movsb from the device to a non-canonical rdi: #GP(0)", TRAP_GP, 0) &&
	    (si != MMIO_DEV + 0x40 || di != 0x0000800000000000ULL))
		check_fail("movsb to a non-canonical rdi moved rsi/rdi: 0x%lx 0x%lx",
			   (unsigned long)si, (unsigned long)di);
	dev[0x50 / 8] = (u64)(uintptr_t)mmio_ret_target;
	__asm__ volatile("mov %%rsp, %0\n"
			 "call *(%2)\n"
			 "mov %%rsp, %1\n"
			 : "=&r"(sp0), "=&r"(sp1)
			 : "r"(MMIO_DEV + 0x50)
			 : "memory", "cc");
	if (sp0 == sp1)
		check_pass("call qword [device] went to its target and returned");
	else
		check_fail("call qword [device]: rsp 0x%lx before, 0x%lx after", (unsigned long)sp0,
			   (unsigned long)sp1);
}

/*
 * DIV/IDIV that fault, on the RAM mirror (the CPU) and on the device
 * (Keel, after its read): #DE for a zero divisor, a quotient too large and
 * IDIV's most negative dividend by -1, with rAX and rDX unchanged.
 */
static void mmio_check_de(void)
{
	static const struct {
		const char *what[2]; /* RAM, device */
		u64 rax, rdx;
	} f[] = {
	    {{"divl by 0: #DE (native)", "divl by 0: #DE (device)"}, 5, 0},
	    {{"idivq INT64_MIN by -1: #DE (native)", "idivq INT64_MIN by -1: #DE (device)"},
	     0x8000000000000000ULL,
	     ~0ULL},
	    {{"divb 0x1000 by 0x10: #DE (native)", "divb 0x1000 by 0x10: #DE (device)"}, 0x1000, 0},
	};
	const uintptr_t win[2] = {(uintptr_t)mmio_ram_win, MMIO_WIN};

	for (u32 w = 0; w < 2; w++) {
		mmio_store64(win[w], 0);
		mmio_store64(win[w] + 8, ~0ULL);
		mmio_store64(win[w] + 16, 0x10);
		for (u32 i = 0; i < ARRAY_SIZE(f); i++) {
			u64 a = f[i].rax, d = f[i].rdx;

			trap_reset();
			if (i == 0)
				__asm__ volatile(TRAP_INSN("divl (%2)")
						 : "+a"(a), "+d"(d)
						 : "r"(win[w])
						 : "memory", "cc");
			else if (i == 1)
				__asm__ volatile(TRAP_INSN("idivq 8(%2)")
						 : "+a"(a), "+d"(d)
						 : "r"(win[w])
						 : "memory", "cc");
			else
				__asm__ volatile(TRAP_INSN("divb 16(%2)")
						 : "+a"(a), "+d"(d)
						 : "r"(win[w])
						 : "memory", "cc");
			if (trap_expect(f[i].what[w], TRAP_DE, 0) &&
			    (a != f[i].rax || d != f[i].rdx))
				check_fail("%s: rax 0x%lx rdx 0x%lx changed", f[i].what[w],
					   (unsigned long)a, (unsigned long)d);
		}
	}
}

/* An access Keel must refuse: prints the marker, makes it, fails if it returns. */
static void mmio_bad(const char *args)
{
	u64 at = MMIO_DEV + 0x40, v = 1;

	if (bootargs_has(args, "bad", "bsf")) {
		print("PASS before bsf\n");
		__asm__ volatile("bsfl (%%rsi), %%eax" : "+a"(v) : "S"(at) : "memory", "cc");
	} else if (bootargs_has(args, "bad", "shld")) {
		print("PASS before shld\n");
		__asm__ volatile("shldl $1, %%eax, (%%rsi)" : : "S"(at), "a"(v) : "memory", "cc");
	} else if (bootargs_has(args, "bad", "sse")) {
		x86_write_cr4(x86_read_cr4() | BIT(9) /* CR4.OSFXSR */);
		print("PASS before sse\n");
		/* No xmm0 clobber: -mgeneral-regs-only code never holds anything there. */
		__asm__ volatile("paddd (%%rsi), %%xmm0" : : "S"(at) : "memory");
	} else if (bootargs_has(args, "bad", "straddle")) {
		at = MMIO_DEV + MMIO_DEV_SIZE - 2;
		print("PASS before straddle\n");
		__asm__ volatile("movl %%eax, (%%rsi)" : : "S"(at), "a"(v) : "memory");
	} else if (bootargs_has(args, "bad", "vstraddle")) {
		x86_write_cr4(x86_read_cr4() | BIT(9) /* CR4.OSFXSR */);
		at = MMIO_DEV + MMIO_DEV_SIZE - 8;
		print("PASS before vstraddle\n");
		__asm__ volatile("movdqu %%xmm0, (%%rsi)" : : "S"(at) : "memory");
	} else {
		check_fail("bad=: not one of bsf, shld, sse, straddle, vstraddle");
		return;
	}
	check_fail("%s: the refused access returned to the guest", args);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const char *args = bootargs_keel(info, magic), *bad;
	size_t bad_len;
	u32 forms = 0;
	u64 v;

	idt_init();
	if (bootargs_find(args, "bad", &bad, &bad_len)) {
		mmio_bad(args);
		return;
	}
	if (bootargs_has(args, "probe", "1")) {
		print("PASS before probe\n");
		v = mmio_load64(MMIO_DEV);
		check_fail("probe: the load returned 0x%lx", v);
		return;
	}
	mmio_enable_vector();
	for (u32 i = 0; i < ARRAY_SIZE(mmio_cases); i++)
		forms += mmio_case_runs(&mmio_cases[i]);
	print("mmio: %u instruction forms against the device at 0x%lx\n", forms,
	      (unsigned long)MMIO_DEV);
	mmio_check_device();
	for (u32 i = 0; i < ARRAY_SIZE(mmio_cases); i++)
		mmio_case_check(&mmio_cases[i]);
	mmio_check_64();
	mmio_check_de();
}
