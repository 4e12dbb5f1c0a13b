/*
 * The mb1low guest's trip to real mode and back (Intel SDM Vol. 3A 9.9.2
 * "Switching Back to Real-Address Mode", 9.9.1 for the way back):
 * protected mode -> 16-bit protected mode (CS 0x18, data 0x20, 64 KiB
 * limits) -> CR0.PE clear -> real mode at CS = 0 -> read a dword through
 * a real-mode segment -> CR0.PE set -> far jump to flat CS 0x08. Paging is
 * off throughout and IF stays clear. The code lies below 64 KiB
 * (.text.realmode, mb1low.ld) and so does its data (.low, at 0x1000).
 */
#define RM_CS32 0x08
#define RM_DS32 0x10
#define RM_CS16 0x18
#define RM_DS16 0x20

	.section .text.realmode, "ax"
	.code32
	.globl rm_read32
/*
 * u32 rm_read32(u32 linear): the dword at linear (below 1 MiB - 16), read
 * in real mode as seg:off with seg = linear >> 4. Also records CR0 and CS
 * as real mode saw them in rm_cr0, rm_cs.
 */
rm_read32:
	push	%ebx
	push	%esi
	mov	12(%esp), %eax
	mov	%esp, rm_saved_esp
	sgdt	rm_saved_gdt
	lgdt	rm_gdt_ptr
	ljmp	$RM_CS16, $1f

	.code16
1:	mov	$RM_DS16, %cx
	mov	%cx, %ds
	mov	%cx, %es
	mov	%cx, %ss
	mov	%cr0, %ecx
	and	$0xFFFFFFFE, %ecx
	mov	%ecx, %cr0
	ljmp	$0, $2f
2:	xor	%cx, %cx
	mov	%cx, %ds
	mov	%cx, %es
	mov	%cx, %ss
	mov	%cr0, %ecx
	mov	%ecx, rm_cr0
	mov	%cs, %cx
	mov	%cx, rm_cs
	mov	%eax, %ebx
	shr	$4, %ebx
	mov	%bx, %ds
	and	$0xF, %ax
	mov	%ax, %si
	mov	(%si), %edx
	xor	%cx, %cx
	mov	%cx, %ds
	mov	%edx, rm_result
	mov	%cr0, %ecx
	or	$1, %ecx
	mov	%ecx, %cr0
	ljmpl	$RM_CS32, $3f

	.code32
3:	mov	$RM_DS32, %cx
	mov	%cx, %ds
	mov	%cx, %es
	mov	%cx, %fs
	mov	%cx, %gs
	mov	%cx, %ss
	mov	rm_saved_esp, %esp
	lgdt	rm_saved_gdt
	mov	rm_result, %eax
	pop	%esi
	pop	%ebx
	ret

	/* Flat 32-bit code and data as crt32.S's, then 16-bit ones with base
	 * 0 and 64 KiB limits (SDM Vol. 3A 3.4.5): G=0, D/B=0, P=1, DPL 0. */
	.balign 8
rm_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF	/* 0x08 */
	.quad	0x00CF92000000FFFF	/* 0x10 */
	.quad	0x00009A000000FFFF	/* 0x18: 16-bit code */
	.quad	0x000092000000FFFF	/* 0x20: 16-bit data */
rm_gdt_end:
	.balign 4
	.word	0
rm_gdt_ptr:
	.word	rm_gdt_end - rm_gdt - 1
	.long	rm_gdt

	/* Below 64 KiB, reachable with DS = 0 in real mode; no file bytes. */
	.section .low, "aw", @nobits
	.balign 16
low_base:
	.globl rm_result, rm_cr0, rm_cs
rm_result:
	.skip	4
rm_cr0:
	.skip	4
rm_cs:
	.skip	4
rm_saved_esp:
	.skip	4
	.balign 8
	.word	0
rm_saved_gdt:
	.skip	6
	/* The rest of [0x1000, 0x8000): scratch the image owns (mb1low.ld). */
	.skip	0x7000 - (. - low_base)

	.section .note.GNU-stack, "", @progbits
