/*
 * Guest "attack_mmio" (multiboot, 32-bit): device accesses the CPU makes on
 * its own, not for the instruction at EIP (issue 15, tests/emu/test_hostile.py).
 * Keel emulates an MMIO access by decoding the instruction at EIP; these
 * accesses must not be taken for that instruction's (docs/mmio.md, "What
 * is not the instruction's access").
 *
 *   --
 * mode=push-apic|push-dev|idt-dev|pt|pdpte-dev|pdpte-cr0|reloc|straddle|movs|segs|dbg|branch|ac
 *
 *   push-apic  ESP = APIC base + 0x304, EAX = a fixed self IPI (vector 0xF0),
 *              then XCHG EAX, FS:[0x100] with FS null: #GP(0), whose first
 *              push (EFLAGS, at ESP - 4) lands on the ICR. The XCHG never
 *              executes: no IPI may be sent. Keel must end the guest naming
 *              event delivery (vector 13).
 *   push-dev   the same with the stack on the test MMIO device
 *              (testmmio=on, 0xFEB00000 + 0x104).
 *   idt-dev    the same XCHG with the stack in RAM and the IDT on the test
 *              device: delivering the #GP reads its gate from the device.
 *   pt         32-bit paging (4 MiB pages) with one page table on the test
 *              MMIO device: a MOV to a linear address it maps makes the
 *              CPU read the entry from the device. Keel must end the guest
 *              naming the page-table walk; the MOV's value must not reach
 *              the entry (the guest reads it back, and says so if it did).
 *
 *   pdpte-dev  PAE paging (2 MiB pages) from a PDPT in RAM, then MOV CR3 with
 *              the test device's page: the CPU loads the four PDPTEs from the
 *              device, an access with no linear address. Keel must end the
 *              guest naming it.
 *   pdpte-cr0  CR4.PAE and CR3 = the test device's page with paging off, then
 *              CR0.PG together with CR0.CD, which Keel owns: Keel emulates
 *              that MOV and its PDPTE load, which reads the device and must
 *              end the guest the same way, not raise #GP.
 *   reloc      IA32_APIC_BASE moved onto the test device's page, then onto
 *              the I/O APIC's (SDM Vol. 3A 11.4.5): at the new base the APIC
 *              answers (its version register) and takes the writes, the device
 *              under it sees none; moved back, the device answers again with
 *              what it held. Globally disabled there, the page is the device's.
 *              Last, moved onto the test device again, it reads the old base,
 *              where nothing is left: Keel must end the guest with its
 *              "outside guest RAM and MMIO" report for 0xfee00030.
 *
 *   straddle   32-bit paging with 4 KiB pages at linear AM_LINEAR: a RAM page,
 *              the test device's page, a RAM page, the device's page again and
 *              a not-present page.
 *              4-byte writes and reads at 0xFFE of the first two pages span
 *              RAM and the device: the bytes must land two and two, in
 *              little-endian order, on both sides (before the fix Keel
 *              wrote all four to the device and none to RAM, or ended the
 *              guest). A write at 0xFFE of the fourth page, whose second
 *              half is not present, must give #PF with CR2 at the page.
 *              Then the vector moves (issue 15 item 3): MOVDQU, MOVUPS,
 *              MOVQ and MOVD across RAM and the device both ways and across
 *              the device mapped twice in a row, VMOVDQU ymm and VMOVUPS
 *              xmm where CPUID has AVX: every byte of the store and the
 *              whole register after the load as the CPU gives them across
 *              two RAM pages; a MOVDQU whose second page is not present
 *              must give #PF at that page with the device untouched.
 *
 *   movs       REP MOVSB (DF=0) and REP MOVSD (DF=1) from the test device to
 *              another offset of it: both sides are the device. Keel used to
 *              end the guest (the destination was not RAM).
 *
 *   segs       MOVSB and CMPSB from the test device to ES:EDI where ES is
 *              read-only, a code segment, limited to 0xFFF (EDI 0x1000), or
 *              expand-down with limit 0xFFF (EDI 0xFFF): each #GP(0), as the
 *              CPU gives for the side it checks itself. Keel used to write
 *              (or compare) the byte: it checked no segment.
 *
 *   dbg        DR0 a 4-byte write breakpoint and DR1 a 1-byte read/write
 *              breakpoint on the test device: each emulated access that
 *              meets them must give one #DB trap after it, DR6.B0-B3 naming
 *              them; accesses that do not, none. Then DR2 an I/O breakpoint
 *              on port 0x80 with CR4.DE: the emulated IN/OUT likewise. Keel
 *              used to give none.
 *
 *   branch     CALL and JMP through a target stored on the test device
 *              (FF /2, FF /4): they must reach it (the CALL's return address
 *              pushed to the RAM stack). Keel used to end the guest
 *              (unsupported instruction).
 *
 *   ac         alignment checking (CR0.AM, EFLAGS.AC) at CPL 3, entered by
 *              IRET through a TSS and left through a call gate: MOVSD and
 *              CMPSD from the device to an unaligned ES:EDI in RAM and
 *              PUSH m from the device onto an unaligned stack must give
 *              #AC(0) and change nothing, as the CPU gives for the side it
 *              checks itself; with EFLAGS.AC clear, with CR0.AM clear, or
 *              at CPL 0 they complete. Keel used to complete them always.
 *              And VMCALL KEEL_HC_NOP at CPL 3 answers KEEL_HC_EPERM.
 *
 * The instruction after the XCHG is HLT, which Keel's decoder refuses: on
 * a Keel that emulated the XCHG and went on, the repeated #GP's push ends
 * the guest at the HLT with "unsupported instruction".
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/multiboot1.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "lib/string.h"

#define AM_APIC	    0xFEE00000u
#define AM_DEV	    0xFEB00000u
#define AM_IOAPIC   0xFEC00000u
#define AM_ICR_SELF 0x000440F0u /* ICR low: fixed, vector 0xF0, shorthand self */
#define AM_VALUE    0x5EC12E07u /* what the MOV in mode=pt stores */

/* SDM Vol. 3A 4.3 "32-Bit Paging": entry bits, CR bits. */
#define AM_P	   0x1u
#define AM_RW	   0x2u
#define AM_PS	   0x80u /* PDE: maps 4 MiB (CR4.PSE) */
#define AM_CR4_PSE 0x10u
#define AM_CR4_PAE 0x20u
#define AM_CR4_DE  0x08u
#define AM_CR0_PG  0x80000000u
#define AM_CR0_CD  0x40000000u /* owned by Keel: the MOV that sets it exits */
#define AM_LINEAR  0x40000000u /* PDE 0x100: its page table is on the device */

