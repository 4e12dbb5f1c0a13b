/*
 * keel_main: the table of contents of a Keel boot. Each step is owned by
 * one module; the order matters and is explained where it is not obvious.
 */
#include "arch/x86/acpi.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/idt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/pic.h"
#include "arch/x86/tsc.h"
#include "boot/cpus.h"
#include "boot/end.h"
#include "boot/multiboot2.h"
#include "boot/mb2.h"
#include "boot/options.h"
#include "vm/vm.h"
#include "vmx/vmx.h"
#include "boot/selftest.h"
#include "lib/console.h"
#include "mm/addr.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/rmap.h"
#include "mm/zpool.h"

extern u64 boot_entry_tsc;
/* linker.ld: Keel's image, which a framebuffer must not overlap. */
extern char __image_start[], __image_end[];

/* Shared, write-once at boot: 0, never written; the direct map is the identity (mm/addr.h). */
u64 mm_direct_base;

void keel_main(u32 magic, u32 info_pa);

/*
 * Tells the console which screen GRUB left: its linear framebuffer if Keel
 * can draw on it, VGA text if the machine is in text mode (or GRUB said
 * nothing). Returns the line saying why a framebuffer is not used, or NULL.
 */
static const char *boot_screen(char *why, size_t len)
{
	const struct mb2_framebuffer *fb = &boot_info.framebuffer;
	struct fb_mode m;
	enum mb2_fb_kind kind = mb2_fb_check(&boot_info, (u64)(uintptr_t)__image_start,
					     (u64)(uintptr_t)__image_end, why, len);

	if (kind != MB2_FB_RGB) {
		console_screen(NULL, NULL, kind == MB2_FB_TEXT || kind == MB2_FB_NONE);
		return kind == MB2_FB_UNUSABLE ? why : NULL;
	}
	m = (struct fb_mode){fb->addr,	       fb->pitch,	  fb->width,
			     fb->height,       fb->bpp,		  fb->rgb.red_pos,
			     fb->rgb.red_size, fb->rgb.green_pos, fb->rgb.green_size,
			     fb->rgb.blue_pos, fb->rgb.blue_size};
	/* Below MB2_FB_REACH: mapped by the boot tables and Keel's direct map alike. */
	console_screen(&m, hpa_ptr(hpa(fb->addr)), false);
	return NULL;
}

/*
 * Parses the multiboot2 info into boot_info and applies Keel's options.
 * A malformed info ends the run with one line naming the problem.
 */
static void boot_info_load(u32 info_pa)
{
	/* The boot page tables identity-map [0, 4 GiB): that much is readable. */
	size_t avail = (size_t)(4 * GiB - info_pa);
	char err[192];
	const char *no_fb;

	if (mb2_parse(hpa_ptr(hpa(info_pa)), avail, info_pa, &boot_info, err, sizeof(err))) {
		pr_err("%s", err);
		keel_end(1);
	}
	/* The default sinks while the options are parsed: their complaints reach the screen too. */
	no_fb = boot_screen(err, sizeof(err));
	console_select(CONSOLE_COM1 | CONSOLE_SCREEN);
	options_parse(mb2_keel_options(boot_info.cmdline));
	if (!console_select(keel_opts.console))
		pr_err("console: no selected console works, keeping COM1 and VGA text");
	console_set_loglevel(keel_opts.loglevel);
	if (no_fb)
		pr_warn("console: the boot loader's framebuffer is not used: %s", no_fb);
}

/* Debug level: how far into the boot each step ended, in TSC ticks from entry.S. */
static void boot_step(const char *what)
{
	pr_debug("boot: %s at %lu ticks", what, rdtsc() - boot_entry_tsc);
}

void keel_main(u32 magic, u32 info_pa)
{
	struct vmx_platform platform = {0};
	u64 online;

	console_init();
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("not started by a multiboot2 loader (EAX=0x%x)", magic);
		keel_end(1);
	}
	gdt_init();
	console_set_cpu_token(cpu_lock_token); /* GS now finds this CPU's struct */
	idt_init(); /* from here on a fault in Keel is reported, never a triple fault */
	pic_disable();
	boot_info_load(info_pa);
	pr_info("Keel microhypervisor starting");
	boot_step("console, CPU tables, multiboot2 info");
	if (!pmm_init(&boot_info))
		keel_end(1);
	pmm_zero_pool_init(keel_opts.zeropool ? ZPOOL_FRAMES_MAX : 0,
			   keel_opts.zeropool ? ZPOOL_RUNS_MAX : 0);
	boot_step("frame allocator");
	if (!paging_init(&boot_info))
		keel_end(1);
	boot_step("page tables");
	if (!rmap_init(&boot_info))
		keel_end(1);
	boot_step("reverse map");
	acpi_init(boot_info.acpi.rsdp, boot_info.acpi.length);
	platform.bochs = acpi_oem_is("BOCHS ") && !(cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR);
	boot_step("ACPI");
	tsc_calibrate(); /* the device models' clocks (vm/vtimer.h) count in TSC ticks */
	boot_step("TSC calibration");
	selftest_run(keel_opts.test);
	if (!vmx_init(&platform))
		keel_end(1);
	boot_step("VMX root operation");
	online = cpus_start(&boot_info, keel_opts.cpus, keel_opts.test);
	boot_step("other CPUs");
	keel_end(vm_run_all(&boot_info, online));
}
