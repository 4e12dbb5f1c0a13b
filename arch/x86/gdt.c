/*
 * Keel's GDT and TSS (layout in gdt.h), one of each per CPU in its struct
 * cpu (arch/x86/percpu.h). The boot CPU builds its own first, before the
 * IDT: the IDT's #DF, NMI and #MC gates name IST slots of the TSS.
 */
#include "arch/x86/gdt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tss.h"
#include "lib/panic.h"

struct gdt_pointer {
	u16 limit;
	u64 base;
} __packed;

_Static_assert(sizeof(struct gdt_pointer) == 10, "LGDT operand is 10 bytes");
_Static_assert(GDT_SEL_TSS / 8 + 2 == GDT_ENTRIES, "the TSS descriptor is the last two slots");

/*
 * Per-CPU: entry i is CPU i's (arch/x86/percpu.h says who writes what), and
 * boot_ist_stacks the boot CPU's IST stacks (the others' are in arch/x86/smp.c).
 */
struct cpu cpu_table[CPU_MAX];
static u8 boot_ist_stacks[GDT_IST_USED * CPU_IST_STACK_SIZE] __aligned(4096);

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
	const struct cpu *c = this_cpu();

	if (ist < 1 || ist > GDT_IST_USED || !c->ist_stacks)
		return false;
	*lo = (uintptr_t)c->ist_stacks + (ist - 1) * CPU_IST_STACK_SIZE;
	*hi = *lo + CPU_IST_STACK_SIZE;
	return true;
}

/* Loads GDTR from `gdt`, reloads CS with a far return, the data segments, then TR. */
static void gdt_load(const u64 *gdt)
{
	struct gdt_pointer ptr = {.limit = GDT_ENTRIES * sizeof(u64) - 1, .base = (uintptr_t)gdt};

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

void cpu_tables_load(struct cpu *c)
{
	CHECK(c->ist_stacks && IS_ALIGNED((uintptr_t)c->ist_stacks, 16));
	c->self = c;
	c->gdt[0] = 0;
	c->gdt[GDT_SEL_CODE / 8] = gdt_flat_desc(SEG_TYPE_CODE_XR_ACCESSED, SEG_DESC_L);
	c->gdt[GDT_SEL_DATA / 8] = gdt_flat_desc(SEG_TYPE_DATA_RW_ACCESSED, SEG_DESC_DB);
	for (unsigned ist = 1; ist <= GDT_IST_USED; ist++) {
		/* Stacks grow down: each IST entry is its stack's top, 16-byte aligned. */
		c->tss.ist[ist - 1] = (uintptr_t)c->ist_stacks + ist * CPU_IST_STACK_SIZE;
	}
	c->tss.io_map_base = sizeof(struct tss64);
	gdt_set_tss_desc(&c->gdt[GDT_SEL_TSS / 8], (uintptr_t)&c->tss);
	gdt_load(c->gdt);
	/* FS and GS were loaded with null selectors; GS's base is the CPU's struct. */
	wrmsr(IA32_GS_BASE, (uintptr_t)c);
}

void gdt_init(void)
{
	struct cpu *c = &cpu_table[0];

	c->index = 0;
	c->ist_stacks = boot_ist_stacks;
	cpu_tables_load(c);
}

uintptr_t gdt_base(void)
{
	return (uintptr_t)this_cpu()->gdt;
}

uintptr_t gdt_tss_base(void)
{
	return (uintptr_t)&this_cpu()->tss;
}

u32 cpu_lock_token(void)
{
	return this_cpu()->index + 1;
}
