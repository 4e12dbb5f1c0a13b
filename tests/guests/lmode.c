/*
 * Guest "lmode" (32-bit Multiboot v1 ELF): a guest that changes paging mode
 * by itself, as a boot loader or an OS does (issue 7, tests/emu/test_cpu.py;
 * SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode", 4.1 paging modes). From
 * Keel's multiboot entry (protected mode, paging off) it
 *
 *   - turns on 32-bit paging (4 MiB pages), where WRMSR to EFER.LME must
 *     raise #GP(0), and turns it off;
 *   - turns on PAE paging, natively and through Keel (a CR0 write with ET
 *     clear changes an owned bit, so Keel emulates it and must load the
 *     PDPTEs); a PDPTE with a reserved bit makes the same write #GP(0);
 *   - tries CR0.PG with EFER.LME and no CR4.PAE: #GP(0), both ways;
 *   - enters IA-32e mode, natively and through Keel: identity page tables,
 *     CR4.PAE, EFER.LME, CR0.PG; checks EFER.LMA; far-jumps to the 64-bit
 *     code segment of its own GDT, where 64-bit code prints a PASS line and
 *     stores a 64-bit value; returns to compatibility mode, clears CR0.PG
 *     and checks EFER.LMA = 0 (Keel must keep EFER and the "IA-32e mode
 *     guest" entry control in step, or the next VM entry fails);
 *   - after each round takes a #UD through its 32-bit IDT, proving it is
 *     back in legacy protected mode.
 *
 * While in IA-32e mode the 32-bit IDT is unusable: nothing may fault there.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"

#define LM_SEL_CODE32 0x08
#define LM_SEL_CODE64 0x18
#define LM_PSE	      BIT(4) /* CR4.PSE */
#define LM_PTE_P      BIT(0)
#define LM_PTE_RW     BIT(1)
#define LM_PTE_PS     BIT(7)
#define LM_MAGIC64    0x123456789ABCDEF0ULL
#define LM_ALIAS      (8 * MiB) /* linear [8, 10) MiB -> physical [0, 2) MiB in lm_pd_alias */

/* Flat code32, data, and a 64-bit code segment (SDM Vol. 3A 3.4.5, 5.2.1). */
/* Not const: loading a segment sets the accessed bit in its descriptor. */
static u64 lm_gdt[] __aligned(8) = {
    0, 0x00CF9A000000FFFFULL, /* 0x08: 32-bit code, as crt32.S */
    0x00CF92000000FFFFULL,    /* 0x10: data */
    0x00AF9A000000FFFFULL,    /* 0x18: 64-bit code: L=1, D=0 */
};

static u64 lm_pml4[512] __aligned(4096);
static u64 lm_pdpt[512] __aligned(4096);
static u64 lm_pd[512] __aligned(4096);	     /* 2 MiB pages: 4-level and PAE share it */
static u64 lm_pd_alias[512] __aligned(4096); /* the same, but LM_ALIAS maps physical 0 */
static u32 lm_pd32[1024] __aligned(4096);
/* PAE PDPTs: [0] for the native round, [1] (through lm_pd_alias) for Keel's. */
static u64 lm_pae_pdpt[2][4] __aligned(32);
static volatile u32 lm_marker = 0x4C4D4F44; /* "LMOD", read through the alias */

/* What the 64-bit code leaves behind (offsets used by lm_code64 below). */
static struct {
	u64 magic; /* +0: a 64-bit immediate, stored with a 64-bit register */
	u64 efer;  /* +8: IA32_EFER as read in 64-bit mode */
	u64 cs;	   /* +16 */
} __aligned(8) lm_seen;

/*
 * The 64-bit code: EDI points at lm_seen. Returns with a 32-bit far return
 * to the CS:EIP the 32-bit caller pushed.
 */
__asm__(".pushsection .text\n"
	".code64\n"
	"lm_code64:\n"
	"	mov %esp, %esp\n" /* RSP and RDI: zero-extend what 32-bit code set */
	"	mov %edi, %edi\n"
	"	movabs $0x123456789ABCDEF0, %rax\n"
	"	mov %rax, 0(%rdi)\n"
	"	mov $0xC0000080, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, 8(%rdi)\n"
	"	mov %edx, 12(%rdi)\n"
	"	xor %eax, %eax\n"
	"	mov %cs, %ax\n"
	"	mov %rax, 16(%rdi)\n"
	"	mov $lm_msg64, %esi\n"
	"	mov $0x3F8, %edx\n"
	"1:	lodsb\n"
	"	test %al, %al\n"
	"	jz 2f\n"
	"	out %al, %dx\n"
	"	jmp 1b\n"
	"2:	lret\n"
	".code32\n"
	".popsection\n");

static const char lm_msg64[] __attribute__((used)) =
    "PASS hello from 64-bit code: CS.L=1, RAX holds 64 bits\n";

