/*
 * Guest "taskswitch" (multiboot, 32-bit): a far jump to a TSS descriptor.
 * A task switch always causes a VM exit (SDM Vol. 3C 26.1.2) and Keel has
 * no handler for it, so the guest must end with Keel's "unhandled exit"
 * report naming "task switch"; running on is a failure.
 */
#include "tests/guests/lib/guest.h"

struct tss32 {
	u32 words[26];
} __attribute__((aligned(16)));

static struct tss32 tss;
static u64 gdt[4] __attribute__((aligned(8)));

/* A 32-bit available TSS descriptor (type 9, present, DPL 0). */
static u64 tss_descriptor(u32 base, u32 limit)
{
	return (u64)(limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | (0x89ULL << 40) |
	       ((u64)((limit >> 16) & 0xF) << 48) | ((u64)(base >> 24) << 56);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (u32)(uintptr_t)gdt};

	gdt[1] = 0x00CF9A000000FFFFULL; /* 0x08: flat 32-bit code */
	gdt[2] = 0x00CF92000000FFFFULL; /* 0x10: flat data */
	gdt[3] = tss_descriptor((u32)(uintptr_t)&tss, sizeof(tss) - 1);
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	check_pass("before task switch");
	__asm__ volatile("ljmp $0x18, $0" : : : "memory");
	check_fail("taskswitch: the guest ran on after a task switch");
	check_finish();
}
