/*
 * keel_main: the table of contents of a Keel boot. Each step is owned by
 * one module; the order matters and is explained where it is not obvious.
 */
#include "arch/x86/cpu.h"
#include "boot/end.h"
#include "boot/multiboot2.h"
#include "boot/options.h"
#include "lib/console.h"

extern u64 boot_entry_tsc;

u64 mm_direct_base;

void keel_main(u32 magic, u32 info_pa);

void keel_main(u32 magic, u32 info_pa)
{
	console_init();
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("not started by a multiboot2 loader (EAX=0x%x)", magic);
		keel_end(1);
	}
	/* @cpu: GDT/TSS/IDT setup goes here (arch/x86) */
	/* @mb2: multiboot2 parse + options_parse(cmdline) + console_select go here */
	(void)info_pa;
	pr_info("Keel microhypervisor starting");
	/* @pmm: frame allocator init goes here (mm/pmm) */
	/* @paging: Keel's own page tables go here (mm/paging) */
	/* @acpi: ACPI discovery goes here (arch/x86/acpi) */
	/* @selftest: test= actions go here (boot/selftest) */
	/* @vmx: VMX bring-up and guests go here (vmx/, vm/) */
	keel_end(0);
}