static u32 am_pd[1024] __attribute__((aligned(4096)));
static u64 am_pae_pd[512] __attribute__((aligned(4096)));
static u64 am_pdpt[4] __attribute__((aligned(32)));

/* Never returns: the push faults, Keel ends the guest. */
static void am_push_onto(u32 stack)
{
	print("push: esp 0x%x, xchg eax (0x%x), fs:[0x100] with fs null: #GP\n", stack + 4,
	      AM_ICR_SELF);
	__asm__ volatile("xor %%ecx, %%ecx\n"
			 "mov %%ecx, %%fs\n"
			 "mov %0, %%esp\n"
			 "xchg %%eax, %%fs:0x100\n"
			 "hlt\n"
			 :
			 : "r"(stack + 4), "a"(AM_ICR_SELF)
			 : "ecx", "memory");
}

/* Never returns: delivering the #GP reads its gate from the device. */
static void am_idt_on_device(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) idtr = {0x7FF, AM_DEV};

	print("idt: lidt base 0x%x, xchg eax, fs:[0x100] with fs null: #GP\n", AM_DEV);
	__asm__ volatile("lidt %0\n"
			 "xor %%ecx, %%ecx\n"
			 "mov %%ecx, %%fs\n"
			 "xchg %%eax, %%fs:0x100\n"
			 "hlt\n"
			 :
			 : "m"(idtr), "a"(AM_ICR_SELF)
			 : "ecx", "memory");
}

static void am_pt(void)
{
	volatile u32 *entry = (volatile u32 *)(uintptr_t)AM_DEV;
	u32 v;

	for (u32 i = 0; i < 4; i++) /* [0, 16 MiB): the image, its stack, the boot info */
		am_pd[i] = (i << 22) | AM_P | AM_RW | AM_PS;
	am_pd[AM_DEV >> 22] = (AM_DEV & ~0x3FFFFFu) | AM_P | AM_RW | AM_PS;
	am_pd[AM_LINEAR >> 22] = AM_DEV | AM_P | AM_RW;
	__asm__ volatile("mov %%cr4, %0; or %1, %0; mov %0, %%cr4" : "=&r"(v) : "i"(AM_CR4_PSE));
	__asm__ volatile("mov %0, %%cr3" : : "r"((u32)(uintptr_t)am_pd) : "memory");
	__asm__ volatile("mov %%cr0, %0; or %1, %0; mov %0, %%cr0" : "=&r"(v) : "i"(AM_CR0_PG));
	*entry = 0; /* the entry for AM_LINEAR: not present */
	print("pt: mov 0x%x to linear 0x%x, its page table at gpa 0x%x (the device)\n", AM_VALUE,
	      AM_LINEAR, AM_DEV);
	*(volatile u32 *)(uintptr_t)AM_LINEAR = AM_VALUE;
	v = *entry;
	if (v == AM_VALUE)
		print("pt: the MOV was applied to the page-table entry on the device: 0x%x\n", v);
	check_fail("pt: still running after a page-table walk through the device (entry 0x%x)", v);
}

#define AM_MSR_APIC_BASE 0x1B
#define AM_APIC_EN	 0x800u /* IA32_APIC_BASE: EN (BSP, bit 8, is read-only) */
#define AM_APIC_VERSION	 0x30
#define AM_APIC_TPR	 0x80
#define AM_VERSION_VALUE 0x00050014u /* docs/platform.md, Local APIC */
#define AM_IOAPIC_VER	 0x00170011u /* IOREGSEL 1 through IOWIN */

static volatile u32 *am_reg(u32 base, u32 off)
{
	return (volatile u32 *)(uintptr_t)(base + off);
}

static void am_apic_base(u32 base, bool enabled)
{
	u64 bsp = x86_rdmsr(AM_MSR_APIC_BASE) & 0x100;

	x86_wrmsr(AM_MSR_APIC_BASE, base | bsp | (enabled ? AM_APIC_EN : 0));
}

/* The APIC moved onto `page` answers there and takes the writes; moved back, `page` is the
 * device's. */
static void am_reloc_onto(u32 page, const char *dev)
{
	u32 v;

	am_apic_base(page, true);
	v = *am_reg(page, AM_APIC_VERSION);
	if (v == AM_VERSION_VALUE)
		check_pass("reloc: on the %s's page the APIC answers (version 0x%x)", dev, v);
	else
		check_fail("reloc: on the %s's page offset 0x30 reads 0x%x, not the APIC's version",
			   dev, v);
	*am_reg(page, AM_APIC_TPR) = 0x20;
	v = *am_reg(page, AM_APIC_TPR);
	if (v == 0x20)
		check_pass("reloc: the %s's page takes the APIC's TPR write", dev);
	else
		check_fail("reloc: TPR written 0x20 at the new base reads 0x%x", v);
	*am_reg(page, AM_APIC_TPR) = 0;
	am_apic_base(AM_APIC, true);
}

static void am_reloc(void)
{
	u32 v;

	*am_reg(AM_DEV, AM_APIC_VERSION) = 0xCAFE0030u;
	*am_reg(AM_DEV, AM_APIC_TPR) = 0x11111111u;
	am_reloc_onto(AM_DEV, "test device");
	v = *am_reg(AM_DEV, AM_APIC_VERSION);
	if (v == 0xCAFE0030u && *am_reg(AM_DEV, AM_APIC_TPR) == 0x11111111u)
		check_pass("reloc: moved back, the test device answers with what it held");
	else
		check_fail("reloc: moved back, the test device's 0x30 reads 0x%x, 0x80 0x%x", v,
			   *am_reg(AM_DEV, AM_APIC_TPR));
	am_reloc_onto(AM_IOAPIC, "I/O APIC");
	*am_reg(AM_IOAPIC, 0) = 1; /* IOREGSEL: VER */
	v = *am_reg(AM_IOAPIC, 0x10);
	if (v == AM_IOAPIC_VER)
		check_pass("reloc: moved back, the I/O APIC answers (version 0x%x)", v);
	else
		check_fail("reloc: moved back, the I/O APIC's VER reads 0x%x", v);
	am_apic_base(AM_DEV, true);
	am_apic_base(AM_DEV, false);
	v = *am_reg(AM_DEV, AM_APIC_VERSION);
	if (v == 0xCAFE0030u)
		check_pass(
		    "reloc: globally disabled on the test device's page, the device answers");
	else
		check_fail("reloc: disabled on the test device's page, 0x30 reads 0x%x", v);
	am_apic_base(AM_DEV, true);
	print("reloc: the APIC on 0x%x; reading the old base 0x%x\n", AM_DEV,
	      AM_APIC + AM_APIC_VERSION);
	v = *am_reg(AM_APIC, AM_APIC_VERSION);
	print("reloc: the old base answered 0x%x\n", v);
}

