/*
 * VM-instruction error numbers by name (Intel SDM Vol. 3C, 31.4
 * "VM Instruction Error Numbers"), and the checked VMREAD/VMWRITE.
 */
#include "lib/panic.h"
#include "vmx/vmx_insn.h"

static const char *const vmx_error_names[] = {
    [1] = "VMCALL executed in VMX root operation",
    [2] = "VMCLEAR with invalid physical address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid physical address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision identifier",
    [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [13] = "VMWRITE to read-only VMCS component",
    [15] = "VMXON executed in VMX root operation",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [17] = "VM entry with non-launched executive VMCS",
    [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
    [19] = "VMCALL with non-clear VMCS",
    [20] = "VMCALL with invalid VM-exit control fields",
    [22] = "VMCALL with incorrect MSEG revision identifier",
    [23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
    [24] = "VMCALL with invalid SMM-monitor features",
    [25] = "VM entry with invalid VM-execution control fields in executive VMCS",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_error_name(u64 number)
{
	if (number >= ARRAY_SIZE(vmx_error_names) || !vmx_error_names[number])
		return "unknown VM-instruction error";
	return vmx_error_names[number];
}

const char *vmx_status_name(enum vmx_status s)
{
	switch (s) {
	case VMX_SUCCEED:
		return "VMsucceed";
	case VMX_FAIL_INVALID:
		return "VMfailInvalid";
	case VMX_FAIL_VALID:
		return "VMfailValid";
	}
	return "?";
}

/* Panics with the field and, for VMfailValid, the error number's name. */
static __noreturn void vmcs_access_failed(const char *op, enum vmcs_field f, enum vmx_status s)
{
	u64 err = 0;

	if (s == VMX_FAIL_VALID && vmx_read(VMCS_VM_INSTRUCTION_ERROR, &err) != VMX_SUCCEED)
		err = 0;
	panic("%s of VMCS field 0x%04x: %s (error %lu: %s)", op, (unsigned)f, vmx_status_name(s),
	      err, s == VMX_FAIL_VALID ? vmx_error_name(err) : "no current VMCS");
}

__noreturn void vmcs_read_failed(enum vmcs_field field)
{
	u64 v;

	vmcs_access_failed("VMREAD", field, vmx_read(field, &v));
}

__noreturn void vmcs_write_failed(enum vmcs_field field)
{
	u64 err;

	/* With no current VMCS even this read fails: that was VMfailInvalid. */
	vmcs_access_failed("VMWRITE", field,
			   vmx_read(VMCS_VM_INSTRUCTION_ERROR, &err) == VMX_SUCCEED
			       ? VMX_FAIL_VALID
			       : VMX_FAIL_INVALID);
}
