/*
 * Keel's GDT and TSS (layout in gdt.h). Built once on the boot CPU, before
 * the IDT: the IDT's #DF, NMI and #MC gates name IST slots of this TSS.
 */
#include "arch/x86/gdt.h"
#include "arch/x86/tss.h"

#define IST_STACK_SIZE (8 * KiB)
#define GDT_ENTRIES    5 /* null, code, data, TSS (two slots) */

struct gdt_pointer {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct gdt_pointer) == 10, "LGDT operand is 10 bytes");
_Static_assert(GDT_SEL_TSS / 8 + 2 == GDT_ENTRIES, "the TSS descriptor is the last two slots");

/* Writable (.bss): LTR sets the busy bit in the TSS descriptor. */
static u64 gdt[GDT_ENTRIES] __aligned(16);
static struct tss64 tss __aligned(16);
static u8 ist_stacks[GDT_IST_USED][IST_STACK_SIZE] __aligned(4096);

/* A flat code or data descriptor: base 0, limit 4 GiB, DPL 0. */
static u64 gdt_flat_desc(u64 type, u64 flags)
{
	return 0xFFFFULL | (0xFULL << SEG_DESC_LIMIT_HI_SHIFT) | (type << SEG_DESC_TYPE_SHIFT) |
	       SEG_DESC_S | SEG_DESC_P | SEG_DESC_G | flags;
}

/* The two words of a 64-bit TSS descriptor for a TSS at `base`. */
static void gdt_set_tss_desc(u64 *slot, uintptr_t base)
{
	u64 limit = sizeof(struct tss64) - 1;

	slot[0] = (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) |
		  ((u64)((base >> 24) & 0xFF) << SEG_DESC_BASE_HIGH_SHIFT) |
		  ((u64)SEG_TYPE_TSS64_AVAILABLE << SEG_DESC_TYPE_SHIFT) | SEG_DESC_P;
	slot[1] = (u64)base >> 32;
}

bool gdt_ist_stack(unsigned ist, uintptr_t *lo, uintptr_t *hi)
{
	if (ist < 1 || ist > GDT_IST_USED)
		return false;
	*lo = (uintptr_t)ist_stacks[ist - 1];
	*hi = *lo + IST_STACK_SIZE;
	return true;
}

/* Loads GDTR, reloads CS with a far return, the data segments, then TR. */
static void gdt_load(void)
{
	struct gdt_pointer ptr = {.limit = sizeof(gdt) - 1, .base = (uintptr_t)gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"(GDT_SEL_CODE), "r"(GDT_SEL_DATA), "r"(GDT_SEL_TSS)
			 : "rax", "memory");
}

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[GDT_SEL_CODE / 8] = gdt_flat_desc(SEG_TYPE_CODE_XR_ACCESSED, SEG_DESC_L);
	gdt[GDT_SEL_DATA / 8] = gdt_flat_desc(SEG_TYPE_DATA_RW_ACCESSED, SEG_DESC_DB);
	for (unsigned ist = 1; ist <= GDT_IST_USED; ist++) {
		uintptr_t lo, hi;

		gdt_ist_stack(ist, &lo, &hi);
		tss.ist[ist - 1] = hi; /* stacks grow down; hi is 16-byte aligned */
	}
	tss.io_map_base = sizeof(struct tss64);
	gdt_set_tss_desc(&gdt[GDT_SEL_TSS / 8], (uintptr_t)&tss);
	gdt_load();
}

uintptr_t gdt_base(void)
{
	return (uintptr_t)gdt;
}

uintptr_t gdt_tss_base(void)
{
	return (uintptr_t)&tss;
}