static u32 am_pt4k[1024] __attribute__((aligned(4096)));
static u8 am_ram[2][4096] __attribute__((aligned(4096)));

/*
 * Linear AM_LINEAR: RAM 0, the device, RAM 1, the device again, nothing,
 * the device twice more. Identity below 16 MiB and at the device.
 */
static void am_straddle_map(void)
{
	u32 v;

	for (u32 i = 0; i < 4; i++)
		am_pd[i] = (i << 22) | AM_P | AM_RW | AM_PS;
	am_pd[AM_DEV >> 22] = (AM_DEV & ~0x3FFFFFu) | AM_P | AM_RW | AM_PS;
	am_pd[AM_LINEAR >> 22] = (u32)(uintptr_t)am_pt4k | AM_P | AM_RW;
	am_pt4k[0] = (u32)(uintptr_t)am_ram[0] | AM_P | AM_RW;
	am_pt4k[1] = AM_DEV | AM_P | AM_RW;
	am_pt4k[2] = (u32)(uintptr_t)am_ram[1] | AM_P | AM_RW;
	am_pt4k[3] = AM_DEV | AM_P | AM_RW;
	am_pt4k[4] = 0;
	am_pt4k[5] = AM_DEV | AM_P | AM_RW; /* the device twice in a row */
	am_pt4k[6] = AM_DEV | AM_P | AM_RW;
	__asm__ volatile("mov %%cr4, %0; or %1, %0; mov %0, %%cr4" : "=&r"(v) : "i"(AM_CR4_PSE));
	__asm__ volatile("mov %0, %%cr3" : : "r"((u32)(uintptr_t)am_pd) : "memory");
	__asm__ volatile("mov %%cr0, %0; or %1, %0; mov %0, %%cr0" : "=&r"(v) : "i"(AM_CR0_PG));
}

/* One straddling write then read at linear at: ram/dev hold the two halves' bytes. */
static void am_straddle_one(const char *what, u32 at, volatile u8 *lo, volatile u8 *hi)
{
	u32 got;

	lo[0] = lo[1] = hi[0] = hi[1] = 0xEE;
	hi[2] = hi[3] = 0x5A;
	__asm__ volatile("movl %1, (%0)" : : "r"(at), "r"(0x44332211u) : "memory");
	if (lo[0] == 0x11 && lo[1] == 0x22 && hi[0] == 0x33 && hi[1] == 0x44 && hi[2] == 0x5A &&
	    hi[3] == 0x5A)
		check_pass("straddle: %s write: two bytes each side, in order", what);
	else
		check_fail("straddle: %s write: low side %02x %02x, high side %02x %02x %02x %02x",
			   what, lo[0], lo[1], hi[0], hi[1], hi[2], hi[3]);
	lo[0] = 0xA1;
	lo[1] = 0xB2;
	hi[0] = 0xC3;
	hi[1] = 0xD4;
	__asm__ volatile("movl (%1), %0" : "=r"(got) : "r"(at) : "memory");
	if (got == 0xD4C3B2A1u)
		check_pass("straddle: %s read: 0x%x", what, got);
	else
		check_fail("straddle: %s read 0x%x, not 0xd4c3b2a1", what, got);
}

/* The vector moves of the straddle checks (am_vec_store/am_vec_load). */
enum am_vec { AM_MOVDQU, AM_MOVUPS, AM_MOVQ, AM_MOVD, AM_VMOVDQU, AM_VMOVUPS };

static const unsigned am_vec_size[] = {16, 16, 8, 4, 32, 16};
static bool am_avx;

/*
 * SSE: CR0.EM clear, CR0.MP and CR4.OSFXSR/OSXMMEXCPT set (SDM Vol. 3A
 * 13.1.3); AVX where CPUID.1:ECX has XSAVE and AVX: CR4.OSXSAVE, XCR0 =
 * x87|SSE|AVX.
 */
static void am_enable_vector(void)
{
	u32 cr0, ecx = x86_cpuid(1, 0).ecx;

	__asm__ volatile("mov %%cr0, %0; and $~4, %0; or $2, %0; mov %0, %%cr0" : "=&r"(cr0));
	x86_write_cr4(x86_read_cr4() | BIT(9) | BIT(10));
	if (!(ecx & BIT(26)) || !(ecx & BIT(28)) || (x86_cpuid(0xD, 0).eax & 6) != 6)
		return;
	x86_write_cr4(x86_read_cr4() | BIT(18));
	__asm__ volatile("xsetbv" : : "c"(0), "a"(7), "d"(0) : "memory");
	am_avx = true;
}

