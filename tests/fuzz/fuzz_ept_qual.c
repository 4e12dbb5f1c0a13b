/*
 * libFuzzer target for vmx/ept_qual.c: the EPT-violation exit-qualification
 * decoder. Input: the 64-bit qualification and one byte of PT_PERM_*
 * permissions. Checks each decoded field against its bit in the SDM's
 * Table 28-7 layout, that "translated" is only reported with a valid
 * linear address, that "present" means some permission bit was set, and
 * that ept_qual_satisfied() and ept_qual_access_name() agree with the
 * access bits. With four more bytes of IDT-vectoring information, the same
 * input goes through vm/mmio_cause.c: only a translated, non-fetch access
 * outside event delivery and not asynchronous is the instruction's, from
 * an EPT violation and from an APIC-access exit (types 0 and 1) alike.
 */
#include "tests/fuzz/fuzz_check.h"

#include "mm/pt.h"
#include "vm/mmio_cause.h"
#include "vmx/apic_access_qual.h"
#include "vmx/ept_qual.h"
#include "vmx/vmcs_fields.h"

static void check_fields(const struct ept_qual *d, u64 q)
{
	FUZZ_CHECK(d->read == !!(q & EPT_QUAL_READ));
	FUZZ_CHECK(d->write == !!(q & EPT_QUAL_WRITE));
	FUZZ_CHECK(d->fetch == !!(q & EPT_QUAL_FETCH));
	FUZZ_CHECK(d->readable == !!(q & EPT_QUAL_READABLE));
	FUZZ_CHECK(d->writable == !!(q & EPT_QUAL_WRITABLE));
	FUZZ_CHECK(d->executable == !!(q & EPT_QUAL_EXECUTABLE));
	FUZZ_CHECK(d->linear_valid == !!(q & EPT_QUAL_LINEAR_VALID));
	FUZZ_CHECK(d->translated == ((q & EPT_QUAL_LINEAR_VALID) && (q & EPT_QUAL_TRANSLATED)));
	FUZZ_CHECK(d->nmi_unblocking == !!(q & EPT_QUAL_NMI_UNBLOCKING));
	FUZZ_CHECK(d->async == !!(q & EPT_QUAL_ASYNC));
	FUZZ_CHECK(d->present ==
		   !!(q & (EPT_QUAL_READABLE | EPT_QUAL_WRITABLE | EPT_QUAL_EXECUTABLE)));
}

/* The access name lists exactly the faulting accesses, in read, write, fetch order. */
static void check_name(const struct ept_qual *d)
{
	const char *name = ept_qual_access_name(d);
	char want[32] = "";

	FUZZ_CHECK(name);
	if (d->read)
		strcat(want, "+read");
	if (d->write)
		strcat(want, "+write");
	if (d->fetch)
		strcat(want, "+fetch");
	FUZZ_CHECK(!strcmp(name, want[0] ? want + 1 : "none"));
}

/* The instruction's access, and only it, goes to the emulator. */
static void check_cause(u64 q, u32 vectoring)
{
	bool delivery = vectoring & VMCS_INTR_INFO_VALID, async = q & EPT_QUAL_ASYNC;
	enum mmio_cause c = mmio_cause_of_ept(q, vectoring);
	u32 type = APIC_ACCESS_QUAL_TYPE(q);

	FUZZ_CHECK((c == MMIO_CAUSE_INSN) == (!delivery && !async && (q & EPT_QUAL_LINEAR_VALID) &&
					      (q & EPT_QUAL_TRANSLATED) && !(q & EPT_QUAL_FETCH)));
	FUZZ_CHECK(!delivery || c == MMIO_CAUSE_DELIVERY);
	FUZZ_CHECK(c != MMIO_CAUSE_RESERVED);
	FUZZ_CHECK(strcmp(mmio_cause_name(c), "?"));
	c = mmio_cause_of_apic_access(q, vectoring);
	FUZZ_CHECK((c == MMIO_CAUSE_INSN) == (!delivery && !async && type <= 1));
	FUZZ_CHECK(strcmp(mmio_cause_name(c), "?"));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u64 q = fuzz_take(&data, &size, 8);
	unsigned perms = (unsigned)fuzz_take(&data, &size, 1);
	u32 vectoring = (u32)fuzz_take(&data, &size, 4);
	struct ept_qual d = ept_qual_decode(q);
	bool want;

	check_cause(q, vectoring);
	check_fields(&d, q);
	check_name(&d);
	want = (!d.read || (perms & PT_PERM_R)) && (!d.write || (perms & PT_PERM_W)) &&
	       (!d.fetch || (perms & PT_PERM_X));
	FUZZ_CHECK(ept_qual_satisfied(&d, perms) == want);
	FUZZ_CHECK(ept_qual_satisfied(&d, PT_PERM_RWX));
	return 0;
}
