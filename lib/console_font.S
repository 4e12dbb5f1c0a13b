/*
 * The framebuffer console's font (lib/console.c): a PSF file the Makefile
 * takes at build time from Debian's console-setup-linux package into
 * build/font/console.psf (never committed). Read-only data.
 */
	.section .rodata
	.balign 16
	.globl	console_font_psf
	.globl	console_font_psf_end
console_font_psf:
	.incbin	"build/font/console.psf"
console_font_psf_end:
	.section .note.GNU-stack, "", @progbits