/* The move k storing src's first bytes at linear at. */
static void am_vec_store(enum am_vec k, u32 at, const u8 *src)
{
	switch (k) {
	case AM_MOVDQU:
		__asm__ volatile("movdqu (%0), %%xmm0; movdqu %%xmm0, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	case AM_MOVUPS:
		__asm__ volatile("movups (%0), %%xmm1; movups %%xmm1, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	case AM_MOVQ:
		__asm__ volatile("movq (%0), %%xmm2; movq %%xmm2, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	case AM_MOVD:
		__asm__ volatile("movd (%0), %%xmm3; movd %%xmm3, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	case AM_VMOVDQU:
		__asm__ volatile("vmovdqu (%0), %%ymm4; vmovdqu %%ymm4, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	case AM_VMOVUPS:
		__asm__ volatile("vmovups (%0), %%xmm5; vmovups %%xmm5, (%1)"
				 :
				 : "r"(src), "r"(at)
				 : "memory");
		break;
	}
}

/* The move k loading from linear at; the whole register after it into out (32 bytes). */
static void am_vec_load(enum am_vec k, u32 at, u8 *out)
{
	switch (k) {
	case AM_MOVDQU:
		__asm__ volatile("movdqu (%1), %%xmm0; movdqu %%xmm0, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	case AM_MOVUPS:
		__asm__ volatile("movups (%1), %%xmm1; movdqu %%xmm1, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	case AM_MOVQ:
		__asm__ volatile("movq (%1), %%xmm2; movdqu %%xmm2, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	case AM_MOVD:
		__asm__ volatile("movd (%1), %%xmm3; movdqu %%xmm3, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	case AM_VMOVDQU:
		__asm__ volatile("vmovdqu (%1), %%ymm4; vmovdqu %%ymm4, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	case AM_VMOVUPS:
		__asm__ volatile("vmovdqu (%0), %%ymm5; vmovups (%1), %%xmm5; vmovdqu %%ymm5, (%0)"
				 :
				 : "r"(out), "r"(at)
				 : "memory");
		break;
	}
}

/* Two RAM pages for the CPU's own run of each straddling move. */
static u8 am_vram[2][4096] __attribute__((aligned(4096)));

/* Byte i of the straddle around a page boundary: lo's page before it, hi's after. */
static volatile u8 *am_vbyte(volatile u8 *lo, volatile u8 *hi, unsigned off, int i)
{
	return i < (int)off ? lo + 0x1000 - off + i : hi + (i - (int)off);
}

/*
 * Move k at linear at, off bytes before a page boundary, lo and hi the two
 * pages as the guest reaches them otherwise: a store and a load must do
 * exactly what the CPU does with the same move across two RAM pages
 * (am_vram): every byte on both sides, two bytes around untouched, the
 * register (all of it) after the load.
 */
static void am_vec_straddle(const char *what, enum am_vec k, u32 at, unsigned off, volatile u8 *lo,
			    volatile u8 *hi)
{
	volatile u8 *rlo = am_vram[0], *rhi = am_vram[1];
	u32 ram_at = (u32)(uintptr_t)am_vram[1] - off;
	int n = (int)am_vec_size[k];
	u8 src[32], cpu[32], got[32];
	bool same = true;

	for (int i = 0; i < 32; i++)
		src[i] = (u8)(0x10 + i);
	for (int i = -2; i < n + 2; i++)
		*am_vbyte(lo, hi, off, i) = *am_vbyte(rlo, rhi, off, i) = 0xEE;
	am_vec_store(k, ram_at, src);
	am_vec_store(k, at, src);
	for (int i = -2; i < n + 2; i++)
		same = same && *am_vbyte(lo, hi, off, i) == *am_vbyte(rlo, rhi, off, i);
	if (same)
		check_pass("straddle: %s store: as the CPU on RAM", what);
	else
		check_fail(
		    "straddle: %s store: bytes %02x %02x .. %02x %02x, the CPU's %02x %02x .. "
		    "%02x %02x",
		    what, *am_vbyte(lo, hi, off, 0), *am_vbyte(lo, hi, off, 1),
		    *am_vbyte(lo, hi, off, n - 2), *am_vbyte(lo, hi, off, n - 1),
		    *am_vbyte(rlo, rhi, off, 0), *am_vbyte(rlo, rhi, off, 1),
		    *am_vbyte(rlo, rhi, off, n - 2), *am_vbyte(rlo, rhi, off, n - 1));
	for (int i = 0; i < n; i++)
		*am_vbyte(lo, hi, off, i) = *am_vbyte(rlo, rhi, off, i) = (u8)(0x60 + i);
	for (int i = 0; i < 32; i++)
		cpu[i] = got[i] = 0x5A;
	am_vec_load(k, ram_at, cpu);
	am_vec_load(k, at, got);
	same = true;
	for (int i = 0; i < 32; i++)
		same = same && cpu[i] == got[i];
	if (same && got[0] == 0x60 && got[n - 1] == 0x60 + n - 1)
		check_pass("straddle: %s load: as the CPU on RAM", what);
	else
		check_fail("straddle: %s load: bytes %02x %02x .. %02x %02x, the CPU's %02x %02x "
			   ".. %02x %02x",
			   what, got[0], got[1], got[n - 2], got[n - 1], cpu[0], cpu[1], cpu[n - 2],
			   cpu[n - 1]);
}

/* Vector moves across RAM and the device, both ways, device and device, and a missing page. */
static void am_straddle_vector(void)
{
	volatile u8 *dev = (volatile u8 *)(uintptr_t)AM_DEV;

	am_enable_vector();
	am_vec_straddle("movdqu RAM then device", AM_MOVDQU, AM_LINEAR + 0xFF8, 8, am_ram[0], dev);
	am_vec_straddle("movups device then RAM", AM_MOVUPS, AM_LINEAR + 0x1FFC, 4, dev, am_ram[1]);
	am_vec_straddle("movq RAM then device", AM_MOVQ, AM_LINEAR + 0xFFD, 3, am_ram[0], dev);
	am_vec_straddle("movd device then RAM", AM_MOVD, AM_LINEAR + 0x1FFE, 2, dev, am_ram[1]);
	am_vec_straddle("movdqu device then device", AM_MOVDQU, AM_LINEAR + 0x5FF9, 7, dev, dev);
	if (am_avx) {
		am_vec_straddle("vmovdqu ymm RAM then device", AM_VMOVDQU, AM_LINEAR + 0xFF4, 12,
				am_ram[0], dev);
		am_vec_straddle("vmovups xmm device then RAM", AM_VMOVUPS, AM_LINEAR + 0x1FF8, 8,
				dev, am_ram[1]);
	} else {
		print("SKIP straddle: no AVX on this CPU\n");
	}
	for (int i = 0; i < 8; i++)
		dev[0xFF8 + i] = 0xEE;
	trap_reset();
	__asm__ volatile(TRAP_INSN("movdqu %%xmm0, (%0)") : : "r"(AM_LINEAR + 0x3FF8) : "memory");
	if (trap_expect("straddle: a movdqu whose second page is not present", TRAP_PF, 0x2)) {
		u32 cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		if (cr2 == AM_LINEAR + 0x4000)
			check_pass("straddle: movdqu: CR2 0x%x, the first byte on the missing page",
				   cr2);
		else
			check_fail("straddle: movdqu: CR2 0x%x, not 0x%x", cr2, AM_LINEAR + 0x4000);
	}
	for (int i = 0; i < 8; i++)
		if (dev[0xFF8 + i] != 0xEE)
			check_fail(
			    "straddle: the faulting movdqu reached the device (byte %d: %02x)", i,
			    dev[0xFF8 + i]);
}

static void am_straddle(void)
{
	volatile u8 *dev = (volatile u8 *)(uintptr_t)AM_DEV;
	u32 at = AM_LINEAR + 0x3FFE;

	am_straddle_map();
	am_straddle_one("RAM then device", AM_LINEAR + 0xFFE, am_ram[0] + 0xFFE, dev);
	am_straddle_one("device then RAM", AM_LINEAR + 0x1FFE, dev + 0xFFE, am_ram[1]);
	dev[0xFFE] = dev[0xFFF] = 0xEE;
	trap_reset();
	__asm__ volatile(TRAP_INSN("movl %1, (%0)") : : "r"(at), "r"(0x44332211u) : "memory");
	if (trap_expect("straddle: a write whose second page is not present", TRAP_PF, 0x2)) {
		u32 cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		if (cr2 == AM_LINEAR + 0x4000)
			check_pass("straddle: CR2 0x%x, the first byte on the missing page", cr2);
		else
			check_fail("straddle: CR2 0x%x, not 0x%x", cr2, AM_LINEAR + 0x4000);
	}
	if (dev[0xFFE] != 0xEE || dev[0xFFF] != 0xEE)
		check_fail("straddle: the faulting write reached the device (%02x %02x)",
			   dev[0xFFE], dev[0xFFF]);
	am_straddle_vector();
	check_finish();
}

/* REP MOVS between two places on the device, forwards (bytes) and backwards (dwords). */
static void am_movs(void)
{
	volatile u8 *dev = (volatile u8 *)(uintptr_t)AM_DEV;
	u32 src = AM_DEV + 0x100, dst = AM_DEV + 0x200, n = 16, bad = 0;

	for (u32 i = 0; i < 32; i++) {
		dev[0x100 + i] = (u8)(0x80 + i);
		dev[0x200 + i] = 0;
	}
	__asm__ volatile("cld; rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	for (u32 i = 0; i < 16; i++)
		bad += dev[0x200 + i] != (u8)(0x80 + i);
	if (!bad && !n && src == AM_DEV + 0x110 && dst == AM_DEV + 0x210 && dev[0x210] == 0)
		check_pass("movs: rep movsb device to device, DF=0: 16 bytes, ESI/EDI/ECX right");
	else
		check_fail("movs: rep movsb DF=0: %u bytes wrong, ecx %u, esi 0x%x, edi 0x%x", bad,
			   n, src, dst);
	src = AM_DEV + 0x11C;
	dst = AM_DEV + 0x31C;
	n = 8;
	__asm__ volatile("std; rep movsl; cld" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	bad = 0;
	for (u32 i = 0; i < 32; i++)
		bad += dev[0x300 + i] != (u8)(0x80 + i);
	if (!bad && !n && src == AM_DEV + 0xFC && dst == AM_DEV + 0x2FC)
		check_pass("movs: rep movsl device to device, DF=1: 32 bytes, ESI/EDI/ECX right");
	else
		check_fail("movs: rep movsl DF=1: %u bytes wrong, ecx %u, esi 0x%x, edi 0x%x", bad,
			   n, src, dst);
	check_finish();
}

/* A GDT of our own: the crt's flat code and data, then the segments under test. */
#define AM_SEL_CODE 0x08
#define AM_SEL_DATA 0x10
#define AM_SEL_RO   0x18 /* read-only data, flat */
#define AM_SEL_LIM  0x20 /* read/write data at am_seg_buf, limit 0xFFF */
#define AM_SEL_DOWN 0x28 /* read/write expand-down data, limit 0xFFF, B=1: offsets 0x1000.. */
static u64 am_gdt[6] __attribute__((aligned(8)));
static u8 am_seg_buf[0x2000] __attribute__((aligned(4096)));

/* SDM Vol. 3A 3.4.5 "Segment Descriptors": byte-granular limit, D/B=1. */
static u64 am_desc(u32 base, u32 limit, u32 access)
{
	return (limit & 0xFFFFu) | (u64)(base & 0xFFFFFFu) << 16 | (u64)access << 40 |
	       (u64)((limit >> 16) & 0xF) << 48 | (u64)0x4 << 52 | (u64)(base >> 24) << 56;
}

/*
 * One MOVSB (or CMPSB) from the device at DS:ESI to ES:EDI with ES = sel,
 * which must give #GP(0) and leave the byte at buf alone.
 */
static void am_seg_gp(const char *what, u16 sel, u32 edi, volatile u8 *buf, bool cmps)
{
	u32 esi = AM_DEV + 0x40, di = edi;

	*buf = 0xEE;
	trap_reset();
	if (cmps)
		__asm__ volatile("push %%es; mov %w2, %%es\n" TRAP_INSN("cmpsb") "pop %%es"
				 : "+S"(esi), "+D"(di)
				 : "r"(sel)
				 : "memory", "cc");
	else
		__asm__ volatile("push %%es; mov %w2, %%es\n" TRAP_INSN("movsb") "pop %%es"
				 : "+S"(esi), "+D"(di)
				 : "r"(sel)
				 : "memory");
	if (trap_expect(what, TRAP_GP, 0) && (*buf != 0xEE || esi != AM_DEV + 0x40 || di != edi))
		check_fail("segs: %s: the byte became 0x%x, esi 0x%x, edi 0x%x", what, *buf, esi,
			   di);
}

static void am_segs(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) gdtr = {sizeof(am_gdt) - 1, (u32)(uintptr_t)am_gdt};
	volatile u8 *dev = (volatile u8 *)(uintptr_t)AM_DEV;
	u32 buf = (u32)(uintptr_t)am_seg_buf, esi = AM_DEV + 0x40, edi = 0x1010;

	am_gdt[0] = 0;
	am_gdt[1] = 0x00CF9A000000FFFFull;
	am_gdt[2] = 0x00CF92000000FFFFull;
	am_gdt[3] = 0x00CF90000000FFFFull;
	am_gdt[4] = am_desc(buf, 0xFFF, 0x92);
	am_gdt[5] = am_desc(buf, 0xFFF, 0x96);
	__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
	dev[0x40] = 0x5C;
	am_seg_gp("segs: movsb from the device to a read-only ES: #GP(0)", AM_SEL_RO, buf,
		  am_seg_buf, false);
	am_seg_gp("segs: movsb from the device to a code-segment ES: #GP(0)", AM_SEL_CODE, buf,
		  am_seg_buf, false);
	am_seg_gp("segs: movsb from the device past ES's limit: #GP(0)", AM_SEL_LIM, 0x1000,
		  am_seg_buf + 0x1000, false);
	am_seg_gp("segs: movsb from the device below an expand-down ES's limit: #GP(0)",
		  AM_SEL_DOWN, 0xFFF, am_seg_buf + 0xFFF, false);
	am_seg_gp("segs: cmpsb from the device past ES's limit: #GP(0)", AM_SEL_LIM, 0x1000,
		  am_seg_buf + 0x1000, true);
	/* Inside the expand-down range the byte lands at base + EDI. */
	am_seg_buf[0x1010] = 0xEE;
	__asm__ volatile("push %%es; mov %w2, %%es; movsb; pop %%es"
			 : "+S"(esi), "+D"(edi)
			 : "r"(AM_SEL_DOWN)
			 : "memory");
	if (am_seg_buf[0x1010] == 0x5C)
		check_pass(
		    "segs: movsb into an expand-down ES above its limit lands at base + EDI");
	else
		check_fail("segs: movsb into expand-down ES: the byte is 0x%x", am_seg_buf[0x1010]);
	check_finish();
}

/* mode=ac: a GDT with CPL-3 segments, a TSS for the way back in, and a call gate. */
#define AC_SEL_CODE3 0x1B /* 0x18 | RPL 3 */
#define AC_SEL_DATA3 0x23
#define AC_SEL_TSS   0x28
#define AC_SEL_GATE  0x33 /* call gate, DPL 3, to ac_back at CPL 0 */
#define AC_EFLAGS_AC 0x40000u
#define AC_CR0_AM    0x40000u
static u64 ac_gdt[7] __attribute__((aligned(8)));
static u32 ac_tss[26] __attribute__((aligned(8))); /* SDM Vol. 3A 8.2.1: 104 bytes */
static u8 ac_stack0[2048] __attribute__((aligned(16)));
static u8 ac_stack3[2048] __attribute__((aligned(16)));
static u8 ac_buf[64] __attribute__((aligned(16)));
/* Kept by ac_user across the trip to CPL 3, read by ac_back (asm below). */
u32 ac_saved_esp, ac_resume, ac_user_esp;

void ac_back(void);
/*
 * The call gate's target: CPL 0 on the TSS's stack, which holds the caller's
 * EIP, CS, ESP and SS (SDM Vol. 3A 5.8.5). Keeps the CPL-3 ESP, reloads the
 * data segments and goes back to the ac_user that left.
 */
__asm__(".text\n"
	".globl ac_back\n"
	"ac_back:\n"
	"	movl 8(%esp), %ecx\n"
	"	movw $0x10, %dx\n"
	"	movw %dx, %ds\n"
	"	movw %dx, %es\n"
	"	movl %ecx, ac_user_esp\n"
	"	movl ac_saved_esp, %esp\n"
	"	jmp *ac_resume\n");

/*
 * Runs insn (using only ESI, EDI and the stack) at CPL 3 with the given
 * ESI, EDI, ESP and EFLAGS; ESI and EDI come back, ac_user_esp has ESP.
 */
#define AC_USER(insn, esi, edi, esp3, eflags)                                                      \
	__asm__ volatile("pushl %%ebp\n"                                                           \
			 "movl %%esp, ac_saved_esp\n"                                              \
			 "movl $3f, ac_resume\n"                                                   \
			 "pushl $0x23\n"                                                           \
			 "pushl %[sp3]\n"                                                          \
			 "pushl %[fl]\n"                                                           \
			 "pushl $0x1B\n"                                                           \
			 "pushl $2f\n"                                                             \
			 "iret\n"                                                                  \
			 "2: movw $0x23, %%cx\n"                                                   \
			 "movw %%cx, %%ds\n"                                                       \
			 "movw %%cx, %%es\n" TRAP_INSN(insn) "lcall $0x33, $0\n"                   \
							     "3: popl %%ebp\n"                     \
			 : "+S"(esi), "+D"(edi)                                                    \
			 : [sp3] "r"(esp3), [fl] "r"(eflags)                                       \
			 : "ecx", "edx", "memory", "cc")

static void ac_setup(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) gdtr = {sizeof(ac_gdt) - 1, (u32)(uintptr_t)ac_gdt};
	u32 tss = (u32)(uintptr_t)ac_tss, back = (u32)(uintptr_t)ac_back;

	ac_gdt[1] = 0x00CF9A000000FFFFull; /* the crt's code and data at 0x08, 0x10 */
	ac_gdt[2] = 0x00CF92000000FFFFull;
	ac_gdt[3] = 0x00CFFA000000FFFFull; /* DPL 3 code, data */
	ac_gdt[4] = 0x00CFF2000000FFFFull;
	/* an available 32-bit TSS, DPL 0, byte-granular limit 103 (SDM Vol. 3A 8.2.2) */
	ac_gdt[5] = (sizeof(ac_tss) - 1) | (u64)(tss & 0xFFFFFFu) << 16 | (u64)0x89 << 40 |
		    (u64)(tss >> 24) << 56;
	/* a 32-bit call gate, DPL 3, to 0x08:ac_back (SDM Vol. 3A 5.8.3) */
	ac_gdt[6] = (back & 0xFFFFu) | (u64)0x08 << 16 | (u64)0xEC << 40 | (u64)(back >> 16) << 48;
	ac_tss[1] = (u32)(uintptr_t)(ac_stack0 + sizeof(ac_stack0)); /* ESP0 */
	ac_tss[2] = 0x10;					     /* SS0 */
	ac_tss[25] = sizeof(ac_tss) << 16; /* I/O map base past the limit: no bitmap */
	__asm__ volatile("lgdt %0\n"
			 "ltr %w1"
			 :
			 : "m"(gdtr), "r"(AC_SEL_TSS)
			 : "memory");
}

static void ac_set_am(bool on)
{
	u32 cr0 = (u32)x86_read_cr0();

	cr0 = on ? cr0 | AC_CR0_AM : cr0 & ~AC_CR0_AM;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

/* MOVSD (or CMPSD) at CPL 3 from the device to ES:EDI = ac_buf + off. */
static void ac_string(const char *what, bool cmps, u32 off, u32 eflags, bool fault)
{
	u32 esi = AM_DEV + 0x40, edi = (u32)(uintptr_t)(ac_buf + off), esp3;
	u32 esi0 = esi, edi0 = edi, got;

	esp3 = (u32)(uintptr_t)(ac_stack3 + sizeof(ac_stack3));
	memset(ac_buf, 0xEE, sizeof(ac_buf));
	trap_reset();
	if (cmps)
		AC_USER("cmpsl", esi, edi, esp3, eflags);
	else
		AC_USER("movsl", esi, edi, esp3, eflags);
	memcpy(&got, ac_buf + off, 4);
	if (fault) {
		if (trap_expect(what, TRAP_AC, 0) &&
		    (got != 0xEEEEEEEEu || esi != esi0 || edi != edi0))
			check_fail("ac: %s: the buffer has 0x%x, esi 0x%x, edi 0x%x", what, got,
				   esi, edi);
	} else if (trap_expect_none(what) && (esi != esi0 + 4 || edi != edi0 + 4 ||
					      (!cmps && got != *(volatile u32 *)(AM_DEV + 0x40))))
		check_fail("ac: %s: the buffer has 0x%x, esi 0x%x, edi 0x%x", what, got, esi, edi);
}

/* PUSH m at CPL 3, m on the device, ESP = the top of the stack - skew. */
static void ac_push(const char *what, u32 skew, bool fault)
{
	u32 esi = AM_DEV + 0x40, edi = 0;
	u32 top = (u32)(uintptr_t)(ac_stack3 + sizeof(ac_stack3)) - skew, slot;

	memset(ac_stack3 + sizeof(ac_stack3) - 16, 0xEE, 16);
	trap_reset();
	AC_USER("pushl (%%esi)", esi, edi, top, AC_EFLAGS_AC | 0x2);
	memcpy(&slot, (u8 *)(uintptr_t)(top - 4), 4);
	if (fault) {
		if (trap_expect(what, TRAP_AC, 0) && (ac_user_esp != top || slot != 0xEEEEEEEEu))
			check_fail("ac: %s: esp 0x%x (was 0x%x), slot 0x%x", what, ac_user_esp, top,
				   slot);
	} else if (trap_expect_none(what) &&
		   (ac_user_esp != top - 4 || slot != *(volatile u32 *)(AM_DEV + 0x40)))
		check_fail("ac: %s: esp 0x%x (was 0x%x), slot 0x%x", what, ac_user_esp, top, slot);
}

static void am_ac(void)
{
	volatile u32 *dev = (volatile u32 *)(uintptr_t)(AM_DEV + 0x40);
	u32 esi = AM_DEV + 0x40, edi = (u32)(uintptr_t)(ac_buf + 2);

	ac_setup();
	*dev = 0x1234ABCDu;
	ac_set_am(true);
	ac_string("ac: cpl 3, movsd from the device to an unaligned edi: #AC(0)", false, 2,
		  AC_EFLAGS_AC | 0x2, true);
	ac_string("ac: cpl 3, cmpsd of the device with an unaligned edi: #AC(0)", true, 2,
		  AC_EFLAGS_AC | 0x2, true);
	ac_push("ac: cpl 3, push from the device onto an unaligned esp: #AC(0)", 2, true);
	ac_string("ac: cpl 3, movsd to an aligned edi: completes", false, 4, AC_EFLAGS_AC | 0x2,
		  false);
	ac_push("ac: cpl 3, push from the device onto an aligned esp: completes", 0, false);
	ac_string("ac: cpl 3 with eflags.ac clear: completes", false, 2, 0x2, false);
	ac_set_am(false);
	ac_string("ac: cpl 3 with cr0.am clear: completes", false, 2, AC_EFLAGS_AC | 0x2, false);
	ac_set_am(true);
	/* CPL 0 with EFLAGS.AC set: no check */
	memset(ac_buf, 0xEE, sizeof(ac_buf));
	trap_reset();
	__asm__ volatile("pushf\n"
			 "orl $0x40000, (%%esp)\n"
			 "popf\n" TRAP_INSN("movsl") "pushf\n"
						     "andl $~0x40000, (%%esp)\n"
						     "popf\n"
			 : "+S"(esi), "+D"(edi)
			 :
			 : "memory", "cc");
	if (trap_expect_none("ac: cpl 0 with eflags.ac set: completes") &&
	    memcmp(ac_buf + 2, (const void *)dev, 4) != 0)
		check_fail("ac: cpl 0: the bytes did not land");
	ac_set_am(false);
	/* VMCALL at CPL 3: KEEL_HC_EPERM, for KEEL_HC_NOP too (its fast ways decline it). */
	esi = KEEL_HC_NOP;
	edi = 0;
	trap_reset();
	AC_USER("xchgl %%esi, %%eax\n\tvmcall\n\txchgl %%esi, %%eax", esi, edi,
		(u32)(uintptr_t)(ac_stack3 + sizeof(ac_stack3)), 0x2);
	if (trap_expect_none("ac: cpl 3, vmcall KEEL_HC_NOP: KEEL_HC_EPERM") &&
	    esi != (u32)KEEL_HC_EPERM)
		check_fail("ac: cpl 3, vmcall KEEL_HC_NOP returned 0x%x", esi);
	check_finish();
}

/* mode=dbg: what the #DB handler saw. */
static volatile u32 am_db_count, am_db_dr6, am_db_ip;

static void am_on_db(struct trap_frame *f)
{
	u32 dr6;

	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	am_db_count++;
	am_db_dr6 = dr6;
	am_db_ip = f->ip;
}

/* DR7 for breakpoint n: L bit, R/W and LEN (SDM Vol. 3B 17.2.4). */
static u32 am_dr7(u32 n, u32 rw, u32 len)
{
	return 1u << (2 * n) | rw << (16 + 4 * n) | len << (18 + 4 * n);
}

/*
 * One access by `insn` (a MOV with the device address in EDX, the value in
 * EAX), then whether a #DB trap came after it with DR6.B3-B0 = want.
 */
#define AM_DB_CASE(what, insn, want)                                                               \
	do {                                                                                       \
		u32 ip_after;                                                                      \
		__asm__ volatile("mov %0, %%db6" : : "r"(0xFFFF0FF0u));                            \
		am_db_count = 0;                                                                   \
		__asm__ volatile(insn "\n1: lea 1b, %0"                                            \
				 : "=r"(ip_after), "+a"(val)                                       \
				 : "d"(AM_DEV + 0x80)                                              \
				 : "memory");                                                      \
		am_db_check(what, want, ip_after);                                                 \
	} while (0)

static void am_db_check(const char *what, u32 want, u32 ip_after)
{
	if (!want && !am_db_count)
		check_pass("dbg: %s: no #DB", what);
	else if (want && am_db_count == 1 && (am_db_dr6 & 0xF) == want && am_db_ip == ip_after)
		check_pass("dbg: %s: #DB after it, DR6.B = 0x%x", what, want);
	else
		check_fail("dbg: %s: %u #DB, DR6 0x%x (want B 0x%x), at 0x%x (after: 0x%x)", what,
			   am_db_count, am_db_dr6, want, am_db_ip, ip_after);
}

/* DR3 on a RAM byte: a MOVSB from the device writes it, on the side the CPU never touched. */
static void am_dbg_movs(void)
{
	static volatile u8 ram_byte;
	u32 si = AM_DEV + 0x80, di = (u32)(uintptr_t)&ram_byte, ip_after;

	__asm__ volatile("mov %0, %%db3" : : "r"(di));
	__asm__ volatile("mov %0, %%db7" : : "r"(am_dr7(3, 1, 0)));
	__asm__ volatile("mov %0, %%db6" : : "r"(0xFFFF0FF0u));
	am_db_count = 0;
	__asm__ volatile("movsb\n1: lea 1b, %0" : "=r"(ip_after), "+S"(si), "+D"(di) : : "memory");
	am_db_check("movsb from the device onto a RAM byte at DR3", 8, ip_after);
}

static void am_dbg(void)
{
	u32 val = 0x12345678;

	trap_set_handler(TRAP_DB, am_on_db);
	/* DR0: writes to dev+0x80, 4 bytes; DR1: reads or writes of dev+0x86, 1 byte */
	__asm__ volatile("mov %0, %%db0" : : "r"(AM_DEV + 0x80));
	__asm__ volatile("mov %0, %%db1" : : "r"(AM_DEV + 0x86));
	__asm__ volatile("mov %0, %%db7" : : "r"(am_dr7(0, 1, 3) | am_dr7(1, 3, 0)));
	AM_DB_CASE("write of the device at DR0", "movl %%eax, (%%edx)", 1);
	AM_DB_CASE("read of the device at DR0 (a write breakpoint)", "movl (%%edx), %%eax", 0);
	AM_DB_CASE("write of the 2 bytes after DR0, short of DR1", "movw %%ax, 4(%%edx)", 0);
	AM_DB_CASE("read of 4 bytes over DR1", "movl 4(%%edx), %%eax", 2);
	AM_DB_CASE("write of 2 bytes over DR1", "movw %%ax, 6(%%edx)", 2);
	AM_DB_CASE("xchg of the 4 bytes at DR0", "xchgl %%eax, (%%edx)", 1);
	__asm__ volatile("mov %0, %%db7" : : "r"(0u));
	AM_DB_CASE("write at DR0 with DR7 clear", "movl %%eax, (%%edx)", 0);
	/* DR2: an I/O breakpoint on port 0x80 (R/W=10 needs CR4.DE) */
	__asm__ volatile("mov %%cr4, %0; or %1, %0; mov %0, %%cr4" : "=&r"(val) : "i"(AM_CR4_DE));
	__asm__ volatile("mov %0, %%db2" : : "r"(0x80u));
	__asm__ volatile("mov %0, %%db7" : : "r"(am_dr7(2, 2, 0)));
	AM_DB_CASE("out to the port at DR2", "outb %%al, $0x80", 4);
	AM_DB_CASE("in from the port after DR2", "inb $0x81, %%al", 0);
	AM_DB_CASE("out of a word over DR2", "outw %%ax, $0x7f", 4);
	am_dbg_movs();
	__asm__ volatile("mov %0, %%db7" : : "r"(0u));
	check_finish();
}

/* mode=branch: where the CALL and JMP through the device land. */
/* A bare RET for the CALL to reach (no prologue to unwind). */
void am_branch_target(void);
__asm__(".text\n"
	"am_branch_target: ret\n");

static void am_branch(void)
{
	volatile u32 *dev = (volatile u32 *)(uintptr_t)AM_DEV;
	u32 hit = 0, esp0, esp1;

	dev[0x60 / 4] = (u32)(uintptr_t)am_branch_target;
	__asm__ volatile("mov %%esp, %0\n"
			 "call *(%2)\n"
			 "mov %%esp, %1\n"
			 : "=&r"(esp0), "=&r"(esp1)
			 : "r"(AM_DEV + 0x60)
			 : "memory", "cc");
	if (esp0 == esp1)
		check_pass("branch: call through the device went to its target and returned");
	else
		check_fail("branch: call through the device: esp 0x%x before, 0x%x after", esp0,
			   esp1);
	__asm__ volatile("lea 1f, %%eax\n"
			 "mov %%eax, (%1)\n"
			 "jmp *(%1)\n"
			 "jmp 2f\n"
			 "1: mov $1, %0\n"
			 "2:\n"
			 : "+r"(hit)
			 : "r"(AM_DEV + 0x64)
			 : "eax", "memory");
	if (hit)
		check_pass("branch: jmp through the device went to its target");
	else
		check_fail("branch: jmp through the device fell through");
	check_finish();
}

/* Never returns: the PDPTE load from the device ends the guest. */
static void am_pdpte_on_device(void)
{
	u32 v;

	for (u32 i = 0; i < 8; i++) /* [0, 16 MiB) with 2 MiB pages */
		am_pae_pd[i] = ((u64)i << 21) | AM_P | AM_RW | AM_PS;
	am_pdpt[0] = (u32)(uintptr_t)am_pae_pd | AM_P;
	__asm__ volatile("mov %%cr4, %0; or %1, %0; mov %0, %%cr4" : "=&r"(v) : "i"(AM_CR4_PAE));
	__asm__ volatile("mov %0, %%cr3" : : "r"((u32)(uintptr_t)am_pdpt) : "memory");
	__asm__ volatile("mov %%cr0, %0; or %1, %0; mov %0, %%cr0" : "=&r"(v) : "i"(AM_CR0_PG));
	print("pdpte: PAE paging on; mov cr3 0x%x (the device)\n", AM_DEV);
	__asm__ volatile("mov %0, %%cr3" : : "r"(AM_DEV) : "memory");
	check_fail("pdpte: still running with its PDPTEs on the device");
}

/* Never returns: CR0.PG loads the PDPTEs from the device. */
static void am_pdpte_cr0(void)
{
	u32 v;

	__asm__ volatile("mov %%cr4, %0; or %1, %0; mov %0, %%cr4" : "=&r"(v) : "i"(AM_CR4_PAE));
	__asm__ volatile("mov %0, %%cr3" : : "r"(AM_DEV) : "memory");
	print("pdpte: cr3 0x%x (the device), PAE; setting CR0.PG and CD in one MOV\n", AM_DEV);
	__asm__ volatile("mov %%cr0, %0; or %1, %0; mov %0, %%cr0"
			 : "=&r"(v)
			 : "i"(AM_CR0_PG | AM_CR0_CD));
	check_fail("pdpte: still running with its PDPTEs on the device");
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct mb1_info *mbi = (const struct mb1_info *)info;
	const char *args =
	    (mbi->flags & MB1_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";

	idt_init();
	if (bootargs_has(args, "mode", "push-apic"))
		am_push_onto(AM_APIC + 0x300);
	else if (bootargs_has(args, "mode", "push-dev"))
		am_push_onto(AM_DEV + 0x100);
	else if (bootargs_has(args, "mode", "idt-dev"))
		am_idt_on_device();
	else if (bootargs_has(args, "mode", "pt"))
		am_pt();
	else if (bootargs_has(args, "mode", "pdpte-dev"))
		am_pdpte_on_device();
	else if (bootargs_has(args, "mode", "pdpte-cr0"))
		am_pdpte_cr0();
	else if (bootargs_has(args, "mode", "reloc"))
		am_reloc();
	else if (bootargs_has(args, "mode", "straddle"))
		am_straddle();
	else if (bootargs_has(args, "mode", "movs"))
		am_movs();
	else if (bootargs_has(args, "mode", "segs"))
		am_segs();
	else if (bootargs_has(args, "mode", "dbg"))
		am_dbg();
	else if (bootargs_has(args, "mode", "branch"))
		am_branch();
	else if (bootargs_has(args, "mode", "ac"))
		am_ac();
	else
		check_fail("want "
			   "mode=push-apic|push-dev|idt-dev|pt|pdpte-dev|pdpte-cr0|reloc|straddle|"
			   "movs|segs|dbg|branch|ac");
	check_fail("still running");
	check_finish();
}