static void lm_load_gdt(void)
{
	struct {
		u16 pad;
		u16 limit;
		u32 base;
	} __packed __aligned(4) d = {0, sizeof(lm_gdt) - 1, (u32)(uintptr_t)lm_gdt};

	__asm__ volatile("lgdt %0\n"
			 "ljmp %1, $1f\n"
			 "1:\n"
			 :
			 : "m"(d.limit), "i"(LM_SEL_CODE32)
			 : "memory");
}

static void lm_build_tables(void)
{
	for (u32 i = 0; i < 512; i++)
		lm_pd[i] = lm_pd_alias[i] = (u64)i * (2 * MiB) | LM_PTE_P | LM_PTE_RW | LM_PTE_PS;
	lm_pd_alias[LM_ALIAS / (2 * MiB)] = LM_PTE_P | LM_PTE_RW | LM_PTE_PS;
	for (u32 i = 0; i < 1024; i++)
		lm_pd32[i] = (i << 22) | LM_PTE_P | LM_PTE_RW | LM_PTE_PS;
	lm_pdpt[0] = (u32)(uintptr_t)lm_pd | LM_PTE_P | LM_PTE_RW;
	lm_pml4[0] = (u32)(uintptr_t)lm_pdpt | LM_PTE_P | LM_PTE_RW;
	/* PAE PDPTEs: RW is reserved here. */
	lm_pae_pdpt[0][0] = (u32)(uintptr_t)lm_pd | LM_PTE_P;
	lm_pae_pdpt[1][0] = (u32)(uintptr_t)lm_pd_alias | LM_PTE_P;
}

static u64 lm_rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static void lm_wrmsr(u32 msr, u64 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("wrmsr") : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static void lm_write_cr0(u32 v)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("mov %0, %%cr0") : : "r"(v) : "memory");
}

