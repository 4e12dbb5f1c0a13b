/*
 * INVEPT/INVVPID wrappers (see invalidate.h). A failing INVEPT or INVVPID
 * is a Keel bug (a type the CPU lacks, a bad descriptor): CHECK, not a
 * status. Keel requires INVEPT of at least one type (vmx/vmx.c); INVVPID
 * is used only when VPIDs are on.
 */
#include "vmx/invalidate.h"
#include "lib/panic.h"
#include "vmx/vmx.h"
#include "vmx/vmx_insn.h"

void inv_ept(u64 eptp, struct inv_stats *st)
{
	if (vmx_caps.invept_single) {
		CHECK(vmx_invept(INVEPT_SINGLE_CONTEXT, eptp) == VMX_SUCCEED);
		st->invept_single++;
	} else {
		CHECK(vmx_invept(INVEPT_ALL_CONTEXT, 0) == VMX_SUCCEED);
		st->invept_all++;
	}
}

void inv_vpid(u16 vpid, struct inv_stats *st)
{
	CHECK(vpid != 0); /* VPID 0 is Keel's own */
	if (vmx_caps.invvpid_single) {
		CHECK(vmx_invvpid(INVVPID_SINGLE_CONTEXT, vpid, 0) == VMX_SUCCEED);
		st->invvpid_single++;
	} else {
		CHECK(vmx_caps.invvpid_all);
		CHECK(vmx_invvpid(INVVPID_ALL_CONTEXT, 0, 0) == VMX_SUCCEED);
		st->invvpid_all++;
	}
}

void inv_vpid_addr(u16 vpid, u64 la, struct inv_stats *st)
{
	CHECK(vpid != 0);
	/* Individual-address INVVPID fails on a non-canonical address (SDM INVVPID). */
	if (vmx_caps.invvpid_addr && (u64)((s64)(la << 16) >> 16) == la) {
		CHECK(vmx_invvpid(INVVPID_INDIVIDUAL_ADDR, vpid, la) == VMX_SUCCEED);
		st->invvpid_addr++;
		return;
	}
	inv_vpid(vpid, st);
}
