/*
 * Guest "hypercall": Keel's VMCALL interface (vm/guest_abi.h). VERSION
 * returns KEEL_HC_ABI_VERSION, NOP returns 0, an unknown function returns
 * KEEL_HC_ENOSYS (not #UD), every register but RAX survives a call, and the
 * guest ends by KEEL_HC_EXIT with status (v << 1) | 1, as the debug-exit
 * port would (status 1: all checks passed). Keel's summary then says
 * "ended by hypercall".
 */
#include "tests/guests/lib/guest.h"
#include "tests/guests/lib/idt.h"
#include "tests/guests/lib/trap.h"
#include "tests/guests/lib/vmcall.h"

#define HC_UNKNOWN 0x7FFF

static void hc_expect(const char *what, unsigned long fn, long want)
{
	long got;

	trap_reset();
	got = vmcall3_trap(fn, 0, 0, 0);
	if (trap_last.count)
		check_fail("%s: VMCALL raised %s", what, trap_name(trap_last.vector));
	else if (got != want)
		check_fail("%s: got %lld, want %lld", what, (long long)got, (long long)want);
	else
		check_pass("%s", what);
}

/* Loads distinct values into every general register but RAX and RSP/RBP,
 * makes a NOP call and counts the registers that came back different. */
static u32 hc_clobbered(void)
{
	register u64 r8 __asm__("r8") = 0x0808080808080808ULL;
	register u64 r9 __asm__("r9") = 0x0909090909090909ULL;
	register u64 r10 __asm__("r10") = 0x1010101010101010ULL;
	register u64 r11 __asm__("r11") = 0x1111111111111111ULL;
	register u64 r12 __asm__("r12") = 0x1212121212121212ULL;
	register u64 r13 __asm__("r13") = 0x1313131313131313ULL;
	register u64 r14 __asm__("r14") = 0x1414141414141414ULL;
	register u64 r15 __asm__("r15") = 0x1515151515151515ULL;
	u64 rax = KEEL_HC_NOP, rbx = 0xB0B0B0B0B0B0B0B0ULL, rcx = 0xC0C0C0C0C0C0C0C0ULL;
	u64 rdx = 0xD0D0D0D0D0D0D0D0ULL, rsi = 0x5151515151515151ULL, rdi = 0xD1D1D1D1D1D1D1D1ULL;

	__asm__ volatile("vmcall"
			 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi), "+D"(rdi),
			   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13),
			   "+r"(r14), "+r"(r15)
			 :
			 : "memory", "cc");
	return (rbx != 0xB0B0B0B0B0B0B0B0ULL) + (rcx != 0xC0C0C0C0C0C0C0C0ULL) +
	       (rdx != 0xD0D0D0D0D0D0D0D0ULL) + (rsi != 0x5151515151515151ULL) +
	       (rdi != 0xD1D1D1D1D1D1D1D1ULL) + (r8 != 0x0808080808080808ULL) +
	       (r9 != 0x0909090909090909ULL) + (r10 != 0x1010101010101010ULL) +
	       (r11 != 0x1111111111111111ULL) + (r12 != 0x1212121212121212ULL) +
	       (r13 != 0x1313131313131313ULL) + (r14 != 0x1414141414141414ULL) +
	       (r15 != 0x1515151515151515ULL);
}

void guest_main(uintptr_t info, uintptr_t magic)
{
	u32 v;

	idt_init();
	print("hypercall: the VMCALL interface\n");
	hc_expect("KEEL_HC_VERSION returns KEEL_HC_ABI_VERSION", KEEL_HC_VERSION,
		  KEEL_HC_ABI_VERSION);
	hc_expect("KEEL_HC_NOP returns 0", KEEL_HC_NOP, 0);
	hc_expect("an unknown function returns KEEL_HC_ENOSYS", HC_UNKNOWN, KEEL_HC_ENOSYS);
	if (trap_last.count == 0) {
		u32 changed = hc_clobbered();

		if (changed == 0)
			check_pass("a NOP call keeps every register but RAX");
		else
			check_fail("a NOP call keeps every register but RAX: %u changed", changed);
	}
	v = check_report();
	trap_reset();
	vmcall3_trap(KEEL_HC_EXIT, (v << 1) | 1, 0, 0);
	print("FAIL KEEL_HC_EXIT returned (%s)\n",
	      trap_last.count ? trap_name(trap_last.vector) : "no exception");
	debug_exit(CHECK_EXIT_MAX);
}