static void lm_write_cr3(u32 v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/*
 * CR0 with PG as given. Through Keel: also clear ET, an owned bit (ET is
 * hardwired, so the guest sees no difference), which makes the write exit.
 */
static u32 lm_cr0(u32 base, bool pg, bool via_keel)
{
	u32 v = pg ? base | X86_CR0_PG : base & ~X86_CR0_PG;

	return via_keel ? v & ~X86_CR0_ET : v;
}

/* A #UD through the 32-bit IDT: back in legacy protected mode. */
static void lm_expect_legacy(const char *what)
{
	trap_reset();
	__asm__ volatile(TRAP_INSN("ud2") : : : "memory");
	trap_expect(what, TRAP_UD, 0);
}

static void lm_round_32bit(void)
{
	u32 cr0 = x86_read_cr0(), cr4 = x86_read_cr4();

	x86_write_cr4(cr4 | LM_PSE);
	lm_write_cr3((u32)(uintptr_t)lm_pd32);
	lm_write_cr0(lm_cr0(cr0, true, false));
	if (!trap_expect_none("32-bit paging on (CR0.PG, CR4.PSE)"))
		return;
	lm_wrmsr(X86_MSR_IA32_EFER, X86_EFER_LME);
	trap_expect("wrmsr EFER.LME with paging on raises #GP(0)", TRAP_GP, 0);
	check_eq("EFER unchanged", lm_rdmsr(X86_MSR_IA32_EFER), 0);
	lm_write_cr0(cr0);
	trap_expect_none("32-bit paging off");
	x86_write_cr4(cr4);
	lm_expect_legacy("after 32-bit paging: #UD reaches the 32-bit IDT");
}

/*
 * PAE paging natively, or through Keel with the PDPT whose PD maps LM_ALIAS
 * to physical 0: reading lm_marker through the alias proves the PDPTEs in
 * use are this PDPT's, not stale ones from the native round.
 */
static void lm_round_pae(bool via_keel)
{
	u32 cr0 = x86_read_cr0(), cr4 = x86_read_cr4();
	u64 *pdpt = lm_pae_pdpt[via_keel];

	x86_write_cr4(cr4 | X86_CR4_PAE);
	lm_write_cr3((u32)(uintptr_t)pdpt);
	pdpt[1] = LM_PTE_P | LM_PTE_RW; /* RW is reserved in a PDPTE */
	lm_write_cr0(lm_cr0(cr0, true, via_keel));
	if (trap_expect(via_keel ? "PAE paging with a reserved PDPTE bit: #GP(0) (through Keel)"
				 : "PAE paging with a reserved PDPTE bit: #GP(0) (natively)",
			TRAP_GP, 0))
		check_eq("CR0.PG still clear", x86_read_cr0() & X86_CR0_PG, 0);
	pdpt[1] = 0;
	lm_write_cr0(lm_cr0(cr0, true, via_keel));
	if (trap_expect_none(via_keel ? "PAE paging on, through Keel"
				      : "PAE paging on, natively")) {
		check_eq("PAE paging: EFER.LMA clear", lm_rdmsr(X86_MSR_IA32_EFER) & X86_EFER_LMA,
			 0);
		check_eq("PAE paging: CR0.ET still reads 1", x86_read_cr0() & X86_CR0_ET,
			 X86_CR0_ET);
		if (via_keel)
			check_eq(
			    "PAE paging through Keel: the PDPTEs are this PDPT's (alias reads)",
			    *(volatile u32 *)(LM_ALIAS + (uintptr_t)&lm_marker), lm_marker);
	}
	lm_write_cr0(lm_cr0(cr0, false, via_keel));
	trap_expect_none("PAE paging off");
	x86_write_cr4(cr4);
	lm_expect_legacy("after PAE paging: #UD reaches the 32-bit IDT");
}

static void lm_no_pae(bool via_keel)
{
	u32 cr0 = x86_read_cr0();

	lm_write_cr3((u32)(uintptr_t)lm_pml4);
	lm_wrmsr(X86_MSR_IA32_EFER, X86_EFER_LME);
	trap_expect_none("wrmsr EFER.LME with paging off");
	lm_write_cr0(lm_cr0(cr0, true, via_keel));
	trap_expect(via_keel ? "CR0.PG with EFER.LME and no CR4.PAE: #GP(0) (through Keel)"
			     : "CR0.PG with EFER.LME and no CR4.PAE: #GP(0) (natively)",
		    TRAP_GP, 0);
	check_eq("EFER.LMA still clear", lm_rdmsr(X86_MSR_IA32_EFER) & X86_EFER_LMA, 0);
	lm_wrmsr(X86_MSR_IA32_EFER, 0);
}

/* In compatibility mode: far-jump to the 64-bit code and come back. */
static void lm_run_64bit(void)
{
	__asm__ volatile("pushl %[cs]\n"
			 "pushl $1f\n"
			 "ljmp %[cs64], $lm_code64\n"
			 "1:\n"
			 :
			 : "D"(&lm_seen), [cs] "i"(LM_SEL_CODE32), [cs64] "i"(LM_SEL_CODE64)
			 : "eax", "ecx", "edx", "esi", "memory", "cc");
}

static void lm_round_long(bool via_keel)
{
	u32 cr0 = x86_read_cr0(), cr4 = x86_read_cr4();
	u64 efer;

	lm_seen.magic = lm_seen.efer = lm_seen.cs = 0;
	x86_write_cr4(cr4 | X86_CR4_PAE);
	lm_write_cr3((u32)(uintptr_t)lm_pml4);
	lm_wrmsr(X86_MSR_IA32_EFER, X86_EFER_LME);
	lm_write_cr0(lm_cr0(cr0, true, via_keel));
	/* From here until paging is off again nothing may fault: the IDT is 32-bit. */
	if (!trap_expect_none(via_keel ? "CR0.PG with EFER.LME and CR4.PAE, through Keel"
				       : "CR0.PG with EFER.LME and CR4.PAE, natively")) {
		lm_wrmsr(X86_MSR_IA32_EFER, 0);
		x86_write_cr4(cr4);
		return;
	}
	efer = lm_rdmsr(X86_MSR_IA32_EFER);
	lm_run_64bit();
	lm_write_cr0(lm_cr0(cr0, false, via_keel));
	check_eq(via_keel ? "IA-32e mode through Keel: EFER.LME and LMA set"
			  : "IA-32e mode natively: EFER.LME and LMA set",
		 efer & (X86_EFER_LME | X86_EFER_LMA), X86_EFER_LME | X86_EFER_LMA);
	check_eq("64-bit code stored a 64-bit value", lm_seen.magic, LM_MAGIC64);
	check_eq("64-bit code read EFER.LMA set", lm_seen.efer & X86_EFER_LMA, X86_EFER_LMA);
	check_eq("64-bit code ran with CS = the 64-bit selector", lm_seen.cs, LM_SEL_CODE64);
	efer = lm_rdmsr(X86_MSR_IA32_EFER);
	check_eq(via_keel ? "left IA-32e mode through Keel: EFER.LMA clear, LME set"
			  : "left IA-32e mode natively: EFER.LMA clear, LME set",
		 efer & (X86_EFER_LME | X86_EFER_LMA), X86_EFER_LME);
	check_eq("CR0.PG clear again", x86_read_cr0() & X86_CR0_PG, 0);
	lm_wrmsr(X86_MSR_IA32_EFER, 0);
	x86_write_cr4(cr4);
	lm_expect_legacy("after IA-32e mode: #UD reaches the 32-bit IDT");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	idt_init();
	print("lmode: paging modes and IA-32e mode entered and left by the guest\n");
	lm_load_gdt();
	lm_build_tables();
	check_eq("entry: CR0.PG clear, EFER clear",
		 (x86_read_cr0() & X86_CR0_PG) | lm_rdmsr(X86_MSR_IA32_EFER), 0);
	lm_round_32bit();
	lm_round_pae(false);
	lm_round_pae(true);
	lm_no_pae(false);
	lm_no_pae(true);
	lm_round_long(false);
	lm_round_long(true);
}
