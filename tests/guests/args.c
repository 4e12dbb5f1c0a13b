/*
 * Guest "args": Keel's ELF64 boot ABI (vm/guest_abi.h). The entry state
 * (registers, control registers, segments, GDT and page-table locations),
 * then struct keel_boot_info: magic, version, mem_size equal to the guest's
 * expect_mem= argument, the command line exactly ARGS_CMDLINE (the emulator
 * test boots it as `name=args mem=32M -- alpha beta=2 expect_mem=32M`), and
 * module_count equal to expect_modules= (default 0; when given, it follows
 * ARGS_CMDLINE on the line), each module page aligned above the image,
 * inside RAM, starting with ARGS_MODULE_TAG, its command line readable.
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/bootargs.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/x86.h"
#include "lib/format.h"
#include "lib/string.h"

#define ARGS_CMDLINE	"args alpha beta=2 expect_mem=32M"
#define ARGS_CR0	(X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG)
#define ARGS_PAGE	4096
#define ARGS_MODULE_TAG "keel-test-module"

extern const u8 __image_end[];

struct args_gdtr {
	u16 limit;
	u64 base;
} __packed;

static u64 args_rdmsr(u32 msr)
{
	u32 lo = 0, hi = 0;

	trap_reset();
	__asm__ volatile(TRAP_INSN("rdmsr") : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((u64)hi << 32) | lo;
}

static void args_check_entry_regs(uintptr_t info, uintptr_t magic)
{
	check_eq("entry: RDI is the boot info GPA", info, KEEL_GUEST_BOOT_INFO_GPA);
	check_eq("entry: RSI is KEEL_BOOT_MAGIC", magic, KEEL_BOOT_MAGIC);
	check_eq("entry: RSP is KEEL_GUEST_STACK_TOP", crt_entry.sp, KEEL_GUEST_STACK_TOP);
	check_eq("entry: RFLAGS is 0x2", crt_entry.flags, X86_RFLAGS_FIXED1);
	check_eq("entry: CS is KEEL_GUEST_CS64", crt_entry.cs, KEEL_GUEST_CS64);
	check_eq("entry: DS is KEEL_GUEST_DS", crt_entry.ds, KEEL_GUEST_DS);
	check_eq("entry: ES is KEEL_GUEST_DS", crt_entry.es, KEEL_GUEST_DS);
	check_eq("entry: SS is KEEL_GUEST_DS", crt_entry.ss, KEEL_GUEST_DS);
}

static void args_check_entry_system(void)
{
	struct args_gdtr gdtr;
	u64 efer = args_rdmsr(X86_MSR_IA32_EFER);

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	check_eq("entry: CR0 is PE|MP|ET|NE|WP|PG", x86_read_cr0(), ARGS_CR0);
	check_eq("entry: CR4 is PAE", x86_read_cr4(), X86_CR4_PAE);
	check_eq("entry: CR3 is the page tables' GPA", x86_read_cr3() & ~0xFFFULL,
		 KEEL_GUEST_PT_GPA);
	check_eq("entry: GDTR base is KEEL_GUEST_GDT_GPA", gdtr.base, KEEL_GUEST_GDT_GPA);
	if (trap_expect_none("rdmsr IA32_EFER"))
		check_eq("entry: EFER is LME|LMA", efer, X86_EFER_LME | X86_EFER_LMA);
}

/* True when [gpa, gpa + len) lies in the boot info pages. */
static bool args_in_info(u64 gpa, u64 len)
{
	return gpa >= KEEL_GUEST_BOOT_INFO_GPA && gpa <= KEEL_GUEST_BOOT_INFO_END &&
	       len <= KEEL_GUEST_BOOT_INFO_END - gpa;
}

/* The command line if it is a NUL-terminated string inside the boot info pages, else NULL. */
static const char *args_cmdline(const struct keel_boot_info *bi)
{
	const char *s;

	if (!args_in_info(bi->cmdline, 1)) {
		check_fail("cmdline GPA in the boot info pages: got 0x%llx",
			   (unsigned long long)bi->cmdline);
		return NULL;
	}
	s = (const char *)(uintptr_t)bi->cmdline;
	if (!args_in_info(bi->cmdline, (u64)bi->cmdline_len + 1) || s[bi->cmdline_len] != '\0') {
		check_fail("cmdline_len: no NUL at cmdline[%u]", bi->cmdline_len);
		return NULL;
	}
	check_eq("cmdline_len is the string's length", strlen(s), bi->cmdline_len);
	return s;
}

