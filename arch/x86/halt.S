/*
 * void cpu_halt_unless(const u8 *flag): STI; HLT unless *flag is set, then
 * CLI. An interrupt that comes while interrupts are off stays pending and
 * ends the HLT (STI's shadow keeps it until HLT has begun); an NMI does
 * not wait, so an NMI kick (arch/x86/smp.h, smp_kick_by_nmi) sets the flag
 * first: one that came before the look is seen by it, and one that comes
 * between the look and the HLT has its return moved past the HLT by the
 * NMI handler (smp_nmi: cpu_halt_window to cpu_halt_window_end).
 */
	.text
	.globl	cpu_halt_unless, cpu_halt_window, cpu_halt_window_end
cpu_halt_unless:
cpu_halt_window:
	cmpb	$0, (%rdi)
	jne	cpu_halt_window_end
	sti
	hlt
cpu_halt_window_end:
	cli
	ret

	.section .note.GNU-stack, "", @progbits
