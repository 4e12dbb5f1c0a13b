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
#include "tests/guests/lib/regkeep.h"
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

/* A NOP call: how many registers but RAX came back different (RSP, RBP aside). */
static u32 hc_clobbered(void)
{
	u64 rax = KEEL_HC_NOP, rbx = 0xB0B0B0B0B0B0B0B0ULL, rcx = 0xC0C0C0C0C0C0C0C0ULL;
	u64 rdx = 0xD0D0D0D0D0D0D0D0ULL;
	u32 changed = REGKEEP_RUN("vmcall", rax, rbx, rcx, rdx);

	return changed + (rbx != 0xB0B0B0B0B0B0B0B0ULL) + (rcx != 0xC0C0C0C0C0C0C0C0ULL) +
	       (rdx != 0xD0D0D0D0D0D0D0D0ULL);
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
