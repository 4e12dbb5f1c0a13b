/*
 * Host tests for vm/mmio_cause.c: which accesses to a device page are the
 * instruction's own, from the exit qualification of an EPT violation (Intel
 * SDM Vol. 3C Table 28-7) or of an APIC-access VM exit (Table 28-6) and the
 * IDT-vectoring information (28.2.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "vm/mmio_cause.h"
#include "vmx/apic_access_qual.h"
#include "vmx/ept_qual.h"
#include "vmx/vmcs_fields.h"

/* Table 28-7 bits, spelled out so that a wrong define in ept_qual.h shows here. */
#define Q_READ	 (1ULL << 0)
#define Q_WRITE	 (1ULL << 1)
#define Q_FETCH	 (1ULL << 2)
#define Q_LINEAR (1ULL << 7)  /* guest linear-address field valid */
#define Q_TRANS	 (1ULL << 8)  /* with bit 7: the translation, not a paging-structure entry */
#define Q_NMI	 (1ULL << 12) /* NMI unblocking due to IRET */
#define Q_ASYNC	 (1ULL << 16) /* asynchronous to instruction execution */

/* 28.2.4 / Table 25-17: valid, type 3 (hardware exception), vector 13, error code. */
#define GP_IN_DELIVERY	   (0x80000000u | (3u << 8) | (1u << 11) | 13u)
#define EXTINT_IN_DELIVERY (0x80000000u | 0x30u)

static void test_bits_match_the_sdm(void **state)
{
	assert_int_equal(EPT_QUAL_LINEAR_VALID, Q_LINEAR);
	assert_int_equal(EPT_QUAL_TRANSLATED, Q_TRANS);
	assert_int_equal(EPT_QUAL_ASYNC, Q_ASYNC);
	assert_int_equal(VMCS_INTR_INFO_VALID, 0x80000000u);
	assert_int_equal(APIC_ACCESS_QUAL_TYPE(0x3ABCULL), 3);
	assert_int_equal(APIC_ACCESS_QUAL_OFFSET(0x3ABCULL), 0xABC);
	assert_int_equal(APIC_ACCESS_QUAL_ASYNC, 1ULL << 16);
}

/* Only a read or write of a linear address's translation, outside event delivery. */
static void test_ept_instruction(void **state)
{
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR | Q_TRANS, 0), MMIO_CAUSE_INSN);
	assert_int_equal(mmio_cause_of_ept(Q_WRITE | Q_LINEAR | Q_TRANS, 0), MMIO_CAUSE_INSN);
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_WRITE | Q_LINEAR | Q_TRANS, 0),
			 MMIO_CAUSE_INSN);
	/* An IRET that unblocked NMIs is still the instruction. */
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR | Q_TRANS | Q_NMI, 0),
			 MMIO_CAUSE_INSN);
	/* A vector and type without bit 31 are not event delivery. */
	assert_int_equal(mmio_cause_of_ept(Q_WRITE | Q_LINEAR | Q_TRANS, 0x30u | (3u << 8)),
			 MMIO_CAUSE_INSN);
}

/* A frame push or an IDT read: the vectoring information is valid, whatever bits 7-8 say. */
static void test_ept_delivery(void **state)
{
	assert_int_equal(mmio_cause_of_ept(Q_WRITE | Q_LINEAR | Q_TRANS, GP_IN_DELIVERY),
			 MMIO_CAUSE_DELIVERY);
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR | Q_TRANS, EXTINT_IN_DELIVERY),
			 MMIO_CAUSE_DELIVERY);
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR, GP_IN_DELIVERY), MMIO_CAUSE_DELIVERY);
	assert_int_equal(mmio_cause_of_ept(Q_READ, GP_IN_DELIVERY), MMIO_CAUSE_DELIVERY);
}

/* Bit 7 set, bit 8 clear: a paging-structure entry (read, or its A/D update). */
static void test_ept_walk(void **state)
{
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR, 0), MMIO_CAUSE_WALK);
	assert_int_equal(mmio_cause_of_ept(Q_WRITE | Q_LINEAR, 0), MMIO_CAUSE_WALK);
	assert_int_equal(mmio_cause_of_ept(Q_FETCH | Q_READ | Q_LINEAR, 0), MMIO_CAUSE_WALK);
}

/* Bit 7 clear: no linear address (a PDPTE load by MOV CR); bit 8 is then meaningless. */
static void test_ept_no_linear(void **state)
{
	assert_int_equal(mmio_cause_of_ept(Q_READ, 0), MMIO_CAUSE_PHYSICAL);
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_TRANS, 0), MMIO_CAUSE_PHYSICAL);
}

static void test_ept_fetch_and_async(void **state)
{
	assert_int_equal(mmio_cause_of_ept(Q_FETCH | Q_LINEAR | Q_TRANS, 0), MMIO_CAUSE_FETCH);
	assert_int_equal(mmio_cause_of_ept(Q_READ | Q_LINEAR | Q_TRANS | Q_ASYNC, 0),
			 MMIO_CAUSE_ASYNC);
	assert_int_equal(mmio_cause_of_ept(Q_WRITE | Q_ASYNC, 0), MMIO_CAUSE_ASYNC);
}

static u64 apic_q(u32 type, u32 offset)
{
	return ((u64)type << 12) | offset;
}

static void test_apic_access(void **state)
{
	assert_int_equal(mmio_cause_of_apic_access(apic_q(0, 0x300), 0), MMIO_CAUSE_INSN);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(1, 0x300), 0), MMIO_CAUSE_INSN);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(2, 0x10), 0), MMIO_CAUSE_FETCH);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(3, 0x300), GP_IN_DELIVERY),
			 MMIO_CAUSE_DELIVERY);
	/* Type 3 says event delivery even when the vectoring field would not. */
	assert_int_equal(mmio_cause_of_apic_access(apic_q(3, 0x300), 0), MMIO_CAUSE_DELIVERY);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(10, 0), GP_IN_DELIVERY),
			 MMIO_CAUSE_DELIVERY);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(15, 0), 0), MMIO_CAUSE_PHYSICAL);
	assert_int_equal(mmio_cause_of_apic_access(apic_q(1, 0x300) | Q_ASYNC, 0),
			 MMIO_CAUSE_ASYNC);
	/* A data write with valid vectoring information is not taken for the instruction. */
	assert_int_equal(mmio_cause_of_apic_access(apic_q(1, 0x300), GP_IN_DELIVERY),
			 MMIO_CAUSE_DELIVERY);
	for (u32 t = 4; t < 16; t++)
		if (t != 10 && t != 15)
			assert_int_equal(mmio_cause_of_apic_access(apic_q(t, 0), 0),
					 MMIO_CAUSE_RESERVED);
}

static void test_names(void **state)
{
	assert_string_equal(mmio_cause_name(MMIO_CAUSE_DELIVERY), "event delivery");
	assert_string_equal(mmio_cause_name(MMIO_CAUSE_WALK), "page-table walk");
	for (int c = MMIO_CAUSE_INSN; c <= MMIO_CAUSE_RESERVED; c++)
		assert_string_not_equal(mmio_cause_name((enum mmio_cause)c), "?");
	assert_string_equal(mmio_cause_name((enum mmio_cause)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bits_match_the_sdm), cmocka_unit_test(test_ept_instruction),
	    cmocka_unit_test(test_ept_delivery),       cmocka_unit_test(test_ept_walk),
	    cmocka_unit_test(test_ept_no_linear),      cmocka_unit_test(test_ept_fetch_and_async),
	    cmocka_unit_test(test_apic_access),	       cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
