/*
 * Multiboot2 header and the 32-bit entry. GRUB jumps to _start in 32-bit
 * protected mode, paging off, EAX = multiboot2 magic, EBX = physical address
 * of the boot information (Multiboot2 spec 3.3). This code:
 *   1. records the TSC at entry (boot-time benchmarks start here),
 *   2. checks CPUID for long mode (a clear message if absent),
 *   3. identity-maps the first 4 GiB with 2 MiB pages,
 *   4. enables PAE, EFER.LME (+NXE when present) and paging,
 *   5. far-jumps to 64-bit code and calls keel_main(magic, info).
 * Keel's real page tables are built in C (mm/paging.c).
 */
#include "boot/multiboot2.h"

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xC0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)
#define BOOT_STACK_SIZE	(32 * 1024)

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Ask for the tags Keel reads; all optional so any GRUB can boot it. */
	.balign 8
mb2_info_request:
	.short	MB2_HEADER_TAG_INFO_REQUEST
	.short	MB2_HEADER_TAG_OPTIONAL
	.long	mb2_info_request_end - mb2_info_request
	.long	MB2_TAG_CMDLINE
	.long	MB2_TAG_MODULE
	.long	MB2_TAG_MMAP
	.long	MB2_TAG_ACPI_NEW
	.long	MB2_TAG_FRAMEBUFFER
mb2_info_request_end:
	/* 3.1.9 Flags tag: Keel draws on EGA text too (console_flags bit 1), so text mode may stay. */
	.balign 8
	.short	MB2_HEADER_TAG_CONSOLE_FLAGS
	.short	MB2_HEADER_TAG_OPTIONAL
	.long	12
	.long	MB2_CONSOLE_EGA_TEXT_SUPPORTED
	/*
	 * A linear framebuffer if the loader has one (3.1.10: optional; width,
	 * height and depth 0: no preference). With grub.cfg's gfxpayload=keep a
	 * BIOS GRUB in text mode hands over EGA text (framebuffer type 2).
	 */
	.balign 8
	.short	MB2_HEADER_TAG_FRAMEBUFFER
	.short	MB2_HEADER_TAG_OPTIONAL
	.long	20
	.long	0
	.long	0
	.long	0
	/* Modules page-aligned: guest images are mapped and freed by page. */
	.balign 8
	.short	MB2_HEADER_TAG_MODULE_ALIGN
	.short	0
	.long	8
	.balign 8
	.short	MB2_HEADER_TAG_END
	.short	0
	.long	8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	mov	%eax, %edi
	mov	%ebx, %esi
	rdtsc
	mov	%eax, boot_entry_tsc
	mov	%edx, boot_entry_tsc + 4
	mov	$boot_stack_top, %esp

	/* Long mode: CPUID.80000001H:EDX.LM[bit 29]. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	bt	$29, %edx
	jnc	no_long_mode
	mov	%edx, %ebp		/* keep EDX.NX (bit 20) for EFER.NXE */

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB identity pages. */
	lea	boot_pdpt, %eax
	or	$(PTE_P | PTE_W), %eax
	mov	%eax, boot_pml4
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$12, %eax
	add	$boot_pd, %eax
	or	$(PTE_P | PTE_W), %eax
	mov	%eax, boot_pdpt(, %ecx, 8)
	inc	%ecx
	cmp	$4, %ecx
	jne	1b

	xor	%ecx, %ecx		/* 2048 PDEs cover 4 GiB */
2:	mov	%ecx, %eax
	shl	$21, %eax
	or	$(PTE_P | PTE_W | PTE_PS), %eax
	mov	%eax, boot_pd(, %ecx, 8)
	mov	%ecx, %eax
	shr	$11, %eax		/* high dword: bits 32+ of ecx << 21 */
	mov	%eax, boot_pd + 4(, %ecx, 8)
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	lea	boot_pml4, %eax
	mov	%eax, %cr3

	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	bt	$20, %ebp
	jnc	3f
	or	$EFER_NXE, %eax
3:	wrmsr

	mov	%cr0, %eax
	or	$(CR0_PG | CR0_WP | CR0_PE), %eax
	mov	%eax, %cr0

	lgdt	boot_gdt_ptr
	ljmp	$0x08, $long_mode_entry

	/* No long mode: say so on COM1 and VGA, then stop. */
no_long_mode:
	mov	$no_lm_msg, %esi
	mov	$0xB8000, %edi
4:	lodsb
	test	%al, %al
	jz	6f
	mov	%al, %bl
	mov	$0x3FD, %dx		/* LSR: wait (bounded) for THRE */
	mov	$100000, %ecx
5:	in	%dx, %al
	test	$0x20, %al
	loopz	5b
	mov	$0x3F8, %dx
	mov	%bl, %al
	out	%al, %dx
	mov	$0x07, %ah
	mov	%bl, %al
	stosw
	jmp	4b
6:	cli
	hlt
	jmp	6b

	.code64
long_mode_entry:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$boot_stack_top, %rsp
	xor	%ebp, %ebp		/* terminates stack walks */
	mov	%edi, %edi		/* upper halves are undefined after the switch */
	mov	%esi, %esi
	call	keel_main
7:	cli
	hlt
	jmp	7b

	.section .rodata
no_lm_msg:
	.asciz	"keel: CPU lacks long mode (CPUID.80000001H:EDX.LM=0)\r\n"

	/* In .data: the CPU sets the accessed bit when a selector is loaded. */
	.section .data
	.balign 8
	/* Per-CPU: the boot CPU's GDT until gdt_init. */
boot_gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00CF92000000FFFF	/* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:			/* Per-CPU: the boot CPU's, as boot_gdt */
	.short	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	.section .data
	.balign 8
	.globl	boot_entry_tsc
	/* Shared, write-once at boot: the TSC at _start, read for boot costs. */
boot_entry_tsc:
	.quad	0

	.section .bss
	.balign 4096
	/* Per-CPU: the boot CPU's page tables until mm/paging.c replaces them. */
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:			/* Per-CPU: as boot_pml4 */
	.skip	4 * 4096
	.globl	boot_stack_guard, boot_stack_top
	.balign 4096
boot_stack_guard:		/* Per-CPU: the boot CPU's; left unmapped by mm/paging.c */
	.skip	4096
boot_stack:			/* Per-CPU: the boot CPU's stack */
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