static void args_check_cmdline(const char *s, u64 mem_size)
{
	char want[sizeof(ARGS_CMDLINE) + 40];
	const char *v;
	size_t n;
	u64 expect_mem;

	/* A module scenario adds expect_modules=N to the line. */
	if (bootargs_find(s, "expect_modules", &v, &n))
		fmt_snprintf(want, sizeof(want), "%s expect_modules=%.*s", ARGS_CMDLINE, (int)n, v);
	else
		fmt_snprintf(want, sizeof(want), "%s", ARGS_CMDLINE);
	if (strcmp(s, want) == 0)
		check_pass("cmdline is \"%s\"", s);
	else
		check_fail("cmdline: got \"%s\", want \"%s\"", s, want);
	if (!bootargs_size(s, "expect_mem", &expect_mem)) {
		check_fail("mem_size: no expect_mem=SIZE argument to compare with");
		return;
	}
	check_eq("mem_size equals expect_mem", mem_size, expect_mem);
}

/* Checks one module's placement; end_prev is the end of the previous one. */
static void args_check_module(u32 i, const struct keel_boot_module *m, u64 mem_size, u64 end_prev)
{
	const char *tag = (const char *)(uintptr_t)m->start;

	if (m->start % ARGS_PAGE || m->start < (uintptr_t)__image_end || m->start < end_prev ||
	    m->end <= m->start || m->end > mem_size) {
		check_fail("module %u at [0x%llx, 0x%llx): want page aligned, above the image "
			   "(0x%llx) and earlier modules, inside RAM",
			   i, (unsigned long long)m->start, (unsigned long long)m->end,
			   (unsigned long long)(uintptr_t)__image_end);
		return;
	}
	check_pass("module %u at [0x%llx, 0x%llx)", i, (unsigned long long)m->start,
		   (unsigned long long)m->end);
	if (m->end - m->start >= sizeof(ARGS_MODULE_TAG) - 1 &&
	    memcmp(tag, ARGS_MODULE_TAG, sizeof(ARGS_MODULE_TAG) - 1) == 0)
		check_pass("module %u starts with \"" ARGS_MODULE_TAG "\"", i);
	else
		check_fail("module %u: does not start with \"" ARGS_MODULE_TAG "\"", i);
	if (args_in_info(m->cmdline, 1))
		print("module %u cmdline \"%s\"\n", i, (const char *)(uintptr_t)m->cmdline);
	else
		check_fail("module %u: cmdline GPA 0x%llx outside the boot info pages", i,
			   (unsigned long long)m->cmdline);
}

static void args_check_modules(const struct keel_boot_info *bi, const char *cmdline)
{
	u64 want = 0, end = 0;
	const struct keel_boot_module *m = (const struct keel_boot_module *)(uintptr_t)bi->modules;

	bootargs_size(cmdline, "expect_modules", &want);
	if (!check_eq("module_count equals expect_modules (default 0)", bi->module_count, want))
		return;
	if (want == 0)
		return;
	if (!args_in_info(bi->modules, (u64)bi->module_count * sizeof(*m))) {
		check_fail("modules array at 0x%llx: outside the boot info pages",
			   (unsigned long long)bi->modules);
		return;
	}
	for (u32 i = 0; i < bi->module_count; i++) {
		args_check_module(i, &m[i], bi->mem_size, end);
		end = m[i].end;
	}
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	const struct keel_boot_info *bi = (const struct keel_boot_info *)info;
	const char *cmdline;

	idt_init();
	print("args: the ELF64 boot ABI\n");
	args_check_entry_regs(info, magic);
	args_check_entry_system();
	if (info != KEEL_GUEST_BOOT_INFO_GPA)
		return; /* do not read boot info from an unknown address */
	check_eq("boot info magic", bi->magic, KEEL_BOOT_MAGIC);
	check_eq("boot info version", bi->version, KEEL_BOOT_VERSION);
	if ((uintptr_t)__image_end <= bi->mem_size)
		check_pass("the image lies below mem_size 0x%llx",
			   (unsigned long long)bi->mem_size);
	else
		check_fail("mem_size 0x%llx: below the image's end 0x%llx",
			   (unsigned long long)bi->mem_size,
			   (unsigned long long)(uintptr_t)__image_end);
	cmdline = args_cmdline(bi);
	if (!cmdline)
		return;
	args_check_cmdline(cmdline, bi->mem_size);
	args_check_modules(bi, cmdline);
}
