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
	(void)info_pa;
	pr_info("Keel microhypervisor starting");
	keel_end(0);
}
