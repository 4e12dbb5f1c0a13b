/*
 * VMX instruction wrappers (Intel SDM Vol. 3C, 31.2 "Conventions" and 31.3
 * "VMX Instructions"). Each returns which outcome happened: VMsucceed,
 * VMfailInvalid (CF=1: no current VMCS or a bad operand) or VMfailValid
 * (ZF=1: the error number is in the VM-instruction error field). Results
 * are __must_check: a failure is never dropped silently.
 */
#ifndef KEEL_VMX_VMX_INSN_H
#define KEEL_VMX_VMX_INSN_H

#include "lib/types.h"
#include "mm/addr.h"
#include "vmx/vmcs_fields.h"

enum vmx_status {
	VMX_SUCCEED = 0,
	VMX_FAIL_INVALID = 1,
	VMX_FAIL_VALID = 2,
};

/* INVEPT types (SDM 31.3 "INVEPT") */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT    2
/* INVVPID types (SDM 31.3 "INVVPID") */
#define INVVPID_INDIVIDUAL_ADDR		      0
#define INVVPID_SINGLE_CONTEXT		      1
#define INVVPID_ALL_CONTEXT		      2
#define INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS 3

/* CF and ZF after a VMX instruction, folded into a status. */
#define VMX_STATUS_FROM_FLAGS(cf, zf)                                                              \
	((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_SUCCEED)

static inline __must_check enum vmx_status vmx_on(hpa_t region)
{
	u64 pa = hpa_addr(region);
	u8 cf, zf;

	__asm__ volatile("vmxon %2; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "m"(pa)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_clear(hpa_t vmcs)
{
	u64 pa = hpa_addr(vmcs);
	u8 cf, zf;

	__asm__ volatile("vmclear %2; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "m"(pa)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_ptrld(hpa_t vmcs)
{
	u64 pa = hpa_addr(vmcs);
	u8 cf, zf;

	__asm__ volatile("vmptrld %2; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "m"(pa)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_read(enum vmcs_field field, u64 *value)
{
	u8 cf, zf;

	__asm__ volatile("vmread %3, %2; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf), "=r"(*value)
			 : "r"((u64)field)
			 : "cc");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_write(enum vmcs_field field, u64 value)
{
	u8 cf, zf;

	__asm__ volatile("vmwrite %3, %2; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "r"((u64)field), "rm"(value)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_off(void)
{
	u8 cf, zf;

	__asm__ volatile("vmxoff; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

struct invept_desc {
	u64 eptp;
	u64 reserved;
};

struct invvpid_desc {
	u64 vpid; /* bits 15:0; the rest must be zero */
	u64 linear_addr;
};

_Static_assert(sizeof(struct invept_desc) == 16, "INVEPT descriptor is 128 bits");
_Static_assert(sizeof(struct invvpid_desc) == 16, "INVVPID descriptor is 128 bits");

static inline __must_check enum vmx_status vmx_invept(u64 type, u64 eptp)
{
	struct invept_desc d = {eptp, 0};
	u8 cf, zf;

	__asm__ volatile("invept %2, %3; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "m"(d), "r"(type)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline __must_check enum vmx_status vmx_invvpid(u64 type, u16 vpid, u64 la)
{
	struct invvpid_desc d = {vpid, la};
	u8 cf, zf;

	__asm__ volatile("invvpid %2, %3; setc %0; setz %1"
			 : "=qm"(cf), "=qm"(zf)
			 : "m"(d), "r"(type)
			 : "cc", "memory");
	return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* Name of a VM-instruction error number (SDM 31.4, Table 31-1). */
const char *vmx_error_name(u64 number);
/* One-line description of a failed VMX instruction, for error reports. */
const char *vmx_status_name(enum vmx_status s);

/*
 * VMREAD/VMWRITE of the current VMCS for fields Keel knows exist: a failure
 * there is a Keel bug (wrong encoding, no current VMCS), so these panic,
 * naming the field and the VM-instruction error.
 */
__noreturn void vmcs_read_failed(enum vmcs_field field);
__noreturn void vmcs_write_failed(enum vmcs_field field);

/*
 * Inline: these are on every exit path. The flags test costs one branch;
 * the report is out of line (the VM-instruction error is read there).
 */
static inline u64 vmcs_read(enum vmcs_field field)
{
	u64 v;

	/* cppcheck does not know asm goto outputs: v is set by the VMREAD. */
	// cppcheck-suppress legacyUninitvar
	__asm__ goto("vmread %1, %0; jbe %l[failed]" : "=r"(v) : "r"((u64)field) : "cc" : failed);
	return v;
failed:
	vmcs_read_failed(field);
}

static inline void vmcs_write(enum vmcs_field field, u64 value)
{
	__asm__ goto("vmwrite %1, %0; jbe %l[failed]"
		     :
		     : "r"((u64)field), "rm"(value)
		     : "cc", "memory"
		     : failed);
	return;
failed:
	vmcs_write_failed(field);
}

/*
 * The same without the flags test, for an exit path once its first
 * vmcs_read (the exit reason) succeeded: with a current VMCS, VMREAD of a
 * field the CPU supports, and VMWRITE of one that is not read-only, cannot
 * fail (SDM Vol. 3C, 31.3: VMREAD and VMWRITE fail only without a current
 * VMCS, for an unsupported field, or for a VMWRITE to a read-only one).
 * The fast exit's later accesses, a branch each.
 */
static inline u64 vmcs_read_current(enum vmcs_field field)
{
	u64 v;

	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((u64)field) : "cc");
	return v;
}

static inline void vmcs_write_current(enum vmcs_field field, u64 value)
{
	/* No memory clobber: the VMCS is not memory C sees; volatile keeps VMX order. */
	__asm__ volatile("vmwrite %1, %0" : : "r"((u64)field), "rm"(value) : "cc");
}

#endif
