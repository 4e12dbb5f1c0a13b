/*
 * Guest "vmxon": VMXON with no IDT of the guest's own. Keel injects #UD; the
 * guest has no handler for it, so the fault escalates to a triple fault and
 * the guest ends. Keel must report that and go on to the next guest. The
 * guest prints "PASS before vmxon" first; running on after VMXON is a failure.
 */
#include "tests/guests/lib/guest.h"

static u64 vmxon_region_pa;

void guest_main(uintptr_t info, uintptr_t magic)
{
	check_pass("before vmxon");
	__asm__ volatile("vmxon %0" : : "m"(vmxon_region_pa) : "memory", "cc");
	check_fail("vmxon: the guest ran on after VMXON");
}
